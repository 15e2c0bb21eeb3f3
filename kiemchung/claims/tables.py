"""Tables of fact-checks, their phrasings and versions, alerts and notifications (migration 0004)."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, Float, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint, false

from kiemchung.store.schema import DocId, UTCDateTime, metadata

factchecks = Table(
    "factchecks",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(120), nullable=False, unique=True),
    Column("claim", Text, nullable=False),
    Column("verdict", String(12), nullable=False),  # false | misleading | true | unverified
    Column("original_label", Text),  # the label as the publisher wrote it ("tin giả", "False"...)
    Column("explanation", Text, nullable=False, default=""),
    Column("evidence", JSON, nullable=False, default=list),  # [{"url": ...} | {"doc_id": ...}]
    Column("url", Text),
    Column("appearances", JSON, nullable=False, default=list),
    Column("first_appearance", Text),
    Column("claim_date", UTCDateTime),
    Column("publisher", Text),  # organisation name of an imported fact-check (None: this installation)
    # Another publisher's fact-check pulled by a claimreview source (migration 0021): used in matching,
    # never counted as this installation's publication (kiemchung.claims.external).
    Column("external", Boolean, nullable=False, default=False, server_default=false()),
    Column("status", String(12), nullable=False, default="draft"),
    Column("version", Integer, nullable=False, default=1),
    Column("created_by", Text, nullable=False),
    Column("updated_by", Text, nullable=False),
    Column("proposed_by", Text),
    Column("approved_by", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("published_at", UTCDateTime),
    Column("withdrawn_at", UTCDateTime),
    Column("meta", JSON),
    Index("ix_factchecks_status", "status", "verdict"),
)

factcheck_phrasings = Table(
    "factcheck_phrasings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("factcheck_id", Integer, ForeignKey("factchecks.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("text", Text, nullable=False),
    # Hash of the normalised, folded phrasing: unique, so the same claim cannot be fact-checked twice.
    Column("norm", String(64), nullable=False, unique=True),
    Index("ix_factcheck_phrasings_fc", "factcheck_id"),
)

factcheck_versions = Table(
    "factcheck_versions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("factcheck_id", Integer, ForeignKey("factchecks.id", ondelete="CASCADE"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("action", String(20), nullable=False),
    Column("snapshot", JSON, nullable=False),
    Column("editor", Text, nullable=False),
    Column("at", UTCDateTime, nullable=False),
    UniqueConstraint("factcheck_id", "version", name="uq_factcheck_versions"),
)

alerts = Table(
    "alerts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("doc_id", DocId, ForeignKey("documents.id", ondelete="CASCADE"), nullable=False),
    Column("factcheck_id", Integer, ForeignKey("factchecks.id", ondelete="CASCADE"), nullable=False),
    Column("story_id", Integer),
    Column("score", Float, nullable=False),
    Column("reason", JSON, nullable=False),
    Column("status", String(12), nullable=False, default="new"),
    Column("created_at", UTCDateTime, nullable=False),
    # migration 0012: "repeat" (Lặp lại tin sai: notified) | "related" (có thể liên quan: queue only),
    # the verifier's probability and features (for recalibration from triage)
    Column("level", String(10), nullable=False, default="repeat", server_default="repeat"),
    Column("probability", Float),
    Column("features", JSON),
    UniqueConstraint("doc_id", "factcheck_id", name="uq_alerts_doc_factcheck"),
    Index("ix_alerts_created", "created_at"),
    Index("ix_alerts_story", "story_id"),
    Index("ix_alerts_level", "level"),
)

notifications = Table(
    "notifications",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alert_id", Integer, ForeignKey("alerts.id", ondelete="CASCADE"), nullable=False),
    Column("channel", String(12), nullable=False),  # log | webhook | email
    Column("target", Text, nullable=False, default=""),
    Column("status", String(10), nullable=False, default="pending"),  # pending | sending (claimed by a round) | sent | failed
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_attempt_at", UTCDateTime),
    Column("sent_at", UTCDateTime),
    UniqueConstraint("alert_id", "channel", name="uq_notifications_alert_channel"),
    Index("ix_notifications_status", "status"),
)
