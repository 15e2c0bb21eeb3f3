"""A compact BM25 inverted index over integer term ids, built for claim matching.

The index knows nothing about Vietnamese: the matcher turns text into weighted terms (folded
syllables and bigrams from :mod:`kiemchung.text`) and hands them over. What this module does:

* postings are stored in immutable numpy *segments* (CSR by term id): ``doc`` (int32) and a
  precomputed BM25 *impact* ``tf*(k1+1)/(tf + k1*(1-b+b*dl/avgdl))`` (float16), so a query is one
  ``scores[docs] += idf*weight*impact`` per term, with no per-posting Python;
* new documents go to a small pending buffer that is sealed into a segment on the next search; small
  segments are merged so their number stays low; a large build is sealed every ``segment_docs``
  documents, which bounds peak memory;
* removal is a tombstone (``alive`` mask) plus a document-frequency decrement;
* ``save``/``load`` write plain ``.npz`` arrays plus the vocabulary.

``avgdl`` is frozen per segment when it is sealed (the impact depends on it); that is the usual
approximation of segment-based engines and it drifts little once a segment holds thousands of docs.
"""

from __future__ import annotations

import json
import math
from array import array
from collections.abc import Iterable, Mapping

import numpy as np

from kiemchung.errors import ConfigError, StoreError


