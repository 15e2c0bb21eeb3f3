"""Processes left behind by a test: found by a marker in their environment, which every process a test
starts inherits from it (children and grandchildren alike), whoever their parent is now."""

from __future__ import annotations

import os
import signal
import time
import uuid
from pathlib import Path


def marked_env(**extra: str) -> tuple[str, dict[str, str]]:
    """A fresh marker and an environment holding it (``KIEMCHUNG_TEST_MARK``), for a process to start."""
    marker = uuid.uuid4().hex
    return marker, {**os.environ, **extra, "KIEMCHUNG_TEST_MARK": marker}


def _marked(marker: str) -> list[int]:
    needle = f"KIEMCHUNG_TEST_MARK={marker}".encode()
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit() and int(proc.name) != os.getpid():
            try:
                if needle in (proc / "environ").read_bytes().split(b"\0"):
                    found.append(int(proc.name))
            except OSError:  # gone meanwhile, or not ours to read
                pass
    return found


def survivors(marker: str, wait: float = 20.0) -> list[str]:
    """The processes still alive ``wait`` seconds at most after the test's own ended (``"pid ppid
    command"`` each; empty when all have ended), then killed so that a failing test leaves none."""
    deadline = time.monotonic() + wait
    while (pids := _marked(marker)) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = []
    for pid in pids:
        try:
            ppid = Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1].split()[1]
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            left.append(f"{pid} ppid={ppid} {cmd.strip()}")
            os.kill(pid, signal.SIGKILL)
        except (OSError, IndexError):  # ended meanwhile
            pass
    return left
