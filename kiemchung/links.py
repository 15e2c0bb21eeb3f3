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


__all__ = ["MAX_URL_CHARS", "check_http_url", "http_url", "jsonld_text"]
