"""Migration 0011 scrubs clear author handles that an older version stored while hash_authors was on."""

from __future__ import annotations

import json
import logging
import sqlite3
import zlib

import pytest
from factories import make_doc
from test_author_privacy import database_texts, leaks, plants

from kiemchung import ingest, privacy
from kiemchung.ingest import Ingestor
from kiemchung.store import Database

PREVIOUS_HEAD = "0010"


def _old_ingest(db, docs, monkeypatch):
    """Store ``docs`` as the previous version did: no scrubbing of raw payload or meta."""
    with monkeypatch.context() as m:
        m.setattr(ingest, "scrub_document", lambda doc, hasher: None)
        Ingestor(db).add(docs)


def _planted_docs(tag: str):
    p = plants(tag)
    post = make_doc("", "Mn ơi đường vào xã Ngọc Sơn đang sửa", kind="post", platform="facebook",
                    external_id=f"fb-{tag}", author=p["name"], day=3,
                    raw=json.dumps({"message": "Mn ơi", "from": {"name": p["name"], "link": p["profile"]},
                                    "Cột riêng": p["name"]}, ensure_ascii=False).encode())
    item = make_doc("Cầu Bến Đá thông xe", "Cầu nối hai huyện", url=f"https://baolamson.vn/{tag}.html", day=4,
                    meta={"feed_title": "Báo", "author": f"{p['email']} ({p['name']})"},
                    raw=json.dumps({"author": p["name"], "author_detail": {"email": p["email"]}}).encode())
    page = make_doc("Giá vàng tăng", "Giá vàng miếng tăng", url=f"https://kinhte.vn/{tag}.html", day=5,
                    meta={"encoding": "utf-8", "author": p["name"]},
                    raw=f"<html><meta name='author' content='{p['name']}'><p>Giá vàng</p></html>".encode())
    plain = make_doc("Tin không có tác giả", "Nước sạch về xã", url=f"https://baolamson.vn/x-{tag}.html", day=6)
    return [post, item, page, plain]


def _db_at_previous_head(path):
    db = Database(path, upgrade=False)
    db.upgrade(PREVIOUS_HEAD)
    assert db.schema_revision() == PREVIOUS_HEAD
    return db


def test_upgrade_scrubs_clear_handles_and_says_how_many(tmp_path, monkeypatch, capsys, caplog):
    path = tmp_path / "kc.db"
    db = _db_at_previous_head(path)
    _old_ingest(db, _planted_docs("old"), monkeypatch)           # hash_authors on, old code: raw/meta clear
    db.set_setting("hash_authors", "0")
    _old_ingest(db, _planted_docs("off")[:1], monkeypatch)        # stored while an admin had turned it off
    db.set_setting("hash_authors", "1")
    db.close()
    assert leaks(database_texts(path))  # the planted handles are there before the upgrade
    capsys.readouterr()
    caplog.set_level(logging.INFO, logger="kiemchung.migrations")

    db = Database(path)  # opening upgrades to the newest revision
    assert db.schema_revision() != PREVIOUS_HEAD
    assert db.get_setting("author_scrub_rows") == "4"  # 3 planted + 1 off-period; the plain one unchanged
    assert "4" in capsys.readouterr().err
    assert any("4" in r.getMessage() for r in caplog.records)
    salt = db.installation_salt()
    db.close()
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        rows = {r[0]: r[1:] for r in conn.execute("SELECT external_id, author_hash, raw, meta FROM documents")}
        assert not leaks(database_texts(path)), leaks(database_texts(path))[:5]
    name = plants("old")["name"]
    author_hash, raw, _meta = rows["fb-old"]
    assert author_hash == privacy.hash_handle(name, salt)
    raw = json.loads(zlib.decompress(raw))
    assert raw == {"message": "Mn ơi", "from": {"name": author_hash, "link": privacy.hash_handle(plants("old")["profile"], salt)},
                   "Cột riêng": author_hash}
    assert rows["fb-off"][0] == privacy.hash_handle(plants("off")["name"], salt)  # clear column hashed


def test_upgrade_with_hashing_off_changes_nothing(tmp_path, monkeypatch, capsys):
    path = tmp_path / "kc.db"
    db = _db_at_previous_head(path)
    db.set_setting("hash_authors", "0")
    _old_ingest(db, _planted_docs("off"), monkeypatch)
    db.close()
    before = database_texts(path)
    db = Database(path)
    assert db.get_setting("author_scrub_rows") == "0"
    db.close()
    after = database_texts(path)
    assert [t for t in before if t[0] == "documents"] == [t for t in after if t[0] == "documents"]


def test_upgrade_is_idempotent_on_scrubbed_data(tmp_path, monkeypatch):
    path = tmp_path / "kc.db"
    db = _db_at_previous_head(path)
    Ingestor(db).add(_planted_docs("new"))  # today's ingest path: already scrubbed
    db.close()
    db = Database(path)
    assert db.get_setting("author_scrub_rows") == "0"
    db.close()


@pytest.fixture(autouse=True)
def _quiet_alembic(caplog):
    caplog.set_level(logging.WARNING, logger="alembic")
