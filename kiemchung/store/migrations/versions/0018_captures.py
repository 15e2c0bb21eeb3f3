"""Kept copies of pages: ``captures``, ``capture_links`` and the ``blobs`` table.

A capture keeps a page an editor relied on (a confirmed alert's post, a page a fact-check cites): its
HTML, extracted text, a screenshot and a WARC record, each a content-addressed blob
(:mod:`kiemchung.store.blobs`). ``blobs`` holds them in server mode; a SQLite store keeps them as
files next to the database and leaves the table empty.

Revision ID: 0018
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "blobs",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_table(
        "captures",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("final_url", sa.Text),
        sa.Column("status", sa.String(10), nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", TZ),
        sa.Column("last_error", sa.Text),
        sa.Column("last_error_reason", sa.String(40)),
        sa.Column("requested_at", TZ, nullable=False),
        sa.Column("requested_by", sa.Text),
        sa.Column("fetched_at", TZ),
        sa.Column("http_status", sa.Integer),
        sa.Column("content_type", sa.Text),
        sa.Column("size", sa.Integer),
        sa.Column("content_sha256", sa.String(64)),
        sa.Column("text_sha256", sa.String(64)),
        sa.Column("screenshot_sha256", sa.String(64)),
        sa.Column("warc_sha256", sa.String(64)),
        sa.Column("title", sa.Text),
        sa.Column("meta", sa.JSON),
    )
    op.create_index("ix_captures_url", "captures", ["url"])
    op.create_index("ix_captures_status", "captures", ["status", "next_attempt_at"])
    op.create_table(
        "capture_links",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("capture_id", sa.Integer, sa.ForeignKey("captures.id", ondelete="CASCADE"), nullable=False),
        sa.Column("target", sa.String(12), nullable=False),
        sa.Column("target_id", sa.Integer, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.UniqueConstraint("capture_id", "target", "target_id", name="uq_capture_links"),
    )
    op.create_index("ix_capture_links_target", "capture_links", ["target", "target_id"])


def downgrade() -> None:
    op.drop_index("ix_capture_links_target", "capture_links")
    op.drop_table("capture_links")
    op.drop_index("ix_captures_status", "captures")
    op.drop_index("ix_captures_url", "captures")
    op.drop_table("captures")
    op.drop_table("blobs")
