"""Web workbench latency under load: overview page, search API, document/story page, /healthz baseline.

Loads the RSS year (or part of it with --limit) into a database, or uses --db; starts the real server
(`kiemchung serve`) in a subprocess on loopback; runs an asyncio+httpx load generator (20 concurrent
clients for --seconds per endpoint) and prints p50/p95 per endpoint with the ratio to /healthz.

    python benchmarks/bench_web.py --limit 40000 --seconds 30
    python benchmarks/bench_web.py --db bench-out/web.db
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from bench_ingest import stream_lines, to_document

from kiemchung import users as U
from kiemchung.ingest import Ingestor
from kiemchung.store import Database
from kiemchung.store import schema as t

QUERIES = [
    "giá vàng",
    "gia vang",
    "bão",
    "hoc sinh",
    "bóng đá",
    "tai nạn giao thông",
    "chung khoan",
    "thời tiết",
    "covid",
    "dien",
]


def load(path: Path, limit: int | None) -> None:
    db = Database(path)
    if db.count_documents():
        return
    t0 = time.perf_counter()

    def docs():
        for line in stream_lines(limit):
            item = json.loads(line)
            yield to_document(item, line)

    Ingestor(db).add(docs())
    print(f"loaded {db.count_documents()} documents in {time.perf_counter() - t0:.0f}s")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def hammer(client: httpx.AsyncClient, urls, seconds: float, concurrency: int = 20) -> list[float]:
    times: list[float] = []
    end = time.perf_counter() + seconds
    errors = 0

    async def worker(seed: int):
        nonlocal errors
        rnd = random.Random(seed)
        while time.perf_counter() < end:
            url = urls(rnd)
            t0 = time.perf_counter()
            r = await client.get(url)
            times.append((time.perf_counter() - t0) * 1000)
            if r.status_code != 200:
                errors += 1

    await asyncio.gather(*(worker(i) for i in range(concurrency)))
    if errors:
        print(f"  ({errors} non-200 answers)")
    return times


def pct(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=100)[int(p) - 1] if len(values) > 1 else values[0]


async def run(
    base: str,
    token: str,
    cookie: dict,
    doc_ids: list[int],
    story_ids: list[int],
    seconds: float,
    clients: int = 20,
) -> None:
    limits = httpx.Limits(max_connections=40)
    async with (
        httpx.AsyncClient(
            base_url=base,
            cookies=cookie,
            headers={"Authorization": f"Bearer {token}"},
            limits=limits,
            timeout=30,
        ) as api,
        httpx.AsyncClient(base_url=base, cookies=cookie, limits=limits, timeout=30) as pages,
    ):
        cases = [
            ("healthz (baseline)", pages, lambda r: "/healthz", None),
            ("overview page", pages, lambda r: "/", 150),
            ("search API", api, lambda r: f"/api/v1/search?q={r.choice(QUERIES)}&limit=20", 50),
            ("document page", pages, lambda r: f"/documents/{r.choice(doc_ids)}", 150),
        ]
        if story_ids:
            cases.append(("story page", pages, lambda r: f"/stories/{r.choice(story_ids)}", 150))
        base_p95 = None
        print(f"{'endpoint':22} {'requests':>8} {'p50 ms':>8} {'p95 ms':>8} {'p95/base':>9} target")
        for name, client, urls, target in cases:
            await hammer(client, urls, 2, 5)  # warm up
            times = await hammer(client, urls, seconds, clients)
            p50, p95 = pct(times, 50), pct(times, 95)
            base_p95 = base_p95 or p95
            verdict = "" if target is None else f"<= {target} {'OK' if p95 <= target else 'MISSED'}"
            print(f"{name:22} {len(times):8d} {p50:8.1f} {p95:8.1f} {p95 / base_p95:9.1f} {verdict}")


def main() -> None:
    """Load, serve, measure."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", type=Path, default=Path("bench-out/web.db"))
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--workers", type=int, default=1, help="server processes")
    args = ap.parse_args()
    args.db.parent.mkdir(parents=True, exist_ok=True)
    load(args.db, args.limit)
    db = Database(args.db)
    try:
        U.get_user(db, "bench")
    except Exception:
        U.add_user(db, "bench", "bench-password-1", "admin")
    token = U.create_token(db, "bench")
    from sqlalchemy import func, select

    with db.read() as conn:
        n = conn.execute(select(func.max(t.documents.c.id))).scalar_one()
        try:
            from kiemchung.stories.tables import stories

            story_ids = [
                r[0]
                for r in conn.execute(select(stories.c.id).order_by(stories.c.doc_count.desc()).limit(200))
            ]
        except Exception:
            story_ids = []
    doc_ids = [random.Random(i).randint(1, n) for i in range(500)]
    port = free_port()
    env = dict(os.environ, KIEMCHUNG_DB=str(args.db))
    proc = subprocess.Popen(
        [sys.executable, "-m", "kiemchung.cli", "serve", "--port", str(port), "--workers", str(args.workers)],
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                httpx.get(base + "/healthz", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        r = httpx.post(
            base + "/login",
            data={"username": "bench", "password": "bench-password-1"},
            follow_redirects=False,
        )
        cookie = {"kc_session": r.cookies["kc_session"]}
        print(
            f"documents: {db.count_documents()}, stories: {len(story_ids)}, {args.clients} clients x {args.seconds:.0f}s per endpoint"
        )
        asyncio.run(run(base, token, cookie, doc_ids, story_ids, args.seconds, args.clients))
    finally:
        proc.terminate()
        proc.wait(10)


if __name__ == "__main__":
    main()
