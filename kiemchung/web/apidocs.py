"""The API's own pages: ``/api/v1`` (a small index) and ``/api/v1/docs`` (Swagger UI served from the
package ``fastapi-offline`` (Swagger UI 5, which reads OpenAPI 3.1), so the docs work on a network without internet access; no CDN, no
inline script: the page starts Swagger UI from ``/static/apidocs.js``)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from fastapi import FastAPI, HTTPException
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse

API = "/api/v1"
DOCS = f"{API}/docs"
ASSETS = f"{DOCS}/assets"
# The only files of the bundle the page loads.
_ASSET_TYPES = {
    "swagger-ui.css": "text/css",
    "swagger-ui-bundle.js": "text/javascript",
    "favicon.png": "image/png",
}

_PAGE = """<!doctype html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>API kiemchung v1 · Tài liệu API (API docs)</title>
<link rel="icon" href="/favicon.ico">
<link rel="stylesheet" href="{assets}/swagger-ui.css">
</head>
<body>
<p class="kc-apidocs-back"><a href="/">← Kiểm chứng</a> · <a href="{api}/openapi.json">openapi.json</a></p>
<div id="swagger-ui" data-openapi="{api}/openapi.json"></div>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script src="/static/apidocs.js"></script>
</body>
</html>
"""


def swagger_dir() -> Path | None:
    """Where the installed ``fastapi-offline`` keeps Swagger UI's files, or None when it is not installed.

    Only its static files are used (``swagger-ui-bundle`` on PyPI ships Swagger UI 4, which cannot read
    the OpenAPI 3.1 document FastAPI writes)."""
    try:
        spec = importlib.util.find_spec("fastapi_offline")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "static"
    return folder if (folder / "swagger-ui-bundle.js").is_file() else None


def index() -> dict:
    """What ``/api/v1`` answers: the API's name and where its documentation is."""
    return {
        "name": "kiemchung API",
        "version": "1",
        "docs": DOCS,
        "openapi": f"{API}/openapi.json",
        "auth": "Authorization: Bearer <token> (kiemchung users token NAME)",
        "detail": "API của bàn làm việc kiemchung; tài liệu tại /api/v1/docs (kiemchung workbench API; docs at /api/v1/docs)",
    }


def install(app: FastAPI) -> None:
    """Add the index, the docs page and the docs' static files to ``app``."""

    @app.get(API, include_in_schema=False)
    @app.get(f"{API}/", include_in_schema=False)
    def api_index() -> JSONResponse:
        """A small index of the API (no login needed: it names no data)."""
        return JSONResponse(index())

    @app.get(DOCS, include_in_schema=False)
    def api_docs() -> HTMLResponse:
        """Swagger UI for the API, from the package."""
        if swagger_dir() is None:
            raise HTTPException(404, "fastapi-offline chưa được cài (not installed)")
        return HTMLResponse(_PAGE.format(assets=ASSETS, api=API))

    @app.get(ASSETS + "/{name}", include_in_schema=False)
    def api_docs_asset(name: str) -> FileResponse:
        """One file of Swagger UI (only the few the page loads)."""
        folder = swagger_dir()
        if folder is None or name not in _ASSET_TYPES:
            raise HTTPException(404, "Not Found")
        return FileResponse(
            folder / name, media_type=_ASSET_TYPES[name], headers={"Cache-Control": "public, max-age=86400"}
        )
