"""The tasks of server mode's workers, and the per-process state they share (:class:`Runtime`).

Every task is a plain function over the library (collect, ingest, stories, claims, entities, reports):
nothing here knows about terminals or HTTP. A worker process passes its :class:`Runtime` in the job
context (``additional_context["kiemchung"]``); tasks run in worker threads (``--concurrency``), so
the stages, which are not thread-safe, are used under the runtime's locks, and the stages that must be
serial across hosts carry a procrastinate ``lock`` (see :mod:`kiemchung.workers`).

Every task can run twice for one piece of work (a retry after a worker died or the database went
away) and stays correct: documents are identified by their key, stages resume from their stored
progress, alerts and notifications are unique per document and fact-check, per alert and channel.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import threading
import zlib
from typing import Any

from procrastinate import Blueprint, JobContext, RetryStrategy
from procrastinate.exceptions import AlreadyEnqueued

from kiemchung.models import Document

log = logging.getLogger(__name__)

blueprint = Blueprint()

#: A failed import chunk (the database away, a bug) is retried after 0, 2, 4 … 58 s: about 15 minutes
#: in all; past its last attempt it stays in the queue as ``failed``. The other tasks are not retried
#: by procrastinate: the periodic deferrers queue them again (a source still due, a stage with work
#: left), and a retry would clash with the job already waiting under the same queueing lock (a job
#: that cannot be put back stays "running" and keeps its lock).
RETRY = RetryStrategy(max_attempts=30, linear_wait=2)

#: How often the periodic deferrers look for due sources and pending stage work (cron, with seconds).
DUE_SOURCES_CRON = "* * * * * */5"
CATCH_UP_CRON = "* * * * * */30"
REPORTS_CRON = "5 * * * *"
TIPS_CRON = "* * * * * */30"  # the tip inboxes (IMAP, Telegram) and tips not matched yet
WATCH_ALERTS_CRON = "*/10 * * * *"

ENRICH_DOCS = 200  # named entities: documents per job
KEYWORD_STORIES = 50  # story keywords: stories per job


class Runtime:
    """What one worker process keeps between jobs: the database, the ingestor (its near-duplicate
    index), and the stages with their loaded state."""

    def __init__(self, db, *, ner: bool = True) -> None:
        from kiemchung.collect import Collector
        from kiemchung.ingest import Ingestor
        from kiemchung.pipeline import Pipeline

        self.db = db
        self.ner = ner
        self.ingestor = Ingestor(db)
        self.collector = Collector(db, self.ingestor)
        self.stage_lock = threading.Lock()  # the stage objects below are used by one thread at a time
        # The story and alert stages, loaded on first use: the same objects `watch` runs.
        self._stages = Pipeline(db)

    @property
    def stories(self):
        """This process's story stage (its clusterer state is loaded on first use, kept between jobs)."""
        return self._stages.stories

    @property
    def alerts(self):
        """This process's alert stage."""
        return self._stages.alerts


def runtime_of(context: JobContext) -> Runtime:
    """The worker process's runtime, from a job's context."""
    return context.additional_context["kiemchung"]


def _defer(task, **options: Any):
    """Defer a job unless one with the same queueing lock is already waiting (then that one will do)."""
    kwargs = options.pop("kwargs", {})
    try:
        return task.configure(**options).defer(**kwargs)
    except AlreadyEnqueued:
        return None


# ---------------------------------------------------------------------------------------------
# Documents in job arguments (import chunks travel in the queue, so any host can store them)


