"""The alert decision: does a post *repeat* the top fact-check the matcher found, and how sure are we?

The matcher (:mod:`kiemchung.claims.match`) ranks fact-checks and says "over the threshold" for
anything on the same topic; that is right for ranking, wrong for alerting an office where most posts
repeat nothing. This module decides, for the best candidates of a post, with a pair-level verifier:

* **term weights from a background** (:class:`TermStats`): syllable and bigram document frequencies
  of the installation's stored documents (or of a file, in evaluation) added to the knowledge base's
  own, so that words common in the news weigh little even when the knowledge base holds five entries;
* **pair features** (:func:`pair_features`): how much of the post the fact-check's phrasing covers and
  the other way round (syllables and bigrams, background-weighted), numbers on one side only or
  different, negation/denial words on one side only, durations or scopes that differ (a conflict, not
  blended), rare words (names, places, codes) of one side
  missing from the other, the length ratio, and the matcher's own score;
* a **logistic blend** of those (weights fitted on alerts-dev, see docs/matching.md) read as the
  probability that the post repeats the claim; :class:`AlertDecision` turns it into a level:
  ``"repeat"`` ("Lặp lại tin sai": alert and notify) or ``"related"`` ("có thể liên quan": the
  claims queue only), by thresholds expressed as the precision expected of each level;
* **learning from triage** (:func:`recalibrate`): the installation's confirmed and dismissed alerts
  move the "repeat" threshold to the lowest one whose precision, estimated on those labels (pulled
  towards the measured curve when there are few), keeps the expected precision.
"""

from __future__ import annotations

import gzip
import json
import math
import os
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from kiemchung.claims.match import MatchConfig
from kiemchung.errors import ConfigError, StoreError
from kiemchung.text import NAME_HEADS, bigrams, index_terms, name_spans, normalize, syllables
from kiemchung.text.framing import strip_framing
from kiemchung.text.negation import denial_phrases, negation_scope, negation_terms
from kiemchung.text.quantity import Quantities, quantities, quantity_conflict
from kiemchung.store import settings

_NUM = re.compile(r"\d")

LEVELS = ("repeat", "related")
LEVEL_LABELS = {
    "repeat": ("Lặp lại tin sai", "Repeats a false claim"),
    "related": ("Có thể liên quan", "Possibly related"),
}

# Names of the verifier features, in the order of DecisionModel.weights.
PAIR_FEATURES = (
    "qcov", "ecov", "qbcov", "ebcov", "num_diff", "num_one_side", "neg_diff", "rare_q_miss",
    "rare_e_miss", "len_ratio", "score",
)


def _tokens(text: str, limit: int = 400) -> list[str]:
    return syllables(normalize(text[: limit * 12], teencode=True))[:limit]


