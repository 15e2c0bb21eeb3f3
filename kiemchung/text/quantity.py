"""Durations and scopes written in words, read from folded Vietnamese tokens.

A true statement and its exaggerated rumour often differ in how long or how widely something
happens, not in their numbers or negations: "nghỉ học một ngày" against "nghỉ hết tuần", "ba huyện"
against "toàn tỉnh", "một số trường" against "tất cả các trường". The claim verifier
(:mod:`kiemchung.claims.verify`) reads two texts' quantities with :func:`quantities` and calls them in
conflict (:func:`quantity_conflict`) when both state a duration and none of one side's durations
agrees with the other's, or when one side states a whole scope ("toàn tỉnh", "cả nước", "tất cả",
"trường nào cũng") and the other only a part ("ba huyện", "một số", "vài xã") — each side one of
the two, not both.

The input is folded (no diacritics, lower case, see :func:`kiemchung.text.syllables`), where number
words are ambiguous: "nam" is "năm" (five, year) and "Nam" (south, a name), "bay" is "bảy" and "bay"
(fly), "sau" is "sáu" and "sau" (after), "lam" is "lăm" and "làm". Those count as numbers only inside
a compound number ("mười lăm", "hai mươi", "năm trăm"); a number followed by a unit right after a date
word ("ngày 13 tháng 10") is a date, not a duration.
"""

from __future__ import annotations

from dataclasses import dataclass

# Number words that are numbers on their own (folded) and those that are numbers only in a compound.
_UNITS_ALONE = {"mot": 1, "hai": 2, "ba": 3, "bon": 4, "chin": 9}
_UNITS_COMPOUND = {"nam": 5, "lam": 5, "nham": 5, "sau": 6, "bay": 7, "tam": 8, "tu": 4, "mot": 1}
_TENS = frozenset({"muoi"})
_MULTIPLIERS = {"tram": 100, "nghin": 1000, "ngan": 1000, "trieu": 1_000_000, "ty": 1_000_000_000}

# Duration units in days, and words that make a whole unit of the next one ("cả tuần", "hết tuần").
DURATION_DAYS = {"ngay": 1.0, "tuan": 7.0, "thang": 30.0, "nam": 365.0}
# A school or working week closes five to seven days; a month 28-31.
_WHOLE = {"ngay": (1.0, 1.0), "tuan": (5.0, 7.0), "thang": (28.0, 31.0), "nam": (360.0, 366.0)}
_WHOLE_MARKERS = frozenset({"ca", "het", "suot", "nguyen", "tron"})
# Words before a number that make the number bound the duration rather than state it.
_AT_LEAST = frozenset({"hon", "tren", "nhat", "toi", "den"})  # "hơn", "trên", "ít nhất", "tới"
_AT_MOST = frozenset({"gan", "duoi", "chua", "khoang", "chi"})  # "gần", "dưới", "chưa (được)", "khoảng"
# A number right after these is a date or a frequency, not a duration ("ngày 13 tháng 10", "mỗi ngày").
_NOT_DURATION = frozenset({"ngay", "thang", "nam", "tuan", "moi", "hang", "mung", "so"})
_FEW = {"vai": (2.0, 5.0), "may": (2.0, 9.0), "nua": (0.5, 0.5)}  # "vài", "mấy", "nửa" (times the unit)

# Scope nouns: places and institutions a measure covers ("toàn tỉnh", "ba huyện", "cả nước").
SCOPE_NOUNS = frozenset({
    "tinh", "huyen", "xa", "phuong", "quan", "thanh", "truong", "thon", "ap", "lang", "khu", "nuoc",
    "quoc", "nganh", "lop", "vung",
})
# A scope noun followed by these is another word ("trường hợp": a case, "quan chức": an official).
_NOT_SCOPE_AFTER = {"truong": frozenset({"hop", "phong", "ban", "thon", "tram"}),
                    "quan": frozenset({"chuc", "he", "tam", "ly", "diem", "doi", "trong", "sat", "lai"}),
                    "xa": frozenset({"hoi"})}
# "thành" is a scope only as "thành phố" ("thành viên", "thanh niên" are people).
_SCOPE_NEXT = {"thanh": frozenset({"pho"})}
_WHOLE_SCOPE = frozenset({"toan", "ca", "khap"})  # "toàn tỉnh", "cả nước", "khắp tỉnh"
# Whole and partial scope phrases (folded bigrams).
_WHOLE_BIGRAMS = frozenset({"tat_ca", "het_thay", "toan_bo", "nao_cung", "khap_noi"})
_PART_BIGRAMS = frozenset({"mot_so", "mot_vai", "mot_phan", "mot_it"})


@dataclass(frozen=True)
class Quantities:
    """What a text says of how long and how widely: duration intervals in days, and whether it states
    a whole scope (``whole``) and a partial one (``part``)."""

    durations: tuple[tuple[float, float], ...] = ()
    whole: bool = False
    part: bool = False


