"""Tests of kiemchung.sources.imports: formats, encodings, broken rows, mappings, whole-file errors."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import unicodedata
from pathlib import Path

import pytest

from kiemchung.errors import ConfigError, ImportFileError
from kiemchung.sources.imports import (
    FieldMapping,
    count_lines,
    detect_encoding,
    detect_format,
    import_summary,
    iter_import,
    parse_count,
    parse_import_time,
)
from kiemchung.text import repair_mojibake
from kiemchung.timeutil import VN_TZ

FIX = Path(__file__).parent / "fixtures" / "imports"


def split(rows):
    rows = list(rows)
    return [r for r in rows if r.ok], [r for r in rows if not r.ok]


def to_cp1258(text: str) -> bytes:
    """Encode like a windows-1258 editor: precomposed base letters, tone marks as combining marks."""
    out = []
    for ch in text:
        try:
            ch.encode("cp1258")
            out.append(ch)
        except UnicodeEncodeError:
            d = unicodedata.normalize("NFD", ch)
            tones = [c for c in d if c in "\u0300\u0301\u0303\u0309\u0323"]
            base = unicodedata.normalize("NFC", "".join(c for c in d if c not in tones))
            out.append(base + "".join(tones))
    return "".join(out).encode("cp1258")


# ---------------------------------------------------------------------------------------------- JSONL


def test_jsonl_broken_rows_exact_lines_and_good_rows_kept():
    good, bad = split(iter_import(FIX / "posts_broken.jsonl"))
    assert [r.line for r in good] == [1, 3, 10]
    assert [r.document.external_id for r in good] == ["p1", "p3", "p8"]
    assert [r.line for r in bad] == [2, 5, 6, 7, 8, 9]
    msgs = {r.line: r.error for r in bad}
    assert msgs[2].startswith("Dòng 2: JSON không hợp lệ")
    assert "thiếu nội dung" in msgs[5]
    assert "hôm kia" in msgs[6] and "thời gian" in msgs[6]
    assert "đối tượng JSON" in msgs[7]
    assert "số âm" in msgs[8] and "shares" in msgs[8]
    assert "nhiều lắm" in msgs[9] and "comments" in msgs[9]
    # error rows keep the original text so nothing is lost
    assert all(r.raw for r in bad)
    assert b"khu \xe1\xba\xa9m th\xe1\xbb\xb1c" in next(r.raw for r in bad if r.line == 2)


def test_jsonl_document_fields():
    rows = {r.line: r for r in iter_import(FIX / "posts_broken.jsonl") if r.ok}
    d1 = rows[1].document
    assert d1.kind == "post"
    assert d1.author == "Trần Mai"  # nested from.name, raw handle (the store hashes it)
    assert d1.engagement == {"likes": 12, "shares": 3}
    assert d1.published_at == dt.datetime(2026, 11, 2, 0, 30, tzinfo=dt.UTC)
    assert d1.meta["line"] == 1
    assert json.loads(d1.raw)["id"] == "p1"
    d3 = rows[3].document
    assert d3.published_at == dt.datetime.fromtimestamp(1793494800, dt.UTC)
    assert d3.engagement == {"reactions": 40}  # reactions.summary.total_count
    d10 = rows[10].document
    assert d10.author == "be.na.bendo"
    assert d10.engagement == {"shares": 1234}
    assert d10.published_at.tzinfo is not None and d10.published_at.utcoffset() == dt.timedelta(hours=7)


def test_platform_and_kind_parameters(tmp_path):
    p = tmp_path / "x.jsonl"
    p.write_text('{"text": "a"}\n{"text": "b", "platform": "TikTok"}\n', encoding="utf-8")
    docs = [r.document for r in iter_import(p, platform="facebook", kind="official")]
    assert [d.platform for d in docs] == ["facebook", "tiktok"]
    assert {d.kind for d in docs} == {"official"}
    with pytest.raises(ConfigError):
        iter_import(p, kind="tweet")
    with pytest.raises(ConfigError):
        iter_import(p, fmt="parquet")


# ------------------------------------------------------------------------------------------------ CSV


def test_csv_broken_rows_exact_lines_and_good_rows_kept():
    good, bad = split(iter_import(FIX / "posts_broken.csv"))
    assert [(r.line, r.document.external_id) for r in good] == [(2, "c1"), (3, "c2"), (7, "c5"), (12, "c9")]
    assert [r.line for r in bad] == [5, 6, 8, 9, 11]
    assert good[1].document.body == "Bài viết có hai dòng:\ndòng thứ hai của bài, có dấu phẩy"
    assert good[3].document.engagement == {"likes": 1500, "shares": 3}
    assert good[3].document.published_at == dt.datetime(2026, 11, 1, 14, 15, tzinfo=VN_TZ)
    msgs = {r.line: r.error for r in bad}
    assert "4 cột" in msgs[5]
    assert "ngoặc kép" in msgs[6]
    assert "7 cột" in msgs[8]
    assert "số âm" in msgs[9]
    assert "'abc'" in msgs[11]
    assert all(m.startswith(f"Dòng {line}:") for line, m in msgs.items())


@pytest.mark.parametrize("delim", [",", ";", "\t", "|"])
def test_csv_delimiter_is_sniffed(tmp_path, delim):
    p = tmp_path / "d.csv"
    rows = [["Mã bài", "Nội dung", "Thời gian", "Lượt thích"],
            ["1", "Trời hôm nay, nắng đẹp", "20/11/2026 08:30", "5"],
            ["2", "Mưa; gió lớn | cẩn thận", "20/11/2026 09:00", "7"]]
    import csv

    with p.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, delimiter=delim).writerows(rows)
    docs = [r.document for r in iter_import(p)]
    assert [d.body for d in docs] == ["Trời hôm nay, nắng đẹp", "Mưa; gió lớn | cẩn thận"]
    assert [d.engagement["likes"] for d in docs] == [5, 7]
    assert [d.external_id for d in docs] == ["1", "2"]


def test_csv_bom_crlf_and_vietnamese_headers(tmp_path):
    p = tmp_path / "bom.csv"
    text = "Tài khoản;Nội dung;Thời gian;Lượt chia sẻ\r\nHoa;Xin chào bà con;20/11/2026 08:30;1,2K\r\n"
    p.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    (row,) = list(iter_import(p))
    assert row.ok, row.error
    assert row.document.author == "Hoa"
    assert row.document.engagement == {"shares": 1200}
    assert row.document.body == "Xin chào bà con"


def test_csv_without_text_column_is_unusable(tmp_path):
    p = tmp_path / "nocol.csv"
    p.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(ImportFileError, match="cột nội dung"):
        list(iter_import(p))


def test_gzip_csv(tmp_path):
    p = tmp_path / "posts.csv.gz"
    with gzip.open(p, "wt", encoding="utf-8") as fh:
        fh.write("text,likes\nmột,1\nhai,2\n")
    assert detect_format(p) == "csv"
    assert [r.document.body for r in iter_import(p)] == ["một", "hai"]


# ---------------------------------------------------------------------------------------- Encodings


def test_utf16_with_and_without_bom(tmp_path):
    content = "text\tcreated_at\nNgười dân phấn khởi đón cầu mới\t2026-09-30 09:00\n"
    with_bom = tmp_path / "a.tsv"
    with_bom.write_bytes(content.encode("utf-16"))
    no_bom = tmp_path / "b.csv"
    no_bom.write_bytes(content.encode("utf-16-le"))
    assert detect_encoding(no_bom).encoding == "utf-16-le"
    for p in (with_bom, no_bom):
        (row,) = list(iter_import(p))
        assert row.document.body == "Người dân phấn khởi đón cầu mới"


def test_windows_1258_is_decoded_and_reported(tmp_path):
    p = tmp_path / "legacy.csv"
    p.write_bytes(to_cp1258("text,date\nCơ quan chức năng đã kiểm tra nguồn nước,01/11/2026\nĐường lên đèo Ngọc Trà,02/11/2026\n"))
    guess = detect_encoding(p)
    assert guess.encoding == "cp1258" and guess.legacy
    rows = list(iter_import(p))
    assert [r.document.body for r in rows] == ["Cơ quan chức năng đã kiểm tra nguồn nước", "Đường lên đèo Ngọc Trà"]
    assert unicodedata.is_normalized("NFC", rows[0].document.body)
    assert any("cp1258" in w for w in rows[0].warnings)
    assert rows[0].document.meta["encoding"] == "cp1258"


def test_legacy_font_bytes_never_crash_and_go_through_repair(tmp_path):
    # VNI-Windows style bytes (not UTF-8, not Vietnamese in windows-1258): read as cp1252 for repair.
    vni = "Vieät Nam ñaát nöôùc töôi ñeïp"
    p = tmp_path / "vni.csv"
    p.write_bytes(b"text\n" + vni.encode("cp1252") + b"\n" + bytes([0x81, 0x8D, 0x41]) + b"\n")
    guess = detect_encoding(p)
    assert guess.encoding == "cp1252" and guess.legacy
    rows = list(iter_import(p))
    assert len(rows) == 2 and all(r.ok for r in rows)
    expected, enc = repair_mojibake(vni)
    assert rows[0].document.body == expected
    assert rows[0].document.meta.get("mojibake_repaired", [None])[0] == enc
    assert rows[1].document.body == "\x81\x8dA"  # undefined cp1252 bytes kept as Latin-1, not lost
    assert "Bảng mã" in rows[0].warnings[0]


def test_utf8_mojibake_text_goes_through_repair(tmp_path):
    broken = "Viá»‡t Nam lÃ  má»™t quá»‘c gia"  # noqa: RUF001 (mojibake on purpose)
    p = tmp_path / "m.jsonl"
    p.write_text(json.dumps({"text": broken}) + "\n", encoding="utf-8")
    (row,) = list(iter_import(p))
    assert row.document.body == repair_mojibake(broken)[0]


def test_invalid_utf8_byte_after_sniff_window_is_replaced_and_reported(tmp_path):
    p = tmp_path / "late.jsonl"
    filler = "".join(json.dumps({"text": f"bài số {i} về phường Vĩnh Tân"}, ensure_ascii=False) + "\n" for i in range(3000))
    data = filler.encode("utf-8") + b'{"text": "h\xf0ng b\xe1\xbb\x99t"}\n' + '{"text": "cuối"}\n'.encode()
    assert len(filler.encode()) > 1 << 16
    p.write_bytes(data)
    rows = list(iter_import(p))
    assert len(rows) == 3002 and all(r.ok for r in rows)
    bad = rows[3000]
    assert bad.line == 3001 and "\ufffd" in bad.document.body
    assert any("không giải mã được" in w for w in bad.warnings)
    assert rows[-1].document.body == "cuối"


# ---------------------------------------------------------------------------------------------- Excel


def test_xlsx_rows_types_and_errors(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Nội dung", "Thời gian", "Lượt thích", "Link", "Tác giả"])
    ws.append(["Bài một", dt.datetime(2026, 11, 1, 9, 0), 5, "https://x.example/1", "hoa.le"])
    ws.append([])
    ws.append(["Bài hai", "hôm qua", 3.0, None, None])
    ws.append(["Bài ba", "20/11/2026 08:30", 2.5, "khong-phai-url", None])
    ws.append(["Bài bốn", 1793494800, 7.0, "https://x.example/4", None, "cột thừa"])
    p = tmp_path / "x.xlsx"
    wb.save(p)
    rows = list(iter_import(p))
    assert [r.line for r in rows] == [2, 4, 5, 6]
    first = rows[0].document
    assert first.published_at == dt.datetime(2026, 11, 1, 9, 0, tzinfo=VN_TZ)
    assert first.engagement == {"likes": 5} and first.author == "hoa.le" and first.url == "https://x.example/1"
    assert json.loads(first.raw)["Thời gian"] == "2026-11-01T09:00:00"
    assert rows[1].error.startswith("Dòng 4:") and "hôm qua" in rows[1].error
    assert rows[2].error.startswith("Dòng 5:") and "2.5" in rows[2].error
    assert rows[3].ok and rows[3].document.engagement == {"likes": 7}
    assert json.loads(rows[3].raw)["_extra"] == ["cột thừa"]
    assert count_lines(p) == 6


def test_broken_xlsx_is_unusable(tmp_path):
    p = tmp_path / "bad.xlsx"
    p.write_bytes(b"PK\x03\x04 not really a zip file at all")
    with pytest.raises(ImportFileError, match="Excel"):
        list(iter_import(p))


def _hostile_xlsx(path: Path, part: str, attack: str) -> Path:
    """A real workbook whose XML ``part`` is rewritten with an entity-expansion or external-entity DTD."""
    import zipfile

    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    wb.active.append(["text", "time"])
    wb.active.append(["PAYLOAD", "2026-03-01"])
    base = path.with_suffix(".base.xlsx")
    wb.save(base)
    with zipfile.ZipFile(base) as zin, zipfile.ZipFile(path, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == part:
                text = data.decode()
                prolog = ""
                if text.startswith("<?xml"):
                    prolog, text = text.split("?>", 1)
                    prolog += "?>"
                root = text.lstrip()[1:].split()[0]
                if attack == "laughs":
                    dtd = f'<!DOCTYPE {root} [<!ENTITY l0 "hahahahahahahahahaha">' + "".join(
                        f'<!ENTITY l{i} "' + f"&l{i - 1};" * 10 + '">' for i in range(1, 9)
                    ) + "]>"
                    text = text.replace("PAYLOAD", "&l8;")
                else:
                    dtd = f'<!DOCTYPE {root} [<!ENTITY x SYSTEM "file:///etc/hostname">]>'
                    text = text.replace("PAYLOAD", "&x;")
                data = (prolog + dtd + text).encode()
            zout.writestr(item, data)
    return path


@pytest.mark.parametrize("attack", ["laughs", "external"])
@pytest.mark.parametrize("part", ["xl/worksheets/sheet1.xml", "xl/workbook.xml", "[Content_Types].xml"])
def test_hostile_xlsx_is_refused_with_the_file_name(tmp_path, part, attack):
    p = _hostile_xlsx(tmp_path / "doc-hai.xlsx", part, attack)
    with pytest.raises(ImportFileError, match="doc-hai.xlsx"):
        list(iter_import(p))
    with pytest.raises(ImportFileError, match="doc-hai.xlsx"):
        count_lines(p)


def test_hostile_xlsx_through_the_cli_is_one_clear_line(tmp_path, capsys):
    from factories import run_cli_in_process

    p = _hostile_xlsx(tmp_path / "doc-hai.xlsx", "xl/worksheets/sheet1.xml", "laughs")
    assert run_cli_in_process(tmp_path / "kc.db", "import", str(p)) == 1
    err = capsys.readouterr().err
    assert "doc-hai.xlsx" in err and "Traceback" not in err


def test_xlsx_part_broken_mid_sheet_is_a_clear_error(tmp_path):
    """Read-only sheets are parsed while iterated: a sheet cut off after its first rows."""
    import zipfile

    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    for i in range(300):
        wb.active.append([f"Bài số {i}", "2026-03-01"])
    base = tmp_path / "base.xlsx"
    wb.save(base)
    p = tmp_path / "cut.xlsx"
    with zipfile.ZipFile(base) as zin, zipfile.ZipFile(p, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2] + b"<row><c><<<"
            zout.writestr(item, data)
    with pytest.raises(ImportFileError, match="cut.xlsx"):
        list(iter_import(p))


# --------------------------------------------------------------------------------------------- Mapping


def test_mapping_file_json_nested_and_time_format():
    m = FieldMapping.from_file(FIX / "mapping.json")
    (row,) = list(iter_import(FIX / "custom.jsonl", mapping=m))
    d = row.document
    assert d.body == "Video về lễ hội sen"  # the mapped column, not the "text" key the defaults would take
    assert d.title == "Lễ hội sen"
    assert d.author == "kenh.dong.lam"
    assert d.platform == "youtube" and d.external_id == "k1"
    assert d.engagement == {"likes": 77}
    assert d.published_at == dt.datetime(2026, 9, 20, 8, 15, tzinfo=VN_TZ)


def test_mapping_file_toml_delimiter_and_timezone():
    m = FieldMapping.from_file(FIX / "mapping.toml")
    assert m.delimiter == "|"
    (row,) = list(iter_import(FIX / "custom.csv", mapping=m))
    assert row.document.body == "Hoa sen nở rộ ở đầm Thủy Liên"
    assert row.document.published_at == dt.datetime(2026, 9, 20, 1, 0, tzinfo=dt.UTC)
    assert row.document.engagement == {"likes": 9}


def test_mapping_validation_and_extend(tmp_path):
    with pytest.raises(ConfigError, match="noi_dung_typo"):
        FieldMapping.from_dict({"noi_dung_typo": "x"})
    with pytest.raises(ConfigError):
        FieldMapping(timezone="Mars/Olympus")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(ConfigError):
        FieldMapping.from_file(bad)
    ext = FieldMapping.from_dict({"text": "bai"}, replace=False)
    assert ext.text[0] == "bai" and "message" in ext.text
    assert FieldMapping.from_dict(FieldMapping().to_dict()) == FieldMapping()


# -------------------------------------------------------------------------------------- Value parsing


@pytest.mark.parametrize(("value", "expected"), [
    (12, 12), ("12", 12), ("1.234", 1234), ("1,234,567", 1234567), ("1,2K", 1200), ("3 N", 3000),
    ("1.5 tr", 1_500_000), (7.0, 7), ("12.0", 12), ("", None), (None, None), ("2\u00a0500", 2500),
])
def test_parse_count_accepts(value, expected):
    assert parse_count(value) == expected


@pytest.mark.parametrize("value", [-1, "-3", "abc", 2.5, True, float("nan"), "12 lượt"])
def test_parse_count_rejects(value):
    with pytest.raises(ValueError):
        parse_count(value)


@pytest.mark.parametrize(("value", "expected"), [
    (1793494800, dt.datetime(2026, 11, 1, 1, 0, tzinfo=dt.UTC)),
    (1793494800000, dt.datetime(2026, 11, 1, 1, 0, tzinfo=dt.UTC)),
    ("1793494800", dt.datetime(2026, 11, 1, 1, 0, tzinfo=dt.UTC)),
    ("20/11/2026 08:30", dt.datetime(2026, 11, 20, 8, 30, tzinfo=VN_TZ)),
    ("20-11-2026", dt.datetime(2026, 11, 20, tzinfo=VN_TZ)),
    ("2026-11-20T01:30:00Z", dt.datetime(2026, 11, 20, 1, 30, tzinfo=dt.UTC)),
    ("2026-11-20 08:30", dt.datetime(2026, 11, 20, 8, 30, tzinfo=VN_TZ)),
    (dt.datetime(2026, 11, 20, 8, 30), dt.datetime(2026, 11, 20, 8, 30, tzinfo=VN_TZ)),
])
def test_parse_import_time(value, expected):
    got = parse_import_time(value)
    assert got == expected and got.tzinfo is not None


@pytest.mark.parametrize("value", ["hôm qua", "32/13/2026 10:00", 12, "0001-01-01"])
def test_parse_import_time_rejects(value):
    with pytest.raises(ValueError):
        parse_import_time(value)


# --------------------------------------------------------------------------------- Whole-file errors


def test_unusable_files(tmp_path):
    with pytest.raises(ImportFileError, match="Không tìm thấy"):
        iter_import(tmp_path / "missing.jsonl")
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(ImportFileError, match="rỗng"):
        iter_import(empty)
    blank = tmp_path / "blank.jsonl"
    blank.write_text("\n  \n\t\n", encoding="utf-8")
    with pytest.raises(ImportFileError, match="rỗng"):
        iter_import(blank)
    garbage = tmp_path / "garbage.dat"
    garbage.write_bytes(bytes(range(256)) * 20)
    with pytest.raises(ImportFileError, match="nhị phân"):
        iter_import(garbage)
    garbage_csv = tmp_path / "garbage.csv"
    garbage_csv.write_bytes(bytes(range(256)) * 20)
    with pytest.raises(ImportFileError, match="nhị phân"):
        iter_import(garbage_csv)
    unknown = tmp_path / "notes.bin"
    unknown.write_text("chỉ là một ghi chú không có cấu trúc\n", encoding="utf-8")
    with pytest.raises(ImportFileError, match="định dạng"):
        iter_import(unknown)
    array = tmp_path / "arr.json"
    array.write_text('[{"text": "a"}]', encoding="utf-8")
    with pytest.raises(ImportFileError, match="JSONL"):
        iter_import(array)
    with pytest.raises(ImportFileError, match="không phải là tệp"):
        iter_import(tmp_path)


def test_format_sniffing_without_extension(tmp_path):
    j = tmp_path / "export1"
    j.write_text('{"message": "xin chào"}\n', encoding="utf-8")
    c = tmp_path / "export2"
    c.write_text("message;likes\nxin chào;3\n", encoding="utf-8")
    assert detect_format(j) == "jsonl" and detect_format(c) == "csv"
    assert next(iter(iter_import(c))).document.engagement == {"likes": 3}


# ------------------------------------------------------------------------------- Size, resume, count


def test_huge_field_csv_and_jsonl(tmp_path):
    big = ("Người dân Giang Khẩu " * 60_000).strip()  # ~1.2 MB, far above csv's default field limit
    c = tmp_path / "big.csv"
    c.write_text(f'text,likes\n"{big}",1\nsau,2\n', encoding="utf-8")
    rows = list(iter_import(c))
    assert [r.line for r in rows] == [2, 3] and all(r.ok for r in rows)
    assert rows[0].document.body == big
    j = tmp_path / "big.jsonl"
    j.write_text(json.dumps({"text": big}, ensure_ascii=False) + "\n" + '{"text": "sau"}\n', encoding="utf-8")
    rows = list(iter_import(j))
    assert len(rows[0].document.body) == len(big) and rows[1].document.body == "sau"


def test_unclosed_quote_does_not_swallow_the_rest(tmp_path):
    p = tmp_path / "q.csv"
    lines = ["text,likes", '"mở ngoặc mà không đóng,1'] + [f"bài {i},{i}" for i in range(50)]
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    good, bad = split(iter_import(p))
    assert [r.line for r in bad] == [2]
    assert len(good) == 50 and good[0].line == 3 and good[-1].line == 52


def test_start_after_line_resumes(tmp_path):
    rows_all = list(iter_import(FIX / "posts_broken.csv"))
    resumed = list(iter_import(FIX / "posts_broken.csv", start_after_line=6))
    assert [r.line for r in resumed] == [r.line for r in rows_all if r.line > 6]
    resumed_j = list(iter_import(FIX / "posts_broken.jsonl", start_after_line=8))
    assert [r.line for r in resumed_j] == [9, 10]


def test_count_lines_and_summary(tmp_path):
    assert count_lines(FIX / "posts_broken.jsonl") == 10
    assert count_lines(FIX / "posts_broken.csv") == 12
    p = tmp_path / "many.jsonl"
    with p.open("w", encoding="utf-8") as fh:
        for i in range(20_000):
            fh.write(json.dumps({"id": i, "text": f"bài {i}", "likes": i}) + "\n")
    assert count_lines(p) == 20_000
    summary = import_summary(iter_import(p))
    assert summary["documents"] == 20_000 and summary["errors"] == 0
    s2 = import_summary(iter_import(FIX / "posts_broken.jsonl"))
    assert s2["documents"] == 3 and s2["errors"] == 6 and s2["first_errors"][0].startswith("Dòng 2:")


def test_iter_import_is_lazy(tmp_path):
    """Rows come one by one: the first row is available even though a later line is broken."""
    p = tmp_path / "lazy.jsonl"
    p.write_text('{"text": "một"}\n{"text": "hai"}\n', encoding="utf-8")
    it = iter_import(p)
    first = next(it)
    assert first.document.body == "một"
    assert next(it).document.body == "hai"
    with pytest.raises(StopIteration):
        next(it)


def test_truncated_gzip_keeps_rows_read_so_far(tmp_path):
    p = tmp_path / "cut.jsonl.gz"
    body = "".join(json.dumps({"text": f"bài số {i}"}, ensure_ascii=False) + "\n" for i in range(50_000))
    data = gzip.compress(body.encode("utf-8"))
    p.write_bytes(data[: len(data) // 2])
    rows = list(iter_import(p))
    good, bad = split(rows)
    assert 1000 < len(good) < 50_000 and [r.line for r in good] == list(range(1, len(good) + 1))
    assert len(bad) == 1 and bad[0] is rows[-1] and "cắt ngang" in bad[0].error


def test_runaway_quoted_record_is_cut_and_the_rest_recovered(tmp_path):
    # An unclosed quote near the top of a long file: the record never ends, so it is cut at the limit
    # of lines per record, reported at its first line, and every following line is parsed again.
    p = tmp_path / "runaway.csv"
    lines = ["text,likes", '"không đóng ngoặc,1'] + [f"bài {i},{i}" for i in range(6000)]
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    good, bad = split(iter_import(p))
    assert [r.line for r in bad] == [2]
    assert len(good) == 6000 and good[0].line == 3 and good[-1].line == 6002
    assert good[-1].document.engagement == {"likes": 5999}


def test_jsonl_lines_split_on_lf_only(tmp_path):
    p = tmp_path / "seps.jsonl"
    text = "dòng\u2028vẫn là một bài\rcó CR"
    p.write_bytes((json.dumps({"text": text}, ensure_ascii=False) + "\r\n" + '{"text": "hai"}').encode("utf-8"))
    rows = list(iter_import(p))
    assert [(r.line, r.ok) for r in rows] == [(1, True), (2, True)]
    assert rows[0].document.body == text


def test_jsonl_rows_carry_their_parsed_record_and_the_scrub_gives_the_same_bytes(tmp_path):
    """A JSON Lines row's raw bytes carry the record parsed from them (privacy.JSONBytes), and scrubbing
    authors with it gives exactly what decoding and parsing the bytes again gives."""
    import pickle

    from kiemchung.privacy import JSONBytes, hash_handle, scrub_raw

    rows = [
        {"id": "1", "message": "Xem https://facebook.com/ng.van.a/posts/1 nhé", "author": "ng.van.a",
         "created_time": "2026-04-01 07:00", "extra": {"from": {"name": "Nguyễn Văn A", "id": "100"}}},
        {"id": "2", "message": "Liên hệ a@b.vn", "author": "B", "created_time": "2026-04-01 07:01", "n": 3.5},
        {"id": "3", "message": "Chỉ chữ, không tên", "created_time": "2026-04-01 07:02", "tags": ["x", None]},
    ]
    path = tmp_path / "posts.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    docs = [row.document for row in iter_import(path)]
    assert len(docs) == 3

    def hasher(value: str) -> str:
        return hash_handle(value, "salt")

    for doc in docs:
        assert type(doc.raw) is JSONBytes and json.loads(bytes(doc.raw)) == doc.raw.parsed
        again = pickle.loads(pickle.dumps(doc.raw))  # a copied or queued document keeps both
        assert type(again) is JSONBytes and again == doc.raw and again.parsed == doc.raw.parsed
        for known in ([], [doc.author or "B"]):
            assert scrub_raw(doc.raw, hasher, known=known) == scrub_raw(bytes(doc.raw), hasher, known=known)
