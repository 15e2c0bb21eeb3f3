"""What the store needs from a database engine, and the full-text query every backend runs.

A :class:`Backend` owns what differs between SQL dialects: engine set-up and write locking, the
database-wide change token, and the full-text index (index rows, which row ids are taken, match a
query with filters, count matches, count them per time bucket). Everything above the store (ingest,
stories, claims, web, reports) talks to a backend only through :class:`kiemchung.store.Database`.

Full-text rows are keyed by ``documents.fts_rowid`` (:func:`kiemchung.store.schema.fts_rowid`): the
document's time in seconds shifted left by ``FTS_ID_SHIFT``, so a time range is a row-id range and
newest-first is row-id order on every backend.

A query reaches a backend already parsed and tokenised (:func:`kiemchung.store.search.compile_tree`)
as a small tree of :class:`Phrase`, :class:`AnyOf`, :class:`AllOf` and :class:`Without`: each backend
writes it in its own syntax (FTS5 MATCH text, a PostgreSQL ``tsquery``...).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine

SORTS = ("relevance", "newest", "oldest")


# ---------------------------------------------------------------------------------------------
# The parsed full-text query


@dataclass(frozen=True)
class Phrase:
    """Tokens that must follow each other in one field (a single token is a one-word phrase).

    Tokens are lowercase and, for an accent-insensitive query, folded (:func:`kiemchung.text.fold`).
    """

    tokens: tuple[str, ...]


@dataclass(frozen=True)
class AnyOf:
    """At least one of the nodes (OR)."""

    nodes: tuple[object, ...]


@dataclass(frozen=True)
class AllOf:
    """Every node (AND)."""

    nodes: tuple[object, ...]


@dataclass(frozen=True)
class Without:
    """What ``node`` matches, minus what any of ``exclude`` matches (NOT)."""

    node: object
    exclude: tuple[object, ...]


@dataclass(frozen=True)
class FtsQuery:
    """A compiled search query: the tree, the folded terms to highlight, and which text it is matched
    against (``accented``: the tone-canonical text; otherwise the diacritic-free text)."""

    node: object
    terms: frozenset[str]
    accented: bool


@dataclass(frozen=True)
class FtsFilter:
    """Which rows a full-text match may return: a row-id range (from times) and document filters."""

    lo: int | None = None  # lowest row id (inclusive)
    hi: int | None = None  # highest row id (exclusive)
    sources: tuple[int, ...] = ()
    kinds: tuple[str, ...] = ()

    @property
    def needs_documents(self) -> bool:
        """Whether the filter reads the documents table (sources or kinds)."""
        return bool(self.sources or self.kinds)


# ---------------------------------------------------------------------------------------------
# The interface


class Backend(ABC):
    """One database engine behind the store; made by :func:`kiemchung.store.backends.backend_for`."""

    name: str = ""
    #: The local file of the database, when it is one (SQLite).
    path: Path | None = None

    def __init__(self, url: str) -> None:
        self.url = url

    # -- engines, locking, change token ----------------------------------------------------------

    @abstractmethod
    def make_engine(self, *, writer: bool) -> Engine:
        """An engine for reading (a pool) or for the single writer (``writer=True``)."""

    def prepare(self) -> None:
        """Whatever must exist before the first connection (the folder of a SQLite file)."""

    @abstractmethod
    def change_token(self, engine: Engine) -> int | None:
        """A number that changes whenever anything is committed to the database, by any connection,
        process or host. None when it cannot be told now: then nothing may be cached on it."""

    def close(self) -> None:
        """Release what the backend holds besides the engines."""

    @abstractmethod
    def hold_lock(self, conn: Connection, name: str) -> None:
        """Hold the database-wide lock ``name`` until the write transaction of ``conn`` ends, so
        writers in every process and on every host take turns."""

    @abstractmethod
    def stage_lock(self, engine: Engine, name: str) -> AbstractContextManager[bool]:
        """Try to take the lock ``name`` for as long as the ``with`` block runs, without waiting: True
        when this process holds it, False when another process (on any host) does. Released when the
        block ends, and also when the process dies."""

    @abstractmethod
    def advance_sequence(self, conn: Connection, table: str, column: str = "id") -> None:
        """After rows were inserted into ``table`` with explicit ids, make the id sequence continue
        after the highest one, so a later insert that lets the database choose cannot collide."""

    # -- full text ---------------------------------------------------------------------------------

    @abstractmethod
    def fts_expression(self, query: FtsQuery) -> str:
        """The backend's own text for ``query`` (FTS5 MATCH text, a tsquery): shown to developers."""

    @abstractmethod
    def fts_taken(self, conn: Connection, rowids: Sequence[int]) -> set[int]:
        """Which of ``rowids`` already have a full-text row."""

    @abstractmethod
    def fts_insert(self, conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
        """Index rows: dicts with ``rowid``, ``title_acc``, ``body_acc`` (tone-canonical text),
        ``title_fold`` and ``body_fold`` (diacritic-free text), as :mod:`kiemchung.ingest` prepares them."""

    @abstractmethod
    def fts_delete(self, conn: Connection, rowids: Sequence[int]) -> None:
        """Remove the full-text rows of ``rowids``."""

    @abstractmethod
    def fts_page(
        self,
        conn: Connection,
        query: FtsQuery,
        where: FtsFilter,
        *,
        sort: str,
        limit: int,
        offset: int,
        window: int | None = None,
    ) -> list[tuple[int, float | None]]:
        """One page of matches as ``(row id, score)``, in ``sort`` order (``newest``, ``oldest``, or
        ``relevance``: titles weighted, higher score first, among the newest ``window`` matches when
        given). The score is None unless sorted by relevance."""

    @abstractmethod
    def fts_count(self, conn: Connection, query: FtsQuery, where: FtsFilter) -> int:
        """How many rows match."""

    @abstractmethod
    def fts_buckets(
        self, conn: Connection, query: FtsQuery, where: FtsFilter, *, size: int, origin: int = 0,
        backwards: bool = False,
    ) -> dict[int, int]:
        """Matches per time bucket: with ``s`` a match's time in seconds, its bucket is
        ``(s + origin) // size``, or ``(origin - s) // size`` with ``backwards`` (windows counted
        back from ``origin``). ``where`` must bound the row ids so every value is non-negative."""

    # -- shared by the implementations: the full-text table is ``documents_fts f`` keyed by ``f.rowid``

    def _within_window(self, conn: Connection, join: str, cond: str, params: dict[str, object],
                       window: int) -> str:
        """``cond`` narrowed to the newest ``window`` matches (ids after the window-th newest match), or
        ``cond`` itself when there are fewer; the bound goes into ``params`` as ``:window``. Uses the
        implementation's ``_run(conn, sql, params)``."""
        bound = self._run(  # type: ignore[attr-defined]
            conn,
            f"SELECT f.rowid FROM documents_fts f {join} WHERE {cond} "
            f"ORDER BY f.rowid DESC LIMIT 1 OFFSET {int(window)}",
            params,
        ).scalar()
        if bound is None:
            return cond
        params["window"] = bound
        return f"f.rowid > :window AND {cond}"
