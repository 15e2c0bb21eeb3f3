"""RSS/Atom feeds to :class:`kiemchung.models.Document` objects, and feed discovery in HTML pages.

Feeds from Vietnamese sites are often sloppy: wrong or missing charset declarations, windows-1258 or
VNI-encoded text, HTML in summaries, broken XML, duplicate items, items without links. This module
decodes the bytes itself (see :func:`kiemchung.sources.http.decode_body`) before handing clean UTF-8 to
feedparser, keeps whatever feedparser could recover, and refuses (``ParseError``, reason
``"not_a_feed"``) only when nothing usable is there.
"""

from __future__ import annotations

import datetime as dt
import heapq
import html as html_lib
import json
import re
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin

import feedparser
import lxml.html
from lxml import etree

from kiemchung.errors import ParseError
from kiemchung.models import Document
from kiemchung.sources.http import charset_from_content_type, declared_charset, decode_body
from kiemchung.text import normalize, repair_mojibake

__all__ = ["discover_feeds", "html_to_text", "parse_feed"]

FEED_TYPES = (
    "application/rss+xml",
    "application/atom+xml",
    "application/rdf+xml",
    "application/feed+json",
    "application/json",
    "application/xml",
    "text/xml",
)
_MAX_FIELD_CHARS = 1_000_000  # a single summary/content larger than this is cut before HTML parsing
_BLOCK_TAGS = frozenset(
    [
        "p",
        "div",
        "br",
        "li",
        "ul",
        "ol",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "pre",
        "table",
        "tr",
        "section",
        "article",
        "header",
        "footer",
        "figure",
        "figcaption",
        "dd",
        "dt",
        "hr",
    ]
)
_DROP_TAGS = frozenset({"script", "style", "noscript", "template", "iframe", "object", "svg"})
_XML_DECL_ENCODING = re.compile(r"""^(\s*<\?xml[^>]*?encoding\s*=\s*)(["'])[^"']*\2""")
_ITEM_SPAN = re.compile(rb"<((?:[A-Za-z_][\w.-]*:)?(?:item|entry))\b[^>]*>.*?</\1\s*>", re.S)
_ITEM_DATE = re.compile(
    rb"<(?:[\w.-]+:)?(pubDate|published|updated|date|issued|modified)\b[^>]*>\s*([^<]{4,80}?)\s*</", re.I
)
_HTML_START = re.compile(r"^\s*(?:<!--.*?-->\s*)*(?:<!doctype\s+html|<html\b|<head\b|<body\b)", re.I | re.S)


# --------------------------------------------------------------------------------------------------
# HTML fragments to plain text
# --------------------------------------------------------------------------------------------------


_XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def html_to_text(fragment: str) -> str:
    """Plain text of an HTML fragment: tags and scripts dropped, entities decoded, paragraphs kept.

    Paragraphs are separated by a blank line, white space inside them collapsed (via
    :func:`kiemchung.text.normalize`).
    """
    if not fragment:
        return ""
    fragment = fragment[:_MAX_FIELD_CHARS]
    if "<" not in fragment:
        return _paragraphs(html_lib.unescape(fragment))
    # lxml parses C0 control characters but refuses to set them back as text/tail (ValueError).
    fragment = _XML_UNSAFE.sub(" ", fragment)
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (etree.ParserError, ValueError):
        return _paragraphs(html_lib.unescape(re.sub(r"<[^>]*>", " ", fragment)))
    for el in list(root.iter()):
        if not isinstance(el.tag, str):  # comments, processing instructions
            continue
        tag = el.tag.lower()
        if tag in _DROP_TAGS:
            el.drop_tree()
        elif tag == "br":
            el.tail = "\n" + (el.tail or "")
        elif tag in _BLOCK_TAGS:
            el.tail = "\n\n" + (el.tail or "")
            if el.text is not None or len(el):
                el.text = "\n\n" + (el.text or "")
    return _paragraphs(root.text_content())


def _paragraphs(text: str) -> str:
    parts = (normalize(p) for p in re.split(r"\n\s*\n|\n", text))
    return "\n\n".join(p for p in parts if p)


# --------------------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------------------


