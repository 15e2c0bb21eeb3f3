"""ASGI entry point for running server processes (`kiemchung serve --workers N`), tuned for throughput."""

from __future__ import annotations

import gc
import os
from contextlib import asynccontextmanager

from fastapi import FastAPI

from kiemchung.web.app import create_app

# Route handlers are plain functions run in a thread pool. More threads than the database's read pool
# holds connections (8, see kiemchung.store.database) only make requests queue for a connection,
# or open and close extra ones; with the GIL they add no throughput either.
HANDLER_THREADS = int(os.environ.get("KIEMCHUNG_HANDLER_THREADS", "8") or 8)


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
        gc.collect()
        gc.freeze()
        async with inner(a) as state:
            yield state

    app.router.lifespan_context = lifespan
    return app


def app_factory() -> FastAPI:
    """The app on the database named by ``KIEMCHUNG_DB`` (set by ``kiemchung serve``)."""
    secure = os.environ.get("KIEMCHUNG_SECURE_COOKIES") == "1"
    app = create_app(os.environ.get("KIEMCHUNG_DB", "kiemchung.db"), secure_cookies=True if secure else None)
    return tune(app)
