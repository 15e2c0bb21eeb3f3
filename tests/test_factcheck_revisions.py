"""A published fact-check's text changes only after a second person approves the change (issue 12,
Medium 3): library rule, API, web editor and CLI, against a real SQLite file. Sentences are invented."""

from __future__ import annotations

import re

import pytest
from factories import run_cli_in_process
from fastapi.testclient import TestClient

from kiemchung import audit
from kiemchung import users as U
from kiemchung.claims import factchecks as fcs
from kiemchung.claims.alerts import AlertEngine
from kiemchung.claims.claimreview import to_claimreview
from kiemchung.claims.feed import rss_feed
from kiemchung.store import Database
from kiemchung.web import create_app

# Every test here that takes ``db`` runs on SQLite and on PostgreSQL (tests/conftest.py: any_db).
pytestmark = pytest.mark.pg_fulltext


@pytest.fixture
def db(any_db):
    return any_db


PW = "matkhau-kiemchung-1"
CLAIM = "Uống nước lá ổi đun sôi chữa khỏi bệnh tiểu đường chỉ sau 7 ngày"
NEW_CLAIM = "Cầu Bến Đá bị đóng cửa vĩnh viễn vì ba trụ cầu đã nứt"
EVIDENCE = "https://syt.lamson.gov.vn/la-oi.html"


def _published(db, editor="lan", approver="minh") -> fcs.FactCheck:
    db.set_setting("require_approval", "1")
    fc = fcs.create_factcheck(db, CLAIM, "false", "Sở Y tế bác bỏ.", editor=editor, evidence=[EVIDENCE])
    fcs.publish_factcheck(db, fc.id, editor)
    return fcs.publish_factcheck(db, fc.id, editor, approver=approver)


def _matches(db, text: str) -> list[int]:
    return [int(m.entry_id) for m in AlertEngine(db).refresh().match(text) if m.matched]


def test_substantive_change_waits_for_a_second_person(db):
    fc = _published(db)
    revised = fcs.update_factcheck(db, fc.id, {"verdict": "true", "explanation": "Đã sửa.", "claim": NEW_CLAIM},
                                   "lan")
    # what is public did not change: fields, ClaimReview, feed, matcher
    assert (revised.status, revised.verdict, revised.claim, revised.explanation) == (
        "published", "false", CLAIM, "Sở Y tế bác bỏ.")
    assert revised.approved_by == "minh"
    assert revised.pending["changes"] == {"verdict": "true", "explanation": "Đã sửa.", "claim": NEW_CLAIM}
    assert revised.pending["editors"] == ["lan"]
    review = to_claimreview(db, revised)
    assert review["reviewRating"]["alternateName"] == "sai sự thật" and review["claimReviewed"] == CLAIM
    feed = rss_feed(db).decode()
    assert "Đã sửa" not in feed and CLAIM in feed
    assert _matches(db, CLAIM) == [fc.id] and _matches(db, NEW_CLAIM) == []
    assert fcs.find_duplicate(db, NEW_CLAIM) is None
    # the editor sees the revision in the working copy
    assert revised.working_copy().claim == NEW_CLAIM and revised.working_copy().phrasings[0] == NEW_CLAIM
    # its editor cannot approve it, an admin who wrote it neither
    with pytest.raises(fcs.ApprovalError):
        fcs.approve_revision(db, fc.id, "lan")
    with pytest.raises(fcs.ApprovalError):
        fcs.publish_factcheck(db, fc.id, "lan", approver="lan")
    done = fcs.approve_revision(db, fc.id, "minh")
    assert (done.verdict, done.claim, done.explanation, done.pending) == ("true", NEW_CLAIM, "Đã sửa.", None)
    assert (done.proposed_by, done.approved_by, done.published_at) == ("lan", "minh", fc.published_at)
    assert _matches(db, CLAIM) == [] and fcs.find_duplicate(db, NEW_CLAIM).id == fc.id  # now "true": no alert
    assert [v.action for v in fcs.history(db, fc.id)][-2:] == ["revise", "approve-revision"]


