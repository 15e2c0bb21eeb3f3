"""Report periods: "2026-Q1", "2026-03", "2026-W10" or an explicit from/to, as aware [start, end)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from kiemchung.errors import ConfigError
from kiemchung.timeutil import VN_TZ, parse_day


@dataclass(frozen=True)
class Period:
    """A half-open period [start, end) in Asia/Ho_Chi_Minh, with its label and kind."""

    start: dt.datetime
    end: dt.datetime
    label: str
    kind: str  # "quarter", "month", "week", "range"

    @property
    def days(self) -> int:
        """Length in whole days."""
        return (self.end - self.start).days

    def previous(self) -> Period:
        """The previous period of the same kind (same length for ranges)."""
        if self.kind == "quarter":
            y, q = self.start.year, (self.start.month - 1) // 3 + 1
            y, q = (y - 1, 4) if q == 1 else (y, q - 1)
            return parse_period(f"{y}-Q{q}")
        if self.kind == "month":
            d = self.start - dt.timedelta(days=1)
            return parse_period(f"{d.year}-{d.month:02d}")
        length = self.end - self.start
        return Period(_day(self.start - length), self.start, "trước " + self.label, "range")


def _day(d) -> dt.datetime:
    return dt.datetime(d.year, d.month, d.day, tzinfo=VN_TZ)


def parse_period(value: str | None = None, *, start: str | None = None, end: str | None = None) -> Period:
    """Parse "2026-Q1", "2026-03", "2026-W10" (ISO week) or ``start``/``end`` days (end inclusive;
    dd/mm/yyyy or YYYY-MM-DD, :func:`kiemchung.timeutil.parse_day`).

    Raises ``ConfigError`` with a Vietnamese message for anything else.
    """
    if value is None:
        if not start or not end:
            raise ConfigError("Cần --period hoặc cả --from và --to (need a period or from/to dates)")
        a, b = parse_day(start, "--from"), parse_day(end, "--to")
        if b < a:
            raise ConfigError(f"Ngày kết thúc {end} trước ngày bắt đầu {start} (end before start)")
        return Period(_day(a), _day(b + dt.timedelta(days=1)), f"{a.isoformat()} – {b.isoformat()}", "range")
    s = value.strip().upper()
    if m := re.fullmatch(r"(\d{4})-Q([1-4])", s):
        y, q = int(m[1]), int(m[2])
        a = dt.date(y, 3 * q - 2, 1)
        b = dt.date(y + 1, 1, 1) if q == 4 else dt.date(y, 3 * q + 1, 1)
        return Period(_day(a), _day(b), f"Quý {q}/{y}", "quarter")
    if m := re.fullmatch(r"(\d{4})-(\d{2})", s):
        y, mo = int(m[1]), int(m[2])
        if not 1 <= mo <= 12:
            raise ConfigError(f"Tháng không hợp lệ: {value!r} (invalid month)")
        b = dt.date(y + 1, 1, 1) if mo == 12 else dt.date(y, mo + 1, 1)
        return Period(_day(dt.date(y, mo, 1)), _day(b), f"Tháng {mo}/{y}", "month")
    if m := re.fullmatch(r"(\d{4})-W(\d{2})", s):
        y, w = int(m[1]), int(m[2])
        try:
            a = dt.date.fromisocalendar(y, w, 1)
        except ValueError:
            raise ConfigError(f"Tuần ISO không tồn tại: {value!r} (no such ISO week)") from None
        return Period(_day(a), _day(a + dt.timedelta(days=7)), f"Tuần {w}/{y}", "week")
    raise ConfigError(
        f"Không hiểu kỳ báo cáo {value!r}: dùng 2026-Q1 (quý), 2026-03 (tháng), 2026-W10 (tuần ISO) "
        "hoặc --from/--to (unknown period)"
    )


def last_complete(schedule: str, now: dt.datetime) -> Period:
    """The last complete weekly/monthly/quarterly period before ``now``."""
    today = now.astimezone(VN_TZ).date()
    if schedule == "weekly":
        y, w, _ = (today - dt.timedelta(days=7)).isocalendar()
        return parse_period(f"{y}-W{w:02d}")
    if schedule == "monthly":
        d = today.replace(day=1) - dt.timedelta(days=1)
        return parse_period(f"{d.year}-{d.month:02d}")
    if schedule == "quarterly":
        q = (today.month - 1) // 3 + 1
        y, q = (today.year - 1, 4) if q == 1 else (today.year, q - 1)
        return parse_period(f"{y}-Q{q}")
    raise ConfigError(f"Lịch không hợp lệ: {schedule!r} (weekly|monthly|quarterly)")
