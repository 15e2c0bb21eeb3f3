"""Web pages to :class:`kiemchung.models.Document` objects with trafilatura.

The page is decoded here (HTTP header charset, ``<meta charset>``, then detection, windows-1258 and
mojibake repair), capped and cleaned of script floods before any parser sees it, so a hostile page
(50 MB, 100,000 nested tags, megabytes of inline script) costs bounded time and memory. Non-HTML
payloads (PDF, images, JSON, feeds) are refused with :class:`kiemchung.errors.ParseError`.
"""

from __future__ import annotations

import json
import re
from urllib.parse import urljoin

import lxml.html
import trafilatura
from lxml import etree

from kiemchung.errors import ParseError
from kiemchung.models import Document
from kiemchung.sources.http import charset_from_content_type, declared_charset, decode_body
from kiemchung.text import detect_language, normalize, repair_mojibake
from kiemchung.timeutil import parse_time, to_utc

__all__ = ["MAX_HTML_BYTES", "extract_page", "should_fetch_full_text"]

#: Pages are cut to this many bytes before parsing (news articles are far smaller).
MAX_HTML_BYTES = 3 * 1024 * 1024
_HTML_TYPES = ("text/html", "application/xhtml+xml", "application/xml", "text/xml")
_BINARY_MAGIC = (
    (b"%PDF", "PDF"),
    (b"\x89PNG", "PNG"),
    (b"GIF8", "GIF"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"PK\x03\x04", "ZIP/Office"),
    (b"\x1f\x8b", "gzip"),
    (b"RIFF", "RIFF"),
    (b"\xd0\xcf\x11\xe0", "Office"),
)
_HTML_HINT = re.compile(rb"<(?:!doctype\s+html|html|head|body|title|p|div|article|meta)\b", re.I)
_FEED_START = re.compile(rb"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:rss|feed|rdf:RDF)\b", re.S)
# Scripts, styles and comments are dropped before parsing (JSON-LD is kept: it carries dates).
# They are dropped from the bytes, before the size cap, so a script flood cannot push the article out.
_SCRIPT = re.compile(rb"<script\b([^>]*)>.*?</script\s*>", re.I | re.S)
_STYLE = re.compile(rb"<style\b[^>]*>.*?</style\s*>|<!--.*?-->", re.I | re.S)
#: How much of an oversized page is scanned for scripts before the cap is applied.
_PRESCAN_FACTOR = 4
_META_DATE_KEYS = (
    "article:published_time",
    "og:article:published_time",
    "datepublished",
    "pubdate",
    "publishdate",
    "dc.date.issued",
    "dc.date",
    "date",
)


def _not_html(url: str, detail: str) -> ParseError:
    return ParseError(
        f"Nội dung tải từ {url} không phải trang HTML: {detail} (not_html)", soft=False, reason="not_html"
    )


def _check_html(content: bytes, url: str, content_type: str | None) -> None:
    head = content[:65536]
    for magic, name in _BINARY_MAGIC:
        if head.startswith(magic):
            raise _not_html(url, f"tệp {name}")
    if _FEED_START.match(head):
        raise _not_html(url, "đây là nguồn tin RSS/Atom, hãy thêm nó như một nguồn tin")
    mime = (content_type or "").split(";")[0].strip().lower()
    if mime and mime not in _HTML_TYPES and not mime.startswith("text/"):
        raise _not_html(url, f"kiểu nội dung {mime}")
    if not _HTML_HINT.search(head):
        raise _not_html(url, "không thấy thẻ HTML nào")


def _strip_scripts(data: bytes) -> bytes:
    def keep_jsonld(match: re.Match[bytes]) -> bytes:
        return match.group(0) if b"ld+json" in match.group(1).lower() else b""

    return _STYLE.sub(b"", _SCRIPT.sub(keep_jsonld, data))


def _meta_date(tree: lxml.html.HtmlElement) -> str | None:
    """A full publication timestamp from meta tags or JSON-LD (trafilatura may keep only the day)."""
    for el in tree.iter("meta"):
        key = (el.get("property") or el.get("name") or el.get("itemprop") or "").strip().lower()
        if key in _META_DATE_KEYS and el.get("content"):
            return el.get("content")
    for el in tree.iter("time"):
        if (el.get("itemprop") or "").lower() == "datepublished" and el.get("datetime"):
            return el.get("datetime")
    for el in tree.iter("script"):
        if "ld+json" not in (el.get("type") or "").lower() or not el.text:
            continue
        try:
            data = json.loads(el.text[:200_000])
        except ValueError:
            continue
        items = (
            data if isinstance(data, list) else data.get("@graph", [data]) if isinstance(data, dict) else []
        )
        for item in items:
            if isinstance(item, dict) and isinstance(item.get("datePublished"), str):
                return item["datePublished"]
    return None


