"""Benchmark of feed fetching and parsing (kiemchung.sources.http / kiemchung.sources.feeds).

Measures, in one run, each against a baseline measured in the same run:

1. ordinary feeds: real RSS items (``../shared/data/rss-2025-2026.jsonl.gz``) rebuilt in memory into
   RSS 2.0 feeds of 50 items; ``parse_feed`` (decode, feedparser, HTML stripping, dedupe, Documents)
   against bare ``feedparser.parse``; and a round-trip check that titles come back as written;
2. one huge feed (100,000 real items by default, oldest first): ``parse_feed`` capped at 5,000 entries
   against ``feedparser.parse`` of the whole document, plus time at several sizes (flat per-item cost);
3. the polite fetcher on the local test server: ``Fetcher.get`` (rate limit off) against a bare
   ``httpx.Client.get`` of the same URL.

The real data is read from ``../shared/data`` and never written anywhere.

Usage::

    python benchmarks/bench_feeds.py [--data ../shared/data] [--feeds 200] [--huge 100000] [--gets 300]
"""

from __future__ import annotations

import argparse
import gzip
import json
import resource
import sys
import time
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

import feedparser
import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the hostile test server

from hostile_server import HostileServer  # noqa: E402

from kiemchung.sources.feeds import parse_feed  # noqa: E402
from kiemchung.sources.http import Fetcher, FetchSettings  # noqa: E402
from kiemchung.text import normalize  # noqa: E402
from kiemchung.timeutil import parse_time  # noqa: E402


def read_items(path: Path, limit: int) -> list[dict]:
    items = []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            items.append(json.loads(line))
            if len(items) >= limit:
                break
    return items


def build_feed(items: list[dict], title: str) -> bytes:
    parts = []
    for it in items:
        when = parse_time(it.get("published"))
        pub = f"<pubDate>{format_datetime(when)}</pubDate>" if when else ""
        parts.append(
            f"<item><title>{escape(it.get('title') or '')}</title><link>{escape(it.get('link') or '')}</link>"
            f"<guid>{escape(it['id'])}</guid>{pub}<description>{escape(it.get('summary') or '')}</description></item>"
        )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{escape(title)}</title>'
        + "".join(parts)
        + "</channel></rss>"
    ).encode("utf-8")


def bench_ordinary(items: list[dict], n_feeds: int) -> None:
    size = 50
    feeds = [build_feed(items[i * size : (i + 1) * size], f"feed {i}") for i in range(n_feeds)]
    n_items = n_feeds * size
    t0 = time.perf_counter()
    for f in feeds:
        feedparser.parse(f)
    base = time.perf_counter() - t0
    t0 = time.perf_counter()
    docs = []
    for i, f in enumerate(feeds):
        docs.extend(parse_feed(f, url=f"https://bench.invalid/{i}.rss"))
    ours = time.perf_counter() - t0
    wanted = {it["id"]: normalize(it.get("title") or "") for it in items[:n_items]}
    same = sum(1 for d in docs if wanted.get(d.external_id) == d.title)
    html_left = sum(1 for d in docs if "<" in d.lead and ">" in d.lead)
    print(f"[1] {n_feeds} feeds x {size} real items ({n_items} items)")
    print(f"    feedparser.parse (baseline): {base:7.2f} s  {n_items / base:8.0f} items/s")
    print(
        f"    parse_feed:                  {ours:7.2f} s  {n_items / ours:8.0f} items/s  (x{ours / base:.2f} of baseline)"
    )
    print(
        f"    documents: {len(docs)}; titles identical to the source: {same}/{len(docs)}; leads with tags left: {html_left}"
    )


def bench_huge(items: list[dict], n: int) -> None:
    ordered = sorted(items[:n], key=lambda it: it.get("published") or "")
    data = build_feed(ordered, "huge")
    print(f"[2] one feed of {len(ordered)} real items, {len(data) / 1e6:.1f} MB, oldest first")
    t0 = time.perf_counter()
    full = feedparser.parse(data)
    base = time.perf_counter() - t0
    del full
    t0 = time.perf_counter()
    docs = parse_feed(data, url="https://bench.invalid/huge.rss", max_entries=5000)
    ours = time.perf_counter() - t0
    newest = max(it.get("published") or "" for it in ordered)
    print(f"    feedparser.parse of everything (baseline): {base:7.2f} s")
    print(f"    parse_feed(max_entries=5000):              {ours:7.2f} s  (x{ours / base:.2f} of baseline)")
    same = docs[0].published_at == parse_time(newest).replace(microsecond=0)  # pubDate has whole seconds
    print(f"    kept {len(docs)}; newest kept = newest in feed: {same}")
    for k in (n // 5, n // 2, n):
        sub = build_feed(ordered[:k], "sub")
        t0 = time.perf_counter()
        parse_feed(sub, url="https://bench.invalid/sub.rss", max_entries=5000)
        dt_ = time.perf_counter() - t0
        print(f"    {k:7d} items: {dt_:6.2f} s  {dt_ / k * 1e6:6.1f} µs/item in the feed")


def bench_fetch(n: int) -> None:
    with HostileServer() as srv:
        url = srv.url("/rss.xml")
        with httpx.Client() as client:
            client.get(url)
            t0 = time.perf_counter()
            for _ in range(n):
                client.get(url).raise_for_status()
            base = time.perf_counter() - t0
        with Fetcher(FetchSettings(min_interval_s=0.0)) as fetcher:
            fetcher.get(url)  # robots.txt once
            t0 = time.perf_counter()
            for _ in range(n):
                fetcher.get(url)
            ours = time.perf_counter() - t0
    print(f"[3] {n} sequential GETs of a 2 KB feed on 127.0.0.1")
    print(f"    httpx.Client.get (baseline): {base:6.2f} s  {n / base:7.0f} req/s")
    print(
        f"    Fetcher.get:                 {ours:6.2f} s  {n / ours:7.0f} req/s  (x{ours / base:.2f} of baseline)"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--feeds", type=int, default=200)
    ap.add_argument("--huge", type=int, default=100_000)
    ap.add_argument("--gets", type=int, default=300)
    args = ap.parse_args()
    items = read_items(args.data / "rss-2025-2026.jsonl.gz", max(args.huge, args.feeds * 50))
    bench_ordinary(items, args.feeds)
    bench_huge(items, args.huge)
    bench_fetch(args.gets)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {peak:.0f} MB")


if __name__ == "__main__":
    main()
