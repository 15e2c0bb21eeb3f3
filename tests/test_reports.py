"""Reports on the bundled sample: figures checked against SQL, rendering, PDF pages, periods, CLI."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess

import pytest
from rich.console import Console
from sqlalchemy import text

from factories import target_of

from kiemchung.cli.demo import run_demo
from kiemchung.errors import ConfigError
from kiemchung.reports import build_report, parse_period, render_html, render_markdown, render_pdf
from kiemchung.reports.period import last_complete
from kiemchung.reports.schedule import run_schedule
from kiemchung.store import Database
from kiemchung.timeutil import VN_TZ

PINNED = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def sample(request, tmp_path_factory):
    """The demo installation, on SQLite and on PostgreSQL (tests/conftest.py's pg_server)."""
    if request.param == "sqlite":
        target = tmp_path_factory.mktemp("rep") / "sample.db"
    else:
        server = request.getfixturevalue("pg_server")
        name = server.create_database()
        target = server.url(name)
    run_demo(target, Console(file=io.StringIO()))
    db = Database(target)
    yield db
    db.close()
    if request.param != "sqlite":
        server.drop_database(name)


def _count(db, sql, start, end):
    if db.is_sqlite:  # SQLite keeps times as naive UTC text
        a = start.astimezone(dt.UTC).replace(tzinfo=None).isoformat(sep=" ")
        b = end.astimezone(dt.UTC).replace(tzinfo=None).isoformat(sep=" ")
    else:
        a, b = start, end
    with db.read() as conn:
        return conn.execute(text(sql), {"a": a, "b": b}).all()


def test_parse_periods():
    q = parse_period("2026-Q1")
    assert (q.start, q.end) == (dt.datetime(2026, 1, 1, tzinfo=VN_TZ), dt.datetime(2026, 4, 1, tzinfo=VN_TZ))
    assert parse_period("2026-03").end == dt.datetime(2026, 4, 1, tzinfo=VN_TZ)
    w = parse_period("2026-W10")
    assert w.start.date() == dt.date(2026, 3, 2) and w.days == 7
    assert parse_period("2020-W53").start.date() == dt.date(2020, 12, 28)
    r = parse_period(start="2026-03-05", end="2026-03-05")
    assert r.days == 1 and r.previous().end == r.start
    assert parse_period("2026-Q1").previous().label == "Quý 4/2025"
    assert last_complete("monthly", dt.datetime(2026, 3, 1, 1, tzinfo=VN_TZ)).label == "Tháng 2/2026"
    assert last_complete("quarterly", dt.datetime(2026, 2, 1, tzinfo=VN_TZ)).label == "Quý 4/2025"


@pytest.mark.parametrize("bad", ["2026-Q5", "2026-13", "2026-W60", "quý một", "", "2026/03"])
def test_unknown_period_is_a_clear_error(bad):
    with pytest.raises(ConfigError, match=r"kỳ báo cáo|không hợp lệ|không tồn tại|Cần"):
        parse_period(bad or None)


def test_figures_match_sql(sample):
    p = parse_period("2026-10")
    r = build_report(sample, p, generated_at=PINNED)
    rows = _count(sample, "SELECT kind, count(*) FROM documents WHERE coalesce(published_at, fetched_at) >= :a "
                          "AND coalesce(published_at, fetched_at) < :b GROUP BY kind", p.start, p.end)
    expected = dict(rows)
    assert r.by_kind == expected and sum(expected.values()) > 0
    assert r.headline["documents"] == sum(expected.values())
    assert r.headline["official"] == expected.get("official", 0)
    sources = _count(sample, "SELECT count(DISTINCT source_id) FROM documents WHERE coalesce(published_at, fetched_at)"
                             " >= :a AND coalesce(published_at, fetched_at) < :b", p.start, p.end)[0][0]
    assert r.headline["sources"] == sources
    prev = _count(sample, "SELECT count(*) FROM documents WHERE coalesce(published_at, fetched_at) >= :a "
                          "AND coalesce(published_at, fetched_at) < :b", p.previous().start, p.previous().end)[0][0]
    assert r.headline_previous["documents"] == prev
    assert sum(n for _, n in r.volume) == r.headline["documents"] and len(r.volume) == 31
    assert len(r.statements) == expected.get("official", 0)
    assert r.top_stories and all(s["documents"] >= 2 for s in r.top_stories)
    md = render_markdown(r)
    assert f"| Văn bản thu thập (documents) | {r.headline['documents']} | {prev} |" in md
    assert "chưa có dữ liệu" in md or r.claims is not None


def test_claims_and_alerts_sections_match_the_data(sample):
    from kiemchung.claims.checkworthy import DEFAULT_THRESHOLD

    p = parse_period("2026-Q4")
    r = build_report(sample, p, generated_at=PINNED)
    alerted = {row[0] for row in _count(
        sample, "SELECT a.doc_id FROM alerts a JOIN documents d ON d.id = a.doc_id WHERE a.level = 'repeat' AND "
                "coalesce(d.published_at, d.fetched_at) >= :a AND coalesce(d.published_at, d.fetched_at) < :b",
        p.start, p.end)}
    assert r.headline["alerts"] == len(_count(
        sample, "SELECT a.id FROM alerts a JOIN documents d ON d.id = a.doc_id WHERE a.level = 'repeat' AND "
                "coalesce(d.published_at, d.fetched_at) >= :a AND coalesce(d.published_at, d.fetched_at) < :b",
        p.start, p.end)) > 0
    assert r.claims and r.headline["claims"] >= len(r.claims)
    scores = [c["score"] for c in r.claims]
    assert scores == sorted(scores, reverse=True) and min(scores) >= DEFAULT_THRESHOLD
    stories = [c["story_id"] for c in r.claims if c["story_id"] is not None]
    assert len(stories) == len(set(stories))  # one row per story
    for c in r.claims:
        doc = sample.get_document(c["doc_id"])
        assert c["text"] in doc.text() and p.start <= (doc.published_at or doc.fetched_at) < p.end
        if c["documents"] == 1:
            assert c["alerted"] == (c["doc_id"] in alerted)
    assert any(c["alerted"] for c in r.claims)  # the sample's false claims come back and are flagged
    assert r.claims[0]["text"] in render_markdown(r)


def test_quarter_volume_is_weekly(sample):
    r = build_report(sample, parse_period("2026-Q4"), generated_at=PINNED)
    assert r.volume_bucket == "week" and all(d.weekday() == 0 for d, _ in r.volume)
    assert sum(n for _, n in r.volume) == r.headline["documents"]


def test_empty_period_is_an_honest_empty_report(sample):
    r = build_report(sample, parse_period("2019-W05"), generated_at=PINNED)
    assert r.headline["documents"] == 0 and r.statements == [] and r.top_stories == []
    html = render_html(r)
    assert "Không có văn bản trong kỳ" in html and "<svg" not in html
    assert "Báo cáo thông tin" in render_markdown(r)


def test_renders_are_byte_identical(sample):
    p = parse_period("2026-Q4")
    a, b = build_report(sample, p, generated_at=PINNED), build_report(sample, p, generated_at=PINNED)
    ha, hb = render_html(a), render_html(b)
    assert ha == hb and "<svg" in ha and "Quý 4/2026" in ha
    assert render_markdown(a) == render_markdown(b)


def test_pdf_pages_render(sample, tmp_path):
    pytest.importorskip("weasyprint")
    if not shutil.which("pdftoppm"):
        pytest.skip("pdftoppm (poppler-utils) not installed")
    from PIL import Image

    pdf = render_pdf(build_report(sample, parse_period("2026-Q4"), generated_at=PINNED), tmp_path / "r.pdf")
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(pdf), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 2
    for page in pages:
        lo, hi = Image.open(page).convert("L").getextrema()
        assert lo < 128 < hi  # ink on paper, not a blank page


def test_schedule_is_idempotent(sample, tmp_path):
    now = dt.datetime(2026, 11, 3, tzinfo=VN_TZ)
    p, files, created = run_schedule(sample, "monthly", tmp_path, now=now, formats=("md", "html"))
    assert created and p.label == "Tháng 10/2026" and all(f.exists() for f in files)
    stamp = [f.stat().st_mtime_ns for f in files]
    _, again, created2 = run_schedule(sample, "monthly", tmp_path, now=now, formats=("md", "html"))
    assert not created2 and again == files and [f.stat().st_mtime_ns for f in files] == stamp


def test_cli_report_and_reach(sample, tmp_path, capsys):
    from kiemchung.cli import main

    def run(*args):
        try:
            main(["--db", target_of(sample), *args])
        except SystemExit as exc:
            return exc.code
        return 0

    assert run("report", "--period", "2026-W42", "--format", "md", "--out", str(tmp_path)) in (0, None)
    assert list(tmp_path.glob("*.md"))
    assert run("report", "--period", "2026-Q9") not in (0, None)
    assert "kỳ báo cáo" in capsys.readouterr().err
    with sample.read() as conn:
        oid = conn.execute(text("SELECT id FROM documents WHERE kind='official' ORDER BY id LIMIT 1")).scalar()
    assert run("reach", "--statement", str(oid)) in (0, None)
    assert "lượt đăng lại" in capsys.readouterr().out


def test_mail_to_a_real_local_smtp_server(sample, tmp_path):
    import socketserver
    import threading

    received: list[bytes] = []

    class Handler(socketserver.StreamRequestHandler):
        def handle(self):
            self.wfile.write(b"220 test\r\n")
            while line := self.rfile.readline():
                cmd = line.strip().upper()
                if cmd == b"DATA":
                    self.wfile.write(b"354 go\r\n")
                    body = b""
                    while (chunk := self.rfile.readline()) != b".\r\n":
                        body += chunk
                    received.append(body)
                    self.wfile.write(b"250 ok\r\n")
                elif cmd == b"QUIT":
                    self.wfile.write(b"221 bye\r\n")
                    return
                else:
                    self.wfile.write(b"250 ok\r\n")

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        sample.set_setting("smtp_host", "127.0.0.1")
        sample.set_setting("smtp_port", str(server.server_address[1]))
        _, files, created = run_schedule(sample, "weekly", tmp_path, now=dt.datetime(2026, 10, 20, tzinfo=VN_TZ),
                                         mail_to="so@example.vn", formats=("md",))
    finally:
        server.shutdown()
        server.server_close()
    assert created and len(received) == 1
    assert b"so@example.vn" in received[0] and files[0].name.encode() in received[0]


def test_pdf_is_reproducible_and_carries_the_charts(sample, tmp_path):
    pytest.importorskip("weasyprint")
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) not installed")
    r = build_report(sample, parse_period("2026-Q4"), generated_at=PINNED)
    a, b = render_pdf(r, tmp_path / "a.pdf"), render_pdf(r, tmp_path / "b.pdf")
    assert a.read_bytes() == b.read_bytes()  # same data, same bytes
    text_ = subprocess.run(["pdftotext", str(a), "-"], capture_output=True, text=True, check=True).stdout
    assert "Số văn bản / tuần" in text_  # the volume chart's axis: the SVG chart is drawn in the PDF
    assert "(pickups)" in text_ and r.statements  # the reach chart's axis
    assert "01/10/2026 – 31/12/2026" in text_


