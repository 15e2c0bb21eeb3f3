"""Periodic reports from the workbench: the report folder, the reports in it, generating one."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path as FsPath

from kiemchung import audit
from kiemchung.errors import ConfigError, NotFoundError

REPORT_STEM = re.compile(r"^bao-cao-\d{4}-\d{2}-\d{2}_\d{4}-\d{2}-\d{2}$")
REPORT_FORMATS = ("html", "md", "pdf")


def report_dir(db) -> FsPath:
    """The installation's report folder: setting ``report_dir``, else ``bao-cao/`` next to the database file."""
    configured = db.get_setting("report_dir")
    if configured:
        return FsPath(configured)
    if getattr(db, "path", None):
        return FsPath(db.path).resolve().parent / "bao-cao"
    raise ConfigError(
        "Chưa cấu hình thư mục báo cáo: kiemchung settings set report_dir /duong/dan (report folder not configured)"
    )


def list_reports(db) -> list[dict]:
    """Reports in the report folder, newest period first: name (file stem), period start/end, formats."""
    folder = report_dir(db)
    if not folder.is_dir():
        return []
    found: dict[str, set[str]] = {}
    for p in folder.iterdir():
        if p.is_file() and REPORT_STEM.match(p.stem) and p.suffix[1:] in REPORT_FORMATS:
            found.setdefault(p.stem, set()).add(p.suffix[1:])
    out = []
    for stem, fmts in found.items():
        start, last = stem[len("bao-cao-") :].split("_")  # first and last day, both included
        try:
            end = (dt.date.fromisoformat(last) + dt.timedelta(days=1)).isoformat()  # exclusive end
        except ValueError:
            continue
        out.append({"name": stem, "start": start, "end": end, "last": last,
                    "formats": [f for f in REPORT_FORMATS if f in fmts]})
    out.sort(key=lambda r: (r["start"], r["end"]), reverse=True)
    return out


def parse_report_period(period: str | None, start: str | None, end: str | None):
    """A report period from the form/API fields (``ConfigError``, in Vietnamese, for anything unusable)."""
    from kiemchung.reports import parse_period

    period = (period or "").strip() or None
    try:
        p = parse_period(period, start=(start or "").strip() or None, end=(end or "").strip() or None)
        p.previous()  # a period whose previous one cannot exist (year 1) is refused here, not in build
    except (ValueError, OverflowError) as exc:
        raise ConfigError(f"Kỳ báo cáo không hợp lệ (invalid period): {period or (start, end)}") from exc
    if p.end - p.start > dt.timedelta(days=400):
        raise ConfigError("Kỳ báo cáo dài quá 400 ngày (period longer than 400 days)")
    return p


def _write_in_child(url: str, period, folder: str, fmts: list[str], workers: int) -> list[str]:
    """Entry point of the spawned report process: a single-threaded program, so reach may fork."""
    from kiemchung.reports.schedule import write_report
    from kiemchung.store import Database

    db = Database(url, upgrade=False)
    try:
        return [str(p) for p in write_report(db, period, folder, fmts, workers=workers)]
    finally:
        db.close()


def write_in_worker(db, period, folder: FsPath, fmts: list[str]) -> list[FsPath]:
    """Write a report from the web app: in a spawned process using both cores when there are two.

    The web server is multi-threaded, so it must not fork; a spawned child is a fresh,
    single-threaded interpreter whose reach scan may fork (``workers``), as ``kiemchung report`` does.
    ``KIEMCHUNG_REPORT_WORKERS=1`` builds in-process instead."""
    import os

    from kiemchung.reports.schedule import write_report

    workers = min(2, os.cpu_count() or 1)
    if workers <= 1 or os.environ.get("KIEMCHUNG_REPORT_WORKERS") == "1":
        return write_report(db, period, folder, fmts)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return [FsPath(p) for p in pool.submit(_write_in_child, db.url, period, str(folder), fmts, workers).result()]


def generate_report(db, user, period, formats) -> str:
    """Build and render a report into the report folder (``kiemchung.reports.schedule.write_report``)."""
    from kiemchung.reports.schedule import file_stem

    fmts = [f for f in REPORT_FORMATS if f in set(formats) | {"html"}]
    folder = report_dir(db)
    try:
        files = write_in_worker(db, period, folder, fmts)
    except OSError as exc:
        raise ConfigError(f"Không ghi được báo cáo vào {folder}: {exc} (cannot write report)") from exc
    with db.write() as conn:
        audit.record(conn, user, "report.generate", f"report:{file_stem(period)}", None,
                     {"period": period.label, "files": [f.name for f in files]})
    return file_stem(period)


def report_file(db, name: str, fmt: str) -> FsPath:
    """The path of one generated report file (NotFoundError for unknown names or formats)."""
    if not REPORT_STEM.match(name) or fmt not in REPORT_FORMATS:
        raise NotFoundError(f"Không có báo cáo (no such report): {name}")
    path = report_dir(db) / f"{name}.{fmt}"
    if not path.is_file():
        raise NotFoundError(f"Không có báo cáo (no such report): {name}.{fmt}")
    return path

