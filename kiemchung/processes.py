"""Helpers for kiemchung's own processes: giving memory back to the system, and dying with the
parent (the story follower of an import, the feature helper of the story stage)."""

from __future__ import annotations

import os


def release_memory(*, collect: bool = True) -> None:
    """Give memory this process no longer needs back to the system: a garbage collection (unless
    ``collect`` is false), the text caches emptied, the language model let go (loaded again if used),
    and the C heap's free pages returned (``malloc_trim``, glibc only; elsewhere nothing more happens)."""
    import gc

    from kiemchung.text.core import clear_caches
    from kiemchung.text.lang import release_model

    release_model()
    if collect:
        gc.collect()
    clear_caches()
    trim_heap()


def trim_heap() -> None:
    """Return the C heap's free pages to the system (``malloc_trim(0)``; glibc only, a few milliseconds)."""
    try:
        import ctypes

        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


def die_with_parent() -> None:
    """Ask Linux to kill this process when its parent dies (a killed import leaves no orphan)."""
    try:
        import ctypes
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the pipe's end (EOFError) stops it instead
        pass


def lower_priority(step: int) -> None:
    """Make this process ``step`` nice levels less urgent (never more urgent; nothing on a system
    without ``os.nice``): for work that only has to keep ahead of another process on a shared core."""
    if step <= 0:
        return
    try:
        os.nice(step)
    except (AttributeError, OSError):
        pass


#: Nice levels the ingest of ``kiemchung import`` and the story stage's feature helper give up while the
#: story process follows the import (``KIEMCHUNG_IMPORT_NICE``; 0 keeps them as they are). The story
#: process is the import's critical path: with three busy processes on two cores each had about two
#: thirds of a core; less urgent, the other two share one core and the story process keeps the other.
FOLLOW_NICE = 5


def follow_nice() -> int:
    """:data:`FOLLOW_NICE`, or the ``KIEMCHUNG_IMPORT_NICE`` environment variable's value."""
    try:
        return max(0, int(os.environ.get("KIEMCHUNG_IMPORT_NICE", FOLLOW_NICE)))
    except ValueError:
        return FOLLOW_NICE