def test_factcheck_and_story_reach_figures_match_the_data(sample):
    from kiemchung import reach

    p = parse_period("2026-10")
    r = build_report(sample, p, generated_at=PINNED)
    published = _count(sample, "SELECT id FROM factchecks WHERE status = 'published' AND published_at >= :a "
                                "AND published_at < :b", p.start, p.end)
    assert r.headline["factchecks"] == len(published) == len(r.factchecks) > 0
    fcs = reach.reach_of_factchecks(sample, reach.published_factchecks(sample, p.start, p.end))
    assert [(f["pickups"], f["before"], f["after"]) for f in r.factchecks] == [(x.count, x.before, x.after) for x in fcs]
    assert sum(f["before"] + f["after"] for f in r.factchecks) > 0  # the sample's false claims come back
    # per story: the claim volume adds up to the fact-checks' matched documents that are in a story
    with sample.read() as conn:
        in_story = {row[0] for row in conn.execute(text("SELECT doc_id FROM story_documents"))}
    assert sum(s["claim_volume"] for s in r.story_reach) == sum(
        len([d for d in x.claim_docs if d in in_story]) for x in fcs) > 0
    assert sum(s["statements"] for s in r.story_reach) <= len(r.statements)
    md = render_markdown(r)
    assert "| Tin sai | Bài KC |" in md and "Lan toả của bài kiểm chứng" in md and "TTCT: thông tin chính thức" in md


