"""The FastAPI application factory, authentication (sessions, API tokens), roles and CSRF checks."""

from __future__ import annotations

import hashlib
import hmac
import os
import threading
import time
from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from kiemchung import users as U
from kiemchung.errors import KiemchungError, NotFoundError
from kiemchung.labels import duration, label
from kiemchung.links import http_url
from kiemchung.logins import LoginLimiter
from kiemchung.store import Database
from kiemchung.text import first_words
from kiemchung.timeutil import fmt_local
from kiemchung.web.i18n import translator

HERE = Path(__file__).parent
SESSION_COOKIE = "kc_session"
LANG_COOKIE = "kc_lang"


# Sent with every response (a route may set its own, e.g. a sandboxed report). No inline script and no
# inline style: every script and style sheet is a file under /static, so an injected <script> or
# on*= attribute does not run. A <script type="application/ld+json"> data block is not a script to
# the browser and is not subject to script-src (its JSON is escaped by kiemchung.links.jsonld_text).
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-src 'self'; "
    "frame-ancestors 'none'"
)
SECURITY_HEADERS = (
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
)


class SecurityHeaders:
    """ASGI middleware: the headers of :data:`SECURITY_HEADERS` on every HTTP response (pages, API,
    static files, errors), unless the route already set that header."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers.extend((k, v) for k, v in SECURITY_HEADERS if k not in present)
                message = {**message, "headers": headers}
            await send(message)

        return await self.app(scope, receive, send_with_headers)


class AuthRequired(Exception):
    """Raised by route dependencies when nobody is logged in."""


class Forbidden(Exception):
    """Raised by route dependencies when the user's role is too low, or the CSRF token is wrong."""

    def __init__(self, reason: str = "forbidden") -> None:
        super().__init__(reason)
        self.reason = reason


# Who is behind a credential (API token or session cookie) is remembered for at most this many
# seconds, and never across a commit to the database: any write by any connection or process (a
# logout, a role change, a disabled account, a token deleted) drops every remembered answer at the
# next request, so a revoked credential stops working at once; the TTL bounds how late an expired
# session is noticed. KIEMCHUNG_AUTH_CACHE_TTL=0 turns it off.
AUTH_CACHE_TTL = float(os.environ.get("KIEMCHUNG_AUTH_CACHE_TTL", "5") or 0)
AUTH_CACHE_SIZE = 1024
_auth_cache: dict[tuple, tuple[float, int, U.User, str | None]] = {}
_auth_lock = threading.Lock()


def _credential_key(db, kind: str, secret: str) -> tuple:
    # Keyed by a hash: the cache never holds a usable credential.
    return (id(db), kind, hashlib.sha256(secret.encode()).digest())


def _remembered(db, kind: str, secret: str) -> tuple[tuple | None, int | None, tuple | None]:
    """(cache key, database generation, remembered (user, csrf) or None); no lookup is made.

    Key and generation are None when nothing may be remembered (cache off, database cannot tell).
    """
    version = db.change_token() if AUTH_CACHE_TTL > 0 else None
    if version is None:
        return None, None, None
    key = _credential_key(db, kind, secret)
    entry = _auth_cache.get(key)
    if entry is not None and entry[1] == version and time.monotonic() - entry[0] < AUTH_CACHE_TTL:
        return key, version, (entry[2], entry[3])
    return key, version, None


def _lookup_user(db, kind: str, secret: str) -> tuple[U.User | None, str | None]:
    """(user, CSRF token) for an API token (``kind`` "token") or a session id, through the cache."""
    key, version, found = _remembered(db, kind, secret)
    if found is not None:
        return found
    if kind == "token":
        user, csrf = U.user_for_token(db, secret), None
    else:
        live = U.session_user(db, secret)
        user, csrf = live if live else (None, None)
    if key is not None and user is not None:  # unknown credentials are never remembered
        with _auth_lock:
            if len(_auth_cache) >= AUTH_CACHE_SIZE:
                _auth_cache.clear()
            _auth_cache[key] = (time.monotonic(), version, user, csrf)
    return user, csrf


