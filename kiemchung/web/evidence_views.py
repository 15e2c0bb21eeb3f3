"""Kept copies of pages in the workbench: one capture's page, its parts (text, sandboxed HTML,
screenshot, WARC download), and the editor's "keep a copy now" actions. The fact-check editor lists
the captures of a fact-check (:func:`captures_of`); everything else is :mod:`kiemchung.captures`."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from kiemchung.captures import blob, capture_url, get_capture, list_captures, take_capture
from kiemchung.errors import ConfigError, KiemchungError
from kiemchung.web.app import check_csrf, editor, render, viewer
from kiemchung.web.params import MAX_ID

router = APIRouter(include_in_schema=False)
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
    from kiemchung.errors import NotFoundError

    if part not in PARTS:
        raise NotFoundError(f"Không có phần này (no such part): {part}")
    c = get_capture(request.app.state.db, capture_id)
    data = blob(request.app.state.db, c, part)
    media, filename = PARTS[part]
    if part == "html":
        media = c.content_type or "text/html"
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
