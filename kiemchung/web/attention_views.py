"""Attention as a share in the workbench: the page with its chart, the CSV download, and the API.

Parameters are the same everywhere: ``q`` (repeated, search queries), ``watchlist`` (repeated, saved
watchlist names), at most five series in all; ``since``/``until`` (Vietnamese days, ``until``
inclusive; default the last 30 days), ``by`` (``day`` | ``week``), ``source`` (repeated source ids:
only those sources, in the matches and in everything collected).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel

from kiemchung import timeutil
from kiemchung.errors import NotFoundError, QueryError
from kiemchung.stories.attention import (
    MAX_QUERIES,
    Attention,
    attention,
    attention_csv,
    source_filter,
    watchlist_queries,
)
from kiemchung.stories.watchlists import list_watchlists
from kiemchung.web import queries
from kiemchung.web.app import lang_of, render, viewer
from kiemchung.web.charts import line_chart
from kiemchung.web.i18n import translator
from kiemchung.web.params import vn_day, vn_today_end

router = APIRouter(include_in_schema=False)
api_router = APIRouter(prefix="/api/v1", tags=["api"])

MAX_DAYS = {"day": 400, "week": 3 * 366}
DEFAULT_DAYS = {"day": 30, "week": 7 * 26}


class AttentionSeriesOut(BaseModel):
    """One query's matches and share of everything collected, per period (share null when nothing was collected)."""

    label: str
    query: str
    counts: list[int]
    shares: list[float | None]
    total: int
    overall_share: float | None


class AttentionOut(BaseModel):
    """Attention series: period starts (Vietnam time), everything collected per period, one series per query."""

    since: str
    until: str
    by: str
    periods: list[str]
    collected: list[int]
    sources: list[int]
    series: list[AttentionSeriesOut]


def attention_for(db, q: list[str], watchlist: list[str], since: str | None, until: str | None, by: str,
                  source: list[int], collection: str | None = None) -> Attention:
    """The attention series the page, the CSV and the API show for these parameters (cached 60 s and
    until anything is committed)."""
    if by not in MAX_DAYS:
        raise QueryError(f"Chu kỳ phải là 'day' hoặc 'week' (period must be day or week): {by!r}")
    own = [x.strip() for x in q if x and x.strip()]
    names = [x.strip() for x in watchlist if x and x.strip()]
    if len(own) + len(names) > MAX_QUERIES:
        raise QueryError(f"Tối đa {MAX_QUERIES} truy vấn để so sánh (at most {MAX_QUERIES} queries)")
    wq, wl = watchlist_queries(db, names)
    end = vn_day(until, end=True) or vn_today_end(timeutil.view_now(db))
    start = vn_day(since) or end - dt.timedelta(days=DEFAULT_DAYS[by])
    if end <= start or end - start > dt.timedelta(days=MAX_DAYS[by]):
        raise QueryError("Khoảng thời gian không hợp lệ hoặc quá dài (bad or too long period)")
    if any(not 1 <= s <= 2**31 for s in source):
        raise QueryError("Mã nguồn không hợp lệ (invalid source id)")
    ids = source_filter(db, source, collection)
    key = ("attention", tuple(own), tuple(names), start, end, by, None if ids is None else tuple(ids))
    return queries.cached_fresh(db, key, 60, lambda: attention(db, own + wq, start, end, by=by, source_ids=ids,
                                                               labels=own + wl))


def _collections(db) -> list:
    from kiemchung.sources.directory import list_collections

    return list_collections(db)


def attention_out(result: Attention) -> AttentionOut:
    """The API's form of a result."""
    return AttentionOut(
        since=result.buckets[0].isoformat(), until=result.until.isoformat(), by=result.by,
        periods=[b.isoformat() for b in result.buckets], collected=result.totals, sources=list(result.source_ids),
        series=[AttentionSeriesOut(label=s.label, query=s.query, counts=s.counts, shares=s.shares, total=s.total,
                                   overall_share=result.overall_share(s)) for s in result.series],
    )


