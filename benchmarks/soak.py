"""Soak test: run ``Collector.watch`` for a fixed time against healthy and hostile local feeds.

Usage::

    python benchmarks/soak.py --minutes 20 [--feeds 4] [--period 3] [--db /tmp/soak.sqlite] [--tracemalloc 2]
                              [--dedupe-window-minutes 5]

Healthy feeds (``tests/hostile_extra.LiveFeedServer``) publish a new item every ``--period`` seconds;
hostile ones (``tests/hostile_server.HostileServer``) stall, redirect forever, send gzip bombs, 50 MB
bodies, invalid UTF-8, broken XML, 5xx and ids that change on every poll. The script prints documents
ingested, poll errors by reason and kind, RSS memory at start / every minute / at the end, and the
p50/p95/max time from an item's appearance on the server to its being found by
``kiemchung.store.search.search``. With ``--tracemalloc N`` it also takes a tracemalloc snapshot after the
second minute (after the dedupe window has filled, with ``--dedupe-window-minutes``) and at the end and
prints the files and allocation sites that grew most between the two (N frames per traceback; it slows
the run, so use it to find a leak, not for the latency figures).

The near-duplicate index keeps the last 30 days by default, so in a run of minutes it would only grow:
``--dedupe-window-minutes M`` gives the ingestor a window of M minutes, so documents leave the index
during the run as they would after 30 days in production. Every minute the script prints RSS (anonymous
and file-backed), SQLite's heap (``sqlite3_memory_used``: its page caches), Python's traced memory (with ``--tracemalloc``), the entries the index holds and has
evicted, and at the end the growth rate of each over the first and the second half of the run after the
window filled (it must level off). The hostile server's request log (test harness, one entry per
request) is cleared every minute so it does not count as growth.
"""

from __future__ import annotations

import argparse
import collections
import ctypes
import itertools
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from hostile_extra import LiveFeedServer, marker
from hostile_server import HostileServer

from kiemchung.collect import Collector
from kiemchung.dedupe import DedupeSettings
from kiemchung.ingest import Ingestor
from kiemchung.models import Source
from kiemchung.sources.http import Fetcher, FetchSettings
from kiemchung.store import Database
from kiemchung.store.search import search

HOSTILE_PATHS = [
    "/slowloris-body",
    "/slow?delay=30",
    "/bomb.xml",
    "/big",
    "/loop/a",
    "/500",
    "/404",
    "/broken.xml",
    "/invalid-utf8.xml",
    "/changing-ids.xml",
    "/html-as-feed.xml",
    "/text-plain.xml",
]


