"""Monitor and report pages (HTML): stories, story page, merge/split forms, watchlists, trends, reports."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse

from kiemchung.errors import ConfigError, KiemchungError, QueryError
from kiemchung.labels import label
from kiemchung.stories import trends
from kiemchung.web import queries
from kiemchung.web.app import check_csrf, editor, lang_of, render, viewer
from kiemchung.web.charts import bar_chart
from kiemchung.web.i18n import translator
from kiemchung.web.params import MAX_ID, vn_day, vn_today_end
from kiemchung.web.report_views import (
    list_reports,
    parse_report_period,
    report_dir,
    report_file,
    report_job,
    start_report_job,
)
from kiemchung.web.stories_views import (
    DOC_PAGE,
    MAX_DOC_OFFSET,
    STORY_PAGE,
    stories_in_period,
    story_pickups,
    story_view,
)
from kiemchung.web.story_edit_jobs import edit_done, merge_stories, pending_edits, split_story
from kiemchung.web.trend_views import METHOD, rising_now, trends_at
from kiemchung.web.watchlist_views import add_watchlist, remove_watchlist, sparkline, watchlist_table

router = APIRouter(include_in_schema=False)
csrf = Depends(check_csrf)


@router.get("/stories", response_class=HTMLResponse, dependencies=[viewer])
def stories_page(
    request: Request,
    since: str | None = None,
    until: str | None = None,
    min_docs: int = Query(2, ge=1, le=100_000),
    province: str | None = Query(None, max_length=100),
    collection: str | None = Query(None, max_length=200),
    offset: int = Query(0, ge=0, le=100_000),
):
    """Stories with filters (period, size, province, source collection), paginated, and what is rising now."""
    from kiemchung.sources.directory import list_collections

    db = request.app.state.db
    rows, more = stories_in_period(
        db, since=vn_day(since), until=vn_day(until, end=True), min_docs=min_docs, province=province,
        collection=collection, offset=offset,
    )
    params = dict(since=since or "", until=until or "", min_docs=min_docs, province=province or "",
                  collection=(collection or "").strip())
    from kiemchung.places import provinces

    return render(
        request, "monitor_stories.html", stories=rows, more=more, offset=offset, page=STORY_PAGE,
        params=params, rising=rising_now(db), provinces=provinces("new"), collections=list_collections(db),
    )


@router.get("/stories/{story_id}", response_class=HTMLResponse, dependencies=[viewer])
def story_page(request: Request, story_id: int = Path(ge=1, le=MAX_ID), offset: int = Query(0, ge=0, le=MAX_DOC_OFFSET)):
    """One story: timeline, outlets, documents (paginated), keywords, places, claims, alerts, edits."""
    db = request.app.state.db
    # Cached until the next commit to the database (at most 30 s): a story is read by many, changed rarely.
    view = queries.cached_fresh(db, ("story-view", story_id, offset), 30, lambda: story_view(db, story_id, offset=offset))
    if view.story.id != story_id:
        return RedirectResponse(f"/stories/{view.story.id}", status_code=303)
    t_ = translator(lang_of(request))
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
def trends_page(request: Request, at: str | None = None, kw: str = Query("", max_length=500),
                collection: str | None = Query(None, max_length=200)):
    """Rising stories, keywords, watchlists and provinces, the method, and 30 days of volume (of a
    source collection's documents when one is chosen)."""
    from kiemchung.sources.directory import collection_source_ids, list_collections

    db = request.app.state.db
    moment, extra, found = trends_at(db, at, kw, collection)
    groups = {k: [r for r in found if r.kind == k] for k in ("story", "keyword", "watchlist", "province")}
    until = vn_today_end(moment)
    chosen = (collection or "").strip()
    ids = collection_source_ids(db, chosen) if chosen else None
    vol = trends.volume(db, until - dt.timedelta(days=30), until, "day", source_ids=ids)
    if ids == []:  # an empty collection: no documents (volume() reads an empty filter as none)
        vol = dict.fromkeys(vol, 0)
    lang = lang_of(request)
    return render(
        request, "monitor_trends.html", groups=groups, keywords=extra, kw=kw, at=at or "",
        collections=list_collections(db), collection=chosen,
        moment=moment, method=METHOD[lang],
        chart=bar_chart([(k.date(), n) for k, n in sorted(vol.items())], label=translator(lang)("volume")),
    )


@router.get("/reports", response_class=HTMLResponse, dependencies=[viewer])
def reports_page(request: Request, error: str | None = None, status_code: int = 200, form: dict | None = None,
                 job: str | None = Query(None, max_length=40)):
    """Generated reports, and a form to generate one for a period (editor); with ``job``, the progress
    of a report being generated (the page polls it; a finished job opens its report)."""
    db = request.app.state.db
    running = None
    if isinstance(job, str) and job:  # also called directly (the form's error path), job then unset
        running = report_job(db, job)
        if running["status"] == "done" and running.get("name"):
            return RedirectResponse(f"/reports/{running['name']}", status_code=303)
        if running["status"] == "failed":
            error = running.get("error") or label("report_stage", "failed", lang_of(request))
            running = None
    from kiemchung.sources.directory import list_collections

    try:
        folder, rows = report_dir(db), list_reports(db)
    except ConfigError as exc:
        folder, rows, error = None, [], error or str(exc)
    return render(request, "monitor_reports.html", status_code, reports=rows, folder=folder, error=error,
                  form=form or {}, shown=None, job=running, collections=list_collections(db))


@router.post("/reports", dependencies=[csrf])
async def reports_generate(request: Request, user=editor):
    """Start generating a report for a period (fields ``period`` or ``start``/``end``, ``format``
    repeated, ``collection``: a source collection's id, empty for every source); the answer is the
    reports page showing the job's progress."""
    form = await request.form()
    fields = {k: str(form.get(k) or "")[:40] for k in ("period", "start", "end")}
    fields["collection"] = str(form.get("collection") or "")[:200].strip()
    formats = [str(f) for f in form.getlist("format")]
    db = request.app.state.db
    try:
        period = parse_report_period(fields["period"], fields["start"], fields["end"])
        report_dir(db)  # refuse at once when no folder is configured
        job = start_report_job(db, user, period, formats, collection=fields["collection"] or None)
    except KiemchungError as exc:
        return reports_page(request, error=str(exc), status_code=400, form=fields)
    return RedirectResponse(f"/reports?job={job}", status_code=303)


@router.get("/report-jobs/{job_id}", dependencies=[viewer])
def report_job_status(request: Request, job_id: str = Path(max_length=40)) -> JSONResponse:
    """A report job's state for the page's polling: status, stage (code and label), seconds, report."""
    state = report_job(request.app.state.db, job_id)
    lang = lang_of(request)
    return JSONResponse({
        "status": state["status"], "stage": state["stage"], "stage_label": label("report_stage", state["stage"], lang),
        "elapsed": state["elapsed"], "name": state.get("name"), "error": state.get("error"),
        "url": f"/reports/{state['name']}" if state.get("name") else None,
    })


@router.get("/reports/{name}", response_class=HTMLResponse, dependencies=[viewer])
def report_page(request: Request, name: str = Path(max_length=60)):
    """One report: the HTML version inline (sandboxed frame), Markdown/PDF downloads."""
    db = request.app.state.db
    report_file(db, name, "html")
    shown = next((r for r in list_reports(db) if r["name"] == name), None)
    from kiemchung.sources.directory import list_collections

    return render(request, "monitor_reports.html", reports=list_reports(db), folder=report_dir(db), error=None,
                  form={}, shown=shown, collections=list_collections(db))


@router.get("/reports/{name}/{fmt}", dependencies=[viewer])
def report_download(request: Request, name: str = Path(max_length=60), fmt: str = Path(max_length=8)):
    """A report file: HTML inline (sandboxed by CSP), Markdown and PDF as attachments."""
    path = report_file(request.app.state.db, name, fmt)
    media = {"html": "text/html; charset=utf-8", "md": "text/markdown; charset=utf-8", "pdf": "application/pdf"}[fmt]
    # Framed by the reports page of this site only (frame-ancestors 'self'); sandboxed, no script.
    headers = {
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "SAMEORIGIN",
        "Content-Security-Policy": "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
        "frame-ancestors 'self'",
    }
    if fmt == "html":
        return FileResponse(path, media_type=media, headers=headers)
    return FileResponse(path, media_type=media, filename=path.name, headers=headers)

