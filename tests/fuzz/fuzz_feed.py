"""atheris harness: ``kiemchung.sources.feeds.parse_feed`` on arbitrary bytes and headers."""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports(include=["kiemchung"]):
    from kiemchung.sources.feeds import parse_feed

from _common import ALLOWED

CTYPES = ["application/rss+xml; charset=utf-8", "text/xml; charset=iso-8859-1", "text/html", "", "text/plain; charset=windows-1258"]


def test_one(data: bytes) -> None:
    """Parse one fuzzed payload; only kiemchung errors may escape."""
    if not data:
        return
    ctype = CTYPES[data[0] % len(CTYPES)]
    try:
        docs = parse_feed(data[1:], url="https://nguon.example.vn/rss", headers={"Content-Type": ctype})
    except ALLOWED:
        return
    for doc in docs:
        assert isinstance(doc.title, str) and isinstance(doc.body, str)


if __name__ == "__main__":
    atheris.Setup(sys.argv, test_one)
    atheris.Fuzz()
