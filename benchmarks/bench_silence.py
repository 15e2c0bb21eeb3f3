"""Silence detection measured on the RSS year: no outlet flagged on the untouched year, and an outlet whose
items are removed from a date on flagged within 2 days of that date.

Run on a COPY of the store made by ``kiemchung import`` of the RSS year (never the original)::

    sqlite3 /work/bench-data/rss/kiemchung.db ".backup /tmp/rss-outlets.db"
    flock /work/bench.lock .venv/bin/python benchmarks/bench_silence.py --db /tmp/rss-outlets.db

The import put all 153,825 items under one source (the file); the feed name of each item is in
``documents.platform`` (7 feeds of 3 outlets). Setup, on the copy: one source per feed name, and each
document moved to its feed's source (as a collector polling those feeds would have stored them).

1. Untouched year: :func:`kiemchung.sources.silence.silent_sources` evaluated every 6 hours from the day
   its baseline is complete to the end; every (source, moment) flagged is a false alarm.
2. Removal: for each feed and each of ``--dates`` start dates spread over the year, the feed's
   documents from that date (00:00 Vietnam time) on are detached from it (``source_id`` NULL: not
   collected from it), the detector runs every 6 hours for 3 days, and the documents are put back.
   Reported: the delay from the date to the first flag, and whether the day it says the source went
   quiet is that date.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sqlite3
import statistics
import time

from kiemchung import timeutil

STEP = dt.timedelta(hours=6)


def prepare(path: str) -> dict[str, int]:
    """One source per feed name (documents.platform) on the copy; returns {feed: source id}."""
    con = sqlite3.connect(path)
    feeds = [r[0] for r in con.execute("SELECT DISTINCT platform FROM documents WHERE platform IS NOT NULL ORDER BY 1")]
    ids = {}
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
    for f in feeds:
        url = "https://bench.invalid/" + f.replace(" ", "-")
        row = con.execute("SELECT id FROM sources WHERE url = ?", (url,)).fetchone()
        if row is None:
            con.execute("INSERT INTO sources (kind, url, name, enabled, poll_interval_s, consecutive_failures, created_at, meta) "
                        "VALUES ('feed', ?, ?, 1, 900, 0, ?, '{}')", (url, f, now))
            row = con.execute("SELECT id FROM sources WHERE url = ?", (url,)).fetchone()
        ids[f] = row[0]
        con.execute("UPDATE documents SET source_id = ? WHERE platform = ? AND (source_id IS NULL OR source_id != ?)",
                    (row[0], f, row[0]))
    con.commit()
    con.close()
    return ids


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", required=True, help="a copy of the RSS-year store (it is modified)")
    ap.add_argument("--dates", type=int, default=6, help="removal start dates per feed")
    args = ap.parse_args()

    from kiemchung.store import Database
    from kiemchung.store import schema as t
    from kiemchung.sources.silence import silent_sources

    feeds = prepare(args.db)
    con = sqlite3.connect(args.db)
    lo, hi = con.execute("SELECT min(fts_rowid), max(fts_rowid) FROM documents").fetchone()
    first = dt.datetime.fromtimestamp(lo >> t.FTS_ID_SHIFT, timeutil.VN_TZ)
    last = dt.datetime.fromtimestamp(hi >> t.FTS_ID_SHIFT, timeutil.VN_TZ)
    day0 = first.replace(hour=0, minute=0, second=0, microsecond=0)
    ready = day0 + dt.timedelta(days=28 + 1)  # the first moment a baseline of 28 whole days exists
    end = last.replace(hour=0, minute=0, second=0, microsecond=0)
    db = Database(args.db)

    # 1. The untouched year.
    t0 = time.perf_counter()
    at, checks, false = ready, 0, []
    while at <= end:
        for s in silent_sources(db, at):
            false.append((s.name, at, s.quiet_since))
        checks += 1
        at += STEP
    per_check = (time.perf_counter() - t0) / max(1, checks)
    print(f"untouched year: {checks} checks every 6 h from {ready:%Y-%m-%d} to {end:%Y-%m-%d}, "
          f"{len(feeds)} feeds: {len(false)} flags ({per_check * 1000:.0f} ms per check)")
    for name, at_, since in false[:20]:
        print(f"  false alarm: {name} at {at_:%Y-%m-%d %H:%M}, quiet since {since}")

    # 2. One feed removed from a date on.
    span = (end - dt.timedelta(days=3)) - (ready + dt.timedelta(days=1))
    dates = [(ready + dt.timedelta(days=1) + span * (k + 0.5) / args.dates).replace(hour=0, minute=0, second=0, microsecond=0)
             for k in range(args.dates)]
    delays, wrong_day, missed, other_flags = [], 0, [], 0
    for feed, sid in sorted(feeds.items()):
        for d in dates:
            bound = t.fts_rowid_bound(d)
            con.execute("UPDATE documents SET source_id = NULL WHERE source_id = ? AND fts_rowid >= ?", (sid, bound))
            con.commit()
            db.close()
            db = Database(args.db)
            found = None
            at = d + STEP
            while at <= d + dt.timedelta(days=3):
                flagged = silent_sources(db, at)
                other_flags += sum(1 for s in flagged if s.source_id != sid)
                mine = [s for s in flagged if s.source_id == sid]
                if mine:
                    found = (at, mine[0])
                    break
                at += STEP
            con.execute("UPDATE documents SET source_id = ? WHERE platform = ? AND fts_rowid >= ?", (sid, feed, bound))
            con.commit()
            if found is None:
                missed.append((feed, d))
                continue
            delays.append((found[0] - d).total_seconds() / 3600)
            if found[1].quiet_since != d.date():
                wrong_day += 1
                print(f"  {feed} removed {d:%Y-%m-%d}: says quiet since {found[1].quiet_since}")
    db.close()
    n = len(feeds) * len(dates)
    within = sum(1 for h in delays if h <= 48)
    print(f"removal: {n} cases ({len(feeds)} feeds × {len(dates)} dates: {', '.join(f'{d:%Y-%m-%d}' for d in dates)})")
    print(f"  flagged within 2 days: {within}/{n}; missed within 3 days: {len(missed)}; "
          f"delay hours: median {statistics.median(delays) if delays else float('nan'):.0f}, max {max(delays, default=float('nan')):.0f}; "
          f"quiet-since day wrong: {wrong_day}; other feeds flagged meanwhile: {other_flags}")
    for feed, d in missed:
        print(f"  missed: {feed} from {d:%Y-%m-%d}")
    print(f"checks every 6 h; machine shared with other helpers (2 cores); measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC")


if __name__ == "__main__":
    main()