def doc_to_job(doc: Document, hasher=None) -> dict[str, Any]:
    """A document as JSON job arguments (times as ISO text, raw bytes as base64).

    With ``hasher`` (the installation hashes authors: :meth:`kiemchung.ingest.Ingestor.author_hasher`)
    every author identity is hashed first, the document's author included, so the queue's table
    never holds a handle in clear either."""
    if hasher is not None:
        from kiemchung.ingest import PREHASHED_AUTHOR
        from kiemchung.privacy import scrub_document

        scrub_document(doc, hasher)
        if doc.author:
            doc.meta = {**(doc.meta or {}), PREHASHED_AUTHOR: hasher(doc.author)}
            doc.author = None
    out: dict[str, Any] = {}
    for name in ("url", "title", "lead", "body", "kind", "source_id", "source_name", "platform",
                 "external_id", "author", "language", "engagement", "meta"):
        value = getattr(doc, name)
        if value not in (None, "", {}):
            out[name] = value
    for name in ("published_at", "fetched_at"):
        value = getattr(doc, name)
        if value is not None:
            out[name] = value.isoformat()
    raw = doc.raw
    if isinstance(raw, bytes):
        out["raw_b64"] = base64.b64encode(raw).decode()
    elif raw is not None:
        out["raw"] = raw
    return out


def doc_from_job(data: dict[str, Any]) -> Document:
    """The document of :func:`doc_to_job`'s output."""
    data = dict(data)
    for name in ("published_at", "fetched_at"):
        if data.get(name):
            data[name] = dt.datetime.fromisoformat(data[name])
    if "raw_b64" in data:
        data["raw"] = base64.b64decode(data.pop("raw_b64"))
    return Document(**data)


# ---------------------------------------------------------------------------------------------
# Collection


def defer_poll(source_id: int):
    """Queue a poll of one source: never two waiting, never two running (locks per source)."""
    return _defer(poll_source, lock=f"source:{source_id}", queueing_lock=f"poll:{source_id}",
                  kwargs={"source_id": source_id})


@blueprint.periodic(cron=DUE_SOURCES_CRON, periodic_id="due_sources")
@blueprint.task(name="due_sources", queue="poll", queueing_lock="due_sources", pass_context=True)
def due_sources(context: JobContext, timestamp: int) -> int:
    """Queue a poll of every source whose time has come; returns how many were queued."""
    runtime = runtime_of(context)
    now = dt.datetime.fromtimestamp(timestamp, dt.UTC)
    queued = 0
    for src in runtime.collector.due(now):
        if defer_poll(src.id) is not None:
            queued += 1
    return queued


@blueprint.task(name="poll_source", queue="poll", pass_context=True)
def poll_source(context: JobContext, source_id: int) -> dict[str, Any]:
    """Poll one source of any connector kind (when still due: a retried or late job finds it polled
    meanwhile) through :meth:`Collector.poll` and store what is new; then queue the stages after ingest."""
    from kiemchung.collect import is_due, polled
    from kiemchung.errors import NotFoundError

    runtime = runtime_of(context)
    try:
        source = runtime.db.get_source(source_id)
    except NotFoundError:  # removed since the job was queued
        return {"skipped": "removed"}
    if not polled(source) or not is_due(source, runtime.collector.clock()):
        return {"skipped": "not due"}
    result = runtime.collector.poll(source)
    if result.stats.added:
        after_ingest()
    return {"fetched": result.fetched, "added": result.stats.added, "error": str(result.error or "") or None,
            "problems": len(result.problems)}


def pack_docs(docs: list[dict[str, Any]]) -> str:
    """Job arguments of many documents as one compressed text (zlib, then base64).

    Jobs are queued as a composite row whose text form escapes every quote and backslash of the
    arguments one regular-expression match at a time: 2 ms of the importing command's CPU per document
    as plain JSON (more than reading and checking it), none for base64 text, which holds neither; and
    the queue's table holds a quarter of the bytes."""
    return base64.b64encode(zlib.compress(json.dumps(docs, ensure_ascii=False).encode("utf-8"), 1)).decode("ascii")


def unpack_docs(packed: str) -> list[dict[str, Any]]:
    """The documents of :func:`pack_docs`'s text."""
    return json.loads(zlib.decompress(base64.b64decode(packed)).decode("utf-8"))


