"""RSS 2.0 and Atom feeds of published fact-checks (bytes, UTF-8)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from email.utils import format_datetime

from kiemchung import timeutil
from kiemchung.claims.claimreview import site_address
from kiemchung.claims.factchecks import list_factchecks
from kiemchung.links import http_url
from kiemchung.store import settings


def _items(db, limit: int):
    out = list_factchecks(db, status="published", limit=10**9, external=False)  # the office's own only
    out.sort(key=lambda f: f.published_at, reverse=True)
    site = site_address(db)
    return site, [(f, http_url(f.url) or f"{site}/factchecks/{f.id}") for f in out[:limit]]


def rss_feed(db, *, limit: int = 50) -> bytes:
    """An RSS 2.0 feed of the newest published fact-checks."""
    site, items = _items(db, limit)
    rss = ET.Element("rss", version="2.0")
    ch = ET.SubElement(rss, "channel")
    ET.SubElement(ch, "title").text = f"Kiểm chứng — {settings.value(db, 'org_name')}"
    ET.SubElement(ch, "link").text = site
    ET.SubElement(ch, "description").text = "Các bài kiểm chứng đã xuất bản (published fact-checks)"
    ET.SubElement(ch, "language").text = "vi"
    for fc, url in items:
        it = ET.SubElement(ch, "item")
        ET.SubElement(it, "title").text = f"[{fc.verdict_label}] {fc.claim}"
        ET.SubElement(it, "link").text = url
        ET.SubElement(it, "guid", isPermaLink="false").text = f"factcheck-{fc.key}"
        ET.SubElement(it, "description").text = fc.explanation
        ET.SubElement(it, "category").text = fc.verdict_label
        ET.SubElement(it, "pubDate").text = format_datetime(timeutil.to_utc(fc.published_at))
    return ET.tostring(rss, encoding="utf-8", xml_declaration=True)


def atom_feed(db, *, limit: int = 50) -> bytes:
    """An Atom 1.0 feed of the newest published fact-checks."""
    ns = "http://www.w3.org/2005/Atom"
    site, items = _items(db, limit)
    feed = ET.Element("feed", xmlns=ns)
    ET.SubElement(feed, "title").text = f"Kiểm chứng — {settings.value(db, 'org_name')}"
    ET.SubElement(feed, "id").text = f"{site}/factchecks"
    ET.SubElement(feed, "link", href=site)
    updated = max((f.published_at for f, _ in items), default=timeutil.now())
    ET.SubElement(feed, "updated").text = timeutil.to_utc(updated).isoformat()
    for fc, url in items:
        e = ET.SubElement(feed, "entry")
        ET.SubElement(e, "title").text = f"[{fc.verdict_label}] {fc.claim}"
        ET.SubElement(e, "id").text = f"{site}/factchecks/{fc.key}"
        ET.SubElement(e, "link", href=url)
        ET.SubElement(e, "updated").text = timeutil.to_utc(fc.updated_at).isoformat()
        ET.SubElement(e, "published").text = timeutil.to_utc(fc.published_at).isoformat()
        ET.SubElement(e, "summary").text = fc.explanation
        ET.SubElement(ET.SubElement(e, "author"), "name").text = fc.publisher or settings.value(db, "org_name")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)
