"""Alerts on the bundled sample, scored against its gold claim labels.

Runs what a user runs (``kiemchung demo``, ``factchecks import-sample``, ``alerts scan``) in a fresh
database, then counts, per alert level, the alerted items that repeat the alerted fact-check's claim
(gold ``claim`` of the item, matched by external id or URL), the official statements and the items
of no claim that were alerted, and the claim-bearing posts and articles that were missed.

    python benchmarks/sample_alerts.py [--keep DIR] [--json] [--explain]

``--explain`` prints, for every claim-bearing post that is not alerted "repeat" and for every other
item that is alerted at either level, the post, its style and gold claim, the text the decision reads
(without chatter and framing) and its folded, teencode-expanded syllables, and the verifier's reading
of its best candidates (probability, level, the matcher's score and whether it matched, the pair
features, the phrasing's syllables, the syllables and bigrams both share, the post's unshared
syllables and the weight of each syllable): why each miss misses.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path


def run(db: Path, explain: bool = False) -> dict:
    from kiemchung.claims.tables import alerts, factchecks
    from kiemchung.sources.sample import sample_gold
    from kiemchung.store import Database

    for argv in (["demo"], ["factchecks", "import-sample"], ["alerts", "scan"]):
        subprocess.run([sys.executable, "-m", "kiemchung.cli", "--db", str(db), *argv], check=True,
                       capture_output=True, text=True)
    gold = sample_gold()
    by_url = {v["url"]: (k, v) for k, v in gold["items"].items() if v.get("url")}
    claim_of_text = {text: key for key, text in gold["claims"].items()}
    database = Database(db)
    from sqlalchemy import select

    with database.read() as conn:
        fc_claim = {r.id: r.claim for r in conn.execute(select(factchecks.c.id, factchecks.c.claim))}
        rows = conn.execute(select(alerts.c.doc_id, alerts.c.factcheck_id, alerts.c.level)).all()
    docs = {d.id: d for d in database.iter_documents()}

    def item(doc):
        if doc.external_id in gold["items"]:
            return doc.external_id, gold["items"][doc.external_id]
        return by_url.get(doc.url, (None, None))

    fc_key = {}
    for fid, claim in fc_claim.items():  # the sample fact-checks state the gold claims (maybe reworded)
        from kiemchung.claims.match import ClaimMatcher

        m = ClaimMatcher()
        m.add_many((k, t) for k, t in gold["claims"].items())
        best = m.match(claim, k=1)
        fc_key[fid] = best[0].entry_id if best else claim_of_text.get(claim)
    out: dict = {}
    alerted: dict[str, set[int]] = {"repeat": set(), "related": set()}
    for level in ("repeat", "related"):
        right = wrong = official = unrelated = 0
        for doc_id, fid, lvl in rows:
            if lvl != level:
                continue
            alerted[level].add(doc_id)
            _, g = item(docs[doc_id])
            if g is None:
                unrelated += 1
                continue
            if g["kind"] == "official":
                official += 1
            elif g.get("claim") == fc_key[fid]:
                right += 1
            elif g.get("claim") is None:
                unrelated += 1
            else:
                wrong += 1
        out[level] = {"right": right, "wrong_factcheck": wrong, "official": official, "unrelated": unrelated}
    missed = {"post": [], "article": []}
    bearing = {"post": 0, "article": 0}
    for doc in docs.values():
        key, g = item(doc)
        if g is None or g.get("claim") is None or g["kind"] == "official":
            continue
        bearing[g["kind"]] = bearing.get(g["kind"], 0) + 1
        if doc.id not in alerted["repeat"]:
            missed.setdefault(g["kind"], []).append(key)
    out["claim_items"] = bearing
    out["missed_repeat"] = {k: len(v) for k, v in missed.items()}
    out["missed_ids"] = missed
    if explain:
        out["explain"] = _explain(database, docs, item, fc_key, alerted, missed)
    database.close()
    return out


def _explain(database, docs, item, fc_key, alerted, missed) -> list[dict]:
    """The verifier's reading of each missed rumour post and each alerted item without that claim."""
    from kiemchung.claims.alerts import AlertEngine, document_text
    from kiemchung.claims.verify import Side, _tokens, reading

    engine = AlertEngine(database)
    engine.refresh()
    missed_ids = {k for ids in missed.values() for k in ids}
    rows = []
    for doc in docs.values():
        key, g = item(doc)
        if key not in missed_ids and doc.id not in alerted["repeat"] | alerted["related"]:
            continue
        if key not in missed_ids and g is not None and g.get("claim") is not None and g["kind"] != "official":
            continue  # a claim-bearing item alerted "repeat" or "related": shown only when missed
        decider = engine.decider
        _, decisions = decider.decide(document_text(doc), k=5)
        clean = reading(document_text(doc))
        q = Side.of(_tokens(clean), decider.weights) if clean else None

        def terms(d) -> dict:
            """What the verifier compared: the phrasing's folded syllables, the shared syllables and
            bigrams, the post's unshared syllables (heaviest first) and the weight of each."""
            e = decider._phrasing(d.match.phrasing_id)
            return {"phrasing": " ".join(e.tokens), "shared": sorted(q.syl & e.syl), "shared_bigrams": sorted(q.big & e.big),
                    "post_only": sorted(q.syl - e.syl, key=lambda t: -q.weight[t]),
                    "weights": {t: round(q.weight[t], 2) for t in q.tokens}}

        rows.append({
            "id": key, "kind": doc.kind, "style": (g or {}).get("style"), "claim": (g or {}).get("claim"),
            "text": document_text(doc)[:300], "read_as": clean[:300],
            "syllables": " ".join(q.tokens) if q else "",
            "candidates": [{"claim": fc_key.get(int(d.match.entry_id)), "probability": round(d.probability, 4),
                            "level": d.level, "matcher_score": round(d.match.score, 4), "matched": d.match.matched,
                            "clause": d.clause,
                            "features": {k: round(v, 3) for k, v in d.features.items()}, **terms(d)}
                           for d in decisions],
        })
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--keep", type=Path, help="directory for the database (kept)")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--explain", action="store_true", help="the verifier's reading of every miss (see above)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        d = args.keep or Path(tmp)
        d.mkdir(parents=True, exist_ok=True)
        figures = run(d / "sample.db", args.explain)
    print(json.dumps(figures, ensure_ascii=False, indent=None if args.json else 1))


if __name__ == "__main__":
    main()
