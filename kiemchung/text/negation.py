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


# Denial and debunk phrases: a text holding one of these on its own says the claim is false (or warns
# against it); they count whatever they govern. The other members of DENIAL_BIGRAMS ("không có",
# "không phải", "không đúng" (also "không dùng" once folded), "chưa có") are a negation followed by a
# verb, read by :func:`negation_scope` like any negation.
DENIAL_PHRASES = (DENIAL_BIGRAMS - {"khong_dung", "khong_co", "khong_phai", "chua_co"}) | frozenset({
    "gia_mao", "lua_dao", "canh_giac", "mao_danh", "gia_danh",
})
# Words a negation is read through to the words it governs ("không *được* dùng", "không *phải* đưa"),
# and words that end its reach (a new predicate or clause: "chưa được một tháng *đã* nứt").
_NEGATION_SKIP = frozenset("duoc phai co ai the la bi cho he gi nao dau ca mot cac o".split())
_NEGATION_STOP = frozenset("da se nen vi ma thi nhung va roi de khi neu".split())


def denial_phrases(tokens: list[str]) -> frozenset[str]:
    """The denial and debunk phrases (:data:`DENIAL_PHRASES`) among folded ``tokens``."""
    return frozenset(b for b in bigrams(tokens) if b in DENIAL_PHRASES)


def negation_scope(tokens: list[str], span: int = 3) -> frozenset[str]:
    """The words a negation governs in folded ``tokens``: for each negation syllable, the next
    ``span`` syllables that are not function words, up to the next negation or a word that starts
    another predicate ("đã", "sẽ", "nên", "vì", "rồi"...). A negation is a conflict
    between two texts only on a word both hold ("không phong tỏa" against "bị phong tỏa"), not when
    it is part of what one text says and the other does not ("không được dùng để nấu ăn", "chưa được
    một tháng")."""
    out: set[str] = set()
    for i, t in enumerate(tokens):
        if t not in NEGATION_SYLLABLES:
            continue
        got = 0
        for u in tokens[i + 1:]:
            if u in NEGATION_SYLLABLES or u in _NEGATION_STOP:
                break
            if u in _NEGATION_SKIP:
                continue
            out.add(u)
            got += 1
            if got >= span:
                break
    return frozenset(out)


def negation_terms(tokens: list[str]) -> frozenset[str]:
    """The negation syllables and denial bigrams among folded ``tokens``."""
    found = {t for t in tokens if t in NEGATION_SYLLABLES}
    found.update(b for b in bigrams(tokens) if b in DENIAL_BIGRAMS)
    return frozenset(found)


def negations(text: str) -> frozenset[str]:
    """The negation and denial terms of ``text`` (folded)."""
    return negation_terms(syllables(text))


__all__ = ["DENIAL_BIGRAMS", "DENIAL_PHRASES", "NEGATION_SYLLABLES", "denial_phrases", "negation_scope",
           "negation_terms", "negations"]