# --------------------------------------------------------------------------- background statistics
@dataclass
class TermStats:
    """Document frequencies of folded syllables and bigrams over ``n_docs`` documents."""

    n_docs: int
    df: dict[str, int]

    @classmethod
    def empty(cls) -> TermStats:
        return cls(0, {})

    @classmethod
    def from_texts(cls, texts: Iterable[str], *, min_df: int = 2) -> TermStats:
        """Count in how many of ``texts`` each syllable and bigram occurs; terms seen in fewer than
        ``min_df`` documents are dropped (they weigh as unknown words anyway)."""
        df: Counter[str] = Counter()
        n = 0
        for text in texts:
            if not text:
                continue
            terms = index_terms(text[:4000], teencode=True)
            if not terms:
                continue
            n += 1
            df.update(set(terms))
        return cls(n, {t: c for t, c in df.items() if c >= min_df})

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write as gzipped JSON (statistics only: no sentence can be read back from it)."""
        p = Path(path)
        try:
            with gzip.open(p, "wt", encoding="utf-8") as fh:
                json.dump({"n_docs": self.n_docs, "df": self.df}, fh, ensure_ascii=False)
        except OSError as exc:
            raise StoreError(f"Không ghi được bảng tần suất (cannot write term statistics) {p}: {exc}") from exc

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> TermStats:
        p = Path(path)
        try:
            with gzip.open(p, "rt", encoding="utf-8") as fh:
                raw = json.load(fh)
            return cls(int(raw["n_docs"]), {str(k): int(v) for k, v in raw["df"].items()})
        except (OSError, ValueError, KeyError, TypeError, EOFError) as exc:
            raise StoreError(f"Không đọc được bảng tần suất (cannot read term statistics) {p}: {exc}") from exc


def read_background(path: str | os.PathLike[str], *, lines: str = "all") -> TermStats:
    """Background statistics from a file: a saved :class:`TermStats` (``.json.gz`` with ``n_docs``)
    or documents as JSON Lines (optionally gzipped) with ``text``, or ``title`` and ``summary``/``lead``.
    ``lines``: "all", or "odd"/"even" (0-based line numbers) to keep half of a file whose other half
    is test data."""
    from kiemchung.errors import ImportFileError

    p = Path(path)
    if not p.exists():
        raise ImportFileError(f"Không có tệp nền (background file not found): {p}")
    opener = gzip.open if p.suffix == ".gz" else open
    try:
        with opener(p, "rt", encoding="utf-8") as fh:
            first = fh.read(64)
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportFileError(f"Không đọc được tệp nền (cannot read background file) {p}: {exc}") from exc
    if first.lstrip().startswith('{"n_docs"'):
        return TermStats.load(p)

    def texts() -> Iterable[str]:
        from kiemchung.claims.evaluate import read_jsonl

        def keep(n: int) -> bool:
            return not ((lines == "odd" and n % 2) or (lines == "even" and not n % 2))

        for row in read_jsonl(p, keep_line=keep):
            yield row.get("text") or " ".join(str(row.get(k) or "") for k in ("title", "lead", "summary"))

    return TermStats.from_texts(texts())


class TermWeights:
    """IDF of folded terms over the background plus the knowledge base (``kb_df(term)``, ``kb_n``)."""

    def __init__(self, background: TermStats | None, kb_df=None, kb_n: int = 0) -> None:
        self.bg = background or TermStats.empty()
        self.kb_df = kb_df
        self.n = self.bg.n_docs + kb_n
        self.max_idf = math.log(1.0 + (self.n + 0.5) / 0.5)
        self._cache: dict[str, float] = {}

    def __call__(self, term: str) -> float:
        w = self._cache.get(term)
        if w is None:
            df = self.bg.df.get(term, 0) + (self.kb_df(term) if self.kb_df else 0)
            w = math.log(1.0 + (self.n - df + 0.5) / (df + 0.5)) if df else self.max_idf
            if len(self._cache) > 200_000:
                self._cache.clear()
            self._cache[term] = w
        return w

    def rare(self, term: str) -> bool:
        """A name, place or code: held by at most 1 in 2,000 documents (or unknown)."""
        return self(term) >= math.log(1.0 + 2000.0) and not term.isdigit()


# --------------------------------------------------------------------------- pair features
@dataclass(frozen=True)
class Side:
    """One text of a pair, ready to compare: its folded syllables and their set, its bigram set, the
    term weights and their totals, its numbers, rare words and negation terms (computed once per post,
    once per phrasing, however many pairs they are in)."""

    tokens: list[str]
    syl: frozenset[str]
    big: frozenset[str]
    weight: dict[str, float]
    syl_total: float
    big_total: float
    nums: frozenset[str]
    rare: frozenset[str]
    neg: frozenset[str]
    denials: frozenset[str] = frozenset()
    negated: frozenset[str] = frozenset()
    num_kinds: tuple[tuple[tuple[str, str], frozenset[str]], ...] = ()
    qty: Quantities = Quantities()

    @classmethod
    def of(cls, tokens: list[str], weigh: TermWeights) -> Side:
        syl, big = set(tokens), set(bigrams(tokens))
        weight = {t: weigh(t) for t in syl}
        weight.update((t, weigh(t)) for t in big)
        return cls(tokens, frozenset(syl), frozenset(big), weight, sum(weight[t] for t in syl),
                   sum(weight[t] for t in big), frozenset(t for t in syl if _NUM.search(t)),
                   frozenset(t for t in syl if weigh.rare(t)), negation_terms(tokens),
                   denial_phrases(tokens), negation_scope(tokens), number_kinds(tokens), quantities(tokens))


def number_kinds(tokens: list[str]) -> tuple[tuple[tuple[str, str], frozenset[str]], ...]:
    """The numbers of folded ``tokens`` by kind: each number under the word after it ("5 triệu":
    ``("n", "trieu")``) and the word before it ("bão số 8": ``("p", "so")``)."""
    kinds: dict[tuple[str, str], set[str]] = {}
    for i, t in enumerate(tokens):
        if not _NUM.search(t):
            continue
        for key in (("n", tokens[i + 1] if i + 1 < len(tokens) else ""), ("p", tokens[i - 1] if i else "")):
            if key[1] and not _NUM.search(key[1]):
                kinds.setdefault(key, set()).add(t)
    return tuple((k, frozenset(v)) for k, v in kinds.items())


DENIAL_WEIGHT = 3.0  # neg_diff for a denial phrase on one side only (a governed negation: 1)


def negation_conflict(q: Side, e: Side) -> float:
    """``neg_diff``: :data:`DENIAL_WEIGHT` when one side holds a denial or debunk phrase the other does
    not ("bác bỏ", "tin giả", "lừa đảo"...); 1 when a negation of one side governs a word the other
    side states without it ("không phong tỏa" / "bị phong tỏa"); else 0: a negation that is part of
    what only one side says ("không được dùng để nấu ăn", "chưa được một tháng") is no conflict."""
    if q.denials != e.denials:
        return DENIAL_WEIGHT
    if (q.negated - e.negated) & e.syl or (e.negated - q.negated) & q.syl:
        return 1.0
    return 0.0


def number_conflict(q: Side, e: Side) -> float:
    """``num_diff``: 1 when both sides state numbers of one kind (the same word after or before them)
    and no number of that kind agrees ("5 triệu" / "50 triệu", "bão số 8" / "bão số 9"); a number
    only one side states is no conflict."""
    a, b = dict(q.num_kinds), dict(e.num_kinds)
    return float(any(not (a[k] & b[k]) for k in a.keys() & b.keys()))


# The conflicts of a pair (features): a number of one kind that differs, a negation or denial of one
# side, a duration or scope that differs ("một ngày" / "hết tuần", "ba huyện" / "toàn tỉnh";
# kiemchung/text/quantity.py, 2026-12-07). A post in conflict with its most probable candidate is not
# raised from under the related level by its story (story_floor_ok). ``scope_diff`` is not in the blend:
# on alerts-dev it never fires on a rewording against its claim and on no post the blend alerts, so a
# fitted weight would change no decision there (docs/matching.md, "Durations and scopes").
CONFLICTS = ("num_diff", "neg_diff", "scope_diff")


def conflict(features: dict[str, float]) -> bool:
    """Whether a pair's ``features`` hold a conflict (:data:`CONFLICTS`)."""
    return any(features.get(n) for n in CONFLICTS)


