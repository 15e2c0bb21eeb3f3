"""Records of an import file: the field mapping, value parsing (counts, times) and building a document.

:class:`FieldMapping` says which column or key holds what; :func:`parse_count` and
:func:`parse_import_time` read the many ways exports write engagement counts and times; the builder
turns one record into an :class:`ImportRow`: a document, or an error in Vietnamese naming the problem.
Reading files (encodings, formats, streaming) lives in :mod:`kiemchung.sources.imports`.
"""

from __future__ import annotations

import codecs
import datetime as dt
import json
import math
import re
import tomllib
from dataclasses import dataclass, field, fields
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kiemchung.errors import ConfigError
from kiemchung.models import Document
from kiemchung.text import fold, repair_mojibake
from kiemchung.timeutil import VN_TZ, parse_time

ENGAGEMENT_FIELDS = ("likes", "shares", "comments", "views", "reactions")
_MAX_FIELD_CHARS = 1 << 26  # 64 Mi characters: a "huge field" still imports, a runaway one is an error
_MIN_YEAR, _MAX_YEAR = 1990, 2100


# --------------------------------------------------------------------------------------------------
# Field mapping


def _names(*names: str) -> tuple[str, ...]:
    return tuple(names)


@dataclass
class FieldMapping:
    """Which column (CSV/xlsx) or key (JSON, dotted for nested keys) holds each part of a record.

    Every field is a tuple of candidate names tried in order; the first one present with a non-empty
    scalar value wins. Header and key names are compared loosely: case, diacritics, spaces, ``_`` and
    ``-`` are ignored, so ``"Nội dung"`` matches ``noi_dung``. Options: ``time_format`` (a
    ``strptime`` pattern tried first), ``timezone`` for naive times (default Asia/Ho_Chi_Minh),
    ``encoding`` and ``delimiter`` to skip detection, ``sheet`` for the Excel sheet to read.
    """

    text: tuple[str, ...] = _names(
        "text", "message", "content", "noi_dung", "body", "full_text", "post_text", "caption",
        "description", "noi_dung_bai_viet", "binh_luan", "comment_text",
    )
    title: tuple[str, ...] = _names("title", "tieu_de", "headline", "subject")
    time: tuple[str, ...] = _names(
        "created_time", "created_at", "timestamp", "time", "date", "published_at", "published",
        "create_time", "taken_at", "datetime", "thoi_gian", "ngay_dang", "thoi_gian_dang", "ngay",
    )
    url: tuple[str, ...] = _names(
        "url", "link", "permalink", "permalink_url", "post_url", "web_url", "duong_dan", "lien_ket",
    )
    platform: tuple[str, ...] = _names("platform", "nen_tang", "network", "site")
    post_id: tuple[str, ...] = _names(
        "id", "post_id", "postid", "ma_bai", "ma_bai_viet", "tweet_id", "video_id", "status_id",
    )
    author: tuple[str, ...] = _names(
        "author", "author_handle", "handle", "username", "user_name", "screen_name", "user",
        "user.screen_name", "user.username", "user.name", "author.name", "from.name", "page_name",
        "tac_gia", "nguoi_dang", "tai_khoan", "account",
    )
    likes: tuple[str, ...] = _names(
        "likes", "like_count", "likes_count", "favorite_count", "digg_count", "luot_thich", "thich",
    )
    shares: tuple[str, ...] = _names(
        "shares", "share_count", "shares_count", "shares.count", "retweet_count", "luot_chia_se",
        "chia_se",
    )
    comments: tuple[str, ...] = _names(
        "comments", "comment_count", "comments_count", "reply_count", "luot_binh_luan", "binh_luan_count",
    )
    views: tuple[str, ...] = _names("views", "view_count", "views_count", "play_count", "luot_xem", "impressions")
    reactions: tuple[str, ...] = _names(
        "reactions", "reaction_count", "reactions_count", "total_reactions",
        "reactions.summary.total_count", "luot_cam_xuc", "cam_xuc",
    )
    # Image paths (relative to the import file) or URLs, several separated by spaces, | or ; (kiemchung.images).
    images: tuple[str, ...] = _names(
        "images", "image", "image_url", "image_urls", "image_path", "photo", "photos", "picture", "media_url",
        "anh", "hinh_anh", "duong_dan_anh", "link_anh", "tep_anh",
    )
    time_format: str | None = None
    timezone: str = "Asia/Ho_Chi_Minh"
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None

    _FIELDS = ("text", "title", "time", "url", "platform", "post_id", "author", "images", *ENGAGEMENT_FIELDS)
    _OPTIONS = ("time_format", "timezone", "encoding", "delimiter", "sheet")

    def __post_init__(self) -> None:
        for name in self._FIELDS:
            value = getattr(self, name)
            if isinstance(value, str):
                value = (value,)
            if not isinstance(value, (tuple, list)) or not all(isinstance(v, str) and v for v in value):
                raise ConfigError(f"Ánh xạ trường '{name}' phải là tên cột hoặc danh sách tên cột.")
            setattr(self, name, tuple(value))
        try:
            self._tz = ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ConfigError(f"Múi giờ không hợp lệ trong ánh xạ: {self.timezone!r}.") from exc
        if self.delimiter is not None and len(self.delimiter) != 1:
            raise ConfigError("Ký tự phân cách (delimiter) phải là đúng một ký tự.")
        if self.encoding is not None:
            try:
                codecs.lookup(self.encoding)
            except LookupError as exc:
                raise ConfigError(f"Bảng mã không biết: {self.encoding!r}.") from exc

    @property
    def tz(self) -> dt.tzinfo:
        """The timezone naive times are taken to be in."""
        return self._tz

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, replace: bool = True) -> FieldMapping:
        """Build a mapping from a dict such as ``{"text": "noi_dung", "author": ["user.name"]}``.

        With ``replace`` (the default) a field given in ``data`` replaces the default candidates;
        otherwise the given names are tried first and the defaults after them. Unknown keys are an
        error, so a typo does not silently fall back to the defaults.
        """
        if not isinstance(data, dict):
            raise ConfigError("Tệp ánh xạ phải chứa một đối tượng (khóa → tên cột).")
        known = set(cls._FIELDS) | set(cls._OPTIONS)
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(
                f"Khóa không biết trong ánh xạ: {', '.join(unknown)}. Các khóa hợp lệ: {', '.join(sorted(known))}."
            )
        defaults = cls()
        kwargs: dict[str, Any] = {}
        for key, value in data.items():
            if key in cls._FIELDS:
                names = (value,) if isinstance(value, str) else tuple(value or ())
                if not replace:
                    names = names + tuple(n for n in getattr(defaults, key) if n not in names)
                kwargs[key] = names
            else:
                kwargs[key] = value
        return cls(**kwargs)

    @classmethod
    def from_file(cls, path: str | Path, *, replace: bool = True) -> FieldMapping:
        """Read a mapping from a small JSON or TOML file (chosen by extension; ``.toml`` is TOML).

        Example (TOML)::

            text = "Nội dung"            # one column...
            author = ["user.name", "Tác giả"]   # ...or candidates, dotted for nested JSON keys
            time = "Ngày đăng"
            time_format = "%d/%m/%Y %H:%M"
            delimiter = ";"
        """
        p = Path(path)
        try:
            raw = p.read_bytes()
        except OSError as exc:
            raise ConfigError(f"Không đọc được tệp ánh xạ {p}: {exc.strerror or exc}.") from exc
        try:
            if p.suffix.lower() == ".toml":
                data = tomllib.loads(raw.decode("utf-8-sig"))
            else:
                data = json.loads(raw.decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"Tệp ánh xạ {p.name} không hợp lệ: {exc}.") from exc
        return cls.from_dict(data, replace=replace)

    def to_dict(self) -> dict[str, Any]:
        """The mapping as plain data (lists of names), the inverse of :meth:`from_dict`."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = list(value) if isinstance(value, tuple) else value
        return out


@lru_cache(maxsize=4096)
def _key(name: str) -> str:
    """The loose form header and key names are compared in."""
    return re.sub(r"[\s_\-]+", "", fold(str(name)).strip())


# --------------------------------------------------------------------------------------------------
# Results


@dataclass
class ImportRow:
    """One record of an import file: a ``document`` or an ``error`` (never both).

    ``line`` is 1-based: the physical line where a CSV/JSONL record starts, the row number in Excel.
    ``raw`` holds the original record as JSON bytes for error rows too, so nothing is lost.
    ``warnings`` lists problems that did not stop the record (undecodable bytes, a bad URL...).
    """

    line: int
    document: Document | None = None
    error: str | None = None
    raw: bytes | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the record became a document."""
        return self.document is not None


