"""kiemchung migrate-db: moving an installation into another database, verified, resumable, one run at a time.

The source is a real installation: the bundled sample through ``demo`` (documents, sources, stories,
fact-checks, alerts, notifications, audit, settings), then a user, a hand merge of two stories, an edited
fact-check (a second version) and a document with a raw payload. Copies go through the library and
through the ``kiemchung`` command in real processes (killed mid-copy, frozen while a second run starts).
"""

from __future__ import annotations

import io
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
from rich.console import Console
from sqlalchemy import func, inspect, select, text

from factories import make_doc, run_cli_in_process

from kiemchung.store import Database
from kiemchung.store import migrate as m

KIEMCHUNG = [sys.executable, "-m", "kiemchung"]


@pytest.fixture(scope="module")
def installation(tmp_path_factory):
    """A used installation, built once per module; each test copies the file."""
    from kiemchung.claims.factchecks import list_factchecks, update_factcheck
    from kiemchung.cli.demo import run_demo
    from kiemchung.ingest import Ingestor
    from kiemchung.stories.service import merge_stories
    from kiemchung.users import add_user

    path = tmp_path_factory.mktemp("source") / "kc.db"
    run_demo(path, Console(file=io.StringIO(), width=120))
    with Database(path) as db:
        add_user(db, "bientap", "mat-khau-dai-du-12", "editor", actor="cli:test")
        with db.read() as conn:
            ids = [r[0] for r in conn.execute(text("SELECT id FROM stories ORDER BY id LIMIT 2"))]
        merge_stories(db, ids[0], ids[1], user="bientap", actor="cli:test")
        fc = list_factchecks(db)[0]
        update_factcheck(db, fc.id, {"explanation": "Giải thích đã sửa lại cho rõ."}, "bientap", actor="cli:test")
        doc = make_doc("Bài có tải gốc", "Nội dung gốc của bài, có dấu và ký tự “đặc biệt”.",
                       url="https://vi-du.test/bai-goc.html", day=3, raw=b"\x00\x01<rss>goc</rss>",
                       engagement={"likes": 3, "shares": 0})
        Ingestor(db).add([doc])
        db.set_setting("report_dir", "/srv/bao-cao")
    return path


@pytest.fixture
def source(installation, tmp_path):
    path = tmp_path / "source.db"
    with sqlite3.connect(installation) as src, sqlite3.connect(path) as dst:
        src.backup(dst)
    db = Database(path)
    yield db
    db.close()


@pytest.fixture
def target(backend, tmp_path, request):
    """An empty target: a SQLite file path, or the URL of a new, empty PostgreSQL database."""
    if backend == "sqlite":
        return str(tmp_path / "copy.db")
    return request.getfixturevalue("pg_url")


def _counts(db: Database) -> dict[str, int]:
    with db.read() as conn:
        return {tbl.name: conn.execute(select(func.count()).select_from(tbl)).scalar_one()
                for tbl in m.tables_to_copy(conn)}


def _fts_rows(path) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute(
            "SELECT rowid, title_acc, body_acc, title_fold, body_fold FROM documents_fts ORDER BY rowid"
        ).fetchall()


def test_every_table_is_copied_and_verified(source, tmp_path):
    target = tmp_path / "copy.db"
    result = m.migrate_database(source, target, batch=7)

    assert result.ok and not result.resumed
    with source.read() as conn:
        data_tables = {n for n in inspect(conn).get_table_names() if m._is_data_table(n)}
    # Every data table of the schema, none forgotten; a used installation has rows in the ones that matter.
    assert {c.name for c in result.checks} == data_tables
    counts = _counts(source)
    for name in ("documents", "sources", "stories", "story_documents", "story_edits", "factchecks",
                 "factcheck_versions", "alerts", "notifications", "users", "audit_log", "settings"):
        assert counts[name] > 0, name
    for check in result.checks:
        assert check.source_rows == check.target_rows == counts[check.name]
        assert check.source_sum == check.target_sum
    assert result.copied == counts
    # The full-text index rebuilt on the target is the one ingest built on the source, row for row.
    assert _fts_rows(target) == _fts_rows(source.path)
    assert result.index_rows == (counts["documents"], counts["documents"])


def test_the_copy_works_as_an_installation(source, tmp_path):
    from kiemchung.claims.factchecks import history as factcheck_history, list_factchecks
    from kiemchung.store.search import search
    from kiemchung.users import list_users

    target = tmp_path / "copy.db"
    m.migrate_database(source, target)
    with Database(target) as copy:
        for query in ("nuoc may", "nước máy", '"sốt xuất huyết"', "bài gốc"):
            a = [h.document.id for h in search(source, query, limit=50).hits]
            b = [h.document.id for h in search(copy, query, limit=50).hits]
            assert a == b, query
        assert copy.installation_salt() == source.installation_salt()
        assert copy.get_setting("report_dir") == "/srv/bao-cao"
        raw_doc = max(copy.iter_documents(), key=lambda d: d.id)
        assert copy.get_document(raw_doc.id, with_raw=True).raw == b"\x00\x01<rss>goc</rss>"
        assert [u.name for u in list_users(copy)] == ["bientap"]
        fc = list_factchecks(copy)[0]
        assert len(factcheck_history(copy, fc.id)) == len(factcheck_history(source, fc.id)) >= 2
        # New rows get fresh ids after the copied ones.
        before = copy.max_document_id()
        from kiemchung.ingest import Ingestor

        Ingestor(copy).add([make_doc("Tin mới sau khi chuyển", "Một tin mới.", url="https://vi-du.test/moi.html")])
        assert copy.max_document_id() == before + 1


