"""Helpers for kiemchung's own processes: giving memory back to the system, CPU priority, and dying
with the parent (the story follower of an import, the feature helper of the story stage)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager


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


# Chunks per generation of each text cache during an import's ingest (kiemchung.text.memo): reached
# within its first 10,000 items of news, so the caches stop growing there (at most two generations).
# With the default (300,000, never reached by the RSS year: 127,000 chunks at its end) they grew all
# year. The RSS year's titles and summaries then miss about 213,000 times instead of 114,000, at about
# 7 microseconds a miss: under a second of the ingest's CPU.
BULK_TEXT_CACHE = 20_000
# documents stored between two collections of the younger generations in bulk_collector (see there)
BULK_COLLECT_DOCS = 1_000


@contextmanager
def bulk_collector(
    young: int = 20_000, text_cache: int = BULK_TEXT_CACHE, collect_every: int = BULK_COLLECT_DOCS
) -> Iterator[Callable[[int], None]]:
    """Fewer and smaller garbage collections for a long run of short-lived objects (an import's ingest):
    what this process holds when the block starts (modules, the database's tables and compiled
    statements) is frozen out of the collector's scans (``gc.freeze``), and the young generation is
    collected after ``young`` allocations instead of 700. Only when collections run changes, never
    what is collected; the previous thresholds come back, and the frozen objects are unfrozen, at the end.
    The text core's caches hold at most ``text_cache`` chunks per generation meanwhile
    (:func:`kiemchung.text.core.limit_caches`), so that they do not grow with the size of the import,
    and glibc's mmap threshold is fixed (:func:`fixed_mmap_threshold`; for the rest of the process).

    Yields ``stored(n)``, for the caller to report the documents it stored: every ``collect_every`` of
    them it collects the two younger generations (between batches, when a batch's objects are dead).
    With the young generation collected this rarely, the older ones almost never were (no collection
    of the oldest in 70,000 documents of the RSS year): the cycles of a batch's SQL statements,
    promoted while the batch ran, kept its lists of keys and what else they reached, and the import's
    ingest process grew 123 -> 293 MB of anonymous memory by 60,000 documents. With this, 121 -> 158
    MB (flat once the near-duplicate window and the caches are full), for 4 ms a collection.

    Does not reach other processes (the story process of an import is spawned, not forked)."""
    import gc

    from kiemchung.text.core import limit_caches

    saved = gc.get_threshold()
    fixed_mmap_threshold()
    give_back_caches = limit_caches(text_cache)
    gc.freeze()
    gc.set_threshold(max(young, saved[0]), *saved[1:])
    since = 0

    def stored(n: int) -> None:
        nonlocal since
        since += n
        if since >= collect_every:
            since = 0
            gc.collect(1)

    try:
        yield stored
    finally:
        gc.set_threshold(*saved)
        gc.unfreeze()
        give_back_caches()


@contextmanager
def lower_priority(increment: int) -> Iterator[int]:
    """Run the block at a lower CPU priority (``os.nice(increment)``), then go back where allowed.

    For a producer that is not the critical path of a pipeline (an import's ingest, ahead of the story
    process that follows it): on a machine with fewer free cores than busy processes, the scheduler
    then gives the critical process the CPU the producer would have used to run further ahead, and the
    producer takes what is left. Nothing changes on an idle machine. Yields the increment applied (0
    where ``os.nice`` is missing or refused). Raising the priority back needs privileges (root or
    ``RLIMIT_NICE``): without them the process stays at the lower priority, which only matters while
    something else competes for the CPU."""
    import os

    applied = 0
    if increment > 0 and hasattr(os, "nice"):
        try:
            before = os.nice(0)
            applied = os.nice(increment) - before
        except OSError:
            applied = 0
    try:
        yield applied
    finally:
        if applied:
            try:
                os.nice(-applied)
            except OSError:  # not allowed to raise the priority again: it stays lower
                pass


def trim_heap() -> None:
    """Return the C heap's free pages to the system (``malloc_trim(0)``: glibc only; elsewhere nothing
    happens). glibc gives back only the top of its heap by itself; the tables of large dicts and lists
    freed as they grow stay resident in the middle of it otherwise. Cost, in the story process of a
    year's import: 4-6 ms after 60 MB were freed, 0.01 ms with nothing to give back."""
    trim = _libc("malloc_trim")
    if trim is not None:
        trim(0)


# Blocks of this many bytes or more are mapped apart by glibc's malloc, and unmapped when freed
# (fixed_mmap_threshold).
MMAP_THRESHOLD = 1 << 20
_M_MMAP_THRESHOLD = -3  # mallopt's parameter (malloc.h)


def fixed_mmap_threshold(size: int = MMAP_THRESHOLD) -> bool:
    """Keep glibc's mmap threshold at ``size`` bytes for the rest of this process's life; False where
    there is no glibc ``mallopt`` (nothing changes then).

    By default glibc raises the threshold, up to 32 MB, each time a mapped block is freed: the growing
    arrays and dict tables of a long import (each growth frees the block before) then come from the
    heap, and the holes they leave there stay resident. With the threshold fixed at 1 MB, blocks of
    1 MB or more go back to the system when freed. The RSS year's import (docs/stories.md, "The RSS
    year at the end of session 16"): the story process's peak at the fifteenth block of 10,000 items
    193-196 MB against 223-230 without, all processes together 510-511 MB against 541-550; CPU the
    same (162.4 against 162.2 s, a back-to-back pair). 128 KB saved as much memory for 2-6 % more CPU."""
    mallopt = _libc("mallopt")
    return mallopt is not None and bool(mallopt(_M_MMAP_THRESHOLD, int(size)))


_LIBC: dict[str, object] = {}  # name -> the C library's function, or None: looked up once


def _libc(name: str):
    if name not in _LIBC:
        try:
            import ctypes

            _LIBC[name] = getattr(ctypes.CDLL(None), name)
        except (OSError, AttributeError, TypeError):  # not glibc (musl, macOS), or no CDLL(None) (Windows)
            _LIBC[name] = None
    return _LIBC[name]


def child_process_start(text_cache: int, parent: int | None = None) -> Callable[[], None]:
    """The start of one of an import's own child processes (the story process that follows it, the
    story stage's feature helper): it dies with its parent (:func:`die_with_parent`; ``parent``, the pid
    of the process that started it, also when that one died before this line), keeps glibc's mmap
    threshold fixed (:func:`fixed_mmap_threshold`) and bounds its text caches to ``text_cache`` entries
    per generation (:func:`kiemchung.text.core.limit_caches`); returns the function that gives the
    caches' bounds back."""
    from kiemchung.text.core import limit_caches

    die_with_parent(parent)
    fixed_mmap_threshold()
    return limit_caches(text_cache)


def die_with_parent(parent: int | None = None) -> None:
    """Ask Linux to kill this process when its parent dies (a killed import leaves no orphan).

    ``parent`` is the pid of the process that started this one, passed down to it. A spawned child
    reaches this line only after its interpreter has started (a few hundred milliseconds): a parent
    killed meanwhile (an import killed as it starts) has already left it to init, and the signal would
    never come. So this process also exits at once when its parent is no longer ``parent``: a pool
    worker left so would otherwise wait for work forever, holding both ends of its own queue."""
    import os

    try:
        import ctypes
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the pipe's end (EOFError) stops it instead
        pass
    # checked after the signal is armed: a parent dying after this check is covered by the signal
    if parent is not None and os.getppid() != parent:
        os._exit(1)
