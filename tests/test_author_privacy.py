"""With ``hash_authors`` on, no author's handle, name, e-mail or profile URL is written anywhere.

A distinctive handle, name, e-mail address and profile URL are planted in a feed served by a local HTTP
server, a JSONL import, a CSV import and an .xlsx import; the pipeline runs (fetch, imports, stories,
report files, exports, ``show --raw``, the API and the raw download); then every table of the SQLite
file (FTS shadow tables and the FTS vocabulary included, compressed blobs opened), every file the
installation wrote, every response, the terminal output and the log are scanned for them.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import logging
import re
import sqlite3
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from factories import run_cli_in_process
from fastapi.testclient import TestClient

from kiemchung import privacy
from kiemchung.claims.factchecks import create_factcheck, publish_factcheck
from kiemchung import users as U
from kiemchung.collect import Collector
from kiemchung.models import Source
from kiemchung.sources.http import Fetcher, FetchSettings
from kiemchung.store import Database
from kiemchung.web import create_app

# Every planted value contains "qzv" (never a hex digit, never Vietnamese) or "plantperson".
MARKS = ("qzv", "plantperson")


def plants(tag: str) -> dict[str, str]:
    return {
        "handle": f"@qzv_handle_{tag}",
        "name": f"Trần Plantperson Qzv{tag}",
        "email": f"qzv.mail.{tag}@example.org",
        "profile": f"https://www.facebook.com/qzv.profile.{tag}",
        "tiktok": f"https://www.tiktok.com/@qzv_tt_{tag}",
    }


def post_urls(tag: str) -> list[tuple[str, str]]:
    """(a post's link, a second link in its payload), each naming a planted account."""
    return [
        (f"https://www.tiktok.com/@qzv_tt_{tag}/video/7301", f"https://vt.tiktok.com/@qzv_tt2_{tag}/photo/7302"),
        (f"https://x.com/qzv_x_{tag}/status/1901", f"https://twitter.com/Qzv_X2_{tag}/status/1902/photo/1"),
        (f"https://www.facebook.com/qzv.page.{tag}/posts/pfbid0123", f"https://m.facebook.com/story.php?story_fbid=5&id=qzv{tag}"),
        (f"https://www.youtube.com/@qzvkenh{tag}/community?lb=Ugkx1", f"https://www.youtube.com/watch?v=abc&ab_channel=Qzv{tag}"),
        (f"https://t.me/qzv_tg_{tag}/15", f"https://t.me/s/qzv_tg2_{tag}/16"),
        (f"https://www.instagram.com/qzv_ig_{tag}/p/Cx1/", f"https://www.instagram.com/stories/qzv_ig2_{tag}/31/"),
        (f"https://www.threads.net/@qzv_th_{tag}/post/Cz1", f"https://www.youtube.com/channel/UCqzv{tag}/videos"),
        (f"https://www.linkedin.com/posts/qzv-user-{tag}_slug-activity-7123-abcd", f"https://www.linkedin.com/in/qzv-{tag}"),
        (f"https://zalo.me/qzv{tag}123", f"https://www.facebook.com/people/Qzv-{tag}/1000123"),
    ]


def rss_feed() -> bytes:
    p = plants("rss")
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>
<title>Báo Lam Sơn thử</title><link>http://example.vn/</link><description>tin</description>
<item><title>Cầu Bến Đá thông xe sau hai năm xây dựng</title><link>http://example.vn/cau-ben-da.html</link>
<description>Cầu Bến Đá nối hai huyện Tây Hà và Đông Hà đã thông xe sáng nay.</description>
<author>{p['email']} ({p['name']})</author><pubDate>Mon, 02 Mar 2026 08:00:00 +0700</pubDate></item>
<item><title>Nước sạch về xã Hòa Bình</title><link>http://example.vn/nuoc-sach.html</link>
<description>Hơn 300 hộ dân xã Hòa Bình đã có nước sạch sinh hoạt.</description>
<dc:creator>{p['name']}</dc:creator><pubDate>Tue, 03 Mar 2026 08:00:00 +0700</pubDate></item>
</channel></rss>""".encode()


def atom_feed() -> bytes:
    p = plants("atom")
    return f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Cổng thông tin thử</title><id>urn:x</id>
<updated>2026-03-04T08:00:00+07:00</updated>
<entry><title>Giá vàng miếng tăng mạnh trong phiên sáng</title><id>urn:x:1</id>
<link href="http://example.vn/gia-vang.html"/><updated>2026-03-04T08:00:00+07:00</updated>
<summary>Giá vàng miếng trong nước tăng 500.000 đồng mỗi lượng.</summary>
<author><name>{p['name']}</name><email>{p['email']}</email><uri>{p['profile']}</uri></author>
<contributor><name>{p['handle']}</name><uri>{p['tiktok']}</uri></contributor></entry>
</feed>""".encode()


class _Feeds(BaseHTTPRequestHandler):
    routes: ClassVar[dict[str, bytes]] = {"/rss.xml": rss_feed(), "/atom.xml": atom_feed()}

    def do_GET(self):
        body = self.routes.get(self.path.split("?")[0])
        if body is None:
            self.send_response(404)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/xml; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):  # keep the test output quiet
        pass


