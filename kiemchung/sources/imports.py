"""Import of social-media and other exports: JSONL, CSV/TSV and Excel ``.xlsx``.

Files are read as streams (never loaded whole), one :class:`ImportRow` per record. A record becomes a
:class:`~kiemchung.models.Document` or, when something is wrong with it, an error message in
Vietnamese naming the line and the problem; bad records never stop the good ones. Only a file that is
unusable as a whole (missing, empty, unknown format, binary garbage) raises
:class:`~kiemchung.errors.ImportFileError`.

Which column or key holds what is described by a :class:`FieldMapping`; its defaults try the names
common exports use (``text``/``message``/``content``/``noi_dung``...), a small JSON or TOML file can
override them, and nested JSON keys are written with dots (``user.name``).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import gzip
import io
import json
import math
import re
import tomllib
import unicodedata
import zlib
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, fields
from functools import lru_cache
from pathlib import Path
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kiemchung.errors import ConfigError, ImportFileError
from kiemchung.models import DOC_KINDS, Document
from kiemchung.text import fold, repair_mojibake
from kiemchung.timeutil import VN_TZ, parse_time

FORMATS = ("jsonl", "csv", "xlsx")
ENGAGEMENT_FIELDS = ("likes", "shares", "comments", "views", "reactions")

_SNIFF_BYTES = 1 << 16
_MAX_FIELD_CHARS = 1 << 26  # 64 Mi characters: a "huge field" still imports, a runaway one is an error
_MAX_RECORD_LINES = 5000  # a quoted CSV record spanning more lines than this is treated as broken
_MIN_YEAR, _MAX_YEAR = 1990, 2100

_EXTENSIONS = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".jsonlines": "jsonl",
    ".json": "jsonl",
    ".csv": "csv",
    ".tsv": "csv",
    ".tab": "csv",
    ".txt": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
}


def _latin1_fill(err: UnicodeDecodeError) -> tuple[str, int]:
    """Decode bytes a code page leaves undefined as their Latin-1 code points (never fails)."""
    return err.object[err.start : err.end].decode("latin-1"), err.end


codecs.register_error("kiemchung-latin1", _latin1_fill)


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
    time_format: str | None = None
    timezone: str = "Asia/Ho_Chi_Minh"
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None

    _FIELDS = ("text", "title", "time", "url", "platform", "post_id", "author", *ENGAGEMENT_FIELDS)
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


@dataclass
class EncodingGuess:
    """What :func:`detect_encoding` decided about a text file."""

    encoding: str
    bom: bool = False
    legacy: bool = False
    note: str = ""
    errors: str = "strict"


# --------------------------------------------------------------------------------------------------
# Opening files, detecting format and encoding


def _check_path(path: str | Path) -> Path:
    p = Path(path)
    if not p.exists():
        raise ImportFileError(f"Không tìm thấy tệp nhập: {p}.")
    if not p.is_file():
        raise ImportFileError(f"Đường dẫn nhập không phải là tệp: {p}.")
    try:
        size = p.stat().st_size
    except OSError as exc:
        raise ImportFileError(f"Không đọc được tệp {p}: {exc.strerror or exc}.") from exc
    if size == 0:
        raise ImportFileError(f"Tệp nhập {p.name} rỗng (0 byte).")
    return p


def _is_gzip(p: Path) -> bool:
    with p.open("rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


def _open_binary(p: Path) -> BinaryIO:
    """Open ``p`` for binary reading, transparently decompressing gzip."""
    try:
        if _is_gzip(p):
            return gzip.open(p, "rb")  # type: ignore[return-value]
        return p.open("rb")
    except OSError as exc:
        raise ImportFileError(f"Không mở được tệp {p}: {exc.strerror or exc}.") from exc


def _head(p: Path, n: int = _SNIFF_BYTES) -> bytes:
    """The first ``n`` bytes (decompressed); what could be read if a compressed file breaks off."""
    parts: list[bytes] = []
    got = 0
    with _open_binary(p) as fh:
        while got < n:
            try:
                chunk = fh.read(min(8192, n - got))
            except (OSError, EOFError, zlib.error) as exc:
                if got:
                    break
                raise ImportFileError(f"Tệp nén {p.name} bị hỏng: {exc}.") from exc
            if not chunk:
                break
            parts.append(chunk)
            got += len(chunk)
    return b"".join(parts)


def _vietnamese_letters() -> frozenset[str]:
    bases = "aăâeêioôơuưy"
    tones = ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")
    letters = {unicodedata.normalize("NFC", b + t) for b in bases for t in tones} | {"đ"}
    return frozenset(letters | {c.upper() for c in letters})


_VI_LETTERS = _vietnamese_letters()


def _vietnamese_share(text: str) -> float:
    """Share of non-ASCII, non-space characters of ``text`` that are letters of the Vietnamese alphabet."""
    non_ascii = [c for c in text if ord(c) > 127 and not c.isspace()]
    if not non_ascii:
        return 1.0
    return sum(1 for c in non_ascii if c in _VI_LETTERS) / len(non_ascii)


def detect_encoding(path: str | Path, *, head: bytes | None = None) -> EncodingGuess:
    """Guess the text encoding of an import file from its first 64 KiB.

    BOMs decide first (UTF-8, UTF-16 LE/BE); then UTF-16 without BOM (many NUL bytes in one
    position); then strict UTF-8; then windows-1258 if it reads as Vietnamese; otherwise windows-1252
    (so that VNI/TCVN3 text comes out in the form :func:`kiemchung.text.repair_mojibake` repairs).
    Legacy guesses never fail to decode: odd bytes are kept as Latin-1 or replaced, and reported.
    """
    data = head if head is not None else _head(_check_path(path))
    if data.startswith(codecs.BOM_UTF8):
        return EncodingGuess("utf-8-sig", bom=True, errors="replace")
    if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        return EncodingGuess("utf-16", bom=True, errors="replace")
    sample = data[:4096]
    if len(sample) >= 4:
        even_nul = sample[0::2].count(0) / max(1, len(sample[0::2]))
        odd_nul = sample[1::2].count(0) / max(1, len(sample[1::2]))
        if odd_nul > 0.3 and even_nul < 0.05:
            return EncodingGuess("utf-16-le", note="UTF-16 LE không có BOM", errors="replace")
        if even_nul > 0.3 and odd_nul < 0.05:
            return EncodingGuess("utf-16-be", note="UTF-16 BE không có BOM", errors="replace")
    try:
        codecs.getincrementaldecoder("utf-8")().decode(data, final=len(data) < _SNIFF_BYTES)
        return EncodingGuess("utf-8", errors="replace")
    except UnicodeDecodeError:
        pass
    as_1258 = data.decode("cp1258", errors="replace")
    if _vietnamese_share(unicodedata.normalize("NFC", as_1258)) >= 0.9:
        return EncodingGuess(
            "cp1258", legacy=True, note="bảng mã cũ windows-1258 (đã chuyển sang Unicode)", errors="replace"
        )
    return EncodingGuess(
        "cp1252",
        legacy=True,
        note="không phải UTF-8; đọc theo windows-1252 và sửa lỗi phông VNI/TCVN3 nếu nhận ra",
        errors="kiemchung-latin1",
    )


def _looks_binary(data: bytes, guess: EncodingGuess) -> bool:
    if guess.encoding.startswith("utf-16"):
        return False
    if b"\x00" in data[:4096]:
        return True
    text = data[:4096].decode(guess.encoding if guess.encoding != "utf-8-sig" else "utf-8", errors="replace")
    if not text:
        return False
    bad = sum(1 for c in text if (ord(c) < 32 and c not in "\t\r\n\f\v") or c == "\ufffd")
    return bad / len(text) > 0.05


def detect_format(path: str | Path) -> str:
    """The import format of ``path``: by extension, else by sniffing the first bytes."""
    p = _check_path(path)
    name = p.name.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    ext = Path(name).suffix
    if ext in _EXTENSIONS:
        return _EXTENSIONS[ext]
    head = _head(p, 4096)
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"{"):
        return "jsonl"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "csv"
    guess = detect_encoding(p, head=head)
    if _looks_binary(head, guess):
        raise ImportFileError(f"Tệp {p.name} có vẻ là dữ liệu nhị phân, không phải JSONL/CSV/Excel.")
    first = head.decode(guess.encoding, errors="replace").splitlines()[:1]
    if first and any(d in first[0] for d in ",;\t|"):
        return "csv"
    raise ImportFileError(
        f"Không nhận ra định dạng của tệp {p.name}. Hỗ trợ: JSONL (.jsonl), JSON (.json), CSV (.csv, .tsv), Excel (.xlsx)."
    )


def count_lines(path: str | Path) -> int:
    """A cheap count of records for progress bars: newlines for text files, rows for Excel."""
    p = _check_path(path)
    if detect_format(p) == "xlsx":
        from openpyxl import load_workbook

        try:
            wb = load_workbook(p, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many types for a broken workbook; reported below
            raise ImportFileError(f"Tệp Excel {p.name} bị hỏng hoặc không đọc được: {exc}.") from exc
        try:
            return int(wb.worksheets[0].max_row or 0)
        finally:
            wb.close()
    n = 0
    last = b"\n"
    with _open_binary(p) as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            n += chunk.count(b"\n")
            last = chunk[-1:]
    return n + (0 if last == b"\n" else 1)


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


# --------------------------------------------------------------------------------------------------
# Readers


def _text_stream(p: Path, guess: EncodingGuess, newline: str = "") -> io.TextIOWrapper:
    """A decoding text stream; ``newline="\n"`` splits lines on LF only (JSON Lines), ``""`` on any."""
    return io.TextIOWrapper(_open_binary(p), encoding=guess.encoding, errors=guess.errors, newline=newline)


def _nfc(text: str) -> str:
    # cp1258 decodes tone marks as combining characters; compose them (pure Unicode, not folding).
    return unicodedata.normalize("NFC", text)


def _iter_jsonl(ctx: _Context, p: Path, guess: EncodingGuess, start_after: int) -> Iterator[ImportRow]:
    with _text_stream(p, guess, newline="\n") as fh:  # never split on U+2028 or a stray CR
        lineno = 0
        for raw_line in fh:
            lineno += 1
            if lineno <= start_after:
                continue
            line = raw_line.strip().lstrip("\ufeff")
            if not line:
                continue
            if guess.encoding == "cp1258":
                line = _nfc(line)
            warnings = _decode_warning(lineno, line)
            raw = line.encode("utf-8", errors="replace")
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                yield ImportRow(
                    line=lineno,
                    error=f"Dòng {lineno}: JSON không hợp lệ ({exc.msg}, cột {exc.colno}).",
                    raw=raw,
                    warnings=warnings,
                )
                continue
            except RecursionError:
                yield ImportRow(line=lineno, error=f"Dòng {lineno}: JSON lồng quá sâu.", raw=raw, warnings=warnings)
                continue
            if not isinstance(record, dict):
                yield ImportRow(
                    line=lineno,
                    error=f"Dòng {lineno}: mỗi dòng phải là một đối tượng JSON {{...}}, gặp {type(record).__name__}.",
                    raw=raw,
                    warnings=warnings,
                )
                continue
            yield _build_row(ctx, lineno, record, raw, warnings)


class _LineFeed:
    """Feeds physical lines to ``csv.reader`` and remembers which lines made the current record.

    Lines of a broken record can be pushed back so they are parsed again on their own.
    """

    def __init__(self, fh: io.TextIOBase) -> None:
        self._source = iter(fh)  # newline="" keeps \r\n inside quoted fields intact
        self._pending: deque[tuple[int, str]] = deque()
        self._next_no = 1
        self.taken: list[tuple[int, str]] = []
        self.chars = 0

    def __iter__(self) -> _LineFeed:
        return self

    def __next__(self) -> str:
        if self._pending:
            no, text = self._pending.popleft()
        else:
            text = next(self._source)
            no = self._next_no
            self._next_no += 1
        self.taken.append((no, text))
        self.chars += len(text)
        if len(self.taken) > _MAX_RECORD_LINES or self.chars > _MAX_FIELD_CHARS:
            raise _RunawayRecord()
        return text

    def take(self) -> list[tuple[int, str]]:
        out, self.taken, self.chars = self.taken, [], 0
        return out

    def push_back(self, lines: list[tuple[int, str]]) -> None:
        self._pending.extendleft(reversed(lines))


class _RunawayRecord(Exception):
    """A CSV record grew past the line/size limit (typically an unclosed quote)."""


def _sniff_delimiter(sample: str) -> str:
    lines = sample.splitlines(keepends=True)
    if len(sample) >= _SNIFF_BYTES - 8 and len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut
    text = "".join(lines[:50])
    best, best_score = ",", (-1.0, 0)
    for delim in (",", ";", "\t", "|"):
        try:
            records = [r for r in csv.reader(io.StringIO(text, newline=""), delimiter=delim) if r]
        except csv.Error:
            continue
        if not records or len(records[0]) < 2:
            continue
        width = len(records[0])
        consistent = sum(1 for r in records if len(r) == width) / len(records)
        score = (consistent, width)
        if score > best_score:
            best, best_score = delim, score
    return best


def _unique_headers(header: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for i, h in enumerate(header):
        name = h.strip().lstrip("\ufeff") or f"cot_{i + 1}"
        if name in seen:
            seen[name] += 1
            name = f"{name}_{seen[name]}"
        else:
            seen[name] = 1
        out.append(name)
    return out


def _iter_csv(ctx: _Context, p: Path, guess: EncodingGuess, start_after: int) -> Iterator[ImportRow]:
    if csv.field_size_limit() < _MAX_FIELD_CHARS:
        csv.field_size_limit(_MAX_FIELD_CHARS)
    with _text_stream(p, guess) as fh:
        delimiter = ctx.mapping.delimiter
        if delimiter is None:
            sample = fh.read(_SNIFF_BYTES)
            fh.seek(0)
            delimiter = "\t" if p.name.lower().removesuffix(".gz").endswith((".tsv", ".tab")) else _sniff_delimiter(sample)
        feed = _LineFeed(fh)
        header: list[str] | None = None
        header_keys: list[str] = []
        while True:
            reader = csv.reader(feed, delimiter=delimiter)
            try:
                for fields_ in reader:
                    lines = feed.take()
                    start = lines[0][0]
                    if not any(f.strip() for f in fields_):
                        continue
                    if guess.encoding == "cp1258":
                        fields_ = [_nfc(f) for f in fields_]
                    if header is None:
                        header = _unique_headers(fields_)
                        header_keys = [_key(h) for h in header]
                        _check_header(p, ctx.mapping, header_keys, header)
                        continue
                    quotes = sum(t.count('"') for _, t in lines)
                    broken = len(lines) > 1 and (quotes % 2 == 1 or len(fields_) != len(header))
                    if broken:
                        feed.push_back(lines[1:])
                        if start > start_after:
                            yield _csv_error(start, lines[:1], "dấu ngoặc kép không khớp hoặc số cột sai; dòng bị bỏ qua")
                        break  # restart the reader on the pushed-back lines
                    if start <= start_after:
                        continue
                    yield _csv_record(ctx, start, header, fields_)
                else:
                    break
            except _RunawayRecord:
                lines = feed.take()
                feed.push_back(lines[1:])
                if lines[0][0] > start_after:
                    yield _csv_error(lines[0][0], lines[:1], "bản ghi không kết thúc (thiếu dấu ngoặc kép đóng)")
            except csv.Error as exc:
                lines = feed.take()
                if not lines:
                    raise ImportFileError(f"Tệp CSV {p.name} không đọc được: {exc}.") from exc
                feed.push_back(lines[1:])
                if lines[0][0] > start_after:
                    yield _csv_error(lines[0][0], lines[:1], f"lỗi CSV ({exc})")
        if header is None:
            raise ImportFileError(f"Tệp CSV {p.name} không có dòng tiêu đề (tệp trống).")


def _check_header(p: Path, mapping: FieldMapping, keys: list[str], header: list[str]) -> None:
    wanted = {_key(c) for c in mapping.text + mapping.title}
    if not wanted & set(keys):
        raise ImportFileError(
            f"Tệp {p.name}: không tìm thấy cột nội dung (cần một trong: {', '.join(mapping.text[:6])}...). "
            f"Các cột có trong tệp: {', '.join(_clip(h, 30) for h in header[:20])}. Hãy dùng tệp ánh xạ trường."
        )


def _csv_error(line: int, lines: list[tuple[int, str]], what: str) -> ImportRow:
    text = "".join(t for _, t in lines)
    return ImportRow(
        line=line,
        error=f"Dòng {line}: {what}.",
        raw=_raw_bytes({"_line": text.rstrip("\r\n")}),
        warnings=_decode_warning(line, text),
    )


def _csv_record(ctx: _Context, line: int, header: list[str], values: list[str]) -> ImportRow:
    record: dict[str, Any] = dict(zip(header, values, strict=False))
    warnings = _decode_warning(line, "".join(values))
    extra = values[len(header) :]
    if extra and any(v.strip() for v in extra):
        record["_extra"] = extra
        raw = _raw_bytes(record)
        return ImportRow(
            line=line,
            error=f"Dòng {line}: có {len(values)} cột, nhiều hơn tiêu đề ({len(header)} cột).",
            raw=raw,
            warnings=warnings,
        )
    raw = _raw_bytes(record)
    if len(values) < len(header):
        return ImportRow(
            line=line,
            error=f"Dòng {line}: chỉ có {len(values)} cột, tiêu đề có {len(header)} cột.",
            raw=raw,
            warnings=warnings,
        )
    return _build_row(ctx, line, record, raw, warnings)


def _iter_xlsx(ctx: _Context, p: Path, start_after: int) -> Iterator[ImportRow]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(p, read_only=True, data_only=True)
    except Exception as exc:  # zipfile/KeyError/InvalidFileException...: the file is unusable as a whole
        raise ImportFileError(f"Tệp Excel {p.name} bị hỏng hoặc không phải .xlsx: {exc}.") from exc
    try:
        if ctx.mapping.sheet:
            if ctx.mapping.sheet not in wb.sheetnames:
                raise ImportFileError(
                    f"Tệp {p.name} không có trang tính '{ctx.mapping.sheet}' (có: {', '.join(wb.sheetnames)})."
                )
            ws = wb[ctx.mapping.sheet]
        else:
            ws = wb.worksheets[0]
        header: list[str] | None = None
        rowno = (ws.min_row or 1) - 1
        for cells in ws.iter_rows():
            rowno += 1
            values = [c.value for c in cells]
            for c in cells:
                r = getattr(c, "row", None)
                if r is not None:
                    rowno = r
                    break
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                continue
            if header is None:
                while values and values[-1] is None:
                    values.pop()  # read-only sheets pad rows to the widest row
                header = _unique_headers(["" if v is None else str(v) for v in values])
                _check_header(p, ctx.mapping, [_key(h) for h in header], header)
                continue
            if rowno <= start_after:
                continue
            record = {h: v for h, v in zip(header, values, strict=False) if v is not None}
            extra = [v for v in values[len(header) :] if v is not None]
            if extra:
                record["_extra"] = extra
            yield _build_row(ctx, rowno, record, _raw_bytes(record), [])
        if header is None:
            raise ImportFileError(f"Trang tính đầu tiên của tệp {p.name} trống.")
    finally:
        wb.close()


# --------------------------------------------------------------------------------------------------
# Entry point


def iter_import(
    path: str | Path,
    *,
    mapping: FieldMapping | None = None,
    fmt: str | None = None,
    platform: str | None = None,
    kind: str = "post",
    start_after_line: int = 0,
) -> Iterator[ImportRow]:
    """Stream the records of an export file as :class:`ImportRow` objects.

    ``fmt`` is ``"jsonl"``, ``"csv"`` or ``"xlsx"`` (detected when None); ``platform`` is
    used for records that name none; ``kind`` is the document kind (``post`` by default);
    ``start_after_line`` skips records starting at or before that line (resuming from a checkpoint).
    Raises :class:`ImportFileError` when the file as a whole cannot be used: missing, empty, unknown
    format or binary at once; a CSV/Excel file without a text column when iteration starts.
    """
    if kind not in DOC_KINDS:
        raise ConfigError(f"Loại tài liệu không hợp lệ: {kind!r} (hợp lệ: {', '.join(DOC_KINDS)}).")
    if fmt is not None:
        fmt = {"ndjson": "jsonl", "json": "jsonl", "tsv": "csv", "xlsm": "xlsx"}.get(fmt.lower(), fmt.lower())
        if fmt not in FORMATS:
            raise ConfigError(f"Định dạng nhập không hỗ trợ: {fmt!r} (hỗ trợ: {', '.join(FORMATS)}).")
    p = _check_path(path)
    fmt = fmt or detect_format(p)
    mapping = mapping or FieldMapping()
    resolver = _Resolver(mapping)

    if fmt == "xlsx":
        ctx = _Context(mapping, resolver, kind, platform, p, fmt, None)
        return _iter_xlsx(ctx, p, start_after_line)

    head = _head(p)
    if not head.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        raise ImportFileError(f"Tệp nhập {p.name} rỗng (chỉ có khoảng trắng).")
    if head.startswith(b"PK\x03\x04"):
        raise ImportFileError(f"Tệp {p.name} là tệp nén/Excel, không phải {fmt.upper()}; hãy chọn định dạng xlsx.")
    guess = EncodingGuess(mapping.encoding, errors="replace") if mapping.encoding else detect_encoding(p, head=head)
    if _looks_binary(head, guess):
        raise ImportFileError(f"Tệp {p.name} có vẻ là dữ liệu nhị phân, không phải văn bản {fmt.upper()}.")
    if fmt == "jsonl" and head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"["):
        raise ImportFileError(
            f"Tệp {p.name} là một mảng JSON ([...]); hãy chuyển sang JSONL (mỗi dòng một đối tượng), "
            f"ví dụ: jq -c '.[]' {p.name} > {p.stem}.jsonl"
        )
    ctx = _Context(mapping, resolver, kind, platform, p, fmt, guess.encoding)
    if fmt == "jsonl":
        rows = _iter_jsonl(ctx, p, guess, start_after_line)
    else:
        rows = _iter_csv(ctx, p, guess, start_after_line)
    return _with_encoding_note(rows, guess)


def _with_encoding_note(rows: Iterator[ImportRow], guess: EncodingGuess) -> Iterator[ImportRow]:
    """Attach the legacy-encoding note to the first row's warnings, so the user sees it once.

    A file that breaks off while being read (a truncated gzip, a disk error) ends with one error row
    after the rows read so far, instead of an exception that would hide how far the import got.
    """
    first = True
    last_line = 0
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except (OSError, EOFError, zlib.error) as exc:
            line = last_line + 1
            yield ImportRow(line=line, error=f"Dòng {line}: tệp bị cắt ngang hoặc hỏng từ đây, phần sau không đọc được ({exc}).")
            return
        if first and (guess.legacy or guess.note):
            row.warnings.insert(0, f"Bảng mã: {guess.encoding} — {guess.note}.")
            first = False
        last_line = row.line
        yield row


def import_summary(rows: Iterable[ImportRow]) -> dict[str, Any]:
    """Consume ``rows`` and count them: ``{"documents", "errors", "warnings", "first_errors"}``."""
    docs = errors = warnings = 0
    first_errors: list[str] = []
    for row in rows:
        warnings += len(row.warnings)
        if row.ok:
            docs += 1
        else:
            errors += 1
            if len(first_errors) < 20 and row.error:
                first_errors.append(row.error)
    return {"documents": docs, "errors": errors, "warnings": warnings, "first_errors": first_errors}
