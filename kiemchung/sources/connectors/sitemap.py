"""``sitemap``: a site's XML sitemap, a sitemap index, or a Google News sitemap (``news:`` elements).

For sites whose feeds are partial: the sitemap lists every article's URL with its date
(``news:publication_date``, else ``lastmod``); the pages new since the cursor are fetched and their
articles extracted. A sitemap index is followed one level down, skipping child sitemaps whose
``lastmod`` is older than the cursor.

The cursor is ``{"since": ISO time of the newest entry collected, "at_since": [URLs collected at that
exact time], "undated": [URLs collected without a usable date], "retry": [pages to fetch again]}``.
An entry with a broken date (unparseable, or more than a day in the future) is still collected once,
and reported in ``sources health``; a page that fails to load is kept for the next polls (three tries);
a news entry whose page will not parse is stored from the sitemap's title and date.
"""

from __future__ import annotations

import datetime as dt
import zlib
from dataclasses import dataclass

from kiemchung import timeutil
from kiemchung.errors import ParseError, SourceError
from kiemchung.models import Document
from kiemchung.sources.connectors.base import Batch, Connector
from kiemchung.sources.connectors.registry import register

#: Pages fetched per poll (the rest wait for the next poll, oldest first); the first poll takes the newest.
MAX_PAGES = 50
#: Child sitemaps of an index read per poll (newest first).
MAX_CHILDREN = 20
#: Remembered URLs (undated entries, pages to retry, entries at the cursor's time), per list.
MAX_REMEMBERED = 2000
#: How many times a page that failed to load is tried again.
RETRIES = 3
#: The largest sitemap read after gunzip (the sitemaps protocol's own cap is 50 MB).
MAX_XML_BYTES = 50 * 1024 * 1024
_NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"


@dataclass
class Entry:
    """One ``<url>`` of a sitemap."""

    url: str
    when: dt.datetime | None = None
    title: str = ""
    language: str | None = None
    publication: str | None = None
    keywords: str = ""
    bad_date: str | None = None


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _text(el, name: str) -> str:
    for child in el:
        if _local(child.tag) == name:
            return (child.text or "").strip()
    return ""


def _gunzip(data: bytes, url: str) -> bytes:
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(data, MAX_XML_BYTES)
    except zlib.error as exc:
        raise ParseError(f"Sơ đồ trang nén hỏng {url} (bad gzip sitemap): {exc}", reason="changed_shape") from exc
    if inflater.unconsumed_tail:
        raise ParseError(f"Sơ đồ trang {url} quá lớn sau khi giải nén (sitemap too large)", reason="too_large")
    return out


def parse_sitemap(content: bytes, url: str, *, now: dt.datetime) -> tuple[str, list[Entry], list[Entry]]:
    """Parse a sitemap: ``("index", children, [])`` or ``("urlset", [], entries)``.

    Raises :class:`ParseError` (reason ``changed_shape``) when the payload is not a sitemap."""
    from lxml import etree

    if content[:2] == b"\x1f\x8b":
        content = _gunzip(content, url)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, recover=True,
                             remove_comments=True, remove_pis=True)
    try:
        root = etree.fromstring(content.strip(), parser) if content.strip() else None
    except etree.XMLSyntaxError:
        root = None
    kind = _local(root.tag) if root is not None else ""
    if kind not in ("urlset", "sitemapindex"):
        raise ParseError(
            f"{url} không còn là sơ đồ trang (sitemap changed shape: no <urlset> or <sitemapindex>)",
            reason="changed_shape",
        )
    items: list[Entry] = []
    for el in root:
        if _local(el.tag) not in ("url", "sitemap"):
            continue
        loc = _text(el, "loc")
        if not loc.lower().startswith(("http://", "https://")):
            continue
        entry = Entry(loc)
        raw_date = _text(el, "lastmod")
        for news in el.iter(f"{_NEWS}news"):
            entry.title = _text(news, "title")
            entry.keywords = _text(news, "keywords")
            raw_date = _text(news, "publication_date") or raw_date
            for pub in news.iter(f"{_NEWS}publication"):
                entry.publication = _text(pub, "name") or None
                entry.language = _text(pub, "language") or None
        if raw_date:
            when = timeutil.parse_time(raw_date)
            if when is None or when > now + dt.timedelta(days=1) or when.year < 1990:
                entry.bad_date = raw_date[:40]
            else:
                entry.when = when
        items.append(entry)
    return ("index", items, []) if kind == "sitemapindex" else ("urlset", [], items)


