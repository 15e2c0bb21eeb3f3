"""ClaimReview JSON-LD export/import (round trip, per-item errors) and the fact-check feed."""

from __future__ import annotations

import feedparser

from kiemchung.claims.claimreview import export_claimreviews, import_claimreviews, to_claimreview
from kiemchung.claims.factchecks import create_factcheck, publish_factcheck
from kiemchung.claims.feed import atom_feed, rss_feed
from kiemchung.store import Database


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
