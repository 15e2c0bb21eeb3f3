"""The image store: content-addressed, capped, bomb-safe, metadata-free.

Every image that enters kiemchung (a tip's attachment, an import's image column, a feed's enclosure, an
image a fact-check is about) goes through :func:`decode`:

1. **Size cap** (setting ``image_max_bytes``): more bytes are refused before anything is parsed.
2. **Type by magic bytes**, never by file name or declared content type: JPEG, PNG, GIF and WebP only.
   SVG (which can carry scripts), HTML, PDF, TIFF, BMP… are refused as ``image_wrong_type``.
3. **Pixel cap from the header** (setting ``image_max_pixels``): Pillow reads the dimensions without
   decoding; an image with more pixels is refused (``image_too_many_pixels``) before a single pixel is
   decoded, so a decompression bomb (a few kB of PNG claiming 50,000 × 50,000 pixels) costs nothing. A
   JPEG over the cap is decoded at a reduced scale instead (Pillow's draft mode: the decoder skips the
   fine DCT coefficients, so memory follows the reduced size) and kept downscaled, with the warning
   ``downscaled``. Pillow's own ``MAX_IMAGE_PIXELS`` guard stays in force behind ours (an error above twice
   its limit, whatever the settings say).
4. **Animated images** (GIF, WebP, APNG): the first frame is kept, as a still image, with the warning
   ``animated`` and the frame count: what was checked is the first frame.
5. **Metadata stripped**: the kept copy is re-encoded from the decoded pixels (JPEG for JPEG input, PNG
   otherwise), so EXIF, XMP, comments, text chunks and any bytes appended after the image are dropped.
   The EXIF orientation is applied first, so a phone photo stays upright. Script-like content in the
   metadata or anywhere in the bytes (``<script``, ``javascript:``, ``<svg``, event handlers, ``<?php``)
   is reported as the warning ``metadata_script``; it is not in the kept copy.
6. **Corrupt data** (truncated, garbage after a valid header) fails the full decode: ``image_corrupt``.

The kept copy is stored once per content (its SHA-256 names a blob of :mod:`kiemchung.store.blobs`:
files next to a SQLite store, or in the folder of the ``image_folder`` setting; the ``blobs`` table in
server mode) and described by a row of ``images`` with its perceptual hashes
(:mod:`kiemchung.images.phash`: the whole picture's pHash and a few window hashes; a fact-check's image
also gets its crop windows, :func:`kiemchung.images.match.ensure_windows`). :func:`open_image` is the
one decoder (steps 1-4 and 6); OCR uses it too. It is only ever served as ``image/jpeg`` or ``image/png`` with
``nosniff``; nothing a user sent is served as it came.
"""

from __future__ import annotations

import hashlib
import io
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import and_, delete, insert, select

from kiemchung.errors import KiemchungError, NotFoundError
from kiemchung.images.tables import TARGETS, image_links, images
from kiemchung.store.blobs import BlobStore
from kiemchung.timeutil import now

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_PIXELS",
    "DecodedImage",
    "ImageError",
    "ImageStore",
    "StoredImage",
    "decode",
    "open_image",
    "read_image_file",
    "sniff",
]

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_PIXELS = 40_000_000
_JPEG_QUALITY = 92

# Codes of refusals and warnings (labels in kiemchung.labels, kind "image_problem").
ERROR_CODES = ("image_empty", "image_too_large", "image_wrong_type", "image_too_many_pixels", "image_corrupt")
WARNING_CODES = ("animated", "metadata_script", "downscaled")

_MESSAGES = {
    "image_empty": ("Tệp ảnh rỗng", "the image is empty"),
    "image_too_large": ("Ảnh quá lớn", "the image is too large"),
    "image_wrong_type": ("Không phải ảnh JPEG, PNG, GIF hay WebP", "not a JPEG, PNG, GIF or WebP image"),
    "image_too_many_pixels": ("Ảnh có quá nhiều điểm ảnh", "the image has too many pixels"),
    "image_corrupt": ("Ảnh bị hỏng, không giải mã được", "the image is corrupt and cannot be decoded"),
}


class ImageError(KiemchungError):
    """An image was refused; ``code`` says why (one of :data:`ERROR_CODES`)."""

    def __init__(self, code: str, detail: str = "") -> None:
        vi, en = _MESSAGES[code]
        extra = f": {detail}" if detail else ""
        super().__init__(f"{vi}{extra} ({en}{extra})")
        self.code = code
        self.detail = detail


# -- sniffing -------------------------------------------------------------------------------------

