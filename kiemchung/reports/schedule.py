"""Scheduled reports: write the last complete period's report once (idempotent) and optionally mail it.

Meant for cron or a systemd timer (see docs/reports.md). SMTP settings come from ``db.get_setting``:
``smtp_host``, ``smtp_port`` (25), ``smtp_from``, ``smtp_user``/``smtp_password`` (optional, STARTTLS).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from kiemchung import audit, timeutil
from kiemchung.errors import ConfigError
from kiemchung.reports.build import Scope, build_report, resolve_scope
from kiemchung.reports.period import Period, last_complete
from kiemchung.reports.render import render_html, render_markdown, render_pdf
from kiemchung.store import settings

FORMATS = ("html", "md", "pdf")


def file_stem(period: Period, scope: Scope | None = None) -> str:
    """File name stem of a period's report: its first and last day, e.g. ``bao-cao-2026-03-01_2026-03-31``,
    and for a report limited to a source collection its id, ``bao-cao-2026-03-01_2026-03-31_bst-4``
    (so it never replaces the report on every source).

    The period is half-open ([start, end)); the name shows the last day included, as a reader (and
    ``--to``) counts it.
    """
    last = (period.end - dt.timedelta(days=1)).date()
    stem = f"bao-cao-{period.start.date().isoformat()}_{last.isoformat()}"
    return f"{stem}_bst-{scope.id}" if scope is not None else stem


def write_report(db, period: Period, out_dir: str | Path, formats=FORMATS, *,
                 generated_at: dt.datetime | None = None, workers: int = 1, progress=None,
                 actor: Any = None, collection: int | str | None = None) -> list[Path]:
    """Build the report and write each format into ``out_dir``; returns the files written.

    ``collection`` (a source collection's id or name) limits it to that collection's sources
    (:func:`kiemchung.reports.build.build_report`); an unknown one is refused before anything is written.
    With an ``actor`` (a person's request: web, API or CLI) it is audited as ``report.generate``.
    ``workers`` > 1: the reach scan may fork (only from a single-threaded program, e.g. the CLI).
    ``progress``: called with each stage as it starts ("build", then "html", "md", "pdf")."""
    def stage(name: str) -> None:
        if progress is not None:
            progress(name)

    for f in formats:
        if f not in FORMATS:
            raise ConfigError(f"Định dạng không hỗ trợ: {f!r} (html|md|pdf|all)")
    scope = resolve_scope(db, collection)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stage("build")
    report = build_report(db, period, generated_at=generated_at, workers=workers, collection=scope)
    stem = out / file_stem(period, scope)
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
            detail = {"period": period.label, "files": [p.name for p in written]}
            if scope is not None:
                detail["collection"] = scope.name
            audit.record(conn, actor, "report.generate", f"report:{file_stem(period, scope)}", None, detail)
    return written


def run_schedule(db, schedule: str, out_dir: str | Path, *, now: dt.datetime | None = None,
                 mail_to: str | None = None, formats=FORMATS, workers: int = 1,
                 actor: Any = None, collection: int | str | None = None) -> tuple[Period, list[Path], bool]:
    """Write the last complete period's report (of a source collection, when given) unless already
    there; returns (period, files, created)."""
    period = last_complete(schedule, timeutil.aware(now) or timeutil.view_now(db))
    scope = resolve_scope(db, collection)
    stem = Path(out_dir) / file_stem(period, scope)
    existing = [stem.with_suffix("." + f) for f in formats]
    if all(p.exists() for p in existing):
        return period, existing, False
    files = write_report(db, period, out_dir, formats, workers=workers, actor=actor,
                         collection=scope.id if scope else None)
    if mail_to:
        send_report(db, period, files, mail_to, collection=scope.name if scope else None)
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


def send_report(db, period: Period, files: list[Path], mail_to: str, *, collection: str | None = None) -> None:
    """Mail the report files as attachments (:func:`kiemchung.claims.notify.send_message`, the one sender)."""
    from kiemchung.claims.notify import DeliveryError, send_message

    if not settings.value(db, "smtp_host"):
        raise ConfigError("Chưa cấu hình smtp_host (kiemchung settings set smtp_host ...; SMTP not configured)")
    scope = f" — bộ sưu tập nguồn «{collection}»" if collection else ""
    types = {".pdf": ("application", "pdf"), ".html": ("text", "html"), ".md": ("text", "markdown")}
    try:
        send_message(db, mail_to, f"Báo cáo thông tin — {period.label}{scope}",
                     f"Báo cáo {period.label}{scope} đính kèm (report attached).",
                     attachments=[(f.read_bytes(), *types[f.suffix], f.name) for f in files], timeout=30)
    except DeliveryError as exc:
        raise ConfigError(f"Không gửi được thư tới {mail_to}: {exc} (mail failed)") from exc
