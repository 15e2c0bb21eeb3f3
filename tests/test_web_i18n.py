"""Every page of the workbench, logged in as admin on the bundled sample, in Vietnamese and in English:
no code a user sees is left bare, and no English word shows in the Vietnamese interface.

The page list comes from the app's routes, so a new page is walked (or the test fails until it is given
ids to fill in or is listed as not a page)."""

from __future__ import annotations

import html as htmllib
import re
import shutil

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from test_web_monitor import PW, _load_sample, wait_for_report

from kiemchung import labels
from kiemchung import users as U
from kiemchung.labels import LABELS, label
from kiemchung.store import Database
from kiemchung.web import create_app, queries
from kiemchung.web.app import all_routes

# Every test here that takes ``db`` runs on SQLite and on PostgreSQL (tests/conftest.py: any_db).
pytestmark = pytest.mark.pg_fulltext


@pytest.fixture
def db(any_db):
    return any_db


# GET routes that are not pages a person reads (files, fragments, probes).
NOT_PAGES = {
    "/favicon.ico", "/healthz", "/search/export", "/documents/{doc_id}/raw", "/reports/{name}/{fmt}",
    "/factchecks/feed.xml", "/login", "/report-jobs/{job_id}", "/evidence/{capture_id}/{part}",
    "/tips/{tip_id}/images/{sha}", "/sources/directory.csv",
    "/attention.csv",
    "/images/{image_id}",  # an image, not a page (its section in the fact-check editor is walked)
}

# Words the Vietnamese interface must not show (codes and English labels seen there before).
ENGLISH_WORDS = [
    "Story", "Action", "Object", "Before", "After", "Kind", "Status", "Role", "Verdict", "Search", "Sources",
    "article", "post", "official", "dormant", "active", "merged", "viewer", "editor", "admin", "draft",
    "published", "proposed", "withdrawn", "misleading", "unverified", "dismissed", "confirmed", "seen",
    "feed", "import", "sample", "outlet", "healthy", "failing", "create", "update", "publish", "withdraw",
    "likes", "shares", "comments", "views", "Not Found", "detail", "score", "baseline", "Score", "repeat", "related",
]
# Codes that are never a word of either language: never shown bare in any mode.
SNAKE_OR_DOTTED = sorted(
    {c for group in LABELS.values() for c in group if "_" in c or "." in c}
)
RAW_JSON = re.compile(r'\\u[0-9a-fA-F]{4}|\{"|\u03bc|\u03c3|\u221a')  # escapes, JSON, the Greek letters and root sign of formulas


@pytest.fixture(scope="module")
def sample_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("i18n") / "mau.db"
    _load_sample(path)
    db = Database(path)
    try:
        from kiemchung.web import factcheck_actions as fa

        admin = U.get_user(db, "quantri")
        fc = fa.create_factcheck(db, admin, "Nhà máy nước Giang Khẩu ngừng cấp nước cả tuần.")
        fa.update_factcheck(db, admin, fc.id, {"verdict": "misleading", "explanation": "Chỉ ngừng một buổi tối."})
        U.set_role(db, "xem", "editor", actor="quantri")
        U.set_disabled(db, "xem", True, actor="quantri")
        from kiemchung.stories.service import list_stories
        from kiemchung.stories.tables import stories as stories_t

        with db.write() as conn:  # one dormant story, so its state is shown somewhere
            first = list_stories(db, min_docs=2, limit=1)[0]
            conn.execute(stories_t.update().where(stories_t.c.id == first.id).values(status="dormant"))
    finally:
        db.close()
    return path


@pytest.fixture(scope="module")
def app_and_ids(sample_file, tmp_path_factory):
    path = tmp_path_factory.mktemp("i18n-run") / "kc.db"
    shutil.copy(sample_file, path)
    db = Database(path)
    db.set_setting("report_dir", str(path.parent / "bao-cao"))
    queries.clear_cache()
    app = create_app(db)
    c = TestClient(app)
    assert c.post("/login", data={"username": "quantri", "password": PW, "next": "/"}).status_code == 200
    csrf = re.search(r'name="csrf" value="([^"]+)"', c.get("/watchlists").text).group(1)
    c.post("/watchlists", data={"csrf": csrf, "name": "Nước máy", "query": '"nước máy"'})
    r = c.post("/reports", data={"csrf": csrf, "start": "2026-11-01", "end": "2026-11-30", "format": ["md"]},
               follow_redirects=False)
    wait_for_report(c, r.headers["location"])
    from kiemchung.claims.tables import alerts, factchecks
    from kiemchung.store import schema as t
    from kiemchung.stories.tables import stories

    with db.read() as conn:
        post = conn.execute(select(t.documents.c.id).where(t.documents.c.kind == "post")).scalar()
        alerted = conn.execute(select(alerts.c.doc_id)).scalar()
        story = conn.execute(select(stories.c.id).where(stories.c.status == "dormant")).scalar()
        fc = conn.execute(select(factchecks.c.id).order_by(factchecks.c.id.desc())).scalar()
    reports = re.findall(r'href="/reports/([^"/]+)"', c.get("/reports").text)
    kept, failed = _captures(db, fc)
    tip_ids, secrets = _tips(db, fc)
    _image(db, fc)
    ids = {"doc_id": [post, alerted], "story_id": [story], "fc_id": [fc], "name": reports[:1],
           "capture_id": [kept, failed], "tip_id": tip_ids, "secret": secrets}
    yield app, c, ids
    db.close()


