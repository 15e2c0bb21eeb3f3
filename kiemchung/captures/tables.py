"""Tables of kept copies of pages (migration 0018): one row per capture, and what each is linked to."""

from __future__ import annotations

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint

from kiemchung.store.schema import UTCDateTime, metadata

captures = Table(
    "captures",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("url", Text, nullable=False),  # the address asked for
    Column("final_url", Text),  # where the redirects ended
    Column("status", String(10), nullable=False, default="pending"),  # pending | done | failed
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UTCDateTime),  # pending: not before; also the lease of a capture in progress
    Column("last_error", Text),
    Column("last_error_reason", String(40)),
    Column("requested_at", UTCDateTime, nullable=False),
    Column("requested_by", Text),
    Column("fetched_at", UTCDateTime),  # when the page was fetched (the WARC-Date)
    Column("http_status", Integer),
    Column("content_type", Text),
    Column("size", Integer),
    Column("content_sha256", String(64)),  # the page's bytes, as served (also the HTML blob's name)
    Column("text_sha256", String(64)),
    Column("screenshot_sha256", String(64)),
    Column("warc_sha256", String(64)),
    Column("title", Text),
    Column("meta", JSON),
    Index("ix_captures_url", "url"),
    Index("ix_captures_status", "status", "next_attempt_at"),
)

# What a capture is evidence for: a fact-check (a cited page, an appearance) or an alert (confirmed).
capture_links = Table(
    "capture_links",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("capture_id", Integer, ForeignKey("captures.id", ondelete="CASCADE"), nullable=False),
    Column("target", String(12), nullable=False),  # factcheck | alert
    Column("target_id", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("capture_id", "target", "target_id", name="uq_capture_links"),
    Index("ix_capture_links_target", "target", "target_id"),
)
