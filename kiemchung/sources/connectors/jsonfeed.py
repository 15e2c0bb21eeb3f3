"""``jsonfeed``: a JSON Feed (https://jsonfeed.org, versions 1 and 1.1), the whole connector."""

from __future__ import annotations

import json

from kiemchung import timeutil
from kiemchung.errors import ParseError
from kiemchung.models import Document
from kiemchung.sources.connectors.base import Batch, Connector
from kiemchung.sources.connectors.registry import register
from kiemchung.sources.feeds import html_to_text


@register
class JSONFeedConnector(Connector):
    """A JSON Feed; the cursor is the newest ``date_published`` collected, so only newer items follow."""

    kind = "jsonfeed"
    label_vi = "JSON Feed"
    label_en = "JSON Feed"
    help = "nguồn JSON Feed (JSON Feed, jsonfeed.org)"

    def fetch(self, cursor):
        """The feed's items published after ``cursor["since"]``; items without a usable date are
        collected every time (the store keeps each once) and named in ``problems``."""
        fetched = self.get(conditional=True)  # robots.txt, per-host rate, ETag / Last-Modified
        if fetched.not_modified:
            return Batch(not_modified=True, etag=self.source.etag, last_modified=self.source.last_modified)
        try:
            feed = json.loads(fetched.content)
        except ValueError:
            feed = None
        if not (isinstance(feed, dict) and isinstance(feed.get("items"), list)
                and str(feed.get("version", "")).startswith("https://jsonfeed.org/")):
            raise ParseError(f"{fetched.url} không còn là JSON Feed (not a JSON Feed: changed_shape)",
                             reason="changed_shape")
        since = timeutil.parse_time((cursor or {}).get("since"))
        newest, docs, problems = since, [], []
        for item in feed["items"]:
            if not isinstance(item, dict) or not (item.get("id") or item.get("url")):
                problems.append(f"mục không có id (item without an id): {str(item)[:80]}")
                continue
            when = timeutil.parse_time(str(item.get("date_published") or ""))
            if when is None:
                problems.append(f"mục không có ngày hợp lệ (item without a valid date): {item.get('id')}")
            elif since is not None and when <= since:
                continue
            if when and (newest is None or when > newest):
                newest = when
            text = item.get("content_text") or html_to_text(str(item.get("content_html") or ""))
            docs.append(Document(
                url=item.get("url"), external_id=str(item.get("id") or item["url"]),
                title=str(item.get("title") or ""), lead=str(item.get("summary") or ""), body=str(text),
                published_at=when, language=item.get("language") or feed.get("language"),
                author=next((a.get("name") for a in item.get("authors") or [] if isinstance(a, dict)), None),
                raw=json.dumps(item, ensure_ascii=False),
            ))
        cursor = {"since": newest.isoformat()} if newest else cursor
        return Batch(docs, cursor=cursor, etag=fetched.etag, last_modified=fetched.last_modified,
                     problems=problems)