@pytest.fixture
def feed_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Feeds)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def write_inputs(folder: Path) -> dict[str, Path]:
    folder.mkdir()
    j = plants("jsonl")
    jsonl = folder / "facebook.jsonl"
    records = [
        {"id": "fb-1", "message": "Mn ơi đường vào xã Ngọc Sơn đang sửa, đi vòng nha",
         "created_time": "2026-03-05T09:00:00+07:00",
         "permalink_url": "https://www.facebook.com/permalink.php?story_fbid=111&id=222",
         "from": {"name": j["name"], "id": "100099887766", "link": j["profile"]},
         "comments": {"data": [{"message": "cảm ơn bạn", "from": {"name": j["handle"], "email": j["email"]}}]}},
        {"id": "tt-1", "desc": "x", "text": "Clip lũ ở Tây Hà chiều nay, mọi người cẩn thận",
         "createTime": 1772690400,
         "authorMeta": {"name": j["handle"], "nickName": j["name"], "profileUrl": j["tiktok"], "fans": 12},
         "author": {"uniqueId": j["handle"], "signature": f"liên hệ {j['email']}"}},
        {"id": "zl-1", "content": "Thông báo lịch cắt điện xã Đông Hà ngày mai",
         "time": "2026-03-06 10:00", "sender": {"displayName": j["name"], "zaloId": "84912345678"},
         "contact": j["email"], "website": j["profile"]},
        {"id": "yt-1", "text": "Bình luận: video về cầu Bến Đá rất hay",
         "published_at": "2026-03-07T10:00:00+07:00",
         "snippet": {"authorDisplayName": j["name"], "authorChannelUrl": "https://www.youtube.com/@qzvkenh",
                     "authorChannelId": {"value": "UCqzv123"}, "channelTitle": j["name"]}},
    ]
    # Post links that name their account, one per platform the importers know: as the document's own
    # link (the first URL column found) and inside the payload.
    for i, (url, also) in enumerate(post_urls("jsonl")):
        records.append({"id": f"url-{i}", "text": f"Tin đồn số {i} về giá điện tăng gấp đôi từ tháng sau",
                        "created_time": "2026-03-08T10:00:00+07:00", "url": url, "shared_from": also})
    jsonl.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n", encoding="utf-8")

    c = plants("csv")
    csv_path = folder / "bai-dang.csv"
    with csv_path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["Nội dung", "Thời gian", "Tác giả", "Email", "Trang cá nhân", "Lượt thích"])
        w.writerow(["Người dân xã Hòa Bình phấn khởi đón nước sạch", "05/03/2026 08:30", c["handle"],
                    c["email"], c["profile"], "12"])
        w.writerow(["Giá rau tăng mạnh sau mưa lớn ở Tây Hà", "06/03/2026 08:30", c["name"], c["email"],
                    c["tiktok"], "3"])

    openpyxl = pytest.importorskip("openpyxl")
    x = plants("xlsx")
    wb = openpyxl.Workbook()
    wb.active.append(["Nội dung", "Thời gian", "Người đăng", "Tên", "Liên hệ", "Hồ sơ"])
    wb.active.append(["Sạt lở ở Đông Hà, đường tạm đóng", "2026-03-07 07:00", x["handle"], x["name"],
                      x["email"], x["profile"]])
    xlsx = folder / "bai-dang.xlsx"
    wb.save(xlsx)
    return {"jsonl": jsonl, "csv": csv_path, "xlsx": xlsx}


