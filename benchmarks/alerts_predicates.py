"""Does a post keep its claim's *predicates*? A signal measured on alerts-dev and not kept.

The idea (2026-12-07): a claim's assertion lives mostly in its predicates (verbs and adjectives:
"nứt", "sập", "nhiễm độc", "cho nghỉ"), its subject in its nouns and names; a related sentence about
the same subject would share the nouns but not the predicates, a rewording would keep the predicates.
Posts are often unaccented lower case, where part-of-speech tagging fails, so only the fact-check
side is tagged (underthesea ``pos_tag``, offline; knowledge-base phrasings are accented); the
predicate words (tags V and A, function words such as "bị", "được" left out) are folded with the text
layer, and ``pcov`` is the background-weighted share of those syllables (``--bigrams``: and of the
bigrams inside multi-syllable predicates) found in the post's folded, teencode-normalised syllables,
beside ``qcov``/``ecov`` (``verify.side_features``).

Measured among alerts-dev's posts whose most probable candidate (``AlertDecider.decide``, default
model, no background, as ``eval matching``) is their own claim: ROC AUC of each signal between the
rewordings (gold) and the related sentences (the other sentence of the claim's vnPara pair), overall
and in the band where the story rule acts under the related level (no conflict, not alerted on its
own, probability 0.005-0.1). The margin over the next candidate is printed for comparison (its band
AUC, 0.83, is what the criterion of "A post that points at one claim" weighed), and ``ncov``: the
same share over the claim's non-predicate content syllables (its subject). Leave-one-out logistic
fits inside the band show what ``pcov`` adds to the margin and the probability.

    python benchmarks/alerts_predicates.py [--kb …] [--queries …] [--json]

docs/matching.md, "Predicates of the claim (session 15)", holds the figures.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
PREDICATE_TAGS = frozenset({"V", "A"})


def predicate_terms(tagged: list[tuple[str, str]], tags=PREDICATE_TAGS) -> tuple[set[str], set[str]]:
    """Folded syllables (function words left out) and in-word bigrams of the words tagged ``tags``."""
    from kiemchung.claims.verify import _FUNCTION_WORDS, _tokens
    from kiemchung.text import bigrams

    syl: set[str] = set()
    big: set[str] = set()
    for word, tag in tagged:
        if tag not in tags:
            continue
        toks = _tokens(word)
        syl.update(t for t in toks if t not in _FUNCTION_WORDS)
        if len(toks) > 1:
            big.update(bigrams(toks))
    return syl, big


def subject_terms(tagged: list[tuple[str, str]]) -> set[str]:
    """Folded content syllables of the words not tagged as predicates (nouns, names, numbers...)."""
    from kiemchung.claims.verify import _FUNCTION_WORDS, _tokens

    pred, _ = predicate_terms(tagged)
    return {t for w, tag in tagged if tag != "CH" for t in _tokens(w) if t not in _FUNCTION_WORDS} - pred


def share(terms: set[str], held: frozenset[str], weigh) -> float | None:
    """Weighted share of ``terms`` in ``held`` (None when there are no terms)."""
    total = sum(weigh(t) for t in terms)
    return sum(weigh(t) for t in terms if t in held) / total if total else None


def auc(pos: list[float], neg: list[float]) -> float | None:
    """ROC AUC: the chance that a positive scores over a negative (ties count half)."""
    if not pos or not neg:
        return None
    s = sum(1.0 if a > b else 0.5 if a == b else 0.0 for a in pos for b in neg)
    return round(s / (len(pos) * len(neg)), 3)


def loo_auc(rows: list[dict], features) -> float | None:
    """AUC of a logistic fit (``verify.fit_logistic``) scored leave-one-out over ``rows``."""
    from kiemchung.claims.verify import fit_logistic

    scores = []
    for i, r in enumerate(rows):
        rest = [x for j, x in enumerate(rows) if j != i]
        w = fit_logistic([[*features(x), 1.0] for x in rest], [float(x["rewording"]) for x in rest])
        scores.append(sum(a * b for a, b in zip(w, [*features(r), 1.0], strict=True)))
    return auc([s for s, r in zip(scores, rows, strict=True) if r["rewording"]],
               [s for s, r in zip(scores, rows, strict=True) if not r["rewording"]])


def collect(kb_path: Path, queries_path: Path) -> tuple[list[dict], float, int]:
    """One row per vnPara post whose most probable candidate is its own claim; the seconds spent tagging
    and the number of claims tagged."""
    from underthesea import pos_tag

    from kiemchung.claims.evaluate import read_jsonl
    from kiemchung.claims.match import ClaimMatcher
    from kiemchung.claims.verify import AlertDecider, Side, _tokens, conflict
    from kiemchung.text.framing import strip_framing

    kb = list(read_jsonl(kb_path, ("id", "text")))
    texts = {r["id"]: r["text"] for r in kb}
    matcher = ClaimMatcher()
    matcher.add_many(kb)
    decider = AlertDecider(matcher, None, None, texts=texts)
    tagged: dict[str, list[tuple[str, str]]] = {}
    tag_s = 0.0
    rows = []
    for q in read_jsonl(queries_path, ("text", "gold")):
        pid = str(q.get("id", ""))
        if not (pid.startswith("vnpara-") and pid.endswith("-post")):
            continue
        own = pid[: -len("-post")] + "-claim"
        _, ds = decider.decide(q["text"], k=10)
        if not ds or str(ds[0].match.entry_id) != own:
            continue
        if own not in tagged:
            t = time.perf_counter()
            tagged[own] = [(w, tag) for w, tag in pos_tag(texts[own])]
            tag_s += time.perf_counter() - t
        d, post = ds[0], Side.of(_tokens(strip_framing(q["text"])), decider.weights)
        pred, pred_big = predicate_terms(tagged[own])
        verbs, _ = predicate_terms(tagged[own], frozenset({"V"}))
        rows.append({
            "rewording": bool(q["gold"]), "p": d.probability, "level": d.level,
            "conflict": conflict(d.features),
            "margin": d.probability / max(ds[1].probability if len(ds) > 1 else 0.0, 1e-9),
            "qcov": d.features["qcov"], "ecov": d.features["ecov"],
            "pcov": share(pred, post.syl, decider.weights),
            "pcov_bigrams": share(pred | pred_big, post.syl | post.big, decider.weights),
            "pcov_verbs": share(verbs, post.syl, decider.weights),
            "ncov": share(subject_terms(tagged[own]), post.syl, decider.weights),
        })
    return rows, tag_s, len(tagged)


SIGNALS = ("margin", "p", "qcov", "ecov", "pcov", "pcov_bigrams", "pcov_verbs", "ncov")


def report(rows: list[dict]) -> dict:
    """AUCs overall and in the band under the related level, medians, leave-one-out fits in the band."""
    band = [r for r in rows if r["level"] is None and not r["conflict"] and 0.005 <= r["p"] < 0.1]
    out = {}
    for name, sel in (("all", rows), ("band", band)):
        sel = [r for r in sel if r["pcov"] is not None]
        pos = [r for r in sel if r["rewording"]]
        neg = [r for r in sel if not r["rewording"]]
        out[name] = {"rewordings": len(pos), "related": len(neg),
                     "auc": {s: auc([r[s] for r in pos if r[s] is not None], [r[s] for r in neg if r[s] is not None])
                             for s in SIGNALS},
                     "median_pcov": {"rewordings": round(statistics.median(r["pcov"] for r in pos), 3) if pos else None,
                                     "related": round(statistics.median(r["pcov"] for r in neg) if neg else 0, 3)}}
    band = [r for r in band if r["pcov"] is not None]

    def lm(r):
        return math.log(max(r["margin"], 1e-3))

    out["band"]["loo_logistic_auc"] = {
        "log margin": loo_auc(band, lambda r: [lm(r)]),
        "log margin + pcov": loo_auc(band, lambda r: [lm(r), r["pcov"]]),
        "log margin + log p": loo_auc(band, lambda r: [lm(r), math.log(r["p"])]),
        "log margin + log p + pcov": loo_auc(band, lambda r: [lm(r), math.log(r["p"]), r["pcov"]]),
    }
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kb", type=Path, default=DATA / "alerts-dev-kb.jsonl")
    ap.add_argument("--queries", type=Path, default=DATA / "alerts-dev-queries.jsonl")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    rows, tag_s, n_tagged = collect(args.kb, args.queries)
    out = report(rows)
    out["pos_tag_seconds"] = round(tag_s, 1)
    out["claims_tagged"] = n_tagged
    print(json.dumps(out, indent=None if args.json else 1, ensure_ascii=False))
    print(f"pos_tag: {tag_s:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
