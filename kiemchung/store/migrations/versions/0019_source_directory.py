"""The source directory: outlet metadata per source, and collections (named sets of sources).

``source_profiles`` holds what a desk knows about a source beyond its address: the outlet that
publishes it, the outlet's type (kiemchung.sources.directory.OUTLET_TYPES), the province it covers
(a code of kiemchung/data/provinces.json) and its language. ``collections`` and ``collection_sources``
name sets of sources ("báo địa phương Nghệ An") that search, stories, trends, reports and the API take
as a filter. Removing a source removes its profile and its memberships.

Revision ID: 0019
Revises: 0018
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "source_profiles",
        sa.Column("source_id", sa.Integer, sa.ForeignKey("sources.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("outlet", sa.Text, nullable=False, server_default=""),
        sa.Column("outlet_type", sa.String(20)),
        sa.Column("province_code", sa.String(40)),
        sa.Column("language", sa.String(8)),
        sa.Column("updated_at", TZ, nullable=False),
    )
    op.create_index("ix_source_profiles_type", "source_profiles", ["outlet_type"])
    op.create_index("ix_source_profiles_province", "source_profiles", ["province_code"])
    op.create_table(
        "collections",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.Text, nullable=False, unique=True),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_table(
        "collection_sources",
        sa.Column("collection_id", sa.Integer, sa.ForeignKey("collections.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("source_id", sa.Integer, sa.ForeignKey("sources.id", ondelete="CASCADE"), primary_key=True),
    )
    op.create_index("ix_collection_sources_source", "collection_sources", ["source_id"])


def downgrade() -> None:
    op.drop_index("ix_collection_sources_source", "collection_sources")
    op.drop_table("collection_sources")
    op.drop_table("collections")
    op.drop_index("ix_source_profiles_province", "source_profiles")
    op.drop_index("ix_source_profiles_type", "source_profiles")
    op.drop_table("source_profiles")
