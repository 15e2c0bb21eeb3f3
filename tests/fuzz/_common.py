"""Shared bits of the atheris harnesses: what counts as an allowed (documented) failure."""

from __future__ import annotations

from kiemchung.errors import KiemchungError

#: kiemchung's own exception tree is the documented way to fail; anything else is a crash.
ALLOWED = (KiemchungError,)
