"""The story rule when claims spread: alerts-dev with copies of its claims among the posts.

alerts-dev has one post per claim, so no story there holds copies of a rumour and ``kiemchung eval
matching`` shows only what the story rule (``verify.story_raise``) costs on topical stories. Here a
share of the knowledge base's claims *spread*: each chosen claim is posted twice (as written, and
folded to lower case without diacritics, as rumours circulate; with ``--rewordings``, as written and
as its rewording from the queries, folded: two wordings), at seeded random places among the 9,541
posts; everything goes through the product's story clusterer (as ``eval matching`` does: social
posts, file order, no dates); the copies are confident repeats of their claim, and a post whose most
probable candidate is that claim, in their story, can be raised. Only the original posts are scored
(alert precision, recall, false alerts per 1,000 posts without gold), for:

* ``related_only``: the story rule before 2026-12-06 evening ("related" on its own, two other repeats
  of the same fact-check);
* ``floor F``: that, and a post *under* the related level raised too when at least two other posts of
  its story repeat the fact-check with a probability of at least the repeat threshold, its own
  probability is at least F and it has no conflict (``verify.conflict``). The product's floor
  (``verify.STORY_FLOOR``, 0.05) is the lowest F whose false alerts per 1,000 stay within the target
  (5) at every share and seed where ``related_only`` does (docs/matching.md, "Under the related level";
  with session 17's stories it no longer is at share 0.25: "Names a story establishes"). Since
  2026-12-07 this is the product's rule with the names a story establishes
  (``verify.story_names``): a post under F is raised too when its reading with the names of the
  claim that it speaks of by their kind ("cầu mới" for "Cầu Giang Khẩu 2"), stated by two different
  wordings among the story's confident repeats, reaches F (``AlertDecider.named``);
  ``floor F without names`` is the rule before;
* ``floor F xR`` (``--margins F:R``, without names): the same, and the post's probability is also at
  least R times its next candidate's (a post that points at one claim; measured 2026-12-06 night and
  not kept: docs/matching.md, "A post that points at one claim").

The clusterer decides which posts share a story with the copies, so a claim's *related sentence* (the
other sentence of its vnPara pair, saying something else) often is not in it. ``--forced`` adds two
placements of that adversary, added to the story of the claim's first copy (the other stories as the
clusterer made them): ``forced_related``, each spreading claim's related sentence (when its most probable
candidate is that claim); ``forced_all``, every post whose most probable candidate is a spreading claim
(news titles and rewordings too).

    python benchmarks/alerts_spread.py [--shares 0,0.05,0.1,0.25,0.5,1] [--floors 0.05,0.02] \
        [--margins 0.0125:10,0.02:8] [--seeds 15] [--forced] [--no-scope] [--rewordings] [--json]

A conflict (``verify.conflict``: numbers, negation, and since 2026-12-07 a duration or scope that
differs, ``scope_diff``) keeps a post from being raised under the related level; ``--no-scope`` scores
every rule a second time without ``scope_diff`` (suffix ``no_scope``).

The decisions are the product's (``AlertDecider`` with the default model, no background, as ``eval
matching``'s default); only the story step is re-applied per share.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def _decide(decider, text: str) -> list[dict]:
    from kiemchung.claims.verify import conflict, wording

    _, ds = decider.decide(text, k=10)
    out = [{"fc": str(d.match.entry_id), "p": d.probability, "matched": d.match.matched, "clause": d.clause,
            "same": d.same_claim, "conflict": conflict(d.features),
            "conflict_no_scope": bool(d.features["neg_diff"] or d.features["num_diff"])} for d in ds]
    if ds:  # for the names a story establishes (verify.story_names)
        out[0].update(named=ds[0].named, decision=ds[0], tokens=list(wording(text)))
    return out


def _levels(model, ds: list[dict]) -> list[str | None]:
    """As AlertDecider.decide: the matcher's agreement helps the first candidate only; another is a
    "repeat" when it reaches the threshold and states the first's claim."""
    out = []
    for i, c in enumerate(ds):
        if i == 0:
            out.append(model.level(c["p"], c["matched"], c["clause"]))
        else:
            out.append("repeat" if c["p"] >= model.repeat_threshold and c["same"] >= model.repeat_threshold
                       else model.level(min(c["p"], model.related_threshold)))
    return out


def _over(ds: list[dict], floor: float, margin: float) -> bool:
    """As verify.story_floor_ok: probability at least ``floor`` and ``margin`` times the next candidate's."""
    nxt = ds[1]["p"] if len(ds) > 1 else 0.0
    return ds[0]["p"] >= floor and ds[0]["p"] >= margin * nxt