class _Segment:
    """Immutable postings of a set of documents: CSR by term id, kept sorted by term id."""

    __slots__ = ("_pos", "docs", "impact", "indptr", "n_docs", "tids")

    def __init__(
        self, tids: np.ndarray, indptr: np.ndarray, docs: np.ndarray, impact: np.ndarray, n_docs: int
    ):
        self.n_docs = n_docs
        self.tids = tids
        self.indptr = indptr
        self.docs = docs
        self.impact = impact
        self._pos: dict[int, int] | None = None

    @classmethod
    def build(cls, tid: np.ndarray, doc: np.ndarray, impact: np.ndarray, n_docs: int) -> _Segment:
        """Build a segment from parallel (term id, doc, impact) posting arrays in any order."""
        order = np.argsort(tid, kind="stable")
        tid = tid[order]
        docs = doc[order].astype(np.int32, copy=False)
        imp = impact[order].astype(np.float16, copy=False)
        del order
        if len(tid):
            starts = np.flatnonzero(np.concatenate(([True], tid[1:] != tid[:-1])))
            tids = tid[starts].astype(np.int32)
            indptr = np.concatenate((starts, [len(tid)])).astype(np.int64)
        else:
            tids = np.zeros(0, np.int32)
            indptr = np.zeros(1, np.int64)
        return cls(tids, indptr, docs, imp, n_docs)

    def __len__(self) -> int:
        return len(self.docs)

    def expand(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The parallel (term id, doc, impact) arrays, for merging."""
        counts = np.diff(self.indptr)
        return np.repeat(self.tids, counts), self.docs, self.impact

    def postings(self, tid: int) -> tuple[np.ndarray, np.ndarray] | None:
        """``(docs, impact)`` of one term, or None when the segment does not hold it."""
        if self._pos is None and len(self.tids) <= 4096:
            self._pos = {int(t): i for i, t in enumerate(self.tids)}
        if self._pos is not None:
            i = self._pos.get(tid)
            if i is None:
                return None
        else:
            i = int(self.tids.searchsorted(np.int32(tid)))
            if i >= len(self.tids) or self.tids[i] != tid:
                return None
        a, b = self.indptr[i], self.indptr[i + 1]
        return self.docs[a:b], self.impact[a:b]


class BM25Index:
    """BM25 over integer document numbers (0, 1, 2, ... in order of :meth:`add`) and string terms.

    ``k1`` and ``b`` are the usual BM25 parameters; ``idf_floor`` is the smallest IDF a term keeps
    (so a term in most documents still counts a little); ``segment_docs`` bounds a segment's size.
    """

    def __init__(
        self,
        *,
        k1: float = 1.2,
        b: float = 0.75,
        idf_floor: float = 0.05,
        segment_docs: int = 200_000,
    ) -> None:
        if k1 < 0 or not 0.0 <= b <= 1.0:
            raise ConfigError("BM25: k1 phải >= 0 và 0 <= b <= 1 (k1 must be >= 0, 0 <= b <= 1)")
        self.k1 = float(k1)
        self.b = float(b)
        self.idf_floor = float(idf_floor)
        self.segment_docs = int(segment_docs)
        self.vocab: dict[str, int] = {}
        self.terms: list[str] = []  # term id -> term
        self._df = np.zeros(1024, np.int32)
        self._dl = array("f")  # document length (sum of term weights), per doc
        self._alive = np.zeros(1024, bool)
        self._n_docs = 0  # documents ever added (doc numbers are never reused)
        self._n_alive = 0
        self._total_len = 0.0  # sum of dl over alive docs
        self._segments: list[_Segment] = []
        self._pending_tid = array("i")
        self._pending_doc = array("i")
        self._pending_tf = array("f")
        self._pending_docs = 0
        self._idf_cache: np.ndarray | None = None

    # ------------------------------------------------------------------ building
    def __len__(self) -> int:
        return self._n_alive

    @property
    def n_docs(self) -> int:
        """Number of document numbers handed out (alive or removed)."""
        return self._n_docs

    def term_id(self, term: str) -> int | None:
        """The id of ``term``, or None if no document ever held it."""
        return self.vocab.get(term)

    def _grow(self, n_terms: int, n_docs: int) -> None:
        if n_terms > len(self._df):
            df = np.zeros(max(n_terms, 2 * len(self._df)), np.int32)
            df[: len(self._df)] = self._df
            self._df = df
        if n_docs > len(self._alive):
            alive = np.zeros(max(n_docs, 2 * len(self._alive)), bool)
            alive[: len(self._alive)] = self._alive
            self._alive = alive

    def add(self, terms: Mapping[str, float]) -> int:
        """Index one document given as ``{term: weighted tf}``; return its document number."""
        vocab = self.vocab
        doc = self._n_docs
        tids = []
        dl = 0.0
        for term, tf in terms.items():
            if tf <= 0:
                continue
            tid = vocab.get(term)
            if tid is None:
                tid = len(vocab)
                vocab[term] = tid
                self.terms.append(term)
            tids.append(tid)
            self._pending_tf.append(tf)
            dl += tf
        self._grow(len(vocab), doc + 1)
        self._pending_tid.extend(tids)
        self._pending_doc.extend([doc] * len(tids))
        if tids:
            self._df[np.asarray(tids, dtype=np.int64)] += 1
        self._dl.append(dl)
        self._idf_cache = None
        self._alive[doc] = True
        self._n_docs += 1
        self._n_alive += 1
        self._total_len += dl
        self._pending_docs += 1
        if self._pending_docs >= self.segment_docs:
            self.seal()
        return doc

    def remove(self, doc: int, terms: Iterable[str]) -> None:
        """Tombstone document ``doc``; ``terms`` are its terms, to update document frequencies."""
        if not 0 <= doc < self._n_docs or not self._alive[doc]:
            return
        self._alive[doc] = False
        self._idf_cache = None
        self._n_alive -= 1
        self._total_len -= self._dl[doc]
        tids = [self.vocab[t] for t in set(terms) if t in self.vocab]
        if tids:
            self._df[np.asarray(tids, dtype=np.int64)] -= 1

    def seal(self) -> None:
        """Turn pending documents into a segment; merge small trailing segments."""
        if not self._pending_docs:
            return
        tid = np.frombuffer(self._pending_tid, dtype=np.int32).copy()
        doc = np.frombuffer(self._pending_doc, dtype=np.int32).copy()
        tf = np.frombuffer(self._pending_tf, dtype=np.float32).copy()
        self._pending_tid = array("i")
        self._pending_doc = array("i")
        self._pending_tf = array("f")
        n_new = self._pending_docs
        self._pending_docs = 0
        avgdl = self._total_len / max(self._n_alive, 1) or 1.0
        dl = np.frombuffer(self._dl, dtype=np.float32)[doc]
        norm = self.k1 * (1.0 - self.b + self.b * dl / avgdl)
        impact = tf * (self.k1 + 1.0) / (tf + norm)
        del dl, norm, tf
        # Merge trailing segments not much larger than the new one, up to ``segment_docs`` documents:
        # segment sizes grow geometrically, so there are O(log n) of them and a seal stays cheap.
        while (
            self._segments
            and self._segments[-1].n_docs <= 2 * n_new
            and self._segments[-1].n_docs + n_new <= self.segment_docs
        ):
            last = self._segments.pop()
            n_new += last.n_docs
            t2, d2, i2 = last.expand()
            tid = np.concatenate((t2, tid))
            doc = np.concatenate((d2, doc))
            impact = np.concatenate((i2.astype(np.float32), impact))
        self._segments.append(_Segment.build(tid, doc, impact, n_new))

    # ------------------------------------------------------------------ scoring
    def idf(self, term: str) -> float:
        """BM25 IDF of ``term`` (with the configured floor); 0 for an unknown term."""
        tid = self.vocab.get(term)
        if tid is None:
            return 0.0
        return self._idf_tid(tid)

    def _idf_tid(self, tid: int) -> float:
        n = max(self._n_alive, 1)
        df = int(self._df[tid])
        if df <= 0:
            return 0.0
        return max(self.idf_floor, math.log(1.0 + (n - df + 0.5) / (df + 0.5)))

    def idf_array(self) -> np.ndarray:
        """IDF of every term id (0 where no alive document holds the term); cached until a change."""
        if self._idf_cache is None:
            n = max(self._n_alive, 1)
            df = self._df[: len(self.vocab)].astype(np.float64)
            idf = np.maximum(self.idf_floor, np.log1p((n - df + 0.5) / (df + 0.5)))
            idf[df <= 0] = 0.0
            self._idf_cache = idf
        return self._idf_cache

    def max_idf(self) -> float:
        """The IDF of a term held by one document: what an unknown query term is worth."""
        n = max(self._n_alive, 1)
        return math.log(1.0 + (n - 0.5) / 1.5)

    def df(self, term: str) -> int:
        """Number of alive documents holding ``term``."""
        tid = self.vocab.get(term)
        return 0 if tid is None else int(self._df[tid])

    def search(
        self,
        query: Mapping[str, float],
        *,
        k: int = 50,
        max_df_ratio: float = 1.0,
        min_skip_df: int = 5000,
    ) -> list[tuple[int, float]]:
        """Top ``k`` ``(doc, score)`` for ``{term: query weight}``, best first.

        Terms held by more than ``max_df_ratio`` of the documents (and by more than ``min_skip_df``
        documents, so small collections never skip) are not scored: they cost the most and separate
        the least; the re-ranker still sees them.
        """
        self.seal()
        if not self._n_alive or k <= 0:
            return []
        scores = np.zeros(self._n_docs, np.float32)
        limit = max(max_df_ratio * self._n_alive, min_skip_df)
        idf = self.idf_array()
        any_term = False
        for term, qw in query.items():
            tid = self.vocab.get(term)
            if tid is None or qw <= 0:
                continue
            df = int(self._df[tid])
            if df <= 0 or df > limit:
                continue
            w = np.float32(qw * idf[tid])
            for seg in self._segments:
                p = seg.postings(tid)
                if p is not None:
                    docs, imp = p
                    scores[docs] += w * imp
                    any_term = True
        if not any_term:
            return []
        if self._n_alive < self._n_docs:
            scores[~self._alive[: self._n_docs]] = 0.0
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(d), float(scores[d])) for d in top if scores[d] > 0]

    # ------------------------------------------------------------------ persistence
    def state(self) -> dict[str, np.ndarray]:
        """All arrays of the index (after sealing), for :func:`numpy.savez`."""
        self.seal()
        out: dict[str, np.ndarray] = {
            "df": self._df[: len(self.vocab)].copy(),
            "dl": np.frombuffer(self._dl, dtype=np.float32).copy(),
            "alive": self._alive[: self._n_docs].copy(),
            "params": np.array(
                [self.k1, self.b, self.idf_floor, self.segment_docs, self._total_len], np.float64
            ),
            "vocab": np.array(json.dumps(list(self.vocab), ensure_ascii=False)),
            "n_segments": np.array(len(self._segments)),
        }
        for i, seg in enumerate(self._segments):
            out[f"s{i}_tids"] = seg.tids
            out[f"s{i}_indptr"] = seg.indptr
            out[f"s{i}_docs"] = seg.docs
            out[f"s{i}_impact"] = seg.impact
            out[f"s{i}_ndocs"] = np.array(seg.n_docs)
        return out

    @classmethod
    def from_state(cls, st: Mapping[str, np.ndarray]) -> BM25Index:
        """Rebuild an index from :meth:`state` arrays."""
        try:
            k1, b, floor, seg_docs, total = (float(x) for x in st["params"])
            idx = cls(k1=k1, b=b, idf_floor=floor, segment_docs=int(seg_docs))
            terms = json.loads(str(st["vocab"]))
            idx.vocab = {t: i for i, t in enumerate(terms)}
            idx.terms = terms
            df = np.asarray(st["df"], np.int32)
            idx._df = np.zeros(max(len(df), 1024), np.int32)
            idx._df[: len(df)] = df
            alive = np.asarray(st["alive"], bool)
            idx._alive = np.zeros(max(len(alive), 1024), bool)
            idx._alive[: len(alive)] = alive
            idx._dl = array("f", np.asarray(st["dl"], np.float32).tobytes())
            idx._n_docs = len(alive)
            idx._n_alive = int(alive.sum())
            idx._total_len = total
            for i in range(int(st["n_segments"])):
                idx._segments.append(
                    _Segment(
                        np.asarray(st[f"s{i}_tids"]),
                        np.asarray(st[f"s{i}_indptr"]),
                        np.asarray(st[f"s{i}_docs"]),
                        np.asarray(st[f"s{i}_impact"]),
                        int(st[f"s{i}_ndocs"]),
                    )
                )
        except (KeyError, ValueError, TypeError) as exc:
            raise StoreError(f"Tệp chỉ mục BM25 hỏng (corrupt BM25 index file): {exc}") from exc
        return idx
