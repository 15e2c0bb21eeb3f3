"""The ``jsonfeed`` connector, which docs/sources.md shows whole: the doc's code is the shipped module,
under 80 lines, and it works against a local HTTP server serving JSON Feeds."""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from kiemchung.collect import Collector
from kiemchung.models import Source
from kiemchung.sources.connectors import kinds
from kiemchung.sources.http import Fetcher, FetchSettings

ROOT = Path(__file__).resolve().parents[1]


def test_the_doc_shows_the_whole_shipped_connector_in_under_80_lines():
    doc = (ROOT / "docs" / "sources.md").read_text("utf-8")
    blocks = re.findall(r"```python\n(.*?)```", doc, flags=re.S)
    module = (ROOT / "kiemchung" / "sources" / "connectors" / "jsonfeed.py").read_text("utf-8")
    assert module in blocks, "docs/sources.md must show kiemchung/sources/connectors/jsonfeed.py as it is"
    assert len(module.splitlines()) < 80
    assert "jsonfeed" in kinds()


class FeedSite:
    def __init__(self) -> None:
        self.body = b""
        self.status = 200
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                etag = f'"{hash(site.body) & 0xFFFFFF:x}"'
                if self.path == "/robots.txt" or site.status != 200:
                    self.send_response(404 if self.path == "/robots.txt" else site.status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/feed+json")
                self.send_header("ETag", etag)
                self.send_header("Content-Length", str(len(site.body)))
                self.end_headers()
                self.wfile.write(site.body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/feed.json"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def serve(self, items: list, **extra) -> None:
        self.body = json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "Sở Y tế",
                                "language": "vi", "items": items, **extra}, ensure_ascii=False).encode()


def item(n: int, day: int, **extra) -> dict:
    return {"id": f"so-y-te-{n}", "url": f"https://soyte-lamson.vn/tin/{n}",
            "title": f"Thông báo số {n} của Sở Y tế", "content_html": f"<p>Nội dung thông báo <b>{n}</b>.</p>",
            "date_published": f"2026-12-0{day}T08:00:00+07:00", "authors": [{"name": "Phòng truyền thông"}],
            **extra}


@pytest.fixture
def site():
    s = FeedSite()
    yield s
    s.server.shutdown()
    s.server.server_close()


@pytest.fixture
def collector(db):
    fetcher = Fetcher(FetchSettings(min_interval_s=0.0, retries=0, total_timeout_s=5.0))
    yield Collector(db, fetcher=fetcher)
    fetcher.close()


def test_json_feed_items_since_the_cursor_and_a_changed_shape(db, site, collector):
    site.serve([item(1, 1), item(2, 2), {"title": "không id"}, item(3, 3, date_published="hôm qua")])
    src = db.add_source(Source(kind="jsonfeed", url=site.url, name="Sở Y tế"))
    first = collector.poll(src)
    assert first.ok and first.stats.added == 3
    doc = next(d for d in db.iter_documents() if d.external_id == "so-y-te-2")
    assert doc.body == "Nội dung thông báo 2." and doc.language == "vi"
    assert doc.published_at == dt.datetime(2026, 12, 2, 1, 0, tzinfo=dt.UTC)
    src = db.get_source(src.id)
    assert src.cursor == {"since": "2026-12-02T08:00:00+07:00"}
    assert "item without an id" in src.last_problem and "so-y-te-3" in src.last_problem
    assert collector.poll(src).not_modified  # unchanged: a conditional GET
    site.serve([item(2, 2), item(4, 4)])
    second = collector.poll(db.get_source(src.id))
    assert second.fetched == 1 and second.stats.added == 1 and db.get_source(src.id).last_problem is None
    site.body = b"<html><body>Trang bao tri</body></html>"
    third = collector.poll(db.get_source(src.id))
    assert third.error.reason == "changed_shape" and db.count_documents() == 4
    assert db.get_source(src.id).cursor == {"since": "2026-12-04T08:00:00+07:00"}
