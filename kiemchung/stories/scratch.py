"""Private scratch databases: what the story stage keeps on disk instead of in memory.

``scratch_database()`` opens a SQLite database that SQLite makes as a temporary file
(``sqlite3.connect("")``: on disk, unlinked at once, so it goes with the process however it ends),
with no journal and a bounded page cache. When the stage follows an import
(``StoryClusterer.spill``), the vocabulary (``vocabulary.SpilledTerms``) and the packed part of the
clusterer's tables of records live in such databases, so that the process's memory does not grow
with the size of the import: the documents out of memory (:class:`DiskDocs`, for
``records._DocTable``), the dormant stories (:class:`DiskStories`, for ``records._StoryTable``), the
series and their occurrences (:class:`DiskIntMap`). Nothing in them needs to survive the process:
the saved state is written from them.
"""

from __future__ import annotations

import math
import sqlite3
from array import array
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


DISK_CHUNK = 10_000  # packed documents per read of DiskDocs.rows
UNWRITTEN_DOCS = 4_096  # packed documents waiting in memory before DiskDocs writes them
DISK_CACHE_KB = 1_024  # the page cache of DiskDocs' and DiskStories' databases (few reads of old records)
UNWRITTEN_STORIES = 2_048  # packed stories waiting in memory before DiskStories writes them


class DiskDocs:
    """The packed records of documents with decimal ids (``records._DocTable.spill``) in a private scratch
    database: ``(story number, time or None, norm)`` by the id's number. A record read back into the
    table's dict (:meth:`take`) stays on disk, stale, until the document is packed again, which
    writes it anew. Records packed wait in a dict (at most ``UNWRITTEN_DOCS``) and are written
    together: a story going dormant packs a few documents, and a write each cost 55 us on the RSS
    year. A number above every one written has no record, which answers a new document (the
    stage's ids grow) without a query."""

    __slots__ = ("_db", "_stale", "_top", "_unwritten")

    def __init__(self) -> None:
        self._db = scratch_database(DISK_CACHE_KB)
        self._db.execute(
            "CREATE TABLE docs (id INTEGER PRIMARY KEY, story INTEGER NOT NULL, time REAL,"
            " norm REAL NOT NULL)"
        )
        self._stale: set[int] = set()  # numbers whose record is back in the dict (at most the dict's size)
        self._unwritten: dict[int, tuple[int, float | None, float]] = {}  # records not written yet
        self._top = -1  # the largest number written (numbers of decimal ids: 0 and up)

    def find(self, k: int) -> tuple[int, float | None, float] | None:
        """The packed record of number ``k``, or None (none, or read back)."""
        if k in self._stale:
            return None
        row = self._unwritten.get(k)
        if row is not None or k > self._top:
            return row
        return self._db.execute("SELECT story, time, norm FROM docs WHERE id = ?", (k,)).fetchone()

    def take(self, k: int) -> tuple[int, float | None, float] | None:
        """:meth:`find`, and the record counts as read back (the dict holds the document now)."""
        row = self.find(k)
        if row is not None:
            self._stale.add(k)
        return row

    def put(self, rows: list[tuple[int, int, float | None, float]]) -> None:
        """Pack ``(number, story, time or None, norm)`` records (new, or written anew)."""
        unwritten, stale = self._unwritten, self._stale
        for k, story, when, norm in rows:
            unwritten[k] = (story, when, norm)
            stale.discard(k)
        if len(unwritten) >= UNWRITTEN_DOCS:
            self._flush()

    def _flush(self) -> None:
        unwritten = self._unwritten
        if unwritten:
            self._top = max(self._top, max(unwritten))
            write_many(self._db, "INSERT OR REPLACE INTO docs VALUES (?, ?, ?, ?)",
                       ((k, *row) for k, row in unwritten.items()))
            unwritten.clear()

    def rows(self) -> Iterator[tuple[int, int, float | None, float]]:
        """Every packed record by number, read ``DISK_CHUNK`` at a time."""
        self._flush()
        stale = self._stale
        query = "SELECT id, story, time, norm FROM docs WHERE id > ? ORDER BY id LIMIT ?"
        for row in in_key_order(self._db, query, DISK_CHUNK):
            if row[0] not in stale:
                yield row


