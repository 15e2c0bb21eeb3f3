"""Tip latency: from the public form to "in the queue, matched", through a real ``kiemchung serve``.

Target (issue 17): a tip submitted on the form appears in the queue, matched, within 5 s on the demo
installation. The benchmark builds the demo installation (``kiemchung demo``, or ``--db`` an existing
copy), starts ``kiemchung serve`` on a free port (default worker processes), and for each of ``--tips``
tips posts the form (multipart, as a browser does, one with an image), follows nothing, then polls the
editors' API (``GET /api/v1/tips/ID`` with a viewer token, every 50 ms) until the tip is matched. It
prints the latency of each tip (the first ones include each server process building its matcher),
p50/p95/max, and as the baseline measured in the same run the time of one plain API read of the queue.

    flock /work/bench.lock .venv/bin/python benchmarks/bench_tips.py [--tips 20] [--db demo.db] [--preload 5000]

``--preload N`` first stores N earlier tips received over the last 30 days (their documents through the
ingest path in one batch, their rows as the form writes them; texts are titles and summaries of
``../shared/data/rss-2025-2026.jsonl.gz``, read at run time, never kept), so that grouping a new tip
meets a full month of tips: the cost per new tip should not grow with them.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ASKS = (
    "Nước máy ở Giang Khẩu bị nhiễm độc, không được dùng nấu ăn, có đúng không?",
    "Cầu Giang Khẩu 2 vừa khánh thành đã bị nứt, sắp sập phải không ạ?",
    "Toàn tỉnh Lam Giang cho học sinh nghỉ học hết tuần vì bão số 8 à?",
    "Nghe nói nước máy Giang Khẩu có chất độc, không nấu ăn được, thật không?",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _png() -> bytes:
    from kiemchung.images.samples import render, to_png

    return to_png(render("Nước máy ở Giang Khẩu bị nhiễm độc, đừng dùng nấu ăn!", "chat"))


def _preload(db, n: int) -> None:
    """Store ``n`` tips received over the last 30 days, as the form would (documents, rows, groups)."""
    import datetime as dt
    import gzip
    import json
    import random

    from sqlalchemy import insert, select, update

    from kiemchung.ingest import Ingestor
    from kiemchung.models import Document
    from kiemchung.store import schema as t
    from kiemchung.tips import service as S
    from kiemchung.tips.tables import tips
    from kiemchung.timeutil import now

    data = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "rss-2025-2026.jsonl.gz"
    texts = []
    with gzip.open(data, "rt", encoding="utf-8") as fh:
        for line in fh:
            item = json.loads(line)
            texts.append(f"{item['title']}. {item.get('summary') or ''} có đúng không?")
            if len(texts) >= n:
                break
    rng = random.Random(17)
    at = now()
    when = sorted(at - dt.timedelta(seconds=rng.uniform(60, 29 * 86400)) for _ in texts)
    docs = [Document(kind="tip", title="", lead="", body=text, url=None, platform="tip-form",
                     external_id=f"form:pre-{i}", published_at=w, fetched_at=w, meta={"tip_channel": "form"})
            for i, (text, w) in enumerate(zip(texts, when))]
    Ingestor(db).add(docs)
    with db.read() as conn:
        ids = dict(conn.execute(select(t.documents.c.external_id, t.documents.c.id)
                                .where(t.documents.c.external_id.like("form:pre-%"))).all())
    with db.write() as conn:
        for i, (text, w) in enumerate(zip(texts, when)):
            tip_id = conn.execute(insert(tips).values(
                doc_id=ids.get(f"form:pre-{i}"), channel="form", external_id=f"pre-{i}", status="new", text=text,
                images=[], consent=False, received_at=w, secret_hash=S.secret_hash(f"pre-{i}"),
            )).inserted_primary_key[0]
            conn.execute(update(tips).where(tips.c.id == tip_id).values(group_id=tip_id))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tips", type=int, default=20)
    ap.add_argument("--db", help="an existing demo database to copy (default: build one with kiemchung demo)")
    ap.add_argument("--timeout", type=float, default=30.0)
    ap.add_argument("--preload", type=int, default=0, help="tips stored before the run (recent month)")
    args = ap.parse_args()
    exe = str(Path(sys.executable).with_name("kiemchung"))
    work = Path(tempfile.mkdtemp(prefix="bench-tips-"))
    db_path = work / "demo.db"
    t0 = time.perf_counter()
    if args.db:
        import sqlite3

        with sqlite3.connect(args.db) as src, sqlite3.connect(db_path) as dst:
            src.backup(dst)
    else:
        subprocess.run([exe, "--db", str(db_path), "demo"], check=True, stdout=subprocess.DEVNULL)
    print(f"demo installation ready in {time.perf_counter() - t0:.1f} s: {db_path}")

    from kiemchung import users as U
    from kiemchung.store import Database

    db = Database(db_path)
    U.add_user(db, "bench-xem", "matkhau-manh-123", "viewer")
    token = U.create_token(db, "bench-xem")
    db.set_setting("tips_per_hour", "100000")  # one address sends every tip of the benchmark
    if args.preload:
        t1 = time.perf_counter()
        _preload(db, args.preload)
        print(f"preloaded {args.preload} tips in {time.perf_counter() - t1:.1f} s")
    db.close()

    port = _free_port()
    env = {**os.environ, "KIEMCHUNG_AUTH_CACHE_TTL": os.environ.get("KIEMCHUNG_AUTH_CACHE_TTL", "5")}
    server = subprocess.Popen([exe, "--db", str(db_path), "serve", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=30) as c:
            for _ in range(300):
                try:
                    if c.get("/healthz").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.1)
            else:
                print("server did not start:", server.stderr.read().decode()[-2000:])
                return 1
            auth = {"Authorization": f"Bearer {token}"}
            # baseline: one plain read of the queue, same server, same run
            c.get("/api/v1/tips", headers=auth)
            reads = []
            for _ in range(10):
                s = time.perf_counter()
                assert c.get("/api/v1/tips?limit=50", headers=auth).status_code == 200
                reads.append(time.perf_counter() - s)
            baseline = statistics.median(reads)
            png = _png()
            lat, posts, missed = [], [], 0
            for i in range(args.tips):
                text = f"{ASKS[i % len(ASKS)]} (câu hỏi số {i + 1})"
                files = [("images", ("anh.png", io.BytesIO(png), "image/png"))] if i % 5 == 0 else None
                s = time.perf_counter()
                r = c.post("/tin-bao", data={"text": text}, files=files, follow_redirects=False)
                posts.append(time.perf_counter() - s)
                if r.status_code != 303:
                    print(f"tip {i + 1}: HTTP {r.status_code} {r.text[:200]}")
                    return 1
                secret = r.headers["location"].rsplit("/", 1)[1]
                tip_id = None
                while time.perf_counter() - s < args.timeout:
                    rows = c.get("/api/v1/tips?limit=5", headers=auth).json()
                    if tip_id is None:
                        mine = [x for x in rows if x["text"] == text]
                        tip_id = mine[0]["id"] if mine else None
                    if tip_id is not None:
                        one = c.get(f"/api/v1/tips/{tip_id}", headers=auth).json()
                        if one["matched_at"] is not None:
                            lat.append(time.perf_counter() - s)
                            if not one["matches"]:
                                missed += 1
                            break
                    time.sleep(0.05)
                else:
                    print(f"tip {i + 1} ({secret[:6]}…): not matched within {args.timeout} s")
                    return 1
                print(f"tip {i + 1:2d}: posted in {posts[-1] * 1000:6.1f} ms, in the queue matched after "
                      f"{lat[-1] * 1000:7.1f} ms{' (image)' if files else ''}")
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
        shutil.rmtree(work, ignore_errors=True)
    q = statistics.quantiles(lat, n=20) if len(lat) >= 2 else lat
    p95 = q[-1] if len(lat) >= 2 else lat[0]
    print(f"\n{len(lat)} tips through kiemchung serve on the demo installation (machine shared with other work):")
    print(f"  form POST: median {statistics.median(posts) * 1000:.1f} ms")
    print(f"  form -> queue, matched: median {statistics.median(lat) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms, "
          f"max {max(lat) * 1000:.1f} ms (target 5000 ms); {missed} matched no fact-check")
    print(f"  baseline: one read of the queue (GET /api/v1/tips?limit=50) median {baseline * 1000:.1f} ms; "
          f"ratio median latency / baseline {statistics.median(lat) / baseline:.1f}x")
    return 0 if max(lat) <= 5.0 else 2


if __name__ == "__main__":
    sys.exit(main())