def _number(tokens: list[str], end: int) -> tuple[float, int] | None:
    """The number written in ``tokens`` ending just before index ``end`` (digits or number words), and
    the index where it starts; None when there is none."""
    i = end - 1
    if i < 0:
        return None
    t = tokens[i]
    if t.isdigit():
        return float(t), i
    if "," in t or "." in t:
        try:
            return float(t.replace(",", ".")), i
        except ValueError:
            return None
    # Number words, read backwards as far as they go ("hai mươi lăm", "mười", "ba").
    start = end
    while start > 0 and (tokens[start - 1] in _UNITS_ALONE or tokens[start - 1] in _UNITS_COMPOUND
                         or tokens[start - 1] in _TENS or tokens[start - 1] in _MULTIPLIERS):
        start -= 1
    words = tokens[start:end]
    while words and words[0] not in _UNITS_ALONE and words[0] not in _TENS:
        # a compound-only word ("nam", "bay", "sau") cannot open a number
        if len(words) > 1 and (words[1] in _TENS or words[1] in _MULTIPLIERS):
            break
        words, start = words[1:], start + 1
    if not words or (len(words) == 1 and words[0] not in _UNITS_ALONE and words[0] not in _TENS):
        return None
    total, current, prev = 0.0, 0.0, ""
    for w in words:
        if w in _TENS:
            current = (current or 1.0) * 10.0
        elif w in _MULTIPLIERS:
            total += (current or 1.0) * _MULTIPLIERS[w]
            current = 0.0
        else:
            digit = _UNITS_ALONE.get(w) if prev not in _TENS else None
            digit = digit if digit is not None else _UNITS_COMPOUND.get(w, _UNITS_ALONE.get(w, 0))
            current += digit
        prev = w
    value = total + current
    return (value, start) if value else None


def durations(tokens: list[str]) -> tuple[tuple[float, float], ...]:
    """The durations folded ``tokens`` state, as intervals in days: "một ngày" (1, 1), "hết tuần" /
    "cả tuần" (5, 7), "hơn 2 tuần" (14, 42), "chưa được một tháng" (10, 30), "vài ngày" (2, 5)."""
    out = []
    for i, t in enumerate(tokens):
        days = DURATION_DAYS.get(t)
        if days is None or i == 0:
            continue
        before = tokens[i - 1]
        if before in _WHOLE_MARKERS:
            out.append(_WHOLE[t])
            continue
        if before in _FEW:
            lo, hi = _FEW[before]
            out.append((lo * days, hi * days))
            continue
        found = _number(tokens, i)
        if found is None:
            continue
        value, start = found
        lead = tokens[start - 1] if start else ""
        if lead in _NOT_DURATION or (start >= 2 and tokens[start - 2] in _NOT_DURATION and lead == "duoc"):
            continue
        if lead == "duoc" and start >= 2:  # "chưa được một tháng", "hơn được"
            lead = tokens[start - 2]
        lo = hi = value * days
        if lead in _AT_LEAST:
            hi = lo * 3.0
        elif lead in _AT_MOST:
            lo = hi / 3.0
        out.append((lo, hi))
    return tuple(out)


def scopes(tokens: list[str]) -> tuple[bool, bool]:
    """``(whole, part)``: whether folded ``tokens`` state a whole scope ("toàn tỉnh", "cả nước", "tất
    cả", "trường nào cũng") and a partial one ("ba huyện", "3 xã", "một số", "vài trường")."""
    whole = part = False
    for i, t in enumerate(tokens):
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
        pair = f"{t}_{nxt}"
        if pair in _WHOLE_BIGRAMS:
            whole = True
        elif pair in _PART_BIGRAMS:
            part = True
        if (t not in SCOPE_NOUNS or i == 0 or nxt in _NOT_SCOPE_AFTER.get(t, ())
                or (t in _SCOPE_NEXT and nxt not in _SCOPE_NEXT[t])):
            continue
        before = tokens[i - 1]
        if before in _WHOLE_SCOPE:
            whole = True
            continue
        count = _number(tokens, i) if before not in _NOT_DURATION else None
        if before == "vai" or (count is not None and count[0] < 1000
                               and (count[1] == 0 or tokens[count[1] - 1] not in _NOT_DURATION)):
            part = True
    return whole, part


def quantities(tokens: list[str]) -> Quantities:
    """The durations and scopes of folded ``tokens`` (see the module)."""
    whole, part = scopes(tokens)
    return Quantities(durations(tokens), whole, part)


def _agree(a: tuple[float, float], b: tuple[float, float], slack: float = 1.25) -> bool:
    return a[0] <= b[1] * slack and b[0] <= a[1] * slack


def quantity_conflict(a: Quantities, b: Quantities) -> bool:
    """Whether two texts' quantities contradict: both state durations and none of one agrees with one
    of the other's (intervals overlapping within 25 %), or one states only a whole scope and the other
    only a partial one. A quantity only one side states is no conflict (a dropped detail)."""
    if a.durations and b.durations and not any(_agree(x, y) for x in a.durations for y in b.durations):
        return True
    a_whole, b_whole = a.whole and not a.part, b.whole and not b.part
    a_part, b_part = a.part and not a.whole, b.part and not b.whole
    return (a_whole and b_part) or (a_part and b_whole)


__all__ = ["DURATION_DAYS", "SCOPE_NOUNS", "Quantities", "durations", "quantities", "quantity_conflict", "scopes"]
