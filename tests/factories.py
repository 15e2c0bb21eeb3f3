"""Small builders for test data (invented Vietnamese text)."""

from __future__ import annotations

import datetime as dt

from kiemchung.models import Document

VN = dt.timezone(dt.timedelta(hours=7))


def make_doc(title: str, lead: str = "", *, url: str | None = None, day: int = 1, kind: str = "article", **kw) -> Document:
    """A document published at noon (Vietnam time) on the given day of March 2026."""
    return Document(
        url=url,
        title=title,
        lead=lead,
        kind=kind,
        published_at=dt.datetime(2026, 3, day, 12, 0, tzinfo=VN),
        **kw,
    )
