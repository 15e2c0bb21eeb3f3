"""Stored images and their links to documents and fact-checks: ``images``, ``image_links``.

An image's clean copy is a content-addressed blob (:mod:`kiemchung.store.blobs`: files next to a
SQLite store, the ``blobs`` table of migration 0018 in server mode); these tables describe it
(:mod:`kiemchung.images.tables`).

Revision ID: 0020
Revises: 0019
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "images",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("original_sha256", sa.String(64), nullable=False),
        sa.Column("mime", sa.String(20), nullable=False),
        sa.Column("source_format", sa.String(10), nullable=False),
        sa.Column("width", sa.Integer, nullable=False),
        sa.Column("height", sa.Integer, nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("original_size", sa.Integer, nullable=False),
        sa.Column("frames", sa.Integer, nullable=False, server_default="1"),
        sa.Column("phash", sa.String(16), nullable=False),
        sa.Column("crop_hashes", sa.JSON, nullable=False),
        sa.Column("warnings", sa.JSON, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("meta", sa.JSON),
    )
    op.create_index("ix_images_original", "images", ["original_sha256"])
    op.create_index("ix_images_phash", "images", ["phash"])
    op.create_table(
        "image_links",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("image_id", sa.Integer, sa.ForeignKey("images.id", ondelete="CASCADE"), nullable=False),
        sa.Column("target", sa.String(12), nullable=False),
        sa.Column("target_id", sa.BigInteger, nullable=False),
        sa.Column("source_url", sa.Text),
        sa.Column("position", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_by", sa.Text),
        sa.Column("created_at", TZ, nullable=False),
        sa.UniqueConstraint("image_id", "target", "target_id", name="uq_image_links"),
    )
    op.create_index("ix_image_links_target", "image_links", ["target", "target_id"])


def downgrade() -> None:
    op.drop_index("ix_image_links_target", "image_links")
    op.drop_table("image_links")
    op.drop_index("ix_images_phash", "images")
    op.drop_index("ix_images_original", "images")
    op.drop_table("images")