def test_a_changed_row_is_reported_and_the_command_fails(source, tmp_path, capsys):
    target = tmp_path / "copy.db"
    assert run_cli_in_process(source.path, "migrate-db", "--to", str(target)) == 0
    assert "mọi bảng khớp" in capsys.readouterr().out
    with sqlite3.connect(target) as conn:
        conn.execute("UPDATE factchecks SET explanation = explanation || '!' WHERE id = (SELECT min(id) FROM factchecks)")
    # A rerun on a finished copy verifies again: the edited table differs, the command says so and fails.
    assert run_cli_in_process(source.path, "migrate-db", "--to", str(target)) == 1
    out, err = capsys.readouterr()
    assert "KHÁC (differs)" in out and "Traceback" not in err
    assert "không khớp nguồn" in err and "differs from the source" in err
    result = m.migrate_database(source, target)
    assert [c.name for c in result.checks if not c.ok] == ["factchecks"]
    assert result.copied == {}  # nothing copied twice


def test_a_target_with_data_is_refused(source, tmp_path, capsys):
    other = tmp_path / "other.db"
    with Database(other) as db:
        from kiemchung.ingest import Ingestor

        Ingestor(db).add([make_doc("Tin của bản cài đặt khác", "Đã có dữ liệu.", url="https://khac.test/a.html")])
    with pytest.raises(m.MigrationRefused, match="đã có dữ liệu.*holds data"):
        m.migrate_database(source, other)
    assert run_cli_in_process(source.path, "migrate-db", "--to", str(other)) == 1
    err = capsys.readouterr().err
    assert "Lỗi:" in err and "not a partial migrate-db copy" in err and "Traceback" not in err
    with Database(other) as db:
        assert db.count_documents() == 1  # untouched


def test_a_created_but_unused_target_is_accepted(source, tmp_path):
    target = tmp_path / "init.db"
    Database(target).close()  # what `kiemchung --db … init` leaves: the schema, the migrations' own settings
    assert m.migrate_database(source, target).ok


def test_same_database_bad_url_and_missing_source_are_clear_errors(source, tmp_path, capsys):
    with pytest.raises(m.MigrationRefused, match="cùng một.*same database"):
        m.migrate_database(source, source.path)
    for bad in ("mysql://u@localhost/kc", "khong-phai-url://x", "postgresql://kc:bi-mat@127.0.0.1:1/kc"):
        assert run_cli_in_process(source.path, "migrate-db", "--to", bad) == 1
        err = capsys.readouterr().err
        assert "Lỗi:" in err and "Traceback" not in err and "bi-mat" not in err
    assert "Không kết nối được" in str(pytest.raises(m.StoreError, m.migrate_database, source,
                                                     "postgresql://kc:bi-mat@127.0.0.1:1/kc").value)
    assert run_cli_in_process(tmp_path / "khong-co.db", "migrate-db", "--to", str(tmp_path / "x.db")) == 1
    assert "source database not found" in capsys.readouterr().err
    assert not (tmp_path / "khong-co.db").exists()


def test_an_interrupted_run_resumes_without_duplicates(source, tmp_path):
    target = tmp_path / "copy.db"
    seen = []

    def stop_in_documents(table, done, total):
        seen.append((table, done))
        if table == "documents" and done >= 40:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        m.migrate_database(source, target, batch=20, on_progress=stop_in_documents)
    with sqlite3.connect(target) as conn:
        progress = dict(conn.execute("SELECT table_name, copied FROM migrate_db_progress WHERE NOT done"))
        partial_docs = conn.execute("SELECT count(*) FROM documents").fetchone()[0]
        partial_fts = conn.execute("SELECT count(*) FROM documents_fts").fetchone()[0]
    assert progress == {"documents": 40} and partial_docs == partial_fts == 40

    result = m.migrate_database(source, target, batch=20)
    counts = _counts(source)
    assert result.resumed and result.ok
    assert result.copied["documents"] == counts["documents"] - 40
    assert "sources" not in result.copied  # finished tables are not copied again
    assert _fts_rows(target) == _fts_rows(source.path)


def _progress_rows(target) -> dict[str, int]:
    if "://" not in str(target):
        try:
            with sqlite3.connect(f"file:{target}?mode=ro", uri=True, timeout=0.1) as conn:
                return dict(conn.execute("SELECT table_name, copied FROM migrate_db_progress"))
        except sqlite3.Error:
            return {}
    from sqlalchemy import create_engine
    from sqlalchemy.exc import SQLAlchemyError

    engine = create_engine(target)
    try:
        with engine.connect() as conn:
            return dict(conn.exec_driver_sql("SELECT table_name, copied FROM migrate_db_progress").all())
    except SQLAlchemyError:
        return {}
    finally:
        engine.dispose()


