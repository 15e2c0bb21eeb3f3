"""Benchmark: the user's path, `kiemchung import`, end to end, on the RSS year (or a part of it).

    python benchmarks/bench_import.py [--limit N] [--month 2026-03] [--with-month 2026-03] [--backfill] [--keep DIR]
    python benchmarks/bench_import.py --cycle-posts 12000

Writes the RSS year (../shared/data/rss-2025-2026.jsonl.gz: title and summary of each item) as a JSONL
export in a temporary directory, then runs `kiemchung --db NEW.db import FILE --kind article` as a
subprocess, exactly as a person would (ingest, near-duplicates, full-text index, the story stage and
the alert stage after it), and measures its wall time, CPU time and peak memory (max RSS of the child,
from the kernel). In the same run it inserts the same rows with plain sqlite3 and an FTS5 index (the
baseline), also in a child process of its own so that its peak memory is its own and not this script's
(which holds the rows), and prints items/s, peak memory and the ratios, with the load average before
and after each part. ``--month`` keeps the items published in that month; ``--with-month M`` first
runs month M alone (its own database), then the whole selection, so one run shows whether peak memory
grows with the size of one import; ``--backfill``
imports the year's second half first, then the first half into the same database (an archive
arriving after live monitoring) and times the second import the same way. ``--cycle-posts N`` runs the
case of tests/test_crash_safety.py instead: a CSV export of N short posts whose dates cycle over 28
days (``kiemchung import FILE``, kind post), against the same baseline.

The machine may be shared: run it under `flock /work/bench.lock` and read the ratios against the
same-run baseline rather than the absolute times.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "rss-2025-2026.jsonl.gz"
BLOCK = 10_000  # items per block of the per-block peak memory


def export_rows(limit: int | None, month: str | None) -> list[dict]:
    """The RSS items as rows of an import file (id, title, text = summary, url, published, site)."""
    rows = []
    with gzip.open(DATA, "rt", encoding="utf-8") as fh:
        for line in fh:
            it = json.loads(line)
            if month and not (it.get("published") or "").startswith(month):
                continue
            rows.append(
                {
                    "id": it["id"],
                    "title": it.get("title") or "",
                    "text": it.get("summary") or "",
                    "url": it.get("link"),
                    "published": it.get("published"),
                    "site": it.get("source"),
                }
            )
            if limit and len(rows) >= limit:
                break
    return rows


def write_jsonl(rows: list[dict], path: Path) -> Path:
    with open(path, "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    return path


def cycle_posts(n: int, path: Path) -> tuple[Path, Path]:
    """The CSV of tests/test_crash_safety.py (n posts, dates cycling over 28 days of April 2026) and the
    same rows as JSONL for the baseline."""
    rows = [
        {"id": f"p{i}", "title": "", "text": f"Người dân xã Tân Phú phản ánh đường ngập, mã {i}, mực nước {i % 89} cm",
         "url": None, "published": f"2026-04-{1 + i % 28:02d} 07:{i % 60:02d}", "site": f"tk{i % 40}"}
        for i in range(n)
    ]
    out = path.with_suffix(".csv")
    with out.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "message", "created_time", "author"])
        for r in rows:
            w.writerow([r["id"], r["text"], r["published"], r["site"]])
    return out, write_jsonl(rows, path.with_suffix(".jsonl"))


def baseline(path: Path, db: Path) -> dict:
    """Plain sqlite3 + FTS5: parse each line, insert the row, index title and text, 500 rows a commit."""
    start_cpu = time.process_time()
    start = time.perf_counter()
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(
        "CREATE TABLE items (id INTEGER PRIMARY KEY, key TEXT UNIQUE, title TEXT, text TEXT, url TEXT,"
        " published TEXT, site TEXT)"
    )
    conn.execute("CREATE VIRTUAL TABLE items_fts USING fts5(title, text, content='items', content_rowid='id')")
    batch: list[tuple] = []

    def flush() -> None:
        with conn:
            for row in batch:
                cur = conn.execute(
                    "INSERT OR IGNORE INTO items (key, title, text, url, published, site) VALUES (?,?,?,?,?,?)", row
                )
                if cur.rowcount:
                    conn.execute(
                        "INSERT INTO items_fts (rowid, title, text) VALUES (?,?,?)", (cur.lastrowid, row[1], row[2])
                    )
        batch.clear()

    with open(path, encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            batch.append((r["id"], r["title"], r["text"], r["url"], r["published"], r["site"]))
            if len(batch) == 500:
                flush()
    flush()
    conn.close()
    return {"wall_s": time.perf_counter() - start, "cpu_s": time.process_time() - start_cpu,
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def _rss_mb(pid: int, by_depth: list[float] | None = None) -> float | None:
    """Resident memory of a process and of its descendants (an import may assign stories in a second
    process while it stores: the machine holds both), in MB; None once it has exited. ``by_depth``, when
    given, receives the memory of each generation: the import's own process (the ingest), its children
    (the story process), their children (the story process's feature helper)."""
    total, todo, seen = 0.0, [(pid, 0)], False
    while todo:
        p, depth = todo.pop()
        try:
            with open(f"/proc/{p}/status", encoding="ascii") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        mb = int(line.split()[1]) / 1024
                        total += mb
                        seen = True
                        if by_depth is not None:
                            while len(by_depth) <= depth:
                                by_depth.append(0.0)
                            by_depth[depth] += mb
            with open(f"/proc/{p}/task/{p}/children", encoding="ascii") as fh:
                todo.extend((int(x), depth + 1) for x in fh.read().split())
        except (OSError, ValueError):
            continue
    return total if seen else None


def _own_cpu_s(pid: int) -> float | None:
    """CPU seconds (user + system) of the process itself, without its children; None once it has gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def _watch(pid: int, db: Path | None, every: float = 0.5, block: int = BLOCK) -> dict[str, list[float]]:
    """Sample the child's resident memory until it exits; with ``db`` (an SQLite file), also read how
    far it has got (documents stored, documents assigned to stories) and return the highest resident
    memory seen in each block of ``block`` items of each phase: ``{"ingest": [MB...], "stories": [...]}``
    (flat lists mean memory does not grow with the size of the import); memory is that of the process
    and its descendants together, and ``"tree_peak"`` the highest sum seen. ``"rate ingest"`` and
    ``"rate stories"``: the items per second of each whole block of each phase (documents stored, and
    assigned to stories), from the times their counts were seen to cross the block's bounds (flat
    lists mean the cost per item does not grow either). ``"stories, by process"``: per block of the
    story phase, each process's own peak (the ingest, the story process, its feature helper)."""
    out: dict[str, list[float]] = {"ingest": [], "stories": [], "tree_peak": [0.0], "main_cpu": [0.0],
                                   "stories, by process": []}
    conn = None
    base = {"ingest": None, "stories": None}
    crossed: dict[str, list[float]] = {"ingest": [], "stories": []}  # phase -> when its count reached k blocks
    while True:
        try:  # WNOWAIT: the caller's wait4 still collects the child and its resource usage
            if os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
                break
        except ChildProcessError:
            break
        gens: list[float] = []
        rss = _rss_mb(pid, gens)
        own = _own_cpu_s(pid)
        if own is not None:  # the import's own process (the ingest), sampled: its children are not in it
            out["main_cpu"][0] = max(out["main_cpu"][0], own)
        if rss is not None:
            out["tree_peak"][0] = max(out["tree_peak"][0], rss)
        if rss is not None and db is not None:
            try:
                if conn is None and db.exists():
                    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.2)
                if conn is not None:
                    counts = {
                        "ingest": conn.execute("SELECT max(id) FROM documents").fetchone()[0] or 0,
                        "stories": conn.execute("SELECT max(doc_id) FROM story_documents").fetchone()[0] or 0,
                    }
                    phase = "stories" if counts["stories"] and counts["stories"] > (base["stories"] or 0) else "ingest"
                    now = time.perf_counter()
                    for name in ("ingest", "stories"):
                        if base[name] is None:
                            base[name] = counts[name]  # a kept database (backfill): count from where it was
                        if counts[name] > base[name] and not crossed[name]:
                            crossed[name].append(now)  # the phase's first item (block 0 starts)
                        while crossed[name] and (counts[name] - base[name]) // block >= len(crossed[name]):
                            crossed[name].append(now)
                    k = max(0, counts[phase] - base[phase]) // block
                    series = out[phase]
                    while len(series) <= k:
                        series.append(0.0)
                    series[k] = max(series[k], rss)
                    if phase == "stories":  # each generation's own peak in the block (ingest, story process, helper)
                        gens += [0.0] * (3 - len(gens))
                        per = out["stories, by process"]
                        while len(per) <= k:
                            per.append([0.0, 0.0, 0.0])
                        per[k] = [max(a, b) for a, b in zip(per[k], gens[:3], strict=True)]
            except sqlite3.Error:
                pass  # tables not created yet, or the database busy for a moment
        time.sleep(every)
    if conn is not None:
        conn.close()
    for name, marks in crossed.items():
        out[f"rate {name}"] = [block / max(b - a, 1e-9) for a, b in zip(marks, marks[1:])]
    return out


