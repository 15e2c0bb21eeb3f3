"""Attention as a share over a year, on the user's path: ``kiemchung attention Q1..Q5 --since --until --csv``.

Target (issue 16): 5 queries, one year, daily, on the RSS year's 153,825 documents, under 1 s. Run on a
COPY of the store made by ``kiemchung import`` of the RSS year (never the original)::

    sqlite3 /work/bench-data/rss/kiemchung.db ".backup /tmp/rss.db"
    flock /work/bench.lock .venv/bin/python benchmarks/bench_attention.py --db /tmp/rss.db

Prints, best of ``--repeat`` runs each (the first run of each also warms the OS cache):
- the command end to end (a new process: start-up, opening the store, 5 full-text grouped counts, the
  denominator, CSV out);
- the library call alone (``kiemchung.stories.attention.attention``) in this process;
- the baseline in the same run: the same work in plain ``sqlite3`` (the 5 FTS5 MATCH queries grouped by
  day with the backend's own MATCH text, and the grouped count of all documents), and the command's own
  start-up (``kiemchung --help``);
and the ratios between them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

QUERIES = ["bão", '"giá vàng"', "Trump", '"bóng đá"', '"sạt lở"']
KIEMCHUNG = Path(sys.executable).parent / "kiemchung"


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", required=True, help="a copy of the RSS-year store")
    ap.add_argument("--since", default="2025-08-22")
    ap.add_argument("--until", default="2026-08-22")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    from kiemchung import timeutil
    from kiemchung.store import Database
    from kiemchung.store import schema as t
    from kiemchung.store.search import compile_tree
    from kiemchung.stories.attention import attention

    cmd = [str(KIEMCHUNG), "--db", args.db, "attention", *QUERIES, "--since", args.since, "--until", args.until, "--csv"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rows = out.splitlines()
    cli = best(lambda: subprocess.run(cmd, capture_output=True, check=True), args.repeat)
    startup = best(lambda: subprocess.run([str(KIEMCHUNG), "--help"], capture_output=True, check=True), args.repeat)

    since = timeutil.day_start(args.since)
    until = timeutil.day_start(args.until)
    db = Database(args.db)
    res = attention(db, QUERIES, since, until)
    lib = best(lambda: attention(db, QUERIES, since, until), args.repeat)
    matches = [db.backend.fts_expression(compile_tree(q, accented=False)) for q in QUERIES]
    db.close()

    lo, hi = t.fts_rowid_bound(since), t.fts_rowid_bound(until)
    shift = t.FTS_ID_SHIFT

    def plain() -> None:
        con = sqlite3.connect(args.db)
        day = f"(((rowid >> {shift}) + 25200) / 86400)"
        for m in matches:
            con.execute(f"SELECT {day}, count(*) FROM documents_fts WHERE documents_fts MATCH ? "
                        "AND rowid >= ? AND rowid < ? GROUP BY 1", (m, lo, hi)).fetchall()
        dday = f"(((fts_rowid >> {shift}) + 25200) / 86400)"
        con.execute(f"SELECT {dday}, count(*) FROM documents WHERE fts_rowid >= ? AND fts_rowid < ? GROUP BY 1",
                    (lo, hi)).fetchall()
        con.close()

    raw = best(plain, args.repeat)
    n_docs = sum(res.totals)
    print(f"attention, {len(QUERIES)} queries × {len(res.buckets)} days ({args.since} → {args.until}), "
          f"{n_docs} documents in the period; matches: "
          + ", ".join(f"{s.query} {s.total}" for s in res.series))
    print(f"CSV rows: {len(rows) - 1} (+ header)")
    print(f"kiemchung attention (command, end to end): {cli:.3f} s  [target < 1 s: {'OK' if cli < 1 else 'MISSED'}]")
    print(f"  library call alone: {lib:.3f} s")
    print(f"baseline, same run: plain sqlite3 same queries {raw:.3f} s; kiemchung --help start-up {startup:.3f} s")
    print(f"ratios: library / plain sqlite3 = x{lib / raw:.2f}; command - start-up = {cli - startup:.3f} s")
    print(f"best of {args.repeat}; machine shared with other helpers (2 cores); measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC")


if __name__ == "__main__":
    main()
