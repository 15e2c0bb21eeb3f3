"""Image matching: is this image one a fact-check is about?

An image matches a stored one when either

- their pHashes differ by at most ``distance`` bits (setting ``image_match_distance``): the same
  picture resized, re-compressed, lightly recoloured; or
- one of the query's **windows** (the whole picture, without uniform borders, without a caption band
  found at its top or bottom: :func:`kiemchung.images.phash.query_boxes`, hashed on intake) has a pHash
  within ``window_distance`` bits *and* a dHash within ``window_second`` bits of one of the stored
  image's **windows** (its trimmed picture with 0-20 % cut off each side, a few hundred per image:
  :func:`kiemchung.images.phash.window_boxes`): the same picture cropped, or with a caption band added,
  or both. The dHash is the second opinion that keeps unrelated screenshots and charts (white grounds,
  similar layouts) from matching through one of the many windows.

Windows are kept only for the images fact-checks hold (:func:`reference_entries`, computed when an image
is tied to a fact-check, or on first use for images tied before); every other image keeps its few query
windows. The thresholds are those measured by ``benchmarks/bench_image_match.py`` (recall per
transformation at <= 1 % false matches against unrelated images, chosen on one half of the set and
reported on the other; docs/images.md).

Fact-checks hold the images they are about (``image_links`` with target ``factcheck``):
:func:`attach_to_factcheck` / :func:`detach_from_factcheck` (audited). A document whose image matches an
image of a published false/misleading fact-check raises an alert through the same path as a text match
(:class:`kiemchung.claims.alerts.AlertEngine`), with the reason label ``image``.
"""

from __future__ import annotations

import io
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Iterable

import numpy as np
from sqlalchemy import func, select, update

from kiemchung import audit
from kiemchung.images.phash import (
    COLOUR_BYTES,
    QUERY,
    WINDOW,
    HashIndex,
    colour_distance,
    fine_distance,
    is_text_page,
    parse_entry,
)
from kiemchung.images.store import ImageStore, StoredImage
from kiemchung.images.tables import image_links, images

__all__ = ["COLOUR_DISTANCE", "DISTANCE", "FINE_DISTANCE", "WINDOW_DISTANCE", "WINDOW_SECOND", "ImageMatch", "ImageMatcher", "attach_to_factcheck",
           "detach_from_factcheck", "ensure_windows", "factcheck_matcher", "match_factchecks", "reference_entries"]

DISTANCE = 6  # default pHash bits (setting image_match_distance)
WINDOW_DISTANCE = 4  # pHash bits between a query window and a stored window (bench_image_match.py)
WINDOW_SECOND = 22  # ... and dHash bits (the second opinion)
COLOUR_DISTANCE = 12.0  # mean grey levels (0-255) between colour layouts, for both kinds of match (bench)
FINE_DISTANCE = 50  # fine-hash bits (of 256) for either kind of match of a stored text page (bench)


@dataclass(frozen=True)
class ImageMatch:
    """A stored image the query matches: by ``method`` "phash" (whole pictures ``distance`` bits apart)
    or "window" (a window of the query within ``distance`` pHash bits and ``second`` dHash bits of a
    window of the stored image: a crop, a caption band). ``segments``/``of_segments`` are kept for the
    API's shape and are 0 (the crop-resistant segment hashes are no longer computed)."""

    image_id: int
    distance: int
    method: str
    segments: int = 0
    of_segments: int = 0
    factcheck_ids: tuple[int, ...] = ()
    second: int = 0
    colour: float | None = None

    def describe(self) -> str:
        tail = "" if self.colour is None else f", màu/colour {self.colour:.1f}/255"
        if self.method == "phash":
            return f"pHash {self.distance}/64{tail}"
        return f"pHash {self.distance}/64, dHash {self.second}/64{tail} (vùng cắt / crop window)"


