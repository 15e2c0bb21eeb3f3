"""Volumes over time and what is rising now (đang nổi lên): stories, keywords, watchlists, provinces.

Time of a document = ``coalesce(published_at, fetched_at)``, read from its full-text row id
(``schema.fts_rowid``: seconds << FTS_ID_SHIFT), so no date parsing happens in SQL. Buckets are
Vietnamese days/hours (Asia/Ho_Chi_Minh, UTC+7, no daylight saving).

Burst method (documented in docs/trends.md): for each series, ``current`` = documents in the last
24 h before ``now``; the baseline is the 14 preceding 24-h windows, with mean μ and standard
deviation σ. ``score = (current - μ) / sqrt(σ² + μ + 1)`` — σ² measures the series' own variability,
μ is a Poisson floor (a count of μ varies by about √μ even when nothing changes) and the +1 smooths
empty baselines. A series is rising when ``current ≥ min_volume``, ``current ≥ min_ratio·μ`` and
``score ≥ threshold``.
"""

# ruff: noqa: RUF002  (the burst formula uses Greek letters on purpose)

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import func, select

from kiemchung import timeutil
from kiemchung.errors import QueryError
from kiemchung.places import province, resolve_place
from kiemchung.store import schema as t
from kiemchung.store.backends import FtsFilter
from kiemchung.store.search import compile_tree
from kiemchung.stories.places_tables import document_entities
from kiemchung.stories.tables import stories, story_documents
from kiemchung.stories.watchlists import (
    VN_OFFSET,
    _bucket_seconds,
    bucket_starts,
    list_watchlists,
    query_counts,
)

__all__ = ["Rising", "burst_score", "rising", "series", "volume"]

SHIFT = t.FTS_ID_SHIFT
DAY = 86400
WINDOW_DAYS = 14


@dataclass(frozen=True)
class Rising:
    """A series rising now: documents in the last 24 h against its own 14-day baseline."""

    kind: str  # "story", "keyword", "watchlist", "province"
    key: str
    label: str
    current: int
    baseline: float  # mean documents per 24 h over the baseline windows
    score: float


def rising_during(db, since: dt.datetime, until: dt.datetime, *, limit: int = 20, **options) -> list[tuple[Rising, dt.datetime]]:
    """What rose during [since, until): :func:`rising` evaluated at the end of each day of the period
    (and at ``until``), each series kept at its peak; returns (series, the moment it peaked), highest
    score first."""
    best: dict[tuple[str, str], tuple[Rising, dt.datetime]] = {}
    end = timeutil.aware(until)
    points, at = [], timeutil.aware(since) + dt.timedelta(days=1)
    while at < end:
        points.append(at)
        at += dt.timedelta(days=1)
    for at in [*points, end]:
        for r in rising(db, now=at, limit=10_000, **options):
            key = (r.kind, r.key)
            if key not in best or r.score > best[key][0].score:
                best[key] = (r, at)
    ranked = sorted(best.values(), key=lambda ra: (-ra[0].score, -ra[0].current, ra[0].kind, ra[0].key))
    return ranked[:limit]


def _bucketed(rows, since, until, bucket) -> dict[dt.datetime, int]:
    size = _bucket_seconds(bucket)
    out = dict.fromkeys(bucket_starts(since, until, bucket), 0)
    for b, n in rows:
        key = dt.datetime.fromtimestamp(b * size - VN_OFFSET, timeutil.VN_TZ)
        if key in out:
            out[key] += n
    return out


def _range(since, until):
    since, until = timeutil.aware(since), timeutil.aware(until)
    if since is None or until is None:
        raise QueryError("Cần cả thời điểm bắt đầu và kết thúc (since and until are required)")
    return since, until, t.fts_rowid_bound(since), t.fts_rowid_bound(until)


def volume(db, since: dt.datetime, until: dt.datetime, bucket: str = "day", kinds=None, source_ids=None) -> dict[dt.datetime, int]:
    """Documents per Vietnamese day/hour in ``[since, until)`` (every bucket present, zeros too).

    ``kinds`` (e.g. ``["article"]``) and ``source_ids`` filter the documents.
    """
    size = _bucket_seconds(bucket)
    since, until, lo, hi = _range(since, until)
    d = t.documents
    b = t.fts_time_bucket(d.c.fts_rowid, size, VN_OFFSET)
    query = select(b, func.count()).where(d.c.fts_rowid >= lo, d.c.fts_rowid < hi).group_by(b)
    if kinds:
        query = query.where(d.c.kind.in_([str(k) for k in kinds]))
    if source_ids:
        query = query.where(d.c.source_id.in_([int(s) for s in source_ids]))
    with db.read() as conn:
        rows = conn.execute(query).all()
    return _bucketed(rows, since, until, bucket)


