"""Named entities per document: a background stage, separate from ingest and from clustering.

For each document the stage stores, in ``document_entities``:

* people (``PER``), organisations (``ORG``) and places (``LOC``) found by underthesea's NER in the
  title, the lead and the first few sentences of the body (NER is slow, ~70 sentences/s per core);
* every province named anywhere in the text (``kind="province"``), by :func:`kiemchung.places.find_places`
  (a dictionary scan), with the NEW province code, so old names count for the merged province.

Progress (the last document id processed) is kept in ``stage_progress`` (stage ``entities``,
:mod:`kiemchung.store.progress`) so the stage resumes.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import delete, func, select

from kiemchung import text, timeutil
from kiemchung.places import find_places, resolve_place
from kiemchung.store import progress
from kiemchung.store import schema as t
from kiemchung.stories.places_tables import document_entities

__all__ = [
    "EntityStage",
    "StageReport",
    "document_entities",
    "documents_in_province",
    "extract_entities",
    "province_counts",
]

NER_SENTENCES = 3
NER_KINDS = {"PER": "person", "ORG": "org", "LOC": "place"}
MAX_NER_CHARS = 600  # one "sentence" longer than this is cut: NER time grows with length


def _ner_spans(sentence: str) -> list[tuple[str, str]]:
    """(kind, text) entities of one sentence from underthesea's BIO tags."""
    from underthesea import ner

    out: list[tuple[str, str]] = []
    cur_kind, cur = None, []
    for row in ner(sentence[:MAX_NER_CHARS]):
        word, tag = row[0], row[-1]
        if tag.startswith("B-") or (tag.startswith("I-") and cur_kind != tag[2:]):
            if cur_kind:
                out.append((cur_kind, " ".join(cur)))
            cur_kind, cur = tag[2:], [word]
        elif tag.startswith("I-"):
            cur.append(word)
        else:
            if cur_kind:
                out.append((cur_kind, " ".join(cur)))
            cur_kind, cur = None, []
    if cur_kind:
        out.append((cur_kind, " ".join(cur)))
    return [(NER_KINDS[k], v) for k, v in out if k in NER_KINDS]


def ner_sentences(title: str, lead: str, body: str, *, body_sentences: int = NER_SENTENCES) -> list[str]:
    """The sentences NER looks at: the title, the lead's sentences and the body's first few."""
    out = [s for s in (title.strip(),) if s]
    out += [s for s in text.sentences(lead or "") if s.strip()]
    if body:
        out += [s for s in text.sentences(body[:4000]) if s.strip()][:body_sentences]
    return out


def extract_entities(title: str, lead: str = "", body: str = "", *, ner: bool = True) -> list[tuple[str, str, str, str | None]]:
    """``(kind, text, folded, province_code)`` for one document, without duplicates.

    Provinces come from :func:`find_places` over the whole text; with ``ner`` also people,
    organisations and places from underthesea NER on the first sentences (a place NER finds that
    names a province gets that province's code).
    """
    rows: dict[tuple[str, str], tuple[str, str, str, str | None]] = {}
    full = "\n".join(x for x in (title, lead, body) if x)
    for m in find_places(full):
        rows.setdefault(("province", m.code), ("province", m.text, text.fold(m.text), m.code))
    if ner:
        for sentence in ner_sentences(title, lead, body):
            for kind, surface in _ner_spans(sentence):
                folded = " ".join(text.syllables(surface))
                if not folded:
                    continue
                code = None
                if kind == "place":
                    found = find_places(surface)
                    code = found[0].code if found else None
                rows.setdefault((kind, folded), (kind, surface, folded, code))
    return list(rows.values())


@dataclass
class StageReport:
    """What one run of the entity stage did."""

    documents: int
    entities: int
    last_doc_id: int


class EntityStage:
    """Background stage: extract entities for documents not processed yet, resumably, in batches."""

    def __init__(self, db, *, ner: bool = True, extractor: Callable | None = None) -> None:
        """``ner=False`` stores only provinces (the fast dictionary scan)."""
        self.db = db
        self.ner = ner
        self.extractor = extractor or extract_entities

    def last_doc_id(self) -> int:
        """The id of the last document processed (0 when none)."""
        return progress.last_doc_id(self.db, progress.ENTITIES)

    def run(self, batch: int = 200, limit: int | None = None) -> StageReport:
        """Process up to ``limit`` new documents (all when None), ``batch`` per transaction."""
        if batch < 1:
            from kiemchung.errors import ConfigError

            raise ConfigError("batch phải ≥ 1 (batch must be at least 1)")
        done = ents = 0
        last = self.last_doc_id()
        d = t.documents
        while limit is None or done < limit:
            size = batch if limit is None else min(batch, limit - done)
            with self.db.read() as conn:
                rows = conn.execute(
                    select(d.c.id, d.c.title, d.c.lead, d.c.body).where(d.c.id > last).order_by(d.c.id).limit(size)
                ).all()
            if not rows:
                break
            out = []
            for r in rows:
                for kind, surface, folded, code in self.extractor(r.title or "", r.lead or "", r.body or "", ner=self.ner):
                    out.append({"doc_id": r.id, "kind": kind, "text": surface[:300], "folded": folded[:300],
                                "province_code": code})
            last = rows[-1].id
            with self.db.write() as conn:
                ids = [r.id for r in rows]
                conn.execute(delete(document_entities).where(document_entities.c.doc_id.in_(ids)))
                if out:
                    conn.execute(document_entities.insert(), out)
                progress.advance(self.db, progress.ENTITIES, last, processed=len(rows))
            done += len(rows)
            ents += len(out)
        return StageReport(done, ents, last)


def _time_col():
    return func.coalesce(t.documents.c.published_at, t.documents.c.fetched_at)


def _resolve_code(code: str) -> str:
    p = resolve_place(code)
    if p is None:
        from kiemchung.errors import NotFoundError

        raise NotFoundError(f"Không tìm thấy tỉnh/thành (unknown province): {code}")
    return p.code


def documents_in_province(db, code: str, since: dt.datetime | None = None, until: dt.datetime | None = None,
                          *, limit: int = 100) -> list[int]:
    """Ids of documents that name the province (new code or any old/alternative name), newest first."""
    code = _resolve_code(code)
    de, d = document_entities, t.documents
    q = (select(d.c.id).where(d.c.id.in_(select(de.c.doc_id).where(de.c.province_code == code)))
         .order_by(_time_col().desc(), d.c.id.desc()).limit(limit))
    if since is not None:
        q = q.where(_time_col() >= timeutil.aware(since))
    if until is not None:
        q = q.where(_time_col() < timeutil.aware(until))
    with db.read() as conn:
        return [r[0] for r in conn.execute(q)]


def province_counts(db, since: dt.datetime | None = None, until: dt.datetime | None = None) -> Counter:
    """Number of documents naming each new province in the period: ``Counter({code: n})``."""
    de, d = document_entities, t.documents
    q = (select(de.c.province_code, func.count(func.distinct(de.c.doc_id)))
         .select_from(de.join(d, d.c.id == de.c.doc_id))
         .where(de.c.province_code.is_not(None)).group_by(de.c.province_code))
    if since is not None:
        q = q.where(_time_col() >= timeutil.aware(since))
    if until is not None:
        q = q.where(_time_col() < timeutil.aware(until))
    with db.read() as conn:
        return Counter({code: n for code, n in conn.execute(q)})
