"""The ingest path end to end: idempotent reruns, raw payloads, and crash safety under SIGKILL."""

from __future__ import annotations

import datetime as dt
import json
import random
import signal
import sqlite3
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest
from factories import make_doc
from sqlalchemy.exc import IntegrityError
from survivors import marked_env, survivors

from kiemchung import timeutil
from kiemchung.dedupe import DedupeSettings
from kiemchung.ingest import Ingestor
from kiemchung.store import Database

# Every test here that takes ``db`` runs on SQLite and on PostgreSQL (tests/conftest.py: any_db).
pytestmark = pytest.mark.pg_fulltext


@pytest.fixture
def db(any_db):
    return any_db


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
    if db.is_sqlite:  # the FTS5 row itself (PostgreSQL keeps a tsvector: the search below shows it)
        with db.read() as conn:
            folded = conn.exec_driver_sql("SELECT body_fold FROM documents_fts WHERE body_fold LIKE '%nuoc may%'").scalar()
        assert "khong uong" in folded and " ko " not in f" {folded} "
    from kiemchung.store.search import search

    assert [h.document.id for h in search(db, '"khong uong nuoc may"').hits] == [post.id]


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
    marker, env = marked_env(PYTHONPATH=str(ROOT))
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
    assert survivors(marker) == []  # the killed imports' story processes and their helpers ended with them
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


# -- the dedupe window: refresh, interruption, rollback ----------------------------------------------

_VOCAB = [
    "nước", "sông", "lũ", "cầu", "đường", "xã", "huyện", "tỉnh", "dân", "bão", "mưa", "lúa", "giá",
    "chợ", "trường", "học", "bệnh", "viện", "bác", "sĩ", "điện", "đèn", "nhà", "cửa", "ruộng",
    "vườn", "cá", "tôm", "muối", "gạo", "xe", "buýt", "ga", "bến", "đò", "núi", "rừng", "biển",
    "đảo", "trạm", "y", "tế", "phường",
]


def _stream(n: int, *, days: int, seed: int = 21):
    """``n`` invented items stored over ``days`` days up to now, oldest first; every fifth repeats the text of
    one ~35 days older (another outlet carrying it), so some copies point behind a 30-day window."""
    rng = random.Random(seed)
    now = timeutil.now()
    texts: list[tuple[str, str]] = []
    docs = []
    for i in range(n):
        when = now - dt.timedelta(days=days * (n - i) / n)
        back = round(35 * n / days)
        if i % 5 == 4 and i >= back:
            title, lead = texts[i - back]
        else:
            title = f"Tin số {i}"
            lead = " ".join(rng.choice(_VOCAB) for _ in range(30)).capitalize() + f" (số {i})."
        texts.append((title, lead))
        docs.append(make_doc(title, lead, url=f"https://tin{i % 7}.vn/bai-{i}", fetched_at=when, published_at=when))
    return docs


def _groups(db) -> dict[str, int | None]:
    with db.read() as conn:
        rows = conn.exec_driver_sql("SELECT url, dup_group FROM documents").all()
    return dict(rows)


def test_refresh_index_loads_only_the_window(db):
    now = timeutil.now()
    ages = [90, 45, 31, 29, 5, 0]
    Ingestor(db).add(
        [make_doc(f"Tin {a} ngày", f"Nội dung riêng của tin đăng cách đây {a} ngày về xã Hòa Bình.", url=f"https://a.vn/{a}",
                  fetched_at=now - dt.timedelta(days=a), published_at=now - dt.timedelta(days=a)) for a in ages]
    )
    ing = Ingestor(db)
    ing.refresh_index()
    assert [i for i in range(1, 7) if i in ing.index] == [4, 5, 6]
    capped = Ingestor(db, dedupe=DedupeSettings(max_entries=2))
    capped.refresh_index()
    assert [i for i in range(1, 7) if i in capped.index] == [5, 6]
    wide = Ingestor(db, dedupe=DedupeSettings(window_days=60))
    wide.refresh_index()
    assert len(wide.index) == 5
    # A later refresh picks up what another process stored meanwhile, and only that.
    Ingestor(db).add([make_doc("Tin mới", "Một tin mới về cầu Bến Đá do quá trình khác lưu.", url="https://b.vn/moi",
                               published_at=now)])
    ing.refresh_index()
    assert [i for i in range(1, 8) if i in ing.index] == [4, 5, 6, 7]


