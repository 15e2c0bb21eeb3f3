"""Reach of official statements and fact-checks on invented documents in a real SQLite file."""

from __future__ import annotations

import datetime as dt

import pytest

from kiemchung import reach
from kiemchung.errors import NotFoundError
from kiemchung.ingest import Ingestor
from kiemchung.models import Source
from tests.factories import VN, make_doc

STATEMENT = ("Sở Y tế tỉnh Hà Lâm thông báo nước máy tại phường Đông Hòa bảo đảm an toàn",
             "Kết quả xét nghiệm mẫu nước máy tại phường Đông Hòa đạt quy chuẩn, người dân yên tâm sử dụng.")
LONELY = ("UBND huyện Tân Mỹ họp bàn kế hoạch trồng cây xanh ven sông Cái",
          "Huyện Tân Mỹ sẽ trồng ba nghìn cây xanh dọc bờ sông Cái trong mùa mưa năm nay.")


@pytest.fixture
def loaded(db):
    srcs = [db.add_source(Source(kind="feed", url=f"https://bao{i}.example.vn/rss", name=f"Báo {i}")) for i in range(4)]
    docs = [
        make_doc(*STATEMENT, url="https://soyte.example.vn/1", day=2, kind="official", source_id=srcs[0].id),
        make_doc(*LONELY, url="https://tanmy.example.vn/1", day=3, kind="official", source_id=srcs[0].id),
        # Pickups of the statement on later days, from three outlets.
        make_doc("Nước máy tại phường Đông Hòa bảo đảm an toàn, Sở Y tế thông báo",
                 "Sở Y tế tỉnh Hà Lâm cho biết kết quả xét nghiệm mẫu nước máy tại phường Đông Hòa đạt quy chuẩn.",
                 url="https://bao1.example.vn/a", day=3, source_id=srcs[1].id),
        make_doc("Sở Y tế: nước máy phường Đông Hòa đạt quy chuẩn, an toàn để sử dụng",
                 "Xét nghiệm mẫu nước máy tại phường Đông Hòa cho thấy nước đạt quy chuẩn, Sở Y tế tỉnh Hà Lâm thông báo.",
                 url="https://bao2.example.vn/a", day=5, source_id=srcs[2].id),
        # Unrelated news, and an earlier document that cannot be a pickup.
        make_doc("Giá lúa tại huyện Tân Mỹ tăng nhẹ trong tuần", "Thương lái thu mua lúa với giá cao hơn tuần trước.",
                 url="https://bao3.example.vn/b", day=4, source_id=srcs[3].id),
        make_doc("Người dân phường Đông Hòa lo nước máy bị nhiễm độc sau mưa lớn",
                 "Nhiều người dân phường Đông Hòa phản ánh nước máy có màu đục sau trận mưa lớn.",
                 url="https://bao3.example.vn/c", day=1, source_id=srcs[3].id),
    ]
    Ingestor(db).add(docs)
    return db


def _id(db, url):
    from sqlalchemy import text

    with db.read() as conn:
        return conn.execute(text("SELECT id FROM documents WHERE url = :u"), {"u": url}).scalar_one()


def test_statement_pickups_outlets_and_timing(loaded):
    r = reach.reach_of_statement(loaded, _id(loaded, "https://soyte.example.vn/1"))
    urls = {_id(loaded, "https://bao1.example.vn/a"), _id(loaded, "https://bao2.example.vn/a")}
    assert {p.doc_id for p in r.pickups} == urls
    assert [name for name, _ in r.outlets] == ["Báo 1", "Báo 2"]
    assert r.time_to(1) == dt.timedelta(days=1)
    assert r.time_to(2) == dt.timedelta(days=3)
    assert r.time_to(10) is None
    # the earlier complaint (day 1) is never counted as a pickup
    assert _id(loaded, "https://bao3.example.vn/c") not in {p.doc_id for p in r.pickups}


def test_statement_nobody_picked_up_is_zero_reach(loaded):
    r = reach.reach_of_statement(loaded, _id(loaded, "https://tanmy.example.vn/1"))
    assert r.count == 0 and r.pickups == [] and r.outlets == [] and r.time_to(1) is None


def test_unknown_statement_is_not_found(loaded):
    with pytest.raises(NotFoundError):
        reach.reach_of_statement(loaded, 999999)


def test_statements_of_a_period(loaded):
    rows = reach.reach_of_statements(loaded, dt.datetime(2026, 3, 1, tzinfo=VN), dt.datetime(2026, 3, 10, tzinfo=VN))
    assert [r.count for r in rows] == [2, 0]
    assert reach.reach_of_statements(loaded, dt.datetime(2026, 4, 1, tzinfo=VN), dt.datetime(2026, 5, 1, tzinfo=VN)) == []


def test_factcheck_claim_volume_before_and_after(loaded):
    fc = reach.FactCheck(
        id="fc-1",
        claim="Nước máy phường Đông Hòa bị nhiễm độc sau mưa lớn",
        title="Sở Y tế tỉnh Hà Lâm thông báo nước máy tại phường Đông Hòa bảo đảm an toàn, đạt quy chuẩn",
        published_at=dt.datetime(2026, 3, 2, 18, 0, tzinfo=VN),
    )
    r = reach.reach_of_factcheck(loaded, "fc-1", factchecks=[fc])
    assert r.before == 1  # the day-1 complaint
    assert r.count >= 1  # the day-3 and day-5 articles repeat the correction
    with pytest.raises(NotFoundError):
        reach.reach_of_factcheck(loaded, "nope", factchecks=[fc])
