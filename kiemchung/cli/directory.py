"""The source directory on the command line: profiles, collections, directory CSV, the starter directory."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from kiemchung.cli.app import app, console, console_err, open_db
from kiemchung.cli.commands import sources_app
from kiemchung.errors import ConfigError
from kiemchung.labels import label

collections_app = typer.Typer(help="Bộ sưu tập nguồn (named sets of sources).", no_args_is_help=True)
app.add_typer(collections_app, name="collections")


def _say_import(report) -> None:
    console.print(
        f"Đã thêm {report.added} nguồn, cập nhật {report.updated}, giữ nguyên {report.unchanged}, "
        f"lỗi {len(report.errors)} (added, updated, unchanged, bad rows)"
    )
    for line, message in report.errors:
        console_err.print(f"dòng {line} (line {line}): {escape(message)}", highlight=False)


@sources_app.command("import-directory")
def import_directory(file: Path = typer.Argument(..., help="Tệp CSV danh bạ nguồn (directory CSV).")) -> None:
    """Nhập danh bạ nguồn từ CSV: nguồn, thông tin, bộ sưu tập; chạy lại không tạo trùng (import a directory CSV)."""
    from kiemchung.audit import cli_actor
    from kiemchung.sources.directory import import_directory as run

    with open_db() as db:
        report = run(db, file, actor=cli_actor())
    _say_import(report)
    if report.errors:
        sys.exit(1)  # some rows were bad (the good ones are kept)


@sources_app.command("export-directory")
def export_directory(
    output: Path = typer.Option(None, "--output", "-o", help="Tệp ra (mặc định: stdout)."),
) -> None:
    """Xuất danh bạ nguồn ra CSV, nhập lại được (export the directory as CSV)."""
    from kiemchung.sources.directory import export_directory as run

    try:
        out = open(output, "w", encoding="utf-8", newline="") if output else sys.stdout
    except OSError as exc:
        raise ConfigError(f"Không ghi được tệp {output} (cannot write the file): {exc.strerror}") from exc
    try:
        with open_db() as db:
            n = run(db, out)
    finally:
        if output:
            out.close()
    if output:
        console_err.print(f"Đã xuất {n} nguồn vào {output} ({n} sources)")


@sources_app.command("load-starter")
def load_starter() -> None:
    """Nạp danh bạ nguồn mẫu: báo, đài, cổng thông tin Việt Nam (load the starter directory of Vietnamese outlets)."""
    from kiemchung.audit import cli_actor
    from kiemchung.sources.directory import load_starter as run

    with open_db() as db:
        report = run(db, actor=cli_actor())
    _say_import(report)
    console.print("Các địa chỉ trong danh bạ mẫu chưa được kiểm tra: sau lần thu thập đầu, xem "
                  "`kiemchung sources health` và sửa hoặc xoá nguồn lỗi (the starter addresses are unchecked: "
                  "after the first polls, see `kiemchung sources health` and fix or remove failing sources).")


@sources_app.command("set")
def sources_set(
    ref: str = typer.Argument(..., help="Số, URL hoặc tên nguồn (id, URL or name)."),
    outlet: str = typer.Option(None, "--outlet", help="Tên cơ quan báo chí (outlet name)."),
    outlet_type: str = typer.Option(
        None, "--type", help="central | local | official | tv | social | factcheck"
    ),
    province: str = typer.Option(None, "--province", help="Tỉnh/thành, tên hoặc mã (province)."),
    language: str = typer.Option(None, "--language", help="Mã ngôn ngữ, ví dụ vi, en (language)."),
) -> None:
    """Đặt thông tin danh bạ của một nguồn; tuỳ chọn không ghi giữ nguyên (set a source's directory entry)."""
    from kiemchung.audit import cli_actor
    from kiemchung.sources.directory import SourceProfile, profiles, set_profile

    with open_db() as db:
        src = db.get_source(int(ref) if ref.isdigit() else ref)
        old = profiles(db, [src.id]).get(src.id) or SourceProfile(src.id)
        p = set_profile(
            db,
            src.id,
            outlet=old.outlet if outlet is None else outlet,
            outlet_type=old.outlet_type if outlet_type is None else outlet_type,
            province=old.province_code if province is None else province,
            language=old.language if language is None else language,
            actor=cli_actor(),
        )
    console.print(
        f"Nguồn #{src.id}: {escape(p.outlet or '-')} · {label('outlet_type', p.outlet_type) if p.outlet_type else '-'}"
        f" · {p.province_code or '-'} · {p.language or '-'}",
        highlight=False,
    )


@collections_app.command("list")
def collections_list() -> None:
    """Liệt kê bộ sưu tập nguồn và số nguồn (list collections)."""
    from kiemchung.sources.directory import list_collections

    with open_db() as db:
        rows = list_collections(db)
    table = Table("#", "Tên (name)", "Số nguồn (sources)", "Mô tả (description)")
    for c in rows:
        table.add_row(str(c.id), escape(c.name), str(len(c.source_ids)), escape(c.description))
    console.print(table)


@collections_app.command("show")
def collections_show(ref: str = typer.Argument(..., help="Số hoặc tên bộ sưu tập (id or name).")) -> None:
    """Các nguồn của một bộ sưu tập (a collection's sources)."""
    from kiemchung.sources.directory import get_collection

    with open_db() as db:
        c = get_collection(db, ref)
        sources = {s.id: s for s in db.list_sources()}
    console.print(f"[bold]#{c.id} {escape(c.name)}[/] ({len(c.source_ids)} nguồn)")
    for sid in c.source_ids:
        s = sources.get(sid)
        if s is not None:
            console.print(f"  #{s.id} {escape(s.name)}  [dim]{escape(s.url)}[/]", highlight=False)


@collections_app.command("create")
def collections_create(
    name: str = typer.Argument(..., help="Tên bộ sưu tập (name)."),
    description: str = typer.Option("", "--description", help="Mô tả (description)."),
) -> None:
    """Tạo bộ sưu tập nguồn (create a collection)."""
    from kiemchung.audit import cli_actor
    from kiemchung.sources.directory import create_collection

    with open_db() as db:
        c = create_collection(db, name, description=description, actor=cli_actor())
    console.print(f"Bộ sưu tập #{c.id}: {escape(c.name)}")


def _source_ids(db, refs: list[str]) -> list[int]:
    return [db.get_source(int(r) if r.isdigit() else r).id for r in refs]


@collections_app.command("add")
def collections_add(
    ref: str = typer.Argument(..., help="Số hoặc tên bộ sưu tập (collection id or name)."),
    sources: list[str] = typer.Argument(..., help="Số, URL hoặc tên nguồn (source ids, URLs or names)."),
) -> None:
    """Thêm nguồn vào bộ sưu tập (add sources to a collection)."""
    from kiemchung.audit import cli_actor
    from kiemchung.sources.directory import add_to_collection

    with open_db() as db:
        c = add_to_collection(db, ref, _source_ids(db, sources), actor=cli_actor())
    console.print(f"Bộ sưu tập #{c.id} {escape(c.name)}: {len(c.source_ids)} nguồn")


@collections_app.command("remove")
def collections_remove(
    ref: str = typer.Argument(..., help="Số hoặc tên bộ sưu tập (collection id or name)."),
    sources: list[str] = typer.Argument(..., help="Số, URL hoặc tên nguồn (source ids, URLs or names)."),
) -> None:
    """Bỏ nguồn khỏi bộ sưu tập (take sources out of a collection)."""
    from kiemchung.audit import cli_actor
    from kiemchung.sources.directory import remove_from_collection

    with open_db() as db:
        c = remove_from_collection(db, ref, _source_ids(db, sources), actor=cli_actor())
    console.print(f"Bộ sưu tập #{c.id} {escape(c.name)}: {len(c.source_ids)} nguồn")


@collections_app.command("delete")
def collections_delete(ref: str = typer.Argument(..., help="Số hoặc tên bộ sưu tập (collection id or name).")) -> None:
    """Xoá bộ sưu tập; các nguồn vẫn giữ (delete a collection; its sources stay)."""
    from kiemchung.audit import cli_actor
    from kiemchung.sources.directory import delete_collection

    with open_db() as db:
        c = delete_collection(db, ref, actor=cli_actor())
    console.print(f"Đã xoá bộ sưu tập #{c.id}: {escape(c.name)}")
