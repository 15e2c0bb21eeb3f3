"""External fact-checks: ``factchecks.external`` marks another publisher's fact-check pulled by a
``claimreview`` source (kiemchung.claims.external). It takes part in matching but is never counted as
this installation's publication (ClaimReview export, fact-check feed, reports). Existing fact-checks are
the installation's own (false).

Revision ID: 0021
Revises: 0020
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("factchecks") as batch:
        batch.add_column(sa.Column("external", sa.Boolean, nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("factchecks") as batch:
        batch.drop_column("external")
