"""The Database object: owns connections, runs migrations, and hands dialect work to its backend.

Everything dialect-specific (engine set-up, write locking across processes, the change token, the
full-text index) lives in :mod:`kiemchung.store.backends` and is reached through ``Database.backend``.
Reads go through a small pool; every write goes through one writer (a lock in this process, and
``BEGIN IMMEDIATE`` across processes on SQLite) so that ``database is locked`` never reaches a user.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import re
import secrets
import threading
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, LargeBinary, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError

from kiemchung import timeutil
from kiemchung.errors import MigrationError, NotFoundError, StoreError
from kiemchung import models
from kiemchung.models import Document, Source
from kiemchung.store import schema as t
from kiemchung.store.backends import Backend, backend_for, dialect_backend

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


_SUPPORTED = (
    "Dùng đường dẫn tệp SQLite hoặc postgresql://người_dùng:mật_khẩu@máy:cổng/tên_csdl "
    "(use a SQLite file path or postgresql://user:password@host:port/dbname)"
)


def _url_for(target: str | Path) -> str:
    text = str(target)
    if "://" in text:
        return normalize_url(text)
    if not text.strip():
        raise StoreError(f"Chưa cho cơ sở dữ liệu (no database given). {_SUPPORTED}")
    if text == ":memory:":
        raise StoreError("in-memory databases are not supported; give a file path")
    return f"sqlite:///{Path(text).expanduser().resolve()}"


def normalize_url(text: str) -> str:
    """A database URL as the store uses it: ``sqlite:///path`` or ``postgresql+psycopg://…``.

    ``postgresql://`` and ``postgres://`` take the psycopg 3 driver; any other kind of database, another
    PostgreSQL driver or an unreadable URL is a :class:`StoreError` that says what is accepted (the
    password never appears in a message).
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(text.strip())
    except (ArgumentError, ValueError) as exc:
        raise StoreError(f"URL cơ sở dữ liệu không đọc được (unreadable database URL) {_redact(text)!r}. {_SUPPORTED}") from exc
    backend, _, driver = url.drivername.partition("+")
    if backend == "sqlite" and driver in ("", "pysqlite"):
        if not url.database or url.database == ":memory:":
            raise StoreError(f"URL SQLite cần đường dẫn tệp (a SQLite URL needs a file path): {text!r}. {_SUPPORTED}")
        return url.render_as_string(hide_password=False)
    if backend in ("postgresql", "postgres"):
        if driver not in ("", "psycopg"):
            raise StoreError(
                f"Trình điều khiển PostgreSQL không được hỗ trợ (unsupported PostgreSQL driver): {driver}. "
                "kiemchung dùng psycopg 3: postgresql://… (kiemchung uses psycopg 3)"
            )
        if not url.database:
            raise StoreError(
                f"URL PostgreSQL thiếu tên cơ sở dữ liệu (the PostgreSQL URL names no database): "
                f"{url.render_as_string(hide_password=True)}. {_SUPPORTED}"
            )
        try:
            import psycopg  # noqa: F401
        except ImportError as exc:
            raise StoreError(
                "Chưa cài psycopg để dùng PostgreSQL: pip install 'kiemchung[server]' "
                "(psycopg is not installed; install the 'server' extra)"
            ) from exc
        return url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    raise StoreError(
        f"Loại cơ sở dữ liệu không được hỗ trợ (unsupported database kind): {url.drivername}. {_SUPPORTED}"
    )


def _redact(text: str) -> str:
    """``text`` with the password of a ``scheme://user:password@host`` URL replaced by ***."""
    return re.sub(r"(://[^/:@]*:)[^@/]*@", r"\1***@", text)


