"""Monitor and report API (/api/v1): stories, story edits, trends, watchlists, reports, and their models."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from kiemchung import timeutil
from kiemchung.errors import QueryError
from kiemchung.stories import service
from kiemchung.stories import watchlists as wl
from kiemchung.web.app import check_csrf, editor, viewer
from kiemchung.web.params import MAX_ID, iso, vn_day, vn_today_end
from kiemchung.web.report_views import generate_report, list_reports, parse_report_period
from kiemchung.web.stories_views import DOC_PAGE, MAX_DOC_OFFSET, STORY_PAGE, stories_in_period, story_view
from kiemchung.web.story_edit_jobs import StoryEdit, edit_done, merge_stories, split_story, story_edit
from kiemchung.web.trend_views import METHOD, trends_at
from kiemchung.web.watchlist_views import (
    SPARK_DAYS,
    add_watchlist,
    remove_watchlist,
    watchlist_by_id,
    watchlist_row,
    watchlist_table,
)

api_router = APIRouter(prefix="/api/v1", tags=["api"])
csrf = Depends(check_csrf)


class StoryOut(BaseModel):
    """A story as listed."""

    id: int
    headline: str
    doc_count: int
    outlet_count: int
    first_seen: str | None
    last_seen: str | None
    keywords: list[str]
    status: str


class CountOut(BaseModel):
    """A labelled count (a day, an outlet, a bucket)."""

    key: str
    count: int


class PlaceOut(BaseModel):
    """A province named by the story's documents (new, post-2025 code)."""

    code: str
    name: str
    documents: int


class ClaimOut(BaseModel):
    """A check-worthy sentence, its score in 0..1 and the signals behind it."""

    text: str
    score: float
    reasons: list[str]


class AlertOut(BaseModel):
    """An alert on one of the story's documents and the fact-check it matched."""

    id: int
    doc_id: int
    factcheck_id: int
    claim: str
    verdict: str
    score: float
    status: str
    created_at: str | None


class StoryDetailOut(BaseModel):
    """A story with a page of documents and its aggregates."""

    story: StoryOut
    timeline: list[CountOut]
    outlets: list[CountOut]
    places: list[PlaceOut]
    documents: list[dict]
    offset: int
    has_more: bool
    claims: list[ClaimOut]
    alerts: list[AlertOut]
    statements: list[int]
    edits: list[dict]


class MergeIn(BaseModel):
    """The story to merge into the story of the path."""

    other: int = Field(ge=1, le=MAX_ID)


class SplitIn(BaseModel):
    """Documents to move out into a new story."""

    doc_ids: list[int] = Field(min_length=1, max_length=1000)


class StoryEditOut(BaseModel):
    """A merge or split handed to the story service, and how it went."""

    job: int
    kind: str
    story: int
    status: str
    result: int | None
    error: str | None
    started: str


def edit_out(e: StoryEdit) -> StoryEditOut:
    """The API view of a story edit."""
    return StoryEditOut(job=e.job, kind=e.kind, story=e.story, status=e.status, result=e.result, error=e.error,
                        started=e.started.isoformat())


class RisingOut(BaseModel):
    """A rising series (see ``kiemchung.stories.trends.rising``)."""

    kind: str
    key: str
    label: str
    current: int
    baseline: float
    score: float


class TrendsOut(BaseModel):
    """What is rising at ``now``, and how it was computed."""

    now: str
    method: str
    keywords: list[str]
    rising: list[RisingOut]


class WatchlistOut(BaseModel):
    """A watchlist with its counts over the last 7 and 30 Vietnamese days."""

    id: int
    name: str
    query: str
    created_at: str | None
    last_7_days: int
    last_30_days: int


class WatchlistIn(BaseModel):
    """A watchlist to save."""

    name: str = Field(min_length=1, max_length=200)
    query: str = Field(min_length=1, max_length=500)


class WatchlistCountsOut(BaseModel):
    """Counts of one watchlist per bucket."""

    watchlist: WatchlistOut
    bucket: str
    counts: list[CountOut]


class ReportOut(BaseModel):
    """A generated report and its files."""

    name: str
    start: str
    end: str
    #: The source collection the report is limited to (its name), or null: every source.
    collection: str | None = None
    formats: list[str]
    urls: dict[str, str]


class ReportIn(BaseModel):
    """A report to generate: ``period`` (2026-Q1, 2026-03, 2026-W10) or ``start``/``end`` (dd/mm/yyyy or YYYY-MM-DD)."""

    period: str | None = Field(None, max_length=20)
    start: str | None = Field(None, max_length=10)
    end: str | None = Field(None, max_length=10)
    formats: list[Literal["html", "md", "pdf"]] = Field(default_factory=lambda: ["html", "md"], max_length=3)
    #: Only the sources of this source collection (its name, or its id as text); null or absent: every source.
    collection: str | None = Field(None, max_length=200)


