"""Vietnamese text core: the one place where kiemchung decides what text and tokens are.

Search, dedupe, clustering, claim matching and trends all call these functions, so they agree on what
a token is. The hot-path functions (:func:`normalize`, :func:`fold`, :func:`syllables`,
:func:`bigrams`, :func:`index_terms`) are pure Python with table lookups and caches; word
segmentation (:func:`words`, underthesea) and language identification (py3langid) are loaded lazily,
never at import. See docs/text.md for the rules (tone placement, token rule, teencode table).
"""

from kiemchung.text.core import (
    NAME_HEADS,
    bigrams,
    clean,
    first_words,
    fold,
    index_terms,
    name_runs,
    name_spans,
    normalize,
    syllables,
    token_spans,
    tokens,
)
from kiemchung.text.lang import detect_language, words
from kiemchung.text.mojibake import repair_mojibake
from kiemchung.text.sentences import sentences
from kiemchung.text.syllable import is_syllable, place_tone
from kiemchung.text.teencode import (
    SEARCH_ALTERNATIVES,
    TEENCODE,
    expand_teencode,
    teencode_alternatives,
)

__all__ = [
    "NAME_HEADS",
    "SEARCH_ALTERNATIVES",
    "TEENCODE",
    "bigrams",
    "clean",
    "detect_language",
    "expand_teencode",
    "first_words",
    "fold",
    "index_terms",
    "is_syllable",
    "name_runs",
    "name_spans",
    "normalize",
    "place_tone",
    "repair_mojibake",
    "sentences",
    "syllables",
    "teencode_alternatives",
    "token_spans",
    "tokens",
    "words",
]
