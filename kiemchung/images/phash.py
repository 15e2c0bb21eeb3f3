"""Perceptual hashes of images and an index to look them up.

- **pHash** (64 bits, imagehash: DCT of a 32×32 grey thumbnail) of the whole picture: survives resizing,
  re-compression, small colour changes; a crop or an added caption band moves it far.
- **Windows**: the same pHash scheme plus a 64-bit dHash (the second opinion) of parts of the picture,
  computed from one summed-area table so that hundreds cost little:

  - every incoming image keeps a few *query windows* (:func:`query_boxes`): the whole picture, the
    picture without uniform borders, and without a caption band found at its top, bottom or both
    (rows of one colour, text on them, then the picture);
  - an image a fact-check holds keeps *windows* (:func:`window_boxes`): its trimmed picture with
    0, 4, … 20 % cut off each side (441 windows), so that a copy cropped to 70-90 % of its area, anywhere,
    has its whole picture within ~2 % a side of one of them.

  A caption band removed from a query, or a crop, then meets a window of the original. Entries are kept
  in ``images.crop_hashes`` as ``q<pHash><dHash>`` / ``w<pHash><dHash>`` (33 characters,
  :func:`parse_entry`). imagehash's crop-resistant segment hashes were measured and dropped: they cost
  ~1.3 s an image and recognised few crops or captions (docs/images.md).

:class:`HashIndex` holds 64-bit hashes with the ids they belong to and answers "which are within d
bits" with a vectorised XOR + popcount over packed ``uint64``; it also keeps hash-band buckets (4 bands
of 16 bits: by pigeonhole any hash within 3 bits shares a band) for the exact/near-exact case.
:class:`BKTree` is the metric-tree alternative kept for comparison.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable

import numpy as np

__all__ = ["BKTree", "HashIndex", "box_colours", "box_fine", "colour_distance", "fine_distance", "is_text_page", "hamming", "hash_bytes", "image_hashes",
           "parse_entry", "query_hashes", "window_hashes"]

# The thumbnail the hashes are computed from: small enough that a 40-megapixel photo costs one fast
# reduction.
_THUMB = 512


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
    """(pHash hex, [query window entries…]) of a decoded PIL image: what every kept image gets on intake
    (a few milliseconds; see :func:`query_hashes`)."""
    import imagehash

    small = _prepared(img)
    return str(imagehash.phash(small)), query_hashes(small)


# -- window hashes: crops and caption bands ------------------------------------------------------------

# Pixels of the copy windows are cut from (every window is reduced to 32×32 cells for its pHash).
_WINDOW_PIXELS = 320 * 320
# Cuts tried on each side of a stored (fact-check) image: a copy cropped to keep 70-90 % of the area,
# off-centre, has each side within 0.02 of one of these (bench_image_match.py measures it).
WINDOW_CUTS = (0.0, 0.04, 0.08, 0.12, 0.16, 0.20)
WINDOW_MAX_CUT = 0.22  # left + right (top + bottom) cut at most this
# Border and caption-band detection: a pixel is "background" within this many levels of the edge colour.
_TOLERANCE = 14
_BAND_MIN, _BAND_MAX = 0.03, 0.40  # a caption band is 3-40 % of the image's height
_BAND_TEXT_FRACTION = 0.40  # a band's text rows still have this share of background pixels
_BAND_CANDIDATES = 2  # cuts tried at each edge
QUERY, WINDOW = "q", "w"  # prefixes of the entries kept in images.crop_hashes
COLOUR_CELLS = 4  # a window's colour layout: mean R, G, B of 4 × 4 cells
COLOUR_BYTES = 3 * COLOUR_CELLS * COLOUR_CELLS
_ENTRY_LEN = 33 + 2 * COLOUR_BYTES  # prefix, pHash and dHash (16 hex digits each), colour layout
FINE_SIDE = 16  # the fine hash: the 16 x 16 lowest DCT frequencies of 64 x 64 cells (256 bits)
FINE_HEX = FINE_SIDE * FINE_SIDE // 4
_FINE_ENTRY_LEN = _ENTRY_LEN + FINE_HEX  # ... then the fine hash
# A picture whose whole colour layout varies by less than this (rms over its 4 x 4 cells, grey levels) is
# a text page (a letter, a notice: a flat light page of words); its matches also need the fine hashes.
TEXT_PAGE_DETAIL = 12.0

_DCT: dict[int, np.ndarray] = {}


def _dct_matrix(size: int = 32) -> np.ndarray:
    if size not in _DCT:
        n = np.arange(size)
        _DCT[size] = 2.0 * np.cos(np.pi * np.outer(n, 2 * n + 1) / (2.0 * size))  # scipy.fftpack.dct II
    return _DCT[size]


def _integral(grey) -> np.ndarray:
    """The summed-area table of a grey PIL image ((h+1) × (w+1), float64)."""
    a = np.asarray(grey, dtype=np.float64)
    s = np.zeros((a.shape[0] + 1, a.shape[1] + 1))
    s[1:, 1:] = a.cumsum(0).cumsum(1)
    return s


def _cells(s: np.ndarray, boxes: np.ndarray, nx: int, ny: int) -> np.ndarray:
    """Mean grey level of the ``ny`` × ``nx`` cells of each window of ``boxes`` (n × 4: left, top, right,
    bottom in pixels) of the image whose summed-area table is ``s``: (n, ny, nx), area averaging with
    the table read bilinearly at fractional edges."""
    h, w = s.shape[0] - 1, s.shape[1] - 1
    ys = boxes[:, 1, None] + (boxes[:, 3] - boxes[:, 1])[:, None] * np.linspace(0, 1, ny + 1)[None, :]
    xs = boxes[:, 0, None] + (boxes[:, 2] - boxes[:, 0])[:, None] * np.linspace(0, 1, nx + 1)[None, :]
    y0 = np.clip(np.floor(ys).astype(np.intp), 0, h - 1)
    x0 = np.clip(np.floor(xs).astype(np.intp), 0, w - 1)
    fy, fx = (ys - y0)[:, :, None], (xs - x0)[:, None, :]
    yy, xx = y0[:, :, None], x0[:, None, :]
    c = (s[yy, xx] * (1 - fx) + s[yy, xx + 1] * fx) * (1 - fy) + (s[yy + 1, xx] * (1 - fx) + s[yy + 1, xx + 1] * fx) * fy
    return c[:, 1:, 1:] - c[:, :-1, 1:] - c[:, 1:, :-1] + c[:, :-1, :-1]


_WEIGHTS = np.left_shift(np.uint64(1), np.arange(63, -1, -1, dtype=np.uint64))


def _pack(bits: np.ndarray) -> np.ndarray:
    """Rows of 64 booleans as uint64 (first bit highest, as imagehash's hex)."""
    return (bits.astype(np.uint64) * _WEIGHTS[None, :]).sum(axis=1, dtype=np.uint64)


def box_hashes(s: np.ndarray, boxes) -> list[tuple[int, int]]:
    """(pHash, dHash) of each window of ``boxes`` (left, top, right, bottom in pixels) of the image whose
    summed-area table is ``s``: imagehash's pHash scheme (32×32 cells, the 8×8 lowest DCT frequencies
    above their median) and a 64-bit dHash (9×8 cells, each brighter than its right neighbour) as a
    second opinion. Cells are area means read from the table, so hundreds of windows cost little."""
    b = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    d = _dct_matrix()
    low = np.einsum("ij,njk,lk->nil", d[:8], _cells(s, b, 32, 32), d[:8])
    flat = low.reshape(len(b), 64)
    ph = _pack(flat > np.median(flat, axis=1, keepdims=True))
    small = _cells(s, b, 9, 8)
    dh = _pack((small[:, :, 1:] > small[:, :, :-1]).reshape(len(b), 64))
    return [(int(p), int(q)) for p, q in zip(ph, dh)]


def box_fine(s: np.ndarray, boxes) -> np.ndarray:
    """The fine hash of each window of ``boxes``: pHash's scheme at four times the resolution (64 × 64
    cells, the 16 × 16 lowest DCT frequencies above their median: 256 bits), as (n, 4) ``uint64``.

    Two pages of official letters in one layout agree on the 64-bit pHash and dHash (32 × 32 and 9 × 8
    cells see the heading, the margins and a grey block of text) and on the colour layout; at 64 × 64
    cells the lines' lengths, the paragraph ends and the gaps between words of the heading differ, and a
    resized, re-compressed copy, or a crop meeting one of the stored windows, keeps them."""
    b = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    d = _dct_matrix(64)[:FINE_SIDE]
    low = np.matmul(np.matmul(d, _cells(s, b, 64, 64)), d.T).reshape(len(b), FINE_SIDE * FINE_SIDE)
    bits = low > np.median(low, axis=1, keepdims=True)
    return np.stack([_pack(bits[:, 64 * k:64 * (k + 1)]) for k in range(4)], axis=1)


def fine_distance(a, b) -> np.ndarray:
    """Bits that differ between fine hashes (``uint64`` arrays of 4 words, the last axis)."""
    return np.bitwise_count(np.asarray(a, dtype=np.uint64) ^ np.asarray(b, dtype=np.uint64)).sum(axis=-1)


def layout_detail(colour) -> float:
    """How much a colour layout (48 bytes) varies over its 4 × 4 cells (rms over R, G, B, grey levels):
    low for a flat page (a letter, a notice), high for a photo or a chart."""
    c = np.frombuffer(bytes(colour), dtype=np.uint8).reshape(COLOUR_CELLS * COLOUR_CELLS, 3).astype(np.float64)
    return float(np.sqrt(c.var(axis=0).mean()))


def is_text_page(colour) -> bool:
    """Whether a picture with this whole colour layout is a text page (:data:`TEXT_PAGE_DETAIL`)."""
    return colour is not None and layout_detail(colour) < TEXT_PAGE_DETAIL


def _colour_tables(a: np.ndarray) -> list[np.ndarray]:
    """Summed-area tables of the R, G and B channels of ``a`` (rows × columns × 3)."""
    out = []
    for c in range(3):
        t = np.zeros((a.shape[0] + 1, a.shape[1] + 1))
        t[1:, 1:] = a[:, :, c].astype(np.float64).cumsum(0).cumsum(1)
        out.append(t)
    return out


def box_colours(tables: list[np.ndarray], boxes) -> np.ndarray:
    """The colour layout of each window of ``boxes``: the mean R, G and B of its
    :data:`COLOUR_CELLS` × :data:`COLOUR_CELLS` cells, as (n, :data:`COLOUR_BYTES`) ``uint8``.

    pHash and dHash see only the grey picture's structure; two charts or two pie diagrams on a white
    ground (the same shapes in other colours) agree on both. The colour layout is the independent second
    check that tells them apart (docs/images.md, "Matching images")."""
    b = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    n = COLOUR_CELLS
    area = np.maximum((b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1]) / (n * n), 1e-9)[:, None, None]
    means = np.stack([_cells(t, b, n, n) / area for t in tables], axis=-1)
    return np.clip(np.rint(means), 0, 255).astype(np.uint8).reshape(len(b), COLOUR_BYTES)


