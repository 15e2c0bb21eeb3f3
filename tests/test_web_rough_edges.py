"""The workbench's rough edges of issue 18, each with the test that would have caught it: API index and
offline docs, 404 page, favicon, validation errors, documents without a title, a post's page, alert
times, the sources page, the ClaimReview preview's address and publisher, the API's document fields
and counts, trends in everyday words, and the CLI's labels."""

from __future__ import annotations

import re

from factories import make_doc
from test_web_verify import FALSE_CLAIM, PW, client, csrf_of, doc_id_of, post_id
from test_web_verify import app as app  # noqa: F401  (fixtures)
from test_web_verify import vdb as vdb  # noqa: F401

from kiemchung import audit
from kiemchung import users as U
from kiemchung.claims import factchecks as fcs
from kiemchung.claims.alerts import AlertStage
from kiemchung.ingest import Ingestor
from kiemchung.models import Source
from kiemchung.labels import times_usual
import pytest

# Every test here that takes ``db`` runs on SQLite and on PostgreSQL (tests/conftest.py: any_db).
pytestmark = pytest.mark.pg_fulltext


@pytest.fixture
def db(any_db):
    return any_db


LA_OI_POST = "KHẨN CẤP: uống nước lá ổi đun sôi chữa khỏi bệnh tiểu đường chỉ sau 7 ngày, chia sẻ ngay cho người thân!"


def _alerted_post(vdb):
    official = doc_id_of(vdb, "https://syt.lamson.gov.vn/la-oi.html")
    fc = fcs.create_factcheck(vdb, FALSE_CLAIM, "false", editor="bientap", evidence=[official])
    fcs.publish_factcheck(vdb, fc.id, "bientap")
    Ingestor(vdb).add([make_doc("", "", body=LA_OI_POST, kind="post", platform="zalo", external_id="p-la-oi", day=25)])
    assert AlertStage(vdb).run() == 1
    return post_id(vdb, "p-la-oi"), fc


def test_api_index_docs_offline_and_favicon(app):
    c = client(app)
    index = c.get("/api/v1")
    assert index.status_code == 200 and index.json()["docs"] == "/api/v1/docs"
    assert c.get("/api/v1/").json()["openapi"] == "/api/v1/openapi.json"
    docs = c.get("/api/v1/docs")
    assert docs.status_code == 200
    # every script and style comes from this server: nothing from a CDN, no inline script
    assert not re.search(r'(src|href)="(https?:)?//', docs.text)
    assert "<script>" not in docs.text and "onload=" not in docs.text
    for asset in re.findall(r'(?:src|href)="(/api/v1/docs/assets/[^"]+)"', docs.text):
        r = c.get(asset)
        assert r.status_code == 200 and len(r.content) > 10_000, asset
    assert c.get("/static/apidocs.js").status_code == 200
    assert c.get("/api/v1/docs/assets/../../etc/passwd").status_code == 404
    fav = c.get("/favicon.ico")
    assert fav.status_code == 200 and fav.headers["content-type"].startswith("image/")
    # the interface links to the API docs
    assert 'href="/api/v1/docs"' in client(app, "xem").get("/").text


def test_unknown_page_is_a_page_in_the_layout_and_api_stays_json(app):
    c = client(app, "xem")
    r = c.get("/khong-co-trang-nay")
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert "Không tìm thấy trang này" in r.text and 'class="top"' in r.text and '{"detail"' not in r.text
    en = c.get("/khong-co-trang-nay", params={"lang": "en"})
    assert en.status_code == 404 and "This page does not exist" in en.text
    api = c.get("/api/v1/khong-co")
    assert api.status_code == 404 and api.json()["detail"].startswith("Không tìm thấy")
    anon = client(app).get("/khong-co-trang-nay")
    assert anon.status_code == 404 and "Không tìm thấy trang này" in anon.text


def test_validation_errors_are_vietnamese_then_english(app, vdb):
    token = U.create_token(vdb, "xem")
    api = client(app)
    api.headers["Authorization"] = f"Bearer {token}"
    r = api.get("/api/v1/documents/abc")
    body = r.json()
    assert r.status_code == 422 and isinstance(body["detail"], str)
    assert body["detail"].startswith("Tham số không hợp lệ") and "(invalid parameters" in body["detail"]
    assert body["errors"][0]["field"] == "doc_id"
    r = api.get("/api/v1/search", params={"q": "nước", "limit": 0})
    assert r.status_code == 422 and "limit" in r.json()["detail"]
    page = client(app, "xem").get("/documents/abc")
    assert page.status_code == 422 and "không hợp lệ" in page.text and 'class="top"' in page.text
    assert "Input should be" not in page.text
    documented = client(app).get("/api/v1/openapi.json").json()["components"]["schemas"]["HTTPValidationError"]
    assert documented["properties"]["detail"]["type"] == "string"  # the document says what is sent


