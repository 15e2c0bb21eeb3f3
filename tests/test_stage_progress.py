"""Stage progress in its own table (migration 0014, kiemchung.store.progress): markers leave the settings
table and come back on downgrade; the alert and entity stages resume from them; on both backends."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import command

from kiemchung.store import Database, progress, settings


def _downgrade(db: Database, revision: str) -> None:
    with db.write_engine.connect() as conn:
        command.downgrade(db._alembic_config(conn), revision)
        if conn.in_transaction():
            conn.commit()


def _exec(db: Database, sql: str, **params) -> None:
    with db.write() as conn:
        conn.execute(sa.text(sql), params)


def _scalar(db: Database, sql: str, **params):
    with db.read() as conn:
        return conn.execute(sa.text(sql), params).scalar()


def test_markers_move_out_of_settings_and_back(any_db_target):
    db = Database(any_db_target, upgrade=False)
    _downgrade(db, "0013") if db.schema_revision() else db.upgrade("0013")
    assert db.schema_revision() == "0013"
    _exec(db, "DELETE FROM settings WHERE key IN ('alerts_last_doc_id', 'alerts_backscan_mark')")
    _exec(db, "INSERT INTO settings (key, value) VALUES ('alerts_last_doc_id', '41'), "
              "('alerts_backscan_mark', '2026-03-01T08:00:00+00:00'), ('org_name', 'Sở X')")
    _exec(db, "DELETE FROM entity_progress")
    _exec(db, "INSERT INTO entity_progress (id, last_doc_id, processed, updated_at) VALUES (1, 17, 17, :at)",
          at=dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC) if not db.is_sqlite else "2026-03-01 08:00:00")
    db.upgrade()
    assert db.schema_revision() == "0025"
    db.settings_changed()
    assert progress.last_doc_id(db, progress.ALERTS) == 41
    assert progress.marker(db, progress.ALERTS_BACKSCAN) == "2026-03-01T08:00:00+00:00"
    assert progress.last_doc_id(db, progress.ENTITIES) == 17
    assert {p.stage: p.processed for p in progress.listing(db)}[progress.ENTITIES] == 17
    assert _scalar(db, "SELECT count(*) FROM settings WHERE key LIKE 'alerts_%'") == 0
    assert settings.value(db, "org_name") == "Sở X"  # a real setting stays
    progress.advance(db, progress.ALERTS, 99, processed=3)
    _downgrade(db, "0013")
    assert _scalar(db, "SELECT value FROM settings WHERE key = 'alerts_last_doc_id'") == "99"
    assert _scalar(db, "SELECT value FROM settings WHERE key = 'alerts_backscan_mark'") == "2026-03-01T08:00:00+00:00"
    assert _scalar(db, "SELECT last_doc_id FROM entity_progress WHERE id = 1") == 17
    db.upgrade()
    assert progress.last_doc_id(db, progress.ALERTS) == 99
    db.close()


def test_the_api_keeps_one_row_per_stage_and_counts(any_db):
    assert progress.last_doc_id(any_db, progress.ALERTS) == 0 and progress.marker(any_db, "x") is None
    progress.advance(any_db, progress.ALERTS, 10, processed=10)
    progress.advance(any_db, progress.ALERTS, 25, processed=15)
    rows = progress.listing(any_db)
    assert [(r.stage, r.marker, r.processed) for r in rows] == [(progress.ALERTS, "25", 25)]
    assert rows[0].updated_at.tzinfo is not None
    # inside a caller's transaction, the marker commits (or not) with the work
    try:
        with any_db.write():
            progress.advance(any_db, progress.ALERTS, 30)
            raise RuntimeError("the work failed")
    except RuntimeError:
        pass
    assert progress.last_doc_id(any_db, progress.ALERTS) == 25
    progress.reset(any_db, progress.ALERTS)
    assert progress.last_doc_id(any_db, progress.ALERTS) == 0
    # markers are not settings: a marker write does not make other processes reload their settings
    other = Database(any_db.url)
    now = [0.0]
    other.settings_cache.clock = lambda: now[0]
    settings.value(other, "org_name")
    loads = other.settings_cache.reloads
    progress.advance(any_db, progress.ENTITIES, 5)
    now[0] += 10
    settings.value(other, "org_name")
    assert other.settings_cache.reloads == loads
    settings.set_value(any_db, "org_name", "Sở Y")
    now[0] += 10
    assert settings.value(other, "org_name") == "Sở Y" and other.settings_cache.reloads == loads + 1
    other.close()


def test_entity_stage_resumes_from_stage_progress(db, sample_docs):
    from kiemchung.entities import EntityStage
    from kiemchung.ingest import Ingestor

    Ingestor(db).add(sample_docs)
    stage = EntityStage(db, ner=False)
    first = stage.run(limit=2)
    assert progress.last_doc_id(db, progress.ENTITIES) == first.last_doc_id == stage.last_doc_id()
    rest = EntityStage(db, ner=False).run()
    assert first.documents + rest.documents == len(sample_docs)
    assert {p.stage: p.processed for p in progress.listing(db)}[progress.ENTITIES] == len(sample_docs)