def _texts_of_cell(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, bytes):
        out = [value.decode("utf-8", "replace")]
        with contextlib.suppress(zlib.error):
            out.append(zlib.decompress(value).decode("utf-8", "replace"))
        return out
    return [str(value)]


def database_texts(path: Path) -> list[tuple[str, str]]:
    """(where, text) for every cell of every table, FTS shadow tables and the FTS vocabulary included."""
    out: list[tuple[str, str]] = []
    conn = sqlite3.connect(path)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        assert "documents_fts_data" in tables  # the shadow tables are scanned too
        for table in tables:
            try:
                rows = conn.execute(f'SELECT * FROM "{table}"').fetchall()
            except sqlite3.OperationalError:
                continue
            for row in rows:
                for cell in row:
                    out.extend((table, t) for t in _texts_of_cell(cell))
        conn.execute("CREATE VIRTUAL TABLE temp.vocab USING fts5vocab(main, 'documents_fts', 'row')")
        out.extend(("documents_fts vocabulary", r[0]) for r in conn.execute("SELECT term FROM temp.vocab"))
    finally:
        conn.close()
    return out


def file_texts(root: Path, skip: Path) -> list[tuple[str, str]]:
    out = []
    for p in root.rglob("*"):
        if p.is_file() and skip not in p.parents:
            out.append((str(p), p.read_bytes().decode("utf-8", "replace")))
    return out


# A user's password hash (argon2's salt and digest in base64) is random text: a three-letter mark can
# occur in it by chance (CI, 2026-12-06: "…KlqZvqHyzQ…"), and it holds nothing of the planted data.
PASSWORD_HASH = re.compile(r"\$argon2id?\$v=\d+\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+")


def leaks(texts: list[tuple[str, str]], extra: tuple[str, ...] = ()) -> list[str]:
    found = []
    for where, text in texts:
        text = PASSWORD_HASH.sub("$argon2…", text)
        low = text.lower()
        for mark in (*MARKS, *extra):
            if mark.lower() in low:
                i = low.index(mark.lower())
                found.append(f"{where}: …{text[max(0, i - 60): i + 60]}…")
    return found


def run_pipeline(tmp_path: Path, feed_server: str, capsys, *, hash_authors: bool):
    db_path = tmp_path / "kc.db"
    inputs = write_inputs(tmp_path / "inputs")
    db = Database(db_path)
    if not hash_authors:
        db.set_setting("hash_authors", "0")
    out: list[tuple[str, str]] = []

    def cli(*args: str) -> None:
        assert run_cli_in_process(db_path, *args) == 0, args
        got = capsys.readouterr()
        out.append((f"kiemchung {' '.join(args)}", got.out + got.err))

    fetcher = Fetcher(FetchSettings(min_interval_s=0.0, retries=0, total_timeout_s=5.0, read_timeout_s=2.0))
    try:
        for name in ("rss.xml", "atom.xml"):
            src = db.add_source(Source(kind="feed", url=f"{feed_server}/{name}", name=name))
            assert Collector(db, fetcher=fetcher).poll(src).stats.added >= 1
    finally:
        fetcher.close()
    cli("import", str(inputs["jsonl"]), "--platform", "facebook")
    cli("import", str(inputs["csv"]))
    cli("import", str(inputs["xlsx"]))
    cli("stories", "run")
    cli("stories")
    (tmp_path / "exports").mkdir()
    cli("export", "--format", "csv", "-o", str(tmp_path / "exports" / "all.csv"))
    cli("export", "--format", "jsonl", "-o", str(tmp_path / "exports" / "all.jsonl"))
    cli("report", "--from", "2026-03-01", "--to", "2026-03-31", "--format", "html", "--out", str(tmp_path / "reports"))
    cli("report", "--from", "2026-03-01", "--to", "2026-03-31", "--format", "md", "--out", str(tmp_path / "reports"))
    n = db.count_documents()
    assert n >= 10
    for i in range(1, n + 1):
        cli("show", str(i), "--raw")
        cli("show", str(i))

    # A fact-check whose appearances are planted post links: stored, versioned, audited, published.
    fc = create_factcheck(
        db, "Giá điện tăng gấp đôi từ tháng sau", "false", "Không có quyết định nào như vậy.", editor="bientap",
        evidence=[{"url": "https://evn.example.vn/thong-bao.html"}],
        appearances=[u for pair in post_urls("fc") for u in pair], first_appearance=post_urls("fc1")[1][0])
    publish_factcheck(db, fc.id, "bientap")
    U.add_user(db, "quantri", "matkhau-manh-123", "admin")
    client = TestClient(create_app(db))
    client.post("/login", data={"username": "quantri", "password": "matkhau-manh-123", "next": "/"})
    for url in [f"/api/v1/factchecks/{fc.id}/claimreview", f"/factchecks/{fc.id}", "/factchecks/feed.xml",
                "/api/v1/documents?limit=500", "/api/v1/search?q=nuoc", "/api/v1/stories", "/api/v1/sources",
                "/search/export?q=xa&format=csv", "/search/export?q=xa&format=jsonl", "/search?q=xa"]:
        r = client.get(url)
        assert r.status_code == 200, url
        out.append((url, r.text))
    for i in range(1, n + 1):
        for url in (f"/api/v1/documents/{i}", f"/documents/{i}/raw", f"/documents/{i}"):
            r = client.get(url)
            assert r.status_code == 200, url
            out.append((url, r.text))
    db.close()
    return db_path, inputs, out


