"""Tables of entities and watchlists (created by migration 0005; the entity stage's progress is in
``stage_progress`` since migration 0014)."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Integer, String, Table, Text

from kiemchung.store.schema import DocId, UTCDateTime, metadata

__all__ = ["document_entities", "watchlists"]

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
