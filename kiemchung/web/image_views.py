"""Images in the workbench and the API: stored images served safely, the images a fact-check is about
(editor section + API), and matching an uploaded image against them. Everything else is
:mod:`kiemchung.images`.

A stored image is only ever the store's clean re-encoded copy, served with the type it is
(``image/jpeg`` or ``image/png``, never what a sender declared), ``nosniff``, a CSP that allows nothing
(an image opened directly cannot run anything), and ``inline`` with a safe file name. SVG is never
accepted by the store.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, File, Path, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel

from kiemchung.errors import KiemchungError
from kiemchung.web.app import check_csrf, editor, render, viewer
from kiemchung.web.params import MAX_ID

router = APIRouter(include_in_schema=False)
api_router = APIRouter(prefix="/api/v1", tags=["api"])
csrf = Depends(check_csrf)

MESSAGES: dict[str, dict[str, str]] = {
    "im_section": {"vi": "Ảnh của bài kiểm chứng", "en": "Images this fact-check is about"},
    "im_note": {
        "vi": "Ảnh giống các ảnh này (đổi cỡ, nén lại, cắt, thêm chữ) trong tài liệu mới sẽ tạo cảnh báo như khi lặp lại nhận định.",
        "en": "A new document carrying one of these images (resized, re-compressed, cropped, captioned) raises an alert, as a repeated claim does.",
    },
    "im_none": {"vi": "Chưa có ảnh nào.", "en": "No images yet."},
    "im_add": {"vi": "Thêm ảnh", "en": "Add an image"},
    "im_remove": {"vi": "Bỏ ảnh", "en": "Remove"},
    "im_image": {"vi": "Ảnh", "en": "Image"},
    "im_types": {"vi": "JPEG, PNG, GIF hoặc WebP", "en": "JPEG, PNG, GIF or WebP"},
}

# What a stored image is served with (the store only ever keeps these two types).
_EXT = {"image/jpeg": "jpg", "image/png": "png"}
IMAGE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'self'; sandbox",
    "Cache-Control": "private, max-age=86400, immutable",
    "Cross-Origin-Resource-Policy": "same-origin",
}


def images_of(db, factcheck_id: int) -> list:
    """The images the fact-check editor shows (none without the images extra)."""
    try:
        from kiemchung.images.store import ImageStore
    except ImportError:
        return []
    return ImageStore(db).for_target("factcheck", factcheck_id)


def image_response(db, image_id: int) -> Response:
    """The clean copy of a stored image, served safely."""
    from kiemchung.images.store import ImageStore

    store = ImageStore(db)
    image = store.get(image_id)
    ext = _EXT.get(image.mime)
    if ext is None:  # cannot happen: the store re-encodes everything as JPEG or PNG
        raise KiemchungError(f"Kiểu ảnh không phục vụ được (image type not served): {image.mime}")
    headers = dict(IMAGE_HEADERS, **{"Content-Disposition": f'inline; filename="anh-{image.id}.{ext}"',
                                     "ETag": f'"{image.sha256}"'})
    return Response(store.data(image), media_type=image.mime, headers=headers)


async def _upload(image: UploadFile | None, db) -> bytes:
    from kiemchung.images.store import ImageError, ImageStore

    cap = ImageStore(db).max_bytes
    data = await image.read(cap + 1) if image is not None else b""
    if len(data) > cap:
        raise ImageError("image_too_large", f"> {cap:,} bytes")
    return data


@router.get("/images/{image_id}", dependencies=[viewer])
def image_file(request: Request, image_id: int = Path(ge=1, le=MAX_ID)):
    """A stored image (the clean copy)."""
    return image_response(request.app.state.db, image_id)


@router.post("/factchecks/{fc_id}/images", dependencies=[editor, csrf])
async def factcheck_image_add(request: Request, fc_id: int = Path(ge=1, le=MAX_ID),
                              image: UploadFile = File(None), user=editor):
    """The editor's "add an image" form."""
    from kiemchung.audit import actor_name
    from kiemchung.images.match import attach_to_factcheck

    db = request.app.state.db
    try:
        attach_to_factcheck(db, fc_id, await _upload(image, db), editor=actor_name(user) or "?", actor=user)
    except KiemchungError as exc:
        return render(request, "message.html", 400, message=str(exc), missing=False, details=None)
    return RedirectResponse(f"/factchecks/{fc_id}#images", status_code=303)


@router.post("/factchecks/{fc_id}/images/{image_id}/remove", dependencies=[editor, csrf])
def factcheck_image_remove(request: Request, fc_id: int = Path(ge=1, le=MAX_ID),
                           image_id: int = Path(ge=1, le=MAX_ID), user=editor):
    """Untie an image from a fact-check."""
    from kiemchung.audit import actor_name
    from kiemchung.images.match import detach_from_factcheck

    detach_from_factcheck(request.app.state.db, fc_id, image_id, editor=actor_name(user) or "?", actor=user)
    return RedirectResponse(f"/factchecks/{fc_id}#images", status_code=303)


