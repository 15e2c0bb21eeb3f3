"""Stories: stories, document assignments, manual merges and splits, the clusterer's saved state.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)
# Document ids (and columns that hold one) are BIGINT on PostgreSQL; on SQLite INTEGER PRIMARY KEY is the rowid.
DOC_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "stories",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", sa.String(40), nullable=False, unique=True),
        sa.Column("headline", sa.Text, nullable=False, server_default=""),
        sa.Column("first_seen", TZ),
        sa.Column("last_seen", TZ),
        sa.Column("doc_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("outlet_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("keywords", sa.JSON),
        sa.Column("status", sa.String(12), nullable=False, server_default="active"),
        sa.Column("merged_into", sa.Integer),
        sa.Column("updated_at", TZ, nullable=False),
    )
    op.create_index("ix_stories_last_seen", "stories", ["last_seen"])
    op.create_table(
        "story_documents",
        sa.Column("doc_id", DOC_ID, sa.ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("story_id", sa.Integer, sa.ForeignKey("stories.id", ondelete="CASCADE"), nullable=False),
        sa.Column("assigned_at", TZ, nullable=False),
        sa.Column("manual", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.create_index("ix_story_documents_story", "story_documents", ["story_id"])
    op.create_table(
        "story_edits",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("user", sa.Text),
        sa.Column("at", TZ, nullable=False),
    )
    op.create_table(
        "cluster_state",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("last_doc_id", DOC_ID, nullable=False, server_default="0"),
        sa.Column("state", sa.LargeBinary),
        sa.Column("updated_at", TZ, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("cluster_state")
    op.drop_table("story_edits")
    op.drop_table("story_documents")
    op.drop_table("stories")
