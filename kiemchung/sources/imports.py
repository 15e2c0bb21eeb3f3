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
import gzip
import io
import json
import unicodedata
import zipfile
import zlib
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from kiemchung.errors import ConfigError, ImportFileError
from kiemchung.models import DOC_KINDS
from kiemchung.privacy import JSONBytes
from kiemchung.sources.import_records import (  # noqa: F401 - re-exported: the public import API
    _MAX_FIELD_CHARS,
    ENGAGEMENT_FIELDS,
    FieldMapping,
    ImportRow,
    _build_row,
    _clip,
    _Context,
    _decode_warning,
    _key,
    _raw_bytes,
    _Resolver,
    parse_count,
    parse_import_time,
)

FORMATS = ("jsonl", "csv", "xlsx")

_SNIFF_BYTES = 1 << 16
_MAX_RECORD_LINES = 5000  # a quoted CSV record spanning more lines than this is treated as broken

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


# What a broken or hostile workbook makes openpyxl, zipfile and the XML parsers raise while reading
# (ElementTree's and lxml's parse errors are SyntaxErrors; defusedxml's refusals are ValueErrors).
_XLSX_ERRORS = (ValueError, KeyError, OSError, EOFError, SyntaxError, zipfile.BadZipFile, zlib.error)
_XML_PROLOG_BYTES = 8192
_DTD_MARKS = (b"<!doctype", b"<!entity")


def _refuse_xml_entities(p: Path) -> None:
    """Refuse a workbook whose XML parts declare a DTD or entities (entity expansion, external entities).

    An .xlsx written by a spreadsheet program never has them. A DTD can only come before the root
    element, so the start of each part is enough; parts are read through the zip stream, never whole.
    """
    try:
        with zipfile.ZipFile(p) as zf:
            for info in zf.infolist():
                if not info.filename.lower().endswith((".xml", ".rels", ".vml")):
                    continue
                with zf.open(info) as fh:
                    head = fh.read(_XML_PROLOG_BYTES)
                if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                    head = head.decode("utf-16", errors="ignore").encode()
                lowered = head.replace(b"\0", b"").lower()
                if any(mark in lowered for mark in _DTD_MARKS):
                    raise ImportFileError(
                        f"Tệp Excel {p.name} bị từ chối: phần {info.filename} khai báo DTD/thực thể XML, "
                        "dấu hiệu của tệp độc hại (refused: XML entity declarations in an .xlsx)."
                    )
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError, RuntimeError) as exc:
        raise ImportFileError(f"Tệp Excel {p.name} bị hỏng hoặc không phải .xlsx: {exc}.") from exc


def _open_workbook(p: Path):
    """The workbook at ``p`` opened read-only, after :func:`_refuse_xml_entities`; a clear error otherwise.

    openpyxl parses through defusedxml (a dependency) when it is installed, which also refuses entities.
    """
    from openpyxl import load_workbook

    _refuse_xml_entities(p)
    try:
        return load_workbook(p, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many types for a broken workbook; reported
        raise ImportFileError(f"Tệp Excel {p.name} bị hỏng hoặc không phải .xlsx: {exc}.") from exc


def count_lines(path: str | Path) -> int:
    """A cheap count of records for progress bars: newlines for text files, rows for Excel."""
    p = _check_path(path)
    if detect_format(p) == "xlsx":
        wb = _open_workbook(p)
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
            try:
                raw = line.encode("utf-8")
                exact = True
            except UnicodeEncodeError:  # lone surrogates: the bytes are not the line's
                raw, exact = line.encode("utf-8", errors="replace"), False
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
            # The scrub of authors (privacy.scrub_raw) reads the record parsed here, not the bytes again.
            yield _build_row(ctx, lineno, record, JSONBytes(raw, record) if exact else raw, warnings)


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
    wb = _open_workbook(p)
    try:
        yield from _xlsx_rows(ctx, p, wb, start_after)
    except _XLSX_ERRORS as exc:
        # Read-only sheets are parsed as they are iterated: a part broken past the first rows fails here.
        raise ImportFileError(f"Tệp Excel {p.name} bị hỏng, dừng ở giữa trang tính: {exc}.") from exc
    finally:
        wb.close()


def _xlsx_rows(ctx: _Context, p: Path, wb, start_after: int) -> Iterator[ImportRow]:
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
