"""Index on documents(fetched_at): the near-duplicate window loads recent documents without a scan.

``Ingestor.refresh_index`` loads the documents fetched inside the dedupe window (30 days by default)
when a process starts ingesting; without this index that first load scanned the whole table.

Revision ID: 0010
Revises: 0009
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_documents_fetched", "documents", ["fetched_at"])


def downgrade() -> None:
    op.drop_index("ix_documents_fetched", table_name="documents")