def _csv_response(result: Attention) -> Response:
    name = f"ty-trong-chu-y-{result.buckets[0].date().isoformat()}_{result.by}.csv"
    return Response(attention_csv(result), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


Q = Query([], max_length=500)
W = Query([], max_length=200)
S = Query([])
C = Query(None, max_length=200)


@router.get("/attention", response_class=HTMLResponse, dependencies=[viewer])
def attention_page(request: Request, q: list[str] = Q, watchlist: list[str] = W,
                   since: str | None = Query(None, max_length=20), until: str | None = Query(None, max_length=20),
                   by: str = Query("day", max_length=10), source: list[int] = S, collection: str | None = C):
    """Attention as a share: up to five queries or watchlists on one chart, a table, the CSV link."""
    db = request.app.state.db
    lang = lang_of(request)
    result, error = None, None
    if any(x.strip() for x in q) or any(x.strip() for x in watchlist):
        try:
            result = attention_for(db, q, watchlist, since, until, by, source, collection)
        except (QueryError, NotFoundError) as exc:
            error = str(exc)
    chart = None
    if result is not None:
        chart = line_chart([b.date() for b in result.buckets],
                           [(s.label, [None if v is None else v * 100 for v in s.shares]) for s in result.series],
                           label=translator(lang)("attention_title"))
    qs = [x for x in q if x.strip()] + [""] * (MAX_QUERIES - len([x for x in q if x.strip()]))
    return render(request, "monitor_attention.html", 400 if error else 200, result=result, chart=chart, error=error,
                  q=qs[:MAX_QUERIES], chosen=set(watchlist), watchlists=list_watchlists(db), since=since or "",
                  until=until or "", by=by, source=source, collection=collection or "",
                  collections=_collections(db), csv_query=str(request.url.query))


@router.get("/attention.csv", dependencies=[viewer])
def attention_csv_download(request: Request, q: list[str] = Q, watchlist: list[str] = W,
                           since: str | None = Query(None, max_length=20), until: str | None = Query(None, max_length=20),
                           by: str = Query("day", max_length=10), source: list[int] = S, collection: str | None = C):
    """The page's series as a CSV file."""
    return _csv_response(attention_for(request.app.state.db, q, watchlist, since, until, by, source, collection))


@api_router.get("/attention", response_model=AttentionOut, dependencies=[viewer])
def api_attention(
    request: Request,
    q: list[str] = Query([], max_length=500, description="search query (repeat for up to 5)"),
    watchlist: list[str] = Query([], max_length=200, description="watchlist name (repeatable)"),
    since: str | None = Query(None, max_length=20, description="dd/mm/yyyy or YYYY-MM-DD (default: 30 days, or 26 weeks, ago)"),
    until: str | None = Query(None, max_length=20, description="dd/mm/yyyy or YYYY-MM-DD, inclusive (default: today)"),
    by: Literal["day", "week"] = "day",
    source: list[int] = Query([], description="only these source ids (repeatable)"),
    collection: str | None = Query(None, max_length=200, description="only the sources of this collection (id or name)"),
    format: Literal["json", "csv"] = Query("json", description="csv: the series as a CSV file"),
):
    """Attention as a share: each query's matches per Vietnamese day or week divided by every document
    collected from the same sources in that period (at most 400 days by day, 3 years by week)."""
    result = attention_for(request.app.state.db, q, watchlist, since, until, by, source, collection)
    if not result.series:
        raise QueryError("Cần ít nhất một truy vấn (at least one query is needed)")
    return _csv_response(result) if format == "csv" else attention_out(result)


MESSAGES = {
    "attention_title": {"vi": "Tỷ trọng chú ý", "en": "Attention share"},
    "attention_note": {
        "vi": "Mỗi đường là số tài liệu khớp truy vấn chia cho mọi tài liệu thu thập từ cùng các nguồn trong ngày "
              "(hoặc tuần), nên không đổi khi số nguồn thay đổi. So sánh tối đa 5 truy vấn hoặc danh sách theo dõi; "
              "truy vấn không phân biệt dấu, như danh sách theo dõi.",
        "en": "Each line is the documents matching a query divided by every document collected from the same sources "
              "that day (or week), so it does not move when sources are added. Compare up to 5 queries or "
              "watchlists; queries ignore diacritics, as watchlists do.",
    },
    "attention_queries": {"vi": "Truy vấn (tối đa 5)", "en": "Queries (up to 5)"},
    "attention_by": {"vi": "Theo", "en": "By"},
    "by_day": {"vi": "ngày", "en": "day"},
    "by_week": {"vi": "tuần", "en": "week"},
    "attention_period": {"vi": "Kỳ", "en": "Period"},
    "attention_collected": {"vi": "Thu thập", "en": "Collected"},
    "attention_total": {"vi": "Cả kỳ", "en": "Whole period"},
    "attention_csv": {"vi": "Tải CSV", "en": "Download CSV"},
    "attention_show": {"vi": "Xem", "en": "Show"},
    "attention_sources": {"vi": "Chỉ các nguồn", "en": "Only sources"},
    "attention_collection": {"vi": "Bộ sưu tập nguồn", "en": "Source collection"},
    "attention_all_sources": {"vi": "Mọi nguồn", "en": "All sources"},
}


class SilenceOut(BaseModel):
    """A source gone quiet: the Vietnamese day it went quiet, documents brought and expected since."""

    source_id: int
    name: str
    quiet_since: str
    days: int
    observed: int
    expected: float
    last_seen: str | None


@api_router.get("/silent-sources", response_model=list[SilenceOut], dependencies=[viewer])
def api_silent_sources(request: Request):
    """Sources whose volume fell well below their own baseline (not only failing fetches), with the day
    each went quiet."""
    from kiemchung.sources.silence import silent_sources

    return [SilenceOut(source_id=s.source_id, name=s.name, quiet_since=s.quiet_since.isoformat(), days=s.days,
                       observed=s.observed, expected=s.expected,
                       last_seen=s.last_seen.isoformat() if s.last_seen else None)
            for s in silent_sources(request.app.state.db)]
