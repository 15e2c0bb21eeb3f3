"""The source directory page: each source's outlet, type, province, language and collections
(editors change them), collections, the directory as CSV, and the starter directory (admins load it)."""

from __future__ import annotations

import io

from fastapi import APIRouter, Depends, File, Form, Path, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from kiemchung.errors import KiemchungError
from kiemchung.sources import directory as D
from kiemchung.web import queries
from kiemchung.web.app import admin, check_csrf, editor, lang_of, render, viewer

router = APIRouter(include_in_schema=False)

MESSAGES: dict[str, dict[str, str]] = {
    "directory": {"vi": "Danh bạ nguồn", "en": "Source directory"},
    "directory_note": {
        "vi": "Cơ quan, loại, tỉnh/thành và ngôn ngữ của từng nguồn, và các bộ sưu tập nguồn dùng làm bộ lọc khi tìm "
              "kiếm, xuất dữ liệu và trong API. Mọi thay đổi được ghi vào nhật ký thao tác.",
        "en": "Each source's outlet, type, province and language, and the source collections that search, exports "
              "and the API take as a filter. Every change is written to the audit log.",
    },
    "collection": {"vi": "Bộ sưu tập nguồn", "en": "Source collection"},
    "collections": {"vi": "Bộ sưu tập nguồn", "en": "Source collections"},
    "outlet": {"vi": "Cơ quan báo chí", "en": "Outlet"},
    "outlet_type": {"vi": "Loại cơ quan", "en": "Outlet type"},
    "language": {"vi": "Ngôn ngữ", "en": "Language"},
    "description": {"vi": "Mô tả", "en": "Description"},
    "source_count": {"vi": "Số nguồn", "en": "Sources"},
    "new_collection": {"vi": "Tạo bộ sưu tập", "en": "New collection"},
    "delete_collection_note": {"vi": "Xoá bộ sưu tập này? Các nguồn vẫn giữ.", "en": "Delete this collection? Its sources stay."},
    "directory_csv": {"vi": "Tải danh bạ (CSV)", "en": "Download the directory (CSV)"},
    "import_directory": {"vi": "Nhập danh bạ từ CSV", "en": "Import a directory CSV"},
    "import_directory_note": {
        "vi": "Cùng các cột với tệp \"Tải danh bạ (CSV)\" ở trên; chỉ cột địa chỉ là bắt buộc, nhiều bộ sưu tập "
              "cách nhau bằng dấu ;. "
              "Dòng lỗi được báo theo số dòng, các dòng tốt vẫn được nhập; nhập lại không tạo trùng.",
        "en": "Columns: url, kind, name, outlet, type, province, language, collections (several separated by ;). "
              "Bad rows are reported by line number and the good ones kept; importing again adds nothing twice.",
    },
    "load_starter": {"vi": "Nạp danh bạ mẫu", "en": "Load the starter directory"},
    "load_starter_note": {
        "vi": "Nguồn RSS công khai của các báo, đài, cổng thông tin Việt Nam (tên và địa chỉ), kèm bộ sưu tập "
              "theo loại và tỉnh. Nạp lại không tạo trùng.",
        "en": "Public feeds of Vietnamese newspapers, broadcasters and portals (names and addresses), with "
              "collections by type and province. Loading it again adds nothing twice.",
    },
    "directory_imported": {
        "vi": "Đã thêm {added} nguồn, cập nhật {updated}, giữ nguyên {unchanged}, {errors} dòng lỗi.",
        "en": "{added} sources added, {updated} updated, {unchanged} unchanged, {errors} bad rows.",
    },
    "line": {"vi": "Dòng", "en": "Line"},
    "unknown": {"vi": "—", "en": "—"},
}
csrf = Depends(check_csrf)
MAX_UPLOAD = 5 * 1024 * 1024


def _page(request: Request, status_code: int = 200, **extra) -> HTMLResponse:
    from kiemchung.places import provinces

    db = request.app.state.db
    profs = D.profiles(db)
    member = D.source_collections(db)
    rows = [
        {"source": s, "profile": profs.get(s.id) or D.SourceProfile(s.id), "collections": member.get(s.id, [])}
        for s in db.list_sources()
        if s.kind not in ("import", "sample", "outlet")
    ]
    return render(
        request, "sources_directory.html", status_code, rows=rows, collections=D.list_collections(db),
        types=D.OUTLET_TYPES, provinces=provinces("new"), province_names={p.code: p.name for p in provinces("new")},
        **extra,
    )


