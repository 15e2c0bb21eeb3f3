"""Watchlists: saved queries and their counts per Vietnamese day/hour (real SQLite, real FTS)."""

from __future__ import annotations

import datetime as dt

import pytest

from kiemchung.errors import NotFoundError, QueryError
from kiemchung.ingest import Ingestor
from kiemchung.models import Document
from kiemchung.stories.watchlists import (
    add_watchlist,
    bucket_starts,
    count_query,
    list_watchlists,
    remove_watchlist,
    watchlist_counts,
)

# Every test here that takes ``db`` runs on SQLite and on PostgreSQL (tests/conftest.py: any_db).
pytestmark = pytest.mark.pg_fulltext


@pytest.fixture
def db(any_db):
    return any_db


VN = dt.timezone(dt.timedelta(hours=7))


def doc(i: int, title: str, when: dt.datetime) -> Document:
    return Document(url=f"https://tin.example.vn/{i}.html", title=f"{title} (bản tin số {i})",
                    lead=f"Nội dung thứ {i} về {title.lower()} được cập nhật.", published_at=when)


@pytest.fixture
def loaded(db):
    docs = [
        # Out of order on purpose: ingest order must not matter.
        doc(1, "Sạt lở đất ở miền núi", dt.datetime(2026, 3, 3, 9, 0, tzinfo=VN)),
        doc(2, "Sạt lở bờ sông", dt.datetime(2026, 3, 1, 8, 0, tzinfo=VN)),
        doc(3, "Sat lo taluy duong", dt.datetime(2026, 3, 1, 23, 30, tzinfo=VN)),  # no diacritics
        doc(4, "Giá lúa tăng", dt.datetime(2026, 3, 1, 10, 0, tzinfo=VN)),
        # 00:30 on 3 March in Vietnam is still 2 March in UTC: it belongs to 3 March.
        doc(5, "Cảnh báo sạt lở", dt.datetime(2026, 3, 2, 17, 30, tzinfo=dt.UTC)),
        doc(6, "Sạt lở và giá lúa", dt.datetime(2026, 3, 5, 12, 0, tzinfo=VN)),
    ]
    Ingestor(db).add(docs)
    return db


def test_add_list_remove(db):
    add_watchlist(db, "Thiên tai", "sạt lở OR lũ")
    add_watchlist(db, "Giá cả", '"giá lúa"')
    assert [w.name for w in list_watchlists(db)] == ["Giá cả", "Thiên tai"]
    with pytest.raises(QueryError):
        add_watchlist(db, "Thiên tai", "bão")
    with pytest.raises(QueryError):
        add_watchlist(db, "Trống", "   ")
    with pytest.raises(QueryError):
        add_watchlist(db, "", "bão")
    remove_watchlist(db, "Giá cả")
    assert [w.name for w in list_watchlists(db)] == ["Thiên tai"]
    with pytest.raises(NotFoundError):
        remove_watchlist(db, "Giá cả")


def test_counts_per_vietnamese_day(loaded):
    add_watchlist(loaded, "Sạt lở", "sat lo")
    since, until = dt.datetime(2026, 3, 1, tzinfo=VN), dt.datetime(2026, 3, 5, tzinfo=VN)
    counts = watchlist_counts(loaded, "Sạt lở", since, until)
    assert list(counts.values()) == [2, 0, 2, 0]  # 1, 2, 3, 4 March (Vietnam days)
    assert list(counts) == [dt.datetime(2026, 3, d, tzinfo=VN) for d in (1, 2, 3, 4)]
    # Boolean queries, same language as search.
    assert count_query(loaded, "sạt lở AND NOT sông", since, dt.datetime(2026, 3, 6, tzinfo=VN)) == 4
    assert count_query(loaded, '"giá lúa"', since, dt.datetime(2026, 3, 6, tzinfo=VN)) == 2


def test_counts_per_hour_and_empty_periods(loaded):
    add_watchlist(loaded, "Sạt lở", "sạt lở")
    hours = watchlist_counts(loaded, "Sạt lở", dt.datetime(2026, 3, 1, 22, tzinfo=VN),
                             dt.datetime(2026, 3, 2, 1, tzinfo=VN), bucket="hour")
    assert list(hours.values()) == [0, 1, 0]
    empty = watchlist_counts(loaded, "Sạt lở", dt.datetime(2026, 4, 1, tzinfo=VN), dt.datetime(2026, 4, 3, tzinfo=VN))
    assert list(empty.values()) == [0, 0]
    assert watchlist_counts(loaded, "Sạt lở", dt.datetime(2026, 4, 3, tzinfo=VN), dt.datetime(2026, 4, 1, tzinfo=VN)) == {}
    with pytest.raises(QueryError):
        watchlist_counts(loaded, "Sạt lở", dt.datetime(2026, 4, 1, tzinfo=VN), dt.datetime(2026, 4, 3, tzinfo=VN), bucket="week")
    with pytest.raises(NotFoundError):
        watchlist_counts(loaded, "Không có", dt.datetime(2026, 4, 1, tzinfo=VN), dt.datetime(2026, 4, 3, tzinfo=VN))


def test_bucket_starts_are_vietnamese_days():
    starts = bucket_starts(dt.datetime(2026, 3, 1, 20, tzinfo=dt.UTC), dt.datetime(2026, 3, 3, tzinfo=dt.UTC))
    # 20:00 UTC on 1 March is 03:00 on 2 March in Vietnam.
    assert [s.strftime("%d/%m %H:%M") for s in starts] == ["02/03 00:00", "03/03 00:00"]


def test_cli_watch_lists_places_trends(tmp_path, capsys):
    from kiemchung.cli import main

    path = tmp_path / "cli.db"
    from kiemchung.store import Database

    database = Database(path)
    Ingestor(database).add([
        doc(1, "Sạt lở ở Quảng Nam", dt.datetime(2026, 3, 2, 9, 0, tzinfo=VN)),
        doc(2, "Sat lo o Da Nang", dt.datetime(2026, 3, 3, 9, 0, tzinfo=VN)),
    ])
    database.close()

    def run(*args):
        try:
            main(["--db", str(path), *args])
        except SystemExit as exc:
            return exc.code, capsys.readouterr()
        return 0, capsys.readouterr()

    assert run("watch-lists", "add", "Sạt lở", "sạt lở")[0] in (0, None)
    code, out = run("watch-lists", "counts", "Sạt lở", "--since", "2026-03-01", "--until", "2026-03-04")
    assert code in (0, None) and "Tổng (total): 2" in out.out
    assert "Sạt lở" in run("watch-lists", "list")[1].out
    assert run("entities", "run", "--no-ner")[0] in (0, None)
    code, out = run("places", "--province", "Quảng Nam")
    assert "Đà Nẵng" in out.out and "#1" in out.out and "#2" in out.out
    code, out = run("places", "--province", "Lam Giang")
    assert code not in (0, None) and "Lam Giang" in out.err
    code, out = run("trends", "--since", "2026-03-01", "--until", "2026-03-04")
    assert code in (0, None) and "02/03/2026" in out.out
    assert run("watch-lists", "remove", "Sạt lở")[0] in (0, None)
    assert run("watch-lists", "remove", "Sạt lở")[0] not in (0, None)