def series(db, kind: str, key: str, since: dt.datetime, until: dt.datetime, bucket: str = "day") -> dict[dt.datetime, int]:
    """Volume of one series per bucket: ``kind`` is "story" (id), "keyword" (a search query),
    "watchlist" (name) or "province" (any name or code; old names count for the new province)."""
    size = _bucket_seconds(bucket)
    if kind in ("keyword", "watchlist"):
        if kind == "watchlist":
            from kiemchung.stories.watchlists import get_watchlist

            key = get_watchlist(db, key).query
        return query_counts(db, key, since, until, bucket)
    since, until, lo, hi = _range(since, until)
    d = t.documents
    b = t.fts_time_bucket(d.c.fts_rowid, size, VN_OFFSET)
    in_range = (d.c.fts_rowid >= lo, d.c.fts_rowid < hi)
    if kind == "story":
        try:
            param = int(key)
        except ValueError as exc:
            raise QueryError(f"Mã câu chuyện không hợp lệ (invalid story id): {key}") from exc
        query = (select(b, func.count()).select_from(story_documents.join(d, d.c.id == story_documents.c.doc_id))
                 .where(story_documents.c.story_id == param, *in_range).group_by(b))
    elif kind == "province":
        p = resolve_place(key)
        if p is None:
            raise QueryError(f"Không tìm thấy tỉnh/thành (unknown province): {key}")
        e = document_entities
        query = (select(b, func.count(func.distinct(d.c.id))).select_from(e.join(d, d.c.id == e.c.doc_id))
                 .where(e.c.province_code == p.code, *in_range).group_by(b))
    else:
        raise QueryError(f"Loại chuỗi không hợp lệ (unknown series kind): {kind!r}")
    with db.read() as conn:
        rows = conn.execute(query).all()
    return _bucketed(rows, since, until, bucket)


def burst_score(current: float, baseline: list[float]) -> tuple[float, float]:
    """``(mean, score)`` of ``current`` against baseline window counts (see the module docstring)."""
    if not baseline:
        return 0.0, 0.0
    mean = sum(baseline) / len(baseline)
    var = sum((x - mean) ** 2 for x in baseline) / len(baseline)
    return mean, (current - mean) / math.sqrt(var + mean + 1.0)


def _windows(now_s: int, lo: int, hi: int, group, source, *conds, count=None):
    """(group, window, count) rows: window 0 = the last 24 h before now, 1..14 = the days before;
    row ids bound the range."""
    d = t.documents
    w = t.fts_time_bucket(d.c.fts_rowid, DAY, backwards_from=now_s - 1)
    return (select(group, w, count if count is not None else func.count()).select_from(source)
            .where(*conds, d.c.fts_rowid >= lo, d.c.fts_rowid < hi).group_by(group, w))


def _scored(kind, counts: dict, labels: dict, min_volume, min_ratio, threshold) -> list[Rising]:
    out = []
    for key, per_window in counts.items():
        current = per_window.get(0, 0)
        if current < min_volume:
            continue
        mean, score = burst_score(current, [per_window.get(w, 0) for w in range(1, WINDOW_DAYS + 1)])
        if current >= min_ratio * mean and score >= threshold:
            out.append(Rising(kind, str(key), labels.get(key, str(key)), current, round(mean, 2), round(score, 2)))
    return out


def rising(db, now: dt.datetime | None = None, *, kinds=("story", "watchlist", "province"), keywords=(),
           min_volume: int = 5, min_ratio: float = 1.5, threshold: float = 3.0, limit: int = 20,
           source_ids: list[int] | None = None) -> list[Rising]:
    """Series rising now (đang nổi lên), highest score first.

    ``kinds`` picks stories, watchlists and provinces; ``keywords`` adds search queries to test.
    ``now`` defaults to the installation's clock (:func:`kiemchung.timeutil.view_now`). ``source_ids``
    (e.g. a source collection's) counts only documents from those sources (an empty list: nothing).
    """
    if source_ids is not None and not source_ids:
        return []
    now = timeutil.aware(now) or timeutil.view_now(db)
    now_s = int(now.timestamp())
    lo = t.fts_rowid_bound(now - dt.timedelta(days=WINDOW_DAYS + 1))
    hi = t.fts_rowid_bound(now)
    found: list[Rising] = []
    d, sd, e = t.documents, story_documents, document_entities
    only = (d.c.source_id.in_([int(x) for x in source_ids]),) if source_ids else ()
    with db.read() as conn:
        if "story" in kinds:
            counts: dict = defaultdict(dict)
            for g, w, n in conn.execute(_windows(now_s, lo, hi, sd.c.story_id, sd.join(d, d.c.id == sd.c.doc_id), *only)):
                counts[g][w] = n
            labels = {}
            if counts:
                ids = list(counts)
                labels = dict(conn.execute(select(stories.c.id, stories.c.headline).where(stories.c.id.in_(ids))).all())
            found += _scored("story", counts, labels, min_volume, min_ratio, threshold)
        if "province" in kinds:
            counts = defaultdict(dict)
            for g, w, n in conn.execute(_windows(
                    now_s, lo, hi, e.c.province_code, e.join(d, d.c.id == e.c.doc_id), e.c.province_code.is_not(None),
                    *only, count=func.count(func.distinct(d.c.id)))):
                counts[g][w] = n
            labels = {c: (province(c).name if province(c) else c) for c in counts}
            found += _scored("province", counts, labels, min_volume, min_ratio, threshold)
    queries = [("keyword", q, q) for q in keywords]
    if "watchlist" in kinds:
        queries += [("watchlist", w.name, w.query) for w in list_watchlists(db)]
    for kind, key, query in queries:
        compiled = compile_tree(query, accented=False)
        if compiled is None:
            continue
        with db.read() as conn:
            per = db.backend.fts_buckets(
                conn, compiled, FtsFilter(lo=lo, hi=hi, sources=tuple(int(x) for x in source_ids or ())),
                size=DAY, origin=now_s - 1, backwards=True
            )
        found += _scored(kind, {key: per}, {key: key}, min_volume, min_ratio, threshold)
    found.sort(key=lambda r: (-r.score, -r.current, r.kind, r.key))
    return found[:limit]
