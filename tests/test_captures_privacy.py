"""Kept copies and ``hash_authors``: a page served by a real local HTTP server names its author in every
way a page can (meta tags, JSON-LD, a byline, @handles, an e-mail address, profile and post links, a
comment); captured with hashing on, no stored blob, table row or WARC record holds any of them in clear
(the screenshot is read back by OCR), and the original bytes' SHA-256 stays the capture's figure. With
hashing off the page is kept verbatim."""

from __future__ import annotations

import gzip
import hashlib
import io
import zlib

import pytest
from test_captures import Clock, _fetcher, _Server

from kiemchung.captures import blob as capture_blob
from kiemchung.captures import capture_url, get_capture
from kiemchung.captures.warc import read_response

PAGE = """<!doctype html><html lang="vi"><head><meta charset="utf-8">
<title>Đê Lam Sơn vỡ? Bài của Trịnh Văn Khuê</title>
<meta name="author" content="Trịnh Văn Khuê">
<meta property="article:author" content="https://www.facebook.com/khue.trinh.lamson">
<meta name="twitter:creator" content="@khue_lamson">
<meta property="profile:username" content="khuetrinh88">
<link rel="author" href="/tac-gia/trinh-van-khue">
<script type="application/ld+json">{"@context": "https://schema.org", "@type": "NewsArticle",
 "headline": "Đê sông Lam Sơn bị vỡ trong đêm",
 "author": {"@type": "Person", "name": "Trịnh Văn Khuê", "sameAs": ["https://x.com/khue_lamson"]},
 "creator": "Hoàng Thị Nhạn", "publisher": {"@type": "Organization", "name": "Báo Lam Sơn"}}</script>
</head><body>
<p class="byline">Phóng viên: Hoàng Thị Nhạn</p>
<h1>Đê sông Lam Sơn bị vỡ trong đêm</h1>
<p>Người dân truyền tay nhau tin đê sông Lam Sơn bị vỡ, nước tràn vào ba xã. Tài khoản @nhan_hoang_99
chia sẻ đầu tiên, sau đó trang https://www.tiktok.com/@ba.dao.lamson/video/7312345678901234567 đăng lại.
Ủy ban tỉnh chưa xác nhận thông tin này và đề nghị người dân chờ thông báo chính thức.</p>
<p>Liên hệ tác giả: <a href="mailto:khue.trinh@baolamson.example">khue.trinh@baolamson.example</a>,
<a href="https://www.facebook.com/khue.trinh.lamson">trang cá nhân</a>,
<a href="https://x.com/khue_lamson/status/1790000000000000001">bài trên X</a>.</p>
<!-- bien tap: khuetrinh88 -->
</body></html>"""

# Every identifier planted above, in the forms a scan must not find (lower case; handles without @).
CLEAR = ("trịnh văn khuê", "hoàng thị nhạn", "khue.trinh.lamson", "khue_lamson", "khuetrinh88",
         "trinh-van-khue", "nhan_hoang_99", "ba.dao.lamson", "khue.trinh@baolamson.example")


def _texts(data: bytes) -> list[str]:
    """The readings of a stored value a person (or a tool) could get: as is, gunzipped (WARC, every
    member), zlib-inflated (documents.raw)."""
    out = [data]
    if data[:2] == b"\x1f\x8b":
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as fh:
            out.append(fh.read())
    else:
        try:
            out.append(zlib.decompress(data))
        except zlib.error:
            pass
    return [d.decode("utf-8", "replace").lower() for d in out]


def _everything_stored(db) -> list[tuple[str, str]]:
    """(where, text) for every blob file and every value of every table of the store."""
    import sqlalchemy as sa

    found: list[tuple[str, str]] = []
    if db.path is not None:
        for f in (db.path.parent / "bang-chung").rglob("*"):
            if f.is_file():
                found += [(f"blob {f.name}", t) for t in _texts(f.read_bytes())]
    with db.read() as conn:
        meta = sa.MetaData()
        meta.reflect(bind=conn)
        for table in meta.sorted_tables:
            for row in conn.execute(sa.select(table)):
                for col, value in row._mapping.items():
                    if value is None:
                        continue
                    if isinstance(value, (bytes, memoryview)):
                        found += [(f"{table.name}.{col}", t) for t in _texts(bytes(value))]
                    else:
                        found.append((f"{table.name}.{col}", str(value).lower()))
    return found


@pytest.fixture
def server():
    with _Server() as srv:
        srv.page = PAGE.encode("utf-8")
        yield srv


