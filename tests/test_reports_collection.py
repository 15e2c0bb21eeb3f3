"""A report limited to one source collection (issue 16): every per-source section counts only the
collection's documents, the title and a scope line name the collection, and the CLI, the web form and
the API take it. A real store (SQLite file and PostgreSQL) with two collections."""

from __future__ import annotations

import datetime as dt
import os
import re

import pytest
from factories import run_cli_in_process, target_of
from fastapi.testclient import TestClient
from sqlalchemy import select

from kiemchung import users as U
from kiemchung.errors import NotFoundError
from kiemchung.ingest import Ingestor
from kiemchung.models import Document, Source
from kiemchung.pipeline import Pipeline
from kiemchung.reports import build_report, parse_period, render_html, render_markdown
from kiemchung.reports.schedule import write_report
from kiemchung.sources.directory import add_to_collection, create_collection
from kiemchung.store import schema as t
from kiemchung.stories import tables as st
from kiemchung.stories.watchlists import add_watchlist

VN = dt.timezone(dt.timedelta(hours=7))
PINNED = dt.datetime(2026, 4, 1, 8, 0, tzinfo=dt.UTC)
PW = "matkhau-manh-123"


OFFICIAL = {"Nghệ An": "UBND tỉnh Nghệ An ban hành công điện ứng phó mưa lũ",
            "Hà Tĩnh": "Sở Nông nghiệp Hà Tĩnh cảnh báo nguy cơ cháy rừng cấp V"}
LEAD = {"Nghệ An": "Các huyện ven sông Lam sơ tán dân khỏi vùng ngập sâu.",
        "Hà Tĩnh": "Kiểm lâm tăng cường tuần tra, cấm đốt thực bì trong mùa khô."}


def _docs(source_id: int, place: str, n_days: int, per_day: int) -> list[Document]:
    """Articles about a flood (Nghệ An) or a forest fire (Hà Tĩnh), a check-worthy post a day and one
    official statement: nothing that groups one source's documents with the other's."""
    out = []
    for day in range(n_days):
        for k in range(per_day):
            n = day * 10 + k
            title, lead = (
                (f"Lũ lụt ở Nghệ An: nước sông Lam dâng cao, bản tin {n}", f"Mưa lớn làm ngập nhiều xã ven sông, tin {n}.")
                if place == "Nghệ An" else
                (f"Cháy rừng Hà Tĩnh: lửa lan trên sườn núi Hồng Lĩnh, tin {n}", f"Hàng trăm người dập lửa suốt đêm, tin {n}."))
            out.append(Document(
                url=f"https://nguon{source_id}.example.vn/{day}-{k}.html", source_id=source_id, kind="article",
                title=title, lead=lead, published_at=dt.datetime(2026, 3, 2 + day, 8 + k, 0, tzinfo=VN)))
        body = (f"Chia sẻ gấp: từ ngày 5/3 mỗi người dân Nghệ An sẽ bị phạt {day + 5} triệu đồng nếu không khai báo."
                if place == "Nghệ An" else
                f"Tin nóng: người dân Hà Tĩnh đốt thực bìm bị tù {day + 2} năm, Bộ Công an xác nhận 100% vụ cháy.")
        out.append(Document(url=f"https://nguon{source_id}.example.vn/bai-dang-{day}", source_id=source_id,
                            kind="post", body=body, published_at=dt.datetime(2026, 3, 2 + day, 20, 0, tzinfo=VN)))
    out.append(Document(
        url=f"https://nguon{source_id}.example.vn/thong-bao", source_id=source_id, kind="official",
        title=OFFICIAL[place], lead=LEAD[place],
        published_at=dt.datetime(2026, 3, 3, 7, 0, tzinfo=VN)))
    return out


@pytest.fixture
def two_collections(any_db):
    db = any_db
    a = db.add_source(Source(kind="feed", url="https://nguon-a.example.vn/rss", name="Báo Nghệ An"))
    b = db.add_source(Source(kind="feed", url="https://nguon-b.example.vn/rss", name="Báo Hà Tĩnh"))
    Ingestor(db).add(_docs(a.id, "Nghệ An", 5, 3) + _docs(b.id, "Hà Tĩnh", 4, 2))
    Pipeline(db).run()
    ca = create_collection(db, "báo địa phương Nghệ An")
    add_to_collection(db, ca.id, [a.id])
    cb = create_collection(db, "báo địa phương Hà Tĩnh")
    add_to_collection(db, cb.id, [b.id])
    add_watchlist(db, "Người dân", "người dân")
    return db, a.id, b.id, ca, cb


def _source_of(db) -> dict[int, int]:
    with db.read() as conn:
        return dict(conn.execute(select(t.documents.c.id, t.documents.c.source_id)).all())


