"""Stage progress in its own table: ``stage_progress`` (stage, marker, processed, updated_at).

Progress markers of the background stages leave the ``settings`` table (``alerts_last_doc_id``,
``alerts_backscan_mark``) and the entity stage's ``entity_progress`` row moves here, so that settings
hold only what a person sets and every stage reads and writes its marker through one store API
(:mod:`kiemchung.store.progress`). Data migration both ways: downgrade puts the markers back.

Revision ID: 0014
Revises: 0013
"""

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)
DOC_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

# setting key (before this revision) -> stage name
_FROM_SETTINGS = {"alerts_last_doc_id": "alerts", "alerts_backscan_mark": "alerts_backscan"}

_settings = sa.table("settings", sa.column("key", sa.String), sa.column("value", sa.Text))
_progress = sa.table(
    "stage_progress", sa.column("stage", sa.String), sa.column("marker", sa.Text),
    sa.column("processed", sa.BigInteger), sa.column("updated_at", TZ),
)
_entity = sa.table(
    "entity_progress", sa.column("id", sa.Integer), sa.column("last_doc_id", DOC_ID),
    sa.column("processed", sa.Integer), sa.column("updated_at", TZ),
)


def _now(conn) -> dt.datetime:
    now = dt.datetime.now(dt.UTC)
    return now.replace(tzinfo=None) if conn.dialect.name == "sqlite" else now


def upgrade() -> None:
    op.create_table(
        "stage_progress",
        sa.Column("stage", sa.String(64), primary_key=True),
        sa.Column("marker", sa.Text, nullable=True),
        sa.Column("processed", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("updated_at", TZ, nullable=False),
    )
    conn = op.get_bind()
    now = _now(conn)
    for key, stage in _FROM_SETTINGS.items():
        value = conn.execute(sa.select(_settings.c.value).where(_settings.c.key == key)).scalar()
        if value is not None:
            conn.execute(sa.insert(_progress).values(stage=stage, marker=value, processed=0, updated_at=now))
            conn.execute(sa.delete(_settings).where(_settings.c.key == key))
    row = conn.execute(sa.select(_entity.c.last_doc_id, _entity.c.processed, _entity.c.updated_at)
                       .where(_entity.c.id == 1)).first()
    if row is not None:
        conn.execute(sa.insert(_progress).values(stage="entities", marker=str(row.last_doc_id),
                                                 processed=row.processed or 0, updated_at=row.updated_at or now))
    op.drop_table("entity_progress")


def downgrade() -> None:
    op.create_table(
        "entity_progress",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("last_doc_id", DOC_ID, nullable=False, server_default="0"),
        sa.Column("processed", sa.Integer, nullable=False, server_default="0"),
        sa.Column("updated_at", TZ, nullable=False),
    )
    conn = op.get_bind()
    rows = {r.stage: r for r in conn.execute(sa.select(_progress))}
    for key, stage in _FROM_SETTINGS.items():
        if stage in rows and rows[stage].marker is not None:
            conn.execute(sa.delete(_settings).where(_settings.c.key == key))
            conn.execute(sa.insert(_settings).values(key=key, value=rows[stage].marker))
    entities = rows.get("entities")
    if entities is not None and (entities.marker or "0").isdigit():
        conn.execute(sa.insert(_entity).values(id=1, last_doc_id=int(entities.marker or 0),
                                               processed=entities.processed or 0, updated_at=entities.updated_at))
    op.drop_table("stage_progress")
