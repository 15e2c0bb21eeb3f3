"""Language detection and word segmentation (the two text functions that need outside models).

:func:`detect_language` decides obvious Vietnamese itself (density of Vietnamese-only letters),
recognizes unaccented Vietnamese by syllable structure and very common words, and asks py3langid
(bundled model, no download) otherwise. :func:`words` wraps underthesea's word segmentation; both
libraries are imported on first use, never at module import.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from kiemchung.text.syllable import _words, is_syllable

# Letters that occur in Vietnamese and (almost) nowhere else: ă đ ơ ư and the vowels with a hook,
# a dot below or two marks. Not â ê ô ã õ (French, Portuguese) nor à á è é... (many languages).
_VI_ONLY_LOWER = "ăđơưảạằắẳẵặầấẩẫậẻẽẹềếểễệỉịỏọồốổỗộờớởỡợủụừứửữựỳỷỹỵĩũ"
_VI_ONLY = frozenset(_VI_ONLY_LOWER + _VI_ONLY_LOWER.upper())
# Very common Vietnamese syllables, folded: they make unaccented Vietnamese recognizable.
_COMMON_VI = _words(
    "khong duoc nguoi nhung cua va la co cho trong nay mot cac voi toi minh ban em anh chi da dang se "
    "thi ma nhu de khi nao gi ca roi lam di ve den tu tai ra vao len xuong nhieu rat qua con hay cung "
    "biet noi thay muon phai nuoc viet nam ngay nam thang gio hom chua vay sao the day do kia"
)
_LETTERS = re.compile(r"[^\W\d_]+")
MIN_LETTERS = 8
_SURROGATES = re.compile("[\ud800-\udfff]")


@lru_cache(maxsize=1)
def _langid() -> Any:
    import py3langid

    return py3langid


def _syllable_text(words: list[str]) -> bool:
    """True when the words read as Vietnamese: nearly all are syllables, many are very common ones.

    Catches unaccented Vietnamese ("toi khong biet gi ca") and short accented text with few
    Vietnamese-only letters ("Ho do tâm lý").
    """
    if len(words) < 3:
        return False
    syll = sum(1 for w in words if is_syllable(w))
    common = sum(1 for w in words if _fold(w) in _COMMON_VI)
    return syll >= 0.9 * len(words) and common >= max(2, 0.3 * len(words))


def _fold(word: str) -> str:
    from kiemchung.text.core import fold

    return fold(word)


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of the language of ``text``, or None when there is too little text to tell.

    Fewer than 8 letters gives None. Text where Vietnamese-only letters (ă đ ơ ư, and vowels with a
    hook, a dot below or two marks) make up more than 3% of letters is "vi" without a model; text whose words are Vietnamese syllables, many of them very
    common ones, is "vi" too (unaccented "toi khong biet gi ca"); the rest goes to py3langid.
    """
    if not text:
        return None
    sample = text[:2000]
    words = _LETTERS.findall(sample)
    n_letters = sum(len(w) for w in words)
    if n_letters < MIN_LETTERS:
        return None
    vi = sum(1 for c in sample if c in _VI_ONLY)
    if vi / n_letters > 0.03:
        return "vi"
    if _syllable_text(words):
        return "vi"
    lang, _ = _langid().classify(sample)
    return str(lang)


def words(text: str) -> list[str]:
    """Vietnamese word segmentation with underthesea: ``"Hà Nội mưa to"`` → ``["Hà Nội", "mưa", "to"]``.

    Slow (a CRF model): keep it off the indexing path. underthesea is imported on first call.
    """
    if not text or not text.strip():
        return []
    from underthesea import word_tokenize

    # underthesea's CRF encodes to UTF-8: lone surrogates (from broken JSON escapes) would raise.
    return list(word_tokenize(_SURROGATES.sub("\ufffd", text)))
