"""Credentials (issue 12, "Lower — Credentials"): password change and admin reset, API tokens listed,
revoked and expiring, no token surviving a disable/re-enable; all audited. Real SQLite, the real app."""

from __future__ import annotations

import datetime as dt
import io
import re
import sys

import pytest
from fastapi.testclient import TestClient

from kiemchung import audit
from kiemchung import users as U
from kiemchung.cli import main
from kiemchung.errors import ConfigError, NotFoundError
from kiemchung.store import Database
from kiemchung.web import create_app

# Every test here that takes ``db`` runs on SQLite and on PostgreSQL (tests/conftest.py: any_db).
pytestmark = pytest.mark.pg_fulltext


@pytest.fixture
def db(any_db):
    return any_db


PW = "matkhau-kiemchung-1"
NEW = "matkhau-moi-dai-2"


def _actions(db, obj: str) -> list[str]:
    return [e["action"] for e in audit.entries(db, 200) if e["object"] == obj]


def test_token_dies_with_disable_and_stays_dead_after_re_enable(db):
    U.add_user(db, "minh", PW, "editor")
    token = U.create_token(db, "minh", "máy chủ", actor="quantri")
    assert U.user_for_token(db, token).name == "minh"
    U.set_disabled(db, "minh", True, actor="quantri")
    U.set_disabled(db, "minh", False, actor="quantri")
    assert U.user_for_token(db, token) is None
    assert U.list_tokens(db, "minh") == []
    assert U.user_for_token(db, U.create_token(db, "minh")).name == "minh"  # a new one works
    disabled = [e for e in audit.entries(db, 50) if e["action"] == "user.disable"][-1]  # oldest first
    assert disabled["after"] == {"disabled": True, "tokens_revoked": 1}


def test_tokens_expire_are_listed_without_secret_and_revoked(db, monkeypatch):
    U.add_user(db, "minh", PW, "viewer")
    t1 = U.create_token(db, "minh", "ngắn", ttl=dt.timedelta(days=1))
    t2 = U.create_token(db, "minh", "mãi", ttl=None)
    listed = U.list_tokens(db, "minh")
    assert [t.label for t in listed] == ["mãi", "ngắn"] and listed[0].expires_at is None
    assert all(t1 not in repr(t) and t2 not in repr(t) for t in listed)
    later = U.now() + dt.timedelta(days=2)
    monkeypatch.setattr(U, "now", lambda: later)  # the module's clock, two days on
    assert U.user_for_token(db, t1) is None and U.user_for_token(db, t2).name == "minh"
    assert [t.expired for t in U.list_tokens(db, "minh")] == [False, True]
    U.revoke_token(db, listed[0].id, actor="minh", owner="minh")
    assert U.user_for_token(db, t2) is None
    U.add_user(db, "lan", PW, "viewer")
    other = U.list_tokens(db, "minh")[0].id
    with pytest.raises(NotFoundError):
        U.revoke_token(db, other, actor="lan", owner="lan")  # not one's own
    assert U.list_tokens(db)[0].id == other
    assert _actions(db, "user:minh").count("token.create") == 2 and "token.revoke" in _actions(db, "user:minh")


def test_default_token_lifetime_is_bounded(db):
    U.add_user(db, "minh", PW, "viewer")
    U.create_token(db, "minh")
    (info,) = U.list_tokens(db, "minh")
    assert info.expires_at - info.created_at == U.TOKEN_TTL


def test_change_and_reset_password_end_sessions_and_are_audited(db):
    U.add_user(db, "minh", PW, "editor")
    user = U.get_user(db, "minh")
    here, _ = U.create_session(db, user)
    elsewhere, _ = U.create_session(db, user)
    with pytest.raises(ConfigError, match="không đúng"):
        U.change_password(db, "minh", NEW, old="sai-mat-khau", actor="minh")
    with pytest.raises(ConfigError):
        U.change_password(db, "minh", "ngan", old=PW, actor="minh")
    U.change_password(db, "minh", NEW, old=PW, actor="minh", keep_session=here)
    assert U.authenticate(db, "minh", PW) is None and U.authenticate(db, "minh", NEW).name == "minh"
    assert U.session_user(db, here) is not None and U.session_user(db, elsewhere) is None
    U.change_password(db, "minh", "dat-lai-boi-admin", actor="quantri")
    assert U.session_user(db, here) is None
    assert _actions(db, "user:minh")[:2] == ["user.password_reset", "user.password"]
    assert NEW not in str(audit.entries(db, 50)) and "dat-lai" not in str(audit.entries(db, 50))


def _client(app, name: str, password: str = PW) -> TestClient:
    c = TestClient(app)
    r = c.post("/login", data={"username": name, "password": password}, follow_redirects=False)
    assert r.status_code == 303, r.text[:300]
    return c


def _csrf(c: TestClient, path: str = "/account") -> str:
    return re.search(r'name="csrf" value="([^"]+)"', c.get(path).text).group(1)


