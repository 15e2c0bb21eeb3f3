"""Read queries the pages need that the store does not offer (per-day volume, sources in trouble, ...)."""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Any

from sqlalchemy import and_, func, or_, select

from kiemchung.labels import shown_url
from kiemchung.store import schema as t
from kiemchung.store.database import document_from_row
from kiemchung.timeutil import VN_TZ, view_now

_cache: dict[tuple, tuple[float, Any]] = {}
_lock = threading.Lock()
_refreshing: dict[tuple, threading.Event] = {}
# Once an entry is older than its TTL, one thread recomputes it while the others keep being served
# the previous value; an entry older than STALE_LIMIT x its TTL is never served.
STALE_LIMIT = 4
MAX_ENTRIES = 2000


# The cache's clock (monotonic seconds): a module attribute so that tests decide ages with a fake one.
_now = time.monotonic


def _prune() -> None:
    """Drop the older half of the cache (called with the lock held when it grows past MAX_ENTRIES)."""
    by_age = sorted(_cache.items(), key=lambda kv: kv[1][0])
    for k, _ in by_age[: len(by_age) // 2]:
        if k not in _refreshing:
            del _cache[k]


def cached(key: tuple, ttl: float, compute):
    """``compute()`` memoised under ``key`` for ``ttl`` seconds (process-wide).

    Only one caller computes a given key at a time. When an entry has expired, the others are served
    the previous value meanwhile (no stampede of identical aggregate queries when twenty users hit an
    expired overview at once); when there is no usable value yet, they wait for that computation.
    """
    while True:
        t0 = _now()
        with _lock:
            hit = _cache.get(key)
            age = t0 - hit[0] if hit is not None else None
            if age is not None and age < ttl:
                return hit[1]
            running = _refreshing.get(key)
            if running is not None and age is not None and age < ttl * STALE_LIMIT:
                return hit[1]
            if running is None:
                done = _refreshing[key] = threading.Event()
                break
        running.wait(60)  # someone else is computing it: use their result
    try:
        value = compute()
        with _lock:
            _cache[key] = (t0, value)
            if len(_cache) > MAX_ENTRIES:
                _prune()
    finally:
        with _lock:
            _refreshing.pop(key, None)
        done.set()
    return value


def change_token(db):
    """The store's change token: changes whenever anything is committed to ``db`` by any connection,
    process or host; None when the store cannot tell (then nothing that depends on it may be cached)."""
    token = getattr(db, "change_token", None)
    return token() if callable(token) else None


def cached_fresh(db, key: tuple, ttl: float, compute):
    """Like :func:`cached`, but the value is also dropped as soon as anything is committed to ``db``
    (by any connection, process or host), so it is never staler than the data. Not cached at all when
    the database cannot report changes (see :func:`change_token`)."""
    version = change_token(db)
    if version is None:
        return compute()
    return cached((*key, id(db), version), ttl, compute)


def clear_cache() -> None:
    """Forget every cached value (after a write the pages must reflect)."""
    with _lock:
        _cache.clear()


def daily_volume(db, days: int = 30, *, today: dt.date | None = None) -> list[tuple[dt.date, int]]:
    """Documents per local (Vietnam) day over the last ``days`` days, oldest first, zeros included.

    A document counts on the day it was published, or fetched when its publication time is unknown.
    """
    today = today or view_now(db).astimezone(VN_TZ).date()
    first = today - dt.timedelta(days=days - 1)
    start = dt.datetime.combine(first, dt.time(), VN_TZ)
    end = start + dt.timedelta(days=days)
    d = t.documents
    # A document's time (published, else fetched) is in its time-ordered fts_rowid: one index range
    # and integer arithmetic give the Vietnam day, on every backend.
    day = t.fts_time_bucket(d.c.fts_rowid, 86400, 7 * 3600)
    with db.read() as conn:
        rows = conn.execute(
            select(day, func.count())
            .where(d.c.fts_rowid >= t.fts_rowid_bound(start), d.c.fts_rowid < t.fts_rowid_bound(end))
            .group_by(day)
        ).all()
    epoch = dt.date(1970, 1, 1)
    counts = {(epoch + dt.timedelta(days=int(b))).isoformat(): n for b, n in rows}
    return [
        (first + dt.timedelta(days=i), counts.get((first + dt.timedelta(days=i)).isoformat(), 0))
        for i in range(days)
    ]


def troubled_sources(db, *, ttl: float = 10) -> list:
    """Sources that are failing, worst first (cached for ``ttl`` seconds and until anything is committed
    to the database, by any process: a watcher on another host records the failures)."""
    return cached_fresh(db, ("troubled_sources",), ttl, lambda: _troubled_sources(db))


def _troubled_sources(db) -> list:
    return sorted(
        (s for s in db.list_sources() if not s.healthy or s.consecutive_failures),
        key=lambda s: -s.consecutive_failures,
    )


def source_health(s) -> str:
    """A code of :data:`kiemchung.labels.LABELS` ``source_health`` for one source."""
    if not s.enabled:
        return "disabled"
    if s.kind in ("import", "sample", "outlet"):
        return "passive"
    if not s.healthy:
        return "failing"
    if s.last_success_at is None and s.last_error_at is None:
        return "never"
    return "healthy" if not s.consecutive_failures else "failing"


def source_rows(db) -> list[dict[str, Any]]:
    """Every source with its document count, last fetch (success or failure), health and silence (a
    :class:`kiemchung.sources.silence.Silence` when it has gone quiet), for the sources page."""
    from kiemchung.sources.silence import silent_sources

    d = t.documents
    with db.read() as conn:
        counts = dict(conn.execute(select(d.c.source_id, func.count()).group_by(d.c.source_id)).all())
    quiet = {q.source_id: q for q in silent_sources(db)}
    rows = []
    for s in db.list_sources():
        fetches = [v for v in (s.last_success_at, s.last_error_at) if v is not None]
        rows.append(
            {
                "source": s,
                "documents": counts.get(s.id, 0),
                "last_fetch": max(fetches) if fetches else None,
                "health": source_health(s),
                "quiet": quiet.get(s.id),
                "url": shown_url(s.url),
                "local": (s.url or "").startswith("file:"),
            }
        )
    return rows


def latest_official(db, limit: int = 8, *, recent_days: int = 30) -> list:
    """The newest documents of kind ``official``.

    Looks among the documents published in the last ``recent_days`` days first (an index range);
    only when that finds fewer than ``limit`` does it search every document.
    """
    d = t.documents
    when = func.coalesce(d.c.published_at, d.c.fetched_at)
    base = (
        select(d, t.sources.c.name.label("source_name"))
        .select_from(d.outerjoin(t.sources, t.sources.c.id == d.c.source_id))
        .where(d.c.kind == "official")
        .order_by(when.desc(), d.c.id.desc())
        .limit(limit)
    )
    with db.read() as conn:
        cutoff = view_now(db) - dt.timedelta(days=recent_days)
        recent = or_(d.c.published_at >= cutoff, and_(d.c.published_at.is_(None), d.c.fetched_at >= cutoff))
        # Every document left out is older than the cutoff, so a full page found here is exact.
        rows = conn.execute(base.where(recent)).all()
        if len(rows) < limit:
            rows = conn.execute(base).all()
    return [document_from_row(r, source_name=r.source_name) for r in rows]


def list_documents(
    db,
    *,
    limit: int = 50,
    offset: int = 0,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    sources: list[int] | None = None,
    kinds: list[str] | None = None,
) -> list:
    """Documents newest first, filtered by time, source and kind."""
    d = t.documents
    when = func.coalesce(d.c.published_at, d.c.fetched_at)
    conds = []
    if since:
        conds.append(when >= since)
    if until:
        conds.append(when < until)
    if sources:
        conds.append(d.c.source_id.in_(sources))
    if kinds:
        conds.append(d.c.kind.in_(kinds))
    q = (
        select(d, t.sources.c.name.label("source_name"))
        .select_from(d.outerjoin(t.sources, t.sources.c.id == d.c.source_id))
        .where(and_(True, *conds))
        .order_by(when.desc(), d.c.id.desc())
        .limit(max(1, min(limit, 500)))
        .offset(max(0, offset))
    )
    with db.read() as conn:
        return [document_from_row(r, source_name=r.source_name) for r in conn.execute(q)]


def duplicate_group(db, doc) -> list:
    """The other members of a document's near-duplicate group (at most 50)."""
    d = t.documents
    with db.read() as conn:
        group = conn.execute(select(d.c.dup_group).where(d.c.id == doc.id)).scalar()
        if group is None:
            return []
        rows = conn.execute(
            select(d, t.sources.c.name.label("source_name"))
            .select_from(d.outerjoin(t.sources, t.sources.c.id == d.c.source_id))
            .where(or_(d.c.dup_group == group, d.c.id == group), d.c.id != doc.id)
            .limit(50)
        ).all()
    return [document_from_row(r, source_name=r.source_name) for r in rows]


def new_alerts(db, limit: int = 8) -> list[dict[str, Any]]:
    """Newest "Lặp lại tin sai" alerts still in status ``new``: the document, the fact-checked claim and
    its verdict ("possibly related" ones are in the claims queue)."""
    try:
        from kiemchung.claims.tables import alerts, factchecks
    except ImportError:  # claims module not installed: the panel stays empty
        return []
    d = t.documents
    with db.read() as conn:
        rows = conn.execute(
            select(
                alerts.c.id,
                alerts.c.doc_id,
                alerts.c.score,
                alerts.c.created_at,
                d.c.title,
                d.c.lead,
                func.substr(d.c.body, 1, 400).label("body"),
                d.c.published_at,
                factchecks.c.claim,
                factchecks.c.verdict,
                factchecks.c.publisher.label("fc_publisher"),  # whose fact-check (kiemchung.claims.external)
                factchecks.c.external.label("fc_external"),
            )
            .select_from(
                alerts.join(d, d.c.id == alerts.c.doc_id).join(
                    factchecks, factchecks.c.id == alerts.c.factcheck_id
                )
            )
            .where(alerts.c.status == "new")
            .where(alerts.c.level == "repeat")
            .order_by(alerts.c.created_at.desc(), alerts.c.id.desc())  # one scan's alerts share a time
            .limit(limit)
        ).all()
    return [dict(r._mapping) for r in rows]
