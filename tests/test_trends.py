"""Trends: volume per bucket, series per story/keyword/province, bursts against a series' own baseline."""

from __future__ import annotations

import datetime as dt

import pytest

from kiemchung.entities import EntityStage
from kiemchung.errors import QueryError
from kiemchung.ingest import Ingestor
from kiemchung.models import Document
from kiemchung.stories.tables import stories, story_documents
from kiemchung.stories.trends import burst_score, rising, series, volume
from kiemchung.stories.watchlists import add_watchlist

# Every test here that takes ``db`` runs on SQLite and on PostgreSQL (tests/conftest.py: any_db).
pytestmark = pytest.mark.pg_fulltext


@pytest.fixture
def db(any_db):
    return any_db


VN = dt.timezone(dt.timedelta(hours=7))
NOW = dt.datetime(2026, 3, 20, 12, 0, tzinfo=VN)
TOPICS = ["giá điện", "học phí", "kẹt xe", "nước sạch", "dịch sốt xuất huyết"]


def _doc(i: int, title: str, when: dt.datetime, body: str = "") -> Document:
    return Document(url=f"https://tin.example.vn/{i}.html", title=f"{title}, bản tin số {i}",
                    lead=f"Tin thứ {i}: {title.lower()} được nhiều người quan tâm, mã {i * 7919}.",
                    body=body, published_at=when)


def _flat_then_burst(burst: bool) -> list[Document]:
    """Two documents a day about Quảng Nam's price of electricity for 15 days; a burst in the last day."""
    docs, i = [], 0
    for day in range(15, 0, -1):
        for h in (3, 9):
            i += 1
            topic = TOPICS[i % len(TOPICS)]
            docs.append(_doc(i, f"Người dân Hà Tĩnh bàn về {topic}", NOW - dt.timedelta(days=day, hours=-h)))
    n_last = 14 if burst else 2
    for k in range(n_last):
        i += 1
        docs.append(_doc(i, "Lở núi ở Quảng Nam, đường bị chia cắt", NOW - dt.timedelta(hours=k + 1)))
    # An older trickle for the same place so its baseline is not empty.
    for day in (3, 8, 12):
        i += 1
        docs.append(_doc(i, "Quảng Nam trồng rừng", NOW - dt.timedelta(days=day, hours=2)))
    docs.reverse()  # out-of-order timestamps
    return docs


def _load(db, docs):
    Ingestor(db).add(docs)
    EntityStage(db, ner=False).run()


def test_volume_per_day_and_hour_in_vietnam_time(db):
    docs = [
        _doc(1, "Tin sáng", dt.datetime(2026, 3, 2, 0, 30, tzinfo=VN)),  # 17:30 UTC on 1 March
        _doc(2, "Tin trưa", dt.datetime(2026, 3, 2, 12, 0, tzinfo=VN)),
        _doc(3, "Tin tối", dt.datetime(2026, 3, 1, 23, 59, tzinfo=VN)),
        _doc(4, "Bài đăng", dt.datetime(2026, 3, 2, 12, 5, tzinfo=VN)),
    ]
    docs[3].kind = "post"
    Ingestor(db).add(docs)
    since, until = dt.datetime(2026, 3, 1, tzinfo=VN), dt.datetime(2026, 3, 4, tzinfo=VN)
    assert list(volume(db, since, until).values()) == [1, 3, 0]
    assert list(volume(db, since, until, kinds=["article"]).values()) == [1, 2, 0]
    hours = volume(db, dt.datetime(2026, 3, 2, 0, tzinfo=VN), dt.datetime(2026, 3, 2, 13, tzinfo=VN), bucket="hour")
    assert len(hours) == 13
    assert hours[dt.datetime(2026, 3, 2, 0, tzinfo=VN)] == 1
    assert hours[dt.datetime(2026, 3, 2, 12, tzinfo=VN)] == 2
    assert sum(volume(db, dt.datetime(2026, 5, 1, tzinfo=VN), dt.datetime(2026, 5, 3, tzinfo=VN)).values()) == 0
    with pytest.raises(QueryError):
        volume(db, since, until, bucket="month")


def test_province_series_counts_old_names_for_new_province(db):
    _load(db, _flat_then_burst(burst=False))
    s = series(db, "province", "Đà Nẵng", NOW - dt.timedelta(days=15), NOW)
    assert sum(s.values()) == 2 + 3  # all "Quảng Nam" documents count for Đà Nẵng
    assert series(db, "province", "quang nam", NOW - dt.timedelta(days=15), NOW) == s
    with pytest.raises(QueryError):
        series(db, "province", "Lam Giang", NOW - dt.timedelta(days=2), NOW)


