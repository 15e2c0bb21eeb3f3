"""Tips sent in by the public: ``tips`` (one row per tip, its document, channel, matches and reply)
and ``tip_channels`` (where each connector's inbox has got to).

A tip's text is a document of kind ``tip`` (it goes through dedupe, stories, claims and matching);
this table keeps what a document must not: the channel it came by, the hash of the status link's
secret, the address to answer to (only with the tipper's consent, or the chat it came from), the
hashes of the sender and of the address it was posted from (abuse limits), and the editor's reply.

Revision ID: 0023
Revises: 0022
"""

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)
DocId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "tips",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("doc_id", DocId, sa.ForeignKey("documents.id", ondelete="SET NULL")),
        sa.Column("group_id", sa.Integer),
        sa.Column("channel", sa.String(12), nullable=False),
        sa.Column("external_id", sa.Text),
        sa.Column("status", sa.String(12), nullable=False, server_default="new"),
        sa.Column("text", sa.Text, nullable=False, server_default=""),
        sa.Column("link", sa.Text),
        sa.Column("images", sa.JSON),
        sa.Column("secret_hash", sa.String(64)),
        sa.Column("consent", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("reply_to", sa.Text),
        sa.Column("sender_hash", sa.String(64)),
        sa.Column("ip_hash", sa.String(64)),
        sa.Column("matches", sa.JSON),
        sa.Column("matched_at", TZ),
        sa.Column("received_at", TZ, nullable=False),
        sa.Column("reply_text", sa.Text),
        sa.Column("reply_factcheck_id", sa.Integer),
        sa.Column("reply_status", sa.String(12)),
        sa.Column("reply_error", sa.Text),
        sa.Column("replied_at", TZ),
        sa.Column("replied_by", sa.Text),
        sa.Column("meta", sa.JSON),
        sa.UniqueConstraint("channel", "external_id", name="uq_tips_channel_external"),
    )
    op.create_index("ix_tips_received", "tips", ["received_at"])
    op.create_index("ix_tips_doc", "tips", ["doc_id"])
    op.create_index("ix_tips_ip", "tips", ["ip_hash", "received_at"])
    op.create_index("ix_tips_secret", "tips", ["secret_hash"])
    op.create_index("ix_tips_group", "tips", ["group_id"])
    op.create_table(
        "tip_channels",
        sa.Column("name", sa.String(40), primary_key=True),
        sa.Column("cursor", sa.Text),
        sa.Column("last_poll_at", TZ),
        sa.Column("last_error", sa.Text),
        sa.Column("received", sa.Integer, nullable=False, server_default="0"),
        sa.Column("skipped", sa.Integer, nullable=False, server_default="0"),
    )


def downgrade() -> None:
    op.drop_table("tip_channels")
    op.drop_index("ix_tips_group", "tips")
    op.drop_index("ix_tips_secret", "tips")
    op.drop_index("ix_tips_ip", "tips")
    op.drop_index("ix_tips_doc", "tips")
    op.drop_index("ix_tips_received", "tips")
    op.drop_table("tips")
