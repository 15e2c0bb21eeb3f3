"""``telegram``: a public Telegram channel through its web preview ``https://t.me/s/NAME`` (no account).

Each poll reads the newest page and, when more messages came since the last poll than one page shows,
the pages back to the last message seen. With a start date (``sources add … --since DATE``, stored as
``meta.since``) the first polls also page back (``?before=ID``) to that date, a bounded number of pages
per poll, continuing where they stopped on the next poll (the cursor keeps the place).
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from kiemchung import timeutil
from kiemchung.errors import ConfigError
from kiemchung.models import Document
from kiemchung.sources import telegram
from kiemchung.sources.connectors.base import Batch, Connector
from kiemchung.sources.connectors.registry import register

#: Pages read per poll, at most (newest page, gap and back-fill together): ~20 messages a page.
MAX_PAGES = 10


@register
class TelegramConnector(Connector):
    """A public channel's preview pages, oldest-first messages, paged back with ``?before=ID``."""

    kind = "telegram"
    label_vi = "kênh Telegram"
    label_en = "Telegram channel"
    help = "kênh Telegram công khai: https://t.me/TEN_KENH (public Telegram channel)"
    #: A start date (``sources add --since DAY``, the web form's and the API's ``since``) pages back to
    #: that day (``meta.since``).
    pages_back = True

    @classmethod
    def check_url(cls, url: str, *, local_files: bool = False) -> str:
        """``t.me/NAME``, ``t.me/s/NAME``, ``@NAME`` as the preview URL ``https://t.me/s/NAME``; a URL of
        another host whose path is ``/s/NAME`` (a mirror of the preview) is kept as it is."""
        text = (url or "").strip()
        parts = urlsplit(text) if "//" in text else None
        segs = [s for s in parts.path.split("/") if s] if parts else []
        if parts and (parts.hostname or "").lower() not in ("t.me", "telegram.me", "www.t.me", "www.telegram.me"):
            if len(segs) == 2 and segs[0] == "s" and telegram._NAME.match(segs[1]):
                return super().check_url(telegram.page_url(text), local_files=local_files)
        return f"https://t.me/s/{telegram.channel_name(text)}"

    def _page(self, before: int | None) -> telegram.PreviewPage:
        fetched = self.get(telegram.page_url(self.source.url, before))
        return telegram.parse_preview(fetched.content, url=fetched.url, headers=dict(fetched.headers or {}))

    def since(self) -> dt.datetime | None:
        """The start date an administrator gave (``meta.since``), or None: no back-fill."""
        value = (self.source.meta or {}).get("since")
        if not value:
            return None
        when = timeutil.parse_time(value)
        if when is None:
            raise ConfigError(f"Ngày bắt đầu không hợp lệ (bad start date): {value!r}")
        return when

    def fetch(self, cursor):
        """New messages since the last one seen, and the back-fill towards the start date."""
        cursor = dict(cursor or {})
        last_id = cursor.get("last_id")
        since = self.since()
        budget = MAX_PAGES - 1
        page = self._page(None)
        problems = list(page.problems)
        found: dict[int, Document] = {}

        def take(messages, *, backfill: bool = False) -> None:
            for doc in messages:
                msg = telegram.message_id(doc)
                if backfill or last_id is None or msg > last_id:
                    found[msg] = doc

        take(page.messages)
        ids = [telegram.message_id(d) for d in page.messages]
        # 1. A gap: more messages came since the last poll than the newest page holds.
        before, oldest = page.before, min(ids) if ids else None
        while last_id is not None and before is not None and oldest is not None and oldest > last_id + 1:
            if budget <= 0:
                problems.append(f"Còn tin cũ hơn #{oldest} chưa đọc (more new messages than {MAX_PAGES} pages)")
                break
            older = self._page(before)
            budget -= 1
            problems += older.problems
            take(older.messages)
            older_ids = [telegram.message_id(d) for d in older.messages]
            oldest, before = min([oldest, *older_ids]), older.before
        # 2. The back-fill to the start date (first polls only; resumes where the last one stopped).
        if since is not None and not cursor.get("backfill_done"):
            before = cursor.get("backfill_before") or page.before
            done = before is None or self._older_than(page.messages, since)
            while not done and budget > 0:
                older = self._page(before)
                budget -= 1
                problems += older.problems
                take(older.messages, backfill=True)
                before = older.before
                done = before is None or self._older_than(older.messages, since)
            cursor["backfill_before"] = None if done else before
            cursor["backfill_done"] = done
        docs = [d for _, d in sorted(found.items(), reverse=True)
                if since is None or d.published_at is None or d.published_at >= since]
        cursor["last_id"] = max([*ids, *found, *([last_id] if last_id is not None else [])], default=None)
        return Batch(docs, cursor=cursor, problems=problems)

    @staticmethod
    def _older_than(messages, since: dt.datetime) -> bool:
        dated = [d.published_at for d in messages if d.published_at is not None]
        return bool(dated) and min(dated) < since
