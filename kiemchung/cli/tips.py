"""``kiemchung tips``: the tips the public sent in (list, show, reply, dismiss, poll the inboxes, match)."""

from __future__ import annotations

import json

import typer
from rich.markup import escape
from rich.table import Table

from kiemchung import timeutil
from kiemchung.cli.app import app, console, open_db
from kiemchung.labels import bilingual, label

tips_app = typer.Typer(help="Tin báo của người dân: mẫu gửi tin, thư điện tử, Telegram (tips from the public).")
app.add_typer(tips_app, name="tips")


def _show(db, tip) -> None:
    from kiemchung.claims.factchecks import get_factcheck
    from kiemchung.errors import NotFoundError

    console.print(f"[bold]Tin báo #{tip.id}[/] {bilingual('tip_channel', tip.channel)} · "
                  f"{bilingual('tip_status', tip.status)} · {timeutil.fmt_local(tip.received_at)}", highlight=False)
    if tip.group_size > 1:
        console.print(f"  [bold]{tip.group_size} người đã hỏi về tin này[/] ({tip.group_size} people asked about this)",
                      highlight=False)
    console.print(f"  {escape(tip.text)}", highlight=False)
    if tip.link:
        console.print(f"  Đường dẫn (link): {escape(tip.link)}", highlight=False)
    for img in tip.images:
        console.print(f"  Ảnh (image): {img.get('sha256', '')[:16]} {img.get('type', '')} {img.get('size', 0)} byte",
                      highlight=False)
    if tip.doc_id:
        console.print(f"  Tài liệu (document): #{tip.doc_id}", highlight=False)
    if tip.matched_at is None:
        console.print("  Chưa so khớp (not matched yet)")
    elif not tip.matches:
        console.print("  Không khớp bài kiểm chứng nào (no fact-check matched)")
    for m in tip.matches:
        try:
            fc = get_factcheck(db, m["factcheck_id"])
            what = f"{label('verdict', fc.verdict)}: {escape(fc.claim)}"
        except NotFoundError:
            what = "?"
        console.print(f"  Khớp (matches) #{m['factcheck_id']} ({label('alert_level', m['level'])}, "
                      f"{m['probability']:.2f}) {what}", highlight=False)
    if tip.channel == "form" and not tip.reply_to:
        where = "trang theo dõi của người gửi (the tipper's status page)"
    else:
        where = escape(tip.reply_to) if tip.reply_to else "không có (none)"
    console.print(f"  Trả lời tới (answer goes to): {where}", highlight=False)
    if tip.reply_text:
        console.print(f"  Đã trả lời (answered) {timeutil.fmt_local(tip.replied_at)} bởi {tip.replied_by or '?'}: "
                      f"{bilingual('tip_reply_status', tip.reply_status)}", highlight=False)
        if tip.reply_error:
            console.print(f"  [yellow]Lỗi gửi (delivery error):[/] {escape(tip.reply_error)}", highlight=False)
        console.print(f"  {escape(tip.reply_text)}", highlight=False)


@tips_app.command("list")
def list_cmd(
    status: str | None = typer.Option(None, "--status", help="new | replied | dismissed"),
    channel: str | None = typer.Option(None, "--channel", help="form | email | telegram"),
    matched: bool | None = typer.Option(None, "--matched/--unmatched", help="Chỉ tin đã/chưa khớp (only (un)matched)."),
    limit: int = typer.Option(50, "--limit", "-n"),
    as_json: bool = typer.Option(False, "--json", help="In JSON (print JSON; no reply address)."),
) -> None:
    """Liệt kê tin báo, mới nhất trước, kèm số người hỏi cùng nội dung (list tips)."""
    from kiemchung.tips import list_tips

    with open_db() as db:
        rows = list_tips(db, status=status, channel=channel, matched=matched, limit=limit)
    if as_json:
        print(json.dumps([r.public() for r in rows], ensure_ascii=False, indent=2))
        return
    if not rows:
        console.print("Chưa có tin báo nào (no tips).")
        return
    table = Table("#", "Kênh", "Trạng thái", "Nhận lúc", "Số người hỏi", "Khớp")
    table.add_column("Nội dung", overflow="fold")
    for r in rows:
        best = r.best
        table.add_row(str(r.id), label("tip_channel", r.channel), label("tip_status", r.status),
                      timeutil.fmt_local(r.received_at), str(r.group_size),
                      f"#{best['factcheck_id']}" if best else ("…" if r.matched_at is None else "—"),
                      escape((r.text or r.link or "")[:120]))
    console.print(table)


