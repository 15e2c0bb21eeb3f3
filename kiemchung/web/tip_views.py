"""Tips on the web: the public form (/tin-bao, no login) and the tipper's status page, the editors'
"Tin báo" queue (grouped, with matches and the reply action), and the API (/api/v1/tips, the public
POST /api/v1/public/tips). Everything else is :mod:`kiemchung.tips`.

Abuse limits of the public form, without any third-party service: a request larger than the caps is
refused before its body is read, at most ``tips_max_images`` files of ``tips_max_image_kb`` each,
images checked by their bytes, ``tips_per_hour`` tips per client address (hashed), and a honeypot
field people never see (a bot that fills it in is answered as if it had succeeded)."""

from __future__ import annotations

import base64
import binascii
import logging
import threading
from typing import Any

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from kiemchung.errors import KiemchungError, NotFoundError
from kiemchung.store import settings
from kiemchung.tips import service as S
from kiemchung.web.app import check_csrf, editor, render, viewer
from kiemchung.web.params import MAX_ID

log = logging.getLogger(__name__)

router = APIRouter(include_in_schema=False)
api_router = APIRouter(prefix="/api/v1", tags=["api"])
csrf = Depends(check_csrf)

FORM_PATH = "/tin-bao"
HONEYPOT = "website"

MESSAGES: dict[str, dict[str, str]] = {
    "nav_tips": {"vi": "Tin báo", "en": "Tips"},
    "tp_form_title": {"vi": "Gửi tin báo", "en": "Send a tip"},
    "tp_form_intro": {
        "vi": "Bạn thấy một thông tin, ảnh chụp văn bản hay tin nhắn đáng ngờ? Gửi cho chúng tôi để kiểm chứng. "
              "Không cần đăng nhập.",
        "en": "Seen a doubtful claim, a screenshot of a letter or a forwarded message? Send it to us to check. "
              "No login needed.",
    },
    "tp_text": {"vi": "Nội dung bạn muốn hỏi", "en": "What you want checked"},
    "tp_link": {"vi": "Đường dẫn (nếu có)", "en": "Link (if any)"},
    "tp_images": {"vi": "Ảnh (tối đa {n} ảnh, mỗi ảnh {kb} KB)", "en": "Images (at most {n}, {kb} KB each)"},
    "tp_contact": {"vi": "Thư điện tử hoặc số điện thoại để nhận trả lời (không bắt buộc)",
                   "en": "E-mail or phone for an answer (optional)"},
    "tp_consent": {
        "vi": "Tôi đồng ý để cơ quan lưu địa chỉ liên hệ này chỉ để trả lời tin báo của tôi.",
        "en": "I agree that the office keeps this contact only to answer my tip.",
    },
    "tp_consent_note": {
        "vi": "Không đánh dấu ô này thì địa chỉ liên hệ không được lưu; bạn vẫn xem được trả lời qua đường dẫn riêng.",
        "en": "Without this box ticked the contact is not stored; you can still read the answer at your private link.",
    },
    "tp_honeypot": {"vi": "Để trống ô này", "en": "Leave this empty"},
    "tp_send": {"vi": "Gửi tin báo", "en": "Send the tip"},
    "tp_closed": {"vi": "Mẫu gửi tin báo đang đóng.", "en": "The tip form is closed."},
    "tp_thanks": {"vi": "Cảm ơn bạn, chúng tôi đã nhận tin báo.", "en": "Thank you, your tip has been received."},
    "tp_keep_link": {
        "vi": "Hãy lưu đường dẫn của trang này: câu trả lời của biên tập viên sẽ hiện ở đây. Chỉ người có đường dẫn mới xem được.",
        "en": "Keep this page's address: the editors' answer will appear here. Only someone with the link can see it.",
    },
    "tp_status_title": {"vi": "Tin báo của bạn", "en": "Your tip"},
    "tp_received": {"vi": "Nhận lúc", "en": "Received"},
    "tp_state": {"vi": "Tình trạng", "en": "State"},
    "tp_answer": {"vi": "Trả lời", "en": "Answer"},
    "tp_no_answer": {"vi": "Chưa có trả lời. Biên tập viên sẽ xem tin báo của bạn.",
                     "en": "No answer yet. An editor will look at your tip."},
    "tp_queue_title": {"vi": "Tin báo", "en": "Tips"},
    "tp_queue_note": {
        "vi": "Tin báo gửi qua mẫu công khai, thư điện tử và Telegram. Tin giống nhau được gộp, kèm số người đã hỏi. "
              "Không có câu trả lời nào được gửi tự động: biên tập viên chọn gửi bài kiểm chứng hoặc tự viết.",
        "en": "Tips from the public form, e-mail and Telegram. The same tip sent by many is grouped with a count. "
              "Nothing is answered automatically: an editor chooses to send a fact-check or writes an answer.",
    },
    "tp_public_link": {"vi": "Địa chỉ mẫu gửi tin để đặt trên cổng thông tin", "en": "Form address to link from the portal"},
    "tp_asked": {"vi": "{n} người đã hỏi về tin này", "en": "{n} people asked about this"},
    "tp_match": {"vi": "Khớp bài kiểm chứng", "en": "Matches fact-check"},
    "tp_no_match": {"vi": "chưa khớp bài kiểm chứng nào", "en": "no fact-check matched"},
    "tp_matching": {"vi": "đang so khớp…", "en": "matching…"},
    "tp_channel": {"vi": "Kênh", "en": "Channel"},
    "tp_open": {"vi": "Chưa xử lý", "en": "Open"},
    "tp_all": {"vi": "Tất cả", "en": "All"},
    "tp_none": {"vi": "Chưa có tin báo nào.", "en": "No tips yet."},
    "tp_tip": {"vi": "Tin báo", "en": "Tip"},
    "tp_images_h": {"vi": "Ảnh gửi kèm", "en": "Attached images"},
    "tp_ocr": {"vi": "Chữ nhận dạng trong ảnh", "en": "Text read from the image"},
    "tp_reply_to": {"vi": "Trả lời tới", "en": "Answer goes to"},
    "tp_reply_status_page": {"vi": "trang theo dõi của người gửi", "en": "the tipper's status page"},
    "tp_no_reply_path": {"vi": "Người gửi không để lại cách liên lạc; không thể trả lời.",
                         "en": "The tipper left no way to answer."},
    "tp_reply_h": {"vi": "Trả lời người gửi", "en": "Answer the tipper"},
    "tp_reply_fc": {"vi": "Gửi bài kiểm chứng", "en": "Send the fact-check"},
    "tp_reply_none": {"vi": "(không gửi bài kiểm chứng)", "en": "(no fact-check)"},
    "tp_reply_text": {"vi": "Lời nhắn (không bắt buộc khi đã chọn bài kiểm chứng)",
                      "en": "Message (optional when a fact-check is chosen)"},
    "tp_reply_send": {"vi": "Gửi trả lời", "en": "Send the answer"},
    "tp_reply_note": {"vi": "Câu trả lời chỉ được gửi khi bạn bấm nút, và được ghi vào nhật ký thao tác.",
                      "en": "The answer is sent only when you press the button, and is written to the audit log."},
    "tp_replied": {"vi": "Đã trả lời", "en": "Answered"},
    "tp_dismiss": {"vi": "Bỏ qua", "en": "Dismiss"},
    "tp_reopen": {"vi": "Mở lại", "en": "Reopen"},
    "tp_document": {"vi": "Tài liệu trong kho", "en": "Stored document"},
    "tp_group": {"vi": "Các tin báo cùng nội dung", "en": "Tips with the same words"},
    "tp_probability": {"vi": "xác suất", "en": "probability"},
    "tp_reply_error": {"vi": "Lỗi gửi", "en": "Delivery error"},
}


