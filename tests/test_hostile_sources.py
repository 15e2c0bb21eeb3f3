"""The real Collector.watch against hostile and healthy local feeds at once, on a real SQLite file.

Healthy feeds must keep being polled on time while hostile ones fail with a clear reason; memory stays
bounded; feeds whose ids change on every poll must not grow the store.
"""

from __future__ import annotations

import resource
import threading
import time

import pytest
from hostile_extra import LiveFeedServer
from hostile_server import HostileServer
from sqlalchemy import func, select

from kiemchung.collect import Collector
from kiemchung.models import Source
from kiemchung.sources.http import Fetcher, FetchSettings
from kiemchung.store import schema as t

HOSTILE = {
    # path: (accepted reasons, failure kind)
    "/slowloris-body": ({"timeout"}, "soft"),
    "/slow?delay=30": ({"timeout"}, "soft"),
    "/bomb.xml": ({"decompression_bomb", "too_large"}, "hard"),
    "/big": ({"too_large"}, "hard"),
    "/loop/a": ({"redirect_loop", "too_many_redirects"}, "hard"),
    "/500": ({"http_5xx"}, "soft"),
    "/html-as-feed.xml": ({"not_a_feed"}, "hard"),
}
# Hostile but readable: must be stored without errors.
READABLE = ["/invalid-utf8.xml", "/text-plain.xml", "/changing-ids.xml"]
RUN_S = 14.0
INTERVAL_S = 1


@pytest.fixture
def servers():
    with HostileServer() as hostile, LiveFeedServer(feeds=2, period_s=1.0) as live:
        yield hostile, live


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def test_watch_keeps_healthy_sources_on_time_while_hostile_ones_fail(db, servers):
    hostile, live = servers
    fetcher = Fetcher(
        FetchSettings(min_interval_s=0.0, retries=0, total_timeout_s=3.0, read_timeout_s=1.5, connect_timeout_s=2.0)
    )
    collector = Collector(db, fetcher=fetcher, workers=4)
    ids = {}
    for p in list(HOSTILE) + READABLE:
        ids[p] = db.add_source(Source(kind="feed", url=hostile.url(p), name=f"xấu {p}", poll_interval_s=INTERVAL_S)).id
    ids["nolink"] = db.add_source(
        Source(kind="feed", url=live.url_of("/changing-ids-nolink.xml"), name="không link", poll_interval_s=INTERVAL_S)
    ).id
    live_ids = [
        db.add_source(Source(kind="feed", url=live.url(k), name=f"tốt {k}", poll_interval_s=INTERVAL_S)).id for k in range(2)
    ]
    rss_before = _maxrss_mb()
    stop = threading.Event()
    results = []
    watcher = threading.Thread(
        target=collector.watch, kwargs={"tick_s": 0.2, "stop": stop, "on_result": results.append}, daemon=True
    )
    start = time.time()
    watcher.start()
    time.sleep(RUN_S)
    stop.set()
    watcher.join(timeout=30)
    fetcher.close()
    assert not watcher.is_alive()

    # Healthy feeds: polled throughout, never more than a few seconds apart, never failing.
    for k, sid in enumerate(live_ids):
        times = [x for x in live.requests.get(f"/live/{k}.xml", []) if x >= start]
        gaps = [b - a for a, b in zip([start, *times], [*times, start + RUN_S])]
        assert len(times) >= RUN_S / (INTERVAL_S + 1.5), (k, len(times))
        assert max(gaps) < 4.0, (k, max(gaps))
        src = db.get_source(sid)
        assert src.consecutive_failures == 0 and src.last_error is None
    assert not [r for r in results if r.source.id in live_ids and not r.ok]
    # Every item published more than 3 s before the end is stored.
    with db.read() as conn:
        stored = set(conn.execute(select(t.documents.c.url).where(t.documents.c.source_id.in_(live_ids))).scalars())
    published = live.visible(start + RUN_S - 3)
    for k in range(2):
        for i in range(published):
            assert f"https://live{k}.example.vn/tin/{i}" in stored

    # Hostile feeds: failed, with a clear reason and the right kind.
    for p, (reasons, kind) in HOSTILE.items():
        src = db.get_source(ids[p])
        assert src.consecutive_failures >= 1, p
        assert src.last_error, p
        assert src.meta.get("last_error_reason") in reasons, (p, src.meta.get("last_error_reason"), src.last_error)
        assert src.failure_kind == kind, (p, src.failure_kind)
    for p in READABLE:
        src = db.get_source(ids[p])
        assert src.consecutive_failures == 0 and src.last_success_at is not None, (p, src.last_error)

    # Changing ids: polled many times, the store does not grow.
    with db.read() as conn:
        per_source = dict(
            conn.execute(select(t.documents.c.source_id, func.count()).group_by(t.documents.c.source_id)).all()
        )
    assert hostile.count("/changing-ids.xml") >= 3
    assert per_source.get(ids["/changing-ids.xml"]) == 3
    assert len(live.requests["/changing-ids-nolink.xml"]) >= 3
    assert per_source.get(ids["nolink"]) == 3, per_source.get(ids["nolink"])

    # Memory: a 200 MB gzip bomb and 50 MB bodies were refused without holding them.
    assert _maxrss_mb() - rss_before < 400, (rss_before, _maxrss_mb())
