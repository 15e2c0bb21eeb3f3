"""CSV exports are safe to open in a spreadsheet: cells that start like a formula are neutralised."""

from __future__ import annotations

import csv
import io

from factories import make_doc, run_cli_in_process, target_of
from fastapi.testclient import TestClient

from kiemchung import users as U
from kiemchung.export import csv_cell, write_csv
from kiemchung.ingest import Ingestor
from kiemchung.web import create_app
import pytest

# Every test here that takes ``db`` runs on SQLite and on PostgreSQL (tests/conftest.py: any_db).
pytestmark = pytest.mark.pg_fulltext


@pytest.fixture
def db(any_db):
    return any_db


FORMULA = '=HYPERLINK("http://x","y")'
PW = "matkhau-manh-123"


def test_csv_cell_prefixes_formula_starts_only():
    for bad in (FORMULA, "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"):
        assert csv_cell(bad) == "'" + bad
    for fine in ("Tin thường", "2026-03-01", "", "a=b", 42, None, -3):
        assert csv_cell(fine) == fine


def test_write_csv_writes_header_and_safe_cells():
    buf = io.StringIO()
    assert write_csv(buf, [{"id": 1, "title": FORMULA}]) == 1
    rows = list(csv.DictReader(io.StringIO(buf.getvalue())))
    assert rows == [{"id": "1", "title": "'" + FORMULA}]
    empty = io.StringIO()
    assert write_csv(empty, [], fieldnames=["id"]) == 0 and empty.getvalue().strip() == "id"


def _formula_db(db):
    Ingestor(db).add([make_doc(FORMULA, "Tin nước sạch ở Lam Sơn", url="https://x.vn/a.html", day=3),
                      make_doc("-mở đầu bằng dấu trừ", "@nhắc tên và nước sạch", url="https://x.vn/b.html", day=4)])


def test_cli_export_csv_neutralises_formulas(db, tmp_path, capsys):
    _formula_db(db)
    out = tmp_path / "out.csv"
    assert run_cli_in_process(target_of(db), "export", "--format", "csv", "-o", str(out)) == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    titles = {r["title"] for r in rows}
    assert "'" + FORMULA in titles and "'-mở đầu bằng dấu trừ" in titles
    assert FORMULA not in titles
    assert all(not v.startswith(("=", "+", "-", "@")) for r in rows for v in r.values())


def test_web_search_export_csv_neutralises_formulas(db):
    _formula_db(db)
    U.add_user(db, "xem", PW, "viewer")
    c = TestClient(create_app(db))
    c.post("/login", data={"username": "xem", "password": PW, "next": "/"})
    text = c.get("/search/export", params={"q": "nuoc sach", "format": "csv"}).text
    rows = list(csv.DictReader(io.StringIO(text)))
    titles = {r["title"] for r in rows}
    assert "'" + FORMULA in titles and FORMULA not in titles
    assert all(not v.startswith(("=", "+", "-", "@")) for r in rows for v in r.values())
