"""REST API under /api/v1 (JSON), authenticated by per-user Bearer tokens (or a session + CSRF header)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from kiemchung.labels import label
from kiemchung.models import Document, Source
from kiemchung.web import queries
from kiemchung.web.app import check_csrf, editor, viewer
from kiemchung.web.pages import _day, add_source, export_hits, export_response, remove_source, run_search

router = APIRouter(prefix="/api/v1", tags=["api"])
MAX_ID = 2**62


class DocumentOut(BaseModel):
    """A document as the API returns it."""

    id: int
    url: str | None
    title: str = Field(description="the title; for a document without one (a post), its first words")
    has_title: bool = Field(True, description="false when ``title`` was made from the text (a post)")
    lead: str
    body: str | None = Field(
        None,
        description="the text: always on /documents/{id}; in lists only for a document without a title "
        "(a post is its text), else null",
    )
    kind: str
    kind_label: str = Field("", description="the kind in Vietnamese (bài báo, bài đăng mạng xã hội, …)")
    source_id: int | None
    source_name: str | None
    platform: str | None
    published_at: str | None
    fetched_at: str | None
    language: str | None


class SourceOut(BaseModel):
    """A source with its health."""

    id: int
    kind: str
    url: str
    name: str
    enabled: bool
    healthy: bool
    consecutive_failures: int
    last_success_at: str | None
    last_error_at: str | None
    last_error: str | None
    last_problem: str | None = Field(None, description="what the last poll found out of shape (the rest was collected)")


class SourceKindOut(BaseModel):
    """A source kind that can be added (a registered connector)."""

    kind: str
    label_vi: str
    label_en: str
    help: str
    #: Whether a source of this kind takes a start date (``since`` in :class:`SourceIn`) to page back to.
    pages_back: bool = False


class SourceIn(BaseModel):
    """A source to add, of any registered kind (``GET /api/v1/sources/kinds`` lists them)."""

    kind: str = Field(min_length=1, max_length=20, description="a registered source kind: feed, web, sitemap, …")
    url: str = Field(min_length=8, max_length=2000)
    name: str = Field("", max_length=200)
    since: str | None = Field(
        None, max_length=20,
        description="kinds that page back (``pages_back`` in /sources/kinds: telegram): the day to page back "
        "to on the first polls, dd/mm/yyyy or YYYY-MM-DD; any other kind refuses it (400)")


class HitOut(BaseModel):
    """One search hit: the document, its score and a snippet with matched parts marked."""

    document: DocumentOut
    score: float | None = Field(
        None, description="BM25 relevance, higher is better; null in newest-first order (not computed)"
    )
    snippet: list[tuple[str, bool]] = Field(description="[text, highlighted] segments")


class SearchOut(BaseModel):
    """A page of search results."""

    query: str
    total: int = Field(
        description="number of matches when ``total_exact``; otherwise a lower bound: there are more than "
        "``total`` (ask ``count=true`` for the exact figure)"
    )
    total_exact: bool
    more: bool = Field(description="true when a next page exists")
    hits: list[HitOut]


def _iso(v) -> str | None:
    return v.isoformat() if v else None


def _body_in_list(d: Document) -> str | None:
    """In a list, a document without a title carries its text (a post is short; cut at 2,000)."""
    if d.title.strip():
        return None
    return d.body[:2000] if d.body else None


def doc_dict(d: Document) -> dict[str, Any]:
    """The API view of a document in a list as a plain dict: what :class:`DocumentOut` holds."""
    return {
        "id": d.id,
        "url": d.url,
        "title": d.display_title(),
        "has_title": bool(d.title.strip()),
        "lead": d.lead,
        "body": _body_in_list(d),
        "kind": d.kind,
        "kind_label": label("doc_kind", d.kind),
        "source_id": d.source_id,
        "source_name": d.source_name,
        "platform": d.platform,
        "published_at": d.published_at.isoformat() if d.published_at else None,
        "fetched_at": d.fetched_at.isoformat() if d.fetched_at else None,
        "language": d.language,
    }


def doc_out(d: Document, *, body: bool = False) -> DocumentOut:
    """The API view of a document."""
    return DocumentOut(
        id=d.id,
        url=d.url,
        title=d.display_title(),
        has_title=bool(d.title.strip()),
        lead=d.lead,
        body=d.body if body else _body_in_list(d),
        kind=d.kind,
        kind_label=label("doc_kind", d.kind),
        source_id=d.source_id,
        source_name=d.source_name,
        platform=d.platform,
        published_at=_iso(d.published_at),
        fetched_at=_iso(d.fetched_at),
        language=d.language,
    )


def source_out(s: Source) -> SourceOut:
    """The API view of a source."""
    return SourceOut(
        id=s.id,
        kind=s.kind,
        url=queries.shown_url(s.url),
        name=s.name,
        enabled=s.enabled,
        healthy=s.healthy,
        consecutive_failures=s.consecutive_failures,
        last_success_at=_iso(s.last_success_at),
        last_error_at=_iso(s.last_error_at),
        last_error=s.last_error,
        last_problem=s.last_problem,
    )


@router.get("/documents", response_model=list[DocumentOut], dependencies=[viewer])
def api_documents(
    request: Request,
    since: str | None = Query(None, description="dd/mm/yyyy or YYYY-MM-DD (Vietnam day)"),
    until: str | None = Query(None, description="dd/mm/yyyy or YYYY-MM-DD, inclusive"),
    source: int | None = Query(None, ge=1, le=MAX_ID),
    kind: str | None = None,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0, le=1_000_000),
):
    """Documents newest first, filtered by day, source and kind."""
    docs = queries.list_documents(
        request.app.state.db,
        limit=limit,
        offset=offset,
        since=_day(since),
        until=_day(until, end=True),
        sources=[source] if source else None,
        kinds=[kind] if kind else None,
    )
    return [doc_out(d) for d in docs]


@router.get("/documents/{doc_id}", response_model=DocumentOut, dependencies=[viewer])
def api_document(request: Request, doc_id: int = Path(ge=1, le=MAX_ID)):
    """One document with its body."""
    return doc_out(request.app.state.db.get_document(doc_id), body=True)


@router.get("/search", response_model=SearchOut, dependencies=[viewer])
def api_search(
    request: Request,
    q: str = Query(..., max_length=500),
    since: str | None = None,
    until: str | None = None,
    source: int | None = Query(None, ge=1, le=MAX_ID),
    kind: str | None = None,
    limit: int = Query(20, ge=1, le=500),
    offset: int = Query(0, ge=0, le=100_000),
    count: bool = Query(False, description="also count all matches (slower on common words)"),
    province: str | None = Query(None, max_length=100, description="any province name or code"),
    story: int | None = Query(None, ge=1, le=MAX_ID, description="story id"),
    collection: str | None = Query(None, max_length=200, description="a source collection, by id or name"),
):
    """Diacritic-insensitive full-text search (same query language as the search page)."""
    # One more hit than asked tells whether there is a next page, so the answer always says how many
    # (exactly, or "more than N") without the cost of counting every match of a common word.
    r = run_search(
        request.app.state.db,
        q,
        since,
        until,
        source,
        kind,
        limit=limit + 1,
        offset=offset,
        count=count,
        province=province,
        story=story,
        collection=collection,
    )
    # The busiest API route: the answer is built as plain data and encoded once (``response_model``
    # stays for the OpenAPI document; a test checks that the body validates against it).
    hits = r.hits[:limit]
    more = len(r.hits) > limit or (limit >= 500 and len(hits) == 500)  # the store returns 500 at most
    if r.total is not None:
        total, exact = r.total, True
    else:
        total, exact = offset + len(hits), not more
    body = {
        "query": q,
        "total": total,
        "total_exact": exact,
        "more": more,
        "hits": [{"document": doc_dict(h.document), "score": h.score, "snippet": h.snippet} for h in hits],
    }
    return JSONResponse(body)


@router.get("/search/export", dependencies=[viewer], response_class=Response,
            responses={200: {"content": {"text/csv": {}, "application/x-ndjson": {}}}})
def api_search_export(
    request: Request,
    q: str = Query("", max_length=1000, description="blank: every document the filters allow"),
    format: str = Query("jsonl", pattern="^(csv|jsonl)$"),
    since: str | None = None,
    until: str | None = None,
    source: int | None = Query(None, ge=1, le=MAX_ID),
    kind: str | None = None,
    province: str | None = Query(None, max_length=100, description="any province name or code"),
    story: int | None = Query(None, ge=1, le=MAX_ID, description="story id"),
    collection: str | None = Query(None, max_length=200, description="a source collection, by id or name"),
):
    """Every match of a search, newest first, streamed as JSON Lines or CSV (no cap, same filters as
    /search). Authors are the stored keys: hashed while hash_authors is on."""
    hits = export_hits(request.app.state.db, q, since, until, source, kind, province=province, story=story,
                       collection=collection)
    return export_response(hits, format)


@router.get("/sources", response_model=list[SourceOut], dependencies=[viewer])
def api_sources(request: Request):
    """Every source."""
    return [source_out(s) for s in request.app.state.db.list_sources()]


@router.get("/sources/health", response_model=list[SourceOut], dependencies=[viewer])
def api_sources_health(request: Request):
    """Sources that are failing, worst first."""
    return [source_out(s) for s in queries.troubled_sources(request.app.state.db)]


@router.get("/sources/kinds", response_model=list[SourceKindOut], dependencies=[viewer])
def api_source_kinds() -> list[SourceKindOut]:
    """The source kinds that can be added (the connector registry), with their labels."""
    from kiemchung.sources.connectors import connector_class, kinds

    return [
        SourceKindOut(kind=k, label_vi=c.label_vi, label_en=c.label_en, help=c.help, pages_back=c.pages_back)
        for k, c in ((k, connector_class(k)) for k in kinds())
    ]


@router.post("/sources", response_model=SourceOut, status_code=201, dependencies=[Depends(check_csrf)])
def api_add_source(request: Request, body: SourceIn, user=editor):
    """Add a source of any registered kind (editor); an unknown kind, a URL it cannot take or a start
    date it does not take (or that cannot be read) is a 400."""
    return source_out(add_source(request.app.state.db, user, body.kind, body.url, body.name, since=body.since))


@router.delete("/sources/{source_id}", response_model=SourceOut, dependencies=[editor, Depends(check_csrf)])
def api_remove_source(request: Request, source_id: int = Path(ge=1, le=MAX_ID), user=editor):
    """Remove a source (editor): collection stops, its documents stay. Audited."""
    return source_out(remove_source(request.app.state.db, user, source_id))


@router.get("/stats", dependencies=[viewer])
def api_stats(request: Request) -> dict[str, Any]:
    """Counts: documents by kind and language, duplicate groups, per source."""
    db = request.app.state.db
    stats = queries.cached_fresh(db, ("stats",), 30, db.stats)
    return {**stats, "per_source": [{"name": n, "documents": c} for n, c in stats["per_source"]]}
