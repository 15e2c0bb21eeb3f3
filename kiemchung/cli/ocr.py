"""``kiemchung ocr IMAGE``: the Vietnamese text of a screenshot or photo; ``--letter``: the fields of an
official letter and the stored statements with the same number or issuer (forged-letter assist)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
from rich.markup import escape

from kiemchung.cli.app import app, console, open_db
from kiemchung.labels import label


@app.command("ocr")
def ocr(
    image: Path | None = typer.Argument(None, help="Tệp ảnh, hoặc - để đọc từ đầu vào chuẩn (image file, or - for stdin)."),
    as_json: bool = typer.Option(False, "--json", help="In JSON: text và độ tin cậy từng dòng (JSON with text and per-line confidence)."),
    letter: bool = typer.Option(False, "--letter", help="Đọc như công văn: số, ngày, cơ quan ban hành, người ký và các văn bản đã lưu cùng số/cơ quan (read as an official letter and show stored statements with the same number or issuer)."),
    raw: bool = typer.Option(False, "--raw", help="Không tiền xử lý ảnh (no pre-processing)."),
    run: bool = typer.Option(False, "--run", help="Chạy bước OCR nền: đọc ảnh gắn với tài liệu và thêm chữ vào tài liệu (run the background OCR stage over the images of stored documents)."),
    limit: int | None = typer.Option(None, "--limit", min=1, help="Với --run: tối đa N ảnh (with --run: at most N images)."),
) -> None:
    """Nhận dạng chữ tiếng Việt trong ảnh (OCR a screenshot or photo)."""
    from kiemchung.errors import ConfigError
    from kiemchung.images.ocr import recognize

    if run:
        from kiemchung.images.ocr_stage import OcrStage

        with open_db() as db:
            rep = OcrStage(db).run(limit=limit)
        if rep.unavailable:
            raise ConfigError(rep.unavailable)
        console.print(f"Đã đọc {rep.links} ảnh gắn với tài liệu ({rep.recognised} ảnh mới), {rep.documents} tài liệu "
                      f"thêm chữ, {rep.alerts} cảnh báo mới (image links read, newly recognised, documents "
                      f"extended, new alerts).", highlight=False)
        return
    if image is None:
        raise ConfigError("Cần tệp ảnh, hoặc --run (an image file or --run is needed)")

    source = sys.stdin.buffer.read() if str(image) == "-" else image
    result = recognize(source, prepare=not raw)
    if not letter:
        if as_json:
            typer.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        else:
            typer.echo(result.text)
        return
    from kiemchung.images.letters import check_letter

    with open_db() as db:
        check = check_letter(db, result.text)
    if as_json:
        data = check.to_dict()
        data["ocr"] = result.to_dict()
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    show_letter(check)


def show_letter(check) -> None:
    """Print a :class:`~kiemchung.images.letters.LetterCheck` for an editor."""
    f = check.fields
    console.print("[bold]Công văn trong ảnh (letter in the image)[/] — chỉ để đối chiếu, không phải kết luận "
                  "(an aid to checking, not a verdict)", highlight=False)
    rows = (("letter_number", f.number), ("letter_date", f.date or f.date_text), ("letter_issuer", f.issuer),
            ("letter_signer", " ".join(x for x in (f.signer_title, f.signer) if x) or None),
            ("letter_subject", f.subject))
    for code, value in rows:
        console.print(f"  {label('letter_field', code)}: {escape(value) if value else '—'}", highlight=False)
    for title, items in ((label("letter_field", "same_number"), check.by_number),
                         (label("letter_field", "same_issuer"), check.by_issuer),
                         (label("letter_field", "same_content"), check.by_content)):
        console.print(f"[bold]{title}[/]: {len(items)}", highlight=False)
        if not items:
            console.print("  (không có / none stored)", highlight=False)
        for s in items:
            kind = label("letter_statement", s.kind)
            when = (s.when or "")[:10]
            console.print(f"  {kind} #{s.id} {when} {escape(s.title[:100])} {escape(s.url or '')}", highlight=False)
