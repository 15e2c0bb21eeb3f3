"""Small builders for test data (invented Vietnamese text)."""

from __future__ import annotations

import datetime as dt

from kiemchung.models import Document

VN = dt.timezone(dt.timedelta(hours=7))


def make_doc(title: str, lead: str = "", *, url: str | None = None, day: int = 1, kind: str = "article", **kw) -> Document:
    """A document published at noon (Vietnam time) on the given day of March 2026 (or at ``published_at``)."""
    kw.setdefault("published_at", dt.datetime(2026, 3, day, 12, 0, tzinfo=VN))
    return Document(url=url, title=title, lead=lead, kind=kind, **kw)


def run_cli_in_process(path, *args: str) -> int:
    """Run ``kiemchung --db PATH ARGS...`` in this process; returns its exit code (output goes to capsys)."""
    from kiemchung.cli import main

    try:
        main(["--db", str(path), *args])
    except SystemExit as exc:
        return exc.code
    return 0


def target_of(db) -> str:
    """What a ``kiemchung --db`` command (or another ``Database``) is given to open ``db`` again: the
    SQLite file path, or the server URL."""
    return str(db.path) if db.path is not None else db.url


def minhash_of(sig, *, num_perm: int = 64, seed: int = 1):
    """A kiemchung.dedupe signature as datasketch's MinHash (what ``datasketch.MinHashLSH`` takes): the
    reference the dedupe LSH bands are tested against."""
    from datasketch import MinHash

    from kiemchung.dedupe import _permutations

    return MinHash(hashvalues=sig, permutations=_permutations(num_perm, seed), scheme="affine32")
