"""The web workbench and REST API (FastAPI, server-rendered Jinja2 pages, htmx)."""

from kiemchung.web.app import create_app

__all__ = ["create_app"]
