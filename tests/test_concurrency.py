"""Concurrency: searches in reader processes while a watcher process ingests fast-changing feeds and a
third process runs the story stage, all on one SQLite file.

Checks: no error (in particular "database is locked") reaches a reader, the writer or the pipeline; no
lost writes (every item the server published is stored, once); readers never see a partial batch
(within one read, every document row has its FTS row and the two counts agree).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from hostile_extra import LiveFeedServer

from kiemchung.ingest import Ingestor
from kiemchung.models import Document
from kiemchung.store import Database

ROOT = Path(__file__).resolve().parent.parent
RUN_S = 14

WATCHER = textwrap.dedent(
    """
    import sys, threading, time, json
    from kiemchung.collect import Collector
    from kiemchung.models import Source
    from kiemchung.sources.http import Fetcher, FetchSettings
    from kiemchung.store import Database
    db = Database(sys.argv[1]); urls = json.loads(sys.argv[2]); run_s = float(sys.argv[3])
    for u in urls:
        db.add_source(Source(kind="feed", url=u, name=u.rsplit("/", 1)[-1], poll_interval_s=1))
    fetcher = Fetcher(FetchSettings(min_interval_s=0.0, retries=0, total_timeout_s=5.0))
    errors = []
    stop = threading.Event()
    def on_result(r):
        if r.error is not None:
            errors.append(str(r.error))
    t = threading.Thread(target=Collector(db, fetcher=fetcher).watch, kwargs=dict(tick_s=0.2, stop=stop, on_result=on_result))
    t.start(); time.sleep(run_s); stop.set(); t.join()
    print(json.dumps({"errors": errors}))
    """
)

PIPELINE = textwrap.dedent(
    """
    import sys, time, json
    from kiemchung.pipeline import Pipeline
    from kiemchung.store import Database
    db = Database(sys.argv[1]); end = time.time() + float(sys.argv[2]); runs = 0; errors = []
    pipe = Pipeline(db)
    while time.time() < end:
        try:
            pipe.run(); runs += 1
        except Exception as exc:  # reported to the test, which fails on any
            errors.append(repr(exc))
        time.sleep(0.3)
    print(json.dumps({"runs": runs, "errors": errors}))
    """
)

READER = textwrap.dedent(
    """
    import sys, time, json
    from sqlalchemy import text
    from kiemchung.store import Database
    from kiemchung.store.search import search
    db = Database(sys.argv[1]); end = time.time() + float(sys.argv[2])
    searches = checks = 0; errors = []; partial = []; last = 0
    while time.time() < end:
        try:
            res = search(db, "tin nóng", limit=20, count=True)
            searches += 1
            with db.read() as conn:
                n = conn.execute(text("SELECT count(*) FROM documents")).scalar()
                f = conn.execute(text("SELECT count(*) FROM documents_fts")).scalar()
                orphan = conn.execute(text(
                    "SELECT count(*) FROM documents d LEFT JOIN documents_fts f ON f.rowid = d.fts_rowid WHERE f.rowid IS NULL"
                )).scalar()
            checks += 1
            if n != f or orphan:
                partial.append([n, f, orphan])
            if n < last:
                partial.append(["went back", last, n])
            last = n
        except Exception as exc:  # reported to the test, which fails on any
            errors.append(repr(exc))
    print(json.dumps({"searches": searches, "checks": checks, "errors": errors, "partial": partial}))
    """
)


def _run(code: str, *args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-c", code, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _result(proc: subprocess.Popen) -> dict:
    out, err = proc.communicate(timeout=RUN_S + 120)
    assert proc.returncode == 0, err[-3000:]
    return json.loads(out.strip().splitlines()[-1])


def test_search_while_watch_ingests_and_stories_run(tmp_path):
    db_path = tmp_path / "kc.sqlite"
    db = Database(db_path)
    Ingestor(db).add(
        Document(kind="article", title=f"Tin nóng cũ số {i}", body="Nội dung cũ về mưa lũ ở Lam Giang.", url=f"https://cu.example.vn/{i}")
        for i in range(50)
    )
    db.close()
    with LiveFeedServer(feeds=3, period_s=0.25, window=40) as live:
        urls = [live.url(k) for k in range(3)]
        watcher = _run(WATCHER, str(db_path), json.dumps(urls), str(RUN_S))
        time.sleep(1.0)
        pipeline = _run(PIPELINE, str(db_path), str(RUN_S - 2))
        readers = [_run(READER, str(db_path), str(RUN_S - 2)) for _ in range(2)]
        w = _result(watcher)
        p = _result(pipeline)
        rs = [_result(r) for r in readers]
        published = dict(live.appeared)

    assert w["errors"] == [], w["errors"][:5]
    assert p["errors"] == [] and p["runs"] >= 3, p
    for r in rs:
        assert r["errors"] == [], r["errors"][:5]
        assert r["partial"] == [], r["partial"][:5]
        assert r["searches"] >= 20
    db = Database(db_path)
    with db.read() as conn:
        from sqlalchemy import text

        urls_stored = list(conn.execute(text("SELECT url FROM documents")).scalars())
    assert len(urls_stored) == len(set(urls_stored))
    stored = set(urls_stored)
    missing = [(k, i) for (k, i) in published if f"https://live{k}.example.vn/tin/{i}" not in stored]
    assert len(published) > 100
    assert missing == [], f"{len(missing)} published items never stored: {missing[:5]}"
    assert len(stored) == 50 + len(published)
