"""Images that arrive with documents: an import file's image column, a feed item's enclosures.

The parsers only note where a document's images are (``doc.meta["image_refs"]``: URLs, or for an
import file also paths relative to the file); once the documents are stored, :func:`attach_images`
fetches each image through the guarded client (kiemchung/sources/http.py: address policy, size cap,
timeouts, politeness) or reads it from the import file's folder, keeps it in the image store and ties
it to its document. A broken image never stops anything: it is reported (with the import line) and the
document stays, without that image.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from kiemchung.errors import KiemchungError

__all__ = ["MAX_IMAGES_PER_DOCUMENT", "attach_images", "feed_image_refs", "split_refs"]

MAX_IMAGES_PER_DOCUMENT = 8
_SPLIT = re.compile(r"[\s|;]+")
_IMAGE_EXT = re.compile(r"\.(?:jpe?g|png|gif|webp)(?:$|[?#])", re.IGNORECASE)


def split_refs(value: Any) -> list[str]:
    """The image references of one import cell (a string with URLs/paths separated by spaces, ``|`` or
    ``;``, or a JSON list), without duplicates, at most :data:`MAX_IMAGES_PER_DOCUMENT`."""
    items: list[str] = []
    values = value if isinstance(value, list | tuple) else [value]
    for v in values:
        if isinstance(v, dict):  # {"url": ...} objects in JSON exports
            v = v.get("url") or v.get("src") or ""
        if not isinstance(v, str):
            continue
        items.extend(p for p in _SPLIT.split(v.strip()) if p)
    seen: list[str] = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen[:MAX_IMAGES_PER_DOCUMENT]


def feed_image_refs(entry: dict, base_url: str) -> list[str]:
    """The image URLs of a feed item: RSS ``<enclosure>`` and ``<media:content>`` of an image type
    (``type="image/…"``, or ``medium="image"``, or an image file name when no type is given)."""
    from urllib.parse import urljoin

    found: list[str] = []
    candidates: list[tuple[str, str, str]] = []
    for enc in entry.get("enclosures") or []:
        candidates.append((enc.get("href") or enc.get("url") or "", enc.get("type") or "", ""))
    for media in entry.get("media_content") or []:
        candidates.append((media.get("url") or "", media.get("type") or "", media.get("medium") or ""))
    for href, kind, medium in candidates:
        href = (href or "").strip()
        if not href:
            continue
        is_image = kind.lower().startswith("image/") or medium.lower() == "image" or \
            (not kind and not medium and _IMAGE_EXT.search(href) is not None)
        if not is_image:
            continue
        try:
            url = urljoin(base_url, href)
        except ValueError:
            continue
        if url.lower().startswith(("http://", "https://")) and url not in found:
            found.append(url)
    return found[:MAX_IMAGES_PER_DOCUMENT]


def _fetcher(db):
    from kiemchung.sources.http import FetchSettings, Fetcher
    from kiemchung.store import settings

    cap = settings.integer(db, "image_max_bytes") or 10 * 1024 * 1024
    return Fetcher.for_db(db, FetchSettings(
        max_bytes=cap, max_decompressed_bytes=cap, retries=1, total_timeout_s=30.0,
        accept="image/jpeg, image/png, image/gif, image/webp;q=0.9, image/*;q=0.5"))


def attach_images(db, docs: Iterable[Any], *, base_dir: Path | None = None, fetcher=None,
                  store=None) -> tuple[int, list[tuple[int | None, str]]]:
    """Fetch/read, keep and tie the images of stored documents (``doc.id`` set, ``doc.meta["image_refs"]``).

    ``base_dir``: the import file's folder; relative paths are read from there (and only from there:
    a path that leads outside it is refused). Without it only http(s) URLs are taken. Returns (images
    attached, [(import line or None, message)]) — the messages say which image of which line failed
    and why, in Vietnamese and English."""
    from kiemchung.images.store import ImageStore, read_image_file

    pending = [d for d in docs if getattr(d, "id", None) is not None and (d.meta or {}).get("image_refs")]
    if not pending:
        return 0, []
    store = store or ImageStore(db)
    own_fetcher = fetcher is None
    fetcher = fetcher or _fetcher(db)
    attached = 0
    problems: list[tuple[int | None, str]] = []
    root = base_dir.resolve() if base_dir is not None else None
    try:
        for doc in pending:
            line = (doc.meta or {}).get("line")
            for position, ref in enumerate(doc.meta["image_refs"]):
                where = f"Dòng {line}: " if line else ""
                try:
                    if ref.lower().startswith(("http://", "https://")):
                        data = fetcher.get(ref).content
                        source_url = ref
                    elif root is not None and "://" not in ref:
                        path = (root / ref).resolve()
                        if not path.is_relative_to(root):
                            raise KiemchungError(f"đường dẫn ra ngoài thư mục của tệp nhập (path outside the "
                                                 f"import file's folder): {ref}")
                        data = read_image_file(path, max_bytes=store.max_bytes)
                        source_url = None
                    else:
                        raise KiemchungError(f"không phải địa chỉ http(s) (not an http(s) address): {ref}")
                    store.add(data, "document", doc.id, source_url=source_url, position=position)
                    attached += 1
                except KiemchungError as exc:
                    problems.append((line, f"{where}ảnh {ref!r} bị bỏ qua (image skipped): {exc}"))
    finally:
        if own_fetcher:
            fetcher.close()
    return attached, problems
