"""What looking at every page's screenshots found (issue 18, docs/web.md): durations, decimals, days,
settings and times in the audit log written the way an office reads them, in both languages."""

from __future__ import annotations

import datetime as dt

from kiemchung import labels
from kiemchung.web.app import _day_filter, _decimal_filter


def test_durations_in_words():
    assert labels.duration(dt.timedelta(hours=2, minutes=36)) == "2 giờ 36 phút"
    assert labels.duration(dt.timedelta(hours=2, minutes=36), "en") == "2 h 36 min"
    assert labels.duration(dt.timedelta(days=3, hours=4)) == "3 ngày 4 giờ"
    assert labels.duration(dt.timedelta(minutes=59), "en") == "59 min"
    assert labels.duration(dt.timedelta(seconds=20)) == "dưới 1 phút"
    assert labels.duration(dt.timedelta(hours=5)) == "5 giờ"


def test_decimals_and_days_as_the_language_writes_them():
    assert _decimal_filter({"lang": "vi"}, 0.714, 2) == "0,71"
    assert _decimal_filter({"lang": "en"}, 0.714, 2) == "0.71"
    assert _decimal_filter({"lang": "vi"}, None) == "—"
    assert _day_filter("2026-11-01") == "01/11/2026" and _day_filter("không phải ngày") == "không phải ngày"


def test_audit_names_settings_and_writes_times_readably():
    assert labels.object_label("setting:reference_time") == "cài đặt: thời điểm “bây giờ” cố định"
    assert labels.object_label("setting:reference_time", "en") == "setting: fixed 'now'"
    assert labels.object_label("capture:3") == "bản lưu trang #3"
    [row] = labels.changes(None, {"value": "2026-11-20T20:00:00+07:00"})
    assert row["after"] == "20/11/2026 20:00"
    [row] = labels.changes(None, {"fetch_reason": "private_address"}, "en")
    assert (row["field"], row["after"]) == ("why the fetch failed", "private address refused")
