"""Story list and story page data (no FastAPI here): a page of stories, one story's parts, each bounded in cost."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import func, select

from kiemchung import timeutil
from kiemchung.models import Document
from kiemchung.places import province as province_by_code
from kiemchung.store import schema as t
from kiemchung.stories import service
from kiemchung.stories import tables as st
from kiemchung.stories.places_tables import document_entities
from kiemchung.web import queries
from kiemchung.web.params import province_code

STORY_PAGE = 30  # stories per page of /stories
DOC_PAGE = 50  # documents per page of a story
MAX_DOC_OFFSET = 1000  # deepest document page of a story (get_story loads offset + page documents)
STORY_TTL = 30  # seconds a story's summary (get_story and aggregates) is reused while the data is unchanged
CLAIM_DOCS = 20  # newest documents of a story ranked for check-worthy sentences
TOP_CLAIMS = 8


def stories_in_period(
    db,
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    min_docs: int = 2,
    province: str | None = None,
    collection: str | None = None,
    offset: int = 0,
    limit: int = STORY_PAGE,
) -> tuple[list[service.StoryRow], bool]:
    """A page of stories (largest first) and whether more follow; ``province`` keeps stories with a
    document naming it (any name or code, old names count for the new province); ``collection`` (a
    source collection, by id or name) keeps stories with a document from one of its sources."""
    from kiemchung.sources.directory import collection_source_ids

    code = province_code(province)
    source_ids = collection_source_ids(db, collection) if collection and collection.strip() else None
    if code is None and source_ids is None:
        rows = service.list_stories(db, since=since, until=until, min_docs=min_docs, limit=offset + limit + 1)
        rows = rows[offset:]
        return rows[:limit], len(rows) > limit
    if code is None:
        rows = service.list_stories(db, since=since, until=until, min_docs=min_docs, limit=offset + limit + 1,
                                    source_ids=source_ids)[offset:]
        return rows[:limit], len(rows) > limit
    if source_ids == []:
        return [], False
    s, sd, de, d = st.stories, st.story_documents, document_entities, t.documents
    q = select(s).where(s.c.status != "merged", s.c.doc_count >= min_docs)
    if code is not None:
        q = q.where(s.c.id.in_(
            select(sd.c.story_id).select_from(sd.join(de, de.c.doc_id == sd.c.doc_id)).where(de.c.province_code == code)
        ))
    if source_ids is not None:
        q = q.where(s.c.id.in_(
            select(sd.c.story_id).select_from(sd.join(d, d.c.id == sd.c.doc_id)).where(d.c.source_id.in_(source_ids))
        ))
    if since is not None:
        q = q.where(s.c.last_seen >= timeutil.aware(since))
    if until is not None:
        q = q.where(s.c.first_seen < timeutil.aware(until))
    q = q.order_by(s.c.doc_count.desc(), s.c.last_seen.desc(), s.c.id.desc()).limit(limit + 1).offset(offset)
    with db.read() as conn:
        rows = service._rows(conn, conn.execute(q))  # the service's own conversion (keywords as words)
    return rows[:limit], len(rows) > limit


@dataclass
class StoryView:
    """Everything the story page shows, each part bounded in cost."""

    story: service.StoryRow
    documents: list[Document]
    offset: int
    has_more: bool
    timeline: list[tuple[dt.date, int]]
    outlets: list[tuple[str, int]]
    places: list[tuple[str, str, int]]  # (code, name, documents)
    claims: list  # ScoredSentence
    alerts: list[dict]
    statements: list[int]  # ids of the story's official statements (newest first, at most 5)
    edits: list[dict] = field(default_factory=list)


def story_view(db, story_id: int, *, offset: int = 0, limit: int = DOC_PAGE) -> StoryView:
    """The story page's data: one page of documents (newest first), the whole story's timeline,
    outlets and provinces (SQL aggregates), check-worthy sentences of its newest documents, alerts of
    its documents and its official statements. A merged story resolves to the story it went into.

    The summary (``get_story`` and the aggregates) is reused for :data:`STORY_TTL` seconds while nothing
    is committed to the database (by any process: edits, a story stage on another host); a page of
    documents reads only that page's rows."""
    offset = max(0, min(int(offset), MAX_DOC_OFFSET))
    detail, agg = queries.cached_fresh(db, ("monitor-story", story_id), STORY_TTL, lambda: _summary(db, story_id))
    docs, more = story_documents(db, detail.story.id, offset=offset, limit=limit)
    return StoryView(story=detail.story, documents=docs, offset=offset, has_more=more, edits=detail.edits, **agg)


def _summary(db, story_id: int) -> tuple[service.StoryDetail, dict]:
    """``get_story`` (the story row, merges followed, outlets and timeline over every document) and the
    other aggregates of the story page."""
    from kiemchung.claims.checkworthy import rank_documents

    detail = service.get_story(db, story_id, max_documents=0)
    sid = detail.story.id
    newest, _ = story_documents(db, sid, limit=CLAIM_DOCS)
    return detail, dict(
        timeline=daily(detail.timeline),
        outlets=detail.outlets,
        places=_places(db, sid),
        claims=_distinct_claims(rank_documents(newest, limit=TOP_CLAIMS * 4)),
        alerts=story_alerts(db, sid),
        statements=_statements(db, sid),
    )


