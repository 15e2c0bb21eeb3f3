"""Monitor and report pages and API: stories, story page details, watchlists, trends, reports.

Everything here calls the library (``kiemchung.stories.service``, ``.trends``, ``.watchlists``,
``kiemchung.entities``, ``kiemchung.claims``, ``kiemchung.reach``, ``kiemchung.reports``); the SQL in
this module is limited to small aggregates the library does not offer yet (outlet and province counts of
one story, alerts of a story's documents), each bounded so a story of thousands of documents stays cheap.
"""

# ruff: noqa: RUF001  (the burst formula and ranges use Greek letters and dashes on purpose)

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import Literal

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from kiemchung import audit, timeutil
from kiemchung.errors import ConfigError, KiemchungError, NotFoundError, QueryError
from kiemchung.models import Document
from kiemchung.places import province as province_by_code
from kiemchung.places import resolve_place
from kiemchung.store import schema as t
from kiemchung.stories import service, trends
from kiemchung.stories import tables as st
from kiemchung.stories import watchlists as wl
from kiemchung.stories.places_tables import document_entities
from kiemchung.web import queries
from kiemchung.web.app import check_csrf, editor, render, viewer
from kiemchung.web.charts import bar_chart

router = APIRouter(include_in_schema=False)
api_router = APIRouter(prefix="/api/v1", tags=["api"])
csrf = Depends(check_csrf)

MAX_ID = 2**62
STORY_PAGE = 30  # stories per page of /stories
DOC_PAGE = 50  # documents per page of a story
MAX_DOC_OFFSET = 1000  # deepest document page of a story (get_story loads offset + page documents)
STORY_TTL = 30  # seconds a story's summary (get_story and aggregates) is reused; edits clear it
CLAIM_DOCS = 20  # newest documents of a story ranked for check-worthy sentences
TOP_CLAIMS = 8
SCOPE_PAGES = 8  # search pages of 500 scanned at most when filtering search by province or story
SPARK_DAYS = 30
REPORT_STEM = re.compile(r"^bao-cao-\d{4}-\d{2}-\d{2}_\d{4}-\d{2}-\d{2}$")
REPORT_FORMATS = ("html", "md", "pdf")
METHOD = {
    "vi": "Số tài liệu trong 24 giờ qua so với 14 ngày trước đó (trung bình μ, độ lệch σ): "
    "điểm = (hiện tại − μ) / √(σ² + μ + 1). Được liệt kê khi có ít nhất 5 tài liệu, gấp 1,5 lần μ và điểm ≥ 3.",
    "en": "Documents in the last 24 h against the 14 days before (mean μ, deviation σ): "
    "score = (current − μ) / √(σ² + μ + 1). Listed with at least 5 documents, 1.5× μ and score ≥ 3.",
}

