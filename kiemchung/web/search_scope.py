"""Search restricted to a story's and/or a province's documents (the search library has no document-id filter)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from kiemchung import timeutil
from kiemchung.stories import service
from kiemchung.stories import tables as st
from kiemchung.stories.places_tables import document_entities
from kiemchung.web.params import province_code

SCOPE_PAGES = 8  # search pages of 500 scanned at most when filtering search by province or story


def scope_of(db, *, story: int | None = None, province: str | None = None):
    """(document ids, since, until) a province and/or story filter allows; None ids means no filter."""
    ids: set[int] | None = None
    since = until = None
    if story is not None:
        s = service.find_story(db, story)
        with db.read() as conn:
            ids = {r[0] for r in conn.execute(select(st.story_documents.c.doc_id).where(st.story_documents.c.story_id == s.id))}
        if s.first_seen and s.last_seen:
            since, until = timeutil.aware(s.first_seen), timeutil.aware(s.last_seen) + dt.timedelta(seconds=1)
    code = province_code(province)
    if code is not None:
        de = document_entities
        with db.read() as conn:
            found = {r[0] for r in conn.execute(select(de.c.doc_id).where(de.c.province_code == code).distinct())}
        ids = found if ids is None else ids & found
    return ids, since, until


def scoped_search(db, q: str, *, story=None, province=None, since=None, until=None, sources=None, kinds=None,
                  limit: int = 50, offset: int = 0):
    """``kiemchung.store.search.search`` restricted to a story's and/or a province's documents.

    The search API has no document-id filter yet, so this pages through its results (newest first,
    500 at a time, at most :data:`SCOPE_PAGES` pages, inside the story's time span) and keeps the hits
    in scope. ``total`` is None (not counted)."""
    from kiemchung.store.search import SearchResult, search

    ids, lo, hi = scope_of(db, story=story, province=province)
    since = max(x for x in (since, lo) if x is not None) if (since or lo) else None
    until = min(x for x in (until, hi) if x is not None) if (until or hi) else None
    hits, skip, page, result = [], offset, 0, None
    if ids:
        for page in range(SCOPE_PAGES):
            result = search(db, q, limit=500, offset=page * 500, since=since, until=until, sources=sources, kinds=kinds)
            for h in result.hits:
                if h.document.id in ids:
                    if skip:
                        skip -= 1
                    else:
                        hits.append(h)
            if len(hits) >= limit or len(result.hits) < 500:
                break
    accented = result.accented if result else False
    return SearchResult(q, hits[:limit], accented, result.fts if result else None, None)

