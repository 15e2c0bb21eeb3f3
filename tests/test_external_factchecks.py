"""External fact-checks (other publishers' ClaimReviews pulled by a claimreview source): stored once,
updated when their publisher changes them, used in matching with their publisher named in alerts, and
never counted as this office's publication (ClaimReview export, fact-check feed, reach/reports)."""

from __future__ import annotations

import datetime as dt

import feedparser
import pytest
from factories import make_doc, run_cli_in_process, target_of

from kiemchung.claims import external
from kiemchung.claims.alerts import AlertEngine
from kiemchung.claims.claimreview import export_claimreviews, import_claimreviews, to_claimreview
from kiemchung.claims.factchecks import create_factcheck, get_factcheck, history, list_factchecks, publish_factcheck
from kiemchung.claims.feed import rss_feed
from kiemchung.claims.match import ClaimMatcher, MatchConfig
from kiemchung.claims.notify import alert_payload
from kiemchung.errors import ConfigError
from kiemchung.ingest import Ingestor
from kiemchung.reach import published_factchecks

pytestmark = pytest.mark.pg_fulltext


@pytest.fixture
def db(any_db):
    return any_db


def _review(**kw):
    review = dict(
        claim="Nước máy Tây Hà bị nhiễm độc, không được dùng nấu ăn", verdict="false", original_label="Tin giả",
        explanation="Sở Y tế đã xét nghiệm: nước đạt chuẩn.", evidence=["https://soyte.example/tb.html"],
        url="https://songhuong.example/kc/nuoc-may.html",
        appearances=["https://www.facebook.com/nguoi.dang.tin/posts/123"], first_appearance=None, claim_date=None,
        published=dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC), publisher="Tổ kiểm chứng Báo Sông Hương",
        publisher_url="https://songhuong.example")
    review.update(kw)
    return review


def test_stored_once_updated_when_changed_and_marked_external(db):
    outcome, fc_id = external.save_external(db, _review(), source_id=None, source_name="Sông Hương")
    assert outcome == "created"
    fc = get_factcheck(db, fc_id)
    assert fc.external and fc.status == "published" and fc.publisher == "Tổ kiểm chứng Báo Sông Hương"
    assert fc.meta["publisher_url"] == "https://songhuong.example" and fc.original_label == "Tin giả"
    assert fc.published_at == dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)
    assert "nguoi.dang.tin" not in fc.appearances[0]  # hash_authors (on by default) hides the poster
    assert external.save_external(db, _review(), source_id=None) == ("unchanged", fc_id)
    assert external.save_external(db, _review(verdict="misleading", original_label="Gây hiểu lầm"),
                                  source_id=None) == ("updated", fc_id)
    fc = get_factcheck(db, fc_id)
    assert fc.verdict == "misleading" and fc.version == 2 and [v.action for v in history(db, fc_id)] == ["create", "update"]
    assert len(list_factchecks(db, external=True)) == 1 and list_factchecks(db, external=False) == []


def test_office_own_factcheck_of_the_same_claim_wins(db):
    own = create_factcheck(db, "Nước máy Tây Hà bị nhiễm độc, không được dùng nấu ăn", "tin giả", editor="lan",
                           evidence=["https://soyte.example/tb.html"])
    assert external.save_external(db, _review(), source_id=None) == ("duplicate", own.id)
    with pytest.raises(ConfigError):
        external.save_external(db, _review(publisher=None), source_id=None)


def test_external_never_counts_as_the_office_publication(db):
    own = create_factcheck(db, "Cầu Bến Đá sắp sập", "tin giả", editor="lan", evidence=["https://soxd.example/tb.html"],
                           url="https://office.example/kc/cau.html")
    publish_factcheck(db, own.id, "lan")
    _, ext_id = external.save_external(db, _review(), source_id=None)
    assert [c["claimReviewed"] for c in export_claimreviews(db)] == ["Cầu Bến Đá sắp sập"]
    with pytest.raises(ConfigError, match="không phải của tổ chức này"):
        to_claimreview(db, ext_id)
    assert [e.link for e in feedparser.parse(rss_feed(db)).entries] == ["https://office.example/kc/cau.html"]
    assert [f.id for f in published_factchecks(db)] == [str(own.id)]


def test_manual_import_of_another_publisher_is_external(db):
    item = {"@type": "ClaimReview", "claimReviewed": "Gạo ST25 bị thu hồi", "datePublished": "2026-03-02",
            "author": {"@type": "Organization", "name": "Báo Khác"}, "url": "https://bao-khac.example/kc/1",
            "reviewRating": {"alternateName": "sai sự thật"}, "citation": [{"url": "https://byt.example/x"}]}
    res = import_claimreviews(db, item, editor="lan")
    assert get_factcheck(db, res.created[0]).external and export_claimreviews(db) == []


def test_external_factcheck_raises_alerts_that_name_its_publisher(db, capsys):
    _, fc_id = external.save_external(db, _review(), source_id=None)
    Ingestor(db).add([make_doc("", "mn ơi nghe nói nước máy Tây Hà bị nhiễm độc, không dùng nấu ăn được",
                               kind="post", external_id="p1", platform="facebook", day=3)])
    created = AlertEngine(db, ClaimMatcher(MatchConfig(semantic=False))).process(list(db.iter_documents()), notify=False)
    assert [a.factcheck_id for a in created] == [fc_id]
    payload = alert_payload(db, created[0].id)["factcheck"]
    assert payload["external"] is True and payload["publisher"] == "Tổ kiểm chứng Báo Sông Hương"
    assert payload["publisher_url"] == "https://songhuong.example"
    capsys.readouterr()
    assert run_cli_in_process(target_of(db), "alerts", "list", "--flat") == 0
    out = " ".join(capsys.readouterr().out.split())  # the terminal wraps long lines
    assert "Tổ kiểm chứng Báo Sông Hương" in out and "bên ngoài" in out


def test_web_alert_document_and_factcheck_pages_say_whose_fact_check_it_is(db):
    from fastapi.testclient import TestClient

    from kiemchung import users as U
    from kiemchung.web import create_app

    _, fc_id = external.save_external(db, _review(), source_id=None)
    Ingestor(db).add([make_doc("", "mn ơi nghe nói nước máy Tây Hà bị nhiễm độc, không dùng nấu ăn được",
                               kind="post", external_id="p1", platform="facebook", day=3)])
    [alert] = AlertEngine(db, ClaimMatcher(MatchConfig(semantic=False))).process(list(db.iter_documents()),
                                                                                  notify=False)
    U.add_user(db, "xem", "matkhau-kiemchung-1", "viewer")
    c = TestClient(create_app(db))
    assert c.post("/login", data={"username": "xem", "password": "matkhau-kiemchung-1", "next": "/"},
                  follow_redirects=False).status_code == 303
    for page in ("/", "/alerts", f"/documents/{alert.doc_id}", "/factchecks", f"/factchecks/{fc_id}"):
        html = c.get(page).text
        assert "Tổ kiểm chứng Báo Sông Hương" in html and "kiểm chứng bên ngoài" in html, page
    assert 'id="claimreview-jsonld"' not in c.get(f"/factchecks/{fc_id}").text  # not the office's to publish
