"""Benchmark: the RSS year (or a part) into PostgreSQL through server mode's workers, 1, 2 and 4 of them.

    python benchmarks/bench_workers.py [--limit N] [--workers 1,2,4] [--pg postgresql://user@host:port/db]

The user's path, end to end, each in a fresh database in the same run:

- ``kiemchung --db DB.sqlite import FILE --kind article`` (one process, SQLite: the default);
- ``kiemchung --db PG import FILE --kind article`` (one process, PostgreSQL);
- for each worker count W: W ``kiemchung worker --queues import,stories,alerts --no-ner`` processes
  started and ready (workers are services), then ``kiemchung --db PG import FILE --kind article --queue``
  (the file read and queued in chunks, which the workers take as they come) until every item is
  stored, every document assigned to a story and the queues are empty (the story and alert stages
  included, not deferred); the time counts the queuing and the work, not the workers' start;
- plain ``COPY`` of the same rows into a PostgreSQL table (the floor).

It prints items/s for each and the ratios against the one-process PostgreSQL import. Without ``--pg``
it starts a throwaway PostgreSQL cluster (tests/pgserver.py). The machine may be shared and has few
cores: run it under ``flock /work/bench.lock`` and read the ratios of the same run.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "tests"))

from bench_import import export_rows, write_jsonl  # noqa: E402


def _env() -> dict[str, str]:
    env = dict(os.environ, COLUMNS="120")
    env.pop("KIEMCHUNG_DB", None)
    return env


def kc(*args: str) -> subprocess.CompletedProcess:
    res = subprocess.run([sys.executable, "-m", "kiemchung", *args], cwd=ROOT, env=_env(), capture_output=True,
                         text=True)
    if res.returncode:
        raise SystemExit(f"kiemchung {' '.join(args[:3])} failed:\n{res.stdout[-2000:]}\n{res.stderr[-3000:]}")
    return res


def timed_import(db: str, path: Path) -> float:
    start = time.perf_counter()
    kc("--db", db, "import", str(path), "--kind", "article")
    return time.perf_counter() - start


def done(url: str, expected: int) -> bool:
    import psycopg

    from kiemchung.workers.queue import conninfo

    with psycopg.connect(conninfo(url)) as conn:
        n, top = conn.execute("SELECT count(*), coalesce(max(id), 0) FROM documents").fetchone()
        assigned = conn.execute("SELECT coalesce(max(last_doc_id), 0) FROM cluster_state").fetchone()[0]
        busy = conn.execute(
            "SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing') "
            "AND queue_name IN ('import', 'stories', 'alerts') AND (scheduled_at IS NULL OR scheduled_at <= now())"
        ).fetchone()[0]
    return n >= expected and assigned == top and busy == 0


#: What the workers take: the queues of the stages ``kiemchung import`` runs itself (ingest, stories,
#: alerts). Named entities and story keywords (queue ``enrich``) are ``watch``'s slow stages, which the
#: one-process import does not run; a worker on every queue would run them for every document (about
#: ten times the work of the import: the 28 items/s of an earlier ``bench_server.py ingest`` run).
WORKER_ARGS = ("worker", "--queues", "import,stories,alerts", "--no-ner")


def start_workers(url: str, workers: int) -> list[subprocess.Popen]:
    """``workers`` ``kiemchung worker`` processes, returned once every one is registered in the queue
    (a worker is a long-running service: its start is not part of an import's time)."""
    import psycopg

    from kiemchung.workers.queue import conninfo

    kc("--db", url, "init")
    procs = [subprocess.Popen([sys.executable, "-m", "kiemchung", "--db", url, *WORKER_ARGS, "--name", f"b{i}"],
                              cwd=ROOT, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
             for i in range(workers)]
    deadline = time.perf_counter() + 120
    while True:
        with psycopg.connect(conninfo(url)) as conn:
            if conn.execute("SELECT count(*) FROM procrastinate_workers").fetchone()[0] >= workers:
                return procs
        if any(p.poll() is not None for p in procs) or time.perf_counter() > deadline:
            stop_workers(procs)
            raise SystemExit(f"workers did not start:\n{[p.stderr.read()[-2000:] for p in procs if p.stderr]}")
        time.sleep(0.2)


def stop_workers(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        p.terminate()
    for p in procs:
        try:
            p.wait(30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def timed_workers(url: str, path: Path, workers: int, expected: int, timeout: float) -> tuple[float, float]:
    """``workers`` workers started and ready, then the clock: ``import --queue`` of the file, until every
    item is stored and assigned and the queues are empty. Returns (seconds to queue the file, seconds
    until done), both from the start of the import."""
    procs = start_workers(url, workers)
    try:
        start = time.perf_counter()
        kc("--db", url, "import", str(path), "--kind", "article", "--queue")
        queued = time.perf_counter() - start
        while not done(url, expected):
            if time.perf_counter() - start > timeout:
                raise SystemExit(f"{workers} workers: not done after {timeout:.0f} s")
            if any(p.poll() is not None for p in procs):
                raise SystemExit(f"a worker exited:\n{[p.stderr.read()[-2000:] for p in procs if p.stderr]}")
            time.sleep(0.2)
        total = time.perf_counter() - start
    finally:
        stop_workers(procs)
    return queued, total


def copy_floor(url: str, rows: list[dict]) -> float:
    """Plain COPY of the rows into a table with the same text columns (no dedupe, no index, no stages)."""
    import psycopg

    from kiemchung.workers.queue import conninfo

    start = time.perf_counter()
    with psycopg.connect(conninfo(url)) as conn:
        conn.execute("CREATE TABLE items (key text PRIMARY KEY, title text, body text, url text, "
                     "published text, site text)")
        with conn.cursor().copy("COPY items (key, title, body, url, published, site) FROM STDIN") as copy:
            for r in rows:
                copy.write_row((r["id"], r["title"], r["text"], r["url"], r["published"], r["site"]))
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=4000)
    ap.add_argument("--workers", default="1,2,4")
    ap.add_argument("--pg", help="a PostgreSQL server URL (a user that may create databases)")
    ap.add_argument("--timeout", type=float, default=1800)
    args = ap.parse_args()
    counts = [int(w) for w in args.workers.split(",")]

    from pgserver import PgServer

    if args.pg:
        os.environ["KIEMCHUNG_TEST_PG"] = args.pg
    server = PgServer.launch()
    tmp = Path(tempfile.mkdtemp(prefix="kc-bench-workers-"))
    try:
        rows = export_rows(args.limit, None)
        n = len({r["id"] for r in rows})
        path = write_jsonl(rows, tmp / "rss.jsonl")
        print(f"{n:,} items of the RSS year; machine: {os.cpu_count()} cores (shared)")

        t_sqlite = timed_import(str(tmp / "one.db"), path)
        pg_one = server.url(server.create_database())
        t_pg = timed_import(pg_one, path)
        expected = _count(pg_one)
        print(f"  one process, SQLite:     {t_sqlite:7.1f} s  {n / t_sqlite:8.0f} items/s")
        print(f"  one process, PostgreSQL: {t_pg:7.1f} s  {n / t_pg:8.0f} items/s  (the reference)")
        for w in counts:
            url = server.url(server.create_database())
            queued, total = timed_workers(url, path, w, expected, args.timeout)
            print(f"  {w} worker(s), PostgreSQL: {total:7.1f} s  {n / total:8.0f} items/s  x{t_pg / total:.2f} "
                  f"(queuing the file: {queued:.1f} s)")
        t_copy = copy_floor(server.url(server.create_database()), rows)
        print(f"  plain COPY, PostgreSQL:  {t_copy:7.1f} s  {n / t_copy:8.0f} items/s  (no dedupe, index or stages)")
    finally:
        server.close()


def _count(url: str) -> int:
    import psycopg

    from kiemchung.workers.queue import conninfo

    with psycopg.connect(conninfo(url)) as conn:
        return conn.execute("SELECT count(*) FROM documents").fetchone()[0]


if __name__ == "__main__":
    main()
