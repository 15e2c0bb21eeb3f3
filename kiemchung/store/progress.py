"""Where each background stage has got to: one row per stage in ``stage_progress`` (migration 0014).

A stage that works through documents in id order keeps "the last document id done" (:func:`last_doc_id`,
:func:`advance`); a stage with another kind of marker (a time, a cursor) keeps its text
(:func:`marker`, :func:`set_marker`). Every stage goes through these functions, so what a marker means
(e.g. commit-order-safe markers under concurrent writers on PostgreSQL) can change here alone.
Markers are bookkeeping, not settings: they never appear in ``kiemchung settings list``, and writing
one does not disturb the settings cache of other processes.

Stages: :data:`ALERTS` (documents matched against false claims), :data:`ALERTS_BACKSCAN` (change time
of the newest fact-check back-scanned), :data:`ENTITIES` (named entities), :data:`OCR` (image text,
marker: the last ``image_links`` id). The story stage keeps its
marker with the clusterer's state in ``cluster_state`` (in row 1, the state continued in rows 2, 3, ...
when it is large; written in the same transaction as the state it describes).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, insert, select, update

from kiemchung import timeutil
from kiemchung.store import schema as t

ALERTS = "alerts"
ALERTS_BACKSCAN = "alerts_backscan"
ENTITIES = "entities"
OCR = "ocr"  # the last image link (image_links.id) whose image text joined its document
STAGES = (ALERTS, ALERTS_BACKSCAN, ENTITIES, OCR)


@dataclass(frozen=True)
class Progress:
    """One stage's row."""

    stage: str
    marker: str | None
    processed: int
    updated_at: datetime


def _row(db, stage: str):
    p = t.stage_progress
    with db.read() as conn:
        return conn.execute(select(p).where(p.c.stage == stage)).first()


def marker(db, stage: str) -> str | None:
    """The stage's marker text (None when the stage never ran or was reset)."""
    row = _row(db, stage)
    return None if row is None else row.marker


def last_doc_id(db, stage: str) -> int:
    """The id of the last document the stage finished (0 when none)."""
    raw = marker(db, stage)
    return int(raw) if raw and raw.isdigit() else 0


def set_marker(db, stage: str, value: str | None, *, processed: int = 0) -> None:
    """Store the stage's marker (and add ``processed`` to its count), inside the caller's write
    transaction when there is one (``db.write()`` joins it), so that the work and the marker commit
    together."""
    p = t.stage_progress
    values = {"marker": value, "updated_at": timeutil.now()}
    with db.write() as conn:
        done = conn.execute(
            update(p).where(p.c.stage == stage).values(processed=p.c.processed + processed, **values)
        ).rowcount
        if not done:
            conn.execute(insert(p).values(stage=stage, processed=processed, **values))


def advance(db, stage: str, doc_id: int, *, processed: int = 0) -> None:
    """Record that the stage has finished every document up to ``doc_id``."""
    set_marker(db, stage, str(int(doc_id)), processed=processed)


def reset(db, stage: str) -> None:
    """Forget the stage's progress: it starts again from the beginning."""
    with db.write() as conn:
        conn.execute(delete(t.stage_progress).where(t.stage_progress.c.stage == stage))


def listing(db) -> list[Progress]:
    """Every stage's progress, by stage name."""
    p = t.stage_progress
    with db.read() as conn:
        return [Progress(r.stage, r.marker, r.processed, r.updated_at)
                for r in conn.execute(select(p).order_by(p.c.stage))]


__all__ = ["ALERTS", "ALERTS_BACKSCAN", "ENTITIES", "OCR", "STAGES", "Progress", "advance", "last_doc_id", "listing",
           "marker", "reset", "set_marker"]
