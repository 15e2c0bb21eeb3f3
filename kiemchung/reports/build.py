"""Gather a period's figures into a :class:`Report` (plain data; rendering lives in render.py).

Reproducible: the content depends only on the database and the period; the one exception is the
explicit ``generated_at`` line, which callers (and tests) may pin.
"""

from __future__ import annotations

import datetime as dt
import importlib
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy import text as sql_text

from kiemchung import reach as reach_mod
from kiemchung import timeutil
from kiemchung.reports.period import Period
from kiemchung.store import schema as t
from kiemchung.stories import tables as st
from kiemchung.timeutil import VN_TZ

DAY = 86400
VN_OFFSET = 7 * 3600


@dataclass
class Report:
    """All figures of one report. ``None`` for a figure means its module is not available yet."""

    period: Period
    previous: Period
    generated_at: dt.datetime
    headline: dict[str, int | None]
    headline_previous: dict[str, int | None]
    by_kind: dict[str, int]
    volume: list[tuple[dt.date, int]]
    volume_bucket: str  # "day" or "week"
    top_stories: list[dict]
    rising: list[dict] | None
    watchlists: list[dict] | None
    claims: list[dict] | None
    factchecks: list[dict] | None
    statements: list[dict]
    story_reach: list[dict]
    sources: list[dict]
    notes: list[str] = field(default_factory=list)


def _optional(name: str):
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def _bounds(p: Period) -> dict:
    return {"lo": t.fts_rowid_bound(p.start), "hi": t.fts_rowid_bound(p.end)}


def _headline(db, p: Period) -> tuple[dict, dict[str, int]]:
    with db.read() as conn:
        kinds = dict(conn.execute(sql_text(
            "SELECT kind, count(*) FROM documents WHERE fts_rowid >= :lo AND fts_rowid < :hi GROUP BY kind ORDER BY kind"
        ), _bounds(p)).all())
        sources = conn.execute(sql_text(
            "SELECT count(DISTINCT source_id) FROM documents WHERE fts_rowid >= :lo AND fts_rowid < :hi"
        ), _bounds(p)).scalar() or 0
        s = st.stories
        new_stories = conn.execute(
            select(func.count()).select_from(s).where(
                s.c.status != "merged", s.c.doc_count >= 2, s.c.first_seen >= p.start, s.c.first_seen < p.end
            )
        ).scalar() or 0
    head = {
        "documents": sum(kinds.values()),
        "sources": sources,
        "new_stories": new_stories,
        "official": kinds.get("official", 0),
        "factchecks": None,
        "alerts": None,
        "claims": None,
    }
    return head, kinds


def _volume(db, p: Period) -> tuple[list[tuple[dt.date, int]], str]:
    sql = sql_text(
        f"SELECT ((fts_rowid >> {t.FTS_ID_SHIFT}) + {VN_OFFSET}) / {DAY} AS b, count(*) FROM documents "
        "WHERE fts_rowid >= :lo AND fts_rowid < :hi GROUP BY b"
    )
    with db.read() as conn:
        rows = dict(conn.execute(sql, _bounds(p)).all())
    epoch = dt.date(1970, 1, 1)
    days: list[tuple[dt.date, int]] = []
    d = p.start.date()
    while d < p.end.date():
        days.append((d, rows.get((d - epoch).days, 0)))
        d += dt.timedelta(days=1)
    if p.days <= 62:
        return days, "day"
    weeks: dict[dt.date, int] = {}
    for d, n in days:
        monday = d - dt.timedelta(days=d.weekday())
        weeks[monday] = weeks.get(monday, 0) + n
    return sorted(weeks.items()), "week"


def _stories(db, p: Period) -> list[dict]:
    from kiemchung.stories.service import list_stories

    return [
        {"id": s.id, "headline": s.headline, "documents": s.doc_count, "outlets": s.outlet_count,
         "first_seen": s.first_seen, "last_seen": s.last_seen}
        for s in list_stories(db, since=p.start, until=p.end, limit=10)
    ]


def _rising(db, p: Period) -> list[dict] | None:
    trends = _optional("kiemchung.stories.trends")
    if trends is None or not hasattr(trends, "rising"):
        return None
    items = trends.rising(db, now=p.end, kinds=("story",), limit=10)
    return [{"label": r.label, "current": r.current, "baseline": round(r.baseline, 2), "score": round(r.score, 2)}
            for r in items]


def _watchlists(db, p: Period, prev: Period) -> list[dict] | None:
    wl = _optional("kiemchung.stories.watchlists")
    if wl is None:
        return None
    return [
        {"name": w.name, "query": w.query, "count": wl.count_query(db, w.query, p.start, p.end),
         "previous": wl.count_query(db, w.query, prev.start, prev.end)}
        for w in sorted(wl.list_watchlists(db), key=lambda w: w.name)
    ]


def _reach_row(r: reach_mod.Reach) -> dict:
    return {"id": r.seed_id, "title": r.title, "published_at": r.published_at, "pickups": r.count,
            "outlets": len(r.outlets), "first": r.time_to(1), "tenth": r.time_to(10),
            "before": r.before, "after": r.after}


def _sources(db, p: Period) -> list[dict]:
    with db.read() as conn:
        counts = dict(conn.execute(sql_text(
            "SELECT source_id, count(*) FROM documents WHERE fts_rowid >= :lo AND fts_rowid < :hi GROUP BY source_id"
        ), _bounds(p)).all())
    return [
        {"name": s.name or s.url, "kind": s.kind, "enabled": s.enabled, "healthy": s.healthy,
         "failures": s.consecutive_failures, "last_error": s.last_error or "", "documents": counts.get(s.id, 0)}
        for s in db.list_sources()
    ]


