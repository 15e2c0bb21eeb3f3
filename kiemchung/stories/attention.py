"""Attention as a share (tỷ trọng chú ý): how much of everything collected a topic took, per day or week.

A raw count says little when the number of sources changes (a new feed doubles every count). The
share divides a query's matches in a period by every document collected from the same sources in that
period: with no source filter, every document; with ``source_ids`` (or a collection), the documents of
those sources only, on both sides of the fraction.

Counts come from the full-text index through the backend (``fts_buckets``, one grouped query per
query) and the denominator from one grouped count over ``documents.fts_rowid`` (time-ordered row ids,
:func:`kiemchung.store.schema.fts_rowid`), so it runs the same on SQLite and PostgreSQL. Queries are
matched diacritic-insensitively, as watchlists are. Buckets are Vietnamese days, or weeks starting on
Monday (Asia/Ho_Chi_Minh).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from kiemchung import timeutil
from kiemchung.errors import QueryError, StoreError
from kiemchung.store import schema as t
from kiemchung.store.backends import FtsFilter
from kiemchung.store.search import compile_tree

__all__ = ["MAX_QUERIES", "PERIODS", "Attention", "AttentionSeries", "attention", "attention_csv", "bucket_grid"]

DAY = 86400
VN_OFFSET = 7 * 3600
#: bucket size and the offset added to a time in seconds so that ``(s + offset) // size`` is a
#: Vietnamese day, or a Vietnamese week starting on Monday (1970-01-01 was a Thursday).
PERIODS = {"day": (DAY, VN_OFFSET), "week": (7 * DAY, 3 * DAY + VN_OFFSET)}
MAX_QUERIES = 5


@dataclass(frozen=True)
class AttentionSeries:
    """One query's matches and share per bucket (``share`` is None where nothing was collected)."""

    query: str
    label: str
    counts: list[int]
    shares: list[float | None]

    @property
    def total(self) -> int:
        """Matches over the whole period."""
        return sum(self.counts)


@dataclass(frozen=True)
class Attention:
    """Attention series over ``[since, until)``: bucket starts, everything collected per bucket, and
    one :class:`AttentionSeries` per query."""

    since: dt.datetime
    until: dt.datetime
    by: str
    buckets: list[dt.datetime]
    totals: list[int]
    series: list[AttentionSeries] = field(default_factory=list)
    source_ids: tuple[int, ...] = ()

    def overall_share(self, s: AttentionSeries) -> float | None:
        """The query's share of everything collected over the whole period."""
        total = sum(self.totals)
        return s.total / total if total else None


def _period(by: str) -> tuple[int, int]:
    if by not in PERIODS:
        raise QueryError(f"Chu kỳ phải là 'day' hoặc 'week' (period must be day or week): {by!r}")
    return PERIODS[by]


def bucket_grid(since: dt.datetime, until: dt.datetime, by: str = "day") -> list[dt.datetime]:
    """Starts (aware, Vietnam time) of the days or Monday weeks covering ``[since, until)``."""
    size, offset = _period(by)
    start = (int(since.timestamp()) + offset) // size * size - offset
    return [dt.datetime.fromtimestamp(s, timeutil.VN_TZ) for s in range(start, int(until.timestamp()), size)]


def _collected(db, lo: int, hi: int, size: int, offset: int, source_ids: tuple[int, ...]) -> dict[int, int]:
    d = t.documents
    b = t.fts_time_bucket(d.c.fts_rowid, size, offset)
    query = select(b, func.count()).where(d.c.fts_rowid >= lo, d.c.fts_rowid < hi).group_by(b)
    if source_ids:
        query = query.where(d.c.source_id.in_(source_ids))
    with db.read() as conn:
        return {int(k): int(n) for k, n in conn.execute(query).all()}


def _matches(db, query: str, where: FtsFilter, size: int, offset: int) -> dict[int, int]:
    compiled = compile_tree(query, accented=False)
    if compiled is None:
        raise QueryError(f"Truy vấn trống (empty query): {query!r}")
    try:
        with db.read() as conn:
            return db.backend.fts_buckets(conn, compiled, where, size=size, origin=offset)
    except StoreError as exc:
        raise QueryError(f"Truy vấn không chạy được (query failed): {query!r}") from exc
    except OperationalError as exc:
        raise QueryError(f"Truy vấn không chạy được (query failed): {query!r}: {exc.orig}") from exc


