"""Periodic reports from the workbench: the report folder, the reports in it, generating one."""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path as FsPath

from kiemchung.errors import ConfigError, KiemchungError, NotFoundError

# The period's first and last day; a report on one source collection adds "_bst-<collection id>".
REPORT_STEM = re.compile(r"^bao-cao-(\d{4}-\d{2}-\d{2})_(\d{4}-\d{2}-\d{2})(?:_bst-(\d{1,18}))?$")
REPORT_FORMATS = ("html", "md", "pdf")


def report_dir(db) -> FsPath:
    """The installation's report folder (:func:`kiemchung.reports.schedule.report_folder`)."""
    from kiemchung.reports.schedule import report_folder

    return report_folder(db)


def list_reports(db) -> list[dict]:
    """Reports in the report folder, newest period first: name (file stem), period start/end, formats,
    and the source collection a report is limited to (``collection``: its name, None for every source;
    "#ID" for a collection deleted since)."""
    from kiemchung.sources.directory import list_collections

    folder = report_dir(db)
    if not folder.is_dir():
        return []
    found: dict[str, set[str]] = {}
    for p in folder.iterdir():
        if p.is_file() and REPORT_STEM.match(p.stem) and p.suffix[1:] in REPORT_FORMATS:
            found.setdefault(p.stem, set()).add(p.suffix[1:])
    names = {c.id: c.name for c in list_collections(db)} if any("_bst-" in k for k in found) else {}
    out = []
    for stem, fmts in found.items():
        start, last, cid = REPORT_STEM.match(stem).groups()  # first and last day, both included
        try:
            end = (dt.date.fromisoformat(last) + dt.timedelta(days=1)).isoformat()  # exclusive end
        except ValueError:
            continue
        collection = None if cid is None else names.get(int(cid), f"#{cid}")
        out.append({"name": stem, "start": start, "end": end, "last": last, "collection": collection,
                    "collection_id": None if cid is None else int(cid),
                    "formats": [f for f in REPORT_FORMATS if f in fmts]})
    out.sort(key=lambda r: (r["start"], r["end"], r["collection_id"] or 0), reverse=True)
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


def _write_in_child(url: str, period, folder: str, fmts: list[str], workers: int, job: str | None = None,
                    actor: str | None = None, collection: int | None = None) -> list[str]:
    """Entry point of the spawned report process: a single-threaded program, so reach may fork."""
    from kiemchung.reports.schedule import write_report
    from kiemchung.store import Database

    db = Database(url, upgrade=False)
    progress = (lambda stage: _update_job(FsPath(job), stage=stage)) if job else None
    try:
        return [str(p) for p in write_report(db, period, folder, fmts, workers=workers, progress=progress,
                                             actor=actor, collection=collection)]
    finally:
        db.close()


# ----------------------------------------------------------------------------------------- report jobs
# A report started from the web runs in the background; its state is a small JSON file in the report
# folder (``.jobs/<id>.json``), so any server process can answer the page's polling, and the spawned
# process that builds the report writes its stage there.

JOB_ID = re.compile(r"^[0-9a-f]{16}$")
JOB_STAGES = ("queued", "build", "html", "md", "pdf", "done", "failed")


def _job_path(db, job_id: str) -> FsPath:
    if not JOB_ID.match(job_id or ""):
        raise NotFoundError(f"Không có công việc này (no such job): {job_id}")
    return report_dir(db) / ".jobs" / f"{job_id}.json"


def _update_job(path: FsPath, **changes) -> dict:
    import json

    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        state = {}
    state.update(changes)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)
    return state


