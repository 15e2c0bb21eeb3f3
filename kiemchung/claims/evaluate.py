"""Scoring the claim matcher on labelled files (matching, same-claim pairs, evidence retrieval).

Every function runs the product's :class:`~kiemchung.claims.match.ClaimMatcher` with the given (by
default, the default) configuration; gold labels are read only here, to score, never by the matcher.

File formats (JSON Lines, one object a line):

* knowledge base: ``{"id": ..., "text": ..., "group"?: ...}``;
  queries: ``{"id": ..., "text": ..., "gold": [kb id, ...]}`` (``[]``: nothing should match);
* pairs: ``{"id": ..., "a": ..., "b": ..., "label": 0|1}``;
* claims: ``{"id": ..., "claim": ..., "evidence": ...}``.
"""

from __future__ import annotations

import gzip
import json
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from kiemchung.claims.match import FEATURES, ClaimMatcher, MatchConfig
from kiemchung.errors import ImportFileError


def read_jsonl(
    path: str | os.PathLike[str], required: tuple[str, ...] = (), *, keep_line: Callable[[int], bool] | None = None
) -> Iterator[dict]:
    """Rows of a JSON Lines file (gzip when it ends in .gz); a missing file, bad JSON or a missing field
    raises ImportFileError. ``keep_line`` picks lines by their number in the file (1-based)."""
    p = Path(path)
    try:
        fh = gzip.open(p, "rt", encoding="utf-8") if p.suffix == ".gz" else p.open(encoding="utf-8")
    except OSError as exc:
        raise ImportFileError(f"Không mở được tệp (cannot open) {p}: {exc}") from exc
    with fh:
        for n, line in enumerate(fh, 1):
            if (keep_line is not None and not keep_line(n)) or not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ImportFileError(f"{p}:{n}: JSON hỏng (bad JSON): {exc}") from exc
            if not isinstance(row, dict):
                raise ImportFileError(f"{p}:{n}: mỗi dòng phải là một đối tượng (not an object)")
            missing = [k for k in required if k not in row]
            if missing:
                raise ImportFileError(f"{p}:{n}: thiếu trường (missing fields) {missing}")
            yield row


def _percentile_ms(values: list[float], q: float) -> float:
    return round(float(np.percentile(values, q)) * 1000.0, 3) if values else 0.0


