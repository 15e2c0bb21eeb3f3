"""Vietnamese text core: the one place where kiemchung decides what text and tokens are.

Search, dedupe, clustering, claim matching and trends all call these functions, so they agree on what
a token is. The hot-path functions (:func:`normalize`, :func:`fold`, :func:`syllables`,
:func:`bigrams`) are pure Python with table lookups and caches; word segmentation
(:func:`words`, underthesea) is slow and loaded lazily, never on the indexing path.
"""

from kiemchung.text.core import (
    bigrams,
    detect_language,
    expand_teencode,
    fold,
    index_terms,
    normalize,
    sentences,
    syllables,
    token_spans,
    words,
)
from kiemchung.text.mojibake import repair_mojibake
from kiemchung.text.teencode import TEENCODE

__all__ = [
    "TEENCODE",
    "bigrams",
    "detect_language",
    "expand_teencode",
    "fold",
    "index_terms",
    "normalize",
    "repair_mojibake",
    "sentences",
    "syllables",
    "token_spans",
    "words",
]
