"""Links kiemchung stores or shows: only absolute http(s) URLs, and JSON-LD safe to embed in HTML.

Every place a URL is written (document and feed-item links, fact-check URL, appearances, evidence,
ClaimReview import, organisation and site settings) checks it with :func:`http_url` or
:func:`check_http_url`, and every place one is rendered (the web pages' ``href``, ClaimReview JSON-LD,
the fact-check feeds) checks it again, so a ``javascript:``, ``data:`` or ``vbscript:`` link that got
in some other way (an old database, a hand-edited row) is shown as text, never followed.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

from kiemchung.errors import ConfigError

MAX_URL_CHARS = 2000
# Controls and whitespace: browsers strip some of them ("java\tscript:"), so none is allowed.
_BAD_CHARS = re.compile(r"[\x00-\x20\x7f-\x9f\\]")


def http_url(value: Any) -> str | None:
    """``value`` stripped when it is an absolute http(s) URL with a host, else None."""
    if not isinstance(value, str):
        return None
    url = value.strip()
    if not url or len(url) > MAX_URL_CHARS or _BAD_CHARS.search(url):
        return None
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises ValueError on a bad port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url


def check_http_url(value: Any, what: str = "URL") -> str:
    """``value`` as :func:`http_url` accepts it; a :class:`ConfigError` naming ``what`` otherwise."""
    url = http_url(value)
    if url is None:
        raise ConfigError(
            f"{what} không hợp lệ: cần địa chỉ http:// hoặc https:// (must be an http/https URL): {value!r}")
    return url


def jsonld_text(obj: Any, *, indent: int | None = None) -> str:
    """JSON for a ``<script type="application/ld+json">`` block: ``<``, ``>``, ``&`` and the two
    JavaScript line separators are written as ``\\uXXXX`` escapes, so no value can close the script
    element (``</script>``) or open an HTML comment (``<!--``); the JSON means the same."""
    text = json.dumps(obj, ensure_ascii=False, indent=indent)
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"),
                    ("\u2029", "\\u2029")):
        text = text.replace(ch, esc)
    return text


def neutralise_stored_links(conn) -> int:
    """Drop every stored link that is not http(s) (``javascript:``, ``data:``… kept by versions before
    links were checked on the way in): a document's URL and a fact-check's URL and first appearance
    become empty, such appearances and evidence items are removed. Returns how many rows changed.

    Runs inside the caller's write transaction (migration 0016); the same check still runs wherever a
    link is rendered, so a row written by hand later is shown as text, never followed."""
    import sqlalchemy as sa

    changed = 0
    docs = sa.table("documents", sa.column("id", sa.Integer), sa.column("url", sa.Text))
    bad = [row.id for row in conn.execute(sa.select(docs.c.id, docs.c.url).where(docs.c.url.is_not(None)))
           if http_url(row.url) is None]
    for start in range(0, len(bad), 500):
        conn.execute(sa.update(docs).where(docs.c.id.in_(bad[start:start + 500])).values(url=None))
    changed += len(bad)
    fcs = sa.table("factchecks", sa.column("id", sa.Integer), sa.column("url", sa.Text),
                   sa.column("first_appearance", sa.Text), sa.column("appearances", sa.JSON),
                   sa.column("evidence", sa.JSON))
    for row in conn.execute(sa.select(fcs)).all():
        values: dict[str, Any] = {}
        for col in ("url", "first_appearance"):
            if getattr(row, col) is not None and http_url(getattr(row, col)) is None:
                values[col] = None
        apps = [u for u in (row.appearances or []) if http_url(u)]
        if apps != list(row.appearances or []):
            values["appearances"] = apps
        evidence = [e for e in (row.evidence or [])
                    if not (isinstance(e, dict) and e.get("url") is not None and http_url(e["url"]) is None)]
        if evidence != list(row.evidence or []):
            values["evidence"] = evidence
        if values:
            conn.execute(sa.update(fcs).where(fcs.c.id == row.id).values(**values))
            changed += 1
    return changed


__all__ = ["MAX_URL_CHARS", "check_http_url", "http_url", "jsonld_text", "neutralise_stored_links"]