def test_cli_bad_period_or_format_is_refused_cleanly(tmp_path, capsys):
    from kiemchung.cli import main

    path = tmp_path / "never.db"
    for args, msg in ((["--period", "2026-Q7"], "kỳ báo cáo"), (["--from", "2026-03-01"], "Cần --period"),
                      (["--period", "2026-03", "--from", "2026-03-01"], "không dùng cả hai")):
        with pytest.raises(SystemExit) as info:
            main(["--db", str(path), "report", *args, "--out", str(tmp_path)])
        assert info.value.code == 1 and msg in capsys.readouterr().err
    assert not path.exists()  # refused before the database was created
    with pytest.raises(SystemExit):
        main(["--db", str(path), "report", "--period", "2026-03", "--format", "docx", "--out", str(tmp_path)])
    assert "docx" in capsys.readouterr().err and not list(tmp_path.glob("bao-cao-*"))


def test_text_starting_with_a_number_wraps_like_text(sample):
    r = build_report(sample, parse_period("2026-Q4"), generated_at=PINNED)
    r.statements[0]["title"] = "5 thói quen giúp người dân phòng sốt xuất huyết mùa mưa bão năm nay"
    html = render_html(r)
    # a figure cell is right-aligned and never wraps; a title that starts with a digit is not a figure
    assert '<td>5 thói quen giúp' in html and '<td class="n">5 thói quen' not in html
    assert f'<td class="n">{r.headline["documents"]}</td>' in html


