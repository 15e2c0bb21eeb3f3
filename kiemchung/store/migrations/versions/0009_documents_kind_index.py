"""Index on documents(kind, published_at): the newest documents of one kind without a table scan.

The overview's "latest official statements" panel, the story page's statements and the claims
queue filter documents by kind; without this index each of them scanned the whole table (0.3 s on
a year of news, 153,825 documents) whenever the kind is rare.

Revision ID: 0009
Revises: 0008
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_documents_kind_published", "documents", ["kind", "published_at"])


def downgrade() -> None:
    op.drop_index("ix_documents_kind_published", table_name="documents")
