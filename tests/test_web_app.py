"""Web workbench and API, in process, against a real SQLite file."""

from __future__ import annotations

import re

import pytest
from factories import make_doc, target_of
from fastapi.testclient import TestClient
from test_web_verify import EDITOR_ROUTES as VERIFY_EDITOR

from kiemchung import audit
from kiemchung import users as U
from kiemchung.ingest import Ingestor
from kiemchung.web import create_app
from kiemchung.web.app import all_routes

# Every test here that takes ``db`` runs on SQLite and on PostgreSQL (tests/conftest.py: any_db).
pytestmark = pytest.mark.pg_fulltext


@pytest.fixture
def db(any_db):
    return any_db


PW = "matkhau-manh-123"


@pytest.fixture
def app_db(db, sample_docs):
    hostile = make_doc(
        "Bài <script>alert('x')</script> độc hại",
        "Ảnh <img src=x onerror=alert(1)> nguy hiểm",
        url="https://doc-hai.vn/a.html",
        day=15,
        kind="official",
        raw=b"<html><script>alert(1)</script></html>",
    )
    Ingestor(db).add([*sample_docs, hostile])
    for name, role in (("quantri", "admin"), ("bientap", "editor"), ("xem", "viewer")):
        U.add_user(db, name, PW, role)
    return db


@pytest.fixture
def app(app_db):
    return create_app(app_db)


def login(client: TestClient, name: str, password: str = PW):
    r = client.post(
        "/login", data={"username": name, "password": password, "next": "/"}, follow_redirects=False
    )
    return r


def csrf_of(client: TestClient) -> str:
    html = client.get("/search").text
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def test_login_sets_safe_cookie_and_wrong_password_fails(app):
    c = TestClient(app)
    assert login(c, "xem", "sai-mat-khau").status_code == 401
    r = login(c, "xem")
    assert r.status_code == 303
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
    assert c.get("/").status_code == 200


def test_secure_cookies_flag(app_db):
    c = TestClient(create_app(app_db, secure_cookies=True))
    assert "secure" in login(c, "xem").headers["set-cookie"].lower()


def test_login_rate_limit(app):
    # A frozen clock: the back-off after five failures must not run out while a busy machine checks
    # the passwords (with the real clock the sixth try came more than the 1 s delay later and passed).
    from kiemchung import timeutil
    from kiemchung.logins import LoginLimiter

    frozen = timeutil.now()
    app.state.login_limiter = LoginLimiter(clock=lambda: frozen)
    c = TestClient(app)
    for _ in range(5):
        assert login(c, "xem", "sai-mat-khau-1").status_code == 401
    r = login(c, "xem")  # right password, but blocked for now
    assert r.status_code == 429


def test_search_without_diacritics_highlights_and_exports(app):
    c = TestClient(app)
    login(c, "xem")
    html = c.get("/search", params={"q": "nuoc chanh"}).text
    assert "Nước chanh không chữa được sốt xuất huyết" in html
    assert "<mark>" in html
    csv_text = c.get("/search/export", params={"q": "nuoc", "format": "csv"}).text
    assert csv_text.startswith("id,") and "Hòa Bình" in csv_text
    jl = c.get("/search/export", params={"q": "nuoc", "format": "jsonl"}).text.strip().splitlines()
    assert len(jl) >= 2
    assert c.get("/search", params={"q": "nuoc", "kind": "bogus"}).status_code == 400


def test_hostile_document_is_escaped(app, app_db):
    c = TestClient(app)
    login(c, "bientap")
    hits = c.get("/api/v1/search", params={"q": "doc hai"}).json()
    assert hits["hits"]
    doc_id = hits["hits"][0]["document"]["id"]
    for html in (
        c.get(f"/documents/{doc_id}").text,
        c.get("/search", params={"q": "doc hai"}).text,
        c.get("/").text,
    ):
        assert "<script>alert" not in html
        assert "<img src=x" not in html
        assert "&lt;script&gt;" in html
    raw = c.get(f"/documents/{doc_id}/raw")
    assert raw.headers["content-disposition"].startswith("attachment")
    assert raw.headers["content-type"] == "application/octet-stream"