def _connect_error(url: str, exc: BaseException) -> StoreError:
    """A clear message for a server database that cannot be reached or refuses us."""
    from sqlalchemy.engine import make_url

    shown = make_url(url).set(drivername="postgresql").render_as_string(hide_password=True)
    detail = str(getattr(exc, "orig", None) or exc).strip()
    low = detail.lower()
    if "password authentication failed" in low or "no password supplied" in low or (
        "authentication" in low and "failed" in low
    ):
        why = "sai tên người dùng hoặc mật khẩu (authentication failed)"
    elif "does not exist" in low and "database" in low:
        why = "cơ sở dữ liệu không tồn tại (the database does not exist)"
    elif "role" in low and "does not exist" in low:
        why = "người dùng không tồn tại (no such user)"
    elif "could not translate host name" in low or "name or service not known" in low or "nodename nor servname" in low:
        why = "không tìm thấy máy chủ (unknown host)"
    elif "timeout" in low or "timed out" in low:
        why = "máy chủ không trả lời kịp (the server did not answer in time)"
    elif "refused" in low or "could not connect" in low or "connection failed" in low or "no route" in low:
        why = "máy chủ không nhận kết nối (the server refuses connections or is not running)"
    else:
        why = "không kết nối được (connection failed)"
    first = detail.splitlines()[-1].strip() if detail else ""
    return StoreError(f"Không kết nối được cơ sở dữ liệu {shown}: {why}. {first[:300]}".rstrip())


_REVISION_LINE = re.compile(r"""^(down_revision|revision)\s*(?::[^=]*)?=\s*(?:["']([^"']+)["']|None)""", re.M)


@functools.lru_cache(maxsize=1)
def _head_revision() -> str | None:
    """The newest migration revision, read from the migration files (None when it is not clear-cut)."""
    revisions, parents = set(), set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        found = dict((m[0], m[1]) for m in _REVISION_LINE.findall(path.read_text(encoding="utf-8")))
        if found.get("revision"):
            revisions.add(found["revision"])
            if found.get("down_revision"):
                parents.add(found["down_revision"])
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def hold_lock(conn: Connection, name: str) -> None:
    """Hold the database-wide lock ``name`` until the write transaction of ``conn`` ends (see
    :meth:`Database.serialize`; for code that has a connection and no Database)."""
    dialect_backend(conn.dialect.name).hold_lock(conn, name)


def _driver_rows(conn: Connection, table: Any, columns: list[str], rows: list[tuple]) -> list[tuple]:
    """Each value through its column type's bind processor, as SQLAlchemy does, except a
    ``LargeBinary``'s (``bytes`` is what both drivers, sqlite3 and psycopg, take for a BLOB / bytea)."""
    dialect = conn.dialect
    procs = [
        None if isinstance(table.c[name].type, LargeBinary) else table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        for name in columns
    ]
    if any(procs):
        rows = [tuple(v if p is None else p(v) for p, v in zip(procs, row, strict=True)) for row in rows]
    return rows


def _sql_parts(conn: Connection) -> tuple[str, Any]:
    """The driver's parameter mark and the dialect's identifier quoting, for SQL sent to the driver."""
    return ("?" if conn.dialect.paramstyle == "qmark" else "%s"), conn.dialect.identifier_preparer


def insert_rows(conn: Connection, table: Any, columns: list[str], rows: list[tuple]) -> None:
    """INSERT many rows, each a tuple of values in ``columns`` order, through the driver's executemany.

    The same rows as ``conn.execute(insert(table), [dict, ...])``, without SQLAlchemy's per-row
    parameter building, which was most of the CPU of the story stage's large inserts."""
    if not rows:
        return
    mark, prep = _sql_parts(conn)
    sql = (
        f"INSERT INTO {prep.format_table(table)} ({', '.join(prep.quote(c) for c in columns)}) "
        f"VALUES ({', '.join([mark] * len(columns))})"
    )
    conn.exec_driver_sql(sql, _driver_rows(conn, table, columns, rows))


def update_rows(conn: Connection, table: Any, key: str, columns: list[str], rows: list[tuple]) -> None:
    """UPDATE many rows through the driver's executemany: each row a tuple of the new values in
    ``columns`` order followed by the ``key`` column's value of the row to change (see
    :func:`insert_rows`)."""
    if not rows:
        return
    mark, prep = _sql_parts(conn)
    sql = (
        f"UPDATE {prep.format_table(table)} SET {', '.join(f'{prep.quote(c)} = {mark}' for c in columns)} "
        f"WHERE {prep.quote(key)} = {mark}"
    )
    conn.exec_driver_sql(sql, _driver_rows(conn, table, [*columns, key], rows))


