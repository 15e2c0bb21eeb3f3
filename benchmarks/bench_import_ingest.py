"""Benchmark: the ingest half of `kiemchung import` alone, in one process, and whether two runs stored
the same rows.

    python benchmarks/bench_import_ingest.py FILE.jsonl DB [--src CHECKOUT] [--kind article]
    python benchmarks/bench_import_ingest.py --compare A.db B.db

Runs what the import command's own process runs (``lean_connections``, an ``Ingestor``,
``collect.import_file`` under ``processes.bulk_collector`` when the code has it), without the story
process that follows a large import, into a new SQLite file ``DB``, and prints the process's CPU time
(user and system, imports included), wall time and peak RSS. ``--src`` runs the ``kiemchung`` package
of another checkout (a worktree of an older commit) with this interpreter, for runs alternated between
two versions of the code. ``--compare`` hashes every column of ``documents`` but ``fetched_at`` (the
time of the run), every row of ``documents_fts`` and each source's ``documents_added`` in two such
databases and says whether they are the same.

The import files of the RSS year are written by ``bench_import.py --keep DIR`` (``DIR/part0.jsonl``;
``head -n 40000`` of it for a prefix). On a shared machine run it under ``flock /work/bench.lock`` and
compare runs alternated in the same session.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import sqlite3
import sys
import time
from pathlib import Path


def _table_hash(conn: sqlite3.Connection, sql: str) -> tuple[int, str]:
    h, n = hashlib.sha1(), 0
    for row in conn.execute(sql):
        h.update(repr(row).encode())
        n += 1
    return n, h.hexdigest()


def fingerprint(path: Path) -> dict[str, object]:
    """Row counts and hashes of what an import stored (the times of the run aside)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    cols = [r[1] for r in conn.execute("PRAGMA table_info(documents)") if r[1] != "fetched_at"]
    out = {
        "documents": _table_hash(conn, f"SELECT {', '.join(cols)} FROM documents ORDER BY id"),
        "documents_fts": _table_hash(conn, "SELECT rowid, * FROM documents_fts ORDER BY rowid"),
        "sources": _table_hash(conn, "SELECT id, documents_added FROM sources ORDER BY id"),
    }
    conn.close()
    return out


def run(file: Path, db: Path, kind: str) -> None:
    from kiemchung.collect import import_file
    from kiemchung.ingest import Ingestor
    from kiemchung.store import Database
    from kiemchung.store.backends.sqlite import lean_connections

    try:
        from kiemchung.processes import bulk_collector
    except ImportError:  # a checkout from before it
        from contextlib import nullcontext as bulk_collector

    for f in db.parent.glob(db.name + "*"):
        f.unlink()
    start = time.perf_counter()
    with lean_connections():
        database = Database(db)
        with bulk_collector() as stored:  # (stored: None from a checkout before it yielded one)
            report = import_file(database, Ingestor(database), file, kind=kind, progress=stored)
    wall = time.perf_counter() - start
    ru = resource.getrusage(resource.RUSAGE_SELF)
    import kiemchung

    st = report.stats
    print(f"{report.rows:,} rows: {st.added:,} added, {st.exact_duplicates} exact and {st.near_duplicates} near"
          f" duplicates; CPU {ru.ru_utime + ru.ru_stime:.1f} s (user {ru.ru_utime:.1f}, system {ru.ru_stime:.1f}),"
          f" wall {wall:.1f} s, peak RSS {ru.ru_maxrss / 1024:.0f} MB; load {os.getloadavg()[0]:.2f};"
          f" code {Path(kiemchung.__file__).parent.parent}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("file", nargs="?", type=Path)
    ap.add_argument("db", nargs="?", type=Path)
    ap.add_argument("--src", type=Path, default=None, help="run the kiemchung package of this checkout")
    ap.add_argument("--kind", default="article")
    ap.add_argument("--compare", nargs=2, type=Path, default=None, metavar=("A_DB", "B_DB"))
    args = ap.parse_args()
    if args.compare:
        a, b = (fingerprint(p) for p in args.compare)
        for name in a:
            print(f"{name}: {a[name][0]:,} / {b[name][0]:,} rows, {'identical' if a[name] == b[name] else 'DIFFERENT'}")
        sys.exit(0 if a == b else 1)
    if args.file is None or args.db is None:
        ap.error("FILE and DB are required (or --compare A_DB B_DB)")
    if args.src:  # before anything imports kiemchung: that checkout's package, not the installed one
        sys.path.insert(0, str(args.src.resolve()))
        sys.meta_path[:] = [f for f in sys.meta_path if "Editable" not in getattr(f, "__name__", "")]
    run(args.file, args.db, args.kind)


if __name__ == "__main__":
    main()
