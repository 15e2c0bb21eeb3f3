"""What every browser test shares: Debian's chromium (never a Playwright download), its flags, where
screenshots go, and a free loopback port for the server under test."""

from __future__ import annotations

import os
import socket
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


def watch_csp(page) -> list[str]:
    """Record every Content-Security-Policy violation the browser reports on ``page`` (console
    messages "Refused to ... Content Security Policy", across navigations); returns the live list."""
    seen: list[str] = []

    def on_console(msg) -> None:
        if "Content Security Policy" in msg.text or "Content-Security-Policy" in msg.text:
            seen.append(msg.text)

    page.on("console", on_console)
    return seen
