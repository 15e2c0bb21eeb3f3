"""Entities and places per document, watchlists.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)
# Document ids (and columns that hold one) are BIGINT on PostgreSQL; on SQLite INTEGER PRIMARY KEY is the rowid.
DOC_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "document_entities",
        sa.Column("id", DOC_ID, primary_key=True),
        sa.Column("doc_id", DOC_ID, sa.ForeignKey("documents.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("folded", sa.Text, nullable=False),
        sa.Column("province_code", sa.String(40)),
    )
    op.create_index("ix_document_entities_doc", "document_entities", ["doc_id"])
    op.create_index("ix_document_entities_province", "document_entities", ["province_code", "doc_id"])
    op.create_index("ix_document_entities_folded", "document_entities", ["kind", "folded"])
    op.create_table(
        "entity_progress",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("last_doc_id", DOC_ID, nullable=False, server_default="0"),
        sa.Column("processed", sa.Integer, nullable=False, server_default="0"),
        sa.Column("updated_at", TZ, nullable=False),
    )
    op.create_table(
        "watchlists",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.Text, nullable=False, unique=True),
        sa.Column("query", sa.Text, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("watchlists")
    op.drop_table("entity_progress")
    op.drop_index("ix_document_entities_folded", "document_entities")
    op.drop_index("ix_document_entities_province", "document_entities")
    op.drop_index("ix_document_entities_doc", "document_entities")
    op.drop_table("document_entities")