def _clean(value: str | None) -> tuple[str, str | None]:
    if not value:
        return "", None
    repaired, legacy = repair_mojibake(value)
    return normalize(repaired), legacy


def _body_paragraphs(text: str, title: str) -> tuple[str, str | None]:
    repaired, legacy = repair_mojibake(text or "")
    paras = [normalize(p) for p in repaired.splitlines()]
    paras = [p for p in paras if p]
    if paras and title and paras[0] == title:
        paras = paras[1:]  # trafilatura repeats the headline as the first line
    return "\n\n".join(paras), legacy


def extract_page(
    content: bytes, *, url: str, headers: dict | None = None, max_bytes: int = MAX_HTML_BYTES
) -> Document:
    """Extract the article in an HTML page: title, lead, main text, date, author, site name, language.

    ``headers`` are the HTTP response headers (Content-Type and its charset). Non-HTML payloads raise
    :class:`ParseError` (reason ``"not_html"``); a page with neither a title nor any text raises
    reason ``"empty_page"``. Input above ``max_bytes`` is cut before parsing (``meta["truncated"]``).
    ``raw`` keeps the original bytes untouched.
    """
    if not content or not content.strip():
        raise ParseError(f"Trang {url} rỗng (empty_page)", reason="empty_page")
    lowered = {str(k).lower(): str(v) for k, v in (headers or {}).items()}
    content_type = lowered.get("content-type")
    _check_html(content, url, content_type)
    data = _strip_scripts(content[: max_bytes * _PRESCAN_FACTOR])
    truncated = len(content) > max_bytes * _PRESCAN_FACTOR or len(data) > max_bytes
    data = data[:max_bytes]
    text, codec = decode_body(
        data, charset=charset_from_content_type(content_type), declared=declared_charset(data)
    )
    try:
        tree = lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError) as exc:
        raise ParseError(f"Không đọc được HTML của {url}: {exc} (bad_html)", reason="bad_html") from exc
    meta_date = _meta_date(tree)
    html_lang = (tree.get("lang") or "").strip().lower()[:2] or None
    canonical = next(
        (
            el.get("href")
            for el in tree.iter("link")
            if (el.get("rel") or "").lower() == "canonical" and el.get("href")
        ),
        None,
    )
    extracted = trafilatura.bare_extraction(
        tree,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        include_images=False,
        deduplicate=False,
        date_extraction_params={
            "extensive_search": False,
            "original_date": True,
            "outputformat": "%Y-%m-%dT%H:%M:%S%z",
        },
    )
    fields = extracted.as_dict() if extracted is not None else {}
    title, legacy_title = _clean(
        fields.get("title") or (tree.findtext(".//title") if tree.find(".//title") is not None else "")
    )
    lead, legacy_lead = _clean(fields.get("description"))
    body, legacy_body = _body_paragraphs(fields.get("text") or "", title)
    if not title and not body:
        raise ParseError(f"Không tìm thấy nội dung bài viết trong {url} (empty_page)", reason="empty_page")
    published = to_utc(parse_time(meta_date)) if meta_date else None
    if published is None and fields.get("date"):
        published = to_utc(parse_time(fields["date"]))
    meta: dict = {"encoding": codec}
    if fields.get("author"):
        meta["author"] = normalize(fields["author"])
    if fields.get("sitename"):
        meta["site_name"] = normalize(fields["sitename"])
    if canonical:
        meta["canonical_url"] = urljoin(url, canonical.strip())
    if truncated:
        meta["truncated"] = True
    legacy = legacy_title or legacy_lead or legacy_body
    if legacy:
        meta["mojibake_repaired"] = legacy
    language = (fields.get("language") or html_lang or None) and (fields.get("language") or html_lang)[:2]
    if not language:
        language = detect_language(" ".join(p for p in (title, lead, body[:2000]) if p))
    return Document(
        url=url,
        title=title,
        lead=lead,
        body=body,
        kind="article",
        published_at=published,
        language=language,
        source_name=meta.get("site_name"),
        meta=meta,
        raw=content,
    )


def should_fetch_full_text(doc: Document, min_chars: int = 400) -> bool:
    """Whether a feed item is worth fetching its page for: it has a web link and carries less than
    ``min_chars`` characters of text (neither its body nor its summary reaches that length)."""
    if not doc.url or not doc.url.startswith(("http://", "https://")):
        return False
    return max(len((doc.body or "").strip()), len((doc.lead or "").strip())) < min_chars
