"""Bounded caches of the text core: two generations of a plain dict, so that the entries in use survive.

A :class:`Generations` cache is a dict (``new``) read with ``dict.get`` on the hot path, holding at most
``cap`` entries. When it is full, its entries become the *old* generation (the previous old one is
dropped) and it starts empty; a miss looks in the old generation before computing, and
:meth:`Generations.keep` puts what it finds back in the cache. An entry used at least once per
generation is never computed again; one not used for a whole generation goes. Memory is bounded by two
generations, and a cap well below the number of distinct chunks of a long import costs few misses more
than no cap. For the RSS year's titles and summaries (7.4 million chunks, 114,409 distinct), a cap of
30,000 missed 165,539 times, where emptying a full cache of 30,000 missed 315,493 times and a cap of
300,000 (never reached) 114,409 times.

Every such cache registers itself here, so that a process whose memory must not grow with the size of
one import can bound all of them at once (:func:`limit`, through
:func:`kiemchung.text.core.limit_caches`) and give the bounds back afterwards (:func:`restore`).
"""

from __future__ import annotations

from typing import Generic, TypeVar

V = TypeVar("V")

# Every cache made, in the order made; and the bound set by :func:`limit` (None: each its own default).
CACHES: list[Generations] = []
_LIMIT: int | None = None


class Generations(Generic[V]):
    """One bounded cache: ``new`` (read it with ``new.get``; its identity never changes, so a bound
    ``new.get`` stays valid) and ``old``, the previous generation. ``name`` is for messages and tests;
    ``register`` False keeps the cache out of :data:`CACHES` (and out of :func:`limit`)."""

    __slots__ = ("name", "new", "old", "cap", "default")

    def __init__(self, name: str, cap: int, *, register: bool = True) -> None:
        self.name = name
        self.new: dict[str, V] = {}
        self.old: dict[str, V] = {}
        self.default = cap
        self.cap = cap if _LIMIT is None or not register else min(cap, _LIMIT)
        if register:
            CACHES.append(self)

    def keep(self, key: str, value: V) -> V:
        """Put ``value`` in the cache (turning a full cache into the old generation first); returns it."""
        new = self.new
        if len(new) >= self.cap:
            old = self.old
            old.clear()
            old.update(new)
            new.clear()
        new[key] = value
        return value

    def clear(self) -> None:
        self.new.clear()
        self.old.clear()

    def bound(self, cap: int) -> None:
        """Hold at most ``cap`` entries per generation from now on (a generation already larger is dropped)."""
        self.cap = cap
        for gen in (self.new, self.old):
            if len(gen) > cap:
                gen.clear()

    def __len__(self) -> int:
        return len(self.new) + len(self.old)

    def __repr__(self) -> str:
        return f"Generations({self.name!r}, cap={self.cap}, new={len(self.new)}, old={len(self.old)})"


def limit(entries: int) -> tuple[int | None, tuple[int, ...]]:
    """Bound every registered cache (and every one made later) to ``entries`` entries per generation;
    returns the previous bounds, for :func:`restore`."""
    global _LIMIT
    before = (_LIMIT, tuple(c.cap for c in CACHES))
    _LIMIT = entries
    for cache in CACHES:
        cache.bound(min(cache.default, entries))
    return before


def restore(before: tuple[int | None, tuple[int, ...]]) -> None:
    """Give back the bounds that :func:`limit` returned (caches made since then get their default,
    or the bound that was in force)."""
    global _LIMIT
    _LIMIT, caps = before
    for i, cache in enumerate(CACHES):
        cache.bound(caps[i] if i < len(caps) else cache.default if _LIMIT is None else min(cache.default, _LIMIT))


def clear() -> None:
    """Empty every registered cache."""
    for cache in CACHES:
        cache.clear()
