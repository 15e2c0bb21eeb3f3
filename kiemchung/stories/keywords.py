"""Story keywords as words a person reads ("nước máy", "nhiễm độc", "Lam Giang"), not index terms.

The story stage keeps, per story, its top index terms (folded syllables and bigrams weighted by corpus
IDF). Those are good for matching but poor to read ("mua_nuoc" crosses a word boundary). This slow
stage segments the story's titles and leads with underthesea (:func:`kiemchung.text.words`), keeps
the words that carry the story's weight, and shows each in its most common written form. It runs in
the background (:class:`KeywordStage`), never on the assignment path.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, func, insert, select

from kiemchung import text, timeutil
from kiemchung.store import schema as t
from kiemchung.stories import tables as st

# Words that are frequent in any news text and never a story's subject (folded forms).
STOP_WORDS = frozenset(
    """
    cho_biet theo_do tuy_nhien trong_khi hien_nay nguoi_ta mot_so cac nhung duoc khong co la va cua
    cho voi tu den tai trong ngoai tren duoi sau truoc khi da dang se bi nay do the nhu hon rat cung
    nhieu it moi tung ca mot hai ba ve ra vao len xuong lai con van vi nen neu thi ma hay hoac
    ngay thang nam gio phut hom qua toi sang chieu truoc_do sau_do thoi_gian vua_qua gan_day
    nguoi ong ba anh chi em minh ho chung_ta chung_toi viec van_de thong_tin tin bai viet
    """.split()  # noqa: SIM905 (a word list reads better as text)
)
TITLE_DOCS = 30  # segment at most this many titles + leads per story (the newest)


@dataclass
class KeywordReport:
    """What one run of the keyword stage did."""

    stories: int = 0
    documents: int = 0
    seconds: float = 0.0


def _key(word: str) -> str:
    return "_".join(text.syllables(word))


def story_words(texts: Iterable[str], terms: list[str], *, limit: int = 10) -> list[str]:
    """The keywords of a story, as words, from its ``texts`` and its ranked index ``terms``.

    A word scores by the share of the texts it appears in, plus a bonus by the rank of its folded form
    among ``terms`` (the story stage's IDF-weighted top terms). One-syllable words count only when they
    are among those terms; stop words and numbers never count.
    """
    rank = {term: i for i, term in enumerate(terms)}
    df: Counter[str] = Counter()
    forms: dict[str, Counter[str]] = defaultdict(Counter)
    n = 0
    for chunk in texts:
        if not chunk or not chunk.strip():
            continue
        n += 1
        seen: set[str] = set()
        for i, word in enumerate(text.words(chunk)):
            key = _key(word)
            if not key or key in STOP_WORDS or not any(c.isalpha() for c in word):
                continue
            seen.add(key)
            if word.isupper() and (" " in word or len(word) > 4):  # shouting, not an acronym
                word = word.lower()
            proper = " " in word and all(part[:1].isupper() for part in word.split())
            if i > 0 or proper or word.lower() == word:  # a capital starting a title says nothing
                forms[key][word] += 1
            else:
                forms[key][word[:1].lower() + word[1:]] += 0  # a known form, without a vote
        df.update(seen)
    scores: dict[str, float] = {}
    for key, count in df.items():
        if not any(_readable(form) for form in forms[key]):
            continue  # only seen without diacritics: segmentation of unaccented text is unreliable
        multi = "_" in key
        in_terms = key in rank
        if not multi and not in_terms:
            continue
        if multi and not in_terms and count < 2 and n > 1:
            continue
        bonus = 1.0 - rank[key] / max(len(rank), 1) if in_terms else 0.0
        scores[key] = count / n + bonus + (0.1 if multi else 0.0)
    best = sorted(scores, key=lambda k: (-scores[k], k))[:limit]
    return [max(forms[k].items(), key=lambda kv: (_readable(kv[0]) and not kv[0].isascii(), kv[1]))[0] for k in best]


def _readable(form: str) -> bool:
    """A form a reader recognises: written with diacritics, or a name or acronym (capitalised)."""
    return not form.isascii() or form[:1].isupper()


class KeywordStage:
    """The background stage writing ``story_keywords`` for stories that grew since their last keywords."""

    def __init__(self, db) -> None:
        self.db = db

    def pending(self, limit: int) -> list[tuple[int, int, list[str]]]:
        """Stories whose keywords are missing or older than their documents: (id, doc_count, terms)."""
        s, k = st.stories, st.story_keywords
        q = (
            select(s.c.id, s.c.doc_count, s.c.keywords)
            .select_from(s.outerjoin(k, k.c.story_id == s.c.id))
            .where(s.c.status != "merged", (k.c.story_id.is_(None)) | (k.c.doc_count != s.c.doc_count))
            .order_by(s.c.last_seen.desc())
            .limit(limit)
        )
        with self.db.read() as conn:
            return [(r.id, r.doc_count, list(r.keywords or [])) for r in conn.execute(q)]

    def run(self, *, limit: int = 200) -> KeywordReport:
        """Compute keywords for up to ``limit`` pending stories, newest activity first."""
        report = KeywordReport()
        start = time.perf_counter()
        d, sd = t.documents, st.story_documents
        for story_id, doc_count, terms in self.pending(limit):
            with self.db.read() as conn:
                rows = conn.execute(
                    select(d.c.title, d.c.lead, func.substr(d.c.body, 1, 400).label("body"))
                    .select_from(sd.join(d, d.c.id == sd.c.doc_id))
                    .where(sd.c.story_id == story_id)
                    .order_by(d.c.id.desc())
                    .limit(TITLE_DOCS)
                ).all()
            texts = [". ".join(p for p in (r.title, (r.lead or "")[:300]) if p) or (r.body or "") for r in rows]
            words = story_words(texts, terms)
            with self.db.write() as conn:
                conn.execute(delete(st.story_keywords).where(st.story_keywords.c.story_id == story_id))
                conn.execute(insert(st.story_keywords).values(
                    story_id=story_id, words=words, doc_count=doc_count, updated_at=timeutil.now()))
            report.stories += 1
            report.documents += len(rows)
        report.seconds = time.perf_counter() - start
        return report