def _not_a_feed(url: str, detail: str, content: bytes | None = None) -> ParseError:
    err = ParseError(
        f"Nội dung tải từ {url} không phải nguồn tin RSS/Atom: {detail} (not_a_feed)",
        soft=False,
        reason="not_a_feed",
    )
    err.feeds = discover_feeds(content, url) if content else []  # type: ignore[attr-defined]
    return err


def _item_time(span: bytes) -> float:
    """Publication time (epoch seconds) found in one raw item, or -inf when none parses."""
    match = _ITEM_DATE.search(span)
    if not match:
        return float("-inf")
    value = match.group(2).decode("ascii", "ignore").strip()
    try:
        when = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return float("-inf")
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.timestamp()


def _cap_entries(data: bytes, max_entries: int) -> bytes:
    """Keep only the ``max_entries`` newest items of an oversized feed, before feedparser sees it.

    feedparser costs ~150 µs per item, so a 100,000-item feed would take many seconds; a single
    linear regex pass over the raw bytes picks the newest items (by their date element; document
    order when dates are missing) and rebuilds a smaller document around them.
    """
    if (
        data.count(b"<item") + data.count(b"<entry") + data.count(b":item") + data.count(b":entry")
        <= max_entries
    ):
        return data
    spans = [(m.start(), m.end()) for m in _ITEM_SPAN.finditer(data)]
    if len(spans) <= max_entries:
        return data
    scored = ((_item_time(data[a:b]), -i) for i, (a, b) in enumerate(spans))
    keep = sorted(-neg_i for _, neg_i in heapq.nlargest(max_entries, scored))
    head, tail = data[: spans[0][0]], data[spans[-1][1] :]
    return head + b"".join(data[spans[i][0] : spans[i][1]] for i in keep) + tail


def _published(entry: dict) -> dt.datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if value:
            try:
                return dt.datetime(*value[:6], tzinfo=dt.UTC)
            except (TypeError, ValueError):
                continue
    return None


def _clean_line(text: str) -> tuple[str, str | None]:
    """Title-like field: repaired mojibake, plain text on one line."""
    repaired, legacy = repair_mojibake(text)
    return normalize(html_to_text(repaired).replace("\n", " ")), legacy


def _field_text(value: str, content_type: str | None) -> str:
    if content_type and "html" not in content_type and "xml" not in content_type:
        return _paragraphs(value[:_MAX_FIELD_CHARS])
    return html_to_text(value)


def _entry_to_document(entry: dict, feed: dict, url: str) -> Document | None:
    title, legacy_title = _clean_line(entry.get("title", "") or "")
    summary_raw = entry.get("summary", "") or ""
    summary_detail = entry.get("summary_detail") or {}
    summary_raw, legacy_lead = repair_mojibake(summary_raw)
    lead = normalize(_field_text(summary_raw, summary_detail.get("type")).replace("\n\n", " "))
    body = ""
    contents = entry.get("content") or []
    if contents:
        best = max(contents, key=lambda c: len(c.get("value", "") or ""))
        body_raw, _ = repair_mojibake(best.get("value", "") or "")
        body = _field_text(body_raw, best.get("type"))
        if normalize(body) == lead:
            body = ""
    link = entry.get("link") or None
    if link:
        try:
            link = urljoin(url, link.strip())
        except ValueError:  # e.g. "http://[broken" (Invalid IPv6 URL): keep the link as written
            link = link.strip()
    external_id = (entry.get("id") or "").strip() or None
    if not (title or lead or body):
        return None
    meta: dict = {"feed_title": normalize(feed.get("title", "") or ""), "feed_url": url}
    author = normalize(entry.get("author", "") or "")
    if author:
        meta["author"] = author
    legacy = legacy_title or legacy_lead
    if legacy:
        meta["mojibake_repaired"] = legacy
    tags = [normalize(t.get("term", "") or "") for t in entry.get("tags") or []]
    if any(tags):
        meta["tags"] = [t for t in tags if t]
    from kiemchung.images.ingest import feed_image_refs

    images = feed_image_refs(entry, url)
    if images:
        meta["image_refs"] = images
    language = (entry.get("language") or feed.get("language") or "").strip().lower()[:2] or None
    raw = json.dumps(entry, ensure_ascii=False, default=str, sort_keys=True).encode("utf-8")
    return Document(
        url=link,
        title=title,
        lead=lead,
        body=body,
        kind="article",
        external_id=external_id,
        published_at=_published(entry),
        language=language,
        meta=meta,
        raw=raw,
    )


