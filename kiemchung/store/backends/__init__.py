"""Database backends of the store: ``sqlite`` (the embedded default) and ``postgresql`` (server mode).

:func:`backend_for` picks one from a database URL (or a dialect name); see :mod:`.base` for what a
backend does. Only the backends speak a dialect: no FTS5 text, no ``PRAGMA`` and no ``tsquery``
appears anywhere else in kiemchung (the migrations excepted).
"""

from __future__ import annotations

import functools

from kiemchung.errors import StoreError
from kiemchung.store.backends.base import (
    AllOf,
    AnyOf,
    Backend,
    FtsFilter,
    FtsQuery,
    Phrase,
    Without,
)

__all__ = [
    "AllOf", "AnyOf", "Backend", "FtsFilter", "FtsQuery", "Phrase", "Without", "backend_for", "dialect_backend",
    "dialect_of",
]

DIALECTS = ("sqlite", "postgresql")


def dialect_of(url_or_dialect: str) -> str:
    """``sqlite`` or ``postgresql`` for a URL (``sqlite:///…``, ``postgresql+psycopg://…``) or a name."""
    text = str(url_or_dialect)
    name = text.split("://", 1)[0].split("+", 1)[0].lower() if "://" in text else text.lower()
    if name in ("postgres", "postgresql"):
        return "postgresql"
    if name == "sqlite":
        return "sqlite"
    raise StoreError(
        f"Loại cơ sở dữ liệu không được hỗ trợ: {name!r}; dùng sqlite hoặc postgresql "
        f"(unsupported database kind {name!r}; use sqlite or postgresql)"
    )


def backend_for(url_or_dialect: str) -> Backend:
    """The backend for a database URL; a bare dialect name gives a backend without a database
    (enough for :meth:`Backend.fts_expression` and the full-text helpers)."""
    dialect = dialect_of(url_or_dialect)
    url = str(url_or_dialect) if "://" in str(url_or_dialect) else f"{dialect}://"
    if dialect == "sqlite":
        from kiemchung.store.backends.sqlite import SqliteBackend

        return SqliteBackend(url)
    from kiemchung.store.backends.postgresql import PostgresBackend

    return PostgresBackend(url)


@functools.lru_cache(maxsize=4)
def dialect_backend(dialect: str) -> Backend:
    """A shared backend without a database for ``dialect`` (for code that has a connection and no
    :class:`~kiemchung.store.Database`: ``backend.hold_lock(conn, ...)``, query text for display)."""
    return backend_for(dialect_of(dialect))