def story_out(s: service.StoryRow) -> StoryOut:
    """The API view of a story row."""
    return StoryOut(id=s.id, headline=s.headline, doc_count=s.doc_count, outlet_count=s.outlet_count,
                    first_seen=iso(s.first_seen), last_seen=iso(s.last_seen), keywords=s.keywords, status=s.status)


def _wl_out(row: dict) -> WatchlistOut:
    w = row["watchlist"]
    return WatchlistOut(id=w.id, name=w.name, query=w.query, created_at=iso(w.created_at),
                        last_7_days=row["last7"], last_30_days=row["last30"])


def _report_out(r: dict) -> ReportOut:
    return ReportOut(name=r["name"], start=r["start"], end=r["end"], collection=r.get("collection"),
                     formats=r["formats"],
                     urls={f: f"/reports/{r['name']}/{f}" for f in r["formats"]})


@api_router.get("/stories", response_model=list[StoryOut], dependencies=[viewer])
def api_stories(
    request: Request,
    since: str | None = Query(None, description="dd/mm/yyyy or YYYY-MM-DD (Vietnam day)"),
    until: str | None = Query(None, description="dd/mm/yyyy or YYYY-MM-DD, inclusive"),
    min_docs: int = Query(2, ge=1, le=100_000),
    province: str | None = Query(None, max_length=100, description="any province name or code"),
    collection: str | None = Query(None, max_length=200, description="a source collection, by id or name"),
    limit: int = Query(STORY_PAGE, ge=1, le=500),
    offset: int = Query(0, ge=0, le=100_000),
):
    """Stories largest first, filtered by period, size, province and source collection."""
    rows, _ = stories_in_period(request.app.state.db, since=vn_day(since), until=vn_day(until, end=True),
                                min_docs=min_docs, province=province, collection=collection, offset=offset, limit=limit)
    return [story_out(s) for s in rows]


@api_router.get("/stories/{story_id}", response_model=StoryDetailOut, dependencies=[viewer])
def api_story(request: Request, story_id: int = Path(ge=1, le=MAX_ID),
              offset: int = Query(0, ge=0, le=MAX_DOC_OFFSET), limit: int = Query(DOC_PAGE, ge=1, le=DOC_PAGE)):
    """One story (a merged story resolves to the one it went into) with a page of its documents."""
    from kiemchung.web.api import doc_out

    v = story_view(request.app.state.db, story_id, offset=offset, limit=limit)
    return StoryDetailOut(
        story=story_out(v.story),
        timeline=[CountOut(key=d.isoformat(), count=n) for d, n in v.timeline],
        outlets=[CountOut(key=name, count=n) for name, n in v.outlets],
        places=[PlaceOut(code=c, name=name, documents=n) for c, name, n in v.places],
        documents=[doc_out(d).model_dump() for d in v.documents],
        offset=v.offset,
        has_more=v.has_more,
        claims=[ClaimOut(text=c.text, score=c.score, reasons=c.reasons) for c in v.claims],
        alerts=[AlertOut(id=a["id"], doc_id=a["doc_id"], factcheck_id=a["factcheck_id"], claim=a["claim"],
                         verdict=a["verdict"], score=a["score"], status=a["status"],
                         created_at=iso(a["created_at"])) for a in v.alerts],
        statements=v.statements,
        edits=[{**e, "at": iso(e.get("at"))} for e in v.edits],
    )


def _edit_response(db, edit: StoryEdit, status_code: int):
    result = edit_done(edit)
    if result is None:
        return JSONResponse(edit_out(edit).model_dump(), status_code=202)
    return JSONResponse(story_out(service.find_story(db, result)).model_dump(),
                        status_code=status_code)


@api_router.post("/stories/{story_id}/merge", response_model=StoryOut, dependencies=[csrf],
                 responses={202: {"model": StoryEditOut, "description": "still running: poll /story-edits/{job}"}})
def api_story_merge(request: Request, body: MergeIn, story_id: int = Path(ge=1, le=MAX_ID), user=editor):
    """Merge story ``other`` into this one (editor; audit-logged); 202 with a job while it still runs."""
    db = request.app.state.db
    return _edit_response(db, merge_stories(db, user, story_id, body.other), 200)


@api_router.post("/stories/{story_id}/split", response_model=StoryOut, status_code=201, dependencies=[csrf],
                 responses={202: {"model": StoryEditOut, "description": "still running: poll /story-edits/{job}"}})