def sniff(data: bytes) -> str | None:
    """The image format the bytes really are (JPEG, PNG, GIF, WEBP), by their magic bytes; None else."""
    if data[:3] == b"\xff\xd8\xff":
        return "JPEG"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "PNG"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def _what_it_is(data: bytes) -> str:
    """A short name of what non-image bytes look like, for the error message."""
    head = data[:512].lstrip().lower()
    if head.startswith(b"<?xml") or b"<svg" in head:
        return "SVG/XML"
    if head.startswith((b"<!doctype html", b"<html")) or b"<script" in head:
        return "HTML"
    if data[:4] == b"%PDF":
        return "PDF"
    if data[:2] in (b"II", b"MM") and data[2:4] in (b"*\x00", b"\x00*"):
        return "TIFF"
    if data[:2] == b"BM":
        return "BMP"
    return "?"


_SCRIPT = re.compile(rb"<\s*script|javascript\s*:|<\s*svg|<\s*iframe|\bon(?:load|error|click|mouseover)\s*=|<\?php",
                     re.IGNORECASE)


def _has_script(data: bytes, info: dict[str, Any]) -> bool:
    if _SCRIPT.search(data):
        return True
    for value in info.values():
        if isinstance(value, str):
            value = value.encode("utf-8", "replace")
        if isinstance(value, bytes | bytearray) and _SCRIPT.search(bytes(value)):
            return True
    return False


# -- decoding -------------------------------------------------------------------------------------

@dataclass
class DecodedImage:
    """An accepted image: its clean copy (bytes to keep and serve) and what was learnt decoding it."""

    source_format: str
    mime: str
    width: int
    height: int
    frames: int
    clean: bytes
    original_sha256: str
    original_size: int
    phash: str
    crop_hashes: list[str]
    warnings: list[str] = field(default_factory=list)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.clean).hexdigest()


@dataclass
class OpenedImage:
    """An image decoded under the caps (:func:`open_image`): the PIL image (first frame, EXIF orientation
    applied), its sniffed format, frame count, warnings so far and the header's info dict."""

    image: Any
    format: str
    frames: int
    warnings: list[str]
    info: dict[str, Any]


