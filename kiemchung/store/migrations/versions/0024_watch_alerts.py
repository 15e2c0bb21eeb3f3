"""Watchlist rises pushed as alerts, and morning digests sent.

``watchlist_rises`` holds one row per rise of a watchlist above its own baseline (the trends burst
rule): when it was first seen, its figures then and at its peak, when it ended, and what each alert
channel answered (``deliveries``), so a rise is notified once. ``digests`` records the morning digest
of each Vietnamese day: when it was built and sent, to whom, and the outcome, so it is sent once.

Revision ID: 0024
Revises: 0023
"""

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "watchlist_rises",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("watchlist_id", sa.Integer, sa.ForeignKey("watchlists.id", ondelete="CASCADE"), nullable=False),
        sa.Column("started_at", TZ, nullable=False),
        sa.Column("ended_at", TZ),
        sa.Column("current", sa.Integer, nullable=False),
        sa.Column("baseline", sa.Float, nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("peak_current", sa.Integer, nullable=False),
        sa.Column("peak_score", sa.Float, nullable=False),
        sa.Column("deliveries", sa.JSON, nullable=False),
        sa.Column("notified_at", TZ),
    )
    op.create_index("ix_watchlist_rises_watchlist", "watchlist_rises", ["watchlist_id", "started_at"])
    op.create_table(
        "digests",
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("built_at", TZ, nullable=False),
        sa.Column("sent_at", TZ),
        sa.Column("recipients", sa.Text, nullable=False, server_default=""),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("error", sa.Text),
    )


def downgrade() -> None:
    op.drop_table("digests")
    op.drop_index("ix_watchlist_rises_watchlist", "watchlist_rises")
    op.drop_table("watchlist_rises")
