"""Tables of stored images and what they belong to (migration 0020).

``images`` holds one row per stored image: the SHA-256 of the clean copy kept (the name of its blob,
:mod:`kiemchung.store.blobs`), the SHA-256 of the bytes as received (so the same upload is recognised),
its type, size, dimensions and perceptual hashes. ``image_links`` says which documents (tips included)
and fact-checks an image belongs to.
"""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Column, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint

from kiemchung.store.schema import UTCDateTime, metadata

images = Table(
    "images",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sha256", String(64), nullable=False, unique=True),  # the clean copy kept (blob name)
    Column("original_sha256", String(64), nullable=False),  # the bytes as received
    Column("mime", String(20), nullable=False),  # image/jpeg | image/png: what the clean copy is
    Column("source_format", String(10), nullable=False),  # JPEG | PNG | GIF | WEBP as sniffed
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("size", Integer, nullable=False),  # bytes of the clean copy
    Column("original_size", Integer, nullable=False),
    Column("frames", Integer, nullable=False, default=1),
    Column("phash", String(16), nullable=False),  # 64-bit pHash, hex
    Column("crop_hashes", JSON, nullable=False, default=list),  # window entries q…/w… (images.phash.parse_entry)
    Column("warnings", JSON, nullable=False, default=list),  # codes: animated, metadata_script, ...
    Column("created_at", UTCDateTime, nullable=False),
    Column("meta", JSON),
    Index("ix_images_original", "original_sha256"),
    Index("ix_images_phash", "phash"),
)

# What an image belongs to: target "document" (articles, posts, tips: documents.id) or "factcheck".
TARGETS = ("document", "factcheck")

image_links = Table(
    "image_links",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("image_id", Integer, ForeignKey("images.id", ondelete="CASCADE"), nullable=False),
    Column("target", String(12), nullable=False),
    Column("target_id", BigInteger, nullable=False),
    Column("source_url", Text),  # where the image was fetched from, if it was
    Column("position", Integer, nullable=False, default=0),
    Column("created_by", Text),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("image_id", "target", "target_id", name="uq_image_links"),
    Index("ix_image_links_target", "target", "target_id"),
)
