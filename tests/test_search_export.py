"""Search exports without a cap, streamed, with every filter incl. collections (issue 16 §4)."""

from __future__ import annotations

import csv
import io
import json

import pytest
from factories import make_doc
from fastapi.testclient import TestClient

from kiemchung import users as U
from kiemchung.ingest import Ingestor
from kiemchung.models import Source
from kiemchung.sources import directory as D
from kiemchung.store.search import iter_hits, search
from kiemchung.web import create_app

pytestmark = pytest.mark.pg_fulltext
PW = "matkhau-manh-123"


@pytest.fixture
def store(any_db):
    """1,234 documents over two sources (more than the old 500 cap and than one batch)."""
    a = any_db.add_source(Source(kind="feed", url="https://nghean-thu.vn/rss", name="Báo Nghệ An thử"))
    b = any_db.add_source(Source(kind="feed", url="https://tw-thu.vn/rss", name="Báo trung ương thử"))
    docs = []
    for i in range(1234):
        src = a if i % 3 == 0 else b
        docs.append(make_doc(f"Lũ lụt số {i} ở xã Lam Sơn", f"Nước dâng bản tin {i}", url=f"https://x{src.id}.vn/{i}.html",
                             day=1 + i % 28, source_id=src.id, author=f"nguoi_viet_{i % 7}"))
    Ingestor(any_db).add(docs)
    D.create_collection(any_db, "báo địa phương Nghệ An")
    D.add_to_collection(any_db, "báo địa phương Nghệ An", [a.id])
    D.create_collection(any_db, "trống")
    return any_db, a, b


def test_iter_hits_returns_every_match_in_batches_newest_first(store):
    db, a, b = store
    hits = list(iter_hits(db, "lu lut", batch=100))
    assert len(hits) == 1234 and len({h.document.id for h in hits}) == 1234
    times = [h.document.published_at for h in hits]
    assert times == sorted(times, reverse=True)
    assert len(list(iter_hits(db, "", batch=97))) == 1234  # a blank query: every document
    assert len(list(iter_hits(db, "lũ lụt", sources=D.collection_source_ids(db, "báo địa phương Nghệ An")))) == 412
    assert list(iter_hits(db, "lu lut", sources=[])) == []
    # the same filters as the page search: a day range, a source, a kind
    import datetime as dt

    vn = dt.timezone(dt.timedelta(hours=7))
    since, until = dt.datetime(2026, 3, 2, tzinfo=vn), dt.datetime(2026, 3, 4, tzinfo=vn)
    ranged = list(iter_hits(db, "lu lut", since=since, until=until, sources=[b.id], batch=7))
    expected = search(db, "lu lut", since=since, until=until, sources=[b.id], limit=500, count=True)
    assert len(ranged) == expected.total and {h.document.id for h in ranged} == {h.document.id for h in expected.hits}
    assert list(iter_hits(db, "lu lut", kinds=["post"])) == []


def _client(db):
    U.add_user(db, "xem", PW, "viewer")
    c = TestClient(create_app(db))
    c.post("/login", data={"username": "xem", "password": PW, "next": "/"})
    return c


def test_web_and_api_export_stream_everything_with_collection_filter(store):
    db, a, b = store
    c = _client(db)
    r = c.get("/search/export", params={"q": "lũ lụt", "format": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == 1234
    # authors are the stored keys: salted hashes, never the handle, while hash_authors is on
    assert all(row["author"] and "nguoi_viet" not in row["author"] for row in rows)
    assert "nguoi_viet" not in r.text
    col = D.get_collection(db, "báo địa phương Nghệ An")
    jl = c.get("/search/export", params={"q": "lu lut", "format": "jsonl", "collection": str(col.id)}).text.splitlines()
    assert len(jl) == 412 and {json.loads(x)["source_id"] for x in jl} == {a.id}
    api = c.get("/api/v1/search/export", params={"q": "", "collection": "báo địa phương Nghệ An"})
    assert api.status_code == 200 and len(api.text.splitlines()) == 412
    assert c.get("/api/v1/search/export", params={"q": "lu lut", "collection": "trống"}).text == ""
    # a bad request fails before anything is streamed, with a clear message
    bad = c.get("/api/v1/search/export", params={"q": "lu", "collection": "không có"})
    assert bad.status_code == 404 and "collection" in bad.text
    bad = c.get("/search/export", params={"q": "-\"tin giả\"", "format": "csv"})
    assert bad.status_code == 400
    # the page search and the API search take the collection too
    page = c.get("/search", params={"q": "lu lut", "collection": str(col.id)})
    assert page.status_code == 200 and "báo địa phương Nghệ An" in page.text
    api_search = c.get("/api/v1/search", params={"q": "lu lut", "collection": col.id, "count": True}).json()
    assert api_search["total"] == 412
    assert c.get("/api/v1/search", params={"q": "lu lut", "collection": "trống", "count": True}).json()["total"] == 0
