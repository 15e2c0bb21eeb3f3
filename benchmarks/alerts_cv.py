"""Fit the alert decision on alerts-dev and measure it in cross-validation split by knowledge-base entry.

Reproduces ``kiemchung.claims.verify.DEFAULT_MODEL``: for each post the matcher's best candidate
(lexical, the product's default) and the verifier's pair features against its phrasing, with term
weights from a background (default: the RSS year's odd lines, which alerts-dev does not use);
logistic regression (L2 1) of "the candidate is the post's gold fact-check", ``neg_diff`` fixed at
-1 (a governed negation counts 1, a denial phrase 3) and ``num_one_side`` at 0 (a number only one side
states is no conflict); five folds, every post of one KB entry (its gold entry, else its best candidate) in the same
fold, so a claim is never seen in training and test. Prints the weights and the precision/recall
curve of the product's rule on the held-out folds, counted as the alert engine records alerts: the
most probable of the verified candidates (the matcher's best three) is a "repeat" alert when it
reaches t, or t/5 when the matcher matched it; another when it reaches t on its own and its fact-check
states the same claim as the first's; precision is over all those alerts (a post may alert on two
fact-checks), recall over posts with gold.

    python benchmarks/alerts_cv.py [--data DIR] [--no-background] [--json]
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
NEG_WEIGHT = -1.0
FIXED = {"neg_diff": NEG_WEIGHT, "num_one_side": 0.0}  # set by hand, not fitted
THRESHOLDS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98)


def rows(data: Path, background: bool) -> list[tuple[list[tuple[dict, bool, bool, float]], bool, str]]:
    """Per post: (its verified candidates as (features, matched, right, same claim as the first), in
    the matcher's order; has gold; fold key). The matcher's best candidate is the one the weights are
    fitted on (as before); all of them are scored, as the alert engine records an alert for each that
    reaches a level. "Same claim" is the shipped verifier's reading of the two fact-checks' phrasings
    (a property of the knowledge base, not of the post)."""
    from kiemchung.claims.evaluate import read_jsonl
    from kiemchung.claims.match import ClaimMatcher
    from kiemchung.claims.verify import AlertDecider, Side, _tokens, read_background, reading

    bg = read_background(data / "rss-2025-2026.jsonl.gz", lines="odd") if background else None
    m = ClaimMatcher()
    kb = list(read_jsonl(data / "alerts-dev-kb.jsonl", ("id", "text")))
    m.add_many(kb)
    decider = AlertDecider(m, bg, texts={r["id"]: r["text"] for r in kb})
    out = []
    for q in read_jsonl(data / "alerts-dev-queries.jsonl", ("text", "gold")):
        res, decisions = decider.decide(q["text"], k=decider.top)
        rank = {r.entry_id: i for i, r in enumerate(res)}  # the matcher's order: its best first, as fitted
        decisions.sort(key=lambda d: rank[d.match.entry_id])
        # "states an assertion" of the candidate's claim (decided for the most probable one only)
        q_side = Side.of(_tokens(reading(q["text"])), decider.weights) if decisions else None
        cands = [(d.features, d.match.matched, d.match.entry_id in q["gold"], d.same_claim,
                  decider.clause(q_side, d.match.phrasing_id, d.features)) for d in decisions]
        key = q["gold"][0] if q["gold"] else (res[0].entry_id if res else q["id"])
        out.append((cands, bool(q["gold"]), key))
    return out


def arguments(doc: str | None) -> argparse.Namespace:
    """The options of the scripts that read alerts-dev's rows (this one and sample_alert_bound.py)."""
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--no-background", action="store_true")
    ap.add_argument("--json", action="store_true")
    return ap.parse_args()


def main() -> None:
    from kiemchung.claims.verify import DEFAULT_MODEL, PAIR_FEATURES, fit_logistic

    args = arguments(__doc__)
    data = rows(args.data, not args.no_background)
    use = [n for n in PAIR_FEATURES if n not in FIXED]

    def design(fs: list[dict]) -> np.ndarray:
        return np.array([[f[n] for n in use] + [1.0] for f in fs]).reshape(len(fs), len(use) + 1)

    fold = np.array([int(hashlib.md5(key.encode()).hexdigest(), 16) % 5 for _, _, key in data])
    first = [i for i, (c, _, _) in enumerate(data) if c]  # the fit: each post's matcher-best candidate
    x = design([data[i][0][0][0] for i in first])
    y = np.array([float(data[i][0][0][2]) for i in first])
    fits = []
    for k in range(5):
        tr = fold[first] != k
        fits.append(np.array(fit_logistic(x[tr].tolist(), y[tr].tolist())))
    # held-out probability of every verified candidate (the fit of the fold that did not see the post)
    probs = []
    for i, (cands, _, _) in enumerate(data):
        if not cands:
            probs.append([])
            continue
        fs = [f for f, _, _, _, _ in cands]
        z = design(fs) @ fits[fold[i]] + NEG_WEIGHT * np.array([f["neg_diff"] for f in fs])
        probs.append((1.0 / (1.0 + np.exp(-z))).tolist())
    w = fit_logistic(x.tolist(), y.tolist())
    weights = {n: round(v, 3) for n, v in zip(use, w[:-1], strict=True)} | FIXED
    n_gold = sum(1 for _, has, _ in data if has)
    n_none = len(data) - n_gold

    def curve_of(every: bool) -> list[dict]:
        """The curve; ``every``: the matcher's relaxation for every candidate (the rule before
        2026-12-05 evening), else for the most probable one only (the product's rule)."""
        points = []
        for t in THRESHOLDS:
            model = DEFAULT_MODEL.replace(repeat_threshold=t, related_threshold=min(t, DEFAULT_MODEL.related_threshold))
            alerts = right = false_none = found = 0
            for (cands, has, _), ps in zip(data, probs, strict=True):
                order = sorted(range(len(ps)), key=lambda j: -ps[j])  # as AlertDecider.decide: most probable first
                hit = []
                for r, j in enumerate(order):
                    f, matched, ok, same, clause = cands[j]
                    if every:  # before: every candidate judged as the first
                        rep = model.level(ps[j], matched) == "repeat"
                    elif r == 0:
                        rep = model.level(ps[j], matched, clause) == "repeat"
                    else:  # another fact-check: the threshold on its own and the first's claim
                        rep = ps[j] >= t and same >= t
                    if rep:
                        hit.append(ok)
                alerts += len(hit)
                right += sum(hit)
                found += any(hit)
                false_none += 0 if has else len(hit)
            points.append({"threshold": t, "precision": round(right / alerts, 4) if alerts else 1.0,
                           "recall": round(found / n_gold, 4),
                           "false_alerts_per_1000": round(1000.0 * false_none / n_none, 2)})
        return points

    curve = curve_of(False)
    out = {"weights": [weights[n] for n in PAIR_FEATURES], "bias": round(w[-1], 3), "cv_curve": curve,
           "cv_curve_relaxed_every_candidate": curve_of(True)}
    if args.json:
        print(json.dumps(out))
        return
    print("weights", dict(zip(PAIR_FEATURES, out["weights"], strict=True)), "bias", out["bias"])
    for title, points in (("product rule", curve), ("relaxed for every candidate (before)",
                                                     out["cv_curve_relaxed_every_candidate"])):
        print(title)
        for p in points:
            print(f"  t={p['threshold']:.2f}  precision {p['precision']:.4f}  recall {p['recall']:.4f}  "
                  f"false alerts/1000 {p['false_alerts_per_1000']:.2f}")


if __name__ == "__main__":
    main()
