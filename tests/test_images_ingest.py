"""Images arriving with documents: an import file's image column (paths next to the file, URLs through
the guarded client) and feed enclosures; broken images are reported by line, everything else stored.
Real local HTTP server, real store on SQLite and PostgreSQL."""

from __future__ import annotations

import http.server
import threading

import pytest
from imagekit import encoded, picture

from kiemchung.collect import Collector, import_file
from kiemchung.images.ingest import feed_image_refs, split_refs
from kiemchung.images.store import ImageStore
from kiemchung.ingest import Ingestor
from kiemchung.models import Source
from kiemchung.sources.http import Fetcher, FetchSettings

pytestmark = pytest.mark.pg_fulltext


@pytest.fixture
def db(any_db):
    return any_db


class _Files(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        found = self.server.files.get(self.path.split("?")[0])
        if found is None:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        ctype, body = found
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


@pytest.fixture
def server():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Files)
    srv.files = {"/robots.txt": ("text/plain", b"User-agent: *\nAllow: /\n")}
    srv.base = f"http://127.0.0.1:{srv.server_address[1]}"
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield srv
    srv.shutdown()


def test_split_refs_and_feed_refs():
    assert split_refs("a.jpg | b.png; https://x.example/c.webp a.jpg") == ["a.jpg", "b.png", "https://x.example/c.webp"]
    assert split_refs(["https://x.example/1.jpg", {"url": "https://x.example/2.jpg"}]) == [
        "https://x.example/1.jpg", "https://x.example/2.jpg"]
    entry = {"enclosures": [{"href": "/a.jpg", "type": "image/jpeg"}, {"href": "/b.mp3", "type": "audio/mpeg"}],
             "media_content": [{"url": "https://cdn.example/c.png", "medium": "image"},
                               {"url": "javascript:alert(1)", "type": "image/png"}]}
    assert feed_image_refs(entry, "https://bao.example/rss") == ["https://bao.example/a.jpg", "https://cdn.example/c.png"]


def test_import_keeps_the_images_and_reports_broken_ones_by_line(db, tmp_path, server):
    folder = tmp_path / "xuat"
    folder.mkdir()
    (folder / "anh1.jpg").write_bytes(encoded(picture(1), "JPEG"))
    (folder / "hong.jpg").write_bytes(encoded(picture(2), "JPEG")[:300])
    (tmp_path / "ngoai.png").write_bytes(encoded(picture(3), "PNG"))
    server.files["/anh2.png"] = ("image/png", encoded(picture(4), "PNG"))
    server.files["/gia.png"] = ("image/png", b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>")
    rows = [
        ("Bài có ảnh trong thư mục", "anh1.jpg"),
        ("Bài có ảnh hỏng", "hong.jpg"),
        ("Bài có ảnh trên mạng", f"{server.base}/anh2.png"),
        ("Bài có ảnh giả là SVG", f"{server.base}/gia.png"),
        ("Bài có đường dẫn ra ngoài", "../ngoai.png"),
        ("Bài có ảnh không tồn tại", f"{server.base}/khong-co.jpg"),
        ("Bài không có ảnh", ""),
    ]
    csv = folder / "bai.csv"
    csv.write_text("noi_dung,hinh_anh\n" + "".join(f"{t},{i}\n" for t, i in rows), encoding="utf-8")
    report = import_file(db, Ingestor(db), csv, kind="post")
    assert report.stats.added == len(rows) and not report.errors
    assert report.images == 2
    problems = {line: msg for line, msg in report.warnings}
    assert set(problems) == {3, 5, 6, 7}, problems
    assert "Ảnh bị hỏng" in problems[3] and "corrupt" in problems[3]
    assert "Không phải ảnh" in problems[5] and "SVG" in problems[5]
    assert "ngoài thư mục" in problems[6]
    assert all(msg.startswith(f"Dòng {line}:") for line, msg in problems.items())
    store = ImageStore(db)
    by_line = {d.meta["line"]: d.id for d in db.iter_documents()}
    assert len(store.for_target("document", by_line[2])) == 1
    got = store.for_target("document", by_line[4])
    assert len(got) == 1 and store.links(got[0].id)[0]["source_url"] == f"{server.base}/anh2.png"
    assert store.for_target("document", by_line[3]) == [] and store.for_target("document", by_line[8]) == []


RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel><title>Báo thử</title>
<item><title>Lũ cuốn trôi cầu ở xã Tây Hà</title><link>{base}/bai-1.html</link><guid>b1</guid>
<description>Ảnh hiện trường.</description>
<enclosure url="{base}/anh-cau.jpg" type="image/jpeg" length="1"/>
<media:content url="{base}/anh-2.png" medium="image"/>
<enclosure url="{base}/tieng.mp3" type="audio/mpeg" length="1"/></item>
<item><title>Ảnh đã bị xoá khỏi máy chủ</title><link>{base}/bai-2.html</link><guid>b2</guid>
<description>Không còn ảnh.</description><enclosure url="{base}/da-xoa.jpg" type="image/jpeg" length="1"/></item>
</channel></rss>"""


def test_feed_enclosures_of_image_type_are_kept(db, server):
    server.files["/rss.xml"] = ("application/rss+xml", RSS.format(base=server.base).encode("utf-8"))
    server.files["/anh-cau.jpg"] = ("image/jpeg", encoded(picture(10), "JPEG"))
    server.files["/anh-2.png"] = ("image/png", encoded(picture(11), "PNG"))
    server.files["/tieng.mp3"] = ("audio/mpeg", b"ID3" + b"\x00" * 100)
    fetcher = Fetcher(FetchSettings(min_interval_s=0.0, retries=0, total_timeout_s=5.0))
    try:
        result = Collector(db, fetcher=fetcher).poll(db.add_source(Source(kind="feed", url=f"{server.base}/rss.xml",
                                                                          name="Báo thử")))
    finally:
        fetcher.close()
    assert result.ok and result.stats.added == 2
    docs = {d.external_id: d for d in db.iter_documents()}
    store = ImageStore(db)
    kept = store.for_target("document", docs["b1"].id)
    assert [i.mime for i in kept] == ["image/jpeg", "image/png"]
    assert store.for_target("document", docs["b2"].id) == []  # the 404 is logged; the item is stored
