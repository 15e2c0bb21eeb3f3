"""Vietnamese syllable structure and the one canonical tone-mark placement.

A written Vietnamese syllable is ``onset + nucleus + coda`` with at most one tone mark, carried by
one vowel of the nucleus. Two placements are in use for the open syllables ending in ``oa``, ``oe``
and ``uy``: "hòa, khỏe, thủy" (mark on the first vowel; the style of almost all Vietnamese news
sites and of most keyboards' default) and "hoà, khoẻ, thuỷ" (mark on the second vowel). kiemchung
writes **"hòa, khỏe, thủy"** everywhere: it is what the bulk of real text already uses, so
normalization changes the fewest words. Where a final consonant follows ("hoàng", "thuyền",
"khuyết", "hoạch") or a vowel carries a shape mark (ă â ê ô ơ ư) the position is fixed by
spelling and both styles agree.

:func:`place_tone` re-places the tone of one word when, and only when, the word parses as a
Vietnamese syllable (known onset, nucleus and coda, one tone at most); anything else (English,
names like "José", numbers) is returned unchanged. Results are cached per word.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from kiemchung.text import memo


def _words(spaced: str) -> frozenset[str]:
    """The space-separated words of ``spaced`` as a set (keeps long tables readable)."""
    return frozenset(spaced.split())


# Combining tone marks (NFD): grave, acute, tilde, hook above, dot below.
TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")
# Combining shape marks of Vietnamese vowels: circumflex, breve, horn.
SHAPE_MARKS = frozenset("\u0302\u0306\u031b")

ONSETS = _words("b c ch d đ g gh gi h k kh l m n ng ngh nh p ph qu r s t th tr v x") | {""}
CODAS = _words("c ch m n ng nh p t") | {""}
# Nuclei as base letters with shape marks (no tone). "gi" and "qu" onsets take the i/u.
NUCLEI = _words(
    "a ă â e ê i o ô ơ u ư y ai ao au ay âu ây eo êu ia iê iu oa oă oe oi ôi ơi oo ua uâ uê ui uô uơ "
    "uy ưa ưi ươ ưu yê iêu oai oay oeo uây uôi uya uyê uyu ươi ươu yêu"
)
VOWELS = frozenset("aăâeêioôơuưy")
# Nuclei that end in a glide (and "ua", "ưa", "ia", "uya", "uơ") never take a final consonant.
OPEN_ONLY = _words(
    "ai ao au ay âu ây eo êu ia iu oi ôi ơi ua ui ưa ưi ưu iêu oai oay oeo uây uôi uya uyu ươi ươu yêu uơ"
)
# Nuclei that never end a syllable.
NEEDS_CODA = _words("ă â iê yê uô ươ oo oă uâ uyê")
_SHAPED = frozenset("ăâêôơư")
# Open two-vowel nuclei whose mark position differs between the two styles.
_STYLE_PAIRS = frozenset(("oa", "oe", "uy"))

# place_tone's answers per word, at most 200,000 per generation (kiemchung.text.memo).
_TONES: memo.Generations[str] = memo.Generations("place_tone", 200_000)
_TONES_GET = _TONES.new.get


def clear_cache() -> None:
    """Empty the tone-placement caches (:func:`place_tone`'s and :func:`is_syllable`'s)."""
    _TONES.clear()
    is_syllable.cache_clear()


_ASCII_NUCLEI = frozenset(unicodedata.normalize("NFD", n).encode("ascii", "ignore").decode() for n in NUCLEI)


def _split(base: str, nuclei: frozenset[str] = NUCLEI) -> tuple[str, str, str] | None:
    """Split a lowercase toneless syllable into (onset, nucleus, coda), or None if it is not one."""
    n = len(base)
    i = 0
    while i < n and base[i] not in VOWELS:
        i += 1
    onset = base[:i]
    if i == n:
        return None
    # "qu" and "gi" (before another vowel) are onsets: the u / i belongs to them.
    if onset == "q" and base[i] == "u" and i + 1 < n and base[i + 1] in VOWELS:
        onset, i = "qu", i + 1
    elif onset == "g" and base[i] == "i" and i + 1 < n and base[i + 1] in VOWELS:
        onset, i = "gi", i + 1
    j = i
    while j < n and base[j] in VOWELS:
        j += 1
    nucleus, coda = base[i:j], base[j:]
    if onset not in ONSETS or coda not in CODAS:
        return None
    if (coda and nucleus in OPEN_ONLY) or (not coda and nucleus in NEEDS_CODA):
        return None
    if nucleus not in nuclei and not (onset == "gi" and nucleus in ("ê", "êu")):
        return None
    return onset, nucleus, coda


def _tone_index(nucleus: str, coda: str) -> int:
    """Index inside ``nucleus`` of the vowel that carries the tone (canonical style)."""
    shaped = [k for k, c in enumerate(nucleus) if c in _SHAPED]
    if shaped:
        return shaped[-1]
    if len(nucleus) == 1:
        return 0
    if coda:
        return len(nucleus) - 1
    if len(nucleus) == 3:
        return 1
    # Two open vowels: "ai, ao, ia, ua, oi..." and, in the canonical style, "òa, ỏe, ủy".
    return 0


def _place(word: str) -> str:
    decomposed = unicodedata.normalize("NFD", word)
    letters: list[str] = []  # base letters with shape marks, lowercase
    upper: list[bool] = []
    tones: list[str] = []
    for ch in decomposed:
        if ch in TONE_MARKS:
            tones.append(ch)
        elif unicodedata.combining(ch):
            if ch not in SHAPE_MARKS or not letters:
                return word
            letters[-1] += ch
        else:
            low = ch.lower()
            # Legacy converters often wrote Icelandic eth (Ð ð) for Vietnamese đ: same glyph.
            letters.append("đ" if low == "ð" else low)
            upper.append(ch != low)
    if len(tones) > 1:
        return word
    bases = [unicodedata.normalize("NFC", s) for s in letters]
    if any(len(b) != 1 for b in bases):
        return word
    base = "".join(bases)
    parts = _split(base)
    if parts is None:
        return word
    if not tones:
        out = base
    else:
        onset, nucleus, coda = parts
        pos = len(onset) + _tone_index(nucleus, coda)
        out = base[:pos] + unicodedata.normalize("NFC", base[pos] + tones[0]) + base[pos + 1 :]
    if any(upper):
        out = "".join(c.upper() if u else c for c, u in zip(out, upper, strict=True))
    return out


def place_tone(word: str) -> str:
    """Return ``word`` (one alphabetic word, any normalization) with its tone mark canonically placed.

    Non-Vietnamese words, words with several tone marks and words that are not a single syllable
    come back unchanged (but never denormalized: the result is NFC whenever the input was). In a
    word that is a Vietnamese syllable, the look-alike eth (Ð ð) becomes đ ("Ðà" → "Đà").
    """
    hit = _TONES_GET(word)
    if hit is not None:
        return hit
    out = _TONES.old.get(word)
    if out is None:
        out = _place(word)
        if unicodedata.normalize("NFC", out) != out:
            out = word
    return _TONES.keep(word, out)


_STOP_CODAS = frozenset(("c", "ch", "p", "t"))
_STOP_TONES = frozenset(("\u0301", "\u0323"))


@lru_cache(maxsize=100_000)
def is_syllable(word: str) -> bool:
    """True when ``word`` is spelled like one Vietnamese syllable, with or without diacritics.

    An ASCII word is checked against the unaccented forms ("biet", "nguoi", "khong" are syllables).
    A word with diacritics must also carry its tone mark where Vietnamese puts it (either style
    for "hòa"/"hoà") and obey the tone rule of stop finals: after c, ch, p or t only the acute or
    the dot below is possible ("một", "lúc"; not "mồt", "lõc", "baùn").
    """
    letters: list[str] = []
    tones: list[tuple[str, int]] = []
    for ch in unicodedata.normalize("NFD", word.lower()):
        if ch in TONE_MARKS:
            tones.append((ch, len(letters) - 1))
        elif unicodedata.combining(ch):
            if not letters:
                return False
            letters[-1] += ch
        else:
            letters.append(ch)
    if len(tones) > 1:
        return False
    base = unicodedata.normalize("NFC", "".join(letters))
    if len(base) != len(letters):
        return False
    if base.isascii() and word.isascii():
        return _split(base, _ASCII_NUCLEI) is not None
    parts = _split(base)
    if parts is None:
        return False
    onset, nucleus, coda = parts
    if not tones:
        return coda not in _STOP_CODAS
    tone, pos = tones[0]
    if coda in _STOP_CODAS and tone not in _STOP_TONES:
        return False
    allowed = {len(onset) + _tone_index(nucleus, coda)}
    if not coda and nucleus in _STYLE_PAIRS:
        allowed.add(len(onset) + 1)
    return pos in allowed
