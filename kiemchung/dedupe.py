"""Duplicates: canonical URLs, exact content hashes, and near-duplicates with MinHash LSH.

A near-duplicate is never dropped: it is stored and linked to its group (the group's first document),
so a person can always see every outlet that carried a text.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import heapq
import re
import time
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from itertools import chain
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import numpy as np

from kiemchung import text

# Query parameters that only track a click; they never change what page is served.
TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "igshid", "mc_cid", "mc_eid",
        "_ga", "_gl", "zarsrc", "gidzl", "zacc", "ref", "ref_src", "ref_url", "referrer", "cmpid", "s_cid",
        "share", "sharer", "fb_action_ids", "fb_action_types", "fb_source", "spm", "mibextid",
        "amp", "outputtype", "output", "amp_js_v", "usqp", "__twitter_impression",
    }
)
TRACKING_PREFIXES = ("utm_", "vn_", "pk_", "mtm_", "hsa_", "itm_")
MOBILE_HOST_PREFIXES = ("www.", "m.", "mobile.", "amp.", "wap.")


_SPACE = re.compile(r"\s")
_SLASHES = re.compile(r"/{2,}")
_AMP_FIRST = re.compile(r"^/amp(?=/)")
_AMP_LAST = re.compile(r"/amp/?$")
_AMP_EXT = re.compile(r"\.amp(\.html?)$")


def _quote_match(m: re.Match[str]) -> str:
    return quote(m.group())


def canonical_url(url: str | None) -> str | None:
    """The canonical form of a URL: what two links to the same article have in common.

    Lowercased scheme and host; ``www.``, mobile (``m.``) and AMP host prefixes removed; default ports,
    fragments, tracking parameters (``utm_*``, ``fbclid``...) and AMP path markers dropped; remaining
    parameters sorted. ``https`` and ``http`` are treated as the same page.
    """
    url = (url or "").strip()
    if not url:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if parts.scheme.lower() not in ("http", "https"):
        return url
    host = (parts.hostname or "").lower().rstrip(".")
    changed = True
    while changed:
        changed = False
        for prefix in MOBILE_HOST_PREFIXES:
            if host.startswith(prefix) and host.count(".") >= 2:
                host = host[len(prefix):]
                changed = True
    try:
        port = parts.port
    except ValueError:  # a port that is not a number, or out of range: keep the link as given
        return url
    if ":" in host:  # IPv6 literal: keep its brackets
        host = f"[{host}]"
    if port and port not in (80, 443):
        host = f"{host}:{port}"
    path = _SPACE.sub(_quote_match, parts.path) or "/"  # a space is never trailing
    path = _SLASHES.sub("/", path)
    path = _AMP_FIRST.sub("", path)
    path = _AMP_LAST.sub("", path) or "/"
    path = _AMP_EXT.sub(r"\1", path)
    if len(path) > 1:
        path = path.rstrip("/")
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() not in TRACKING_PARAMS and not k.lower().startswith(TRACKING_PREFIXES)
    ]
    query.sort()
    return urlunsplit(("https", host, path, urlencode(query), ""))


def content_hash(title: str, lead: str, body: str) -> str:
    """A hash of the folded tokens of a text: equal for texts that differ only in case, accents or spacing."""
    return hash_of_tokens(content_tokens(title, lead, body))


def content_tokens(title: str, lead: str, body: str, *, normalized: bool = False) -> list[str]:
    """The folded tokens :func:`content_hash` hashes (:func:`hash_of_tokens`); ``normalized``: the three
    are :func:`kiemchung.text.normalize`'s output (see :func:`kiemchung.text.syllables`)."""
    return text.syllables(" ".join((title, lead, body)), normalized=normalized)


def hash_of_tokens(tokens: list[str]) -> str:
    """:func:`content_hash` of the text whose :func:`content_tokens` are ``tokens``."""
    return hashlib.sha1(" ".join(tokens).encode()).hexdigest()


def doc_key(*, url: str | None, source: str | None, external_id: str | None, chash: str) -> str:
    """A document's identity: its canonical URL, else its source and id there, else its content."""
    if url:
        basis = "url:" + url
    elif external_id:
        basis = f"ext:{source or ''}:{external_id}"
    else:
        basis = "content:" + chash
    return hashlib.sha256(basis.encode()).hexdigest()[:40]


