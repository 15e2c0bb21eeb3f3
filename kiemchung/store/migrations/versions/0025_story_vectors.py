"""Document vectors of dormant stories, out of the story clusterer's memory and saved state.

``story_vectors`` holds one row per document whose story went dormant: the clusterer's term ids
(int32) and frequencies (float32), packed, and the title it shows; the clusterer reads them back
when a dormant story is scored, summarised, edited or woken up (issue 14: memory that does not grow
with the size of one import).

Revision ID: 0025
Revises: 0024
"""

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "story_vectors",
        sa.Column("doc", sa.String(64), primary_key=True),
        sa.Column("terms", sa.LargeBinary, nullable=False),
        sa.Column("tfs", sa.LargeBinary, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("story_vectors")
