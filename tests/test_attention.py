"""Attention as a share: counts per day/week over everything collected from the same sources, on both backends;
the CLI, the page (chart + CSV) and the API."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from kiemchung import users as U
from kiemchung.errors import QueryError
from kiemchung.ingest import Ingestor
from kiemchung.models import Document, Source
from kiemchung.stories.attention import attention, attention_csv, bucket_grid
from kiemchung.stories.watchlists import add_watchlist

pytestmark = pytest.mark.pg_fulltext

VN = dt.timezone(dt.timedelta(hours=7))
START = dt.datetime(2026, 3, 2, tzinfo=VN)  # a Monday


def _doc(i: int, title: str, when: dt.datetime, source_id: int) -> Document:
    return Document(url=f"https://tin{source_id}.example.vn/{i}.html", title=f"{title} số {i}",
                    lead=f"Tin thứ {i} về {title.lower()}, mã {i * 7919}.", published_at=when, source_id=source_id)


@pytest.fixture
def loaded(any_db):
    """Two sources over 10 days: source A has 4 documents a day (1 about floods, 3 others), source B
    8 a day from day 5 on (2 about floods); a second topic, 'giá điện', once a day in A."""
    db = any_db
    a = db.add_source(Source(kind="feed", url="https://a.example.vn/rss", name="A"))
    b = db.add_source(Source(kind="feed", url="https://b.example.vn/rss", name="B"))
    docs, i = [], 0
    for day in range(10):
        base = START + dt.timedelta(days=day, hours=8)
        for k, title in enumerate(["Sạt lở đất ở vùng núi", "Giá điện tăng", "Kẹt xe giờ cao điểm", "Học phí mới"]):
            i += 1
            docs.append(_doc(i, title, base + dt.timedelta(minutes=k), a.id))
        if day >= 5:
            for k in range(8):
                i += 1
                docs.append(_doc(i, "Sạt lở đất ở vùng núi" if k < 2 else f"Thời tiết vùng {k}", base + dt.timedelta(minutes=30 + k), b.id))
    Ingestor(db).add(docs)
    return db, a.id, b.id


def test_share_per_day_and_source_filter(loaded):
    db, a, b = loaded
    res = attention(db, ["sạt lở", "giá điện"], START, START + dt.timedelta(days=10))
    assert len(res.buckets) == 10 and res.buckets[0] == START
    assert res.totals == [4] * 5 + [12] * 5
    flood, power = res.series
    assert flood.counts == [1] * 5 + [3] * 5
    assert flood.shares[0] == pytest.approx(0.25) and flood.shares[9] == pytest.approx(0.25)
    # The raw count tripled when source B arrived; the share of 'giá điện' fell, as it should.
    assert power.counts == [1] * 10 and power.shares[9] == pytest.approx(1 / 12)
    assert res.overall_share(flood) == pytest.approx(20 / 80)
    only_a = attention(db, ["sat lo"], START, START + dt.timedelta(days=10), source_ids=[a])
    assert only_a.totals == [4] * 10 and only_a.series[0].shares == [pytest.approx(0.25)] * 10
    # Diacritic-insensitive, as watchlists are: "sat lo" and "sạt lở" count the same documents.
    assert only_a.series[0].counts == [1] * 10


def test_weeks_start_on_monday_and_empty_periods(loaded):
    db, _, _ = loaded
    since = START - dt.timedelta(days=3)  # a Friday: its week starts on the Monday before
    res = attention(db, ["sạt lở"], since, START + dt.timedelta(days=10), by="week")
    assert [b.weekday() for b in res.buckets] == [0, 0, 0]
    assert res.buckets[1] == START
    assert res.totals == [0, 4 * 5 + 12 * 2, 12 * 3]
    assert res.series[0].shares[0] is None  # nothing collected: no share, not 0
    assert res.series[0].counts == [0, 5 + 3 * 2, 3 * 3]
    assert bucket_grid(START, START + dt.timedelta(days=1), "day") == [START]


def test_csv_and_bad_input(loaded):
    db, _, _ = loaded
    add_watchlist(db, "Lũ", "sạt lở")
    from kiemchung.stories.attention import watchlist_queries

    qs, labels = watchlist_queries(db, ["Lũ"])
    res = attention(db, qs, START, START + dt.timedelta(days=2), labels=labels)
    rows = list(csv.reader(io.StringIO(attention_csv(res))))
    assert rows[0] == ["period_start", "collected", "Lũ count", "Lũ share"]
    assert rows[1] == ["2026-03-02", "4", "1", "0.250000"]
    with pytest.raises(QueryError, match="Tối đa 5"):
        attention(db, ["a", "b", "c", "d", "e", "f"], START, START + dt.timedelta(days=1))
    with pytest.raises(QueryError, match="trống"):
        attention(db, ["()"], START, START + dt.timedelta(days=1))
    with pytest.raises(QueryError):
        attention(db, ["x"], START, START - dt.timedelta(days=1))
    with pytest.raises(QueryError, match="day"):
        attention(db, ["x"], START, START + dt.timedelta(days=1), by="month")


def test_cli(loaded, any_db_target, monkeypatch):
    from kiemchung.cli import app, load_commands

    load_commands()
    monkeypatch.setenv("COLUMNS", "200")
    runner = CliRunner()
    base = ["--db", str(any_db_target), "attention", "sạt lở", "giá điện", "--since", "2026-03-02", "--until", "2026-03-12"]
    r = runner.invoke(app, [*base, "--csv"])
    assert r.exit_code == 0, r.output
    rows = list(csv.reader(io.StringIO(r.stdout)))
    assert len(rows) == 11 and rows[10][:4] == ["2026-03-11", "12", "3", "0.250000"]
    r = runner.invoke(app, [*base, "--by", "week"])
    assert r.exit_code == 0, r.output
    assert "02/03/2026" in r.output and "25.00%" in r.output


@pytest.fixture
def client(loaded):
    from kiemchung.web.app import create_app

    db, _, _ = loaded
    U.add_user(db, "xem", "matkhau-manh-123", "viewer")
    add_watchlist(db, "Giá điện", "giá điện")
    c = TestClient(create_app(db))
    r = c.post("/login", data={"username": "xem", "password": "matkhau-manh-123"}, follow_redirects=False)
    assert r.status_code == 303
    return c


def test_page_chart_csv_and_api(client):
    q = "q=s%E1%BA%A1t+l%E1%BB%9F&watchlist=Gi%C3%A1+%C4%91i%E1%BB%87n&since=2026-03-02&until=2026-03-11"
    r = client.get(f"/attention?{q}")
    assert r.status_code == 200
    assert r.text.count("<polyline") == 2 and "<script>" not in r.text
    assert 'id="attention-csv"' in r.text and "25.00%" in r.text
    r = client.get(f"/attention.csv?{q}")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.text.splitlines()[0] == "period_start,collected,sạt lở count,sạt lở share,Giá điện count,Giá điện share"
    r = client.get(f"/api/v1/attention?{q}")
    body = r.json()
    assert r.status_code == 200 and body["collected"] == [4] * 5 + [12] * 5
    assert [s["label"] for s in body["series"]] == ["sạt lở", "Giá điện"]
    assert body["series"][0]["overall_share"] == pytest.approx(0.25)
    assert client.get(f"/api/v1/attention?{q}&format=csv").text.startswith("period_start,")
    too_many = "&".join(f"q=t{i}" for i in range(6))
    r = client.get(f"/api/v1/attention?{too_many}")
    assert r.status_code == 400 and "Tối đa 5" in r.json()["detail"]
    assert client.get("/attention?q=x&since=2020-01-01&until=2026-01-01").status_code == 400
    assert "/api/v1/attention" in client.get("/api/v1/openapi.json").json()["paths"]


def test_collection_filter(loaded):
    from kiemchung.sources.directory import add_to_collection, create_collection
    from kiemchung.stories.attention import source_filter

    db, a, b = loaded
    create_collection(db, "Báo B")
    add_to_collection(db, "Báo B", [b])
    create_collection(db, "Trống")
    assert source_filter(db, (), "Báo B") == [b] and source_filter(db, [a], "Báo B") == []
    assert source_filter(db, [a], None) == [a] and source_filter(db, (), "") is None
    res = attention(db, ["sạt lở"], START, START + dt.timedelta(days=10), source_ids=source_filter(db, (), "Báo B"))
    assert res.totals == [0] * 5 + [8] * 5 and res.series[0].shares[9] == pytest.approx(0.25)
    empty = attention(db, ["sạt lở"], START, START + dt.timedelta(days=10), source_ids=source_filter(db, (), "Trống"))
    assert empty.totals == [0] * 10 and empty.series[0].counts == [0] * 10


def test_page_and_api_collection(client, loaded):
    from kiemchung.sources.directory import add_to_collection, create_collection

    db, _, b = loaded
    c = create_collection(db, "Báo B")
    add_to_collection(db, c.id, [b])
    q = "q=s%E1%BA%A1t+l%E1%BB%9F&since=2026-03-02&until=2026-03-11"
    assert client.get(f"/api/v1/attention?{q}&collection={c.id}").json()["collected"] == [0] * 5 + [8] * 5
    r = client.get(f"/attention?{q}&collection=B%C3%A1o+B")
    assert r.status_code == 200 and "selected>Báo B</option>" in r.text
    assert client.get(f"/api/v1/attention?{q}&collection=khong-co").status_code == 404


def test_bad_source_id_is_a_clear_400(client):
    r = client.get("/api/v1/attention?q=x&source=0")
    assert r.status_code == 400 and "nguồn" in r.json()["detail"]
