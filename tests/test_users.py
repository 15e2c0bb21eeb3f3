"""Accounts, tokens, sessions and the `users` CLI against a real SQLite file."""

from __future__ import annotations

import io
import sys

import pytest
from sqlalchemy import select

from kiemchung import users as U
from kiemchung.cli import main
from kiemchung.errors import ConfigError, NotFoundError

# Every test here that takes ``db`` runs on SQLite and on PostgreSQL (tests/conftest.py: any_db).
pytestmark = pytest.mark.pg_fulltext


@pytest.fixture
def db(any_db):
    return any_db


def test_passwords_are_argon2_and_checked(db):
    U.add_user(db, "lan", "mat-khau-dai-1", "editor")
    with db.read() as conn:
        stored = conn.execute(select(U.users.c.password_hash)).scalar_one()
    assert stored.startswith("$argon2") and "mat-khau" not in stored
    assert U.authenticate(db, "lan", "mat-khau-dai-1").role == "editor"
    assert U.authenticate(db, "lan", "sai") is None
    assert U.authenticate(db, "khong-co", "x") is None


def test_bad_input_refused(db):
    with pytest.raises(ConfigError):
        U.add_user(db, "a", "ngan", "viewer")
    with pytest.raises(ConfigError):
        U.add_user(db, "a", "du-dai-roi-1", "superuser")
    U.add_user(db, "a", "du-dai-roi-1", "viewer")
    with pytest.raises(ConfigError):
        U.add_user(db, "a", "du-dai-roi-1", "viewer")
    with pytest.raises(NotFoundError):
        U.set_role(db, "khong-co", "admin")


def test_tokens_stored_hashed_and_disable_blocks(db):
    U.add_user(db, "minh", "mat-khau-dai-2", "viewer")
    token = U.create_token(db, "minh")
    with db.read() as conn:
        assert conn.execute(select(U.api_tokens.c.token_hash)).scalar_one() != token
    assert U.user_for_token(db, token).name == "minh"
    sid, csrf = U.create_session(db, U.get_user(db, "minh"))
    assert U.session_user(db, sid)[1] == csrf
    U.set_disabled(db, "minh", True)
    assert U.user_for_token(db, token) is None
    assert U.session_user(db, sid) is None
    assert U.authenticate(db, "minh", "mat-khau-dai-2") is None


def run_cli(args, stdin=""):
    old = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        main(args)
    except SystemExit as exc:
        return exc.code
    finally:
        sys.stdin = old
    return 0


def test_cli_add_token_role(tmp_path, capsys):
    path = str(tmp_path / "cli.db")
    assert run_cli(
        ["--db", path, "users", "add", "thu", "--admin", "--password-stdin"], "mat-khau-cli-1\n"
    ) in (0, None)
    assert run_cli(["--db", path, "users", "add", "x", "--password-stdin"], "mat-khau-cli-1\n") not in (
        0,
        None,
    )
    capsys.readouterr()
    assert run_cli(["--db", path, "users", "token", "thu"]) in (0, None)
    token = capsys.readouterr().out.strip()
    assert token.startswith("kc_")
    from kiemchung.store import Database

    db = Database(path)
    assert U.user_for_token(db, token).role == "admin"
    assert run_cli(["--db", path, "users", "role", "thu", "viewer"]) in (0, None)
    assert U.get_user(db, "thu").role == "viewer"