def _child(cmd: list[str], what: str, db: Path | None = None) -> dict:
    """Run ``cmd`` as a child process: wall time, CPU time and peak RSS (from the kernel), its output,
    and the 1-minute load average before and after."""
    env = dict(os.environ, COLUMNS="120")
    load_before = os.getloadavg()[0]
    start = time.perf_counter()
    # The output goes to a file, not a pipe: a child that prints more than a pipe holds would block.
    with tempfile.TemporaryFile() as out_fh:
        child = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out_fh, stderr=subprocess.STDOUT)
        blocks = _watch(child.pid, db)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
        out_fh.seek(0)
        out = out_fh.read().decode("utf-8", "replace")
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{what} failed:\n{out[-3000:]}")
    return {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime, "peak_mb": usage.ru_maxrss / 1024,
            "output": out.strip().splitlines()[-2:], "load": (load_before, os.getloadavg()[0]), "blocks": blocks}


def run_import(path: Path, db: Path, kind: str = "article") -> dict:
    """`kiemchung --db DB import PATH --kind KIND` in a child process: wall, CPU and peak RSS."""
    cmd = [sys.executable, "-m", "kiemchung", "--db", str(db), "import", str(path), "--kind", kind]
    return _child(cmd, "kiemchung import", db)


def run_baseline(path: Path, db: Path) -> dict:
    """:func:`baseline` in a child process of its own (this script holds every row in memory)."""
    for f in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        f.unlink(missing_ok=True)  # a kept directory from an earlier run: start from nothing again
    out = _child([sys.executable, str(Path(__file__).resolve()), "--baseline-child", str(path), str(db)], "baseline")
    out.pop("output", None)
    return out


