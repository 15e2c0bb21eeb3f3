"""Benchmark: import the real RSS year through the full ingest path, and search it.

    python benchmarks/bench_ingest.py [--limit N] [--db PATH] [--queries 200]

Prints items/s through normalize → dedupe → store → index, the same rows inserted with plain sqlite3 in
the same run (the baseline) and the ratio, peak memory, near-duplicate groups with a sample, and the
search latency (p50/p95) over 200 mixed queries with and without diacritics.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import resource
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kiemchung import text, timeutil  # noqa: E402
from kiemchung.ingest import Ingestor  # noqa: E402
from kiemchung.models import Document  # noqa: E402
from kiemchung.store import Database  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "rss-2025-2026.jsonl.gz"


def read_items(limit: int | None) -> list[dict]:
    items = []
    with gzip.open(DATA, "rt", encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            if limit and i >= limit:
                break
            items.append(json.loads(line))
    return items


def to_document(item: dict, raw: str) -> Document:
    return Document(
        url=item.get("link"),
        title=item.get("title") or "",
        lead=item.get("summary") or "",
        kind="article",
        source_name=item.get("source"),
        external_id=item.get("id"),
        published_at=timeutil.parse_time(item.get("published")),
        meta={"category": item.get("category")},
        raw=raw,
    )


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def stream_lines(limit: int | None):
    """The RSS year's JSON lines, streamed from the gzip file."""
    with gzip.open(DATA, "rt", encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            if limit and i >= limit:
                return
            yield line


def baseline_sqlite(limit: int | None, path: Path) -> float:
    """Plain sqlite3: parse each JSON line and insert its fields, one transaction per 500 rows."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(
        "CREATE TABLE items (id INTEGER PRIMARY KEY, key TEXT UNIQUE, title TEXT, link TEXT, summary TEXT,"
        " source TEXT, published TEXT)"
    )
    start = time.perf_counter()
    rows = []

    def flush():
        with conn:
            conn.executemany(
                "INSERT OR IGNORE INTO items (key, title, link, summary, source, published) VALUES (?,?,?,?,?,?)",
                rows,
            )
        rows.clear()

    for line in stream_lines(limit):
        it = json.loads(line)
        rows.append((it["id"], it["title"], it["link"], it["summary"], it["source"], it["published"]))
        if len(rows) == 500:
            flush()
    flush()
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed


def make_queries(items: list[dict], n: int, seed: int = 7) -> list[str]:
    """Mixed queries drawn from the titles: 1-3 syllable phrases and word pairs, half without diacritics."""
    rng = random.Random(seed)
    queries = []
    while len(queries) < n:
        title = rng.choice(items)["title"]
        toks = [w for w in title.split() if w.isalpha()]
        if len(toks) < 3:
            continue
        k = rng.choice([1, 2, 2, 3])
        i = rng.randrange(0, len(toks) - k + 1)
        q = " ".join(toks[i : i + k])
        if rng.random() < 0.25 and k >= 2:
            q = f'"{q}"'
        if len(queries) % 2:
            q = text.fold(q)
        queries.append(q)
    return queries


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--db", type=Path, default=None)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--skip-baseline", action="store_true")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="kc-bench-"))
    db_path = args.db or tmp / "bench.db"
    n_items = sum(1 for _ in stream_lines(args.limit))
    print(f"items: {n_items:,}")

    base_s = None
    if not args.skip_baseline:
        base_s = baseline_sqlite(args.limit, tmp / "baseline.db")
        print(f"baseline plain sqlite3 insert (parse JSON + insert): {base_s:.1f} s, {n_items / base_s:,.0f} items/s")

    rss_before = peak_rss_mb()
    db = Database(db_path)
    ingestor = Ingestor(db)
    start = time.perf_counter()

    def docs():
        for line in stream_lines(args.limit):
            yield to_document(json.loads(line), line)

    stats = ingestor.add(docs())
    elapsed = time.perf_counter() - start
    rate = n_items / elapsed
    print(
        f"kiemchung full path: {elapsed:.1f} s, {rate:,.0f} items/s "
        f"(added {stats.added:,}, existing {stats.existing:,}, exact dups {stats.exact_duplicates:,}, "
        f"near dups {stats.near_duplicates:,})"
    )
    if base_s:
        print(f"ratio kiemchung / plain sqlite3 time: {elapsed / base_s:.1f}x")
    print(f"peak RSS of the process: {peak_rss_mb():.0f} MB (before the ingest: {rss_before:.0f} MB)")

    st = db.stats()
    print(
        f"near-duplicate groups: {st['duplicate_groups']:,} groups holding "
        f"{st['documents_in_duplicate_groups']:,} of {st['documents']:,} documents"
    )
    with db.read() as conn:
        from sqlalchemy import text as sql

        groups = conn.execute(
            sql(
                "SELECT dup_group, count(*) n FROM documents WHERE dup_group IS NOT NULL "
                "GROUP BY dup_group HAVING n >= 2 ORDER BY random() LIMIT 6"
            )
        ).all()
        for g, n in groups:
            print(f"-- group {g} ({n} documents)")
            for row in conn.execute(
                sql("SELECT title, url, dup_score FROM documents WHERE dup_group = :g ORDER BY id LIMIT 4"), {"g": g}
            ):
                print(f"   [{row.dup_score:.2f}] {row.title[:90]} | {row.url}")

    from kiemchung.store.search import search

    with db.read() as conn:
        from sqlalchemy import text as sql

        titles = conn.execute(sql("SELECT title FROM documents WHERE id % 7 = 3 LIMIT 20000")).scalars().all()
    queries = make_queries([{"title": x} for x in titles], args.queries)
    import datetime as dt

    month = {"since": dt.datetime(2026, 3, 1, tzinfo=dt.UTC), "until": dt.datetime(2026, 4, 1, tzinfo=dt.UTC)}
    for label, sort, extra in (
        ("newest (default)", "newest", {}),
        ("relevance", "relevance", {}),
        ("relevance, one month", "relevance", month),
        ("newest, kind=article", "newest", {"kinds": ["article"]}),
    ):
        times = []
        hits = 0
        for q in queries:
            t0 = time.perf_counter()
            res = search(db, q, limit=20, sort=sort, **extra)
            times.append((time.perf_counter() - t0) * 1000)
            hits += bool(res.hits)
        times.sort()
        p95 = times[int(0.95 * len(times)) - 1]
        print(
            f"search {label}: {len(queries)} queries, p50 {statistics.median(times):.1f} ms, "
            f"p95 {p95:.1f} ms, max {times[-1]:.1f} ms, queries with hits {hits}"
        )
    db.close()


if __name__ == "__main__":
    main()