def _form_caps(db) -> tuple[int, int]:
    return settings.integer(db, "tips_max_images") or 3, settings.integer(db, "tips_max_image_kb") or 5120


def _client_ip(request: Request) -> str:
    from kiemchung.web.pages import _client_ip as ip_of

    return ip_of(request)


def _form_open(db) -> None:
    if not settings.flag(db, "tips_form"):
        raise NotFoundError("Mẫu gửi tin báo đang đóng (the tip form is closed)")


def match_soon(db, tip_id: int) -> None:
    """Match a new tip in the background (the request returns at once; the queue shows it matched
    within a moment)."""

    def run() -> None:
        try:
            S.match_tips(db, tip_ids=[tip_id])
        except Exception:  # a failed match leaves matched_at empty: the watch/worker stage retries it
            log.exception("matching tip %s", tip_id)

    threading.Thread(target=run, name=f"tip-match-{tip_id}", daemon=True).start()


# -- the public form ---------------------------------------------------------------------------------


@router.get(FORM_PATH, response_class=HTMLResponse)
def tip_form(request: Request):
    """The public tip form (no login), at an address an office can link from its portal."""
    db = request.app.state.db
    _form_open(db)
    n, kb = _form_caps(db)
    return render(request, "tip_form.html", max_images=n, max_kb=kb, error=None, values={})


