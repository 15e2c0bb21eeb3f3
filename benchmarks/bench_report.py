"""Time a quarterly report (build, HTML, Markdown, PDF) on the RSS year.

Data: either ``/work/shared/data/rss-2025-2026.jsonl.gz`` loaded through ``Ingestor`` (reusing
bench_ingest's ``stream_lines``/``to_document``) plus the pipeline (stories, alerts), or ``--db`` of an
already loaded database (e.g. ``bench-out/web-stories.db``). A given ``--db`` is first **copied** to a
temporary folder (other benchmarks use it; nothing is written to it), and on the copy:

* documents loaded before outlets were kept (``source_id`` empty, outlet name only in the raw RSS item)
  get their outlet source back, as the ingestor makes them today, and stories their outlet counts;
* ``--seed N`` (default 40) adds what the RSS year lacks and a report needs: N articles of the period
  (every k-th, deterministic) become official statements, and N/2 published fact-checks are made from
  other articles' titles (claim = the title, explanation = the lead, published a day after the article,
  evidence = its URL). This exercises the reach scans; the page images then show these made-up items.

Then it builds the report for ``--period`` (default 2026-Q1) twice with a pinned "generated at": with
2 workers (the reach scan forked over both cores, as ``kiemchung report`` does) and in-process (as the
web app does); the two must give identical HTML and Markdown (reproducibility). It renders HTML, Markdown and PDF, and
prints the figures with a baseline measured in the same run (a plain SQL count of documents per day
over the quarter). PDF pages go to ``bench-out/report/`` as PNG (pdftoppm -r 60).

    flock /work/bench.lock python benchmarks/bench_report.py --db bench-out/web-stories.db
    flock /work/bench.lock python benchmarks/bench_report.py --limit 20000 --period 2025-Q3
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sqlalchemy import text

from kiemchung.ingest import Ingestor
from kiemchung.models import Source
from kiemchung.pipeline import Pipeline
from kiemchung.reports import build_report, parse_period, render_html, render_markdown, render_pdf
from kiemchung.store import Database
from kiemchung.store import schema as t

OUT = Path(__file__).resolve().parent.parent / "bench-out" / "report"
PINNED = dt.datetime(2026, 9, 1, 1, 0, tzinfo=dt.UTC)
WORKERS = 2  # what the kiemchung report command uses on this 2-core machine


def load(path: Path, limit: int | None) -> None:
    """Ingest the RSS year into ``path`` and run the pipeline (stories, alerts)."""
    from bench_ingest import stream_lines, to_document

    db = Database(path)
    docs = (to_document(json.loads(line), line) for line in stream_lines(limit))
    t0 = time.perf_counter()
    stats = Ingestor(db).add(docs)
    print(f"ingest: {stats} in {time.perf_counter() - t0:.1f} s")
    t0 = time.perf_counter()
    print(f"pipeline: {Pipeline(db).run().counts} in {time.perf_counter() - t0:.1f} s")
    db.close()


def backfill_outlets(db) -> int:
    """Give documents without a source the outlet named in their raw RSS item (as ingest does now)."""
    with db.read() as conn:
        rows = conn.execute(text("SELECT id, raw FROM documents WHERE source_id IS NULL AND raw IS NOT NULL")).all()
    if not rows:
        return 0
    by_name: dict[str, list[int]] = {}
    for doc_id, raw in rows:
        try:
            name = (json.loads(zlib.decompress(raw)).get("source") or "").strip()
        except (ValueError, zlib.error):
            continue
        if name:
            by_name.setdefault(name, []).append(doc_id)
    n = 0
    for name, ids in sorted(by_name.items()):
        src = db.add_source(Source(kind="outlet", url=f"outlet:{name[:300]}", name=name[:300], enabled=False))
        with db.write() as conn:
            for i in range(0, len(ids), 5000):
                chunk = ids[i:i + 5000]
                conn.execute(t.documents.update().where(t.documents.c.id.in_(chunk)).values(source_id=src.id))
        n += len(ids)
    with db.write() as conn:  # the stories' outlet counts, as the stories module counts them
        conn.execute(text(
            "UPDATE stories SET outlet_count = (SELECT count(DISTINCT coalesce(d.source_id, d.platform)) "
            "FROM story_documents sd JOIN documents d ON d.id = sd.doc_id WHERE sd.story_id = stories.id)"))
    return n


def seed(db, period, n: int) -> tuple[int, int]:
    """Make ``n`` articles of the period official statements and ``n // 2`` fact-checks from others."""
    from kiemchung.claims.factchecks import DuplicateFactCheckError, create_factcheck, publish_factcheck
    from kiemchung.errors import ConfigError

    lo, hi = t.fts_rowid_bound(period.start), t.fts_rowid_bound(period.end)
    with db.read() as conn:
        total = conn.execute(text("SELECT count(*) FROM documents WHERE fts_rowid >= :lo AND fts_rowid < :hi"),
                             {"lo": lo, "hi": hi}).scalar()
        step = max(1, total // max(1, n + n // 2))
        rows = conn.execute(text(
            "SELECT id, title, lead, url, coalesce(published_at, fetched_at) AS at FROM documents "
            "WHERE fts_rowid >= :lo AND fts_rowid < :hi ORDER BY fts_rowid"), {"lo": lo, "hi": hi}).all()[::step]
    statements = [r for i, r in enumerate(rows) if i % 3 != 2][:n]
    claims = [r for i, r in enumerate(rows) if i % 3 == 2][: n // 2]
    with db.write() as conn:
        conn.execute(t.documents.update().where(t.documents.c.id.in_([r.id for r in statements])).values(kind="official"))
    made = 0
    for r in claims:
        try:
            fc = create_factcheck(db, r.title, "sai sự thật", r.lead, editor="bench", evidence=[r.url])
        except (DuplicateFactCheckError, ConfigError):
            continue
        at = dt.datetime.fromisoformat(str(r.at)).replace(tzinfo=dt.UTC) + dt.timedelta(days=1)
        publish_factcheck(db, fc.id, "bench", published_at=at)
        made += 1
    return len(statements), made


def _utc(d) -> str:
    return d.astimezone(dt.UTC).replace(tzinfo=None).isoformat(sep=" ")


def _timed(fn, *a, **kw):
    t0 = time.perf_counter()
    out = fn(*a, **kw)
    return out, time.perf_counter() - t0


def main() -> None:
    """Run the benchmark and print figures."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", type=Path, default=None, help="a loaded database (copied first; never written)")
    ap.add_argument("--limit", type=int, default=None, help="load only this many RSS items (no --db)")
    ap.add_argument("--period", default="2026-Q1")
    ap.add_argument("--seed", type=int, default=40, help="official statements to make (and half as many fact-checks)")
    args = ap.parse_args()
    period = parse_period(args.period)
    tmp = Path(tempfile.mkdtemp(prefix="kc-rep-"))
    try:
        path = tmp / "rss.db"
        if args.db is None:
            load(path, args.limit)
        else:
            _, secs = _timed(shutil.copyfile, args.db, path)
            print(f"copied {args.db} ({args.db.stat().st_size / 1e6:.0f} MB) in {secs:.1f} s")
        db = Database(path)
        n, secs = _timed(backfill_outlets, db)
        print(f"outlets backfilled for {n} documents in {secs:.1f} s")
        (st, fc), secs = _timed(seed, db, period, args.seed)
        print(f"seeded {st} official statements and {fc} fact-checks in {secs:.1f} s")
        run(db, period, args.period)
        db.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(db, period, name: str) -> None:
    """Time the report and write its files and page images."""
    with db.read() as conn:
        t0 = time.perf_counter()
        base = conn.execute(text(
            "SELECT date(coalesce(published_at, fetched_at), '+7 hours') AS d, count(*) FROM documents "
            "WHERE coalesce(published_at, fetched_at) >= :a AND coalesce(published_at, fetched_at) < :b GROUP BY d"
        ), {"a": _utc(period.start), "b": _utc(period.end)}).all()
        t_base = time.perf_counter() - t0

    report, t_build = _timed(build_report, db, period, generated_at=PINNED, workers=WORKERS)
    html, t_html = _timed(render_html, report)
    md, t_md = _timed(render_markdown, report)
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("page-*.png"):
        old.unlink()
    pdf, t_pdf = _timed(render_pdf, report, OUT / f"report-{name}.pdf")
    (OUT / f"report-{name}.html").write_text(html, encoding="utf-8")
    (OUT / f"report-{name}.md").write_text(md, encoding="utf-8")
    again, t_again = _timed(build_report, db, period, generated_at=PINNED, workers=1)
    same = render_html(again) == html and render_markdown(again) == md

    print(f"period {period.label}: headline {report.headline}")
    print(f"  previous {report.previous.label}: {report.headline_previous}")
    print(f"  by kind {report.by_kind}; statements {len(report.statements)}; fact-checks {len(report.factchecks or [])}; "
          f"stories with reach {len(report.story_reach)}; top stories {len(report.top_stories)}; "
          f"claims {len(report.claims or [])}; sources {len(report.sources)}")
    print(f"  baseline SQL per-day count: {len(base)} days, {sum(n for _, n in base)} documents, {t_base:.3f} s")
    print(f"  report documents {report.headline['documents']} (baseline {sum(n for _, n in base)})")
    total = t_build + t_html + t_md + t_pdf
    print(f"  build {t_build:.2f} s, html {t_html:.2f} s ({len(html):,} bytes), md {t_md:.2f} s, pdf {t_pdf:.2f} s "
          f"({pdf.stat().st_size:,} bytes); total {total:.2f} s (target < 30 s); "
          f"ratio to baseline {total / max(t_base, 1e-6):.0f}x")
    print(f"  build with {WORKERS} workers (as kiemchung report) {t_build:.2f} s; second build in-process "
          f"(1 worker, as the web app) {t_again:.2f} s; same HTML and Markdown: {same}")
    from kiemchung.web.report_views import write_in_worker

    files, t_web = _timed(write_in_worker, db, period, OUT / "web", ["html", "md", "pdf"])
    print(f"  the web app's Generate report (a spawned process, reach over {WORKERS} workers; HTML, Markdown "
          f"and PDF written): {t_web:.2f} s (target < 30 s); {len(files)} files")
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-r", "60", "-png", str(pdf), str(OUT / "page")], check=True)
        print(f"  pages: {sorted(p.name for p in OUT.glob('page-*.png'))}")


if __name__ == "__main__":
    main()