@tips_app.command("show")
def show(tip_id: int = typer.Argument(..., help="Mã tin báo (tip id).")) -> None:
    """Xem một tin báo, các bài kiểm chứng khớp và câu trả lời (show a tip)."""
    from kiemchung.tips import get_tip

    with open_db() as db:
        _show(db, get_tip(db, tip_id))


@tips_app.command("reply")
def reply(
    tip_id: int = typer.Argument(..., help="Mã tin báo (tip id)."),
    factcheck: int | None = typer.Option(None, "--factcheck", help="Gửi bài kiểm chứng đã xuất bản này (fact-check id)."),
    text: str | None = typer.Option(None, "--text", help="Lời nhắn (a written answer)."),
    best: bool = typer.Option(False, "--best", help="Gửi bài kiểm chứng khớp nhất (send the best match)."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Không hỏi lại (do not ask for confirmation)."),
) -> None:
    """Trả lời tin báo qua đúng kênh người gửi đã dùng; ghi nhật ký (answer a tip by its channel; audited)."""
    from kiemchung.audit import cli_actor
    from kiemchung.errors import ConfigError
    from kiemchung.tips import get_tip, reply_tip
    from kiemchung.tips.service import compose_reply

    with open_db() as db:
        tip = get_tip(db, tip_id)
        if best:
            if not tip.best:
                raise ConfigError(f"Tin báo #{tip_id} chưa khớp bài kiểm chứng nào (tip #{tip_id} matched no fact-check)")
            factcheck = tip.best["factcheck_id"]
        message = compose_reply(db, tip, factcheck_id=factcheck, text=text)
        console.print(f"Sẽ gửi qua {bilingual('tip_channel', tip.channel)} (will send by this channel):", highlight=False)
        console.print(escape(message), highlight=False)
        if not yes and not typer.confirm("Gửi? (send?)"):
            raise typer.Exit(1)
        tip = reply_tip(db, tip_id, factcheck_id=factcheck, text=text, actor=cli_actor())
        console.print(f"Đã trả lời (answered): {bilingual('tip_reply_status', tip.reply_status)}", highlight=False)


@tips_app.command("dismiss")
def dismiss(tip_id: int = typer.Argument(..., help="Mã tin báo (tip id)."),
            reopen: bool = typer.Option(False, "--reopen", help="Mở lại (reopen).")) -> None:
    """Bỏ qua một tin báo, hoặc mở lại (dismiss or reopen a tip; audited)."""
    from kiemchung.audit import cli_actor
    from kiemchung.tips import set_status

    with open_db() as db:
        tip = set_status(db, tip_id, "new" if reopen else "dismissed", actor=cli_actor())
    console.print(f"Tin báo #{tip.id}: {bilingual('tip_status', tip.status)}", highlight=False)


@tips_app.command("match")
def match() -> None:
    """So khớp các tin báo chưa so khớp với bài kiểm chứng đã xuất bản (match unmatched tips now)."""
    from kiemchung.tips import match_tips

    with open_db() as db:
        n = match_tips(db)
    console.print(f"Đã so khớp {n} tin báo (matched {n} tips).")


@tips_app.command("poll")
def poll() -> None:
    """Đọc hộp thư IMAP và bot Telegram một lần (read the IMAP inbox and the Telegram bot once)."""
    from kiemchung.tips.channels import poll_channels

    with open_db() as db:
        results = poll_channels(db)
    if not results:
        console.print("Chưa cấu hình kênh nào (no channel configured: imap_host, telegram_bot_token).")
    for name, r in results.items():
        line = f"{name}: nhận {r.received} tin (received), bỏ qua {r.skipped} (skipped)"
        if r.error:
            line += f"; lỗi (error): {escape(r.error)}"
        console.print(line, highlight=False)