def daily(timeline: list[tuple[str, int]]) -> list[tuple[dt.date, int]]:
    """A story's ``(ISO day, count)`` timeline with the days without documents filled in as zeros."""
    counts = {dt.date.fromisoformat(day): n for day, n in timeline if day != "?"}
    if not counts:
        return []
    first, last = min(counts), max(counts)
    return [(first + dt.timedelta(days=i), counts.get(first + dt.timedelta(days=i), 0))
            for i in range((last - first).days + 1)]


def story_documents(db, story_id: int, *, offset: int = 0, limit: int = DOC_PAGE) -> tuple[list[Document], bool]:
    """One page of a story's documents, newest first, and whether more follow.

    Sorts only (document id, time-ordered FTS row id) pairs, then loads the page's rows: on a story of
    13,500 documents this is several times cheaper than ``get_story(max_documents=...)``, which sorts
    whole rows (asked for in the service: an ``offset`` there would make this unnecessary)."""
    from kiemchung.store import document_from_row

    sd, d, src = st.story_documents, t.documents, t.sources
    with db.read() as conn:
        ids = [r[0] for r in conn.execute(
            select(d.c.id).select_from(sd.join(d, d.c.id == sd.c.doc_id)).where(sd.c.story_id == story_id)
            .order_by(d.c.fts_rowid.desc(), d.c.id.desc()).limit(limit + 1).offset(offset))]
        rows = {r.id: r for r in conn.execute(
            select(d, src.c.name.label("source_name")).select_from(d.outerjoin(src, src.c.id == d.c.source_id))
            .where(d.c.id.in_(ids[:limit])))} if ids else {}
    return [document_from_row(rows[i], source_name=rows[i].source_name) for i in ids[:limit] if i in rows], len(ids) > limit


def _distinct_claims(ranked: list, limit: int = TOP_CLAIMS) -> list:
    """The best-scored sentence of each group that folds to the same text (a post copied without
    diacritics or in capitals is the same claim)."""
    from kiemchung.text import fold

    seen: set[str] = set()
    out = []
    for c in ranked:
        key = " ".join(fold(c.text).split())
        if key not in seen:
            seen.add(key)
            out.append(c)
    return out[:limit]


def _places(db, story_id: int, limit: int = 15) -> list[tuple[str, str, int]]:
    sd, de = st.story_documents, document_entities
    n = func.count(func.distinct(de.c.doc_id))
    q = (
        select(de.c.province_code, n.label("n"))
        .select_from(sd.join(de, de.c.doc_id == sd.c.doc_id))
        .where(sd.c.story_id == story_id, de.c.province_code.is_not(None))
        .group_by(de.c.province_code)
        .order_by(n.desc(), de.c.province_code)
        .limit(limit)
    )
    with db.read() as conn:
        rows = conn.execute(q).all()
    out = []
    for code, count in rows:
        p = province_by_code(code)
        out.append((code, p.name if p else code, count))
    return out


def story_alerts(db, story_id: int, limit: int = 20) -> list[dict]:
    """Alerts raised on the story's documents (whatever story they were in when raised), newest first,
    with the fact-check's claim and verdict.

    The query starts from the alerts (newest first, through their time index) and looks each one's
    document up in the story by primary key, stopping at ``limit``: alerts are far fewer than the
    documents of a large story, whose rows it no longer visits. (``story_id + 0`` keeps SQLite from
    starting at the story's documents through their index instead.)"""
    from kiemchung.claims.tables import alerts, factchecks

    sd, d = st.story_documents, t.documents
    q = (
        select(
            alerts.c.id, alerts.c.doc_id, alerts.c.factcheck_id, alerts.c.score, alerts.c.status,
            alerts.c.created_at, factchecks.c.claim, factchecks.c.verdict, d.c.title, d.c.lead,
            factchecks.c.publisher.label("fc_publisher"), factchecks.c.external.label("fc_external"),
            func.substr(d.c.body, 1, 400).label("body"), d.c.published_at,
        )
        .select_from(
            alerts.join(sd, sd.c.doc_id == alerts.c.doc_id)
            .join(factchecks, factchecks.c.id == alerts.c.factcheck_id)
            .join(d, d.c.id == alerts.c.doc_id)
        )
        .where(sd.c.story_id + 0 == story_id)
        .order_by(alerts.c.created_at.desc(), alerts.c.id.desc())
        .limit(limit)
    )
    with db.read() as conn:
        return [dict(r._mapping) for r in conn.execute(q)]


def _statements(db, story_id: int, limit: int = 5) -> list[int]:
    sd, d = st.story_documents, t.documents
    q = (
        select(d.c.id)
        .select_from(sd.join(d, d.c.id == sd.c.doc_id))
        .where(sd.c.story_id == story_id, d.c.kind == "official")
        .order_by(d.c.fts_rowid.desc())
        .limit(limit)
    )
    with db.read() as conn:
        return [r[0] for r in conn.execute(q)]


def story_pickups(db, story_id: int) -> list:
    """Reach (``kiemchung.reach.reach_of_statement``) of the story's newest official statements (≤ 5)."""
    from kiemchung.reach import reach_of_statement

    story_id = service.find_story(db, story_id).id  # merges followed; NotFoundError for an unknown story
    return [reach_of_statement(db, doc_id) for doc_id in _statements(db, story_id)]

