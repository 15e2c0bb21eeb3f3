"""The PostgreSQL backend (server mode): psycopg 3 engines, a WAL-position change token, and full-text
search on ``tsvector`` columns with the same query language and the same matches as SQLite's FTS5.

Full-text table (migration 0001, PostgreSQL branch)::

    documents_fts(rowid BIGINT PRIMARY KEY, acc TSVECTOR NOT NULL, fold TSVECTOR NOT NULL)
    GIN index on acc and on fold

``rowid`` is the document's time-ordered ``fts_rowid`` (as on SQLite), so time ranges are row-id ranges
and newest-first is row-id order. ``acc`` holds the tone-canonical tokens, ``fold`` the diacritic-free
ones. Text reaches the index already normalised and folded by :mod:`kiemchung.text`; tokens are split
here in Python by the rule FTS5's ``unicode61`` tokenizer applies (runs of letters and digits,
lowercased) and written as a ``tsvector`` literal with positions (phrases) and weights (title ``A``,
body ``D``): PostgreSQL's own, locale-dependent parser never sees the text. Title and body positions
are one apart at least, so a phrase never spans the two, as in FTS5 where they are two columns.
Queries are compiled to a ``tsquery`` literal the same way (``<->`` for phrases, ``&``, ``|``, ``!``).

Known differences from FTS5, all on text far from news: PostgreSQL keeps at most 256 positions per
word and positions up to 16383 (a phrase deep inside a book-length body may not match; single words
always do); a token longer than 2047 bytes is cut; relevance is ``ts_rank`` with titles weighted 4x,
not BM25, so the same matches may come in another order.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, create_engine
from sqlalchemy import text as sql_text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from kiemchung.errors import QueryError, StoreError
from kiemchung.store import schema as t
from kiemchung.store.backends.base import AllOf, AnyOf, Backend, FtsFilter, FtsQuery, Phrase, Without

CONNECT_TIMEOUT_S = 10  # a server database that does not answer: a clear error, not a long hang
MAX_POSITION = 16383  # PostgreSQL's largest tsvector position
MAX_POSITIONS = 256  # positions PostgreSQL keeps per lexeme
MAX_LEXEME_BYTES = 2047
MAX_VECTOR_BYTES = 1_000_000  # PostgreSQL refuses a tsvector over 1 MB of lexemes
# Relevance: ts_rank weights in the order {D, C, B, A}: body (D) 1, title (A) 4, as FTS5's bm25(4, 1).
RANK_WEIGHTS = "{0.25, 0.25, 0.25, 1.0}"
# Newest-first: the matches of the newest 30 days are found first, older ones through the index
# (see PostgresBackend._newest).
RECENT_WINDOW_S = 30 * 86400
TWO_STEP_MAX_ROWS = 100  # pages ending deeper than this are asked in one query

_TAKEN = sql_text("SELECT rowid FROM documents_fts WHERE rowid IN :ids").bindparams(bindparam("ids", expanding=True))
_INSERT = sql_text(
    "INSERT INTO documents_fts(rowid, acc, fold) VALUES (:rowid, CAST(:acc AS tsvector), CAST(:fold AS tsvector))"
)
_DELETE = sql_text("DELETE FROM documents_fts WHERE rowid IN :ids").bindparams(bindparam("ids", expanding=True))


# ---------------------------------------------------------------------------------------------
# Tokens, as FTS5's unicode61 (remove_diacritics 0) makes them


@lru_cache(maxsize=4096)
def _is_token_char(ch: str) -> bool:
    cat = unicodedata.category(ch)
    return cat[0] in "LN" or cat in ("Co", "Cn")


def _lower(ch: str) -> str:
    low = ch.lower()
    return low if len(low) == 1 else ch


_ASCII_TOKENS = re.compile(r"[A-Za-z0-9]+")


def fts_tokens(text: str) -> list[str]:
    """The tokens FTS5's ``unicode61`` tokenizer makes of ``text``: runs of letters, digits and
    private-use characters, lowercased character by character."""
    if not text:
        return []
    if text.isascii():
        return _ASCII_TOKENS.findall(text.lower())
    out: list[str] = []
    cur: list[str] = []
    for ch in text:
        if ch.isascii():
            if ch.isalnum():
                cur.append(ch.lower())
                continue
        elif _is_token_char(ch):
            cur.append(_lower(ch))
            continue
        if cur:
            out.append("".join(cur))
            cur = []
    if cur:
        out.append("".join(cur))
    return out


def _clip(token: str) -> str:
    data = token.encode("utf-8")
    if len(data) <= MAX_LEXEME_BYTES:
        return token
    return data[:MAX_LEXEME_BYTES].decode("utf-8", "ignore")


def quote_lexeme(token: str) -> str:
    """``token`` as a quoted lexeme of a tsvector or tsquery literal (quotes doubled, backslashes escaped)."""
    return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"


def tsvector_literal(title: str, body: str) -> str:
    """A ``tsvector`` literal of ``title`` (weight A) and ``body`` (weight D), with positions."""
    positions: dict[str, list[str]] = {}
    size = 0
    pos = 0
    for part, weight in ((title, "A"), (body, "")):
        for token in fts_tokens(part):
            pos += 1
            token = _clip(token)
            seen = positions.get(token)
            if seen is None:
                size += len(token) + 8
                if size > MAX_VECTOR_BYTES:
                    continue
                positions[token] = seen = []
            if len(seen) < MAX_POSITIONS and pos <= MAX_POSITION:
                seen.append(f"{pos}{weight}")
        pos += 1  # a gap: no phrase runs from the title into the body
    return " ".join(
        f"{quote_lexeme(tok)}:{','.join(ps)}" if ps else quote_lexeme(tok) for tok, ps in positions.items()
    )


def _tsquery(node: object) -> str | None:
    if isinstance(node, Phrase):
        lexemes = [quote_lexeme(_clip(tok)) for part in node.tokens for tok in fts_tokens(part)]
        if not lexemes:
            return None
        return lexemes[0] if len(lexemes) == 1 else "(" + " <-> ".join(lexemes) + ")"
    if isinstance(node, AnyOf | AllOf):
        parts = [p for p in (_tsquery(n) for n in node.nodes) if p is not None]
        if not parts:
            return None
        return "(" + (" | " if isinstance(node, AnyOf) else " & ").join(parts) + ")"
    if isinstance(node, Without):
        expr = _tsquery(node.node)
        if expr is None:
            return None
        excluded = [p for p in (_tsquery(n) for n in node.exclude) if p is not None]
        return "(" + " & ".join([expr, *(f"!{p}" for p in excluded)]) + ")"
    raise TypeError(f"not a full-text query node: {node!r}")


def tsquery_literal(query: FtsQuery) -> str | None:
    """The ``tsquery`` literal of a compiled query (None when no token is left)."""
    return _tsquery(query.node)


# ---------------------------------------------------------------------------------------------
# The backend


def engine_url(url: str) -> str:
    """``url`` with the psycopg 3 driver named (``postgresql://`` → ``postgresql+psycopg://``)."""
    scheme, rest = url.split("://", 1)
    if scheme in ("postgres", "postgresql"):
        scheme = "postgresql+psycopg"
    return f"{scheme}://{rest}"


def _lsn(value: str) -> int:
    high, low = str(value).split("/")
    return (int(high, 16) << 32) | int(low, 16)


class PostgresBackend(Backend):
    """A PostgreSQL database (``postgresql://user@host/db``), through psycopg 3."""

    name = "postgresql"

    def make_engine(self, *, writer: bool) -> Engine:
        # A reading block (Database.read) sees one snapshot, as a SQLite read transaction does in WAL
        # mode: at READ COMMITTED each statement would see the commits made since the one before, so
        # two statements of one read could come from two different writes (another host's save between
        # them). Read-only REPEATABLE READ transactions never fail with a serialization error.
        return create_engine(
            engine_url(self.url),
            pool_pre_ping=True,
            pool_size=2 if writer else 8,
            max_overflow=0 if writer else 8,
            connect_args={"connect_timeout": CONNECT_TIMEOUT_S},
            **({} if writer else {"isolation_level": "REPEATABLE READ"}),
        )

    def change_token(self, engine: Engine) -> int | None:
        # The WAL insert position moves with every commit of any session on any host (and with some
        # maintenance: that only drops caches early), and a commit is in the WAL before it is visible.
        try:
            with engine.connect() as conn:
                return _lsn(conn.exec_driver_sql("SELECT pg_current_wal_insert_lsn()").scalar())
        except SQLAlchemyError:
            return None

    def hold_lock(self, conn: Connection, name: str) -> None:
        # A transaction-level advisory lock: released at commit or rollback, also if the client dies.
        conn.execute(sql_text("SELECT pg_advisory_xact_lock(hashtext(:name))"), {"name": f"kiemchung:{name}"})

    @contextmanager
    def stage_lock(self, engine: Engine, name: str) -> Iterator[bool]:
        # A session-level advisory lock on a connection of its own, held while the block runs (a
        # transaction-level one would end at the stage's first commit). The server releases it when
        # the session ends, so a worker that dies or loses the database holds nothing.
        params = {"name": f"kiemchung:stage:{name}"}
        conn = engine.connect()
        try:
            got = bool(conn.execute(sql_text("SELECT pg_try_advisory_lock(hashtext(:name))"), params).scalar())
            conn.commit()
        except BaseException:
            conn.invalidate()
            conn.close()
            raise
        try:
            yield got
        finally:
            try:
                if got:
                    conn.execute(sql_text("SELECT pg_advisory_unlock(hashtext(:name))"), params)
                    conn.commit()
            except SQLAlchemyError:
                conn.invalidate()  # not back into the pool with the lock perhaps still held
            finally:
                conn.close()

    def advance_sequence(self, conn: Connection, table: str, column: str = "id") -> None:
        if not (table.isidentifier() and column.isidentifier()):
            raise ValueError(f"not a plain table/column name: {table}.{column}")
        conn.exec_driver_sql(
            f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
            f"(SELECT max({column}) FROM {table}), true) WHERE EXISTS (SELECT 1 FROM {table})"
        )

    # -- full text ---------------------------------------------------------------------------------

    def fts_expression(self, query: FtsQuery) -> str:
        column = "acc" if query.accented else "fold"
        return f"{column} @@ {tsquery_literal(query) or ''}"

    def fts_taken(self, conn: Connection, rowids: Sequence[int]) -> set[int]:
        if not rowids:
            return set()
        return set(conn.execute(_TAKEN, {"ids": list(rowids)}).scalars())

    def fts_insert(self, conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            conn.execute(
                _INSERT,
                [
                    {
                        "rowid": r["rowid"],
                        "acc": tsvector_literal(r["title_acc"], r["body_acc"]),
                        "fold": tsvector_literal(r["title_fold"], r["body_fold"]),
                    }
                    for r in rows
                ],
            )

    def fts_delete(self, conn: Connection, rowids: Sequence[int]) -> None:
        if rowids:
            conn.execute(_DELETE, {"ids": list(rowids)})

    def _where(self, query: FtsQuery, where: FtsFilter) -> tuple[str, str, str, dict[str, object]] | None:
        """(column, join, condition, parameters) selecting the matching rows of ``documents_fts f``."""
        literal = tsquery_literal(query)
        if literal is None:
            return None
        column = "f.acc" if query.accented else "f.fold"
        cond = [f"{column} @@ CAST(:q AS tsquery)"]
        params: dict[str, object] = {"q": literal}
        if where.lo is not None:
            cond.append("f.rowid >= :lo")
            params["lo"] = int(where.lo)
        if where.hi is not None:
            cond.append("f.rowid < :hi")
            params["hi"] = int(where.hi)
        join = ""
        if where.needs_documents:
            join = "JOIN documents d ON d.fts_rowid = f.rowid"
            if where.sources:
                cond.append("d.source_id IN (" + ",".join(str(int(x)) for x in where.sources) + ")")
            if where.kinds:
                names = [k for k in where.kinds if k.isalpha() and k.isascii()]
                cond.append("d.kind IN (" + ",".join(f"'{k}'" for k in names) + ")")
        return column, join, " AND ".join(cond), params

    def _run(self, conn: Connection, sql: str, params: dict[str, object]):
        try:
            return conn.execute(sql_text(sql), params)
        except DBAPIError as exc:
            if "tsquery" in str(exc.orig).lower() or "tsvector" in str(exc.orig).lower():
                raise QueryError(f"Truy vấn không hợp lệ (invalid query): {exc.orig}") from exc
            raise StoreError(f"Lỗi cơ sở dữ liệu khi đọc (database read failed): {exc.orig}") from exc

    def fts_page(self, conn, query, where, *, sort, limit, offset, window=None):
        parts = self._where(query, where)
        if parts is None:
            return []
        column, join, cond, params = parts
        params.update(limit=int(limit), offset=int(offset))
        if sort == "newest":
            return [(rid, None) for rid in self._newest(conn, join, cond, params, int(limit), int(offset))]
        if sort != "relevance":
            rows = self._run(
                conn,
                f"SELECT f.rowid FROM documents_fts f {join} WHERE {cond} "
                "ORDER BY f.rowid ASC LIMIT :limit OFFSET :offset",
                params,
            ).all()
            return [(r[0], None) for r in rows]
        if window:
            # One query here: the bound is the window-th match, and for common words the newest 30 days
            # hold fewer than that, when collecting every older match costs more than the walk.
            cond = self._within_window(conn, join, cond, params, window)
        rows = self._run(
            conn,
            f"SELECT f.rowid, ts_rank('{RANK_WEIGHTS}', {column}, CAST(:q AS tsquery), 1) AS score "
            f"FROM documents_fts f {join} WHERE {cond} ORDER BY score DESC, f.rowid DESC "
            "LIMIT :limit OFFSET :offset",
            params,
        ).all()
        return [(r[0], float(r[1])) for r in rows]

    def _newest(self, conn, join: str, cond: str, params: dict[str, object], limit: int, offset: int) -> list[int]:
        """Row ids of the matches ``offset`` to ``offset + limit``, newest first, in two steps.

        Asked for the newest matches in one query, the planner picks between collecting every match
        through the GIN index and walking the time-ordered primary key backwards until enough rows
        pass the text condition, from its estimate of how many rows match, and that estimate is far
        off for phrases and for words that often come together (it multiplies the words' frequencies):
        a phrase of common words whose matches are weeks or years old was answered by a walk over
        most of the table (0.4 to 1.6 s over 1.5 million documents). Here the walk is bounded: first the
        newest :data:`RECENT_WINDOW_S` seconds of row ids (their matches, newest first: cheap by either
        plan), and only when that window holds too few, the matches older than it, collected through
        the index (``MATERIALIZED`` keeps the planner from walking again) and sorted. The rows are those
        of the one-query form, in the same order."""
        need = limit + offset
        if need > TWO_STEP_MAX_ROWS:  # deep pages: the older step would collect every match of common words
            return self._run(
                conn,
                f"SELECT f.rowid FROM documents_fts f {join} WHERE {cond} "
                "ORDER BY f.rowid DESC LIMIT :limit OFFSET :offset",
                {**params, "limit": limit, "offset": offset},
            ).scalars().all()
        # The window's edge as a subquery (not a round trip of its own): one query when it is enough.
        recent = f"(SELECT max(rowid) FROM documents_fts) - {int(RECENT_WINDOW_S) << t.FTS_ID_SHIFT}"
        first = self._run(
            conn,
            f"SELECT f.rowid FROM documents_fts f {join} WHERE f.rowid >= {recent} AND {cond} "
            "ORDER BY f.rowid DESC LIMIT :need",
            {**params, "need": need},
        ).scalars().all()
        if len(first) < need:
            # Below the first answer's last row too: a document stored in between moves the edge. The
            # bound is checked on the index's rows (``+ 0``), not read from the primary key: the planner
            # took that range (most of the table) for selective and read all of it to AND the bitmaps.
            below = " AND f.rowid + 0 < :last" if first else ""
            first += self._run(
                conn,
                f"WITH m AS MATERIALIZED (SELECT f.rowid FROM documents_fts f {join} "
                f"WHERE f.rowid + 0 < {recent}{below} AND {cond}) SELECT rowid FROM m ORDER BY rowid DESC LIMIT :need",
                {**params, "need": need - len(first), "last": first[-1] if first else None},
            ).scalars().all()
        return list(first[offset:need])

    def fts_count(self, conn, query, where):
        parts = self._where(query, where)
        if parts is None:
            return 0
        _, join, cond, params = parts
        return self._run(conn, f"SELECT count(*) FROM documents_fts f {join} WHERE {cond}", params).scalar() or 0

    def fts_buckets(self, conn, query, where, *, size, origin=0, backwards=False):
        parts = self._where(query, where)
        if parts is None:
            return {}
        _, join, cond, params = parts
        secs = f"(f.rowid >> {t.FTS_ID_SHIFT})"
        bucket = f"({int(origin)} - {secs}) / {int(size)}" if backwards else f"({secs} + {int(origin)}) / {int(size)}"
        rows = self._run(
            conn, f"SELECT {bucket} AS b, count(*) FROM documents_fts f {join} WHERE {cond} GROUP BY b", params
        ).all()
        return {int(b): int(n) for b, n in rows}