def test_web_own_password_and_tokens(db):
    U.add_user(db, "xem", PW, "viewer")
    app = create_app(db)
    c, other = _client(app, "xem"), _client(app, "xem")
    token = _csrf(c)
    r = c.post("/account/password", data={"csrf": token, "current": "sai-roi-1", "new": NEW, "confirm": NEW})
    assert r.status_code == 400 and "không đúng" in r.text
    r = c.post("/account/password", data={"csrf": token, "current": PW, "new": NEW, "confirm": NEW + "x"})
    assert r.status_code == 400
    r = c.post("/account/password", data={"csrf": token, "current": PW, "new": NEW, "confirm": NEW})
    assert r.status_code == 200 and "Đã đổi mật khẩu" in r.text
    assert c.get("/account").status_code == 200  # this session lives on
    assert other.get("/account", follow_redirects=False).status_code == 303  # the other one ended
    _client(app, "xem", NEW)
    # a token for oneself, shown once, then revoked
    r = c.post("/account/tokens", data={"csrf": token, "label": "script", "days": "30"})
    secret = re.search(r'<code id="new-token">(kc_[^<]+)</code>', r.text).group(1)
    assert r.headers["cache-control"] == "no-store"
    api = TestClient(app, headers={"Authorization": f"Bearer {secret}"})
    assert api.get("/api/v1/sources").status_code == 200
    page = c.get("/account").text
    assert secret not in page and "script" in page
    tid = U.list_tokens(db, "xem")[0].id
    assert c.post(f"/account/tokens/{tid}/revoke", data={"csrf": token}, follow_redirects=False).status_code == 303
    assert api.get("/api/v1/sources").status_code == 401


def test_web_admin_resets_password_and_revokes_any_token(db):
    U.add_user(db, "quantri", PW, "admin")
    U.add_user(db, "bientap", PW, "editor")
    app = create_app(db)
    adm, ed = _client(app, "quantri"), _client(app, "bientap")
    secret = U.create_token(db, "bientap", "cũ")
    page = adm.get("/users").text
    assert "cũ" in page and secret not in page
    token = _csrf(adm, "/users")
    r = adm.post("/users/bientap/password", data={"csrf": token, "new": NEW}, follow_redirects=False)
    assert r.status_code == 303
    assert ed.get("/account", follow_redirects=False).status_code == 303  # the editor's session ended
    _client(app, "bientap", NEW)
    tid = U.list_tokens(db, "bientap")[0].id
    assert adm.post(f"/users/tokens/{tid}/revoke", data={"csrf": token}, follow_redirects=False).status_code == 303
    assert U.user_for_token(db, secret) is None
    # an editor may not reset or revoke for others, nor revoke someone else's token from /account
    t2 = U.create_token(db, "quantri")
    ed2 = _client(app, "bientap", NEW)
    assert ed2.post("/users/quantri/password", data={"csrf": _csrf(ed2), "new": NEW}).status_code == 403
    tid2 = U.list_tokens(db, "quantri")[0].id
    assert ed2.post(f"/users/tokens/{tid2}/revoke", data={"csrf": _csrf(ed2)}).status_code == 403
    assert ed2.post(f"/account/tokens/{tid2}/revoke", data={"csrf": _csrf(ed2)}).status_code == 404
    assert U.user_for_token(db, t2).name == "quantri"
    acts = _actions(db, "user:bientap")
    assert "user.password_reset" in acts and "token.revoke" in acts


def _cli(args: list[str], stdin: str = "") -> int:
    old = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        main(args)
    except SystemExit as exc:
        return exc.code or 0
    finally:
        sys.stdin = old
    return 0


def test_cli_password_tokens_revoke(tmp_path, capsys):
    path = str(tmp_path / "cli.db")
    assert _cli(["--db", path, "users", "add", "thu", "--editor", "--password-stdin"], PW + "\n") == 0
    assert _cli(["--db", path, "users", "password", "thu", "--password-stdin"], NEW + "\n") == 0
    assert _cli(["--db", path, "users", "password", "thu", "--password-stdin"], "ngan\n") == 1
    assert _cli(["--db", path, "users", "token", "thu", "--label", "ci", "--days", "7"]) == 0
    capsys.readouterr()
    secret = None
    assert _cli(["--db", path, "users", "token", "thu", "--days", "0"]) == 0
    secret = capsys.readouterr().out.strip()
    assert _cli(["--db", path, "users", "tokens", "thu"]) == 0
    out = capsys.readouterr().out
    assert "ci" in out and "không hết hạn" in out and secret not in out
    db = Database(path)
    assert U.authenticate(db, "thu", NEW) is not None
    tid = next(t.id for t in U.list_tokens(db, "thu") if t.expires_at is None)
    assert _cli(["--db", path, "users", "revoke", str(tid)]) == 0
    assert U.user_for_token(db, secret) is None
    assert _cli(["--db", path, "users", "revoke", "999"]) == 1
    acts = _actions(db, "user:thu")
    assert {"user.password_reset", "token.create", "token.revoke"} <= set(acts)
    db.close()