def colour_distance(a, b) -> float:
    """Mean absolute difference (grey levels, 0-255) between two colour layouts."""
    return float(np.abs(np.asarray(a, dtype=np.int16) - np.asarray(b, dtype=np.int16)).mean())


def _close(a: np.ndarray, colour: np.ndarray) -> np.ndarray:
    """Which pixels of ``a`` (rows × columns × 3) are within _TOLERANCE of ``colour`` on every channel."""
    lo = np.clip(colour - _TOLERANCE, 0, 255).astype(np.uint8)
    hi = np.clip(colour + _TOLERANCE, 0, 255).astype(np.uint8)
    return ((a >= lo) & (a <= hi)).all(axis=2)


def _flat(a: np.ndarray, colour: np.ndarray) -> np.ndarray:
    """Per row of ``a`` (rows × columns × 3), the share of pixels within _TOLERANCE of ``colour``."""
    return _close(a, colour).mean(axis=1)


def _edge_run(flat: np.ndarray) -> int:
    """How many leading entries of ``flat`` are True."""
    return len(flat) if flat.all() else int(np.argmin(flat))


def trim_box(a: np.ndarray) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of ``a`` (an RGB array) without its uniform borders (rows and columns
    at the edges that are all the colour of the corner); the whole image when trimming would leave less
    than half of a side."""
    h, w = a.shape[:2]
    corner = np.median(np.stack([a[0, 0], a[0, -1], a[-1, 0], a[-1, -1]]).astype(np.int16), axis=0)
    close = _close(a, corner)
    rows, cols = close.mean(axis=1) >= 0.98, close.mean(axis=0) >= 0.98
    top, bottom = _edge_run(rows), _edge_run(rows[::-1])
    left, right = _edge_run(cols), _edge_run(cols[::-1])
    if h - top - bottom < h / 2 or w - left - right < w / 2:
        return 0, 0, w, h
    return left, top, w - right, h - bottom


def band_cuts(rows: np.ndarray) -> list[int]:
    """Where a caption band added at an edge may end, in rows from that edge (``rows`` ordered from it).

    A band starts with a row of one colour; it ends either where three rows in a row are mostly another
    colour (the picture under a caption), or where a block of text that follows a gap begins (a band of
    the picture's own background colour: its caption is the first block, the picture the second).
    At most :data:`_BAND_CANDIDATES` cuts, each 3-40 % of the height."""
    h = rows.shape[0]
    colour = np.median(rows[0].astype(np.int16), axis=0)
    frac = _flat(rows[: int(h * _BAND_MAX) + 3], colour)
    if frac[0] < 0.95:
        return []
    cuts: list[int] = []
    other = frac < _BAND_TEXT_FRACTION
    run = other[:-2] & other[1:-1] & other[2:]
    if run.any():
        cuts.append(int(np.argmax(run)))
    flat = frac >= 0.97
    seen_block, gap = False, 0
    for i, f in enumerate(flat):
        if f:
            gap += 1
            continue
        if seen_block and gap >= 2:
            cuts.append(i)
        seen_block, gap = True, 0
    ok = [c for c in dict.fromkeys(cuts) if _BAND_MIN * h <= c <= _BAND_MAX * h]
    return ok[:_BAND_CANDIDATES]


def _grey_and_rgb(img):
    """The grey copy windows are hashed from and the RGB array borders and bands are found in: about
    :data:`_WINDOW_PIXELS` pixels (a tall phone screenshot keeps a usable width), at most 512 px a side."""
    from PIL import Image

    small = _prepared(img) if max(img.size) > _THUMB or img.mode != "RGB" else img
    w, h = small.size
    scale = min(1.0, (_WINDOW_PIXELS / (w * h)) ** 0.5)
    if scale < 1.0:
        small = small.resize((max(8, round(w * scale)), max(8, round(h * scale))), Image.Resampling.BOX)
    return small.convert("L"), np.asarray(small)


def _entry(prefix: str, pair: tuple[int, int], colour: np.ndarray | None = None, fine: np.ndarray | None = None) -> str:
    return (f"{prefix}{pair[0]:016x}{pair[1]:016x}" + ("" if colour is None else bytes(colour).hex())
            + ("" if fine is None else "".join(f"{int(w):016x}" for w in fine)))


def parse_entry(entry: str) -> tuple[str, int, int, bytes | None, tuple[int, ...] | None] | None:
    """(prefix, pHash, dHash, colour layout or None, fine hash as 4 words or None) of a kept window
    entry; None for anything else (older segment hashes). Entries kept before the colour layout existed
    have neither (33 characters); before the fine hash, no fine hash (129 characters)."""
    if len(entry) not in (33, _ENTRY_LEN, _FINE_ENTRY_LEN) or entry[0] not in (QUERY, WINDOW):
        return None
    colour = bytes.fromhex(entry[33:_ENTRY_LEN]) if len(entry) >= _ENTRY_LEN else None
    fine = (tuple(int(entry[k:k + 16], 16) for k in range(_ENTRY_LEN, _FINE_ENTRY_LEN, 16))
            if len(entry) == _FINE_ENTRY_LEN else None)
    return entry[0], int(entry[1:17], 16), int(entry[17:33], 16), colour, fine


def query_boxes(a: np.ndarray) -> list[tuple[int, int, int, int]]:
    """The windows of an incoming image that are hashed: the whole image, without its uniform borders,
    and without a caption band detected at its top, its bottom or both."""
    h, w = a.shape[:2]
    boxes = [(0, 0, w, h)]
    l, t, r, b = trim_box(a)
    boxes.append((l, t, r, b))
    inner = a[t:b, l:r]
    tops = [0] + band_cuts(inner)
    bottoms = [0] + band_cuts(inner[::-1])
    for cut_top in tops:
        for cut_bottom in bottoms:
            if not cut_top and not cut_bottom:
                continue
            tt, bb = t + cut_top, b - cut_bottom
            if bb - tt < (b - t) / 2:
                continue
            # the band removed, borders left by it (a band narrower than the picture) trimmed again
            l2, t2, r2, b2 = trim_box(a[tt:bb, l:r])
            boxes.append((l + l2, tt + t2, l + r2, tt + b2))
    return list(dict.fromkeys(boxes))


def window_boxes(a: np.ndarray, cuts=WINDOW_CUTS, max_cut: float = WINDOW_MAX_CUT) -> list[tuple[float, ...]]:
    """The windows of a stored (fact-check) image that are hashed: its uniform borders trimmed, then
    every window cutting ``cuts`` off each side (at most ``max_cut`` off two opposite sides together),
    and the whole untrimmed image."""
    h, w = a.shape[:2]
    l, t, r, b = trim_box(a)
    bw, bh = r - l, b - t
    pairs = [(x, y) for x in cuts for y in cuts if x + y <= max_cut + 1e-9]
    boxes = [(0, 0, w, h)]
    for cl, cr in pairs:
        for ct, cb in pairs:
            boxes.append((l + cl * bw, t + ct * bh, r - cr * bw, b - cb * bh))
    return list(dict.fromkeys(boxes))


def _entries(prefix: str, grey, a: np.ndarray, boxes) -> list[str]:
    colours = box_colours(_colour_tables(a), boxes)
    s = _integral(grey)
    fine = box_fine(s, boxes)
    return list(dict.fromkeys(_entry(prefix, pair, c, f)
                              for pair, c, f in zip(box_hashes(s, boxes), colours, fine, strict=True)))


def query_hashes(img) -> list[str]:
    """Entries ``q<pHash><dHash><colour layout>`` of :func:`query_boxes` of a decoded PIL image (kept for
    every image); the first is the whole picture's."""
    grey, a = _grey_and_rgb(img)
    return _entries(QUERY, grey, a, query_boxes(a))


def window_hashes(img, cuts=WINDOW_CUTS, max_cut: float = WINDOW_MAX_CUT) -> list[str]:
    """Entries ``w<pHash><dHash><colour layout>`` of :func:`window_boxes` (kept for the images fact-checks
    hold); the first is the whole picture's."""
    grey, a = _grey_and_rgb(img)
    return _entries(WINDOW, grey, a, window_boxes(a, cuts, max_cut))


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