def rss_mb(field: str = "VmRSS") -> float:
    """Resident memory of this process in MB (Linux /proc): ``VmRSS`` in all, ``RssAnon`` (heap: Python
    objects, SQLite page caches) or ``RssFile`` (file pages mapped in, e.g. SQLite's mmap of the database)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _sqlite_library() -> ctypes.CDLL | None:
    """The SQLite library this process has loaded (for its memory counters), or None."""
    sqlite3.sqlite_version  # noqa: B018 - the module is imported, so its library is mapped
    for line in Path("/proc/self/maps").read_text().splitlines():
        path = line.split()[-1]
        if "libsqlite3" in path:
            lib = ctypes.CDLL(path)
            lib.sqlite3_memory_used.restype = ctypes.c_int64
            return lib
    return None


_SQLITE = _sqlite_library()


def sqlite_heap_mb() -> float:
    """Heap memory SQLite holds in this process (every connection: page caches, schema, statements), MB."""
    return _SQLITE.sqlite3_memory_used() / 2**20 if _SQLITE is not None else float("nan")


def pct(values: list[float], p: float) -> float:
    """The ``p``-th percentile (nearest rank) of ``values``."""
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(p / 100 * len(s)) - 1))]


def slope(points: list[tuple[float, float]], lo: float, hi: float) -> float:
    """Least-squares slope (per minute) of the (minute, value) points with lo <= minute <= hi."""
    pts = [(m, v) for m, v in points if lo <= m <= hi]
    if len(pts) < 2:
        return float("nan")
    mx = sum(m for m, _ in pts) / len(pts)
    my = sum(v for _, v in pts) / len(pts)
    den = sum((m - mx) ** 2 for m, _ in pts)
    return sum((m - mx) * (v - my) for m, v in pts) / den if den else float("nan")


def median_step(points: list[tuple[float, float]], lo: float, hi: float) -> float:
    """Median change per minute between consecutive (minute, value) points in [lo, hi]: one step (a big
    hostile body raising the heap's high-water mark once) does not move it, a steady leak does."""
    pts = [(m, v) for m, v in points if lo <= m <= hi]
    steps = [(b - a) / (mb - ma) for (ma, a), (mb, b) in itertools.pairwise(pts) if mb > ma]
    return statistics.median(steps) if steps else float("nan")


def _print_growth(before: tracemalloc.Snapshot, after: tracemalloc.Snapshot, since: float, top: int = 15) -> None:
    """Print the files and allocation sites whose live memory grew most between two snapshots."""
    skip = [tracemalloc.Filter(False, tracemalloc.__file__), tracemalloc.Filter(False, "<frozen importlib._bootstrap*>")]
    after, before = after.filter_traces(skip), before.filter_traces(skip)
    print(f"\ntracemalloc: files that grew most between minute {since:.0f} and the end")
    for stat in after.compare_to(before, "filename")[:12]:
        print(f"  {stat.size_diff / 1024:+9.1f} KiB (now {stat.size / 1024:9.1f} KiB)  {stat.traceback[0].filename}")
    stats = after.compare_to(before, "traceback")
    print(f"\ntracemalloc: top {top} growth sites between minute {since:.0f} and the end")
    for stat in stats[:top]:
        print(f"  {stat.size_diff / 1024:+9.1f} KiB {stat.count_diff:+7d} blocks (now {stat.size / 1024:.1f} KiB)")
        for line in stat.traceback.format()[-2 * 4 :]:
            print(f"      {line}")


def main(argv: list[str] | None = None) -> int:
    """Run the soak and print its figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=20.0)
    ap.add_argument("--feeds", type=int, default=4)
    ap.add_argument("--period", type=float, default=3.0, help="seconds between new items per feed")
    ap.add_argument("--interval", type=int, default=2, help="poll interval of every source (s)")
    ap.add_argument("--db", type=Path, default=None)
    ap.add_argument("--tracemalloc", type=int, default=0, metavar="FRAMES", help="trace allocations (frames per trace)")
    ap.add_argument(
        "--dedupe-window-minutes", type=float, default=None, metavar="M",
        help="near-duplicate index window in minutes (default: the 30-day production window)",
    )
    args = ap.parse_args(argv)
    settings = DedupeSettings()
    if args.dedupe_window_minutes is not None:
        settings = DedupeSettings(window_days=args.dedupe_window_minutes / 1440)
    # Growth is compared after the window has filled (documents then leave the index as fast as they come).
    settled = 2.0 if args.dedupe_window_minutes is None else max(2.0, args.dedupe_window_minutes + 1)
    if args.tracemalloc:
        tracemalloc.start(args.tracemalloc)
    snapshots: list[tracemalloc.Snapshot] = []

    tmp = tempfile.TemporaryDirectory()
    db_path = args.db or Path(tmp.name) / "soak.sqlite"
    db = Database(db_path)
    live = LiveFeedServer(feeds=args.feeds, period_s=args.period).start()
    hostile = HostileServer().start()
    fetcher = Fetcher(
        FetchSettings(min_interval_s=0.0, retries=0, total_timeout_s=5.0, read_timeout_s=2.0, connect_timeout_s=2.0)
    )
    ingestor = Ingestor(db, dedupe=settings)
    collector = Collector(db, ingestor, fetcher=fetcher, workers=4)
    for k in range(args.feeds):
        db.add_source(Source(kind="feed", url=live.url(k), name=f"Nguồn sống {k}", poll_interval_s=args.interval))
    for p in HOSTILE_PATHS:
        db.add_source(Source(kind="feed", url=hostile.url(p), name=f"Nguồn xấu {p}", poll_interval_s=args.interval))
    live_ids = {s.id for s in db.list_sources() if "/live/" in s.url}

    errors: collections.Counter[str] = collections.Counter()
    polls = collections.Counter()
    lock = threading.Lock()

    def on_result(res) -> None:  # type: ignore[no-untyped-def]
        with lock:
            polls["live" if res.source.id in live_ids else "hostile"] += 1
            if res.error is not None:
                kind = "soft" if res.error.soft else "hard"
                errors[f"{res.error.reason}/{kind}"] += 1
                if res.source.id in live_ids:
                    errors["LIVE-SOURCE-FAILED"] += 1

    stop = threading.Event()
    t0 = time.time()
    memory = [(0.0, rss_mb())]
    series: dict[str, list[tuple[float, float]]] = {"rss": [], "anon": [], "sqlite": [], "traced": [], "held": []}
    watcher = threading.Thread(target=collector.watch, kwargs={"tick_s": 0.5, "stop": stop, "on_result": on_result})
    watcher.start()

    latencies: list[float] = []
    found: set[tuple[int, int]] = set()
    deadline = t0 + args.minutes * 60
    next_mem = t0 + 60
    search_errors = 0
    while time.time() < deadline:
        time.sleep(0.25)
        now = time.time()
        n = live.visible(now)
        for k in range(args.feeds):
            for i in range(max(0, n - 30), n):
                if (k, i) in found:
                    continue
                try:
                    hit = search(db, marker(k, i), limit=1).hits
                except Exception as exc:  # recorded and counted: a soak must report, not die
                    search_errors += 1
                    print(f"search error: {exc!r}", file=sys.stderr)
                    continue
                if hit:
                    found.add((k, i))
                    latencies.append(time.time() - live.appear_time(i))
        if now >= next_mem:
            minute = round((now - t0) / 60, 1)
            memory.append((minute, rss_mb()))
            with hostile._lock:  # harness bookkeeping, not the code under test
                hostile.requests.clear()
            index = collector.ingestor.index
            held, evicted = len(index), index.evicted
            series["rss"].append((minute, memory[-1][1]))
            series["anon"].append((minute, rss_mb("RssAnon")))
            series["sqlite"].append((minute, sqlite_heap_mb()))
            series["held"].append((minute, held))
            traced = ""
            if args.tracemalloc:
                series["traced"].append((minute, tracemalloc.get_traced_memory()[0] / 2**20))
                traced = f", traced {series['traced'][-1][1]:.1f} MB"
            size = db_path.stat().st_size + sum(p.stat().st_size for p in db_path.parent.glob(db_path.name + "-wal"))
            print(
                f"[{minute:5.1f} min] RSS {memory[-1][1]:.1f} MB (anon {rss_mb('RssAnon'):.1f}, file "
                f"{rss_mb('RssFile'):.1f}, SQLite heap {series['sqlite'][-1][1]:.1f}){traced}, documents {db.count_documents()}, index holds {held} "
                f"(evicted {evicted}), database {size / 2**20:.1f} MB",
                flush=True,
            )
            if args.tracemalloc and not snapshots and now - t0 >= settled * 60:
                snapshots.append(tracemalloc.take_snapshot())
            next_mem += 60
    stop.set()
    watcher.join(timeout=30)
    if args.tracemalloc and snapshots:
        _print_growth(snapshots[0], tracemalloc.take_snapshot(), settled)
    elapsed = time.time() - t0
    memory.append((round(elapsed / 60, 1), rss_mb()))
    published = args.feeds * live.visible(t0 + elapsed - 2 * args.interval - 1)
    missing = sum(1 for k in range(args.feeds) for i in range(live.visible(t0 + elapsed - 2 * args.interval - 1)) if (k, i) not in found)

    print(f"\nsoak: {elapsed / 60:.1f} min, {args.feeds} healthy feeds (+1 item/{args.period}s each), {len(HOSTILE_PATHS)} hostile")
    print(f"documents stored: {db.count_documents()}  (healthy items published >= {2 * args.interval + 1}s before end: {published}, not found: {missing})")
    print(f"polls: {dict(polls)}")
    print("poll errors by reason/kind:")
    for key, n in errors.most_common():
        print(f"  {key:30s} {n}")
    print(f"search errors: {search_errors}")
    print("RSS MB (minute, MB): " + ", ".join(f"({m}, {v:.0f})" for m, v in memory))
    window = "30 days" if args.dedupe_window_minutes is None else f"{args.dedupe_window_minutes:g} minutes"
    index = collector.ingestor.index
    print(f"near-duplicate index (window {window}): holds {len(index)} documents, evicted {index.evicted}")
    end = elapsed / 60
    mid = (settled + end) / 2
    print(
        f"growth per minute after the window filled, least squares (minute {settled:g} to {mid:.1f} | {mid:.1f} "
        f"to {end:.1f}) and median minute-to-minute step over the whole stretch:"
    )
    for name, unit in (("rss", "MB"), ("anon", "MB"), ("sqlite", "MB"), ("traced", "MB"), ("held", "documents")):
        if series[name]:
            print(
                f"  {name:7s} {slope(series[name], settled, mid):+8.3f} | {slope(series[name], mid, end):+8.3f} "
                f"| median {median_step(series[name], settled, end):+8.3f} {unit}/min"
            )
    print(
        f"appearance->searchable latency s: n={len(latencies)} p50={statistics.median(latencies) if latencies else float('nan'):.2f} "
        f"p95={pct(latencies, 95):.2f} max={max(latencies, default=float('nan')):.2f}"
    )
    for src in db.list_sources():
        if src.id not in live_ids:
            print(f"  {src.url.split('/', 3)[-1]:22s} failures={src.consecutive_failures:3d} kind={src.failure_kind} reason={src.meta.get('last_error_reason')}")
    fetcher.close()
    hostile.stop()
    live.stop()
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