def _share(a: frozenset[str], b: frozenset[str], weight: dict[str, float], total: float) -> float:
    return sum(weight[t] for t in a & b) / total if total else 0.0


def side_features(q: Side, e: Side, score: float = 0.0) -> dict[str, float]:
    """Verifier features of a post against a fact-check phrasing (see :func:`pair_features`)."""
    qn, en = q.nums, e.nums
    return {
        "qcov": _share(q.syl, e.syl, q.weight, q.syl_total),
        "ecov": _share(e.syl, q.syl, e.weight, e.syl_total),
        "qbcov": _share(q.big, e.big, q.weight, q.big_total),
        "ebcov": _share(e.big, q.big, e.weight, e.big_total),
        "num_diff": number_conflict(q, e),
        "num_one_side": float(bool(qn) != bool(en)),  # kept for the record; weight 0 (not a conflict)
        "neg_diff": negation_conflict(q, e),
        "rare_q_miss": min(len(q.rare - e.syl), 3) / 3.0,
        "rare_e_miss": min(len(e.rare - q.syl), 3) / 3.0,
        "len_ratio": min(abs(math.log((len(q.tokens) + 1) / (len(e.tokens) + 1))), 2.0) / 2.0,
        "score": score,
        # Not in the blend (PAIR_FEATURES): a conflict only (see CONFLICTS).
        "scope_diff": float(quantity_conflict(q.qty, e.qty)),
    }


def pair_features(q: list[str], e: list[str], weigh: TermWeights, score: float = 0.0) -> dict[str, float]:
    """Verifier features of post tokens ``q`` against a fact-check phrasing's tokens ``e`` (folded):
    weighted shares of each side's syllables and bigrams found in the other (``qcov``, ``ecov``,
    ``qbcov``, ``ebcov``), numbers that differ or are on one side only, negation/denial words on one
    side only, rare words of one side missing from the other, the length ratio, the matcher's score."""
    return side_features(Side.of(q, weigh), Side.of(e, weigh), score)


# --------------------------------------------------------------------------- assertions of a claim
# A social post often states one assertion of a compound claim ("nước máy nhiễm độc" of "Nước máy ở
# Giang Khẩu bị nhiễm độc, không được dùng để nấu ăn") among clauses of its own. A post *states* an
# assertion (a clause of the fact-check's phrasing, between punctuation, of at least CLAUSE_MIN_WORDS
# content syllables) when it holds CLAUSE_COVER of the clause's content syllables (background-weighted)
# and at least one of its bigrams, without a number or negation conflict; such a post is "possibly
# related" (the claims queue) from a tenth of the related threshold (CLAUSE_FACTOR). The same relaxation
# for "repeat" (a tenth of its threshold) was measured on alerts-dev and not kept: 5.03 false alerts
# per 1,000 unrelated posts in-sample, over the target of 5 (docs/matching.md, "Assertions of a claim").
CLAUSE_COVER = 0.8
CLAUSE_FACTOR = 10.0
CLAUSE_MIN_WORDS = 3
_CLAUSE_SPLIT = re.compile(r"[,;:.!?\n()\[\]\"“”]+")
# Function words: not content of an assertion (a post need not repeat "ở", "bị", "được"...).
_FUNCTION_WORDS = frozenset("duoc phai co ai the la bi cho he gi nao dau ca mot nhung cac thi ma va de o".split())


def claim_clauses(text: str) -> list[list[str]]:
    """The assertions of a fact-check phrasing: its clauses (between punctuation) as folded syllables,
    those with at least :data:`CLAUSE_MIN_WORDS` content syllables."""
    out = []
    for part in _CLAUSE_SPLIT.split(text or ""):
        toks = _tokens(part)
        if sum(1 for t in toks if t not in _FUNCTION_WORDS) >= CLAUSE_MIN_WORDS:
            out.append(toks)
    return out


def clause_cover(q: Side, clauses: list[list[str]], weigh: TermWeights) -> float:
    """The largest share of an assertion's content syllables (weighted by ``weigh``) that the post
    ``q`` holds, over the assertions that share at least one bigram with it (0 when none does)."""
    best = 0.0
    for toks in clauses:
        if not q.big.intersection(bigrams(toks)):
            continue
        content = {t for t in toks if t not in _FUNCTION_WORDS}
        total = sum(weigh(t) for t in content)
        if total:
            best = max(best, sum(weigh(t) for t in content if t in q.syl) / total)
    return best


