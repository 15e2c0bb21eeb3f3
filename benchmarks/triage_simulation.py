"""How many confirmed/dismissed alerts does it take for triage to help? (simulation, issue 15)

For a population of posts the product's alert decision is run once (per post: the verifier's best
candidate, its features, whether the matcher matched it, whether it is the right fact-check). Then an
office is simulated: alerts of either level arrive in random order and the editor confirms the right
ones and dismisses the others; after ``n`` labels the decision is recalibrated
(:func:`kiemchung.claims.verify.recalibrate`, as the alert engine does with the installation's
stored triage) and scored on every post (a labelled post counts as its recalibrated decision says;
leaving them out would take the easiest positives out of the recall). Mean over 20 orders.

Populations: ``alerts-dev`` (../shared/data, the distribution the decision was fitted on: triage can
only confirm it) and ``sample`` (the bundled sample's posts and articles after ``kiemchung demo`` +
``factchecks import-sample``: social-media rumours, another style).

    python benchmarks/triage_simulation.py [--population alerts-dev|sample|both] [--json]
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
SIZES = (0, 5, 10, 20, 50, 100, 200)


def _alerts_dev() -> list[tuple[dict, bool, bool, bool]]:
    from kiemchung.claims.evaluate import read_jsonl
    from kiemchung.claims.match import ClaimMatcher
    from kiemchung.claims.verify import AlertDecider

    m = ClaimMatcher()
    m.add_many(read_jsonl(DATA / "alerts-dev-kb.jsonl", ("id", "text")))
    d = AlertDecider(m)
    out = []
    for q in read_jsonl(DATA / "alerts-dev-queries.jsonl", ("text", "gold")):
        _, dec = d.decide(q["text"])
        if dec:
            b = dec[0]
            out.append((b.features, b.match.matched, b.match.entry_id in q["gold"], bool(q["gold"])))
        else:
            out.append((None, False, False, bool(q["gold"])))
    return out


def _sample() -> list[tuple[dict, bool, bool, bool]]:
    from kiemchung.claims.alerts import AlertEngine, document_text
    from kiemchung.claims.match import ClaimMatcher
    from kiemchung.sources.sample import sample_gold
    from kiemchung.store import Database

    gold = sample_gold()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "s.db"
        for argv in (["demo"], ["factchecks", "import-sample"]):
            subprocess.run([sys.executable, "-m", "kiemchung.cli", "--db", str(path), *argv], check=True,
                           capture_output=True)
        db = Database(path)
        engine = AlertEngine(db)
        engine.refresh()
        keys = ClaimMatcher()
        keys.add_many(gold["claims"].items())
        from kiemchung.claims.factchecks import list_factchecks

        fc_key = {str(fc.id): keys.match(fc.claim, k=1)[0].entry_id for fc in list_factchecks(db, limit=100)}
        out = []
        for doc in db.iter_documents():
            item = gold["items"].get(doc.external_id)
            if item is None or item["kind"] == "official":
                continue
            _, dec = engine.decider.decide(document_text(doc))
            has = item.get("claim") is not None
            if dec:
                b = dec[0]
                out.append((b.features, b.match.matched, fc_key[b.match.entry_id] == item.get("claim"), has))
            else:
                out.append((None, False, False, has))
        db.close()
    return out


def simulate(rows, sizes=SIZES, runs: int = 20) -> list[dict]:
    from kiemchung.claims.verify import DEFAULT_MODEL, recalibrate

    base = DEFAULT_MODEL
    n_gold = sum(1 for r in rows if r[3])
    n_none = sum(1 for r in rows if not r[3]) or 1
    alerted = [i for i, r in enumerate(rows) if r[0] is not None and base.level(base.probability(r[0]), r[1])]
    out = []
    for n in sorted({*(n for n in sizes if n < len(alerted)), len(alerted)}):  # up to every alert labelled
        tot = {"precision": 0.0, "recall": 0.0, "false_alerts_per_1000": 0.0}
        for run in range(runs):
            order = alerted[:]
            random.Random(run).shuffle(order)
            labelled = order[:n]
            model = recalibrate(base, [(rows[i][0], rows[i][2]) for i in labelled])
            right = wrong = false_none = 0
            for f, matched, ok, has in rows:
                if f is None or model.level(model.probability(f), matched) != "repeat":
                    continue
                right += ok
                wrong += not ok
                false_none += not has
            tot["precision"] += right / (right + wrong) if right + wrong else 1.0
            tot["recall"] += right / max(n_gold, 1)
            tot["false_alerts_per_1000"] += 1000.0 * false_none / n_none
        out.append({"labels": n, **{k: round(v / runs, 4) for k, v in tot.items()}})
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--population", default="both", choices=("alerts-dev", "sample", "both"))
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    result = {}
    if args.population in ("alerts-dev", "both"):
        result["alerts-dev"] = simulate(_alerts_dev())
    if args.population in ("sample", "both"):
        result["sample"] = simulate(_sample())
    if args.json:
        print(json.dumps(result))
        return
    for name, points in result.items():
        print(name)
        for p in points:
            print(f"  {p['labels']:>4} labels: precision {p['precision']:.3f}  recall {p['recall']:.3f}  "
                  f"false alerts/1000 {p['false_alerts_per_1000']:.2f}")


if __name__ == "__main__":
    main()
