"""Run a command (a ``kiemchung import``) and report the CPU time and peak memory of each of its processes.

    flock /work/bench.lock python benchmarks/import_processes.py kiemchung --db X.db import FILE --kind article

Polls ``/proc`` every 0.1 s (Linux only) and prints one JSON line: the wall time, and the CPU seconds
(user + system) and peak RSS (VmHWM, MB) summed by depth in the process tree: 0 the import's own
process (ingest), 1 the story process (kiemchung.pipeline.Follower), 2 its feature helper; the
multiprocessing resource tracker is counted apart (9). A process's last 0.1 s before it ends may be
missed. Used for the story process's CPU in docs/stories.md ("Session 12 (`ingest`)").
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

TCK = os.sysconf("SC_CLK_TCK")
TRACKER = 9


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as fh:
                out += [int(x) for x in fh.read().split()]
    except OSError:
        pass
    return out


def _cpu(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TCK
    except OSError:
        return None


def _peak_mb(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) // 1024
    except OSError:
        pass
    return None


def _is_tracker(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return b"resource_tracker" in fh.read()
    except OSError:
        return False


def main() -> None:
    t0 = time.time()
    proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
    depth = {proc.pid: 0}
    cpu: dict[int, float] = {}
    peak: dict[int, int] = {}
    while proc.poll() is None:
        todo = [proc.pid]
        while todo:
            pid = todo.pop()
            c, m = _cpu(pid), _peak_mb(pid)
            if c is not None:
                cpu[pid] = c
            if m is not None:
                peak[pid] = max(peak.get(pid, 0), m)
            for kid in _children(pid):
                if kid not in depth:
                    depth[kid] = TRACKER if _is_tracker(kid) else depth[pid] + 1
                todo.append(kid)
        time.sleep(0.1)
    cpu_by: dict[int, float] = {}
    peak_by: dict[int, int] = {}
    for pid, c in cpu.items():
        cpu_by[depth[pid]] = cpu_by.get(depth[pid], 0.0) + c
    for pid, m in peak.items():
        peak_by[depth[pid]] = max(peak_by.get(depth[pid], 0), m)
    print(json.dumps({
        "wall": round(time.time() - t0, 2), "rc": proc.returncode,
        "cpu_by_depth": {k: round(v, 2) for k, v in sorted(cpu_by.items())},
        "peak_mb_by_depth": dict(sorted(peak_by.items())),
    }))


if __name__ == "__main__":
    main()
