"""Tables of entities and watchlists (created by migration 0005; the entity stage's progress is in
``stage_progress`` since migration 0014)."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Date, Float, ForeignKey, Index, Integer, String, Table, Text

from kiemchung.store.schema import DocId, UTCDateTime, metadata

__all__ = ["digests", "document_entities", "watchlist_rises", "watchlists"]

document_entities = Table(
    "document_entities",
    metadata,
    Column("id", DocId, primary_key=True),
    Column("doc_id", DocId, ForeignKey("documents.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(12), nullable=False),  # province, person, org, place
    Column("text", Text, nullable=False),
    Column("folded", Text, nullable=False),
    Column("province_code", String(40)),  # new (post-2025) province code, when the entity names one
)

watchlists = Table(
    "watchlists",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", Text, nullable=False, unique=True),
    Column("query", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

# Rises of a watchlist above its own baseline, each notified once (migration 0024).
watchlist_rises = Table(
    "watchlist_rises",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("watchlist_id", Integer, ForeignKey("watchlists.id", ondelete="CASCADE"), nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("ended_at", UTCDateTime),
    Column("current", Integer, nullable=False),
    Column("baseline", Float, nullable=False),
    Column("score", Float, nullable=False),
    Column("peak_current", Integer, nullable=False),
    Column("peak_score", Float, nullable=False),
    Column("deliveries", JSON, nullable=False),  # {channel: "sent" | error text}
    Column("notified_at", UTCDateTime),
    Index("ix_watchlist_rises_watchlist", "watchlist_id", "started_at"),
)

# The morning digest of each Vietnamese day, sent once (migration 0024).
digests = Table(
    "digests",
    metadata,
    Column("day", Date, primary_key=True),
    Column("built_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime),
    Column("recipients", Text, nullable=False, default=""),
    Column("status", String(10), nullable=False),  # sent | failed | no_mail
    Column("error", Text),
)