# --------------------------------------------------------------------------- the decision
@dataclass(frozen=True)
class DecisionModel:
    """Logistic blend of :data:`PAIR_FEATURES` and the thresholds of the two levels.

    ``repeat_threshold``/``related_threshold`` are on the blended probability; ``curve`` holds
    ``(threshold, precision, recall, false alerts per 1,000 unrelated posts)`` points measured on
    alerts-dev in cross-validation, so that a wanted precision can be turned into a threshold
    (:meth:`threshold_for_precision`). ``scale``/``shift`` are the installation's triage correction
    (``sigmoid(scale * logit(p) + shift)``; 1 and 0: none).
    """

    weights: tuple[float, ...]
    bias: float
    repeat_threshold: float
    related_threshold: float
    curve: tuple[tuple[float, float, float, float], ...] = ()
    scale: float = 1.0
    shift: float = 0.0

    def __post_init__(self) -> None:
        if len(self.weights) != len(PAIR_FEATURES):
            raise ConfigError(f"DecisionModel cần {len(PAIR_FEATURES)} trọng số (needs {len(PAIR_FEATURES)} weights)")
        if not 0.0 <= self.related_threshold <= self.repeat_threshold <= 1.0:
            raise ConfigError("Cần 0 <= ngưỡng 'liên quan' <= ngưỡng 'lặp lại' <= 1 "
                              "(need 0 <= related threshold <= repeat threshold <= 1)")

    def raw_logit(self, f: dict[str, float]) -> float:
        return self.bias + sum(w * f[n] for w, n in zip(self.weights, PAIR_FEATURES, strict=True))

    def probability(self, f: dict[str, float]) -> float:
        x = self.scale * self.raw_logit(f) + self.shift
        return 1.0 / (1.0 + math.exp(-max(-40.0, min(40.0, x))))

    def level(self, p: float, matched: bool = False, clause: bool = False) -> str | None:
        """"repeat" when ``p`` reaches the repeat threshold, or a fifth of it for a candidate the
        matcher itself matched (``matched``: its blended score is over its threshold); "related" from
        the related threshold, or a tenth of it when the post states one assertion of the claim whole
        (``clause``: :meth:`AlertDecider.clause`) and the related level is open (its threshold under
        the repeat one: an office that raises it to the repeat threshold has closed it); else None."""
        if p >= self.repeat_threshold or (matched and p >= self.repeat_threshold / 5.0):
            return "repeat"
        if p >= self.related_threshold or (clause and self.related_threshold < self.repeat_threshold
                                           and p >= self.related_threshold / CLAUSE_FACTOR):
            return "related"
        return None

    def threshold_for_precision(self, precision: float) -> float:
        """The lowest threshold whose measured precision reaches ``precision`` (the highest point
        of the curve when none does)."""
        if not self.curve:
            raise ConfigError("Mô hình không có đường chính xác/độ phủ (no precision curve)")
        ok = [t for t, p, _, _ in self.curve if p >= precision]
        return min(ok) if ok else max(t for t, *_ in self.curve)

    def replace(self, **changes) -> DecisionModel:
        from dataclasses import asdict

        d = asdict(self)
        d.update(changes)
        d["curve"] = tuple(tuple(x) for x in d["curve"])
        return DecisionModel(**d)


def fit_logistic(x: list[list[float]], y: list[float], *, l2: float = 1.0,
                 prior: list[float] | None = None) -> list[float]:
    """Logistic regression by Newton steps; the last column of ``x`` should be 1 (bias, unpenalised).
    ``prior``: the weights the L2 penalty pulls towards (default zeros)."""
    import numpy as np

    xa = np.asarray(x, np.float64)
    ya = np.asarray(y, np.float64)
    k = xa.shape[1]
    w0 = np.zeros(k) if prior is None else np.asarray(prior, np.float64)
    w = w0.copy()
    pen = np.r_[np.full(k - 1, l2), 0.0 if prior is None else l2]
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-np.clip(xa @ w, -40.0, 40.0)))
        grad = xa.T @ (p - ya) + pen * (w - w0)
        hess = (xa * (p * (1.0 - p))[:, None]).T @ xa + np.diag(pen + 1e-9)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return [float(v) for v in w]


_MATCHED_SCORE = MatchConfig.threshold_lexical  # the matcher's default: "matched" in stored features


