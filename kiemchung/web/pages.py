"""Server-rendered pages: login, overview, search, documents, stories, sources, users, audit log."""

from __future__ import annotations

import datetime as dt
import math

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from kiemchung import audit, labels, timeutil
from kiemchung import users as U
from kiemchung.errors import ConfigError, KiemchungError, QueryError
from kiemchung.links import http_url
from kiemchung.logins import TRUSTED_PROXIES, client_address
from kiemchung.models import DOC_KINDS, Source
from kiemchung.netguard import AddressPolicy
from kiemchung.store.search import search
from kiemchung.web import queries
from kiemchung.web.app import LANG_COOKIE, SESSION_COOKIE, admin, check_csrf, editor, lang_of, render, viewer
from kiemchung.web.charts import bar_chart
from kiemchung.web.i18n import translator
from kiemchung.store import settings

router = APIRouter(include_in_schema=False)
csrf = Depends(check_csrf)


def _client_ip(request: Request) -> str:
    """The client's address; X-Forwarded-For only when the peer is a proxy of ``trusted_proxies``."""
    peer = request.client.host if request.client else None
    trusted = settings.value(request.app.state.db, TRUSTED_PROXIES)
    return client_address(peer, request.headers.get("x-forwarded-for"), trusted)


def _safe_next(target: str | None) -> str:
    return target if target and target.startswith("/") and not target.startswith("//") else "/"


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/"):
    """The login form."""
    return render(request, "login.html", next=_safe_next(next), error=None)


@router.post("/login")
def login(request: Request, username: str = Form(...), password: str = Form(...), next: str = Form("/")):
    """Check a password (the attempt is counted first; back-off per address and account, see
    :mod:`kiemchung.logins`) and open a server-side session."""
    db = request.app.state.db
    t = translator(request.cookies.get(LANG_COOKIE, "vi"))
    ip = _client_ip(request)
    limiter = request.app.state.login_limiter
    decision = limiter.begin(db, ip, username)
    if not decision.allowed:
        wait = max(1, math.ceil(decision.retry_after))
        response = render(request, "login.html", 429, next=_safe_next(next),
                          error=t("rate_limited").replace("{seconds}", str(wait)))
        response.headers["Retry-After"] = str(wait)
        return response
    user = U.authenticate(db, username, password)
    if user is None:  # the reserved attempt stays counted as a failure
        return render(request, "login.html", 401, next=_safe_next(next), error=t("bad_login"))
    limiter.succeeded(db, decision, ip, username)
    sid, _ = U.create_session(db, user)
    response = RedirectResponse(_safe_next(next), status_code=303)
    secure = request.app.state.secure_cookies
    if secure is None:
        secure = request.url.scheme == "https"
    response.set_cookie(
        SESSION_COOKIE,
        sid,
        httponly=True,
        samesite="lax",
        secure=bool(secure),
        max_age=int(U.SESSION_TTL.total_seconds()),
    )
    with db.write() as conn:
        audit.record(conn, user, "login", f"user:{user.name}", None, {"ip": ip})
    return response


@router.post("/logout", dependencies=[viewer, csrf])
def logout(request: Request):
    """End the session."""
    sid = request.cookies.get(SESSION_COOKIE)
    if sid:
        U.end_session(request.app.state.db, sid)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/", response_class=HTMLResponse, dependencies=[viewer])
def overview(request: Request):
    """Volume chart, sources in trouble, latest official statements, rising stories."""
    db = request.app.state.db
    # Each panel is recomputed when anything was committed to the database, by this process or another
    # (a watcher, a worker on another host): keyed on the store's change token, not only on a TTL.
    volume = queries.cached_fresh(db, ("volume",), 60, lambda: queries.daily_volume(db))
    official = queries.cached_fresh(db, ("official",), 30, lambda: queries.latest_official(db))
    rising = queries.cached_fresh(db, ("rising",), 30, lambda: _rising(db))
    alerts = queries.cached_fresh(db, ("alerts",), 15, lambda: queries.new_alerts(db))
    t = translator(request.cookies.get(LANG_COOKIE, "vi"))
    return render(
        request,
        "overview.html",
        chart=bar_chart(volume, label=t("volume")),
        total30=sum(c for _, c in volume),
        trouble=queries.troubled_sources(db),
        official=official,
        rising=rising,
        alerts=alerts,
        fixed_now=timeutil.reference_time(db),
    )


def _rising(db) -> list:
    try:
        from kiemchung.stories.service import list_stories
    except ImportError:  # the stories module is optional for the web layer
        return []
    at = timeutil.view_now(db)
    return list_stories(db, since=at - dt.timedelta(days=3), until=at, order="size", limit=8)