def test_claim_signals_are_shown_in_vietnamese(sample):
    from kiemchung.claims.checkworthy import WEIGHTS
    from kiemchung.reports.render import SIGNALS

    assert set(SIGNALS) == set(WEIGHTS)  # every signal the scorer can give has a label
    r = build_report(sample, parse_period("2026-Q4"), generated_at=PINNED)
    md = render_markdown(r)
    first = r.claims[0]
    assert ", ".join(SIGNALS[x] for x in first["reasons"]) in md
    assert "claim_verb" not in md and "money_unit" not in md


def test_cli_report_prints_no_weasyprint_warnings(sample, tmp_path):
    """The PDF used to come with ~250 lines of WeasyPrint warnings (SVG paint properties, chart ids twice)."""
    import re
    import sys
    from pathlib import Path

    pytest.importorskip("weasyprint")
    script = Path(sys.executable).parent / "kiemchung"
    assert script.exists(), "the kiemchung command is not installed beside this interpreter"
    db = sample.url.split("///", 1)[-1]
    res = subprocess.run([str(script), "--db", db, "report", "--period", "2026-Q4", "--format", "pdf,html",
                          "--out", str(tmp_path)], capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr
    assert res.stderr.strip() == "", res.stderr[:2000]
    html = next(tmp_path.glob("*.html")).read_text(encoding="utf-8")
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert ids and len(ids) == len(set(ids))  # two charts on one page share no element id
    assert next(tmp_path.glob("*.pdf")).stat().st_size > 10_000


def test_other_weasyprint_warnings_still_show(caplog):
    import logging

    from kiemchung.reports.render import _svg_style_noise

    noise = logging.LogRecord("weasyprint", logging.WARNING, "", 0, "Ignored `stroke: #000000` at 1:1, unknown property.", None, None)
    ours = logging.LogRecord("weasyprint", logging.WARNING, "", 0, "Ignored `colr: red` at 3:5, unknown property.", None, None)
    font = logging.LogRecord("weasyprint", logging.WARNING, "", 0, "Font-face 'X' cannot be loaded", None, None)
    assert not _svg_style_noise(noise) and _svg_style_noise(ours) and _svg_style_noise(font)