# --------------------------------------------------------------------------------------------------
# Value parsing


class _RowProblem(Exception):
    """A problem with one field of a record (collected into the row's error message)."""


_COUNT_SUFFIX = {"k": 1_000, "n": 1_000, "nghin": 1_000, "ngan": 1_000, "m": 1_000_000, "tr": 1_000_000,
                 "trieu": 1_000_000, "b": 1_000_000_000, "ty": 1_000_000_000}
_COUNT_RE = re.compile(r"^(\d+(?:[.,]\d+)?)\s*([a-z]+)$")
_GROUPED_RE = re.compile(r"^\d{1,3}(?:[.,\s\u00a0]\d{3})+$")


def parse_count(value: Any) -> int | None:
    """A non-negative engagement count from ``value`` (``12``, ``"1.234"``, ``"1,2K"``, ``"3 N"``).

    Returns None for an empty value; raises ``ValueError`` (Vietnamese message) for a negative,
    fractional or non-numeric one.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"'{value}' không phải là số")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"số âm ({value})")
        return value
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise ValueError(f"'{value}' không phải là số")
        if value < 0:
            raise ValueError(f"số âm ({value:g})")
        if not value.is_integer():
            raise ValueError(f"'{value:g}' không phải số nguyên")
        return int(value)
    text = str(value).strip()
    if not text:
        return None
    if text.startswith("-") and re.fullmatch(r"-\s*\d+(?:[.,]\d+)*", text):
        raise ValueError(f"số âm ({text})")
    if text.isdigit():
        return int(text)
    if re.fullmatch(r"\d+\.0+", text):
        return int(text.split(".")[0])
    if _GROUPED_RE.match(text):
        return int(re.sub(r"[.,\s\u00a0]", "", text))
    m = _COUNT_RE.match(fold(text).replace(" ", "") if " " in text else fold(text))
    if m and m.group(2) in _COUNT_SUFFIX:
        return round(float(m.group(1).replace(",", ".")) * _COUNT_SUFFIX[m.group(2)])
    raise ValueError(f"'{_clip(text)}' không phải là số")


_DAY_FIRST = re.compile(
    r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})(?:[ T,]+(\d{1,2})[:hH](\d{2})(?::(\d{2}))?)?$"
)
_TIME_FIRST = re.compile(r"^(\d{1,2})[:hH](\d{2})(?::(\d{2}))?[ ,]+(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")
_YEAR_FIRST = re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?$")


def _parse_time_text(text: str, tz: dt.tzinfo, time_format: str | None) -> dt.datetime | None:
    if time_format:
        try:
            parsed = dt.datetime.strptime(text, time_format)
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)
        except ValueError:
            pass
    if re.fullmatch(r"\d{9,16}(?:\.\d+)?", text):
        return _from_epoch(float(text))
    if len(text) >= 10 and text[:4].isdigit() and text[4] == "-":
        try:
            parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)
        except ValueError:
            pass
    parts: tuple[str | None, ...] | None = None
    if m := _DAY_FIRST.match(text):
        d, mo, y, h, mi, sec = m.groups()
        parts = (y, mo, d, h, mi, sec)
    elif m := _TIME_FIRST.match(text):
        h, mi, sec, d, mo, y = m.groups()
        parts = (y, mo, d, h, mi, sec)
    elif m := _YEAR_FIRST.match(text):
        parts = m.groups()
    if parts is not None:
        try:
            return dt.datetime(*(int(x) for x in parts if x is not None), tzinfo=tz)
        except ValueError:
            return None
    if re.fullmatch(r"\d{1,8}", text):
        return None
    return parse_time(text, assume=tz)


def parse_import_time(value: Any, *, tz: dt.tzinfo = VN_TZ, time_format: str | None = None) -> dt.datetime | None:
    """An aware datetime from an export's time value, or None for an empty value.

    Accepts datetimes (naive ones are taken to be in ``tz``), epoch seconds or milliseconds (numbers
    or digit strings), ISO 8601, RFC 822, and day-first Vietnamese forms such as ``20/11/2026 08:30``,
    ``20-11-2026``, ``08:30 20/11/2026``. ``time_format`` (a ``strptime`` pattern) is tried first.
    Raises ``ValueError`` (Vietnamese message) when the value cannot be read or is implausible.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    result: dt.datetime | None = None
    if isinstance(value, dt.datetime):
        result = value if value.tzinfo else value.replace(tzinfo=tz)
    elif isinstance(value, dt.date):
        result = dt.datetime(value.year, value.month, value.day, tzinfo=tz)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        result = _from_epoch(float(value))
    else:
        result = _parse_time_text(str(value).strip(), tz, time_format)
    if result is None:
        raise ValueError(f"không đọc được thời gian '{_clip(str(value))}'")
    if not _MIN_YEAR <= result.year <= _MAX_YEAR:
        raise ValueError(f"thời gian không hợp lý '{_clip(str(value))}' (năm {result.year})")
    return result


