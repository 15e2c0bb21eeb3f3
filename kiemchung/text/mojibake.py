"""Detection and repair of Vietnamese mojibake: legacy 8-bit encodings and mis-decoded UTF-8.

Three kinds of damage are repaired, all produced by reading bytes as windows-1252 (or Latin-1):

* ``"utf-8"``: UTF-8 read as windows-1252, "Viá»‡t Nam" → "Việt Nam";
* ``"vni"``: VNI-Windows (VNI fonts, two bytes per accented vowel: base letter then a mark byte)
  read as windows-1252, "Vieät Nam" → "Việt Nam";
* ``"tcvn3"``: TCVN3 / ABC (TCVN 5712:1993 VN3, one byte per letter, upper-case accented letters
  only through separate ".VnTimeH" fonts) read as windows-1252, "ViÖt Nam" → "Việt Nam".

Tables. The VNI and TCVN3 tables below follow the layout of the xvnkb keyboard driver's
``vni.h`` and ``tcvn.h`` (Dao Hai Lam, 2002, github.com/lamdao/xvnkb): for each vowel, the plain
letter and its acute, grave, hook, tilde and dot-below forms, then the circumflex, breve and horn
letters and đ. They are written here as our own generated tables (``_build_vni``, ``_TCVN3``),
checked in tests/test_mojibake.py by encoding our own sentences and decoding them back. For TCVN3
only the single-byte lowercase letters (0xB5–0xFE) and the seven base capitals Ă Â Ê Ô Ơ Ư Đ
(0xA1–0xA7) are decoded; the rarely used capital-letter codes in 0x80–0x9F would collide with
windows-1252 punctuation (curly quotes, dashes) that TCVN3 documents also contain.

Safety. :func:`repair_mojibake` changes text only when (1) it contains characters that plain
Vietnamese or English text does not (Latin-1 symbols and letters outside the Vietnamese alphabet),
or, failing that, most of its accented words are not Vietnamese syllables (VNI text such as
"thaùng" uses only letters that Vietnamese also has), (2) a candidate repair leaves fewer such
characters (or, in the second case, none) and (3) the repaired words are clearly more Vietnamese:
at least 75% of the words with non-ASCII letters are valid Vietnamese syllables, at least 25
points more than before (or all of them, with no suspicious character left), and they hold at
least three letters. Plain Vietnamese, English and other
languages come back unchanged.
"""

# ruff: noqa: RUF001, RUF002, RUF003  (Vietnamese text: letters, quotes and dashes are meant)

from __future__ import annotations

import re
import unicodedata

from kiemchung.text import memo
from kiemchung.text.syllable import is_syllable

# ----------------------------------------------------------------------------------------------
# windows-1252 / Latin-1 text back to bytes

_TO_BYTE: dict[str, int] = {}
for _b in range(256):
    try:
        _TO_BYTE[bytes([_b]).decode("cp1252")] = _b
    except UnicodeDecodeError:
        _TO_BYTE[chr(_b)] = _b  # 0x81, 0x8D, 0x8F, 0x90, 0x9D: undefined in cp1252, kept as Latin-1
for _b in range(0x80, 0xA0):  # Latin-1 readers give C1 controls for the cp1252 punctuation bytes
    _TO_BYTE.setdefault(chr(_b), _b)


def _encode_1252(text: str) -> bytes | None:
    """``text`` as the bytes a windows-1252/Latin-1 reader saw, or None if it has other characters."""
    try:
        return bytes(_TO_BYTE[c] for c in text)
    except KeyError:
        return None


# ----------------------------------------------------------------------------------------------
# UTF-8 read as windows-1252

_UTF8_SEQ = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


_ENCODABLE = re.compile("[" + "".join(re.escape(c) for c in sorted(_TO_BYTE) if not c.isascii()) + "]+")


_A_GRAVE = re.compile("\u00c3  ?")


