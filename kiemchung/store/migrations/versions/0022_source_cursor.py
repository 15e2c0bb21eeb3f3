"""Connectors: a stored cursor per source, and the last poll's shape problem.

``sources.poll_cursor`` (JSON) is where a source's connector starts its next fetch
(kiemchung.sources.connectors); ``sources.last_problem`` says what the last poll found out of shape
while still collecting the rest (shown by ``sources health``). Both start empty.

Revision ID: 0022
Revises: 0021
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("sources", sa.Column("poll_cursor", sa.JSON, nullable=True))
    op.add_column("sources", sa.Column("last_problem", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sources") as batch:
        batch.drop_column("last_problem")
        batch.drop_column("poll_cursor")
