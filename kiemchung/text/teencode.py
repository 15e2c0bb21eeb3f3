"""Teencode and abbreviation table for social-media posts.

Keys are folded (lowercase, no diacritics) tokens as they appear in posts; values are the standard
Vietnamese they stand for. Only entries that are unambiguous in posts belong here: a token that is
also a common standard word (for example "k" as in "vitamin K") is expanded only in posts, never in
articles, and search expands it as an alternative (``ko OR không``), never as a replacement.
"""

TEENCODE: dict[str, str] = {
    "ko": "không",
    "k": "không",
    "kg": "không",
    "hok": "không",
    "hem": "không",
    "khong": "không",
    "dc": "được",
    "đc": "được",
    "duoc": "được",
    "vs": "với",
    "mk": "mình",
    "mn": "mọi người",
    "ng": "người",
    "nguoi": "người",
    "bh": "bây giờ",
    "h": "giờ",
    "j": "gì",
    "gj": "gì",
    "r": "rồi",
    "roi": "rồi",
    "cx": "cũng",
    "cug": "cũng",
    "wa": "quá",
    "qa": "quá",
    "bn": "bao nhiêu",
    "tks": "cảm ơn",
    "thx": "cảm ơn",
    "ok": "được",
    "vk": "vợ",
    "ck": "chồng",
    "bít": "biết",
    "bik": "biết",
    "bjt": "biết",
    "ns": "nói",
    "nc": "nói chuyện",
    "trc": "trước",
    "tr": "triệu",
    "cty": "công ty",
    "ubnd": "ủy ban nhân dân",
    "tp": "thành phố",
    "tphcm": "thành phố hồ chí minh",
    "hcm": "hồ chí minh",
    "csgt": "cảnh sát giao thông",
    "thpt": "trung học phổ thông",
}
