"""Teencode and abbreviation tables for social-media posts.

Two tables, both documented in docs/text.md:

* :data:`TEENCODE` maps a post token (lowercase, as typed) to the standard Vietnamese it stands for.
  Only **unambiguous** entries belong here, because :func:`expand_teencode` replaces the token in
  the text of posts. Single letters ("k", "j", "r", "h") are expanded only when typed in lower case,
  so "vitamin K" or "hạng A" never change.
* :data:`SEARCH_ALTERNATIVES` adds ambiguous abbreviations ("bn": "bạn" or "bao nhiêu") that are
  never substituted in text, but are safe as extra OR-terms of a search query.

:func:`teencode_alternatives` gives the folded standard forms of a folded query token (``"ko"`` →
``["khong"]``), for search to add as alternatives.
"""

from __future__ import annotations

import re

TEENCODE: dict[str, str] = {
    # không
    "ko": "không",
    "k": "không",
    "hok": "không",
    "hem": "không",
    "khg": "không",
    "kô": "không",
    "kp": "không phải",
    "kbh": "không bao giờ",
    # được
    "dc": "được",
    "đc": "được",
    "dx": "được",
    # small words
    "vs": "với",
    "j": "gì",
    "gj": "gì",
    "r": "rồi",
    "rùi": "rồi",
    "cx": "cũng",
    "cg": "cũng",
    "cug": "cũng",
    "wa": "quá",
    "qá": "quá",
    "ntn": "như thế nào",
    "ns": "nói",
    "bh": "bây giờ",
    "bjo": "bây giờ",
    "h": "giờ",
    "trc": "trước",
    "ms": "mới",
    "lm": "làm",
    "nma": "nhưng mà",
    "nhg": "nhưng",
    "nhưg": "nhưng",
    "đag": "đang",
    "zậy": "vậy",
    "dzậy": "vậy",
    "zị": "vậy",
    "thik": "thích",
    "thix": "thích",
    "iu": "yêu",
    "bik": "biết",
    "bjk": "biết",
    "bjt": "biết",
    "pít": "biết",
    "hnay": "hôm nay",
    "hqua": "hôm qua",
    "nhìu": "nhiều",
    "vk": "vợ",
    "mk": "mình",
    "mik": "mình",
    "mn": "mọi người",
    "mng": "mọi người",
    "ng": "người",
    "ny": "người yêu",
    "nyc": "người yêu cũ",
    "ae": "anh em",
    "tks": "cảm ơn",
    "thks": "cảm ơn",
    "thx": "cảm ơn",
    "sr": "xin lỗi",
    "ib": "nhắn tin",
    "vd": "ví dụ",
    # organisations and places (news abbreviations also common in posts)
    "ubnd": "ủy ban nhân dân",
    "hđnd": "hội đồng nhân dân",
    "hdnd": "hội đồng nhân dân",
    "tp": "thành phố",
    "tphcm": "thành phố hồ chí minh",
    "hcm": "hồ chí minh",
    "sg": "sài gòn",
    "csgt": "cảnh sát giao thông",
    "cand": "công an nhân dân",
    "thpt": "trung học phổ thông",
    "thcs": "trung học cơ sở",
    "đh": "đại học",
    "đhqg": "đại học quốc gia",
    "cty": "công ty",
    "bhxh": "bảo hiểm xã hội",
    "bhyt": "bảo hiểm y tế",
    "nsnd": "nghệ sĩ nhân dân",
    "nsưt": "nghệ sĩ ưu tú",
    "gtvt": "giao thông vận tải",
    "bv": "bệnh viện",
    "bs": "bác sĩ",
    "sv": "sinh viên",
    "hs": "học sinh",
    "gv": "giáo viên",
}

# Ambiguous abbreviations: extra search alternatives only (folded key → folded forms).
SEARCH_ALTERNATIVES: dict[str, tuple[str, ...]] = {
    "bn": ("ban", "bao nhieu"),
    "bt": ("biet", "binh thuong"),
    "nc": ("noi chuyen", "nuoc"),
    "tr": ("trieu", "truoc", "truong"),
    "hn": ("ha noi", "hom nay"),
    "gd": ("gia dinh", "giam doc", "giao duc"),
    "e": ("em",),
    "a": ("anh",),
    "t": ("toi",),
    "m": ("may", "minh"),
    "v": ("vay",),
    "z": ("vay",),
    "s": ("sao",),
    "kb": ("ket ban", "khong biet"),
    "ok": ("duoc",),
    "kg": ("khong",),
    "dk": ("duoc", "dieu kien", "dang ky"),
    "kh": ("khong", "khach hang"),
    "ck": ("chong", "chuyen khoan"),
    "nv": ("nhan vien", "nhan vat"),
    "dt": ("dien thoai", "doi tuyen"),
    "hk": ("khong", "hoc ky"),
    "cmt": ("binh luan", "chung minh thu"),
}

_TOKEN = re.compile(r"[^\W_]+")


def _expand(m: re.Match[str]) -> str:
    word = m.group()
    low = word.lower()
    full = TEENCODE.get(low)
    if full is None:
        return word
    if len(word) == 1:
        return full if word == low else word
    if word.isupper():
        return full.upper()
    if word[0].isupper():
        return full[0].upper() + full[1:]
    return full


def expand_teencode(text: str) -> str:
    """Replace whole teencode tokens of ``text`` (``ko``, ``dc``, ``vs``...) by standard Vietnamese.

    Only complete tokens (runs of letters and digits) are replaced, so "k" inside "50k" or "kho"
    is left alone; capitalization is kept ("Ko" → "Không", "UBND" → "ỦY BAN NHÂN DÂN"); single
    letters expand only in lower case; everything else in ``text`` is kept character for
    character. Expects NFC text (as produced by :func:`kiemchung.text.normalize`).
    """
    if not text:
        return ""
    return _TOKEN.sub(_expand, text)


def _fold(s: str) -> str:
    from kiemchung.text.core import fold

    return fold(s)


_FOLDED: dict[str, list[str]] = {}


def _folded_table() -> dict[str, list[str]]:
    if not _FOLDED:
        for key, value in TEENCODE.items():
            forms = _FOLDED.setdefault(_fold(key), [])
            if _fold(value) not in forms:
                forms.append(_fold(value))
        for key, values in SEARCH_ALTERNATIVES.items():
            forms = _FOLDED.setdefault(key, [])
            forms.extend(v for v in values if v not in forms)
    return _FOLDED


def teencode_alternatives(token: str) -> list[str]:
    """Folded standard form(s) a folded query token may stand for: ``"ko"`` → ``["khong"]``.

    Multi-word forms come as one space-separated string (``"mn"`` → ``["moi nguoi"]``). Includes
    ambiguous abbreviations (``"bn"`` → ``["ban", "bao nhieu"]``), since search adds them as
    alternatives and never replaces the token. Unknown tokens give ``[]``.
    """
    return list(_folded_table().get(_fold(token), ()))