def evaluate_matching(
    kb_path: str | os.PathLike[str],
    queries_path: str | os.PathLike[str],
    config: MatchConfig | None = None,
    *,
    background=None,
    model=None,
    curve: bool = True,
    chatter: bool = False,
    stories: bool = True,
) -> dict:
    """Match every query against the knowledge base and score the product's decisions.

    Returns ``recall_at_1`` and ``mrr_at_10`` (over queries with gold); two match-or-abstain
    accuracies over all queries: ``decision_accuracy`` (strict: correct when the top *matched* result
    is gold, or when nothing is matched and gold is empty) and ``abstain_accuracy`` (binary: correct
    when the matcher matched something and gold is non-empty, or matched nothing and gold is empty,
    whichever entry it matched); ``false_alerts`` (queries with empty gold that matched something),
    ``missed`` (queries with gold that matched nothing), ``p50_ms``/``p95_ms`` (per query),
    ``build_s``, ``queries``, ``kb_entries`` and ``semantic`` (whether semantic similarity took part).

    The alert decision (:class:`~kiemchung.claims.verify.AlertDecider`, the one the alert engine
    makes; ``background``: :class:`~kiemchung.claims.verify.TermStats` standing for the
    installation's stored documents, ``model``: a :class:`~kiemchung.claims.verify.DecisionModel`)
    is scored as the alert engine records it: one alert per (post, fact-check) for every verified
    candidate that reaches a level (a post may alert on two fact-checks). ``alert_precision`` ("repeat"
    alerts on a gold fact-check / all "repeat" alerts), ``alert_recall`` (posts with gold that get a
    "repeat" alert on a gold fact-check / posts with gold), ``false_alerts_per_1000`` ("repeat" alerts
    on posts without gold per 1,000 such posts), ``alerts``/``false_alerts_repeat``, the same for the
    "related" level and above (``related_*``), and with ``curve`` the precision/recall curve
    (``curve``: points ``{threshold, precision, recall, false_alerts_per_1000}``).
    ``chatter``: every post wrapped in social-media chatter first (:func:`kiemchung.claims.chatter.add_chatter`,
    a robustness check). ``stories``: the posts are put through the product's story clusterer (as
    social posts, in file order, without dates) and the story rule applied as the alert engine applies
    it (:func:`kiemchung.claims.verify.story_raise`: a post "possibly related" on its own is a "repeat"
    when at least two other posts of its story repeat the same fact-check on their own); ``story_raised``:
    how many.
    """
    from kiemchung.claims.verify import STORY_FLOOR, AlertDecider, story_floor_ok, wording

    matcher = ClaimMatcher(config)
    t0 = time.perf_counter()
    kb_rows = list(read_jsonl(kb_path, ("id", "text")))
    n_kb = matcher.add_many(kb_rows)
    semantic = matcher.semantic
    if semantic:
        matcher.match("khởi động chỉ mục ngữ nghĩa")  # embed (or load cached) entries before timing
    decider = AlertDecider(matcher, background, model, texts={r["id"]: r["text"] for r in kb_rows})
    build_s = time.perf_counter() - t0
    queries = list(read_jsonl(queries_path, ("text", "gold")))
    if chatter:
        from kiemchung.claims.chatter import add_chatter

        for i, q in enumerate(queries):
            q["text"] = add_chatter(str(q.get("id", i)), q["text"])
    hits = mrr = with_gold = correct = detect = false_alerts = missed = 0
    lat: list[float] = []
    # per post: (has gold, [(probability, right, matched, same claim as the first, states an assertion,
    # fact-check, may be raised from under the related level by its story) per verified candidate])
    top: list[tuple[bool, list[tuple[float, bool, bool, float, bool, str]]]] = []
    # for the names a story establishes (verify.story_names): every post's folded syllables, and the
    # most probable candidate of the posts those names could lift over the story floor
    reread = _StoryReading(decider) if stories else None
    for n, q in enumerate(queries):
        gold = set(q["gold"] or [])
        t = time.perf_counter()
        res, decisions = decider.decide(q["text"], k=10)
        lat.append(time.perf_counter() - t)
        top.append((bool(gold), [(d.probability, d.match.entry_id in gold, d.match.matched, d.same_claim, d.clause,
                                  str(d.match.entry_id), story_floor_ok(d)) for d in decisions]))
        if reread is not None:
            reread.tokens.append(list(wording(q["text"])))
            if decisions and decisions[0].named >= STORY_FLOOR:
                reread.first[n] = decisions[0]
        matched = [r for r in res if r.matched]
        if gold:
            with_gold += 1
            hits += bool(res) and res[0].entry_id in gold
            rank = next((i for i, r in enumerate(res, 1) if r.entry_id in gold), None)
            mrr += 1.0 / rank if rank else 0.0
            correct += bool(matched) and matched[0].entry_id in gold
            missed += not matched
        else:
            correct += not matched
            false_alerts += bool(matched)
        detect += bool(matched) == bool(gold)
    n = len(queries) or 1
    m = decider.model
    story_of = _query_stories(queries) if stories else None
    repeat = _alert_figures(top, m, m.repeat_threshold, with_gold, n - with_gold, stories=story_of, reread=reread)
    related = _alert_figures(top, m, m.related_threshold, with_gold, n - with_gold, related=True)  # both levels
    out = {
        "alert_precision": repeat["precision"],
        "alert_recall": repeat["recall"],
        "false_alerts_per_1000": repeat["false_alerts_per_1000"],
        "alerts": repeat["alerts"],
        "false_alerts_repeat": repeat["false"],
        "story_raised": repeat["story_raised"],
        "stories": stories,
        "related_precision": related["precision"],
        "related_recall": related["recall"],
        "related_false_alerts_per_1000": related["false_alerts_per_1000"],
        "repeat_threshold": m.repeat_threshold,
        "related_threshold": m.related_threshold,
        "background_docs": decider.weights.bg.n_docs,
        "recall_at_1": round(hits / max(with_gold, 1), 4),
        "mrr_at_10": round(mrr / max(with_gold, 1), 4),
        "decision_accuracy": round(correct / n, 4),
        "abstain_accuracy": round(detect / n, 4),
        "false_alerts": false_alerts,
        "missed": missed,
        "p50_ms": _percentile_ms(lat, 50),
        "p95_ms": _percentile_ms(lat, 95),
        "build_s": round(build_s, 2),
        "queries": len(queries),
        "kb_entries": n_kb,
        "semantic": semantic,
        "chatter": chatter,
    }
    if curve:
        out["curve"] = [
            {"threshold": th, **{k: v for k, v in _alert_figures(top, m, th, with_gold, n - with_gold,
                                                                stories=story_of, reread=reread).items()
                                 if k in ("precision", "recall", "false_alerts_per_1000")}}
            for th in CURVE_THRESHOLDS
        ]
    return out