def _score(posts: list[dict], stories: list[str], model, floor: float | None, margin: float = 0.0,
           key_conflict: str = "conflict", decider=None) -> dict:
    """Alert figures of the original posts with the story rule; ``decider``: also raise a post under the
    floor whose reading with the names its story establishes (``AlertDecider.named`` over the
    confident repeats' syllables) passes ``story_floor_ok``, as the product does."""
    from kiemchung.claims.verify import STORY_MIN_REPEATS, story_floor_ok

    levels = [_levels(model, p["ds"]) for p in posts]
    repeats: dict[tuple[str, str], set[int]] = {}
    confident: dict[tuple[str, str], set[int]] = {}
    for n, (p, lvs) in enumerate(zip(posts, levels, strict=True)):
        for c, lv in zip(p["ds"], lvs, strict=True):
            if lv == "repeat":
                repeats.setdefault((stories[n], c["fc"]), set()).add(n)
                if c["p"] >= model.repeat_threshold:
                    confident.setdefault((stories[n], c["fc"]), set()).add(n)
    raised = 0
    for n, (p, lvs) in enumerate(zip(posts, levels, strict=True)):
        if not lvs or lvs[0] == "repeat":
            continue
        c, key = p["ds"][0], (stories[n], p["ds"][0]["fc"])
        if lvs[0] == "related" and len(repeats.get(key, set()) - {n}) >= STORY_MIN_REPEATS:
            lvs[0] = "repeat"
            raised += 1
        elif (floor is not None and len(confident.get(key, set()) - {n}) >= STORY_MIN_REPEATS
              and _over(p["ds"], floor, margin) and not c[key_conflict]):
            lvs[0] = "repeat"
            raised += 1
        elif (decider is not None and floor is not None and not c[key_conflict] and c.get("named", 0) >= floor
              and len(confident.get(key, set()) - {n}) >= STORY_MIN_REPEATS):
            reps = [posts[m]["ds"][0]["tokens"] for m in sorted(confident[key] - {n})]
            r = decider.named(c["tokens"], c["decision"], reps)
            if r is not None and story_floor_ok(r):
                lvs[0] = "repeat"
                raised += 1
    alerts = right = false_no_gold = found = with_gold = without = 0
    for p, lvs in zip(posts, levels, strict=True):
        if p["copy"]:
            continue
        with_gold += bool(p["gold"])
        without += not p["gold"]
        hit = [c["fc"] in p["gold"] for c, lv in zip(p["ds"], lvs, strict=True) if lv == "repeat"]
        alerts += len(hit)
        right += sum(hit)
        found += any(hit)
        false_no_gold += 0 if p["gold"] else len(hit)
    return {"precision": round(right / alerts, 4) if alerts else 1.0, "recall": round(found / max(with_gold, 1), 4),
            "false_alerts_per_1000": round(1000.0 * false_no_gold / max(without, 1), 2),
            "alerts": alerts, "false": alerts - right, "story_raised": raised}


def _related(post: dict, claim: str) -> bool:
    """Whether ``post`` is the related sentence of ``claim`` (alerts-dev ids: vnpara-N-post, vnpara-N-claim)."""
    pid = str(post.get("id", ""))
    return pid.endswith("-post") and pid[: -len("-post")] + "-claim" == claim