class ImageMatcher:
    """An index of images (with the fact-checks each belongs to) to match query images against."""

    def __init__(self, *, distance: int = DISTANCE, window_distance: int = WINDOW_DISTANCE,
                 window_second: int = WINDOW_SECOND, colour_distance: float | None = COLOUR_DISTANCE,
                 fine_distance: int | None = FINE_DISTANCE) -> None:
        self.distance = distance
        self.window_distance = window_distance
        self.window_second = window_second
        self.colour_distance = colour_distance  # None: no colour check
        self.fine_distance = fine_distance  # None: no fine check of text pages
        self.phash = HashIndex()
        self._phash_of: dict[int, str] = {}
        self._colour_of: dict[int, bytes | None] = {}  # the whole picture's colour layout
        self._fine_of: dict[int, tuple[int, ...] | None] = {}  # the whole picture's fine hash
        self._text_page: dict[int, bool] = {}  # stored pictures that are text pages (is_text_page)
        self._owners: dict[int, set[int]] = defaultdict(set)
        self._win: list[tuple[int, int, int]] = []  # (pHash, dHash, image id)
        self._win_colour: list[bytes | None] = []
        self._win_fine: list[tuple[int, ...] | None] = []
        self._packed: tuple[np.ndarray, ...] | None = None

    def __len__(self) -> int:
        return len(self._phash_of)

    def windows(self) -> int:
        """Window hashes held."""
        return len(self._win)

    def add(self, image_id: int, phash: str, entries: Iterable[str] = (), owners: Iterable[int] = ()) -> None:
        """Hold an image: its whole-picture pHash and its kept entries (``w…`` windows are indexed;
        ``q…`` entries and older segment hashes are not needed on this side)."""
        if image_id not in self._phash_of:
            self._phash_of[image_id] = phash
            self.phash.add(phash, image_id)
            parsed_all = [p for p in map(parse_entry, entries or ()) if p is not None]
            # the first entry is the whole picture's (query_boxes and window_boxes start with it)
            self._colour_of[image_id] = parsed_all[0][3] if parsed_all else None
            self._fine_of[image_id] = parsed_all[0][4] if parsed_all else None
            self._text_page[image_id] = is_text_page(self._colour_of[image_id])
            for parsed in parsed_all:
                if parsed[0] == WINDOW:
                    self._win.append((parsed[1], parsed[2], image_id))
                    self._win_colour.append(parsed[3])
                    self._win_fine.append(parsed[4])
            self._packed = None
        self._owners[image_id].update(owners)

    def _arrays(self) -> tuple[np.ndarray, ...]:
        if self._packed is None:
            w = self._win
            blank = bytes(COLOUR_BYTES)
            colours = np.frombuffer(b"".join(c or blank for c in self._win_colour), dtype=np.uint8)
            ids = np.array([x[2] for x in w], dtype=np.int64)
            fine = np.array([f or (0, 0, 0, 0) for f in self._win_fine], dtype=np.uint64).reshape(len(w), 4)
            # windows whose matches need the fine check: a stored text page's, with a fine hash
            checked = np.array([f is not None and self._text_page.get(x[2], False)
                                for f, x in zip(self._win_fine, w, strict=True)], dtype=bool)
            self._packed = (np.array([x[0] for x in w], dtype=np.uint64), np.array([x[1] for x in w], dtype=np.uint64),
                            ids, colours.reshape(len(w), COLOUR_BYTES),
                            np.array([c is not None for c in self._win_colour], dtype=bool), fine, checked)
        return self._packed

    def _fine_ok(self, image_id: int, query_fine: tuple[int, ...] | None) -> bool:
        """Whether a whole-picture match passes the fine check (only a stored text page has one)."""
        stored = self._fine_of.get(image_id)
        if self.fine_distance is None or query_fine is None or stored is None or not self._text_page.get(image_id):
            return True
        return int(fine_distance(np.array(query_fine, dtype=np.uint64), np.array(stored, dtype=np.uint64))) <= self.fine_distance

    def _colour_ok(self, a: bytes | None, b: bytes | None) -> tuple[bool, float | None]:
        """Whether two colour layouts agree (True when either is missing: entries kept before them)."""
        if a is None or b is None or self.colour_distance is None:
            return True, None
        d = colour_distance(np.frombuffer(a, dtype=np.uint8), np.frombuffer(b, dtype=np.uint8))
        return d <= self.colour_distance, d

    def match(self, phash: str, entries: Iterable[str] = ()) -> list[ImageMatch]:
        """Stored images the query matches, best first (pHash matches, then window matches by distance).

        Both kinds of match also need the colour layouts to agree (the whole pictures', or the two
        windows'), within ``colour_distance`` grey levels on average, when both sides have one; and, when
        the stored picture is a text page (a letter: :func:`kiemchung.images.phash.is_text_page`), the fine
        hashes (256 bits) within ``fine_distance`` bits, when both sides have one."""
        found: dict[int, ImageMatch] = {}
        queries = [p for p in (parse_entry(e) for e in entries or ()) if p is not None and p[0] == QUERY]
        whole = queries[0][3] if queries else None
        whole_fine = queries[0][4] if queries else None
        for image_id, dist in self.phash.within(phash, self.distance):
            ok, cd = self._colour_ok(whole, self._colour_of.get(image_id))
            if ok and self._fine_ok(image_id, whole_fine):
                found[image_id] = ImageMatch(image_id, dist, "phash", factcheck_ids=tuple(sorted(self._owners[image_id])),
                                             colour=cd)
        if queries and self._win:
            wp, wd, ids, colours, has, fine, checked = self._arrays()
            best: dict[int, tuple[int, int, float | None]] = {}
            for _, qp, qd, qc, qf in queries:
                dp = np.bitwise_count(wp ^ np.uint64(qp))
                hit = np.nonzero(dp <= self.window_distance)[0]
                if not len(hit):
                    continue
                dd = np.bitwise_count(wd[hit] ^ np.uint64(qd))
                hit, dd = hit[dd <= self.window_second], dd[dd <= self.window_second]
                if not len(hit):
                    continue
                cd = np.full(len(hit), np.nan)
                if qc is not None and self.colour_distance is not None:
                    q = np.frombuffer(qc, dtype=np.uint8).astype(np.int16)
                    cd = np.where(has[hit], np.abs(colours[hit].astype(np.int16) - q).mean(axis=1), np.nan)
                    keep = np.isnan(cd) | (cd <= self.colour_distance)
                    hit, dd, cd = hit[keep], dd[keep], cd[keep]
                if qf is not None and self.fine_distance is not None and checked[hit].any():
                    fd = fine_distance(fine[hit], np.array(qf, dtype=np.uint64)[None, :])
                    keep = ~checked[hit] | (fd <= self.fine_distance)
                    hit, dd, cd = hit[keep], dd[keep], cd[keep]
                for j, second, c in zip(hit, dd, cd, strict=True):
                    key = int(ids[j])
                    cand = (int(dp[j]), int(second), None if np.isnan(c) else round(float(c), 1))
                    if key not in best or cand[0] + cand[1] < best[key][0] + best[key][1]:
                        best[key] = cand
            for image_id, (dist, second, c) in best.items():
                if image_id not in found:
                    found[image_id] = ImageMatch(image_id, dist, "window", factcheck_ids=tuple(sorted(self._owners[image_id])),
                                                 second=second, colour=c)
        return sorted(found.values(), key=lambda m: (m.method != "phash", m.distance + m.second, m.image_id))