@register
class SitemapConnector(Connector):
    """A sitemap, sitemap index or news sitemap: the pages new since the cursor, fetched and extracted."""

    kind = "sitemap"
    label_vi = "sơ đồ trang"
    label_en = "sitemap"
    help = "sơ đồ trang, chỉ mục sơ đồ hoặc sơ đồ tin (sitemap, sitemap index or news sitemap)"

    def fetch(self, cursor):
        """Read the sitemap (and the index's fresh children), then fetch the pages new since ``cursor``."""
        cursor = dict(cursor or {})
        since = timeutil.parse_time(cursor.get("since"))
        now = self.clock()
        problems: list[str] = []
        fetched = self.get(conditional=True)
        retry = list(cursor.get("retry") or [])
        if fetched.not_modified and not retry:
            return Batch(not_modified=True, etag=self.source.etag, last_modified=self.source.last_modified)
        entries: list[Entry] = []
        if not fetched.not_modified:
            kind, children, entries = parse_sitemap(fetched.content, fetched.url, now=now)
            if kind == "index":
                entries = self._children(children, since, now, problems)
        bad = [e for e in entries if e.bad_date]
        if bad:
            problems.insert(0, f"{len(bad)} mục có ngày hỏng, vẫn lấy (entries with broken dates, collected): "
                               f"{bad[0].url} «{bad[0].bad_date}»")
        new = self._new_entries(entries, cursor, since)
        docs, failed = self._pages(retry, new, problems)
        cursor = self._advance(cursor, new, failed, retry)
        if any(why == "later" for why, _, _ in failed):
            # Pages left for the next poll: the sitemap must be read again then, not answered by a 304.
            return Batch(docs, cursor=cursor, problems=problems)
        return Batch(docs, cursor=cursor, etag=fetched.etag or self.source.etag,
                     last_modified=fetched.last_modified or self.source.last_modified, problems=problems)

    def _children(self, children: list[Entry], since, now, problems: list[str]) -> list[Entry]:
        fresh = [c for c in children if since is None or c.when is None or c.when >= since]
        fresh.sort(key=lambda c: c.when or now, reverse=True)
        entries: list[Entry] = []
        for child in fresh[:MAX_CHILDREN]:
            try:
                res = self.get(child.url)
                kind, _, items = parse_sitemap(res.content, res.url, now=now)
            except SourceError as exc:
                problems.append(f"sơ đồ con {child.url} (child sitemap): {exc}")
                continue
            if kind == "index":
                problems.append(f"chỉ mục lồng nhau bị bỏ qua (nested sitemap index skipped): {child.url}")
            entries.extend(items)
        return entries

    @staticmethod
    def _new_entries(entries: list[Entry], cursor: dict, since) -> list[Entry]:
        at_since = set(cursor.get("at_since") or [])
        undated = set(cursor.get("undated") or [])
        seen: set[str] = set()
        new: list[Entry] = []
        for e in entries:
            if e.url in seen:
                continue
            seen.add(e.url)
            if e.when is None:
                if e.url not in undated:
                    new.append(e)
            elif since is None or e.when > since or (e.when == since and e.url not in at_since):
                new.append(e)
        dated = sorted((e for e in new if e.when), key=lambda e: e.when)
        if since is None:  # first poll: the newest pages, not the site's whole archive
            dated = dated[-MAX_PAGES:]
        return [e for e in new if e.when is None] + dated

    def _pages(self, retry: list, new: list[Entry], problems: list[str]) -> tuple[list[Document], list]:
        from kiemchung.sources.web import extract_page

        docs: list[Document] = []
        failed: list = []
        retried = [(Entry(str(r[0])), int(r[1])) for r in retry if isinstance(r, list) and len(r) == 2]
        todo = retried + [(e, 0) for e in new]
        for n, (entry, tries) in enumerate(todo):
            if n >= MAX_PAGES:  # left for the next poll: a page to retry stays listed, the cursor stops before it
                failed.append(("retry" if n < len(retried) else "later", entry, tries))
                continue
            try:
                res = self.get(entry.url)
                doc = extract_page(res.content, url=res.url, headers=dict(res.headers or {}))
            except ParseError as exc:
                if not entry.title:
                    problems.append(f"{entry.url}: {exc}")
                    continue
                doc = Document(url=entry.url, title=entry.title, meta={"full_text_error": str(exc)})
            except SourceError as exc:
                problems.append(f"{entry.url}: {exc}")
                if tries + 1 < RETRIES:
                    failed.append(("retry", entry, tries + 1))
                continue
            doc.title = doc.title or entry.title
            doc.published_at = doc.published_at or entry.when
            doc.language = doc.language or entry.language
            doc.meta.update({k: v for k, v in (("sitemap_publication", entry.publication),
                                               ("sitemap_keywords", entry.keywords)) if v})
            docs.append(doc)
        return docs, failed

    @staticmethod
    def _advance(cursor: dict, new: list[Entry], failed: list, retry: list) -> dict:
        later = {e.url for why, e, _ in failed if why == "later"}
        done = [e for e in new if e.url not in later]
        dated = [e for e in done if e.when]
        out = dict(cursor)
        if dated:
            top = max(e.when for e in dated)
            prev = timeutil.parse_time(cursor.get("since"))
            at = {e.url for e in dated if e.when == top}
            if prev == top:
                at |= set(cursor.get("at_since") or [])
            out["since"] = top.isoformat()
            out["at_since"] = sorted(at)[-MAX_REMEMBERED:]
        undated = list(cursor.get("undated") or []) + [e.url for e in done if e.when is None]
        out["undated"] = undated[-MAX_REMEMBERED:]
        out["retry"] = [[e.url, tries] for why, e, tries in failed if why == "retry"][:MAX_REMEMBERED]
        return out
