"""Post links without their account (hash_authors on), and stored links that are not http(s).

A social post's link often names the account that posted it (``tiktok.com/@ten/video/1``). With
``hash_authors`` on it is stored handle-free (the platform's handle-free form, else the handle's hash),
the same post keeps one document key, official statements keep their links; migration 0016 rewrites
what older versions stored, and removes ``javascript:``/``data:`` links they kept.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import zlib

import pytest
from factories import make_doc
from test_author_privacy import database_texts, leaks

from kiemchung import ingest, privacy
from kiemchung.claims import factchecks as fcmod
from kiemchung.claims.claimreview import to_claimreview
from kiemchung.claims.factchecks import create_factcheck, get_factcheck, publish_factcheck
from kiemchung.ingest import Ingestor
from kiemchung.store import Database

SALT = "muoi"


def H(handle: str) -> str:
    return privacy.hash_handle(handle, SALT)


@pytest.mark.parametrize(("url", "expected"), [
    ("https://www.tiktok.com/@qzv.ten/video/7301?lang=vi", "https://www.tiktok.com/@/video/7301?lang=vi"),
    ("https://vt.tiktok.com/ZSabc123/", "https://vt.tiktok.com/ZSabc123/"),  # a short link names no one
    ("https://www.tiktok.com/@qzv.ten", f"https://www.tiktok.com/{H('qzv.ten')}"),
    ("https://x.com/QzvTen/status/1901", "https://x.com/i/status/1901"),
    ("https://twitter.com/qzvten/status/1901/photo/1", "https://twitter.com/i/status/1901/photo/1"),
    ("https://x.com/i/status/1901", "https://x.com/i/status/1901"),
    ("https://x.com/qzvten", f"https://x.com/{H('qzvten')}"),
    ("https://www.facebook.com/qzv.ten/posts/pfbid02x", f"https://www.facebook.com/{H('qzv.ten')}/posts/pfbid02x"),
    ("https://www.facebook.com/qzv.ten/videos/555", f"https://www.facebook.com/{H('qzv.ten')}/videos/555"),
    ("https://m.facebook.com/permalink.php?story_fbid=11&id=100077",
     f"https://m.facebook.com/permalink.php?story_fbid=11&id={H('100077')}"),
    ("https://www.facebook.com/watch/?v=999", "https://www.facebook.com/watch/?v=999"),
    ("https://www.facebook.com/groups/nhomxa/posts/456", "https://www.facebook.com/groups/nhomxa/posts/456"),
    ("https://www.facebook.com/groups/nhomxa/user/100077", f"https://www.facebook.com/groups/nhomxa/user/{H('100077')}"),
    ("https://www.facebook.com/reel/123?__cft__[0]=AZX&__tn__=R", "https://www.facebook.com/reel/123"),
    ("https://www.youtube.com/@qzvkenh/community?lb=Ugkx1", "https://www.youtube.com/post/Ugkx1"),
    ("https://www.youtube.com/watch?v=abc&ab_channel=QzvKenh", "https://www.youtube.com/watch?v=abc"),
    ("https://www.youtube.com/@qzvkenh/videos", f"https://www.youtube.com/{H('qzvkenh')}/videos"),
    ("https://www.youtube.com/channel/UCqzv1/videos", f"https://www.youtube.com/channel/{H('UCqzv1')}/videos"),
    ("https://youtu.be/abc?si=x", "https://youtu.be/abc?si=x"),
    ("https://t.me/qzvkenh/15", f"https://t.me/{H('qzvkenh')}/15"),
    ("https://t.me/s/qzvkenh/15", f"https://t.me/s/{H('qzvkenh')}/15"),
    ("https://t.me/+AbCdEf", "https://t.me/+AbCdEf"),
    ("https://www.instagram.com/qzv_ig/p/Cx1/", "https://www.instagram.com/p/Cx1"),
    ("https://www.instagram.com/p/Cx1/?igsh=qzvshare", "https://www.instagram.com/p/Cx1/"),
    ("https://www.threads.net/@qzv_th/post/Cz1", f"https://www.threads.net/{H('qzv_th')}/post/Cz1"),
    ("https://www.linkedin.com/posts/qzv-ten_slug-activity-7123-abcd",
     "https://www.linkedin.com/feed/update/urn:li:activity:7123"),
    ("https://www.linkedin.com/company/so-y-te", "https://www.linkedin.com/company/so-y-te"),
    ("https://zalo.me/0912345678", f"https://zalo.me/{H('0912345678')}"),
    ("https://zalo.me/g/abcxyz", "https://zalo.me/g/abcxyz"),
    ("https://vnexpress.net/qzv-tin-123.html", "https://vnexpress.net/qzv-tin-123.html"),
    ("Đọc thêm ở tiktok.com/@qzv nhé", "Đọc thêm ở tiktok.com/@qzv nhé"),  # text, not a link: content
])
def test_handle_free_url(url, expected):
    assert privacy.handle_free_url(url, H) == expected
    assert privacy.handle_free_url(expected, H) == expected  # idempotent: hashes are not hashed again


def test_non_strings_pass_through():
    assert privacy.handle_free_url(None, H) is None
    assert privacy.handle_free_url(12, H) == 12


def _post(url: str, n: int = 1, **kw):
    return make_doc("", f"Tin đồn số {n}: giá điện tăng gấp đôi từ tháng sau", url=url, kind="post",
                    platform="tiktok", **kw)


def test_ingest_stores_handle_free_links_and_dedupes_by_them(db):
    ing = Ingestor(db)
    assert ing.add([_post("https://www.tiktok.com/@qzv.ten/video/7301")]).added == 1
    # The same video under another spelling of its link (the account renamed, the handle-free form,
    # a share parameter): the same document.
    again = [_post("https://www.tiktok.com/@qzv.ten2/video/7301?utm_source=zalo", 2),
             _post("https://m.tiktok.com/@/video/7301", 3)]
    assert ing.add(again).added == 0
    doc = db.get_document(1)
    assert doc.url == "https://tiktok.com/@/video/7301"
    # An official statement (an agency's page, declared so by the editor) keeps its link; its author is
    # still hashed.
    official = make_doc("Sở Y tế thông báo", "Không có chuyện giá điện tăng gấp đôi", kind="official",
                        url="https://www.facebook.com/SoYTeLamGiang/posts/999", author="So Y te Lam Giang")
    ing.add([official])
    with db.read() as conn:
        rows = conn.execute(ingest.select(ingest.t.documents.c.url, ingest.t.documents.c.author_hash)
                            .where(ingest.t.documents.c.kind == "official")).all()
    assert rows[0].url == "https://facebook.com/SoYTeLamGiang/posts/999"
    assert rows[0].author_hash == privacy.hash_handle("So Y te Lam Giang", db.installation_salt())


def test_appearances_lose_the_account_but_evidence_keeps_its_link(any_db):
    db = any_db  # SQLite and PostgreSQL
    fc = create_factcheck(
        db, "Giá điện tăng gấp đôi từ tháng sau", "false", "Không có quyết định nào.", editor="bientap",
        evidence=[{"url": "https://www.facebook.com/SoCongThuong/posts/1"}],
        appearances=["https://x.com/qzvten/status/1901", "https://twitter.com/QZVTEN/status/1901"],
        first_appearance="https://t.me/qzvkenh/15")
    salt = db.installation_salt()
    assert fc.appearances == ["https://x.com/i/status/1901", "https://twitter.com/i/status/1901"]
    assert fc.first_appearance == f"https://t.me/{privacy.hash_handle('qzvkenh', salt)}/15"
    assert fc.evidence[0]["url"] == "https://www.facebook.com/SoCongThuong/posts/1"
    publish_factcheck(db, fc.id, "bientap")
    text = json.dumps(to_claimreview(db, fc.id), ensure_ascii=False)
    assert "qzv" not in text.lower() and "SoCongThuong" in text


# -- migration 0016 --------------------------------------------------------------------------------

PREVIOUS_HEAD = "0014"


def _db_at_previous_head(path):
    db = Database(path, upgrade=False)
    db.upgrade(PREVIOUS_HEAD)
    return db


def _later_columns(db) -> dict[str, list[str]]:
    """Columns today's library writes that migrations after PREVIOUS_HEAD add (e.g. 0021's
    ``factchecks.external``), per table: added for the planting only, dropped again before the upgrade,
    so the library can plant rows in a store that keeps the old schema."""
    from sqlalchemy import inspect

    from kiemchung.claims.tables import factchecks, factcheck_versions
    from kiemchung.store.schema import documents

    missing: dict[str, list[str]] = {}
    with db.read() as conn:
        insp = inspect(conn)
        for table in (documents, factchecks, factcheck_versions):
            have = {c["name"] for c in insp.get_columns(table.name)}
            missing[table.name] = [c.name for c in table.columns if c.name not in have]
    return {t: cols for t, cols in missing.items() if cols}


def _old_store(db, monkeypatch):
    """What an older version stored: post links with their account, javascript:/data: links."""
    later = _later_columns(db)
    with sqlite3.connect(db.path) as conn:
        for table, cols in later.items():
            for col in cols:
                conn.execute(f'ALTER TABLE {table} ADD COLUMN "{col}" DEFAULT 0')
    try:
        _plant(db, monkeypatch)
    finally:
        db.close()
        with sqlite3.connect(db.path) as conn:
            for table, cols in later.items():
                for col in cols:
                    conn.execute(f'ALTER TABLE {table} DROP COLUMN "{col}"')


def _plant(db, monkeypatch):
    with monkeypatch.context() as m:
        m.setattr(ingest, "scrub_document", lambda doc, hasher: None)
        m.setattr(ingest, "http_url", lambda url: url)
        m.setattr(fcmod, "url_scrubber", lambda conn: None)
        m.setattr(fcmod, "check_http_url", lambda url, what="": url)
        Ingestor(db).add([
            _post("https://www.tiktok.com/@qzv.ten/video/7301", 1,
                  raw=json.dumps({"url": "https://www.tiktok.com/@qzv.ten/video/7301",
                                  "shared": "https://x.com/qzvban/status/5"}).encode()),
            _post("https://x.com/qzvten/status/1901", 2),
            _post("javascript:alert(document.cookie)", 3),
            _post("data:text/html;base64,PHNjcmlwdD4=", 4),
            make_doc("Tin báo", "Nước sạch về xã", url="https://baolamson.vn/tin.html", day=2),
            make_doc("Sở Y tế thông báo", "Không tăng giá điện", kind="official",
                     url="https://www.facebook.com/SoYTeLamGiang/posts/999"),
        ])
        fc = create_factcheck(
            db, "Giá điện tăng gấp đôi", "false", "Không có quyết định nào.", editor="bientap",
            evidence=[{"url": "https://evn.example.vn/tb.html"}, {"url": "javascript:alert(1)"}],
            appearances=["https://www.tiktok.com/@qzv.ten/video/7301", "vbscript:msgbox(1)"],
            first_appearance="https://t.me/qzvkenh/15", url="javascript:alert(2)")
        publish_factcheck(db, fc.id, "bientap")


def test_migration_rewrites_stored_post_links_and_drops_bad_schemes(tmp_path, monkeypatch, capsys):
    path = tmp_path / "kc.db"
    db = _db_at_previous_head(path)
    _old_store(db, monkeypatch)
    db.close()
    assert leaks(database_texts(path))  # planted before the upgrade
    capsys.readouterr()

    db = Database(path)  # opening upgrades
    salt = db.installation_salt()
    assert db.get_setting("bad_link_rows") == "3"  # two documents, one fact-check
    assert int(db.get_setting("post_link_rows")) >= 4  # two documents, the fact-check, its versions, audit
    err = capsys.readouterr().err
    assert "removed non-http(s) links from 3 rows" in err and "removed account handles from post links" in err
    # The same post imported again is still recognised (its key follows its new link).
    assert Ingestor(db).add([_post("https://www.tiktok.com/@qzv.ten/video/7301", 9)]).added == 0
    fc = get_factcheck(db, 1)
    db.close()
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert not leaks(database_texts(path)), leaks(database_texts(path))[:5]
    stored = {u for (u,) in sqlite3.connect(path).execute("SELECT url FROM documents")}
    assert "https://tiktok.com/@/video/7301" in stored
    assert "https://x.com/i/status/1901" in stored
    assert not [u for u in stored if u and not u.startswith("https://")]
    assert "https://facebook.com/SoYTeLamGiang/posts/999" in stored  # the official statement's link kept
    assert fc.url is None
    assert fc.appearances == ["https://www.tiktok.com/@/video/7301"]
    assert fc.first_appearance == f"https://t.me/{privacy.hash_handle('qzvkenh', salt)}/15"
    assert fc.evidence == [{"url": "https://evn.example.vn/tb.html"}]
    with sqlite3.connect(path) as conn:
        raw = json.loads(zlib.decompress(conn.execute("SELECT raw FROM documents WHERE id = 1").fetchone()[0]))
    assert raw == {"url": "https://www.tiktok.com/@/video/7301", "shared": "https://x.com/i/status/5"}


def test_migration_with_hashing_off_keeps_post_links_but_drops_bad_schemes(tmp_path, monkeypatch):
    path = tmp_path / "kc.db"
    db = _db_at_previous_head(path)
    db.set_setting("hash_authors", "0")
    _old_store(db, monkeypatch)
    db.close()
    db = Database(path)
    assert db.get_setting("post_link_rows") == "0"
    assert db.get_setting("bad_link_rows") == "3"
    fc = get_factcheck(db, 1)
    db.close()
    stored = {u for (u,) in sqlite3.connect(path).execute("SELECT url FROM documents")}
    assert "https://tiktok.com/@qzv.ten/video/7301" in stored and "https://x.com/qzvten/status/1901" in stored
    assert not [u for u in stored if u and not u.startswith("https://")]
    assert fc.appearances == ["https://www.tiktok.com/@qzv.ten/video/7301"] and fc.url is None


@pytest.fixture(autouse=True)
def _quiet_alembic(caplog):
    caplog.set_level(logging.WARNING, logger="alembic")


def test_stored_link_rewrites_run_on_both_backends(any_db, monkeypatch):
    """What migration 0016 runs on fact-checks, on SQLite and on PostgreSQL (JSON columns, audit text)."""
    from kiemchung.links import neutralise_stored_links

    db = any_db
    with monkeypatch.context() as m:
        m.setattr(fcmod, "url_scrubber", lambda db: None)
        m.setattr(fcmod, "check_http_url", lambda url, what="": url)
        fc = create_factcheck(db, "Giá điện tăng gấp đôi", "false", "Không có.", editor="bientap",
                              evidence=[{"url": "https://evn.example.vn/tb.html"}, {"url": "data:text/html,x"}],
                              appearances=["https://x.com/qzvten/status/1901", "javascript:alert(1)"])
    salt = db.installation_salt()
    with db.write() as conn:
        assert neutralise_stored_links(conn) == 1
        assert privacy.scrub_stored_appearances(conn, salt) >= 2  # the fact-check, its version, the audit entry
        assert privacy.scrub_stored_appearances(conn, salt) == 0  # idempotent
    fc = get_factcheck(db, fc.id)
    assert fc.appearances == ["https://x.com/i/status/1901"]
    assert fc.evidence == [{"url": "https://evn.example.vn/tb.html"}]


_HOSTS = ["x.com", "twitter.com", "www.tiktok.com", "m.facebook.com", "www.youtube.com", "t.me",
          "www.instagram.com", "www.threads.net", "www.linkedin.com", "zalo.me"]


def test_rewrite_never_fails_and_is_idempotent_on_any_input():
    """Property check (hypothesis): any text, and any social link with a random path and query, is
    rewritten without an error, and rewriting again changes nothing."""
    hypothesis = pytest.importorskip("hypothesis")
    st = hypothesis.strategies

    segment = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789._-@+", min_size=1, max_size=12)
    links = st.builds(
        lambda host, segs, query: f"https://{host}/" + "/".join(segs) + (f"?{query}" if query else ""),
        st.sampled_from(_HOSTS), st.lists(segment, max_size=5),
        st.sampled_from(["", "id=1", "lb=Ugkx", "ab_channel=K&v=1", "__cft__[0]=x", "story_fbid=1&id=2"]))

    @hypothesis.settings(max_examples=600, deadline=None, derandomize=True, database=None)
    @hypothesis.given(st.one_of(links, st.text(max_size=80)))
    def check(value):
        once = privacy.handle_free_url(value, H)
        assert privacy.handle_free_url(once, H) == once

    check()


def test_links_inside_metadata_sentences_lose_the_account(db):
    """A full-text fetch error names the link it tried; kept in meta, it must not name the account."""
    doc = _post("https://x.com/qzvten/status/1901", 5,
                meta={"full_text_error": "Hết thời gian chờ khi tải https://x.com/qzvten/status/1901 (timeout)"})
    Ingestor(db).add([doc])
    stored = db.get_document(1)
    assert stored.meta["full_text_error"] == "Hết thời gian chờ khi tải https://x.com/i/status/1901 (timeout)"


@pytest.mark.parametrize("value", [
    "https://www.TikTok.COM/@qzv/video/1", "fb.me/qzv", "xem t.me/kenh_qzv", "YOUTU.BE/abc", "gapo.vn/qzv",
    "https://vnexpress.net/tin-123.html", "Theo Bộ Y tế, ngày 5/3, 120 ca sốt xuất huyết.", "x.comma", "zalo.me",
    "a.vn", "", "facebook. com/qzv", "lotus.vnx", "threads.net/@qzv",
])
def test_the_social_hint_prefilter_agrees_with_the_hint(value):
    # _social_hint searches the domain ending first (fast on long texts); the answer is the hint's own
    assert privacy._social_hint(value) == (privacy._SOCIAL_HINT.search(value) is not None)