def run(kb_path: Path, queries_path: Path, shares: list[float], floors: list[float],
        seeds: tuple[int, ...] = (15,), margins: tuple[tuple[float, float], ...] = (),
        forced: bool = False, no_scope: bool = False, rewordings: bool = False) -> list[dict]:
    from kiemchung.claims.evaluate import read_jsonl
    from kiemchung.claims.match import ClaimMatcher
    from kiemchung.claims.verify import DEFAULT_MODEL, AlertDecider
    from kiemchung.stories.cluster import StoryClusterer
    from kiemchung.text import fold

    kb = list(read_jsonl(kb_path, ("id", "text")))
    matcher = ClaimMatcher()
    matcher.add_many(kb)
    decider = AlertDecider(matcher, None, None, texts={r["id"]: r["text"] for r in kb})
    posts = [{"id": q.get("id", ""), "text": q["text"], "gold": list(q["gold"] or []), "copy": False,
              "ds": _decide(decider, q["text"])} for q in read_jsonl(queries_path, ("text", "gold"))]
    reworded = {}
    if rewordings:  # the second copy: a rewording of the claim (its first gold post), folded
        for p in posts:
            for g in p["gold"]:
                reworded.setdefault(g, p["text"])
    copies = {r["id"]: [{"text": t, "gold": [r["id"]], "copy": True, "ds": _decide(decider, t)}
                        for t in (r["text"], fold(reworded.get(r["id"], r["text"])).lower())] for r in kb}
    order = sorted(copies)
    out = []
    for seed, share in ((seed, share) for seed in seeds for share in shares):
        rng = random.Random(seed)
        places = {k: [rng.randrange(len(posts) + 1) for _ in v] for k, v in copies.items()}
        chosen = set(random.Random(seed + 1).sample(order, round(share * len(order))))
        stream = list(posts)
        for k in sorted(chosen, key=lambda k: (places[k][0], k)):
            for place, c in zip(places[k], copies[k], strict=True):
                stream.insert(min(place, len(stream)), c)
        t = time.perf_counter()
        clusterer = StoryClusterer()
        ids = [f"q{i}" for i in range(len(stream))]
        for i, p in zip(ids, stream, strict=True):
            clusterer.add(i, title="", body=p["text"], informal=True)
        if clusterer.config.reconcile_every:
            clusterer.reconcile()
        stories = [clusterer.story_of(i) for i in ids]
        row = {"seed": seed, "share": share, "claims_spreading": len(chosen), "cluster_s": round(time.perf_counter() - t, 1),
               "related_only": _score(stream, stories, DEFAULT_MODEL, None)}
        # (name, floor, margin, conflict key, the names a story establishes)
        rules = [(f"floor {f}", f, 0.0, "conflict", True) for f in floors]
        rules += [(f"floor {f} without names", f, 0.0, "conflict", False) for f in floors]
        rules += [(f"floor {f} x{m:g}", f, m, "conflict", False) for f, m in margins]
        if no_scope:  # the same rules with the conflicts before scope_diff (2026-12-07)
            rules += [(f"{name} no_scope", f, m, "conflict_no_scope", n) for name, f, m, _, n in rules]
        for name, f, m, key, named in rules:
            row[name] = _score(stream, stories, DEFAULT_MODEL, f, m, key, decider if named else None)
        if forced:
            # The adversary added to the story of a spreading claim's first copy, the other stories as
            # the clusterer made them: "related", the claim's related sentence (in alerts-dev the
            # non-paraphrase of its vnPara pair, same source) when its most probable candidate is that
            # claim; "all", every post whose most probable candidate is a spreading claim (news titles,
            # rewordings too).
            first = {}
            for p, st in zip(stream, stories, strict=True):
                if p["copy"]:
                    first.setdefault(p["gold"][0], st)
            for kind in ("related", "all"):
                placed = [first[p["ds"][0]["fc"]]
                          if not p["copy"] and p["ds"] and p["ds"][0]["fc"] in first
                          and (kind == "all" or (not p["gold"] and _related(p, p["ds"][0]["fc"]))) else st
                          for p, st in zip(stream, stories, strict=True)]
                row[f"forced_{kind}"] = {"related_only": _score(stream, placed, DEFAULT_MODEL, None)}
                for name, f, m, key, named in rules:
                    row[f"forced_{kind}"][name] = _score(stream, placed, DEFAULT_MODEL, f, m, key,
                                                         decider if named else None)
        out.append(row)
        print(json.dumps(row), file=sys.stderr, flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kb", type=Path, default=DATA / "alerts-dev-kb.jsonl")
    ap.add_argument("--queries", type=Path, default=DATA / "alerts-dev-queries.jsonl")
    ap.add_argument("--shares", default="0,0.05,0.1,0.25,0.5,1")
    ap.add_argument("--floors", default="0.05,0.02", help="F,...: probability at least F, no margin (the "
                    "product's rule: verify.STORY_FLOOR, 0.05)")
    ap.add_argument("--seeds", default="15", help="seeds of the copies' places and of the claims chosen")
    ap.add_argument("--margins", default="", help="F:R,...: probability at least F and at least R times the next "
                    "candidate's (measured 2026-12-06 night, not the product's rule: docs/matching.md)")
    ap.add_argument("--forced", action="store_true",
                    help="also score with the adversary placed in the spreading claim's story (its first copy's): "
                         "its related sentence (forced_related), every post pointing at it (forced_all)")
    ap.add_argument("--no-scope", action="store_true",
                    help="also score every rule with the conflicts before scope_diff (number, negation only)")
    ap.add_argument("--rewordings", action="store_true",
                    help="spread each chosen claim as written and as a rewording (its first gold post, folded) "
                         "instead of its folded copy: two wordings, which can establish its names "
                         "(verify.story_names counts copies of one text once)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    rows = run(args.kb, args.queries, [float(s) for s in args.shares.split(",")],
               [float(f) for f in args.floors.split(",") if f], tuple(int(x) for x in args.seeds.split(",")),
               tuple(tuple(float(v) for v in x.split(":")) for x in args.margins.split(",") if x), args.forced,
               args.no_scope, args.rewordings)
    print(json.dumps(rows, indent=None if args.json else 1))


if __name__ == "__main__":
    main()