def _day(value: str | None, *, end: bool = False) -> dt.datetime | None:
    """A day from a form or query parameter (dd/mm/yyyy or YYYY-MM-DD): its start in Vietnam, or the
    next day's for an inclusive ``end``; a clear 400 (both forms named) for anything else."""
    try:
        return timeutil.day_start(value, end=end)
    except ConfigError as exc:
        raise QueryError(str(exc)) from None


def _iso_day(value: str | None) -> str:
    """A valid day as ``YYYY-MM-DD`` for an ``<input type="date">`` ("" when empty)."""
    day = _day(value)
    return day.date().isoformat() if day else ""


def _source_id(value) -> int | None:
    """A source id from a form field ("" means any source)."""
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError) as exc:
        raise QueryError(f"Mã nguồn không hợp lệ (invalid source id): {value}") from exc
    if not 1 <= number <= 2**62:
        raise QueryError(f"Mã nguồn không hợp lệ (invalid source id): {value}")
    return number


def run_search(
    db,
    q: str,
    since: str | None,
    until: str | None,
    source: int | None,
    kind: str | None,
    limit: int = 50,
    offset: int = 0,
    count: bool | None = None,
    province: str | None = None,
    story: int | None = None,
    collection: str | None = None,
):
    """The search behind the page and the API (filters as the page sends them)."""
    from kiemchung.sources.directory import resolve_source_filter
    from kiemchung.store.search import SearchResult

    source = _source_id(source)
    if kind and kind not in DOC_KINDS:
        raise QueryError(f"Loại tài liệu không hợp lệ (unknown kind): {kind}")
    story = _source_id(story)  # same checks as a source id
    sources = resolve_source_filter(db, source=source, collection=collection)
    if sources == []:  # an empty collection, or a source outside the collection: nothing matches
        return SearchResult(q, [], False, None, 0)
    if story or (province or "").strip():  # kiemchung.web.monitor (search has no document-id filter yet)
        from kiemchung.web.monitor import scoped_search

        return scoped_search(
            db, q, story=story, province=province, since=_day(since), until=_day(until, end=True),
            sources=sources, kinds=[kind] if kind else None, limit=limit, offset=offset,
        )
    return search(
        db,
        q,
        limit=limit,
        offset=offset,
        since=_day(since),
        until=_day(until, end=True),
        sources=sources,
        kinds=[kind] if kind else None,
        count=(offset == 0) if count is None else count,
    )


def export_hits(
    db,
    q: str,
    since: str | None,
    until: str | None,
    source,
    kind: str | None,
    province: str | None = None,
    story=None,
    collection: str | None = None,
):
    """Every hit of a search with the page's filters, streamed (web and API exports; no cap).

    Everything that can be wrong with the request (query, dates, ids, collection) is checked here,
    before the first byte is sent; a blank query exports every document the filters allow."""
    from kiemchung.sources.directory import resolve_source_filter
    from kiemchung.store.search import compile_tree, iter_hits
    from kiemchung.web.search_scope import scope_of

    source = _source_id(source)
    if kind and kind not in DOC_KINDS:
        raise QueryError(f"Loại tài liệu không hợp lệ (unknown kind): {kind}")
    story = _source_id(story)
    if q.strip():
        compile_tree(q)  # a bad query fails now, not half-way through the download
    lo, hi = _day(since), _day(until, end=True)
    sources = resolve_source_filter(db, source=source, collection=collection)
    doc_ids = None
    if story or (province or "").strip():
        ids, s_lo, s_hi = scope_of(db, story=story, province=province)
        doc_ids = ids or set()
        lo = max(x for x in (lo, s_lo) if x is not None) if (lo or s_lo) else None
        hi = min(x for x in (hi, s_hi) if x is not None) if (hi or s_hi) else None
    return iter_hits(db, q, since=lo, until=hi, sources=sources, kinds=[kind] if kind else None, doc_ids=doc_ids)


def export_response(hits, fmt: str):
    """A streamed CSV or JSONL download of search hits (see :func:`export_hits`)."""
    from fastapi.responses import StreamingResponse

    from kiemchung.export import SEARCH_EXPORT_FIELDS, search_export_row, stream_csv, stream_jsonl

    rows = (search_export_row(h) for h in hits)
    if fmt == "jsonl":
        body, media = stream_jsonl(rows), "application/x-ndjson"
    else:
        body, media = stream_csv(rows, SEARCH_EXPORT_FIELDS), "text/csv; charset=utf-8"
    return StreamingResponse(
        body, media_type=media, headers={"Content-Disposition": f'attachment; filename="kiemchung-search.{fmt}"'}
    )


