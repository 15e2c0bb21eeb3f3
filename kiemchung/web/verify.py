"""Verify pages and API: claims queue, fact-check editor (propose, approve, publish), alerts."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from kiemchung.web.app import check_csrf

router = APIRouter(include_in_schema=False)
api_router = APIRouter(prefix="/api/v1", tags=["api"])
csrf = Depends(check_csrf)

MESSAGES: dict[str, dict[str, str]] = {}