MESSAGES: dict[str, dict[str, str]] = {
    "stories_title": {"vi": "Câu chuyện", "en": "Stories"},
    "min_docs": {"vi": "Số tài liệu tối thiểu", "en": "Minimum documents"},
    "province": {"vi": "Tỉnh/thành", "en": "Province"},
    "story": {"vi": "Câu chuyện", "en": "Story"},
    "filter": {"vi": "Lọc", "en": "Filter"},
    "rising_now": {"vi": "Đang nổi lên", "en": "Rising now"},
    "docs_n": {"vi": "tài liệu", "en": "documents"},
    "outlets_n": {"vi": "nguồn", "en": "outlets"},
    "first_seen": {"vi": "Xuất hiện đầu", "en": "First seen"},
    "last_seen": {"vi": "Gần nhất", "en": "Last seen"},
    "next_page": {"vi": "Trang sau", "en": "Next page"},
    "prev_page": {"vi": "Trang trước", "en": "Previous page"},
    "timeline": {"vi": "Diễn biến theo ngày", "en": "Timeline (documents per day)"},
    "outlets": {"vi": "Nguồn đưa tin", "en": "Outlets"},
    "keywords": {"vi": "Từ khóa", "en": "Keywords"},
    "places": {"vi": "Địa phương được nhắc đến", "en": "Places mentioned"},
    "checkworthy": {"vi": "Nhận định cần kiểm chứng", "en": "Check-worthy claims"},
    "matched_fc": {"vi": "Khớp với bài kiểm chứng", "en": "Matched fact-checks"},
    "pickups": {"vi": "Mức lan tỏa của thông tin chính thức", "en": "Pickups of official statements"},
    "pickups_none": {"vi": "Câu chuyện không có thông báo chính thức.", "en": "No official statement in this story."},
    "picked_up": {"vi": "lượt đăng lại", "en": "pickups"},
    "first_pickup": {"vi": "lần đầu sau", "en": "first after"},
    "loading": {"vi": "Đang tải…", "en": "Loading…"},
    "edits": {"vi": "Lịch sử chỉnh sửa", "en": "Edit history"},
    "edit_running": {
        "vi": "Đang thực hiện (trên kho lớn có thể mất khoảng một phút); tải lại trang sau.",
        "en": "Running (may take about a minute on a large store); reload the page later.",
    },
    "edit_failed": {"vi": "Thất bại", "en": "Failed"},
    "merge": {"vi": "Gộp câu chuyện khác vào đây", "en": "Merge another story into this one"},
    "merge_id": {"vi": "Mã câu chuyện cần gộp", "en": "Story id to merge in"},
    "split": {"vi": "Tách các tài liệu đã chọn thành câu chuyện mới", "en": "Split the selected documents into a new story"},
    "search_in_story": {"vi": "Tìm trong câu chuyện", "en": "Search in this story"},
    "watchlists_title": {"vi": "Danh sách theo dõi", "en": "Watchlists"},
    "wl_query_col": {"vi": "Truy vấn", "en": "Query"},
    "wl_query": {"vi": "Truy vấn (không phân biệt dấu)", "en": "Query (diacritic-insensitive)"},
    "wl_add": {"vi": "Thêm danh sách", "en": "Add watchlist"},
    "wl_remove": {"vi": "Xóa", "en": "Remove"},
    "last7": {"vi": "7 ngày", "en": "7 days"},
    "last30": {"vi": "30 ngày", "en": "30 days"},
    "trends_title": {"vi": "Xu hướng", "en": "Trends"},
    "method": {"vi": "Phương pháp", "en": "Method"},
    "at_day": {"vi": "Tính đến ngày", "en": "As of day"},
    "extra_keywords": {"vi": "Từ khóa thêm (cách nhau bởi dấu phẩy)", "en": "Extra keywords (comma separated)"},
    "kind_story": {"vi": "Câu chuyện", "en": "Stories"},
    "kind_keyword": {"vi": "Từ khóa", "en": "Keywords"},
    "kind_watchlist": {"vi": "Danh sách theo dõi", "en": "Watchlists"},
    "kind_province": {"vi": "Tỉnh/thành", "en": "Provinces"},
    "current": {"vi": "24 giờ qua", "en": "Last 24 h"},
    "baseline": {"vi": "Trung bình/ngày trước đó", "en": "Baseline per day"},
    "score": {"vi": "Điểm", "en": "Score"},
    "reports_title": {"vi": "Báo cáo định kỳ", "en": "Periodic reports"},
    "period": {"vi": "Kỳ (2026-Q1, 2026-03, 2026-W10)", "en": "Period (2026-Q1, 2026-03, 2026-W10)"},
    "or_range": {"vi": "hoặc từ ngày – đến ngày", "en": "or from – to"},
    "generate": {"vi": "Lập báo cáo", "en": "Generate report"},
    "formats": {"vi": "Định dạng", "en": "Formats"},
    "report_dir": {"vi": "Thư mục báo cáo", "en": "Report folder"},
    "download": {"vi": "Tải về", "en": "Download"},
    "scope_note": {
        "vi": "Lọc theo tỉnh/câu chuyện xét tối đa 4.000 kết quả khớp mới nhất.",
        "en": "Province/story filters look at the newest 4,000 matches at most.",
    },
}


# ---------------------------------------------------------------------------------------------
# Small helpers


def _day(value: str | None, *, end: bool = False) -> dt.datetime | None:
    """A Vietnamese day ``YYYY-MM-DD`` as an aware datetime (its start, or the next day's for ``end``)."""
    from kiemchung.web.pages import _day as page_day

    return page_day(value, end=end)


def _province_code(value: str | None) -> str | None:
    """The new province code for any province name or code ("" and None mean no filter)."""
    if not value or not value.strip():
        return None
    p = resolve_place(value.strip())
    if p is None:
        raise QueryError(f"Không tìm thấy tỉnh/thành (unknown province): {value}")
    return p.code


def _iso(v) -> str | None:
    return v.isoformat() if v else None


def sparkline(values: list[int], *, width: int = 120, height: int = 28) -> str:
    """A tiny inline SVG line of daily counts (no axes), with the total in a <title> tooltip."""
    n = len(values)
    top = max(values, default=0) or 1
    step = width / max(1, n - 1)
    pts = " ".join(f"{i * step:.1f},{height - 2 - (height - 4) * v / top:.1f}" for i, v in enumerate(values))
    return (
        f'<svg class="spark" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-label="{sum(values)}"><title>{sum(values)} (max {max(values, default=0)}/ngày)</title>'
        f'<polyline fill="none" stroke="currentColor" stroke-width="1.5" points="{pts}"/></svg>'
    )


# ---------------------------------------------------------------------------------------------
# Stories: lists