@router.post(FORM_PATH, response_class=HTMLResponse)
async def tip_submit(request: Request):
    """Take a tip from the form; answers with the tipper's status page (its secret link)."""
    from starlette.concurrency import run_in_threadpool

    db = request.app.state.db
    _form_open(db)
    n, kb = _form_caps(db)
    limit = n * kb * 1024 + 64 * 1024
    size = request.headers.get("content-length")
    if size is None or not size.isdigit() or int(size) > limit:
        return render(request, "tip_form.html", 413, max_images=n, max_kb=kb, values={},
                      error=f"Tin báo quá lớn: tối đa {n} ảnh, mỗi ảnh {kb} KB "
                            f"(tip too large: at most {n} images of {kb} KB)")
    try:
        form = await request.form(max_files=n + 1, max_fields=20)
    except Exception:  # a malformed multipart body
        return render(request, "tip_form.html", 400, max_images=n, max_kb=kb, values={},
                      error="Không đọc được dữ liệu gửi lên (the form data could not be read)")
    values = {k: str(form.get(k) or "") for k in ("text", "link", "contact")}
    if str(form.get(HONEYPOT) or ""):  # a bot filled the hidden field: pretend, keep nothing
        return render(request, "tip_status.html", 200, tip=None, secret=None, fresh=True)
    images = []
    for item in form.getlist("images"):
        if hasattr(item, "read"):
            data = await item.read(kb * 1024 + 1)
            if data:
                images.append(S.TipImage(data, getattr(item, "content_type", "") or "", item.filename or ""))
    try:
        tip, secret = await run_in_threadpool(
            S.submit_tip, db, channel="form", text=values["text"], link=values["link"], images=images,
            contact=values["contact"], consent=bool(form.get("consent")), ip=_client_ip(request))
    except S.TipRateLimited as exc:
        resp = render(request, "tip_form.html", 429, max_images=n, max_kb=kb, values=values, error=str(exc))
        resp.headers["Retry-After"] = str(int(exc.retry_after) + 1)
        return resp
    except KiemchungError as exc:
        return render(request, "tip_form.html", 400, max_images=n, max_kb=kb, values=values, error=str(exc))
    match_soon(db, tip.id)
    return RedirectResponse(f"{FORM_PATH}/theo-doi/{secret}", status_code=303)


@router.get(FORM_PATH + "/theo-doi/{secret}", response_class=HTMLResponse)
def tip_status_page(request: Request, secret: str = Path(max_length=100)):
    """The tipper's own page: when the tip was received, and the editors' answer once sent."""
    tip = S.tip_by_secret(request.app.state.db, secret)
    resp = render(request, "tip_status.html", tip=tip, secret=secret, fresh=False)
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["Referrer-Policy"] = "no-referrer"
    return resp


# -- the editors' queue -------------------------------------------------------------------------------


@router.get("/tips", response_class=HTMLResponse, dependencies=[viewer])
def tips_page(request: Request, status: str = Query("new", max_length=12)):
    """The queue: tips grouped (same or nearly the same words) with the count, and their matches."""
    from kiemchung.claims.factchecks import get_factcheck

    db = request.app.state.db
    if status not in (*S.STATUSES, "all"):
        status = "new"
    groups = S.grouped_tips(db, status=None if status == "all" else status)
    fcs = {}
    for g in groups:
        for m in (g.best,) if g.best else ():
            if m["factcheck_id"] not in fcs:
                try:
                    fcs[m["factcheck_id"]] = get_factcheck(db, m["factcheck_id"])
                except NotFoundError:
                    pass
    form_url = _absolute(request, FORM_PATH)
    return render(request, "tips.html", groups=groups, fcs=fcs, status=status, counts=S.counts(db),
                  form_url=form_url)


def _absolute(request: Request, path: str) -> str:
    base = (settings.value(request.app.state.db, "site_url") or "").rstrip("/") or str(request.base_url).rstrip("/")
    return base + path


def _ocr_texts(db, tip: S.Tip) -> dict[str, str]:
    """OCR text per image (from the OCR stage, when it has read them)."""
    if not tip.doc_id:
        return {}
    try:
        doc = db.get_document(tip.doc_id)
    except NotFoundError:
        return {}
    ocr = (doc.meta or {}).get("ocr") or {}
    return {k: v.get("text", "") if isinstance(v, dict) else str(v) for k, v in ocr.items()} if isinstance(ocr, dict) else {}


