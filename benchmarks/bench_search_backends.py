"""Benchmark: search on PostgreSQL against SQLite over the same documents (issue 13 target).

    flock /work/bench.lock python benchmarks/bench_search_backends.py [--limit N] [--years 10]
        [--pg postgresql://user:pw@host/db] [--queries 200] [--keep DIR]

The RSS year (``../shared/data/rss-2025-2026.jsonl.gz``, or its first ``--limit`` items) goes through
``Ingestor`` into a SQLite store and a PostgreSQL store (the real ingest path, timed), then is copied
``--years - 1`` more times inside each database, shifted back one year per copy (documents and
full-text rows, by SQL), so ``--years 10`` gives ~1.5 million documents. Then the 200 mixed queries
of ``bench_ingest.py`` (half without diacritics, a quarter phrases) run through ``search()`` on both,
newest-first and by relevance (cache off), and p50/p95/max are printed with the PostgreSQL/SQLite ratio.
Without ``--pg`` a throwaway cluster is started with ``tests/pgserver.py`` (and removed at the end).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_ingest import make_queries, stream_lines, to_document  # noqa: E402
from sqlalchemy import text as sql  # noqa: E402

from kiemchung.ingest import Ingestor  # noqa: E402
from kiemchung.store import Database  # noqa: E402
from kiemchung.store import schema as t  # noqa: E402
from kiemchung.store.search import search  # noqa: E402

YEAR_S = 365 * 86400
COLS = [c.name for c in t.documents.c]


def ingest(db: Database, limit: int | None) -> float:
    start = time.perf_counter()
    Ingestor(db).add(to_document(json.loads(line), line) for line in stream_lines(limit))
    return time.perf_counter() - start


def replicate(db: Database, years: int) -> float:
    """Copy the documents and their full-text rows ``years - 1`` times, each copy one year earlier."""
    start = time.perf_counter()
    with db.read() as conn:
        top = conn.execute(sql("SELECT max(id) FROM documents")).scalar()
    fts_cols = "title_acc, body_acc, title_fold, body_fold" if db.is_sqlite else "acc, fold"
    for k in range(1, years):
        shift = (k * YEAR_S) << t.FTS_ID_SHIFT
        off = k * (top + 1)
        cols = ", ".join(COLS)
        sel = ", ".join(
            f"id + {off}" if c == "id" else f"substr(doc_key, 1, 56) || '~{k}'" if c == "doc_key"
            else f"fts_rowid - {shift}" if c == "fts_rowid" else "NULL" if c in ("raw", "minhash", "dup_group") else c
            for c in COLS
        )
        with db.write() as conn:
            conn.execute(sql(f"INSERT INTO documents ({cols}) SELECT {sel} FROM documents WHERE id <= {top}"))
            conn.execute(sql(
                f"INSERT INTO documents_fts (rowid, {fts_cols}) SELECT rowid - {shift}, {fts_cols} FROM documents_fts "
                f"WHERE rowid IN (SELECT fts_rowid FROM documents WHERE id <= {top})"
            ))
        print(f"  copy {k}: {time.perf_counter() - start:.0f} s", flush=True)
    if db.is_sqlite:
        with db.write() as conn:
            conn.execute(sql("INSERT INTO documents_fts(documents_fts) VALUES('optimize')"))
    else:
        with db.write_engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(sql("VACUUM ANALYZE"))
    return time.perf_counter() - start


def run_queries(db: Database, queries: list[str], sort: str) -> tuple[list[float], int]:
    times, hits = [], 0
    for q in queries:
        t0 = time.perf_counter()
        res = search(db, q, limit=20, sort=sort, use_cache=False)
        times.append((time.perf_counter() - t0) * 1000)
        hits += bool(res.hits)
    return sorted(times), hits


def pct(times: list[float], p: float) -> float:
    return times[max(0, int(p * len(times)) - 1)]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--years", type=int, default=10)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--pg", default=None, help="a PostgreSQL URL (default: a throwaway cluster)")
    ap.add_argument("--keep", type=Path, default=None, help="folder for the SQLite file (default: a temp folder)")
    args = ap.parse_args()

    server = None
    pg_url = args.pg
    if pg_url is None:
        from pgserver import PgServer

        server = PgServer.launch()
        pg_url = server.url(server.create_database("kc_bench"))
    folder = args.keep or Path(tempfile.mkdtemp(prefix="kc-bench-search-"))
    try:
        lite = Database(folder / "bench.db")
        pg = Database(pg_url)
        for name, db in (("sqlite", lite), ("postgresql", pg)):
            if db.count_documents() == 0:
                s = ingest(db, args.limit)
                n = db.count_documents()
                print(f"{name}: ingest {n:,} documents in {s:.1f} s ({n / s:,.0f} docs/s)", flush=True)
                if args.years > 1:
                    print(f"{name}: {args.years} years by copy in {replicate(db, args.years):.0f} s", flush=True)
            print(f"{name}: {db.count_documents():,} documents", flush=True)
        with lite.read() as conn:
            titles = conn.execute(sql("SELECT title FROM documents WHERE id % 7 = 3 LIMIT 20000")).scalars().all()
        queries = make_queries([{"title": x} for x in titles], args.queries)
        for db in (lite, pg):  # warm the caches of both the same way
            run_queries(db, queries[:20], "newest")
        for sort in ("newest", "relevance"):
            figures = {}
            for name, db in (("sqlite", lite), ("postgresql", pg)):
                times, hits = run_queries(db, queries, sort)
                figures[name] = times
                print(
                    f"search {sort} on {name}: {len(queries)} queries, p50 {statistics.median(times):.1f} ms, "
                    f"p95 {pct(times, 0.95):.1f} ms, max {times[-1]:.1f} ms, queries with hits {hits}",
                    flush=True,
                )
            ratio = pct(figures["postgresql"], 0.95) / max(pct(figures["sqlite"], 0.95), 1e-9)
            print(f"search {sort}: p95 postgresql / sqlite = {ratio:.2f}x", flush=True)
        lite.close()
        pg.close()
    finally:
        if server is not None:
            server.close()


if __name__ == "__main__":
    main()
