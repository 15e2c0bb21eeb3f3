"""Kept copies of pages in the workbench and the API: one capture's page, its parts (text, sandboxed
HTML, screenshot, WARC download), and the editor's "keep a copy now" actions. The fact-check editor
lists the captures of a fact-check (:func:`captures_of`); everything else is :mod:`kiemchung.captures`.

The API (``/api/v1/captures…``) gives signed-in users (viewer role and up) the same as the pages: the
captures of a fact-check, a document or an address, one capture's description (fetch time, SHA-256,
status) and its parts; an editor asks for a copy (``POST /api/v1/captures``, audited as
``capture.request``, taken by the background stage)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from kiemchung.captures import blob, capture_url, get_capture, list_captures, take_capture
from kiemchung.errors import ConfigError, KiemchungError
from kiemchung.web.app import check_csrf, editor, render, viewer
from kiemchung.web.params import MAX_ID

router = APIRouter(include_in_schema=False)
api_router = APIRouter(prefix="/api/v1", tags=["api"])
csrf = Depends(check_csrf)

MESSAGES: dict[str, dict[str, str]] = {
    "ev_title": {"vi": "Bản lưu trang", "en": "Kept copy of a page"},
    "ev_section": {"vi": "Bản lưu các trang làm bằng chứng", "en": "Kept copies of the pages relied on"},
    "ev_note": {
        "vi": "Bản sao được lưu khi xác nhận cảnh báo hoặc trích dẫn trang: bài gốc có bị xoá thì bản lưu vẫn còn.",
        "en": "A copy is kept when an alert is confirmed or a page is cited: it stays when the original is deleted.",
    },
    "ev_none": {"vi": "Chưa có bản lưu nào.", "en": "No kept copies yet."},
    "ev_page": {"vi": "Trang", "en": "Page"},
    "ev_status": {"vi": "Trạng thái", "en": "Status"},
    "ev_fetched": {"vi": "Tải lúc", "en": "Fetched"},
    "ev_hash": {"vi": "Mã băm SHA-256", "en": "SHA-256 hash"},
    "ev_parts": {"vi": "Xem", "en": "View"},
    "ev_text": {"vi": "chữ", "en": "text"},
    "ev_html": {"vi": "HTML (hộp cát)", "en": "HTML (sandboxed)"},
    "ev_screenshot": {"vi": "ảnh chụp", "en": "screenshot"},
    "ev_warc": {"vi": "tải WARC", "en": "WARC download"},
    "ev_page_title": {"vi": "Tiêu đề trang", "en": "Page title"},
    "ev_screenshot_title": {"vi": "Ảnh chụp trang (dựng lại từ HTML đã lưu)", "en": "Screenshot (rendered from the kept HTML)"},
    "ev_final_url": {"vi": "Địa chỉ sau chuyển hướng", "en": "Address after redirects"},
    "ev_size": {"vi": "Kích thước", "en": "Size"},
    "ev_bytes": {"vi": "byte", "en": "bytes"},
    "ev_http": {"vi": "Mã trả lời HTTP", "en": "HTTP status"},
    "ev_linked": {"vi": "Làm bằng chứng cho", "en": "Evidence for"},
    "ev_error": {"vi": "Lỗi lần gần nhất", "en": "Last error"},
    "ev_next": {"vi": "Thử lại lúc", "en": "Next attempt"},
    "ev_attempts": {"vi": "Số lần thử", "en": "Attempts"},
    "ev_waiting": {
        "vi": "Đang chờ: tiến trình nền (kiemchung watch hoặc kiemchung worker) sẽ lưu trang này.",
        "en": "Waiting: the background process (kiemchung watch or kiemchung worker) will keep this page.",
    },
    "ev_redacted": {
        "vi": "Bản lưu đã thay tên, tài khoản, e-mail và liên kết hồ sơ của tác giả bằng mã băm (cài đặt hash_authors); "
              "mã SHA-256 ở trên là của trang gốc khi tải, trang gốc không được lưu.",
        "en": "Authors' names, handles, e-mail addresses and profile links were replaced by hashes in this copy "
              "(setting hash_authors); the SHA-256 above is the page's as fetched, which is not kept.",
    },
    "ev_take_now": {"vi": "Lưu ngay", "en": "Keep now"},
    "ev_retry": {"vi": "Thử lại", "en": "Try again"},
    "ev_take_again": {"vi": "Lưu bản mới", "en": "Keep a new copy"},
    "ev_add": {"vi": "Lưu bản sao một trang", "en": "Keep a copy of a page"},
    "ev_no_screenshot": {"vi": "Không có ảnh chụp", "en": "No screenshot"},
    "ev_screenshot_cut": {"vi": "ảnh chỉ chụp phần đầu trang dài", "en": "only the top of a long page"},
    "ev_sandbox_note": {
        "vi": "HTML được hiển thị trong hộp cát: không chạy script, không tải gì từ trang gốc.",
        "en": "The HTML is shown sandboxed: no script runs and nothing is loaded from the original site.",
    },
}

PARTS = {
    "text": ("text/plain; charset=utf-8", None),
    "html": ("text/html", None),
    "screenshot": ("image/png", None),
    "warc": ("application/gzip", "ban-luu-{id}.warc.gz"),
}
# A kept page is somebody else's HTML: shown with no script, no plugin, nothing fetched (images and
# styles from the original site would tell it who looks), framed only by this site.
SANDBOX = ("sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src 'none'; "
           "frame-ancestors 'self'")


def captures_of(db, factcheck_id: int):
    """The captures the fact-check editor lists: linked to it, to its alerts, or of pages it cites."""
    return list_captures(db, factcheck_id=factcheck_id, limit=50)


@router.get("/evidence/{capture_id}", response_class=HTMLResponse, dependencies=[viewer])
def capture_page(request: Request, capture_id: int = Path(ge=1, le=MAX_ID)):
    """One kept copy: where and when it was fetched, its hash, the screenshot, links to its parts."""
    return render(request, "evidence.html", c=get_capture(request.app.state.db, capture_id))


@router.get("/evidence/{capture_id}/{part}", dependencies=[viewer])
def capture_part(request: Request, capture_id: int = Path(ge=1, le=MAX_ID), part: str = Path(max_length=12)):
    """A part of a kept copy: text, HTML (sandboxed, as served: any charset), screenshot PNG, WARC file."""
    return part_response(request.app.state.db, capture_id, part)


def part_response(db, capture_id: int, part: str) -> Response:
    """One kept part served safely: the right type, a sandbox CSP, ``nosniff``; WARC as a download."""
    from kiemchung.errors import NotFoundError

    if part not in PARTS:
        raise NotFoundError(f"Không có phần này (no such part): {part}")
    c = get_capture(db, capture_id)
    data = blob(db, c, part)
    media, filename = PARTS[part]
    if part == "html":
        media = c.kept_content_type or "text/html"
        if "html" not in media.lower():
            media = "text/plain; charset=utf-8"  # a kept PDF or image is offered as a download below
            filename = f"ban-luu-{capture_id}.bin"
    headers = {"Content-Security-Policy": SANDBOX, "X-Content-Type-Options": "nosniff",
               "X-Frame-Options": "SAMEORIGIN", "Cache-Control": "private, max-age=3600"}
    if filename:
        headers["Content-Disposition"] = f'attachment; filename="{filename.format(id=capture_id)}"'
    return Response(data, media_type=media, headers=headers)


def _back(next_url: str, fallback: str) -> RedirectResponse:
    target = next_url if next_url.startswith("/") and not next_url.startswith("//") else fallback
    return RedirectResponse(target, status_code=303)


@router.post("/evidence/{capture_id}/take", dependencies=[editor, csrf])
def capture_take(request: Request, capture_id: int = Path(ge=1, le=MAX_ID), again: int = Form(0, ge=0, le=1),
                 next: str = Form("", max_length=200), user=editor):  # noqa: A002 - the form field's name
    """Take a waiting capture now, or (``again``) keep a new copy of the same page."""
    db = request.app.state.db
    c = get_capture(db, capture_id)
    if again:
        target = ("factcheck", "alert")
        links = {name: tid for name, tid in c.links if name in target}
        c = capture_url(db, c.url, factcheck_id=links.get("factcheck"), alert_id=links.get("alert"), actor=user,
                        again=True)
    else:
        c = take_capture(db, capture_id, force=True)
    return _back(next, f"/evidence/{c.id}")


@router.post("/factchecks/{fc_id}/captures", dependencies=[editor, csrf])
def factcheck_capture(request: Request, fc_id: int = Path(ge=1, le=MAX_ID), url: str = Form(..., max_length=2000),
                      user=editor):
    """Keep a copy of a page for a fact-check now (the editor's button)."""
    from kiemchung.claims.factchecks import get_factcheck

    db = request.app.state.db
    get_factcheck(db, fc_id)
    try:
        c = capture_url(db, url.strip(), factcheck_id=fc_id, actor=user)
    except ConfigError as exc:
        return render(request, "message.html", 400, message=str(exc), missing=False, details=None)
    except KiemchungError as exc:
        return render(request, "message.html", 502, message=str(exc), missing=False, details=None)
    return RedirectResponse(f"/evidence/{c.id}", status_code=303)


# -- API ---------------------------------------------------------------------------------------------


class CaptureLinkOut(BaseModel):
    """What a kept copy is evidence for."""

    target: str = Field(description="factcheck | alert")
    id: int


class CaptureOut(BaseModel):
    """A kept copy of a page (or the request for one) as the API describes it."""

    id: int
    url: str = Field(description="the address asked for")
    final_url: str | None = Field(None, description="where the redirects ended")
    status: str = Field(description="pending | done | failed")
    status_label: str
    requested_at: str
    requested_by: str | None
    attempts: int
    next_attempt_at: str | None
    last_error: str | None
    last_error_reason: str | None
    fetched_at: str | None = Field(None, description="when the page was fetched (the WARC-Date)")
    http_status: int | None
    content_type: str | None
    size: int | None = Field(None, description="bytes of the page as served")
    content_sha256: str | None = Field(None, description="SHA-256 of the page's bytes as fetched (the integrity figure)")
    redacted: bool = Field(False, description="authors' identifiers were taken out of what is kept (hash_authors)")
    title: str | None
    links: list[CaptureLinkOut]
    parts: dict[str, str] = Field(description="part name (text, html, screenshot, warc) -> API address of its download")


PART_MEDIA = {"text": "text/plain; charset=utf-8", "html": "text/html", "screenshot": "image/png",
              "warc": "application/gzip"}


def capture_out(c, lang: str = "vi") -> CaptureOut:
    """The API's description of a capture."""
    from kiemchung.labels import label

    def iso(v) -> str | None:
        return v.isoformat() if v else None

    names = {"html": c.content_sha256, "text": c.text_sha256, "screenshot": c.screenshot_sha256,
             "warc": c.warc_sha256}
    return CaptureOut(
        id=c.id, url=c.url, final_url=c.final_url, status=c.status, status_label=label("capture_status", c.status, lang),
        requested_at=iso(c.requested_at), requested_by=c.requested_by, attempts=c.attempts,
        next_attempt_at=iso(c.next_attempt_at), last_error=c.last_error, last_error_reason=c.last_error_reason,
        fetched_at=iso(c.fetched_at), http_status=c.http_status, content_type=c.content_type, size=c.size,
        content_sha256=c.content_sha256, redacted=bool((c.meta or {}).get("redacted")), title=c.title,
        links=[CaptureLinkOut(target=t, id=i) for t, i in c.links],
        parts={p: f"/api/v1/captures/{c.id}/{p}" for p in PARTS if names[p]},
    )


class CaptureIn(BaseModel):
    """A page to keep a copy of, and what it is evidence for."""

    url: str = Field(min_length=8, max_length=2000, description="an http(s) address")
    factcheck_id: int | None = Field(None, ge=1, le=MAX_ID)
    alert_id: int | None = Field(None, ge=1, le=MAX_ID)
    again: bool = Field(False, description="a new copy even when one is kept or pending (a page that changed)")


@api_router.get("/captures", response_model=list[CaptureOut], dependencies=[viewer])
def api_captures(request: Request, factcheck_id: int | None = Query(None, ge=1, le=MAX_ID),
                 document_id: int | None = Query(None, ge=1, le=MAX_ID),
                 alert_id: int | None = Query(None, ge=1, le=MAX_ID),
                 url: str | None = Query(None, min_length=1, max_length=2000),
                 status: str | None = Query(None, pattern="^(pending|done|failed)$"),
                 limit: int = Query(100, ge=1, le=500)):
    """Kept copies, newest first: of a fact-check (linked to it, its alerts, the pages it cites), of a
    document (its page, its alerts), of an address, or all."""
    db = request.app.state.db
    found = list_captures(db, factcheck_id=factcheck_id, document_id=document_id, alert_id=alert_id, url=url,
                          status=status, limit=limit)
    return [capture_out(c) for c in found]


@api_router.get("/factchecks/{fc_id}/captures", response_model=list[CaptureOut], dependencies=[viewer])
def api_factcheck_captures(request: Request, fc_id: int = Path(ge=1, le=MAX_ID)):
    """The kept copies the fact-check editor lists (404 when there is no such fact-check)."""
    from kiemchung.claims.factchecks import get_factcheck

    db = request.app.state.db
    get_factcheck(db, fc_id)
    return [capture_out(c) for c in captures_of(db, fc_id)]


@api_router.get("/documents/{doc_id}/captures", response_model=list[CaptureOut], dependencies=[viewer])
def api_document_captures(request: Request, doc_id: int = Path(ge=1, le=MAX_ID)):
    """The kept copies of a document's page and of its alerts' pages (404 when there is no such document)."""
    return [capture_out(c) for c in list_captures(request.app.state.db, document_id=doc_id, limit=100)]


@api_router.get("/captures/{capture_id}", response_model=CaptureOut, dependencies=[viewer])
def api_capture(request: Request, capture_id: int = Path(ge=1, le=MAX_ID)):
    """One kept copy: where and when it was fetched, its SHA-256, its status and parts."""
    return capture_out(get_capture(request.app.state.db, capture_id))


@api_router.get("/captures/{capture_id}/{part}", dependencies=[viewer],
                responses={200: {"content": {m: {} for m in PART_MEDIA.values()},
                                 "description": "text/plain (text), the page's own type (html), image/png "
                                                "(screenshot), application/gzip (warc, a .warc.gz download)"},
                           404: {"description": "no such capture, or it has no such part (yet)"}})
def api_capture_part(request: Request, capture_id: int = Path(ge=1, le=MAX_ID),
                     part: str = Path(pattern="^(text|html|screenshot|warc)$")):
    """A part of a kept copy: its text, its HTML (sandboxed), the screenshot PNG, or the WARC file."""
    return part_response(request.app.state.db, capture_id, part)


@api_router.post("/captures", response_model=CaptureOut, status_code=202, dependencies=[editor, csrf])
def api_capture_request(request: Request, body: CaptureIn, user=editor):
    """Ask for a kept copy of a page (editor; audited as ``capture.request``). The copy is taken by the
    background stage (``kiemchung watch``, the workers, ``kiemchung evidence run``): poll
    ``GET /api/v1/captures/ID`` until its status is ``done`` or ``failed``. A copy already kept or
    pending for the address is returned (with the new links) unless ``again``."""
    from kiemchung.captures import request_capture

    db = request.app.state.db
    if body.factcheck_id is not None:
        from kiemchung.claims.factchecks import get_factcheck

        get_factcheck(db, body.factcheck_id)
    if body.alert_id is not None:
        from sqlalchemy import select

        from kiemchung.claims.tables import alerts
        from kiemchung.errors import NotFoundError

        with db.read() as conn:
            if conn.execute(select(alerts.c.id).where(alerts.c.id == body.alert_id)).first() is None:
                raise NotFoundError(f"Không tìm thấy cảnh báo (alert not found): {body.alert_id}")
    return capture_out(request_capture(db, body.url.strip(), factcheck_id=body.factcheck_id,
                                       alert_id=body.alert_id, actor=user, again=body.again))