def _story_sources(db, story_id: int) -> set[int]:
    d, sd = t.documents, st.story_documents
    with db.read() as conn:
        return set(conn.execute(select(d.c.source_id).select_from(sd.join(d, d.c.id == sd.c.doc_id))
                                .where(sd.c.story_id == story_id)).scalars())


def test_every_section_counts_only_the_collections_documents(two_collections):
    db, a, b, ca, cb = two_collections
    period = parse_period("2026-03")
    whole = build_report(db, period, generated_at=PINNED)
    ra = build_report(db, period, generated_at=PINNED, collection="báo địa phương Nghệ An")
    rb = build_report(db, period, generated_at=PINNED, collection=cb.id)
    source_of = _source_of(db)
    n_a, n_b = 5 * 3 + 5 + 1, 4 * 2 + 4 + 1  # articles, posts, the official statement
    assert whole.headline["documents"] == n_a + n_b and whole.collection is None
    for r, sid, n, col in ((ra, a, n_a, ca), (rb, b, n_b, cb)):
        assert r.collection.name == col.name and r.collection.source_ids == (sid,)
        assert r.headline["documents"] == n and r.headline["sources"] == 1 and r.headline["official"] == 1
        assert set(r.by_kind) == {"article", "post", "official"} and sum(r.by_kind.values()) == n
        assert sum(v for _, v in r.volume) == n
        assert [s["name"] for s in r.sources] == [("Báo Nghệ An" if sid == a else "Báo Hà Tĩnh")]
        assert r.top_stories and all(_story_sources(db, s["id"]) & {sid} for s in r.top_stories)
        assert all(sid in _story_sources(db, s["story_id"]) for s in r.story_reach)
        assert r.claims and all(source_of[c["doc_id"]] == sid for c in r.claims)
        assert [s["title"] for s in r.statements] == [OFFICIAL["Nghệ An" if sid == a else "Hà Tĩnh"]]
        (w,) = r.watchlists
        (att,) = r.attention
        assert w["count"] == att["count"] == r.by_kind["post"]
        assert att["share"] == pytest.approx(w["count"] / n)
    assert ra.by_kind["post"] == 5 and rb.by_kind["post"] == 4
    assert ra.watchlists[0]["count"] + rb.watchlists[0]["count"] == whole.watchlists[0]["count"]
    assert ra.headline["claims"] + rb.headline["claims"] == whole.headline["claims"]
    # the title and a scope line say which sources count
    html, md = render_html(ra), render_markdown(ra)
    assert "<h1>Báo cáo thông tin — Tháng 3/2026 — bộ sưu tập nguồn «báo địa phương Nghệ An»" in html
    assert "Phạm vi: chỉ 1 nguồn của bộ sưu tập «báo địa phương Nghệ An»" in html
    assert md.startswith("# Báo cáo thông tin — Tháng 3/2026 — bộ sưu tập nguồn «báo địa phương Nghệ An»")
    assert "Báo Hà Tĩnh" not in html and "Hà Tĩnh" not in md and "Cháy rừng" not in html
    assert "Phạm vi: mọi nguồn" in render_html(whole)
    with pytest.raises(NotFoundError):
        build_report(db, period, collection="không có")


def test_an_empty_collection_gives_an_empty_report(two_collections):
    db, *_ = two_collections
    create_collection(db, "Trống")
    r = build_report(db, parse_period("2026-03"), generated_at=PINNED, collection="Trống")
    assert r.headline["documents"] == 0 and r.headline["new_stories"] == 0 and r.headline["alerts"] == 0
    assert r.top_stories == [] and r.sources == [] and r.statements == [] and r.claims == []
    assert r.watchlists[0]["count"] == 0 and r.rising == []


def test_files_are_named_for_the_collection_and_the_cli_takes_it(two_collections, tmp_path, capsys):
    db, _a, _b, ca, _cb = two_collections
    period = parse_period("2026-03")
    files = write_report(db, period, tmp_path, ("md",), generated_at=PINNED, collection=ca.name)
    assert [f.name for f in files] == [f"bao-cao-2026-03-01_2026-03-31_bst-{ca.id}.md"]
    code = run_cli_in_process(target_of(db), "report", "--period", "2026-03", "--format", "md", "--out", str(tmp_path / "cli"),
                              "--collection", "báo địa phương Hà Tĩnh")
    assert code in (0, None)
    out = capsys.readouterr().out
    assert "báo địa phương Hà Tĩnh" in out
    (md,) = (tmp_path / "cli").glob("*.md")
    text = md.read_text("utf-8")
    assert "_bst-" in md.name and "«báo địa phương Hà Tĩnh»" in text and "Nghệ An" not in text
    assert run_cli_in_process(target_of(db), "report", "--period", "2026-03", "--out", str(tmp_path / "x"),
                              "--collection", "không có") not in (0, None)
    assert "không có" in capsys.readouterr().err and not (tmp_path / "x").exists()


