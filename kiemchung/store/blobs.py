"""Content-addressed blobs: kept copies of pages (HTML, screenshots, WARC records) and other files.

A blob is named by the SHA-256 of its bytes, so the same bytes are stored once and a name can be
checked against what it names. A SQLite store keeps them as files in a folder next to the database
file (``<folder of the .db>/bang-chung/ab/abcdef…``), written to a temporary name and renamed, so a
crash never leaves a half-written blob under a real name. A PostgreSQL store (server mode, where
several hosts share the database and none shares a disk) keeps them in the ``blobs`` table
(migration 0018).
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

from sqlalchemy import Column, Integer, LargeBinary, String, Table, insert, select

from kiemchung.errors import NotFoundError, StoreError
from kiemchung.store.schema import UTCDateTime, metadata
from kiemchung.timeutil import now

__all__ = ["BlobStore", "blobs", "sha256"]

blobs = Table(
    "blobs",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("size", Integer, nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

FOLDER = "bang-chung"
_NAME = re.compile(r"[0-9a-f]{64}")


def sha256(data: bytes) -> str:
    """The hex SHA-256 of ``data`` (a blob's name)."""
    return hashlib.sha256(data).hexdigest()


class BlobStore:
    """The blobs of one store: files next to a SQLite database, the ``blobs`` table otherwise."""

    def __init__(self, db, folder: Path | None = None) -> None:
        self.db = db
        path = getattr(db, "path", None)
        self.folder = folder if folder is not None else (Path(path).resolve().parent / FOLDER if path else None)

    def _file(self, name: str) -> Path:
        if not _NAME.fullmatch(name or ""):
            raise NotFoundError(f"Tên tệp lưu không hợp lệ (bad blob name): {name!r}")
        assert self.folder is not None
        return self.folder / name[:2] / name

    def put(self, data: bytes) -> str:
        """Store ``data`` (once: the same bytes again cost nothing); returns its SHA-256 name."""
        name = sha256(data)
        if self.folder is None:
            with self.db.write() as conn:
                if conn.execute(select(blobs.c.sha256).where(blobs.c.sha256 == name)).first() is None:
                    conn.execute(insert(blobs).values(sha256=name, size=len(data), data=data, created_at=now()))
            return name
        target = self._file(name)
        if target.exists() and target.stat().st_size == len(data):
            return name
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise StoreError(f"Không ghi được tệp lưu vào {self.folder} (cannot write blob): {exc}") from exc
        return name

    def get(self, name: str) -> bytes:
        """The bytes named ``name``; :class:`NotFoundError` when absent."""
        if self.folder is None:
            with self.db.read() as conn:
                data = conn.execute(select(blobs.c.data).where(blobs.c.sha256 == name)).scalar()
            if data is None:
                raise NotFoundError(f"Không tìm thấy tệp đã lưu (blob not found): {name}")
            return bytes(data)
        try:
            return self._file(name).read_bytes()
        except FileNotFoundError:
            raise NotFoundError(f"Không tìm thấy tệp đã lưu (blob not found): {name}") from None

    def exists(self, name: str) -> bool:
        """Whether a blob named ``name`` is stored."""
        if self.folder is None:
            with self.db.read() as conn:
                return conn.execute(select(blobs.c.sha256).where(blobs.c.sha256 == name)).first() is not None
        try:
            return self._file(name).exists()
        except NotFoundError:
            return False