def _repair_utf8(text: str) -> str | None:
    """Decode every run of windows-1252 characters whose bytes form valid UTF-8 sequences.

    "à" is C3 A0 in UTF-8, shown as "Ã" and a no-break space that later cleaning often turns into
    a plain space (or merges with the next space): "Ã" before a plain space is read as "à" + space.
    """
    if "\u00c3" in text:
        text = _A_GRAVE.sub("\u00c3\u00a0 ", text)
    parts: list[str] = []
    last_run = 0
    changed = False
    for run in _ENCODABLE.finditer(text):
        chunk = run.group()
        raw = _encode_1252(chunk)
        if raw is None or len(raw) < 2:
            continue
        pieces: list[str] = []
        last = 0
        for m in _UTF8_SEQ.finditer(raw):
            try:
                dec = m.group().decode("utf-8")
            except UnicodeDecodeError:
                continue
            pieces.append(chunk[last : m.start()])
            pieces.append(dec)
            last = m.end()
        if not pieces:
            continue
        pieces.append(chunk[last:])
        parts.append(text[last_run : run.start()])
        parts.append("".join(pieces))
        last_run = run.end()
        changed = True
    if not changed:
        return None
    parts.append(text[last_run:])
    return "".join(parts)


# ----------------------------------------------------------------------------------------------
# VNI-Windows read as windows-1252

# Mark bytes (as windows-1252 characters), lowercase forms; tone order: acute, grave, hook, tilde, dot.
_VNI_TONES_PLAIN = "ùøûõï"
_VNI_TONES_CIRC = "áàåãä"  # circumflex + tone; "â" alone is the circumflex
_VNI_TONES_BREVE = "éèúüë"  # breve + tone; "ê" alone is the breve
_TONE_MARKS = ("\u0301", "\u0300", "\u0309", "\u0303", "\u0323")


def _compose(base: str, *marks: str) -> str:
    return unicodedata.normalize("NFC", base + "".join(marks))


def _build_vni() -> dict[str, str]:
    table: dict[str, str] = {}

    def add(seq: str, uni: str) -> None:
        table[seq] = uni
        table[seq.upper()] = uni.upper()
        # Capital base letters are often followed by lowercase mark bytes (title case words).
        table[seq[0].upper() + seq[1:]] = uni[0].upper() + uni[1:]

    for v in "aeouy":
        for mark, tone in zip(_VNI_TONES_PLAIN, _TONE_MARKS, strict=True):
            if v == "y" and tone == "\u0323":
                continue
            add(v + mark, _compose(v, tone))
    for v in "aeo":
        add(v + "â", _compose(v, "\u0302"))
        for mark, tone in zip(_VNI_TONES_CIRC, _TONE_MARKS, strict=True):
            add(v + mark, _compose(v, "\u0302", tone))
    add("aê", "ă")
    for mark, tone in zip(_VNI_TONES_BREVE, _TONE_MARKS, strict=True):
        add("a" + mark, _compose("a", "\u0306", tone))
    # Single-byte letters: horn vowels, i with tones, y with dot below, đ.
    for byte_char, uni in (("ô", "ơ"), ("ö", "ư")):
        add(byte_char, uni)
        for mark, tone in zip(_VNI_TONES_PLAIN, _TONE_MARKS, strict=True):
            add(byte_char + mark, _compose(uni, tone))
    for byte_char, tone in zip("íìæóò", _TONE_MARKS, strict=True):
        add(byte_char, _compose("i", tone))
    add("î", "ỵ")
    add("ñ", "đ")
    return table


_VNI = _build_vni()
_VNI_RE = re.compile("|".join(re.escape(k) for k in sorted(_VNI, key=len, reverse=True)))


# A vowel followed by a VNI mark byte that is also a Vietnamese letter (the others are suspicious).
_VNI_HINT = re.compile("[aeiouyôAEIOUYÔ][ùõâáàãêéèúÙÕÂÁÀÃÊÉÈÚ]")


def _repair_vni(text: str) -> str | None:
    out = _VNI_RE.sub(lambda m: _VNI[m.group()], text)
    return out if out != text else None


# ----------------------------------------------------------------------------------------------
# TCVN3 (ABC) read as windows-1252: byte → letter

_TCVN3_ROWS = (
    # base, (acute, grave, hook, tilde, dot) bytes
    ("a", (0xB8, 0xB5, 0xB6, 0xB7, 0xB9)),
    ("ă", (0xBE, 0xBB, 0xBC, 0xBD, 0xC6)),
    ("â", (0xCA, 0xC7, 0xC8, 0xC9, 0xCB)),
    ("e", (0xD0, 0xCC, 0xCE, 0xCF, 0xD1)),
    ("ê", (0xD5, 0xD2, 0xD3, 0xD4, 0xD6)),
    ("i", (0xDD, 0xD7, 0xD8, 0xDC, 0xDE)),
    ("o", (0xE3, 0xDF, 0xE1, 0xE2, 0xE4)),
    ("ô", (0xE8, 0xE5, 0xE6, 0xE7, 0xE9)),
    ("ơ", (0xED, 0xEA, 0xEB, 0xEC, 0xEE)),
    ("u", (0xF3, 0xEF, 0xF1, 0xF2, 0xF4)),
    ("ư", (0xF8, 0xF5, 0xF6, 0xF7, 0xF9)),
    ("y", (0xFD, 0xFA, 0xFB, 0xFC, 0xFE)),
)
_TCVN3_SINGLES = {
    0xA1: "Ă", 0xA2: "Â", 0xA3: "Ê", 0xA4: "Ô", 0xA5: "Ơ", 0xA6: "Ư", 0xA7: "Đ",
    0xA8: "ă", 0xA9: "â", 0xAA: "ê", 0xAB: "ô", 0xAC: "ơ", 0xAD: "ư", 0xAE: "đ",
}  # fmt: skip


