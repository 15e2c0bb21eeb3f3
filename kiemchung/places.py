"""Vietnam's provinces before and after the 2025 merger, and a fast scan for place names in text.

Data: ``kiemchung/data/provinces.json`` (Resolution 202/2025/QH15, effective 1 July 2025: 63 units
became 34). Every old province maps to the new one it became part of; names are matched on folded
syllables (:func:`kiemchung.text.fold`), so "Quảng Nam", "quang nam" and "QUẢNG NAM" all count for
the new Đà Nẵng. See docs/trends.md for the matching rules and known limits.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from kiemchung import text
from kiemchung.errors import ConfigError

__all__ = ["PlaceMention", "Province", "find_places", "province", "provinces", "resolve_place"]

MAX_NAME_TOKENS = 6
_GAP = re.compile(r"[ \t\-\u2013\u2014.]*")


@dataclass(frozen=True)
class Province:
    """One province or centrally-run city of one era ("new": after 1 July 2025, "old": the 63)."""

    code: str
    name: str
    kind: str
    era: str
    aliases: tuple[str, ...] = ()
    former: tuple[str, ...] = ()
    new_code: str = ""  # for an old province: the new province it became part of (itself when new)


@dataclass(frozen=True)
class PlaceMention:
    """A place name found in a text: offsets in the text, the new province, and what matched."""

    start: int
    end: int
    text: str
    code: str  # new province code
    matched_code: str  # code of the matched unit in its own era (old code for an old name)
    era: str  # "new", "old" or "former" (a well-known earlier name)


@dataclass
class _Data:
    new: dict[str, Province] = field(default_factory=dict)
    old: dict[str, Province] = field(default_factory=dict)
    # folded token tuple -> (new code, matched code, era, needs capital, exact-accent form or "")
    names: dict[tuple[str, ...], tuple[str | None, str, str, bool, str]] = field(default_factory=dict)
    first: set[str] = field(default_factory=set)
    # folded token tuple -> the accented spellings (tuples of lowercase syllables) it may be written as
    accented: dict[tuple[str, ...], set[tuple[str, ...]]] = field(default_factory=dict)


def _key(name: str) -> tuple[str, ...]:
    return tuple(tok for _, _, tok in text.token_spans(text.normalize(name)))


@lru_cache(maxsize=1)
def _data() -> _Data:
    try:
        raw = json.loads(resources.files("kiemchung.data").joinpath("provinces.json").read_text("utf-8"))
    except (OSError, ValueError) as exc:  # a broken install: say which file
        raise ConfigError(f"Không đọc được danh sách tỉnh (cannot read provinces.json): {exc}") from exc
    d = _Data()
    caps = {_key(n) for n in raw.get("capitalised_only", [])}

    def add(name: str, new_code: str | None, code: str, era: str) -> None:
        key = _key(name)
        if not key:
            return
        d.accented.setdefault(key, set()).add(tuple(text.syllables(name, strip=False)))
        exact = text.normalize(name).lower() if len(key) == 1 and not name.isascii() else ""
        if key in d.names and d.names[key][2] in ("new", "old") and era not in ("new",):
            return  # an official name wins over an alias or a former name
        needs_caps = key in caps or era == "former" or (len(key) == 1 and not name.isascii())
        d.names[key] = (new_code, code, era, needs_caps, exact)
        d.first.add(key[0])

    for item in raw["new"]:
        p = Province(item["code"], item["name"], item["kind"], "new", tuple(item.get("aliases", ())),
                     tuple(item.get("former", ())), item["code"])
        d.new[p.code] = p
    for item in raw["old"]:
        p = Province(item["code"], item["name"], item["kind"], "old", tuple(item.get("aliases", ())), (),
                     item["new"])
        d.old[p.code] = p
    # Old names first, then new ones (a name in both eras maps the same way), then aliases.
    for p in d.old.values():
        for name in (p.name, *p.aliases):
            add(name, p.new_code, p.code, "old")
    for p in d.new.values():
        for name in (p.name, *p.aliases):
            add(name, p.code, p.code, "new")
        for name in p.former:
            add(name, p.code, p.code, "former")
    for name in raw.get("not_places", []):
        key = _key(name)
        d.accented.setdefault(key, set()).add(tuple(text.syllables(name, strip=False)))
        d.names[key] = (None, "", "blocked", False, "")
        d.first.add(key[0])
    return d


def provinces(era: str = "new") -> list[Province]:
    """The provinces of an era: ``"new"`` (34, from 1 July 2025) or ``"old"`` (the 63 before)."""
    d = _data()
    if era == "new":
        return list(d.new.values())
    if era == "old":
        return list(d.old.values())
    raise ConfigError(f"Giai đoạn không hợp lệ (era must be 'new' or 'old'): {era!r}")


def province(code: str) -> Province | None:
    """The new province with this code, or None."""
    return _data().new.get(code)


def resolve_place(name: str) -> Province | None:
    """The new province a name refers to: a new or old name, code, alias or former name; else None.

    Case and diacritics do not matter ("quang nam" → Đà Nẵng, "TPHCM" → Thành phố Hồ Chí Minh).
    Prefixes "tỉnh", "thành phố", "TP" are accepted.
    """
    if not name or not name.strip():
        return None
    d = _data()
    raw = name.strip()
    if raw in d.new:
        return d.new[raw]
    if raw in d.old:
        return d.new[d.old[raw].new_code]
    key = _key(raw)
    for skip in (0, 1, 2):
        if skip and (len(key) <= skip or key[:skip] not in (("tinh",), ("tp",), ("thanh", "pho"))):
            continue
        hit = d.names.get(key[skip:])
        if hit and hit[0]:
            return d.new[hit[0]]
    return None


def find_places(source: str) -> list[PlaceMention]:
    """Place names in ``source``, longest match first, left to right (a dictionary scan, no model).

    Matching is on folded syllables. Text written with diacritics must carry the name's own
    diacritics ("cả mẫu" is not "Cà Mau") and capitals on every syllable after the first ("hải
    dương" is the sea); text without any diacritics matches by its folded form, in any case. Names
    that are also common words ("Hòa Bình": peace, "Huế", "HN") and former names must be
    capitalised on every syllable; one-syllable names must match with their diacritics; syllables
    separated by a comma, bracket or line break never form a name; phrases such as "Thái Bình
    Dương" or "Chủ tịch Hồ Chí Minh" are consumed without a match.
    """
    if not source:
        return []
    d = _data()
    spans = text.token_spans(source)
    toks = [s[2] for s in spans]
    out: list[PlaceMention] = []
    i, n = 0, len(toks)
    while i < n:
        if toks[i] not in d.first:
            i += 1
            continue
        found = None
        for length in range(min(MAX_NAME_TOKENS, n - i), 0, -1):
            key = tuple(toks[i:i + length])
            hit = d.names.get(key)
            if hit is None:
                continue
            start, end = spans[i][0], spans[i + length - 1][1]
            surface = source[start:end]
            new_code, code, era, caps, exact = hit
            if any(not _GAP.fullmatch(source[spans[k][1]:spans[k + 1][0]]) for k in range(i, i + length - 1)):
                continue  # a comma, bracket or line break between the syllables: not one name
            starts = [source[spans[k][0]] for k in range(i, i + length)]
            if caps and not all(c.isupper() for c in starts):
                continue
            if new_code and not surface.isascii() and not all(c.isupper() for c in starts[1:]):
                continue  # accented names are written in title case ("hải dương" is the sea)
            if exact and text.normalize(surface).lower() != exact:
                continue
            if not surface.isascii() and tuple(text.syllables(surface, strip=False)) not in d.accented[key]:
                continue  # written with other diacritics: "cả mẫu" is not "Cà Mau"
            found = (length, start, end, surface, hit)
            break
        if found is None:
            i += 1
            continue
        length, start, end, surface, (new_code, code, era, _, _) = found
        if new_code:
            out.append(PlaceMention(start, end, surface, new_code, code, era))
        i += length
    return out