@dataclass
class DedupeSettings:
    """Tunables of near-duplicate detection (documented in docs/dedupe.md)."""

    num_perm: int = 64
    shingle_size: int = 3
    # LSH band layout (bands x rows = num_perm); 8 x 8 puts the LSH threshold near Jaccard 0.77.
    bands: int = 8
    # Candidates are confirmed by the Jaccard similarity estimated from the full signatures.
    threshold: float = 0.7
    min_shingles: int = 5
    seed: int = 1
    # Memory bound: the index holds only documents published (``published_at``, else ``fetched_at``) in
    # the ``window_days`` before the newest one it holds (None: every stored document, ~3.4 KB each), and
    # at most ``max_entries`` of them (the oldest go first; None: no cap). Exact copies of older documents
    # are still found, through the database; a document published before the window (a backfill) is
    # compared with the stored documents published within ``archive_days`` of it, read from the store a
    # day at a time and kept for ``archive_days_cached`` days (least recently used first).
    window_days: float | None = 30.0
    max_entries: int | None = 250_000
    archive_days: float = 7.0
    archive_days_cached: int = 24

    def window_start(self, now: dt.datetime) -> dt.datetime | None:
        """The oldest time the index keeps at ``now``, or None when the window is unbounded."""
        if self.window_days is None:
            return None
        return now - dt.timedelta(days=self.window_days)


def _crc(data: bytes) -> int:
    return zlib.crc32(data)


@functools.lru_cache(maxsize=8)
def _permutations(num_perm: int, seed: int) -> np.ndarray:
    """The (a, b) parameters of datasketch's affine32 permutations for ``num_perm`` and ``seed``: what
    ``MinHash(num_perm=num_perm, seed=seed).permutations`` holds (tests/test_dedupe.py compares them),
    drawn here the same way so that the ingest path need not import datasketch (and scipy)."""
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return np.array([a, b])


_EMPTY_SIGNATURE = np.uint32(0xFFFFFFFF)


def minhash_signature(items: Iterable[str | bytes], *, num_perm: int = 64, seed: int = 1) -> np.ndarray:
    """The MinHash signature (``num_perm`` uint32 values) of a set of items: shingles, or words.

    Exactly datasketch's ``MinHash(scheme="affine32", hashfunc=crc32).update_batch(items).hashvalues``
    (tests/test_dedupe.py compares the two), computed here without building a MinHash object: each
    item's CRC-32, MurmurHash3's 32-bit finaliser, then ``a * h + b`` modulo 2**32 for each permutation
    and the minimum over the items (2**32 - 1 for no item).
    """
    hv = np.fromiter((zlib.crc32(i.encode() if isinstance(i, str) else i) for i in items), dtype=np.uint32)
    if not len(hv):
        return np.full(num_perm, _EMPTY_SIGNATURE, dtype=np.uint32)
    _mix(hv)
    a, b = _permutations(num_perm, seed)
    return (hv[:, None] * a + b).min(axis=0)


