"""The "Đọc ảnh" page: an editor uploads a screenshot or photo and sees it next to its recognised text
(each line with its confidence) and, for an official letter, the letter's number, date, issuing body
and signer beside the stored statements with the same number, issuer or subject (forged-letter assist:
an aid, never a verdict). The letter panel is the template ``_letter_check.html``; the tips page includes
it with :func:`letter_panel` for a tip's image."""

from __future__ import annotations

import base64
import io

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from kiemchung.errors import KiemchungError
from kiemchung.web.app import check_csrf, editor, render

router = APIRouter(include_in_schema=False)
csrf = Depends(check_csrf)

MAX_UPLOAD = 15 * 1024 * 1024

MESSAGES: dict[str, dict[str, str]] = {
    "nav_ocr": {"vi": "Đọc ảnh", "en": "Read an image"},
    "ocr_title": {"vi": "Đọc chữ trong ảnh, kiểm tra công văn", "en": "Read the text of an image, check a letter"},
    "ocr_note": {
        "vi": "Tải lên ảnh chụp màn hình hoặc ảnh chụp (PNG, JPEG, GIF, WebP). Chữ tiếng Việt được nhận dạng "
              "bằng Tesseract; nếu là công văn, số, ngày, cơ quan ban hành và người ký được đặt cạnh các văn bản "
              "đã lưu có cùng số hoặc cùng cơ quan.",
        "en": "Upload a screenshot or photo (PNG, JPEG, GIF, WebP). Its Vietnamese text is recognised with "
              "Tesseract; for an official letter, its number, date, issuing body and signer are put next to "
              "the stored statements with the same number or issuer.",
    },
    "ocr_file": {"vi": "Tệp ảnh", "en": "Image file"},
    "ocr_submit": {"vi": "Đọc ảnh", "en": "Read"},
    "ocr_image": {"vi": "Ảnh", "en": "Image"},
    "ocr_text": {"vi": "Chữ nhận dạng được", "en": "Recognised text"},
    "ocr_confidence": {"vi": "Độ tin cậy", "en": "Confidence"},
    "ocr_lines": {"vi": "Từng dòng và độ tin cậy", "en": "Each line and its confidence"},
    "ocr_none": {"vi": "Không nhận ra chữ nào trong ảnh.", "en": "No text was found in the image."},
    "ocr_error": {"vi": "Không đọc được ảnh", "en": "The image could not be read"},
    "lc_title": {"vi": "Đối chiếu công văn", "en": "Letter check"},
    "lc_note": {
        "vi": "Chỉ để đối chiếu, không phải kết luận: không có văn bản cùng số chưa chắc là giả, có văn bản "
              "cùng số chưa chắc là thật.",
        "en": "An aid to checking, not a verdict: no stored statement with the same number does not prove a "
              "forgery, and one does not prove the letter genuine.",
    },
    "lc_not_letter": {"vi": "Ảnh này không giống một công văn (không thấy số văn bản, cơ quan ban hành và ngày).",
                      "en": "This image does not look like an official letter (no number, issuer and date found)."},
    "lc_none": {"vi": "Không có văn bản nào đã lưu.", "en": "No stored statement."},
}


def image_data_url(data: bytes, *, max_side: int = 1400) -> str:
    """The image re-encoded as a PNG data URL (what the page shows: never the bytes as sent)."""
    from kiemchung.images.ocr import load_image

    im = load_image(data).copy()
    im.thumbnail((max_side, max_side))
    if im.mode not in ("RGB", "L"):
        im = im.convert("RGB")
    buf = io.BytesIO()
    im.save(buf, format="PNG", optimize=False)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def letter_panel(db, image: bytes | None = None, *, text: str | None = None) -> dict:
    """What ``_letter_check.html`` shows (``{% include "_letter_check.html" %}`` with ``lc`` set to this):
    the letter check of an image (OCR'd here) or of text already recognised. For the tips page."""
    from kiemchung.images.letters import check_letter, check_letter_image

    check = check_letter(db, text) if text is not None else check_letter_image(db, image)
    return check.to_dict()


@router.get("/ocr", response_class=HTMLResponse, dependencies=[editor])
def ocr_form(request: Request):
    """The upload form."""
    return render(request, "ocr.html", result=None, lc=None, image_url=None, error=None)


@router.post("/ocr", response_class=HTMLResponse, dependencies=[editor, csrf])
async def ocr_upload(request: Request, image: UploadFile = File(None)):
    """Recognise an uploaded image and check it as a letter."""
    from kiemchung.images.letters import check_letter
    from kiemchung.images.ocr import recognize

    db = request.app.state.db
    data = await image.read(MAX_UPLOAD + 1) if image is not None else b""
    error = None
    result = lc = image_url = None
    try:
        if len(data) > MAX_UPLOAD:
            raise KiemchungError(f"Ảnh quá lớn, tối đa {MAX_UPLOAD // 2**20} MB (image too large)")
        result = recognize(data)
        image_url = image_data_url(data)
        lc = check_letter(db, result.text).to_dict()
    except KiemchungError as exc:
        error = str(exc)
    return render(request, "ocr.html", status_code=400 if error else 200, result=result, lc=lc,
                  image_url=image_url, error=error)


# -- API ---------------------------------------------------------------------------------------------

api_router = APIRouter(prefix="/api/v1", tags=["api"])


class OcrIn(BaseModel):
    """An image to read (base64 of PNG/JPEG/GIF/WebP bytes) and whether to check it as an official letter."""

    image: str = Field(..., min_length=1, max_length=MAX_UPLOAD * 4 // 3 + 4, description="base64 image bytes")
    letter: bool = False


class OcrLineOut(BaseModel):
    text: str
    confidence: float
    left: int
    top: int
    width: int
    height: int


class OcrOut(BaseModel):
    """The recognised text, each line with Tesseract's confidence (0-100) and its box, and, with
    ``letter``, the forged-letter check (fields and stored statements; an aid, never a verdict)."""

    text: str
    confidence: float
    lines: list[OcrLineOut]
    width: int
    height: int
    steps: list[str]
    language: str
    letter: dict | None = None


@api_router.post("/ocr", response_model=OcrOut, dependencies=[editor, csrf])
def api_ocr(request: Request, body: OcrIn):
    """Read the Vietnamese text of an image (Tesseract ``vie``); 400 for a bad image, with the reason."""
    import binascii

    from kiemchung.images.letters import check_letter
    from kiemchung.images.ocr import recognize

    try:
        data = base64.b64decode(body.image, validate=True)
    except (binascii.Error, ValueError):
        raise KiemchungError("Ảnh không phải base64 hợp lệ (image is not valid base64)") from None
    result = recognize(data)
    out = result.to_dict()
    if body.letter:
        out["letter"] = check_letter(request.app.state.db, result.text).to_dict()
    return out
