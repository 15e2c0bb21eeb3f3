"""Only http(s) links stored or rendered, security headers on every response, no inline script or
style in the templates, JSON-LD that cannot close its <script> element (issue 12, Medium 4).

Real SQLite files, the real app in process, a real RSS document through the real feed parser."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from factories import make_doc, run_cli_in_process
from fastapi.testclient import TestClient
from sqlalchemy import update

from kiemchung import users as U
from kiemchung.claims import factchecks as fcs
from kiemchung.claims.claimreview import import_claimreviews, to_claimreview
from kiemchung.claims.config import set_setting
from kiemchung.claims.feed import rss_feed
from kiemchung.claims.tables import factchecks as fc_table
from kiemchung.errors import ConfigError
from kiemchung.ingest import Ingestor
from kiemchung.links import check_http_url, http_url, jsonld_text
from kiemchung.sources.feeds import parse_feed
from kiemchung.store import Database
from kiemchung.store import schema as t
from kiemchung.web import create_app
from kiemchung.web.app import all_routes

# Every test here that takes ``db`` runs on SQLite and on PostgreSQL (tests/conftest.py: any_db).
pytestmark = pytest.mark.pg_fulltext


@pytest.fixture
def db(any_db):
    return any_db


PW = "matkhau-kiemchung-1"
TEMPLATES = Path(__file__).resolve().parents[1] / "kiemchung" / "web" / "templates"
HOSTILE = [
    "javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:alert(1)", "java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>", "vbscript:msgbox(1)", "//evil.example/x", "https://",
    "http:///nohost", "ftp://files.example/a", "https://a.example:99999/", "https://a.example/\x00",
    "https://a.example\\@evil.example/", "file:///etc/passwd", "", None, 42,
]


@pytest.mark.parametrize("value", HOSTILE)
def test_only_http_urls_pass(value):
    assert http_url(value) is None
    with pytest.raises(ConfigError, match="http"):
        check_http_url(value)


@pytest.mark.parametrize("value", ["https://baolamson.vn/tin-1.html", "HTTP://A.example/x?y=1#z",
                                   "https://xn--kim-chng-n7a.vn/bài-viết", " https://a.example/ "])
def test_http_urls_are_kept(value):
    assert http_url(value) == value.strip()


RSS = """<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Tin</title>
<item><title>Tin nóng một</title><link>javascript:alert(document.cookie)</link><guid>g-1</guid>
<description>Nội dung tin một về giá điện.</description></item>
<item><title>Tin nóng hai</title><link>https://baolamson.vn/tin-2.html</link><guid>g-2</guid>
<description>Nội dung tin hai về giá xăng.</description></item></channel></rss>""".encode()


def test_feed_item_with_a_javascript_link_is_kept_without_the_link(db):
    docs = parse_feed(RSS, url="https://baolamson.vn/rss")
    Ingestor(db).add(docs)
    with db.read() as conn:
        rows = {r.title: r.url for r in conn.execute(t.documents.select())}
    assert rows["Tin nóng một"] is None
    assert rows["Tin nóng hai"].startswith("https://baolamson.vn/tin-2")


def _fc(db, **kw) -> fcs.FactCheck:
    return fcs.create_factcheck(db, "Giá điện tăng 40% từ ngày 1/5", "false", editor="lan",
                                evidence=["https://evn.example/tb.html"], **kw)


@pytest.mark.parametrize("field", ["appearances", "evidence", "url", "first_appearance", "meta"])
def test_factcheck_urls_are_checked_on_write(db, field):
    bad = "javascript:alert(1)"
    value = {"appearances": [bad], "evidence": [bad], "url": bad, "first_appearance": bad,
             "meta": {"publisher_url": bad}}[field]
    with pytest.raises(ConfigError, match="http"):
        _fc(db, **{field: value}) if field != "evidence" else fcs.create_factcheck(
            db, "Giá xăng giảm", "false", editor="lan", evidence=value)
    fc = fcs.create_factcheck(db, "Giá gạo tăng gấp đôi", "unverified", editor="lan")
    with pytest.raises(ConfigError, match="http"):
        fcs.update_factcheck(db, fc.id, {field: value}, "lan")


def test_settings_refuse_non_http_urls(db):
    for key in ("org_url", "site_url", "alert_webhook_url"):
        with pytest.raises(ConfigError):
            set_setting(db, key, "javascript:alert(1)")


def test_claimreview_import_drops_a_non_http_publisher_url(db):
    item = {"@type": "ClaimReview", "claimReviewed": "Trường học nghỉ cả tuần", "url": "https://fc.example/1",
            "datePublished": "2026-03-02", "reviewRating": {"@type": "Rating", "alternateName": "Sai sự thật"},
            "citation": [{"url": "https://sogd.example/tb"}],
            "author": {"@type": "Organization", "name": "Báo X", "url": "javascript:alert(1)"},
            "itemReviewed": {"@type": "Claim", "appearance": [{"url": "data:text/html,x"}]}}
    result = import_claimreviews(db, [item], editor="lan")
    assert result.errors and "http" in str(result.errors[0])  # the bad appearance refuses the item
    del item["itemReviewed"]["appearance"]
    result = import_claimreviews(db, [item], editor="lan")
    assert not result.errors
    fc = fcs.list_factchecks(db)[0]
    assert fc.meta.get("publisher_url") is None and fc.publisher == "Báo X"


def _plant(db, fc_id: int, **values) -> None:
    """What an old database may hold: links written before the checks existed."""
    with db.write() as conn:
        conn.execute(update(fc_table).where(fc_table.c.id == fc_id).values(**values))


def test_stored_bad_links_are_not_rendered(db):
    fc = _fc(db, appearances=["https://mxh.example/p/1"])
    fcs.publish_factcheck(db, fc.id, "lan")
    db.set_setting("site_url", "javascript:alert(1)")
    _plant(db, fc.id, url="javascript:alert(1)", appearances=["https://mxh.example/p/1", "data:text/html,x"],
           first_appearance="vbscript:x", evidence=[{"url": "javascript:alert(2)"}, {"url": "https://evn.example/a"}],
           meta={"publisher_url": "javascript:alert(3)"}, publisher="Báo X")
    review = to_claimreview(db, fc.id)
    text = json.dumps(review)
    assert "javascript" not in text and "data:" not in text and "vbscript" not in text
    assert review["url"] == f"http://localhost:8000/factchecks/{fc.id}"
    assert review["itemReviewed"]["appearance"] == [{"@type": "CreativeWork", "url": "https://mxh.example/p/1"}]
    assert "javascript" not in rss_feed(db).decode()


def _app_with_users(db):
    for name, role in (("bientap", "editor"), ("xem", "viewer")):
        U.add_user(db, name, PW, role)
    return create_app(db)


def _login(app, name: str) -> TestClient:
    c = TestClient(app)
    assert c.post("/login", data={"username": name, "password": PW}, follow_redirects=False).status_code == 303
    return c


def test_pages_never_link_a_stored_javascript_url(db):
    app = _app_with_users(db)
    Ingestor(db).add([make_doc("Tin có liên kết độc", "Nội dung.", url="https://a.example/1")])
    with db.write() as conn:
        conn.execute(update(t.documents).values(url="javascript:alert(document.cookie)"))
        doc_id = conn.execute(t.documents.select()).first().id
    fc = _fc(db)
    _plant(db, fc.id, evidence=[{"url": "javascript:alert(2)", "title": "Bằng chứng"}])
    c = _login(app, "bientap")
    page = c.get(f"/documents/{doc_id}").text
    assert 'href="javascript' not in page and "javascript:alert(document.cookie)" in page  # shown as text
    page = c.get(f"/factchecks/{fc.id}").text
    assert 'href="javascript' not in page and "Bằng chứng" in page


def test_api_refuses_non_http_appearances_and_evidence(db):
    app = _app_with_users(db)
    c = TestClient(app, headers={"Authorization": f"Bearer {U.create_token(db, 'bientap')}"})
    r = c.post("/api/v1/factchecks", json={"claim": "Giá điện tăng 40%", "appearances": ["javascript:alert(1)"]})
    assert r.status_code == 400 and "http" in r.json()["detail"]
    r = c.post("/api/v1/factchecks", json={"claim": "Giá điện tăng 40%", "evidence": [{"url": "data:text/html,x"}]})
    assert r.status_code == 400
    fc_id = c.post("/api/v1/factchecks", json={"claim": "Giá điện tăng 40%"}).json()["id"]
    r = c.patch(f"/api/v1/factchecks/{fc_id}", json={"appearances": ["vbscript:x"]})
    assert r.status_code == 400
    r = c.post("/api/v1/sources", json={"kind": "feed", "url": "javascript:alert(1)", "name": "x"})
    assert r.status_code in (400, 422)


EXPECTED = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
}


def _check_headers(r, what) -> None:
    for k, v in EXPECTED.items():
        assert r.headers.get(k) == v, (what, k, r.status_code)
    csp = r.headers.get("content-security-policy", "")
    directives = dict([*d.strip().split(" ", 1), ""][:2] for d in csp.split(";") if d.strip())
    assert directives.get("script-src") == "'self'", (what, csp)
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, (what, csp)
    assert directives.get("frame-ancestors") == "'none'" and directives.get("object-src") == "'none'", (what, csp)


def test_security_headers_on_every_route(db):
    app = _app_with_users(db)
    anon, viewer = TestClient(app), _login(app, "xem")
    token = TestClient(app, headers={"Authorization": f"Bearer {U.create_token(db, 'xem')}"})
    walked = 0
    for route in all_routes(app):
        for method in sorted(getattr(route, "methods", set()) - {"HEAD"}):
            path = re.sub(r"\{[a-z_]+\}", "1", route.path)
            for c in (anon, token if path.startswith("/api/") else viewer):
                r = c.request(method, path, follow_redirects=False)
                if path.startswith("/reports/1/"):  # a report file framed by our own page
                    continue
                _check_headers(r, (method, path))
                walked += 1
    assert walked > 100
    for path in ("/static/style.css", "/static/nothing.css", "/no-such-page", "/healthz"):
        _check_headers(anon.get(path), path)


def test_templates_have_no_inline_script_handler_or_style():
    for path in TEMPLATES.glob("*.html"):
        html = path.read_text(encoding="utf-8")
        for tag in re.findall(r"<script\b[^>]*>", html, re.IGNORECASE):
            assert "src=" in tag or 'type="application/ld+json"' in tag, (path.name, tag)
        assert not re.search(r"\son[a-z]+\s*=", html, re.IGNORECASE), path.name
        assert not re.search(r"\sstyle\s*=|<style", html, re.IGNORECASE), path.name
        assert "javascript:" not in html.lower(), path.name


EVIL_CLAIM = "Tin </script><script>alert(1)</script> <!-- nóng: giá điện tăng 40% & hơn"


def test_jsonld_cannot_close_its_script_element(db, tmp_path):
    assert "<" not in jsonld_text({"a": "</script><!--"}) and json.loads(jsonld_text({"a": "</script>&"})) == {
        "a": "</script>&"}
    app = _app_with_users(db)
    fc = fcs.create_factcheck(db, EVIL_CLAIM, "true", editor="bientap")
    fcs.publish_factcheck(db, fc.id, "bientap")
    page = _login(app, "bientap").get(f"/factchecks/{fc.id}").text
    block = re.search(r'<script type="application/ld\+json" id="claimreview-jsonld">(.*?)</script>', page, re.S)
    assert block is not None and "<" not in block.group(1)
    assert json.loads(block.group(1)) == to_claimreview(db, fc.id, site="http://testserver")
    assert page.count("<script") == 3  # htmx, site.js and the data block: the claim added none
    # the CLI export is safe to paste into a page as well
    path = tmp_path / "x.db"
    other = Database(str(path))
    f2 = fcs.create_factcheck(other, EVIL_CLAIM, "true", editor="lan")
    fcs.publish_factcheck(other, f2.id, "lan")
    other.close()
    out = tmp_path / "cr.json"
    assert run_cli_in_process(path, "factchecks", "export", "-o", str(out)) == 0
    text = out.read_text(encoding="utf-8")
    assert "</" not in text and "<!--" not in text
    assert json.loads(text)["@graph"][0]["claimReviewed"] == EVIL_CLAIM