def recalibrate(model: DecisionModel, labelled: list[tuple[dict[str, float], bool]], *,
                target: float | None = None, strength: float = 10.0,
                matched_score: float = _MATCHED_SCORE) -> DecisionModel:
    """The model with its "repeat" threshold moved by the installation's triage decisions.

    ``labelled``: ``(pair features, confirmed?)`` of alerts (either level) an editor confirmed or
    dismissed. Only alerted posts get labels, so what can be measured is the precision of the alerts
    above a threshold, not the recall: for each threshold of the model's curve the precision of this
    installation's labelled alerts that would still be "repeat" is estimated, pulled towards the
    curve's precision by ``strength`` pseudo-labels, and the lowest threshold whose estimate reaches
    ``target`` (default: the curve's precision at the current threshold) is taken. Fewer than 20
    labels change nothing (measured: 10 labels can loosen it by chance). ``matched_score``: the matcher's threshold, for the rule "matched and a
    fifth of the threshold" (the features keep the matcher's score).
    (A logistic recalibration, Platt scaling, was tried first: fitted on alerts only it learns that
    alerts are mostly right and raises every probability; see docs/matching.md.)
    """
    if len(labelled) < 20 or not model.curve:
        return model
    points = sorted(model.curve)
    if target is None:
        below = [prec for t, prec, _, _ in points if t <= model.repeat_threshold]
        target = below[-1] if below else points[0][1]
    scored = [(model.probability(f), f.get("score", 0.0) >= matched_score, ok) for f, ok in labelled]
    for t, prior, _, _ in points:
        m = model.replace(repeat_threshold=t, related_threshold=min(t, model.related_threshold))
        ys = [ok for p, matched, ok in scored if m.level(p, matched) == "repeat"]
        estimate = (sum(ys) + strength * prior) / (len(ys) + strength)
        if estimate >= target:
            return m if t != model.repeat_threshold else model
    t = points[-1][0]
    return model.replace(repeat_threshold=t, related_threshold=min(t, model.related_threshold))


# --------------------------------------------------------------------------- deciding for a post
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)


def reading(text: str) -> str:
    """What the decision reads of a post: its text without web addresses, social chatter and framing
    ("chia sẻ ngay", "KHẨN CẤP!!!", "nghe nói", emoji, hashtags), which say nothing about the claim
    and, rare in the news, would weigh against a match; a post that is nothing else matches nothing
    (kiemchung/text/framing.py)."""
    return strip_framing(strip_urls(text))


def strip_urls(text: str) -> str:
    """``text`` without its web addresses (a post that is only a link says nothing to match)."""
    return _URL.sub(" ", text)


@dataclass
class Decision:
    """The verifier's reading of one candidate fact-check for a post."""

    match: object  # kiemchung.claims.match.Match
    probability: float
    level: str | None  # "repeat" | "related" | None
    features: dict[str, float]
    # For a candidate after the most probable one: how surely its fact-check states the same claim as
    # the first's (0 when not needed: under the related threshold); 1 for the first.
    same_claim: float = 1.0
    # The post states one assertion of the candidate's claim whole (see CLAUSE_COVER; the most probable
    # candidate only, and only when the decider knows the phrasings' texts).
    clause: bool = False
    # Raised to "repeat" (from "related", or from under it over STORY_FLOOR) because other posts of the
    # post's story repeat this fact-check's claim (see story_raise; the most probable candidate only).
    story: bool = False
    # The most probable candidate under STORY_FLOOR only: its probability with every name of the
    # phrasing that the post does not state read into the post (story_names; 0: no such name). What a
    # story can raise it to at most; the engine reads the story only when this reaches the floor.
    named: float = 0.0
    # Raised with names its story established (the runs of folded syllables read into the post).
    names: tuple[tuple[str, ...], ...] = ()


# A rumour spreads as copies and rewordings, which the story clusterer groups into one story. A post
# whose most probable candidate is "possibly related" on its own, in a story where at least
# STORY_MIN_REPEATS other posts already repeat that fact-check's claim ("repeat" on their own, not
# dismissed by an editor), is a "repeat" too: it spreads with confirmed repeats (reason code
# STORY_REASON). The bar is the "related" level itself, not a threshold of its own. One repeat is not
# enough: on alerts-dev a topical story (news on social insurance) holding one right repeat raised
# three news titles (0.948 -> 0.945 precision, 3.89 -> 4.23 false alerts per 1,000); a spreading
# rumour has copies. Measured: docs/matching.md, "Story context".
STORY_REASON = "story"
STORY_MIN_REPEATS = 2
# Under the related level: a post whose most probable candidate has probability at least STORY_FLOOR,
# without a conflict (number, negation, duration or scope: CONFLICTS), is a "repeat" too when at least
# STORY_MIN_REPEATS other posts of its story repeat that fact-check *confidently* (on their own,
# probability at least the repeat threshold, or by image). Chosen on alerts-dev with its claims spreading as copies
# (benchmarks/alerts_spread.py): the lowest floor that keeps the false alerts per 1,000 within the
# target wherever the shipped rule does (docs/matching.md, "Under the related level").
STORY_FLOOR = 0.05


def story_floor_ok(d: Decision) -> bool:
    """Whether a decision under the related level may be raised by confident repeats of its story:
    probability at least :data:`STORY_FLOOR` and no conflict (:func:`conflict`: numbers, negation,
    duration or scope)."""
    return d.probability >= STORY_FLOOR and not conflict(d.features)


@lru_cache(maxsize=20_000)
def _kind_names(phrasing: str) -> tuple[tuple[str, ...], ...]:
    """The names of a phrasing written after their kind (:data:`~kiemchung.text.NAME_HEADS`), folded;
    read once per phrasing text (every post under the story floor asks for its best candidate's)."""
    return tuple(tuple(r) for surface, r in name_spans(phrasing) if surface.split()[0].lower() in NAME_HEADS)


