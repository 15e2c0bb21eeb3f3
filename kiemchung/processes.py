"""Helpers for kiemchung's own processes: giving memory back to the system, and dying with the
parent (the story follower of an import, the feature helper of the story stage)."""

from __future__ import annotations


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