def test_admin_cannot_approve_own_revision_and_a_second_editor_joins_it(db):
    U.add_user(db, "quantri", PW, "admin")
    fc = _published(db)
    fcs.update_factcheck(db, fc.id, {"explanation": "Bổ sung."}, "quantri")
    with pytest.raises(fcs.ApprovalError):
        fcs.approve_revision(db, fc.id, "quantri")
    # a second editor amends the revision: now neither of them may approve
    fcs.update_factcheck(db, fc.id, {"evidence": [EVIDENCE, "https://bo-y-te.example/tb.html"]}, "minh")
    fc2 = fcs.get_factcheck(db, fc.id)
    assert fc2.pending["editors"] == ["quantri", "minh"] and len(fc2.evidence) == 1
    with pytest.raises(fcs.ApprovalError):
        fcs.approve_revision(db, fc.id, "minh")
    done = fcs.approve_revision(db, fc.id, "lan")
    assert done.explanation == "Bổ sung." and len(done.evidence) == 2


def test_minor_fields_apply_at_once_and_meta_cannot_drop_the_revision(db):
    fc = _published(db)
    fcs.update_factcheck(db, fc.id, {"claim": NEW_CLAIM}, "lan")
    fc2 = fcs.update_factcheck(db, fc.id, {"appearances": ["https://mxh.example/p/1"], "meta": {"x": 1}}, "lan")
    assert fc2.appearances == ["https://mxh.example/p/1"] and fc2.meta["x"] == 1
    assert fc2.pending["changes"] == {"claim": NEW_CLAIM}
    # reverting the change empties the revision
    fc3 = fcs.update_factcheck(db, fc.id, {"claim": CLAIM}, "lan")
    assert fc3.pending is None
    assert set(fcs.MINOR) == {"url", "appearances", "first_appearance", "claim_date", "publisher", "meta"}


def test_revision_keeps_the_rules_and_can_be_discarded(db):
    fc = _published(db)
    with pytest.raises(fcs.EvidenceRequiredError):
        fcs.update_factcheck(db, fc.id, {"evidence": []}, "lan")
    other = fcs.create_factcheck(db, NEW_CLAIM, "unverified", editor="lan")
    with pytest.raises(fcs.DuplicateFactCheckError):
        fcs.update_factcheck(db, fc.id, {"phrasings": [NEW_CLAIM]}, "lan")
    assert other.id != fc.id
    fcs.update_factcheck(db, fc.id, {"verdict": "misleading"}, "lan")
    back = fcs.discard_revision(db, fc.id, "lan")
    assert back.pending is None and back.verdict == "false"


def test_without_require_approval_edits_apply(db):
    fc = fcs.create_factcheck(db, CLAIM, "false", editor="lan", evidence=[EVIDENCE])
    fcs.publish_factcheck(db, fc.id, "lan")
    assert fcs.update_factcheck(db, fc.id, {"verdict": "misleading"}, "lan").verdict == "misleading"


@pytest.fixture
def app(db):
    for name, role in (("quantri", "admin"), ("bientap", "editor"), ("bientap2", "editor")):
        U.add_user(db, name, PW, role)
    return create_app(db)


def _client(app, name: str) -> TestClient:
    c = TestClient(app)
    r = c.post("/login", data={"username": name, "password": PW, "next": "/"}, follow_redirects=False)
    assert r.status_code == 303
    return c


def _csrf(c: TestClient) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', c.get("/factchecks").text).group(1)