def test_hashing_on_keeps_no_author_identifier_anywhere(any_db, server):
    from kiemchung.captures import screenshot

    shots = screenshot.available() and any_db.path is not None  # one chromium run is enough
    with _fetcher() as f:
        c = capture_url(any_db, server.base + "/bai-dang", factcheck_id=3, fetcher=f, screenshots=shots,
                        clock=Clock())
    assert c.status == "done", c.last_error
    # the integrity figure is the original's; the original bytes are nowhere
    assert c.content_sha256 == hashlib.sha256(server.page).hexdigest() and c.size == len(server.page)
    assert c.redacted and c.meta["original_sha256"] == c.content_sha256 and c.meta["redactions"] >= 9
    html = capture_blob(any_db, c, "html")
    assert html != server.page and hashlib.sha256(html).hexdigest() == c.kept_sha256 != c.content_sha256
    leaks = [(where, name) for where, text in _everything_stored(any_db) for name in CLEAR if name in text]
    assert leaks == []
    assert server.page.decode().lower() not in [t for _, t in _everything_stored(any_db)]
    # what is kept still reads as the page: the claim, the outlet, hashes where the names were
    text = capture_blob(any_db, c, "text").decode()
    assert "Đê sông Lam Sơn bị vỡ" in text and "Ủy ban tỉnh chưa xác nhận" in text
    page = html.decode()
    assert "Báo Lam Sơn" in page and "x.com/i/status/1790000000000000001" in page
    assert "tiktok.com/@/video/7312345678901234567" in page
    # the WARC: the redacted payload, and records that say so with the original's SHA-256
    warc = capture_blob(any_db, c, "warc")
    assert read_response(warc)[2] == html
    from warcio.archiveiterator import ArchiveIterator

    records = {r.rec_type: (r.rec_headers, r.content_stream().read()) for r in ArchiveIterator(io.BytesIO(warc))}
    response, about = records["response"][0], records["metadata"][1]
    assert response.get_header("WARC-Kiemchung-Original-SHA256") == c.content_sha256
    assert "hash_authors" in response.get_header("WARC-Kiemchung-Redacted")
    import json

    note = json.loads(about)
    assert note["redacted"] is True and note["original_payload_sha256"] == c.content_sha256
    assert note["payload_sha256"] == c.kept_sha256
    if shots:
        from kiemchung.images import ocr

        png = capture_blob(any_db, c, "screenshot")
        assert png.startswith(b"\x89PNG")
        if ocr.available() is None:  # None: OCR can run
            seen = ocr.recognize(png).text.lower()
            assert "đê sông lam sơn" in seen and "khuê" not in seen and "nhạn" not in seen


def test_hashing_off_keeps_the_page_verbatim(any_db, server):
    any_db.set_setting("hash_authors", "0")
    with _fetcher() as f:
        c = capture_url(any_db, server.base + "/bai-dang", fetcher=f, screenshots=False, clock=Clock())
    assert c.status == "done" and not c.redacted and "original_sha256" not in c.meta
    assert capture_blob(any_db, c, "html") == server.page and c.kept_sha256 == c.content_sha256
    assert read_response(capture_blob(any_db, c, "warc"))[2] == server.page
    assert "khue.trinh@baolamson.example" in capture_blob(any_db, c, "text").decode()
    # turned on again: the next copy is redacted
    any_db.set_setting("hash_authors", "1")
    with _fetcher() as f:
        again = capture_url(any_db, server.base + "/bai-dang", fetcher=f, screenshots=False, again=True)
    assert again.redacted and "khuê" not in capture_blob(any_db, again, "html").decode().lower()


def test_page_naming_nobody_is_kept_as_fetched(any_db):
    """Hashing on, nothing to take out: the bytes as fetched are kept (no needless re-encoding)."""
    with _Server() as srv:
        srv.page = "<html><head><meta charset='utf-8'><title>Đê vỡ</title></head><body><p>Tin đồn đê vỡ.</p></body></html>".encode()
        with _fetcher() as f:
            c = capture_url(any_db, srv.base + "/bai-dang", fetcher=f, screenshots=False)
    assert c.status == "done" and not c.redacted and capture_blob(any_db, c, "html") == srv.page


def test_api_and_page_say_a_copy_was_redacted(db, server):
    from fastapi.testclient import TestClient

    from kiemchung import users as U
    from kiemchung.web import create_app

    with _fetcher() as f:
        c = capture_url(db, server.base + "/bai-dang", fetcher=f, screenshots=False)
    U.add_user(db, "xem", "matkhau-kiemchung-1", "viewer")
    client = TestClient(create_app(db))
    auth = {"Authorization": f"Bearer {U.create_token(db, 'xem')}"}
    one = client.get(f"/api/v1/captures/{c.id}", headers=auth).json()
    assert one["redacted"] is True and one["content_sha256"] == hashlib.sha256(server.page).hexdigest()
    html = client.get(f"/api/v1/captures/{c.id}/html", headers=auth)
    assert html.headers["content-type"] == "text/html; charset=utf-8" and b"khue_lamson" not in html.content
    client.post("/login", data={"username": "xem", "password": "matkhau-kiemchung-1", "next": "/"})
    assert "hash_authors" in client.get(f"/evidence/{c.id}").text
    assert get_capture(db, c.id).redacted