def api_story_split(request: Request, body: SplitIn, story_id: int = Path(ge=1, le=MAX_ID), user=editor):
    """Move documents of this story into a new story (editor; audit-logged); returns the new story
    (201), or 202 with a job while the edit still runs."""
    db = request.app.state.db
    if any(not 1 <= x <= MAX_ID for x in body.doc_ids):
        raise QueryError("Mã tài liệu không hợp lệ (invalid document id)")
    return _edit_response(db, split_story(db, user, story_id, body.doc_ids), 201)


@api_router.get("/story-edits/{job}", response_model=StoryEditOut, dependencies=[viewer])
def api_story_edit(job: int = Path(ge=1, le=MAX_ID)):
    """Status of a merge/split started by this server process (running, done with its story, failed)."""
    return edit_out(story_edit(job))


@api_router.get("/trends", response_model=TrendsOut, dependencies=[viewer])
def api_trends(
    request: Request,
    at: str | None = Query(None, description="dd/mm/yyyy or YYYY-MM-DD: rising as of the end of that Vietnam day (default now)"),
    kw: str = Query("", max_length=500, description="extra keywords, comma separated"),
    lang: str = Query("vi", pattern="^(vi|en)$"),
    collection: str | None = Query(None, max_length=200, description="count only a source collection's documents (id or name)"),
):
    """Rising stories, keywords, watchlists and provinces (burst score against a 14-day baseline)."""
    moment, words, found = trends_at(request.app.state.db, at, kw, collection)
    return TrendsOut(now=moment.isoformat(), method=METHOD[lang], keywords=words,
                     rising=[RisingOut(**vars(r)) for r in found])


@api_router.get("/watchlists", response_model=list[WatchlistOut], dependencies=[viewer])
def api_watchlists(request: Request):
    """Every watchlist with its counts over the last 7 and 30 days."""
    return [_wl_out(r) for r in watchlist_table(request.app.state.db)]


@api_router.post("/watchlists", response_model=WatchlistOut, status_code=201, dependencies=[csrf])
def api_watchlist_add(request: Request, body: WatchlistIn, user=editor):
    """Save a watchlist (editor; audit-logged)."""
    db = request.app.state.db
    w = add_watchlist(db, user, body.name, body.query)
    return _wl_out(watchlist_row(db, w.id))


@api_router.delete("/watchlists/{wl_id}", status_code=204, dependencies=[editor, csrf])  # 401 before CSRF
def api_watchlist_remove(request: Request, wl_id: int = Path(ge=1, le=MAX_ID), user=editor):
    """Delete a watchlist (editor; audit-logged)."""
    remove_watchlist(request.app.state.db, user, wl_id)


@api_router.get("/watchlists/{wl_id}/counts", response_model=WatchlistCountsOut, dependencies=[viewer])
def api_watchlist_counts(
    request: Request,
    wl_id: int = Path(ge=1, le=MAX_ID),
    since: str | None = Query(None, description="dd/mm/yyyy or YYYY-MM-DD (default: 30 days ago)"),
    until: str | None = Query(None, description="dd/mm/yyyy or YYYY-MM-DD, inclusive (default: today)"),
    bucket: Literal["day", "hour"] = "day",
):
    """Matches of a watchlist per Vietnamese day or hour (at most 400 days, or 31 days by hour)."""
    db = request.app.state.db
    w = watchlist_by_id(db, wl_id)
    end = vn_day(until, end=True) or vn_today_end(timeutil.view_now(db))
    start = vn_day(since) or end - dt.timedelta(days=SPARK_DAYS)
    if end <= start or end - start > dt.timedelta(days=400 if bucket == "day" else 31):
        raise QueryError("Khoảng thời gian không hợp lệ hoặc quá dài (bad or too long period)")
    counts = wl.query_counts(db, w.query, start, end, bucket)
    return WatchlistCountsOut(watchlist=_wl_out(watchlist_row(db, w.id)), bucket=bucket,
                              counts=[CountOut(key=k.isoformat(), count=n) for k, n in sorted(counts.items())])


@api_router.get("/reports", response_model=list[ReportOut], dependencies=[viewer])
def api_reports(request: Request):
    """Reports in the installation's report folder, newest period first."""
    return [_report_out(r) for r in list_reports(request.app.state.db)]


@api_router.post("/reports", response_model=ReportOut, status_code=201, dependencies=[csrf])
def api_report_generate(request: Request, body: ReportIn, user=editor):
    """Generate a report for a period (editor; audit-logged), of one source collection's sources when
    ``collection`` is given (an unknown one: 404); HTML is always written."""
    db = request.app.state.db
    period = parse_report_period(body.period, body.start, body.end)
    name = generate_report(db, user, period, body.formats, collection=body.collection)
    return _report_out(next(r for r in list_reports(db) if r["name"] == name))