@router.get("/search", response_class=HTMLResponse, dependencies=[viewer])
def search_page(
    request: Request,
    q: str = "",
    since: str | None = None,
    until: str | None = None,
    source: str | None = Query(None, max_length=20),
    kind: str | None = None,
    offset: int = Query(0, ge=0, le=100_000),
    province: str | None = Query(None, max_length=100),
    story: str | None = Query(None, max_length=20),
    collection: str | None = Query(None, max_length=200),
):
    """Full-text search with filters and highlighted snippets."""
    from kiemchung.sources.directory import list_collections

    db = request.app.state.db
    result = (
        run_search(db, q, since, until, source, kind, offset=max(0, offset), province=province, story=story,
                   collection=collection)
        if q.strip()
        else None
    )
    # The date inputs want ISO days: a dd/mm/yyyy day in the address is shown (and sent again) as ISO.
    params = dict(q=q, since=_iso_day(since), until=_iso_day(until), source=_source_id(source) or "", kind=kind or "",
                  province=province or "", story=_source_id(story) or "", collection=(collection or "").strip())
    template = "search_results.html" if request.headers.get("hx-request") else "search.html"
    from kiemchung.places import provinces

    return render(
        request,
        template,
        result=result,
        params=params,
        sources=db.list_sources(),
        kinds=DOC_KINDS,
        offset=offset,
        provinces=provinces("new"),
        collections=list_collections(db),
    )


@router.get("/search/export", dependencies=[viewer])
def search_export(
    request: Request,
    q: str = Query("", max_length=1000),
    format: str = "csv",
    since: str | None = None,
    until: str | None = None,
    source: str | None = Query(None, max_length=20),
    kind: str | None = None,
    province: str | None = Query(None, max_length=100),
    story: str | None = Query(None, max_length=20),
    collection: str | None = Query(None, max_length=200),
):
    """Every search result as CSV or JSONL, streamed (no cap; a blank query exports every document
    the filters allow)."""
    if format not in ("csv", "jsonl"):
        raise QueryError(f"Định dạng không hỗ trợ (unsupported format): {format}")
    hits = export_hits(request.app.state.db, q, since, until, source, kind, province=province, story=story,
                       collection=collection)
    return export_response(hits, format)


@router.get("/documents/{doc_id}", response_class=HTMLResponse, dependencies=[viewer])
def document_page(request: Request, doc_id: int = Path(ge=1, le=2**62)):
    """One document: metadata, text, near-duplicates, its story."""
    db = request.app.state.db
    doc = db.get_document(doc_id)
    story = None
    try:
        from kiemchung.stories.service import story_of_document

        story = story_of_document(db, doc_id)
    except ImportError:
        story = None
    try:
        from kiemchung.web.alert_views import list_alert_rows

        alerts = list_alert_rows(db, doc_id=doc_id, limit=50)
    except ImportError:  # the claims module is optional for the web layer
        alerts = []
    lead = doc.lead if doc.lead and not " ".join(doc.body.split()).startswith(" ".join(doc.lead.split())) else ""
    return render(
        request, "document.html", doc=doc, dups=queries.duplicate_group(db, doc), story=story, alerts=alerts, lead=lead
    )