def story_figures(db: Path, top: int = 15) -> dict:
    conn = sqlite3.connect(db)
    n_st = conn.execute("SELECT count(*) FROM stories WHERE status != 'merged' AND doc_count > 0").fetchone()[0]
    single = conn.execute("SELECT count(*) FROM stories WHERE status != 'merged' AND doc_count = 1").fetchone()[0]
    largest = conn.execute(
        "SELECT doc_count, substr(first_seen, 1, 10), substr(last_seen, 1, 10), headline FROM stories"
        " WHERE status != 'merged' ORDER BY doc_count DESC LIMIT ?", (top,)
    ).fetchall()
    conn.close()
    return {"stories": n_st, "singletons": single, "largest": largest}


def report(label: str, n: int, run: dict, base: dict) -> None:
    print(f"{label}: {n:,} items")
    for name, r in (("kiemchung import", run), ("plain sqlite3 + FTS5", base)):
        print(f"  {name}: {r['wall_s']:.1f} s wall ({n / r['wall_s']:,.0f} items/s, "
              f"{n / max(r['cpu_s'], 1e-9):,.0f} items per CPU second), {r['cpu_s']:.1f} s CPU, "
              f"peak RSS {r['peak_mb']:.0f} MB; load average {r['load'][0]:.2f} before, {r['load'][1]:.2f} after")
    print(f"  ratio import / baseline: {run['wall_s'] / base['wall_s']:.1f}x wall, "
          f"{run['cpu_s'] / max(base['cpu_s'], 1e-9):.1f}x CPU, {run['peak_mb'] / max(base['peak_mb'], 1e-9):.1f}x peak RSS")
    blocks = dict(run.get("blocks", {}))
    tree = blocks.pop("tree_peak", [0.0])[0]
    main_cpu = blocks.pop("main_cpu", [0.0])[0]
    if main_cpu:
        print(f"  CPU of the import's own process (ingest, then waiting for the story process; sampled every"
              f" 0.5 s): {main_cpu:.1f} s; its child processes (stories, features): {run['cpu_s'] - main_cpu:.1f} s")
    if tree:
        print(f"  peak RSS of the import's processes together (sampled every 0.5 s): {tree:.0f} MB")
    rates = {k.removeprefix("rate "): blocks.pop(k) for k in list(blocks) if k.startswith("rate ")}
    per = blocks.pop("stories, by process", [])
    for phase, series in blocks.items():
        if series:
            print(f"  peak RSS per block of {BLOCK:,} items, {phase}: " + ", ".join(f"{x:.0f}" for x in series) + " MB")
    if per:
        for name, k in (("the ingest process", 0), ("the story process", 1), ("its feature helper", 2)):
            print(f"    of which {name} (its own peak in the block): " + ", ".join(f"{g[k]:.0f}" for g in per) + " MB")
    for phase, series in rates.items():
        if series:  # (sampled every 0.5 s: a block of a few seconds is read to about 10 %)
            print(f"  items/s per whole block of {BLOCK:,} items, {phase}: " + ", ".join(f"{x:,.0f}" for x in series))
    for line in run["output"]:
        print(f"  | {line}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--month", default=None, help="keep items published in this month (YYYY-MM)")
    ap.add_argument("--backfill", action="store_true", help="second half first, then the first half")
    ap.add_argument("--keep", type=Path, default=None, help="directory for the files (kept)")
    ap.add_argument("--top", type=int, default=15)
    ap.add_argument("--cycle-posts", type=int, default=0, help="N posts whose dates cycle over 28 days (CSV)")
    ap.add_argument("--with-month", default=None, help="first import this month (YYYY-MM) alone, then the selection")
    ap.add_argument("--baseline-child", nargs=2, type=Path, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.baseline_child:  # the baseline, in the child process run_baseline() starts
        json.dump(baseline(*args.baseline_child), sys.stdout)
        return

    tmp = args.keep or Path(tempfile.mkdtemp(prefix="kc-bench-import-"))
    tmp.mkdir(parents=True, exist_ok=True)
    if args.cycle_posts:
        export, same_rows = cycle_posts(args.cycle_posts, tmp / "cycle")
        print(f"posts: {args.cycle_posts:,}, dates cycling over 28 days; files in {tmp}")
        base = run_baseline(same_rows, tmp / "baseline.db")
        run = run_import(export, tmp / "kiemchung.db", kind="post")
        report("CSV import, dates cycling over 28 days", args.cycle_posts, run, base)
        figures = story_figures(tmp / "kiemchung.db", 3)
        print(f"stories (at least one document): {figures['stories']:,}, singletons {figures['singletons']:,}")
        return
    print(f"load average at the start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.with_month:
        month_rows = export_rows(args.limit, args.with_month)  # (--limit caps it too: a quick check)
        path = write_jsonl(month_rows, tmp / "month.jsonl")
        base = run_baseline(path, tmp / "baseline-month.db")
        for f in tmp.glob("kiemchung-month.db*"):
            f.unlink()
        run = run_import(path, tmp / "kiemchung-month.db")
        report(f"month {args.with_month} alone", len(month_rows), run, base)
        del month_rows
    rows = export_rows(args.limit, args.month)
    what = f"month {args.month}" if args.month else "RSS year"
    if args.limit and len(rows) >= args.limit:
        what = f"the first {len(rows):,} of the {what}"
    print(f"items: {len(rows):,} ({what}); files in {tmp}")
    if args.backfill:
        rows.sort(key=lambda r: r["published"] or "")
        half = len(rows) // 2
        parts = [("second half (live)", rows[half:]), ("first half (archive, after)", rows[:half])]
    else:
        parts = [("import", rows)]
    db = tmp / "kiemchung.db"
    for f in tmp.glob("kiemchung.db*"):
        f.unlink()  # a kept directory from an earlier run: import into a new database
    for k, (label, part) in enumerate(parts):
        path = write_jsonl(part, tmp / f"part{k}.jsonl")
        base = run_baseline(path, tmp / f"baseline{k}.db")
        run = run_import(path, db)
        report(label, len(part), run, base)
    figures = story_figures(db, args.top)
    print(f"stories (at least one document): {figures['stories']:,}, singletons {figures['singletons']:,}")
    print("largest stories (documents, first, last, headline):")
    for n, first, last, headline in figures["largest"]:
        print(f"  {n:5d}  {first} .. {last}  {headline[:90]}")


if __name__ == "__main__":
    main()
