"""Writing documents out of the store: CSV that a spreadsheet opens safely.

A cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return, which some spreadsheet
programs skip before reading a formula) is run as a formula when the file is opened in Excel or
LibreOffice: a document titled ``=HYPERLINK("http://x","y")`` would become a live link, and worse
formulas can reach other files. Every CSV that kiemchung writes goes through :func:`write_csv`, which
prefixes such cells with an apostrophe (the usual neutralisation: the cell is shown as text, unchanged).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from typing import Any, TextIO

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """``value`` made safe for a spreadsheet: text starting like a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_csv(out: TextIO, rows: Iterable[dict[str, Any]], *, fieldnames: list[str] | None = None) -> int:
    """Write ``rows`` (dicts with the same keys) as CSV with a header, every cell through
    :func:`csv_cell`; returns how many rows were written. With no rows, the header is ``fieldnames``
    (when given) or nothing."""
    writer: csv.DictWriter | None = None
    n = 0
    for row in rows:
        if writer is None:
            writer = csv.DictWriter(out, fieldnames=fieldnames or list(row))
            writer.writeheader()
        writer.writerow({k: csv_cell(v) for k, v in row.items()})
        n += 1
    if writer is None and fieldnames:
        csv.DictWriter(out, fieldnames=fieldnames).writeheader()
    return n


# Columns of a search export (web, API and CLI alike).
SEARCH_EXPORT_FIELDS = ["id", "published_at", "source", "kind", "title", "url", "snippet", "source_id", "language", "author"]
# Rows gathered before a chunk of a streamed export is handed on.
STREAM_CHUNK_ROWS = 200


def search_export_row(hit) -> dict[str, Any]:
    """One search hit (:class:`kiemchung.store.search.Hit`) as an export row. ``author`` is the stored
    author key: a salted hash while ``hash_authors`` is on (the store never holds the handle then)."""
    d = hit.document
    return {
        "id": d.id,
        "published_at": d.published_at.isoformat() if d.published_at else "",
        "source": d.source_name or "",
        "kind": d.kind,
        "title": d.title,
        "url": d.url or "",
        "snippet": "".join(s for s, _ in hit.snippet),
        "source_id": d.source_id if d.source_id is not None else "",
        "language": d.language or "",
        "author": d.author or "",
    }


def stream_csv(rows: Iterable[dict[str, Any]], fieldnames: list[str]) -> Iterator[str]:
    """``rows`` as CSV text in chunks (header first, cells through :func:`csv_cell`): for streamed
    downloads that never hold the whole file."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=fieldnames)
    writer.writeheader()
    n = 0
    for row in rows:
        writer.writerow({k: csv_cell(v) for k, v in row.items()})
        n += 1
        if n % STREAM_CHUNK_ROWS == 0:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()


def stream_jsonl(rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    """``rows`` as JSON Lines text in chunks."""
    chunk: list[str] = []
    for row in rows:
        chunk.append(json.dumps(row, ensure_ascii=False) + "\n")
        if len(chunk) >= STREAM_CHUNK_ROWS:
            yield "".join(chunk)
            chunk.clear()
    if chunk:
        yield "".join(chunk)


__all__ = [
    "FORMULA_STARTS",
    "SEARCH_EXPORT_FIELDS",
    "csv_cell",
    "search_export_row",
    "stream_csv",
    "stream_jsonl",
    "write_csv",
]
