"""Crash safety: SIGKILL the real CLI at seeded random moments, many times, and check the store each time.

Goes beyond ``tests/test_ingest.py`` (three fixed kills, checked once at the end): here the kill moments
are random (seeded), the store is checked after EVERY kill (SQLite and FTS5 integrity, every document
stored exactly once, FTS rows == document rows, search works), a CSV import and a feed fetch from a
local HTTP server are both killed, and a final rerun must complete the work exactly.
"""

from __future__ import annotations

import csv
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from hostile_server import rss

ROOT = Path(__file__).resolve().parent.parent
SEED = int(os.environ.get("KC_CRASH_SEED", "20261126"))


def _cli(db_path: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "kiemchung.cli", "--db", str(db_path), *args]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def check_store(db_path: Path, key_sql: str) -> int:
    """Check a (possibly just-killed) store; return its document count."""
    con = sqlite3.connect(db_path)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}
        if "documents" not in tables:
            # Killed while the new store was being created: the migrations are one transaction, so
            # either the whole schema is there or none of it is.
            assert not tables & {"alembic_version", "documents_fts", "sources"}, tables
            return 0
        con.execute("INSERT INTO documents_fts(documents_fts) VALUES('integrity-check')")
        n = con.execute("SELECT count(*) FROM documents").fetchone()[0]
        assert con.execute("SELECT count(DISTINCT doc_key) FROM documents").fetchone()[0] == n
        assert con.execute(f"SELECT count(DISTINCT {key_sql}) FROM documents").fetchone()[0] == n
        assert con.execute("SELECT count(*) FROM documents_fts").fetchone()[0] == n
        assert con.execute(
            "SELECT count(*) FROM documents d LEFT JOIN documents_fts f ON f.rowid = d.fts_rowid WHERE f.rowid IS NULL"
        ).fetchone()[0] == 0
        return n
    finally:
        con.close()


def kill_loop(cmd: list[str], rng: random.Random, kills: int, lo: float, hi: float, db_path: Path, key_sql: str):
    """Start ``cmd`` ``kills`` times, SIGKILL it after a random delay, check the store after each kill."""
    killed, counts = 0, []
    for _ in range(kills):
        proc = subprocess.Popen(cmd, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(lo, hi))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            killed += 1
        proc.wait()
        if db_path.exists():
            counts.append(check_store(db_path, key_sql))
    return killed, counts


def test_csv_import_survives_random_sigkills(tmp_path):
    rng = random.Random(SEED)
    n = 12000  # about 8 s of import work: the kills below add up to less than that
    export = tmp_path / "bai_dang.csv"
    with export.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "message", "created_time", "author"])
        for i in range(n):
            w.writerow([f"p{i}", f"Người dân xã Tân Phú phản ánh đường ngập, mã {i}, mực nước {i % 89} cm", f"2026-04-{1 + i % 28:02d} 07:{i % 60:02d}", f"tk{i % 40}"])
    db_path = tmp_path / "kc.sqlite"
    cmd = _cli(db_path, "import", str(export))
    killed, counts = kill_loop(cmd, rng, 12, 0.6, 2.0, db_path, "external_id")
    assert killed >= 10, f"only {killed} of 12 runs were still going when killed"
    assert counts == sorted(counts), "a kill lost documents that were already stored"
    done = subprocess.run(cmd, env=_env(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert check_store(db_path, "external_id") == n
    again = subprocess.run(cmd, env=_env(), capture_output=True, text=True, timeout=300)
    assert again.returncode == 0 and check_store(db_path, "external_id") == n
    # the story stage (a second process beside an import this large) assigned every document once
    con = sqlite3.connect(db_path)
    assert con.execute("SELECT count(*), count(DISTINCT doc_id) FROM story_documents").fetchone() == (n, n)
    con.close()


@pytest.fixture
def feed_server(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    per_feed = 700
    for k in range(4):
        items = [
            (f"f{k}-{i}", f"Tin {i} của báo {k}: mưa lớn ở huyện Đông Sơn, mã {k}x{i}", f"https://bao{k}.example.vn/tin-{i}")
            for i in range(per_feed)
        ]
        (site / f"feed{k}.xml").write_bytes(rss(items, title=f"Báo {k}"))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(SimpleHTTPRequestHandler, directory=str(site)))
    httpd.daemon_threads = True
    SimpleHTTPRequestHandler.log_message = lambda *a, **k: None  # type: ignore[method-assign]
    th = threading.Thread(target=httpd.serve_forever, daemon=True)
    th.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", 4 * per_feed
    httpd.shutdown()
    httpd.server_close()


def test_feed_fetch_survives_random_sigkills(tmp_path, feed_server):
    base, expected = feed_server
    rng = random.Random(SEED + 1)
    db_path = tmp_path / "kc.sqlite"
    for k in range(4):
        out = subprocess.run(_cli(db_path, "sources", "add", f"{base}/feed{k}.xml"), env=_env(), capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
    cmd = _cli(db_path, "fetch")
    killed, counts = kill_loop(cmd, rng, 8, 1.0, 5.0, db_path, "url")
    assert killed >= 5, f"only {killed} of 8 runs were still going when killed"
    assert counts == sorted(counts)
    done = subprocess.run(cmd, env=_env(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert check_store(db_path, "url") == expected
    con = sqlite3.connect(db_path)
    assert con.execute("SELECT count(*) FROM documents WHERE title LIKE '%mã 3x699%'").fetchone()[0] == 1
    con.close()
