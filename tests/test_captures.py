"""Kept evidence (kiemchung.captures): pages fetched through the guarded client from real local HTTP
servers, kept as content-addressed blobs with a WARC record and a chromium screenshot; hostile pages
(huge, redirected to a refused address, slow, failing) give a clear failed or retried capture."""

from __future__ import annotations

import datetime as dt
import re
import hashlib
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from kiemchung.captures import (
    capture_pending,
    capture_url,
    get_capture,
    list_captures,
    request_capture,
    take_capture,
)
from kiemchung.captures import blob as capture_blob
from kiemchung.captures.warc import read_response
from kiemchung.sources.http import FetchSettings, Fetcher
from kiemchung.netguard import AddressPolicy
from kiemchung.store.blobs import BlobStore

PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0000003010100c9fe92ef0000000049454e44ae426082"
)


class _Server:
    """A local HTTP server with the routes the tests need; counts requests per path."""

    def __init__(self, host: str = "127.0.0.1", page: bytes = b"") -> None:
        self.counts: dict[str, int] = {}
        self.page = page
        self.stop = threading.Event()
        self.fail_first = 1
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _send(self, status, ctype, body, extra=()):
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for k, v in extra:
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):  # noqa: N802
                path = self.path.split("?")[0]
                outer.counts[path] = outer.counts.get(path, 0) + 1
                if path == "/bai-dang":
                    self._send(200, "text/html; charset=utf-8", outer.page, [("Set-Cookie", "sid=secret")])
                elif path == "/kieu.css":
                    self._send(200, "text/css", b"h1{color:#b00020}")
                elif path in ("/anh.png", "/canary.png"):
                    self._send(200, "image/png", PNG_1PX)
                elif path == "/sang-noi-bo":
                    self._send(302, "text/plain", b"", [("Location", outer.private_target)])
                elif path == "/qua-lon":
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html")
                    self.end_headers()
                    chunk = b"<p>" + b"x" * 65536 + b"</p>"
                    try:
                        for _ in range(400):  # 26 MB if nobody stops reading
                            self.wfile.write(chunk)
                    except OSError:
                        pass
                elif path == "/cham":
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html")
                    self.end_headers()
                    try:
                        while not outer.stop.wait(0.2):
                            self.wfile.write(b" ")
                            self.wfile.flush()
                    except OSError:
                        pass
                elif path == "/chap-chon":
                    if outer.fail_first > 0:
                        outer.fail_first -= 1
                        self._send(503, "text/plain", b"busy")
                    else:
                        self._send(200, "text/html; charset=utf-8", b"<html><body><h1>Nay \xc4\x91\xc3\xa3 v\xe1\xbb\x81</h1></body></html>")
                elif path == "/mat":
                    self._send(404, "text/plain", b"gone")
                else:
                    self._send(404, "text/plain", b"no")

        self.httpd = ThreadingHTTPServer((host, 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://{host}:{self.httpd.server_address[1]}"
        self.private_target = "http://10.11.12.13/noi-bo"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()


PAGE = """<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>Đê Lam Sơn vỡ? Tin đồn</title>
<link rel="stylesheet" href="/kieu.css"><link rel="prefetch" href="{canary}/prefetch">
</head><body><h1>Đê sông Lam Sơn bị vỡ trong đêm</h1>
<p>Người dân truyền tay nhau tin đê sông Lam Sơn bị vỡ, nước tràn vào ba xã. Ủy ban tỉnh chưa xác nhận
thông tin này và đề nghị người dân chờ thông báo chính thức của cơ quan chức năng.</p>
<p>Bài đăng có hình ảnh nước dâng cao ở một cánh đồng, được chia sẻ hàng nghìn lần trong buổi sáng.</p>
<img src="/anh.png" alt="ảnh"><img src="{canary}/canary.png"><iframe src="{canary}/khung"></iframe>
<script>fetch("{canary}/script"); new Image().src = "{canary}/beacon";</script>
</body></html>"""


def _fetcher(**over) -> Fetcher:
    s = FetchSettings(min_interval_s=0.0, retries=0, backoff_base_s=0.01, **over)
    return Fetcher(s, policy=AddressPolicy.build())  # the env allow-list: 127.0.0.1 and localhost


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 11, 20, 8, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def servers():
    with _Server("127.0.0.2") as canary, _Server() as srv:
        srv.page = PAGE.format(canary=canary.base).encode()
        srv.private_target = canary.base + "/noi-bo"  # 127.0.0.2: outside the tests' allow-list
        yield srv, canary


def test_capture_keeps_html_text_warc_with_hash_and_time(any_db, servers):
    srv, canary = servers
    clock = Clock()
    with _fetcher() as f:
        c = capture_url(any_db, srv.base + "/bai-dang", fetcher=f, screenshots=False, clock=clock, actor="cli:test")
    assert c.status == "done", c.last_error
    assert c.fetched_at == clock.now and c.http_status == 200
    assert c.content_sha256 == hashlib.sha256(srv.page).hexdigest() and c.size == len(srv.page)
    assert capture_blob(any_db, c, "html") == srv.page
    text = capture_blob(any_db, c, "text").decode()
    assert "Đê sông Lam Sơn" in text and "<p>" not in text
    assert c.title.startswith("Đê")
    uri, status, payload, date = read_response(capture_blob(any_db, c, "warc"))
    assert (uri, status, payload, date) == (srv.base + "/bai-dang", 200, srv.page, "2026-11-20T08:00:00Z")
    assert b"sid=secret" not in capture_blob(any_db, c, "warc")  # cookies are not kept
    assert canary.counts == {}
    # asked again: the same capture, no second fetch
    again = request_capture(any_db, srv.base + "/bai-dang", factcheck_id=7)
    assert again.id == c.id and ("factcheck", 7) in again.links and srv.counts["/bai-dang"] == 1
    assert [x.id for x in list_captures(any_db, url=srv.base + "/bai-dang")] == [c.id]


def test_blobs_are_content_addressed(any_db):
    store = BlobStore(any_db)
    name = store.put(b"ban luu")
    assert name == hashlib.sha256(b"ban luu").hexdigest()
    assert store.put(b"ban luu") == name and store.get(name) == b"ban luu" and store.exists(name)
    if any_db.path is not None:  # SQLite: a file next to the database
        assert (any_db.path.parent / "bang-chung" / name[:2] / name).read_bytes() == b"ban luu"


def test_redirect_to_refused_address_fails_without_retry(any_db, servers):
    srv, canary = servers
    with _fetcher() as f:
        c = capture_url(any_db, srv.base + "/sang-noi-bo", fetcher=f, screenshots=False)
    assert c.status == "failed" and c.last_error_reason == "private_address"
    assert canary.counts == {}  # the refused host was never contacted
    assert c.content_sha256 is None


def test_huge_page_is_cut_off(any_db, servers):
    srv, _ = servers
    with _fetcher(max_bytes=1024 * 1024) as f:
        c = capture_url(any_db, srv.base + "/qua-lon", fetcher=f, screenshots=False)
    assert c.status == "failed" and c.last_error_reason == "too_large"


def test_slow_page_times_out_and_is_retried_later(any_db, servers):
    srv, _ = servers
    clock = Clock()
    c = request_capture(any_db, srv.base + "/cham", clock=clock)
    with _fetcher(total_timeout_s=1.0, read_timeout_s=1.0) as f:
        assert capture_pending(any_db, fetcher=f, screenshots=False, clock=clock) == 1
        c = get_capture(any_db, c.id)
        assert c.status == "pending" and c.attempts == 1 and c.last_error_reason == "timeout"
        assert c.next_attempt_at > clock.now
        # not due yet: nothing is attempted
        assert capture_pending(any_db, fetcher=f, screenshots=False, clock=clock) == 0


def test_soft_failure_retried_then_kept(any_db, servers):
    srv, _ = servers
    clock = Clock()
    c = request_capture(any_db, srv.base + "/chap-chon", clock=clock)
    with _fetcher() as f:
        capture_pending(any_db, fetcher=f, screenshots=False, clock=clock)
        assert get_capture(any_db, c.id).status == "pending"
        clock.now += dt.timedelta(hours=1)
        capture_pending(any_db, fetcher=f, screenshots=False, clock=clock)
    c = get_capture(any_db, c.id)
    assert c.status == "done" and c.attempts == 2 and "Nay đã về" in capture_blob(any_db, c, "text").decode()


def test_gives_up_after_max_attempts(any_db, servers):
    from kiemchung.captures import MAX_ATTEMPTS

    srv, _ = servers
    srv.fail_first = 100
    clock = Clock()
    c = request_capture(any_db, srv.base + "/chap-chon", clock=clock)
    with _fetcher() as f:
        for _ in range(MAX_ATTEMPTS + 2):
            capture_pending(any_db, fetcher=f, screenshots=False, clock=clock)
            clock.now += dt.timedelta(days=1)
    c = get_capture(any_db, c.id)
    assert c.status == "failed" and c.attempts == MAX_ATTEMPTS and c.last_error_reason == "http_5xx"
    # a failed capture asked for again is a new one
    assert request_capture(any_db, srv.base + "/chap-chon").id != c.id


def test_not_found_fails_at_once(any_db, servers):
    srv, _ = servers
    with _fetcher() as f:
        c = capture_url(any_db, srv.base + "/mat", fetcher=f, screenshots=False)
    assert c.status == "failed" and c.attempts == 1 and c.last_error_reason == "http_4xx"


def test_take_capture_is_idempotent(any_db, servers):
    srv, _ = servers
    c = request_capture(any_db, srv.base + "/bai-dang")
    with _fetcher() as f:
        first = take_capture(any_db, c.id, fetcher=f, screenshots=False)
        second = take_capture(any_db, c.id, fetcher=f, screenshots=False)
    assert first.status == second.status == "done" and srv.counts["/bai-dang"] == 1


def test_bad_url_is_a_clear_error(any_db):
    from kiemchung.errors import ConfigError

    with pytest.raises(ConfigError, match="http"):
        request_capture(any_db, "file:///etc/passwd")
    with pytest.raises(ConfigError):
        request_capture(any_db, "javascript:alert(1)")


def test_screenshot_renders_stored_html_without_reaching_refused_hosts(db, servers):
    from kiemchung.captures import screenshot

    if not screenshot.available():
        pytest.skip("Debian chromium or playwright not installed")
    srv, canary = servers
    with _fetcher() as f:
        c = capture_url(db, srv.base + "/bai-dang", fetcher=f)
    assert c.status == "done", c.last_error
    png = capture_blob(db, c, "screenshot")
    assert png.startswith(b"\x89PNG")
    # the page was fetched once (the screenshot used the stored HTML); its style and image came through
    # the guarded client; the host outside the allow-list got nothing: not the image, the prefetch, the
    # iframe, the script's fetch or its beacon
    assert srv.counts["/bai-dang"] == 1 and srv.counts.get("/kieu.css") == 1 and srv.counts.get("/anh.png") == 1
    assert canary.counts == {}
    assert c.meta["screenshot_notes"]["refused"] >= 2


# ----------------------------------------------------------------------------- when pages are kept; the web


PW = "matkhau-kiemchung-1"


def _published_fc(db, claim: str, evidence_url: str):
    from kiemchung.claims import factchecks as fcs

    fc = fcs.create_factcheck(db, claim, "false", "Không có sự việc này.", editor="bientap", evidence=[evidence_url])
    return fcs.publish_factcheck(db, fc.id, "bientap")


def test_confirming_an_alert_and_citing_a_page_ask_for_copies(db, servers):
    from factories import make_doc
    from sqlalchemy import insert

    from kiemchung import users as U
    from kiemchung.claims.alerts import set_alert_status
    from kiemchung.claims.tables import alerts
    from kiemchung.ingest import Ingestor
    from kiemchung.timeutil import now
    from kiemchung.web import factcheck_actions as fa

    srv, _ = servers
    U.add_user(db, "bientap", PW, "editor")
    editor = U.get_user(db, "bientap")
    fc = fa.create_factcheck(db, editor, "Đê sông Lam Sơn bị vỡ trong đêm", verdict="false",
                             evidence=[srv.base + "/chap-chon"])
    [cited] = list_captures(db, factcheck_id=fc.id)
    assert cited.status == "pending" and cited.url == srv.base + "/chap-chon" and ("factcheck", fc.id) in cited.links
    Ingestor(db).add([make_doc("Đê vỡ", "Đê sông Lam Sơn bị vỡ", url=srv.base + "/bai-dang")])
    doc_id = db.max_document_id()
    from kiemchung.store import schema as t

    with db.write() as conn:  # ingest stores canonical https links; the local server speaks http
        conn.execute(t.documents.update().where(t.documents.c.id == doc_id).values(url=srv.base + "/bai-dang"))
    with db.write() as conn:
        alert_id = conn.execute(insert(alerts).values(doc_id=doc_id, factcheck_id=fc.id, score=0.9, reason=[],
                                                      status="new", created_at=now())).inserted_primary_key[0]
    set_alert_status(db, alert_id, "confirmed", actor=editor)
    post = next(c for c in list_captures(db, alert_id=alert_id))
    assert post.url == srv.base + "/bai-dang" and ("alert", alert_id) in post.links
    assert {c.id for c in list_captures(db, factcheck_id=fc.id)} == {cited.id, post.id}
    assert srv.counts.get("/bai-dang") is None  # asked for, not fetched in the request
    # turned off: nothing is asked for
    db.set_setting("evidence_capture", "0")
    fa.update_factcheck(db, editor, fc.id, {"evidence": [srv.base + "/chap-chon", srv.base + "/mat"]})
    assert [c for c in list_captures(db) if c.url.endswith("/mat")] == []


def test_background_stage_takes_pending_captures(db, servers):
    from kiemchung.pipeline import run_slow_round

    srv, _ = servers
    c = request_capture(db, srv.base + "/bai-dang")
    assert run_slow_round(db, ner=False)["captures"] == 1
    assert get_capture(db, c.id).status == "done"
    assert run_slow_round(db, ner=False)["captures"] == 0


def test_editor_shows_kept_copies_and_serves_parts_safely(db, servers):
    from fastapi.testclient import TestClient

    from kiemchung import users as U
    from kiemchung.web import create_app

    srv, _ = servers
    U.add_user(db, "bientap", PW, "editor")
    U.add_user(db, "xem", PW, "viewer")
    fc = _published_fc(db, "Đê sông Lam Sơn bị vỡ trong đêm", srv.base + "/bai-dang")
    with _fetcher() as f:
        kept = capture_url(db, srv.base + "/bai-dang", factcheck_id=fc.id, fetcher=f, screenshots=False)
        failed = capture_url(db, srv.base + "/sang-noi-bo", factcheck_id=fc.id, fetcher=f, screenshots=False)
    app = create_app(db)
    viewer = TestClient(app)
    viewer.post("/login", data={"username": "xem", "password": PW, "next": "/"})
    page = viewer.get(f"/factchecks/{fc.id}").text
    assert 'id="captures"' in page and kept.content_sha256[:12] in page
    assert f'href="/evidence/{kept.id}/warc"' in page and f'href="/evidence/{kept.id}/html"' in page
    assert "địa chỉ mạng nội bộ bị chặn" in page  # the failed one, with its reason labelled
    assert "Lưu ngay" not in page  # a viewer has no buttons
    en = viewer.get(f"/evidence/{kept.id}?lang=en").text
    assert "Kept copy of a page" in en and kept.content_sha256 in en
    text = viewer.get(f"/evidence/{kept.id}/text")
    assert text.headers["content-type"].startswith("text/plain") and "Đê sông Lam Sơn" in text.text
    html = viewer.get(f"/evidence/{kept.id}/html")
    assert html.content == srv.page
    csp = html.headers["content-security-policy"]
    assert csp.startswith("sandbox;") and "default-src 'none'" in csp and "script" not in csp
    warc = viewer.get(f"/evidence/{kept.id}/warc")
    assert warc.headers["content-disposition"] == f'attachment; filename="ban-luu-{kept.id}.warc.gz"'
    assert read_response(warc.content)[2] == srv.page
    assert viewer.get(f"/evidence/{failed.id}/warc").status_code == 404
    assert viewer.get(f"/evidence/{kept.id}/passwd").status_code == 404
    assert viewer.get("/evidence/99999").status_code == 404
    # the editor keeps a new copy of the same page, and asks for another page
    ed = TestClient(app)
    ed.post("/login", data={"username": "bientap", "password": PW, "next": "/"})
    csrf = re.search(r'name="csrf" value="([^"]+)"', ed.get(f"/factchecks/{fc.id}").text).group(1)
    r = ed.post(f"/evidence/{kept.id}/take", data={"csrf": csrf, "again": "1"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] != f"/evidence/{kept.id}"
    assert srv.counts["/bai-dang"] == 2
    r = ed.post(f"/factchecks/{fc.id}/captures", data={"csrf": csrf, "url": "javascript:alert(1)"})
    assert r.status_code == 400 and "http" in r.text


def test_report_links_the_copies_kept_in_its_period(db, servers):
    from kiemchung.reports.build import build_report
    from kiemchung.reports.period import parse_period
    from kiemchung.reports.render import render_html, render_markdown

    srv, _ = servers
    clock = Clock()  # 20/11/2026
    with _fetcher() as f:
        c = capture_url(db, srv.base + "/bai-dang", factcheck_id=1, fetcher=f, screenshots=False, clock=clock)
        capture_url(db, srv.base + "/chap-chon", fetcher=f, screenshots=False, clock=clock)  # linked to nothing
    md = render_markdown(build_report(db, parse_period("2026-11")))
    assert f"kiemchung evidence show {c.id}" in md and c.content_sha256[:16] in md and "/chap-chon" not in md
    db.set_setting("site_url", "https://kiemchung.tinh.gov.vn")
    html = render_html(build_report(db, parse_period("2026-11")))
    assert f'<a href="https://kiemchung.tinh.gov.vn/evidence/{c.id}">' in html
    assert f"evidence show {c.id}" not in render_markdown(build_report(db, parse_period("2026-10")))


@pytest.mark.parametrize("direction", ["to_pg", "to_sqlite"])
def test_migrate_db_carries_the_kept_pages(tmp_path, pg_url, servers, direction):
    from kiemchung.store import Database
    from kiemchung.store.migrate import migrate_database

    srv, _ = servers
    source, target = (tmp_path / "kc.db", pg_url) if direction == "to_pg" else (pg_url, tmp_path / "kc.db")
    with Database(source) as src:
        with _fetcher() as f:
            c = capture_url(src, srv.base + "/bai-dang", fetcher=f, screenshots=False)
        assert migrate_database(src, target).ok
    with Database(target) as dest:
        moved = get_capture(dest, c.id)
        assert capture_blob(dest, moved, "html") == srv.page
        assert read_response(capture_blob(dest, moved, "warc"))[2] == srv.page


def test_cli_capture_list_show_export(tmp_path, servers):
    import subprocess
    import sys
    from pathlib import Path

    srv, canary = servers
    root = Path(__file__).resolve().parents[1]
    db_path = tmp_path / "kc.db"

    def kc(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "kiemchung.cli", "--db", str(db_path), *args],
                              capture_output=True, text=True, timeout=300, cwd=root)

    ok = kc("evidence", "capture", srv.base + "/bai-dang")
    assert ok.returncode == 0, ok.stderr
    sha = hashlib.sha256(srv.page).hexdigest()
    assert "Bản lưu #1" in ok.stdout and "đã lưu (kept)" in ok.stdout and sha in ok.stdout
    refused = kc("evidence", "capture", canary.base + "/noi-bo")
    assert refused.returncode == 1 and "địa chỉ mạng nội bộ bị chặn (private address refused)" in refused.stderr
    assert "không lưu được (failed)" in refused.stdout and canary.counts == {}
    bad = kc("evidence", "capture", "file:///etc/passwd")
    assert bad.returncode == 1 and "Traceback" not in bad.stderr and "http" in bad.stderr
    listed = kc("evidence", "list")
    assert sha[:16] in listed.stdout and "/noi-bo" in listed.stdout
    out = tmp_path / "ban-luu.warc.gz"
    assert kc("evidence", "export", "1", "--part", "warc", "--out", str(out)).returncode == 0
    assert read_response(out.read_bytes())[2] == srv.page
    assert kc("evidence", "export", "2", "--part", "html").returncode == 1  # nothing kept for the failed one


def test_api_lists_describes_serves_and_asks_for_copies(db, servers):
    from fastapi.testclient import TestClient
    from factories import make_doc
    from sqlalchemy import insert

    from kiemchung import users as U
    from kiemchung.audit import entries as audit_entries
    from kiemchung.claims.tables import alerts
    from kiemchung.ingest import Ingestor
    from kiemchung.store import schema as t
    from kiemchung.timeutil import now
    from kiemchung.web import create_app

    srv, _ = servers
    U.add_user(db, "bientap", PW, "editor")
    U.add_user(db, "xem", PW, "viewer")
    fc = _published_fc(db, "Đê sông Lam Sơn bị vỡ trong đêm", srv.base + "/bai-dang")
    Ingestor(db).add([make_doc("Đê vỡ", "Đê sông Lam Sơn bị vỡ", url=srv.base + "/chap-chon")])
    doc_id = db.max_document_id()
    with db.write() as conn:  # ingest stores canonical https links; the local server speaks http
        conn.execute(t.documents.update().where(t.documents.c.id == doc_id).values(url=srv.base + "/chap-chon"))
        alert_id = conn.execute(insert(alerts).values(doc_id=doc_id, factcheck_id=fc.id, score=0.9, reason=[],
                                                      status="new", created_at=now())).inserted_primary_key[0]
    clock = Clock()
    with _fetcher() as f:
        kept = capture_url(db, srv.base + "/bai-dang", factcheck_id=fc.id, fetcher=f, screenshots=False, clock=clock)
    app = create_app(db)
    anon = TestClient(app)
    assert anon.get("/api/v1/captures").status_code == 401  # kept copies: signed-in users only
    assert anon.get(f"/api/v1/captures/{kept.id}/text").status_code == 401
    viewer = {"Authorization": f"Bearer {U.create_token(db, 'xem')}"}
    editor = {"Authorization": f"Bearer {U.create_token(db, 'bientap')}"}
    c = TestClient(app)
    one = c.get(f"/api/v1/captures/{kept.id}", headers=viewer).json()
    assert one["status"] == "done" and one["content_sha256"] == hashlib.sha256(srv.page).hexdigest()
    assert one["fetched_at"].startswith("2026-11-20T08:00:00") and one["http_status"] == 200
    assert one["links"] == [{"target": "factcheck", "id": fc.id}] and one["status_label"]
    assert set(one["parts"]) == {"html", "text", "warc"}  # no screenshot taken here
    by_fc = c.get(f"/api/v1/factchecks/{fc.id}/captures", headers=viewer).json()
    assert [x["id"] for x in by_fc] == [kept.id]
    assert [x["id"] for x in c.get("/api/v1/captures", params={"url": srv.base + "/bai-dang"},
                                   headers=viewer).json()] == [kept.id]
    text = c.get(f"/api/v1/captures/{kept.id}/text", headers=viewer)
    assert text.headers["content-type"] == "text/plain; charset=utf-8" and "Đê sông Lam Sơn" in text.text
    warc = c.get(f"/api/v1/captures/{kept.id}/warc", headers=viewer)
    assert warc.headers["content-type"] == "application/gzip"
    assert warc.headers["content-disposition"] == f'attachment; filename="ban-luu-{kept.id}.warc.gz"'
    assert read_response(warc.content)[2] == srv.page
    html = c.get(f"/api/v1/captures/{kept.id}/html", headers=viewer)
    assert html.content == srv.page and html.headers["content-security-policy"].startswith("sandbox;")
    assert c.get(f"/api/v1/captures/{kept.id}/screenshot", headers=viewer).status_code == 404
    assert c.get(f"/api/v1/captures/{kept.id}/passwd", headers=viewer).status_code == 422
    assert c.get("/api/v1/captures/99999", headers=viewer).status_code == 404
    assert c.get("/api/v1/documents/99999/captures", headers=viewer).status_code == 404
    # asking: editors only, audited, taken later by the background stage; linked to the alert
    ask = {"url": srv.base + "/chap-chon", "alert_id": alert_id}
    assert c.post("/api/v1/captures", json=ask, headers=viewer).status_code == 403
    assert c.post("/api/v1/captures", json={**ask, "alert_id": 99999}, headers=editor).status_code == 404
    r = c.post("/api/v1/captures", json=ask, headers=editor)
    assert r.status_code == 202 and r.json()["status"] == "pending", r.text
    asked = r.json()["id"]
    assert srv.counts.get("/chap-chon") is None  # not fetched in the request
    logged = [e for e in audit_entries(db) if e["action"] == "capture.request" and e["object"] == f"capture:{asked}"]
    assert logged and logged[0]["user"] == "bientap" and logged[0]["after"]["alert"] == alert_id
    assert [x["id"] for x in c.get(f"/api/v1/documents/{doc_id}/captures", headers=viewer).json()] == [asked]
    assert {x["id"] for x in c.get("/api/v1/captures", params={"factcheck_id": fc.id},
                                   headers=viewer).json()} == {kept.id, asked}
    bad = c.post("/api/v1/captures", json={"url": "javascript:alert(1)//x"}, headers=editor)
    assert bad.status_code == 400 and "http" in bad.json()["detail"]
