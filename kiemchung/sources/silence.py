"""Silence detection (nguồn im lặng): a source whose volume fell well below its own baseline.

A feed that fails is easy to see; one that answers 200 with nothing new (a moved feed, a site that
stopped publishing a section, a channel taken down) is not. For each source:

- its *expected* count on a Vietnamese day is its usual share of what the other sources bring that
  day: ``ratio × others(day)``, where ``ratio`` = its documents ÷ the other sources' documents over the
  ``baseline_days`` before the quiet run. Scaling by the others makes the rule immune to weekends,
  holidays and collector outages (everything falls together). With no other source, the expected
  count is its own daily mean. Only whole days are judged (the current day is not: outlets publish at
  different hours, so a morning without one of them says nothing).
- the *quiet run* is the longest run of whole days, ending yesterday, in which it brought at most
  ``drop`` × expected (each day on its own);
- it is flagged when the run lasts at least ``min_days`` days (a one-day gap, which the RSS year shows
  twice for a large outlet, is not a silence), its expected total is at least ``min_expected``
  documents, and what it brought is improbably low for that expectation (Poisson probability below
  ``p_value``) and at most ``drop`` × expected. The run's first day is the day it went quiet.

Measured on the RSS year (``benchmarks/bench_silence.py``, docs/trends.md).

Sources that are disabled, import files and the bundled sample are never checked; a source needs
``min_baseline`` documents in its baseline to be judged.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import func, select

from kiemchung import timeutil
from kiemchung.store import schema as t

__all__ = ["Silence", "daily_counts", "find_silences", "silent_sources"]

DAY = 86400
VN_OFFSET = 7 * 3600
NOT_CHECKED = ("import", "sample")


@dataclass(frozen=True)
class Silence:
    """A source gone quiet: since which Vietnamese day, what it brought against what was expected."""

    source_id: int
    name: str
    quiet_since: dt.date
    days: int  # length of the quiet run (today included)
    observed: int
    expected: float
    last_seen: dt.datetime | None  # its newest document's time


def _poisson_cdf(k: int, mean: float) -> float:
    term = total = math.exp(-mean)
    for i in range(1, k + 1):
        term *= mean / i
        total += term
    return min(1.0, total)


def find_silences(counts: dict[int, list[int]], *, baseline_days: int = 28, max_run: int = 21,
                  drop: float = 0.1, min_expected: float = 8.0, min_baseline: int = 28,
                  p_value: float = 1e-3, min_days: int = 2) -> dict[int, tuple[int, int, float]]:
    """Quiet runs in daily counts: ``counts`` maps a source to its documents per day (same days for all,
    oldest first, whole days). Returns ``{source: (run length, observed, expected)}`` for the
    sources flagged (see the module docstring)."""
    if not counts:
        return {}
    n = len(next(iter(counts.values())))
    total = [sum(c[i] for c in counts.values()) for i in range(n)]
    out = {}
    for sid, own in counts.items():
        others = [total[i] - own[i] for i in range(n)]

        def expected(day: int, start: int) -> float | None:
            """Expected documents on ``day`` from the baseline before ``start`` (None: too little to judge)."""
            own_b = sum(own[start - baseline_days:start])
            oth_b = sum(others[start - baseline_days:start])
            if own_b < min_baseline:
                return None
            return own_b / oth_b * others[day] if oth_b else own_b / baseline_days

        run = 0  # walk back from today while each day, against the baseline before it, is far too low
        while run < max_run and n - run - 1 - baseline_days >= 0:
            day = n - run - 1
            exp_day = expected(day, day)
            if exp_day is None or own[day] > drop * exp_day:
                break
            run += 1
        if run < min_days:
            continue
        start = n - run  # the run's expectation from the baseline before it, quiet days excluded
        exp = sum(expected(d, start) or 0.0 for d in range(start, n))
        obs = sum(own[start:])
        if exp >= min_expected and obs <= drop * exp and _poisson_cdf(obs, exp) < p_value:
            out[sid] = (run, obs, exp)
    return out


def daily_counts(db, since: dt.datetime, until: dt.datetime, source_ids=None) -> tuple[list[dt.date], dict[int, list[int]]]:
    """Documents per source per Vietnamese day of ``[since, until)`` (the last day may be partial):
    the days and, for each source with documents (or in ``source_ids``), its counts, oldest first."""
    first = (int(since.timestamp()) + VN_OFFSET) // DAY
    last = (int(until.timestamp()) - 1 + VN_OFFSET) // DAY
    days = [dt.date(1970, 1, 1) + dt.timedelta(days=k) for k in range(first, last + 1)]
    d = t.documents
    b = t.fts_time_bucket(d.c.fts_rowid, DAY, VN_OFFSET)
    q = (select(d.c.source_id, b, func.count())
         .where(d.c.fts_rowid >= t.fts_rowid_bound(since), d.c.fts_rowid < t.fts_rowid_bound(until),
                d.c.source_id.is_not(None))
         .group_by(d.c.source_id, b))
    out: dict[int, list[int]] = defaultdict(lambda: [0] * len(days))
    for sid in source_ids or ():
        out[int(sid)]
    with db.read() as conn:
        for sid, k, n in conn.execute(q):
            if first <= k <= last:
                out[int(sid)][k - first] += n
    return days, dict(out)


def silent_sources(db, now: dt.datetime | None = None, *, baseline_days: int = 28, max_run: int = 21,
                   **options) -> list[Silence]:
    """Sources gone quiet as of ``now`` (default: the installation's clock,
    :func:`kiemchung.timeutil.view_now`), judged on the whole days before it; longest silence first.
    ``options``: see :func:`find_silences`."""
    now = timeutil.aware(now) or timeutil.view_now(db)
    today = timeutil.local(now).replace(hour=0, minute=0, second=0, microsecond=0)
    since = today - dt.timedelta(days=baseline_days + max_run)
    checked = {s.id: s for s in db.list_sources() if s.enabled and s.kind not in NOT_CHECKED}
    if not checked:
        return []
    days, counts = daily_counts(db, since, today)
    # Every source's documents are in the denominator (an import file counts as "the others" too), but
    # only checked sources can be flagged.
    flagged = find_silences(counts, baseline_days=baseline_days, max_run=max_run, **options)
    flagged = {sid: v for sid, v in flagged.items() if sid in checked}
    if not flagged:
        return []
    d = t.documents
    with db.read() as conn:
        last = dict(conn.execute(select(d.c.source_id, func.max(d.c.fts_rowid))
                                 .where(d.c.source_id.in_(list(flagged)), d.c.fts_rowid < t.fts_rowid_bound(now))
                                 .group_by(d.c.source_id)).all())
    out = []
    for sid, (run, obs, exp) in flagged.items():
        seen = last.get(sid)
        seen_at = dt.datetime.fromtimestamp(int(seen) >> t.FTS_ID_SHIFT, timeutil.VN_TZ) if seen is not None else None
        out.append(Silence(sid, checked[sid].name or checked[sid].url, days[len(days) - run], run, obs, round(exp, 1), seen_at))
    out.sort(key=lambda s: (s.quiet_since, s.source_id))
    return out