@router.get("/tips/{tip_id}", response_class=HTMLResponse, dependencies=[viewer])
def tip_page(request: Request, tip_id: int = Path(ge=1, le=MAX_ID)):
    """One tip: its text, images (with their OCR text), matches, group, and the reply form (editors)."""
    from kiemchung.claims.factchecks import get_factcheck, list_factchecks

    db = request.app.state.db
    tip = S.get_tip(db, tip_id)
    fcs = {}
    for m in tip.matches:
        try:
            fcs[m["factcheck_id"]] = get_factcheck(db, m["factcheck_id"])
        except NotFoundError:
            pass
    same = [x for x in S.list_tips(db, limit=500) if x.group == tip.group and x.id != tip.id][:50] \
        if tip.group is not None and tip.group_size > 1 else []
    published = list_factchecks(db, status="published", limit=200)
    ocr = _ocr_texts(db, tip)
    return render(request, "tip.html", tip=tip, fcs=fcs, same=same, published=published, ocr=ocr,
                  letter_checks=_letter_checks(db, ocr), error=request.query_params.get("error"))


def _letter_checks(db, ocr: dict[str, str]) -> list[dict]:
    """The forged-letter check (kiemchung.web.ocr_views.letter_panel) of each image whose text reads as an
    official letter (a number, or an issuer and a date)."""
    from kiemchung.images.letters import extract_fields
    from kiemchung.web.ocr_views import letter_panel

    return [letter_panel(db, text=txt) for txt in ocr.values() if txt and extract_fields(txt).found]


@router.get("/tips/{tip_id}/images/{sha}", dependencies=[viewer])
def tip_image(request: Request, tip_id: int = Path(ge=1, le=MAX_ID), sha: str = Path(max_length=64)):
    """An image of a tip, as sent (never rendered as anything but the image type it was checked to be)."""
    db = request.app.state.db
    tip = S.get_tip(db, tip_id)
    img = next((i for i in tip.images if i.get("sha256") == sha), None)
    if img is None:
        raise NotFoundError("Không có ảnh này (no such image)")
    return Response(S.image_bytes(db, sha), media_type=img.get("type") or "application/octet-stream",
                    headers={"Content-Security-Policy": "default-src 'none'", "Cache-Control": "private, max-age=3600",
                             "X-Content-Type-Options": "nosniff"})


@router.post("/tips/{tip_id}/reply", dependencies=[editor, csrf])
def tip_reply(request: Request, tip_id: int = Path(ge=1, le=MAX_ID), factcheck_id: str = Form("", max_length=12),
              text: str = Form("", max_length=S.MAX_TEXT), user=editor):
    """Send the chosen fact-check or a written answer back by the tip's channel (audited)."""
    from urllib.parse import quote

    fc = int(factcheck_id) if factcheck_id.strip().isdigit() else None
    try:
        S.reply_tip(request.app.state.db, tip_id, factcheck_id=fc, text=text or None, actor=user)
    except KiemchungError as exc:
        return RedirectResponse(f"/tips/{tip_id}?error={quote(str(exc)[:300])}", status_code=303)
    return RedirectResponse(f"/tips/{tip_id}", status_code=303)


@router.post("/tips/{tip_id}/status", dependencies=[editor, csrf])
def tip_set_status(request: Request, tip_id: int = Path(ge=1, le=MAX_ID), status: str = Form(..., max_length=12),
                   user=editor):
    """Dismiss a tip (nothing to answer) or reopen it (audited)."""
    S.set_status(request.app.state.db, tip_id, status, actor=user)
    return RedirectResponse(f"/tips/{tip_id}", status_code=303)


# -- API ------------------------------------------------------------------------------------------------


class TipMatchOut(BaseModel):
    """A published fact-check a tip matched."""

    factcheck_id: int
    score: float
    level: str = Field(description="repeat | related (the alert verifier's levels)")
    probability: float


class TipImageOut(BaseModel):
    sha256: str
    type: str
    size: int


class TipOut(BaseModel):
    """A tip as the API returns it (never the address to answer to, nor any hash)."""

    id: int
    doc_id: int | None
    channel: str = Field(description="form | email | telegram")
    status: str = Field(description="new | replied | dismissed")
    text: str
    link: str | None
    images: list[TipImageOut]
    received_at: str | None
    matches: list[TipMatchOut]
    matched_at: str | None = Field(description="null until the tip has been matched")
    group: int | None = Field(description="near-duplicate group (tips with the same or nearly the same words)")
    group_size: int = Field(description="how many tips are in the group ('42 people asked about this')")
    reply_text: str | None
    reply_factcheck_id: int | None
    reply_status: str | None = Field(description="shown | sent | failed")
    replied_at: str | None
    can_reply: bool