@router.get("/documents/{doc_id}/raw", dependencies=[editor])
def document_raw(request: Request, doc_id: int = Path(ge=1, le=2**62)):
    """The untouched payload as an attachment (never rendered inline)."""
    doc = request.app.state.db.get_document(doc_id, with_raw=True)
    raw = doc.raw if isinstance(doc.raw, bytes) else (doc.raw or "").encode()
    return Response(
        raw,
        media_type="application/octet-stream",
        headers={
            "Content-Disposition": f'attachment; filename="document-{doc_id}.raw"',
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.get("/sources", response_class=HTMLResponse, dependencies=[viewer])
def sources_page(request: Request, error: str | None = None):
    """Every source: documents, last fetch, health and last error (server file paths hidden)."""
    return render(request, "sources.html", rows=queries.source_rows(request.app.state.db), error=error)


def add_source(db, user, kind: str, url: str, name: str, *, since: str | None = None) -> Source:
    """Add a source and audit it (shared by the page and the API); ``since``: the start date a kind
    that pages back (telegram) goes back to (:meth:`Connector.start_meta`)."""
    from kiemchung.sources.connectors import connector_class

    try:
        connector = connector_class(kind)
    except ConfigError as exc:
        raise QueryError(str(exc)) from None
    if http_url(url) is None:
        raise QueryError(f"Địa chỉ không hợp lệ (URL must start with http:// or https://): {url}")
    try:
        url = connector.check_url(url)  # the web app never registers file:// sources
        meta = connector.start_meta(since)
    except ConfigError as exc:
        raise QueryError(str(exc)) from None
    # Refused at once when the URL names an internal address (every fetch checks again, after DNS).
    AddressPolicy.from_db(db).check_url(url.strip())
    source = db.add_source(Source(kind=kind, url=url.strip(), name=name.strip(), meta=meta), actor=user)
    queries.clear_cache()
    return source


@router.post("/sources", dependencies=[csrf])
def sources_add(
    request: Request, kind: str = Form(...), url: str = Form(...), name: str = Form(""),
    since: str = Form("", max_length=20), user=editor
):
    """Add a source of any registered kind (kiemchung.sources.connectors); ``since``: the start date of a
    kind that pages back (telegram)."""
    try:
        add_source(request.app.state.db, user, kind, url, name, since=since)
    except KiemchungError as exc:
        return render(request, "sources.html", 400, rows=queries.source_rows(request.app.state.db), error=str(exc))
    return RedirectResponse("/sources", status_code=303)


def remove_source(db, user, source_id: int) -> Source:
    """Remove a source (its documents stay); the store audits it with ``user`` as the actor (shared by
    the page and the API)."""
    source = db.remove_source(source_id, actor=user)
    queries.clear_cache()
    return source


@router.post("/sources/{source_id}/remove", dependencies=[csrf])
def sources_remove(request: Request, source_id: int = Path(ge=1, le=2**62), user=editor):
    """Remove a source: collection from it stops, its documents stay."""
    remove_source(request.app.state.db, user, source_id)
    return RedirectResponse("/sources", status_code=303)


@router.get("/users", response_class=HTMLResponse, dependencies=[admin])
def users_page(request: Request):
    """Accounts and every API token (admin only)."""
    return users_list(request)


def users_list(request: Request, status_code: int = 200, error: str | None = None) -> HTMLResponse:
    """The accounts page, with an error message when a change was refused."""
    db = request.app.state.db
    return render(request, "users.html", status_code, users=U.list_users(db), roles=U.ROLES, error=error,
                  tokens=U.list_tokens(db))


@router.post("/users", dependencies=[csrf])
def users_add(
    request: Request,
    username: str = Form(...),
    password: str = Form(...),
    role: str = Form("viewer"),
    user=admin,
):
    """Create an account."""
    db = request.app.state.db
    try:
        U.add_user(db, username, password, role, actor=user.name)
    except KiemchungError as exc:
        return users_list(request, 400, str(exc))
    return RedirectResponse("/users", status_code=303)


@router.post("/users/{name}/role", dependencies=[csrf])
def users_role(request: Request, name: str, role: str = Form(...), user=admin):
    """Change an account's role."""
    U.set_role(request.app.state.db, name, role, actor=user.name)
    return RedirectResponse("/users", status_code=303)


@router.post("/users/{name}/disable", dependencies=[csrf])
def users_disable(request: Request, name: str, disabled: bool = Form(True), user=admin):
    """Disable (or re-enable) an account."""
    U.set_disabled(request.app.state.db, name, disabled, actor=user.name)
    return RedirectResponse("/users", status_code=303)


# Where an audit object can be looked at in the workbench.
_AUDIT_LINKS = {"factcheck": "/factchecks/{}", "story": "/stories/{}", "source": "/sources", "user": "/users", "setting": "/settings",
                "report": "/reports/{}", "watchlist": "/watchlists", "alert": "/alerts", "capture": "/evidence/{}"}


def _audit_link(obj: str | None) -> str | None:
    kind, sep, ident = (obj or "").partition(":")
    pattern = _AUDIT_LINKS.get(kind) if sep else None
    if pattern is None or ("{}" in pattern and not ident.replace("-", "").replace("_", "").isalnum()):
        return None
    return pattern.format(ident) if "{}" in pattern else pattern


@router.get("/audit", response_class=HTMLResponse, dependencies=[admin])
def audit_page(request: Request):
    """The newest audit entries: who changed which field from what to what, with labels."""
    lang = lang_of(request)
    entries = []
    for e in audit.entries(request.app.state.db, 200):
        entries.append(
            {
                **e,
                "object_label": labels.object_label(e["object"], lang),
                "link": _audit_link(e["object"]),
                "changes": labels.changes(e["before"], e["after"], lang),
            }
        )
    return render(request, "audit.html", entries=entries)