def forget_credentials() -> None:
    """Drop every remembered credential (a commit to the database does this by itself)."""
    with _auth_lock:
        _auth_cache.clear()


def _credential(request: Request) -> tuple[str, str] | None:
    """("token", value) for a Bearer header, ("session", id) for a session cookie, else None."""
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        token = auth[7:].strip()
        return ("token", token) if token else ("token", "")
    sid = request.cookies.get(SESSION_COOKIE)
    return ("session", sid) if sid else None


def _settle(request: Request, cred: tuple[str, str] | None, user: U.User | None, csrf: str | None) -> None:
    request.state.via_token = cred is not None and cred[0] == "token" and user is not None
    request.state.user = user
    request.state.csrf = csrf if cred is not None and cred[0] == "session" else None


def current(request: Request) -> U.User | None:
    """The user behind this request (Bearer token or session cookie), cached on the request.

    The lookup is remembered for a few seconds across requests (see :data:`AUTH_CACHE_TTL`).
    """
    if hasattr(request.state, "user"):
        return request.state.user
    cred = _credential(request)
    user, csrf = None, None
    if cred is not None and cred[1]:
        user, csrf = _lookup_user(request.app.state.db, *cred)
    _settle(request, cred, user, csrf)
    return user


async def current_async(request: Request) -> U.User | None:
    """:func:`current` for async code: a remembered credential is answered on the event loop (no
    database query), a lookup runs in the thread pool."""
    if hasattr(request.state, "user"):
        return request.state.user
    cred = _credential(request)
    user, csrf = None, None
    if cred is not None and cred[1]:
        db = request.app.state.db
        _, _, found = _remembered(db, *cred)
        user, csrf = found if found is not None else await run_in_threadpool(_lookup_user, db, *cred)
    _settle(request, cred, user, csrf)
    return user


def require(role: str):
    """A dependency that lets the request through only for users with at least ``role``.

    Async, so that FastAPI runs it on the event loop instead of handing it to a worker thread
    (the lookup itself goes to a thread only when the credential is not remembered).
    """

    async def dep(request: Request) -> U.User:
        user = await current_async(request)
        if user is None:
            raise AuthRequired()
        if not user.has_role(role):
            raise Forbidden()
        return user

    dep.__name__ = f"require_{role}"
    return dep


async def check_csrf(request: Request) -> None:
    """Refuse a cookie-authenticated POST whose form field ``csrf`` does not match the session's token."""
    current(request)
    if request.state.via_token:
        return
    form = await request.form()
    sent = str(form.get("csrf") or request.headers.get("x-csrf-token") or "")
    expected = request.state.csrf or ""
    if not expected or not hmac.compare_digest(sent, expected):
        raise Forbidden("csrf")


viewer = Depends(require("viewer"))
editor = Depends(require("editor"))
admin = Depends(require("admin"))


def lang_of(request: Request) -> str:
    """The interface language: ``?lang=`` wins, then the cookie, then Vietnamese."""
    lang = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE) or "vi"
    return lang if lang in ("vi", "en") else "vi"


def render(request: Request, template: str, status_code: int = 200, **ctx) -> HTMLResponse:
    """Render a page with the shared context (user, CSRF token, translator) and remember ``?lang=``."""
    lang = lang_of(request)
    ctx.update(
        request=request,
        user=current(request),
        csrf=getattr(request.state, "csrf", None),
        t=translator(lang),
        lang=lang,
        L=lambda group, code: label(group, code, lang),
        D=lambda span: duration(span, lang),
    )
    response = request.app.state.templates.TemplateResponse(request, template, ctx, status_code=status_code)
    if request.query_params.get("lang") in ("vi", "en"):
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax", httponly=True)
    return response


def _day_filter(value) -> str:
    """``{{ "2026-11-01"|day }}``: an ISO day as Vietnamese offices write it, 01/11/2026."""
    import datetime as dt

    try:
        return dt.date.fromisoformat(str(value)).strftime("%d/%m/%Y")
    except ValueError:
        return str(value)


