"""atheris harness: the search-query parser, compiler and ``search`` on a small real database."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["kiemchung.store.search", "kiemchung.text"]):
    from kiemchung.store.search import compile_query, parse_query, search

from _common import ALLOWED

from kiemchung.errors import QueryError
from kiemchung.ingest import Ingestor
from kiemchung.models import Document
from kiemchung.store import Database

_DB: Database | None = None


def database() -> Database:
    """A small real database with a few invented Vietnamese documents (built once)."""
    global _DB
    if _DB is None:
        _DB = Database(Path(tempfile.mkdtemp(prefix="kc-fuzz-q-")) / "q.sqlite")
        texts = ["Lũ quét ở Lam Giang", "Giá xăng tăng mạnh", "Tin đồn sai về vắc-xin", "Cầu Bến Lức sập?"]
        Ingestor(_DB).add(
            Document(kind="article", title=t, body=t + " — nội dung thử nghiệm.", url=f"https://a.example.vn/{i}")
            for i, t in enumerate(texts)
        )
    return _DB


def test_one(data: bytes) -> None:
    """Parse, compile and run one fuzzed query; only QueryError (or kiemchung errors) may escape."""
    query = atheris.FuzzedDataProvider(data).ConsumeUnicodeNoSurrogates(200)
    try:
        parse_query(query)
        compile_query(query)
        compile_query(query, accented=False)
        search(database(), query, limit=5)
    except QueryError:
        return
    except ALLOWED:
        return


if __name__ == "__main__":
    atheris.Setup(sys.argv, test_one)
    atheris.Fuzz()