def stories_in_period(
    db,
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    min_docs: int = 2,
    province: str | None = None,
    offset: int = 0,
    limit: int = STORY_PAGE,
) -> tuple[list[service.StoryRow], bool]:
    """A page of stories (largest first) and whether more follow; ``province`` keeps stories with a
    document naming it (any name or code, old names count for the new province)."""
    code = _province_code(province)
    if code is None:
        rows = service.list_stories(db, since=since, until=until, min_docs=min_docs, limit=offset + limit + 1)
        rows = rows[offset:]
        return rows[:limit], len(rows) > limit
    s, sd, de = st.stories, st.story_documents, document_entities
    in_province = (
        select(sd.c.story_id)
        .select_from(sd.join(de, de.c.doc_id == sd.c.doc_id))
        .where(de.c.province_code == code)
    )
    q = select(s).where(s.c.status != "merged", s.c.doc_count >= min_docs, s.c.id.in_(in_province))
    if since is not None:
        q = q.where(s.c.last_seen >= timeutil.aware(since))
    if until is not None:
        q = q.where(s.c.first_seen < timeutil.aware(until))
    q = q.order_by(s.c.doc_count.desc(), s.c.last_seen.desc()).limit(limit + 1).offset(offset)
    with db.read() as conn:
        rows = service._rows(conn, conn.execute(q))  # the service's own conversion (keywords as words)
    return rows[:limit], len(rows) > limit


def rising_now(db, at: dt.datetime | None = None, *, kinds=("story",), keywords=(), limit: int = 10):
    """``trends.rising`` cached for 60 s (per database, moment rounded to the minute, kinds and keywords)."""
    at = timeutil.aware(at) or timeutil.now()
    at = at.replace(second=0, microsecond=0)
    key = ("monitor-rising", id(db), at, tuple(kinds), tuple(keywords), limit)
    return queries.cached(key, 60, lambda: trends.rising(db, now=at, kinds=kinds, keywords=keywords, limit=limit))


# ---------------------------------------------------------------------------------------------
# Stories: one story


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

    The summary (``get_story`` and the aggregates) is reused for :data:`STORY_TTL` seconds (edits made
    here clear it at once); a page of documents reads only that page's rows."""
    offset = max(0, min(int(offset), MAX_DOC_OFFSET))
    detail, agg = queries.cached(("monitor-story", id(db), story_id), STORY_TTL, lambda: _summary(db, story_id))
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
    with the fact-check's claim and verdict."""
    from kiemchung.claims.tables import alerts, factchecks

    sd, d = st.story_documents, t.documents
    q = (
        select(
            alerts.c.id, alerts.c.doc_id, alerts.c.factcheck_id, alerts.c.score, alerts.c.status,
            alerts.c.created_at, factchecks.c.claim, factchecks.c.verdict, d.c.title, d.c.lead,
        )
        .select_from(
            alerts.join(sd, sd.c.doc_id == alerts.c.doc_id)
            .join(factchecks, factchecks.c.id == alerts.c.factcheck_id)
            .join(d, d.c.id == alerts.c.doc_id)
        )
        .where(sd.c.story_id == story_id)
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

    service.get_story(db, story_id, max_documents=0)  # NotFoundError for an unknown story
    return [reach_of_statement(db, doc_id) for doc_id in _statements(db, story_id)]


@dataclass
class StoryEdit:
    """A hand edit (merge or split) handed to the story service: ``running``, ``done`` or ``failed``."""

    job: int
    kind: str
    story: int
    user: str
    status: str = "running"
    result: int | None = None  # the kept story (merge) or the new story (split)
    error: str | None = None
    started: dt.datetime = field(default_factory=timeutil.now)


# The story service reloads and re-saves the whole clusterer state on every hand edit (about a minute
# on the 153k-item year), so edits run one at a time on a worker thread of this process; a request
# waits EDIT_WAIT seconds for the result and otherwise answers "still running" (202 / a notice).
EDIT_WAIT = 8.0
_edit_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="story-edit")
_edits: dict[int, StoryEdit] = {}
_edit_ids = itertools.count(1)
_edit_lock = threading.Lock()


def _run_edit(db, user, kind: str, story_id: int, work, before: dict) -> StoryEdit:
    """Run ``work()`` (returns a story id) on the edit thread; audit the outcome either way."""
    with _edit_lock:
        edit = StoryEdit(next(_edit_ids), kind, story_id, user.name)
        _edits[edit.job] = edit
        for old in sorted(_edits)[:-200]:  # keep the last 200 edits' status
            _edits.pop(old, None)

    def job() -> int:
        try:
            edit.result = work()
        except Exception as exc:  # recorded with its reason (the audit log and the job status), re-raised
            edit.status, edit.error = "failed", str(exc) or type(exc).__name__
            with db.write() as conn:
                audit.record(conn, user, f"story.{kind}.failed", f"story:{story_id}", before, {"error": edit.error})
            raise
        edit.status = "done"
        with db.write() as conn:
            audit.record(conn, user, f"story.{kind}", f"story:{story_id}", before, {"story": edit.result})
        queries.clear_cache()
        return edit.result

    future = _edit_pool.submit(job)
    with contextlib.suppress(FutureTimeout):  # still running: the caller answers "running"
        future.result(timeout=EDIT_WAIT)
    return edit