class Database:
    """A kiemchung store at ``target`` (a SQLite file path or an SQLAlchemy URL).

    Opening a database creates it if needed and upgrades an older schema to the current one.
    """

    def __init__(self, target: str | Path, *, upgrade: bool = True) -> None:
        self.url = _url_for(target)
        self.backend: Backend = backend_for(self.url)
        self.is_sqlite = self.backend.name == "sqlite"
        self.path: Path | None = self.backend.path
        self.backend.prepare()
        self._write_lock = threading.RLock()
        self._local = threading.local()
        self.engine = self.backend.make_engine(writer=False)
        self.write_engine = self.backend.make_engine(writer=True)
        from kiemchung.store.settings import SettingsCache

        self.settings_cache = SettingsCache()  # sees other processes' changes within settings_cache.interval
        if not self.is_sqlite:
            self._check_connection()
        if upgrade:
            self.upgrade()

    @property
    def shown_url(self) -> str:
        """The database's address for people to read: the password of a server URL hidden."""
        from sqlalchemy.engine import make_url

        return make_url(self.url).render_as_string(hide_password=True)

    def _check_connection(self) -> None:
        """Reach a server database once, so a wrong address or password is one clear error."""
        try:
            with self.engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
        except SQLAlchemyError as exc:
            self.close()
            raise _connect_error(self.url, exc) from None

    # -- engines and transactions -------------------------------------------------------------

    def change_token(self) -> int | None:
        """A number that changes whenever anything is committed to the database, by any connection,
        process or host (SQLite: ``PRAGMA data_version``; PostgreSQL: the WAL insert position).

        Caches of anything read from the database keep the token they were filled under and are
        dropped when it changes. None when it cannot be told now: then nothing may be cached.
        """
        return self.backend.change_token(self.engine)

    @contextlib.contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection for reading: every statement of the block sees the same snapshot of the store
        (SQLite: one deferred read transaction in WAL mode; PostgreSQL: REPEATABLE READ), so what another
        connection, process or host commits meanwhile is seen by the next block, never half-way."""
        try:
            with self.engine.connect() as conn:
                yield conn
        except OperationalError as exc:
            raise StoreError(f"Lỗi cơ sở dữ liệu khi đọc (database read failed): {exc.orig}") from exc

    @contextlib.contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction through the single writer; committed when the block ends."""
        current = getattr(self._local, "conn", None)
        if current is not None:
            # Nested write in the same thread: join the transaction already open.
            yield current
            return
        with self._write_lock:
            try:
                with self.write_engine.begin() as conn:
                    self._local.conn = conn
                    try:
                        yield conn
                    finally:
                        self._local.conn = None
            except IntegrityError:
                raise
            except OperationalError as exc:
                raise StoreError(f"Lỗi cơ sở dữ liệu khi ghi (database write failed): {exc.orig}") from exc

    def serialize(self, conn: Connection, name: str) -> None:
        """Hold the database-wide lock ``name`` until the write transaction of ``conn`` ends.

        On SQLite a write transaction already excludes every other writer (``BEGIN IMMEDIATE``); on
        PostgreSQL it is a transaction-level advisory lock, so writers on every host take turns (and
        what one stores is committed before the next looks)."""
        self.backend.hold_lock(conn, name)

    @contextlib.contextmanager
    def stage_lock(self, name: str) -> Iterator[bool]:
        """Try the store-wide lock of the stage ``name`` without waiting, for the ``with`` block: True
        when this process holds it, False when another process on any host runs that stage now. A
        queued stage job that finds it False has nothing to do (the running one, or the next
        catch-up, does the work).

        On PostgreSQL the lock holds a connection of the reading pool for the whole stage, never one of
        the writer's two: a worker that runs the story and the alert jobs at once (``--concurrency 2``)
        would hold both, and the first write of either stage would wait for a connection until the
        pool's 30 s timeout failed it."""
        with self.backend.stage_lock(self.engine, name) as got:
            yield got

    def advance_sequence(self, conn: Connection, table: str, column: str = "id") -> None:
        """After rows were inserted into ``table`` with explicit ids, make the id sequence continue
        after the highest one (PostgreSQL; SQLite's INTEGER PRIMARY KEY needs nothing), so a later
        insert that lets the database choose the id cannot collide."""
        self.backend.advance_sequence(conn, table, column)

    def close(self) -> None:
        """Release every connection."""
        self.engine.dispose()
        self.write_engine.dispose()
        self.backend.close()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- migrations ----------------------------------------------------------------------------

    def _alembic_config(self, conn: Connection):
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
        cfg.attributes["connection"] = conn
        return cfg

    def upgrade(self, revision: str = "head") -> None:
        """Bring the schema up to ``revision`` (the newest by default).

        A database already at the newest revision is recognised without importing Alembic (a third
        of a second that every CLI command would pay otherwise).
        """
        if revision == "head" and self._at_head():
            return
        from alembic import command

        with self._write_lock:
            try:
                with self.write_engine.connect() as conn:
                    command.upgrade(self._alembic_config(conn), revision)
                    if conn.in_transaction():
                        conn.commit()
            except SQLAlchemyError as exc:
                raise MigrationError(f"Không nâng cấp được cơ sở dữ liệu (migration failed): {exc}") from exc

    def _at_head(self) -> bool:
        head = _head_revision()
        if head is None:
            return False
        try:
            with self.engine.connect() as conn:
                rows = conn.exec_driver_sql("SELECT version_num FROM alembic_version").fetchall()
        except SQLAlchemyError:  # no version table yet: a new database
            return False
        return [r[0] for r in rows] == [head]

    def schema_revision(self) -> str | None:
        """The migration revision the database is at."""
        from alembic.runtime.migration import MigrationContext

        with self.read() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    # -- settings ------------------------------------------------------------------------------

    def get_setting(self, key: str, default: str | None = None) -> str | None:
        """The text stored for a per-installation setting, ``default`` when unset (the registry of
        keys, defaults and validation is :mod:`kiemchung.store.settings`). Another process's change is
        seen within ``settings_cache.interval`` seconds."""
        value = self.settings_cache.get(self, key)
        return default if value is None else value

    def set_setting(self, key: str, value: str) -> None:
        """Store a per-installation setting as given (no validation, no audit: for people use
        :func:`kiemchung.store.settings.set_value`)."""
        from kiemchung.store.settings import write

        with self.write() as conn:
            write(conn, key, value)
        self.settings_changed()

    def settings_changed(self) -> None:
        """Forget this process's cached settings (after a write through this object)."""
        self.settings_cache.invalidate()

    def installation_salt(self) -> str:
        """The random salt used to hash author handles, created on first use."""
        salt = self.get_setting("author_salt")
        if salt is None:
            from kiemchung.store.settings import write

            with self.write() as conn:
                # Two processes hashing their first author at once must agree on one salt.
                hold_lock(conn, "settings")
                salt = conn.execute(
                    select(t.settings.c.value).where(t.settings.c.key == "author_salt")
                ).scalar()
                if salt is None:
                    salt = secrets.token_hex(16)
                    write(conn, "author_salt", salt)
            self.settings_changed()
        return salt

    @property
    def hash_authors(self) -> bool:
        """Whether author handles are hashed before storage (on unless an admin turned it off)."""
        from kiemchung.store.settings import flag

        return flag(self, "hash_authors")

    def author_key(self, handle: str | None) -> str | None:
        """What is stored for an author handle: a salted hash, or the handle if hashing is off."""
        if not handle:
            return None
        from kiemchung.privacy import hash_handle, normalize_handle

        if not self.hash_authors:
            return normalize_handle(handle)[:64]
        return hash_handle(handle, self.installation_salt())

    # -- sources -------------------------------------------------------------------------------

    def add_source(self, source: Source, *, actor: Any = None) -> Source:
        """Register a source; adding the same URL twice returns the existing one.

        With an ``actor`` (a person's write: web, API or CLI) the addition is audited as ``source.add``;
        sources the pipeline makes for itself (outlets, import files) pass none."""
        if source.kind not in models.SOURCE_KINDS:
            raise StoreError(f"Loại nguồn không hợp lệ (unknown source kind): {source.kind}")
        with self.write() as conn:
            hold_lock(conn, "sources")  # two hosts adding the same URL at once: one source
            existing = conn.execute(select(t.sources).where(t.sources.c.url == source.url)).first()
            if existing is not None:
                return _source_from_row(existing)
            result = conn.execute(
                insert(t.sources).values(
                    kind=source.kind,
                    url=source.url,
                    name=source.name or source.url,
                    enabled=source.enabled,
                    poll_interval_s=source.poll_interval_s,
                    created_at=timeutil.now(),
                    meta=source.meta or {},
                )
            )
            source_id = result.inserted_primary_key[0]
            if actor is not None:
                from kiemchung import audit

                audit.record(conn, actor, "source.add", f"source:{source_id}", None,
                             {"kind": source.kind, "url": source.url, "name": source.name or source.url})
        return self.get_source(source_id)

    def get_source(self, ref: int | str) -> Source:
        """A source by id, URL or name."""
        with self.read() as conn:
            if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
                row = conn.execute(select(t.sources).where(t.sources.c.id == int(ref))).first()
            else:
                row = conn.execute(
                    select(t.sources).where((t.sources.c.url == ref) | (t.sources.c.name == ref))
                ).first()
        if row is None:
            raise NotFoundError(f"Không tìm thấy nguồn (source not found): {ref}")
        return _source_from_row(row)

    def list_sources(self, *, kind: str | None = None, enabled_only: bool = False) -> list[Source]:
        """All sources, oldest first."""
        query = select(t.sources).order_by(t.sources.c.id)
        if kind:
            query = query.where(t.sources.c.kind == kind)
        if enabled_only:
            query = query.where(t.sources.c.enabled.is_(True))
        with self.read() as conn:
            return [_source_from_row(r) for r in conn.execute(query)]

    def remove_source(self, ref: int | str, *, actor: Any = None) -> Source:
        """Remove a source; its documents stay (their source becomes unknown). Audited with an ``actor``."""
        source = self.get_source(ref)
        with self.write() as conn:
            conn.execute(delete(t.sources).where(t.sources.c.id == source.id))
            if actor is not None:
                from kiemchung import audit

                audit.record(conn, actor, "source.remove", f"source:{source.id}",
                             {"kind": source.kind, "url": source.url, "name": source.name}, None)
        return source

    def record_fetch_success(
        self, source_id: int, *, etag: str | None, last_modified: str | None, added: int,
        now: dt.datetime | None = None, cursor: dict[str, Any] | None = None, problem: str | None = None,
    ) -> None:
        """Record a successful poll (at ``now``, default the current time): clears the failure streak.

        ``cursor``: where the source's connector starts next time (``None`` keeps the stored one).
        ``problem``: what the poll found out of shape while collecting the rest (``None`` clears it)."""
        now = now or timeutil.now()
        values: dict[str, Any] = {"last_problem": problem[:2000] if problem else None}
        if cursor is not None:
            values["poll_cursor"] = cursor
        with self.write() as conn:
            conn.execute(
                update(t.sources)
                .where(t.sources.c.id == source_id)
                .values(
                    **values,
                    etag=etag,
                    last_modified=last_modified,
                    last_fetch_at=now,
                    last_success_at=now,
                    consecutive_failures=0,
                    failure_kind=None,
                    documents_added=t.sources.c.documents_added + added,
                )
            )

    def record_fetch_failure(
        self, source_id: int, *, message: str, reason: str, soft: bool, now: dt.datetime | None = None
    ) -> None:
        """Record a failed poll (at ``now``, default the current time): soft failures (timeouts, 5xx)
        heal; hard ones need a person."""
        now = now or timeutil.now()
        with self.write() as conn:
            conn.execute(
                update(t.sources)
                .where(t.sources.c.id == source_id)
                .values(
                    last_fetch_at=now,
                    last_error_at=now,
                    last_error=message[:2000],
                    last_error_reason=reason[:40],
                    consecutive_failures=t.sources.c.consecutive_failures + 1,
                    failure_kind="soft" if soft else "hard",
                )
            )

    # -- documents -----------------------------------------------------------------------------

    def get_document(self, doc_id: int, *, with_raw: bool = False) -> Document:
        """A stored document by id."""
        with self.read() as conn:
            row = conn.execute(select(t.documents).where(t.documents.c.id == doc_id)).first()
            if row is None:
                raise NotFoundError(f"Không tìm thấy tài liệu (document not found): {doc_id}")
            name = None
            if row.source_id is not None:
                name = conn.execute(select(t.sources.c.name).where(t.sources.c.id == row.source_id)).scalar()
        return document_from_row(row, source_name=name, with_raw=with_raw)

    def max_document_id(self) -> int:
        """The highest document id stored (0 when empty)."""
        with self.read() as conn:
            return conn.execute(select(func.max(t.documents.c.id))).scalar() or 0

    def count_documents(self) -> int:
        """How many documents are stored."""
        with self.read() as conn:
            return conn.execute(select(func.count()).select_from(t.documents)).scalar_one()

    def iter_documents(
        self, *, batch: int = 1000, since: dt.datetime | None = None, after_id: int = 0
    ) -> Iterator[Document]:
        """Every document in id order (those with an id above ``after_id``), streamed in batches."""
        last = after_id
        while True:
            query = select(t.documents).where(t.documents.c.id > last).order_by(t.documents.c.id).limit(batch)
            if since is not None:
                query = query.where(t.documents.c.published_at >= since)
            with self.read() as conn:
                rows = conn.execute(query).fetchall()
            if not rows:
                return
            for row in rows:
                yield document_from_row(row)
            last = rows[-1].id

    def stats(self) -> dict[str, Any]:
        """Counts for the ``stats`` command and the overview page."""
        d = t.documents
        with self.read() as conn:
            total = conn.execute(select(func.count()).select_from(d)).scalar_one()
            by_kind = dict(conn.execute(select(d.c.kind, func.count()).group_by(d.c.kind)).all())
            by_lang = dict(conn.execute(select(d.c.language, func.count()).group_by(d.c.language)).all())
            groups = conn.execute(
                select(func.count(func.distinct(d.c.dup_group))).where(d.c.dup_group.is_not(None))
            ).scalar_one()
            in_groups = conn.execute(
                select(func.count()).select_from(d).where(d.c.dup_group.is_not(None))
            ).scalar_one()
            first, last = conn.execute(select(func.min(d.c.published_at), func.max(d.c.published_at))).one()
            per_source = conn.execute(
                select(t.sources.c.name, func.count(d.c.id))
                .select_from(t.sources.outerjoin(d, d.c.source_id == t.sources.c.id))
                .group_by(t.sources.c.id)
                .order_by(func.count(d.c.id).desc(), t.sources.c.id)  # ties: the same order on every backend
            ).all()
        return {
            "documents": total,
            "by_kind": by_kind,
            "by_language": {k or "?": v for k, v in by_lang.items()},
            "duplicate_groups": groups,
            "documents_in_duplicate_groups": in_groups,
            "first_published": t.UTCDateTime().process_result_value(first, None) if isinstance(first, dt.datetime) else first,
            "last_published": t.UTCDateTime().process_result_value(last, None) if isinstance(last, dt.datetime) else last,
            "per_source": [(name, n) for name, n in per_source],
        }


