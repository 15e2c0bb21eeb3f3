"""Verify area of the workbench (claims queue, fact-check editor, alerts) and its API, in process,
against a real SQLite file. Every fixture sentence here is invented."""

from __future__ import annotations

import json
import re

import pytest
from factories import make_doc
from fastapi.testclient import TestClient
from sqlalchemy import select

from kiemchung import audit
from kiemchung import users as U
from kiemchung.claims import factchecks as fcs
from kiemchung.claims.alerts import AlertStage
from kiemchung.claims.tables import alerts as alerts_t
from kiemchung.ingest import Ingestor
from kiemchung.web import create_app
from kiemchung.web import alert_views, claims_queue, verify_api, verify_pages
from kiemchung.web.app import all_routes

# Every test here that takes ``db`` runs on SQLite and on PostgreSQL (tests/conftest.py: any_db).
pytestmark = pytest.mark.pg_fulltext


@pytest.fixture
def db(any_db):
    return any_db


PW = "matkhau-kiemchung-1"
FALSE_CLAIM = "Uống nước lá ổi đun sôi chữa khỏi bệnh tiểu đường chỉ sau 7 ngày"
VIRAL = "Nghe nói cầu Bến Đá sắp sập vì đã nứt 3 trụ, mọi người tránh xa ngay!!!"
CHECKWORTHY = "Sở Giao thông Lam Sơn cho biết năm 2025 toàn tỉnh có 1.250 vụ tai nạn, tăng 12% so với năm trước."
HOSTILE = "Tin <script>alert('xss')</script> nóng: giá điện tăng 40% từ ngày 1/5 <img src=x onerror=alert(1)>"


@pytest.fixture
def vdb(db, sample_docs):
    Ingestor(db).add(
        [
            *sample_docs,
            make_doc(
                "Tai nạn giao thông năm 2025",
                CHECKWORTHY,
                url="https://baolamson.vn/tai-nan-2025.html",
                day=20,
            ),
            make_doc("", VIRAL, kind="post", platform="facebook", external_id="p-viral", day=21,
                     engagement={"likes": 900, "shares": 350, "comments": 120}),
            make_doc(
                "Sở Y tế Lam Sơn: lá ổi không chữa được tiểu đường",
                "Không có nghiên cứu nào cho thấy nước lá ổi chữa khỏi bệnh tiểu đường.",
                url="https://syt.lamson.gov.vn/la-oi.html",
                kind="official",
                day=18,
            ),
            make_doc(HOSTILE, "Thông tin lan truyền trên mạng, 2 triệu người chia sẻ.",
                     url="https://doc-hai.vn/dien.html", day=22),
        ]
    )
    for name, role in (("quantri", "admin"), ("bientap", "editor"), ("bientap2", "editor"), ("xem", "viewer")):
        U.add_user(db, name, PW, role)
    return db


@pytest.fixture
def app(vdb):
    return create_app(vdb)


def client(app, name: str | None = None) -> TestClient:
    c = TestClient(app)
    if name:
        r = c.post("/login", data={"username": name, "password": PW, "next": "/"}, follow_redirects=False)
        assert r.status_code == 303
    return c


def csrf_of(c: TestClient) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', c.get("/factchecks").text).group(1)


def doc_id_of(db, url: str) -> int:
    from kiemchung.store import schema as t

    with db.read() as conn:
        return conn.execute(select(t.documents.c.id).where(t.documents.c.url == url)).scalar_one()


def post_id(db, external_id: str) -> int:
    from kiemchung.store import schema as t

    with db.read() as conn:
        return conn.execute(select(t.documents.c.id).where(t.documents.c.external_id == external_id)).scalar_one()


def new_fc(c: TestClient, claim: str, verdict: str = "unverified") -> int:
    r = c.post("/factchecks", data={"csrf": csrf_of(c), "claim": claim, "verdict": verdict}, follow_redirects=False)
    assert r.status_code == 303, r.text[:500]
    return int(r.headers["location"].rsplit("/", 1)[1])


def actions(db, obj: str) -> list[str]:
    return [e["action"] for e in audit.entries(db, 500) if e["object"] == obj]


# ------------------------------------------------------------------------------------------------ pages


def test_pages_render_for_viewer_without_action_buttons(app, vdb):
    fc = fcs.create_factcheck(vdb, "Giá xăng giảm 5.000 đồng mỗi lít từ tuần sau", "unverified", editor="bientap")
    c = client(app, "xem")
    for path in ("/claims", "/factchecks", f"/factchecks/{fc.id}", "/alerts", "/factchecks/new"):
        r = c.get(path)
        if path == "/factchecks/new":
            assert r.status_code == 403
            continue
        assert r.status_code == 200, path
        assert "Tạo bài kiểm chứng" not in r.text
        assert 'action="/factchecks/' not in r.text  # no edit/publish forms for a viewer
    assert "Giá xăng giảm" in c.get("/factchecks").text
    assert c.get(f"/factchecks/{fc.id}/cite", params={"q": "la oi"}).status_code == 200
    feed = c.get("/factchecks/feed.xml")
    assert feed.status_code == 200 and feed.text.startswith("<?xml")
    assert "Fact-checks" in c.get("/factchecks", params={"lang": "en"}).text
    assert c.get("/factchecks", params={"status": "bogus"}).status_code == 400


