"""Start-up time of the ``kiemchung`` command, as a user runs it (the installed console script).

Times, as subprocesses, ``kiemchung --help``, ``kiemchung --db X stats`` and ``kiemchung --db X search x``
(X: an empty database made by the same command before timing, so the migrations are not counted), several runs each,
and prints the median next to two baselines measured in the same run: ``python -c pass`` (the
interpreter alone) and ``python -c "import sqlalchemy"`` (the store's one unavoidable dependency).

    flock /work/bench.lock python benchmarks/bench_startup.py            # 7 runs each
    flock /work/bench.lock python benchmarks/bench_startup.py --runs 15 --json
    flock /work/bench.lock python benchmarks/bench_startup.py --before /path/to/old/kiemchung

The script looks for ``kiemchung`` beside the running interpreter (``.venv/bin/kiemchung``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def script() -> str:
    """The installed console script next to this interpreter."""
    path = Path(sys.executable).parent / "kiemchung"
    if not path.exists():
        raise SystemExit(f"no kiemchung script beside {sys.executable}: pip install -e . first")
    return str(path)


def timed(cases: dict[str, list[str]], runs: int, env: dict) -> dict[str, tuple[float, list[float]]]:
    """Median wall time of each command over ``runs`` runs, after one warm-up run each.

    Runs are interleaved (one of each case per round) so that a change in the machine's load during
    the measurement touches every case alike.
    """
    times: dict[str, list[float]] = {name: [] for name in cases}
    for cmd in cases.values():
        subprocess.run(cmd, capture_output=True, env=env, check=False)  # warm the OS file cache
    for _ in range(runs):
        for name, cmd in cases.items():
            t0 = time.perf_counter()
            done = subprocess.run(cmd, capture_output=True, env=env, check=False)
            times[name].append(time.perf_counter() - t0)
            if done.returncode != 0:
                raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stderr.decode()[-2000:]}")
    return {name: (statistics.median(t), t) for name, t in times.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    ap.add_argument("--kiemchung", help="the command to time (default: the kiemchung script beside python)")
    ap.add_argument("--before", help="another kiemchung command (e.g. an older version) timed alongside")
    args = ap.parse_args()
    kc = args.kiemchung or script()
    # As a user runs it: with bytecode caches. Python reads any non-empty PYTHONDONTWRITEBYTECODE
    # (even "0") as "do not write them", so the variable is removed, not set to 0.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.pop("KIEMCHUNG_DB", None)
    with tempfile.TemporaryDirectory() as tmp:
        cases = {
            "python -c pass": [sys.executable, "-c", "pass"],
            'python -c "import sqlalchemy"': [sys.executable, "-c", "import sqlalchemy"],
        }
        for i, (label, cmd) in enumerate([("", kc), ("before: ", args.before)]):
            if cmd:
                db = str(Path(tmp) / f"kc{i}.db")  # made by the command itself (its own migrations)
                subprocess.run([cmd, "--db", db, "init"], capture_output=True, env=env, check=True)
                cases[f"{label}kiemchung --help"] = [cmd, "--help"]
                cases[f"{label}kiemchung --db X stats"] = [cmd, "--db", db, "stats"]
                cases[f"{label}kiemchung --db X search x"] = [cmd, "--db", db, "search", "x"]
        figures = timed(cases, args.runs, env)
    base = figures["python -c pass"][0]
    if args.json:
        print(json.dumps({k: {"median_s": round(m, 4), "runs_s": [round(x, 4) for x in r]}
                          for k, (m, r) in figures.items()}, indent=2))
        return
    print(f"median of {args.runs} runs (machine shared with other jobs; compare within one run)")
    for name, (median, runs) in figures.items():
        print(f"  {name:40s} {median:6.3f} s   {median / base:5.1f}x python   "
              f"(min {min(runs):.3f}, max {max(runs):.3f})")


if __name__ == "__main__":
    main()
