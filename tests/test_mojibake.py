"""Tests of mojibake detection and repair (UTF-8 read as windows-1252, VNI-Windows, TCVN3/ABC).

Fixtures are our own Vietnamese sentences, encoded here with encoders written independently of the
decoder tables in kiemchung/text/mojibake.py, plus a few hand-typed strings of the kind seen in
old documents ("Vieät Nam", "ViÖt Nam", "Hµ Néi").
"""

# ruff: noqa: RUF001  (Vietnamese text: letters, quotes and dashes are meant)

from __future__ import annotations

import unicodedata

import pytest

from kiemchung.text import repair_mojibake

SENTENCES = [
    "Việt Nam là một quốc gia ở Đông Nam Á.",
    "Thủ tướng chỉ đạo các bộ, ngành khẩn trương khắc phục hậu quả bão số 3.",
    "Người dân Hà Nội đổ ra đường ngắm pháo hoa đêm giao thừa.",
    "Giá xăng tăng 1.000 đồng mỗi lít từ 15 giờ chiều nay.",
    "Ủy ban nhân dân tỉnh Quảng Ninh yêu cầu tàu thuyền vào nơi tránh trú an toàn.",
    "Trường trung học phổ thông Nguyễn Trãi được khen thưởng vì thành tích xuất sắc.",
    "Ông ấy nói rằng mưa lũ đã cuốn trôi hàng chục ngôi nhà ven suối.",
    "Bệnh viện tiếp nhận hơn hai trăm ca sốt xuất huyết trong tuần qua.",
]

# --- VNI-Windows encoder (as the characters a windows-1252 reader shows) ---------------------------
_VNI_PLAIN = {"\u0301": "ù", "\u0300": "ø", "\u0309": "û", "\u0303": "õ", "\u0323": "ï"}
_VNI_CIRC = {"": "â", "\u0301": "á", "\u0300": "à", "\u0309": "å", "\u0303": "ã", "\u0323": "ä"}
_VNI_BREVE = {"": "ê", "\u0301": "é", "\u0300": "è", "\u0309": "ú", "\u0303": "ü", "\u0323": "ë"}
_VNI_I = {"\u0301": "í", "\u0300": "ì", "\u0309": "æ", "\u0303": "ó", "\u0323": "ò"}


def vni_encode(s: str) -> str:
    out = []
    for ch in s:
        upper = ch != ch.lower()
        low = ch.lower()
        if low == "đ":
            enc = "ñ"
        else:
            d = unicodedata.normalize("NFD", low)
            base, marks = d[0], d[1:]
            tone = next((m for m in marks if m in _VNI_PLAIN), "")
            if base not in "aeiouy" or not (tone or set(marks) & {"\u0302", "\u0306", "\u031b"}):
                out.append(ch)
                continue
            if "\u0302" in marks:
                enc = base + _VNI_CIRC[tone]
            elif "\u0306" in marks:
                enc = base + _VNI_BREVE[tone]
            elif "\u031b" in marks:
                enc = {"o": "ô", "u": "ö"}[base] + _VNI_PLAIN.get(tone, "")
            elif base == "i":
                enc = _VNI_I[tone]
            elif base == "y" and tone == "\u0323":
                enc = "î"
            else:
                enc = base + _VNI_PLAIN[tone]
        out.append(enc.upper() if upper else enc)
    return "".join(out)


# --- TCVN3 encoder: Unicode letter → the windows-1252 character of its TCVN3 byte -----------------
_TCVN3_PAIRS = (
    "á¸ àµ ả¶ ã· ạ¹ ă¨ ắ¾ ằ» ẳ¼ ẵ½ ặÆ â© ấÊ ầÇ ẩÈ ẫÉ ậË đ® "
    "éÐ èÌ ẻÎ ẽÏ ẹÑ êª ếÕ ềÒ ểÓ ễÔ ệÖ íÝ ì× ỉØ ĩÜ ịÞ "
    "óã òß ỏá õâ ọä ô« ốè ồå ổæ ỗç ộé ơ¬ ớí ờê ởë ỡì ợî "
    "úó ùï ủñ ũò ụô ư\u00ad ứø ừõ ửö ữ÷ ựù ýý ỳú ỷû ỹü ỵþ "
    "Ă¡ Â¢ Ê£ Ô¤ Ơ¥ Ư¦ Đ§"
)
_TCVN3 = {pair[0]: pair[1] for pair in _TCVN3_PAIRS.split()}


def tcvn3_encode(s: str) -> str:
    # Capital accented letters share the lowercase codes (they came from the ".VnTimeH" fonts).
    return "".join(_TCVN3.get(ch, _TCVN3.get(ch.lower(), ch)) for ch in s)


def utf8_as_cp1252(s: str) -> str:
    """UTF-8 bytes shown by a windows-1252 reader that keeps undefined bytes as Latin-1."""
    return "".join(
        bytes([b]).decode("cp1252") if b not in (0x81, 0x8D, 0x8F, 0x90, 0x9D) else chr(b)
        for b in s.encode("utf-8")
    )


# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("broken", "fixed", "encoding"),
    [
        ("Vieät Nam", "Việt Nam", "vni"),
        ("Haø Noäi laø thuû ñoâ cuûa Vieät Nam", "Hà Nội là thủ đô của Việt Nam", "vni"),
        ("ViÖt Nam", "Việt Nam", "tcvn3"),
        ("Hµ Néi lµ thñ ®« cña ViÖt Nam", "Hà Nội là thủ đô của Việt Nam", "tcvn3"),
        ("Thñ t\u00adíng ChÝnh phñ", "Thủ tướng Chính phủ", "tcvn3"),
        ("Viá»‡t Nam", "Việt Nam", "utf-8"),
        ("HÃ  Ná»™i lÃ  thá»§ Ä‘Ã´", "Hà Nội là thủ đô", "utf-8"),
        ("Tá»• quá»‘c", "Tổ quốc", "utf-8"),  # only "»" and curly quotes betray it
    ],
)
def test_hand_typed_fixtures(broken: str, fixed: str, encoding: str) -> None:
    assert repair_mojibake(broken) == (fixed, encoding)


@pytest.mark.parametrize("sentence", SENTENCES)
def test_vni_round_trip(sentence: str) -> None:
    broken = vni_encode(sentence)
    assert broken != sentence
    assert repair_mojibake(broken) == (sentence, "vni")
    assert repair_mojibake(vni_encode(sentence.upper())) == (sentence.upper(), "vni")


@pytest.mark.parametrize("sentence", SENTENCES)
def test_tcvn3_round_trip(sentence: str) -> None:
    broken = tcvn3_encode(sentence)
    assert broken != sentence
    repaired, enc = repair_mojibake(broken)
    assert enc == "tcvn3"
    # TCVN3 has no codes for capital accented letters; only their case can differ.
    assert repaired.lower() == sentence.lower()
    if not any(c.isupper() and not c.isascii() and c not in "ĂÂÊÔƠƯĐ" for c in sentence):
        assert repaired == sentence


def test_tcvn3_upper_case_words_are_recased() -> None:
    assert repair_mojibake(tcvn3_encode("TIN NÓNG: VIỆT NAM THẮNG"))[0] == "TIN NÓNG: VIỆT NAM THẮNG"


@pytest.mark.parametrize("sentence", SENTENCES)
def test_utf8_round_trip(sentence: str) -> None:
    assert repair_mojibake(utf8_as_cp1252(sentence)) == (sentence, "utf-8")
    # Read as Latin-1 instead: C1 control characters where windows-1252 has punctuation.
    assert repair_mojibake(sentence.encode("utf-8").decode("latin-1")) == (sentence, "utf-8")


@pytest.mark.parametrize("word", ["Bàm", "Bàm Bàm", "VÀ Bàn", "BÓC BÓC", "BÓ CÁ"])
def test_utf8_a_grave_after_a_capital_is_repaired(word: str) -> None:
    # "à" becomes "Ã" + no-break space, "Ó" "Ã" + "“": after a capital no lower-case letter shows the damage
    # (found by tests/test_text_properties.py: "Bàm Bàm" and "BÓC BÓC" came back unrepaired).
    assert repair_mojibake(utf8_as_cp1252(word)) == (word, "utf-8")


def test_utf8_partly_broken_text_is_repaired_where_possible() -> None:
    # A reader that replaced undecodable bytes: the rest is still repaired.
    broken = "Người dân Ä‘á»• ra Ä‘Æ°á»ng"
    assert repair_mojibake(broken) == ("Người dân đổ ra đưá»ng", "utf-8")


def test_legacy_bytes_read_by_an_importer() -> None:
    # What an importer gets when it decodes a legacy file as windows-1252.
    vni_bytes = vni_encode(SENTENCES[1]).encode("cp1252")
    assert repair_mojibake(vni_bytes.decode("cp1252")) == (SENTENCES[1], "vni")
    tcvn_bytes = tcvn3_encode(SENTENCES[2]).encode("cp1252")
    assert repair_mojibake(tcvn_bytes.decode("cp1252"))[1] == "tcvn3"


@pytest.mark.parametrize(
    "plain",
    [
        *SENTENCES,
        "",
        "Plain English text, nothing to see.",
        "Très bien, ça va ? Où est l'hôtel près de la forêt ?",
        "Grüße aus München, schöne Größe.",
        "¿Dónde está el niño? Mañana, señor.",
        "Nhiệt độ 30°C, giá 5 € — «hay» · 2×3, © Báo Mới",
        "Café Müller, naïve résumé, Ångström",
        "ÀÁÂÃÄÅÆÇÈÉ",
        "Ö",
        "ñ",
        "µ",
        "Hoà bình — thuỷ điện — khoẻ mạnh",
        unicodedata.normalize("NFD", "Việt Nam hòa bình"),
    ],
)
def test_plain_text_is_never_changed(plain: str) -> None:
    assert repair_mojibake(plain) == (plain, None)


def test_mixed_languages_with_few_latin1_letters_are_left_alone() -> None:
    s = "Hội thảo có khách từ Zürich và Malmö, đại diện của Nestlé phát biểu."
    assert repair_mojibake(s) == (s, None)


def test_a_lone_latin1_letter_is_not_taken_for_vni() -> None:
    # "Æ" is VNI's "Ỉ", but a one-letter word is no evidence (a child's name in a news title).
    s = "Tỷ phú đặt tên con là X Æ A-12 và cả nhà rất vui."
    assert repair_mojibake(s) == (s, None)
