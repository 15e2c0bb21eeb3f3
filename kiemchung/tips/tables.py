"""Tables of tips (migration 0019): one row per tip, and the read position of each inbox channel."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint

from kiemchung.store.schema import DocId, UTCDateTime, metadata

tips = Table(
    "tips",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("doc_id", DocId, ForeignKey("documents.id", ondelete="SET NULL")),  # the tip's document (kind "tip")
    # Tips with the same or nearly the same words (or the same image): the group's first tip's id.
    Column("group_id", Integer),
    Column("channel", String(12), nullable=False),  # form | email | telegram
    Column("external_id", Text),  # Message-ID / Telegram update id / form token: the same tip is taken once
    Column("status", String(12), nullable=False, default="new"),  # new | replied | dismissed
    Column("text", Text, nullable=False, default=""),
    Column("link", Text),
    Column("images", JSON),  # [{"sha256", "type", "size", "name"}]
    Column("secret_hash", String(64)),  # SHA-256 of the status link's secret (form tips)
    Column("consent", Boolean, nullable=False, default=False),  # the tipper agreed to be answered at reply_to
    Column("reply_to", Text),  # e-mail address or Telegram chat id; personal data, never shown to viewers
    Column("sender_hash", String(64)),  # hashed contact / Telegram user id (grouping, never in clear)
    Column("ip_hash", String(64)),  # hashed client address (rate limits)
    Column("matches", JSON),  # [{"factcheck_id", "score", "level", "probability"}], best first
    Column("matched_at", UTCDateTime),
    Column("received_at", UTCDateTime, nullable=False),
    Column("reply_text", Text),
    Column("reply_factcheck_id", Integer),
    Column("reply_status", String(12)),  # shown | sent | failed
    Column("reply_error", Text),
    Column("replied_at", UTCDateTime),
    Column("replied_by", Text),
    Column("meta", JSON),
    UniqueConstraint("channel", "external_id", name="uq_tips_channel_external"),
    Index("ix_tips_received", "received_at"),
    Index("ix_tips_doc", "doc_id"),
    Index("ix_tips_ip", "ip_hash", "received_at"),
    Index("ix_tips_secret", "secret_hash"),
    Index("ix_tips_group", "group_id"),
)

tip_channels = Table(
    "tip_channels",
    metadata,
    Column("name", String(40), primary_key=True),  # "imap", "telegram"
    Column("cursor", Text),  # IMAP "uidvalidity:last uid"; Telegram next update offset
    Column("last_poll_at", UTCDateTime),
    Column("last_error", Text),
    Column("received", Integer, nullable=False, default=0),
    Column("skipped", Integer, nullable=False, default=0),
)
