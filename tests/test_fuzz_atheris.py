"""Coverage-guided fuzzing (atheris) of the feed parser, HTML extractor, import reader and query parser.

Each harness in ``tests/fuzz/`` runs in a subprocess for a bounded time on a temporary copy of its seed
corpus; a harness fails when anything other than kiemchung's own exceptions escapes (libFuzzer then
exits non-zero and writes the crashing input). Saved crashing inputs in ``tests/fuzz/regressions/``
(named ``<harness>-*``) are replayed every run. ``KC_FUZZ_SECONDS`` sets the time per harness.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

atheris = pytest.importorskip("atheris")

FUZZ = Path(__file__).parent / "fuzz"
HARNESSES = ["feed", "html", "import", "query"]
SECONDS = int(os.environ.get("KC_FUZZ_SECONDS", "12"))


def _cmd(name: str, *args: str) -> list[str]:
    return [sys.executable, str(FUZZ / f"fuzz_{name}.py"), *args]


def test_harnesses_run_bounded_without_crashes(tmp_path):
    procs = {}
    for name in HARNESSES:
        corpus = tmp_path / name
        shutil.copytree(FUZZ / "seeds" / name, corpus)
        art = tmp_path / f"crash-{name}-"
        log = open(tmp_path / f"{name}.log", "wb")  # noqa: SIM115 - closed below
        procs[name] = (
            subprocess.Popen(
                _cmd(name, f"-max_total_time={SECONDS}", "-rss_limit_mb=2048", "-timeout=20", f"-artifact_prefix={art}", str(corpus)),
                cwd=FUZZ,
                stdout=log,
                stderr=subprocess.STDOUT,
            ),
            log,
        )
    runs = {}
    failures = []
    for name, (proc, log) in procs.items():
        rc = proc.wait(timeout=SECONDS * 10 + 120)
        log.close()
        text = (tmp_path / f"{name}.log").read_text(errors="replace")
        m = re.search(r"Done (\d+) runs", text)
        runs[name] = int(m.group(1)) if m else 0
        if rc != 0:
            failures.append(f"{name}: rc={rc}\n{text[-3000:]}")
    print("atheris inputs tried per harness:", runs)
    assert not failures, "\n\n".join(failures)
    assert all(n > 100 for n in runs.values()), runs


@pytest.mark.parametrize("name", HARNESSES)
def test_saved_regressions_replay(name):
    cases = sorted(str(p) for p in (FUZZ / "regressions").glob(f"{name}-*"))
    if not cases:
        pytest.skip(f"no saved regression inputs for {name}")
    proc = subprocess.run(_cmd(name, *cases), cwd=FUZZ, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
