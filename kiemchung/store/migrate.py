"""Moving an installation: copy every table of one kiemchung database into another (``kiemchung migrate-db``).

The usual move is from the embedded SQLite file to PostgreSQL (server mode); SQLite to SQLite works
the same way (a clean copy on another disk). What the copy guarantees:

* **Every table, in foreign-key order.** The tables are those of the store's metadata (documents,
  sources, stories and their hand edits, fact-checks and their versions, alerts, users, audit,
  settings, …) plus any other table the migrations made that the metadata does not describe (reflected).
  Rows keep their ids; on PostgreSQL each id sequence is moved past the highest copied id afterwards.
* **Streamed.** Rows are read in primary-key order in keyset-paginated batches (``WHERE pk > last
  ORDER BY pk LIMIT n``) inside one read transaction of the source (a consistent snapshot); nothing
  holds a whole table in memory.
* **Full-text index rebuilt on the target** from the copied rows, through the same field function as
  ingest (:func:`kiemchung.ingest.index_fields`), in the same transaction as each documents batch.
* **Resumable.** Each batch commits together with its progress row (``migrate_db_progress`` in the
  target: table, last primary key, rows copied). A run that was interrupted (Ctrl-C, a killed process, a
  lost connection) is resumed by running the same command again; nothing is copied twice.
* **One run at a time.** A PostgreSQL target is locked with a session advisory lock, a SQLite target
  with an exclusive lock on ``<file>.migrate-lock`` (both released by the operating system or server if
  the process dies); a second run refuses at once.
* **Refuses to overwrite.** A target that holds data and is not a partial copy from the same source is
  refused.
* **Verified.** Afterwards each table is read again on both sides in primary-key order and its rows
  counted and hashed (SHA-256 over a canonical form of each row computed in Python, so that dialect
  differences in datetimes, JSON, booleans and bytes do not matter); the result is one line per table.

Writers should be stopped during the move (``serve``, ``watch``, workers): rows they write to the
source after the snapshot is taken are not copied, and the verification would report them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import hashlib
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    delete,
    func,
    insert,
    inspect,
    select,
    text as sql_text,
    tuple_,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError

from kiemchung import timeutil
from kiemchung.errors import StoreError
from kiemchung.store import schema as t
from kiemchung.store.database import Database, _connect_error, _url_for

# -- bookkeeping tables in the target (not part of the store's schema; made by migrate-db itself) ----

_book = MetaData()

migrate_db_state = Table(
    "migrate_db_state",
    _book,
    Column("id", Integer, primary_key=True),
    Column("source", Text, nullable=False),  # the source URL, password hidden
    Column("revision", String(40)),  # schema revision of both sides
    Column("started_at", t.UTCDateTime, nullable=False),
    Column("copied_at", t.UTCDateTime),  # every table copied
    Column("verified_at", t.UTCDateTime),  # counts and checksums equal
)

migrate_db_progress = Table(
    "migrate_db_progress",
    _book,
    Column("table_name", String(100), primary_key=True),
    Column("last_key", Text),  # JSON list: the primary key of the last row copied
    Column("copied", BigInteger, nullable=False),
    Column("done", Boolean, nullable=False),
    Column("updated_at", t.UTCDateTime, nullable=False),
)

BOOKKEEPING = frozenset({"migrate_db_state", "migrate_db_progress"})

# Tables that are not data: the migration version, the full-text index (rebuilt, not copied; FTS5's
# shadow tables share its prefix), SQLite internals and the job queue's own tables.
_SKIP_PREFIXES = ("alembic_version", "documents_fts", "sqlite_", "procrastinate_")

# Session advisory lock key on PostgreSQL ("kcmigrat" as 8 bytes, fits a signed bigint).
ADVISORY_LOCK_KEY = int.from_bytes(b"kcmigrat", "big") & 0x7FFF_FFFF_FFFF_FFFF

DEFAULT_BATCH = 1000
DOCUMENT_BATCH = 500  # documents carry bodies and raw payloads


@dataclass
class TableCheck:
    """Counts and checksums of one table on both sides."""

    name: str
    source_rows: int
    target_rows: int
    source_sum: str
    target_sum: str

    @property
    def ok(self) -> bool:
        return self.source_rows == self.target_rows and self.source_sum == self.target_sum


@dataclass
class MigrationResult:
    """What a ``migrate-db`` run did."""

    source: str
    target: str
    resumed: bool = False
    copied: dict[str, int] = field(default_factory=dict)  # rows copied by this run, per table
    checks: list[TableCheck] = field(default_factory=list)
    index_rows: tuple[int, int] | None = None  # (documents with an index row id, index rows) on the target

    @property
    def ok(self) -> bool:
        index_ok = self.index_rows is None or self.index_rows[0] == self.index_rows[1]
        return bool(self.checks) and all(c.ok for c in self.checks) and index_ok


class MigrationRefused(StoreError):
    """The target cannot take this copy (busy, not empty, another source)."""


# -- URLs ------------------------------------------------------------------------------------------


def display_url(url: str) -> str:
    """A database URL fit to print: the password hidden."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def _target_url(target: str | Path) -> str:
    """The target as the store's URL (``sqlite:///…`` or ``postgresql+psycopg://…``); bad ones refused."""
    return _url_for(target)