def test_no_planted_author_is_written_anywhere(tmp_path, feed_server, capsys, caplog):
    caplog.set_level(logging.DEBUG)
    db_path, inputs, outputs = run_pipeline(tmp_path, feed_server, capsys, hash_authors=True)
    # Checkpoint the WAL so the database file itself holds every page, then scan it all.
    with sqlite3.connect(db_path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        salt = conn.execute("SELECT value FROM settings WHERE key = 'author_salt'").fetchone()[0]
    texts = database_texts(db_path) + file_texts(tmp_path, inputs["jsonl"].parent) + outputs
    texts.append(("log", "\n".join(r.getMessage() for r in caplog.records)))
    assert not leaks(texts), "\n".join(leaks(texts)[:20])
    # The salt stays in the settings table only: never in an export, a response, a report or output.
    elsewhere = [t for t in texts if not t[0].startswith(("settings", str(db_path)))]
    assert not leaks(elsewhere, (salt,))
    # ...and the documents still say something: authors hashed the same way in column and payload.
    with sqlite3.connect(db_path) as conn:
        row = conn.execute("SELECT author_hash, raw FROM documents WHERE external_id = 'fb-1'").fetchone()
    raw = json.loads(zlib.decompress(row[1]))
    assert raw["from"]["name"] == row[0] == privacy.hash_handle(plants("jsonl")["name"], salt)
    assert raw["message"].startswith("Mn ơi") and raw["permalink_url"].startswith("https://www.facebook.com/")
    # Post links lost their account, not the post: the platform's handle-free form where it has one,
    # else the account's hash (the same as author_hash for the same handle).
    with sqlite3.connect(db_path) as conn:
        urls = dict(conn.execute("SELECT external_id, url FROM documents WHERE external_id LIKE 'url-%'").fetchall())
    h = lambda handle: privacy.hash_handle(handle, salt)  # noqa: E731
    assert urls["url-0"] == "https://tiktok.com/@/video/7301"
    assert urls["url-1"] == "https://x.com/i/status/1901"
    assert urls["url-2"] == f"https://facebook.com/{h('qzv.page.jsonl')}/posts/pfbid0123"
    assert urls["url-3"] == "https://youtube.com/post/Ugkx1"
    assert urls["url-4"] == f"https://t.me/{h('qzv_tg_jsonl')}/15"
    assert urls["url-5"] == "https://instagram.com/p/Cx1"
    assert urls["url-7"] == "https://linkedin.com/feed/update/urn:li:activity:7123"


def test_hash_authors_off_keeps_handles_as_documented(tmp_path, feed_server, capsys):
    db_path, _, _ = run_pipeline(tmp_path, feed_server, capsys, hash_authors=False)
    with sqlite3.connect(db_path) as conn:
        row = conn.execute("SELECT author_hash, raw FROM documents WHERE external_id = 'fb-1'").fetchone()
        metas = [json.loads(m) for (m,) in conn.execute("SELECT meta FROM documents WHERE meta LIKE '%author%'")]
    assert row[0] == plants("jsonl")["name"].lower()
    assert json.loads(zlib.decompress(row[1]))["from"]["link"] == plants("jsonl")["profile"]
    assert any(m.get("author") == plants("rss")["name"] for m in metas)
    # Links stay as they were given (canonical form only).
    with sqlite3.connect(db_path) as conn:
        urls = dict(conn.execute("SELECT external_id, url FROM documents WHERE external_id LIKE 'url-%'").fetchall())
        appearances = json.loads(conn.execute("SELECT appearances FROM factchecks").fetchone()[0])
    assert urls["url-0"] == "https://tiktok.com/@qzv_tt_jsonl/video/7301"
    assert urls["url-1"] == "https://x.com/qzv_x_jsonl/status/1901"
    assert urls["url-4"] == "https://t.me/qzv_tg_jsonl/15"
    assert appearances[:2] == [u for u, _ in post_urls("fc")[:1]] + [post_urls("fc")[0][1]]


# -- the scrubber's rules, one by one ----------------------------------------------------------------


def H(s: str) -> str:
    return privacy.hash_handle(s, "muoi")


def hasher(s: str) -> str:
    return H(s)


@pytest.mark.parametrize(
    "key", ["author", "authorMeta", "author_detail", "from", "user", "owner", "sender", "uniqueId",
            "screen_name", "channelTitle", "authorChannelUrl", "Tác giả", "Người đăng", "email", "E-mail",
            "contributors", "nickName", "Trang cá nhân", "Tài khoản"],
)
def test_author_keys_in_any_spelling(key):
    assert privacy.is_author_key(key)


@pytest.mark.parametrize("key", ["message", "text", "created_time", "likes", "permalink_url", "Nội dung",
                                 "import_file", "feed_title", "title", "id", "tags", "shares"])
def test_other_keys_are_not_author_keys(key):
    assert not privacy.is_author_key(key)


@pytest.mark.parametrize("url", ["https://www.facebook.com/nguyen.van.a", "https://m.facebook.com/profile.php?id=1000",
                                 "https://www.tiktok.com/@ten.nguoi", "https://www.youtube.com/@kenh",
                                 "https://www.youtube.com/channel/UC123", "https://zalo.me/0912345678",
                                 "https://x.com/someone", "www.instagram.com/ai.do/"])
def test_profile_urls(url):
    assert privacy.is_profile_url(url)


@pytest.mark.parametrize("url", ["https://www.facebook.com/permalink.php?story_fbid=1&id=2",
                                 "https://www.facebook.com/groups/123/posts/456", "https://x.com/someone/status/1",
                                 "https://www.youtube.com/watch?v=abc", "https://baolamson.vn/tin.html",
                                 "https://www.tiktok.com/@ten/video/123", "không phải url"])
def test_not_profile_urls(url):
    assert not privacy.is_profile_url(url)


@pytest.mark.parametrize("value", [
    "xem facebook.com/ten", "FACEBOOK.COM", "t.me/kenh", "it.me", "x.com", "abcx.com", "x.comm", "x.com_a",
    "ax.vn", "youtu.be/abc", "instagram.net", "nstagram.net", "insta.gram.com", "tiktok.vn.", ".com",
    "facebook .com", "faceboo.com", "gapo.vn/@ai", "lotus.vn", "ſ.com x", "T.Me", "KELVIN: \u212a.com",
    "https://vnexpress.net/tin-1.html", "Một bài trên báo Thanh Niên. Mẹ em nói", "mỹ.com và t.be", "",
])
def test_social_hint_is_the_regular_expression(value):
    # The two-step test (a ".com"-like ending first) answers exactly as the one regular expression.
    assert privacy._social_hint(value) == bool(privacy._SOCIAL_HINT.search(value))


def test_scrub_value_without_a_handle_hint_keeps_strings_and_hashes_known_ones():
    record = {"title": "Tin nước sạch ở Hà Nội", "url": "https://vnexpress.net/tin-1.html", "site": "VnExpress",
              "note": "ten.nguoi"}
    assert privacy.scrub_value(record, hasher) == record
    out = privacy.scrub_value(record, hasher, lambda s: s == "ten.nguoi")
    assert out == {**record, "note": H("ten.nguoi")}


def test_scrub_nested_shapes_keeps_content_and_counts():
    record = {
        "message": "Tin nước sạch", "likes": 5,
        "from": {"name": "Ai Đó", "id": 123},
        "authorStats": {"followerCount": 40},
        "comments": [{"from": {"name": "Người Khác"}, "message": "ok"}],
        "contact": "a.b@example.org", "page": "https://facebook.com/trang.ca.nhan",
        "ghi_chu": "@ai_do",
    }
    out = privacy.scrub_value(record, hasher, lambda s: s.lstrip("@") == "ai_do")
    assert out["message"] == "Tin nước sạch" and out["likes"] == 5
    assert out["from"] == {"name": H("Ai Đó"), "id": H("123")}
    assert out["authorStats"] == {"followerCount": 40}
    assert out["comments"][0] == {"from": {"name": H("Người Khác")}, "message": "ok"}
    assert out["contact"] == H("a.b@example.org") and out["page"] == H("https://facebook.com/trang.ca.nhan")
    assert out["ghi_chu"] == H("@ai_do")


def test_scrub_html_raw_replaces_known_names():
    page = "<html><meta name='author' content='Lê Thị Mẫu'><p>Bài của Lê Thị Mẫu</p></html>".encode()
    out = privacy.scrub_raw(page, hasher, known=["Lê Thị Mẫu"])
    assert "Lê Thị Mẫu".encode() not in out and H("Lê Thị Mẫu").encode() in out
    cp = "<p>Lê Thị Mẫu</p>".encode()
    assert "Mẫu".encode() not in privacy.scrub_raw(cp, hasher, known=["Lê Thị Mẫu"])


def test_csv_row_payload_with_custom_column_is_scrubbed_by_known_value():
    raw = json.dumps({"Nội dung": "tin", "Cột lạ": "ten.nguoi"}).encode()
    out = json.loads(privacy.scrub_raw(raw, hasher, known=["@Ten.Nguoi"]))
    assert out == {"Nội dung": "tin", "Cột lạ": H("ten.nguoi")}


def test_hash_is_the_stores(db):
    assert db.author_key("@NguoiDung") == privacy.hash_handle("nguoidung", db.installation_salt())


def test_csv_reader_sees_no_plant_in_export_rows():
    # the export's CSV is parsed as a spreadsheet would: no cell holds a planted value (sanity of leaks())
    buf = io.StringIO("id,title\n1,Tin qzv\n")
    assert leaks([("x", buf.getvalue())])


def _post(tag: str):
    from factories import make_doc

    p = plants(tag)
    return make_doc("", f"Tin đồn về nước máy số {tag}", kind="post", platform="facebook", external_id=f"p-{tag}",
                    author=p["handle"], raw=json.dumps({"from": {"name": p["name"], "link": p["profile"]}}).encode())


def test_turning_hashing_back_on_scrubs_what_was_stored_meanwhile(db, capsys):
    from kiemchung.ingest import Ingestor

    db.set_setting("hash_authors", "0")
    Ingestor(db).add([_post("off1"), _post("off2")])
    create_factcheck(db, "Giá điện tăng gấp đôi", "false", editor="bientap",
                     appearances=["https://x.com/qzv_off/status/1"])  # an appearance naming its account
    assert leaks(database_texts(db.path))  # stored in clear, as an admin asked
    assert run_cli_in_process(db.path, "settings", "set", "hash_authors", "1") == 0
    capsys.readouterr()
    db.close()
    with sqlite3.connect(db.path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert not leaks(database_texts(db.path)), leaks(database_texts(db.path))[:3]
    from kiemchung import audit

    reopened = Database(db.path)
    entry = audit.entries(reopened, 1)[0]
    assert entry["object"] == "setting:hash_authors" and entry["after"] == {"value": "1", "scrubbed_documents": 2,
                                                                          "scrubbed_factcheck_rows": 3}
    reopened.close()


def test_a_running_ingestor_follows_hashing_turned_on_by_another_process(db):
    from kiemchung.ingest import Ingestor

    db.set_setting("hash_authors", "0")
    ingestor = Ingestor(db)  # e.g. a long-running `kiemchung watch`
    other = Database(db.path)  # the admin's `kiemchung settings set hash_authors 1`
    other.set_setting("hash_authors", "1")
    other.close()
    ingestor.add([_post("later")])
    assert not leaks(database_texts(db.path))