@pass_context
def _decimal_filter(ctx, value, digits: int = 2) -> str:
    """``{{ x|dec(2) }}``: a decimal as the page's language writes it (0,35 in Vietnamese, 0.35 in English)."""
    if value is None:
        return "—"
    text = f"{float(value):.{int(digits)}f}"
    return text.replace(".", ",") if ctx.get("lang", "vi") == "vi" else text


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def title_of(title: str | None, *texts: str | None, ident=None, n: int = 12) -> str:
    """What a list shows for a document: its title, else the first words of its text, else "#id"."""
    if title and title.strip():
        return title.strip()
    for text in texts:
        words = first_words(text, n)
        if words:
            return words
    return f"#{ident}" if ident is not None else "…"


# HTTP statuses the interface explains in words (Vietnamese, English).
HTTP_MESSAGES = {
    404: ("Không tìm thấy trang này.", "This page does not exist."),
    405: ("Trang này không nhận thao tác đó.", "This page does not accept that method."),
}


def _field_name(loc) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie")]
    return ".".join(parts) or "?"


def validation_message(exc: RequestValidationError) -> tuple[str, list[dict]]:
    """A Vietnamese-then-English sentence for a request that failed validation, and one item per field."""
    items = []
    for err in exc.errors():
        name = _field_name(err.get("loc", ()))
        kind = str(err.get("type", ""))
        if kind == "missing":
            vi, en = "thiếu", "missing"
        elif kind.startswith(("int", "float", "decimal")):
            vi, en = "phải là số", "must be a number"
        elif kind.startswith(("greater", "less")):
            vi, en = "ngoài khoảng cho phép", "out of range"
        elif kind.startswith(("string_too", "too_")):
            vi, en = "độ dài không hợp lệ", "wrong length"
        elif kind.startswith(("bool",)):
            vi, en = "phải là đúng/sai (true/false)", "must be true or false"
        elif kind.startswith(("string_pattern", "literal", "enum")):
            vi, en = "không thuộc các giá trị cho phép", "not an allowed value"
        elif kind.startswith("json"):
            vi, en = "JSON không hợp lệ", "invalid JSON"
        else:
            vi, en = "không hợp lệ", "invalid"
        items.append({"field": name, "vi": vi, "en": en, "message": str(err.get("msg", ""))})
    vi = "; ".join(f"{i['field']}: {i['vi']}" for i in items) or "yêu cầu không hợp lệ"
    en = "; ".join(f"{i['field']}: {i['en']}" for i in items) or "invalid request"
    return f"Tham số không hợp lệ: {vi} (invalid parameters: {en})", items


