"""Streaming search export: peak memory of ``kiemchung serve`` while it streams every document.

Issue 16 §4 asks for an export of all 153,825 documents of the RSS year in constant memory. This runs
the real path: ``kiemchung --db DB serve --workers 1`` as a subprocess on loopback, an API token, and
``GET /api/v1/search/export`` (JSONL and CSV) read to the end by a streaming client that keeps
nothing. Each measured export gets a fresh server, so its peak RSS (``VmHWM`` of the server process)
is that export's alone. In the same run:

- baseline: a fresh server after a warm-up (the overview, a page search, a 20-row export) — what the
  server holds before any large export;
- 10 %: a blank-query export of the newest tenth of the documents (a date filter);
- 100 %: every document, JSONL and CSV; and a search-query export (every match of a common word).

Constant memory shows as 100 % ≈ 10 % ≈ baseline (a few MB of batches), not as 10x.

    flock /work/bench.lock python benchmarks/bench_export.py --db /work/bench-directory/rss.db

The database is a COPY of the imported RSS year (``sqlite3 SRC ".backup DST"``); it is upgraded to the
current schema once before the measurements and otherwise only read.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = Path(sys.executable).parent / "kiemchung"
USER, PASSWORD = "bench-export", "bench-export-mat-khau-1"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _status(pid: int) -> dict[str, int]:
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmHWM", "VmRSS"):
            out[key] = int(value.split()[0]) // 1024  # MB
    return out


class Server:
    """``kiemchung serve`` (one process) on a free loopback port."""

    def __init__(self, db: Path) -> None:
        self.port = _port()
        env = dict(os.environ, KIEMCHUNG_SEARCH_CACHE_TTL="0")
        self.proc = subprocess.Popen(
            [str(SCRIPT), "--db", str(db), "serve", "--workers", "1", "--port", str(self.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=ROOT,
        )
        self.base = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.base + "/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        self.stop()
        raise SystemExit("the server did not start")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def _token(db: Path) -> str:
    from kiemchung import users as U
    from kiemchung.errors import KiemchungError
    from kiemchung.store import Database

    with Database(db) as store:  # also upgrades the copy to the current schema, once
        try:
            U.get_user(store, USER)
        except KiemchungError:
            U.add_user(store, USER, PASSWORD, "viewer")
        return U.create_token(store, USER, "bench_export")


def _tenth_day(db: Path) -> str:
    """The Vietnam day from which the newest tenth of the documents were published."""
    from sqlalchemy import func, select

    from kiemchung.store import Database
    from kiemchung.store import schema as t

    with Database(db) as store, store.read() as conn:
        n = conn.execute(select(func.count()).select_from(t.documents)).scalar()
        rid = conn.execute(
            select(t.documents.c.fts_rowid).order_by(t.documents.c.fts_rowid.desc()).offset(n // 10).limit(1)
        ).scalar()
    seconds = rid >> t.FTS_ID_SHIFT
    day = dt.datetime.fromtimestamp(seconds, dt.timezone(dt.timedelta(hours=7))).date()
    return day.isoformat()


def _export(server: Server, token: str, params: dict) -> tuple[int, int, float]:
    """(lines, bytes, seconds) of one streamed export, read to the end and thrown away (lines are rows
    in JSONL; in CSV they also count the header and line breaks inside quoted cells)."""
    rows = size = 0
    start = time.perf_counter()
    with httpx.stream("GET", server.base + "/api/v1/search/export", params=params,
                      headers={"Authorization": f"Bearer {token}"}, timeout=None) as r:
        if r.status_code != 200:
            raise SystemExit(f"export failed: {r.status_code} {r.read()[:300]!r}")
        for chunk in r.iter_bytes():
            rows += chunk.count(b"\n")
            size += len(chunk)
    return rows, size, time.perf_counter() - start


def _warm(server: Server, token: str) -> None:
    h = {"Authorization": f"Bearer {token}"}
    httpx.get(server.base + "/api/v1/search", params={"q": "bão lũ", "limit": 50}, headers=h, timeout=60)
    httpx.get(server.base + "/api/v1/stats", headers=h, timeout=120)
    _export(server, token, {"q": "bão lũ", "format": "jsonl", "until": "2025-06-01"})


def run(db: Path, cases: list[tuple[str, dict]]) -> list[dict]:
    token = _token(db)
    results = []
    for name, params in cases:
        server = Server(db)
        try:
            _warm(server, token)
            before = _status(server.proc.pid)
            rows, size, seconds = (0, 0, 0.0) if params is None else _export(server, token, params)
            after = _status(server.proc.pid)
        finally:
            server.stop()
        results.append({"case": name, "rows": rows, "mb": size / 1e6, "seconds": seconds,
                        "peak_before": before["VmHWM"], "peak": after["VmHWM"]})
        r = results[-1]
        print(f"{name:<34} {rows:>7} lines {r['mb']:>7.1f} MB {seconds:>6.1f} s "
              f"peak RSS {r['peak']} MB (after warm-up {r['peak_before']} MB)", flush=True)
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", type=Path, required=True, help="a COPY of the imported RSS year (SQLite)")
    args = ap.parse_args()
    tenth = _tenth_day(args.db)
    cases = [
        ("baseline (warm-up only)", None),
        (f"10% (since {tenth}), JSONL", {"q": "", "format": "jsonl", "since": tenth}),
        ("100%, JSONL", {"q": "", "format": "jsonl"}),
        ("100%, CSV", {"q": "", "format": "csv"}),
        ("query 'việt nam', JSONL", {"q": "việt nam", "format": "jsonl"}),
    ]
    res = run(args.db, cases)
    base = res[0]["peak"]
    print("\nshared machine (2 cores, other helpers' jobs running): times are indicative; memory is not affected")
    for r in res[1:]:
        print(f"{r['case']:<34} peak RSS {r['peak']} MB = baseline {base} MB + {r['peak'] - base} MB "
              f"(x{r['peak'] / base:.2f}); {r['rows'] / max(r['seconds'], 1e-9):,.0f} rows/s")
    ten, full = res[1], res[2]
    print(f"100% vs 10%: {full['rows'] / max(ten['rows'], 1):.1f}x the rows, "
          f"{(full['peak'] - base) / max(ten['peak'] - base, 1):.2f}x the memory above baseline "
          f"({full['peak'] - base} MB vs {ten['peak'] - base} MB)")


if __name__ == "__main__":
    main()
