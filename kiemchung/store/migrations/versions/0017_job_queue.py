"""Server mode's job queue: procrastinate's tables on PostgreSQL (nothing on SQLite).

``kiemchung worker`` processes share their work through procrastinate's queue in the installation's
own database (kiemchung.workers). Its schema is that of the procrastinate version pinned in
constraints.txt, created only when it is not there already (a database where it was applied by hand is
left as it is). Without the server extra installed the step is skipped with a warning:
``kiemchung worker`` creates the schema on start (the same idempotent step).

Revision ID: 0017
Revises: 0016
"""

import logging

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

log = logging.getLogger("kiemchung.migrations")


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    try:
        import procrastinate  # noqa: F401
    except ImportError:
        log.warning("procrastinate not installed: the job queue's tables are made by kiemchung worker on start")
        return
    from kiemchung.workers.queue import ensure_schema

    ensure_schema(bind)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    # procrastinate's objects all carry its prefix: tables, types and functions.
    bind.exec_driver_sql(
        """
        DO $$
        DECLARE r record;
        BEGIN
            FOR r IN SELECT tablename FROM pg_tables WHERE schemaname = current_schema()
                     AND tablename LIKE 'procrastinate\\_%' LOOP
                EXECUTE format('DROP TABLE IF EXISTS %I CASCADE', r.tablename);
            END LOOP;
            FOR r IN SELECT p.oid::regprocedure AS sig FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                     WHERE n.nspname = current_schema() AND p.proname LIKE 'procrastinate\\_%' LOOP
                EXECUTE format('DROP FUNCTION IF EXISTS %s CASCADE', r.sig);
            END LOOP;
            FOR r IN SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
                     WHERE n.nspname = current_schema() AND t.typname LIKE 'procrastinate\\_%' AND t.typtype IN ('e', 'c') LOOP
                EXECUTE format('DROP TYPE IF EXISTS %I CASCADE', r.typname);
            END LOOP;
        END $$;
        """.replace("%", "%%")
    )