def test_posts_are_listed_by_their_first_words_and_shown_once(app, vdb):
    post, fc = _alerted_post(vdb)
    c = client(app, "xem")
    for path in ("/search?q=l%C3%A1+%E1%BB%95i", "/alerts", "/"):
        html = c.get(path).text
        assert "(không tiêu đề)" not in html, path
        assert "KHẨN CẤP: uống nước lá ổi đun sôi" in html, path
    page = c.get(f"/documents/{post}").text
    article = page.split("<article", 1)[1].split("</article>", 1)[0]
    article = re.sub(r"<dt>Câu chuyện</dt><dd>.*?</dd>", "", article, flags=re.S)  # its story's headline
    assert article.count("chỉ sau 7 ngày") == 1  # the text once, not as a title and again as the body
    assert "Bài đăng mạng xã hội" in page and "(không tiêu đề)" not in page
    # the alerts and fact-checks the post matched
    section = page.split('id="matched"', 1)[1]
    assert f'href="/factchecks/{fc.id}"' in section and FALSE_CLAIM in section and "sai sự thật" in section


def test_alerts_show_the_posts_own_time(app, vdb):
    post, _ = _alerted_post(vdb)
    html = client(app, "xem").get("/alerts").text
    row = html.split(f'href="/documents/{post}"', 1)[1].split("</td>", 1)[0]
    assert "Đăng lúc 25/03/2026 12:00" in row  # the post's own time; collection time second
    assert row.index("Đăng lúc") < row.index("thu thập")
    api = client(app)
    api.headers["Authorization"] = f"Bearer {U.create_token(vdb, 'xem')}"
    [alert] = api.get("/api/v1/alerts").json()
    assert alert["document_title"].startswith("KHẨN CẤP: uống nước lá ổi")  # a post's first words, not ""
    assert alert["document_published_at"].startswith("2026-03-25T05:00")  # 12:00 in Vietnam, UTC in the API
    assert (alert["verdict_label"], alert["status_label"]) == ("sai sự thật", "mới")


def test_sources_page_counts_fetch_health_remove_and_hides_server_paths(app, vdb, tmp_path):
    feed = vdb.add_source(Source(kind="feed", url="https://baolamson.vn/rss.xml", name="Báo Lam Sơn"))
    local = vdb.add_source(Source(kind="import", url=f"file://{tmp_path}/bi-mat/posts.jsonl", name="Tệp nhập"))
    Ingestor(vdb).add([make_doc("Tin mới Lam Sơn", "Nội dung", url="https://baolamson.vn/x.html", source_id=feed.id)])
    vdb.record_fetch_failure(feed.id, message="HTTP 503", reason="http", soft=True)
    c = client(app, "bientap")
    html = c.get("/sources").text
    assert str(tmp_path) not in html and "bi-mat" not in html and "file://" not in html
    assert "tệp trên máy chủ" in html and "posts.jsonl" in html
    row = html.split(f'id="source-{feed.id}"', 1)[1].split("</tr>", 1)[0]
    assert re.search(r'class="n">.*?1\s*</td>', row, re.S)  # one document
    assert "HTTP 503" in row and "RSS/Atom" in row and re.search(r"\d\d/\d\d/\d{4}", row)
    assert "không thu thập" in html.split(f'id="source-{local.id}"', 1)[1].split("</tr>", 1)[0]
    api = client(app)
    api.headers["Authorization"] = f"Bearer {U.create_token(vdb, 'xem')}"
    assert all("bi-mat" not in s["url"] for s in api.get("/api/v1/sources").json())
    # remove: viewer refused, CSRF checked, editor removes it, audited, documents kept
    viewer = client(app, "xem")
    assert viewer.post(f"/sources/{feed.id}/remove", data={"csrf": csrf_of(viewer)}).status_code == 403
    assert c.post(f"/sources/{feed.id}/remove", data={"csrf": "sai"}).status_code == 403
    r = c.post(f"/sources/{feed.id}/remove", data={"csrf": csrf_of(c)}, follow_redirects=False)
    assert r.status_code == 303 and f'id="source-{feed.id}"' not in c.get("/sources").text
    entry = audit.entries(vdb, 1)[0]
    assert (entry["action"], entry["object"], entry["user"]) == ("source.remove", f"source:{feed.id}", "bientap")
    assert vdb.count_documents() >= 1
    assert "xóa nguồn tin" in client(app, "quantri").get("/audit").text
    c.post(f"/sources/{local.id}/remove", data={"csrf": csrf_of(c)})
    audit_page = client(app, "quantri").get("/audit").text
    assert "posts.jsonl" in audit_page and "bi-mat" not in audit_page  # the server's folders stay hidden


