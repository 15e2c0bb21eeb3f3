"""Benchmark of streaming story clustering (kiemchung.stories.cluster).

Measures, in one run:

1. quality and speed on the gold story set (``../shared/data/stories-dev.jsonl``, full articles), in file
   order and in a shuffled order, against a single-link TF-IDF baseline measured in the same run;
2. a year of RSS items (``../shared/data/rss-2025-2026.jsonl.gz``, title + summary) streamed in time
   order: total time, docs/s of the first and last 10k items (flat per-document cost), the 20
   largest stories with their headlines for a person to judge, and peak memory.

Usage::

    python benchmarks/bench_cluster.py [--data ../shared/data] [--rss-limit N] [--skip-rss] [--seeds 6]
        [--config '{"recheck_every": 200}']
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import math
import random
import resource
import sys
import time
from collections import Counter
from pathlib import Path

from kiemchung.stories.cluster import ClusterConfig, StoryClusterer
from kiemchung.stories.evaluate import adjusted_rand, bcubed, read_stories_file, story_errors
from kiemchung.stories.features import term_weights


def _cluster(rows: list[dict], config: ClusterConfig | None = None) -> tuple[dict[str, str], float, float]:
    """Stream ``rows`` through a clusterer: assignments, docs/s on the wall clock and on CPU time."""
    c = StoryClusterer(config)
    cpu = time.process_time()
    start = time.perf_counter()
    for r in rows:
        c.add(r["id"], title=r.get("title") or "", lead=r.get("lead") or "", body=r.get("text") or "")
    if c.config.recheck_every:  # the opt-in re-check pass runs once more at the end, as in evaluate_stories
        c.recheck()
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu
    return c.assignments(), len(rows) / elapsed, len(rows) / cpu


def _single_link_baseline(rows: list[dict]) -> tuple[float, float]:
    """Batch single-link TF-IDF clustering (threshold chosen after the fact): best F1 and its threshold."""
    tfs = [term_weights(r.get("title") or "", r.get("lead") or "", r.get("text") or "") for r in rows]
    df: dict[str, int] = {}
    for tf in tfs:
        for t in tf:
            df[t] = df.get(t, 0) + 1
    n = len(rows)
    vecs = []
    for tf in tfs:
        v = {t: w * math.log((n + 1) / (df[t] + 0.5)) for t, w in tf.items()}
        norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
        vecs.append({t: x / norm for t, x in v.items()})
    post: dict[str, list[int]] = {}
    for k, v in enumerate(vecs):
        for t in v:
            post.setdefault(t, []).append(k)
    edges = []
    for k, v in enumerate(vecs):
        acc: dict[int, float] = {}
        for t, x in v.items():
            for j in post[t]:
                if j > k:
                    acc[j] = acc.get(j, 0.0) + x * vecs[j][t]
        edges.extend((s, k, j) for j, s in acc.items() if s > 0.05)
    edges.sort(reverse=True)
    gold = {r["id"]: r["story"] for r in rows}
    best = (0.0, 0.0)
    for th in [0.05 + 0.025 * i for i in range(20)]:
        parent = list(range(n))

        def find(x: int, parent: list[int] = parent) -> int:
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        for s, a, b in edges:
            if s < th:
                break
            parent[find(a)] = find(b)
        pred = {rows[k]["id"]: find(k) for k in range(n)}
        f = bcubed(pred, gold)[2]
        best = max(best, (f, th))
    return best


def bench_dev(path: Path, config: ClusterConfig | None = None, errors: bool = False, seeds: int = 6) -> None:
    """Quality and speed on the gold story set (whole file, its VLSP train and val parts, shuffled;
    then each of the three shuffled with seeds 1 to ``seeds`` and averaged)."""
    rows = read_stories_file(path)
    gold = {r["id"]: r["story"] for r in rows}
    print(f"== stories-dev: {len(rows)} articles, {len(set(gold.values()))} gold stories")
    base_f1, base_th = _single_link_baseline(rows)
    print(
        f"baseline single-link TF-IDF, best threshold {base_th:.3f} after the fact: BCubed F1 {base_f1:.3f}"
    )
    train = [r for r in rows if str(r["id"]).startswith("vlsp-train")]
    val = [r for r in rows if str(r["id"]).startswith("vlsp-val")]
    runs = [("file order", rows), ("VLSP train part, file order", train), ("VLSP val part, file order", val)]
    runs += [(f"shuffled (seed {k})", random.Random(k).sample(rows, len(rows))) for k in (1, 2, 3)]
    for label, order in runs:
        if not order:
            continue
        part_gold = {r["id"]: r["story"] for r in order}
        pred, dps, cpu_dps = _cluster(order, config)
        p, r, f = bcubed(pred, part_gold)
        print(
            f"StoryClusterer {'given' if config else 'default'} config, {label}: BCubed P {p:.3f} R {r:.3f} "
            f"F1 {f:.3f} (x{f / base_f1:.2f} of baseline), ARI {adjusted_rand(pred, part_gold):.3f}, "
            f"{len(set(pred.values()))} stories / {len(set(part_gold.values()))} gold, "
            f"{dps:.0f} docs/s ({cpu_dps:.0f} on CPU time)"
        )
        if errors and label == "file order":
            _print_errors(pred, part_gold, {r["id"]: r.get("title") or "" for r in order})
    for label, part in (("whole file", rows), ("VLSP train part", train), ("VLSP val part", val)):
        if not part or seeds < 1:
            continue
        part_gold = {r["id"]: r["story"] for r in part}
        scores = []
        for k in range(1, seeds + 1):
            pred = _cluster(random.Random(k).sample(part, len(part)), config)[0]
            scores.append((*bcubed(pred, part_gold), adjusted_rand(pred, part_gold)))
        p, r, f, ari = (sum(x[i] for x in scores) / len(scores) for i in range(4))
        print(
            f"StoryClusterer {'given' if config else 'default'} config, {label} shuffled, mean of seeds "
            f"1-{seeds}: BCubed P {p:.4f} R {r:.4f} F1 {f:.4f}, ARI {ari:.4f} "
            f"(F1 per seed: {' '.join(f'{x[2]:.3f}' for x in scores)})"
        )


def _print_errors(pred: dict[str, str], gold: dict[str, str], titles: dict[str, str]) -> None:
    """Error analysis: split gold stories and mixed predicted stories, with titles."""
    errs = story_errors(pred, gold, titles)
    for kind, label in (
        ("split", "gold stories split over several predicted stories"),
        ("mixed", "predicted stories mixing gold stories"),
    ):
        print(f"-- {len(errs[kind])} {label}")
        for e in errs[kind]:
            print(f"   {e['key']} (off: {e['off']})")
            for d in e["docs"]:
                print(f"      gold {d['gold']:<16} pred {d['pred']:<8} {d['title'][:100]}")


def _rss_rows(path: Path, limit: int | None) -> list[dict]:
    rows = []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            rows.append(json.loads(line))
            if limit and len(rows) >= limit:
                break
    rows.sort(key=lambda r: r.get("published") or "")
    return rows


def bench_rss(path: Path, limit: int | None, config: ClusterConfig | None = None, backfill: bool = False) -> None:
    """A year of RSS items streamed in time order (``backfill``: the second half first, then the first
    half as an archive arriving afterwards; each half timed)."""
    rows = _rss_rows(path, limit)
    n = len(rows)
    half = n // 2
    if backfill:
        rows = rows[half:] + rows[:half]
        print(f"== rss backfill: {n} items; the second half ({n - half}) in time order, then the first half ({half})")
    else:
        print(f"== rss: {n} items (title + summary), streamed in publication order")
    c = StoryClusterer(config)
    block = 10_000
    marks = []
    cpu_marks = []
    cpu0 = cpu_start = time.process_time()
    start = time.perf_counter()
    t0 = start
    for k, r in enumerate(rows, 1):
        c.add(
            r["id"], title=r.get("title") or "", lead=r.get("summary") or "", published_at=r.get("published")
        )
        if k % block == 0 or k == n:
            now = time.perf_counter()
            cpu_now = time.process_time()
            done = k - (marks[-1][0] if marks else 0)
            marks.append((k, done / (now - t0)))
            cpu_marks.append(done / max(cpu_now - cpu0, 1e-9))
            t0, cpu0 = now, cpu_now
        if backfill and k == n - half:
            wall_1, cpu_1 = time.perf_counter() - start, time.process_time() - cpu_start
            print(f"second half (live): {wall_1:.1f} s wall, {cpu_1:.1f} s CPU ({(n - half) / cpu_1:.0f} docs/s CPU)")
    total = time.perf_counter() - start
    cpu_total = time.process_time() - cpu_start
    if backfill:
        print(f"first half (archive, after): {total - wall_1:.1f} s wall, {cpu_total - cpu_1:.1f} s CPU "
              f"({half / max(cpu_total - cpu_1, 1e-9):.0f} docs/s CPU)")
    print(
        f"total {total:.1f} s ({n / total:.0f} docs/s), CPU time {cpu_total:.1f} s ({n / cpu_total:.0f} docs/s); "
        "target: under 300 s"
    )
    print("docs/s per 10k block: " + ", ".join(f"{rate:.0f}" for _, rate in marks))
    print("docs/s per 10k block on CPU time: " + ", ".join(f"{rate:.0f}" for rate in cpu_marks))
    first, last = marks[0][1], marks[-1][1] if len(marks) == 1 else marks[-2][1]
    print(
        f"first 10k: {first:.0f} docs/s, last full 10k: {last:.0f} docs/s (ratio last/first {last / first:.2f})"
    )
    print(f"structures: {c.stats()}")
    if c.config.recheck_every:
        print(f"re-check pass: {len(c.take_moves())} documents moved")
    print("20 largest stories:")
    t_info = time.perf_counter()
    for info in c.stories(limit=20):
        span = f"{info.first_seen:%Y-%m-%d}..{info.last_seen:%Y-%m-%d}" if info.first_seen else "?"
        print(f"  {info.doc_count:5d}  {span}  {info.headline[:90]}  [{', '.join(info.keywords[:5])}]")
    print(f"(story info for the 20 largest: {time.perf_counter() - t_info:.2f} s)")
    assigned = c.assignments()
    sizes = list(Counter(assigned.values()).values())
    print(
        f"stories: {len(sizes)}, singletons {sum(1 for s in sizes if s == 1)}, 2+ docs {sum(1 for s in sizes if s > 1)}"
    )
    if c.config.reconcile_every:
        print(f"reconciliation pass: {len(c.take_moves())} documents moved, {len(c.take_retired())} stories merged away")
    # stories of 10+ documents spanning more than two weeks (a recurring schedule or bulletin chained
    # into one story, or a long event): how many, and their documents
    when = {r["id"]: r.get("published") or "" for r in rows}
    spans: dict[str, list[str]] = {}
    for d, sid in assigned.items():
        if when.get(d):
            spans.setdefault(sid, []).append(when[d][:10])
    long = [
        (len(v), min(v), max(v))
        for v in spans.values()
        if len(v) >= 10 and (dt.date.fromisoformat(max(v)) - dt.date.fromisoformat(min(v))).days > 14
    ]
    print(
        f"stories of 10+ documents over more than 14 days: {len(long)}, {sum(n for n, _, _ in long)} documents"
        + (f"; largest {max(long)}" if long else "")
    )


def main() -> None:
    """Run the benchmark."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(Path(__file__).resolve().parents[1] / ".." / "shared" / "data"))
    ap.add_argument("--rss-limit", type=int, default=None)
    ap.add_argument("--skip-rss", action="store_true")
    ap.add_argument("--skip-dev", action="store_true")
    ap.add_argument("--backfill", action="store_true", help="RSS: second half first, then the first half")
    ap.add_argument(
        "--errors", action="store_true", help="print the file-order errors (split and mixed stories)"
    )
    ap.add_argument("--seeds", type=int, default=6, help="shuffled runs averaged per part (seeds 1 to N)")
    ap.add_argument(
        "--config", default=None, help="JSON object of ClusterConfig fields, e.g. '{\"threshold\": 0.1}'"
    )
    args = ap.parse_args()
    data = Path(args.data)
    config = ClusterConfig.from_dict(json.loads(args.config)) if args.config else None
    if not args.skip_dev:
        bench_dev(data / "stories-dev.jsonl", config, args.errors, args.seeds)
    if not args.skip_rss:
        bench_rss(data / "rss-2025-2026.jsonl.gz", args.rss_limit, config, backfill=args.backfill)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"peak memory (max RSS): {peak_kb / 1024:.0f} MB")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