CURVE_THRESHOLDS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98)


class _StoryReading:
    """A post read in its story with the names the story establishes, as the alert engine reads it
    (:meth:`~kiemchung.claims.verify.AlertDecider.in_story`): ``tokens``, every post's folded syllables;
    ``first``, the most probable candidate of the posts such names could lift over the story floor."""

    def __init__(self, decider) -> None:
        self.decider = decider
        self.tokens: list[list[str]] = []
        self.first: dict = {}
        self._seen: dict[tuple[int, tuple[int, ...]], bool] = {}

    def passes(self, n: int, repeats: set[int]) -> bool:
        """Whether post ``n``, read with the names that its story's confident repeats ``repeats``
        (post numbers) establish, passes :func:`~kiemchung.claims.verify.story_floor_ok`."""
        from kiemchung.claims.verify import story_floor_ok

        d = self.first.get(n)
        if d is None:
            return False
        key = (n, tuple(sorted(repeats)))
        ok = self._seen.get(key)
        if ok is None:
            r = self.decider.named(self.tokens[n], d, [self.tokens[m] for m in key[1]])
            ok = self._seen[key] = r is not None and story_floor_ok(r)
        return ok


def _query_stories(queries: list[dict]) -> list[str]:
    """The story of each query after the product's story clusterer has read them all, as social posts
    in file order, without dates (the alert engine raises earlier posts of a story too: raise_story)."""
    from kiemchung.stories.cluster import StoryClusterer

    c = StoryClusterer()
    ids = [f"q{i}" for i in range(len(queries))]
    for i, q in zip(ids, queries, strict=True):
        c.add(i, title="", body=q["text"], informal=True)
    if c.config.reconcile_every:  # as the story stage does after a batch
        c.reconcile()
    return [c.story_of(i) for i in ids]


