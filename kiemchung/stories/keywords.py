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
# Syllables that never begin or end a keyphrase, with their diacritics (folded, "tai" would also be the
# "tai" of "tai nạn"): function words, particles and teencode. A segmented "word" starting or ending
# with one crossed a phrase boundary ("link để", "bão nhé", "tuần vì") or is no subject ("ra vào").
EDGE_WORDS = frozenset(
    """
    và với của cho là thì mà ở tại từ đến ra vào lên xuống để vì nên nếu hay hoặc rồi đã đang sẽ bị
    được trong ngoài trên dưới khi nhé nha à ạ nhỉ ơi hả cả mọi các những một này kia đó đấy thế nào
    gì ai quá rất cũng vẫn còn lại chỉ hơn nhất không chưa nhau ngay luôn mình bạn tôi như hôm
    ko k dc đc mn mik j v vs rùi nhìu wá bít
    """.split()  # noqa: SIM905
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


def keyphrase_form(word: str, *, sentence_start: bool = False) -> str | None:
    """``word`` (one token of :func:`kiemchung.text.words`) as a keyphrase a reader sees, or None.

    Whole words only: letters joined by single spaces (no punctuation, digits or underscores), not
    starting or ending with a function word (:data:`EDGE_WORDS`), and a capitalised run never followed
    or preceded inside the word by a stray fragment ("điện Bích Sơn", "Lam dâng"): a proper name is
    capitalised throughout or starts with at least two capitalised syllables ("Sở Y tế"). Words in
    capitals are lower-cased unless they are short acronyms without diacritics ("UBND"). At the start
    of a sentence (``sentence_start``) a capital on the first syllable alone is the sentence's.
    """
    parts = word.split()
    if sentence_start and len(parts) > 1 and parts[0][:1].isupper() and not any(p[:1].isupper() for p in parts[1:]):
        word = word[:1].lower() + word[1:]
        parts = word.split()
    if not parts or not all(p.isalpha() for p in parts):
        return None
    if word.isupper() and not (len(parts) == 1 and word.isascii() and len(word) <= 5):
        word = word.lower()
        parts = word.split()
    lower = [p.lower() for p in parts]
    if lower[0] in EDGE_WORDS or lower[-1] in EDGE_WORDS or _key(word) in STOP_WORDS:
        return None
    caps = [p[:1].isupper() for p in parts]
    if len(parts) > 1 and any(caps) and not all(caps):
        lead = next(i for i, c in enumerate(caps) if not c)  # capitalised syllables before the first lower one
        if any(caps[lead:]):  # a name after a stray syllable ("điện Bích Sơn"): the name, if it is whole
            tail = len(parts) - next(i for i, c in enumerate(reversed(caps)) if not c)
            return " ".join(parts[tail:]) if len(parts) - tail >= 2 and all(caps[tail:]) else None
        if lead < 2:
            return None
    return word


def story_words(texts: Iterable[str], terms: list[str], *, limit: int = 10) -> list[str]:
    """The keywords of a story, as words, from its ``texts`` and its ranked index ``terms``.

    A word scores by the share of the texts it appears in, plus a bonus by the rank of its folded form
    among ``terms`` (the story stage's IDF-weighted top terms). One-syllable words count only when they
    are among the first terms and in half the texts; stop words, numbers and fragments never count
    (:func:`keyphrase_form`). Every keyword is shown as written with its diacritics, or not at all.
    """
    rank = {term: i for i, term in enumerate(terms)}
    df: Counter[str] = Counter()
    forms: dict[str, Counter[str]] = defaultdict(Counter)
    voiced: set[str] = set()  # keys seen in a text not written in capitals
    n = 0
    for chunk in texts:
        if not chunk or not chunk.strip():
            continue
        n += 1
        seen: set[str] = set()
        shouting = _shouting(chunk)
        if shouting:  # segmentation of text in capitals is poor: read it in lower case (names lost)
            chunk = chunk.lower()
        previous = "."
        for i, token in enumerate(text.words(chunk)):
            word = keyphrase_form(token, sentence_start=previous in _SENTENCE_END)
            previous = token
            if word is None:
                continue
            key = _key(word)
            seen.add(key)
            if not shouting:
                voiced.add(key)
            proper = " " in word and all(part[:1].isupper() for part in word.split())
            if shouting:
                forms[key][word] += 0  # a known form, without a vote: its capitals were lost
            elif i > 0 or proper or word.lower() == word:  # a capital starting a title says nothing
                forms[key][word] += 1
            else:
                forms[key][word[:1].lower() + word[1:]] += 0  # a known form, without a vote
        df.update(seen)
    scores: dict[str, float] = {}
    for key, count in df.items():
        if key not in voiced:
            continue  # only seen in capitals: neither its segmentation nor its written form is known
        if not any(_readable(form) for form in forms[key]):
            continue  # only seen without diacritics: segmentation of unaccented text is unreliable
        multi = "_" in key
        in_terms = key in rank
        if not multi and not (in_terms and rank[key] < SINGLE_RANK and count * 2 >= n):
            continue
        if multi and not in_terms and count < 2 and n > 1:
            continue
        bonus = 1.0 - rank[key] / max(len(rank), 1) if in_terms else 0.0
        scores[key] = count / n + bonus + (0.1 if multi else 0.0)
    out: list[str] = []
    kept: list[str] = []
    for key in sorted(scores, key=lambda k: (-scores[k], k)):
        form, votes = max(forms[key].items(), key=lambda kv: (_readable(kv[0]) and not kv[0].isascii(), kv[1]))
        if not _readable(form) or (form.isascii() and " " not in form and not form.isupper()):
            continue  # no diacritics and no name: not a form to show
        if _mixed_case(form) and votes < 2:
            continue  # "Đông Lâm ngon": a name and a stray syllable, seen once
        padded = f"_{key}_"
        if any(padded in f"_{k}_" or f"_{k}_" in padded for k in kept):
            continue  # the same words again, inside or around a keyword already kept
        kept.append(key)
        out.append(form)
        if len(out) >= limit:
            break
    return out


def _mixed_case(form: str) -> bool:
    caps = [p[:1].isupper() for p in form.split()]
    return len(caps) > 1 and any(caps) and not all(caps)


_SENTENCE_END = frozenset(".!?:;…-\u2013\u2014\"'\u201c\u201d")
SINGLE_RANK = 5  # a one-syllable word is a keyword only among the story's first index terms


def _shouting(chunk: str) -> bool:
    letters = [c for c in chunk if c.isalpha()]
    return len(letters) > 12 and sum(c.isupper() for c in letters) > 0.6 * len(letters)


def _readable(form: str) -> bool:
    """A form a reader recognises: written with diacritics, or a name or acronym (capitalised)."""
    return not form.isascii() or form[:1].isupper()


class KeywordStage:
    """The background stage writing ``story_keywords`` for stories that grew since their last keywords."""

    def __init__(self, db) -> None:
        self.db = db

    def pending(self, limit: int, *, min_docs: int = 1) -> list[tuple[int, int, list[str]]]:
        """Stories (of at least ``min_docs`` documents) whose keywords are missing or older than their
        documents: (id, doc_count, terms)."""
        s, k = st.stories, st.story_keywords
        q = (
            select(s.c.id, s.c.doc_count, s.c.keywords)
            .select_from(s.outerjoin(k, k.c.story_id == s.c.id))
            .where(s.c.status != "merged", s.c.doc_count >= min_docs,
                   (k.c.story_id.is_(None)) | (k.c.doc_count != s.c.doc_count))
            .order_by(s.c.last_seen.desc(), s.c.id.desc())
            .limit(limit)
        )
        with self.db.read() as conn:
            return [(r.id, r.doc_count, list(r.keywords or [])) for r in conn.execute(q)]

    def run(self, *, limit: int = 200, min_docs: int = 1) -> KeywordReport:
        """Compute keywords for up to ``limit`` pending stories (of at least ``min_docs`` documents),
        newest activity first."""
        report = KeywordReport()
        start = time.perf_counter()
        d, sd = t.documents, st.story_documents
        for story_id, doc_count, terms in self.pending(limit, min_docs=min_docs):
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
