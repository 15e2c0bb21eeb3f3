"""The same Alembic migrations make the same schema on PostgreSQL as on SQLite (issue 13 §2)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import inspect, insert, select

from kiemchung.store import Database
from kiemchung.store import schema as t
from kiemchung.stories import tables as st


def _tables(database: Database) -> dict[str, set[str]]:
    found = {}
    with database.read() as conn:
        insp = inspect(conn)
        for name in insp.get_table_names():
            if name.startswith(("documents_fts", "procrastinate_")):
                continue  # the full-text index differs by design (FTS5 vs tsvector); the job queue is server mode's
            found[name] = {c["name"] for c in insp.get_columns(name)}
    return found


def test_postgresql_gets_every_table_and_column_sqlite_has(pg_url, tmp_path):
    with Database(tmp_path / "kc.db") as lite, Database(pg_url) as pg:
        assert pg.schema_revision() == lite.schema_revision()
        assert _tables(pg) == _tables(lite)


def test_postgresql_types_and_the_full_text_table(pg_url):
    with Database(pg_url) as db, db.read() as conn:
        insp = inspect(conn)
        types = {c["name"]: str(c["type"]) for c in insp.get_columns("documents")}
        assert types["id"] == "BIGINT"
        assert types["raw"] == "BYTEA"
        assert types["published_at"] == "TIMESTAMP" and insp.get_columns("documents")[0]  # with time zone below
        tz = conn.exec_driver_sql(
            "SELECT data_type FROM information_schema.columns WHERE table_name='documents' AND column_name='published_at'"
        ).scalar()
        assert tz == "timestamp with time zone"
        fts = {c["name"]: str(c["type"]) for c in insp.get_columns("documents_fts")}
        assert fts == {"rowid": "BIGINT", "acc": "TSVECTOR", "fold": "TSVECTOR"}
        methods = dict(
            conn.exec_driver_sql(
                "SELECT i.relname, am.amname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
                "JOIN pg_class c ON c.oid = x.indrelid JOIN pg_am am ON am.oid = i.relam "
                "WHERE c.relname = 'documents_fts'"
            ).all()
        )
        assert methods.get("ix_documents_fts_acc") == "gin" and methods.get("ix_documents_fts_fold") == "gin"
        uniques = {tuple(u["column_names"]) for u in insp.get_unique_constraints("alerts")}
        assert ("doc_id", "factcheck_id") in uniques


def test_server_defaults_booleans_json_and_bytes_round_trip(any_db):
    now = dt.datetime(2026, 3, 1, 7, 30, tzinfo=dt.timezone(dt.timedelta(hours=7)))
    with any_db.write() as conn:
        conn.execute(insert(t.sources).values(kind="feed", url="https://lamson.example/rss", created_at=now,
                                              meta={"vùng": "Lam Sơn", "n": [1, 2]}))
        conn.execute(insert(st.cluster_state).values(id=1, last_doc_id=2**40, state=b"\x00\xffdata", updated_at=now))
    with any_db.read() as conn:
        src = conn.execute(select(t.sources)).one()._mapping
        state = conn.execute(select(st.cluster_state)).one()._mapping
    assert src["enabled"] is True and src["poll_interval_s"] == 900 and src["name"] == ""
    assert src["consecutive_failures"] == 0 and src["documents_added"] == 0
    assert src["meta"] == {"vùng": "Lam Sơn", "n": [1, 2]}
    assert src["created_at"] == now and src["created_at"].utcoffset() == dt.timedelta(0)
    assert state["last_doc_id"] == 2**40
    assert bytes(state["state"]) == b"\x00\xffdata"
