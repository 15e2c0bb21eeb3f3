"""``feed``: RSS 1.0/2.0 and Atom feeds (every item the feed carries; the store keeps each once)."""

from __future__ import annotations

from kiemchung.sources.connectors.base import Batch, Connector
from kiemchung.sources.connectors.registry import register


@register
class FeedConnector(Connector):
    """An RSS/Atom feed, fetched with a conditional GET; its items are the documents.

    No cursor: a feed's window is small and items are recognised by their identity when stored, so an
    item that appears late with an old date is still collected."""

    kind = "feed"
    label_vi = "RSS/Atom"
    label_en = "RSS/Atom feed"
    help = "nguồn RSS/Atom (RSS/Atom feed)"
    schemes = ("http", "https", "file")
    full_text = True

    def fetch(self, cursor):
        """The feed's items (newest first); ``not_modified`` on a 304."""
        from kiemchung.sources.feeds import parse_feed

        fetched = self.get(conditional=True)
        if fetched.not_modified:
            return Batch(not_modified=True, etag=self.source.etag, last_modified=self.source.last_modified)
        docs = parse_feed(fetched.content, url=fetched.url, headers=dict(fetched.headers or {}))
        return Batch(docs, etag=fetched.etag, last_modified=fetched.last_modified)
