"""Fit the alert decision on alerts-dev and measure it in cross-validation split by knowledge-base entry.

Reproduces ``kiemchung.claims.verify.DEFAULT_MODEL``: for each post the matcher's best candidate
(lexical, the product's default) and the verifier's pair features against its phrasing, with term
weights from a background (default: the RSS year's odd lines, which alerts-dev does not use);
logistic regression (L2 1) of "the candidate is the post's gold fact-check", ``neg_diff`` fixed at
-1; five folds, every post of one KB entry (its gold entry, else its best candidate) in the same
fold, so a claim is never seen in training and test. Prints the weights and the precision/recall
curve of the rule "P >= t, or P >= t/5 when the matcher matched" on the held-out folds.

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
THRESHOLDS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98)


def rows(data: Path, background: bool) -> list[tuple[dict, bool, bool, bool, str]]:
    from kiemchung.claims.evaluate import read_jsonl
    from kiemchung.claims.match import ClaimMatcher
    from kiemchung.claims.verify import TermWeights, _tokens, pair_features, read_background

    bg = read_background(data / "rss-2025-2026.jsonl.gz", lines="odd") if background else None
    m = ClaimMatcher()
    m.add_many(read_jsonl(data / "alerts-dev-kb.jsonl", ("id", "text")))
    w = TermWeights(bg, m.term_df, len(m))
    out = []
    for q in read_jsonl(data / "alerts-dev-queries.jsonl", ("text", "gold")):
        res = m.match(q["text"], k=1, explain_unmatched=False)
        if not res:
            out.append((None, False, False, bool(q["gold"]), q["gold"][0] if q["gold"] else q["id"]))
            continue
        r = res[0]
        f = pair_features(_tokens(q["text"]), m.phrasing_tokens(r.phrasing_id), w, r.score)
        key = q["gold"][0] if q["gold"] else r.entry_id
        out.append((f, r.matched, r.entry_id in q["gold"], bool(q["gold"]), key))
    return out


def main() -> None:
    from kiemchung.claims.verify import PAIR_FEATURES, fit_logistic

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--no-background", action="store_true")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    data = rows(args.data, not args.no_background)
    use = [n for n in PAIR_FEATURES if n != "neg_diff"]
    keep = [r for r in data if r[0] is not None]
    x = np.array([[r[0][n] for n in use] + [1.0] for r in keep])
    neg = np.array([r[0]["neg_diff"] for r in keep])
    y = np.array([float(r[2]) for r in keep])
    fold = np.array([int(hashlib.md5(r[4].encode()).hexdigest(), 16) % 5 for r in keep])
    prob = np.zeros(len(y))
    for k in range(5):
        tr = fold != k
        w = np.array(fit_logistic(x[tr].tolist(), y[tr].tolist()))
        prob[~tr] = 1.0 / (1.0 + np.exp(-(x[~tr] @ w + NEG_WEIGHT * neg[~tr])))
    w = fit_logistic(x.tolist(), y.tolist())
    weights = {n: round(v, 3) for n, v in zip(use, w[:-1], strict=True)} | {"neg_diff": NEG_WEIGHT}
    matched = np.array([r[1] for r in keep])
    has = np.array([r[3] for r in keep])
    n_gold = sum(1 for r in data if r[3])
    n_none = len(data) - n_gold
    curve = []
    for t in THRESHOLDS:
        a = (prob >= t) | (matched & (prob >= t / 5.0))
        tp = int((a & (y == 1)).sum())
        fp = int((a & (y == 0)).sum())
        fpn = int((a & (y == 0) & ~has).sum())
        curve.append({"threshold": t, "precision": round(tp / (tp + fp), 4) if tp + fp else 1.0,
                      "recall": round(tp / n_gold, 4), "false_alerts_per_1000": round(1000.0 * fpn / n_none, 2)})
    out = {"weights": [weights[n] for n in PAIR_FEATURES], "bias": round(w[-1], 3), "cv_curve": curve}
    if args.json:
        print(json.dumps(out))
        return
    print("weights", dict(zip(PAIR_FEATURES, out["weights"], strict=True)), "bias", out["bias"])
    for p in curve:
        print(f"  t={p['threshold']:.2f}  precision {p['precision']:.4f}  recall {p['recall']:.4f}  "
              f"false alerts/1000 {p['false_alerts_per_1000']:.2f}")


if __name__ == "__main__":
    main()