def story_edit(job: int) -> StoryEdit:
    """The status of a hand edit started by this server process (NotFoundError if unknown)."""
    edit = _edits.get(job)
    if edit is None:
        raise NotFoundError(f"Không có thao tác chỉnh sửa số {job} (no such story edit)")
    return edit


def pending_edits(story_id: int) -> list[StoryEdit]:
    """Edits of this story still running, or failed, in this process (the last 200 edits)."""
    return [e for e in list(_edits.values()) if e.story == story_id and e.status != "done"]


def merge_stories(db, user, story_id: int, other: int) -> StoryEdit:
    """Merge story ``other`` into ``story_id`` through the story service; audit-logged.

    Checks run first (QueryError/NotFoundError); the merge itself runs on the edit thread."""
    if int(other) == int(story_id):
        raise QueryError("Không thể gộp một câu chuyện với chính nó (cannot merge a story into itself)")
    a = service.get_story(db, story_id, max_documents=0).story
    b = service.get_story(db, other, max_documents=0).story
    if a.id == b.id:
        raise QueryError("Hai câu chuyện này đã được gộp (these stories are already merged)")
    before = {"into": a.id, "from": b.id, "doc_counts": [a.doc_count, b.doc_count]}
    return _run_edit(db, user, "merge", a.id,
                     lambda: service.StoryStage(db).merge(a.id, b.id, user=user.name), before)


def split_story(db, user, story_id: int, doc_ids: list[int]) -> StoryEdit:
    """Move documents out of a story into a new one through the story service; audit-logged.

    The documents must belong to the story and leave at least one behind (checked first)."""
    ids = sorted({int(x) for x in doc_ids})
    if not ids:
        raise QueryError("Chọn ít nhất một tài liệu để tách (select documents to split)")
    story = service.get_story(db, story_id, max_documents=0).story
    sd = st.story_documents
    with db.read() as conn:
        members = {r[0] for r in conn.execute(select(sd.c.doc_id).where(sd.c.story_id == story.id))}
    strangers = [x for x in ids if x not in members]
    if strangers:
        raise QueryError(f"Tài liệu không thuộc câu chuyện {story.id} (documents not in this story): {strangers[:10]}")
    if len(ids) >= len(members):
        raise QueryError("Không thể tách toàn bộ câu chuyện (cannot split out every document)")
    before = {"story": story.id, "docs": ids}
    return _run_edit(db, user, "split", story.id,
                     lambda: service.StoryStage(db).split(story.id, ids, user=user.name), before)


def edit_done(edit: StoryEdit) -> int | None:
    """The resulting story id of a finished edit, None while running; a failed edit raises its error."""
    if edit.status == "failed":
        raise ConfigError(edit.error or "Thao tác thất bại (edit failed)")
    return edit.result if edit.status == "done" else None


# ---------------------------------------------------------------------------------------------
# Search scoped to a province or a story


def scope_of(db, *, story: int | None = None, province: str | None = None):
    """(document ids, since, until) a province and/or story filter allows; None ids means no filter."""
    ids: set[int] | None = None
    since = until = None
    if story is not None:
        s = service.get_story(db, story, max_documents=0).story
        with db.read() as conn:
            ids = {r[0] for r in conn.execute(select(st.story_documents.c.doc_id).where(st.story_documents.c.story_id == s.id))}
        if s.first_seen and s.last_seen:
            since, until = timeutil.aware(s.first_seen), timeutil.aware(s.last_seen) + dt.timedelta(seconds=1)
    code = _province_code(province)
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


# ---------------------------------------------------------------------------------------------
# Watchlists


def _vn_today_end(at: dt.datetime | None = None) -> dt.datetime:
    day = (timeutil.aware(at) or timeutil.now()).astimezone(timeutil.VN_TZ).date()
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), timeutil.VN_TZ)


def watchlist_by_id(db, wl_id: int) -> wl.Watchlist:
    """The watchlist with this id (NotFoundError if none)."""
    for w in wl.list_watchlists(db):
        if w.id == wl_id:
            return w
    raise NotFoundError(f"Không có danh sách theo dõi (no such watchlist): {wl_id}")


def watchlist_table(db, at: dt.datetime | None = None) -> list[dict]:
    """Every watchlist with its daily counts over the last 30 Vietnamese days (cached 60 s)."""
    until = _vn_today_end(at)
    since = until - dt.timedelta(days=SPARK_DAYS)

    def compute():
        out = []
        for w in wl.list_watchlists(db):
            counts = [n for _, n in sorted(wl.query_counts(db, w.query, since, until, "day").items())]
            out.append({"watchlist": w, "daily": counts, "last7": sum(counts[-7:]), "last30": sum(counts)})
        return out

    return queries.cached(("monitor-watchlists", id(db), until), 60, compute)