def _check_reachable(url: str) -> None:
    """Connect once to a server target, so that a wrong or unreachable URL is one clear error."""
    if make_url(url).get_backend_name() == "sqlite":
        return
    engine = create_engine(url, connect_args={"connect_timeout": 10})
    try:
        with engine.connect():
            pass
    except DBAPIError as exc:
        raise _connect_error(url, exc) from exc
    finally:
        engine.dispose()


def _same_database(a: str, b: str) -> bool:
    ua, ub = make_url(a), make_url(b)
    if ua.get_backend_name() == ub.get_backend_name() == "sqlite":
        pa, pb = Path(ua.database or ""), Path(ub.database or "")
        with contextlib.suppress(OSError):
            return pa.resolve() == pb.resolve() or (pa.exists() and pb.exists() and os.path.samefile(pa, pb))
        return False
    return (ua.host, ua.port, ua.database, ua.get_backend_name()) == (ub.host, ub.port, ub.database, ub.get_backend_name())


# -- tables ----------------------------------------------------------------------------------------


def store_metadata() -> MetaData:
    """The store's metadata with every table module imported (the tables live beside their code)."""
    import kiemchung.audit  # noqa: F401
    import kiemchung.captures.tables  # noqa: F401
    import kiemchung.claims.tables  # noqa: F401
    import kiemchung.images.tables  # noqa: F401
    import kiemchung.stories.places_tables  # noqa: F401
    import kiemchung.stories.tables  # noqa: F401
    import kiemchung.store.blobs  # noqa: F401
    import kiemchung.tips.tables  # noqa: F401
    import kiemchung.users  # noqa: F401

    return t.metadata


# Copied by _copy_blobs instead: a SQLite store keeps blobs as files, so the tables differ by design.
_BLOB_TABLES = frozenset({"blobs"})


def _is_data_table(name: str) -> bool:
    return name not in BOOKKEEPING and name not in _BLOB_TABLES and not name.startswith(_SKIP_PREFIXES)


def tables_to_copy(conn) -> list[Table]:
    """The data tables of the database on ``conn``, parents before children."""
    present = {n for n in inspect(conn).get_table_names() if _is_data_table(n)}
    metadata = store_metadata()
    ordered = [tbl for tbl in metadata.sorted_tables if tbl.name in present]
    known = {tbl.name for tbl in ordered}
    extra = MetaData()
    for name in sorted(present - known):
        # A table the migrations made that no module describes: copy it with the types reflected.
        ordered.append(Table(name, extra, autoload_with=conn))
    for tbl in ordered:
        if not tbl.primary_key.columns:
            raise StoreError(
                f"Bảng {tbl.name} không có khoá chính nên không chép theo lô được "
                f"(table {tbl.name} has no primary key; it cannot be copied in batches)"
            )
    return ordered


def _key_columns(tbl: Table, dialect: str) -> list:
    """The primary-key columns as sort expressions; text keys in byte order on both dialects."""
    cols = []
    for col in tbl.primary_key.columns:
        if dialect == "postgresql" and isinstance(col.type, (String, Text)):
            cols.append(col.collate("C"))  # SQLite's BINARY order is code-point order too
        else:
            cols.append(col)
    return cols


def _after(keys: list, last: list | None):
    if last is None:
        return None
    if len(keys) == 1:
        return keys[0] > last[0]
    return tuple_(*keys) > tuple_(*last)


def _iter_batches(conn, tbl: Table, batch: int, last: list | None = None) -> Iterator[tuple[list, list]]:
    """(rows, last key) batches of ``tbl`` in primary-key order after ``last``."""
    dialect = conn.dialect.name
    keys = _key_columns(tbl, dialect)
    pk_names = [c.name for c in tbl.primary_key.columns]
    while True:
        query = select(tbl).order_by(*keys).limit(batch)
        cond = _after(keys, last)
        if cond is not None:
            query = query.where(cond)
        rows = conn.execute(query).fetchall()
        if not rows:
            return
        last = [rows[-1]._mapping[n] for n in pk_names]
        yield rows, last