def _from_epoch(x: float) -> dt.datetime | None:
    if math.isnan(x) or x < 0:
        return None
    if x >= 1e14:  # microseconds
        x /= 1e6
    elif x >= 1e11:  # milliseconds
        x /= 1e3
    try:
        return dt.datetime.fromtimestamp(x, dt.UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _clip(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


# --------------------------------------------------------------------------------------------------
# Records → documents


class _Resolver:
    """Looks up mapped fields in a record (a dict), loosely matching key names, dotted paths nested.

    Exports repeat the same keys on every row, so the lookup plan (which keys can answer which
    field, in candidate order) is computed once per distinct key set and cached.
    """

    def __init__(self, mapping: FieldMapping) -> None:
        self.mapping = mapping
        self.candidates = {
            name: [(c, [_key(part) for part in c.split(".")], _key(c)) for c in getattr(mapping, name)]
            for name in FieldMapping._FIELDS
        }
        self._plans: dict[tuple[str, ...], tuple[dict[str, str], dict[str, list]]] = {}

    def plan(self, record: dict[str, Any]) -> tuple[dict[str, str], dict[str, list]]:
        """``(index, steps)`` for a record: loose key → real key, and per field the keys to try."""
        sig = tuple(record)
        cached = self._plans.get(sig)
        if cached is not None:
            return cached
        index = _index(record)
        steps: dict[str, list] = {}
        for name, cands in self.candidates.items():
            steps[name] = [
                (index[whole], None) if whole in index else (cand, parts)
                for cand, parts, whole in cands
                if whole in index or (len(parts) > 1 and parts[0] in index)
            ]
        if len(self._plans) < 512:
            self._plans[sig] = (index, steps)
        return index, steps

    @staticmethod
    def get(record: dict[str, Any], plan: tuple[dict[str, str], dict[str, list]], name: str) -> tuple[str | None, Any]:
        """``(key used, value)`` of field ``name``, the first candidate with a non-empty scalar value."""
        index, steps = plan
        for label, parts in steps[name]:
            value = record[label] if parts is None else _walk(record, index, parts)
            if value is None or isinstance(value, (dict, list)):
                continue
            if isinstance(value, str) and not value.strip():
                continue
            return label, value
        return None, None


def _index(record: dict[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for k in record:
        out.setdefault(_key(k), k)
    return out


def _walk(record: dict[str, Any], index: dict[str, str], parts: list[str]) -> Any:
    current: Any = record
    current_index = index
    for i, part in enumerate(parts):
        if not isinstance(current, dict):
            return None
        if current_index is None:
            current_index = _index(current)
        key = current_index.get(part)
        if key is None:
            return None
        current = current[key]
        current_index = None  # type: ignore[assignment]
        if i == len(parts) - 1:
            return current
    return None


def _as_text(value: Any, what: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value) if not isinstance(value, float) or not value.is_integer() else str(int(value))
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    raise _RowProblem(f"{what} không phải là văn bản")


def _clean_text(value: str) -> tuple[str, str | None]:
    text = value.replace("\x00", "").strip()
    return repair_mojibake(text)


def _json_default(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    return str(value)


def _raw_bytes(record: Any) -> bytes:
    return json.dumps(record, ensure_ascii=False, default=_json_default).encode("utf-8")


@dataclass
class _Context:
    mapping: FieldMapping
    resolver: _Resolver
    kind: str
    platform: str | None
    path: Path
    fmt: str
    encoding: str | None


def _build_row(ctx: _Context, line: int, record: dict[str, Any], raw: bytes, warnings: list[str]) -> ImportRow:
    """Turn one record into an :class:`ImportRow` (document, or an error listing every problem)."""
    problems: list[str] = []
    plan = ctx.resolver.plan(record)
    get = ctx.resolver.get
    mapping = ctx.mapping
    meta: dict[str, Any] = {"line": line, "import_file": ctx.path.name, "import_format": ctx.fmt}
    if ctx.encoding:
        meta["encoding"] = ctx.encoding

    text = title = ""
    repaired: set[str] = set()
    for name in ("text", "title"):
        _, value = get(record, plan, name)
        if value is None:
            continue
        try:
            cleaned, enc = _clean_text(_as_text(value, "nội dung" if name == "text" else "tiêu đề"))
        except _RowProblem as exc:
            problems.append(str(exc))
            continue
        if enc:
            repaired.add(enc)
        if name == "text":
            text = cleaned
        else:
            title = cleaned
    if not text and not title and not problems:
        problems.append(f"thiếu nội dung (không có giá trị ở các cột/khóa: {', '.join(mapping.text[:6])}...)")
    if repaired:
        meta["mojibake_repaired"] = sorted(repaired)

    published_at = None
    key, value = get(record, plan, "time")
    if value is not None:
        try:
            published_at = parse_import_time(value, tz=mapping.tz, time_format=mapping.time_format)
        except ValueError as exc:
            problems.append(f"{exc} (cột '{key}')")

    engagement: dict[str, int] = {}
    for name in ENGAGEMENT_FIELDS:
        key, value = get(record, plan, name)
        if value is None:
            continue
        try:
            count = parse_count(value)
        except ValueError as exc:
            problems.append(f"số lượt {name} không hợp lệ: {exc} (cột '{key}')")
            continue
        if count is not None:
            engagement[name] = count

    def scalar(name: str) -> str | None:
        _, v = get(record, plan, name)
        if v is None:
            return None
        try:
            s = _as_text(v, name).strip()
        except _RowProblem:
            return None
        return s or None

    url = scalar("url")
    if url and not re.match(r"^https?://\S+$", url, re.IGNORECASE):
        warnings.append(f"Dòng {line}: đường dẫn không hợp lệ '{_clip(url)}' (bỏ qua).")
        url = None
    platform = scalar("platform") or ctx.platform
    post_id = scalar("post_id")
    author = scalar("author")
    if author:
        author, _ = repair_mojibake(author)

    if problems:
        return ImportRow(line=line, error=f"Dòng {line}: " + "; ".join(problems) + ".", raw=raw, warnings=warnings)
    _, images = get(record, plan, "images")
    if images is None:  # a JSON list of URLs
        for label, parts in plan[1]["images"]:
            value = record[label] if parts is None else _walk(record, plan[0], parts)
            if isinstance(value, list) and value:
                images = value
                break
    if images is not None:
        from kiemchung.images.ingest import split_refs

        refs = split_refs(images)
        if refs:
            meta["image_refs"] = refs
    if warnings:
        meta["warnings"] = list(warnings)
    doc = Document(
        url=url,
        title=title,
        body=text,
        kind=ctx.kind,
        platform=platform.lower() if platform else None,
        external_id=post_id,
        author=author,
        published_at=published_at,
        engagement=engagement,
        meta=meta,
        raw=raw,
    )
    return ImportRow(line=line, document=doc, raw=raw, warnings=warnings)


def _decode_warning(line: int, text: str) -> list[str]:
    if "\ufffd" in text:
        return [f"Dòng {line}: có byte không giải mã được (đã thay bằng �)."]
    return []
