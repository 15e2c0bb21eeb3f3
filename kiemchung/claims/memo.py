"""A value kept per database (by URL) and rebuilt when the database's signature for it changes."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")


class PerDatabase(Generic[T]):
    """``get(db, signature, build)`` returns the value built for this database and signature, calling
    ``build()`` when there is none yet or the signature changed (e.g. a matcher over the fact-checks)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[str, tuple[Hashable, T]] = {}

    def get(self, db, signature: Hashable, build: Callable[[], T]) -> T:
        with self._lock:
            hit = self._values.get(db.url)
            if hit is not None and hit[0] == signature:
                return hit[1]
        value = build()  # outside the lock: two threads may build at once; the last one is kept
        with self._lock:
            self._values[db.url] = (signature, value)
        return value


__all__ = ["PerDatabase"]