def _build_tcvn3() -> dict[int, str]:
    table: dict[int, str] = {}
    for base, codes in _TCVN3_ROWS:
        for code, tone in zip(codes, _TONE_MARKS, strict=True):
            table[code] = _compose(base, tone)
    table.update(_TCVN3_SINGLES)
    return {ord(bytes([b]).decode("latin-1")): u for b, u in table.items()}


_TCVN3 = _build_tcvn3()
_TCVN3_TONED = frozenset(_compose(base, tone) for base, _ in _TCVN3_ROWS for tone in _TONE_MARKS)


def _repair_tcvn3(text: str) -> str | None:
    out = text.translate(_TCVN3)
    if out == text:
        return None
    # Capitals come from a separate font with the same codes: "VIÖT" decodes to "VIệT"; upper-case
    # a decoded letter when the rest of its word is upper case.
    return re.sub(r"[^\W\d_]{2,}", _recase, out)


def _recase(m: re.Match[str]) -> str:
    word = m.group()
    # Letters that TCVN3 can write in both cases (all but the toned vowels) show the word's case.
    cased = [c for c in word if c not in _TCVN3_TONED]
    if len(cased) >= 2 and all(c.isupper() for c in cased) and word != word.upper():
        return word.upper()
    return word


# ----------------------------------------------------------------------------------------------
# Confidence test

_VI_LETTERS = frozenset("àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ")
_VI_LETTERS = _VI_LETTERS | frozenset(c.upper() for c in _VI_LETTERS)
# Punctuation and symbols that plain text uses and that do not by themselves suggest mojibake.
# Not « »: "»" is the middle byte of every UTF-8 letter from U+1EC0 on ("Tá»• quá»‘c").
_PLAIN_SYMBOLS = frozenset("\u00a0“”‘’–—…•€°·×")
# Not « »: in UTF-8 damage they end words ("chá»«" is "chừ").
_STRIP = "\"'“”‘’()[]{}.,;:!?…–—-/\\*•·"


_SUSPICIOUS = re.compile(
    "["
    + "".join(
        re.escape(c)
        for c in sorted(set(_TO_BYTE) | {chr(b) for b in range(0x80, 0x100)})
        if not c.isascii() and c not in _VI_LETTERS and c not in _PLAIN_SYMBOLS
    )
    + "]"
)


_LOWER = "a-z" + "".join(sorted(c for c in _VI_LETTERS if c.islower()))
# A Latin-1 capital right after a lower-case letter: "bÃ", "Ä‘" inside words ("Ã" is also a
# Vietnamese capital, so the letter alone proves nothing).
_CAMEL = re.compile(f"(?<=[{_LOWER}])[\u00c0-\u00de]")
# A UTF-8 lead byte (C2-DF, read as "Â".."ß") followed by a continuation byte that windows-1252 shows
# as punctuation or a no-break space, inside a word: "BÃ\u00a0m" for "Bàm", "BÃ“C" for "BÓC". No
# Vietnamese text puts those marks between two letters ("chữ “Ô”." is left alone), and after a
# capital "_CAMEL" does not see it.
_LEAD_THEN_MARK = re.compile(
    "[\u00c2-\u00df]["
    + "".join(re.escape(c) for c in sorted(_PLAIN_SYMBOLS) if 0x80 <= _TO_BYTE.get(c, 0) <= 0xBF)
    + "](?=[^\\W\\d_])"
)


def _suspicious(text: str) -> int:
    """Characters typical of mojibake: Latin-1/cp1252 characters outside the Vietnamese alphabet,
    and Latin-1 capitals inside lower-case words."""
    return len(_SUSPICIOUS.findall(text)) + len(_CAMEL.findall(text)) + len(_LEAD_THEN_MARK.findall(text))