@blueprint.task(name="import_chunk", queue="import", pass_context=True, retry=RETRY)
def import_chunk(context: JobContext, docs: list[dict[str, Any]] | None = None, file: str = "", lines: str = "",
                 packed: str = "") -> dict[str, int]:
    """Store one chunk of an import file (documents already read and checked by the importing command),
    given as ``packed`` (:func:`pack_docs`) or, from jobs queued by an earlier version, as ``docs``."""
    runtime = runtime_of(context)
    if packed:
        docs = unpack_docs(packed)
    stats = runtime.collector.store([doc_from_job(d) for d in docs or ()])
    if stats.added:
        after_ingest()
    return {"added": stats.added, "existing": stats.existing,
            "duplicates": stats.exact_duplicates + stats.near_duplicates}


def defer_import(docs: list[Document], *, file_key: str, first_line: int, last_line: int, name: str = "",
                 hasher=None):
    """Queue one chunk of an import; ``hasher``: see :func:`doc_to_job`. (No queueing lock: a chunk
    queued twice is stored once anyway, and a retried chunk must never clash with a waiting one.)"""
    return _defer(import_chunk,
                  kwargs={"packed": pack_docs([doc_to_job(d, hasher) for d in docs]), "file": name,
                          "lines": f"{first_line}-{last_line}"})


# ---------------------------------------------------------------------------------------------
# The stages after ingest


def after_ingest() -> None:
    """Queue story assignment (which queues alerts and enrichment after it)."""
    _defer(assign_stories)


@blueprint.task(name="assign_stories", queue="stories", lock="stories", queueing_lock="stories",
                pass_context=True)
def assign_stories(context: JobContext) -> int:
    """Assign every stored document not yet in a story (serial: lock ``stories``).

    procrastinate's lock keeps two jobs apart unless the stalled-job sweeper hands back the job of a
    worker that missed its heartbeats (starved of CPU) while it still runs; the store-wide stage lock
    then stops the second copy at once (returns 0): the first assigns what it finds, and the periodic
    ``catch_up`` queues the stage again for what arrives meanwhile."""
    runtime = runtime_of(context)
    with runtime.db.stage_lock("stories") as mine:
        if not mine:
            log.warning("story assignment already running elsewhere: this job stops")
            return 0
        with runtime.stage_lock:
            done = runtime.stories.run()
    _defer(match_alerts)
    if done:
        _defer(enrich)
    return done


@blueprint.task(name="match_alerts", queue="alerts", lock="alerts", queueing_lock="match_alerts",
                pass_context=True)
def match_alerts(context: JobContext) -> int:
    """Match the documents assigned since the last run against the false claims; notify (lock ``alerts``)."""
    runtime = runtime_of(context)
    with runtime.db.stage_lock("alerts") as mine:
        if not mine:  # a second copy of the job (see assign_stories)
            log.warning("alert matching already running elsewhere: this job stops")
            return 0
        with runtime.stage_lock:
            return runtime.alerts.run()


@blueprint.task(name="deliver_alerts", queue="alerts", lock="alerts", queueing_lock="deliver_alerts",
                pass_context=True)
def deliver_alerts(context: JobContext) -> dict[str, int]:
    """Try the notifications still pending (a webhook that was down, a mail server that refused).

    Alert matching delivers what it raises, and a copy of this job handed back by the stall sweeper
    may run beside it (see assign_stories): ``deliver_pending`` claims each notification before it
    sends it, so overlapping rounds on any host never send one twice, and this job needs no stage lock."""
    from kiemchung.claims.notify import deliver_pending

    return deliver_pending(runtime_of(context).db)


@blueprint.task(name="enrich", queue="enrich", lock="enrich", queueing_lock="enrich", pass_context=True)
def enrich(context: JobContext) -> dict[str, int]:
    """One round of named entities, story keywords and image text (OCR); queues another while there is
    more to do."""
    from kiemchung.pipeline import OCR_IMAGES_PER_ROUND, run_slow_round

    runtime = runtime_of(context)
    done = run_slow_round(runtime.db, ner=runtime.ner, docs_per_round=ENRICH_DOCS,
                          stories_per_round=KEYWORD_STORIES)
    if (done["entities"] >= ENRICH_DOCS or done["keywords"] >= KEYWORD_STORIES
            or done.get("ocr", 0) >= OCR_IMAGES_PER_ROUND):
        _defer(enrich)
    return done


