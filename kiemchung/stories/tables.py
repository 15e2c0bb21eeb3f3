"""Tables of stories (created by migrations 0003, 0008 and 0025)."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, ForeignKey, Integer, LargeBinary, String, Table, Text

from kiemchung.store.schema import DocId, UTCDateTime, metadata

stories = Table(
    "stories",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(40), nullable=False, unique=True),
    Column("headline", Text, nullable=False, default=""),
    Column("first_seen", UTCDateTime),
    Column("last_seen", UTCDateTime),
    Column("doc_count", Integer, nullable=False, default=0),
    Column("outlet_count", Integer, nullable=False, default=0),
    Column("keywords", JSON),
    Column("status", String(12), nullable=False, default="active"),
    Column("merged_into", Integer),
    Column("updated_at", UTCDateTime, nullable=False),
)

story_documents = Table(
    "story_documents",
    metadata,
    Column("doc_id", DocId, ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True),
    Column("story_id", Integer, ForeignKey("stories.id", ondelete="CASCADE"), nullable=False),
    Column("assigned_at", UTCDateTime, nullable=False),
    Column("manual", Boolean, nullable=False, default=False),
)

story_edits = Table(
    "story_edits",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(10), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("user", Text),
    Column("at", UTCDateTime, nullable=False),
)

# The clusterer's saved state, zlib'd JSON: row 1 holds the stamp (updated_at, last_doc_id) and the
# first part; a large state continues in rows 2, 3, ... (see StoryStage._save and _state_text).
cluster_state = Table(
    "cluster_state",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("last_doc_id", DocId, nullable=False, default=0),
    Column("state", LargeBinary),
    Column("updated_at", UTCDateTime, nullable=False),
)

story_keywords = Table(
    "story_keywords",
    metadata,
    Column("story_id", Integer, ForeignKey("stories.id", ondelete="CASCADE"), primary_key=True),
    Column("words", JSON, nullable=False),
    Column("doc_count", Integer, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

# The clusterer's vectors (packed int32 term ids and float32 frequencies) and titles of the documents
# of dormant stories, read back on demand (StoryClusterer.attach_vault); one row per document.
story_vectors = Table(
    "story_vectors",
    metadata,
    Column("doc", String(64), primary_key=True),
    Column("terms", LargeBinary, nullable=False),
    Column("tfs", LargeBinary, nullable=False),
    Column("title", Text, nullable=False),
)