def _image(db, fc_id: int) -> None:
    """An animated GIF tied to the fact-check: its editor section shows the image and a warning label."""
    import io

    from PIL import Image

    from kiemchung.images.match import attach_to_factcheck

    frames = [Image.new("P", (60, 40), i * 40) for i in range(3)]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:])
    attach_to_factcheck(db, fc_id, out.getvalue(), editor="bientap")


def _tips(db, fc_id: int) -> tuple[list[int], list[str]]:
    """Tips: one matched and answered (with an image), two asking the same, one dismissed."""
    from kiemchung.claims.factchecks import list_factchecks
    from kiemchung.tips import TipImage, match_tips, reply_tip, set_status, submit_tip

    fc = list_factchecks(db, status="published", limit=1)[0]
    fc_id = fc.id
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (30, 20), (200, 30, 30)).save(buf, "PNG")
    png = buf.getvalue()
    a, sa = submit_tip(db, text=fc.claim + " có đúng không?", images=[TipImage(png, "image/png", "a.png")])
    b, sb = submit_tip(db, text=fc.claim + " có đúng không?", contact="dan@example.vn", consent=True)
    c, _ = submit_tip(db, channel="telegram", text="Tin nhắn hỏi về giá điện tháng sau", sender="555", external_id="555:1")
    match_tips(db)
    reply_tip(db, a.id, factcheck_id=fc_id, text="Cảm ơn bạn.", actor="quantri")
    set_status(db, c.id, "dismissed", actor="quantri")
    return [a.id, b.id, c.id], [sa, sb]


