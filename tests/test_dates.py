"""Days typed by users: Vietnamese dd/mm/yyyy (and d/m/yyyy) and ISO YYYY-MM-DD, everywhere a day is taken.

One parser (:func:`kiemchung.timeutil.parse_day`) behind the CLI options, the API parameters, the web
forms and the report periods; an unreadable day is an error that names both forms. Also: report file
names carry the last day included.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from factories import make_doc, run_cli_in_process
from fastapi.testclient import TestClient

from kiemchung import timeutil
from kiemchung import users as U
from kiemchung.errors import ConfigError
from kiemchung.ingest import Ingestor
from kiemchung.reports import parse_period
from kiemchung.reports.schedule import file_stem, write_report

VN = timeutil.VN_TZ


@pytest.mark.parametrize(
    ("typed", "day"),
    [("30/11/2026", dt.date(2026, 11, 30)), ("1/9/2026", dt.date(2026, 9, 1)), ("01/09/2026", dt.date(2026, 9, 1)),
     ("2026-11-30", dt.date(2026, 11, 30)), (" 5/3/2026 ", dt.date(2026, 3, 5))],
)
def test_both_forms_are_read(typed, day):
    assert timeutil.parse_day(typed) == day
    assert timeutil.day_start(typed) == dt.datetime.combine(day, dt.time(), VN)
    assert timeutil.day_start(typed, end=True) == dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), VN)


@pytest.mark.parametrize("typed", ["31/02/2026", "2026/11/30", "11-30-2026", "30.11.2026", "hôm qua", "2026-13-01"])
def test_anything_else_names_both_forms(typed):
    with pytest.raises(ConfigError) as err:
        timeutil.parse_day(typed, "--since")
    message = str(err.value)
    assert "dd/mm/yyyy" in message and "YYYY-MM-DD" in message and "--since" in message and typed in message


# -- the command line ------------------------------------------------------------------------------


@pytest.fixture
def dated_db(tmp_path):
    from kiemchung.store import Database

    path = tmp_path / "kc.db"
    db = Database(path)
    Ingestor(db).add([
        make_doc("Nước máy đục ở phường Đông", "Người dân phản ánh nước máy đục.", url="https://vidu.vn/1", day=2),
        make_doc("Nước máy trong trở lại", "Nước máy đã trong sau khi súc rửa đường ống.", url="https://vidu.vn/2", day=20),
    ])
    U.add_user(db, "xem", "matkhau-manh-123", "viewer")
    yield path, db
    db.close()


@pytest.mark.parametrize("since", ["10/03/2026", "10/3/2026", "2026-03-10"])
def test_cli_search_since_in_either_form(dated_db, capsys, since):
    path, _ = dated_db
    capsys.readouterr()
    assert run_cli_in_process(path, "search", "nuoc may", "--since", since, "--json") == 0
    rows = [json.loads(x) for x in capsys.readouterr().out.splitlines() if x.strip()]
    assert [r["title"] for r in rows] == ["Nước máy trong trở lại"]


@pytest.mark.parametrize(
    "args",
    [["search", "x", "--since", "31/02/2026"], ["stories", "--until", "2026/03/01"], ["trends", "--since", "mai"],
     ["export", "--since", "3-10-2026"], ["places", "--until", "32/1/2026"],
     ["report", "--from", "1/9/2026", "--to", "31/11/2026"]],
)
def test_cli_bad_day_is_one_line_naming_both_forms(dated_db, capsys, args):
    path, _ = dated_db
    capsys.readouterr()
    assert run_cli_in_process(path, *args) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "dd/mm/yyyy" in err[0] and "YYYY-MM-DD" in err[0], err


def test_cli_stories_and_trends_take_vietnamese_days(dated_db, capsys):
    path, _ = dated_db
    assert run_cli_in_process(path, "stories", "--since", "01/03/2026", "--until", "31/03/2026") == 0
    assert run_cli_in_process(path, "trends", "--since", "1/3/2026", "--until", "2026-03-31") == 0


# -- the API and the web page -----------------------------------------------------------------------


@pytest.fixture
def web(dated_db):
    from kiemchung.web import create_app

    _, db = dated_db
    client = TestClient(create_app(db))
    r = client.post("/login", data={"username": "xem", "password": "matkhau-manh-123", "next": "/"},
                    follow_redirects=False)
    assert r.status_code == 303
    return client


@pytest.mark.parametrize("since", ["10/03/2026", "2026-03-10"])
def test_api_takes_either_form(web, since):
    titles = [h["document"]["title"] for h in web.get("/api/v1/search", params={"q": "nuoc may", "since": since}).json()["hits"]]
    assert titles == ["Nước máy trong trở lại"]
    docs = web.get("/api/v1/documents", params={"until": "10/03/2026"}).json()
    assert [d["title"] for d in docs] == ["Nước máy đục ở phường Đông"]  # until is inclusive
    stories = web.get("/api/v1/stories", params={"since": "01/03/2026", "until": "31/3/2026"})
    assert stories.status_code == 200


@pytest.mark.parametrize(("url", "params"), [("/api/v1/search", {"q": "nuoc"}), ("/api/v1/documents", {}),
                                             ("/api/v1/stories", {})])
def test_api_bad_day_is_a_400_naming_both_forms(web, url, params):
    r = web.get(url, params={**params, "since": "31/02/2026"})
    assert r.status_code == 400
    detail = r.json()["detail"]
    assert "dd/mm/yyyy" in detail and "YYYY-MM-DD" in detail


def test_search_page_takes_a_vietnamese_day_and_shows_it_in_the_date_input(web):
    page = web.get("/search", params={"q": "nuoc may", "since": "10/3/2026"})
    assert page.status_code == 200
    assert "Nước máy trong trở lại" in page.text and "Nước máy đục ở phường Đông" not in page.text
    assert 'name="since" value="2026-03-10"' in page.text


# -- report periods and file names ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("period", "start", "end", "stem"),
    [
        (None, "2026-09-01", "2026-11-30", "bao-cao-2026-09-01_2026-11-30"),
        (None, "01/09/2026", "30/11/2026", "bao-cao-2026-09-01_2026-11-30"),
        (None, "5/3/2026", "5/3/2026", "bao-cao-2026-03-05_2026-03-05"),
        ("2026-11", None, None, "bao-cao-2026-11-01_2026-11-30"),
        ("2026-02", None, None, "bao-cao-2026-02-01_2026-02-28"),
        ("2026-12", None, None, "bao-cao-2026-12-01_2026-12-31"),
        ("2026-Q4", None, None, "bao-cao-2026-10-01_2026-12-31"),
        ("2026-Q1", None, None, "bao-cao-2026-01-01_2026-03-31"),
        ("2026-W10", None, None, "bao-cao-2026-03-02_2026-03-08"),
        ("2026-W53", None, None, "bao-cao-2026-12-28_2027-01-03"),
    ],
)
def test_report_file_names_show_the_last_day_included(period, start, end, stem):
    assert file_stem(parse_period(period, start=start, end=end)) == stem


def test_report_to_30_november_writes_files_named_30_november(dated_db, tmp_path, capsys):
    path, db = dated_db
    out = tmp_path / "bao-cao"
    assert run_cli_in_process(path, "report", "--from", "01/09/2026", "--to", "30/11/2026", "--format", "md",
                              "--out", str(out)) == 0
    assert sorted(p.name for p in out.iterdir()) == ["bao-cao-2026-09-01_2026-11-30.md"]
    # The web list reads the name back as the same period.
    from kiemchung.web.report_views import list_reports

    db.set_setting("report_dir", str(out))
    write_report(db, parse_period("2026-03"), out, ("md",))
    listed = {r["name"]: (r["start"], r["last"], r["end"]) for r in list_reports(db)}
    assert listed == {
        "bao-cao-2026-09-01_2026-11-30": ("2026-09-01", "2026-11-30", "2026-12-01"),
        "bao-cao-2026-03-01_2026-03-31": ("2026-03-01", "2026-03-31", "2026-04-01"),
    }