def add_watchlist(db, user, name: str, query: str) -> wl.Watchlist:
    """Save a watchlist (the library checks the query) and audit it."""
    w = wl.add_watchlist(db, name, query)
    with db.write() as conn:
        audit.record(conn, user, "watchlist.add", f"watchlist:{w.id}", None, {"name": w.name, "query": w.query})
    queries.clear_cache()
    return w


def remove_watchlist(db, user, wl_id: int) -> None:
    """Delete a watchlist by id and audit it."""
    w = watchlist_by_id(db, wl_id)
    wl.remove_watchlist(db, w.name)
    with db.write() as conn:
        audit.record(conn, user, "watchlist.remove", f"watchlist:{w.id}", {"name": w.name, "query": w.query}, None)
    queries.clear_cache()


# ---------------------------------------------------------------------------------------------
# Reports


def report_dir(db) -> FsPath:
    """The installation's report folder: setting ``report_dir``, else ``bao-cao/`` next to the database file."""
    configured = db.get_setting("report_dir")
    if configured:
        return FsPath(configured)
    if getattr(db, "path", None):
        return FsPath(db.path).resolve().parent / "bao-cao"
    raise ConfigError(
        "Chưa cấu hình thư mục báo cáo: kiemchung settings set report_dir /duong/dan (report folder not configured)"
    )


def list_reports(db) -> list[dict]:
    """Reports in the report folder, newest period first: name (file stem), period start/end, formats."""
    folder = report_dir(db)
    if not folder.is_dir():
        return []
    found: dict[str, set[str]] = {}
    for p in folder.iterdir():
        if p.is_file() and REPORT_STEM.match(p.stem) and p.suffix[1:] in REPORT_FORMATS:
            found.setdefault(p.stem, set()).add(p.suffix[1:])
    out = []
    for stem, fmts in found.items():
        start, end = stem[len("bao-cao-") :].split("_")
        try:
            last = (dt.date.fromisoformat(end) - dt.timedelta(days=1)).isoformat()  # the end is exclusive
        except ValueError:
            continue
        out.append({"name": stem, "start": start, "end": end, "last": last,
                    "formats": [f for f in REPORT_FORMATS if f in fmts]})
    out.sort(key=lambda r: (r["start"], r["end"]), reverse=True)
    return out


def parse_report_period(period: str | None, start: str | None, end: str | None):
    """A report period from the form/API fields (``ConfigError``, in Vietnamese, for anything unusable)."""
    from kiemchung.reports import parse_period

    period = (period or "").strip() or None
    try:
        p = parse_period(period, start=(start or "").strip() or None, end=(end or "").strip() or None)
        p.previous()  # a period whose previous one cannot exist (year 1) is refused here, not in build
    except (ValueError, OverflowError) as exc:
        raise ConfigError(f"Kỳ báo cáo không hợp lệ (invalid period): {period or (start, end)}") from exc
    if p.end - p.start > dt.timedelta(days=400):
        raise ConfigError("Kỳ báo cáo dài quá 400 ngày (period longer than 400 days)")
    return p


def generate_report(db, user, period, formats) -> str:
    """Build and render a report into the report folder (``kiemchung.reports.schedule.write_report``)."""
    from kiemchung.reports.schedule import file_stem, write_report

    fmts = [f for f in REPORT_FORMATS if f in set(formats) | {"html"}]
    folder = report_dir(db)
    try:
        files = write_report(db, period, folder, fmts)
    except OSError as exc:
        raise ConfigError(f"Không ghi được báo cáo vào {folder}: {exc} (cannot write report)") from exc
    with db.write() as conn:
        audit.record(conn, user, "report.generate", f"report:{file_stem(period)}", None,
                     {"period": period.label, "files": [f.name for f in files]})
    return file_stem(period)


def report_file(db, name: str, fmt: str) -> FsPath:
    """The path of one generated report file (NotFoundError for unknown names or formats)."""
    if not REPORT_STEM.match(name) or fmt not in REPORT_FORMATS:
        raise NotFoundError(f"Không có báo cáo (no such report): {name}")
    path = report_dir(db) / f"{name}.{fmt}"
    if not path.is_file():
        raise NotFoundError(f"Không có báo cáo (no such report): {name}.{fmt}")
    return path


# ---------------------------------------------------------------------------------------------
# Pages


@router.get("/stories", response_class=HTMLResponse, dependencies=[viewer])
def stories_page(
    request: Request,
    since: str | None = None,
    until: str | None = None,
    min_docs: int = Query(2, ge=1, le=100_000),
    province: str | None = Query(None, max_length=100),
    offset: int = Query(0, ge=0, le=100_000),
):
    """Stories with filters (period, size, province), paginated, and what is rising now."""
    db = request.app.state.db
    rows, more = stories_in_period(
        db, since=_day(since), until=_day(until, end=True), min_docs=min_docs, province=province, offset=offset
    )
    params = dict(since=since or "", until=until or "", min_docs=min_docs, province=province or "")
    from kiemchung.places import provinces

    return render(
        request, "monitor_stories.html", stories=rows, more=more, offset=offset, page=STORY_PAGE,
        params=params, rising=rising_now(db), provinces=provinces("new"),
    )


