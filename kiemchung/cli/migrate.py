"""``kiemchung migrate-db``: move an installation into another database (SQLite or PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import typer

from kiemchung.cli.app import app, console, console_err, open_db, state
from kiemchung.errors import StoreError


@app.command("migrate-db")
def migrate_db(
    to: str = typer.Option(
        ..., "--to", help="Cơ sở dữ liệu đích: URL postgresql://… hoặc tệp SQLite (target database URL or file)."
    ),
    batch: int = typer.Option(1000, "--batch", min=1, max=100_000, help="Số dòng mỗi lô (rows per batch)."),
) -> None:
    """Chép bản cài đặt (--db) sang cơ sở dữ liệu khác, kiểm tra số dòng và tổng kiểm; chạy lại để tiếp tục
    (copy this installation into another database, verify counts and checksums; rerun to resume)."""
    from rich.markup import escape
    from rich.table import Table

    from kiemchung.store.migrate import display_url, migrate_database

    if "://" not in state.db_path and not Path(state.db_path).exists():
        raise StoreError(
            f"Không có cơ sở dữ liệu nguồn (source database not found): {state.db_path}; chỉ rõ bằng --db"
        )
    current = {"table": None}

    def progress(table: str, done: int, total: int) -> None:
        if current["table"] != table:
            current["table"] = table
            console_err.print(f"  {table}: {done}/{total}", highlight=False)
        elif done == total or done % 50_000 < 1000:
            console_err.print(f"  {table}: {done}/{total}", highlight=False)

    with open_db() as source:
        console_err.print(
            f"Chép (copying) {escape(display_url(source.url))} → {escape(display_url(to))}", highlight=False
        )
        result = migrate_database(source, to, batch=batch, on_progress=progress)

    if result.resumed:
        console.print("Tiếp tục lần chép trước (resumed a previous, interrupted run).")
    table = Table(title="Kiểm tra từng bảng: số dòng, SHA-256 (per-table check: rows, checksum)")
    table.add_column("Bảng (table)", no_wrap=True)
    table.add_column("Dòng (rows)", justify="right")
    table.add_column("SHA-256")
    table.add_column("", no_wrap=True, min_width=14)
    for check in result.checks:
        rows = str(check.source_rows) if check.source_rows == check.target_rows else (
            f"{check.source_rows} ≠ {check.target_rows}")
        sums = check.source_sum[:12] if check.source_sum == check.target_sum else (
            f"{check.source_sum[:12]} ≠ {check.target_sum[:12]}")
        table.add_row(check.name, rows, sums, "[green]khớp (ok)[/]" if check.ok else "[red]KHÁC (differs)[/]")
    console.print(table)
    if result.index_rows is not None:
        docs, rows = result.index_rows
        mark = "khớp (ok)" if docs == rows else "KHÁC (differs)"
        console.print(f"Chỉ mục toàn văn (full-text index): {rows} dòng cho {docs} tài liệu — {mark}")
    if not result.ok:
        raise StoreError(
            "Dữ liệu đích không khớp nguồn; nếu nguồn vẫn đang được ghi, dừng serve/watch/worker rồi chép lại "
            "vào một đích trống (the target differs from the source; if the source is still being written, "
            "stop serve/watch/workers and copy again into an empty target)"
        )
    console.print(f"[green]Xong (done):[/] {escape(result.target)} — mọi bảng khớp (every table matches).")
