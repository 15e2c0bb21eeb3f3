"""The inbox channels of the tipline: an e-mail inbox over IMAP and a Telegram bot (Bot API).

Each channel keeps its read position in :data:`~kiemchung.tips.tables.tip_channels` (IMAP: UIDVALIDITY
and the last UID taken; Telegram: the next update offset), so a poll takes only what is new and a
message is taken once (tips are also unique per channel and message id). A message that cannot be
read (malformed, an unknown encoding, an update of a type the bot does not handle) is skipped and
logged, and the position moves past it: nothing else is lost. A channel is polled by
``kiemchung watch`` (every :data:`POLL_INTERVAL_S`), by the workers' poll queue and by
``kiemchung tips poll``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import insert, select, update

from kiemchung import timeutil
from kiemchung.errors import KiemchungError
from kiemchung.store import settings
from kiemchung.tips.tables import tip_channels

log = logging.getLogger(__name__)

POLL_INTERVAL_S = 60


@dataclass
class PollResult:
    """What one poll of one channel did."""

    received: int = 0
    skipped: int = 0
    error: str | None = None


def cursor(db, name: str) -> str | None:
    """A channel's stored read position."""
    with db.read() as conn:
        return conn.execute(select(tip_channels.c.cursor).where(tip_channels.c.name == name)).scalar()


def save(db, name: str, *, cursor_value: str | None = None, result: PollResult | None = None,
         clock: Callable[[], dt.datetime] = timeutil.now) -> None:
    """Store a channel's position (and the counts and error of a poll)."""
    with db.write() as conn:
        row = conn.execute(select(tip_channels).where(tip_channels.c.name == name)).first()
        values: dict = {"last_poll_at": clock()}
        if cursor_value is not None:
            values["cursor"] = cursor_value
        if result is not None:
            values["last_error"] = result.error
        if row is None:
            conn.execute(insert(tip_channels).values(name=name, received=(result.received if result else 0),
                                                     skipped=(result.skipped if result else 0), **values))
        else:
            if result is not None:
                values["received"] = row.received + result.received
                values["skipped"] = row.skipped + result.skipped
            conn.execute(update(tip_channels).where(tip_channels.c.name == name).values(**values))


def configured(db) -> list[str]:
    """The channels an administrator has set up."""
    out = []
    if settings.value(db, "imap_host"):
        out.append("imap")
    if settings.value(db, "telegram_bot_token"):
        out.append("telegram")
    return out


def poll_channels(db, *, timeout: float = 0) -> dict[str, PollResult]:
    """Poll every configured channel once, then match the new tips; a failing channel is recorded and
    does not stop the others."""
    from kiemchung.tips.service import match_tips

    out: dict[str, PollResult] = {}
    for name in configured(db):
        try:
            if name == "imap":
                from kiemchung.tips.imap import poll_imap

                out[name] = poll_imap(db)
            else:
                from kiemchung.tips.telegram import poll_telegram

                out[name] = poll_telegram(db, timeout=timeout)
        except KiemchungError as exc:
            out[name] = PollResult(error=str(exc))
            save(db, name, result=out[name])
            log.warning("tips %s: %s", name, exc)
    if any(r.received for r in out.values()):
        match_tips(db)
    return out


class ChannelPoller:
    """The tip channels on a schedule (``kiemchung watch``): poll when due, match new tips."""

    def __init__(self, db, *, interval_s: float = POLL_INTERVAL_S, clock: Callable[[], float] | None = None) -> None:
        import time

        self.db = db
        self.interval_s = interval_s
        self.clock = clock or time.monotonic
        self._next = 0.0

    def run_due(self) -> dict[str, PollResult]:
        """Poll the channels when their interval has passed; always match tips not matched yet (form
        tips whose background match failed)."""
        from kiemchung.tips.service import match_tips

        out: dict[str, PollResult] = {}
        now = self.clock()
        if now >= self._next:
            self._next = now + self.interval_s
            out = poll_channels(self.db)
        match_tips(self.db)
        return out
