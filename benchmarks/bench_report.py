"""Time a quarterly report (HTML and PDF) on the RSS year.

Loads ``/work/shared/data/rss-2025-2026.jsonl.gz`` through ``Ingestor`` (reusing bench_ingest's
``stream_lines``/``to_document``) plus the story stage, or takes ``--db`` of an already loaded database
(the story stage still runs and is a no-op when up to date). Then builds the report for ``--period``
(default 2026-Q1), renders HTML and PDF, prints the figures, and a baseline measured in the same run:
a plain SQL count of documents per day over the quarter. PDF pages go to ``bench-out/`` as PNG.

    python benchmarks/bench_report.py --db /tmp/rss.db --period 2026-Q1
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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sqlalchemy import text

from kiemchung.ingest import Ingestor
from kiemchung.pipeline import Pipeline
from kiemchung.reports import build_report, parse_period, render_html, render_pdf
from kiemchung.store import Database

OUT = Path(__file__).resolve().parent.parent / "bench-out" / "report"


def load(path: Path, limit: int | None) -> None:
    """Ingest the RSS year into ``path``."""
    from bench_ingest import stream_lines, to_document

    db = Database(path)
    docs = (to_document(json.loads(line), line) for line in stream_lines(limit))
    t0 = time.perf_counter()
    stats = Ingestor(db).add(docs)
    print(f"ingest: {stats} in {time.perf_counter() - t0:.1f} s")
    db.close()


def _utc(d) -> str:
    return d.astimezone(dt.UTC).replace(tzinfo=None).isoformat(sep=" ")


def main() -> None:
    """Run the benchmark and print figures."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", type=Path, default=None)
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--period", default="2026-Q1")
    args = ap.parse_args()
    path = args.db
    if path is None:
        path = Path(tempfile.mkdtemp(prefix="kc-rep-")) / "rss.db"
        load(path, args.limit)
    db = Database(path)
    t0 = time.perf_counter()
    n = Pipeline(db).run()
    print(f"story stage: {n} in {time.perf_counter() - t0:.1f} s")
    period = parse_period(args.period)

    t0 = time.perf_counter()
    with db.read() as conn:
        base = conn.execute(text(
            "SELECT date(coalesce(published_at, fetched_at), '+7 hours') AS d, count(*) FROM documents "
            "WHERE coalesce(published_at, fetched_at) >= :a AND coalesce(published_at, fetched_at) < :b GROUP BY d"
        ), {"a": _utc(period.start), "b": _utc(period.end)}).all()
    t_base = time.perf_counter() - t0

    t0 = time.perf_counter()
    report = build_report(db, period)
    t_build = time.perf_counter() - t0
    t0 = time.perf_counter()
    html = render_html(report)
    t_html = time.perf_counter() - t0
    OUT.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    pdf = render_pdf(report, OUT / f"report-{args.period}.pdf")
    t_pdf = time.perf_counter() - t0
    (OUT / f"report-{args.period}.html").write_text(html, encoding="utf-8")

    print(f"period {period.label}: headline {report.headline}")
    print(f"  previous {report.previous.label}: {report.headline_previous}")
    print(f"  by kind {report.by_kind}; statements {len(report.statements)}; top stories {len(report.top_stories)}")
    print(f"  baseline SQL per-day count: {len(base)} days, {sum(n for _, n in base)} documents, {t_base:.3f} s")
    print(f"  report documents {report.headline['documents']} (baseline {sum(n for _, n in base)})")
    total = t_build + t_html + t_pdf
    print(f"  build {t_build:.2f} s, html {t_html:.2f} s ({len(html):,} bytes), pdf {t_pdf:.2f} s; "
          f"total {total:.2f} s (target < 30 s); ratio to baseline {total / max(t_base, 1e-6):.0f}x")
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-r", "60", "-png", str(pdf), str(OUT / "page")], check=True)
        print(f"  pages: {sorted(p.name for p in OUT.glob('page-*.png'))}")


if __name__ == "__main__":
    main()