def parse_feed(
    content: bytes, *, url: str, headers: dict | None = None, max_entries: int = 5000
) -> list[Document]:
    """Parse an RSS 1.0/2.0 or Atom feed into Documents, newest first, at most ``max_entries``.

    ``headers`` are the HTTP response headers (their charset is a hint, not the truth). Broken XML is
    accepted when feedparser recovers entries; HTML pages and payloads with nothing parseable raise
    :class:`ParseError` with reason ``"not_a_feed"`` (its ``feeds`` attribute lists feeds the page
    advertises). Duplicate entries (same id, or same link when ids are missing) are kept once.
    """
    if max_entries < 1:
        raise ValueError("max_entries must be positive")
    if not content or not content.strip():
        raise _not_a_feed(url, "tệp rỗng")
    lowered = {str(k).lower(): str(v) for k, v in (headers or {}).items()}
    text, _codec = decode_body(
        content,
        charset=charset_from_content_type(lowered.get("content-type")),
        declared=declared_charset(content),
    )
    if _HTML_START.match(text[:4096]) and "<rss" not in text[:4096] and "<feed" not in text[:4096]:
        raise _not_a_feed(url, "đây là một trang HTML", content)
    text = _XML_DECL_ENCODING.sub(r"\1\2utf-8\2", text, count=1)
    data = _cap_entries(text.encode("utf-8"), max_entries)
    try:
        parsed = feedparser.parse(
            data,
            # No content-location: feedparser would "resolve" plain guids against it; links are joined below.
            response_headers={"content-type": "application/xml; charset=utf-8"},
            sanitize_html=False,
            resolve_relative_uris=False,
        )
    except Exception as exc:  # feedparser's own bugs on garbage (KeyError 'links'...): re-raised as ParseError
        raise _not_a_feed(url, f"feedparser: {type(exc).__name__}: {exc}"[:200], content) from exc
    if not parsed.entries:
        if parsed.get("version") and not parsed.get("bozo"):
            return []  # a valid, empty feed
        detail = str(parsed.get("bozo_exception", "không đọc được mục nào"))[:200]
        raise _not_a_feed(url, detail, content)
    docs: list[Document] = []
    seen: set[str] = set()
    for entry in parsed.entries:
        doc = _entry_to_document(entry, parsed.feed, url)
        if doc is None:
            continue
        key = doc.external_id or doc.url or f"{doc.title}|{doc.published_at}"
        if key in seen:
            continue
        seen.add(key)
        docs.append(doc)
    if not docs:
        raise _not_a_feed(url, "không có mục nào có nội dung", content)
    oldest = dt.datetime.min.replace(tzinfo=dt.UTC)
    docs.sort(key=lambda d: d.published_at or oldest, reverse=True)  # stable: undated keep feed order
    return docs[:max_entries]


# --------------------------------------------------------------------------------------------------
# Discovery
# --------------------------------------------------------------------------------------------------


def discover_feeds(html: bytes, base_url: str) -> list[str]:
    """Absolute URLs of the RSS/Atom/JSON feeds an HTML page advertises with ``<link rel=alternate>``.

    Honours ``<base href>``; returns them in page order without duplicates (empty list when none).
    """
    if not html or not html.strip():
        return []
    text, _ = decode_body(html[:2_000_000])
    try:
        root = lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError):
        return []
    base = base_url
    for el in root.iter("base"):
        href = (el.get("href") or "").strip()
        if href:
            base = urljoin(base_url, href)
            break
    found: list[str] = []
    for el in root.iter("link"):
        rel = (el.get("rel") or "").lower().split()
        kind = (el.get("type") or "").split(";")[0].strip().lower()
        href = (el.get("href") or "").strip()
        if "alternate" in rel and kind in FEED_TYPES and href:
            absolute = urljoin(base, href)
            if absolute not in found:
                found.append(absolute)
    return found
