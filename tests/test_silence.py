"""Silence detection: a source whose volume falls well below its own baseline is flagged, with the day it went
quiet, in the library, `sources health`, the sources page, the API and the report; on both backends."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from kiemchung import users as U
from kiemchung.ingest import Ingestor
from kiemchung.models import Document, Source
from kiemchung.sources.silence import find_silences, silent_sources

pytestmark = pytest.mark.pg_fulltext

VN = dt.timezone(dt.timedelta(hours=7))
DAY0 = dt.datetime(2026, 1, 1, tzinfo=VN)
QUIET = DAY0 + dt.timedelta(days=33)  # source A stops here


def test_find_silences_rules():
    flat = [10] * 40
    # A stops for the last 2 days; B carries on: A flagged, run of 2, nothing observed.
    got = find_silences({1: [10] * 38 + [0, 0], 2: flat, 3: flat})
    assert set(got) == {1} and got[1][:2] == (2, 0) and got[1][2] == pytest.approx(20)
    # Everything stops (the collector was down): nobody is flagged.
    assert find_silences({1: [10] * 38 + [0, 0], 2: [10] * 38 + [0, 0]}) == {}
    # One day alone is not a silence.
    assert find_silences({1: [10] * 39 + [0], 2: flat, 3: flat}) == {}
    # A halves: not "well below". A sparse source (1 a day) quiet for 2 days: too little to tell.
    assert find_silences({1: [10] * 38 + [5, 5], 2: flat}) == {}
    assert find_silences({1: [1] * 38 + [0, 0], 2: flat}, min_baseline=10) == {}
    # ...but quiet for 10 days it is.
    assert set(find_silences({1: [1] * 30 + [0] * 10, 2: flat}, min_baseline=10)) == {1}
    # Everyone halves on a weekend: nobody flagged (expected scales with the others).
    assert find_silences({1: [10] * 38 + [2, 2], 2: [10] * 38 + [2, 2]}) == {}
    # A single source: its own mean is the expectation.
    assert set(find_silences({1: [10] * 38 + [0, 0]})) == {1}


@pytest.fixture
def loaded(any_db):
    """Three feeds with 6 documents a day each for 35 days; A brings nothing from QUIET on; a file import
    (never checked) too."""
    db = any_db
    ids = [db.add_source(Source(kind="feed", url=f"https://{n}.example.vn/rss", name=f"Báo {n}")).id for n in "ABC"]
    imp = db.add_source(Source(kind="import", url="file:///tmp/x.jsonl", name="tệp"))
    docs, i = [], 0
    for day in range(35):
        for sid in [*ids, imp.id]:
            when = DAY0 + dt.timedelta(days=day, hours=9)
            if sid == ids[0] and when >= QUIET:
                continue
            if sid == imp.id and day > 10:
                continue
            for k in range(6):
                i += 1
                docs.append(Document(url=f"https://x.example.vn/{i}.html", title=f"Tin {i} nguồn {sid}",
                                     lead=f"Nội dung {i * 7919}", published_at=when + dt.timedelta(minutes=k),
                                     source_id=sid))
    Ingestor(db).add(docs)
    return db, ids


def test_silent_sources_flags_the_quiet_one(loaded):
    db, (a, b, c) = loaded
    assert silent_sources(db, QUIET - dt.timedelta(hours=1)) == []
    # One whole quiet day is not enough (a one-day gap happens); the current day is never judged.
    assert silent_sources(db, QUIET + dt.timedelta(days=1, hours=12)) == []
    found = silent_sources(db, QUIET + dt.timedelta(days=2))
    assert [s.source_id for s in found] == [a]
    s = found[0]
    assert s.quiet_since == QUIET.date() and s.days == 2 and s.observed == 0 and s.name == "Báo A"
    assert s.last_seen == QUIET - dt.timedelta(days=1) + dt.timedelta(hours=9, minutes=5)


def test_cli_page_api_report(loaded, any_db_target, tmp_path, monkeypatch):
    db, (a, _, _) = loaded
    from kiemchung.store import settings

    settings.set_value(db, "reference_time", (QUIET + dt.timedelta(days=2, hours=12)).isoformat())
    from kiemchung.cli import app, load_commands

    load_commands()
    monkeypatch.setenv("COLUMNS", "200")
    r = CliRunner().invoke(app, ["--db", str(any_db_target), "sources", "health"])
    assert r.exit_code == 0, r.output
    assert f"#{a} Báo A: im lặng từ (quiet since) {QUIET:%d/%m/%Y}" in r.output

    from kiemchung.web.app import create_app

    U.add_user(db, "xem", "matkhau-manh-123", "viewer")
    client = TestClient(create_app(db))
    assert client.post("/login", data={"username": "xem", "password": "matkhau-manh-123"},
                       follow_redirects=False).status_code == 303
    page = client.get("/sources").text
    assert page.count('class="bad quiet"') == 1 and f"{QUIET:%d/%m/%Y}" in page
    body = client.get("/api/v1/silent-sources").json()
    assert [(x["source_id"], x["quiet_since"]) for x in body] == [(a, QUIET.date().isoformat())]

    from kiemchung.reports.build import build_report
    from kiemchung.reports.period import Period
    from kiemchung.reports.render import render_markdown

    period = Period(QUIET - dt.timedelta(days=6), QUIET + dt.timedelta(days=2), "8 ngày", "range")
    md = render_markdown(build_report(db, period))
    assert f"im lặng bất thường từ {QUIET:%d/%m/%Y}" in md
