"""ASGI entry point for running several server processes (`kiemchung serve --workers N`)."""

from __future__ import annotations

import os

from fastapi import FastAPI

from kiemchung.web.app import create_app


def app_factory() -> FastAPI:
    """The app on the database named by ``KIEMCHUNG_DB`` (set by ``kiemchung serve``)."""
    secure = os.environ.get("KIEMCHUNG_SECURE_COOKIES") == "1"
    return create_app(os.environ.get("KIEMCHUNG_DB", "kiemchung.db"), secure_cookies=True if secure else None)