@router.get("/stories/{story_id}", response_class=HTMLResponse, dependencies=[viewer])
def story_page(request: Request, story_id: int = Path(ge=1, le=MAX_ID), offset: int = Query(0, ge=0, le=MAX_DOC_OFFSET)):
    """One story: timeline, outlets, documents (paginated), keywords, places, claims, alerts, edits."""
    db = request.app.state.db
    # Cached until the next commit to the database (at most 30 s): a story is read by many, changed rarely.
    view = queries.cached_fresh(db, ("story-view", story_id, offset), 30, lambda: story_view(db, story_id, offset=offset))
    if view.story.id != story_id:
        return RedirectResponse(f"/stories/{view.story.id}", status_code=303)
    t_ = _t(request)
    return render(
        request, "story.html", view=view, story=view.story, page=DOC_PAGE, pending=pending_edits(view.story.id),
        chart=bar_chart(view.timeline, label=t_("timeline")) if view.timeline else "",
    )


@router.get("/stories/{story_id}/pickups", response_class=HTMLResponse, dependencies=[viewer])
def story_pickups_fragment(request: Request, story_id: int = Path(ge=1, le=MAX_ID)):
    """The pickups of the story's official statements (an htmx fragment; reach scans 30 days)."""
    return render(request, "monitor_pickups.html", reaches=story_pickups(request.app.state.db, story_id))


@router.post("/stories/{story_id}/merge", dependencies=[csrf])
def story_merge(request: Request, story_id: int = Path(ge=1, le=MAX_ID), other: int = Form(..., ge=1, le=MAX_ID),
                user=editor):
    """Merge another story into this one (editor); a long merge continues in the background."""
    edit = merge_stories(request.app.state.db, user, story_id, other)
    kept = edit_done(edit)
    return RedirectResponse(f"/stories/{kept or story_id}", status_code=303)


@router.post("/stories/{story_id}/split", dependencies=[csrf])
async def story_split(request: Request, story_id: int = Path(ge=1, le=MAX_ID), user=editor):
    """Split the checked documents (form field ``doc``, repeated) into a new story (editor)."""
    form = await request.form()
    try:
        ids = [int(x) for x in form.getlist("doc")]
    except ValueError as exc:
        raise QueryError("Mã tài liệu không hợp lệ (invalid document id)") from exc
    edit = split_story(request.app.state.db, user, story_id, ids)
    new_id = edit_done(edit)
    return RedirectResponse(f"/stories/{new_id or story_id}", status_code=303)


@router.get("/watchlists", response_class=HTMLResponse, dependencies=[viewer])
def watchlists_page(request: Request, error: str | None = None, status_code: int = 200):
    """Watchlists with 7- and 30-day counts and a 30-day sparkline; add/remove for editors."""
    rows = watchlist_table(request.app.state.db)
    for r in rows:
        r["spark"] = sparkline(r["daily"])
    return render(request, "monitor_watchlists.html", status_code, rows=rows, error=error)


@router.post("/watchlists", dependencies=[csrf])
def watchlists_add(request: Request, name: str = Form(..., max_length=200), query: str = Form(..., max_length=500),
                   user=editor):
    """Add a watchlist (editor)."""
    try:
        add_watchlist(request.app.state.db, user, name, query)
    except KiemchungError as exc:
        return watchlists_page(request, error=str(exc), status_code=400)
    return RedirectResponse("/watchlists", status_code=303)


@router.post("/watchlists/{wl_id}/delete", dependencies=[csrf])
def watchlists_remove(request: Request, wl_id: int = Path(ge=1, le=MAX_ID), user=editor):
    """Remove a watchlist (editor)."""
    remove_watchlist(request.app.state.db, user, wl_id)
    return RedirectResponse("/watchlists", status_code=303)


@router.get("/trends", response_class=HTMLResponse, dependencies=[viewer])
def trends_page(request: Request, at: str | None = None, kw: str = Query("", max_length=500)):
    """Rising stories, keywords, watchlists and provinces, the method, and 30 days of volume."""
    db = request.app.state.db
    moment = _trend_moment(at)
    extra = _keywords(db, kw, moment)
    found = rising_now(db, moment, kinds=("story", "watchlist", "province"), keywords=extra, limit=40)
    groups = {k: [r for r in found if r.kind == k] for k in ("story", "keyword", "watchlist", "province")}
    until = _vn_today_end(moment)
    vol = trends.volume(db, until - dt.timedelta(days=30), until, "day")
    t_ = _t(request)
    return render(
        request, "monitor_trends.html", groups=groups, keywords=extra, kw=kw, at=at or "",
        moment=moment, method=METHOD[_lang(request)],
        chart=bar_chart([(k.date(), n) for k, n in sorted(vol.items())], label=t_("volume")),
    )


