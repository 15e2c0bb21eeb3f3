"""Benchmark: the alert stage on the user's path, `kiemchung import`, with and without a knowledge base.

    python benchmarks/bench_alert_import.py [--limit 5000] [--kb 2000] [--rounds 2] [--keep DIR]

Writes the first ``--limit`` items of the RSS year (../shared/data/rss-2025-2026.jsonl.gz) as a JSONL
export (as ``benchmarks/bench_import.py`` does) and runs `kiemchung --db DB import FILE --kind article`
as a subprocess, exactly as a person would, into two databases prepared beforehand:

* **baseline**: a fresh installation without fact-checks (the alert stage has nothing to match and
  skips ahead);
* **with KB**: the same with ``--kb`` published false fact-checks (claims: the first sentence of the
  entries of ../shared/data/matching-dev-kb.jsonl, made through the library beforehand; their set-up
  is not timed; about 30-60 ms each, so the default is 2,000, an office's "hundreds to a few
  thousand" of issue 15; the matcher alone at 20,000 entries is timed by ``bench_match.py``).

Both imports run ``--rounds`` times, alternately, each into a fresh copy of its prepared database; the
best wall and CPU time of each are compared. The difference over the number of items is the alert
stage's cost per stored document on the user's path: building the matcher over the knowledge base, the
installation's background term statistics, the matcher and the verifier for every document, and
writing the alerts. The ratio "with KB / baseline" is the slowdown a user sees.

The machine may be shared: run it under `flock /work/bench.lock` and read the ratio against the
same-run baseline rather than the absolute times.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_import import export_rows, run_import, write_jsonl  # noqa: E402

KB = ROOT.parent / "shared" / "data" / "matching-dev-kb.jsonl"


def prepare(db: Path, kb: int) -> float:
    """A fresh installation at ``db`` with ``kb`` published false fact-checks; the seconds it took."""
    from kiemchung.claims.evaluate import read_jsonl
    from kiemchung.claims.factchecks import create_factcheck, publish_factcheck
    from kiemchung.errors import ConfigError
    from kiemchung.store import Database
    from kiemchung.text import sentences

    start = time.perf_counter()
    database = Database(db)
    n = 0
    if kb:
        for row in read_jsonl(KB, ("id", "text")):
            first = (sentences(row["text"]) or [row["text"]])[0][:300]
            try:
                fc = create_factcheck(database, first, "false", editor="bench",
                                      evidence=[f"https://example.org/fc/{n}"], key=f"bench-{row['id']}")
            except ConfigError:  # a duplicate (two entries open alike) or an unusable claim: skip it
                continue
            publish_factcheck(database, fc.id, "bench")
            n += 1
            if n >= kb:
                break
    database.close()
    return time.perf_counter() - start


def alerts_in(db: Path) -> dict:
    conn = sqlite3.connect(db)
    try:
        rows = dict(conn.execute("SELECT level, count(*) FROM alerts GROUP BY level").fetchall())
        docs = conn.execute("SELECT count(*) FROM documents").fetchone()[0]
        fcs = conn.execute("SELECT count(*) FROM factchecks WHERE status = 'published'").fetchone()[0]
    finally:
        conn.close()
    return {"alerts": rows, "documents": docs, "published_factchecks": fcs}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--limit", type=int, default=5000)
    ap.add_argument("--kb", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--keep", type=Path, default=None, help="directory for the files (kept)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    tmp = args.keep or Path(tempfile.mkdtemp(prefix="kc-bench-alerts-"))
    tmp.mkdir(parents=True, exist_ok=True)
    rows = export_rows(args.limit, None)
    data = write_jsonl(rows, tmp / "items.jsonl")
    templates = {"baseline": tmp / "baseline.tmpl.db", "with_kb": tmp / "kb.tmpl.db"}
    setup = {name: prepare(path, 0 if name == "baseline" else args.kb) for name, path in templates.items()}
    runs: dict[str, list[dict]] = {name: [] for name in templates}
    figures: dict[str, dict] = {}
    for r in range(args.rounds):
        for name, tmpl in templates.items():
            db = tmp / f"{name}-{r}.db"
            shutil.copyfile(tmpl, db)
            res = run_import(data, db)
            res["round"] = r
            runs[name].append(res)
            figures[name] = alerts_in(db)
            if not args.keep:
                os.remove(db)
    best = {name: {"wall_s": min(x["wall_s"] for x in rs), "cpu_s": min(x["cpu_s"] for x in rs),
                   "peak_mb": max(x["peak_mb"] for x in rs)} for name, rs in runs.items()}
    n = len(rows)
    out = {
        "items": n,
        "kb": figures["with_kb"]["published_factchecks"],
        "setup_s": {k: round(v, 1) for k, v in setup.items()},
        "baseline": {k: round(v, 2) for k, v in best["baseline"].items()},
        "with_kb": {k: round(v, 2) for k, v in best["with_kb"].items()},
        "ratio_wall": round(best["with_kb"]["wall_s"] / best["baseline"]["wall_s"], 2),
        "ratio_cpu": round(best["with_kb"]["cpu_s"] / max(best["baseline"]["cpu_s"], 1e-9), 2),
        "alert_stage_ms_per_item_wall": round(1000 * (best["with_kb"]["wall_s"] - best["baseline"]["wall_s"]) / n, 2),
        "alert_stage_ms_per_item_cpu": round(1000 * (best["with_kb"]["cpu_s"] - best["baseline"]["cpu_s"]) / n, 2),
        "alerts": figures["with_kb"]["alerts"],
        "rounds": {k: [round(x["wall_s"], 1) for x in v] for k, v in runs.items()},
    }
    if args.json:
        print(json.dumps(out))
        return
    print(f"{n:,} RSS items, knowledge base of {out['kb']:,} published false fact-checks (set-up {out['setup_s']} s)")
    print(f"  baseline (no fact-checks): {out['baseline']['wall_s']:.1f} s wall, {out['baseline']['cpu_s']:.1f} s CPU")
    print(f"  with the knowledge base:  {out['with_kb']['wall_s']:.1f} s wall, {out['with_kb']['cpu_s']:.1f} s CPU, "
          f"peak RSS {out['with_kb']['peak_mb']:.0f} MB")
    print(f"  ratio with KB / baseline: {out['ratio_wall']}x wall, {out['ratio_cpu']}x CPU")
    print(f"  alert stage per item: {out['alert_stage_ms_per_item_wall']} ms wall, "
          f"{out['alert_stage_ms_per_item_cpu']} ms CPU; alerts {out['alerts']}")
    print(f"  rounds (wall s): {out['rounds']}")


if __name__ == "__main__":
    main()
