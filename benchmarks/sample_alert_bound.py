"""How many alerts-dev false alerts a word-overlap verifier must raise to alert every sample rumour.

For each claim-bearing post of the bundled sample that the product does not alert "repeat"
(``benchmarks/sample_alerts.py``), take the verifier's features against its gold fact-check; count the
alerts-dev posts without a match whose matcher-best candidate has at least the same coverage shares
(``qcov``, ``ecov``, ``qbcov``, ``ebcov``) and matcher score, no more rare words missing and no number or
negation conflict the missed post does not have. A verifier that never gives such a pair a lower
probability (the shipped logistic blend, whose weights have those signs; only ``len_ratio`` is left to
tell them apart) and alerts every missed post also alerts those posts. Prints their number, the posts
alerted wrongly today at "repeat", and the false alerts per 1,000 posts without a match of the union:
a lower bound for any such verifier that meets the sample target (docs/matching.md, "Why a lexical
verifier cannot get there").

    python benchmarks/sample_alert_bound.py [--data DIR] [--no-background] [--json]
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

COVER = ("qcov", "ecov", "qbcov", "ebcov", "score")
PENALTY = ("rare_q_miss", "rare_e_miss", "num_diff", "neg_diff")


def dominates(g: dict, f: dict) -> bool:
    """``g`` overlaps at least as much as ``f`` and has no penalty ``f`` does not have."""
    return all(g[k] >= f[k] for k in COVER) and all(g[k] <= f[k] for k in PENALTY)


def main() -> None:
    import alerts_cv
    import sample_alerts

    from kiemchung.claims.verify import DEFAULT_MODEL

    args = alerts_cv.arguments(__doc__)

    with tempfile.TemporaryDirectory() as tmp:
        sample = sample_alerts.run(Path(tmp) / "sample.db", explain=True)
    missed = []  # features of each missed rumour post against its own fact-check
    for row in sample["explain"]:
        if row["claim"] is None or row["kind"] == "official":
            continue
        own = [c for c in row["candidates"] if c["claim"] == row["claim"]]
        if own:
            missed.append((row["text"], own[0]["features"]))
    data = alerts_cv.rows(args.data, not args.no_background)
    m = DEFAULT_MODEL
    negatives = [(i, cands[0][0]) for i, (cands, has, _) in enumerate(data) if not has and cands]
    wrong_today = set()
    for i, (cands, has, _) in enumerate(data):
        if has or not cands:
            continue
        ps = [m.probability(c[0]) for c in cands]
        top = max(range(len(ps)), key=lambda j: ps[j])
        others = (j for j in range(len(ps)) if j != top)  # as AlertDecider.decide judges a second one
        if m.level(ps[top], cands[top][1], cands[top][4]) == "repeat" or any(
                ps[j] >= m.repeat_threshold and cands[j][3] >= m.repeat_threshold for j in others):
            wrong_today.add(i)
    below = set()
    for _, f in missed:
        below |= {i for i, g in negatives if dominates(g, f)}
    n_none = sum(1 for _, has, _ in data if not has)
    out = {
        "sample_missed_repeat": len(missed),
        "alerts_dev_posts_at_least_as_close": len(below),
        "alerts_dev_posts_wrong_today": len(wrong_today),
        "union": len(below | wrong_today),
        "false_alerts_per_1000_at_least": round(1000.0 * len(below | wrong_today) / n_none, 2),
        "posts_without_match": n_none,
    }
    print(json.dumps(out, indent=None if args.json else 1))


if __name__ == "__main__":
    main()
