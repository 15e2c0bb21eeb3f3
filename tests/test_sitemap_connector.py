"""The ``sitemap`` connector against a local HTTP server serving recorded-shape sitemaps
(tests/fixtures/sitemaps: an index, a news sitemap, monthly archives) and article pages."""

from __future__ import annotations

import datetime as dt
import gzip
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from kiemchung.collect import Collector
from kiemchung.models import Source
from kiemchung.sources.connectors import sitemap as sitemap_mod
from kiemchung.sources.http import Fetcher, FetchSettings
from kiemchung.timeutil import VN_TZ

FIXTURES = Path(__file__).parent / "fixtures" / "sitemaps"
NOW = dt.datetime(2026, 12, 5, 10, 0, tzinfo=VN_TZ)


def article(title: str) -> bytes:
    para = f"<p>{title}. Theo tin từ chính quyền địa phương, công việc được triển khai trong tuần qua với sự tham gia của nhiều đơn vị.</p>"
    return (f'<html lang="vi"><head><meta charset="utf-8"><title>{title}</title></head>'
            f"<body><article><h1>{title}</h1>{para * 4}</article></body></html>").encode()


class Site:
    """A news site: ``pages[path] = (status, body, content type)``; requests are counted per path."""

    def __init__(self) -> None:
        self.pages: dict[str, tuple[int, bytes, str]] = {}
        self.hits: dict[str, int] = {}
        self.lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # silence
                pass

            def do_GET(self):
                path = self.path.split("?")[0]
                with site.lock:
                    site.hits[path] = site.hits.get(path, 0) + 1
                status, body, ctype = site.pages.get(path, (404, b"khong co", "text/plain"))
                etag = f'"{hash(body) & 0xFFFFFFFF:x}"'
                if status == 200 and self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                if status == 200:
                    self.send_header("ETag", etag)
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.pages["/robots.txt"] = (200, b"User-agent: *\nDisallow: /private/\n", "text/plain")

    def xml(self, path: str, name: str, **replace: str) -> None:
        text = (FIXTURES / name).read_text("utf-8").replace("{base}", self.base)
        for old, new in replace.items():
            text = text.replace(old, new)
        self.pages[path] = (200, text.encode(), "application/xml; charset=utf-8")

    def article(self, path: str, title: str, status: int = 200) -> None:
        self.pages[path] = (status, article(title), "text/html; charset=utf-8")


@pytest.fixture
def site():
    s = Site()
    s.thread.start()
    yield s
    s.server.shutdown()
    s.server.server_close()


@pytest.fixture
def collector(db):
    fetcher = Fetcher(FetchSettings(min_interval_s=0.0, retries=0, total_timeout_s=5.0, read_timeout_s=2.0))
    yield Collector(db, fetcher=fetcher, clock=lambda: NOW)
    fetcher.close()


ARTICLES = {
    "/thoi-su/cau-moi-thong-xe-4801.html": "Cầu mới ở Lâm Sơn thông xe sớm hai tháng",
    "/xa-hoi/mua-lu-mien-trung-4800.html": "Mưa lũ ở miền Trung ba huyện sơ tán dân",
    "/suc-khoe/tiem-chung-4785.html": "Tiêm chủng mở rộng cho trẻ em",
    "/van-hoa/le-hoi-4780.html": "Lễ hội làng nghề mở cửa",
    "/thoi-su/bai-thang-muoi-mot-4500.html": "Bài của tháng mười một",
}


def serve_site(site: Site) -> None:
    site.xml("/sitemap.xml", "sitemap_index.xml")
    for name in ("news.xml", "2026-12.xml", "2026-11.xml"):
        site.xml(f"/sitemaps/{name}", name)
    for path, title in ARTICLES.items():
        site.article(path, title)
    # A news entry whose page is a PDF: stored from the sitemap's title and date, nothing lost.
    site.pages["/kinh-te/gia-lua-tang-4799.html"] = (200, b"%PDF-1.4 ...", "application/pdf")
    # A page that is down for now: kept in the cursor and fetched again at the next poll.
    site.article("/giao-duc/truong-hoc-moi-4790.html", "Trường học mới khánh thành", status=503)


