"""``kiemchung images``: the images fact-checks are about, and matching an image against them."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from kiemchung.cli.app import app, console, open_db

images_app = typer.Typer(help="Ảnh của bài kiểm chứng và so khớp ảnh (fact-checks' images, image matching).",
                         no_args_is_help=True)
app.add_typer(images_app, name="images")

IMAGE = typer.Argument(..., help="Tệp ảnh, hoặc - để đọc từ đầu vào chuẩn (image file, or - for stdin).")


def _read(image: Path, max_bytes: int) -> bytes:
    from kiemchung.images.store import ImageError, read_image_file

    if str(image) == "-":
        data = sys.stdin.buffer.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise ImageError("image_too_large", f"> {max_bytes:,} bytes")
        return data
    return read_image_file(image, max_bytes=max_bytes)


@images_app.command("match")
def images_match(
    image: Path = IMAGE,
    as_json: bool = typer.Option(False, "--json", help="In JSON (print JSON)."),
) -> None:
    """In các bài kiểm chứng có ảnh khớp với ảnh này, kèm khoảng cách băm; không khớp thì không in gì
    (print the fact-checks whose images match, with the hash distance, or nothing)."""
    from kiemchung.images.match import match_factchecks
    from kiemchung.images.store import ImageStore
    from kiemchung.labels import label

    with open_db() as db:
        found = match_factchecks(db, _read(image, ImageStore(db).max_bytes))
    if as_json:
        typer.echo(json.dumps([m.public() for m in found], ensure_ascii=False, indent=2))
        return
    for m in found:
        how = f"pHash {m.distance}/64" if m.method == "phash" else \
            f"pHash {m.distance}/64, dHash {m.second}/64 (vùng cắt / crop window)"
        typer.echo(f"#{m.factcheck_id}\t{how}\t{label('verdict', m.verdict)}\t{m.claim[:120]}")


@images_app.command("add")
def images_add(
    image: Path = IMAGE,
    factcheck: int = typer.Option(..., "--factcheck", help="Số bài kiểm chứng (fact-check id)."),
    editor: str = typer.Option(..., "--editor", help="Tên biên tập viên (editor name)."),
) -> None:
    """Thêm ảnh mà bài kiểm chứng nói đến (add an image a fact-check is about)."""
    from kiemchung.audit import cli_actor
    from kiemchung.images.match import attach_to_factcheck
    from kiemchung.images.store import ImageStore
    from kiemchung.labels import label

    with open_db() as db:
        img = attach_to_factcheck(db, factcheck, _read(image, ImageStore(db).max_bytes), editor=editor,
                                  actor=cli_actor())
    notes = "; ".join(label("image_problem", w) for w in img.warnings)
    console.print(f"Ảnh #{img.id} ({img.width}×{img.height}, {img.mime}) → bài kiểm chứng #{factcheck}"
                  f"{' — ' + notes if notes else ''}", highlight=False)


@images_app.command("remove")
def images_remove(
    image_id: int = typer.Argument(..., help="Số ảnh (image id)."),
    factcheck: int = typer.Option(..., "--factcheck", help="Số bài kiểm chứng (fact-check id)."),
    editor: str = typer.Option(..., "--editor", help="Tên biên tập viên (editor name)."),
) -> None:
    """Bỏ ảnh khỏi bài kiểm chứng (untie an image from a fact-check)."""
    from kiemchung.audit import cli_actor
    from kiemchung.errors import NotFoundError
    from kiemchung.images.match import detach_from_factcheck

    with open_db() as db:
        if not detach_from_factcheck(db, factcheck, image_id, editor=editor, actor=cli_actor()):
            raise NotFoundError(f"Ảnh #{image_id} không thuộc bài kiểm chứng #{factcheck} "
                                f"(image #{image_id} is not tied to fact-check #{factcheck})")
    console.print(f"Đã bỏ ảnh #{image_id} khỏi bài kiểm chứng #{factcheck} (removed)", highlight=False)


@images_app.command("list")
def images_list(
    factcheck: int | None = typer.Option(None, "--factcheck", help="Ảnh của bài kiểm chứng này (of this fact-check)."),
    document: int | None = typer.Option(None, "--document", help="Ảnh của tài liệu này (of this document)."),
) -> None:
    """Liệt kê ảnh của một bài kiểm chứng hoặc tài liệu (list the images of a fact-check or document)."""
    from kiemchung.errors import ConfigError
    from kiemchung.images.store import ImageStore
    from kiemchung.labels import label

    if (factcheck is None) == (document is None):
        raise ConfigError("Cần đúng một trong --factcheck, --document (give one of --factcheck, --document)")
    target, target_id = ("factcheck", factcheck) if factcheck is not None else ("document", document)
    with open_db() as db:
        found = ImageStore(db).for_target(target, target_id)
    for img in found:
        notes = "; ".join(label("image_problem", w) for w in img.warnings)
        tail = f"\t{notes}" if notes else ""
        typer.echo(f"#{img.id}\t{img.width}×{img.height}\t{img.mime}\tpHash {img.phash}\t{img.sha256[:12]}{tail}")
