"""The job queue of a server-mode installation: procrastinate in the installation's PostgreSQL database.

The queue lives in the same database as the store (procrastinate's tables beside kiemchung's), so a
worker needs one address, the one every other command takes (``--db`` / ``KIEMCHUNG_DB``). A SQLite
installation has no queue: ``kiemchung watch`` is its one-process mode.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kiemchung.errors import ConfigError

if TYPE_CHECKING:  # pragma: no cover
    import procrastinate

#: Queues of the tasks (``kiemchung worker --queues``): a host can take only some kinds of work.
QUEUES = {
    "poll": "lấy tin từ nguồn đến hạn (polling sources)",
    "import": "lưu các phần của tệp nhập (import chunks)",
    "stories": "gom tin thành câu chuyện, tuần tự (story assignment, serial)",
    "alerts": "cảnh báo và gửi cảnh báo (alerts and their delivery)",
    "enrich": "thực thể, từ khoá và chữ trong ảnh (named entities, story keywords, image text)",
    "reports": "báo cáo định kỳ (scheduled reports)",
}

# A procrastinate schema is recognised by its jobs table.
_SCHEMA_TABLE = "procrastinate_jobs"


def is_server_url(url: str) -> bool:
    """True for a PostgreSQL address (the only kind that has a job queue)."""
    return url.split(":", 1)[0].split("+", 1)[0].lower() in ("postgresql", "postgres")


def require_server(url: str) -> None:
    """Refuse a database that cannot hold the job queue (SQLite), saying what to use instead."""
    if not is_server_url(url):
        raise ConfigError(
            "kiemchung worker cần cơ sở dữ liệu PostgreSQL (--db postgresql://…); với SQLite, dùng "
            "'kiemchung watch' (một tiến trình làm mọi việc). "
            "(kiemchung worker needs a PostgreSQL database; with SQLite, run 'kiemchung watch', the "
            "one-process mode.)"
        )


def conninfo(url: str) -> str:
    """The libpq address of an SQLAlchemy PostgreSQL URL (``postgresql+psycopg://…`` -> ``postgresql://…``)."""
    from sqlalchemy.engine import make_url

    require_server(url)
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _import_procrastinate():
    try:
        import procrastinate
    except ImportError as exc:  # the server extra is not installed
        raise ConfigError(
            "Chưa cài procrastinate: pip install 'kiemchung[server]' "
            "(the job queue needs the server extra: pip install 'kiemchung[server]')"
        ) from exc
    return procrastinate


def schema_present(conn) -> bool:
    """Whether procrastinate's schema exists in the database of ``conn`` (SQLAlchemy connection)."""
    from sqlalchemy import text

    return conn.execute(text("SELECT to_regclass(:t)"), {"t": _SCHEMA_TABLE}).scalar() is not None


def ensure_schema(conn) -> bool:
    """Create procrastinate's schema on a PostgreSQL connection unless it is there; True if created.

    Idempotent (a second call, or a database whose schema was applied by hand, changes nothing). Called
    by kiemchung's migration 0017, so ``Database(url)`` of a new PostgreSQL installation makes the
    queue with the rest of the schema. The schema is that of the procrastinate version pinned in
    constraints.txt; a later version's own migrations will come as later kiemchung migrations.
    """
    if conn.dialect.name != "postgresql":
        return False
    if schema_present(conn):
        return False
    _import_procrastinate()
    from procrastinate.schema import SchemaManager

    sql = SchemaManager.get_schema()
    # Run through the DBAPI cursor: the schema is many statements with dollar-quoted function bodies.
    conn.exec_driver_sql(sql.replace("%", "%%"))
    return True


def ensure_queue(db) -> bool:
    """Make sure the installation's database holds the queue's schema (True if it was created now).

    Migration 0017 creates it with the rest of the schema; this covers a database migrated before the
    server extra was installed. Two processes starting at once take turns (a store-wide lock)."""
    require_server(db.url)
    with db.write() as conn:
        db.serialize(conn, "queue-schema")
        return ensure_schema(conn)


_APP = None


def make_app(url: str) -> procrastinate.App:
    """The procrastinate app with kiemchung's tasks, connected to the installation at ``url`` (not yet
    opened).

    A process has one app (its tasks are bound to it, so a task deferred from inside a job uses it); a
    second call points it at another database (tests run one database after another)."""
    global _APP
    procrastinate = _import_procrastinate()
    # A small pool: a worker's jobs hold the queue's connections only to fetch and finish jobs (the
    # listener takes one of its own); PostgreSQL's max_connections is shared by every host.
    connector = procrastinate.PsycopgConnector(conninfo=conninfo(url), min_size=1, max_size=8)
    if _APP is None:
        from kiemchung.workers import tasks

        app = procrastinate.App(
            connector=connector,
            # periodic jobs missed while no worker ran are not all deferred at once on start
            periodic_defaults={"max_delay": 60},
        )
        app.add_tasks_from(tasks.blueprint, namespace="kc")
        _APP = app
    else:  # what App.replace_connector does, for good
        _APP.connector = connector
        _APP.job_manager.connector = connector
    return _APP