def test_keyword_series(db):
    _load(db, _flat_then_burst(burst=False))
    s = series(db, "keyword", "lo nui", NOW - dt.timedelta(days=2), NOW, bucket="day")
    assert sum(s.values()) == 2


def test_burst_detected_and_flat_series_not(db):
    _load(db, _flat_then_burst(burst=True))
    add_watchlist(db, "Sạt lở", "lở núi OR sạt lở")
    add_watchlist(db, "Hà Tĩnh", "hà tĩnh")
    found = rising(db, now=NOW)
    keys = {(r.kind, r.key) for r in found}
    assert ("province", "da-nang") in keys
    assert ("watchlist", "Sạt lở") in keys
    assert ("province", "ha-tinh") not in keys  # two a day, every day: flat
    assert ("watchlist", "Hà Tĩnh") not in keys
    top = next(r for r in found if r.kind == "province")
    assert top.label == "Đà Nẵng" and top.current == 14
    assert rising(db, now=NOW, keywords=["lo nui"], kinds=())[0].key == "lo nui"


def test_no_burst_without_injection(db):
    _load(db, _flat_then_burst(burst=False))
    add_watchlist(db, "Hà Tĩnh", "hà tĩnh")
    assert rising(db, now=NOW) == []


def test_story_bursts_from_story_documents(db):
    _load(db, _flat_then_burst(burst=True))
    from sqlalchemy import select

    from kiemchung.store import schema as t

    with db.write() as conn:
        sid = conn.execute(stories.insert().values(key="s1", headline="Lở núi ở Quảng Nam", updated_at=NOW)).inserted_primary_key[0]
        flat = conn.execute(stories.insert().values(key="s2", headline="Hà Tĩnh", updated_at=NOW)).inserted_primary_key[0]
        for row in conn.execute(select(t.documents.c.id, t.documents.c.title)):
            story = sid if "Lở núi" in row.title else flat if "Hà Tĩnh" in row.title else None
            if story:
                conn.execute(story_documents.insert().values(doc_id=row.id, story_id=story, assigned_at=NOW))
    found = [r for r in rising(db, now=NOW, kinds=("story",))]
    assert [(r.key, r.label) for r in found] == [(str(sid), "Lở núi ở Quảng Nam")]
    assert sum(series(db, "story", str(flat), NOW - dt.timedelta(days=15), NOW).values()) == 30


def test_empty_database_has_nothing_rising(db):
    assert rising(db, now=NOW) == []
    assert sum(volume(db, NOW - dt.timedelta(days=3), NOW).values()) == 0


def test_burst_score():
    mean, flat = burst_score(2, [2] * 14)
    assert mean == 2 and flat == 0
    _, high = burst_score(14, [2] * 14)
    assert high > 3
    _, noisy = burst_score(14, [0, 20] * 7)
    assert noisy < high  # a series that is always jumpy needs more to count as a burst
    assert burst_score(5, []) == (0.0, 0.0)


def test_rising_during_a_past_week_keeps_each_series_at_its_peak(db):
    _load(db, _flat_then_burst(True))
    from kiemchung.stories.trends import rising_during

    week = rising_during(db, NOW - dt.timedelta(days=6), NOW + dt.timedelta(hours=1))
    peak = {(r.kind, r.key): (r, at) for r, at in week}
    r, at = peak[("province", "da-nang")]  # the burst of the last day, seen at its peak
    assert r.current == 14 and NOW <= at <= NOW + dt.timedelta(hours=1)
    assert ("province", "ha-tinh") not in peak  # flat all week
    assert r.score == max(x.score for x in rising(db, now=at, kinds=("province",)))
    assert rising_during(db, NOW - dt.timedelta(days=40), NOW - dt.timedelta(days=30)) == []


def test_trend_moment_blank_day_means_now():
    """A blank or whitespace ``at`` (the API fuzzer sent '\\r') is the installation's now, not a crash."""
    import datetime as dt

    from kiemchung.web.trend_views import trend_moment

    now = dt.datetime(2026, 11, 20, 6, 0, tzinfo=dt.UTC)
    for blank in (None, "", " ", "\r", "\t\n"):
        assert trend_moment(blank, now) == now
    assert trend_moment("19/11/2026", now) == dt.datetime(2026, 11, 19, 17, 0, tzinfo=dt.UTC)