def test_anonymous_is_sent_to_login(app):
    r = TestClient(app).get("/claims", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_claims_queue_lists_checkworthy_and_viral_then_drops_them_once_checked(app, vdb):
    c = client(app, "bientap")
    html = c.get("/claims").text
    assert "1.250 vụ tai nạn" in html  # a check-worthy sentence of a recent article
    assert "có số liệu" in html  # with its reasons, in Vietnamese
    assert "cầu Bến Đá sắp sập" in html  # a viral post no fact-check covers (1370 interactions)
    assert "1370" in html
    assert html.count("Tạo bài kiểm chứng") >= 2
    # the queue is ordered by what needs checking first (posts, viral marks, engagement, then
    # check-worthiness: checkworthy.queue_priority); every row shown is check-worthy
    # decimals as Vietnamese writes them (0,96)
    scores = [float(s.replace(",", ".")) for s in re.findall(r'<td class="score">.*?(\d,\d\d)</td>', html)]
    assert scores and min(scores) >= 0.5
    queued = claims_queue.claims_queue(vdb).claims(len(scores))
    assert [round(c.score, 2) for c in queued] == scores
    assert [c.priority for c in queued] == sorted((c.priority for c in queued), reverse=True)

    fcs.create_factcheck(vdb, CHECKWORTHY, "unverified", editor="bientap")
    fcs.create_factcheck(vdb, VIRAL, "unverified", editor="bientap")
    html = c.get("/claims").text
    assert "1.250 vụ tai nạn" not in html
    assert "cầu Bến Đá sắp sập" not in html


def test_queue_cost_is_bounded(vdb, monkeypatch):
    monkeypatch.setattr(claims_queue, "QUEUE_DOCS", 2)
    queue = claims_queue.compute_queue(vdb)
    assert queue.documents_scored == 2
    assert {c.doc.id for c in queue.candidates} <= {d.id for d in claims_queue._recent(vdb, ("article", "post"), 2)}


def test_start_factcheck_from_claim_creates_draft_and_redirects(app, vdb):
    c = client(app, "bientap")
    article = doc_id_of(vdb, "https://baolamson.vn/tai-nan-2025.html")
    r = c.post("/claims/start", data={"csrf": csrf_of(c), "claim": CHECKWORTHY, "doc_id": article},
               follow_redirects=False)
    assert r.status_code == 303
    fc_id = int(r.headers["location"].rsplit("/", 1)[1])
    fc = fcs.get_factcheck(vdb, fc_id)
    assert fc.claim == CHECKWORTHY and fc.status == "draft" and fc.verdict == "unverified"
    assert fc.appearances == ["https://baolamson.vn/tai-nan-2025.html"] and fc.meta["source_doc_id"] == article
    assert fc.created_by == "bientap"
    page = c.get(r.headers["location"]).text
    assert "Tai nạn giao thông năm 2025" in page  # the source document is linked
    assert actions(vdb, f"factcheck:{fc_id}") == ["factcheck.create"]
    # the same claim again opens the existing fact-check instead of failing
    r = c.post("/claims/start", data={"csrf": csrf_of(c), "claim": CHECKWORTHY, "doc_id": article},
               follow_redirects=False)
    assert r.headers["location"] == f"/factchecks/{fc_id}?notice=duplicate"
    assert "đã có bài kiểm chứng" in c.get(r.headers["location"]).text
    r = c.post("/claims/start", data={"csrf": csrf_of(c), "claim": "x", "doc_id": 999999})
    assert r.status_code == 404


def test_viewer_cannot_act(app, vdb):
    fc = fcs.create_factcheck(vdb, FALSE_CLAIM, "false", editor="bientap", evidence=["https://syt.lamson.gov.vn/x"])
    c = client(app, "xem")
    token = csrf_of(c)
    article = doc_id_of(vdb, "https://baolamson.vn/tai-nan-2025.html")
    for path, data in (
        ("/claims/start", {"claim": CHECKWORTHY, "doc_id": article}),
        ("/factchecks", {"claim": "Một tuyên bố mới toanh về giá gạo"}),
        (f"/factchecks/{fc.id}", {"claim": "khác", "verdict": "true"}),
        (f"/factchecks/{fc.id}/evidence", {"url": "https://a.vn/b"}),
        (f"/factchecks/{fc.id}/evidence/remove", {"index": 0}),
        (f"/factchecks/{fc.id}/publish", {}),
        (f"/factchecks/{fc.id}/withdraw", {}),
    ):
        assert c.post(path, data={"csrf": token, **data}).status_code == 403, path
    after = fcs.get_factcheck(vdb, fc.id)
    assert after.version == fc.version and after.status == "draft"
    assert fcs.list_factchecks(vdb) == [after]


def test_csrf_is_required(app, vdb):
    c = client(app, "bientap")
    assert c.post("/factchecks", data={"claim": "Tuyên bố thử nghiệm về mưa lũ Lam Sơn"}).status_code == 403
    assert c.post("/factchecks", data={"claim": "Tuyên bố thử nghiệm về mưa lũ", "csrf": "sai"}).status_code == 403
    # JSON API with a session cookie needs the X-CSRF-Token header
    assert c.post("/api/v1/factchecks", json={"claim": "Tuyên bố thử nghiệm qua API"}).status_code == 403
    r = c.post("/api/v1/factchecks", json={"claim": "Tuyên bố thử nghiệm qua API"},
               headers={"X-CSRF-Token": csrf_of(c)})
    assert r.status_code == 201
    assert fcs.list_factchecks(vdb)[0].claim == "Tuyên bố thử nghiệm qua API"
    assert len(fcs.list_factchecks(vdb)) == 1


def test_editor_flow_evidence_rules_preview_publish_history(app, vdb):
    c = client(app, "bientap")
    fc_id = new_fc(c, FALSE_CLAIM)
    token = csrf_of(c)
    r = c.post(f"/factchecks/{fc_id}", data={
        "csrf": token, "claim": FALSE_CLAIM, "verdict": "false",
        "explanation": "Sở Y tế khẳng định không có bằng chứng khoa học.",
        "phrasings": "nước lá ổi chữa tiểu đường\nlá ổi trị dứt điểm tiểu đường", "url": "", "appearances": "",
    }, follow_redirects=False)
    assert r.status_code == 303
    fc = fcs.get_factcheck(vdb, fc_id)
    assert fc.verdict == "false" and len(fc.phrasings) == 3 and fc.version == 2
    # a false verdict without evidence is refused, with the library's Vietnamese message
    r = c.post(f"/factchecks/{fc_id}/publish", data={"csrf": token})
    assert r.status_code == 400
    assert "Không thể xuất bản kết luận “sai sự thật” khi chưa có bằng chứng" in r.text
    assert fcs.get_factcheck(vdb, fc_id).status == "draft"
    # citing a non-official document by id is refused; an empty citation too
    article = doc_id_of(vdb, "https://baolamson.vn/tai-nan-2025.html")
    r = c.post(f"/factchecks/{fc_id}/evidence", data={"csrf": token, "doc_id": article})
    assert r.status_code == 400 and "không phải văn bản chính thức" in r.text
    assert c.post(f"/factchecks/{fc_id}/evidence", data={"csrf": token}).status_code == 400
    assert c.post(f"/factchecks/{fc_id}/evidence", data={"csrf": token, "url": "javascript:alert(1)"}).status_code == 400
    # the cite search puts official statements first and offers them by id
    part = c.get(f"/factchecks/{fc_id}/cite", params={"q": "la oi tieu duong"}).text
    official = doc_id_of(vdb, "https://syt.lamson.gov.vn/la-oi.html")
    assert f'name="doc_id" value="{official}"' in part
    assert part.index("Văn bản chính thức") < part.index(f'value="{official}"')
    assert "<html" not in part  # a fragment for htmx
    assert c.post(f"/factchecks/{fc_id}/evidence", data={"csrf": token, "doc_id": official},
                  follow_redirects=False).status_code == 303
    assert c.post(f"/factchecks/{fc_id}/evidence", data={"csrf": token, "url": "https://who.int/la-oi",
                                                        "title": "WHO"}, follow_redirects=False).status_code == 303
    fc = fcs.get_factcheck(vdb, fc_id)
    assert [e.get("doc_id") for e in fc.evidence] == [official, None]
    # preview before publishing
    page = c.get(f"/factchecks/{fc_id}").text
    assert "Bản xem trước" in page and "&#34;@type&#34;: &#34;ClaimReview&#34;" in page
    r = c.post(f"/factchecks/{fc_id}/publish", data={"csrf": token}, follow_redirects=False)
    assert r.status_code == 303
    fc = fcs.get_factcheck(vdb, fc_id)
    assert fc.status == "published" and fc.proposed_by == "bientap"
    page = c.get(f"/factchecks/{fc_id}").text
    assert "Bản xem trước" not in page and "https://who.int/la-oi" in page
    review = c.get(f"/api/v1/factchecks/{fc_id}/claimreview").json()
    assert review["reviewRating"]["alternateName"] == "sai sự thật" and review["claimReviewed"] == FALSE_CLAIM
    # removing the last evidence of a published false verdict is refused; removing one of two is fine
    assert c.post(f"/factchecks/{fc_id}/evidence/remove", data={"csrf": token, "index": 1},
                  follow_redirects=False).status_code == 303
    r = c.post(f"/factchecks/{fc_id}/evidence/remove", data={"csrf": token, "index": 0})
    assert r.status_code == 400 and "chưa có bằng chứng" in r.text
    assert len(fcs.get_factcheck(vdb, fc_id).evidence) == 1
    # history and audit
    assert [h.action for h in fcs.history(vdb, fc_id)] == ["create", "update", "update", "update", "publish", "update"]
    assert "v6" in page or "v5" in page
    assert actions(vdb, f"factcheck:{fc_id}")[::-1] == [
        "factcheck.create", "factcheck.update", "factcheck.update", "factcheck.update", "factcheck.publish",
        "factcheck.update",
    ]
    assert FALSE_CLAIM in c.get("/factchecks/feed.xml").text
    # withdraw
    assert c.post(f"/factchecks/{fc_id}/withdraw", data={"csrf": token, "reason": "trùng"},
                  follow_redirects=False).status_code == 303
    assert fcs.get_factcheck(vdb, fc_id).status == "withdrawn"


def test_saving_unchanged_form_adds_no_version(app, vdb):
    c = client(app, "bientap")
    fc_id = new_fc(c, "Tỉnh Lam Sơn miễn học phí cho toàn bộ học sinh từ năm 2027")
    data = {"csrf": csrf_of(c), "claim": "Tỉnh Lam Sơn miễn học phí cho toàn bộ học sinh từ năm 2027",
            "verdict": "unverified", "explanation": "", "phrasings": "", "url": "", "appearances": ""}
    assert c.post(f"/factchecks/{fc_id}", data=data, follow_redirects=False).status_code == 303
    assert fcs.get_factcheck(vdb, fc_id).version == 1
    r = c.post(f"/factchecks/{fc_id}", data={**data, "url": "ftp://x"})
    assert r.status_code == 400 and "http://" in r.text


def test_new_factcheck_form_errors_and_duplicates(app, vdb):
    c = client(app, "bientap")
    assert c.get("/factchecks/new").status_code == 200
    r = c.post("/factchecks", data={"csrf": csrf_of(c), "claim": "Tin đồn về giá vàng", "verdict": "bừa"})
    assert r.status_code == 400 and "Kết luận không hợp lệ" in r.text and "Tin đồn về giá vàng" in r.text
    first = new_fc(c, "Giá vàng sẽ lên 200 triệu đồng một lượng vào tháng sau")
    r = c.post("/factchecks", data={"csrf": csrf_of(c), "claim": "giá vàng sẽ lên 200 triệu đồng một lượng vào tháng sau!"},
               follow_redirects=False)
    assert r.headers["location"] == f"/factchecks/{first}?notice=duplicate"


def test_editor_page_and_api_show_similar_factchecks(app, vdb):
    c = client(app, "bientap")
    first = new_fc(c, "Giá vàng sẽ lên 200 triệu đồng một lượng vào tháng sau")
    other = new_fc(c, "Trường học ở Lam Sơn cho học sinh nghỉ cả tuần vì nắng nóng")
    second = new_fc(c, "Tháng sau giá vàng lên tới 200 triệu đồng mỗi lượng")
    page = c.get(f"/factchecks/{second}").text
    assert 'id="similar"' in page and f'href="/factchecks/{first}"' in page and "cùng tuyên bố" in page
    assert f'href="/factchecks/{other}"' not in page
    assert 'id="similar"' not in c.get(f"/factchecks/{other}").text
    tok = U.create_token(vdb, "xem")
    vw = TestClient(app, headers={"Authorization": f"Bearer {tok}"})
    found = vw.get(f"/api/v1/factchecks/{first}/similar").json()
    assert [f["factcheck"]["id"] for f in found] == [second] and found[0]["same_claim"] and found[0]["reason"]
    assert vw.get(f"/api/v1/factchecks/{other}/similar").json() == []
    assert vw.get("/api/v1/factchecks/999999/similar").status_code == 404


def test_editor_page_suggests_official_statements_to_cite(app, vdb):
    c = client(app, "bientap")
    fc_id = new_fc(c, FALSE_CLAIM, "false")
    official = doc_id_of(vdb, "https://syt.lamson.gov.vn/la-oi.html")
    api = c.get(f"/api/v1/factchecks/{fc_id}/evidence-suggestions").json()
    assert [s["document"]["id"] for s in api] == [official] and api[0]["coverage"] >= 0.3 and api[0]["reason"]
    page = c.get(f"/factchecks/{fc_id}").text
    block = page[page.index('id="suggested"'):page.index('class="cite-search"')]
    assert f'href="/documents/{official}"' in block and f'name="doc_id" value="{official}"' in block
    assert "baolamson.vn" not in block  # articles are not suggested as evidence
    r = c.post(f"/factchecks/{fc_id}/evidence", data={"csrf": csrf_of(c), "doc_id": str(official)},
               follow_redirects=False)
    assert r.status_code == 303
    assert 'id="suggested"' not in c.get(f"/factchecks/{fc_id}").text  # cited: no longer suggested
    vw = TestClient(app, headers={"Authorization": f"Bearer {U.create_token(vdb, 'xem')}"})
    assert vw.get(f"/api/v1/factchecks/{fc_id}/evidence-suggestions").json() == []
    other = new_fc(c, "Đội tuyển bóng đá Lam Sơn sẽ giải thể vào cuối năm")
    assert 'id="suggested"' not in c.get(f"/factchecks/{other}").text


def test_approval_flow_second_editor_or_admin(app, vdb):
    vdb.set_setting("require_approval", "1")
    c1, c2, adm = client(app, "bientap"), client(app, "bientap2"), client(app, "quantri")
    fc_id = new_fc(c1, FALSE_CLAIM, "false")
    t1 = csrf_of(c1)
    c1.post(f"/factchecks/{fc_id}/evidence", data={"csrf": t1, "url": "https://syt.lamson.gov.vn/tb"})
    page = c1.get(f"/factchecks/{fc_id}").text
    assert "Đề xuất xuất bản" in page and "cần biên tập viên khác" in page
    assert c1.post(f"/factchecks/{fc_id}/publish", data={"csrf": t1}, follow_redirects=False).status_code == 303
    fc = fcs.get_factcheck(vdb, fc_id)
    assert fc.status == "proposed" and fc.proposed_by == "bientap"
    # the proposer sees no approve button, and a forged request is refused by the library rule
    assert "Duyệt và xuất bản" not in c1.get(f"/factchecks/{fc_id}").text
    r = c1.post(f"/factchecks/{fc_id}/publish", data={"csrf": t1})
    assert r.status_code == 400 and "không thể tự duyệt" in r.text
    assert fcs.get_factcheck(vdb, fc_id).status == "proposed"
    # a second editor approves
    assert "Duyệt và xuất bản" in c2.get(f"/factchecks/{fc_id}").text
    assert c2.post(f"/factchecks/{fc_id}/publish", data={"csrf": csrf_of(c2)}, follow_redirects=False).status_code == 303
    fc = fcs.get_factcheck(vdb, fc_id)
    assert (fc.status, fc.proposed_by, fc.approved_by) == ("published", "bientap", "bientap2")
    assert actions(vdb, f"factcheck:{fc_id}")[:2] == ["factcheck.approve", "factcheck.propose"]
    # an admin may publish a draft at once
    other = new_fc(adm, "Lam Sơn đóng cửa toàn bộ chợ truyền thống từ thứ Hai tuần tới")
    assert adm.post(f"/factchecks/{other}/publish", data={"csrf": csrf_of(adm)}, follow_redirects=False).status_code == 303
    fc = fcs.get_factcheck(vdb, other)
    assert (fc.status, fc.approved_by) == ("published", "quantri")


def test_hostile_html_is_escaped(app, vdb):
    c = client(app, "bientap")
    evil = "Tuyên bố <script>alert('x')</script> và <img src=x onerror=alert(1)> về giá điện"
    fc_id = new_fc(c, evil)
    c.post(f"/factchecks/{fc_id}/evidence", data={"csrf": csrf_of(c), "url": "https://x.vn/\"><script>alert(2)</script>"})
    pages = [c.get(p).text for p in ("/claims", "/factchecks", f"/factchecks/{fc_id}", "/alerts")]
    pages.append(c.get(f"/factchecks/{fc_id}/cite", params={"q": "gia dien"}).text)
    assert any("Tin &lt;script&gt;" in p for p in pages)  # the hostile document is in the queue, escaped
    assert "&lt;script&gt;alert(&#39;x&#39;)" in pages[2]
    for html in pages:
        assert "<script>alert" not in html
        assert "<img src=x" not in html


def test_alert_page_shows_alert_a_matching_post_raises_and_triage(app, vdb):
    official = doc_id_of(vdb, "https://syt.lamson.gov.vn/la-oi.html")
    fc = fcs.create_factcheck(vdb, FALSE_CLAIM, "false", editor="bientap", evidence=[official])
    fcs.publish_factcheck(vdb, fc.id, "bientap")
    stage = AlertStage(vdb)
    stage.run()  # everything stored so far: no post repeats the claim
    assert alert_views.list_alert_rows(vdb) == []
    Ingestor(vdb).add([make_doc("", "KHẨN CẤP: uống nước lá ổi đun sôi chữa khỏi bệnh tiểu đường chỉ sau 7 ngày, "
                                    "chia sẻ ngay cho người thân!", kind="post", platform="zalo",
                                external_id="p-la-oi", day=25)])
    assert stage.run() == 1
    post = post_id(vdb, "p-la-oi")
    c = client(app, "xem")
    html = c.get("/alerts").text
    assert f'href="/documents/{post}"' in html and FALSE_CLAIM in html and "sai sự thật" in html
    assert "<mark>" in html  # shared terms
    assert "lặp lại tin sai" in html.lower()  # the level, labelled
    # a "possibly related" alert is listed in the claims queue for a look (and labelled on the alerts page)
    with vdb.write() as conn:
        conn.execute(alerts_t.update().values(level="related"))
    assert "có thể liên quan" in c.get("/alerts").text.lower()
    queue = c.get("/claims").text
    assert 'id="related"' in queue and f'href="/documents/{post}"' in queue
    with vdb.write() as conn:
        conn.execute(alerts_t.update().values(level="repeat"))
    [row] = c.get("/api/v1/alerts").json()
    assert row["doc_id"] == post and row["factcheck_id"] == fc.id and row["status"] == "new"
    assert row["level"] == "repeat" and row["level_label"] == "lặp lại tin sai" and 0.0 < row["probability"] <= 1.0
    alert_id = row["id"]
    # the viewer cannot triage
    assert c.post(f"/alerts/{alert_id}/status", data={"csrf": csrf_of(c), "status": "seen"}).status_code == 403
    e = client(app, "bientap")
    r = e.post(f"/alerts/{alert_id}/status", data={"csrf": csrf_of(e), "status": "confirmed"}, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/alerts"
    assert e.post(f"/alerts/{alert_id}/status", data={"csrf": csrf_of(e), "status": "bogus"}).status_code == 400
    with vdb.read() as conn:
        assert conn.execute(select(alerts_t.c.status)).scalar() == "confirmed"
    assert "xác nhận" in e.get("/alerts", params={"status": "confirmed"}).text
    assert "Tin sai lặp lại" not in e.get("/alerts", params={"status": "new"}).text
    assert e.get("/alerts", params={"status": "new"}).text.count(f'href="/documents/{post}"') == 0
    entry = next(x for x in audit.entries(vdb) if x["object"] == f"alert:{alert_id}")
    assert (entry["user"], entry["before"], entry["after"]) == ("bientap", {"status": "new"}, {"status": "confirmed"})
    # the post is not offered again in the claims queue
    assert "uống nước lá ổi đun sôi chữa khỏi" not in e.get("/claims").text


def test_alerts_grouped_by_story(vdb):
    rows = [
        {"id": 3, "story_id": 7, "story_headline": "Lá ổi"},
        {"id": 2, "story_id": None, "story_headline": None},
        {"id": 1, "story_id": 7, "story_headline": "Lá ổi"},
        {"id": 0, "story_id": None, "story_headline": None},
    ]
    groups = alert_views.group_by_story(rows)
    assert [[a["id"] for a in g["alerts"]] for g in groups] == [[3, 1], [2, 0]]
    assert groups[0]["headline"] == "Lá ổi" and groups[1]["story_id"] is None


# ------------------------------------------------------------------------------------------------ API


def test_api_factchecks_crud_publish_claimreview_match(app, vdb):
    tok = {n: U.create_token(vdb, n) for n in ("bientap", "xem")}
    ed = TestClient(app, headers={"Authorization": f"Bearer {tok['bientap']}"})
    vw = TestClient(app, headers={"Authorization": f"Bearer {tok['xem']}"})
    r = ed.post("/api/v1/factchecks", json={"claim": FALSE_CLAIM, "verdict": "tin giả",
                                            "phrasings": ["lá ổi chữa tiểu đường"]})
    assert r.status_code == 201, r.text
    fc = r.json()
    assert fc["verdict"] == "false" and fc["verdict_label"] == "sai sự thật" and fc["status"] == "draft"
    assert vw.post("/api/v1/factchecks", json={"claim": "Một tuyên bố khác hẳn"}).status_code == 403
    assert ed.post("/api/v1/factchecks", json={"claim": FALSE_CLAIM}).status_code == 400  # duplicate
    assert ed.post("/api/v1/factchecks", json={"claim": "Tuyên bố có kết luận lạ", "verdict": "??"}).status_code == 400
    # publish without evidence → 400 with the rule's message
    r = ed.post(f"/api/v1/factchecks/{fc['id']}/publish")
    assert r.status_code == 400 and "chưa có bằng chứng" in r.json()["detail"]
    assert ed.get(f"/api/v1/factchecks/{fc['id']}/claimreview").status_code == 400
    assert ed.get(f"/api/v1/factchecks/{fc['id']}/claimreview", params={"preview": True}).json()["@type"] == "ClaimReview"
    assert vw.patch(f"/api/v1/factchecks/{fc['id']}", json={"explanation": "x"}).status_code == 403
    official = doc_id_of(vdb, "https://syt.lamson.gov.vn/la-oi.html")
    r = ed.patch(f"/api/v1/factchecks/{fc['id']}", json={"evidence": [{"doc_id": official}], "explanation": "Sai."})
    assert r.status_code == 200 and r.json()["evidence"][0]["doc_id"] == official and r.json()["version"] == 2
    r = ed.post(f"/api/v1/factchecks/{fc['id']}/publish")
    assert r.status_code == 200 and r.json()["action"] == "publish" and r.json()["factcheck"]["status"] == "published"
    assert ed.post(f"/api/v1/factchecks/{fc['id']}/publish").json()["action"] == "none"
    assert vw.get("/api/v1/factchecks", params={"status": "published"}).json()[0]["id"] == fc["id"]
    assert vw.get("/api/v1/factchecks", params={"verdict": "true"}).json() == []
    assert vw.get("/api/v1/factchecks/999999").status_code == 404
    review = vw.get(f"/api/v1/factchecks/{fc['id']}/claimreview").json()
    assert review["reviewRating"]["ratingValue"] == 1
    # match: a reworded post finds the claim; an unrelated text finds nothing
    hits = vw.post("/api/v1/match", json={"text": "nghe nói nước lá ổi đun sôi chữa khỏi tiểu đường sau 7 ngày"}).json()
    assert hits and hits[0]["factcheck_id"] == fc["id"] and hits[0]["matched"] and hits[0]["shared_terms"]
    assert vw.post("/api/v1/match", json={"text": "Đội bóng Lam Sơn thắng 3-0 trên sân nhà"}).json() == []
    assert vw.post("/api/v1/match", json={"text": ""}).status_code == 422
    assert [e["action"] for e in audit.entries(vdb) if e["object"] == f"factcheck:{fc['id']}"][::-1] == [
        "factcheck.create", "factcheck.update", "factcheck.publish"]


def test_api_alert_status(app, vdb):
    official = doc_id_of(vdb, "https://syt.lamson.gov.vn/la-oi.html")
    fc = fcs.create_factcheck(vdb, FALSE_CLAIM, "false", editor="bientap", evidence=[official])
    fcs.publish_factcheck(vdb, fc.id, "bientap")
    Ingestor(vdb).add([make_doc("", "Uống nước lá ổi đun sôi chữa khỏi bệnh tiểu đường chỉ sau 7 ngày nhé mọi người",
                                kind="post", external_id="p-2", day=26)])
    AlertStage(vdb).run()
    tok = U.create_token(vdb, "bientap")
    ed = TestClient(app, headers={"Authorization": f"Bearer {tok}"})
    [a] = ed.get("/api/v1/alerts", params={"status": "new"}).json()
    r = ed.patch(f"/api/v1/alerts/{a['id']}", json={"status": "dismissed"})
    assert r.status_code == 200 and r.json()["status"] == "dismissed"
    assert ed.patch(f"/api/v1/alerts/{a['id']}", json={"status": "xyz"}).status_code == 422
    assert ed.patch("/api/v1/alerts/999999", json={"status": "seen"}).status_code == 404
    assert ed.get("/api/v1/alerts", params={"status": "new"}).json() == []


def test_confirming_an_alert_lists_the_post_among_the_claims_appearances(app, vdb):
    official = doc_id_of(vdb, "https://syt.lamson.gov.vn/la-oi.html")
    fc = fcs.create_factcheck(vdb, FALSE_CLAIM, "false", editor="bientap", evidence=[official])
    fcs.publish_factcheck(vdb, fc.id, "bientap")
    url = "https://mxh.example/bai/la-oi-7-ngay"
    Ingestor(vdb).add([
        make_doc("", "Uống nước lá ổi đun sôi chữa khỏi bệnh tiểu đường chỉ sau 7 ngày nhé mọi người",
                 kind="post", external_id="p-3", url=url, day=26),
        make_doc("", "nước lá ổi đun sôi chữa khỏi bệnh tiểu đường sau 7 ngày, chia sẻ ngay",
                 kind="post", external_id="p-4", day=26),  # an export row without a URL
    ])
    AlertStage(vdb).run()
    tok = U.create_token(vdb, "bientap")
    ed = TestClient(app, headers={"Authorization": f"Bearer {tok}"})
    rows = ed.get("/api/v1/alerts", params={"status": "new"}).json()
    assert len(rows) == 2
    version = fcs.get_factcheck(vdb, fc.id).version
    for a in rows:
        assert ed.patch(f"/api/v1/alerts/{a['id']}", json={"status": "confirmed"}).status_code == 200
        assert ed.patch(f"/api/v1/alerts/{a['id']}", json={"status": "confirmed"}).status_code == 200  # again
    after = fcs.get_factcheck(vdb, fc.id)
    assert after.appearances == [url] and after.version == version + 1 and after.updated_by == "bientap"
    assert after.status == "published"
    assert actions(vdb, f"factcheck:{fc.id}")[0] == "factcheck.update"
    review = ed.get(f"/api/v1/factchecks/{fc.id}/claimreview").json()
    assert url in json.dumps(review["itemReviewed"])


def test_openapi_describes_verify_endpoints(app):
    spec = TestClient(app).get("/api/v1/openapi.json").json()
    paths = spec["paths"]
    for p in ("/api/v1/factchecks", "/api/v1/factchecks/{fc_id}", "/api/v1/factchecks/{fc_id}/publish",
              "/api/v1/factchecks/{fc_id}/claimreview", "/api/v1/alerts", "/api/v1/match"):
        assert p in paths
    ok = paths["/api/v1/factchecks/{fc_id}"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok["$ref"].endswith("/FactCheckOut")
    assert "FactCheckOut" in json.dumps(spec["components"])


# ------------------------------------------------------------------------------------------------ roles

EDITOR_ROUTES = {
    ("POST", "/claims/start"),
    ("GET", "/factchecks/new"),
    ("POST", "/factchecks"),
    ("POST", "/factchecks/{fc_id}"),
    ("POST", "/factchecks/{fc_id}/evidence"),
    ("POST", "/factchecks/{fc_id}/evidence/remove"),
    ("POST", "/factchecks/{fc_id}/publish"),
    ("POST", "/factchecks/{fc_id}/withdraw"),
    ("POST", "/factchecks/{fc_id}/revision/discard"),
    ("POST", "/alerts/{alert_id}/status"),
    ("POST", "/api/v1/factchecks"),
    ("PATCH", "/api/v1/factchecks/{fc_id}"),
    ("POST", "/api/v1/factchecks/{fc_id}/publish"),
    ("POST", "/api/v1/factchecks/{fc_id}/revision/discard"),
    ("PATCH", "/api/v1/alerts/{alert_id}"),
}
RANK = {"anon": -1, "viewer": 0, "editor": 1, "admin": 2}


def test_verify_routes_enforce_roles(app, vdb):
    """The same walk as test_web_app.test_every_route_enforces_roles, over this module's routes."""
    ours = {(m, r.path) for r in (*verify_pages.router.routes, *verify_api.api_router.routes) for m in r.methods - {"HEAD"}}
    assert ours >= EDITOR_ROUTES
    tokens = {n: U.create_token(vdb, n) for n in ("quantri", "bientap", "xem")}
    who = {"admin": "quantri", "editor": "bientap", "viewer": "xem"}
    sessions = {role: client(app, who[role]) for role in who}
    walked = 0
    for route in all_routes(app):
        for method in getattr(route, "methods", set()) - {"HEAD"}:
            key = (method, route.path)
            if key not in ours:
                continue
            need = "editor" if key in EDITOR_ROUTES else "viewer"
            path = route.path.replace("{fc_id}", "1").replace("{alert_id}", "1")
            for role in ("anon", "viewer", "editor", "admin"):
                api = path.startswith("/api/")
                if api:
                    c = TestClient(app, headers={} if role == "anon" else {"Authorization": f"Bearer {tokens[who[role]]}"})
                else:
                    c = TestClient(app) if role == "anon" else sessions[role]
                data = {"csrf": csrf_of(c)} if (method == "POST" and not api and role != "anon") else None
                r = c.request(method, path, data=data, follow_redirects=False)
                if RANK[role] >= RANK[need]:
                    assert r.status_code not in (401, 403, 500), (key, role, r.status_code)
                elif role == "anon":
                    assert r.status_code in (401, 303) or (method == "POST" and r.status_code == 403), (key, role)
                else:
                    assert r.status_code == 403, (key, role, r.status_code)
                walked += 1
    assert walked == 4 * len(ours)


def test_pipeline_alerts_are_grouped_under_their_story(app, vdb):
    from kiemchung.pipeline import Pipeline

    official = doc_id_of(vdb, "https://syt.lamson.gov.vn/la-oi.html")
    fc = fcs.create_factcheck(vdb, FALSE_CLAIM, "false", editor="bientap", evidence=[official])
    fcs.publish_factcheck(vdb, fc.id, "bientap")
    Pipeline(vdb).run()  # stories for what is stored, no alert yet
    Ingestor(vdb).add(
        [
            make_doc("", f"Chia sẻ ngay: {FALSE_CLAIM.lower()}!!!", kind="post", external_id="s-1", day=27),
            make_doc("", f"Mẹ mình bảo {FALSE_CLAIM.lower()}, thật không?", kind="post", external_id="s-2", day=27),
        ]
    )
    report = Pipeline(vdb).run()
    assert report.counts["alerts"] == 2
    rows = alert_views.list_alert_rows(vdb)
    assert all(r["story_id"] for r in rows)
    html = client(app, "xem").get("/alerts").text
    for story in {r["story_id"] for r in rows}:
        assert f'href="/stories/{story}"' in html
    # the claims queue links each claim's document to its story
    assert re.search(r'href="/stories/\d+"', client(app, "xem").get("/claims").text)
