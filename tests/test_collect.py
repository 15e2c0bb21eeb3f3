"""Collection against a real local HTTP server: polling, conditional GET, health, one bad source."""

from __future__ import annotations

import pytest
from hostile_server import HostileServer

from kiemchung.collect import Collector
from kiemchung.models import Source
from kiemchung.sources.http import Fetcher, FetchSettings

# Every test here that takes ``db`` runs on SQLite and on PostgreSQL (tests/conftest.py: any_db).
pytestmark = pytest.mark.pg_fulltext


@pytest.fixture
def db(any_db):
    return any_db


@pytest.fixture
def server():
    with HostileServer() as srv:
        yield srv


@pytest.fixture
def collector(db):
    fetcher = Fetcher(FetchSettings(min_interval_s=0.0, retries=0, total_timeout_s=5.0, read_timeout_s=2.0))
    yield Collector(db, fetcher=fetcher)
    fetcher.close()


def add(db, url, name):
    return db.add_source(Source(kind="feed", url=url, name=name))


def test_poll_stores_items_then_uses_conditional_get(db, server, collector):
    src = add(db, server.url("/conditional.xml"), "Báo thử")
    first = collector.poll(src)
    assert first.ok and first.stats.added == first.fetched > 0
    src = db.get_source(src.id)
    assert src.etag == '"v1-abc"' and src.last_success_at is not None
    second = collector.poll(src)
    assert second.not_modified and second.stats.added == 0
    assert server.headers_of("/conditional.xml")[-1].get("If-None-Match") == '"v1-abc"'
    assert db.count_documents() == first.fetched
    doc = db.get_document(1)
    assert doc.source_name == "Báo thử" and doc.published_at is not None and doc.raw is None
    assert db.get_document(1, with_raw=True).raw  # the feed entry as received


def test_a_broken_source_is_marked_and_the_others_keep_going(db, server, collector):
    good = add(db, server.url("/rss.xml"), "Tốt")
    html = add(db, server.url("/html-as-feed.xml"), "Không phải feed")
    down = add(db, server.url("/500"), "Lỗi máy chủ")
    results = {r.source.name: r for r in collector.poll_many([good, html, down])}
    assert results["Tốt"].ok and results["Tốt"].stats.added > 0
    assert not results["Không phải feed"].ok and not results["Lỗi máy chủ"].ok
    html, down = db.get_source(html.id), db.get_source(down.id)
    assert html.failure_kind == "hard" and html.meta["last_error_reason"] == "not_a_feed" and not html.healthy
    assert down.failure_kind == "soft" and down.meta["last_error_reason"] == "http_5xx" and down.healthy
    assert down.last_error and "500" in down.last_error or "máy chủ" in down.last_error.lower()
    # Failing sources back off: the broken one is not due again at once, the good one neither.
    assert collector.due() == []


def test_feed_with_changing_ids_does_not_grow_the_store(db, server, collector):
    src = add(db, server.url("/changing-ids.xml"), "Đổi id")
    for _ in range(3):
        collector.poll(db.get_source(src.id))
    assert db.count_documents() == 3


def test_official_feed_documents_take_the_sources_kind(db, server, collector):
    src = db.add_source(Source(kind="feed", url=server.url("/atom.xml"), name="UBND", meta={"doc_kind": "official"}))
    collector.poll(src)
    assert {db.get_document(i).kind for i in range(1, db.count_documents() + 1)} == {"official"}


# -- web sources ------------------------------------------------------------------------------------


def test_web_source_is_polled_and_stored_once(db, server, collector):
    """A `web` source added in the UI is polled like a feed: its page's article is stored, and polling
    again never duplicates it."""
    page = db.add_source(Source(kind="web", url=server.url("/page.html"), name="Sở Y tế"))
    assert [s.id for s in collector.due()] == [page.id]
    first = collector.poll(page)
    assert first.ok and first.fetched == 1 and first.stats.added == 1
    doc = db.get_document(first.stats.added_ids[0])
    assert doc.source_name == "Sở Y tế" and doc.kind == "article" and len(doc.body) > 100
    again = collector.poll(db.get_source(page.id))
    assert again.ok and again.stats.added == 0 and db.count_documents() == 1
    assert db.get_source(page.id).last_success_at is not None
    assert collector.due() == []  # polled: next time after its interval


def test_web_source_that_is_not_a_page_is_a_hard_error(db, server, collector):
    src = db.add_source(Source(kind="web", url=server.url("/image.png"), name="Ảnh"))
    res = collector.poll(src)
    assert not res.ok and res.error.reason == "not_html"
    assert db.get_source(src.id).failure_kind == "hard"


def test_add_url_site_label_is_not_polled(db, server, collector):
    doc, stats = collector.add_url(server.url("/page.html"))
    assert stats.added == 1
    site = db.get_source(doc.source_id)
    assert site.kind == "web" and site.meta.get("manual")
    assert collector.due() == [] and collector.polled_sources() == []
    # Older databases: a web source that holds documents but was never polled was made by add-url.
    from kiemchung.ingest import Ingestor
    from kiemchung.models import Document

    legacy = db.add_source(Source(kind="web", url=server.url("/"), name="cũ"))
    Ingestor(db).add([Document(url=server.url("/bai-cu.html"), title="Bài cũ", body="Nội dung cũ của bài.",
                               source_id=legacy.id, source_name="cũ")])
    assert collector.polled_sources() == []
    fresh = db.add_source(Source(kind="web", url=server.url("/page-deep.html"), name="mới"))
    assert [s.id for s in collector.polled_sources()] == [fresh.id]


def test_add_url_refuses_file_urls(collector):
    from kiemchung.errors import FetchError

    with pytest.raises(FetchError) as err:
        collector.add_url("file:///etc/passwd")
    assert err.value.reason == "bad_url"