def _captures(db, fc_id: int) -> tuple[int, int]:
    """A kept copy of a page from a local server and a failed one, linked to the fact-check."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from kiemchung.captures import capture_url
    from kiemchung.netguard import AddressPolicy
    from kiemchung.sources.http import FetchSettings, Fetcher

    page = "<html><head><title>Tin đồn cắt nước</title></head><body><p>Nhà máy nước ngừng cấp.</p></body></html>"

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):  # noqa: N802
            body = page.encode() if self.path == "/trang" else b"no"
            self.send_response(200 if self.path == "/trang" else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{srv.server_address[1]}"
    try:
        with Fetcher(FetchSettings(min_interval_s=0.0, retries=0), policy=AddressPolicy.build()) as f:
            kept = capture_url(db, base + "/trang", factcheck_id=fc_id, fetcher=f, screenshots=False)
            failed = capture_url(db, base + "/mat", factcheck_id=fc_id, fetcher=f, screenshots=False)
    finally:
        srv.shutdown()
        srv.server_close()
    assert (kept.status, failed.status) == ("done", "failed")
    return kept.id, failed.id


def visible_text(page: str) -> str:
    """What a reader sees: tags, scripts, styles, code, JSON-LD previews, form text areas and URLs removed."""
    page = re.sub(r"<(script|style|pre|code|textarea)\b.*?</\1>", " ", page, flags=re.S | re.I)
    page = re.sub(r"<[^>]+>", " ", page)
    page = htmllib.unescape(page)
    page = re.sub(r"(https?|file)://\S+", " ", page)
    return re.sub(r"\s+", " ", page)


def pages(app, ids) -> list[str]:
    out = []
    for route in all_routes(app):
        if "GET" not in getattr(route, "methods", ()) or route.path.startswith(("/api", "/static")):
            continue
        if route.path in NOT_PAGES:
            continue
        params = re.findall(r"{(\w+)}", route.path)
        if not params:
            out.append(route.path)
            continue
        assert all(p in ids and ids[p] for p in params), f"no id to walk {route.path}: add one to the fixture"
        for value in ids[params[0]]:
            out.append(route.path.replace("{" + params[0] + "}", str(value)))
    extra = ["/search?q=nuoc+may", "/search?q=nuoc+may&kind=post", "/alerts?status=new", "/factchecks?status=published",
             "/trends?kw=n%C6%B0%E1%BB%9Bc+m%C3%A1y", "/khong-co-trang-nay",
             "/attention?q=nuoc+may&q=s%E1%BA%A1t+l%E1%BB%9F&by=week"]
    return out + extra


def test_every_page_is_walked(app_and_ids):
    app, _, ids = app_and_ids
    walked = pages(app, ids)
    for must in ("/", "/audit", "/users", "/sources", "/alerts", "/claims", "/trends", "/reports", "/tips", "/tin-bao"):
        assert must in walked
    assert any(p.startswith("/documents/") for p in walked) and any(p.startswith("/stories/") for p in walked)


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_no_untranslated_code_on_any_page(app_and_ids, lang):
    app, c, ids = app_and_ids
    problems = []
    for path in pages(app, ids):
        sep = "&" if "?" in path else "?"
        r = c.get(f"{path}{sep}lang={lang}")
        assert r.status_code in (200, 404), (path, r.status_code)
        text = visible_text(r.text)
        for code in SNAKE_OR_DOTTED:
            if re.search(rf"(?<![\w.]){re.escape(code)}(?![\w.])", text):
                problems.append((path, "bare code", code))
        if RAW_JSON.search(text):
            problems.append((path, "raw JSON or formula", RAW_JSON.search(text).group(0)))
        if lang == "vi":
            for word in ENGLISH_WORDS:
                if re.search(rf"(?<![\w/.-]){re.escape(word)}(?![\w/.-])", text):
                    problems.append((path, "English word", word))
    assert not problems, problems[:30]


def test_an_alert_raised_by_its_story_shows_the_reason_in_the_page_s_language(app_and_ids):
    """The sample's rumours spread in stories: some "related" posts are raised by two repeats of their
    story (verify.story_raise). The alerts page says so with the label of the page's language, not the
    stored line of both languages, and not among the shared terms."""
    from kiemchung.claims.verify import STORY_REASON
    from kiemchung.labels import label

    _, c, _ = app_and_ids
    vi, en = label("alert_reason", STORY_REASON, "vi"), label("alert_reason", STORY_REASON, "en")
    page_vi = visible_text(c.get("/alerts?lang=vi").text)
    page_en = visible_text(c.get("/alerts?lang=en").text)
    assert vi in page_vi and en not in page_vi
    assert en in page_en and vi not in page_en


def test_labels_cover_what_the_pages_show(app_and_ids):
    """Codes seen on the sample are in the table: verdicts, kinds, roles, reasons, statuses, actions."""
    _, c, ids = app_and_ids
    vi = visible_text(c.get("/audit?lang=vi").text)
    assert label("audit_action", "factcheck.update") in vi and "chưa kiểm chứng → gây hiểu lầm" in vi
    assert "Việc" not in c.get("/audit").text or "\\u" not in c.get("/audit").text
    en = visible_text(c.get("/audit?lang=en").text)
    assert "edited a fact-check" in en and "unverified → misleading" in en
    users_vi = visible_text(c.get("/users?lang=vi").text)
    assert "quản trị viên" in users_vi and "biên tập viên" in users_vi
    story = visible_text(c.get(f"/stories/{ids['story_id'][0]}?lang=vi").text)
    assert label("story_status", "dormant") in story


def test_label_table_answers_every_group_in_both_languages():
    for group, codes in LABELS.items():
        for code, (vi, en) in codes.items():
            assert vi and en, (group, code)
            assert label(group, code, "vi") == vi and label(group, code, "en") == en
    assert label("verdict", "nope") == "nope" and label("role", None) == ""
    assert labels.label("audit_action", "widget.frobnicate") == "widget: frobnicate"
    assert labels.object_label("factcheck:12") == "bài kiểm chứng #12"
    rows = labels.changes({"verdict": "false", "updated_at": "x"}, {"verdict": "true", "updated_at": "y"}, "vi")
    assert rows == [{"field": "kết luận", "before": "sai sự thật", "after": "đúng"}]


def test_every_audit_action_in_the_code_has_a_label():
    """An audit action written anywhere (a literal third argument of audit.record or _audit) is labelled."""
    from pathlib import Path

    root = Path(labels.__file__).parent
    found = set()
    for path in root.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        found |= set(re.findall(r'(?:audit\.record|_audit)\(\s*\w+,\s*[\w.]+(?:\s+or\s+\w+)?,\s*"([a-z_]+\.[a-z_.]+|login)"', text))
    assert {"user.add", "source.remove", "setting.set"} <= found
    # fact-check writes are audited as "factcheck." + their history action (kiemchung.claims.factchecks)
    found |= {"factcheck." + a.replace("-", "_") for a in LABELS["fc_action"] if a != "evidence"}
    assert not sorted(found - set(LABELS["audit_action"])), "add these to kiemchung/labels.py LABELS['audit_action']"
