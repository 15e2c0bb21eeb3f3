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
_VI_ONLY_RE = re.compile("[" + "".join(sorted(_VI_ONLY)) + "]")
# Very common Vietnamese syllables, folded: they make unaccented Vietnamese recognizable.
_COMMON_VI = _words(
    "khong duoc nguoi nhung cua va la co cho trong nay mot cac voi toi minh ban em anh chi da dang se "
    "thi ma nhu de khi nao gi ca roi lam di ve den tu tai ra vao len xuong nhieu rat qua con hay cung "
    "biet noi thay muon phai nuoc viet nam ngay nam thang gio hom chua vay sao the day do kia "
    "chia tay mua ban sang hay nen thua thang gap ghi moi"
)
# Letters with a Vietnamese mark that other languages share (â ê ô, and the five tones on a e i o u y).
_VI_MARKED = frozenset("âêôàáãèéìíòóõùúýÀÁÃÈÉÌÍÒÓÕÙÚÝÂÊÔ")
_LETTERS = re.compile(r"[^\W\d_]+")
MIN_LETTERS = 8
UNDETERMINED = "und"  # ISO 639-2 "undetermined": some text, too little evidence for any language
MIN_CONFIDENCE = 0.5  # py3langid's normalised probability below which its answer is "und"
OTHER_CONFIDENCE = 0.9  # ...and above which it overrules a weak Vietnamese prior
_SURROGATES = re.compile("[\ud800-\udfff]")


@lru_cache(maxsize=1)
def _langid() -> Any:
    """py3langid's bundled model, with normalised probabilities (0..1) as confidence."""
    from py3langid import langid

    return langid.LanguageIdentifier.from_model_file(langid.MODEL_FILE, norm_probs=True)


def release_model() -> None:
    """Let go of py3langid's model (about 67 MB: a float16 matrix of 100,053 features x 142 languages
    and its tokenizer's transition table); the next call that needs it loads it again (~1 s)."""
    _langid.cache_clear()


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


def _vietnamese_prior(words: list[str], sample: str) -> bool:
    """Weaker evidence, enough for short posts and titles unless the model is sure of another language.

    The words that are not names (lower case, and a first word that is a syllable) must be at least two, nearly all
    Vietnamese syllables once folded, with a very common Vietnamese word or a letter with a Vietnamese
    mark in the text: "dat phu duong dau gia toi 32 trieu mot met", "Monica Bellucci và Tim Burton chia
    tay" (foreign names say nothing about the language of the sentence around them).
    """
    plain = [w for i, w in enumerate(words) if not w[:1].isupper() or (i == 0 and is_syllable(w))]
    if len(plain) < 2:
        return False
    syll = sum(1 for w in plain if is_syllable(w))
    if syll < 0.85 * len(plain):
        return False
    return any(_fold(w) in _COMMON_VI for w in plain) or any(c in _VI_MARKED for c in sample)


def _fold(word: str) -> str:
    from kiemchung.text.core import fold

    return fold(word)


def detect_language(text: str) -> str | None:
    """ISO 639 code of the language of ``text``; "und" when the evidence is too weak; None when there
    is too little text to tell (fewer than 8 letters).

    Vietnamese is decided without a model when Vietnamese-only letters (ă đ ơ ư, and vowels with a hook,
    a dot below or two marks) make up more than 3% of the letters, or when the words are Vietnamese
    syllables, many of them very common ones (unaccented "toi khong biet gi ca"). The rest goes to
    py3langid, whose answer counts when its probability is at least 0.5 ("und" otherwise), except that
    short posts whose words are nearly all Vietnamese syllables, with a common word or a Vietnamese
    mark, stay Vietnamese unless the model is 90% sure of another language (unaccented posts were read
    as Ligurian, Occitan or Nigerian Pidgin).
    """
    if not text:
        return None
    sample = text[:2000]
    words = _LETTERS.findall(sample)
    n_letters = sum(len(w) for w in words)
    if n_letters < MIN_LETTERS:
        return None
    vi = len(_VI_ONLY_RE.findall(sample))
    if vi / n_letters > 0.03:
        return "vi"
    if _syllable_text(words):
        return "vi"
    lang, confidence = _langid().classify(sample)
    if lang == "vi":
        return "vi"
    if confidence < OTHER_CONFIDENCE and _vietnamese_prior(words, sample):
        return "vi"
    return str(lang) if confidence >= MIN_CONFIDENCE else UNDETERMINED


def words(text: str) -> list[str]:
    """Vietnamese word segmentation with underthesea: ``"Hà Nội mưa to"`` → ``["Hà Nội", "mưa", "to"]``.

    Slow (a CRF model): keep it off the indexing path. underthesea is imported on first call.
    """
    if not text or not text.strip():
        return []
    from underthesea import word_tokenize

    # underthesea's CRF encodes to UTF-8: lone surrogates (from broken JSON escapes) would raise.
    return list(word_tokenize(_SURROGATES.sub("\ufffd", text)))
