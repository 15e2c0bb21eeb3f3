"""Benchmark of feed fetching and parsing (kiemchung.sources.http / kiemchung.sources.feeds).

Measures, in one run, each against a baseline measured in the same run:

1. ordinary feeds: real RSS items (``../shared/data/rss-2025-2026.jsonl.gz``) rebuilt in memory into
   RSS 2.0 feeds of 50 items; ``parse_feed`` (decode, feedparser, HTML stripping, dedupe, Documents)
   against bare ``feedparser.parse``; and a round-trip check that titles come back as written;
2. one huge feed (100,000 real items by default, oldest first): ``parse_feed`` capped at 5,000 entries
   against ``feedparser.parse`` of the whole document, plus time at several sizes (flat per-item cost);
3. the polite fetcher on the local test server: ``Fetcher.get`` (rate limit off) against a bare
   ``httpx.Client.get`` of the same URL;
4. the collector, the path ``kiemchung fetch`` runs: ``Collector.poll_many`` of N feeds of 50 real items
   each, served by a local HTTP server (with ETags), into a fresh SQLite store — a first poll (every
   item new) and a second one (every feed answers 304) — against the same work done by hand in the same
   run (``Fetcher.get`` + ``parse_feed`` + ``Ingestor.add``, one feed after another, into another store).

The real data is read from ``../shared/data`` and never written anywhere.

Usage::

    python benchmarks/bench_feeds.py [--data ../shared/data] [--feeds 200] [--huge 100000] [--gets 300]
        [--collect-feeds 40] [--only collect]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
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


def _feed_server(feeds: list[bytes]) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # silence
            pass

        def do_GET(self):
            if not self.path.startswith("/feed/"):
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            i = int(self.path.split("/")[-1].split(".")[0])
            etag = f'"f{i}"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
            body = feeds[i]
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("ETag", etag)
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def bench_collect(items: list[dict], n_feeds: int) -> None:
    os.environ.setdefault("KIEMCHUNG_FETCH_ALLOW_HOSTS", "127.0.0.1")
    from kiemchung.collect import Collector
    from kiemchung.ingest import Ingestor
    from kiemchung.models import Source
    from kiemchung.store import Database

    size = 50
    # The last items read: not the ones sections 1-2 parse; each feed its own.
    start = len(items) - n_feeds * size
    feeds = [build_feed(items[start + i * size : start + (i + 1) * size], f"feed {i}") for i in range(n_feeds)]
    server = _feed_server(feeds)
    base_url = f"http://127.0.0.1:{server.server_address[1]}/feed/"
    settings = FetchSettings(min_interval_s=0.0)
    with tempfile.TemporaryDirectory() as tmp:
        # Baseline: the same work by hand, one feed after another.
        db = Database(Path(tmp) / "by-hand.db")
        ingestor = Ingestor(db)
        with Fetcher(settings) as fetcher:
            fetcher.get(base_url + "0.xml")  # robots.txt once
            t0 = time.perf_counter()
            added_base = 0
            for i in range(n_feeds):
                res = fetcher.get(base_url + f"{i}.xml")
                added_base += ingestor.add(parse_feed(res.content, url=res.url, headers=res.headers)).added
            base = time.perf_counter() - t0
        db.close()
        # The collector: sources in the store, each polled through its kind's path, health recorded.
        db = Database(Path(tmp) / "collector.db")
        sources = [db.add_source(Source(kind="feed", url=base_url + f"{i}.xml", name=f"feed {i}")) for i in range(n_feeds)]
        with Fetcher(settings) as fetcher:
            fetcher.get(base_url + "0.xml")
            collector = Collector(db, fetcher=fetcher)
            t0 = time.perf_counter()
            first = collector.poll_many(sources)
            ours = time.perf_counter() - t0
            sources = collector.polled_sources()
            t0 = time.perf_counter()
            second = collector.poll_many(sources)
            again = time.perf_counter() - t0
        db.close()
    server.shutdown()
    added = sum(r.stats.added for r in first)
    n_items = n_feeds * size
    print(f"[4] collector: {n_feeds} feeds x {size} real items on 127.0.0.1 into a fresh SQLite store")
    print(f"    by hand, get+parse_feed+Ingestor.add (baseline): {base:6.2f} s  {n_items / base:7.0f} items/s  ({added_base} stored)")
    print(
        f"    Collector.poll_many, first poll:                {ours:6.2f} s  {n_items / ours:7.0f} items/s  "
        f"(x{ours / base:.2f} of baseline; {added} stored, {sum(1 for r in first if r.error)} failed)"
    )
    print(
        f"    Collector.poll_many, second poll (all 304):     {again:6.2f} s  {n_feeds / again:7.0f} polls/s  "
        f"({sum(1 for r in second if r.not_modified)} not modified)"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--feeds", type=int, default=200)
    ap.add_argument("--huge", type=int, default=100_000)
    ap.add_argument("--gets", type=int, default=300)
    ap.add_argument("--collect-feeds", type=int, default=40)
    ap.add_argument("--only", choices=("ordinary", "huge", "fetch", "collect"))
    args = ap.parse_args()
    need = max(args.huge, args.feeds * 50) if args.only != "collect" else 0
    items = read_items(args.data / "rss-2025-2026.jsonl.gz", need + args.collect_feeds * 50)
    if args.only in (None, "ordinary"):
        bench_ordinary(items, args.feeds)
    if args.only in (None, "huge"):
        bench_huge(items, args.huge)
    if args.only in (None, "fetch"):
        bench_fetch(args.gets)
    if args.only in (None, "collect"):
        bench_collect(items, args.collect_feeds)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {peak:.0f} MB")


if __name__ == "__main__":
    main()