def _trend_moment(at: str | None) -> dt.datetime:
    if not at:
        return timeutil.now()
    end = _day(at, end=True)
    return min(end, timeutil.now())


def _keywords(db, kw: str, moment: dt.datetime, auto: int = 8) -> list[str]:
    """Keywords tested for a burst: the user's (comma separated, ≤ 10) and the top keyword of the largest
    stories of the last 3 days (story keywords are folded bigrams such as ``nuoc_may``)."""
    own = [k.strip() for k in kw.split(",") if k.strip()][:10]
    for k in own:
        from kiemchung.store.search import compile_query

        if compile_query(k, accented=False)[0] is None:
            raise QueryError(f"Từ khóa không hợp lệ (invalid keyword): {k}")
    found: list[str] = []
    for s in service.list_stories(db, since=moment - dt.timedelta(days=3), until=moment, limit=auto):
        for k in s.keywords[:1]:
            phrase = '"' + k.replace("_", " ").replace('"', "") + '"'
            if phrase not in found:
                found.append(phrase)
    return own + [k for k in found if k not in own]


@router.get("/reports", response_class=HTMLResponse, dependencies=[viewer])
def reports_page(request: Request, error: str | None = None, status_code: int = 200, form: dict | None = None):
    """Generated reports, and a form to generate one for a period (editor)."""
    db = request.app.state.db
    try:
        folder, rows = report_dir(db), list_reports(db)
    except ConfigError as exc:
        folder, rows, error = None, [], error or str(exc)
    return render(request, "monitor_reports.html", status_code, reports=rows, folder=folder, error=error,
                  form=form or {}, shown=None)


@router.post("/reports", dependencies=[csrf])
async def reports_generate(request: Request, user=editor):
    """Generate a report for a period (fields ``period`` or ``start``/``end``, ``format`` repeated)."""
    form = await request.form()
    fields = {k: str(form.get(k) or "")[:40] for k in ("period", "start", "end")}
    formats = [str(f) for f in form.getlist("format")]
    db = request.app.state.db
    try:
        period = parse_report_period(fields["period"], fields["start"], fields["end"])
        name = generate_report(db, user, period, formats)
    except KiemchungError as exc:
        return reports_page(request, error=str(exc), status_code=400, form=fields)
    return RedirectResponse(f"/reports/{name}", status_code=303)


@router.get("/reports/{name}", response_class=HTMLResponse, dependencies=[viewer])
def report_page(request: Request, name: str = Path(max_length=60)):
    """One report: the HTML version inline (sandboxed frame), Markdown/PDF downloads."""
    db = request.app.state.db
    report_file(db, name, "html")
    shown = next((r for r in list_reports(db) if r["name"] == name), None)
    return render(request, "monitor_reports.html", reports=list_reports(db), folder=report_dir(db), error=None,
                  form={}, shown=shown)


@router.get("/reports/{name}/{fmt}", dependencies=[viewer])
def report_download(request: Request, name: str = Path(max_length=60), fmt: str = Path(max_length=8)):
    """A report file: HTML inline (sandboxed by CSP), Markdown and PDF as attachments."""
    path = report_file(request.app.state.db, name, fmt)
    media = {"html": "text/html; charset=utf-8", "md": "text/markdown; charset=utf-8", "pdf": "application/pdf"}[fmt]
    headers = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:"}
    if fmt == "html":
        return FileResponse(path, media_type=media, headers=headers)
    return FileResponse(path, media_type=media, filename=path.name, headers=headers)


def _lang(request: Request) -> str:
    from kiemchung.web.app import lang_of

    return lang_of(request)


def _t(request: Request):
    from kiemchung.web.i18n import translator

    return translator(_lang(request))


# ---------------------------------------------------------------------------------------------
# API (/api/v1)


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
    formats: list[str]
    urls: dict[str, str]


class ReportIn(BaseModel):
    """A report to generate: ``period`` (2026-Q1, 2026-03, 2026-W10) or ``start``/``end`` (YYYY-MM-DD)."""

    period: str | None = Field(None, max_length=20)
    start: str | None = Field(None, max_length=10)
    end: str | None = Field(None, max_length=10)
    formats: list[Literal["html", "md", "pdf"]] = Field(default_factory=lambda: ["html", "md"], max_length=3)


def story_out(s: service.StoryRow) -> StoryOut:
    """The API view of a story row."""
    return StoryOut(id=s.id, headline=s.headline, doc_count=s.doc_count, outlet_count=s.outlet_count,
                    first_seen=_iso(s.first_seen), last_seen=_iso(s.last_seen), keywords=s.keywords, status=s.status)


