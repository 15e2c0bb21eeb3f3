"""``web``: one web page, whose article is stored (once: a page is identified by its URL)."""

from __future__ import annotations

from kiemchung.sources.connectors.base import Batch, Connector
from kiemchung.sources.connectors.registry import register


@register
class WebConnector(Connector):
    """A web page polled for its article; a later edit of the page is not stored as a new document."""

    kind = "web"
    label_vi = "trang web"
    label_en = "web page"
    help = "một trang web, lưu bài của trang (a web page)"

    def fetch(self, cursor):
        """The page's article as one document; ``not_modified`` on a 304."""
        from kiemchung.sources.web import extract_page

        fetched = self.get(conditional=True)
        if fetched.not_modified:
            return Batch(not_modified=True, etag=self.source.etag, last_modified=self.source.last_modified)
        doc = extract_page(fetched.content, url=fetched.url, headers=dict(fetched.headers or {}))
        return Batch([doc], etag=fetched.etag, last_modified=fetched.last_modified)

    @classmethod
    def polls(cls, source):
        """Not the site entries :meth:`Collector.add_url` makes to label pages fetched by hand
        (``meta.manual``; older databases: a ``web`` source that holds documents but was never polled,
        which only ``add_url`` could make)."""
        if source.meta.get("manual"):
            return False
        return not (source.meta.get("last_fetch_at") is None and source.meta.get("documents_added", 0) > 0)
