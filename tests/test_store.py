"""The store: migrations, settings, sources and their health, author hashing."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import text

from kiemchung.errors import NotFoundError, StoreError
from kiemchung.models import Source
from kiemchung.store import Database

# Every test here that takes ``db`` runs on SQLite and on PostgreSQL (tests/conftest.py: any_db).
pytestmark = pytest.mark.pg_fulltext


@pytest.fixture
def db(any_db):
    return any_db


HEAD = "0025"


def test_new_database_is_at_head_and_uses_wal(tmp_path):
    db = Database(tmp_path / "a.db")
    assert db.schema_revision() == HEAD
    with db.read() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    db.close()


def test_old_database_upgrades_itself_and_keeps_its_data(tmp_path):
    path = tmp_path / "old.db"
    old = Database(path, upgrade=False)
    old.upgrade("0001")
    with old.write() as conn:
        conn.execute(
            text("INSERT INTO sources (kind, url, name, created_at) VALUES ('feed', 'http://x/rss', 'X', '2026-01-01')")
        )
    assert old.schema_revision() == "0001"
    old.close()
    raw = sqlite3.connect(path)
    assert "documents_added" not in [r[1] for r in raw.execute("PRAGMA table_info(sources)")]
    raw.close()

    db = Database(path)
    assert db.schema_revision() == HEAD
    src = db.get_source("http://x/rss")
    assert src.name == "X"
    assert src.meta["documents_added"] == 0
    db.close()


def test_sources_add_is_idempotent_and_health_is_recorded(db):
    a = db.add_source(Source(kind="feed", url="https://baolamson.vn/rss", name="Báo Lam Sơn"))
    b = db.add_source(Source(kind="feed", url="https://baolamson.vn/rss", name="again"))
    assert a.id == b.id
    db.record_fetch_failure(a.id, message="Hết thời gian chờ", reason="timeout", soft=True)
    db.record_fetch_failure(a.id, message="Hết thời gian chờ", reason="timeout", soft=True)
    src = db.get_source(a.id)
    assert src.consecutive_failures == 2 and src.failure_kind == "soft" and src.healthy
    db.record_fetch_failure(a.id, message="404", reason="http_4xx", soft=False)
    assert not db.get_source("Báo Lam Sơn").healthy
    db.record_fetch_success(a.id, etag='"v2"', last_modified=None, added=0)
    src = db.get_source(a.id)
    assert src.consecutive_failures == 0 and src.etag == '"v2"' and src.last_success_at is not None


def test_unknown_source_and_kind(db):
    with pytest.raises(NotFoundError):
        db.get_source(42)
    with pytest.raises(StoreError):
        db.add_source(Source(kind="telegram-bot", url="x"))


def test_author_handles_are_hashed_with_a_per_installation_salt(tmp_path):
    a = Database(tmp_path / "a.db")
    b = Database(tmp_path / "b.db")
    ka = a.author_key("@NguoiDung")
    assert ka == a.author_key("nguoidung")  # case and @ do not matter
    assert "nguoidung" not in ka
    assert ka != b.author_key("@NguoiDung")  # another installation, another salt
    a.set_setting("hash_authors", "0")
    assert a.author_key("@NguoiDung") == "nguoidung"
    a.close()
    b.close()


def test_naive_datetimes_are_refused(db, sample_docs):
    from kiemchung.ingest import Ingestor

    doc = sample_docs[0]
    doc.published_at = doc.published_at.replace(tzinfo=None)
    # Naive input is taken as Vietnam time by the ingest path, never stored naive.
    Ingestor(db).add([doc])
    stored = db.get_document(1)
    assert stored.published_at.utcoffset().total_seconds() == 0
    assert stored.published_at.hour == 5  # 12:00 in Hanoi is 05:00 UTC


def test_lean_connections_apply_inside_their_block_only(tmp_path):
    """A long import's small page cache and no memory map hold for the connections opened inside
    ``lean_connections()``; connections opened after it get the defaults again (a test process that
    ran an import must not keep the small cache)."""
    from kiemchung.store.backends import sqlite as backend

    def pragmas(db):
        with db.read() as conn:
            return (conn.execute(text("PRAGMA cache_size")).scalar(), conn.execute(text("PRAGMA mmap_size")).scalar())

    with backend.lean_connections():
        lean = Database(tmp_path / "lean.db")
        assert pragmas(lean) == (-backend.LEAN_CACHE_KIB, backend.LEAN_MMAP_BYTES)
        lean.close()
    after = Database(tmp_path / "after.db")
    assert pragmas(after) == (-backend.CACHE_KIB, backend.MMAP_BYTES)
    assert (backend.CACHE_KIB, backend.MMAP_BYTES) != (backend.LEAN_CACHE_KIB, backend.LEAN_MMAP_BYTES)
    after.close()


def test_a_read_block_sees_one_snapshot(any_db) -> None:
    """Two statements of one ``read()`` block see the same store, even when a write commits between
    them (on PostgreSQL too, where a plain transaction would see it); the next block sees the write."""
    count = text("SELECT count(*) FROM settings")
    with any_db.read() as conn:
        before = conn.execute(count).scalar_one()
        any_db.set_setting("test.snapshot", "1")  # a new row, committed by the writer meanwhile
        assert conn.execute(count).scalar_one() == before
    with any_db.read() as conn:
        assert conn.execute(count).scalar_one() > before