def story_names(phrasing: str, post: Iterable[str], repeats: Iterable[Iterable[str]] | None = None
                ) -> list[list[str]]:
    """The names of a fact-check ``phrasing`` (:func:`kiemchung.text.name_spans`: "Cầu Giang Khẩu 2") that
    the post (its folded syllables) speaks of by their kind only (it states the kind, "cầu", one of
    :data:`~kiemchung.text.NAME_HEADS`, and not the whole name) and, with ``repeats`` (the folded
    syllables of the story's other posts that repeat the fact-check confidently), that at least
    :data:`STORY_MIN_REPEATS` different wordings among them state (copies of one text are one voice):
    the subject a story establishes, which its posts need not name ("Cầu mới làm chưa được một tháng
    đã nứt" in the story of "Cầu Giang Khẩu 2 mới khánh thành đã nứt toác rồi" and "Sập cầu Giang Khẩu
    2!"). Without ``repeats``: every such name."""
    have = set(post)
    runs = [list(r) for r in _kind_names(phrasing) if r[0] in have and not have.issuperset(r)]
    if repeats is not None and runs:
        held = [set(r) for r in {tuple(r) for r in repeats}]  # one voice per wording (see wording)
        runs = [r for r in runs if sum(h.issuperset(r) for h in held) >= STORY_MIN_REPEATS]
    return runs


def wording(text: str) -> tuple[str, ...]:
    """A post's wording as :func:`story_names` counts wordings: its folded, teencode-expanded syllables
    without links, chatter and framing (copies of one text, in capitals or without diacritics, are one)."""
    return tuple(_tokens(reading(text)))


def story_raise(decisions: list[Decision], story_repeats, story_confident=(), reread=None) -> bool:
    """Raise the most probable of a post's ``decisions`` to "repeat" when it is "related" and its
    fact-check (``match.entry_id``) is in ``story_repeats`` (the fact-checks that at least
    :data:`STORY_MIN_REPEATS` other posts of the post's story repeat, each "repeat" on its own), or
    when it is under the related level, passes :func:`story_floor_ok` and its fact-check is in
    ``story_confident`` (those that at least :data:`STORY_MIN_REPEATS` other posts repeat confidently);
    return whether it was raised (``Decision.story`` set).

    ``reread``: ``reread(decision)``, the decision read with the names the story establishes
    (:meth:`AlertDecider.in_story`; None: no such name), tried on a decision under the floor whose
    names could lift it over (``Decision.named``); a reading that passes :func:`story_floor_ok` takes
    the decision's place (probability, features, ``names``)."""
    if not decisions:
        return False
    d = decisions[0]
    fc = str(d.match.entry_id)
    if (d.level is None and reread is not None and fc in story_confident and d.named >= STORY_FLOOR
            and not story_floor_ok(d)):
        r = reread(d)
        if r is not None and story_floor_ok(r):
            d.probability, d.features, d.names = r.probability, r.features, r.names
    if not ((d.level == "related" and fc in story_repeats)
            or (d.level is None and fc in story_confident and story_floor_ok(d))):
        return False
    d.level, d.story = "repeat", True
    return True


