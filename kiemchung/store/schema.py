"""Tables of the kiemchung store (SQLAlchemy Core).

The schema is created and upgraded only by the migrations in ``kiemchung/store/migrations``; these
table objects are what callers build queries with. Types are chosen so PostgreSQL can follow: times
are :class:`UTCDateTime` (aware in Python, UTC in the database), JSON is :class:`sqlalchemy.JSON`.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    literal_column,
)
from sqlalchemy.types import TypeDecorator

metadata = MetaData()

# A document id, or a column holding one: BIGINT on PostgreSQL (as the migrations create it); on SQLite
# INTEGER (an INTEGER PRIMARY KEY is the rowid).
DocId = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator):
    """An aware datetime stored as UTC; naive values are refused rather than guessed."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; make it timezone-aware first")
        value = value.astimezone(dt.UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


settings = Table(
    "settings",
    metadata,
    Column("key", String(100), primary_key=True),
    Column("value", Text, nullable=False),
)

# Where each background stage has got to (kiemchung.store.progress; migration 0014).
stage_progress = Table(
    "stage_progress",
    metadata,
    Column("stage", String(64), primary_key=True),
    Column("marker", Text),
    Column("processed", BigInteger, nullable=False, default=0),
    Column("updated_at", UTCDateTime, nullable=False),
)

sources = Table(
    "sources",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("url", Text, nullable=False, unique=True),
    Column("name", Text, nullable=False, default=""),
    Column("enabled", Boolean, nullable=False, default=True),
    Column("poll_interval_s", Integer, nullable=False, default=900),
    Column("etag", Text),
    Column("last_modified", Text),
    Column("last_fetch_at", UTCDateTime),
    Column("last_success_at", UTCDateTime),
    Column("last_error_at", UTCDateTime),
    Column("last_error", Text),
    Column("last_error_reason", String(40)),
    Column("consecutive_failures", Integer, nullable=False, default=0),
    Column("failure_kind", String(10)),
    Column("documents_added", Integer, nullable=False, default=0),
    Column("created_at", UTCDateTime, nullable=False),
    Column("meta", JSON, nullable=False, default=dict),
    # The connector's cursor (kiemchung.sources.connectors) and the last poll's shape problem.
    Column("poll_cursor", JSON),
    Column("last_problem", Text),
)

documents = Table(
    "documents",
    metadata,
    Column("id", DocId, primary_key=True),
    # Identity of a document: canonical URL, else source + external id, else content hash.
    Column("doc_key", String(64), nullable=False, unique=True),
    Column("url", Text),
    Column("source_id", Integer, ForeignKey("sources.id", ondelete="SET NULL")),
    Column("kind", String(20), nullable=False, default="article"),
    Column("platform", String(40)),
    Column("external_id", Text),
    Column("title", Text, nullable=False, default=""),
    Column("lead", Text, nullable=False, default=""),
    Column("body", Text, nullable=False, default=""),
    Column("author_hash", String(64)),
    Column("published_at", UTCDateTime),
    Column("fetched_at", UTCDateTime, nullable=False),
    Column("language", String(8)),
    Column("content_hash", String(40), nullable=False),
    # Near-duplicate group: the id of the group's first document (itself for the first), or NULL.
    Column("dup_group", Integer),
    Column("dup_score", Float),
    Column("minhash", LargeBinary),
    Column("engagement", JSON),
    Column("meta", JSON),
    Column("raw", LargeBinary),
    Column("fts_rowid", BigInteger, unique=True),
    Index("ix_documents_published", "published_at"),
    Index("ix_documents_source", "source_id", "published_at"),
    Index("ix_documents_content_hash", "content_hash"),
    Index("ix_documents_dup_group", "dup_group"),
    Index("ix_documents_kind_published", "kind", "published_at"),
    Index("ix_documents_fetched", "fetched_at"),
)

import_checkpoints = Table(
    "import_checkpoints",
    metadata,
    Column("file_key", String(64), primary_key=True),
    Column("path", Text, nullable=False),
    Column("line", Integer, nullable=False, default=0),
    Column("imported", Integer, nullable=False, default=0),
    Column("errors", Integer, nullable=False, default=0),
    Column("finished", Boolean, nullable=False, default=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

FTS_ID_SHIFT = 22


def fts_rowid(when: dt.datetime, doc_id: int) -> int:
    """The documents_fts row id of a document: time-ordered, so newest-first needs no sort."""
    seconds = max(0, int(when.timestamp()))
    return (seconds << FTS_ID_SHIFT) | (doc_id & ((1 << FTS_ID_SHIFT) - 1))


def fts_rowid_bound(when: dt.datetime) -> int:
    """The lowest documents_fts row id a document at ``when`` can have."""
    return max(0, int(when.timestamp())) << FTS_ID_SHIFT


def fts_time_bucket(column, size: int, offset: int = 0, *, backwards_from: int | None = None):
    """A Core expression for the time bucket of a row by its time-ordered ``fts_rowid`` ``column``:
    ``(seconds + offset) // size`` (e.g. Vietnam days with ``size=86400, offset=7*3600``), or
    ``(backwards_from - seconds) // size`` (windows counted back from a moment), the same on SQLite
    and PostgreSQL. Constants are written inline so the expression can be grouped by."""
    seconds = column.op(">>", return_type=BigInteger)(literal_column(str(FTS_ID_SHIFT), BigInteger))
    if backwards_from is not None:  # windows counted back from a moment: (origin - seconds) // size
        return (literal_column(str(int(backwards_from)), BigInteger) - seconds) // literal_column(str(int(size)), BigInteger)
    return (seconds + literal_column(str(int(offset)), BigInteger)) // literal_column(str(int(size)), BigInteger)


# The full-text index is the table documents_fts, keyed by documents.fts_rowid, created by the
# migrations (not by metadata) in each backend's own form and used only through the backend
# (kiemchung/store/backends): an FTS5 table on SQLite, tsvector columns on PostgreSQL. It holds the
# lowercased tone-canonical text (accent-sensitive search) and the diacritic-free form.
FTS_TABLE = "documents_fts"
