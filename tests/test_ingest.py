"""The ingest path end to end: idempotent reruns, raw payloads, and crash safety under SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import zlib
from pathlib import Path

from factories import make_doc

from kiemchung.ingest import Ingestor
from kiemchung.store import Database

ROOT = Path(__file__).resolve().parents[1]


def test_rerun_adds_nothing_twice(db, sample_docs):
    first = Ingestor(db).add(sample_docs)
    second = Ingestor(db).add(sample_docs)
    assert first.added == len(sample_docs)
    assert second.added == 0 and second.existing == len(sample_docs)
    assert db.count_documents() == len(sample_docs)


def test_raw_payload_is_kept_compressed_and_returned_intact(db):
    raw = '<item><title>Lũ sông Lam</title><description>Nước lên nhanh…</description></item>'
    Ingestor(db).add([make_doc("Lũ sông Lam", "Nước lên nhanh ở Tây Hà.", url="https://a.vn/lu", raw=raw)])
    with db.read() as conn:
        stored = conn.exec_driver_sql("SELECT raw FROM documents").scalar()
    assert zlib.decompress(stored).decode() == raw
    assert db.get_document(1, with_raw=True).raw.decode() == raw


def test_posts_are_indexed_with_teencode_expanded_and_authors_hashed(db, sample_docs):
    Ingestor(db).add(sample_docs)
    post = next(d for d in (db.get_document(i) for i in range(1, 6)) if d.kind == "post")
    assert post.author and "nguoidung123" not in post.author
    with db.read() as conn:
        folded = conn.exec_driver_sql("SELECT body_fold FROM documents_fts WHERE body_fold LIKE '%nuoc may%'").scalar()
    assert "khong uong" in folded and " ko " not in f" {folded} "


def _write_export(path: Path, n: int) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            fh.write(
                json.dumps(
                    {
                        "id": f"post-{i}",
                        "message": f"Bài đăng số {i} về lũ ở xã Hòa Bình, huyện Tây Hà: nước lên {i % 97} cm.",
                        "created_time": f"2026-03-{1 + i % 28:02d}T08:{i % 60:02d}:00+07:00",
                        "from": {"name": f"nguoi-dung-{i % 50}"},
                    },
                    ensure_ascii=False,
                )
                + "\n"
            )


def test_import_killed_with_sigkill_resumes_without_duplicates(tmp_path):
    export = tmp_path / "posts.jsonl"
    n = 6000
    _write_export(export, n)
    db_path = tmp_path / "kc.db"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "kiemchung.cli", "--db", str(db_path), "import", str(export)]
    kills = 0
    for delay in (2.5, 3.5, 4.5):
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
    assert kills >= 1, "the import finished before it could be killed; make the file larger"
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    con = sqlite3.connect(db_path)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert con.execute("SELECT count(*) FROM documents").fetchone()[0] == n
    assert con.execute("SELECT count(DISTINCT external_id) FROM documents").fetchone()[0] == n
    assert con.execute("SELECT count(*) FROM documents_fts").fetchone()[0] == n
    assert con.execute("INSERT INTO documents_fts(documents_fts) VALUES('integrity-check')").fetchall() == []
    con.close()
    db = Database(db_path)
    from kiemchung.store.search import search

    assert search(db, '"bai dang so 5999"').hits
    db.close()


def test_outlet_named_only_becomes_a_source(db):
    """An item that names its outlet (e.g. an exported news item) keeps it as a source, made once."""
    docs = [make_doc(f"Tin {i}", "Nội dung.", url=f"https://a.example/{i}.html", day=1) for i in range(3)]
    for doc, name in zip(docs, ["Báo Lam Giang - Thời sự", "Báo Lam Giang - Thời sự", "Đài Giang Khẩu"], strict=True):
        doc.source_name = name
    assert Ingestor(db).add(docs).added == 3
    outlets = {s.name: s for s in db.list_sources(kind="outlet")}
    assert set(outlets) == {"Báo Lam Giang - Thời sự", "Đài Giang Khẩu"}
    assert all(not s.enabled for s in outlets.values())  # never polled
    stored = [db.get_document(i) for i in range(1, 4)]
    assert [d.source_name for d in stored] == ["Báo Lam Giang - Thời sự", "Báo Lam Giang - Thời sự", "Đài Giang Khẩu"]
    assert Ingestor(db).add(docs).added == 0 and len(db.list_sources(kind="outlet")) == 2
