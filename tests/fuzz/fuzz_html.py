"""atheris harness: ``kiemchung.sources.web.extract_page`` on arbitrary bytes and headers."""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports(include=["kiemchung"]):
    from kiemchung.sources.web import extract_page

from _common import ALLOWED

CTYPES = ["text/html; charset=utf-8", "text/html", "text/html; charset=windows-1258", "application/xhtml+xml", ""]


def test_one(data: bytes) -> None:
    """Extract one fuzzed page; only kiemchung errors may escape."""
    if not data:
        return
    ctype = CTYPES[data[0] % len(CTYPES)]
    try:
        doc = extract_page(data[1:], url="https://nguon.example.vn/bai.html", headers={"Content-Type": ctype})
    except ALLOWED:
        return
    assert isinstance(doc.body, str)


if __name__ == "__main__":
    atheris.Setup(sys.argv, test_one)
    atheris.Fuzz()