@router.get("/sources/directory", response_class=HTMLResponse, dependencies=[viewer])
def directory_page(request: Request):
    """The source directory: profiles and collections of every source."""
    return _page(request)


@router.get("/sources/directory.csv", dependencies=[viewer])
def directory_csv(request: Request):
    """The directory as CSV (the format ``kiemchung sources import-directory`` reads)."""
    buf = io.StringIO()
    D.export_directory(request.app.state.db, buf)
    return Response(buf.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="kiemchung-sources.csv"'})


def _done(request: Request, message: str | None = None, error: str | None = None, status_code: int = 200):
    queries.clear_cache()
    if error:
        return _page(request, 400, error=error)
    if message:
        return _page(request, status_code, message=message)
    return RedirectResponse("/sources/directory", status_code=303)


@router.post("/sources/{source_id}/profile", dependencies=[csrf])
def set_profile(
    request: Request,
    source_id: int = Path(ge=1, le=2**62),
    outlet: str = Form("", max_length=500),
    outlet_type: str = Form("", max_length=40),
    province: str = Form("", max_length=100),
    language: str = Form("", max_length=20),
    collections: list[str] = Form([]),
    user=editor,
):
    """Change a source's directory entry and its collections (editor; audited)."""
    db = request.app.state.db
    try:
        D.set_profile(db, source_id, outlet=outlet, outlet_type=outlet_type, province=province, language=language,
                      actor=user)
        wanted = {int(c) for c in collections if c.isdigit()}
        for col in D.list_collections(db):
            inside = source_id in col.source_ids
            if col.id in wanted and not inside:
                D.add_to_collection(db, col.id, [source_id], actor=user)
            elif col.id not in wanted and inside:
                D.remove_from_collection(db, col.id, [source_id], actor=user)
    except KiemchungError as exc:
        return _done(request, error=str(exc))
    return _done(request)


@router.post("/collections", dependencies=[csrf])
def create_collection(request: Request, name: str = Form(..., max_length=500), description: str = Form("", max_length=2000),
                      user=editor):
    """Make a collection (editor; audited)."""
    try:
        D.create_collection(request.app.state.db, name, description=description, actor=user)
    except KiemchungError as exc:
        return _done(request, error=str(exc))
    return _done(request)


@router.post("/collections/{collection_id}/delete", dependencies=[csrf])
def delete_collection(request: Request, collection_id: int = Path(ge=1, le=2**62), user=editor):
    """Delete a collection; its sources stay (editor; audited)."""
    try:
        D.delete_collection(request.app.state.db, collection_id, actor=user)
    except KiemchungError as exc:
        return _done(request, error=str(exc))
    return _done(request)


def _import_message(request: Request, report) -> str:
    from kiemchung.web.i18n import translator

    t = translator(lang_of(request))
    text = t("directory_imported").format(added=report.added, updated=report.updated, unchanged=report.unchanged,
                                          errors=len(report.errors))
    return text + "".join(f"\n{t('line')} {line}: {msg}" for line, msg in report.errors[:50])


@router.post("/sources/directory/import", dependencies=[csrf])
async def import_directory(request: Request, file: UploadFile = File(...), user=admin):
    """Import a directory CSV (admin): bad rows listed by line, good rows kept, nothing doubled."""
    data = await file.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        return _done(request, error="Tệp quá lớn, tối đa 5 MB (file larger than 5 MB)")
    try:
        report = D.import_directory(request.app.state.db, io.StringIO(data.decode("utf-8-sig")), actor=user)
    except UnicodeDecodeError:
        return _done(request, error="Tệp không phải UTF-8 (file is not UTF-8)")
    except KiemchungError as exc:
        return _done(request, error=str(exc))
    return _done(request, message=_import_message(request, report))


@router.post("/sources/directory/starter", dependencies=[csrf])
def load_starter(request: Request, user=admin):
    """Load the starter directory of Vietnamese outlets' feeds (admin); loading it again adds nothing."""
    report = D.load_starter(request.app.state.db, actor=user)
    return _done(request, message=_import_message(request, report))
