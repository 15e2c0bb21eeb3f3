"""The SQLite backend: one file, WAL, one writer (``BEGIN IMMEDIATE``), FTS5 full-text search.

The full-text index is the FTS5 table ``documents_fts(title_acc, body_acc, title_fold, body_fold)``
made by migration 0001 (``unicode61 remove_diacritics 0``: text is folded by :mod:`kiemchung.text`
before it arrives, so the tokenizer only splits), with BM25 weights 4:1 for titles. Its row ids are
the documents' time-ordered ``fts_rowid``: a time range is a row-id range and newest-first is FTS5's
own order, so most searches never touch the documents table until the page of results is known.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, create_engine, event
from sqlalchemy import text as sql_text
from sqlalchemy.exc import OperationalError

from kiemchung.errors import QueryError, StoreError
from kiemchung.store import schema as t
from kiemchung.store.backends.base import AllOf, AnyOf, Backend, FtsFilter, FtsQuery, Phrase, Without

BUSY_TIMEOUT_MS = 60_000

_TAKEN_ROWIDS = sql_text("SELECT rowid FROM documents_fts WHERE rowid IN :ids").bindparams(
    bindparam("ids", expanding=True)
)
_INSERT = sql_text(
    "INSERT INTO documents_fts(rowid, title_acc, body_acc, title_fold, body_fold) "
    "VALUES (:rowid, :title_acc, :body_acc, :title_fold, :body_fold)"
)
_DELETE = sql_text("DELETE FROM documents_fts WHERE rowid IN :ids").bindparams(bindparam("ids", expanding=True))


class VersionWatcher:
    """Tells whether one SQLite database changed, through ``PRAGMA data_version``.

    The pragma's value, read on a private read-only connection, changes whenever any other
    connection (this process's writer, another process, the sqlite3 shell) commits. One connection
    is shared by every thread (the pragma takes microseconds; a lock serialises it), so the values
    are always comparable.
    """

    def __init__(self, path: str) -> None:
        self._lock = threading.Lock()
        self._path = path
        self._conn: sqlite3.Connection | None = None
        self._pid: int | None = None
        self._seen: int | None = None
        self._generation = 0

    def version(self) -> int | None:
        """A generation number that grows whenever the database changed (None: cannot tell).

        A commit made before this call is always seen by it, so a value stored with an earlier
        generation never matches a later one. A new connection (the first call, after an error, in a
        forked child) starts a new generation, as it cannot know what happened before it.
        """
        with self._lock:
            try:
                if self._pid != os.getpid():  # first use, or a forked child: a connection of our own
                    self._conn = sqlite3.connect(
                        f"file:{self._path}?mode=ro", uri=True, timeout=5, check_same_thread=False
                    )
                    self._pid = os.getpid()
                    self._seen = None
                seen = self._conn.execute("PRAGMA data_version").fetchone()[0]
            except sqlite3.Error:  # unreadable for now: nothing may be served from or stored in a cache
                self._pid = None
                return None
            if seen != self._seen:
                self._seen = seen
                self._generation += 1
            return self._generation

    def close(self) -> None:
        """Close the private connection (a later call opens a new one, in a new generation)."""
        with self._lock:
            if self._conn is not None and self._pid == os.getpid():
                self._conn.close()
            self._conn = None
            self._pid = None


def _render(node: object) -> str:
    if isinstance(node, Phrase):
        return '"' + " ".join(node.tokens) + '"'
    if isinstance(node, AnyOf):
        return "(" + " OR ".join(_render(n) for n in node.nodes) + ")"
    if isinstance(node, AllOf):
        return "(" + " AND ".join(_render(n) for n in node.nodes) + ")"
    if isinstance(node, Without):
        expr = _render(node.node)
        for neg in node.exclude:
            expr = f"({expr}) NOT {_render(neg)}"
        return f"({expr})"
    raise TypeError(f"not a full-text query node: {node!r}")


# SQLite's page cache (KiB) and memory map (bytes) per connection, read when a connection opens. A
# mapped page counts in the resident memory of every process (and connection) that maps it; a long
# import lowers both for its processes (see lean_connections).
CACHE_KIB = 65536
MMAP_BYTES = 268435456
LEAN_CACHE_KIB = 8192
LEAN_MMAP_BYTES = 0


@contextmanager
def lean_connections() -> Iterator[None]:
    """Connections opened inside this block use a small page cache and no memory map (a long import:
    its two processes read and write the whole database once; with the defaults each held up to 64 MB
    of cache and 256 MB of mapped pages per connection). The defaults come back when it ends."""
    global CACHE_KIB, MMAP_BYTES
    saved = CACHE_KIB, MMAP_BYTES
    CACHE_KIB, MMAP_BYTES = LEAN_CACHE_KIB, LEAN_MMAP_BYTES
    try:
        yield
    finally:
        CACHE_KIB, MMAP_BYTES = saved


class SqliteBackend(Backend):
    """A SQLite file (``sqlite:///path``)."""

    name = "sqlite"

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.path = Path(url.removeprefix("sqlite:///"))
        self._watcher = VersionWatcher(str(self.path))

    def prepare(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def make_engine(self, *, writer: bool) -> Engine:
        engine = create_engine(
            self.url,
            connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
            pool_size=1 if writer else 8,
            max_overflow=0 if writer else 8,
        )

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn, _record):  # pragma: no cover - trivial
            # Take transaction control from pysqlite so BEGIN IMMEDIATE can be issued.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            cur.execute("PRAGMA temp_store=MEMORY")
            cur.execute(f"PRAGMA cache_size=-{int(CACHE_KIB)}")
            cur.execute(f"PRAGMA mmap_size={int(MMAP_BYTES)}")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn):  # pragma: no cover - trivial
            # The writer takes the database's write lock at BEGIN, so a write never fails half-way
            # with "database is locked" (other processes wait up to the busy timeout).
            conn.exec_driver_sql("BEGIN IMMEDIATE" if writer else "BEGIN")

        return engine

    def change_token(self, engine: Engine) -> int | None:
        return self._watcher.version()

    def close(self) -> None:
        self._watcher.close()

    def hold_lock(self, conn: Connection, name: str) -> None:
        """Nothing to do: a SQLite write transaction (``BEGIN IMMEDIATE``) already excludes every other writer."""

    @contextmanager
    def stage_lock(self, engine: Engine, name: str) -> Iterator[bool]:
        """An exclusive ``flock`` on a file beside the database (``NAME.db-stories.lock``): the processes
        of one host take turns (a SQLite file is not shared between hosts). The kernel releases it when
        the process dies."""
        import fcntl  # (POSIX only, as the rest of the worker)

        fd = os.open(self.path.with_name(f"{self.path.name}-{name}.lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                got = True
            except BlockingIOError:
                got = False
            yield got
        finally:
            os.close(fd)  # releases the lock

    def advance_sequence(self, conn: Connection, table: str, column: str = "id") -> None:
        """Nothing to do: an INTEGER PRIMARY KEY continues after the highest id by itself."""

    # -- full text ---------------------------------------------------------------------------------

    def fts_expression(self, query: FtsQuery) -> str:
        cols = "{title_acc body_acc}" if query.accented else "{title_fold body_fold}"
        return f"{cols} : ({_render(query.node)})"

    def fts_taken(self, conn: Connection, rowids: Sequence[int]) -> set[int]:
        if not rowids:
            return set()
        # One statement for every batch (an expanding parameter): SQL text with the ids written in
        # would be compiled anew for each batch and fill SQLAlchemy's statement cache.
        return set(conn.execute(_TAKEN_ROWIDS, {"ids": list(rowids)}).scalars())

    def fts_insert(self, conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            conn.execute(_INSERT, list(rows))

    def fts_delete(self, conn: Connection, rowids: Sequence[int]) -> None:
        if rowids:
            conn.execute(_DELETE, {"ids": list(rowids)})

    def _where(self, query: FtsQuery, where: FtsFilter) -> tuple[str, str, dict[str, object]]:
        """(join, condition, parameters) selecting the matching rows of ``documents_fts f``."""
        cond = ["f.documents_fts MATCH :q"]
        params: dict[str, object] = {"q": self.fts_expression(query)}
        if where.lo is not None:
            cond.append("f.rowid >= :lo")
            params["lo"] = where.lo
        if where.hi is not None:
            cond.append("f.rowid < :hi")
            params["hi"] = where.hi
        join = ""
        if where.needs_documents:
            join = "JOIN documents d ON d.fts_rowid = f.rowid"
            if where.sources:
                cond.append("d.source_id IN (" + ",".join(str(int(x)) for x in where.sources) + ")")
            if where.kinds:
                names = [k for k in where.kinds if k.isalpha() and k.isascii()]
                cond.append("d.kind IN (" + ",".join(f"'{k}'" for k in names) + ")")
        return join, " AND ".join(cond), params

    def _run(self, conn: Connection, sql: str, params: dict[str, object]):
        try:
            return conn.execute(sql_text(sql), params)
        except OperationalError as exc:  # SQLite reports FTS5 syntax problems as OperationalError
            if "fts5" in str(exc.orig).lower():
                raise QueryError(f"Truy vấn không hợp lệ (invalid query): {exc.orig}") from exc
            raise StoreError(f"Lỗi cơ sở dữ liệu khi đọc (database read failed): {exc.orig}") from exc

    def fts_page(self, conn, query, where, *, sort, limit, offset, window=None):
        join, cond, params = self._where(query, where)
        params.update(limit=int(limit), offset=int(offset))
        ranked = sort == "relevance"
        if ranked and window:
            cond = self._within_window(conn, join, cond, params, window)
        # BM25 (``rank``) is computed only when it orders the results: FTS5 counts every document
        # holding each query term to compute it, which costs more than the whole newest-first query.
        order = {"relevance": "f.rank", "newest": "f.rowid DESC", "oldest": "f.rowid ASC"}[sort]
        rows = self._run(
            conn,
            f"SELECT f.rowid{', f.rank' if ranked else ''} FROM documents_fts f {join} "
            f"WHERE {cond} ORDER BY {order} LIMIT :limit OFFSET :offset",
            params,
        ).all()
        if not ranked:
            return [(r[0], None) for r in rows]
        return sorted(((r[0], -float(r[1])) for r in rows), key=lambda p: (-p[1], -p[0]))

    def fts_count(self, conn, query, where):
        join, cond, params = self._where(query, where)
        return self._run(conn, f"SELECT count(*) FROM documents_fts f {join} WHERE {cond}", params).scalar() or 0

    def fts_buckets(self, conn, query, where, *, size, origin=0, backwards=False):
        join, cond, params = self._where(query, where)
        secs = f"(f.rowid >> {t.FTS_ID_SHIFT})"
        bucket = f"({int(origin)} - {secs}) / {int(size)}" if backwards else f"({secs} + {int(origin)}) / {int(size)}"
        rows = self._run(
            conn, f"SELECT {bucket} AS b, count(*) FROM documents_fts f {join} WHERE {cond} GROUP BY b", params
        ).all()
        return {int(b): int(n) for b, n in rows}
