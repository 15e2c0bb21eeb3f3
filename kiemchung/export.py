"""Writing documents out of the store: CSV that a spreadsheet opens safely.

A cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return, which some spreadsheet
programs skip before reading a formula) is run as a formula when the file is opened in Excel or
LibreOffice: a document titled ``=HYPERLINK("http://x","y")`` would become a live link, and worse
formulas can reach other files. Every CSV that kiemchung writes goes through :func:`write_csv`, which
prefixes such cells with an apostrophe (the usual neutralisation: the cell is shown as text, unchanged).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
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


__all__ = ["FORMULA_STARTS", "csv_cell", "write_csv"]
