"""Kept evidence: copies of the pages editors rely on (HTML, text, screenshot, WARC), kept when a post
may be deleted. See :mod:`kiemchung.captures.service` and docs/evidence.md."""

from kiemchung.captures.service import (
    MAX_ATTEMPTS,
    STATUSES,
    Capture,
    blob,
    capture_pending,
    capture_url,
    enabled,
    get_capture,
    list_captures,
    request_capture,
    request_for_alert,
    request_for_factcheck,
    take_capture,
)

__all__ = [
    "MAX_ATTEMPTS", "STATUSES", "Capture", "blob", "capture_pending", "capture_url", "enabled", "get_capture",
    "list_captures", "request_capture", "request_for_alert", "request_for_factcheck", "take_capture",
]
