"""Time helpers: every stored time is timezone-aware; display is in Asia/Ho_Chi_Minh."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
UTC = dt.UTC


def now() -> dt.datetime:
    """The current time, aware, in UTC."""
    return dt.datetime.now(UTC)


def aware(value: dt.datetime | None, *, assume: dt.tzinfo = VN_TZ) -> dt.datetime | None:
    """Make ``value`` timezone-aware; naive times are taken to be in ``assume`` (Vietnam by default)."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=assume)
    return value


def parse_time(value: str | dt.datetime | None, *, assume: dt.tzinfo = VN_TZ) -> dt.datetime | None:
    """Parse an ISO-8601 (or RFC 822 / epoch seconds) time into an aware datetime, or None."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return aware(value, assume=assume)
    text = str(value).strip()
    if text.isdigit() and len(text) >= 9:
        return dt.datetime.fromtimestamp(int(text[:10]), UTC)
    try:
        return aware(dt.datetime.fromisoformat(text.replace("Z", "+00:00")), assume=assume)
    except ValueError:
        pass
    from email.utils import parsedate_to_datetime

    try:
        return aware(parsedate_to_datetime(text), assume=assume)
    except (TypeError, ValueError, IndexError):
        pass
    for fmt in ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y", "%Y-%m-%d %H:%M"):
        try:
            return aware(dt.datetime.strptime(text, fmt), assume=assume)
        except ValueError:
            continue
    return None


def to_utc(value: dt.datetime | None) -> dt.datetime | None:
    """Convert an aware datetime to UTC (naive input is taken as Vietnam time)."""
    value = aware(value)
    return value.astimezone(UTC) if value else None


def local(value: dt.datetime | None) -> dt.datetime | None:
    """Convert to Asia/Ho_Chi_Minh for display."""
    value = aware(value, assume=UTC)
    return value.astimezone(VN_TZ) if value else None


def fmt_local(value: dt.datetime | None, pattern: str = "%d/%m/%Y %H:%M") -> str:
    """Format a time for Vietnamese readers (day first, Vietnam time)."""
    value = local(value)
    return value.strftime(pattern) if value else ""
