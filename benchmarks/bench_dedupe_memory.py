"""Benchmark: memory of the near-duplicate index with its time window, against the unbounded index.

    python benchmarks/bench_dedupe_memory.py [--docs 200000] [--days 365] [--window-days 30]
    python benchmarks/bench_dedupe_memory.py --rss      # the real RSS year instead of synthetic text

Feeds the same stream of documents, spread evenly over ``--days`` days in time order, through two
``NearDuplicateIndex`` objects, one after the other in the same run: the windowed one (evicting every
``--evict-every`` documents, as the ingestor does before every batch) and the unbounded baseline
(``window_days=None, max_entries=None``, what every ingesting process held before). Every document's
text goes through the text core (``fold``, ``syllables``), ``content_hash`` and ``signature`` once, up
front; each pass then does ``find`` and ``add`` as ``Ingestor`` does. At each checkpoint it prints the
entries held and the memory tracemalloc sees (allocated by the pass: the index), then the ratio
baseline / windowed, the near-duplicate links each found (the window should lose almost none: copies
arrive within days) and the time per document of find + add + evict (two more passes, untraced).

Synthetic text: documents of 40 to 80 syllables drawn (Zipf-like) from ~6,000 invented syllables; one
in ten is an edited copy of a document from the last ten days (a few syllables changed), one in fifty an
exact copy. With ``--rss`` the stream is the real RSS year from ``../shared/data`` (title and summary,
in published order, times from the items): evaluation data read in place, never copied.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import gzip
import itertools
import json
import random
import sys
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from kiemchung import text, timeutil  # noqa: E402
from kiemchung.dedupe import DedupeSettings, NearDuplicateIndex, content_hash  # noqa: E402

RSS = ROOT.parent / "shared" / "data" / "rss-2025-2026.jsonl.gz"
ONSETS = [
    "b", "c", "ch", "d", "đ", "g", "gi", "h", "k", "kh", "l", "m", "n", "ng", "nh", "ph", "qu", "r",
    "s", "t", "th", "tr", "v", "x",
]
RHYMES = [
    "a", "ai", "am", "an", "ang", "anh", "ao", "au", "ay", "ac", "ach", "at", "e", "em", "en", "eo",
    "ec", "et", "ê", "ênh", "êu", "ên", "i", "ia", "iu", "in", "inh", "it", "ich", "iêm", "iên",
    "iêt", "iêu", "o", "oa", "oai", "oan", "oang", "oanh", "oat", "oc", "oi", "om", "on", "ong",
    "ot", "ô", "ôi", "ôm", "ôn", "ông", "ôc", "ôt", "ơ", "ơi", "ơm", "ơn", "ơt", "u", "ua", "ui",
    "um", "un", "ung", "uc", "ut", "uân", "uât", "uôi", "uôn", "uông", "uôc", "uy", "uyên", "ư",
    "ưa", "ưi", "ưng", "ưc", "ươi", "ươm", "ươn", "ương", "ươc", "ươt",
]
TONES = ["", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323"]


def _vocabulary(rng: random.Random, size: int = 6000) -> list[str]:
    """Invented Vietnamese-looking syllables (onset + rhyme + tone mark), NFC through the text core."""
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < size:
        syl = text.normalize(rng.choice(ONSETS) + rng.choice(RHYMES) + rng.choice(TONES))
        if syl not in seen:
            seen.add(syl)
            out.append(syl)
    return out


def synthetic(n: int, days: float, seed: int) -> Iterator[tuple[dt.datetime, str]]:
    """``n`` (time, text) pairs spread evenly over ``days`` days, oldest first; some are (edited) copies."""
    rng = random.Random(seed)
    vocab = _vocabulary(rng)
    cum = list(itertools.accumulate(1.0 / (r + 10) for r in range(len(vocab))))
    start = dt.datetime(2025, 8, 1, tzinfo=dt.UTC)
    step = days * 86400 / n
    recent: list[list[str]] = []  # the last ~10 days' texts, as syllable lists
    keep = max(1, int(10 * 86400 / step))
    for i in range(n):
        roll = rng.random()
        if recent and roll < 0.02:
            words = list(rng.choice(recent))
        elif recent and roll < 0.12:
            words = list(rng.choice(recent))
            for _ in range(rng.randint(1, 3)):
                words[rng.randrange(len(words))] = rng.choice(vocab)
        else:
            words = rng.choices(vocab, cum_weights=cum, k=rng.randint(40, 80))
        recent.append(words)
        if len(recent) > keep:
            recent.pop(0)
        yield start + dt.timedelta(seconds=i * step), " ".join(words)


def rss_year(limit: int | None) -> Iterator[tuple[dt.datetime, str]]:
    """The RSS year's items (title and summary) in published order, read in place."""
    items = []
    with gzip.open(RSS, "rt", encoding="utf-8") as fh:
        for line in fh:
            item = json.loads(line)
            when = timeutil.parse_time(item.get("published"))
            if when is not None:
                items.append((when, f"{item.get('title') or ''} {item.get('summary') or ''}"))
            if limit and len(items) >= limit:
                break
    items.sort(key=lambda x: x[0])
    yield from items


def prepare(stream: Iterator[tuple[dt.datetime, str]]) -> list[tuple[dt.datetime, bytes, np.ndarray | None]]:
    """Text core, content hash and signature of every document, computed once for all passes."""
    idx = NearDuplicateIndex()
    out = []
    for when, body in stream:
        tokens = text.syllables(text.fold(body), strip=False)
        out.append((when, content_hash(body, "", "").encode(), idx.signature(tokens)))
    return out


