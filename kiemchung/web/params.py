"""Request parameter helpers shared by the page and API modules: the id bound, Vietnamese days,
province codes, ISO output."""

from __future__ import annotations

import datetime as dt

from kiemchung import timeutil
from kiemchung.errors import QueryError
from kiemchung.places import resolve_place

MAX_ID = 2**62


def vn_day(value: str | None, *, end: bool = False) -> dt.datetime | None:
    """A day (``dd/mm/yyyy`` or ``YYYY-MM-DD``) as an aware datetime (its start, or the next day's for ``end``)."""
    from kiemchung.web.pages import _day as page_day

    return page_day(value, end=end)


def province_code(value: str | None) -> str | None:
    """The new province code for any province name or code ("" and None mean no filter)."""
    if not value or not value.strip():
        return None
    p = resolve_place(value.strip())
    if p is None:
        raise QueryError(f"Không tìm thấy tỉnh/thành (unknown province): {value}")
    return p.code


def iso(v) -> str | None:
    """A datetime as ISO 8601 text (None stays None)."""
    return v.isoformat() if v else None


def vn_today_end(at: dt.datetime | None = None) -> dt.datetime:
    """The end of the Vietnamese day of ``at`` (default now): the next midnight in Asia/Ho_Chi_Minh."""
    day = (timeutil.aware(at) or timeutil.now()).astimezone(timeutil.VN_TZ).date()
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), timeutil.VN_TZ)

