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

from sqlalchemy import select
from sqlalchemy import text as sql_text

from kiemchung import timeutil
from kiemchung.errors import QueryError
from kiemchung.places import province, resolve_place
from kiemchung.store import schema as t
from kiemchung.store.backends import FtsFilter
from kiemchung.store.search import compile_tree
from kiemchung.stories.tables import stories
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
    where = ["fts_rowid >= :lo", "fts_rowid < :hi"]
    params: dict = {"lo": lo, "hi": hi}
    if kinds:
        names = [str(k) for k in kinds]
        where.append("kind IN (" + ",".join(f":k{i}" for i in range(len(names))) + ")")
        params.update({f"k{i}": k for i, k in enumerate(names)})
    if source_ids:
        where.append("source_id IN (" + ",".join(str(int(s)) for s in source_ids) + ")")
    sql = sql_text(
        f"SELECT ((fts_rowid >> {SHIFT}) + {VN_OFFSET}) / {size} AS b, count(*) FROM documents "
        f"WHERE {' AND '.join(where)} GROUP BY b"
    )
    with db.read() as conn:
        rows = conn.execute(sql, params).all()
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
    if kind == "story":
        sql = ("SELECT ((d.fts_rowid >> {s}) + {o}) / {z} AS b, count(*) FROM story_documents sd "
               "JOIN documents d ON d.id = sd.doc_id WHERE sd.story_id = :key AND d.fts_rowid >= :lo "
               "AND d.fts_rowid < :hi GROUP BY b")
        try:
            param = int(key)
        except ValueError as exc:
            raise QueryError(f"Mã câu chuyện không hợp lệ (invalid story id): {key}") from exc
    elif kind == "province":
        p = resolve_place(key)
        if p is None:
            raise QueryError(f"Không tìm thấy tỉnh/thành (unknown province): {key}")
        param = p.code
        sql = ("SELECT ((d.fts_rowid >> {s}) + {o}) / {z} AS b, count(DISTINCT d.id) FROM document_entities e "
               "JOIN documents d ON d.id = e.doc_id WHERE e.province_code = :key AND d.fts_rowid >= :lo "
               "AND d.fts_rowid < :hi GROUP BY b")
    else:
        raise QueryError(f"Loại chuỗi không hợp lệ (unknown series kind): {kind!r}")
    with db.read() as conn:
        rows = conn.execute(sql_text(sql.format(s=SHIFT, o=VN_OFFSET, z=size)), {"key": param, "lo": lo, "hi": hi}).all()
    return _bucketed(rows, since, until, bucket)


def burst_score(current: float, baseline: list[float]) -> tuple[float, float]:
    """``(mean, score)`` of ``current`` against baseline window counts (see the module docstring)."""
    if not baseline:
        return 0.0, 0.0
    mean = sum(baseline) / len(baseline)
    var = sum((x - mean) ** 2 for x in baseline) / len(baseline)
    return mean, (current - mean) / math.sqrt(var + mean + 1.0)


def _windows_sql(join_and_where: str, group: str, count: str = "count(*)") -> str:
    # Window index: 0 = the last 24 h before now, 1..14 = the days before; rowids bound the range.
    return (f"SELECT {group} AS g, (:now - (d.fts_rowid >> {SHIFT}) - 1) / {DAY} AS w, {count} AS n "
            f"{join_and_where} AND d.fts_rowid >= :lo AND d.fts_rowid < :hi GROUP BY g, w")


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
           min_volume: int = 5, min_ratio: float = 1.5, threshold: float = 3.0, limit: int = 20) -> list[Rising]:
    """Series rising now (đang nổi lên), highest score first.

    ``kinds`` picks stories, watchlists and provinces; ``keywords`` adds search queries to test.
    ``now`` defaults to the installation's clock (:func:`kiemchung.timeutil.view_now`).
    """
    now = timeutil.aware(now) or timeutil.view_now(db)
    now_s = int(now.timestamp())
    lo = t.fts_rowid_bound(now - dt.timedelta(days=WINDOW_DAYS + 1))
    hi = t.fts_rowid_bound(now)
    params = {"now": now_s, "lo": lo, "hi": hi}
    found: list[Rising] = []
    with db.read() as conn:
        if "story" in kinds:
            counts: dict = defaultdict(dict)
            for g, w, n in conn.execute(sql_text(_windows_sql(
                    "FROM story_documents sd JOIN documents d ON d.id = sd.doc_id WHERE 1=1", "sd.story_id")), params):
                counts[g][w] = n
            labels = {}
            if counts:
                ids = list(counts)
                labels = dict(conn.execute(select(stories.c.id, stories.c.headline).where(stories.c.id.in_(ids))).all())
            found += _scored("story", counts, labels, min_volume, min_ratio, threshold)
        if "province" in kinds:
            counts = defaultdict(dict)
            for g, w, n in conn.execute(sql_text(_windows_sql(
                    "FROM document_entities e JOIN documents d ON d.id = e.doc_id WHERE e.province_code IS NOT NULL",
                    "e.province_code", "count(DISTINCT d.id)")), params):
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
                conn, compiled, FtsFilter(lo=lo, hi=hi), size=DAY, origin=now_s - 1, backwards=True
            )
        found += _scored(kind, {key: per}, {key: key}, min_volume, min_ratio, threshold)
    found.sort(key=lambda r: (-r.score, -r.current, r.kind, r.key))
    return found[:limit]
