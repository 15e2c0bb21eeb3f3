"""OCR accuracy: character and word accuracy of recognised text against the truth (1 - edit distance /
length), with diacritics counted (text compared in kiemchung's canonical form, so "hòa"/"hoà" agree but
"hoa"/"hòa" do not). Used by benchmarks/bench_ocr.py and the tests."""

from __future__ import annotations

from kiemchung import text as ktext

__all__ = ["char_accuracy", "edit_distance", "word_accuracy"]


def edit_distance(a, b) -> int:
    """Levenshtein distance between two sequences (strings or lists of words)."""
    if len(a) < len(b):
        a, b = b, a
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        cur = [i]
        for j, y in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y)))
        prev = cur
    return prev[-1]


def _canon(s: str) -> str:
    return ktext.normalize(s or "")


def char_accuracy(truth: str, got: str) -> float:
    """1 - character edit distance / truth length (spacing normalised; floored at 0)."""
    t, g = _canon(truth), _canon(got)
    if not t:
        return 1.0 if not g else 0.0
    return max(0.0, 1 - edit_distance(t, g) / len(t))


def word_accuracy(truth: str, got: str) -> float:
    """1 - word edit distance / number of truth words (a word with a wrong or missing tone mark is wrong)."""
    t, g = _canon(truth).split(), _canon(got).split()
    if not t:
        return 1.0 if not g else 0.0
    return max(0.0, 1 - edit_distance(t, g) / len(t))