class DiskIntMap:
    """The packed part of ``records._OccurrenceTable`` or ``records._SeriesTable`` after ``spill``:
    64-bit keys and their integer values in a private scratch database (what the sorted arrays held).
    The tables' newest entries stay in their dicts and come here by a merge, as they went into the
    arrays."""

    __slots__ = ("_db", "_n")

    def __init__(self) -> None:
        self._db = scratch_database(DISK_CACHE_KB)
        self._db.execute("CREATE TABLE m (k INTEGER PRIMARY KEY, v INTEGER NOT NULL)")
        self._n = 0

    def get(self, k: int) -> int | None:
        row = self._db.execute("SELECT v FROM m WHERE k = ?", (k,)).fetchone()
        return None if row is None else row[0]

    def add(self, pairs: Iterable[tuple[int, int]]) -> None:
        """New keys (none held already) with their values, in one transaction."""
        self._n += write_many(self._db, "INSERT INTO m VALUES (?, ?)", pairs)

    def set(self, k: int, v: int) -> bool:
        """A held key's new value (False if the key is not held)."""
        return self._db.execute("UPDATE m SET v = ? WHERE k = ?", (v, k)).rowcount > 0

    def delete(self, k: int) -> bool:
        gone = self._db.execute("DELETE FROM m WHERE k = ?", (k,)).rowcount > 0
        self._n -= gone
        return gone

    def items(self) -> Iterator[tuple[int, int]]:
        """Every pair in key order, ``DISK_CHUNK`` at a time (keys above -2**63: an occurrence's
        code has a day ordinal of 1 or more)."""
        return in_key_order(self._db, "SELECT k, v FROM m WHERE k > ? ORDER BY k LIMIT ?", DISK_CHUNK)

    def __len__(self) -> int:
        return self._n


class DiskStories:
    """Packed stories (``records._StoryTable.spill``) in a private scratch database: ``(first, last,
    members)`` by story number, the members as 64-bit integers in one blob. A story read back stays on
    disk, stale (the table's flag says so), until it is packed again, which writes it anew. Stories
    packed wait in a dict (at most ``UNWRITTEN_STORIES``) and are written together."""

    __slots__ = ("_db", "_unwritten")

    def __init__(self) -> None:
        self._db = scratch_database(DISK_CACHE_KB)
        self._db.execute(
            "CREATE TABLE stories (s INTEGER PRIMARY KEY, first REAL, last REAL, members BLOB NOT NULL)"
        )
        self._unwritten: dict[int, tuple[float | None, float | None, bytes]] = {}

    def put(self, s: int, first: float, last: float, ids: array) -> None:
        """Pack story ``s`` (times NaN for none; members as an array of int64)."""
        first_or_none = None if first != first else first
        self._unwritten[s] = (first_or_none, None if last != last else last, ids.tobytes())
        if len(self._unwritten) >= UNWRITTEN_STORIES:
            self._flush()

    def _flush(self) -> None:
        unwritten = self._unwritten
        if unwritten:
            write_many(self._db, "INSERT OR REPLACE INTO stories VALUES (?, ?, ?, ?)",
                       ((s, *row) for s, row in unwritten.items()))
            unwritten.clear()

    @staticmethod
    def _record(first: float | None, last: float | None, blob: bytes) -> tuple[float, float, array]:
        ids = array("q")
        ids.frombytes(blob)
        return math.nan if first is None else first, math.nan if last is None else last, ids

    def get(self, s: int) -> tuple[float, float, array]:
        """``(first, last, members)`` of a story packed (times NaN for none)."""
        row = self._unwritten.get(s)
        if row is None:
            row = self._db.execute("SELECT first, last, members FROM stories WHERE s = ?", (s,)).fetchone()
        return self._record(*row)

    def rows(self) -> Iterator[tuple[int, float, float, array]]:
        """Every story on disk (stale ones too) in number order, ``DISK_CHUNK`` at a time."""
        self._flush()
        query = "SELECT s, first, last, members FROM stories WHERE s > ? ORDER BY s LIMIT ?"
        for s, first, last, blob in in_key_order(self._db, query, DISK_CHUNK):
            yield (s, *self._record(first, last, blob))
