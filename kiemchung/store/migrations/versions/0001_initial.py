"""Initial schema: settings, sources, documents and the full-text index.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)
# Document ids (and columns that hold one) are BIGINT on PostgreSQL; on SQLite INTEGER PRIMARY KEY is the rowid.
DOC_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "settings",
        sa.Column("key", sa.String(100), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.create_table(
        "sources",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("url", sa.Text, nullable=False, unique=True),
        sa.Column("name", sa.Text, nullable=False, server_default=""),
        sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("poll_interval_s", sa.Integer, nullable=False, server_default="900"),
        sa.Column("etag", sa.Text),
        sa.Column("last_modified", sa.Text),
        sa.Column("last_fetch_at", TZ),
        sa.Column("last_success_at", TZ),
        sa.Column("last_error_at", TZ),
        sa.Column("last_error", sa.Text),
        sa.Column("consecutive_failures", sa.Integer, nullable=False, server_default="0"),
        sa.Column("failure_kind", sa.String(10)),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("meta", sa.JSON, nullable=False, server_default="{}"),
    )
    op.create_table(
        "documents",
        sa.Column("id", DOC_ID, primary_key=True),
        sa.Column("doc_key", sa.String(64), nullable=False, unique=True),
        sa.Column("url", sa.Text),
        sa.Column("source_id", sa.Integer, sa.ForeignKey("sources.id", ondelete="SET NULL")),
        sa.Column("kind", sa.String(20), nullable=False, server_default="article"),
        sa.Column("platform", sa.String(40)),
        sa.Column("external_id", sa.Text),
        sa.Column("title", sa.Text, nullable=False, server_default=""),
        sa.Column("lead", sa.Text, nullable=False, server_default=""),
        sa.Column("body", sa.Text, nullable=False, server_default=""),
        sa.Column("author_hash", sa.String(64)),
        sa.Column("published_at", TZ),
        sa.Column("fetched_at", TZ, nullable=False),
        sa.Column("language", sa.String(8)),
        sa.Column("content_hash", sa.String(40), nullable=False),
        sa.Column("dup_group", sa.Integer),
        sa.Column("dup_score", sa.Float),
        sa.Column("minhash", sa.LargeBinary),
        sa.Column("engagement", sa.JSON),
        sa.Column("meta", sa.JSON),
        sa.Column("raw", sa.LargeBinary),
        # Row id of the document in documents_fts: its time (seconds) << 22 | id bits, so FTS5 can
        # return the newest matches first, and filter by date, without touching this table.
        sa.Column("fts_rowid", sa.BigInteger, unique=True),
    )
    op.create_index("ix_documents_published", "documents", ["published_at"])
    op.create_index("ix_documents_source", "documents", ["source_id", "published_at"])
    op.create_index("ix_documents_content_hash", "documents", ["content_hash"])
    op.create_index("ix_documents_dup_group", "documents", ["dup_group"])
    if op.get_bind().dialect.name == "sqlite":
        # Text is folded by kiemchung.text before it reaches FTS5, so unicode61 only splits tokens.
        op.execute(
            "CREATE VIRTUAL TABLE documents_fts USING fts5("
            "title_acc, body_acc, title_fold, body_fold, "
            "tokenize = 'unicode61 remove_diacritics 0', detail = 'full')"
        )
        # Titles weigh four times the body in relevance ranking.
        op.execute("INSERT INTO documents_fts(documents_fts, rank) VALUES('rank', 'bm25(4.0, 1.0, 4.0, 1.0)')")
    elif op.get_bind().dialect.name == "postgresql":
        # The full-text index on PostgreSQL (the store's backend owns the queries and the rows): one
        # tsvector of the accented text and one of the folded text per document, titles weighted 'A'.
        op.create_table(
            "documents_fts",
            sa.Column("rowid", sa.BigInteger, primary_key=True, autoincrement=False),
            sa.Column("acc", postgresql.TSVECTOR, nullable=False),
            sa.Column("fold", postgresql.TSVECTOR, nullable=False),
        )
        op.create_index("ix_documents_fts_acc", "documents_fts", ["acc"], postgresql_using="gin")
        op.create_index("ix_documents_fts_fold", "documents_fts", ["fold"], postgresql_using="gin")


def downgrade() -> None:
    if op.get_bind().dialect.name in ("sqlite", "postgresql"):
        op.execute("DROP TABLE documents_fts")
    op.drop_table("documents")
    op.drop_table("sources")
    op.drop_table("settings")