def _wl_out(row: dict) -> WatchlistOut:
    w = row["watchlist"]
    return WatchlistOut(id=w.id, name=w.name, query=w.query, created_at=_iso(w.created_at),
                        last_7_days=row["last7"], last_30_days=row["last30"])


def _report_out(r: dict) -> ReportOut:
    return ReportOut(name=r["name"], start=r["start"], end=r["end"], formats=r["formats"],
                     urls={f: f"/reports/{r['name']}/{f}" for f in r["formats"]})


@api_router.get("/stories", response_model=list[StoryOut], dependencies=[viewer])
def api_stories(
    request: Request,
    since: str | None = Query(None, description="YYYY-MM-DD (Vietnam day)"),
    until: str | None = Query(None, description="YYYY-MM-DD inclusive"),
    min_docs: int = Query(2, ge=1, le=100_000),
    province: str | None = Query(None, max_length=100, description="any province name or code"),
    limit: int = Query(STORY_PAGE, ge=1, le=500),
    offset: int = Query(0, ge=0, le=100_000),
):
    """Stories largest first, filtered by period, size and province."""
    rows, _ = stories_in_period(request.app.state.db, since=_day(since), until=_day(until, end=True),
                                min_docs=min_docs, province=province, offset=offset, limit=limit)
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
                         created_at=_iso(a["created_at"])) for a in v.alerts],
        statements=v.statements,
        edits=[{**e, "at": _iso(e.get("at"))} for e in v.edits],
    )


def _edit_response(db, edit: StoryEdit, status_code: int):
    result = edit_done(edit)
    if result is None:
        return JSONResponse(edit_out(edit).model_dump(), status_code=202)
    return JSONResponse(story_out(service.get_story(db, result, max_documents=0).story).model_dump(),
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
    at: str | None = Query(None, description="YYYY-MM-DD: rising as of the end of that Vietnam day (default now)"),
    kw: str = Query("", max_length=500, description="extra keywords, comma separated"),
    lang: str = Query("vi", pattern="^(vi|en)$"),
):
    """Rising stories, keywords, watchlists and provinces (burst score against a 14-day baseline)."""
    db = request.app.state.db
    moment = _trend_moment(at)
    words = _keywords(db, kw, moment)
    found = rising_now(db, moment, kinds=("story", "watchlist", "province"), keywords=words, limit=40)
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
    row = next(r for r in watchlist_table(db) if r["watchlist"].id == w.id)
    return _wl_out(row)


@api_router.delete("/watchlists/{wl_id}", status_code=204, dependencies=[editor, csrf])  # 401 before CSRF
def api_watchlist_remove(request: Request, wl_id: int = Path(ge=1, le=MAX_ID), user=editor):
    """Delete a watchlist (editor; audit-logged)."""
    remove_watchlist(request.app.state.db, user, wl_id)


@api_router.get("/watchlists/{wl_id}/counts", response_model=WatchlistCountsOut, dependencies=[viewer])
def api_watchlist_counts(
    request: Request,
    wl_id: int = Path(ge=1, le=MAX_ID),
    since: str | None = Query(None, description="YYYY-MM-DD (default: 30 days ago)"),
    until: str | None = Query(None, description="YYYY-MM-DD inclusive (default: today)"),
    bucket: Literal["day", "hour"] = "day",
):
    """Matches of a watchlist per Vietnamese day or hour (at most 400 days, or 31 days by hour)."""
    db = request.app.state.db
    w = watchlist_by_id(db, wl_id)
    end = _day(until, end=True) or _vn_today_end()
    start = _day(since) or end - dt.timedelta(days=SPARK_DAYS)
    if end <= start or end - start > dt.timedelta(days=400 if bucket == "day" else 31):
        raise QueryError("Khoảng thời gian không hợp lệ hoặc quá dài (bad or too long period)")
    counts = wl.query_counts(db, w.query, start, end, bucket)
    row = next(r for r in watchlist_table(db) if r["watchlist"].id == w.id)
    return WatchlistCountsOut(watchlist=_wl_out(row), bucket=bucket,
                              counts=[CountOut(key=k.isoformat(), count=n) for k, n in sorted(counts.items())])


@api_router.get("/reports", response_model=list[ReportOut], dependencies=[viewer])
def api_reports(request: Request):
    """Reports in the installation's report folder, newest period first."""
    return [_report_out(r) for r in list_reports(request.app.state.db)]


@api_router.post("/reports", response_model=ReportOut, status_code=201, dependencies=[csrf])
def api_report_generate(request: Request, body: ReportIn, user=editor):
    """Generate a report for a period (editor; audit-logged); HTML is always written."""
    db = request.app.state.db
    period = parse_report_period(body.period, body.start, body.end)
    name = generate_report(db, user, period, body.formats)
    return _report_out(next(r for r in list_reports(db) if r["name"] == name))