# Per-chunk answers of _vietnamese_share (a chunk is a run of non-space characters): 0 when the chunk
# is not counted (ASCII, or nothing left once punctuation is stripped), 1 a word that is not a
# Vietnamese syllable, 2 one that is. News text repeats its chunks, so a lookup replaces the tests.
# At most 300,000 chunks per generation (kiemchung.text.memo).
_SHARE: memo.Generations[int] = memo.Generations("mojibake share", 300_000)
_SHARE_CLASS: dict[str, int] = _SHARE.new


def clear_cache() -> None:
    """Empty the per-chunk cache of :func:`_vietnamese_share`."""
    _SHARE.clear()


def _share_class(chunk: str) -> int:
    out = _SHARE.old.get(chunk)
    if out is None:
        w = chunk.strip(_STRIP)
        out = 0 if not w or w.isascii() else 2 if _is_vi_word(w) else 1
    return _SHARE.keep(chunk, out)


def _vietnamese_share(text: str) -> tuple[float, int]:
    """Share of whitespace-separated words with non-ASCII characters that are Vietnamese syllables."""
    get = _SHARE_CLASS.get
    n = good = 0
    for chunk in text.split():
        c = get(chunk)
        if c is None:
            c = _share_class(chunk)
        if c:
            n += 1
            good += c - 1
    if not n:
        return 0.0, 0
    return good / n, n


def _is_vi_word(w: str) -> bool:
    """A Vietnamese syllable written in lower, upper or title case (not "bÃ")."""
    return w.isalpha() and (w.islower() or w.isupper() or w.istitle()) and is_syllable(w)


def _evidence(text: str) -> int:
    """Letters in Vietnamese syllables that use Vietnamese letters: a single "ủ" is not enough."""
    n = 0
    for w in text.split():
        w = w.strip(_STRIP)
        if w and not w.isascii() and _is_vi_word(w):
            n += len(w)
    return n


def repair_mojibake(text: str) -> tuple[str, str | None]:
    """Return ``(text, encoding)``: the repaired text and the damage found, or ``(text, None)``.

    ``encoding`` is ``"utf-8"`` (UTF-8 read as windows-1252), ``"vni"`` (VNI-Windows) or
    ``"tcvn3"`` (TCVN3/ABC). Text is repaired only when the result is clearly more Vietnamese than
    the input (see the module docstring); plain Vietnamese and English are never changed.
    """
    if not text or text.isascii():
        return text, None
    bad = _suspicious(text)
    # VNI text can consist of Vietnamese letters only ("thaùng", "gaàm"): without suspicious
    # characters, repair only input with a vowel + VNI mark pair whose accented words are mostly
    # not Vietnamese syllables.
    if bad == 0 and not _VNI_HINT.search(text):
        return text, None
    share, _ = _vietnamese_share(text)
    if bad == 0 and share >= 0.75:
        return text, None
    best: tuple[float, int, str, str] | None = None
    for name, repair in (("utf-8", _repair_utf8), ("vni", _repair_vni), ("tcvn3", _repair_tcvn3)):
        cand = repair(text)
        if cand is None:
            continue
        cand = unicodedata.normalize("NFC", cand)
        cand_bad = _suspicious(cand)
        cand_share, cand_words = _vietnamese_share(cand)
        if cand_bad > bad or (cand_bad == bad and bad > 0) or cand_words == 0 or _evidence(cand) < 3:
            continue
        # The words the repair wrote must themselves be Vietnamese: one letter alone ("X Æ A-Xii" read
        # as VNI gives "X Ỉ A-Xii") is not evidence.
        if _evidence(" ".join(set(cand.split()) - set(text.split()))) < 2:
            continue
        if cand_share < 0.75:
            continue
        # Clearly more Vietnamese: 25 points more valid words, or every suspicious character gone
        # and every accented word a Vietnamese syllable.
        # (UTF-8 only: its damage can leave every word a syllable, "BÃ\u00a0m BÃ\u00a0m" for "Bàm Bàm".)
        if cand_share < share + 0.25 and not (
            cand_bad == 0 < bad and cand_share == 1.0 and (cand_share > share or name == "utf-8")
        ):
            continue
        if cand_bad > 0.02 * max(1, len(cand)) and cand_bad > 1:
            continue
        key = (cand_share, -cand_bad, name, cand)
        if best is None or key[:2] > best[:2]:
            best = key
    if best is None:
        return text, None
    return best[3], best[2]
