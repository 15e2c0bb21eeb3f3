"""The ``serve`` command (web workbench) and the ``users`` sub-commands (accounts, roles, API tokens)."""

from __future__ import annotations

import os
import sys

import typer

from kiemchung.cli.app import app, console, open_db
from kiemchung.errors import ConfigError
from kiemchung.labels import bilingual

users_app = typer.Typer(help="Quản lý người dùng (manage users).", no_args_is_help=True)
app.add_typer(users_app, name="users")


def default_workers() -> int:
    """Server processes when ``--workers`` is not given: one per core, at most two.

    The handlers are Python code holding the GIL most of the time, so one process uses about one
    core; a second process roughly halves the queueing of twenty concurrent users on a two-core
    machine (docs/web.md, Performance). More than two gained nothing measurable there and each
    process keeps its own caches and database connections.
    """
    return max(1, min(2, os.cpu_count() or 1))


@app.command("serve")
def serve(
    host: str = typer.Option("127.0.0.1", help="Địa chỉ lắng nghe (listen address)."),
    port: int = typer.Option(8080, help="Cổng (port)."),
    secure_cookies: bool = typer.Option(
        False, "--secure-cookies", help="Luôn đặt cờ Secure cho cookie (behind HTTPS)."
    ),
    workers: int = typer.Option(
        0,
        min=0,
        max=32,
        help="Số tiến trình máy chủ; 0 = mỗi lõi một tiến trình, tối đa 2 (server processes; 0 = auto).",
    ),
) -> None:
    """Chạy bàn làm việc web (start the web workbench)."""
    import uvicorn

    from kiemchung.web import create_app
    from kiemchung.web.asgi import tune

    workers = workers or default_workers()
    db = open_db()  # create/upgrade the database once, before any worker starts
    console.print(f"http://{host}:{port}/ ({workers} tiến trình / process{'es' if workers > 1 else ''})")
    if workers > 1:
        from kiemchung.cli.app import state

        os.environ["KIEMCHUNG_DB"] = state.db_path
        os.environ["KIEMCHUNG_SECURE_COOKIES"] = "1" if secure_cookies else "0"
        db.close()
        uvicorn.run(
            "kiemchung.web.asgi:app_factory",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="warning",
            proxy_headers=False,  # X-Forwarded-For is read by the app, from `trusted_proxies` only
        )
        return
    # One process: the same tuned app the worker processes run (handler threads, gc.freeze, templates).
    web = tune(create_app(db, secure_cookies=True if secure_cookies else None))
    uvicorn.run(web, host=host, port=port, log_level="warning", proxy_headers=False)


def ask_new_password(tries: int = 3) -> str:
    """Ask for a new password twice, hidden, in Vietnamese (click's own confirmation is English)."""
    for _ in range(tries):
        first = typer.prompt("Mật khẩu (password)", hide_input=True)
        again = typer.prompt("Nhập lại mật khẩu để xác nhận (repeat for confirmation)", hide_input=True)
        if first == again:
            return first
        console.print("[red]Hai lần nhập không khớp, hãy nhập lại (the two entries do not match).[/]")
    raise ConfigError("Mật khẩu không được xác nhận (password not confirmed)")


def _role(admin: bool, editor: bool, viewer: bool) -> str:
    chosen = [r for r, on in (("admin", admin), ("editor", editor), ("viewer", viewer)) if on]
    if len(chosen) != 1:
        raise ConfigError("Chọn đúng một vai trò: --admin, --editor hoặc --viewer (choose exactly one role)")
    return chosen[0]


@users_app.command("add")
def users_add(
    name: str,
    admin: bool = typer.Option(False, "--admin"),
    editor: bool = typer.Option(False, "--editor"),
    viewer: bool = typer.Option(False, "--viewer"),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Đọc mật khẩu từ stdin (read the password from stdin)."
    ),
) -> None:
    """Thêm người dùng (add a user); mật khẩu được hỏi, không có mật khẩu mặc định."""
    from kiemchung import users

    role = _role(admin, editor, viewer)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = ask_new_password()
    from kiemchung.audit import cli_actor

    user = users.add_user(open_db(), name, password, role, actor=cli_actor())
    console.print(f"Đã thêm {user.name} ({bilingual('role', user.role)})")


@users_app.command("list")
def users_list() -> None:
    """Liệt kê người dùng (list users)."""
    from kiemchung import users

    for u in users.list_users(open_db()):
        console.print(f"{u.name}\t{bilingual('role', u.role)}\t{'đã khóa (disabled)' if u.disabled else ''}")


@users_app.command("role")
def users_role(name: str, role: str) -> None:
    """Đổi vai trò (set role: viewer, editor, admin)."""
    from kiemchung import users
    from kiemchung.audit import cli_actor

    users.set_role(open_db(), name, role, actor=cli_actor())
    console.print(f"{name}: {bilingual('role', role)}")


@users_app.command("disable")
def users_disable(
    name: str, enable: bool = typer.Option(False, "--enable", help="Mở khóa lại (re-enable).")
) -> None:
    """Khóa tài khoản (disable an account)."""
    from kiemchung import users
    from kiemchung.audit import cli_actor

    users.set_disabled(open_db(), name, not enable, actor=cli_actor())
    console.print(f"{name}: {'enabled' if enable else 'disabled'}")


@users_app.command("token")
def users_token(
    name: str,
    label: str = typer.Option(None, help="Nhãn (label)."),
    days: int = typer.Option(
        90, min=0, max=3650, help="Số ngày hiệu lực; 0 = không hết hạn (days valid; 0 = until revoked)."
    ),
) -> None:
    """Tạo API token (create an API token; shown once)."""
    import datetime as dt

    from kiemchung import users
    from kiemchung.audit import cli_actor

    ttl = dt.timedelta(days=days) if days else None
    console.print(users.create_token(open_db(), name, label, actor=cli_actor(), ttl=ttl), soft_wrap=True, highlight=False)


@users_app.command("tokens")
def users_tokens(name: str = typer.Argument(None, help="Người dùng (user; default: everyone).")) -> None:
    """Liệt kê API token, không hiện giá trị bí mật (list API tokens, never their secret)."""
    from kiemchung import users
    from kiemchung.timeutil import fmt_local

    for t in users.list_tokens(open_db(), name):
        expires = fmt_local(t.expires_at) if t.expires_at else "không hết hạn (never)"
        state = "hết hạn (expired)" if t.expired else ""
        console.print(f"{t.id}\t{t.user}\t{t.label or ''}\t{fmt_local(t.created_at)}\t{expires}\t{state}".rstrip(),
                      highlight=False)


@users_app.command("revoke")
def users_revoke(token_id: int = typer.Argument(..., help="Mã token, xem `users tokens` (token id).")) -> None:
    """Thu hồi một API token (revoke an API token)."""
    from kiemchung import users
    from kiemchung.audit import cli_actor

    t = users.revoke_token(open_db(), token_id, actor=cli_actor())
    console.print(f"Đã thu hồi token {t.id} của {t.user} (revoked)")


@users_app.command("password")
def users_password(
    name: str,
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Đọc mật khẩu mới từ stdin (read the new password from stdin)."
    ),
) -> None:
    """Đặt lại mật khẩu (reset a user's password; their sessions end)."""
    from kiemchung import users
    from kiemchung.audit import cli_actor

    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else ask_new_password()
    users.change_password(open_db(), name, password, actor=cli_actor())
    console.print(f"Đã đổi mật khẩu của {name} (password changed)")
