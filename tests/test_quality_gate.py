"""The quality gate: the eval commands on ../shared/data must not fall below the floors in quality/floors.json.

Unit tests pass when code runs; this fails when clustering or matching gets *worse*. It runs the same
``kiemchung eval ... --json`` commands a person runs (lexical matching only: embedding the 20,000-entry
knowledge base with the semantic extra takes far longer than CI allows). Skipped where the shared
evaluation data is absent (a fresh clone outside the workplace).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
FLOORS = json.loads((ROOT / "quality" / "floors.json").read_text(encoding="utf-8"))
TASKS = [name for name in FLOORS if isinstance(FLOORS[name], dict) and "floors" in FLOORS[name]]


def _argv(task: str) -> list[str]:
    out = []
    for arg in FLOORS[task]["command"]:
        out.append(str(DATA / arg) if arg.endswith((".jsonl", ".jsonl.gz")) else arg)
    return out


@pytest.mark.parametrize("task", TASKS)
def test_figures_stay_above_their_floors(task):
    argv = _argv(task)
    missing = [a for a in argv if a.endswith((".jsonl", ".jsonl.gz")) and not Path(a).exists()]
    if missing:
        pytest.skip(f"evaluation data not here: {missing[0]}")
    proc = subprocess.run(
        [sys.executable, "-m", "kiemchung.cli", *argv, "--json"],
        capture_output=True, text=True, timeout=1200, cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    figures = json.loads(proc.stdout)
    print(task, json.dumps(figures, ensure_ascii=False))
    tol = FLOORS["tolerance"]
    below = {
        key: (figures.get(key), floor)
        for key, floor in FLOORS[task]["floors"].items()
        if figures.get(key) is None or figures[key] < floor - tol
    }
    assert not below, f"{task}: below the floor (figure, floor): {below}"
    above = {
        key: (figures.get(key), ceiling)
        for key, ceiling in FLOORS[task].get("ceilings", {}).items()
        if figures.get(key) is None or figures[key] > ceiling + tol
    }
    assert not above, f"{task}: above the ceiling (figure, ceiling): {above}"


def test_floors_file_is_well_formed():
    assert 0 <= FLOORS["tolerance"] < 0.05
    for task in TASKS:
        assert FLOORS[task]["command"][0] == "eval"
        assert all(0.0 < v <= 1.0 for v in FLOORS[task]["floors"].values())
        assert all(v > 0.0 for v in FLOORS[task].get("ceilings", {}).values())
