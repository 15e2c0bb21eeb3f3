"""Canonical URLs, content hashes and near-duplicate grouping."""

from __future__ import annotations

import pytest

from kiemchung.dedupe import NearDuplicateIndex, canonical_url, content_hash
from kiemchung.ingest import Ingestor

from factories import make_doc


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("https://baolamson.vn/tin-a.html?utm_source=fb&utm_medium=social", "https://baolamson.vn/tin-a.html"),
        ("http://www.baolamson.vn/tin-a.html#binh-luan", "https://baolamson.vn/tin-a.html"),
        ("https://m.baolamson.vn/tin-a.html", "https://baolamson.vn/tin-a.html"),
        ("https://baolamson.vn/amp/tin-a.html", "https://baolamson.vn/tin-a.html"),
        ("https://baolamson.vn/tin-a.amp.html", "https://baolamson.vn/tin-a.html"),
        ("https://baolamson.vn/tin-a/amp/", "https://baolamson.vn/tin-a"),
        ("https://BaoLamSon.vn:443/tin-a.html?fbclid=IwAR0x&zarsrc=30", "https://baolamson.vn/tin-a.html"),
        ("https://baolamson.vn/tim?q=lu&page=2", "https://baolamson.vn/tim?page=2&q=lu"),
    ],
)
def test_canonical_url_variants(a, b):
    assert canonical_url(a) == canonical_url(b)


def test_canonical_url_keeps_meaningful_parameters():
    assert canonical_url("https://x.vn/a?id=1") != canonical_url("https://x.vn/a?id=2")
    assert canonical_url(None) is None
    assert canonical_url("mailto:toa-soan@x.vn") == "mailto:toa-soan@x.vn"


def test_content_hash_ignores_case_accents_and_spacing():
    assert content_hash("Nước  sạch", "Hòa Bình", "") == content_hash("nuoc sach", "HOA BINH", "")
    assert content_hash("Nước sạch", "", "") != content_hash("Nước bẩn", "", "")


def test_near_duplicates_are_kept_and_linked(db):
    lead = (
        "Sáng 5/3, UBND tỉnh Lam Sơn tổ chức lễ khánh thành cầu Bến Đá bắc qua sông Lam, "
        "công trình có tổng vốn đầu tư 450 tỷ đồng, rút ngắn quãng đường từ Tây Hà về trung tâm tỉnh."
    )
    docs = [
        make_doc("Khánh thành cầu Bến Đá", lead, url="https://a.vn/1"),
        make_doc("Khánh thành cầu Bến Đá bắc qua sông Lam", lead.replace("Sáng 5/3", "Sáng nay"), url="https://b.vn/2"),
        make_doc("Khánh thành cầu Bến Đá", lead, url="https://c.vn/3"),  # the same text elsewhere
        make_doc("Giá lúa tăng", "Giá lúa tại Đông Hà tăng 300 đồng mỗi kg trong tuần qua do nhu cầu xuất khẩu.", url="https://d.vn/4"),
    ]
    stats = Ingestor(db).add(docs)
    assert stats.added == 4  # nothing dropped
    assert stats.exact_duplicates == 1 and stats.near_duplicates == 1
    groups = [db.get_document(i).meta["dup_group"] for i in range(1, 5)]
    assert groups[:3] == [1, 1, 1]
    assert groups[3] is None


def test_near_duplicate_index_survives_a_restart(db):
    lead = "Người dân xã Hòa Bình phản ánh tình trạng nước sinh hoạt có mùi lạ trong ba ngày liên tiếp, chính quyền đã lấy mẫu kiểm tra."
    Ingestor(db).add([make_doc("Nước có mùi lạ", lead, url="https://a.vn/x")])
    stats = Ingestor(db).add([make_doc("Nước có mùi lạ ở Hòa Bình", lead, url="https://b.vn/y")])
    assert stats.near_duplicates == 1
    assert db.get_document(2).meta["dup_group"] == 1


def test_short_texts_have_no_signature():
    idx = NearDuplicateIndex()
    assert idx.signature(["a", "b"]) is None