class AlertDecider:
    """The alert decision over a :class:`~kiemchung.claims.match.ClaimMatcher`'s candidates.

    ``background``: term statistics of the installation's documents (or of a file); None: the
    knowledge base alone. ``model``: the decision (default :data:`DEFAULT_MODEL`). ``top``: how many
    of the matcher's best fact-checks are verified (a post may repeat two fact-checks of one claim).
    """

    def __init__(self, matcher, background: TermStats | None = None, model: DecisionModel | None = None,
                 *, top: int = 3, texts=None) -> None:
        self.matcher = matcher
        self.background = background
        self.model = model or DEFAULT_MODEL
        self.top = top
        self.weights = TermWeights(background, matcher.term_df, len(matcher))
        self._sides: dict[str, Side] = {}
        # phrasing id -> text (a mapping), for the assertions of each claim; None: no clause rule
        self.texts = texts
        self._clauses: dict[str, list[list[str]]] = {}

    def clause(self, q: Side, phrasing_id: str, f: dict[str, float]) -> bool:
        """Whether the post ``q`` states one assertion of the phrasing's claim whole (see
        :data:`CLAUSE_COVER`) without a number or negation conflict (``f``: the pair's features)."""
        if self.texts is None or f["neg_diff"] or f["num_diff"]:
            return False
        clauses = self._clauses.get(phrasing_id)
        if clauses is None:
            text = self.texts.get(phrasing_id)
            if len(self._clauses) > 50_000:
                self._clauses.clear()
            clauses = self._clauses[phrasing_id] = claim_clauses(text) if text else []
        return bool(clauses) and clause_cover(q, clauses, self.weights) >= CLAUSE_COVER

    def _phrasing(self, phrasing_id: str) -> Side:
        side = self._sides.get(phrasing_id)
        if side is None:
            if len(self._sides) > 50_000:
                self._sides.clear()
            side = self._sides[phrasing_id] = Side.of(self.matcher.phrasing_tokens(phrasing_id), self.weights)
        return side

    def named(self, tokens: list[str], d: Decision, repeats: Iterable[Iterable[str]] | None = None
              ) -> Decision | None:
        """``d``, a candidate for the post of folded ``tokens``, read with the names of its phrasing that
        the post does not state (:func:`story_names`; with ``repeats``, those its story establishes) as
        if the post named them; None when there is none (or the phrasings' texts are unknown)."""
        text = self.texts.get(d.match.phrasing_id) if self.texts is not None else None
        runs = story_names(text, tokens, repeats) if text else []
        if not runs:
            return None
        q = Side.of(tokens + [t for r in runs for t in r], self.weights)
        f = side_features(q, self._phrasing(d.match.phrasing_id), d.match.score)
        return Decision(d.match, round(self.model.probability(f), 6), None, f, names=tuple(map(tuple, runs)))

    def in_story(self, text: str, d: Decision, repeats: Iterable[str]) -> Decision | None:
        """:meth:`named` for a post's ``text`` in its story, whose other posts that repeat ``d``'s
        fact-check confidently say ``repeats`` (texts): the reading :func:`story_raise` tries."""
        return self.named(list(wording(text)), d, [wording(r) for r in repeats])

    def decide(self, text: str, *, k: int = 10, story_repeats=(), story_confident=(),
               reread=None) -> tuple[list, list[Decision]]:
        """``(matcher results, decisions)``: the matcher's best ``k`` fact-checks for ``text`` and the
        verifier's decision on the first ``top`` of them, most probable first. ``story_repeats``,
        ``story_confident``, ``reread``: the fact-checks (entry ids) that other posts of the post's
        story repeat, and repeat confidently, and the reading in the story (:func:`story_raise`)."""
        if not isinstance(text, str):
            raise ConfigError("Nội dung cần so khớp phải là chuỗi (text must be a string)")
        clean = reading(text)
        if not clean:
            return [], []
        results = self.matcher.match(clean, k=max(k, self.top), explain_unmatched=False)
        q = Side.of(_tokens(clean), self.weights) if results else None
        out = []
        for r in results[: self.top]:
            f = side_features(q, self._phrasing(r.phrasing_id), r.score)
            p = round(self.model.probability(f), 6)
            out.append(Decision(r, p, None, f))
        out.sort(key=lambda d: -d.probability)
        # A post repeats one claim: the most probable candidate is judged as above (the matcher's
        # agreement lowers its bar); another fact-check is a "repeat" too only when it reaches the
        # threshold on its own *and* states the same claim as the first (the verifier reads one phrasing
        # as a repeat of the other: a knowledge base holding the claim twice); otherwise it is at most
        # "possibly related". Measured on alerts-dev (docs/matching.md): the relaxation on every
        # candidate gave 831 "repeat" alerts, 63 false; without the same-claim condition 818 and 50.
        m = self.model
        for i, d in enumerate(out):
            if i == 0:
                d.clause = self.clause(q, d.match.phrasing_id, d.features)
                d.level = m.level(d.probability, d.match.matched, d.clause)
                continue
            if d.probability >= m.related_threshold:
                d.same_claim = self._same_claim(out[0], d)
            d.level = ("repeat" if d.probability >= m.repeat_threshold and d.same_claim >= m.repeat_threshold
                       else m.level(min(d.probability, m.related_threshold)))
        first = out[0] if out else None
        if first is not None and first.level is None and not conflict(first.features) and not story_floor_ok(first):
            n = self.named(q.tokens, first)
            first.named = n.probability if n is not None else 0.0
        story_raise(out, story_repeats, story_confident, reread)
        return results[:k], out

    def _same_claim(self, a: Decision, b: Decision) -> float:
        """How surely the phrasings of two candidates state the same claim, by the verifier itself (each
        read as a post repeating the other, the second candidate's matcher score standing for theirs;
        the lower of the two probabilities)."""
        ea, eb = self._phrasing(a.match.phrasing_id), self._phrasing(b.match.phrasing_id)
        return round(min(self.model.probability(side_features(ea, eb, b.match.score)),
                         self.model.probability(side_features(eb, ea, b.match.score))), 6)


# Fitted on alerts-dev (top candidate of each of the 9,541 posts, background: the RSS year's odd
# lines, L2 1) except ``neg_diff``, set by hand to -1 (the data has no denials: 19 % of its rewordings
# differ in a negation word; -1 costs 0.4 points of recall there; a denial phrase counts 3, a governed
# negation 1) and ``num_one_side``, 0 (a number only one side states is no conflict; 2026-12-06). A post alerts "repeat" when the
# probability reaches ``repeat_threshold``, or a fifth of it when the matcher matched the candidate.
# ``curve``: that rule at each threshold, in five-fold cross-validation split by knowledge-base entry
# (the figures of unseen claims): (threshold, alert precision, alert recall, false alerts per 1,000
# posts without a match), every alert the engine would record counted (a second fact-check as
# AlertDecider.decide judges it). Reproduce: ``python benchmarks/alerts_cv.py`` (docs/matching.md).
DEFAULT_MODEL = DecisionModel(
    weights=(2.348, 5.832, 2.212, 4.612, -1.66, 0.0, -1.0, -1.074, -0.509, -1.928, 1.896),
    bias=-7.641,
    repeat_threshold=0.5,
    related_threshold=0.1,
    curve=(
        (0.1, 0.8672, 0.9737, 10.29), (0.2, 0.9106, 0.9699, 7.32), (0.3, 0.9235, 0.9687, 6.18),
        (0.4, 0.9449, 0.9662, 4.23), (0.5, 0.9505, 0.9624, 3.77), (0.6, 0.954, 0.9624, 3.55),
        (0.7, 0.9624, 0.9624, 2.75), (0.8, 0.9636, 0.9624, 2.63), (0.9, 0.9648, 0.9624, 2.63),
        (0.95, 0.9697, 0.9612, 2.52), (0.98, 0.9697, 0.9612, 2.52),
    ),
)