def _source_from_row(row) -> Source:
    m = row._mapping
    return Source(
        id=m["id"],
        kind=m["kind"],
        url=m["url"],
        name=m["name"],
        enabled=bool(m["enabled"]),
        poll_interval_s=m["poll_interval_s"],
        etag=m["etag"],
        last_modified=m["last_modified"],
        last_success_at=m["last_success_at"],
        last_error_at=m["last_error_at"],
        last_error=m["last_error"],
        consecutive_failures=m["consecutive_failures"],
        failure_kind=m["failure_kind"],
        created_at=m["created_at"],
        cursor=m.get("poll_cursor"),
        last_problem=m.get("last_problem"),
        meta={**(m["meta"] or {}), "last_error_reason": m.get("last_error_reason"),
              "documents_added": m.get("documents_added", 0), "last_fetch_at": m.get("last_fetch_at")},
    )


def document_from_row(row, *, source_name: str | None = None, with_raw: bool = False) -> Document:
    """Turn a ``documents`` row into a :class:`Document` (raw payload decompressed on request)."""
    m = row._mapping
    raw = None
    if with_raw and m.get("raw") is not None:
        raw = zlib.decompress(m["raw"])
    meta = dict(m.get("meta") or {})
    meta.update(
        doc_key=m["doc_key"], content_hash=m["content_hash"], dup_group=m["dup_group"], dup_score=m["dup_score"]
    )
    return Document(
        id=m["id"],
        url=m["url"],
        title=m["title"],
        lead=m["lead"],
        body=m["body"],
        kind=m["kind"],
        source_id=m["source_id"],
        source_name=source_name,
        platform=m["platform"],
        external_id=m["external_id"],
        author=m["author_hash"],
        published_at=m["published_at"],
        fetched_at=m["fetched_at"],
        language=m["language"],
        engagement=m["engagement"] or {},
        meta=meta,
        raw=raw,
    )