def _alert_figures(top: list[tuple[bool, list[tuple[float, bool, bool, float, bool, str, bool]]]], model, threshold: float,
                   with_gold: int, without: int, *, related: bool = False, stories: list[str] | None = None,
                   reread: _StoryReading | None = None) -> dict:
    """Alert precision/recall/false alerts per 1,000 posts without gold, counting every alert the
    engine would record: one per verified candidate that reaches the level (``top``: per post (has
    gold, [(probability, right, matched, same claim, states an assertion, fact-check, over the story
    floor) per candidate]); ``threshold``: the repeat threshold, or with ``related`` the related one,
    both levels counted). ``stories``: the story of each post: a post whose most probable candidate is
    "related" is a "repeat" when :data:`~kiemchung.claims.verify.STORY_MIN_REPEATS` other posts of its
    story repeat that fact-check on their own, and one under the related level is when it passes
    :func:`~kiemchung.claims.verify.story_floor_ok` and as many repeat it with a probability of at least
    ``threshold``, on its own or, with ``reread``, read with the names they establish (``story_raised``)."""
    if related:
        level = model
        keep = ("repeat", "related")
    else:
        level = model.replace(repeat_threshold=threshold, related_threshold=min(threshold, model.related_threshold))
        keep = ("repeat",)
    alerts = right = false_no_gold = found = raised = 0
    levels: list[list[str | None]] = []
    for has, cands in top:
        # as AlertDecider.decide: candidates most probable first; the matcher's agreement helps the first
        # only; another is a "repeat" when it reaches the threshold and states the first's claim
        lvs = []
        for i, (p, r, mt, same, clause, *_) in enumerate(cands):
            if i == 0:
                lvs.append(level.level(p, mt, clause))
            else:
                lvs.append("repeat" if p >= level.repeat_threshold and same >= level.repeat_threshold
                           else level.level(min(p, level.related_threshold)))
        levels.append(lvs)
    if stories is not None and not related:  # the story rule (verify.story_raise, alerts.raise_story)
        from kiemchung.claims.verify import STORY_MIN_REPEATS

        repeated: dict[tuple[str, str], set[int]] = {}
        confident: dict[tuple[str, str], set[int]] = {}
        for n, ((_, cands), lvs) in enumerate(zip(top, levels, strict=True)):
            for c, lv in zip(cands, lvs, strict=True):
                if lv == "repeat":
                    repeated.setdefault((stories[n], c[5]), set()).add(n)
                    if c[0] >= level.repeat_threshold:
                        confident.setdefault((stories[n], c[5]), set()).add(n)
        for n, ((_, cands), lvs) in enumerate(zip(top, levels, strict=True)):
            if not lvs:
                continue
            key = (stories[n], cands[0][5])
            others = confident.get(key, set()) - {n}
            if ((lvs[0] == "related" and len(repeated.get(key, set()) - {n}) >= STORY_MIN_REPEATS)
                    or (lvs[0] is None and len(others) >= STORY_MIN_REPEATS
                        and (cands[0][6] or (reread is not None and reread.passes(n, others))))):
                lvs[0] = "repeat"
                raised += 1
    for (has, cands), lvs in zip(top, levels, strict=True):
        hit = [c[1] for c, lv in zip(cands, lvs, strict=True) if lv in keep]
        alerts += len(hit)
        right += sum(hit)
        found += any(hit)
        if not has:
            false_no_gold += len(hit)
    return {
        "precision": round(right / alerts, 4) if alerts else 1.0,
        "recall": round(found / max(with_gold, 1), 4),
        "false_alerts_per_1000": round(1000.0 * false_no_gold / max(without, 1), 2),
        "alerts": alerts,
        "false": alerts - right,
        "story_raised": raised,
    }


def evaluate_pairs(path: str | os.PathLike[str], config: MatchConfig | None = None) -> dict:
    """Same-claim decisions (:meth:`ClaimMatcher.same_claim`) on labelled pairs.

    The sentences of the file are indexed first (without labels) so that term weights reflect the
    corpus. Returns ``accuracy``, ``precision``, ``recall``, ``f1``, ``pairs`` and ``semantic``.
    """
    rows = list(read_jsonl(path, ("a", "b", "label")))
    matcher = ClaimMatcher(config)
    seen: dict[str, None] = {}
    for r in rows:
        seen.setdefault(r["a"])
        seen.setdefault(r["b"])
    matcher.add_many((f"s{i}", s) for i, s in enumerate(seen))
    tp = fp = fn = tn = 0
    for r in rows:
        pred = matcher.same_claim(r["a"], r["b"])
        gold = bool(int(r["label"]))
        tp += pred and gold
        fp += pred and not gold
        fn += gold and not pred
        tn += not pred and not gold
    matcher.flush_cache()
    n = len(rows) or 1
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "accuracy": round((tp + tn) / n, 4),
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "pairs": len(rows),
        "semantic": matcher.semantic and matcher.config.pair_semantic_weight > 0,
    }