# --------------------------------------------------------------------------- per installation
BACKGROUND_DOCS = 20_000  # most recent stored documents counted for the background


def store_background(db, *, limit: int = BACKGROUND_DOCS) -> TermStats | None:
    """Term statistics of the installation's most recent ``limit`` stored documents (title and
    lead), kept in memory per database and rebuilt when the store has grown by a quarter (or
    ``limit`` documents) since; None while the store is empty."""
    from sqlalchemy import select

    from kiemchung.store import schema as t

    top = db.max_document_id()
    if top <= 0:
        return None
    hit = _backgrounds.get(db.url)
    if hit is not None and top - hit[0] < max(1, min(hit[1].n_docs // 4, limit)):
        return hit[1]
    with db.read() as conn:
        rows = conn.execute(
            select(t.documents.c.title, t.documents.c.lead)
            .where(t.documents.c.id > top - limit).order_by(t.documents.c.id)
        ).all()
    stats = TermStats.from_texts((f"{title or ''}\n{lead or ''}" for title, lead in rows),
                                 min_df=1 if len(rows) < 2000 else 2)
    _backgrounds[db.url] = (top, stats)
    return stats


_backgrounds: dict[str, tuple[int, TermStats]] = {}


def labelled_alerts(db) -> list[tuple[dict[str, float], bool]]:
    """``(features, confirmed?)`` of the installation's alerts an editor confirmed or dismissed."""
    from sqlalchemy import select

    from kiemchung.claims.tables import alerts

    with db.read() as conn:
        rows = conn.execute(select(alerts.c.features, alerts.c.status)
                            .where(alerts.c.status.in_(("confirmed", "dismissed")))
                            .where(alerts.c.features.is_not(None))).all()
    out = []
    for features, status in rows:
        if isinstance(features, dict) and all(n in features for n in PAIR_FEATURES):
            out.append(({n: float(features[n]) for n in PAIR_FEATURES}, status == "confirmed"))
    return out


def decision_model(db, base: DecisionModel | None = None) -> DecisionModel:
    """The installation's alert decision: ``base`` (default :data:`DEFAULT_MODEL`) with the settings
    ``alert_precision`` (expected precision of "Lặp lại tin sai", turned into a threshold by the
    measured curve) and ``alert_related_threshold``, recalibrated by its triage decisions unless
    ``alert_learn`` is 0."""
    m = base or DEFAULT_MODEL
    repeat, related, target = m.repeat_threshold, m.related_threshold, None
    target = settings.number(db, "alert_precision")
    if target is not None:
        repeat = m.threshold_for_precision(target)
    related_set = settings.number(db, "alert_related_threshold")
    if related_set is not None:
        related = related_set
    m = m.replace(repeat_threshold=repeat, related_threshold=min(related, repeat))
    if settings.flag(db, "alert_learn"):
        m = recalibrate(m, labelled_alerts(db), target=target)
    return m


def tradeoff(db) -> dict:
    """What the installation's alert decision trades: the measured curve (threshold, precision,
    recall, false alerts per 1,000 unrelated posts; alerts-dev, cross-validated) with the threshold in
    force marked and, per threshold, the installation's own figure (``installation``: how many of its
    confirmed or dismissed alerts would be "repeat" there and the share confirmed), the related
    threshold, and how many triaged alerts it learnt from."""
    untrained = DEFAULT_MODEL
    target = settings.number(db, "alert_precision")
    if target is not None:
        untrained = untrained.replace(repeat_threshold=untrained.threshold_for_precision(target),
                                      related_threshold=min(untrained.related_threshold,
                                                            untrained.threshold_for_precision(target)))
    model = decision_model(db)
    labels = labelled_alerts(db)
    scored = [(model.probability(f), f.get("score", 0.0) >= _MATCHED_SCORE, ok) for f, ok in labels]

    def here(t: float) -> dict:
        """This installation's own triaged alerts that would be "repeat" at ``t``, and how many of them
        the editors confirmed (None when none would be)."""
        m = model.replace(repeat_threshold=t, related_threshold=min(t, model.related_threshold))
        ys = [ok for p, matched, ok in scored if m.level(p, matched) == "repeat"]
        return {"alerts": len(ys), "confirmed": sum(ys),
                "precision": round(sum(ys) / len(ys), 4) if ys else None}

    return {
        "curve": [{"threshold": t, "precision": p, "recall": r, "false_alerts_per_1000": fa,
                   "in_force": t == model.repeat_threshold, "installation": here(t)}
                  for t, p, r, fa in model.curve],
        "repeat_threshold": model.repeat_threshold,
        "repeat_threshold_before_triage": untrained.repeat_threshold,
        "related_threshold": model.related_threshold,
        "triaged": len(labels),
        "confirmed": sum(1 for _, c in labels if c),
    }
