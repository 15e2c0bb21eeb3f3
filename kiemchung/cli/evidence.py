"""``kiemchung evidence``: kept copies of pages (capture now, list, show, export, run the stage)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from kiemchung import timeutil
from kiemchung.cli.app import app, console, open_db
from kiemchung.labels import bilingual, label

evidence_app = typer.Typer(help="Bản lưu trang làm bằng chứng: HTML, chữ, ảnh chụp, WARC (kept copies of pages).")
app.add_typer(evidence_app, name="evidence")

PARTS = {"html": ".html", "text": ".txt", "screenshot": ".png", "warc": ".warc.gz"}


def _show(c) -> None:
    console.print(f"[bold]Bản lưu #{c.id}[/] {escape(c.url)}", highlight=False)
    console.print(f"  Trạng thái (status): {bilingual('capture_status', c.status)}", highlight=False)
    if c.final_url and c.final_url != c.url:
        console.print(f"  Địa chỉ cuối (final URL): {escape(c.final_url)}", highlight=False)
    if c.fetched_at:
        console.print(f"  Tải lúc (fetched): {timeutil.fmt_local(c.fetched_at)}  HTTP {c.http_status}  "
                      f"{c.size} byte  {escape(c.content_type or '')}", highlight=False)
        console.print(f"  SHA-256: {c.content_sha256}", highlight=False)
        if c.redacted:
            console.print(f"  Đã thay thông tin tác giả bằng mã băm (authors' identifiers hashed, hash_authors): "
                          f"{c.meta.get('redactions')}; SHA-256 trên là của trang gốc, không lưu (the original's, "
                          f"not kept)", highlight=False)
    if c.title:
        console.print(f"  Tiêu đề (title): {escape(c.title)}", highlight=False)
    parts = [p for p, name in (("html", c.content_sha256), ("text", c.text_sha256),
                                ("screenshot", c.screenshot_sha256), ("warc", c.warc_sha256)) if name]
    if parts:
        console.print(f"  Các phần (parts): {', '.join(parts)}", highlight=False)
    if c.meta.get("screenshot"):
        console.print(f"  Ảnh chụp (screenshot): {c.meta['screenshot']}", highlight=False)
    if c.last_error:
        console.print(f"  [yellow]Lỗi (error, lần {c.attempts}):[/] {escape(c.last_error)}", highlight=False)
    if c.status == "pending" and c.next_attempt_at:
        console.print(f"  Thử lại lúc (next attempt): {timeutil.fmt_local(c.next_attempt_at)}", highlight=False)
    for target, target_id in c.links:
        console.print(f"  Gắn với (linked to): {bilingual('capture_link', target)} #{target_id}", highlight=False)


@evidence_app.command("capture")
def capture(
    url: str = typer.Argument(..., help="Địa chỉ trang (page URL)."),
    factcheck: int | None = typer.Option(None, "--factcheck", help="Gắn với bài kiểm chứng (link to a fact-check id)."),
    again: bool = typer.Option(False, "--again", help="Lưu bản mới dù đã có (take a new copy)."),
    queue: bool = typer.Option(False, "--queue", help="Chỉ ghi yêu cầu, để tiến trình nền lưu (queue only)."),
) -> None:
    """Lưu bản sao một trang ngay (keep a copy of a page now)."""
    from kiemchung.audit import cli_actor
    from kiemchung.captures import capture_url, request_capture

    with open_db() as db:
        if queue:
            c = request_capture(db, url, factcheck_id=factcheck, actor=cli_actor(), again=again)
        else:
            c = capture_url(db, url, factcheck_id=factcheck, actor=cli_actor(), again=again)
    _show(c)
    if c.status == "failed":
        from kiemchung.errors import FetchError

        raise FetchError(f"Không lưu được trang: {bilingual('fetch_reason', c.last_error_reason)} "
                         f"(the page could not be kept)", reason=c.last_error_reason or "error")


@evidence_app.command("list")
def list_cmd(
    factcheck: int | None = typer.Option(None, "--factcheck", help="Của bài kiểm chứng (of a fact-check id)."),
    status: str | None = typer.Option(None, "--status", help="pending | done | failed"),
    limit: int = typer.Option(50, "--limit", "-n"),
) -> None:
    """Liệt kê các bản lưu (list kept copies)."""
    from kiemchung.captures import list_captures

    with open_db() as db:
        rows = list_captures(db, factcheck_id=factcheck, status=status, limit=limit)
    if not rows:
        console.print("Chưa có bản lưu nào (no kept copies).")
        return
    table = Table("#", "Trạng thái", "Tải lúc", "SHA-256")
    table.add_column("Địa chỉ", overflow="fold")
    for c in rows:
        table.add_row(str(c.id), label("capture_status", c.status),
                      timeutil.fmt_local(c.fetched_at) if c.fetched_at else "",
                      (c.content_sha256 or "")[:16], escape(c.url))
    console.print(table)


@evidence_app.command("show")
def show(capture_id: int = typer.Argument(..., help="Mã bản lưu (capture id).")) -> None:
    """Xem một bản lưu (show a kept copy)."""
    from kiemchung.captures import get_capture

    with open_db() as db:
        _show(get_capture(db, capture_id))


@evidence_app.command("export")
def export(
    capture_id: int = typer.Argument(..., help="Mã bản lưu (capture id)."),
    part: str = typer.Option("warc", "--part", help="html | text | screenshot | warc"),
    out: Path | None = typer.Option(None, "--out", "-o", help="Tệp ghi ra (output file)."),
) -> None:
    """Ghi một phần của bản lưu ra tệp (write one part of a kept copy to a file)."""
    from kiemchung.captures import blob, get_capture
    from kiemchung.errors import ConfigError

    if part not in PARTS:
        raise ConfigError(f"Phần không hợp lệ (unknown part): {part}; {', '.join(PARTS)}")
    with open_db() as db:
        data = blob(db, get_capture(db, capture_id), part)
    target = out or Path(f"ban-luu-{capture_id}{PARTS[part]}")
    target.write_bytes(data)
    console.print(f"Đã ghi {target} ({len(data)} byte).")


@evidence_app.command("run")
def run(limit: int = typer.Option(20, "--limit", "-n", help="Lưu tối đa N trang (at most N pages).")) -> None:
    """Lưu các trang đang chờ (take the pending captures now)."""
    from kiemchung.captures import capture_pending

    with open_db() as db:
        n = capture_pending(db, limit=limit)
    console.print(f"Đã xử lý {n} bản lưu đang chờ ({n} pending captures attempted).")
