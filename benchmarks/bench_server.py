"""Benchmark: server mode (PostgreSQL) against the embedded store (SQLite), in the same run.

    flock /work/bench.lock python benchmarks/bench_server.py ingest [--limit N] [--workers 1,2,4] [--keep DIR]
    flock /work/bench.lock python benchmarks/bench_server.py search --sqlite DB --pg URL [--copies K] [--queries 200]
    flock /work/bench.lock python benchmarks/bench_server.py size --sqlite DB --pg URL
    flock /work/bench.lock python benchmarks/bench_server.py move --sqlite DB [--copies K] [--queries 200]
    flock /work/bench.lock python benchmarks/bench_server.py articles [--copies 5]
    flock /work/bench.lock python benchmarks/bench_server.py web --sqlite DB [--workers 2] [--seconds 10]

**ingest**: the RSS year (../shared/data/rss-2025-2026.jsonl.gz, title and summary of each item) written
as a JSONL export, then imported the way a person does it, each in a child process whose wall time, CPU
time and peak memory are measured (``benchmarks/bench_import.py``'s runner):

- SQLite: ``kiemchung --db NEW.db import FILE --kind article`` (ingest, near-duplicates, full-text
  index, then the story and alert stages);
- PostgreSQL, one process: the same command with ``--db postgresql://…``;
- PostgreSQL, N workers (``--workers 1,2,4``): N ``kiemchung worker --queues import,stories,alerts
  --no-ner`` processes started and ready (``bench_workers.py``'s; the stages ``import`` runs itself, not
  named entities and keywords), then ``kiemchung import FILE --kind article --queue`` (the file read
  and sent as jobs); the time is until every item is stored and assigned to a story and the queues are
  empty; the figures say how many documents were stored and assigned;
- baselines in the same run: plain sqlite3 + FTS5 (bench_import's), and plain ``COPY`` of the same rows
  into a PostgreSQL table, then a GIN index on their ``to_tsvector('simple', …)``.

**search**: the 200 mixed queries of ``benchmarks/bench_ingest.py`` (drawn from stored titles, half
without diacritics, a quarter of the multi-word ones quoted), each run once newest-first and once by
relevance (first page of 20) through the library's ``search`` on both stores, p50/p95/max in ms. The
result cache never answers (each query is sent once per order). ``--copies K`` first grows both stores
to K times the RSS year by SQL: copies of every document (new ids and keys) published k years earlier
(k = 1 … K-1), their full-text rows copied with them (the RSS year shifted into K years).

**move**: ``kiemchung --db DB migrate-db --to postgresql://…`` of an existing SQLite store (a copy of
it) into a new PostgreSQL database, timed in a child process; then **size** and **search** on the two.

**articles**: bytes per full article (title, lead and body: stories-dev.jsonl's 925 articles, stored
``--copies`` times under other URLs) on both stores, the size after minus the size of the empty store.

**web**: ``benchmarks/bench_web.py`` (the web workbench under load: overview, search API, story and
document pages against /healthz) with ``--workers`` serve processes on a SQLite store and on the same
store moved into PostgreSQL with ``migrate-db``, one after the other in the same run.

**size**: bytes per document on both stores (SQLite file; PostgreSQL tables with their indexes and
TOAST), per table.

The PostgreSQL server is ``--pg-admin URL`` (a user allowed to create databases) or a throwaway cluster
started here (tests/pgserver.py) with durable settings close to SQLite's (fsync on, synchronous_commit
off as SQLite's WAL with synchronous=NORMAL, shared_buffers 256 MB). The machine may be shared: run it
under ``flock /work/bench.lock`` and read ratios measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "tests"))

from bench_import import baseline, export_rows, run_import, write_jsonl  # noqa: E402


# -- PostgreSQL server --------------------------------------------------------------------------------


def pg_server(admin_url: str | None):
    """A PostgreSQL server for the run: the given one, or a throwaway cluster with durable settings."""
    import pgserver

    if admin_url:
        os.environ[pgserver.ENV_URL] = admin_url
        return pgserver.PgServer.launch()

    class DurableServer(pgserver.PgServer):
        """The test cluster, started with fsync on (the test server turns it off on its command line)."""

        def start(self, *, timeout: float = 60) -> None:
            options = (
                f"-c port={self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.directory} "
                "-c synchronous_commit=off -c shared_buffers=256MB -c work_mem=16MB "
                "-c maintenance_work_mem=256MB -c max_wal_size=2GB -c checkpoint_timeout=15min "
                "-c max_connections=200 -c max_locks_per_transaction=256"
            )
            result = self._run([str(self.bindir / "pg_ctl"), "start", "-w", "-t", str(int(timeout)), "-D",
                                str(self.datadir), "-l", str(self.logfile), "-o", options], timeout=timeout + 30)
            if result.returncode:
                raise SystemExit(f"pg_ctl start failed: {result.stderr}")
            self._running = True
            self.wait_ready(timeout=timeout)
            with self.admin() as conn:
                shown = {k: conn.execute(f"SHOW {k}").fetchone()[0]
                         for k in ("server_version", "fsync", "synchronous_commit", "shared_buffers")}
            print(f"PostgreSQL on port {self.port}: {shown}", flush=True)

    server = DurableServer(bindir=pgserver.find_bindir())
    server.init_cluster()
    server.start()
    return server


# -- ingest --------------------------------------------------------------------------------------------


def copy_baseline(path: Path, url: str) -> dict:
    """Plain COPY of the same rows into a PostgreSQL table, then a GIN index on their text."""
    import psycopg

    conninfo = url.replace("postgresql+psycopg://", "postgresql://")
    start_cpu = time.process_time()
    start = time.perf_counter()
    with psycopg.connect(conninfo, autocommit=False) as conn:
        conn.execute(
            "CREATE TABLE items (id bigserial PRIMARY KEY, key text UNIQUE, title text, text text, url text,"
            " published timestamptz, site text)"
        )
        with conn.cursor() as cur, cur.copy(
            "COPY items (key, title, text, url, published, site) FROM STDIN"
        ) as copy, open(path, encoding="utf-8") as fh:
            for line in fh:
                r = json.loads(line)
                copy.write_row((r["id"], r["title"], r["text"], r["url"], r["published"], r["site"]))
        copied = time.perf_counter() - start
        conn.execute("CREATE INDEX items_fts ON items USING gin (to_tsvector('simple', title || ' ' || text))")
        conn.commit()
    return {"wall_s": time.perf_counter() - start, "copy_s": copied, "cpu_s": time.process_time() - start_cpu}


def kiemchung(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kiemchung", *args], cwd=ROOT, capture_output=True, text=True,
                          env=dict(os.environ, COLUMNS="120"), **kw)


def run_workers(path: Path, url: str, n: int, expected: int) -> dict:
    """``n`` workers (bench_workers.py's: queues import, stories, alerts, no named entities) started and
    ready, then ``import --queue``; wall time until every item is stored and assigned and the queues are
    empty; CPU of every kiemchung process of the run (the workers' start included)."""
    import bench_workers

    cpu0 = os.times()
    queued_s, wall = bench_workers.timed_workers(url, path, n, expected, timeout=6 * 3600)
    cpu1 = os.times()
    return {"wall_s": wall, "queued_s": queued_s,
            "cpu_s": (cpu1.children_user - cpu0.children_user) + (cpu1.children_system - cpu0.children_system),
            "errors": []}


def store_counts(target: str) -> dict:
    from kiemchung.store import Database

    with Database(target) as db, db.read() as conn:
        from sqlalchemy import text as sql

        out = {}
        for name, q in (("documents", "SELECT count(*) FROM documents"),
                        ("in stories", "SELECT count(*) FROM story_documents"),
                        ("stories", "SELECT count(*) FROM stories"),
                        ("full-text rows", "SELECT count(*) FROM documents_fts")):
            out[name] = conn.execute(sql(q)).scalar_one()
        return out


def cmd_ingest(args) -> None:
    tmp = args.keep or Path(tempfile.mkdtemp(prefix="kc-bench-server-"))
    tmp.mkdir(parents=True, exist_ok=True)
    rows = export_rows(args.limit, None)
    n = len(rows)
    path = write_jsonl(rows, tmp / "rss.jsonl")
    print(f"items: {n:,}; files in {tmp}")
    server = pg_server(args.pg_admin)
    try:
        base = baseline(path, tmp / "baseline.db")
        print(f"plain sqlite3 + FTS5: {base['wall_s']:.1f} s wall ({n / base['wall_s']:,.0f} items/s), {base['cpu_s']:.1f} s CPU")
        copy_url = server.url(server.create_database())
        cb = copy_baseline(path, copy_url)
        print(f"plain COPY into PostgreSQL + GIN index: {cb['wall_s']:.1f} s wall ({n / cb['wall_s']:,.0f} items/s; "
              f"COPY alone {cb['copy_s']:.1f} s), {cb['cpu_s']:.1f} s CPU in this process")

        sqlite_db = tmp / "kiemchung.db"
        run = run_import(path, sqlite_db)
        print(f"kiemchung import, SQLite: {run['wall_s']:.1f} s wall ({n / run['wall_s']:,.0f} items/s), "
              f"{run['cpu_s']:.1f} s CPU, peak RSS {run['peak_mb']:.0f} MB; x{run['wall_s'] / base['wall_s']:.1f} "
              f"plain sqlite3; {store_counts(str(sqlite_db))}")

        pg_url = server.url(server.create_database("kc_import"))
        expected = n
        try:
            run = run_import(path, pg_url)
            expected = store_counts(pg_url)["documents"]
            print(f"kiemchung import, PostgreSQL (one process): {run['wall_s']:.1f} s wall "
                  f"({n / run['wall_s']:,.0f} items/s), {run['cpu_s']:.1f} s CPU, peak RSS {run['peak_mb']:.0f} MB; "
                  f"x{run['wall_s'] / cb['wall_s']:.1f} plain COPY; {store_counts(pg_url)}")
        except SystemExit as exc:
            print(f"kiemchung import, PostgreSQL (one process): FAILED: {str(exc)[-600:]}")
        for workers in args.workers:
            url = server.url(server.create_database(f"kc_workers_{workers}"))
            run = run_workers(path, url, workers, expected)
            status = f"; errors: {run['errors'][0][-400:]}" if run["errors"] else ""
            print(f"kiemchung import --queue + {workers} worker(s), PostgreSQL: {run['wall_s']:.1f} s wall "
                  f"({n / run['wall_s']:,.0f} items/s; queueing {run['queued_s']:.1f} s), "
                  f"{run['cpu_s']:.1f} s CPU of all processes; {store_counts(url)}{status}")
        print(f"PostgreSQL database of the one-process import kept: {pg_url}" if args.keep_server else "")
        if args.keep_server:
            print("server left running (--keep-server); stop it with pg_ctl -D", server.datadir, "stop")
            return
    finally:
        if not args.keep_server:
            server.close()


# -- search --------------------------------------------------------------------------------------------

YEAR_S = 365 * 86400


def extend_sqlite(path: Path, copies: int) -> int:
    """Grow the store to ``copies`` times its documents: copies published k years earlier (SQL only)."""
    conn = sqlite3.connect(path)
    n0, top = conn.execute("SELECT count(*), max(id) FROM documents").fetchone()
    cols = [r[1] for r in conn.execute("PRAGMA table_info(documents)")]
    mask = (1 << 22) - 1
    for k in range(1, copies):
        off = k * (top + 1)
        select = []
        for c in cols:
            if c == "id":
                select.append(f"id + {off}")
            elif c == "doc_key":
                select.append(f"substr(doc_key, 1, 56) || ':y{k}'")
            elif c == "url":
                select.append(f"url || '#y{k}'")
            elif c in ("published_at", "fetched_at"):
                select.append(f"datetime({c}, '-{365 * k} days')" if c == "published_at" else c)
            elif c == "dup_group":
                select.append(f"CASE WHEN dup_group IS NULL THEN NULL ELSE dup_group + {off} END")
            elif c == "fts_rowid":
                select.append(f"(((fts_rowid >> 22) - {k * YEAR_S}) << 22) | ((id + {off}) & {mask})")
            else:
                select.append(c)
        with conn:
            conn.execute(f"INSERT INTO documents ({', '.join(cols)}) SELECT {', '.join(select)} FROM documents "
                         f"WHERE id <= {top}")
            conn.execute(
                "INSERT INTO documents_fts (rowid, title_acc, body_acc, title_fold, body_fold) "
                f"SELECT (((f.rowid >> 22) - {k * YEAR_S}) << 22) | ((d.id + {off}) & {mask}), "
                "f.title_acc, f.body_acc, f.title_fold, f.body_fold FROM documents_fts f "
                f"JOIN documents d ON d.fts_rowid = f.rowid WHERE d.id <= {top}"
            )
        print(f"  sqlite: copy {k} done ({n0 * (k + 1):,} documents)", flush=True)
    n = conn.execute("SELECT count(*) FROM documents").fetchone()[0]
    conn.close()
    return n


def extend_pg(url: str, copies: int) -> int:
    import psycopg

    conninfo = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(conninfo) as conn:
        n0, top = conn.execute("SELECT count(*), max(id) FROM documents").fetchone()
        cols = [r[0] for r in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'documents' ORDER BY ordinal_position")]
        mask = (1 << 22) - 1
        for k in range(1, copies):
            off = k * (top + 1)
            select = []
            for c in cols:
                if c == "id":
                    select.append(f"id + {off}")
                elif c == "doc_key":
                    select.append(f"substr(doc_key, 1, 56) || ':y{k}'")
                elif c == "url":
                    select.append(f"url || '#y{k}'")
                elif c == "published_at":
                    select.append(f"published_at - interval '{365 * k} days'")
                elif c == "dup_group":
                    select.append(f"CASE WHEN dup_group IS NULL THEN NULL ELSE dup_group + {off} END")
                elif c == "fts_rowid":
                    select.append(f"(((fts_rowid >> 22) - {k * YEAR_S}) << 22) | ((id + {off}) & {mask})")
                else:
                    select.append(c)
            fts_cols = [r[0] for r in conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'documents_fts' "
                "AND column_name <> 'rowid' ORDER BY ordinal_position")]
            conn.execute(f"INSERT INTO documents ({', '.join(cols)}) SELECT {', '.join(select)} FROM documents "
                         f"WHERE id <= {top}")
            conn.execute(
                f"INSERT INTO documents_fts (rowid, {', '.join(fts_cols)}) "
                f"SELECT (((f.rowid >> 22) - {k * YEAR_S}) << 22) | ((d.id + {off}) & {mask}), "
                f"{', '.join('f.' + c for c in fts_cols)} FROM documents_fts f "
                f"JOIN documents d ON d.fts_rowid = f.rowid WHERE d.id <= {top}"
            )
            conn.commit()
            print(f"  postgresql: copy {k} done ({n0 * (k + 1):,} documents)", flush=True)
        conn.execute("SELECT setval(pg_get_serial_sequence('documents', 'id'), (SELECT max(id) FROM documents))")
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE documents")
        conn.execute("VACUUM ANALYZE documents_fts")
        return conn.execute("SELECT count(*) FROM documents").fetchone()[0]


def time_queries(target: str, queries: list[str], sort: str) -> dict:
    from kiemchung.store import Database
    from kiemchung.store.search import search

    with Database(target) as db:
        for q in queries[:10]:  # warm the connection pool and the page cache a little
            search(db, q, limit=20, sort=sort)
        times, hits = [], 0
        for q in queries:
            t0 = time.perf_counter()
            res = search(db, q, limit=20, sort=sort)
            times.append((time.perf_counter() - t0) * 1000)
            hits += bool(res.hits)
    times.sort()
    return {"p50": statistics.median(times), "p95": times[int(0.95 * len(times)) - 1], "max": times[-1], "hits": hits}


def cmd_search(args) -> None:
    from bench_ingest import make_queries

    if args.copies > 1:
        print(f"growing both stores to {args.copies}x ...", flush=True)
        t0 = time.perf_counter()
        n_sqlite = extend_sqlite(args.sqlite, args.copies)
        print(f"  sqlite: {n_sqlite:,} documents in {time.perf_counter() - t0:.0f} s", flush=True)
        t0 = time.perf_counter()
        n_pg = extend_pg(args.pg, args.copies)
        print(f"  postgresql: {n_pg:,} documents in {time.perf_counter() - t0:.0f} s", flush=True)
    conn = sqlite3.connect(args.sqlite)
    n = conn.execute("SELECT count(*) FROM documents").fetchone()[0]
    titles = [r[0] for r in conn.execute("SELECT title FROM documents WHERE id % 7 = 3 LIMIT 20000")]
    conn.close()
    queries = make_queries([{"title": x} for x in titles], args.queries)
    print(f"search: {len(queries)} queries, {n:,} documents in each store")
    for sort in ("newest", "relevance"):
        for label, target in (("SQLite", str(args.sqlite)), ("PostgreSQL", args.pg)):
            r = time_queries(target, queries, sort)
            print(f"  {sort:9s} {label:10s}: p50 {r['p50']:7.1f} ms  p95 {r['p95']:7.1f} ms  max {r['max']:7.1f} ms  "
                  f"queries with hits {r['hits']}", flush=True)


# -- size ------------------------------------------------------------------------------------------------


def cmd_size(args) -> None:
    conn = sqlite3.connect(args.sqlite)
    n = conn.execute("SELECT count(*) FROM documents").fetchone()[0]
    page = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    file_bytes = args.sqlite.stat().st_size
    print(f"SQLite: {n:,} documents, file {file_bytes / 1e6:,.1f} MB, {file_bytes / n:,.0f} bytes/document")
    try:
        per = conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC LIMIT 12").fetchall()
        for name, size in per:
            print(f"    {name:40s} {size / 1e6:8.1f} MB  {size / n:7.0f} B/doc")
    except sqlite3.OperationalError:
        print(f"    (no dbstat table in this SQLite build; page size {page})")
    conn.close()
    import psycopg

    with psycopg.connect(args.pg.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as pg:
        pg.execute("VACUUM ANALYZE")
        n = pg.execute("SELECT count(*) FROM documents").fetchone()[0]
        total = pg.execute("SELECT pg_database_size(current_database())").fetchone()[0]
        print(f"PostgreSQL: {n:,} documents, database {total / 1e6:,.1f} MB, {total / n:,.0f} bytes/document")
        rows = pg.execute(
            "SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace "
            "WHERE c.relkind = 'r' AND s.nspname = 'public' ORDER BY 2 DESC LIMIT 12").fetchall()
        for name, size in rows:
            print(f"    {name:40s} {size / 1e6:8.1f} MB  {size / n:7.0f} B/doc (with indexes and TOAST)")


def _ingest_articles(target: str, copies: int) -> int:
    """stories-dev's full articles (title, lead, text) through the library's ingest path, ``copies`` times."""
    from kiemchung import timeutil
    from kiemchung.ingest import Ingestor
    from kiemchung.models import Document
    from kiemchung.store import Database

    items = [json.loads(line) for line in open(ROOT.parent / "shared" / "data" / "stories-dev.jsonl", encoding="utf-8")]
    with Database(target) as db:
        ing = Ingestor(db)
        for k in range(copies):
            ing.add(Document(url=f"https://bai-viet.test/{k}/{it['id']}", title=it.get("title") or "",
                             lead=it.get("lead") or "", body=it.get("text") or "", kind="article",
                             published_at=timeutil.now(), raw=json.dumps(it, ensure_ascii=False))
                    for it in items)
        return db.count_documents()


def _sqlite_bytes(path: Path) -> int:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return path.stat().st_size


def _pg_bytes(url: str) -> int:
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as pg:
        pg.execute("VACUUM ANALYZE")
        return pg.execute("SELECT pg_database_size(current_database())").fetchone()[0]


def cmd_articles(args) -> None:
    """Bytes per full article (stories-dev: title, lead and body) on both stores: size after minus before."""
    from kiemchung.store import Database

    work = Path(tempfile.mkdtemp(prefix="kc-bench-articles-"))
    items = sum(1 for _ in open(ROOT.parent / "shared" / "data" / "stories-dev.jsonl", encoding="utf-8"))
    chars = sum(len(json.loads(x).get("text") or "") + len(json.loads(x).get("title") or "")
                + len(json.loads(x).get("lead") or "")
                for x in open(ROOT.parent / "shared" / "data" / "stories-dev.jsonl", encoding="utf-8"))
    print(f"stories-dev: {items} articles, {chars / items:,.0f} characters each on average, x{args.copies}")
    path = work / "kc.db"
    Database(path).close()
    before = _sqlite_bytes(path)
    n = _ingest_articles(str(path), args.copies)
    after = _sqlite_bytes(path)
    print(f"SQLite: {n:,} documents, {(after - before) / n:,.0f} bytes/document (file {before:,} -> {after:,} bytes)")
    server = pg_server(args.pg_admin)
    try:
        url = server.url(server.create_database("kc_articles"))
        Database(url).close()
        before = _pg_bytes(url)
        try:
            n = _ingest_articles(url, args.copies)
        except Exception as exc:  # the PostgreSQL store may not index yet on this checkout
            print(f"PostgreSQL: ingest failed: {str(exc).splitlines()[0][:300]}")
            return
        after = _pg_bytes(url)
        print(f"PostgreSQL: {n:,} documents, {(after - before) / n:,.0f} bytes/document "
              f"(database {before:,} -> {after:,} bytes)")
    finally:
        server.close()


def cmd_move(args) -> None:
    """migrate-db of a SQLite store into PostgreSQL (timed), sizes, then search on both."""
    import shutil

    work = Path(tempfile.mkdtemp(prefix="kc-bench-move-"))
    sqlite_copy = work / "kiemchung.db"
    src = sqlite3.connect(args.sqlite)
    with sqlite3.connect(sqlite_copy) as dst:
        src.backup(dst)  # the search part grows this copy, never the given file
    src.close()
    server = pg_server(args.pg_admin)
    try:
        url = server.url(server.create_database("kc_moved"))
        cmd = [sys.executable, "-m", "kiemchung", "--db", str(sqlite_copy), "migrate-db", "--to", url]
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        out = proc.stdout.read().decode("utf-8", "replace") if proc.stdout else ""
        if os.waitstatus_to_exitcode(status):
            raise SystemExit(f"migrate-db failed:\n{out[-3000:]}")
        n = store_counts(str(sqlite_copy))["documents"]
        print(f"kiemchung migrate-db SQLite -> PostgreSQL: {n:,} documents, {wall:.1f} s wall "
              f"({n / wall:,.0f} documents/s), {usage.ru_utime + usage.ru_stime:.1f} s CPU, "
              f"peak RSS {usage.ru_maxrss / 1024:.0f} MB")
        for line in out.strip().splitlines()[-3:]:
            print(f"  | {line}")
        args.pg = url
        args.sqlite = sqlite_copy
        cmd_size(args)
        if args.queries:
            cmd_search(args)
            if args.copies > 1:
                cmd_size(args)
    finally:
        server.close()
        shutil.rmtree(work, ignore_errors=True)


def cmd_web(args) -> None:
    """bench_web.py on SQLite and on PostgreSQL (the same store moved with migrate-db), N serve processes."""
    import shutil

    work = Path(tempfile.mkdtemp(prefix="kc-bench-web-"))
    sqlite_copy = work / "kiemchung.db"
    src = sqlite3.connect(args.sqlite)
    with sqlite3.connect(sqlite_copy) as dst:
        src.backup(dst)
    src.close()
    server = pg_server(args.pg_admin)
    try:
        url = server.url(server.create_database("kc_web"))
        moved = kiemchung("--db", str(sqlite_copy), "migrate-db", "--to", url)
        if moved.returncode:
            raise SystemExit(f"migrate-db failed: {moved.stderr[-2000:]}")
        for label, target in (("SQLite", str(sqlite_copy)), ("PostgreSQL", url)):
            print(f"\n== bench_web.py on {label}, {args.workers} serve processes", flush=True)
            cmd = [sys.executable, str(ROOT / "benchmarks" / "bench_web.py"), "--db", target, "--workers",
                   str(args.workers), "--seconds", str(args.seconds)]
            if args.only:
                cmd += ["--only", *args.only]
            subprocess.run(cmd, cwd=ROOT, check=False)
    finally:
        server.close()
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("ingest")
    a.add_argument("--limit", type=int, default=None)
    a.add_argument("--workers", type=lambda s: [int(x) for x in s.split(",") if x], default=[1, 2, 4])
    a.add_argument("--keep", type=Path, default=None)
    a.add_argument("--pg-admin", default=None)
    a.add_argument("--keep-server", action="store_true")
    s = sub.add_parser("search")
    s.add_argument("--sqlite", type=Path, required=True)
    s.add_argument("--pg", required=True)
    s.add_argument("--copies", type=int, default=1)
    s.add_argument("--queries", type=int, default=200)
    z = sub.add_parser("size")
    z.add_argument("--sqlite", type=Path, required=True)
    z.add_argument("--pg", required=True)
    mv = sub.add_parser("move")
    mv.add_argument("--sqlite", type=Path, required=True)
    mv.add_argument("--copies", type=int, default=1)
    mv.add_argument("--queries", type=int, default=200)
    mv.add_argument("--pg-admin", default=None)
    ar = sub.add_parser("articles")
    ar.add_argument("--copies", type=int, default=5)
    ar.add_argument("--pg-admin", default=None)
    w = sub.add_parser("web")
    w.add_argument("--sqlite", type=Path, required=True)
    w.add_argument("--workers", type=int, default=2)
    w.add_argument("--seconds", type=float, default=10)
    w.add_argument("--only", nargs="*", default=None)
    w.add_argument("--pg-admin", default=None)
    args = ap.parse_args()
    {"web": cmd_web, "ingest": cmd_ingest, "search": cmd_search, "size": cmd_size, "move": cmd_move,
     "articles": cmd_articles}[args.cmd](args)


if __name__ == "__main__":
    main()