# -- canonical rows and checksums --------------------------------------------------------------------


def _canon(value: Any, col_type: Any = None) -> Any:
    """A dialect-independent, JSON-encodable form of one column value."""
    if value is None:
        return None
    if isinstance(col_type, Boolean) or isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:  # reflected tables on SQLite: stored as UTC without an offset
            value = value.replace(tzinfo=dt.UTC)
        return "t:" + value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return "d:" + value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "b:" + hashlib.sha256(bytes(value)).hexdigest()
    if isinstance(value, (dict, list)):
        return value
    return str(value)


def _row_bytes(row, types: list) -> bytes:
    values = [_canon(v, ty) for v, ty in zip(row, types)]
    return json.dumps(values, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str).encode()


def table_checksum(conn, tbl: Table, *, batch: int = DEFAULT_BATCH) -> tuple[int, str]:
    """(rows, SHA-256 hex) of ``tbl`` read in primary-key order, in a canonical form of each row."""
    digest = hashlib.sha256()
    types = [c.type for c in tbl.columns]
    n = 0
    for rows, _last in _iter_batches(conn, tbl, batch):
        for row in rows:
            digest.update(_row_bytes(row, types))
            digest.update(b"\n")
        n += len(rows)
    return n, digest.hexdigest()


# -- locks -------------------------------------------------------------------------------------------


@contextlib.contextmanager
def _run_lock(target_url: str) -> Iterator[None]:
    """Hold the one-run-at-a-time lock of the target for the duration of the block."""
    url = make_url(target_url)
    if url.get_backend_name() == "sqlite":
        import fcntl

        path = Path(url.database or "").with_name(Path(url.database or "").name + ".migrate-lock")
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a+") as handle:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as exc:
                raise MigrationRefused(_busy_message(target_url)) from exc
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        return
    engine = create_engine(target_url)
    try:
        with engine.connect() as conn:
            got = conn.execute(select(func.pg_try_advisory_lock(ADVISORY_LOCK_KEY))).scalar()
            conn.commit()
            if not got:
                raise MigrationRefused(_busy_message(target_url))
            try:
                yield
            finally:
                with contextlib.suppress(SQLAlchemyError):
                    conn.execute(select(func.pg_advisory_unlock(ADVISORY_LOCK_KEY)))
                    conn.commit()
    finally:
        engine.dispose()


def _busy_message(target_url: str) -> str:
    return (
        "Một lệnh migrate-db khác đang chạy vào cơ sở dữ liệu đích này; chờ nó xong rồi chạy lại "
        f"(another migrate-db run is copying into this target; wait for it to finish): {display_url(target_url)}"
    )


# -- the target's state ----------------------------------------------------------------------------


def _target_state(target_url: str) -> tuple[str, dict | None]:
    """("empty" | "partial" | "data", state row) of the target before it is opened as a store."""
    engine = create_engine(target_url)
    try:
        with engine.connect() as conn:
            names = set(inspect(conn).get_table_names())
            if "migrate_db_state" in names:
                row = conn.execute(select(migrate_db_state)).first()
                if row is not None:
                    return "partial", dict(row._mapping)
            for name in sorted(names):
                if not _is_data_table(name):
                    continue
                quoted = conn.dialect.identifier_preparer.quote(name)
                # The migrations themselves write a few settings (bookkeeping of data migrations); a
                # database that was only created, never used, has no author salt yet.
                where = " WHERE key = 'author_salt'" if name == "settings" else ""
                if conn.exec_driver_sql(f"SELECT 1 FROM {quoted}{where} LIMIT 1").first() is not None:
                    return "data", None
            return "empty", None
    finally:
        engine.dispose()


def _progress(conn) -> dict[str, dict]:
    return {r.table_name: dict(r._mapping) for r in conn.execute(select(migrate_db_progress))}


def _reset_sequences(conn, tbl: Table) -> None:
    """Move a PostgreSQL id sequence past the highest id copied (rows arrived with explicit ids)."""
    if conn.dialect.name != "postgresql":
        return
    q = conn.dialect.identifier_preparer.quote
    for col in tbl.primary_key.columns:
        if not isinstance(col.type, Integer):
            continue
        conn.exec_driver_sql(
            f"SELECT setval(seq, COALESCE((SELECT MAX({q(col.name)}) FROM {q(tbl.name)}), 0) + 1, false) "
            f"FROM (SELECT pg_get_serial_sequence(%(t)s, %(c)s) AS seq) s WHERE seq IS NOT NULL",
            {"t": q(tbl.name), "c": col.name},
        )