def evaluate_evidence(path: str | os.PathLike[str], config: MatchConfig | None = None) -> dict:
    """Rank all distinct evidence paragraphs of the file for each claim.

    Returns ``recall_at_1``, ``recall_at_5``, ``claims`` and ``paragraphs``.
    """
    rows = list(read_jsonl(path, ("claim", "evidence")))
    matcher = ClaimMatcher(config)
    para_id: dict[str, str] = {}
    for r in rows:
        if r["evidence"] not in para_id:
            para_id[r["evidence"]] = f"p{len(para_id)}"
            matcher.add(para_id[r["evidence"]], r["evidence"])
    at1 = at5 = 0
    for r in rows:
        ids = [m.entry_id for m in matcher.match(r["claim"], k=5)]
        gold = para_id[r["evidence"]]
        at1 += bool(ids) and ids[0] == gold
        at5 += gold in ids
    n = len(rows) or 1
    return {
        "recall_at_1": round(at1 / n, 4),
        "recall_at_5": round(at5 / n, 4),
        "claims": len(rows),
        "paragraphs": len(para_id),
    }


# --------------------------------------------------------------------------- fitting the blend
def matching_candidates(
    kb_path: str | os.PathLike[str],
    queries_path: str | os.PathLike[str],
    config: MatchConfig | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Re-ranking candidates of every query, for fitting the blend offline.

    Returns ``(query_index, is_gold, features)``: one row per candidate (``features`` columns in the
    order of :data:`~kiemchung.claims.match.FEATURES`); queries whose gold is empty or out of reach
    have no positive row.
    """
    matcher = ClaimMatcher(config)
    matcher.add_many(read_jsonl(kb_path, ("id", "text")))
    qi: list[int] = []
    y: list[bool] = []
    rows: list[list[float]] = []
    for i, q in enumerate(read_jsonl(queries_path, ("text", "gold"))):
        gold = set(q["gold"] or [])
        for doc, f in matcher.candidates(q["text"]):
            qi.append(i)
            y.append(matcher.group_of(doc) in gold)
            rows.append([f[n] for n in FEATURES])
    return (
        np.asarray(qi, np.int64),
        np.asarray(y, np.float64),
        np.asarray(rows, np.float64).reshape(-1, len(FEATURES)),
    )


def fit_blend(
    features: np.ndarray, is_gold: np.ndarray, *, use: tuple[str, ...] = FEATURES, l2: float = 1.0
) -> tuple[tuple[float, ...], float]:
    """Pointwise logistic regression (Newton steps, L2 penalty ``l2`` on the weights, not the bias)
    of "candidate is a gold entry" on the candidate features; features not in ``use`` get weight 0.

    Returns ``(weights over FEATURES, bias)``, ready for :class:`MatchConfig`.
    """
    cols = [FEATURES.index(n) for n in use]
    x = np.hstack([features[:, cols], np.ones((len(features), 1))])
    w = np.zeros(x.shape[1])
    penalty = np.r_[np.full(len(cols), l2), 0.0]
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ w, -40.0, 40.0)))
        grad = x.T @ (p - is_gold) + penalty * w
        hess = (x * (p * (1.0 - p))[:, None]).T @ x + np.diag(penalty + 1e-9)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    weights = [0.0] * len(FEATURES)
    for c, v in zip(cols, w[:-1], strict=True):
        weights[c] = round(float(v), 3)
    return tuple(weights), round(float(w[-1]), 3)