def open_image(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES, max_pixels: int = DEFAULT_MAX_PIXELS) -> OpenedImage:
    """Steps 1-4 and 6 of the module's docstring: the one decoder every image goes through (the store,
    matching, OCR). :class:`ImageError` when refused."""
    from PIL import Image, ImageOps

    if not data:
        raise ImageError("image_empty")
    if len(data) > max_bytes:
        raise ImageError("image_too_large", f"{len(data):,} > {max_bytes:,} bytes")
    fmt = sniff(data)
    if fmt is None:
        raise ImageError("image_wrong_type", _what_it_is(data))
    notes: list[str] = []
    with warnings.catch_warnings():
        # Our own cap is checked from the header just below; Pillow's guard stays as the backstop (it
        # raises DecompressionBombError above twice its MAX_IMAGE_PIXELS whatever the settings say).
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            img = Image.open(io.BytesIO(data), formats=[fmt])
            width, height = img.size  # from the header: nothing decoded yet
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ImageError("image_too_many_pixels", str(exc)) from None
        except Exception as exc:  # noqa: BLE001 - Pillow raises many kinds on bad headers
            raise ImageError("image_corrupt", f"{type(exc).__name__}: {exc}") from None
        if width <= 0 or height <= 0:
            raise ImageError("image_corrupt", f"{width}×{height}")
        if width * height > max_pixels:
            if fmt != "JPEG":
                raise ImageError("image_too_many_pixels", f"{width}×{height} > {max_pixels:,}")
            # Draft mode: the JPEG decoder scales by 1/2, 1/4 or 1/8 while decoding.
            scale = next((k for k in (2, 4, 8) if -(-width // k) * -(-height // k) <= max_pixels), None)
            if scale is None:
                raise ImageError("image_too_many_pixels", f"{width}×{height} > {max_pixels:,}")
            img.draft("RGB" if img.mode not in ("L",) else "L", (-(-width // scale), -(-height // scale)))
            if img.size[0] * img.size[1] > max_pixels:
                raise ImageError("image_too_many_pixels", f"{width}×{height} > {max_pixels:,}")
            notes.append("downscaled")
        try:
            frames = int(getattr(img, "n_frames", 1) or 1)
            if frames > 1:
                notes.append("animated")
                img.seek(0)
            info = dict(img.info)
            img.load()
            exif = img.getexif()
            if fmt == "JPEG" and exif.get(0x0112, 1) not in (1, None):
                img = ImageOps.exif_transpose(img)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ImageError("image_too_many_pixels", str(exc)) from None
        except Exception as exc:  # noqa: BLE001 - truncated/garbled data
            raise ImageError("image_corrupt", f"{type(exc).__name__}: {exc}") from None
    return OpenedImage(img, fmt, frames, notes, info)


def decode(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES, max_pixels: int = DEFAULT_MAX_PIXELS,
           hashes: bool = True) -> DecodedImage:
    """Check and decode ``data`` (see the module's docstring); :class:`ImageError` when refused."""
    opened = open_image(data, max_bytes=max_bytes, max_pixels=max_pixels)
    img, fmt, frames, notes, info = opened.image, opened.format, opened.frames, opened.warnings, opened.info
    if _has_script(data, info):
        notes.append("metadata_script")
    clean, mime = _clean_copy(img, fmt)
    phash, crop = ("", [])
    if hashes:
        from kiemchung.images.phash import image_hashes

        phash, crop = image_hashes(img)
    return DecodedImage(
        source_format=fmt, mime=mime, width=img.size[0], height=img.size[1], frames=frames, clean=clean,
        original_sha256=hashlib.sha256(data).hexdigest(), original_size=len(data), phash=phash,
        crop_hashes=crop, warnings=notes,
    )


def _clean_copy(img, fmt: str) -> tuple[bytes, str]:
    """The pixels re-encoded without any metadata: JPEG for a JPEG, PNG otherwise."""
    out = io.BytesIO()
    has_alpha = img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info)
    transparency = img.info.get("transparency")
    # Encoders copy parts of the info dict (JPEG comment, EXIF, ICC, PNG text): none reaches them.
    img.info = {}
    if fmt == "JPEG" and not has_alpha:
        pixels = img if img.mode in ("RGB", "L") else img.convert("RGB")
        pixels.info = {}
        pixels.save(out, "JPEG", quality=_JPEG_QUALITY, optimize=True)
        return out.getvalue(), "image/jpeg"
    if img.mode not in ("RGB", "RGBA", "L", "LA", "P"):
        img = img.convert("RGBA" if has_alpha else "RGB")
        img.info = {}
    if img.mode == "P" and transparency is not None:
        img = img.convert("RGBA")
        img.info = {}
    img.save(out, "PNG", optimize=False)
    return out.getvalue(), "image/png"


def read_image_file(path: str | Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """The bytes of an image file, reading at most ``max_bytes`` + 1 (a bigger file is refused)."""
    p = Path(path)
    try:
        with p.open("rb") as fh:
            data = fh.read(max_bytes + 1)
    except FileNotFoundError:
        raise NotFoundError(f"Không có tệp ảnh (no such image file): {p}") from None
    except IsADirectoryError:
        raise ImageError("image_wrong_type", f"{p} là thư mục / is a folder") from None
    except OSError as exc:
        raise ImageError("image_corrupt", f"{p}: {exc}") from None
    if len(data) > max_bytes:
        raise ImageError("image_too_large", f"{p} > {max_bytes:,} bytes")
    return data


# -- the store ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class StoredImage:
    """A row of ``images``."""

    id: int
    sha256: str
    original_sha256: str
    mime: str
    source_format: str
    width: int
    height: int
    size: int
    original_size: int
    frames: int
    phash: str
    crop_hashes: list[str]
    warnings: list[str]
    created_at: Any
    meta: dict[str, Any] | None = None

    def public(self) -> dict[str, Any]:
        """What the API shows of it."""
        return {
            "id": self.id, "sha256": self.sha256, "mime": self.mime, "source_format": self.source_format,
            "width": self.width, "height": self.height, "size": self.size, "frames": self.frames,
            "phash": self.phash, "warnings": list(self.warnings),
            "created_at": self.created_at.isoformat() if self.created_at else None,
        }


def _row(row) -> StoredImage:
    m = row._mapping
    return StoredImage(**{k: m[k] for k in StoredImage.__dataclass_fields__})


class ImageStore:
    """The images of one database: :meth:`put` checks, cleans, hashes and keeps; :meth:`link` ties an
    image to a document or a fact-check."""

    def __init__(self, db, folder: Path | None = None) -> None:
        from kiemchung.store import settings

        self.db = db
        if folder is None:
            configured = settings.value(db, "image_folder")
            folder = Path(configured) if configured else None
        self.blobs = BlobStore(db, folder)
        self.max_bytes = settings.integer(db, "image_max_bytes") or DEFAULT_MAX_BYTES
        self.max_pixels = settings.integer(db, "image_max_pixels") or DEFAULT_MAX_PIXELS

    # writing
    def put(self, data: bytes, *, meta: dict[str, Any] | None = None) -> StoredImage:
        """Check, clean and keep ``data`` (see :func:`decode`); the same bytes again return the row
        already stored. :class:`ImageError` when refused."""
        original = hashlib.sha256(data).hexdigest() if data else ""
        if original:
            found = self._by(images.c.original_sha256 == original)
            if found is not None:
                return found
        decoded = decode(data, max_bytes=self.max_bytes, max_pixels=self.max_pixels)
        return self.put_decoded(decoded, meta=meta)

    def put_decoded(self, decoded: DecodedImage, *, meta: dict[str, Any] | None = None) -> StoredImage:
        name = self.blobs.put(decoded.clean)
        with self.db.write() as conn:
            row = conn.execute(select(images).where(images.c.sha256 == name)).first()
            if row is None:
                conn.execute(insert(images).values(
                    sha256=name, original_sha256=decoded.original_sha256, mime=decoded.mime,
                    source_format=decoded.source_format, width=decoded.width, height=decoded.height,
                    size=len(decoded.clean), original_size=decoded.original_size, frames=decoded.frames,
                    phash=decoded.phash, crop_hashes=decoded.crop_hashes, warnings=decoded.warnings,
                    created_at=now(), meta=meta or None,
                ))
                row = conn.execute(select(images).where(images.c.sha256 == name)).first()
        return _row(row)

    def link(self, image_id: int, target: str, target_id: int, *, source_url: str | None = None,
             created_by: str | None = None, position: int = 0) -> bool:
        """Tie an image to ``target`` (``document`` or ``factcheck``) ``target_id``; False if it already was."""
        if target not in TARGETS:
            raise ValueError(f"unknown image target {target!r}")
        with self.db.write() as conn:
            exists = conn.execute(select(image_links.c.id).where(and_(
                image_links.c.image_id == image_id, image_links.c.target == target,
                image_links.c.target_id == target_id))).first()
            if exists is not None:
                return False
            conn.execute(insert(image_links).values(
                image_id=image_id, target=target, target_id=target_id, source_url=source_url,
                position=position, created_by=created_by, created_at=now()))
        return True

    def unlink(self, image_id: int, target: str, target_id: int) -> bool:
        """Untie an image from a target (the image itself stays); False if it was not tied."""
        with self.db.write() as conn:
            res = conn.execute(delete(image_links).where(and_(
                image_links.c.image_id == image_id, image_links.c.target == target,
                image_links.c.target_id == target_id)))
        return bool(res.rowcount)

    def add(self, data: bytes, target: str, target_id: int, *, source_url: str | None = None,
            created_by: str | None = None, position: int = 0) -> StoredImage:
        """:meth:`put` then :meth:`link`."""
        image = self.put(data, meta={"source_url": source_url} if source_url else None)
        self.link(image.id, target, target_id, source_url=source_url, created_by=created_by, position=position)
        return image

    # reading
    def _by(self, condition) -> StoredImage | None:
        with self.db.read() as conn:
            row = conn.execute(select(images).where(condition).order_by(images.c.id).limit(1)).first()
        return _row(row) if row is not None else None

    def get(self, image_id: int) -> StoredImage:
        found = self._by(images.c.id == image_id)
        if found is None:
            raise NotFoundError(f"Không có ảnh #{image_id} (no image #{image_id})")
        return found

    def by_sha256(self, name: str) -> StoredImage:
        found = self._by(images.c.sha256 == name)
        if found is None:
            raise NotFoundError(f"Không có ảnh {name} (no such image)")
        return found

    def data(self, image: StoredImage) -> bytes:
        """The clean copy's bytes (always ``image.mime``)."""
        return self.blobs.get(image.sha256)

    def for_target(self, target: str, target_id: int) -> list[StoredImage]:
        """The images tied to one document or fact-check, in their order."""
        with self.db.read() as conn:
            rows = conn.execute(
                select(images).join(image_links, image_links.c.image_id == images.c.id)
                .where(image_links.c.target == target, image_links.c.target_id == target_id)
                .order_by(image_links.c.position, image_links.c.id)).all()
        return [_row(r) for r in rows]

    def links(self, image_id: int) -> list[dict[str, Any]]:
        """What an image is tied to: ``[{"target", "target_id", "source_url"}]``."""
        with self.db.read() as conn:
            rows = conn.execute(select(image_links.c.target, image_links.c.target_id, image_links.c.source_url)
                                .where(image_links.c.image_id == image_id).order_by(image_links.c.id)).all()
        return [dict(r._mapping) for r in rows]
