"""A private scratch database: what the story stage keeps on disk instead of in memory.

``scratch_database()`` opens a SQLite database that SQLite makes as a temporary file
(``sqlite3.connect("")``: on disk, unlinked at once, so it goes with the process however it ends),
with no journal and a bounded page cache. The vocabulary (``vocabulary.SpilledTerms``) and the packed
records of dormant stories' documents (``records._DocTable.spill``) live in such databases when the
stage follows an import, so that the process's memory does not grow with the size of the import.
Nothing in them needs to survive the process: the saved state is written from them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

PAGE_CACHE_KB = 4_096  # SQLite's page cache of each scratch database


def scratch_database(cache_kb: int = PAGE_CACHE_KB) -> sqlite3.Connection:
    """A new private scratch database (autocommit, no journal, a page cache of ``cache_kb``)."""
    db = sqlite3.connect("", isolation_level=None)
    db.execute("PRAGMA journal_mode=OFF")  # (a scratch copy: nothing to recover after a crash)
    db.execute("PRAGMA synchronous=OFF")
    db.execute(f"PRAGMA cache_size=-{cache_kb}")
    return db


def write_many(db: sqlite3.Connection, sql: str, rows: Iterable[Sequence[Any]]) -> int:
    """``db.executemany(sql, rows)`` in one transaction; returns how many rows it changed."""
    db.execute("BEGIN")
    before = db.total_changes
    db.executemany(sql, rows)
    changed = db.total_changes - before
    db.execute("COMMIT")
    return changed


def in_key_order(db: sqlite3.Connection, query: str, chunk: int) -> Iterator[tuple]:
    """The rows of ``query`` (``SELECT key, ... WHERE key > ? ORDER BY key LIMIT ?``, an integer key
    above -2**63 first) in key order, ``chunk`` at a time: no cursor is held between chunks."""
    after = -(1 << 63)
    while True:
        rows = db.execute(query, (after, chunk)).fetchall()
        yield from rows
        if len(rows) < chunk:
            return
        after = rows[-1][0]
