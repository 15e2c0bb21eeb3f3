"""One worker process (``kiemchung worker``): procrastinate's worker, the stalled-job sweeper, and
reconnection when the database goes away.

- Heartbeats: the worker records one every ``stall_timeout / 3`` seconds. A job whose worker's last
  heartbeat is older than ``stall_timeout`` (the worker was killed, its host lost power or network)
  is handed back to the queue by the sweeper that runs in every worker (procrastinate's stalled-job
  query and ``retry_job``); two sweepers handing back one job is harmless (the second finds it no
  longer running).
- The database going away: the job in flight fails (its retry policy queues it again) or, when even
  its failure cannot be recorded, stays "running" and is handed back by a sweeper once the database
  is back; the worker itself stops, waits (1, 2, 4 … 30 s) and starts again.
- SIGTERM / SIGINT (Ctrl-C): the worker stops taking jobs, lets running ones finish (at most
  ``graceful_s`` seconds, then they are aborted and queued again) and exits.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass

from kiemchung.workers.queue import QUEUES, ensure_queue, make_app, require_server

log = logging.getLogger(__name__)

DEFAULT_STALL_TIMEOUT_S = 30.0


@dataclass
class WorkerOptions:
    """How one worker process runs (the options of ``kiemchung worker``)."""

    queues: tuple[str, ...] | None = None  # None: every queue
    concurrency: int = 1
    stall_timeout_s: float = DEFAULT_STALL_TIMEOUT_S
    ner: bool = True
    name: str | None = None
    graceful_s: float = 30.0
    poll_interval_s: float = 2.0  # fallback poll of the queue (new jobs are announced by NOTIFY)
    burst: bool = False  # stop once the queues are empty (tests, one-off catch-up runs)

    def check(self) -> None:
        """Refuse unknown queue names and impossible numbers, with the list of queues."""
        from kiemchung.errors import ConfigError

        unknown = sorted(set(self.queues or ()) - set(QUEUES))
        if unknown:
            known = ", ".join(QUEUES)
            raise ConfigError(f"Hàng đợi không có: {', '.join(unknown)} (unknown queue; known: {known})")
        if self.concurrency < 1:
            raise ConfigError("--concurrency phải >= 1 (must be at least 1)")
        if self.stall_timeout_s < 3:
            raise ConfigError("--stall-timeout phải >= 3 giây (must be at least 3 seconds)")


def parse_queues(values: Iterable[str] | None) -> tuple[str, ...] | None:
    """``--queues poll,import --queues stories`` -> ('poll', 'import', 'stories'); none: every queue."""
    out: list[str] = []
    for value in values or ():
        out += [q.strip() for q in value.split(",") if q.strip()]
    return tuple(dict.fromkeys(out)) or None


class _OneLine(logging.Filter):
    """Log records with a traceback become one line (the exception's innermost cause), unless the worker
    runs with ``--verbose``: a database outage is a line per event in the log, not pages of stack."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            while exc.__cause__ is not None:
                exc = exc.__cause__
            detail = (str(exc).strip().splitlines() or [""])[0]
            record.msg = f"{record.getMessage()} [{type(exc).__name__}: {detail}]"
            record.args = None
            record.exc_info = None
            record.exc_text = None
        return True


def _quiet_tracebacks() -> None:
    if logging.getLogger().getEffectiveLevel() > logging.INFO:
        for handler in logging.getLogger().handlers:
            if not any(isinstance(f, _OneLine) for f in handler.filters):
                handler.addFilter(_OneLine())


def run(url: str, options: WorkerOptions) -> None:
    """Run a worker on the PostgreSQL installation at ``url`` until stopped by a signal (or, with
    ``burst``, until the queues are empty)."""
    from kiemchung.store import Database
    from kiemchung.workers.tasks import Runtime

    require_server(url)
    options.check()
    _quiet_tracebacks()
    db = Database(url)  # upgrades the schema, the queue's tables included
    try:
        ensure_queue(db)
        runtime = Runtime(db, ner=options.ner)
        asyncio.run(_serve(url, runtime, options))
    finally:
        db.close()


async def sweep_stalled(app, stall_timeout_s: float) -> int:
    """Hand back to the queue every job whose worker's heartbeat is older than ``stall_timeout_s``.

    A job that cannot go back because one with the same queueing lock is already waiting (which does
    the same work: a stage run, a poll of the same source) is closed as failed instead, so that it
    releases its lock."""
    from procrastinate.jobs import Status

    handed = 0
    for job in await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=stall_timeout_s):
        try:
            await app.job_manager.retry_job(job)
        except Exception as exc:
            if await app.job_manager.get_job_status_async(job.id) != Status.DOING:
                continue  # another worker's sweeper was first
            log.warning("stalled job %s (%s) closed, a waiting one does its work: %s", job.id, job.task_name, exc)
            await app.job_manager.finish_job(job, status=Status.FAILED, delete_job=False)
            continue
        handed += 1
        log.warning("job %s (%s) of a stalled worker queued again", job.id, job.task_name)
    return handed


