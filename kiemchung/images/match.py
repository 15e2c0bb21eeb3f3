"""Image matching: is this image one a fact-check is about?

An image matches a stored one when either

- their pHashes differ by at most ``distance`` bits (setting ``image_match_distance``): the same
  picture resized, re-compressed, lightly recoloured; or
- at least ``min_segments`` (and ``min_fraction`` of all) of its crop-resistant segment hashes are
  each within ``segment_distance`` bits of a segment of the stored image: the same picture cropped, or
  with a caption band added.

The thresholds are those measured by ``benchmarks/bench_image_match.py`` (recall per transformation at
<= 1 % false matches against unrelated images; docs/images.md). Lookups go through
:class:`~kiemchung.images.phash.HashIndex` (vectorised popcount over packed hashes, band buckets for
small distances).

Fact-checks hold the images they are about (``image_links`` with target ``factcheck``):
:func:`attach_to_factcheck` / :func:`detach_from_factcheck` (audited). A document whose image matches an
image of a published false/misleading fact-check raises an alert through the same path as a text match
(:class:`kiemchung.claims.alerts.AlertEngine`), with the reason label ``image``.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any, Iterable

from sqlalchemy import func, select

from kiemchung import audit
from kiemchung.images.phash import HashIndex, hamming
from kiemchung.images.store import ImageStore, StoredImage
from kiemchung.images.tables import image_links, images

__all__ = ["DISTANCE", "ImageMatch", "ImageMatcher", "attach_to_factcheck", "detach_from_factcheck",
           "factcheck_matcher", "match_factchecks"]

DISTANCE = 6  # default pHash bits (setting image_match_distance)
SEGMENT_DISTANCE = 12  # bits between two segment hashes counted as the same segment
MIN_SEGMENTS = 4  # segments that must match for a crop-resistant match
MIN_FRACTION = 0.5  # ... and at least this share of the query's segments


@dataclass(frozen=True)
class ImageMatch:
    """A stored image the query matches: by ``method`` "phash" (``distance`` bits) or "crop"
    (``segments`` of the query's ``of_segments`` segments found in it; ``distance`` is still the pHash
    distance, for the record)."""

    image_id: int
    distance: int
    method: str
    segments: int = 0
    of_segments: int = 0
    factcheck_ids: tuple[int, ...] = ()

    def describe(self) -> str:
        if self.method == "phash":
            return f"pHash {self.distance}/64"
        return f"{self.segments}/{self.of_segments} vùng (segments), pHash {self.distance}/64"


class ImageMatcher:
    """An index of images (with the fact-checks each belongs to) to match query images against."""

    def __init__(self, *, distance: int = DISTANCE, segment_distance: int = SEGMENT_DISTANCE,
                 min_segments: int = MIN_SEGMENTS, min_fraction: float = MIN_FRACTION) -> None:
        self.distance = distance
        self.segment_distance = segment_distance
        self.min_segments = min_segments
        self.min_fraction = min_fraction
        self.phash = HashIndex()
        self.segments = HashIndex()
        self._phash_of: dict[int, str] = {}
        self._owners: dict[int, set[int]] = defaultdict(set)

    def __len__(self) -> int:
        return len(self._phash_of)

    def add(self, image_id: int, phash: str, crop_hashes: Iterable[str] = (), owners: Iterable[int] = ()) -> None:
        if image_id not in self._phash_of:
            self._phash_of[image_id] = phash
            self.phash.add(phash, image_id)
            for seg in set(crop_hashes):
                self.segments.add(seg, image_id)
        self._owners[image_id].update(owners)

    def match(self, phash: str, crop_hashes: Iterable[str] = ()) -> list[ImageMatch]:
        """Stored images the query matches, best first (pHash matches, then crop matches by segments)."""
        found: dict[int, ImageMatch] = {}
        for image_id, dist in self.phash.within(phash, self.distance):
            found[image_id] = ImageMatch(image_id, dist, "phash", factcheck_ids=tuple(sorted(self._owners[image_id])))
        segs = sorted(set(crop_hashes))
        if segs and self.min_segments > 0:
            counts: Counter[int] = Counter()
            for seg in segs:
                for image_id in {i for i, _ in self.segments.within(seg, self.segment_distance)}:
                    counts[image_id] += 1
            need = max(self.min_segments, math.ceil(self.min_fraction * len(segs)))
            for image_id, n in counts.items():
                if n >= need and image_id not in found:
                    found[image_id] = ImageMatch(image_id, hamming(phash, self._phash_of[image_id]), "crop", n,
                                                 len(segs), tuple(sorted(self._owners[image_id])))
        return sorted(found.values(), key=lambda m: (m.method != "phash", m.distance if m.method == "phash" else -m.segments,
                                                     m.image_id))


# -- fact-checks' images ------------------------------------------------------------------------------

def _settings_distance(db) -> int:
    from kiemchung.store import settings

    value = settings.integer(db, "image_match_distance")
    return DISTANCE if value is None else value


def factcheck_matcher(db, factcheck_ids: Iterable[int] | None = None) -> ImageMatcher:
    """A matcher over the images of the given fact-checks (all fact-checks when None)."""
    m = ImageMatcher(distance=_settings_distance(db))
    q = (select(images.c.id, images.c.phash, images.c.crop_hashes, image_links.c.target_id)
         .join(image_links, image_links.c.image_id == images.c.id).where(image_links.c.target == "factcheck"))
    wanted = None if factcheck_ids is None else {int(i) for i in factcheck_ids}
    if wanted is not None and not wanted:
        return m
    with db.read() as conn:
        for r in conn.execute(q):
            if wanted is None or r.target_id in wanted:
                m.add(r.id, r.phash, r.crop_hashes or [], [int(r.target_id)])
    return m


def factcheck_images_signature(db) -> tuple[int, int]:
    """Changes whenever an image is tied to or untied from a fact-check."""
    with db.read() as conn:
        n, top = conn.execute(select(func.count(), func.max(image_links.c.id))
                              .where(image_links.c.target == "factcheck")).one()
    return int(n or 0), int(top or 0)


@dataclass(frozen=True)
class FactCheckImageMatch:
    factcheck_id: int
    claim: str
    verdict: str
    status: str
    image_id: int
    distance: int
    method: str
    segments: int
    of_segments: int

    def public(self) -> dict[str, Any]:
        return dict(self.__dict__)


def match_factchecks(db, data: bytes, *, published_only: bool = False) -> list[FactCheckImageMatch]:
    """The fact-checks whose images match the image ``data`` (decoded under the store's caps; nothing
    stored), best first: one row per fact-check with its best-matching image."""
    from kiemchung.claims.factchecks import get_factcheck
    from kiemchung.images.store import decode

    store = ImageStore(db)
    probe = decode(data, max_bytes=store.max_bytes, max_pixels=store.max_pixels)
    out: dict[int, FactCheckImageMatch] = {}
    for m in factcheck_matcher(db).match(probe.phash, probe.crop_hashes):
        for fc_id in m.factcheck_ids:
            if fc_id in out:
                continue
            fc = get_factcheck(db, fc_id)
            if published_only and fc.status != "published":
                continue
            out[fc_id] = FactCheckImageMatch(fc_id, fc.claim, fc.verdict, fc.status, m.image_id, m.distance,
                                             m.method, m.segments, m.of_segments)
    return list(out.values())


def attach_to_factcheck(db, fc_id: int, data: bytes, *, editor: str, actor: Any = None,
                        source_url: str | None = None) -> StoredImage:
    """Keep ``data`` and tie it to fact-check ``fc_id`` (audited ``factcheck.image_add``)."""
    from kiemchung.claims.factchecks import get_factcheck

    fc = get_factcheck(db, fc_id)
    store = ImageStore(db)
    image = store.put(data, meta={"source_url": source_url} if source_url else None)
    if store.link(image.id, "factcheck", fc.id, source_url=source_url, created_by=editor,
                  position=len(store.for_target("factcheck", fc.id))):
        with db.write() as conn:
            audit.record(conn, actor if actor is not None else editor, "factcheck.image_add", f"factcheck:{fc.id}",
                         None, {"image": image.id, "sha256": image.sha256})
    return image


def detach_from_factcheck(db, fc_id: int, image_id: int, *, editor: str, actor: Any = None) -> bool:
    """Untie an image from a fact-check (audited ``factcheck.image_remove``); False if it was not tied."""
    store = ImageStore(db)
    if not store.unlink(image_id, "factcheck", fc_id):
        return False
    with db.write() as conn:
        audit.record(conn, actor if actor is not None else editor, "factcheck.image_remove", f"factcheck:{fc_id}",
                     {"image": image_id}, None)
    return True


def document_images(db, doc_ids: Iterable[int]) -> dict[int, list[tuple[int, str, list[str]]]]:
    """{doc id: [(image id, phash, crop hashes)]} of the given documents' images."""
    ids = [int(i) for i in doc_ids]
    out: dict[int, list[tuple[int, str, list[str]]]] = defaultdict(list)
    if not ids:
        return out
    with db.read() as conn:
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            q = (select(image_links.c.target_id, images.c.id, images.c.phash, images.c.crop_hashes)
                 .join(images, images.c.id == image_links.c.image_id)
                 .where(image_links.c.target == "document", image_links.c.target_id.in_(chunk)))
            for r in conn.execute(q):
                out[int(r.target_id)].append((r.id, r.phash, r.crop_hashes or []))
    return out
