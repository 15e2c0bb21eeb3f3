"""atheris harness: ``kiemchung.sources.imports.iter_import`` over a temp file of fuzzed bytes."""

from __future__ import annotations

import os
import sys
import tempfile

import atheris

with atheris.instrument_imports(include=["kiemchung"]):
    from kiemchung.sources.imports import iter_import

from _common import ALLOWED

SUFFIXES = [".csv", ".jsonl", ".json", ".tsv", ".csv.gz"]
TMP = tempfile.mkdtemp(prefix="kc-fuzz-import-")


def test_one(data: bytes) -> None:
    """Read every row of one fuzzed import file; only kiemchung errors may escape."""
    if not data:
        return
    path = os.path.join(TMP, "input" + SUFFIXES[data[0] % len(SUFFIXES)])
    with open(path, "wb") as fh:
        fh.write(data[1:])
    try:
        for row in iter_import(path):
            assert row.line >= 0
    except ALLOWED:
        return
    finally:
        os.unlink(path)


if __name__ == "__main__":
    atheris.Setup(sys.argv, test_one)
    atheris.Fuzz()
