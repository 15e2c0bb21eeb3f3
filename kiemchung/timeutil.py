"""Time helpers: every stored time is timezone-aware; display is in Asia/Ho_Chi_Minh."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
UTC = dt.UTC


def now() -> dt.datetime:
    """The current time, aware, in UTC."""
    return dt.datetime.now(UTC)


REFERENCE_TIME = "reference_time"  # the installation setting that fixes the "now" of the views


def view_now(db=None) -> dt.datetime:
    """The "now" of every view of recent data (overview, trends, watchlist counts, recent alerts,
    default report periods), aware, in UTC.

    An installation may fix it with the setting ``reference_time`` (ISO 8601 or dd/mm/yyyy HH:MM): the
    demo anchors it to the end of its sample, so that what was rising when the sample ends is still
    shown next month; an archive being studied can do the same. Unset or empty: the real clock. Record
    times (fetched, created, changed) always use :func:`now`, never this.
    """
    return reference_time(db) or now()


def reference_time(db) -> dt.datetime | None:
    """The installation's fixed "now" (setting ``reference_time``), in UTC, or None when unset."""
    if db is None:
        return None
    from kiemchung.store import settings

    raw = settings.value(db, REFERENCE_TIME)
    fixed = parse_time(raw) if raw else None
    return fixed.astimezone(UTC) if fixed else None


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


#: The day forms a user may type, for help texts and error messages.
DATE_FORMS = "dd/mm/yyyy hoặc YYYY-MM-DD"
_VN_DAY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_ISO_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def invalid_date(value: object, name: str | None = None) -> str:
    """The error message for a day that cannot be read: what was typed and both accepted forms."""
    where = f" cho {name}" if name else ""
    return (
        f"Ngày không hợp lệ{where}: {value!r}; dùng dd/mm/yyyy (30/11/2026) hoặc YYYY-MM-DD (2026-11-30) "
        "(invalid date: use dd/mm/yyyy or YYYY-MM-DD)"
    )


def parse_day(value: str, name: str | None = None) -> dt.date:
    """A calendar day typed by a user: Vietnamese ``d/m/yyyy`` (``30/11/2026``, ``1/9/2026``) or ISO
    ``YYYY-MM-DD``. Anything else, or a day that does not exist (``31/02/2026``), raises
    :class:`~kiemchung.errors.ConfigError` naming both forms (``name``: the option or field, for the message).

    Every place that takes a day (CLI options, API parameters, web forms, report periods) uses this.
    """
    from kiemchung.errors import ConfigError

    text = str(value).strip()
    if m := _VN_DAY.fullmatch(text):
        d, mo, y = int(m[1]), int(m[2]), int(m[3])
    elif m := _ISO_DAY.fullmatch(text):
        y, mo, d = int(m[1]), int(m[2]), int(m[3])
    else:
        raise ConfigError(invalid_date(value, name))
    try:
        return dt.date(y, mo, d)
    except ValueError:
        raise ConfigError(invalid_date(value, name)) from None


def day_start(value: str | None, *, end: bool = False, name: str | None = None) -> dt.datetime | None:
    """The start of a typed day in Vietnam (see :func:`parse_day`), or of the next day when ``end``
    (an inclusive last day as an exclusive bound); None for None or "".
    """
    if value is None or not str(value).strip():
        return None
    day = parse_day(value, name)
    if end:
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(), VN_TZ)


def parse_day_or_time(value: str | None, name: str | None = None) -> dt.datetime | None:
    """A day (:func:`parse_day`, at its start in Vietnam) or a full ISO time (``2026-11-30T08:00``);
    None for None or "". For command-line options where a time of day may be useful.
    """
    if value is None or not str(value).strip():
        return None
    text = str(value).strip()
    if _VN_DAY.fullmatch(text) or _ISO_DAY.fullmatch(text):
        return day_start(text, name=name)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}.*", text):
        try:
            return aware(dt.datetime.fromisoformat(text.replace("Z", "+00:00")))
        except ValueError:
            pass
    from kiemchung.errors import ConfigError

    raise ConfigError(invalid_date(value, name))


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
