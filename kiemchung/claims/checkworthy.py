"""Check-worthy sentences: rank the sentences of a document by how checkable they are.

A sentence scores high when it states something that can be checked: numbers, dates, percentages,
money and units; named entities (capitalised syllables; underthesea NER is not needed);
reporting verbs ("cho biết", "khẳng định", "theo", "tuyên bố"); quotations; superlatives ("nhất",
"kỷ lục"); comparisons ("tăng", "giảm", "gấp"); and the marks of viral posts ("KHẨN CẤP", "chia sẻ
ngay", "nóng", "!!!", all caps). Opinion and feeling words and questions pull the score down.

The score is a logistic blend of these signals with fixed weights (:data:`WEIGHTS`), so it is in 0..1
and every score comes with its reasons. Measured figures on the labelled fixture are in
docs/factchecks.md.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from kiemchung.text import fold, normalize, sentences, tokens

DEFAULT_THRESHOLD = 0.5
MAX_SENTENCE_CHARS = 2000

WEIGHTS = {
    "number": 1.6, "date": 1.0, "percent": 0.8, "money_unit": 0.6, "entity": 1.2, "reporting": 1.4,
    "quote": 0.6, "superlative": 1.0, "comparison": 0.8, "viral": 1.6, "claim_verb": 0.9,
    "opinion": -2.2, "question": -2.5, "short": -1.5,
}
BIAS = -1.6

_NUM = re.compile(r"\d")
_DATE = re.compile(r"\b\d{1,2}/\d{1,2}(/\d{2,4})?\b|\b(ngay|thang|nam|quy) \d{1,4}\b|\b(19|20)\d\d\b")
_PERCENT = re.compile(r"\d\s*%|phan tram")
_UNITS = re.compile(r"\b(dong|usd|ty|trieu|nghin|tan|km|m3|mm|kg|lit|luot|ca|ho|nguoi)\b")
_REPORTING = ("cho biet", "khang dinh", "tuyen bo", "xac nhan", "thong bao", "bao cao", "noi rang",
              "theo ", "cong bo", "tiet lo", "phat hien", "thong ke")
_SUPERLATIVE = re.compile(r"\b(nhat|ky luc|dau tien|duy nhat|toan bo|tuyet doi|hoan toan)\b")
_COMPARISON = re.compile(r"\b(tang|giam|gap (doi|ba|\w+)|cao hon|thap hon|so voi|vuot|hon \d)")
_CLAIM_VERB = re.compile(r"\b(se|bi|da|gay|chua khoi|cam|phat|mien|cat|nhiem|sap|xay|dat)\b")
# Viral marks are read with their diacritics when the text has them: folded, "nông dân" (farmers) would
# read as "nóng" (hot news) and "gấp đôi" (twice) as "gấp" (urgent). Posts typed without diacritics
# are read folded.
_VIRAL = re.compile(r"\b(khẩn cấp|chia sẻ ngay|nóng|cảnh báo|tin khẩn|lan truyền|share gấp|"
                    r"gấp(?!\s+(?:đôi|rưỡi|hai|ba|bốn|năm|mười|nhiều|mấy|\d)))\b")
_VIRAL_FOLDED = re.compile(r"\b(khan cap|chia se ngay|nong|canh bao|tin khan|gap|lan truyen)\b")
_OPINION = re.compile(
    r"\b(toi nghi|theo toi|theo minh|minh thay|toi thay|minh nghi|cam thay|hy vong|mong|chuc|thuong qua|"
    r"buon|vui|tiec|thich|tu hao|cam on|xin chia buon|uoc gi|co le|chac la|hinh nhu|nen|hay cung)\b"
)
_QUESTION = re.compile(r"\?\s*$|\b(khong biet|co ai|ai co|ban co|ban da|bao gio|nhi|the nao|tai sao)\b")
_QUOTE = re.compile(r"[\"“”«»]")


@dataclass
class ScoredSentence:
    """A sentence, its check-worthiness in 0..1 and the reasons (signal names)."""

    text: str
    score: float
    reasons: list[str] = field(default_factory=list)


def _entities(text: str) -> int:
    """Named entities, cheaply: runs of two or more capitalised syllables ("Sở Y tế", "Hà Nội"), and
    single capitalised syllables after the first word ("Washington", "Nga"): a capital inside a
    Vietnamese sentence marks a proper name."""
    toks = tokens(text)
    count, cur = 0, 0
    for i, tok in enumerate([*toks, ""]):
        if tok[:1].isupper():
            cur += 1
            continue
        if cur >= 2 or (cur == 1 and i > 1):  # a single capital counts unless it opens the sentence
            count += 1
        cur = 0
    return count


def _viral_words(text: str, folded: str) -> bool:
    """Whether the sentence carries a viral mark ("khẩn cấp", "chia sẻ ngay", "nóng"...)."""
    lower = text.lower()
    if fold(lower) == lower:  # typed without diacritics: only the folded form can be read
        return bool(_VIRAL_FOLDED.search(folded))
    return bool(_VIRAL.search(lower))


def signals(sentence: str) -> dict[str, float]:
    """The signals of one sentence (values in 0..1)."""
    text = normalize(sentence[:MAX_SENTENCE_CHARS])
    f = " " + fold(text).lower() + " "
    toks = tokens(text)
    letters = [c for c in text if c.isalpha()]
    caps = sum(c.isupper() for c in letters) / max(1, len(letters))
    out = {
        "number": float(bool(_NUM.search(text))),
        "date": float(bool(_DATE.search(f))),
        "percent": float(bool(_PERCENT.search(f))),
        "money_unit": float(bool(_NUM.search(text) and _UNITS.search(f))),
        "entity": min(1.0, _entities(text) / 2),
        "reporting": float(any(r in f for r in _REPORTING)),
        "quote": float(bool(_QUOTE.search(text))),
        "superlative": float(bool(_SUPERLATIVE.search(f))),
        "comparison": float(bool(_COMPARISON.search(f))),
        "claim_verb": float(bool(_CLAIM_VERB.search(f))),
        "viral": min(1.0, float(_viral_words(text, f)) + (text.count("!") >= 2) * 0.5
                     + (caps > 0.6 and len(letters) > 8) * 0.5),
        "opinion": float(bool(_OPINION.search(f))),
        "question": float(bool(_QUESTION.search(f))),
        "short": float(len(toks) < 5),
    }
    return out


def score_sentence(sentence: str) -> ScoredSentence:
    """Score one sentence: a logistic blend of :func:`signals` with :data:`WEIGHTS`."""
    sig = signals(sentence)
    z = BIAS + sum(WEIGHTS[k] * v for k, v in sig.items())
    score = 1.0 / (1.0 + math.exp(-z))
    reasons = [k for k, v in sorted(sig.items(), key=lambda kv: -abs(WEIGHTS[kv[0]] * kv[1])) if v > 0]
    return ScoredSentence(sentence.strip(), round(score, 4), reasons)


def rank_sentences(text: str, *, limit: int | None = None, threshold: float = 0.0) -> list[ScoredSentence]:
    """The sentences of ``text`` (split by :func:`kiemchung.text.sentences`), most check-worthy first."""
    seen: set[str] = set()
    out = []
    for s in sentences(text or ""):
        key = s.strip()
        if not key or key in seen:
            continue
        seen.add(key)
        scored = score_sentence(key)
        if scored.score >= threshold:
            out.append(scored)
    out.sort(key=lambda s: -s.score)
    return out[:limit] if limit else out


# What needs checking first (the claims queue): a claim circulating in social posts, with viral marks or
# many interactions, before a sentence of a news article (edited, usually settled) of the same
# checkability. Added to the check-worthiness score; each bonus given names its reason.
QUEUE_BONUS = {"post": 0.5, "viral": 0.25, "engagement": 0.25}
ENGAGEMENT_FULL = 10_000  # interactions (likes + shares + comments...) that earn the whole bonus


def queue_priority(scored: ScoredSentence, doc) -> tuple[float, list[str]]:
    """Priority of a check-worthy sentence of ``doc`` in the claims queue, with its reasons: the
    sentence's score, plus :data:`QUEUE_BONUS` for a social post (reason ``post``), for viral marks
    (``viral``) and for engagement on a log scale up to :data:`ENGAGEMENT_FULL` (``engagement``)."""
    reasons = list(scored.reasons)
    priority = scored.score
    if getattr(doc, "kind", None) == "post":
        priority += QUEUE_BONUS["post"]
        reasons.insert(0, "post")
    viral = signals(scored.text)["viral"]
    priority += QUEUE_BONUS["viral"] * viral
    interactions = sum(v for v in (getattr(doc, "engagement", None) or {}).values() if isinstance(v, int) and v > 0)
    if interactions:
        share = min(1.0, math.log10(1 + interactions) / math.log10(1 + ENGAGEMENT_FULL))
        priority += QUEUE_BONUS["engagement"] * share
        if share >= 0.5:  # at least ~100 interactions: worth saying
            reasons.insert(1 if reasons[:1] == ["post"] else 0, "engagement")
    return round(priority, 4), reasons


def rank_document(doc, **kw) -> list[ScoredSentence]:
    """Check-worthy sentences of a :class:`~kiemchung.models.Document` (title, lead, body)."""
    return rank_sentences(doc.text(), **kw)


def rank_documents(docs, *, limit: int | None = None) -> list[ScoredSentence]:
    """Check-worthy sentences across several documents (e.g. a story's), duplicates merged."""
    return rank_sentences("\n".join(d.text() for d in docs), limit=limit)
