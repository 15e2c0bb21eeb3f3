"""Web caches notice writes made by other processes: the overview panels, the statistics, the sources in
trouble, a story's summary and the watchlist table are keyed on the store's change token, so a second
process (a watcher, a worker on another host) that commits is seen by the next request, not after a TTL.

No clock is advanced here: the TTLs (15 to 60 s) are far longer than the test, so a value served from a
stale cache entry would fail it."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from kiemchung import users
from kiemchung.ingest import Ingestor
from kiemchung.models import Document, Source
from kiemchung.store import Database

ROOT = Path(__file__).resolve().parent.parent

OTHER_PROCESS = textwrap.dedent(
    """
    import sys
    from kiemchung.ingest import Ingestor
    from kiemchung.models import Document
    from kiemchung.store import Database

    db = Database(sys.argv[1])
    Ingestor(db).add([Document(kind="official", title="Thông báo khẩn của Sở Y tế Lam Giang về nước sạch",
                               body="Sở Y tế Lam Giang thông báo lịch cấp nước sạch cho các phường.",
                               url="https://soyte.lamgiang.example.vn/thong-bao-nuoc-sach")])
    source = next(s for s in db.list_sources() if s.name == "Báo Lam Giang")
    for _ in range(3):
        db.record_fetch_failure(source.id, message="HTTP 503 từ máy chủ", reason="http_503", soft=True)
    db.close()
    """
)


# Both backends: the second process writes through its own connection (PostgreSQL: the WAL position is
# the change token; SQLite: data_version). Storing documents needs full-text search on PostgreSQL.
pytestmark = pytest.mark.pg_fulltext


@pytest.fixture
def setup(any_db_target):
    from kiemchung.web import create_app, queries

    queries.clear_cache()
    path = any_db_target
    db = Database(path)
    db.add_source(Source(kind="feed", url="https://baolamgiang.example.vn/rss", name="Báo Lam Giang"))
    Ingestor(db).add([Document(kind="article", title=f"Tin thời sự Lam Giang số {i}",
                               body="Mưa lớn ở các huyện phía tây.", url=f"https://baolamgiang.example.vn/{i}")
                      for i in range(3)])
    users.add_user(db, "doc_gia", "mat-khau-dai-123", "viewer")
    token = users.create_token(db, "doc_gia", "kiểm thử bộ nhớ đệm")
    client = TestClient(create_app(db), headers={"Authorization": f"Bearer {token}"})
    yield path, db, client
    client.close()
    db.close()


def _other_process(path: str) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, "-c", OTHER_PROCESS, str(path)], env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr


def test_overview_and_stats_show_another_process_writes_at_once(setup):
    path, _db, client = setup
    before = client.get("/api/v1/stats").json()
    page = client.get("/").text
    assert before["documents"] == 3
    assert "Thông báo khẩn của Sở Y tế" not in page and "HTTP 503" not in page
    # the values are cached now: a second request is served from the cache
    assert client.get("/api/v1/stats").json()["documents"] == 3
    _other_process(path)
    after = client.get("/api/v1/stats").json()
    assert after["documents"] == 4 and after["by_kind"].get("official") == 1
    page = client.get("/").text
    assert "Thông báo khẩn của Sở Y tế" in page  # the official statements panel
    assert "HTTP 503" in page  # sources in trouble


def test_watchlist_counts_follow_another_process(setup):
    from kiemchung.stories.watchlists import add_watchlist

    path, db, client = setup
    add_watchlist(db, "Nước sạch", '"nước sạch"')
    rows = client.get("/api/v1/watchlists").json()
    assert [(r["name"], r["last_7_days"]) for r in rows] == [("Nước sạch", 0)]
    assert client.get("/api/v1/watchlists").json() == rows  # served from the cache
    _other_process(path)
    rows = client.get("/api/v1/watchlists").json()
    assert [(r["name"], r["last_7_days"]) for r in rows] == [("Nước sạch", 1)]
