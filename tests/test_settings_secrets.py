"""Secrets among the settings (the SMTP password, the author salt) are never printed."""

from __future__ import annotations

from factories import run_cli_in_process

PASSWORD = "MatKhauSMTP-bi-mat-9931"


def _out(capsys) -> str:
    got = capsys.readouterr()
    return got.out + got.err


def test_smtp_password_is_masked_by_settings_set_get_and_list(db, capsys):
    assert run_cli_in_process(db.path, "settings", "set", "smtp_password", PASSWORD) == 0
    out = _out(capsys)
    assert PASSWORD not in out and "smtp_password = ••••" in out
    assert run_cli_in_process(db.path, "settings", "get", "smtp_password") == 0
    out = _out(capsys)
    assert PASSWORD not in out and "smtp_password = ••••" in out
    assert run_cli_in_process(db.path, "settings", "list") == 0
    out = _out(capsys)
    assert PASSWORD not in out and "smtp_password" in out and "hash_authors" in out
    for args in (("factchecks", "config"), ("factchecks", "config", "smtp_password")):
        assert run_cli_in_process(db.path, *args) == 0
        assert PASSWORD not in _out(capsys)
    assert db.get_setting("smtp_password") == PASSWORD  # stored for use, only never shown


def test_author_salt_is_never_printed(db, capsys):
    salt = db.installation_salt()
    assert run_cli_in_process(db.path, "settings", "get", "author_salt") == 1
    out = _out(capsys)
    assert salt not in out and "author_salt" in out
    assert run_cli_in_process(db.path, "settings", "list") == 0
    assert salt not in _out(capsys)
    assert run_cli_in_process(db.path, "settings", "set", "author_salt", "abc") == 1
    assert db.installation_salt() == salt


def test_unset_secret_shows_empty(db, capsys):
    assert run_cli_in_process(db.path, "settings", "get", "smtp_password") == 0
    assert "smtp_password = \n" in _out(capsys)
