"""The real Collector.watch against hostile and healthy local feeds at once, on a real SQLite file.

Healthy feeds must keep their turn while hostile ones fail with a clear reason; failing ones back off;
memory stays bounded; feeds whose ids change on every poll must not grow the store.

The scheduler runs on a fake clock that moves only between ticks, and a tick ends only once the healthy
sources' polls are done: the test checks the scheduler's decisions (who is polled when, by the clock
it is given), never elapsed time, so a busy machine cannot make it fail.
"""

from __future__ import annotations

import datetime as dt
import resource
import threading

import pytest
from hostile_extra import LiveFeedServer
from hostile_server import HostileServer, gzip_bomb
from sqlalchemy import func, select

from kiemchung import timeutil
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
RUN_S = 14.0  # on the fake clock
TICK_S = 0.25
INTERVAL_S = 1


@pytest.fixture
def servers():
    with HostileServer() as hostile, LiveFeedServer(feeds=2, period_s=1.0) as live:
        yield hostile, live


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class FakeTime:
    """The scheduler's clock and sleep: ``sleep`` moves the clock by the tick, after waiting (real time,
    bounded) until the polls of the ``waited`` sources are finished, and stops the loop after ``run_s``."""

    def __init__(self, waited: set[int], stop: threading.Event, run_s: float) -> None:
        self.start = self.now = timeutil.now()
        self.waited = waited
        self.stop = stop
        self.end = self.start + dt.timedelta(seconds=run_s)
        self.in_flight: set[int] = set()
        self.submitted: dict[int, list[float]] = {}
        self.double_submits: list[int] = []
        self.cond = threading.Condition()

    def __call__(self) -> dt.datetime:
        with self.cond:
            return self.now

    def on_submit(self, source: Source, now: dt.datetime) -> None:
        with self.cond:
            if source.id in self.in_flight:
                self.double_submits.append(source.id)
            self.in_flight.add(source.id)
            self.submitted.setdefault(source.id, []).append((now - self.start).total_seconds())

    def on_result(self, result) -> None:
        with self.cond:
            self.in_flight.discard(result.source.id)
            self.cond.notify_all()

    def sleep(self, seconds: float) -> None:
        with self.cond:
            # Generous real-time bound: only a hung healthy poll could reach it (then asserted below).
            self.cond.wait_for(lambda: not (self.in_flight & self.waited), timeout=120)
            assert not (self.in_flight & self.waited), "a healthy source's poll never finished"
            self.now += dt.timedelta(seconds=seconds)
            if self.now >= self.end:
                self.stop.set()


def test_watch_keeps_healthy_sources_on_time_while_hostile_ones_fail(db, servers):
    hostile, live = servers
    # The server builds its 200 MB bomb on first use (seconds of CPU on a busy machine): build it now, so
    # the fetcher's 3 s deadline measures the client refusing the bomb, not the server making it.
    gzip_bomb()
    fetcher = Fetcher(
        FetchSettings(min_interval_s=0.0, retries=0, total_timeout_s=3.0, read_timeout_s=1.5, connect_timeout_s=2.0)
    )
    ids = {}
    for p in list(HOSTILE) + READABLE:
        ids[p] = db.add_source(Source(kind="feed", url=hostile.url(p), name=f"xấu {p}", poll_interval_s=INTERVAL_S)).id
    ids["nolink"] = db.add_source(
        Source(kind="feed", url=live.url_of("/changing-ids-nolink.xml"), name="không link", poll_interval_s=INTERVAL_S)
    ).id
    live_ids = [
        db.add_source(Source(kind="feed", url=live.url(k), name=f"tốt {k}", poll_interval_s=INTERVAL_S)).id for k in range(2)
    ]
    healthy = {*live_ids, ids["nolink"], *(ids[p] for p in READABLE)}
    rss_before = _maxrss_mb()
    stop = threading.Event()
    clock = FakeTime(healthy, stop, RUN_S)
    results = []

    def on_result(result):
        results.append(result)
        clock.on_result(result)

    collector = Collector(db, fetcher=fetcher, workers=4, clock=clock)
    watcher = threading.Thread(
        target=collector.watch,
        kwargs={"tick_s": TICK_S, "stop": stop, "on_result": on_result, "on_submit": clock.on_submit,
                "sleep": clock.sleep},
        daemon=True,
    )
    watcher.start()
    watcher.join(timeout=600)
    fetcher.close()
    assert not watcher.is_alive()
    assert clock.double_submits == []  # a source being polled is never handed to a second worker

    # Healthy feeds: polled at every turn, one interval apart on the scheduler's clock, whatever the
    # hostile feeds next to them do; never failing.
    for sid in healthy:
        times = clock.submitted[sid]
        gaps = [b - a for a, b in zip(times, [*times[1:], RUN_S])]
        assert times[0] == 0.0, (sid, times)
        assert max(gaps) <= INTERVAL_S + TICK_S + 1e-6, (sid, times)
        assert len(times) >= RUN_S / (INTERVAL_S + TICK_S), (sid, times)
    for sid in live_ids:
        src = db.get_source(sid)
        assert src.consecutive_failures == 0 and src.last_error is None
    assert not [r for r in results if r.source.id in live_ids and not r.ok]
    # Every item a feed showed at its last poll is stored.
    with db.read() as conn:
        stored = set(conn.execute(select(t.documents.c.url).where(t.documents.c.source_id.in_(live_ids))).scalars())
    for k in range(2):
        last_poll = live.requests[f"/live/{k}.xml"][-1]
        for i in range(live.visible(last_poll)):
            assert f"https://live{k}.example.vn/tin/{i}" in stored

    # Hostile feeds: failed, with a clear reason and the right kind, and backed off: after the n-th
    # failure in a row the next poll waits interval x 2^n.
    for p, (reasons, kind) in HOSTILE.items():
        src = db.get_source(ids[p])
        assert src.consecutive_failures >= 1, p
        assert src.last_error, p
        assert src.meta.get("last_error_reason") in reasons, (p, src.meta.get("last_error_reason"), src.last_error)
        assert src.failure_kind == kind, (p, src.failure_kind)
        times = clock.submitted[ids[p]]
        gaps = [b - a for a, b in zip(times, times[1:])]
        for n, gap in enumerate(gaps, start=1):
            assert gap >= INTERVAL_S * 2**n - 1e-6, (p, times)
        assert len(times) <= 4, (p, times)  # 2 + 4 + 8 s of back-off fill the 14 s run
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
