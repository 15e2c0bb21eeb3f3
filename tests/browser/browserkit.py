"""What every browser test shares: Debian's chromium (never a Playwright download), its flags, where
screenshots go, and a free loopback port for the server under test."""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parents[2] / "bench-out" / "screenshots"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def require_chromium():
    """Skip the calling test module when Debian's chromium is absent; return ``playwright.sync_api``."""
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian chromium (/usr/bin/chromium) is not installed", allow_module_level=True)
    return pytest.importorskip("playwright.sync_api")


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_serving(proc: subprocess.Popen, base: str, *, log: Callable[[], str] = lambda: "",
                       timeout_s: float = 180.0) -> None:
    """Wait until ``base + "/healthz"`` answers 200, or fail the test with the server's output.

    A deadline, not a count of tries: on a loaded CI machine a ``serve`` start-up (imports, warming the
    near-duplicate and tip indexes) can take far longer than a few seconds, and a test that goes on
    before the server listens fails with a misleading "connection refused"."""
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if proc.poll() is not None:
            pytest.fail(f"the server exited with {proc.returncode} before answering: {log()[-3000:]}")
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as r:
                if r.status == 200:
                    return
        except (OSError, urllib.error.URLError):
            pass
        time.sleep(0.2)
    proc.kill()
    pytest.fail(f"the server at {base} did not answer within {timeout_s:.0f} s: {log()[-3000:]}")


def watch_csp(page) -> list[str]:
    """Record every Content-Security-Policy violation the browser reports on ``page`` (console
    messages "Refused to ... Content Security Policy", across navigations); returns the live list."""
    seen: list[str] = []

    def on_console(msg) -> None:
        if "Content Security Policy" in msg.text or "Content-Security-Policy" in msg.text:
            seen.append(msg.text)

    page.on("console", on_console)
    return seen
