"""Choosing the database: ``--db``/``KIEMCHUNG_DB`` take a SQLite path or a PostgreSQL URL; every wrong,
unreachable, refused or unsupported one is one clear line (Vietnamese, then English) and exit code 1,
never a traceback. Run through the installed ``kiemchung`` command, as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pgserver import free_port

from kiemchung.errors import StoreError
from kiemchung.store import Database
from kiemchung.store.database import normalize_url

KIEMCHUNG = str(Path(sys.executable).with_name("kiemchung"))


def kiemchung(args: list[str], *, env: dict | None = None, cwd=None) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k != "KIEMCHUNG_DB"}
    environ.update(env or {})
    return subprocess.run([KIEMCHUNG, *args], capture_output=True, text=True, timeout=120, env=environ, cwd=cwd)


def assert_clear_error(result: subprocess.CompletedProcess, *needles: str) -> str:
    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    assert "Traceback" not in out, out
    assert "Lỗi" in result.stderr, out
    for needle in needles:
        assert needle in out, (needle, out)
    return out


@pytest.mark.parametrize(
    ("url", "needle"),
    [
        ("mysql://kc:pw@127.0.0.1/kc", "unsupported database kind): mysql"),
        ("foo://bar", "unsupported database kind): foo"),
        ("postgresql+psycopg2://127.0.0.1/kc", "unsupported PostgreSQL driver"),
        ("postgresql://127.0.0.1:5432", "names no database"),
        ("postgresql://kc:secret@127.0.0.1:notaport/kc", "unreadable database URL"),
        ("sqlite://", "needs a file path"),
    ],
)
def test_an_unsupported_or_malformed_url_is_one_clear_error(url, needle, tmp_path):
    out = assert_clear_error(kiemchung(["--db", url, "stats"], cwd=tmp_path), needle)
    assert "secret" not in out
    assert not list(tmp_path.iterdir())  # nothing created on the way


def test_the_environment_variable_is_checked_the_same_way(tmp_path):
    assert_clear_error(kiemchung(["stats"], env={"KIEMCHUNG_DB": "mysql://h/kc"}, cwd=tmp_path), "mysql")


def test_an_unreachable_server_is_one_clear_error(tmp_path):
    port = free_port()  # nothing listens there
    out = assert_clear_error(
        kiemchung(["--db", f"postgresql://kc:hunter2@127.0.0.1:{port}/kc", "stats"], cwd=tmp_path),
        "Không kết nối được",
        "refuses connections or is not running",
    )
    assert "hunter2" not in out


def test_an_unknown_host_is_one_clear_error(tmp_path):
    # .invalid never resolves (RFC 2606): no network traffic leaves the machine for it.
    assert_clear_error(
        kiemchung(["--db", "postgresql://kc@db.kiemchung.invalid/kc", "stats"], cwd=tmp_path), "unknown host"
    )


def test_postgresql_urls_take_psycopg():
    assert normalize_url("postgresql://u:p@h:5433/kc") == "postgresql+psycopg://u:p@h:5433/kc"
    assert normalize_url("postgres://h/kc") == "postgresql+psycopg://h/kc"
    with pytest.raises(StoreError):
        normalize_url("oracle://h/kc")


def test_a_wrong_password_is_one_clear_error(pg_server, pg_url, tmp_path):
    if not pg_server.password:
        pytest.skip("the test server accepts any password")
    name = pg_url.rsplit("/", 1)[1]
    bad = f"postgresql://{pg_server.user}:wrong-password@{pg_server.host}:{pg_server.port}/{name}"
    out = assert_clear_error(kiemchung(["--db", bad, "stats"], cwd=tmp_path), "authentication failed")
    assert "wrong-password" not in out


def test_a_missing_database_or_user_is_one_clear_error(pg_server, tmp_path):
    missing_db = pg_server.url("kc_no_such_database").replace("+psycopg", "")
    assert_clear_error(kiemchung(["--db", missing_db, "stats"], cwd=tmp_path), "does not exist")
    other = f"postgresql://nobody_here:x@{pg_server.host}:{pg_server.port}/postgres"
    assert_clear_error(kiemchung(["--db", other, "stats"], cwd=tmp_path), "authentication failed")


def test_a_postgresql_url_creates_the_schema_and_works(pg_url, tmp_path):
    plain = pg_url.replace("postgresql+psycopg://", "postgresql://")
    result = kiemchung(["--db", plain, "stats"], cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    result = kiemchung(["stats"], env={"KIEMCHUNG_DB": plain}, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert not list(tmp_path.iterdir())  # no SQLite file was made instead
    with Database(pg_url) as db:
        assert db.schema_revision() is not None
        assert db.count_documents() == 0


def test_the_server_going_away_is_a_clear_store_error(pg_server, pg_url):
    if not pg_server.can_restart:
        pytest.skip("KIEMCHUNG_TEST_PG server: not ours to stop")
    db = Database(pg_url)
    try:
        pg_server.stop()
        with pytest.raises(StoreError):
            db.count_documents()
    finally:
        pg_server.start()
    try:
        assert db.count_documents() == 0  # pool_pre_ping: the store works again once the server is back
    finally:
        db.close()


def test_commands_never_print_the_server_password(pg_server, pg_url, tmp_path):
    if not pg_server.password:
        pytest.skip("the test server has no password")
    result = kiemchung(["--db", pg_url, "init"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert pg_server.password not in result.stdout + result.stderr
    assert "***@" in result.stdout
