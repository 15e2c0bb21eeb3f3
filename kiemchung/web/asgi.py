"""ASGI entry point for running server processes (`kiemchung serve --workers N`), tuned for throughput."""

from __future__ import annotations

import gc
import os
from contextlib import asynccontextmanager

from fastapi import FastAPI

from kiemchung.web.app import create_app

# Route handlers are plain functions run in a thread pool. Every SQLite call releases and takes back
# the GIL, so handler threads of one process mostly wait for each other: at 20 concurrent clients on
# the search API (2 processes) 8 threads cost 2.45 ms of CPU per request, 4 threads 1.99 ms and 2
# threads 1.98 ms (docs/web.md, Performance). 4 keeps that gain while one slow request (a report,
# an export) still leaves three threads; the read pool holds 8 connections, so none is ever waited for.
HANDLER_THREADS = int(os.environ.get("KIEMCHUNG_HANDLER_THREADS", "4") or 4)


def tune(app: FastAPI, *, threads: int = HANDLER_THREADS) -> FastAPI:
    """Set up ``app`` for serving under load; returns it.

    At start-up: the handler thread pool is limited to ``threads``, and the objects created while
    importing and building the app are moved out of the garbage collector's reach (``gc.freeze``),
    which shortens the collections that otherwise pause requests. Templates are no longer checked
    for changes on disk at every render (restart the server after editing them).
    """
    templates = getattr(app.state, "templates", None)
    if templates is not None:
        templates.env.auto_reload = False
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(a):
        import anyio.to_thread

        anyio.to_thread.current_default_thread_limiter().total_tokens = max(1, threads)
        _warm_tips(a)
        gc.collect()
        gc.freeze()
        async with inner(a) as state:
            yield state

    app.router.lifespan_context = lifespan
    return app


def _warm_tips(app: FastAPI) -> None:
    """Load the tip indexes in the background, so the first tip of this process does not wait for them
    (the public form is open to the first visitor at once)."""
    import logging
    import threading

    db = getattr(app.state, "db", None)
    if db is None:
        return

    def run() -> None:
        from kiemchung.store import settings
        from kiemchung.tips.service import warm

        try:
            if settings.flag(db, "tips_form"):
                warm(db)
        except Exception:  # noqa: BLE001 - a warm-up that fails only leaves the first tip to load them
            logging.getLogger(__name__).exception("warming the tip indexes")

    threading.Thread(target=run, name="tips-warm", daemon=True).start()


def app_factory() -> FastAPI:
    """The app on the database named by ``KIEMCHUNG_DB`` (set by ``kiemchung serve``)."""
    secure = os.environ.get("KIEMCHUNG_SECURE_COOKIES") == "1"
    app = create_app(os.environ.get("KIEMCHUNG_DB", "kiemchung.db"), secure_cookies=True if secure else None)
    return tune(app)