def test_interrupted_ingest_with_a_window_reruns_without_duplicates(tmp_path):
    docs = _stream(900, days=120)

    reference = Database(tmp_path / "ref.db")  # every document held: what the grouping should be
    Ingestor(reference, dedupe=DedupeSettings(window_days=None, max_entries=None), batch_size=100).add(docs)
    expected = _groups(reference)
    reference.close()

    db = Database(tmp_path / "kc.db")

    def interrupted():
        for i, doc in enumerate(docs):
            if i == 650:
                raise KeyboardInterrupt  # the run is stopped in the middle of a batch
            yield doc

    ing = Ingestor(db, batch_size=100)
    with pytest.raises(KeyboardInterrupt):
        ing.add(interrupted())
    assert db.count_documents() == 600  # whole batches only
    assert len(ing.index) < 600  # older documents were evicted along the way
    stats = Ingestor(db, batch_size=100).add(docs)
    assert stats.existing == 600 and stats.added == 300
    assert Ingestor(db).add(docs).added == 0
    with db.read() as conn:
        assert conn.exec_driver_sql("SELECT count(*), count(DISTINCT doc_key) FROM documents").one() == (900, 900)
    assert _groups(db) == expected  # exact copies 35 days apart are linked as if everything were held
    assert sum(g is not None for g in expected.values()) > 200
    db.close()


def test_a_failed_batch_resets_the_index_and_a_rerun_stores_everything_once(db):
    docs = _stream(300, days=60, seed=22)
    with db.write() as conn:
        if db.is_sqlite:
            conn.exec_driver_sql(
                "CREATE TRIGGER refuse BEFORE INSERT ON documents WHEN NEW.title = 'Tin số 250' "
                "BEGIN SELECT RAISE(ABORT, 'refused by test trigger'); END"
            )
        else:
            conn.exec_driver_sql(
                "CREATE FUNCTION refuse_doc() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                "IF NEW.title = 'Tin số 250' THEN RAISE EXCEPTION 'refused by test trigger' "
                "USING ERRCODE = 'check_violation'; END IF; RETURN NEW; END $$"
            )
            conn.exec_driver_sql(
                "CREATE TRIGGER refuse BEFORE INSERT ON documents FOR EACH ROW EXECUTE FUNCTION refuse_doc()"
            )
    ing = Ingestor(db, batch_size=100)
    with pytest.raises(IntegrityError):
        ing.add(docs)
    assert db.count_documents() == 200 and len(ing.index) == 0  # the index forgot the rolled-back batch
    with db.write() as conn:
        conn.exec_driver_sql("DROP TRIGGER refuse" if db.is_sqlite else "DROP TRIGGER refuse ON documents")
    stats = ing.add(docs)
    assert stats.added == 100 and stats.existing == 200
    assert 0 < len(ing.index) < 300  # reloaded: only the last 30 days
    with db.read() as conn:
        assert conn.exec_driver_sql("SELECT count(*), count(DISTINCT doc_key) FROM documents").one() == (300, 300)


@pytest.mark.parametrize("kind", ["article", "post"])
@pytest.mark.parametrize(("title", "lead", "body"), [
    ("Hà Nội mưa lớn, 1.000 hộ bị ngập", "Sáng 5/3, mưa 30% lớn hơn", "Dòng một\n\nDòng hai: COVID-19 và F0"),
    ("HOÀ BÌNH: khoẻ, thuỷ", "", "hòa bình 2,5% tăng"),
    ("Tin nhanh", "đi ko e, ko bjo", ""),
    ("東京 ＡＢＣ ﬁ 丽", "Σίσυφος İstanbul ſ", "\u212avin đẹp, ﬀ"),
    ("a\u0301 Ðà Nẵng", "e\u0300\u0323 x", "tab\there  and   spaces"),
    ("", "", ""),
    ("Tin\u200b nóng\u00ad", "\ufeffđường\u200d\x07 sắt", "dòng\u2028một\r\ndòng\u202e hai\x00"),
])
def test_shingle_tokens_shared_with_the_content_hash_are_the_index_texts_tokens(kind, title, lead, body):
    # The ingest reuses the content hash's folded tokens for the shingles when the folded text is ASCII
    # (not for posts); they must be what tokenising the folded index text gives.
    from kiemchung import text
    from kiemchung.dedupe import content_hash, content_tokens, hash_of_tokens
    from kiemchung.ingest import _shingle_tokens, index_fields

    title, lead = text.normalize(title), text.normalize(lead)
    body = text.normalize(body, keep_newlines=True)
    _, _, fold_title, fold_body = index_fields(kind, title, lead, body)
    folded = content_tokens(title, lead, body, normalized=True)  # as the ingest does: normalised already
    assert folded == content_tokens(title, lead, body)
    assert hash_of_tokens(folded) == content_hash(title, lead, body)
    assert _shingle_tokens(kind, fold_title, fold_body, folded) == text.syllables(fold_title + " " + fold_body, strip=False)
