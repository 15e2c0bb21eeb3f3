"""The source directory: profiles, collections, CSV import/export, the starter directory (issue 16 §2)."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from kiemchung import audit
from kiemchung.errors import ImportFileError, NotFoundError, QueryError
from kiemchung.models import Source
from kiemchung.sources import directory as D


def _feed(db, n: int, name: str = "") -> Source:
    return db.add_source(Source(kind="feed", url=f"https://bao{n}.example/rss", name=name or f"Báo {n}"))


def test_collection_resolves_to_its_source_ids(any_db):
    a, b, c = (_feed(any_db, i) for i in range(3))
    col = D.create_collection(any_db, "  báo địa phương   Nghệ An ", actor="cli:test")
    assert col.name == "báo địa phương Nghệ An" and col.source_ids == []
    D.add_to_collection(any_db, col.name, [c.id, a.id], actor="cli:test")
    assert D.collection_source_ids(any_db, "báo địa phương Nghệ An") == [a.id, c.id]
    assert D.collection_source_ids(any_db, col.id) == [a.id, c.id]
    assert D.collection_source_ids(any_db, str(col.id)) == [a.id, c.id]
    assert D.resolve_source_filter(any_db, collection=col.name) == [a.id, c.id]
    assert D.resolve_source_filter(any_db, source=b.id, collection=col.name) == []
    assert D.resolve_source_filter(any_db, source=a.id, collection=col.name) == [a.id]
    assert D.resolve_source_filter(any_db, source=b.id) == [b.id]
    assert D.resolve_source_filter(any_db) is None
    with pytest.raises(NotFoundError):
        D.collection_source_ids(any_db, "không có")
    with pytest.raises(NotFoundError):
        D.add_to_collection(any_db, col.id, [99999])
    D.remove_from_collection(any_db, col.id, [a.id], actor="cli:test")
    assert D.collection_source_ids(any_db, col.id) == [c.id]
    any_db.remove_source(c.id)  # membership goes with the source
    assert D.collection_source_ids(any_db, col.id) == []
    D.delete_collection(any_db, col.id, actor="cli:test")
    assert D.list_collections(any_db) == []
    with any_db.read() as conn:
        actions = [r.action for r in conn.execute(select(audit.audit_log).order_by(audit.audit_log.c.id))]
    assert actions == ["collection.create", "collection.sources", "collection.sources", "collection.delete"]


def test_profile_checks_and_audits(any_db):
    s = _feed(any_db, 1)
    p = D.set_profile(any_db, s.id, outlet=" Báo  Nghệ An ", outlet_type="LOCAL", province="nghe an", language="vi",
                      actor="cli:test")
    assert (p.outlet, p.outlet_type, p.province_code, p.language) == ("Báo Nghệ An", "local", "nghe-an", "vi")
    assert D.profiles(any_db)[s.id] == p
    # An old province name maps to the new province it became part of.
    assert D.set_profile(any_db, s.id, province="Quảng Nam").province_code == "da-nang"
    for bad in (dict(outlet_type="blog"), dict(province="Atlantis"), dict(language="tiếng Việt")):
        with pytest.raises(QueryError):
            D.set_profile(any_db, s.id, **bad)
    D.set_profile(any_db, s.id, province="Quảng Nam", actor="cli:test")  # nothing changed: not audited again
    with any_db.read() as conn:
        rows = conn.execute(select(audit.audit_log.c.action)).scalars().all()
    assert rows == ["source.profile"]


CSV = """url,kind,name,outlet,type,province,language,collections
https://baonghean-thu.vn/rss/home.rss,feed,Báo Nghệ An,Báo Nghệ An,local,Nghệ An,vi,báo địa phương Nghệ An;báo Đảng
https://baonghean-thu.vn/rss/thoi-su.rss,,Báo Nghệ An - Thời sự,Báo Nghệ An,local,Nghệ An,vi,báo địa phương Nghệ An
ftp://bad.example/rss,feed,Bad,,,,,
https://bad2-thu.vn/rss,feed,Bad type,,blog,,,
https://bad3-thu.vn/rss,feed,Bad province,,local,Atlantis,,
https://tuoitre-thu.vn/rss/tin-moi-nhat.rss,feed,Tuổi Trẻ,Tuổi Trẻ,central,,vi,
,feed,no url,,,,,
"""


def test_import_keeps_good_rows_reports_bad_ones_and_reruns_without_duplicates(any_db):
    first = D.import_directory(any_db, io.StringIO(CSV), actor="cli:test")
    assert (first.added, first.updated, first.unchanged) == (3, 0, 0)
    assert [line for line, _ in first.errors] == [4, 5, 6, 8]
    assert "http(s)" in first.errors[0][1] and "blog" in first.errors[1][1] and "Atlantis" in first.errors[2][1]
    again = D.import_directory(any_db, io.StringIO(CSV), actor="cli:test")
    assert (again.added, again.updated, again.unchanged) == (0, 0, 3)
    assert len(any_db.list_sources()) == 3
    cols = {c.name: c for c in D.list_collections(any_db)}
    assert sorted(cols) == ["báo Đảng", "báo địa phương Nghệ An"]
    assert len(cols["báo địa phương Nghệ An"].source_ids) == 2
    # Export, then import into a fresh store: the same directory.
    out = io.StringIO()
    assert D.export_directory(any_db, out) == 3
    text = out.getvalue()
    assert text.splitlines()[0] == ",".join(D.CSV_COLUMNS)
    assert "nghe-an" in text and "báo Đảng;báo địa phương Nghệ An" in text
    # A changed profile in the file updates the source.
    changed = CSV.replace("Tuổi Trẻ,central,,vi,", "Tuổi Trẻ,central,TPHCM,vi,báo trung ương")
    third = D.import_directory(any_db, io.StringIO(changed))
    assert (third.added, third.updated, third.unchanged) == (0, 1, 2)
    tt = any_db.get_source("https://tuoitre-thu.vn/rss/tin-moi-nhat.rss")
    assert D.profiles(any_db)[tt.id].province_code == "ho-chi-minh"


def test_import_file_errors_are_clear(db, tmp_path):
    with pytest.raises(ImportFileError, match="url"):
        D.import_directory(db, io.StringIO("name,kind\nx,feed\n"))
    bad = tmp_path / "d.csv"
    bad.write_bytes("url\nhttps://a.example/\xff".encode("latin-1"))
    with pytest.raises(ImportFileError, match="UTF-8"):
        D.import_directory(db, bad)
    with pytest.raises(ImportFileError):
        D.import_directory(db, tmp_path / "missing.csv")


def test_starter_directory_loads_cleanly_and_once(db):
    first = D.load_starter(db)
    assert first.errors == [] and first.added >= 40
    assert D.load_starter(db).added == 0
    cols = {c.name for c in D.list_collections(db)}
    assert "báo địa phương Nghệ An" in cols and "báo trung ương" in cols
    types = {p.outlet_type for p in D.profiles(db).values()}
    assert types == set(D.OUTLET_TYPES) - {"social"}


def _web(db, role: str = "admin"):
    import re

    from fastapi.testclient import TestClient

    from kiemchung import users as U
    from kiemchung.web import create_app

    U.add_user(db, "nguoi", "matkhau-manh-123", role)
    c = TestClient(create_app(db))
    c.post("/login", data={"username": "nguoi", "password": "matkhau-manh-123", "next": "/"})
    token = re.search(r'name="csrf" value="([^"]+)"', c.get("/sources/directory").text).group(1)
    return c, token


def test_web_directory_edit_import_and_starter_are_audited(any_db):
    c, csrf = _web(any_db)
    s = _feed(any_db, 1)
    assert c.post("/collections", data={"csrf": csrf, "name": "báo địa phương Nghệ An"}, follow_redirects=False).status_code == 303
    col = D.get_collection(any_db, "báo địa phương Nghệ An")
    r = c.post(f"/sources/{s.id}/profile", data={"csrf": csrf, "outlet": "Báo Nghệ An", "outlet_type": "local",
                                                 "province": "nghe-an", "language": "vi", "collections": [str(col.id)]},
               follow_redirects=False)
    assert r.status_code == 303
    assert D.profiles(any_db)[s.id].outlet_type == "local" and D.collection_source_ids(any_db, col.id) == [s.id]
    bad = c.post(f"/sources/{s.id}/profile", data={"csrf": csrf, "outlet_type": "blog"})
    assert bad.status_code == 400 and "blog" in bad.text
    page = c.get("/sources/directory?lang=en").text
    assert "Source directory" in page and "Báo Nghệ An" in page
    c.get("/sources/directory?lang=vi")
    # upload: bad rows reported by line, good rows kept
    up = c.post("/sources/directory/import", data={"csrf": csrf},
                files={"file": ("d.csv", CSV.encode(), "text/csv")})
    assert up.status_code == 200 and "Dòng 4" in up.text and "3 nguồn" in up.text
    starter = c.post("/sources/directory/starter", data={"csrf": csrf})
    assert starter.status_code == 200 and "lỗi" in starter.text
    assert c.post("/sources/directory/starter", data={"csrf": csrf}).text.count("Đã thêm 0 nguồn") == 1
    csv_text = c.get("/sources/directory.csv").text
    assert csv_text.startswith("url,kind,name") and "vnexpress.net" in csv_text
    with any_db.read() as conn:
        actions = set(conn.execute(select(audit.audit_log.c.action)).scalars())
    assert {"collection.create", "collection.sources", "source.profile", "source.add"} <= actions


def test_viewer_sees_the_directory_but_cannot_change_it(db):
    c, csrf = _web(db, "viewer")
    s = _feed(db, 1)
    D.set_profile(db, s.id, outlet_type="tv")
    page = c.get("/sources/directory").text
    assert "truyền hình" in page and 'action="/sources/' not in page
    assert c.post(f"/sources/{s.id}/profile", data={"csrf": csrf, "outlet_type": "local"}).status_code == 403
    assert c.post("/sources/directory/starter", data={"csrf": csrf}).status_code == 403


def test_stories_filtered_by_collection(db):
    from factories import make_doc

    from kiemchung.ingest import Ingestor
    from kiemchung.pipeline import Pipeline
    from kiemchung.stories.service import list_stories
    from kiemchung.web.stories_views import stories_in_period

    a, b, c = (_feed(db, i) for i in range(3))
    docs = []
    for i in range(3):  # a story told by a and b, another only by c
        docs.append(make_doc("Vỡ đê sông Lam ở xã Nam Đàn, hàng trăm hộ dân phải sơ tán khẩn cấp",
                             f"Nước sông Lam dâng cao làm vỡ đê bao, người dân Nam Đàn sơ tán lần {i}",
                             url=f"https://a.vn/{i}", day=5, source_id=(a if i % 2 else b).id))
        docs.append(make_doc("Giá vàng miếng tăng mạnh phiên sáng nay, vượt mốc kỷ lục mới",
                             f"Giá vàng miếng SJC sáng nay tăng mạnh, nhà đầu tư đổ xô đi mua lần {i}",
                             url=f"https://c.vn/{i}", day=5, source_id=c.id))
    Ingestor(db).add(docs)
    Pipeline(db).run()
    everything = list_stories(db, min_docs=2)
    assert len(everything) == 2
    D.create_collection(db, "Nghệ An")
    D.add_to_collection(db, "Nghệ An", [a.id])
    rows, more = stories_in_period(db, collection="Nghệ An")
    assert [r.headline for r in rows] and all("đê" in r.headline for r in rows) and not more
    D.create_collection(db, "trống")
    assert stories_in_period(db, collection="trống") == ([], False)
    assert {r.id for r in list_stories(db, source_ids=[c.id])} == {r.id for r in everything} - {r.id for r in rows}


def test_cli_directory_round_trip(db, tmp_path, capsys):
    from factories import run_cli_in_process, target_of

    f = tmp_path / "danh-ba.csv"
    f.write_text(CSV, encoding="utf-8")
    assert run_cli_in_process(target_of(db), "sources", "import-directory", str(f)) == 1  # bad rows: exit 1
    out = capsys.readouterr()
    assert "Đã thêm 3 nguồn" in out.out and "dòng 4 (line 4)" in out.err and "Atlantis" in out.err
    assert run_cli_in_process(target_of(db), "sources", "import-directory", str(f)) == 1
    assert "Đã thêm 0 nguồn" in capsys.readouterr().out
    dst = tmp_path / "ra.csv"
    assert run_cli_in_process(target_of(db), "sources", "export-directory", "-o", str(dst)) == 0
    assert dst.read_text(encoding="utf-8").count("\n") == 4
    assert run_cli_in_process(target_of(db), "collections", "list") == 0
    assert "báo địa phương Nghệ An" in capsys.readouterr().out
    src = db.get_source("https://tuoitre-thu.vn/rss/tin-moi-nhat.rss")
    assert run_cli_in_process(target_of(db), "sources", "set", str(src.id), "--province", "Hà Nội") == 0
    assert D.profiles(db)[src.id].province_code == "ha-noi" and D.profiles(db)[src.id].outlet == "Tuổi Trẻ"
    assert run_cli_in_process(target_of(db), "collections", "add", "báo Đảng", str(src.id)) == 0
    assert src.id in D.collection_source_ids(db, "báo Đảng")
    assert run_cli_in_process(target_of(db), "collections", "show", "không có") == 1


def test_trends_count_only_a_collections_sources(db):
    import datetime as dt

    from factories import VN, make_doc

    from kiemchung.ingest import Ingestor
    from kiemchung.stories import trends

    a, b = _feed(db, 1), _feed(db, 2)
    docs = [make_doc(f"Mưa đá bất thường lần {i}", "Mưa đá phủ trắng đường làng", url=f"https://a.vn/md{i}", day=10,
                     source_id=a.id) for i in range(8)]
    Ingestor(db).add(docs)
    now = dt.datetime(2026, 3, 10, 20, 0, tzinfo=VN)
    found = trends.rising(db, now, kinds=(), keywords=("mua da",), source_ids=[a.id])
    assert [r.key for r in found] == ["mua da"] and found[0].current == 8
    assert trends.rising(db, now, kinds=(), keywords=("mua da",), source_ids=[b.id]) == []
    assert trends.rising(db, now, kinds=(), keywords=("mua da",), source_ids=[]) == []
    D.create_collection(db, "A")
    D.add_to_collection(db, "A", [a.id])
    from kiemchung.web.trend_views import trends_at

    _, _, rows = trends_at(db, "2026-03-10", "mua da", "A")
    assert any(r.key == "mua da" for r in rows)


def test_import_uses_each_kinds_registration_rules(db):
    rows = "url,kind\nhttps://a-thu.vn/rss,khong-co\nhttps://b-thu.vn/,web\nhttps://c-thu.vn/,import\n"
    report = D.import_directory(db, io.StringIO(rows))
    assert report.added == 1 and [line for line, _ in report.errors] == [2, 4]
    assert "khong-co" in report.errors[0][1] and "feed" in report.errors[0][1]  # names the kinds there are


def test_starter_sources_show_never_fetched_in_health_until_polled(tmp_path):
    """The starter directory's addresses are unchecked: after loading it, ``sources health`` says of each
    that it was never fetched yet, so an admin sees which ones the first polls have not reached."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    db = str(tmp_path / "kc.db")
    env = {**os.environ, "COLUMNS": "400"}
    root = Path(__file__).resolve().parents[1]

    def run(*args):
        return subprocess.run([sys.executable, "-m", "kiemchung.cli", "--db", db, *args], capture_output=True,
                              text=True, timeout=300, cwd=root, env=env)

    loaded = run("sources", "load-starter")
    assert loaded.returncode == 0 and "chưa được kiểm tra" in " ".join(loaded.stdout.split())
    res = run("sources", "health")
    assert res.returncode == 0, res.stderr
    rows = [line for line in res.stdout.splitlines() if "│" in line and line.split("│")[1].strip().isdigit()]
    assert len(rows) >= 40
    assert all("chưa thu thập lần nào (never fetched)" in line for line in rows)
