"""Bounded caches of the text core: two generations of a plain dict, so that the entries in use survive.

A cache is a dict read with ``dict.get`` on the hot path, holding at most ``cap`` entries. When it is
full, its entries become the *old* generation (the previous old one is dropped) and it starts empty; a
miss looks in the old generation before computing, and :func:`keep` puts what it finds back in the
cache. An entry used at least once per generation is never computed again; one not used for a whole
generation goes. Memory is bounded by two generations, and a cap well below the number of distinct
chunks of a long import costs few misses more than no cap. For the RSS year's titles and summaries
(7.4 million chunks, 114,409 distinct), a cap of 30,000 missed 165,539 times, where emptying a full
cache of 30,000 missed 315,493 times and a cap of 300,000 (never reached) 114,409 times.
"""

from __future__ import annotations

from typing import TypeVar

V = TypeVar("V")


def keep(cache: dict[str, V], old: dict[str, V], key: str, value: V, cap: int) -> V:
    """Put ``value`` in ``cache`` (turning a full cache into the old generation first); returns it."""
    if len(cache) >= cap:
        old.clear()
        old.update(cache)
        cache.clear()
    cache[key] = value
    return value
