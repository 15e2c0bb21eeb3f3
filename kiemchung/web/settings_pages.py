"""The installation's settings page (administrators): every key of the registry, grouped, with its label,
description and value in force (secrets masked), and a form to change one.

Everything goes through :mod:`kiemchung.store.settings` (validation, role, audit), as the CLI's
``kiemchung settings set`` does; a change is seen by every other process within a second.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from kiemchung.errors import KiemchungError
from kiemchung.store import settings
from kiemchung.web.app import admin, check_csrf, lang_of, render

router = APIRouter(include_in_schema=False)
csrf = Depends(check_csrf)


def settings_list(request: Request, status_code: int = 200, *, error: str | None = None,
                  error_key: str | None = None, saved: str | None = None) -> HTMLResponse:
    """The settings page, with an error shown beside the key whose change was refused."""
    lang = lang_of(request)
    rows = settings.listing(request.app.state.db, lang)
    groups: dict[str, list] = {}
    for row in rows:
        groups.setdefault(row.group, []).append(row)
    if error_key not in {row.key for row in rows}:
        error_key = None  # an unknown or hidden key: the error goes at the top of the page
    from kiemchung.claims.verify import tradeoff

    return render(request, "settings.html", status_code, groups=groups, error=error, error_key=error_key,
                  saved=saved if saved in settings.SETTINGS else None,
                  tradeoff=tradeoff(request.app.state.db) if "alerts" in groups else None)


@router.get("/settings", response_class=HTMLResponse, dependencies=[admin])
def settings_page(request: Request, saved: str | None = None):
    """Every setting of the installation (admin only)."""
    return settings_list(request, saved=saved)


@router.post("/settings", dependencies=[csrf])
def settings_set(request: Request, key: str = Form(..., max_length=100), value: str = Form("", max_length=4000),
                 clear: bool = Form(False), user=admin):
    """Change one setting; a secret left empty keeps its value (``clear`` removes it)."""
    db = request.app.state.db
    try:
        spec = settings.spec(key)
        if spec.secret and not value and not clear:
            return RedirectResponse(f"/settings#s-{key}", status_code=303)
        settings.set_value(db, key, "" if clear else value, actor=user)
    except KiemchungError as exc:
        return settings_list(request, 400, error=str(exc), error_key=key)
    return RedirectResponse(f"/settings?saved={key}#s-{key}", status_code=303)