# -- the full-text index on the target ----------------------------------------------------------------


def _fts_inserter(dest: Database) -> Callable[[Any, list[dict]], None] | None:
    """How to add full-text rows on the target: the store backend's, else FTS5 on SQLite, else None."""
    backend = getattr(dest, "backend", None)
    if backend is not None and hasattr(backend, "fts_insert"):
        return backend.fts_insert
    if dest.is_sqlite:
        statement = sql_text(
            "INSERT INTO documents_fts(rowid, title_acc, body_acc, title_fold, body_fold) "
            "VALUES (:rowid, :title_acc, :body_acc, :title_fold, :body_fold)"
        )
        return lambda conn, rows: conn.execute(statement, rows) if rows else None
    return None


def _index_documents(inserter, conn, rows: list[dict]) -> None:
    """Index copied documents on the target, with the fields ingest computes for them."""
    from kiemchung.ingest import index_fields

    fts_rows = []
    for r in rows:
        if r.get("fts_rowid") is None:
            continue
        ta, ba, tf, bf = index_fields(r["kind"], r["title"] or "", r["lead"] or "", r["body"] or "")
        fts_rows.append({"rowid": r["fts_rowid"], "title_acc": ta, "body_acc": ba, "title_fold": tf, "body_fold": bf})
    if fts_rows:
        inserter(conn, fts_rows)


def _index_counts(conn) -> tuple[int, int]:
    docs = conn.execute(
        select(func.count()).select_from(t.documents).where(t.documents.c.fts_rowid.is_not(None))
    ).scalar_one()
    return docs, conn.exec_driver_sql("SELECT count(*) FROM documents_fts").scalar_one()


# -- the copy ------------------------------------------------------------------------------------------


ProgressFn = Callable[[str, int, int], None]  # (table, rows copied so far, rows in the table)


def migrate_database(
    source: Database,
    target: str | Path,
    *,
    batch: int = DEFAULT_BATCH,
    on_progress: ProgressFn | None = None,
    verify: bool = True,
) -> MigrationResult:
    """Copy the installation at ``source`` into the database at ``target`` (a path or URL).

    Raises :class:`MigrationRefused` when another run holds the target, when the target holds data
    that is not a partial copy from this source, or when source and target are the same database.
    """
    target_url = _target_url(target)
    if _same_database(source.url, target_url):
        raise MigrationRefused(
            "Nguồn và đích là cùng một cơ sở dữ liệu (source and target are the same database): "
            f"{display_url(target_url)}"
        )
    result = MigrationResult(source=display_url(source.url), target=display_url(target_url))
    _check_reachable(target_url)
    try:
        with _run_lock(target_url):
            _migrate_locked(source, target_url, result, batch, on_progress, verify)
    except (DBAPIError, NoSuchModuleError) as exc:
        raise StoreError(
            f"Lỗi cơ sở dữ liệu khi chuyển; những lô đã chép được giữ, chạy lại lệnh để tiếp tục "
            f"(database error while migrating; the batches copied are kept, rerun to resume): {_short(exc)}"
        ) from exc
    except SQLAlchemyError as exc:
        raise StoreError(f"Lỗi khi chuyển cơ sở dữ liệu (migration failed): {_short(exc)}") from exc
    return result


def _short(exc: Exception) -> str:
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _migrate_locked(source: Database, target_url: str, result: MigrationResult, batch: int,
                    on_progress: ProgressFn | None, verify: bool) -> None:
    kind, state = _target_state(target_url)
    source_name = display_url(source.url)
    if kind == "data":
        raise MigrationRefused(
            "Cơ sở dữ liệu đích đã có dữ liệu và không phải bản chép dở của migrate-db; chọn một cơ sở "
            "dữ liệu trống (the target database holds data and is not a partial migrate-db copy; "
            f"give an empty database): {display_url(target_url)}"
        )
    if kind == "partial" and state is not None and state["source"] != source_name:
        raise MigrationRefused(
            f"Cơ sở dữ liệu đích là bản chép dở từ một nguồn khác ({state['source']}); chạy lại với nguồn "
            f"đó hoặc chọn đích khác (the target holds a partial copy from another source)"
        )
    result.resumed = kind == "partial"
    revision = source.schema_revision()
    with Database(target_url) as dest:
        if dest.schema_revision() != revision:
            raise MigrationRefused(
                f"Phiên bản lược đồ khác nhau: nguồn {revision}, đích {dest.schema_revision()} "
                f"(schema revisions differ: source {revision}, target {dest.schema_revision()})"
            )
        with source.read() as sconn:
            if sconn.dialect.name == "postgresql":
                sconn.execution_options(isolation_level="REPEATABLE READ")
            tables = tables_to_copy(sconn)
            with dest.write() as conn:
                _book.create_all(conn)
                if conn.execute(select(migrate_db_state)).first() is None:
                    # A new copy: the rows the target's migrations wrote (settings) give way to the source's.
                    for tbl in reversed(tables_to_copy(conn)):
                        conn.execute(delete(tbl))
                    conn.execute(insert(migrate_db_state).values(
                        id=1, source=source_name, revision=revision, started_at=timeutil.now()))
            _copy(sconn, dest, tables, result, batch, on_progress)
            _copy_blobs(source, dest)
            with dest.write() as conn:
                conn.execute(update(migrate_db_state).values(copied_at=timeutil.now()))
            if verify:
                _verify(sconn, dest, tables, result)
        if verify and result.ok:
            with dest.write() as conn:
                conn.execute(update(migrate_db_state).values(verified_at=timeutil.now()))


