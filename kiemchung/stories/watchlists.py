"""Watchlists: saved search queries an office keeps for its topics, and their counts over time.

A watchlist's query is in the search language (:func:`kiemchung.store.search.compile_tree`:
AND/OR/NOT, quotes) but always diacritic-insensitive: "sạt lở" also counts "sat lo" in posts typed
without accents, since an office wants every mention of its topic. Counts use the full-text index only
(the backend's ``fts_buckets``): its row ids are time-ordered (``schema.fts_rowid``), so a period is a
row-id range and each match's time is ``rowid >> FTS_ID_SHIFT`` seconds; buckets are Vietnamese days or
hours.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError

from kiemchung import audit, timeutil
from kiemchung.errors import NotFoundError, QueryError, StoreError
from kiemchung.store import schema as t
from kiemchung.store.backends import FtsFilter
from kiemchung.store.search import compile_tree
from kiemchung.stories.places_tables import watchlists

__all__ = [
    "Watchlist",
    "add_watchlist",
    "bucket_starts",
    "count_query",
    "get_watchlist",
    "list_watchlists",
    "query_counts",
    "remove_watchlist",
    "watchlist_counts",
    "watchlists",
]

BUCKETS = {"day": 86400, "hour": 3600}
VN_OFFSET = 7 * 3600  # Asia/Ho_Chi_Minh has had no daylight saving since 1975


@dataclass(frozen=True)
class Watchlist:
    """A saved query."""

    id: int
    name: str
    query: str
    created_at: dt.datetime


def _check_query(query: str) -> None:
    if compile_tree(query, accented=False) is None:
        raise QueryError(f"Truy vấn trống (empty query): {query!r}")


def add_watchlist(db, name: str, query: str, *, actor: Any = None) -> Watchlist:
    """Save a query under a name; the query is checked first (QueryError if it cannot run).

    Audited as ``watchlist.add`` with ``actor`` (the web's user, the CLI's ``cli:<os user>``)."""
    name = (name or "").strip()
    if not name:
        raise QueryError("Tên danh sách theo dõi không được trống (a watchlist needs a name)")
    _check_query(query)
    now = timeutil.now()
    try:
        with db.write() as conn:
            wid = conn.execute(watchlists.insert().values(name=name, query=query.strip(), created_at=now)).inserted_primary_key[0]
            audit.record(conn, actor, "watchlist.add", f"watchlist:{wid}", None, {"name": name, "query": query.strip()})
    except IntegrityError as exc:
        raise QueryError(f"Đã có danh sách theo dõi tên này (a watchlist with this name exists): {name}") from exc
    return Watchlist(wid, name, query.strip(), now)


def list_watchlists(db) -> list[Watchlist]:
    """All watchlists, by name."""
    with db.read() as conn:
        return [Watchlist(r.id, r.name, r.query, r.created_at)
                for r in conn.execute(select(watchlists).order_by(watchlists.c.name))]


def get_watchlist(db, name: str) -> Watchlist:
    """The watchlist with this name (NotFoundError if none)."""
    with db.read() as conn:
        r = conn.execute(select(watchlists).where(watchlists.c.name == name.strip())).first()
    if r is None:
        raise NotFoundError(f"Không có danh sách theo dõi (no such watchlist): {name}")
    return Watchlist(r.id, r.name, r.query, r.created_at)


def remove_watchlist(db, name: str, *, actor: Any = None) -> None:
    """Delete a watchlist by name (NotFoundError if none); audited as ``watchlist.remove``."""
    with db.write() as conn:
        row = conn.execute(select(watchlists).where(watchlists.c.name == name.strip())).first()
        if row is None or conn.execute(watchlists.delete().where(watchlists.c.id == row.id)).rowcount == 0:
            raise NotFoundError(f"Không có danh sách theo dõi (no such watchlist): {name}")
        audit.record(conn, actor, "watchlist.remove", f"watchlist:{row.id}", {"name": row.name, "query": row.query}, None)


def _bucket_seconds(bucket: str) -> int:
    if bucket not in BUCKETS:
        raise QueryError(f"Khoảng thời gian phải là 'day' hoặc 'hour' (bucket must be day or hour): {bucket!r}")
    return BUCKETS[bucket]


def bucket_of(seconds: int, bucket: str) -> int:
    """Start (UTC epoch seconds) of the Vietnamese day/hour containing ``seconds``."""
    size = _bucket_seconds(bucket)
    return (seconds + VN_OFFSET) // size * size - VN_OFFSET


def bucket_starts(since: dt.datetime, until: dt.datetime, bucket: str = "day") -> list[dt.datetime]:
    """Starts of the buckets (aware, Vietnam time) covering ``[since, until)``; empty when until ≤ since."""
    since, until = timeutil.aware(since), timeutil.aware(until)
    size = _bucket_seconds(bucket)
    start = bucket_of(int(since.timestamp()), bucket)
    end = int(until.timestamp())
    return [dt.datetime.fromtimestamp(s, timeutil.VN_TZ) for s in range(start, end, size)]


def count_query(db, query: str, since: dt.datetime, until: dt.datetime, *, source_ids=None) -> int:
    """Number of documents matching ``query`` with time in ``[since, until)`` (of the sources
    ``source_ids`` when given: see :func:`query_counts`)."""
    if compile_tree(query, accented=False) is None:
        return 0
    return sum(query_counts(db, query, since, until, "hour", source_ids=source_ids).values())


def query_counts(db, query: str, since: dt.datetime, until: dt.datetime, bucket: str = "day", *,
                 source_ids=None) -> dict[dt.datetime, int]:
    """Matches of a search query per Vietnamese day/hour in ``[since, until)``, every bucket present (zeros too).

    ``source_ids``: only documents of those sources (None: every source; an empty list: none)."""
    starts = bucket_starts(since, until, bucket)
    out = dict.fromkeys(starts, 0)
    compiled = compile_tree(query, accented=False)
    if compiled is None or not starts or (source_ids is not None and not list(source_ids)):
        return out
    where = FtsFilter(lo=t.fts_rowid_bound(timeutil.aware(since)), hi=t.fts_rowid_bound(timeutil.aware(until)),
                      sources=tuple(sorted(int(x) for x in source_ids or ())))
    size = _bucket_seconds(bucket)
    try:
        with db.read() as conn:
            rows = db.backend.fts_buckets(conn, compiled, where, size=size, origin=VN_OFFSET).items()
    except StoreError as exc:
        raise QueryError(f"Truy vấn không chạy được (query failed): {query!r}") from exc
    except OperationalError as exc:
        raise QueryError(f"Truy vấn không chạy được (query failed): {query!r}: {exc.orig}") from exc
    for b, n in rows:
        key = dt.datetime.fromtimestamp(b * size - VN_OFFSET, timeutil.VN_TZ)
        if key in out:
            out[key] += n
    return out


def watchlist_counts(db, name: str, since: dt.datetime, until: dt.datetime, bucket: str = "day") -> dict[dt.datetime, int]:
    """Counts of a saved watchlist per Vietnamese day/hour (see :func:`query_counts`)."""
    return query_counts(db, get_watchlist(db, name).query, since, until, bucket)
