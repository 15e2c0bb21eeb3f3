"""Forged-letter assist: the number, date, issuing body and signer of an official letter ("công văn"),
read from its text (OCR of a screenshot), and the stored official statements with the same number or
issuer, so that an editor can check "does this letter exist?" in one look.

This is an assist, never a verdict: nothing here says a letter is forged. It only puts the letter's
identifying fields next to what the office has stored: official documents (kind ``official``) and
fact-checks that mention the same number or the same issuer.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from kiemchung import text as ktext

__all__ = [
    "LetterCheck",
    "LetterFields",
    "Statement",
    "check_letter",
    "check_letter_image",
    "content_statements",
    "factchecks_on",
    "extract_fields",
    "related_statements",
]

# "Số: 123/UBND-VP", "Số 45/2026/QĐ-UBND", "Số:12/CV-SYT" (OCR may read ':' as '.', ';' or drop it).
_NUMBER = re.compile(r"\bS[ốoô6][\s:;.,]*\s*(\d{1,6}\s*/\s*[0-9A-Za-zĐđ\-/.\s]{1,40}?)(?=\s{2,}|\s+[A-ZĐ][a-zà-ỹ]|\s*$|\n)",
                     re.MULTILINE)
_DATE = re.compile(r"ngày\s*(\d{1,2})\s*tháng\s*(\d{1,2})\s*năm\s*(\d{4})", re.IGNORECASE)
_MOTTO = (
    "cộng hòa xã hội chủ nghĩa việt nam", "cộng hoà xã hội chủ nghĩa việt nam", "độc lập - tự do - hạnh phúc",
    "độc lập – tự do – hạnh phúc", "độc lập tự do hạnh phúc",
)
_SIGNER_TITLES = ("chủ tịch", "phó chủ tịch", "giám đốc", "phó giám đốc", "trưởng ban", "phó trưởng ban",
                  "bộ trưởng", "thứ trưởng", "chánh văn phòng", "trưởng phòng", "hiệu trưởng", "bí thư",
                  "tm.", "kt.", "tl.", "q.", "thủ trưởng", "cục trưởng", "chi cục trưởng", "tổng giám đốc")
_ISSUER_WORDS = ("ubnd", "ủy ban", "uỷ ban", "sở ", "bộ ", "ban ", "cục ", "chi cục", "phòng ", "hội đồng",
                 "trường ", "bệnh viện", "công an", "bộ chỉ huy", "văn phòng", "trung tâm", "tỉnh ủy", "tỉnh uỷ",
                 "huyện ủy", "thành ủy", "tổng cục", "viện ", "đài ", "báo ", "tổng công ty", "công ty")


@dataclass
class LetterFields:
    """What identifies a letter: ``number`` ("123/SYT-VP"), ``date`` (ISO, when the day, month and year
    read make a date), ``date_text`` as written, ``issuer`` (the issuing body's lines, joined by " – "),
    ``signer`` (a name) and ``signer_title``."""

    number: str | None = None
    date: str | None = None
    date_text: str | None = None
    issuer: str | None = None
    issuer_lines: list[str] = field(default_factory=list)
    signer: str | None = None
    signer_title: str | None = None
    subject: str | None = None

    @property
    def found(self) -> bool:
        """Whether the text looks like an official letter (a number or an issuer and a date)."""
        return bool(self.number or (self.issuer and self.date))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _strip_motto(line: str) -> str:
    low = line.lower()
    for m in _MOTTO:
        i = low.find(m)
        if i >= 0:
            line = (line[:i] + line[i + len(m):]).strip(" -–")
            low = line.lower()
    return line.strip()


def _is_upper(line: str) -> bool:
    letters = [c for c in line if c.isalpha()]
    return bool(letters) and sum(c.isupper() for c in letters) >= 0.8 * len(letters)


def _looks_like_name(line: str) -> bool:
    words = line.split()
    if not 2 <= len(words) <= 5:
        return False
    return all(w[:1].isupper() and ktext.is_syllable(ktext.fold(w).lower()) for w in words if w.isalpha() or True)


def extract_fields(letter_text: str) -> LetterFields:
    """The identifying fields of an official letter from its (OCR'd) text; fields not found stay None.

    Works on the two-column header of Vietnamese administrative documents as OCR reads it (the left
    column's issuer and number on the same line as the national motto and the place/date)."""
    src = ktext.normalize(letter_text or "", keep_newlines=True)
    out = LetterFields()
    lines = [ln.strip() for ln in src.split("\n")]
    m = _NUMBER.search(src)
    number_line = None
    if m:
        num = re.sub(r"\s+", "", m.group(1)).strip("-/.")
        out.number = num.upper() if num else None
        number_line = src.count("\n", 0, m.start())
    d = _DATE.search(src)
    if d:
        day, month, year = (int(x) for x in d.groups())
        out.date_text = d.group(0)
        if 1 <= day <= 31 and 1 <= month <= 12 and 1900 <= year <= 2100:
            import datetime as dt

            try:
                out.date = dt.date(year, month, day).isoformat()
            except ValueError:
                out.date = None
    # Issuer: the upper-case lines above the number (motto removed), e.g. "UBND TỈNH X" / "SỞ Y TẾ".
    head_end = number_line if number_line is not None else min(len(lines), 6)
    issuer: list[str] = []
    for ln in lines[:head_end + 1]:
        ln = _strip_motto(ln)
        if number_line is not None and m and m.group(0).strip() in ln:
            ln = ln[: ln.find(m.group(0).strip())].strip()
        ln = re.split(r"\s{2,}|,?\s+ngày\s+\d", ln)[0].strip(" -–")
        if ln and _is_upper(ln) and not ln.lower().startswith("số") and len(ln) >= 3:
            issuer.append(ln)
    if not issuer:  # no upper-case header: a line naming an issuing body
        for ln in lines[:8]:
            low = _strip_motto(ln).lower()
            if any(low.startswith(w) for w in _ISSUER_WORDS):
                issuer.append(_strip_motto(ln))
                break
    out.issuer_lines = issuer
    out.issuer = " – ".join(issuer) if issuer else None
    # Subject: "V/v ..." line.
    for ln in lines:
        s = re.search(r"\bV/v\b.*", ln, re.IGNORECASE)
        if s:
            out.subject = s.group(0).strip()
            break
    # Signer: the last name-like line after a signer title near the end.
    tail = [ln for ln in lines if ln][-8:]
    for i, ln in enumerate(tail):
        low = ln.lower().strip(" .:")
        if any(low.startswith(t) for t in _SIGNER_TITLES) or low in _SIGNER_TITLES:
            out.signer_title = ln.strip()
            for cand in tail[i + 1:]:
                if _looks_like_name(cand) and not any(cand.lower().startswith(t) for t in _SIGNER_TITLES):
                    out.signer = cand.strip()
            if out.signer:
                break
    if out.signer is None and tail and _looks_like_name(tail[-1]):
        out.signer = tail[-1]
    return out


@dataclass
class Statement:
    """A stored statement shown next to a letter: an official document or a fact-check."""

    kind: str  # "document" | "factcheck"
    id: int
    title: str
    url: str | None
    when: str | None
    why: str  # "number" | "issuer"
    doc_kind: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class LetterCheck:
    """A letter's fields and the stored statements with the same number or issuer."""

    fields: LetterFields
    by_number: list[Statement]
    by_issuer: list[Statement]
    ocr_text: str | None = None
    by_content: list[Statement] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"fields": self.fields.to_dict(), "by_number": [s.to_dict() for s in self.by_number],
                "by_issuer": [s.to_dict() for s in self.by_issuer],
                "by_content": [s.to_dict() for s in self.by_content], "ocr_text": self.ocr_text}


def _phrase(q: str) -> str:
    return '"' + q.replace('"', " ") + '"'


def _docs(db, query: str, why: str, kinds: list[str] | None, limit: int) -> list[Statement]:
    from kiemchung.errors import QueryError
    from kiemchung.store.search import search

    try:
        res = search(db, query, limit=limit, kinds=kinds, sort="relevance")
    except QueryError:
        return []
    out = []
    for h in res.hits:
        doc = h.document
        if doc.kind == "tip":  # what citizens sent in is not a statement (tips are grouped on their page)
            continue
        when = doc.published_at or doc.fetched_at
        out.append(Statement("document", doc.id, doc.title or ktext.first_words(doc.body, 20), doc.url,
                             when.isoformat() if when else None, why, doc.kind))
    return out


def _factchecks(db, words: str, why: str, limit: int) -> list[Statement]:
    from kiemchung.claims.factchecks import list_factchecks

    out = []
    for fc in list_factchecks(db, query=words, limit=limit):
        out.append(Statement("factcheck", fc.id, fc.claim, None,
                             fc.updated_at.isoformat() if getattr(fc, "updated_at", None) else None, why))
    return out


def _number_key(number: str) -> str:
    return re.sub(r"[^0-9A-ZĐ]", "", ktext.normalize(number).upper())


def _same_number(db, number: str, limit: int) -> list[Statement]:
    """Stored documents holding the letter's number up to punctuation ("5612/CTTTHT" as OCR read it finds
    "5612/CT-TTHT"): documents with its leading digits, kept when their text holds the same digits and
    letters in a row."""
    m = re.match(r"\d+", number)
    key = _number_key(number)
    if not m or len(key) <= len(m.group(0)):
        return []
    from kiemchung.store.search import search

    out = []
    for h in search(db, m.group(0), limit=200, sort="newest").hits:
        doc = h.document
        if doc.kind != "tip" and key in _number_key(" ".join((doc.title or "", doc.lead or "", doc.body or ""))):
            when = doc.published_at or doc.fetched_at
            out.append(Statement("document", doc.id, doc.title or ktext.first_words(doc.body, 20), doc.url,
                                 when.isoformat() if when else None, "number", doc.kind))
    out.sort(key=lambda s: s.doc_kind != "official")
    return out[:limit]


def _issuer_queries(fields: LetterFields) -> list[str]:
    """Search queries for the issuing body, most specific first: the body's own line (e.g. "SỞ Y TẾ",
    with the province of the line above when it names none), then the line above itself (e.g.
    "UBND TỈNH LAM GIANG": a "VĂN PHÒNG" writes in its name)."""
    if not fields.issuer_lines:
        return []
    body = fields.issuer_lines[-1]
    out = [_phrase(body)]
    if len(fields.issuer_lines) > 1:
        parent = fields.issuer_lines[0]
        place = re.sub(r"^(UBND|ỦY BAN NHÂN DÂN|UỶ BAN NHÂN DÂN)\s+", "", parent, flags=re.IGNORECASE)
        place = re.sub(r"^(TỈNH|THÀNH PHỐ|TP\.?|HUYỆN|XÃ|PHƯỜNG)\s+", "", place, flags=re.IGNORECASE)
        if place and place.lower() not in body.lower() and not body.upper().startswith(("UBND", "ỦY BAN", "UỶ BAN")):
            out[0] = f"{_phrase(body)} {_phrase(place)}"
        out.append(_phrase(parent))
    return out


def related_statements(db, fields: LetterFields, *, limit: int = 10) -> tuple[list[Statement], list[Statement]]:
    """``(by_number, by_issuer)``: stored official documents and fact-checks that mention the letter's
    number, then official documents from/about the same issuer (newest relevant first)."""
    by_number: list[Statement] = []
    by_issuer: list[Statement] = []
    if fields.number:
        by_number += _docs(db, _phrase(fields.number), "number", ["official"], limit)
        seen = {s.id for s in by_number}
        by_number += [s for s in _docs(db, _phrase(fields.number), "number", None, limit) if s.id not in seen]
        if not by_number:  # OCR may drop or add a hyphen or slash: the same digits and letters count
            by_number += _same_number(db, fields.number, limit)
        by_number += _factchecks(db, fields.number, "number", limit)
    seen = {(s.kind, s.id) for s in by_number}
    for q in _issuer_queries(fields):
        for st in _docs(db, q, "issuer", ["official"], limit):
            if ("document", st.id) not in seen:
                seen.add(("document", st.id))
                by_issuer.append(st)
        if len(by_issuer) >= limit:
            break
    return by_number[: 2 * limit], by_issuer[:limit]


def _content(letter_text: str) -> str:
    """The letter without its header's motto lines: what it says, for the evidence matcher."""
    return "\n".join(x for x in (_strip_motto(ln) for ln in (letter_text or "").split("\n")) if x)


def content_statements(db, letter_text: str, *, limit: int = 5) -> list[Statement]:
    """Official statements that speak to what the letter says (the claim matcher of
    :func:`kiemchung.claims.evidence.suggest_evidence`): a denial of the letter's content, whatever its number."""
    from kiemchung.claims.evidence import suggest_evidence

    text_ = _content(letter_text)
    if not text_.strip():
        return []
    out = []
    for sug in suggest_evidence(db, text_, limit=limit):
        doc = sug.document
        when = doc.published_at or doc.fetched_at
        out.append(Statement("document", doc.id, doc.title or ktext.first_words(doc.body, 20), doc.url,
                             when.isoformat() if when else None, "content", doc.kind))
    out += factchecks_on(db, text_)
    return out


def factchecks_on(db, letter_text: str, *, k: int = 5) -> list[Statement]:
    """Published fact-checks whose claim the letter repeats (the claim matcher, as ``kiemchung match``)."""
    from kiemchung.claims.alerts import AlertEngine
    from kiemchung.claims.factchecks import get_factcheck

    engine = AlertEngine(db)
    if not len(engine.refresh()):
        return []
    results, _ = engine.decider.decide(letter_text, k=k)
    out = []
    for h in results:
        if h.matched:
            fc = get_factcheck(db, int(h.entry_id))
            when = getattr(fc, "published_at", None) or getattr(fc, "updated_at", None)
            out.append(Statement("factcheck", fc.id, fc.claim, None,
                                 when.isoformat() if hasattr(when, "isoformat") else None, "content"))
    return out


def check_letter(db, letter_text: str, *, limit: int = 10) -> LetterCheck:
    """Fields of a letter's text and the related stored statements: same number, same issuer
    (:func:`related_statements`), and official statements about what it says (:func:`content_statements`)."""
    fields = extract_fields(letter_text)
    by_number, by_issuer = related_statements(db, fields, limit=limit) if fields.found or fields.issuer else ([], [])
    # A statement on the same subject is the strongest lead (a denial of what the letter says): shown
    # under "same subject" rather than again under "same issuer".
    numbered = {s.id for s in by_number if s.kind == "document"}
    by_content = [s for s in content_statements(db, letter_text, limit=5)
                  if s.kind != "document" or s.id not in numbered]
    about = {s.id for s in by_content if s.kind == "document"}
    by_issuer = [s for s in by_issuer if s.id not in about]
    return LetterCheck(fields, by_number, by_issuer, letter_text, by_content)


def check_letter_image(db, image, *, limit: int = 10) -> LetterCheck:
    """OCR an image (bytes, path, PIL image) and :func:`check_letter` its text: the function the tips
    page calls for a screenshot. Raises :class:`kiemchung.images.ocr.OcrError` for a bad image and
    :class:`~kiemchung.images.ocr.OcrUnavailable` without Tesseract."""
    from kiemchung.images.ocr import recognize

    return check_letter(db, recognize(image).text, limit=limit)