def _copy_blobs(source: Database, dest: Database) -> int:
    """Copy the kept pages' and images' blobs (files next to a SQLite store or in the ``image_folder``,
    the ``blobs`` table in server mode) that the target does not hold yet; returns how many were
    copied. Rerunning copies nothing twice."""
    from kiemchung.captures.tables import captures
    from kiemchung.images.store import ImageStore
    from kiemchung.images.tables import images
    from kiemchung.store.blobs import BlobStore

    c = captures.c
    with source.read() as conn:
        names = {n for row in conn.execute(select(c.content_sha256, c.text_sha256, c.screenshot_sha256,
                                                  c.warc_sha256)) for n in row if n}
        image_names = set()
        if inspect(conn).has_table("images"):
            image_names = {row[0] for row in conn.execute(select(images.c.sha256))}
    copied = 0
    for (src, dst), wanted in (((BlobStore(source), BlobStore(dest)), names),
                               ((ImageStore(source).blobs, ImageStore(dest).blobs), image_names)):
        for name in sorted(wanted):
            if not dst.exists(name) and src.exists(name):
                dst.put(src.get(name))
                copied += 1
    return copied


def _copy(sconn, dest: Database, tables: list[Table], result: MigrationResult, batch: int,
          on_progress: ProgressFn | None) -> None:
    with dest.read() as conn:
        progress = _progress(conn)
    inserter = _fts_inserter(dest)
    for tbl in tables:
        state = progress.get(tbl.name)
        if state is not None and state["done"]:
            continue
        total = sconn.execute(select(func.count()).select_from(tbl)).scalar_one()
        last = json.loads(state["last_key"]) if state and state["last_key"] else None
        copied = state["copied"] if state else 0
        size = min(batch, DOCUMENT_BATCH) if tbl.name == "documents" else batch
        result.copied[tbl.name] = 0
        if on_progress:
            on_progress(tbl.name, copied, total)
        for rows, last in _iter_batches(sconn, tbl, size, last):
            values = [dict(r._mapping) for r in rows]
            copied += len(values)
            with dest.write() as conn:
                conn.execute(insert(tbl), values)
                if tbl.name == "documents" and inserter is not None:
                    _index_documents(inserter, conn, values)
                _save_progress(conn, tbl.name, last, copied, done=False, new=state is None)
            state = state or {"done": False}
            result.copied[tbl.name] += len(values)
            if on_progress:
                on_progress(tbl.name, copied, total)
        with dest.write() as conn:
            _reset_sequences(conn, tbl)
            _save_progress(conn, tbl.name, last, copied, done=True, new=state is None)


def _save_progress(conn, name: str, last: list | None, copied: int, *, done: bool, new: bool) -> None:
    values = {"last_key": json.dumps(last, default=str) if last is not None else None, "copied": copied,
              "done": done, "updated_at": timeutil.now()}
    if new:
        conn.execute(insert(migrate_db_progress).values(table_name=name, **values))
    else:
        conn.execute(update(migrate_db_progress).where(migrate_db_progress.c.table_name == name).values(**values))


def _verify(sconn, dest: Database, tables: list[Table], result: MigrationResult) -> None:
    with dest.read() as tconn:
        for tbl in tables:
            n_src, sum_src = table_checksum(sconn, tbl)
            n_dst, sum_dst = table_checksum(tconn, tbl)
            result.checks.append(TableCheck(tbl.name, n_src, n_dst, sum_src, sum_dst))
        if _fts_inserter(dest) is not None:
            result.index_rows = _index_counts(tconn)