class TipIn(BaseModel):
    """A tip sent to the public endpoint (images as base64; the same caps as the form)."""

    text: str = Field("", max_length=S.MAX_TEXT)
    link: str | None = Field(None, max_length=S.MAX_LINK)
    contact: str | None = Field(None, max_length=S.MAX_CONTACT)
    consent: bool = False
    images: list[str] = Field(default_factory=list, max_length=10, description="base64 PNG/JPEG/GIF/WebP")


class TipReceiptOut(BaseModel):
    """What the tipper gets back: the tip's number and the secret of its status page."""

    id: int
    status_url: str


class ReplyIn(BaseModel):
    factcheck_id: int | None = Field(None, ge=1, le=MAX_ID)
    text: str | None = Field(None, max_length=S.MAX_TEXT)


class TipStatusIn(BaseModel):
    status: str = Field(description="new | dismissed")


def _out(tip: S.Tip) -> dict[str, Any]:
    out = tip.public()
    out["images"] = [{"sha256": i.get("sha256", ""), "type": i.get("type", ""), "size": i.get("size", 0)}
                     for i in tip.images]
    return out


@api_router.get("/tips", response_model=list[TipOut], dependencies=[viewer])
def api_tips(request: Request, status: str | None = Query(None, pattern="^(new|replied|dismissed)$"),
             channel: str | None = Query(None, pattern="^(form|email|telegram)$"),
             matched: bool | None = None, limit: int = Query(100, ge=1, le=500)):
    """Tips, newest first, each with its group's size and its matches."""
    return [_out(x) for x in S.list_tips(request.app.state.db, status=status, channel=channel, matched=matched,
                                         limit=limit)]


@api_router.get("/tips/{tip_id}", response_model=TipOut, dependencies=[viewer])
def api_tip(request: Request, tip_id: int = Path(ge=1, le=MAX_ID)):
    """One tip."""
    return _out(S.get_tip(request.app.state.db, tip_id))


@api_router.post("/tips/{tip_id}/reply", response_model=TipOut, dependencies=[editor, csrf])
def api_tip_reply(request: Request, body: ReplyIn, tip_id: int = Path(ge=1, le=MAX_ID), user=editor):
    """Answer a tip by its channel with a published fact-check and/or a written answer (audited; never
    automatic). 502 when delivery failed (recorded on the tip)."""
    try:
        tip = S.reply_tip(request.app.state.db, tip_id, factcheck_id=body.factcheck_id, text=body.text, actor=user)
    except S.ReplyError as exc:
        return JSONResponse({"detail": str(exc)}, status_code=502)
    return _out(tip)


@api_router.post("/tips/{tip_id}/status", response_model=TipOut, dependencies=[editor, csrf])
def api_tip_status(request: Request, body: TipStatusIn, tip_id: int = Path(ge=1, le=MAX_ID), user=editor):
    """Dismiss or reopen a tip (audited)."""
    return _out(S.set_status(request.app.state.db, tip_id, body.status, actor=user))


def _cap_body(request: Request) -> None:
    """Refuse a public request larger than the caps before its body is read (413)."""
    from fastapi import HTTPException

    n, kb = _form_caps(request.app.state.db)
    size = request.headers.get("content-length")
    if size is None or not size.isdigit() or int(size) > n * kb * 1400 + 64 * 1024:  # base64: 4/3 of the bytes
        raise HTTPException(413, f"Tin báo quá lớn: tối đa {n} ảnh, mỗi ảnh {kb} KB "
                                 f"(tip too large: at most {n} images of {kb} KB)")


@api_router.post("/public/tips", response_model=TipReceiptOut, status_code=201, dependencies=[Depends(_cap_body)])
def api_public_tip(request: Request, body: TipIn):
    """Send a tip (no login; the form's limits apply: rate per address, image count, size and type).
    429 with Retry-After when the address sent too many."""
    db = request.app.state.db
    _form_open(db)
    images = []
    for i, b64 in enumerate(body.images):
        try:
            images.append(S.TipImage(base64.b64decode(b64, validate=True), "", f"anh-{i + 1}"))
        except (binascii.Error, ValueError):
            return JSONResponse({"detail": f"Ảnh {i + 1} không phải base64 hợp lệ (image {i + 1} is not valid base64)"},
                                status_code=400)
    try:
        tip, secret = S.submit_tip(db, channel="form", text=body.text, link=body.link, images=images,
                                   contact=body.contact, consent=body.consent, ip=_client_ip(request))
    except S.TipRateLimited as exc:
        return JSONResponse({"detail": str(exc)}, status_code=429,
                            headers={"Retry-After": str(int(exc.retry_after) + 1)})
    match_soon(db, tip.id)
    return {"id": tip.id, "status_url": _absolute(request, f"{FORM_PATH}/theo-doi/{secret}")}
