"""Fact-checks, their versions and evidence, claims and alerts.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)
# Document ids (and columns that hold one) are BIGINT on PostgreSQL; on SQLite INTEGER PRIMARY KEY is the rowid.
DOC_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "factchecks",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", sa.String(120), nullable=False, unique=True),
        sa.Column("claim", sa.Text, nullable=False),
        sa.Column("verdict", sa.String(12), nullable=False),
        sa.Column("original_label", sa.Text),
        sa.Column("explanation", sa.Text, nullable=False, server_default=""),
        sa.Column("evidence", sa.JSON, nullable=False),
        sa.Column("url", sa.Text),
        sa.Column("appearances", sa.JSON, nullable=False),
        sa.Column("first_appearance", sa.Text),
        sa.Column("claim_date", TZ),
        sa.Column("publisher", sa.Text),
        sa.Column("status", sa.String(12), nullable=False, server_default="draft"),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("updated_by", sa.Text, nullable=False),
        sa.Column("proposed_by", sa.Text),
        sa.Column("approved_by", sa.Text),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.Column("published_at", TZ),
        sa.Column("withdrawn_at", TZ),
        sa.Column("meta", sa.JSON),
    )
    op.create_index("ix_factchecks_status", "factchecks", ["status", "verdict"])
    op.create_table(
        "factcheck_phrasings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("factcheck_id", sa.Integer, sa.ForeignKey("factchecks.id", ondelete="CASCADE"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("norm", sa.String(64), nullable=False, unique=True),
    )
    op.create_index("ix_factcheck_phrasings_fc", "factcheck_phrasings", ["factcheck_id"])
    op.create_table(
        "factcheck_versions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("factcheck_id", sa.Integer, sa.ForeignKey("factchecks.id", ondelete="CASCADE"), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("snapshot", sa.JSON, nullable=False),
        sa.Column("editor", sa.Text, nullable=False),
        sa.Column("at", TZ, nullable=False),
        sa.UniqueConstraint("factcheck_id", "version", name="uq_factcheck_versions"),
    )
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("doc_id", DOC_ID, sa.ForeignKey("documents.id", ondelete="CASCADE"), nullable=False),
        sa.Column("factcheck_id", sa.Integer, sa.ForeignKey("factchecks.id", ondelete="CASCADE"), nullable=False),
        sa.Column("story_id", sa.Integer),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("reason", sa.JSON, nullable=False),
        sa.Column("status", sa.String(12), nullable=False, server_default="new"),
        sa.Column("created_at", TZ, nullable=False),
        sa.UniqueConstraint("doc_id", "factcheck_id", name="uq_alerts_doc_factcheck"),
    )
    op.create_index("ix_alerts_created", "alerts", ["created_at"])
    op.create_index("ix_alerts_story", "alerts", ["story_id"])
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("alert_id", sa.Integer, sa.ForeignKey("alerts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("channel", sa.String(12), nullable=False),
        sa.Column("target", sa.Text, nullable=False, server_default=""),
        sa.Column("status", sa.String(10), nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("last_attempt_at", TZ),
        sa.Column("sent_at", TZ),
        sa.UniqueConstraint("alert_id", "channel", name="uq_notifications_alert_channel"),
    )
    op.create_index("ix_notifications_status", "notifications", ["status"])


def downgrade() -> None:
    op.drop_table("notifications")
    op.drop_table("alerts")
    op.drop_table("factcheck_versions")
    op.drop_table("factcheck_phrasings")
    op.drop_table("factchecks")
