"""ClaimReview JSON-LD export/import (round trip, per-item errors) and the fact-check feed."""

from __future__ import annotations

import feedparser

from kiemchung.claims.claimreview import export_claimreviews, import_claimreviews, to_claimreview
from kiemchung.claims.factchecks import create_factcheck, publish_factcheck
from kiemchung.claims.feed import atom_feed, rss_feed
from kiemchung.store import Database
import pytest

# Every test here that takes ``db`` runs on SQLite and on PostgreSQL (tests/conftest.py: any_db).
pytestmark = pytest.mark.pg_fulltext


@pytest.fixture
def db(any_db):
    return any_db


def _published(db):
    db.set_setting("org_name", "Tổ kiểm chứng Báo Lam Sơn")
    db.set_setting("org_url", "https://baolamson.example")
    fc = create_factcheck(db, "Cầu Bến Đá sắp sập", "tin giả", "Sở Xây dựng kiểm tra: cầu an toàn.", editor="lan",
                          evidence=["https://soxd.example/tb.html"], appearances=["https://fb.example/p/1"],
                          first_appearance="https://fb.example/p/1", url="https://baolamson.example/kc/cau.html")
    return publish_factcheck(db, fc.id, "lan")


def test_export_fields(db):
    out = to_claimreview(db, _published(db))
    assert out["@type"] == "ClaimReview" and out["inLanguage"] == "vi"
    assert out["reviewRating"]["alternateName"] == "sai sự thật" and out["reviewRating"]["ratingValue"] == 1
    assert out["author"]["name"] == "Tổ kiểm chứng Báo Lam Sơn"
    assert out["itemReviewed"]["firstAppearance"]["url"] == "https://fb.example/p/1"
    assert out["datePublished"].endswith("+07:00")


def test_round_trip(db, tmp_path):
    _published(db)
    first = export_claimreviews(db)
    other = Database(tmp_path / "other.db")
    other.set_setting("org_name", "Tổ kiểm chứng Báo Lam Sơn")
    other.set_setting("org_url", "https://baolamson.example")
    res = import_claimreviews(other, {"@context": "https://schema.org", "@graph": first}, editor="minh")
    assert res.errors == [] and len(res.created) == 1
    assert export_claimreviews(other) == first
    other.close()


def test_bad_items_reported_with_index_and_valid_ones_imported(db):
    good = {"@type": "ClaimReview", "claimReviewed": "Nước chanh chữa ung thư", "datePublished": "2026-03-02",
            "reviewRating": {"alternateName": "Tin sai sự thật"}, "citation": [{"url": "https://byt.example/x"}]}
    items = [good, {"@type": "ClaimReview"}, {"@type": "Review", "claimReviewed": "x"},
             {**good, "claimReviewed": "Trường nghỉ học", "reviewRating": {"alternateName": "???"}},
             {**good, "claimReviewed": "Xăng tăng giá", "datePublished": "không phải ngày"}, "chuỗi"]
    res = import_claimreviews(db, items, editor="lan")
    assert len(res.created) == 1
    assert [e.split(":")[0] for e in res.errors] == ["Mục 1", "Mục 2", "Mục 3", "Mục 4", "Mục 5"]
    assert "claimReviewed" in res.errors[0]
    again = import_claimreviews(db, good, editor="lan")  # duplicate → an error, not a crash
    assert again.created == [] and "đã có bài kiểm chứng" in again.errors[0]


def test_feeds_parse(db):
    fc = _published(db)
    for data in (rss_feed(db), atom_feed(db)):
        parsed = feedparser.parse(data)
        assert not parsed.bozo, parsed.bozo_exception
        assert parsed.entries[0].title.startswith("[sai sự thật]")
        assert parsed.entries[0].link == fc.url


def test_wrong_field_types_are_per_item_errors(db):
    good = {"@type": "ClaimReview", "claimReviewed": "Cá ở hồ Tây Hà chết hàng loạt vì nhiễm độc",
            "datePublished": "2026-04-01", "reviewRating": {"alternateName": "sai sự thật"},
            "citation": [{"url": "https://stnmt.example/ca-ho.html"}]}
    wrong = [
        {**good, "claimReviewed": 42},
        {**good, "datePublished": 20260401},
        {**good, "reviewRating": "False"},
        {**good, "reviewRating": {"ratingValue": "không rõ"}},
        {**good, "reviewRating": {"ratingValue": 9, "bestRating": 5, "worstRating": 1}},
        {**good, "citation": [{"url": 5}]},
        {**good, "url": "javascript:alert(1)"},  # would become a link in the web app
        {**good, "reviewBody": {"text": "x"}},
        {**good, "itemReviewed": "một chuỗi"},
        {**good, "itemReviewed": {"datePublished": "hôm qua"}},
        {**good, "itemReviewed": {"appearance": [{"url": ["https://fb.example/1"]}]}},
    ]
    res = import_claimreviews(db, [*wrong, good], editor="lan")
    assert [int(e.split(":")[0].removeprefix("Mục ")) for e in res.errors] == list(range(len(wrong)))
    assert len(res.created) == 1  # the valid one, after all the bad ones
    assert "reviewBody" in res.errors[7] and "http" in res.errors[6]
    from kiemchung.claims.factchecks import list_factchecks

    assert [f.claim for f in list_factchecks(db)] == [good["claimReviewed"]]


def test_citation_without_url_is_skipped_not_an_error(db):
    item = {"@type": "ClaimReview", "claimReviewed": "Trạm bơm Cầu Ngang ngừng hoạt động cả tháng",
            "datePublished": "2026-04-02T08:00:00+07:00", "reviewRating": {"alternateName": "gây hiểu lầm"},
            "citation": [{"@type": "CreativeWork", "name": "Công văn 12/UBND"}, {"url": "https://ubnd.example/cv12"}]}
    res = import_claimreviews(db, item, editor="lan")
    assert res.errors == []
    from kiemchung.claims.factchecks import get_factcheck

    fc = get_factcheck(db, res.created[0])
    assert fc.status == "published" and [e["url"] for e in fc.evidence] == ["https://ubnd.example/cv12"]