def test_csrf_required_on_forms(app):
    c = TestClient(app)
    login(c, "bientap")
    r = c.post(
        "/sources",
        data={"kind": "feed", "url": "https://baomoi-lamson.vn/rss", "name": "X"},
        follow_redirects=False,
    )
    assert r.status_code == 403
    r = c.post(
        "/sources", data={"kind": "feed", "url": "https://baomoi-lamson.vn/rss", "name": "X", "csrf": "sai"}
    )
    assert r.status_code == 403
    token = csrf_of(c)
    r = c.post(
        "/sources",
        data={"kind": "feed", "url": "https://baomoi-lamson.vn/rss", "name": "Báo mới", "csrf": token},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert "Báo mới" in c.get("/sources").text


def test_source_add_is_audited_and_bad_url_refused(app, app_db):
    c = TestClient(app)
    login(c, "bientap")
    token = csrf_of(c)
    r = c.post("/sources", data={"kind": "feed", "url": "javascript:alert(1)", "csrf": token})
    assert r.status_code == 400
    c.post(
        "/sources",
        data={"kind": "web", "url": "https://so-yte.lamson.gov.vn/", "name": "Sở Y tế", "csrf": token},
    )
    entry = next(e for e in audit.entries(app_db) if e["action"] == "source.add")
    assert entry["user"] == "bientap" and entry["after"]["url"] == "https://so-yte.lamson.gov.vn/"


def test_admin_manages_users_with_audit(app, app_db):
    c = TestClient(app)
    login(c, "quantri")
    token = csrf_of(c)
    assert (
        c.post(
            "/users",
            data={"username": "moi", "password": "mat-khau-moi-1", "role": "viewer", "csrf": token},
            follow_redirects=False,
        ).status_code
        == 303
    )
    c.post("/users/moi/role", data={"role": "editor", "csrf": token})
    assert U.get_user(app_db, "moi").role == "editor"
    other = TestClient(app)
    login(other, "moi", "mat-khau-moi-1")
    assert other.get("/").status_code == 200
    c.post("/users/moi/disable", data={"disabled": "true", "csrf": token})
    assert other.get("/", follow_redirects=False).status_code == 303  # session ended
    actions = [e["action"] for e in audit.entries(app_db)]
    assert {"user.add", "user.role", "user.disable"} <= set(actions)
    entry = next(e for e in audit.entries(app_db) if e["action"] == "user.role")
    assert (
        entry["before"] == {"role": "viewer"}
        and entry["after"] == {"role": "editor"}
        and entry["user"] == "quantri"
    )


def test_api_with_tokens(app, app_db):
    token = U.create_token(app_db, "xem")
    c = TestClient(app, headers={"Authorization": f"Bearer {token}"})
    assert c.get("/api/v1/stats").json()["documents"] == 6
    docs = c.get("/api/v1/documents", params={"kind": "post"}).json()
    assert len(docs) == 1 and docs[0]["kind"] == "post"
    one = c.get(f"/api/v1/documents/{docs[0]['id']}").json()
    assert "nước máy" in one["body"] or "nước máy" in one["lead"]
    assert c.get("/api/v1/documents/999999").status_code == 404
    assert c.get("/api/v1/search", params={"q": "gia vang", "count": "true"}).json()["total"] == 1
    assert (
        c.post("/api/v1/sources", json={"kind": "feed", "url": "https://x-lamson.vn/rss"}).status_code == 403
    )
    ed = TestClient(app, headers={"Authorization": f"Bearer {U.create_token(app_db, 'bientap')}"})
    r = ed.post("/api/v1/sources", json={"kind": "feed", "url": "https://x-lamson.vn/rss", "name": "X"})
    assert r.status_code == 201 and r.json()["healthy"]
    assert TestClient(app, headers={"Authorization": "Bearer sai"}).get("/api/v1/stats").status_code == 401
    assert "/api/v1/search" in c.get("/api/v1/openapi.json").json()["paths"]


def test_language_switch_cookie(app):
    c = TestClient(app)
    login(c, "xem")
    assert "Tìm kiếm" in c.get("/").text
    assert "Search" in c.get("/?lang=en").text
    assert "Documents per day" in c.get("/").text  # remembered


def test_overview_chart_counts(app):
    c = TestClient(app)
    login(c, "xem")
    html = c.get("/").text
    assert "<svg" in html and "Bài &lt;script&gt;" in html  # official statement listed, escaped


# Expected minimum role per route; anything not listed needs "viewer".
PUBLIC = {
    ("GET", "/login"),
    ("POST", "/login"),
    ("GET", "/healthz"),
    ("GET", "/api/v1/openapi.json"),
    ("GET", "/api/v1/docs"),
    ("GET", "/docs/oauth2-redirect"),
    ("GET", "/favicon.ico"),
    ("GET", "/api/v1"),
    ("GET", "/api/v1/"),
    ("GET", "/api/v1/docs/assets/{name}"),
    ("GET", "/tin-bao"),
    ("POST", "/tin-bao"),
    ("GET", "/tin-bao/theo-doi/{secret}"),
    ("POST", "/api/v1/public/tips"),
}
MONITOR_EDITOR = {
    ("POST", "/stories/{story_id}/merge"),
    ("POST", "/stories/{story_id}/split"),
    ("POST", "/watchlists"),
    ("POST", "/watchlists/{wl_id}/delete"),
    ("POST", "/reports"),
    ("POST", "/api/v1/stories/{story_id}/merge"),
    ("POST", "/api/v1/stories/{story_id}/split"),
    ("POST", "/api/v1/watchlists"),
    ("DELETE", "/api/v1/watchlists/{wl_id}"),
    ("POST", "/api/v1/reports"),
}
EDITOR = (
    {("GET", "/documents/{doc_id}/raw"), ("POST", "/sources"), ("POST", "/api/v1/sources"),
     ("POST", "/sources/{source_id}/remove"), ("DELETE", "/api/v1/sources/{source_id}"),
     ("POST", "/evidence/{capture_id}/take"), ("POST", "/factchecks/{fc_id}/captures"), ("POST", "/api/v1/captures"),
     ("GET", "/ocr"), ("POST", "/ocr"), ("POST", "/api/v1/ocr"),
     ("POST", "/tips/{tip_id}/reply"), ("POST", "/tips/{tip_id}/status"), ("POST", "/api/v1/tips/{tip_id}/reply"),
     ("POST", "/api/v1/tips/{tip_id}/status"),
     ("POST", "/sources/{source_id}/profile"), ("POST", "/collections"), ("POST", "/collections/{collection_id}/delete"),
     ("POST", "/factchecks/{fc_id}/images"), ("POST", "/factchecks/{fc_id}/images/{image_id}/remove"),
     ("POST", "/api/v1/factchecks/{fc_id}/images"), ("DELETE", "/api/v1/factchecks/{fc_id}/images/{image_id}")}
    | VERIFY_EDITOR
    | MONITOR_EDITOR
)
ADMIN = {
    ("GET", "/users"),
    ("POST", "/users"),
    ("POST", "/users/{name}/role"),
    ("POST", "/users/{name}/disable"),
    ("POST", "/users/{name}/password"),
    ("POST", "/users/tokens/{token_id}/revoke"),
    ("GET", "/audit"),
    ("GET", "/settings"),
    ("POST", "/settings"),
    ("POST", "/sources/directory/import"),
    ("POST", "/sources/directory/starter"),
}
RANK = {"anon": -1, "viewer": 0, "editor": 1, "admin": 2}


def test_every_route_enforces_roles(app, app_db):
    tokens = {name: U.create_token(app_db, name) for name in ("quantri", "bientap", "xem")}
    who = {"admin": "quantri", "editor": "bientap", "viewer": "xem"}
    doc_id = app_db.list_sources() and 1
    walked = 0
    for route in all_routes(app):
        if not hasattr(route, "methods"):
            continue
        for method in route.methods - {"HEAD"}:
            key = (method, route.path)
            need = (
                "anon"
                if key in PUBLIC
                else "admin"
                if key in ADMIN
                else "editor"
                if key in EDITOR
                else "viewer"
            )
            path = (
                route.path.replace("{doc_id}", str(doc_id))
                .replace("{name}", "nobody")
                .replace("{story_id}", "1")
                .replace("{fc_id}", "1")
                .replace("{alert_id}", "1")
                .replace("{source_id}", "999")
                .replace("{capture_id}", "1")
                .replace("{collection_id}", "999")
                .replace("{part}", "text")
                .replace("{tip_id}", "1")
                .replace("{secret}", "khong-co")
                .replace("{sha}", "0" * 64)
                .replace("{image_id}", "1")
                .replace("{token_id}", "999999")  # revoking a real one would end the walk's own token
            )
            for role in ("anon", "viewer", "editor", "admin"):
                api = path.startswith("/api/")
                if api:
                    headers = {} if role == "anon" else {"Authorization": f"Bearer {tokens[who[role]]}"}
                    c = TestClient(app, headers=headers)
                else:
                    c = TestClient(app)
                    if role != "anon":
                        assert login(c, who[role]).status_code == 303
                data = {"csrf": csrf_of(c)} if (method == "POST" and not api and role != "anon") else None
                r = c.request(method, path, data=data, follow_redirects=False)
                allowed = RANK[role] >= RANK[need]
                if allowed:
                    assert r.status_code not in (401, 403, 500), (key, role, r.status_code)
                elif role == "anon":
                    # an anonymous POST may be refused by the CSRF check before the login check
                    assert r.status_code in (401, 303) or (method == "POST" and r.status_code == 403), (
                        key,
                        role,
                        r.status_code,
                    )
                    if r.status_code == 303:
                        assert r.headers["location"].startswith("/login")
                else:
                    assert r.status_code == 403, (key, role, r.status_code)
                walked += 1
    assert walked > 60


def test_overview_lists_new_alerts(app, app_db):
    from sqlalchemy import insert

    from kiemchung.claims.tables import alerts, factchecks
    from kiemchung.timeutil import now

    with app_db.write() as conn:
        fc = conn.execute(
            insert(factchecks).values(
                key="fc-nuoc-may",
                claim="Nước máy Tây Hà nhiễm độc",
                verdict="false",
                created_by="a",
                updated_by="a",
                created_at=now(),
                updated_at=now(),
            )
        ).inserted_primary_key[0]
        conn.execute(
            insert(alerts).values(
                doc_id=5, factcheck_id=fc, score=0.9, reason={}, status="new", created_at=now()
            )
        )
    c = TestClient(app)
    login(c, "xem")
    html = c.get("/").text
    assert "Nước máy Tây Hà nhiễm độc" in html and 'href="/documents/5"' in html


def _count_lookups(monkeypatch) -> list[str]:
    """Record every database lookup of a credential (the real functions still run)."""
    calls: list[str] = []
    for name in ("user_for_token", "session_user"):
        real = getattr(U, name)

        def spy(*args, _real=real, _name=name, **kwargs):
            calls.append(_name)
            return _real(*args, **kwargs)

        monkeypatch.setattr(U, name, spy)
    return calls


def test_credential_lookups_are_remembered_until_the_next_commit(app, app_db, monkeypatch):
    from kiemchung.web import app as web_app

    web_app.forget_credentials()
    calls = _count_lookups(monkeypatch)
    token = U.create_token(app_db, "xem")
    c = TestClient(app, headers={"Authorization": f"Bearer {token}"})
    for _ in range(3):
        assert c.get("/api/v1/search", params={"q": "gia vang"}).status_code == 200
    assert calls == ["user_for_token"]  # looked up once, then remembered
    U.create_token(app_db, "bientap")  # any commit, by any connection, drops what was remembered
    assert c.get("/api/v1/search", params={"q": "gia vang"}).status_code == 200
    assert calls == ["user_for_token", "user_for_token"]
    # Unknown credentials are never remembered (each attempt is checked against the database).
    bad = TestClient(app, headers={"Authorization": "Bearer kc_khong-hop-le"})
    assert [bad.get("/api/v1/stats").status_code for _ in range(2)] == [401, 401]
    assert calls.count("user_for_token") == 4
    monkeypatch.setattr(web_app, "AUTH_CACHE_TTL", 0)  # turned off: every request looks up
    c.get("/api/v1/stats")
    c.get("/api/v1/stats")
    assert calls.count("user_for_token") == 6


def test_revoked_token_and_changed_role_take_effect_at_the_next_request(app, app_db, tmp_path):
    from sqlalchemy import create_engine

    from kiemchung.store import Database

    token = U.create_token(app_db, "bientap")
    c = TestClient(app, headers={"Authorization": f"Bearer {token}"})
    add = {"kind": "feed", "url": "https://tin-lamson.vn/rss", "name": "Tin Lam Sơn"}
    assert c.get("/api/v1/stats").status_code == 200
    # Another process (here another Database on the same file) lowers the role: refused at once.
    other = Database(target_of(app_db))
    U.set_role(other, "bientap", "viewer")
    assert c.post("/api/v1/sources", json=add).status_code == 403
    assert c.get("/api/v1/stats").status_code == 200
    # The token is deleted behind the application's back (a plain connection, as the sqlite3 shell or
    # psql would): it stops working at once.
    raw = create_engine(app_db.url)
    with raw.begin() as conn:
        conn.exec_driver_sql("DELETE FROM api_tokens")
    raw.dispose()
    assert c.get("/api/v1/stats").status_code == 401
    # A disabled account's other token stops working too.
    token2 = U.create_token(app_db, "xem")
    c2 = TestClient(app, headers={"Authorization": f"Bearer {token2}"})
    assert c2.get("/api/v1/stats").status_code == 200
    U.set_disabled(other, "xem", True)
    assert c2.get("/api/v1/stats").status_code == 401
    other.close()


def test_logged_out_session_stops_working_at_once(app):
    c = TestClient(app)
    login(c, "xem")
    sid = c.cookies["kc_session"]
    assert c.get("/", follow_redirects=False).status_code == 200
    assert c.get("/", follow_redirects=False).status_code == 200  # remembered
    c.post("/logout", data={"csrf": csrf_of(c)}, follow_redirects=False)
    stale = TestClient(app, cookies={"kc_session": sid})
    assert stale.get("/", follow_redirects=False).status_code == 303  # back to the login page


def test_search_api_body_matches_its_documented_schema(app, app_db):
    from kiemchung.web.api import SearchOut

    token = U.create_token(app_db, "xem")
    c = TestClient(app, headers={"Authorization": f"Bearer {token}"})
    body = c.get("/api/v1/search", params={"q": "nuoc", "count": "true"}).json()
    parsed = SearchOut.model_validate(body)
    assert parsed.total == len(parsed.hits) >= 2
    assert body == parsed.model_dump(mode="json")  # nothing more, nothing less than the schema
    hit = body["hits"][0]
    assert hit["score"] is None  # newest first: relevance is not computed
    assert any(hl for _, hl in hit["snippet"]) and hit["document"]["body"] is None
    assert hit["document"]["published_at"].startswith("2026-")
    schema = c.get("/api/v1/openapi.json").json()
    ok = schema["paths"]["/api/v1/search"]["get"]["responses"]["200"]["content"]["application/json"]
    assert ok["schema"]["$ref"].endswith("/SearchOut")