def start_report_job(db, user, period, formats, collection: int | None = None) -> str:
    """Start generating a report (of a source collection's sources, by id, when given) in the
    background; returns the job id to poll with :func:`report_job`."""
    import secrets
    import threading
    import time

    scope = report_scope(db, collection)  # an unknown collection is refused here, before any job
    job_id = secrets.token_hex(8)
    path = _job_path(db, job_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    _update_job(path, id=job_id, status="running", stage="queued", started=time.time(), user=user.name,
                period=period.label + (f" — «{scope.name}»" if scope else ""), name=None, error=None)

    def run() -> None:
        try:
            name = generate_report(db, user, period, formats, job=path, collection=scope.id if scope else None)
        except (KiemchungError, OSError, RuntimeError, ValueError) as exc:  # shown on the page, never lost
            _update_job(path, status="failed", stage="failed", error=str(exc), finished=time.time())
        else:
            _update_job(path, status="done", stage="done", name=name, finished=time.time())

    threading.Thread(target=run, name=f"report-{job_id}", daemon=True).start()
    return job_id


def report_job(db, job_id: str, *, now: float | None = None) -> dict:
    """A report job's state: status (running, done, failed), stage, seconds elapsed, report name, error."""
    import json
    import time

    path = _job_path(db, job_id)
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise NotFoundError(f"Không có công việc này (no such job): {job_id}") from exc
    end = state.get("finished") or (time.time() if now is None else now)
    state["elapsed"] = round(max(0.0, end - float(state.get("started") or end)), 1)
    return state


def write_in_worker(db, period, folder: FsPath, fmts: list[str], job: FsPath | None = None,
                    actor: str | None = None, collection: int | None = None) -> list[FsPath]:
    """Write a report from the web app: in a spawned process using both cores when there are two.

    The web server is multi-threaded, so it must not fork; a spawned child is a fresh,
    single-threaded interpreter whose reach scan may fork (``workers``), as ``kiemchung report`` does.
    ``KIEMCHUNG_REPORT_WORKERS=1`` builds in-process instead."""
    from kiemchung.reports.schedule import write_report

    workers = min(2, os.cpu_count() or 1)
    if workers <= 1 or os.environ.get("KIEMCHUNG_REPORT_WORKERS") == "1":
        progress = (lambda stage: _update_job(job, stage=stage)) if job else None
        return write_report(db, period, folder, fmts, progress=progress, actor=actor, collection=collection)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from kiemchung.processes import die_with_parent

    # (dies with the server: a killed server leaves no report process behind)
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"), initializer=die_with_parent,
                             initargs=(os.getpid(),)) as pool:
        job_arg = str(job) if job else None
        return [FsPath(p) for p in pool.submit(_write_in_child, db.url, period, str(folder), fmts, workers,
                                               job_arg, actor, collection).result()]


def report_scope(db, collection: int | str | None):
    """The source collection (name or id) a report from the web or the API is limited to; None or ""
    for every source; an unknown one: :class:`NotFoundError` with its name."""
    from kiemchung.reports.build import resolve_scope

    return resolve_scope(db, collection)


def generate_report(db, user, period, formats, *, job: FsPath | None = None,
                    collection: int | str | None = None) -> str:
    """Build and render a report into the report folder (``kiemchung.reports.schedule.write_report``),
    limited to a source collection (id or name) when given; returns its name."""
    from kiemchung.reports.schedule import file_stem

    scope = report_scope(db, collection)
    fmts = [f for f in REPORT_FORMATS if f in set(formats) | {"html"}]
    folder = report_dir(db)
    try:
        write_in_worker(db, period, folder, fmts, job, actor=user.name,  # the library audits it
                        collection=scope.id if scope else None)
    except OSError as exc:
        raise ConfigError(f"Không ghi được báo cáo vào {folder}: {exc} (cannot write report)") from exc
    return file_stem(period, scope)


def report_file(db, name: str, fmt: str) -> FsPath:
    """The path of one generated report file (NotFoundError for unknown names or formats)."""
    if not REPORT_STEM.match(name) or fmt not in REPORT_FORMATS:
        raise NotFoundError(f"Không có báo cáo (no such report): {name}")
    path = report_dir(db) / f"{name}.{fmt}"
    if not path.is_file():
        raise NotFoundError(f"Không có báo cáo (no such report): {name}.{fmt}")
    return path