# -- API ---------------------------------------------------------------------------------------------

class ImageOut(BaseModel):
    """A stored image: what it is (the clean copy kept), its perceptual hash, warnings noted keeping it."""

    id: int
    sha256: str
    mime: str
    source_format: str
    width: int
    height: int
    size: int
    frames: int
    phash: str
    warnings: list[str]
    warning_labels: list[str]
    created_at: str | None
    url: str
    links: list[dict[str, Any]] = []


class ImageMatchOut(BaseModel):
    """A fact-check whose image matches: by pHash distance of the whole pictures (bits of 64, method
    ``phash``), or by a window of the upload (cropped, caption band removed) within ``distance`` pHash
    bits and ``second`` dHash bits of a window of the fact-check's image (method ``window``); ``colour``:
    mean difference of the colour layouts (grey levels of 255; null for images kept before them);
    ``segments``/``of_segments`` are kept for compatibility and are 0."""

    factcheck_id: int
    claim: str
    verdict: str
    status: str
    image_id: int
    distance: int
    method: str
    segments: int
    of_segments: int
    second: int = 0
    colour: float | None = None


def _out(store, image, *, links: bool = False, lang: str = "vi") -> ImageOut:
    from kiemchung.labels import label

    data = image.public()
    return ImageOut(**{k: data[k] for k in ("id", "sha256", "mime", "source_format", "width", "height", "size",
                                            "frames", "phash", "warnings", "created_at")},
                    warning_labels=[label("image_problem", w, lang) for w in image.warnings],
                    url=f"/api/v1/images/{image.id}/file", links=store.links(image.id) if links else [])


@api_router.get("/images/{image_id}", response_model=ImageOut, dependencies=[viewer])
def api_image(request: Request, image_id: int = Path(ge=1, le=MAX_ID)):
    """A stored image's description and what it is tied to (documents, fact-checks)."""
    from kiemchung.images.store import ImageStore

    store = ImageStore(request.app.state.db)
    return _out(store, store.get(image_id), links=True)


@api_router.get("/images/{image_id}/file", dependencies=[viewer],
                responses={200: {"content": {"image/jpeg": {}, "image/png": {}}}})
def api_image_file(request: Request, image_id: int = Path(ge=1, le=MAX_ID)):
    """The stored image itself (JPEG or PNG, re-encoded without metadata)."""
    return image_response(request.app.state.db, image_id)


@api_router.get("/factchecks/{fc_id}/images", response_model=list[ImageOut], dependencies=[viewer])
def api_factcheck_images(request: Request, fc_id: int = Path(ge=1, le=MAX_ID)):
    """The images a fact-check is about."""
    from kiemchung.claims.factchecks import get_factcheck
    from kiemchung.images.store import ImageStore

    db = request.app.state.db
    get_factcheck(db, fc_id)
    store = ImageStore(db)
    return [_out(store, i) for i in store.for_target("factcheck", fc_id)]


@api_router.post("/factchecks/{fc_id}/images", response_model=ImageOut, status_code=201,
                 dependencies=[editor, csrf])
async def api_factcheck_image_add(request: Request, fc_id: int = Path(ge=1, le=MAX_ID),
                                  image: UploadFile = File(...), user=editor):
    """Add an image to a fact-check (multipart field ``image``); 400 with the reason when refused."""
    from kiemchung.audit import actor_name
    from kiemchung.images.match import attach_to_factcheck
    from kiemchung.images.store import ImageStore

    db = request.app.state.db
    img = attach_to_factcheck(db, fc_id, await _upload(image, db), editor=actor_name(user) or "?", actor=user)
    return _out(ImageStore(db), img)


@api_router.delete("/factchecks/{fc_id}/images/{image_id}", dependencies=[editor])
def api_factcheck_image_remove(request: Request, fc_id: int = Path(ge=1, le=MAX_ID),
                               image_id: int = Path(ge=1, le=MAX_ID), user=editor) -> dict[str, Any]:
    """Untie an image from a fact-check."""
    from kiemchung.audit import actor_name
    from kiemchung.errors import NotFoundError
    from kiemchung.images.match import detach_from_factcheck

    if not detach_from_factcheck(request.app.state.db, fc_id, image_id, editor=actor_name(user) or "?", actor=user):
        raise NotFoundError(f"Ảnh #{image_id} không thuộc bài kiểm chứng #{fc_id} (image not tied to this fact-check)")
    return {"factcheck_id": fc_id, "image_id": image_id, "removed": True}


@api_router.post("/images/match", response_model=list[ImageMatchOut], dependencies=[viewer, csrf])
async def api_image_match(request: Request, image: UploadFile = File(...)):
    """The fact-checks whose images match the uploaded image (nothing is stored), best first."""
    from kiemchung.images.match import match_factchecks

    db = request.app.state.db
    return [ImageMatchOut(**m.public()) for m in match_factchecks(db, await _upload(image, db))]
