"""Negation and denial words of Vietnamese, in folded form (see :func:`kiemchung.text.fold`).

Used by the claim verifier: a post that says "không", "chưa", "bác bỏ", "tin giả"... where the
fact-checked claim does not (or the other way round) may deny the claim rather than repeat it.
Folded forms are ambiguous ("khong" is also "không" without marks, "chua" is "chưa" and "chua"
(sour)), which is why this is one signal of the verifier, not a veto.
"""

from __future__ import annotations

from kiemchung.text.core import bigrams, syllables

# One-syllable negations (folded).
NEGATION_SYLLABLES = frozenset({"khong", "chang", "chua", "ko", "kg"})
# Two-syllable denial phrases (folded bigrams, as produced by :func:`kiemchung.text.bigrams`).
DENIAL_BIGRAMS = frozenset({
    "bac_bo", "tin_gia", "sai_su", "su_that", "phu_nhan", "khong_dung", "khong_co", "khong_phai",
    "bia_dat", "xuyen_tac", "tin_don", "chua_co", "chua_he", "khong_he", "dinh_chinh", "canh_bao",
})


def negation_terms(tokens: list[str]) -> frozenset[str]:
    """The negation syllables and denial bigrams among folded ``tokens``."""
    found = {t for t in tokens if t in NEGATION_SYLLABLES}
    found.update(b for b in bigrams(tokens) if b in DENIAL_BIGRAMS)
    return frozenset(found)


def negations(text: str) -> frozenset[str]:
    """The negation and denial terms of ``text`` (folded)."""
    return negation_terms(syllables(text))


__all__ = ["DENIAL_BIGRAMS", "NEGATION_SYLLABLES", "negation_terms", "negations"]