def _token(db, name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {U.create_token(db, name)}"}


def test_api_patch_of_a_published_factcheck_goes_back_through_approval(app, db):
    fc = _published(db, "bientap", "bientap2")
    h1, h2 = _token(db, "bientap"), _token(db, "bientap2")
    c = TestClient(app)
    r = c.patch(f"/api/v1/factchecks/{fc.id}", json={"verdict": "đúng", "claim": NEW_CLAIM}, headers=h1)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["verdict"], body["claim"], body["status"]) == ("false", CLAIM, "published")
    assert body["pending_revision"]["changes"]["verdict"] == "true"
    review = c.get(f"/api/v1/factchecks/{fc.id}/claimreview", headers=h1).json()
    assert review["claimReviewed"] == CLAIM
    # the proposer's approval is refused, a second editor's applies it
    r = c.post(f"/api/v1/factchecks/{fc.id}/publish", headers=h1)
    assert r.status_code == 400 and "không thể tự duyệt" in r.json()["detail"]
    r = c.post(f"/api/v1/factchecks/{fc.id}/publish", headers=h2)
    assert r.status_code == 200 and r.json()["action"] == "approve_revision"
    assert r.json()["factcheck"]["verdict"] == "true" and r.json()["factcheck"]["pending_revision"] is None
    assert c.get(f"/api/v1/factchecks/{fc.id}/claimreview", headers=h1).json()["claimReviewed"] == NEW_CLAIM
    acts = [e["action"] for e in audit.entries(db, 50) if e["object"] == f"factcheck:{fc.id}"]
    assert acts[:2] == ["factcheck.approve_revision", "factcheck.revise"]
    # discard through the API
    c.patch(f"/api/v1/factchecks/{fc.id}", json={"explanation": "Khác."}, headers=h1)
    r = c.post(f"/api/v1/factchecks/{fc.id}/revision/discard", headers=h1)
    assert r.status_code == 200 and r.json()["pending_revision"] is None and r.json()["explanation"] == "Sở Y tế bác bỏ."


def test_web_editor_save_goes_back_through_approval(app, db):
    fc = _published(db, "bientap", "bientap2")
    c1, c2 = _client(app, "bientap"), _client(app, "bientap2")
    form = {"csrf": _csrf(c1), "claim": NEW_CLAIM, "verdict": "false", "explanation": "Sở Y tế bác bỏ.",
            "phrasings": "", "url": "", "appearances": ""}
    assert c1.post(f"/factchecks/{fc.id}", data=form, follow_redirects=False).status_code == 303
    assert fcs.get_factcheck(db, fc.id).claim == CLAIM
    page = c1.get(f"/factchecks/{fc.id}").text
    assert "Bản sửa chờ duyệt" in page and NEW_CLAIM in page and "Duyệt bản sửa" not in page
    r = c1.post(f"/factchecks/{fc.id}/publish", data={"csrf": _csrf(c1)})
    assert r.status_code == 400 and fcs.get_factcheck(db, fc.id).claim == CLAIM
    assert "Duyệt bản sửa" in c2.get(f"/factchecks/{fc.id}").text
    assert c2.post(f"/factchecks/{fc.id}/publish", data={"csrf": _csrf(c2)}, follow_redirects=False).status_code == 303
    assert fcs.get_factcheck(db, fc.id).claim == NEW_CLAIM


def test_cli_edit_of_a_published_factcheck_goes_back_through_approval(tmp_path, capsys):
    path = tmp_path / "cli.db"
    db = Database(str(path))
    _published(db)
    db.close()
    assert run_cli_in_process(path, "factchecks", "edit", "1", "--verdict", "đúng", "--editor", "lan") == 0
    capsys.readouterr()
    db = Database(str(path))
    assert fcs.get_factcheck(db, 1).verdict == "false"
    db.close()
    assert run_cli_in_process(path, "factchecks", "publish", "1", "--editor", "lan", "--approver", "lan") == 1
    assert "không thể tự duyệt" in capsys.readouterr().err
    assert run_cli_in_process(path, "factchecks", "publish", "1", "--editor", "lan", "--approver", "minh") == 0
    db = Database(str(path))
    assert fcs.get_factcheck(db, 1).verdict == "true"
    db.close()