@blueprint.periodic(cron=CATCH_UP_CRON, periodic_id="catch_up")
@blueprint.task(name="catch_up", queue="stories", queueing_lock="catch_up", pass_context=True)
def catch_up(context: JobContext, timestamp: int) -> None:
    """Queue every stage now and then, whatever happened: work stored while a deferral was lost (the
    database went away between a commit and the deferral) or left by an interrupted round is picked up."""
    _defer(assign_stories)
    _defer(enrich)
    _defer(deliver_alerts)


# ---------------------------------------------------------------------------------------------
# Tips (kiemchung.tips): the inboxes, and matching tips not matched yet


@blueprint.periodic(cron=TIPS_CRON, periodic_id="poll_tips")
@blueprint.task(name="poll_tips", queue="poll", lock="tips", queueing_lock="poll_tips", pass_context=True)
def poll_tips(context: JobContext, timestamp: int) -> dict[str, Any]:
    """Read the tip inboxes (IMAP, Telegram bot) when configured, match the tips not matched yet, and
    queue the stages after ingest when tips came in."""
    from kiemchung.tips.channels import poll_channels
    from kiemchung.tips.service import match_tips

    db = runtime_of(context).db
    results = poll_channels(db)
    matched = match_tips(db)
    if any(r.received for r in results.values()):
        after_ingest()
    return {"channels": {k: {"received": r.received, "skipped": r.skipped, "error": r.error}
                         for k, r in results.items()}, "matched": matched}


# ---------------------------------------------------------------------------------------------
# Scheduled reports


@blueprint.periodic(cron=REPORTS_CRON, periodic_id="scheduled_reports")
@blueprint.task(name="scheduled_reports", queue="reports", lock="reports", queueing_lock="scheduled_reports",
                pass_context=True)
def scheduled_reports(context: JobContext, timestamp: int) -> list[str]:
    """Write the last complete period's report of each schedule in setting ``report_schedule``
    (weekly, monthly, quarterly, each optionally ``@collection`` for one source collection's report;
    comma-separated) into the report folder (setting ``report_dir``), once per period, and mail it to
    ``report_mail_to`` when set. A schedule whose collection no longer exists is logged and skipped; the
    others are still written. Returns the files written."""
    from kiemchung.errors import NotFoundError
    from kiemchung.reports.schedule import report_folder, run_schedule
    from kiemchung.store import settings

    db = runtime_of(context).db
    schedules = settings.parse_schedules(settings.value(db, "report_schedule"))
    if not schedules:
        return []
    out_dir = report_folder(db)
    now = dt.datetime.fromtimestamp(timestamp, dt.UTC)
    written: list[str] = []
    for schedule, collection in schedules:
        try:
            _period, files, created = run_schedule(db, schedule, out_dir, now=now, collection=collection,
                                                   mail_to=settings.value(db, "report_mail_to") or None)
        except NotFoundError as exc:
            log.error("Báo cáo định kỳ %s@%s bỏ qua (scheduled report skipped): %s", schedule, collection, exc)
            continue
        if created:
            written += [str(f) for f in files]
    return written


# ---------------------------------------------------------------------------------------------
# Rising watchlists pushed, and the morning digest


@blueprint.periodic(cron=WATCH_ALERTS_CRON, periodic_id="watch_alerts")
@blueprint.task(name="watch_alerts", queue="alerts", lock="watch_alerts", queueing_lock="watch_alerts",
                pass_context=True)
def watch_alerts(context: JobContext, timestamp: int) -> dict[str, Any]:
    """Check watchlist rises (notify new ones once) and send yesterday's digest when due
    (:func:`kiemchung.stories.watch_alerts.run_scheduled`); returns what was done."""
    from kiemchung.stories.watch_alerts import run_scheduled

    done = run_scheduled(runtime_of(context).db, dt.datetime.fromtimestamp(timestamp, dt.UTC))
    return {"rises": vars(done["rises"]), "digest": done["digest"]}
