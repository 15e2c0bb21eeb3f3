"""Perceptual hashes of images and an index to look them up.

Two hashes per image (imagehash):

- **pHash** (64 bits, DCT of a 32×32 grey thumbnail): survives resizing, re-compression, small colour
  changes; a crop or an added caption band moves it far.
- **Crop-resistant hash** (imagehash.crop_resistant_hash, Steinebach's scheme): the image is cut into
  bright/dark segments and each segment gets its own 64-bit dHash; a cropped or captioned copy still
  contains most segments of the original, so enough matching segments recognise it.

Hashes are kept as 16 hex digits. :class:`HashIndex` holds 64-bit hashes with the ids they belong to
and answers "which are within d bits" with a vectorised XOR + popcount over packed ``uint64``; it also
keeps hash-band buckets (4 bands of 16 bits: by pigeonhole any hash within 3 bits shares a band) for
the exact/near-exact case. :class:`BKTree` is the metric-tree alternative the benchmark compares.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable

import numpy as np

__all__ = ["BKTree", "HashIndex", "hamming", "hash_bytes", "image_hashes"]

# The grey thumbnail the hashes are computed from: big enough for the segmentation (300 px), small
# enough that a 40-megapixel photo costs one fast reduction.
_THUMB = 512
# Segments kept per image (the largest ones): bounds the index and the lookup cost.
MAX_SEGMENTS = 24
# Side of the image the segmentation runs on (imagehash's default is 300: 3x slower, no better in
# benchmarks/bench_image_match.py).
SEGMENTATION_SIZE = 200
# Smallest segment hashed, in pixels of the segmentation image.
MIN_SEGMENT_SIZE = 300


def _prepared(img):
    """An RGB copy of ``img`` at most ``_THUMB`` px a side, transparency flattened on white."""
    from PIL import Image

    small = img.copy()
    if small.mode in ("P", "PA"):
        small = small.convert("RGBA")
    elif small.mode not in ("RGB", "RGBA", "L", "LA"):
        small = small.convert("RGB")
    small.thumbnail((_THUMB, _THUMB), Image.Resampling.LANCZOS, reducing_gap=2.0)
    if small.mode in ("RGBA", "LA"):
        base = Image.new("RGB", small.size, (255, 255, 255))
        base.paste(small.convert("RGBA"), mask=small.convert("RGBA").getchannel("A"))
        small = base
    elif small.mode != "RGB":
        small = small.convert("RGB")
    return small


def image_hashes(img) -> tuple[str, list[str]]:
    """(pHash hex, [segment hash hex…]) of a decoded PIL image."""
    import imagehash

    small = _prepared(img)
    ph = str(imagehash.phash(small))
    try:
        multi = imagehash.crop_resistant_hash(small, limit_segments=MAX_SEGMENTS, min_segment_size=MIN_SEGMENT_SIZE,
                                              segmentation_image_size=SEGMENTATION_SIZE)
        crop = sorted({str(h) for h in multi.segment_hashes})
    except Exception:  # noqa: BLE001 - a flat image has no segments worth hashing
        crop = []
    return ph, crop


def hash_bytes(data: bytes, **caps) -> tuple[str, list[str]]:
    """Hashes of image bytes, decoded under the same caps as the store (:func:`kiemchung.images.store.decode`)."""
    from kiemchung.images.store import decode

    d = decode(data, **caps)
    return d.phash, d.crop_hashes


def to_int(hex_hash: str) -> int:
    return int(hex_hash, 16)


def hamming(a: str | int, b: str | int) -> int:
    """Bits that differ between two 64-bit hashes (hex or int)."""
    x = (to_int(a) if isinstance(a, str) else a) ^ (to_int(b) if isinstance(b, str) else b)
    return x.bit_count()


# -- lookup structures ------------------------------------------------------------------------------

class HashIndex:
    """64-bit hashes with an id each; :meth:`within` finds those within ``d`` bits of a query."""

    def __init__(self) -> None:
        self._hashes: list[int] = []
        self._ids: list[int] = []
        self._packed: np.ndarray | None = None
        self._id_array: np.ndarray | None = None
        self._bands: list[dict[int, list[int]]] = [defaultdict(list) for _ in range(4)]

    def __len__(self) -> int:
        return len(self._ids)

    def add(self, hash_value: str | int, item_id: int) -> None:
        h = to_int(hash_value) if isinstance(hash_value, str) else hash_value
        pos = len(self._ids)
        self._hashes.append(h)
        self._ids.append(item_id)
        for b in range(4):
            self._bands[b][(h >> (16 * b)) & 0xFFFF].append(pos)
        self._packed = None

    def extend(self, pairs: Iterable[tuple[str | int, int]]) -> None:
        for h, i in pairs:
            self.add(h, i)

    def _arrays(self) -> tuple[np.ndarray, np.ndarray]:
        if self._packed is None:
            self._packed = np.array(self._hashes, dtype=np.uint64)
            self._id_array = np.array(self._ids, dtype=np.int64)
        return self._packed, self._id_array  # type: ignore[return-value]

    def within(self, hash_value: str | int, d: int) -> list[tuple[int, int]]:
        """[(id, distance)] of every stored hash within ``d`` bits, nearest first."""
        q = to_int(hash_value) if isinstance(hash_value, str) else hash_value
        if not self._ids:
            return []
        if d <= 3:  # pigeonhole: a hash within 3 bits equals the query on one of the 4 bands
            seen: set[int] = set()
            out = []
            for b in range(4):
                for pos in self._bands[b].get((q >> (16 * b)) & 0xFFFF, ()):
                    if pos not in seen:
                        seen.add(pos)
                        dist = (self._hashes[pos] ^ q).bit_count()
                        if dist <= d:
                            out.append((self._ids[pos], dist))
            return sorted(out, key=lambda t: (t[1], t[0]))
        packed, ids = self._arrays()
        dist = np.bitwise_count(packed ^ np.uint64(q))
        hit = np.nonzero(dist <= d)[0]
        order = hit[np.lexsort((ids[hit], dist[hit]))]
        return [(int(ids[i]), int(dist[i])) for i in order]


@dataclass
class _Node:
    hash: int
    ids: list[int]
    children: dict[int, "_Node"]


class BKTree:
    """A Burkhard–Keller tree over Hamming distance (the benchmark's comparison to :class:`HashIndex`)."""

    def __init__(self) -> None:
        self.root: _Node | None = None
        self.size = 0

    def add(self, hash_value: str | int, item_id: int) -> None:
        h = to_int(hash_value) if isinstance(hash_value, str) else hash_value
        self.size += 1
        if self.root is None:
            self.root = _Node(h, [item_id], {})
            return
        node = self.root
        while True:
            dist = (node.hash ^ h).bit_count()
            if dist == 0:
                node.ids.append(item_id)
                return
            child = node.children.get(dist)
            if child is None:
                node.children[dist] = _Node(h, [item_id], {})
                return
            node = child

    def within(self, hash_value: str | int, d: int) -> list[tuple[int, int]]:
        q = to_int(hash_value) if isinstance(hash_value, str) else hash_value
        out: list[tuple[int, int]] = []
        stack = [self.root] if self.root is not None else []
        while stack:
            node = stack.pop()
            dist = (node.hash ^ q).bit_count()
            if dist <= d:
                out.extend((i, dist) for i in node.ids)
            for k, child in node.children.items():
                if dist - d <= k <= dist + d:
                    stack.append(child)
        return sorted(out, key=lambda t: (t[1], t[0]))
