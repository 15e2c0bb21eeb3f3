"""Scheduled reports: write the last complete period's report once (idempotent) and optionally mail it.

Meant for cron or a systemd timer (see docs/reports.md). SMTP settings come from ``db.get_setting``:
``smtp_host``, ``smtp_port`` (25), ``smtp_from``, ``smtp_user``/``smtp_password`` (optional, STARTTLS).
"""

from __future__ import annotations

import datetime as dt
import smtplib
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from kiemchung import audit, timeutil
from kiemchung.errors import ConfigError
from kiemchung.reports.build import build_report
from kiemchung.reports.period import Period, last_complete
from kiemchung.reports.render import render_html, render_markdown, render_pdf
from kiemchung.store import settings

FORMATS = ("html", "md", "pdf")


def file_stem(period: Period) -> str:
    """File name stem of a period's report: its first and last day, e.g. ``bao-cao-2026-03-01_2026-03-31``.

    The period is half-open ([start, end)); the name shows the last day included, as a reader (and
    ``--to``) counts it.
    """
    last = (period.end - dt.timedelta(days=1)).date()
    return f"bao-cao-{period.start.date().isoformat()}_{last.isoformat()}"


def write_report(db, period: Period, out_dir: str | Path, formats=FORMATS, *,
                 generated_at: dt.datetime | None = None, workers: int = 1, progress=None,
                 actor: Any = None) -> list[Path]:
    """Build the report and write each format into ``out_dir``; returns the files written.

    With an ``actor`` (a person's request: web, API or CLI) it is audited as ``report.generate``.
    ``workers`` > 1: the reach scan may fork (only from a single-threaded program, e.g. the CLI).
    ``progress``: called with each stage as it starts ("build", then "html", "md", "pdf")."""
    def stage(name: str) -> None:
        if progress is not None:
            progress(name)

    for f in formats:
        if f not in FORMATS:
            raise ConfigError(f"Định dạng không hỗ trợ: {f!r} (html|md|pdf|all)")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stage("build")
    report = build_report(db, period, generated_at=generated_at, workers=workers)
    stem = out / file_stem(period)
    written = []
    for f in formats:
        stage(f)
        path = stem.with_suffix("." + f)
        if f == "pdf":
            render_pdf(report, path)
        else:
            path.write_text(render_html(report) if f == "html" else render_markdown(report), encoding="utf-8")
        written.append(path)
    if actor is not None:
        with db.write() as conn:
            audit.record(conn, actor, "report.generate", f"report:{file_stem(period)}", None,
                         {"period": period.label, "files": [p.name for p in written]})
    return written


def run_schedule(db, schedule: str, out_dir: str | Path, *, now: dt.datetime | None = None,
                 mail_to: str | None = None, formats=FORMATS, workers: int = 1,
                 actor: Any = None) -> tuple[Period, list[Path], bool]:
    """Write the last complete period's report unless already there; returns (period, files, created)."""
    period = last_complete(schedule, timeutil.aware(now) or timeutil.view_now(db))
    stem = Path(out_dir) / file_stem(period)
    existing = [stem.with_suffix("." + f) for f in formats]
    if all(p.exists() for p in existing):
        return period, existing, False
    files = write_report(db, period, out_dir, formats, workers=workers, actor=actor)
    if mail_to:
        send_report(db, period, files, mail_to)
    return period, files, True


def report_folder(db) -> Path:
    """The installation's report folder: setting ``report_dir``, else ``bao-cao/`` next to the database
    file (a server-mode database has no file: then the setting is needed)."""
    configured = settings.value(db, "report_dir")
    if configured:
        return Path(configured)
    if getattr(db, "path", None):
        return Path(db.path).resolve().parent / "bao-cao"
    raise ConfigError(
        "Chưa cấu hình thư mục báo cáo: kiemchung settings set report_dir /duong/dan (report folder not configured)"
    )


def send_report(db, period: Period, files: list[Path], mail_to: str) -> None:
    """Mail the report files as attachments via SMTP (settings from the database)."""
    host = settings.value(db, "smtp_host")
    if not host:
        raise ConfigError("Chưa cấu hình smtp_host (kiemchung settings set smtp_host ...; SMTP not configured)")
    msg = EmailMessage()
    msg["Subject"] = f"Báo cáo thông tin — {period.label}"
    msg["From"] = settings.value(db, "smtp_from")
    msg["To"] = mail_to
    msg.set_content(f"Báo cáo {period.label} đính kèm (report attached).")
    types = {".pdf": ("application", "pdf"), ".html": ("text", "html"), ".md": ("text", "markdown")}
    for f in files:
        main, sub = types[f.suffix]
        msg.add_attachment(f.read_bytes(), maintype=main, subtype=sub, filename=f.name)
    try:
        with smtplib.SMTP(host, settings.integer(db, "smtp_port") or 25, timeout=30) as smtp:
            user = settings.value(db, "smtp_user")
            if user:
                smtp.starttls()
                smtp.login(user, settings.value(db, "smtp_password"))
            smtp.send_message(msg)
    except (OSError, smtplib.SMTPException) as exc:
        raise ConfigError(f"Không gửi được thư tới {mail_to}: {exc} (mail failed)") from exc
