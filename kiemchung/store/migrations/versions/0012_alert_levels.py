"""Alert levels: ``level`` ("repeat": a confident repeat of a false claim, alerted and notified;
"related": possibly related, shown in the claims queue only), the verifier's ``probability`` and its
``features`` (kept so that the installation's confirmed/dismissed alerts can recalibrate the decision).

Alerts recorded before this migration were raised by the matcher's threshold alone: they become
"repeat" (they were notified as such).

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("level", sa.String(10), nullable=False, server_default="repeat"))
        batch.add_column(sa.Column("probability", sa.Float))
        batch.add_column(sa.Column("features", sa.JSON))
        batch.create_index("ix_alerts_level", ["level"])


def downgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.drop_index("ix_alerts_level")
        batch.drop_column("features")
        batch.drop_column("probability")
        batch.drop_column("level")