def _mix(hv: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finaliser, in place (what :func:`minhash_signature` applies to each CRC)."""
    hv ^= hv >> np.uint32(16)
    hv *= np.uint32(0x85EBCA6B)
    hv ^= hv >> np.uint32(13)
    hv *= np.uint32(0xC2B2AE35)
    hv ^= hv >> np.uint32(16)
    return hv


# Items hashed together by minhash_signatures: its array of values (items x num_perm uint32) is then at
# most 4 MB with 64 permutations. A whole ingest batch at once took 6-18 MB of the RSS year's
# summaries, a transient that raised glibc's heap (and the ingest's peak) by about 16 MB for good.
SIGNATURE_ROWS = 16_384


def minhash_signatures(item_sets: list[set[bytes]], *, num_perm: int = 64, seed: int = 1) -> list[np.ndarray]:
    """:func:`minhash_signature` of each of several non-empty sets of bytes, in one pass: the same values
    (tests/test_dedupe.py compares them), without numpy's per-call cost for each set (a batch of the
    ingest's documents), in runs of sets of at most ``SIGNATURE_ROWS`` items together (a larger set alone)."""
    if not item_sets:
        return []
    sizes = [len(items) for items in item_sets]
    if min(sizes) == 0:
        raise ValueError("minhash_signatures takes non-empty sets")
    out: list[np.ndarray] = []
    lo = 0
    while lo < len(sizes):
        hi, rows = lo + 1, sizes[lo]
        while hi < len(sizes) and rows + sizes[hi] <= SIGNATURE_ROWS:
            rows += sizes[hi]
            hi += 1
        out.extend(_signatures_of_run(item_sets[lo:hi], sizes[lo:hi], num_perm, seed))
        lo = hi
    return out


def _signatures_of_run(item_sets: list[set[bytes]], sizes: list[int], num_perm: int, seed: int) -> list[np.ndarray]:
    crc = zlib.crc32
    hv = np.fromiter(chain.from_iterable(map(crc, items) for items in item_sets), dtype=np.uint32, count=sum(sizes))
    _mix(hv)
    a, b = _permutations(num_perm, seed)
    starts = np.zeros(len(sizes), dtype=np.intp)
    np.cumsum(sizes[:-1], out=starts[1:])
    values = hv[:, None] * a
    values += b  # (in place: one array of len(hv) x num_perm values at a time)
    return list(np.minimum.reduceat(values, starts, axis=0))


class LshBands:
    """MinHash LSH buckets: the candidates of a signature are the keys sharing one of its bands.

    The same buckets, answers and answer order as datasketch's ``MinHashLSH(params=(bands, rows))`` with
    its default dict storage, which the index used before: a band's bucket is keyed by the band's values
    (there, their byte-swapped bytes; here, their bytes: the same partition), each bucket is a set filled
    and emptied in the same order, and :meth:`query` adds the buckets' keys to a new set in the same
    order, so candidates come out in the same order (which decides between equal scores). Without the
    MinHash objects, byte swapping and key lists that cost most of the ingest's near-duplicate time.

    A bucket holding one key holds the key itself, not a set of one (almost every bucket of a news
    stream: a set of one took about 216 bytes, two thirds of the index's memory); it becomes a set,
    ``{first}`` then ``add(second)`` as before, when a second key arrives, and stays one until it is
    emptied, so every set is built and emptied in the same order as before.
    """

    __slots__ = ("_ranges", "tables")

    def __init__(self, bands: int, rows: int) -> None:
        self._ranges = [(i * rows * 4, (i + 1) * rows * 4) for i in range(bands)]  # byte offsets (uint32)
        self.tables: list[dict[bytes, set[int] | int]] = [{} for _ in range(bands)]

    def _keys(self, sig: np.ndarray) -> list[bytes]:
        raw = sig.astype(np.uint32, copy=False).tobytes()
        return [raw[a:b] for a, b in self._ranges]

    def insert(self, key: int, sig: np.ndarray) -> None:
        for band, table in zip(self._keys(sig), self.tables):
            bucket = table.get(band)
            if bucket is None:
                table[band] = key
            elif type(bucket) is set:
                bucket.add(key)
            else:
                pair = {bucket}
                pair.add(key)
                table[band] = pair

    def remove(self, key: int, sig: np.ndarray) -> None:
        """Forget ``key``, inserted with ``sig`` (signatures are never changed in place)."""
        for band, table in zip(self._keys(sig), self.tables):
            bucket = table[band]
            if type(bucket) is set:
                bucket.remove(key)
                if bucket:
                    continue
            elif bucket != key:
                raise KeyError(key)
            del table[band]

    def query(self, sig: np.ndarray) -> set[int]:
        candidates: set[int] = set()
        add = candidates.add
        for band, table in zip(self._keys(sig), self.tables):
            bucket = table.get(band)
            if bucket is None:
                continue
            if type(bucket) is set:
                for key in bucket:
                    add(key)
            else:
                add(bucket)
        return candidates


_DAY = 86400.0
# A stored document of an archive day, as a loader gives it: id, content hash, signature, group (None when
# it is its own group's first document).
StoredEntry = tuple[int, str, "np.ndarray | None", "int | None"]


@dataclass
class NearDuplicateIndex:
    """MinHash LSH over syllable shingles (:class:`LshBands`), with exact content hashes on the side.

    Every document is remembered with a time (when it was published, else stored); :meth:`evict`
    forgets those older than a given time, :meth:`evict_window` those published more than
    ``settings.window_days`` before the newest one held, and :meth:`add` forgets the oldest once more
    than ``settings.max_entries`` are held, so the memory it takes is bounded by the window, not by the
    database or the size of one import.

    With a ``loader`` (what the store holds, published in ``[start, end)`` POSIX seconds), a document
    published before the window is an *archive* document: it is compared with the documents published
    within ``settings.archive_days`` of it, each such day read from the store once and kept in a small
    least recently used cache of days, and it is remembered there, not in the window.
    """

    settings: DedupeSettings = field(default_factory=DedupeSettings)
    loader: Callable[[float, float], Iterable[StoredEntry]] | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        s = self.settings
        self._lsh = LshBands(s.bands, s.num_perm // s.bands)
        self._signatures: dict[int, np.ndarray] = {}
        self._group: dict[int, int] = {}
        self._hashes: dict[str, int] = {}
        # doc id -> time (POSIX seconds) for every document held, and a min-heap of
        # (time, doc id, content hash) to find the oldest without a scan.
        self._when: dict[int, float] = {}
        self._by_time: list[tuple[float, int, str]] = []
        self.evicted = 0
        self._clock: float | None = None  # the newest publication time held (never beyond tomorrow)
        self._days: OrderedDict[int, NearDuplicateIndex] = OrderedDict()  # archive day -> its documents
        self.days_loaded = 0

    def __len__(self) -> int:
        """The number of documents held (with or without a signature)."""
        return len(self._when)

    def __contains__(self, doc_id: object) -> bool:
        """True when the document with this id is held."""
        return doc_id in self._when

    def sizes(self) -> dict[str, int]:
        """Entry counts of every structure that holds memory (for tests and benchmarks)."""
        return {
            "documents": len(self._when),
            "signatures": len(self._signatures),
            "hashes": len(self._hashes),
            "groups": len(self._group),
            "time_heap": len(self._by_time),
            "lsh_keys": len(self._signatures),
            "lsh_buckets": sum(len(table) for table in self._lsh.tables),
            "archive_days": len(self._days),
            "archive_documents": sum(len(day) for day in self._days.values()),
        }

    # -- the window by publication time, and archive days read from the store -----------------------

    def window_floor(self) -> float | None:
        """The oldest publication time (POSIX seconds) the window keeps, or None when unbounded."""
        if self.settings.window_days is None or self._clock is None:
            return None
        return self._clock - self.settings.window_days * _DAY

    def _archive(self, stamp: float | None) -> bool:
        floor = self.window_floor()
        return self.loader is not None and stamp is not None and floor is not None and stamp < floor

    def _day(self, day: int) -> NearDuplicateIndex:
        """The stored documents published on one (UTC) day, read on first use (least recently used cache)."""
        held = self._days.get(day)
        if held is not None:
            self._days.move_to_end(day)
            return held
        held = NearDuplicateIndex(replace(self.settings, window_days=None, max_entries=None))
        assert self.loader is not None
        for doc_id, chash, sig, group in self.loader(day * _DAY, (day + 1) * _DAY):
            held.add(doc_id, chash, sig, group)
        self._days[day] = held
        self.days_loaded += 1
        keep = max(self.settings.archive_days_cached, 2 * int(self.settings.archive_days) + 2)
        while len(self._days) > keep:
            self._days.popitem(last=False)
        return held

    def _archive_days(self, stamp: float) -> list[NearDuplicateIndex]:
        span = self.settings.archive_days * _DAY
        floor = self.window_floor()
        last = stamp + span if floor is None else min(stamp + span, floor)
        return [self._day(day) for day in range(int((stamp - span) // _DAY), int(last // _DAY) + 1)]

    def signature(self, tokens: list[str]) -> np.ndarray | None:
        """The MinHash signature of a token list's shingles, or None when the text is too short."""
        k = self.settings.shingle_size
        if len(tokens) < k:
            return None
        shingles = self._shingles(tokens)
        if len(shingles) < self.settings.min_shingles:
            return None
        return minhash_signature(shingles, num_perm=self.settings.num_perm, seed=self.settings.seed)

    def _shingles(self, tokens: list[str]) -> set[bytes]:
        """The shingles of a token list: each run of ``shingle_size`` tokens, joined by a space."""
        k = self.settings.shingle_size
        if k < 1:
            return {" ".join(tokens[i : i + k]).encode() for i in range(len(tokens) - k + 1)}
        return {" ".join(run).encode() for run in zip(*(tokens[i:] for i in range(k)))}

    def signatures(self, token_lists: list[list[str]]) -> list[np.ndarray | None]:
        """:meth:`signature` of each token list (computed together: the ingest signs a batch at once)."""
        k, least = self.settings.shingle_size, self.settings.min_shingles
        out: list[np.ndarray | None] = [None] * len(token_lists)
        todo: list[int] = []
        sets: list[set[bytes]] = []
        for i, tokens in enumerate(token_lists):
            if len(tokens) < k:
                continue
            shingles = self._shingles(tokens)
            if shingles and len(shingles) >= least:
                todo.append(i)
                sets.append(shingles)
        for i, sig in zip(todo, minhash_signatures(sets, num_perm=self.settings.num_perm, seed=self.settings.seed)):
            out[i] = sig
        return out

    def knows_hash(self, chash: str) -> bool:
        """True when a document with this content hash is held (so :meth:`find` needs no database)."""
        return chash in self._hashes

    def find(
        self, chash: str, sig: np.ndarray | None, when: dt.datetime | None = None
    ) -> tuple[int, float] | None:
        """The group (first document id) a new text belongs to, with its similarity, or None.

        Documents held (inside the window) are compared; a text published at ``when`` before the window
        is also compared with the stored documents of its own time (see the class); see
        :meth:`knows_hash` for exact copies of older ones.
        """
        hit = self._hashes.get(chash)
        if hit is not None:
            return self._group.get(hit, hit), 1.0
        stamp = when.timestamp() if when is not None else None
        found: tuple[int, float] | None = None
        if self._archive(stamp):
            for day in self._archive_days(stamp):
                got = day.find(chash, sig)
                if got is not None and (found is None or got[1] > found[1]):
                    found = got
            if found is not None and found[1] == 1.0:
                return found
        best = self._find_held(sig)
        if best is None or (found is not None and found[1] >= best[1]):
            return found
        return best

    def _find_held(self, sig: np.ndarray | None) -> tuple[int, float] | None:
        if sig is None or not self._signatures:
            return None
        best: tuple[int, float] | None = None
        for cand in self._lsh.query(sig):
            score = float(np.count_nonzero(self._signatures[cand] == sig)) / len(sig)
            if score >= self.settings.threshold and (best is None or score > best[1]):
                best = (cand, score)
        if best is None:
            return None
        return self._group.get(best[0], best[0]), best[1]

    def add(
        self,
        doc_id: int,
        chash: str,
        sig: np.ndarray | None,
        group: int | None = None,
        when: dt.datetime | None = None,
    ) -> None:
        """Remember a stored document (and the group it was linked to), stored at ``when`` (aware).

        Without ``when`` the document is taken to be the newest possible (it leaves last). Adding a
        document already held only updates its group. An archive document (published before the
        window, with a loader) goes to its day's documents, not to the window.
        """
        if when is not None and doc_id not in self._when and self._archive(when.timestamp()):
            # (a day not loaded reads it from the store when a document of its time is looked up)
            held = self._days.get(int(when.timestamp() // _DAY))
            if held is not None:
                held.add(doc_id, chash, sig, group)
            return
        if group is not None:
            self._group[doc_id] = group
        if doc_id in self._when:
            return
        stamp = when.timestamp() if when is not None else float("inf")
        if when is not None:
            newest = min(stamp, time.time() + _DAY)  # a date in the future does not empty the window
            if self._clock is None or newest > self._clock:
                self._clock = newest
        self._when[doc_id] = stamp
        heapq.heappush(self._by_time, (stamp, doc_id, chash))
        self._hashes.setdefault(chash, doc_id)
        if sig is not None:
            self._signatures[doc_id] = sig
            self._lsh.insert(doc_id, sig)
        cap = self.settings.max_entries
        while cap is not None and len(self._when) > cap:
            self._drop_oldest()

    def evict_window(self) -> int:
        """Forget the documents published before the window (see :meth:`window_floor`); how many."""
        floor = self.window_floor()
        if floor is None:
            return 0
        return self.evict(dt.datetime.fromtimestamp(floor, dt.timezone.utc))

    def evict(self, before: dt.datetime) -> int:
        """Forget every document stored before ``before`` (aware); returns how many were forgotten."""
        limit = before.timestamp()
        n = 0
        while self._by_time and self._by_time[0][0] < limit:
            self._drop_oldest()
            n += 1
        return n

    def _drop_oldest(self) -> None:
        _, doc_id, chash = heapq.heappop(self._by_time)
        del self._when[doc_id]
        self._group.pop(doc_id, None)
        if self._hashes.get(chash) == doc_id:
            del self._hashes[chash]
        sig = self._signatures.pop(doc_id, None)
        if sig is not None:
            self._lsh.remove(doc_id, sig)
        self.evicted += 1

    @staticmethod
    def to_bytes(sig: np.ndarray | None) -> bytes | None:
        """Signature as stored in the database."""
        return None if sig is None else sig.astype("<u4").tobytes()

    @staticmethod
    def from_bytes(data: bytes | None) -> np.ndarray | None:
        """Signature read back from the database."""
        return None if data is None else np.frombuffer(data, dtype="<u4").astype(np.uint32)
