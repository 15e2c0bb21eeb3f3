"""Normalization, folding and tokenization of Vietnamese text (first version; see tests/test_text.py)."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from kiemchung.text.teencode import TEENCODE


def _build_fold_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for cp in range(0x00C0, 0x1F00):
        ch = chr(cp)
        base = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
        if base != ch and len(base) == 1:
            table[cp] = base.lower()
    table[ord("đ")] = "d"
    table[ord("Đ")] = "d"
    return table


_FOLD_TABLE = _build_fold_table()
_WS = re.compile(r"\s+")
_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[^\W_]+")


def normalize(text: str, *, teencode: bool = False) -> str:
    """NFC, one canonical tone-mark placement, collapsed white space; teencode expanded if asked."""
    if not text:
        return ""
    text = unicodedata.normalize("NFC", text)
    text = _WS.sub(" ", text).strip()
    if teencode:
        text = expand_teencode(text)
    return text


def fold(text: str) -> str:
    """Lowercase and strip diacritics (đ → d): the form used for indexing and matching."""
    return unicodedata.normalize("NFC", text).lower().translate(_FOLD_TABLE)


def syllables(text: str, *, strip: bool = True) -> list[str]:
    """Syllable tokens of ``text``: lowercase, diacritics stripped unless ``strip`` is False."""
    text = fold(text) if strip else unicodedata.normalize("NFC", text).lower()
    return _TOKEN.findall(text)


def bigrams(tokens: list[str]) -> list[str]:
    """Adjacent token pairs joined by ``_``."""
    return [f"{a}_{b}" for a, b in zip(tokens, tokens[1:], strict=False)]


def index_terms(text: str, *, teencode: bool = False) -> list[str]:
    """Folded syllables plus their bigrams, the terms BM25 and clustering work on."""
    toks = syllables(normalize(text, teencode=teencode))
    return toks + bigrams(toks)


def token_spans(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, folded token)`` for each token of ``text``, with offsets into ``text`` itself."""
    return [(m.start(), m.end(), fold(m.group())) for m in _TOKEN.finditer(text)]


def expand_teencode(text: str) -> str:
    """Replace teencode tokens (``ko``, ``dc``...) with standard Vietnamese, keeping everything else."""

    def repl(m: re.Match[str]) -> str:
        word = m.group()
        key = word.lower()
        return TEENCODE.get(key, word)

    return re.sub(r"[^\W\d_]+", repl, text)


_SENT = re.compile(r"(?<=[.!?…])\s+(?=[\"'“‘(\[]?[A-ZĐÀ-Ỹ0-9])")


def sentences(text: str) -> list[str]:
    """Split ``text`` into sentences."""
    out: list[str] = []
    for para in re.split(r"\n\s*\n|\n", text or ""):
        para = para.strip()
        if para:
            out.extend(s.strip() for s in _SENT.split(para) if s.strip())
    return out


def words(text: str) -> list[str]:
    """Word segmentation with underthesea (slow: keep it off the indexing path)."""
    from underthesea import word_tokenize

    return word_tokenize(text)


_VI_CHARS = frozenset("ăâđêôơưàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ")


@lru_cache(maxsize=1)
def _langid():
    import py3langid

    return py3langid


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of ``text``'s language, or None when there is too little text to tell."""
    sample = (text or "")[:2000]
    letters = [c for c in sample.lower() if c.isalpha()]
    if len(letters) < 8:
        return None
    vi = sum(1 for c in letters if c in _VI_CHARS)
    if vi / len(letters) > 0.08:
        return "vi"
    lang, _ = _langid().classify(sample)
    return lang