def test_index_news_and_archives_then_only_what_is_new(db, site, collector):
    serve_site(site)
    src = db.add_source(Source(kind="sitemap", url=site.base + "/sitemap.xml", name="Báo Ví Dụ"))
    first = collector.poll(src)
    assert first.ok, first.error
    titles = {d.title for d in db.iter_documents()}
    assert first.stats.added == 6 == db.count_documents()  # 7 URLs, one of them down
    assert "Cầu mới ở Lâm Sơn thông xe sớm hai tháng" in titles and "Giá lúa tăng ở đồng bằng" in titles
    by_url = {d.url.rsplit("/", 1)[-1]: d for d in db.iter_documents()}
    cau = by_url["cau-moi-thong-xe-4801.html"]
    assert cau.published_at == dt.datetime(2026, 12, 5, 9, 10, tzinfo=VN_TZ)
    assert cau.meta["sitemap_publication"] == "Báo Ví Dụ" and db.get_document(cau.id).source_name == "Báo Ví Dụ"
    assert by_url["gia-lua-tang-4799.html"].meta.get("full_text_error")
    src = db.get_source(src.id)
    # Broken dates (a Vietnamese phrase, month 13) and the page that was down are named in health.
    assert "ngày hỏng" in src.last_problem and "broken dates" in src.last_problem
    assert "truong-hoc-moi-4790" in src.last_problem and src.healthy and src.consecutive_failures == 0
    assert src.cursor["since"] == "2026-12-05T09:10:00+07:00"
    assert src.cursor["retry"] == [[site.base + "/giao-duc/truong-hoc-moi-4790.html", 1]]
    assert site.hits["/thoi-su/cau-moi-thong-xe-4801.html"] == 1  # listed twice, fetched once
    health = subprocess.run([sys.executable, "-m", "kiemchung.cli", "--db", str(db.path), "sources", "health"],
                            capture_output=True, text=True, timeout=120, env={**os.environ, "COLUMNS": "400"})
    assert health.returncode == 0 and "ngày hỏng" in health.stdout and "sơ đồ trang" in health.stdout

    # The site updates an article (its news date moves), the page that was down is back; the archives,
    # older than the cursor, are not read again.
    site.xml("/sitemaps/news.xml", "news.xml", **{"2026-12-05T09:10:00+07:00": "2026-12-05T09:40:00+07:00"})
    site.xml("/sitemap.xml", "sitemap_index.xml", **{"2026-12-05T09:15:00+07:00": "2026-12-05T09:45:00+07:00"})
    site.article("/giao-duc/truong-hoc-moi-4790.html", "Trường học mới khánh thành")
    second = collector.poll(db.get_source(src.id))
    assert second.ok and second.fetched == 2 and second.stats.added == 1 and db.count_documents() == 7
    assert site.hits["/sitemaps/2026-11.xml"] == 1 and site.hits["/sitemaps/2026-12.xml"] == 1
    assert site.hits["/thoi-su/cau-moi-thong-xe-4801.html"] == 2  # its date moved: fetched, stored once
    assert site.hits["/van-hoa/le-hoi-4780.html"] == 1  # undated entries are fetched once
    src = db.get_source(src.id)
    assert src.cursor["since"] == "2026-12-05T09:40:00+07:00" and src.cursor["retry"] == []

    third = collector.poll(src)  # nothing changed: a conditional GET, nothing fetched
    assert third.ok and third.not_modified and db.count_documents() == 7


def test_a_sitemap_that_changed_shape_is_a_clear_error_and_keeps_the_cursor(db, site, collector):
    serve_site(site)
    src = db.add_source(Source(kind="sitemap", url=site.base + "/sitemaps/2026-11.xml", name="Lưu trữ"))
    assert collector.poll(src).stats.added == 1
    site.pages["/sitemaps/2026-11.xml"] = (200, article("Trang chủ mới"), "text/html; charset=utf-8")
    res = collector.poll(db.get_source(src.id))
    assert not res.ok and res.error.reason == "changed_shape" and "sitemap changed shape" in str(res.error)
    src = db.get_source(src.id)
    assert src.consecutive_failures == 1 and "sơ đồ trang" in src.last_error
    assert src.cursor["since"] == "2026-11-20T10:00:00+07:00" and db.count_documents() == 1


def test_gzip_first_poll_takes_the_newest_then_the_rest_oldest_first(db, site, collector, monkeypatch):
    monkeypatch.setattr(sitemap_mod, "MAX_PAGES", 2)
    urls = "".join(
        f"<url><loc>{site.base}/bai-{i}.html</loc><lastmod>2026-12-0{i}T08:00:00+07:00</lastmod></url>"
        for i in range(1, 6)
    )
    body = f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
    site.pages["/sitemap.xml.gz"] = (200, gzip.compress(body.encode()), "application/x-gzip")
    for i in range(1, 6):
        site.article(f"/bai-{i}.html", f"Bài số {i} về công trình")
    src = db.add_source(Source(kind="sitemap", url=site.base + "/sitemap.xml.gz"))
    assert collector.poll(src).stats.added == 2  # the two newest of a first poll, not the whole archive
    assert {d.url[-10:] for d in db.iter_documents()} == {"bai-4.html", "bai-5.html"}
    urls = urls.replace("2026-12-05T08:00", "2026-12-05T09:00") + "".join(
        f"<url><loc>{site.base}/moi-{i}.html</loc><lastmod>2026-12-05T09:3{i}:00+07:00</lastmod></url>"
        for i in range(3)
    )
    body = f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
    site.pages["/sitemap.xml.gz"] = (200, gzip.compress(body.encode()), "application/x-gzip")
    for i in range(3):
        site.article(f"/moi-{i}.html", f"Tin mới số {i} trong ngày")
    src = db.get_source(src.id)
    assert collector.poll(src).stats.added == 1  # bai-5 again (its date moved), then moi-0
    assert collector.poll(db.get_source(src.id)).stats.added == 2  # moi-1, moi-2
    assert site.hits.get("/bai-1.html") is None  # older than the first poll's window: never fetched
    assert db.count_documents() == 5


def test_robots_and_the_address_guard_apply_to_every_page(db, site, collector):
    body = (f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<url><loc>{site.base}/private/mat.html</loc><lastmod>2026-12-05T08:00:00+07:00</lastmod></url>"
            f"<url><loc>http://10.0.0.1/noi-bo.html</loc><lastmod>2026-12-05T08:01:00+07:00</lastmod></url>"
            f"<url><loc>{site.base}/cong-khai.html</loc><lastmod>2026-12-05T08:02:00+07:00</lastmod></url></urlset>")
    site.pages["/sitemap.xml"] = (200, body.encode(), "application/xml")
    site.article("/private/mat.html", "Trang riêng")
    site.article("/cong-khai.html", "Trang công khai của sở")
    src = db.add_source(Source(kind="sitemap", url=site.base + "/sitemap.xml"))
    res = collector.poll(src)
    assert res.ok and res.stats.added == 1 and "/private/mat.html" not in site.hits
    problem = db.get_source(src.id).last_problem
    assert "robots_disallowed" in problem and "10.0.0.1" in problem