#: Succeeded jobs are kept this long (for ``procrastinate`` inspection), then deleted; failed ones stay.
KEEP_JOBS_HOURS = 72


async def _sweeper(app, stall_timeout_s: float) -> None:
    last_prune = -1e9
    while True:
        try:
            await sweep_stalled(app, stall_timeout_s)
            if time.monotonic() - last_prune > 3600:  # the queue's table does not grow without end
                await app.job_manager.delete_old_jobs(nb_hours=KEEP_JOBS_HOURS)
                last_prune = time.monotonic()
        except Exception as exc:  # the database away: the worker loop reconnects, try again later
            log.debug("stalled-job sweep failed: %s", exc)
        await asyncio.sleep(max(1.0, stall_timeout_s / 3))


async def _heartbeat(app, worker, stall_timeout_s: float) -> None:
    """Keep the worker's heartbeat going until the worker has stopped.

    procrastinate's own heartbeat is a side task that its shutdown cancels first, before it waits (up
    to ``graceful_s``) for the running jobs: a job still running then, a long story assignment on
    SIGTERM, looked stalled after the stall timeout, and a sweeper (this worker's own among them)
    handed it back to the queue while it ran. A second heartbeat is one more UPDATE every
    ``stall_timeout / 3`` seconds."""
    while True:
        await asyncio.sleep(max(1.0, stall_timeout_s / 3))
        if worker.worker_id is None:  # not registered yet, or unregistered: its jobs are done
            continue
        try:
            await app.job_manager.update_heartbeat(worker.worker_id)
        except Exception as exc:  # the database away: the worker loop reconnects
            log.debug("heartbeat failed: %s", exc)


async def _serve(url: str, runtime, options: WorkerOptions) -> None:
    from procrastinate.worker import Worker

    app = make_app(url)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    current: dict[str, asyncio.Task] = {}

    def _on_signal() -> None:
        stopping.set()
        task = current.get("worker")
        if task is not None:
            task.cancel()  # procrastinate stops gracefully when its worker task is cancelled

    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, _on_signal)
    name = options.name or f"{socket.gethostname()}-{os.getpid()}"
    backoff = 1.0
    while not stopping.is_set():
        try:
            async with app.open_async():
                sweeper = asyncio.create_task(_sweeper(app, options.stall_timeout_s))
                app.perform_import_paths()
                procrastinate_worker = Worker(
                    app=app,
                    queues=list(options.queues) if options.queues else None,
                    concurrency=options.concurrency,
                    name=name,
                    wait=not options.burst,
                    fetch_job_polling_interval=options.poll_interval_s,
                    abort_job_polling_interval=max(1.0, options.poll_interval_s),
                    shutdown_graceful_timeout=options.graceful_s,
                    additional_context={"kiemchung": runtime},
                    install_signal_handlers=False,
                    update_heartbeat_interval=max(1.0, options.stall_timeout_s / 3),
                    stalled_worker_timeout=options.stall_timeout_s,
                )
                worker = asyncio.create_task(procrastinate_worker.run())
                beating = asyncio.create_task(_heartbeat(app, procrastinate_worker, options.stall_timeout_s))
                current["worker"] = worker
                try:
                    await worker
                    backoff = 1.0
                except asyncio.CancelledError:
                    if not stopping.is_set():
                        raise
                finally:
                    current.pop("worker", None)
                    for side in (sweeper, beating):
                        side.cancel()
                        with contextlib.suppress(asyncio.CancelledError):
                            await side
        except Exception as exc:  # the database went away (or was never there): wait and reconnect
            log.warning("worker: %s; reconnecting in %.0f s", exc, backoff)
        else:
            if options.burst:
                return
            if not stopping.is_set():  # a side task (heartbeat, listener) lost the database
                log.warning("worker: stopped (database connection lost?); restarting in %.0f s", backoff)
        if stopping.is_set():
            return
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stopping.wait(), backoff)
        backoff = min(backoff * 2, 30.0)
