"""Shared by the OCR tests: skip without Tesseract's Vietnamese model, except in CI where it must exist."""

from __future__ import annotations

import os

import pytest


def require_ocr() -> None:
    """Skip the calling test when OCR cannot run; fail instead when KIEMCHUNG_TEST_OCR_REQUIRED is set."""
    from kiemchung.images.ocr import available

    reason = available()
    if reason is None:
        return
    if os.environ.get("KIEMCHUNG_TEST_OCR_REQUIRED"):
        pytest.fail(f"OCR unavailable and KIEMCHUNG_TEST_OCR_REQUIRED is set: {reason}")
    pytest.skip(f"OCR unavailable: {reason}")