def run(items: list, settings: DedupeSettings, checkpoints: list[int], evict_every: int, *, trace: bool) -> dict:
    """Feed the prepared documents through one index (``find``, ``add``, periodic ``evict``).

    With ``trace``, memory is measured with tracemalloc; every hash and signature is copied inside the
    traced region so the index is charged for what it keeps. Without, the time per document is measured.
    """
    gc.collect()
    if trace:
        tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0] if trace else 0
    idx = NearDuplicateIndex(settings)
    links = exact = 0
    rows = []
    t0 = time.perf_counter()
    for n, (when, chash_b, sig0) in enumerate(items, start=1):
        chash = chash_b.decode()
        sig = None if sig0 is None else sig0.copy()
        found = idx.find(chash, sig)
        if found:
            links += 1
            exact += found[1] == 1.0
        idx.add(n, chash, sig, found[0] if found else None, when)
        if n % evict_every == 0 and (start := settings.window_start(when)) is not None:
            idx.evict(start)
        if n in checkpoints:
            traced = tracemalloc.get_traced_memory()[0] - base if trace else 0
            rows.append({"docs": n, "held": len(idx), "buckets": idx.sizes()["lsh_buckets"], "traced": traced,
                         "links": links, "exact": exact, "us_per_doc": (time.perf_counter() - t0) / n * 1e6})
    peak = 0
    if trace:
        peak = tracemalloc.get_traced_memory()[1] - base
        tracemalloc.stop()
    del idx
    gc.collect()
    return {"rows": rows, "peak": peak, "links": links, "exact": exact}


def main(argv: list[str] | None = None) -> int:
    """Run both passes and print the comparison."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=200_000)
    ap.add_argument("--days", type=float, default=365.0)
    ap.add_argument("--window-days", type=float, default=30.0)
    ap.add_argument("--max-entries", type=int, default=250_000)
    ap.add_argument("--evict-every", type=int, default=500)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--rss", action="store_true", help="stream the real RSS year instead of synthetic text")
    args = ap.parse_args(argv)

    if args.rss:
        total = sum(1 for _ in rss_year(args.docs if args.docs < 153_825 else None))
        checkpoints = sorted({c for c in (10_000, 50_000, 100_000, total) if c <= total})

        def stream() -> Iterator[tuple[dt.datetime, str]]:
            return rss_year(args.docs if args.docs < 153_825 else None)
        label = f"RSS year, {total} items"
    else:
        checkpoints = sorted({c for c in (10_000, 50_000, 100_000, 150_000, 200_000, args.docs) if c <= args.docs})

        def stream() -> Iterator[tuple[dt.datetime, str]]:
            return synthetic(args.docs, args.days, args.seed)
        label = f"synthetic, {args.docs} documents over {args.days:g} days"

    windowed = DedupeSettings(window_days=args.window_days, max_entries=args.max_entries)
    unbounded = DedupeSettings(window_days=None, max_entries=None)
    print(f"{label}; window {args.window_days:g} days (cap {args.max_entries}), evict every {args.evict_every} documents")
    t0 = time.perf_counter()
    items = prepare(stream())
    print(f"prepared {len(items)} documents (text core, content hash, signature) in {time.perf_counter() - t0:.0f} s")
    w = run(items, windowed, checkpoints, args.evict_every, trace=True)
    u = run(items, unbounded, checkpoints, args.evict_every, trace=True)
    wt = run(items, windowed, checkpoints, args.evict_every, trace=False)
    ut = run(items, unbounded, checkpoints, args.evict_every, trace=False)

    print(f"\n{'docs':>8} | {'held':>7} {'traced MB':>9} {'B/held':>7} | {'held':>7} {'traced MB':>9} {'B/held':>7} | ratio")
    print(f"{'':>8} | {'windowed':^25} | {'unbounded (baseline)':^25} |")
    for a, b in zip(w["rows"], u["rows"], strict=True):
        print(
            f"{a['docs']:8d} | {a['held']:7d} {a['traced'] / 2**20:9.1f} {a['traced'] / max(a['held'], 1):7.0f} | "
            f"{b['held']:7d} {b['traced'] / 2**20:9.1f} {b['traced'] / max(b['held'], 1):7.0f} | "
            f"{b['traced'] / max(a['traced'], 1):5.2f}x"
        )
    print(f"peak traced MB: windowed {w['peak'] / 2**20:.1f}, unbounded {u['peak'] / 2**20:.1f} "
          f"({u['peak'] / max(w['peak'], 1):.2f}x)")
    lw, lu = wt["rows"][-1], ut["rows"][-1]
    print(f"links to an earlier document: windowed {w['links']} ({w['exact']} exact), unbounded {u['links']} "
          f"({u['exact']} exact); lost by the window: {u['links'] - w['links']} "
          f"({(u['links'] - w['links']) / max(u['links'], 1):.2%})")
    print(f"time per document (find + add + evict, untraced): windowed {lw['us_per_doc']:.0f} us, "
          f"unbounded {lu['us_per_doc']:.0f} us ({lw['us_per_doc'] / lu['us_per_doc']:.2f}x)")
    if len(w["rows"]) >= 2:
        a, b = w["rows"][-2], w["rows"][-1]
        print(f"windowed growth from {a['docs']} to {b['docs']} documents: "
              f"{(b['traced'] - a['traced']) / 2**20:+.1f} MB (held {a['held']} -> {b['held']})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
