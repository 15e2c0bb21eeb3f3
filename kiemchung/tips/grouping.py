"""Grouping tips: which earlier tip a new one repeats, at a cost that does not grow with the queue.

Two tips are "the same tip" when their word sets (normalised, teencode expanded, so case, diacritics
spelled differently and chat shorthand do not matter) have a Jaccard similarity of at least
:data:`GROUP_SIMILARITY` (texts of fewer than 4 words must have the same words), or, for a tip with no
text, when their first images are the same. A new tip joins the group of the newest such tip received
in the last :data:`GROUP_DAYS` days.

Instead of comparing a new tip with every recent one, :class:`TipIndex` keeps, per process, a MinHash
LSH index of the recent tips' word sets (the project's near-duplicate machinery, :mod:`kiemchung.dedupe`:
its signatures and LSH bands, over words instead of shingles): a lookup gets the few candidates that
share a band and confirms them with the exact Jaccard, newest first. Tips whose words are exactly those of a
tip already held are not added again (a rumour sent by a thousand people is one entry). The index is
brought up to date with the tips other processes stored (by id, incrementally) inside the transaction
that holds the tips lock, so two processes agree; the first use in a process reads the last
:data:`GROUP_DAYS` days once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import heapq
import threading
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from kiemchung.dedupe import LshBands, minhash_signature
from kiemchung.tips.tables import tips

if TYPE_CHECKING:
    import numpy as np

GROUP_SIMILARITY = 0.75  # word-set Jaccard from which two tips are "nearly the same words"
GROUP_DAYS = 30
NUM_PERM = 64
# 16 bands of 4 rows: a pair at Jaccard 0.75 shares a band with probability 0.998 (0.9998 at 0.8); the
# candidates are then confirmed exactly, so a looser band only costs a few more comparisons.
BANDS = 16


def words(text: str) -> frozenset[str]:
    """The word set a tip is compared by: normalised, teencode expanded, syllables (diacritics folded
    as the text module's tokens are)."""
    from kiemchung import text as T

    return frozenset(T.syllables(T.expand_teencode(T.normalize(text or ""))))


def similar_words(a: frozenset[str], b: frozenset[str]) -> float:
    """Jaccard similarity of two word sets (1.0 for two equal non-empty sets; short texts must be equal)."""
    if not a or not b:
        return 0.0
    if min(len(a), len(b)) < 4:
        return 1.0 if a == b else 0.0
    return len(a & b) / len(a | b)


def group_text(text: str | None, link: str | None) -> str:
    """What a tip is grouped by: its words, or its link when it has no words."""
    return (text or "").strip() or (link or "")


@dataclass
class _Entry:
    group: int
    words: frozenset[str]
    at: float
    signature: np.ndarray  # what it is filed under in the LSH bands (needed to take it out)


class TipIndex:
    """Recent tips by word set (MinHash LSH) and by first image, for :func:`find_group`."""

    def __init__(self) -> None:
        self._lsh = LshBands(BANDS, NUM_PERM // BANDS)
        self._entries: dict[int, _Entry] = {}  # tips in the LSH
        self._exact: dict[str, int] = {}  # hash of a word set -> newest tip with exactly those words
        self._images: dict[str, int] = {}  # first image sha256 -> newest tip
        self._groups: dict[int, int] = {}  # tip id -> group, for every tip held (exact and image hits)
        self._when: dict[int, float] = {}
        self._keys: dict[int, tuple[str | None, str | None]] = {}  # tip id -> (word-set hash, first image)
        self._by_time: list[tuple[float, int]] = []
        self.loaded_upto = 0
        self.lock = threading.Lock()

    def __len__(self) -> int:
        """Tips held."""
        return len(self._when)

    @staticmethod
    def _key(ws: frozenset[str]) -> str:
        return hashlib.blake2b("\x1f".join(sorted(ws)).encode(), digest_size=16).hexdigest()

    def add(self, tip_id: int, group: int, text: str, first_image: str | None, received_at: dt.datetime) -> None:
        """Remember a stored tip (its group, its words, its first image)."""
        if tip_id in self._when:
            return
        at = received_at.timestamp()
        self._when[tip_id] = at
        self._groups[tip_id] = group
        heapq.heappush(self._by_time, (at, tip_id))
        ws = words(text)
        key = self._key(ws) if ws else None
        self._keys[tip_id] = (key, first_image)
        if key is not None:
            if key not in self._exact:
                sig = minhash_signature(ws, num_perm=NUM_PERM)
                self._entries[tip_id] = _Entry(group, ws, at, sig)
                self._lsh.insert(tip_id, sig)
            if tip_id > self._exact.get(key, 0):
                self._exact[key] = tip_id
        if first_image and tip_id > self._images.get(first_image, 0):
            self._images[first_image] = tip_id

    def evict(self, before: dt.datetime) -> int:
        """Forget tips received before ``before``; returns how many."""
        limit = before.timestamp()
        n = 0
        while self._by_time and self._by_time[0][0] < limit:
            _, tip_id = heapq.heappop(self._by_time)
            self._when.pop(tip_id, None)
            self._groups.pop(tip_id, None)
            entry = self._entries.pop(tip_id, None)
            if entry is not None:
                self._lsh.remove(tip_id, entry.signature)
            key, image = self._keys.pop(tip_id, (None, None))
            if key is not None and self._exact.get(key) == tip_id:
                del self._exact[key]
            elif entry is not None and key is not None and key in self._exact:
                # a newer tip with the very same words stays: it takes the word set's place in the LSH
                heir = self._exact[key]
                self._entries[heir] = _Entry(self._groups[heir], entry.words, self._when[heir], entry.signature)
                self._lsh.insert(heir, entry.signature)
            if image is not None and self._images.get(image) == tip_id:
                del self._images[image]
            n += 1
        return n

    def find(self, text: str, first_image: str | None, since: dt.datetime) -> int | None:
        """The group of the newest held tip (received since ``since``) the new tip repeats, or None."""
        ws = words(text)
        floor = since.timestamp()
        if ws:
            exact = self._exact.get(self._key(ws))
            best = exact if exact is not None and self._when.get(exact, 0) >= floor else None
            sig = minhash_signature(ws, num_perm=NUM_PERM)
            for cand in sorted(self._lsh.query(sig), reverse=True):
                if best is not None and cand <= best:
                    break
                entry = self._entries[cand]
                if entry.at >= floor and similar_words(ws, entry.words) >= GROUP_SIMILARITY:
                    best = cand
                    break
            return self._groups[best] if best is not None else None
        if first_image:
            hit = self._images.get(first_image)
            if hit is not None and self._when.get(hit, 0) >= floor:
                return self._groups[hit]
        return None

    def refresh(self, conn, now: dt.datetime) -> None:
        """Add the tips stored since the last refresh (by any process) received in the window."""
        since = now - dt.timedelta(days=GROUP_DAYS)
        while True:
            rows = conn.execute(
                select(tips.c.id, tips.c.group_id, tips.c.text, tips.c.link, tips.c.images, tips.c.received_at)
                .where(tips.c.id > self.loaded_upto, tips.c.received_at >= since).order_by(tips.c.id).limit(5000)).all()
            if not rows:
                break
            for r in rows:
                received = r.received_at if r.received_at.tzinfo else r.received_at.replace(tzinfo=dt.UTC)
                if received >= since:
                    first = (r.images or [{}])[0].get("sha256") if r.images else None
                    self.add(r.id, r.group_id or r.id, group_text(r.text, r.link), first, received)
            self.loaded_upto = rows[-1].id
        self.evict(since)


_indexes: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_indexes_lock = threading.Lock()


def index_for(db) -> TipIndex:
    """This process's tip index of ``db`` (made on first use)."""
    with _indexes_lock:
        index = _indexes.get(db)
        if index is None:
            index = _indexes[db] = TipIndex()
        return index


def find_group(db, conn, text: str, first_image: str | None, received_at: dt.datetime,
               now: dt.datetime) -> int | None:
    """The group a tip received at ``received_at`` joins (see the module), or None: a group of its own.
    ``now`` (the clock, not the tip's date, which a mail may set anywhere) moves the index's window.
    Call inside the write transaction that holds the tips lock (``db.serialize(conn, "tips")``), then
    :func:`remember` the stored tip."""
    index = index_for(db)
    with index.lock:
        index.refresh(conn, now)
        return index.find(text, first_image, received_at - dt.timedelta(days=GROUP_DAYS))


def remember(db, tip_id: int, group: int, text: str, first_image: str | None, received_at: dt.datetime) -> None:
    """Add a tip just stored to this process's index (other processes read it at their next refresh)."""
    index = index_for(db)
    with index.lock:
        index.add(tip_id, group, text, first_image, received_at)
        index.loaded_upto = max(index.loaded_upto, tip_id)