def _alerts(db, p: Period) -> int:
    """Alerts on documents of the period (by the document's time, so a rebuilt report is the same);
    only "Lặp lại tin sai" ones: a "possibly related" alert is a note in the claims queue, not an alert."""
    with db.read() as conn:
        return conn.execute(sql_text(
            "SELECT count(*) FROM alerts a JOIN documents d ON d.id = a.doc_id "
            "WHERE d.fts_rowid >= :lo AND d.fts_rowid < :hi AND a.level = 'repeat'"
        ), _bounds(p)).scalar() or 0


CLAIM_POSTS = 5000  # posts of the period scored for check-worthy claims (the newest)
CLAIM_STORY_DOCS = 20  # and the newest documents of each top story
CLAIM_ROWS = 15


def _claims(db, p: Period, top_stories: list[dict]) -> tuple[list[dict], int]:
    """Check-worthy claims of the period: the best sentence of each post and of the top stories'
    documents, one row per story (or per sentence, for a post in no story), ranked; returns (the top
    rows, how many documents carry a check-worthy sentence).

    Bounded work: at most :data:`CLAIM_POSTS` posts and :data:`CLAIM_STORY_DOCS` documents per top story.
    """
    from kiemchung.claims.checkworthy import DEFAULT_THRESHOLD, rank_sentences

    with db.read() as conn:
        rows = conn.execute(sql_text(
            "SELECT d.id, d.title, d.lead, substr(d.body, 1, 3000) AS body, sd.story_id FROM documents d "
            "LEFT JOIN story_documents sd ON sd.doc_id = d.id "
            "WHERE d.fts_rowid >= :lo AND d.fts_rowid < :hi AND d.kind = 'post' ORDER BY d.fts_rowid DESC LIMIT :n"
        ), {**_bounds(p), "n": CLAIM_POSTS}).all()
        for story in top_stories:
            rows += conn.execute(sql_text(
                "SELECT d.id, d.title, d.lead, substr(d.body, 1, 3000) AS body, sd.story_id FROM story_documents sd "
                "JOIN documents d ON d.id = sd.doc_id WHERE sd.story_id = :s AND d.fts_rowid >= :lo "
                "AND d.fts_rowid < :hi ORDER BY d.fts_rowid DESC LIMIT :n"
            ), {**_bounds(p), "s": story["id"], "n": CLAIM_STORY_DOCS}).all()
        alerted = {r[0] for r in conn.execute(sql_text(
            "SELECT a.doc_id FROM alerts a JOIN documents d ON d.id = a.doc_id "
            "WHERE d.fts_rowid >= :lo AND d.fts_rowid < :hi AND a.level = 'repeat'"), _bounds(p))}
    best: dict[str, dict] = {}
    docs_with_claims: set[int] = set()
    for r in rows:
        if r.id in docs_with_claims:
            continue
        ranked = rank_sentences("\n".join(x for x in (r.title, r.lead, r.body) if x), limit=1,
                                threshold=DEFAULT_THRESHOLD)
        if not ranked:
            continue
        docs_with_claims.add(r.id)
        top = ranked[0]
        key = f"story:{r.story_id}" if r.story_id is not None else " ".join(top.text.lower().split())
        group = best.get(key)
        if group is None or top.score > group["score"]:
            best[key] = {"text": top.text, "score": round(top.score, 2), "reasons": list(top.reasons),
                         "doc_id": r.id, "story_id": r.story_id, "documents": group["documents"] if group else 0,
                         "alerted": group["alerted"] if group else False}
        best[key]["documents"] += 1
        best[key]["alerted"] = best[key]["alerted"] or r.id in alerted
    ranked_rows = sorted(best.values(), key=lambda c: (-c["score"], c["doc_id"]))[:CLAIM_ROWS]
    return ranked_rows, len(docs_with_claims)


def build_report(db, period: Period, *, generated_at: dt.datetime | None = None, workers: int = 1) -> Report:
    """Every figure of the report for ``period`` and the change against the previous period.

    ``workers`` > 1 lets the reach scan use forked processes (single-threaded callers only; the
    figures are the same)."""
    prev = period.previous()
    head, kinds = _headline(db, period)
    head_prev, _ = _headline(db, prev)
    notes: list[str] = []
    st_reach, fc_reach = reach_mod.reach_of_period(db, period.start, period.end, workers=workers)
    factchecks = [_reach_row(r) for r in fc_reach]
    head["factchecks"] = len(factchecks)
    head_prev["factchecks"] = len(reach_mod.published_factchecks(db, prev.start, prev.end))
    head["alerts"], head_prev["alerts"] = _alerts(db, period), _alerts(db, prev)
    top_stories = _stories(db, period)
    claims, head["claims"] = _claims(db, period, top_stories)
    head_prev["claims"] = _claims(db, prev, _stories(db, prev))[1]
    statements = [_reach_row(r) for r in st_reach]
    story_reach = [vars(s).copy() for s in reach_mod.combine_by_story(db, st_reach, fc_reach)]
    volume, bucket = _volume(db, period)
    return Report(
        period=period,
        previous=prev,
        generated_at=(timeutil.aware(generated_at) or timeutil.now()).astimezone(VN_TZ),
        headline=head,
        headline_previous=head_prev,
        by_kind=kinds,
        volume=volume,
        volume_bucket=bucket,
        top_stories=top_stories,
        rising=_rising(db, period),
        watchlists=_watchlists(db, period, prev),
        claims=claims,
        factchecks=factchecks,
        statements=statements,
        story_reach=story_reach,
        sources=_sources(db, period),
        notes=notes,
    )