def reference_entries(data: bytes, entries: Iterable[str] = ()) -> list[str]:
    """The kept entries of an image a fact-check holds: its query entries plus its windows (``w…``),
    computed from the clean copy's bytes. Entries that are not query entries (older segment hashes)
    are dropped."""
    from PIL import Image

    from kiemchung.images.phash import query_hashes, window_hashes

    with Image.open(io.BytesIO(data)) as img:
        img.load()
        queries = [e for e in entries if (p := parse_entry(e)) is not None and p[0] == QUERY and p[4] is not None]
        if not queries:
            queries = query_hashes(img)
        return queries + window_hashes(img)


def has_windows(entries: Iterable[str] | None) -> bool:
    """Whether the kept entries hold windows with their colour layouts and fine hashes (older ones are
    computed again)."""
    return any((p := parse_entry(e)) is not None and p[0] == WINDOW and p[4] is not None for e in entries or ())


def ensure_windows(db, image_id: int) -> list[str]:
    """The kept entries of image ``image_id`` with its windows, computing and storing them when missing
    (images tied to a fact-check before windows existed)."""
    store = ImageStore(db)
    image = store.get(image_id)
    if has_windows(image.crop_hashes):
        return list(image.crop_hashes)
    entries = reference_entries(store.data(image), image.crop_hashes or [])
    with db.write() as conn:
        conn.execute(update(images).where(images.c.id == image_id).values(crop_hashes=entries))
    return entries


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
        rows = [r for r in conn.execute(q) if wanted is None or r.target_id in wanted]
    for r in rows:
        entries = r.crop_hashes if has_windows(r.crop_hashes) else ensure_windows(db, r.id)
        m.add(r.id, r.phash, entries, [int(r.target_id)])
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
    second: int = 0
    colour: float | None = None

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
                                             m.method, m.segments, m.of_segments, m.second, m.colour)
    return list(out.values())


def attach_to_factcheck(db, fc_id: int, data: bytes, *, editor: str, actor: Any = None,
                        source_url: str | None = None) -> StoredImage:
    """Keep ``data`` and tie it to fact-check ``fc_id`` (audited ``factcheck.image_add``)."""
    from kiemchung.claims.factchecks import get_factcheck

    fc = get_factcheck(db, fc_id)
    store = ImageStore(db)
    image = store.put(data, meta={"source_url": source_url} if source_url else None)
    ensure_windows(db, image.id)  # a fact-check's image is matched by its windows too (crops, captions)
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
