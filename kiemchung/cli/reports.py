"""Report and reach commands: ``kiemchung report`` and ``kiemchung reach``."""

from __future__ import annotations

import datetime as dt
import os

import typer
from rich.markup import escape
from rich.table import Table

from kiemchung.cli.app import app, console, open_db
from kiemchung.errors import ConfigError


@app.command("report")
def report_cmd(
    period: str = typer.Option(None, "--period", help="Kỳ: 2026-Q1, 2026-03, 2026-W10 (period)"),
    from_: str = typer.Option(None, "--from", help="Từ ngày, dd/mm/yyyy hoặc YYYY-MM-DD (from date)"),
    to: str = typer.Option(None, "--to", help="Đến ngày, tính cả ngày này: dd/mm/yyyy hoặc YYYY-MM-DD (to date, inclusive)"),
    fmt: str = typer.Option("all", "--format", help="html|pdf|md|all"),
    out: str = typer.Option(None, "--out", help="Thư mục ghi báo cáo; mặc định: cài đặt report_dir, nếu không có "
                            "thì thư mục hiện tại (output directory; default: setting report_dir, else .)"),
    schedule: str = typer.Option(None, "--schedule", help="weekly|monthly|quarterly: kỳ trọn vẹn gần nhất"),
    mail_to: str = typer.Option(None, "--mail-to", help="Gửi báo cáo tới địa chỉ này (mail to)"),
    collection: str = typer.Option(None, "--collection", help="Chỉ các nguồn của bộ sưu tập này, tên hoặc số "
                                   "(only the sources of this collection, name or id)"),
) -> None:
    """Lập báo cáo định kỳ (write a periodic report)."""
    from kiemchung.audit import cli_actor
    from kiemchung.reports.build import resolve_scope
    from kiemchung.reports.period import parse_period
    from kiemchung.reports.schedule import FORMATS, run_schedule, send_report, write_report

    formats = FORMATS if fmt == "all" else tuple(f.strip() for f in fmt.split(","))
    workers = min(2, os.cpu_count() or 1)  # this command is single-threaded: the reach scan may fork
    p = None
    if not schedule:  # a bad period is refused before the database is opened (or created)
        if period and (from_ or to):
            raise ConfigError("Dùng --period hoặc --from/--to, không dùng cả hai (use one)")
        p = parse_period(period, start=from_, end=to)
    with open_db() as db:
        from kiemchung.store import settings

        out = out or settings.value(db, "report_dir") or "."
        scope = resolve_scope(db, collection)  # an unknown collection is refused before anything is built
        ref = scope.id if scope else None
        if schedule:
            p, files, created = run_schedule(db, schedule, out, mail_to=mail_to, formats=formats, workers=workers,
                                           actor=cli_actor(), collection=ref)
            verb = "Đã lập" if created else "Đã có sẵn (already there)"
        else:
            files = write_report(db, p, out, formats, workers=workers, actor=cli_actor(), collection=ref)
            if mail_to:
                send_report(db, p, files, mail_to, collection=scope.name if scope else None)
            verb = "Đã lập"
    where = f" (bộ sưu tập nguồn «{escape(scope.name)}»)" if scope else ""
    console.print(f"{verb} báo cáo {p.label}{where}:")
    for f in files:
        console.print(f"  {f}")


def _dur(d: dt.timedelta | None) -> str:
    return "–" if d is None else f"{d.total_seconds() / 3600:.1f} giờ"


@app.command("reach")
def reach_cmd(
    statement: int = typer.Option(None, "--statement", help="Mã văn bản chính thức (document id)"),
    factcheck: str = typer.Option(None, "--factcheck", help="Mã bài kiểm chứng (fact-check id)"),
    story: int = typer.Option(None, "--story", help="Mã câu chuyện (story id)"),
) -> None:
    """Mức lan toả của thông tin chính thức và bài kiểm chứng (reach of official information)."""
    from kiemchung import reach

    if sum(x is not None for x in (statement, factcheck, story)) != 1:
        raise ConfigError("Chọn đúng một trong --statement, --factcheck, --story (pick exactly one)")
    with open_db() as db:
        if story is not None:
            summary, results, fcs = reach.reach_of_story(db, story)
            console.print(f"Câu chuyện {story}: {escape(summary.headline)} — {summary.documents} văn bản, "
                          f"{summary.statements} thông tin chính thức ({summary.pickups} lượt đăng lại), "
                          f"tin sai lặp lại {summary.claim_volume} lần, {summary.factchecks} bài kiểm chứng "
                          f"({summary.correction_pickups} lượt đăng lại)")
            for r in fcs:
                console.print(f"  Kiểm chứng #{r.seed_id}: {escape(r.title)} — tin sai trong câu chuyện {len(r.claim_docs)}, "
                              f"trước khi đăng {r.before}, sau {r.after}; bài kiểm chứng được đăng lại {r.count} lần")
        elif statement is not None:
            results = [reach.reach_of_statement(db, statement)]
        else:
            r = reach.reach_of_factcheck(db, factcheck)
            console.print(f"Tin sai (claim) trước khi đăng: {r.before}, sau khi đăng: {r.after}")
            results = [r]
    for r in results:
        console.print(f"[bold]{escape(r.title)}[/bold] — {r.count} lượt đăng lại, {len(r.outlets)} nguồn; "
                      f"lần đầu sau {_dur(r.time_to(1))}, lần thứ 10 sau {_dur(r.time_to(10))}")
        if r.pickups:
            table = Table("Mã", "Nguồn", "Lúc", "Cách nhận ra")
            for p in r.pickups:
                table.add_row(str(p.doc_id), escape(p.source), p.at.astimezone(dt.timezone(dt.timedelta(hours=7))).strftime("%d/%m/%Y %H:%M"),
                              "trùng lặp" if p.via == "duplicate" else "so khớp")
            console.print(table)