def _wait_for_progress(target, proc, predicate, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the copy finished before it could be interrupted"
        rows = _progress_rows(target)
        if predicate(rows):
            return rows
        time.sleep(0.01)
    raise AssertionError("no progress seen")


def _env():
    return {**os.environ, "PYTHONUNBUFFERED": "1"}


def test_a_killed_process_is_resumed_by_rerunning(source, target):
    args = [*KIEMCHUNG, "--db", str(source.path), "migrate-db", "--to", target, "--batch", "1"]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env())
    try:
        _wait_for_progress(target, proc, lambda rows: 0 < rows.get("documents", 0) < 200)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    with Database(target) as partial:
        docs = _counts(partial)["documents"]
    assert 0 < docs == _progress_rows(target)["documents"] < _counts(source)["documents"]

    rerun = subprocess.run([*KIEMCHUNG, "--db", str(source.path), "migrate-db", "--to", target],
                           capture_output=True, text=True, env=_env(), timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert "Tiếp tục lần chép trước" in rerun.stdout and "mọi bảng khớp" in rerun.stdout
    with Database(target) as copy:
        assert _counts(copy) == _counts(source)
    if "://" not in target:
        assert _fts_rows(target) == _fts_rows(source.path)


def test_a_second_run_at_the_same_time_is_refused(source, target):
    args = [*KIEMCHUNG, "--db", str(source.path), "migrate-db", "--to", target, "--batch", "1"]
    first = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env())
    try:
        _wait_for_progress(target, first, lambda rows: bool(rows))
        first.send_signal(signal.SIGSTOP)  # frozen mid-copy, holding the lock
        try:
            second = subprocess.run(args, capture_output=True, text=True, env=_env(), timeout=120)
        finally:
            first.send_signal(signal.SIGCONT)
        assert second.returncode == 1
        assert "migrate-db khác đang chạy" in second.stderr and "another migrate-db run" in second.stderr
        assert "Traceback" not in second.stderr
        out, err = first.communicate(timeout=300)
        assert first.returncode == 0, err
    finally:
        if first.poll() is None:
            first.kill()
    with Database(target) as copy:
        assert _counts(copy) == _counts(source)


def test_into_postgresql_ids_sequences_and_types(source, pg_url):
    from kiemchung.claims.factchecks import history as factcheck_history, list_factchecks
    from kiemchung.users import add_user, list_users

    result = m.migrate_database(source, pg_url, batch=50)
    assert result.ok, [c for c in result.checks if not c.ok]
    # A second run verifies again and copies nothing.
    again = m.migrate_database(source, pg_url)
    assert again.resumed and again.ok and again.copied == {}
    n_docs = _counts(source)["documents"]
    assert result.index_rows == (n_docs, n_docs)  # the full-text index rebuilt through the backend
    from kiemchung.store.search import search

    with Database(pg_url) as copy:
        assert _counts(copy) == _counts(source)
        assert copy.installation_salt() == source.installation_salt()
        for query in ("nuoc may", "nước máy", '"sốt xuất huyết"', "bài gốc"):
            a = {h.document.id for h in search(source, query, limit=50).hits}
            b = {h.document.id for h in search(copy, query, limit=50).hits}
            assert a == b and a, query
        newest = max(source.iter_documents(), key=lambda d: d.id)
        got = copy.get_document(newest.id, with_raw=True)
        assert got.raw == b"\x00\x01<rss>goc</rss>" and got.engagement == {"likes": 3, "shares": 0}
        assert got.published_at == newest.published_at and got.published_at.tzinfo is not None
        fc = list_factchecks(copy)[0]
        assert len(factcheck_history(copy, fc.id)) == len(factcheck_history(source, fc.id)) >= 2
        # Sequences were moved past the copied ids: a new row gets the next id, not 1.
        before = max(u.id for u in list_users(copy))
        assert add_user(copy, "nguoimoi", "mat-khau-dai-du-12", "viewer").id == before + 1
    # Now the target differs from the source (a user and its audit entry), and a rerun says where.
    assert [c.name for c in m.migrate_database(source, pg_url).checks if not c.ok] == ["audit_log", "users"]


def test_canonical_rows_ignore_dialect_representation():
    import datetime as dt

    naive = dt.datetime(2026, 3, 1, 5, 0)
    aware = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=7)))
    from sqlalchemy import Boolean

    assert m._canon(naive) == m._canon(aware)
    assert m._canon(1, Boolean()) == m._canon(True, Boolean())
    assert m._canon(memoryview(b"ab")) == m._canon(b"ab")
    assert m._row_bytes([{"b": 1, "a": [1.5]}], [None]) == m._row_bytes([{"a": [1.5], "b": 1}], [None])
    assert m._canon(1.0) != m._canon(1)