def create_app(db: Database | str, *, secure_cookies: bool | None = None) -> FastAPI:
    """The workbench application on ``db`` (a Database or a path/URL).

    ``secure_cookies``: True forces the Secure flag on session cookies, False never sets it, None sets it
    when the request came over HTTPS.
    """
    database = db if isinstance(db, Database) else Database(db)
    app = FastAPI(
        title="kiemchung",
        version="1",
        docs_url=None,  # served from the package by kiemchung.web.apidocs (no CDN)
        openapi_url="/api/v1/openapi.json",
        redoc_url=None,
    )
    app.state.db = database
    app.state.login_limiter = LoginLimiter()
    app.state.secure_cookies = secure_cookies
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.filters["when"] = lambda v: fmt_local(v) if v else ""
    templates.env.globals["title_of"] = title_of
    from kiemchung.sources.connectors import kinds as source_kinds

    templates.env.globals["source_kinds"] = source_kinds  # the kinds a person may add (connector registry)
    from kiemchung.web.trend_views import times_usual, usual_level

    templates.env.globals["times_usual"] = times_usual
    templates.env.globals["usual_level"] = usual_level
    templates.env.filters["http_url"] = http_url  # an href only for http(s) links (kiemchung.links)
    templates.env.filters["dec"] = _decimal_filter
    templates.env.filters["day"] = _day_filter
    app.state.templates = templates
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.add_middleware(SecurityHeaders)

    @app.exception_handler(AuthRequired)
    async def _auth(request: Request, exc: AuthRequired):
        if _wants_json(request):
            return JSONResponse(
                {"detail": "Cần đăng nhập (authentication required)"},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden):
        if _wants_json(request):
            return JSONResponse(
                {"detail": "Không đủ quyền (forbidden)" if exc.reason != "csrf" else "CSRF"}, status_code=403
            )
        return render(request, "message.html", 403, message=translator(lang_of(request))(exc.reason))

    @app.exception_handler(NotFoundError)
    async def _nf(request: Request, exc: NotFoundError):
        if _wants_json(request):
            return JSONResponse({"detail": str(exc)}, status_code=404)
        return render(request, "message.html", 404, message=str(exc))

    @app.exception_handler(KiemchungError)
    async def _bad(request: Request, exc: KiemchungError):
        if _wants_json(request):
            return JSONResponse({"detail": str(exc)}, status_code=400)
        return render(request, "message.html", 400, message=str(exc))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        message, items = validation_message(exc)
        if _wants_json(request):
            return JSONResponse({"detail": message, "errors": items}, status_code=422)
        lang = lang_of(request)
        t = translator(lang)
        return render(request, "message.html", 422, message=t("bad_request"), details=items)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        vi, en = HTTP_MESSAGES.get(exc.status_code, (None, None))
        headers = getattr(exc, "headers", None)
        if _wants_json(request):
            detail = exc.detail
            if vi and detail in ("Not Found", "Method Not Allowed"):
                detail = f"{vi} ({en})"
            return JSONResponse({"detail": detail}, status_code=exc.status_code, headers=headers)
        message = str(exc.detail) if vi is None else (en if lang_of(request) == "en" else vi)
        return render(request, "message.html", exc.status_code, message=message, missing=exc.status_code == 404)

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> FileResponse:
        """The site icon (browsers ask for it at this address)."""
        return FileResponse(HERE / "static" / "favicon.svg", media_type="image/svg+xml")

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> PlainTextResponse:
        """Liveness probe (no database access)."""
        return PlainTextResponse("ok")

    from kiemchung.web import (
        accounts,
        api,
        apidocs,
        attention_views,
        digest_views,
        directory_views,
        evidence_views,
        image_views,
        monitor_api,
        monitor_pages,
        ocr_views,
        pages,
        settings_pages,
        tip_views,
        verify_api,
        verify_pages,
    )

    app.include_router(pages.router)
    app.include_router(accounts.router)
    app.include_router(settings_pages.router)
    app.include_router(monitor_pages.router)
    app.include_router(verify_pages.router)
    app.include_router(evidence_views.router)
    app.include_router(ocr_views.router)
    app.include_router(ocr_views.api_router)
    app.include_router(tip_views.router)
    app.include_router(attention_views.router)
    app.include_router(digest_views.router)
    app.include_router(directory_views.router)
    app.include_router(image_views.router)
    app.include_router(api.router)
    app.include_router(monitor_api.api_router)
    app.include_router(verify_api.api_router)
    app.include_router(tip_views.api_router)
    app.include_router(attention_views.api_router)
    app.include_router(image_views.api_router)
    app.include_router(evidence_views.api_router)
    apidocs.install(app)
    _describe_validation_errors(app)
    return app


def _describe_validation_errors(app: FastAPI) -> None:
    """Make the OpenAPI document describe the 422 body this app sends (see :func:`validation_message`),
    not FastAPI's default list of pydantic errors."""
    generate = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is None:
            schema = generate()
            schema.setdefault("components", {}).setdefault("schemas", {})["HTTPValidationError"] = {
                "title": "HTTPValidationError",
                "type": "object",
                "required": ["detail"],
                "properties": {
                    "detail": {"type": "string", "description": "Vietnamese, then English in parentheses"},
                    "errors": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {k: {"type": "string"} for k in ("field", "vi", "en", "message")},
                        },
                    },
                },
            }
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi


def all_routes(app: FastAPI) -> list:
    """Every concrete route of the app, included routers flattened (for tests and docs)."""
    out = []

    def walk(routes):
        for r in routes:
            inner = getattr(r, "original_router", None)
            if inner is not None:
                walk(inner.routes)
            else:
                out.append(r)

    walk(app.routes)
    return out