def attention(db, queries, since: dt.datetime, until: dt.datetime, *, by: str = "day", source_ids=None,
              labels=None) -> Attention:
    """Matches of each query (at most :data:`MAX_QUERIES`) per Vietnamese day or week of
    ``[since, until)``, divided by every document collected from the same sources in that bucket.

    ``source_ids`` limits both the matches and the denominator to those sources (None: every source; an
    empty list, e.g. an empty collection: nothing, so every count is 0); ``labels`` (same
    length as ``queries``) names the series, e.g. a watchlist's name instead of its query.
    """
    queries = [str(q).strip() for q in queries]
    if not queries or any(not q for q in queries):
        raise QueryError("Cần ít nhất một truy vấn (at least one query is needed)")
    if len(queries) > MAX_QUERIES:
        raise QueryError(f"Tối đa {MAX_QUERIES} truy vấn để so sánh (at most {MAX_QUERIES} queries)")
    labels = list(labels) if labels else queries
    since, until = timeutil.aware(since), timeutil.aware(until)
    if since is None or until is None:
        raise QueryError("Cần cả thời điểm bắt đầu và kết thúc (since and until are required)")
    if since >= until:
        raise QueryError("Thời điểm bắt đầu phải trước kết thúc (since must be before until)")
    size, offset = _period(by)
    buckets = bucket_grid(since, until, by)
    first = (int(buckets[0].timestamp()) + offset) // size
    keys = [first + i for i in range(len(buckets))]
    # The whole of the first and last buckets, so a share never divides part of a day by a whole one.
    lo = t.fts_rowid_bound(buckets[0])
    hi = t.fts_rowid_bound(buckets[-1] + dt.timedelta(seconds=size))
    sids = tuple(sorted({int(s) for s in source_ids or ()}))
    nothing = source_ids is not None and not sids
    per = {} if nothing else _collected(db, lo, hi, size, offset, sids)
    totals = [per.get(k, 0) for k in keys]
    where = FtsFilter(lo=lo, hi=hi, sources=sids)
    out = []
    for q, name in zip(queries, labels, strict=True):
        found = {} if nothing else _matches(db, q, where, size, offset)
        counts = [found.get(k, 0) for k in keys]
        shares = [(c / n if n else None) for c, n in zip(counts, totals, strict=True)]
        out.append(AttentionSeries(q, name, counts, shares))
    return Attention(since, until, by, buckets, totals, out, sids)


def attention_csv(result: Attention) -> str:
    """The series as CSV: one row per bucket (its first day, YYYY-MM-DD, Vietnam time), everything
    collected, then each query's count and share (a fraction, 6 decimals; empty when nothing was collected)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    head = ["period_start", "collected"]
    for s in result.series:
        head += [f"{s.label} count", f"{s.label} share"]
    w.writerow(head)
    for i, start in enumerate(result.buckets):
        row: list[object] = [start.date().isoformat(), result.totals[i]]
        for s in result.series:
            share = s.shares[i]
            row += [s.counts[i], "" if share is None else f"{share:.6f}"]
        w.writerow(row)
    return buf.getvalue()


def watchlist_queries(db, names) -> tuple[list[str], list[str]]:
    """The queries and labels of saved watchlists by name (NotFoundError for an unknown one)."""
    from kiemchung.stories.watchlists import get_watchlist

    found = [get_watchlist(db, n) for n in names if str(n).strip()]
    return [w.query for w in found], [w.name for w in found]


def source_filter(db, sources=(), collection: int | str | None = None) -> list[int] | None:
    """The source ids a ``--source``/``source`` list and a collection (id or name) allow: None for no
    filter; with both, the listed sources that are in the collection."""
    sources = [int(s) for s in sources or ()]
    if collection is None or not str(collection).strip():
        return sources or None
    from kiemchung.sources.directory import collection_source_ids

    ref = int(collection) if str(collection).strip().isdigit() else str(collection).strip()
    ids = collection_source_ids(db, ref)
    return [s for s in ids if s in sources] if sources else ids
