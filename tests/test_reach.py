"""Reach of official statements and fact-checks on invented documents in a real SQLite file."""

from __future__ import annotations

import datetime as dt

import pytest

from kiemchung import reach
from kiemchung.errors import NotFoundError
from kiemchung.ingest import Ingestor
from kiemchung.models import Source
from tests.factories import VN, make_doc

# Every test here that takes ``db`` runs on SQLite and on PostgreSQL (tests/conftest.py: any_db).
pytestmark = pytest.mark.pg_fulltext


@pytest.fixture
def db(any_db):
    return any_db


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


def _story(db, headline, urls):
    from kiemchung import timeutil
    from kiemchung.stories.tables import stories, story_documents

    now = timeutil.now()
    with db.write() as conn:
        sid = conn.execute(stories.insert().values(
            key=f"s-{headline[:8]}", headline=headline, updated_at=now, doc_count=len(urls),
            first_seen=dt.datetime(2026, 3, 1, tzinfo=VN), last_seen=dt.datetime(2026, 3, 5, tzinfo=VN),
        )).inserted_primary_key[0]
        for u in urls:
            conn.execute(story_documents.insert().values(doc_id=_id(db, u), story_id=sid, assigned_at=now))
    return sid


def _import_factcheck(db):
    from kiemchung.claims.claimreview import import_claimreviews

    res = import_claimreviews(db, {
        "@type": "ClaimReview", "claimReviewed": "Nước máy phường Đông Hòa bị nhiễm độc sau mưa lớn",
        "reviewBody": "Sở Y tế tỉnh Hà Lâm thông báo nước máy tại phường Đông Hòa bảo đảm an toàn, đạt quy chuẩn",
        "datePublished": "2026-03-02T18:00:00+07:00", "reviewRating": {"alternateName": "sai sự thật"},
        "citation": "https://soyte.example.vn/1"}, editor="lan")
    assert res.errors == []
    return res.created[0]


def test_story_by_story_false_claim_volume_against_corrections(loaded):
    fc_id = _import_factcheck(loaded)
    water = _story(loaded, "Nước máy phường Đông Hòa", ["https://bao3.example.vn/c", "https://soyte.example.vn/1",
                                                         "https://bao1.example.vn/a"])
    trees = _story(loaded, "Trồng cây ven sông Cái", ["https://tanmy.example.vn/1"])
    rows = reach.reach_by_story(loaded, dt.datetime(2026, 3, 1, tzinfo=VN), dt.datetime(2026, 3, 10, tzinfo=VN))
    by = {r.story_id: r for r in rows}
    w = by[water]
    assert (w.statements, w.pickups, w.first_pickup) == (1, 2, dt.timedelta(days=1))
    assert (w.factchecks, w.claim_volume) == (1, 1)  # the day-1 complaint repeats the false claim
    fc = reach.reach_of_factcheck(loaded, str(fc_id))
    assert fc.claim_docs == [_id(loaded, "https://bao3.example.vn/c")] and fc.before == 1
    assert w.correction_pickups == fc.count >= 1 and w.first_correction == fc.time_to(1)
    t = by[trees]  # a statement nobody picked up, in a story with no false claim: zero reach, still listed
    assert (t.statements, t.pickups, t.first_pickup, t.factchecks, t.claim_volume) == (1, 0, None, 0, 0)

    summary, statements, fcs = reach.reach_of_story(loaded, water)
    assert summary == w and [r.count for r in statements] == [2] and [r.seed_id for r in fcs] == [str(fc_id)]
    summary, statements, fcs = reach.reach_of_story(loaded, trees)
    assert summary.pickups == 0 and fcs == [] and [r.count for r in statements] == [0]
    with pytest.raises(NotFoundError):
        reach.reach_of_story(loaded, 424242)


def test_cli_reach_per_story_and_factcheck(loaded, capsys):
    from kiemchung.cli import main

    fc_id = _import_factcheck(loaded)
    water = _story(loaded, "Nước máy phường Đông Hòa", ["https://bao3.example.vn/c", "https://soyte.example.vn/1"])

    def run(*args):
        try:
            main(["--db", str(loaded.url.split("///")[-1]), "reach", *args])
        except SystemExit as exc:
            return exc.code
        return 0

    assert run("--story", str(water)) == 0
    out = capsys.readouterr().out
    assert "tin sai lặp lại 1 lần, 1 bài kiểm chứng" in out and f"Kiểm chứng #{fc_id}" in out
    assert "lượt đăng lại" in out and "Báo 1" in out
    assert run("--factcheck", str(fc_id)) == 0
    assert "trước khi đăng: 1" in capsys.readouterr().out
    assert run("--story", "999") == 1 and "câu chuyện" in capsys.readouterr().err
    assert run() == 1 and "đúng một" in capsys.readouterr().err


def test_posts_without_title_count_in_the_false_claim_volume(loaded):
    Ingestor(loaded).add([
        make_doc("", "", body="mn ơi nước máy phường Đông Hòa bị nhiễm độc sau mưa lớn rùi, đừng uống nha",
                 kind="post", external_id="fb-1", platform="facebook", day=4),
        make_doc("", "", body="Chiều nay trời nắng đẹp, cả nhà đi chơi công viên", kind="post",
                 external_id="fb-2", platform="facebook", day=4),
    ])
    fc_id = _import_factcheck(loaded)
    r = reach.reach_of_factcheck(loaded, str(fc_id))
    with loaded.read() as conn:
        from sqlalchemy import text

        post = conn.execute(text("SELECT id FROM documents WHERE external_id = 'fb-1'")).scalar_one()
    assert (r.before, r.after) == (1, 1) and post in r.claim_docs


def test_a_statement_has_the_same_reach_whatever_else_is_asked(loaded):
    sid = _id(loaded, "https://soyte.example.vn/1")
    alone = reach.reach_of_statement(loaded, sid)
    week = reach.reach_of_statements(loaded, dt.datetime(2026, 3, 2, tzinfo=VN), dt.datetime(2026, 3, 3, tzinfo=VN))
    month = reach.reach_of_statements(loaded, dt.datetime(2026, 3, 1, tzinfo=VN), dt.datetime(2026, 4, 1, tzinfo=VN))
    assert [r.seed_id for r in week] == [str(sid)] and len(month) == 2
    assert alone.pickups == week[0].pickups == next(r for r in month if r.seed_id == str(sid)).pickups


def test_one_scan_for_a_period_gives_the_same_figures(loaded):
    _import_factcheck(loaded)
    since, until = dt.datetime(2026, 3, 1, tzinfo=VN), dt.datetime(2026, 3, 10, tzinfo=VN)
    statements, corrections = reach.reach_of_period(loaded, since, until)
    assert statements == reach.reach_of_statements(loaded, since, until)
    assert corrections == reach.reach_of_factchecks(loaded, reach.published_factchecks(loaded, since, until))
    assert [r.count for r in statements] == [2, 0] and corrections[0].before == 1


def test_forked_scan_gives_the_same_figures(loaded, monkeypatch):
    _import_factcheck(loaded)
    monkeypatch.setattr(reach, "PARALLEL_MIN", 1)  # fork even for the handful of test documents
    since, until = dt.datetime(2026, 3, 1, tzinfo=VN), dt.datetime(2026, 3, 10, tzinfo=VN)
    assert reach.reach_of_period(loaded, since, until, workers=2) == reach.reach_of_period(loaded, since, until)