def test_claimreview_preview_uses_site_address_and_organisation(app, vdb):
    c = client(app, "bientap")
    r = c.post("/factchecks", data={"csrf": csrf_of(c), "claim": "Cầu Bến Đá bị sập.", "verdict": "unverified"},
               follow_redirects=False)
    fc_id = int(r.headers["location"].rsplit("/", 1)[1])
    page = c.get(f"/factchecks/{fc_id}").text
    assert "localhost:8000" not in page and f"http://testserver/factchecks/{fc_id}" in page
    assert 'id="settings-note"' in page  # site_url and org_name not set yet: said so
    vdb.set_setting("site_url", "https://kiemchung.lamson.gov.vn")
    vdb.set_setting("org_name", "Sở Thông tin Lam Sơn")
    page = c.get(f"/factchecks/{fc_id}").text
    assert f"https://kiemchung.lamson.gov.vn/factchecks/{fc_id}" in page and "Sở Thông tin Lam Sơn" in page
    assert "&#34;kiemchung&#34;" not in page and 'id="settings-note"' not in page


def test_api_documents_carry_their_text_and_search_a_count(app, vdb):
    api = client(app)
    api.headers["Authorization"] = f"Bearer {U.create_token(vdb, 'xem')}"
    posts = [d for d in api.get("/api/v1/documents", params={"kind": "post"}).json()]
    assert posts
    for d in posts:
        assert d["title"] and d["has_title"] is False and d["kind_label"] == "bài đăng mạng xã hội"
        assert d["body"] or d["lead"]
    assert not any(d["title"] == "" and d["body"] is None for d in api.get("/api/v1/documents").json())
    body = api.get("/api/v1/search", params={"q": "nước", "limit": 1}).json()
    assert body["total"] is not None and body["more"] is True and body["total_exact"] is False
    assert body["total"] >= 1
    full = api.get("/api/v1/search", params={"q": "nước", "limit": 50}).json()
    assert full["total_exact"] is True and full["more"] is False and full["total"] == len(full["hits"])
    counted = api.get("/api/v1/search", params={"q": "nước", "limit": 1, "count": True}).json()
    assert counted["total_exact"] is True and counted["total"] == full["total"]


def test_trends_in_everyday_words():
    assert times_usual(24, 7.5, "vi") == "gấp 3,2 lần mức thường ngày"
    assert times_usual(24, 7.5, "en") == "3.2 times the usual level"
    assert times_usual(6, 0, "vi").startswith("mới xuất hiện")


def test_cli_labels_roles_statuses_and_reasons(tmp_path, capsys):
    from factories import run_cli_in_process

    from kiemchung.store import Database

    path = tmp_path / "cli.db"
    db = Database(path)
    U.add_user(db, "quantri", PW, "admin")
    U.add_user(db, "xem", PW, "viewer")
    fcs.create_factcheck(db, "Cầu Bến Đá bị sập.", "false", editor="quantri")
    Ingestor(db).add([make_doc("Sốt xuất huyết tăng", "Theo Sở Y tế, 1.200 người mắc sốt xuất huyết trong tháng 3/2026.",
                               url="https://syt.vn/a.html")])
    doc = db.list_documents(limit=1)[0].id if hasattr(db, "list_documents") else 1
    db.close()
    assert run_cli_in_process(path, "users", "list") == 0
    out = capsys.readouterr().out
    assert "quản trị viên (administrator)" in out and "người xem (viewer)" in out
    assert run_cli_in_process(path, "factchecks", "list") == 0
    out = capsys.readouterr().out
    assert "bản nháp" in out and "draft" not in out
    assert run_cli_in_process(path, "stats") == 0
    out = capsys.readouterr().out
    assert "bài báo 1" in out and "article" not in out
    assert run_cli_in_process(path, "claims", str(doc)) in (0, None)
    out = " ".join(capsys.readouterr().out.split())  # the console wraps long lines
    assert "có số liệu" in out and "number" not in out


def test_password_prompt_is_vietnamese(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    exe = Path(sys.executable).with_name("kiemchung")
    r = subprocess.run([str(exe), "--db", str(tmp_path / "p.db"), "users", "add", "moi", "--viewer"],
                       input="mat-khau-dai-123\nmat-khau-khac-456\nmat-khau-dai-123\nmat-khau-dai-123\n",
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-800:]
    assert "Nhập lại mật khẩu" in r.stdout + r.stderr and "Repeat for confirmation" not in r.stdout + r.stderr
    assert "không khớp" in r.stdout + r.stderr

