"""Credentials pages: one's own password and API tokens (/account), an admin's reset and token
revocation for others (/users/...). Every write is a :mod:`kiemchung.users` call, audited there."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from kiemchung import users as U
from kiemchung.errors import ConfigError, KiemchungError
from kiemchung.web.app import SESSION_COOKIE, admin, check_csrf, lang_of, render, viewer
from kiemchung.web.i18n import translator

router = APIRouter(include_in_schema=False)
csrf = Depends(check_csrf)
MAX_ID = 2**62

MESSAGES: dict[str, dict[str, str]] = {
    "account": {"vi": "Tài khoản của tôi", "en": "My account"},
    "change_password": {"vi": "Đổi mật khẩu", "en": "Change password"},
    "current_password": {"vi": "Mật khẩu hiện tại", "en": "Current password"},
    "new_password": {"vi": "Mật khẩu mới (ít nhất 8 ký tự)", "en": "New password (8 characters or more)"},
    "confirm_password": {"vi": "Nhập lại mật khẩu mới", "en": "New password again"},
    "password_changed": {
        "vi": "Đã đổi mật khẩu; các phiên đăng nhập khác đã kết thúc.",
        "en": "Password changed; your other sessions have ended.",
    },
    "passwords_differ": {"vi": "Hai mật khẩu mới không khớp.", "en": "The two new passwords differ."},
    "api_tokens": {"vi": "Khóa API", "en": "API tokens"},
    "token_label": {"vi": "Nhãn", "en": "Label"},
    "token_days": {"vi": "Số ngày hiệu lực (0: không hết hạn)", "en": "Days valid (0: until revoked)"},
    "token_created": {"vi": "Tạo lúc", "en": "Created"},
    "token_expires": {"vi": "Hết hạn", "en": "Expires"},
    "token_never": {"vi": "không hết hạn", "en": "never"},
    "token_expired": {"vi": "đã hết hạn", "en": "expired"},
    "token_new": {"vi": "Tạo khóa API", "en": "Create a token"},
    "token_shown_once": {
        "vi": "Khóa API mới (chỉ hiện một lần, hãy lưu lại ngay):",
        "en": "New token (shown once; store it now):",
    },
    "token_revoke": {"vi": "Thu hồi", "en": "Revoke"},
    "no_tokens": {"vi": "Chưa có khóa API nào.", "en": "No tokens."},
    "reset_password": {"vi": "Đặt lại mật khẩu", "en": "Reset password"},
    "password_reset_done": {"vi": "Đã đặt lại mật khẩu cho", "en": "Password reset for"},
}


def _account_page(request: Request, user: U.User, status: int = 200, **ctx) -> HTMLResponse:
    tokens = U.list_tokens(request.app.state.db, user.name)
    ctx.setdefault("error", None)
    ctx.setdefault("notice", None)
    ctx.setdefault("new_token", None)
    return render(request, "account.html", status, tokens=tokens, **ctx)


@router.get("/account", response_class=HTMLResponse, dependencies=[viewer])
def account_page(request: Request, user=viewer):
    """One's own password form and API tokens."""
    return _account_page(request, user)


@router.post("/account/password", dependencies=[csrf])
def account_password(
    request: Request,
    current: str = Form(..., max_length=1024),
    new: str = Form(..., max_length=1024),
    confirm: str = Form(..., max_length=1024),
    user=viewer,
):
    """Change one's own password (the current one is required); other sessions end."""
    t = translator(lang_of(request))
    if new != confirm:
        return _account_page(request, user, 400, error=t("passwords_differ"))
    try:
        U.change_password(request.app.state.db, user.name, new, old=current, actor=user.name,
                          keep_session=request.cookies.get(SESSION_COOKIE))
    except KiemchungError as exc:
        return _account_page(request, user, 400, error=str(exc))
    return _account_page(request, user, notice=t("password_changed"))


@router.post("/account/tokens", dependencies=[csrf])
def account_token_create(
    request: Request,
    label: str = Form("", max_length=80),
    days: int = Form(90, ge=0, le=3650),
    user=viewer,
):
    """Create an API token for oneself; its value is shown once on the page returned."""
    ttl = dt.timedelta(days=days) if days else None
    token = U.create_token(request.app.state.db, user.name, label.strip() or None, actor=user.name, ttl=ttl)
    response = _account_page(request, user, new_token=token)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/account/tokens/{token_id}/revoke", dependencies=[csrf])
def account_token_revoke(request: Request, token_id: int = Path(ge=1, le=MAX_ID), user=viewer):
    """Revoke one of one's own API tokens."""
    U.revoke_token(request.app.state.db, token_id, actor=user.name, owner=user.name)
    return RedirectResponse("/account", status_code=303)


@router.post("/users/{name}/password", dependencies=[csrf])
def users_password(request: Request, name: str, new: str = Form(..., max_length=1024), user=admin):
    """An admin resets another account's password (its sessions end)."""
    from kiemchung.web.pages import users_list

    db = request.app.state.db
    try:
        if name == user.name:
            raise ConfigError("Hãy đổi mật khẩu của mình ở trang Tài khoản (change your own password on /account)")
        U.change_password(db, name, new, actor=user.name)
    except KiemchungError as exc:
        return users_list(request, 400, str(exc))
    return RedirectResponse("/users", status_code=303)


@router.post("/users/tokens/{token_id}/revoke", dependencies=[csrf])
def users_token_revoke(request: Request, token_id: int = Path(ge=1, le=MAX_ID), user=admin):
    """An admin revokes any API token."""
    U.revoke_token(request.app.state.db, token_id, actor=user.name)
    return RedirectResponse("/users", status_code=303)