def _editor(db):
    from kiemchung.web import create_app

    U.add_user(db, "bientap", PW, "editor")
    c = TestClient(create_app(db))
    assert c.post("/login", data={"username": "bientap", "password": PW, "next": "/"},
                  follow_redirects=False).status_code == 303
    return c


def test_web_form_and_api_take_a_collection(two_collections, tmp_path, monkeypatch):
    monkeypatch.setenv("KIEMCHUNG_REPORT_WORKERS", "1")
    db, _a, _b, ca, cb = two_collections
    db.set_setting("report_dir", str(tmp_path / "bao-cao"))
    c = _editor(db)
    page = c.get("/reports").text
    assert f'<option value="{ca.id}">báo địa phương Nghệ An</option>' in page
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    r = c.post("/reports", data={"period": "2026-03", "format": ["md"], "collection": str(ca.id), "csrf": csrf},
               follow_redirects=False)
    assert r.status_code == 303
    job = r.headers["location"].split("job=", 1)[1]
    for _ in range(600):
        state = c.get(f"/report-jobs/{job}").json()
        if state["status"] != "running":
            break
        import threading

        threading.Event().wait(0.1)
    assert state["status"] == "done", state
    name = state["name"]
    assert name == f"bao-cao-2026-03-01_2026-03-31_bst-{ca.id}"
    md = c.get(f"/reports/{name}/md").text
    assert "«báo địa phương Nghệ An»" in md and "Hà Tĩnh" not in md
    listing = c.get("/reports").text
    assert 'class="collection">báo địa phương Nghệ An</td>' in listing
    assert "«báo địa phương Nghệ An»" in c.get(f"/reports/{name}").text
    bad = c.post("/reports", data={"period": "2026-03", "collection": "999", "csrf": csrf})
    assert bad.status_code == 404 or (bad.status_code == 400 and "999" in bad.text)
    # the API
    from kiemchung.web import create_app

    api_client = TestClient(create_app(db), headers={"Authorization": f"Bearer {U.create_token(db, 'bientap')}"})
    api = api_client.post("/api/v1/reports", json={"period": "2026-03", "formats": ["md"], "collection": cb.name})
    assert api.status_code == 201, api.text
    body = api.json()
    assert body["collection"] == cb.name and body["name"].endswith(f"_bst-{cb.id}")
    listed = {x["name"]: x["collection"] for x in api_client.get("/api/v1/reports").json()}
    assert listed[body["name"]] == cb.name and listed[name] == ca.name
    missing = api_client.post("/api/v1/reports", json={"period": "2026-03", "collection": "không có"})
    assert missing.status_code == 404 and "không có" in missing.json()["detail"]


def test_worker_schedule_writes_a_collections_report_and_skips_an_unknown_one(two_collections, tmp_path):
    """Setting ``report_schedule`` takes ``monthly@COLLECTION``: the worker's scheduled task writes that
    collection's report beside the all-sources one; a schedule naming a collection that is gone is
    skipped and the others are still written."""
    pytest.importorskip("procrastinate")
    from types import SimpleNamespace

    from kiemchung.audit import cli_actor
    from kiemchung.store import settings
    from kiemchung.workers.tasks import Runtime, scheduled_reports

    db, _a, _b, ca, _cb = two_collections
    settings.set_value(db, "report_dir", str(tmp_path / "bc"), actor=cli_actor())
    settings.set_value(db, "report_schedule", f"Monthly, monthly@{ca.name}, monthly@không có bộ này", actor=cli_actor())
    assert settings.value(db, "report_schedule") == f"monthly, monthly@{ca.name}, monthly@không có bộ này"
    context = SimpleNamespace(additional_context={"kiemchung": Runtime(db, ner=False)})
    april = int(dt.datetime(2026, 4, 2, 8, tzinfo=dt.UTC).timestamp())
    written = sorted(os.path.basename(p) for p in scheduled_reports(context, timestamp=april))
    assert written == sorted(f"bao-cao-2026-03-01_2026-03-31{tail}.{fmt}"
                             for tail in ("", f"_bst-{ca.id}") for fmt in ("html", "md", "pdf"))
    scoped = (tmp_path / "bc" / f"bao-cao-2026-03-01_2026-03-31_bst-{ca.id}.md").read_text(encoding="utf-8")
    assert ca.name in scoped and "Hà Tĩnh" not in scoped.split("\n", 3)[0]
    assert scheduled_reports(context, timestamp=april + 3600) == []  # once per period, each
    with pytest.raises(Exception, match="weekly"):
        settings.set_value(db, "report_schedule", f"yearly@{ca.name}", actor=cli_actor())
