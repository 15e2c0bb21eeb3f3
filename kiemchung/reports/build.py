"""Gather a period's figures into a :class:`Report` (plain data; rendering lives in render.py).

Reproducible: the content depends only on the database and the period; the one exception is the
explicit ``generated_at`` line, which callers (and tests) may pin.
"""

from __future__ import annotations

import datetime as dt
import importlib
from dataclasses import dataclass, field

from sqlalchemy import and_, func, select

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
    #: Copies of pages kept in the period as evidence (kiemchung.captures), with where to see each.
    evidence: list[dict] = field(default_factory=list)
    #: Each watchlist's share of everything collected in the period and in the previous one.
    attention: list[dict] = field(default_factory=list)
    #: The source collection the report is limited to (kiemchung.sources.directory), or None: every source.
    collection: Scope | None = None


@dataclass(frozen=True)
class Scope:
    """A report limited to a source collection: its id, name and source ids (when it was built)."""

    id: int
    name: str
    source_ids: tuple[int, ...]


def resolve_scope(db, collection: int | str | None) -> Scope | None:
    """The collection (id or name) a report is limited to; None or "" for every source. An unknown
    collection: :class:`~kiemchung.errors.NotFoundError`."""
    if collection is None or not str(collection).strip():
        return None
    from kiemchung.sources.directory import get_collection

    ref = int(collection) if str(collection).strip().isdigit() else str(collection).strip()
    c = get_collection(db, ref)
    return Scope(c.id, c.name, tuple(c.source_ids))


def _ids(scope: Scope | None) -> list[int] | None:
    return None if scope is None else list(scope.source_ids)


def _optional(name: str):
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def _in(p: Period, ids: list[int] | None = None):
    """Documents whose time (published, else fetched) is in the period: a range of the time-ordered
    fts_rowid; with ``ids``, only the documents of those sources (an empty list: none)."""
    d = t.documents
    cond = and_(d.c.fts_rowid >= t.fts_rowid_bound(p.start), d.c.fts_rowid < t.fts_rowid_bound(p.end))
    return cond if ids is None else and_(cond, d.c.source_id.in_(ids))


def _repeat_alerts(p: Period, ids: list[int] | None = None):
    """Alerts (only "Lặp lại tin sai" ones) on documents of the period (of the sources ``ids``)."""
    from kiemchung.claims.tables import alerts

    d = t.documents
    return alerts.join(d, d.c.id == alerts.c.doc_id), and_(_in(p, ids), alerts.c.level == "repeat"), alerts


def _headline(db, p: Period, ids: list[int] | None = None) -> tuple[dict, dict[str, int]]:
    with db.read() as conn:
        d = t.documents
        kinds = dict(conn.execute(
            select(d.c.kind, func.count()).where(_in(p, ids)).group_by(d.c.kind).order_by(d.c.kind)
        ).all())
        sources = conn.execute(select(func.count(func.distinct(d.c.source_id))).where(_in(p, ids))).scalar() or 0
        s, sd = st.stories, st.story_documents
        new = select(func.count()).select_from(s).where(
            s.c.status != "merged", s.c.doc_count >= 2, s.c.first_seen >= p.start, s.c.first_seen < p.end
        )
        if ids is not None:  # stories with a document from one of the sources
            new = new.where(s.c.id.in_(select(sd.c.story_id).select_from(sd.join(d, d.c.id == sd.c.doc_id))
                                       .where(d.c.source_id.in_(ids))))
        new_stories = conn.execute(new).scalar() or 0
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


def _volume(db, p: Period, ids: list[int] | None = None) -> tuple[list[tuple[dt.date, int]], str]:
    day = t.fts_time_bucket(t.documents.c.fts_rowid, DAY, VN_OFFSET)
    with db.read() as conn:
        rows = dict(conn.execute(select(day, func.count()).where(_in(p, ids)).group_by(day)).all())
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


def _stories(db, p: Period, ids: list[int] | None = None) -> list[dict]:
    from kiemchung.stories.service import list_stories

    return [
        {"id": s.id, "headline": s.headline, "documents": s.doc_count, "outlets": s.outlet_count,
         "first_seen": s.first_seen, "last_seen": s.last_seen}
        for s in list_stories(db, since=p.start, until=p.end, limit=10, source_ids=ids)
    ]


def _rising(db, p: Period, ids: list[int] | None = None) -> list[dict] | None:
    trends = _optional("kiemchung.stories.trends")
    if trends is None or not hasattr(trends, "rising"):
        return None
    items = trends.rising(db, now=p.end, kinds=("story",), limit=10, source_ids=ids)
    return [{"label": r.label, "current": r.current, "baseline": round(r.baseline, 2), "score": round(r.score, 2)}
            for r in items]


def _watchlists(db, p: Period, prev: Period, ids: list[int] | None = None) -> list[dict] | None:
    wl = _optional("kiemchung.stories.watchlists")
    if wl is None:
        return None
    return [
        {"name": w.name, "query": w.query, "count": wl.count_query(db, w.query, p.start, p.end, source_ids=ids),
         "previous": wl.count_query(db, w.query, prev.start, prev.end, source_ids=ids)}
        for w in sorted(wl.list_watchlists(db), key=lambda w: w.name)
    ]


def _attention(db, p: Period, prev: Period, ids: list[int] | None = None) -> list[dict]:
    """Each watchlist's matches as a share of every document of the period (and of the previous one);
    with ``ids``, of the documents of those sources only (matches and denominator)."""
    from kiemchung.stories.attention import MAX_QUERIES, attention
    from kiemchung.stories.watchlists import list_watchlists

    items = sorted(list_watchlists(db), key=lambda w: w.name)
    out = []
    for i in range(0, len(items), MAX_QUERIES):
        chunk = items[i:i + MAX_QUERIES]
        now, before = (attention(db, [w.query for w in chunk], q.start, q.end, labels=[w.name for w in chunk],
                                         source_ids=ids)
                       for q in (p, prev))
        for s, b in zip(now.series, before.series, strict=True):
            out.append({"name": s.label, "count": s.total, "share": now.overall_share(s),
                        "previous_share": before.overall_share(b)})
    return out


def _reach_row(r: reach_mod.Reach) -> dict:
    return {"id": r.seed_id, "title": r.title, "published_at": r.published_at, "pickups": r.count,
            "outlets": len(r.outlets), "first": r.time_to(1), "tenth": r.time_to(10),
            "before": r.before, "after": r.after}


def _sources(db, p: Period, ids: list[int] | None = None) -> list[dict]:
    from kiemchung.sources.silence import silent_sources

    with db.read() as conn:
        d = t.documents
        counts = dict(conn.execute(select(d.c.source_id, func.count()).where(_in(p, ids))
                                   .group_by(d.c.source_id)).all())
    quiet = {q.source_id: q.quiet_since for q in silent_sources(db, p.end)}  # gone quiet as of the period's end
    return [
        {"name": s.name or s.url, "kind": s.kind, "enabled": s.enabled, "healthy": s.healthy,
         "failures": s.consecutive_failures, "last_error": s.last_error or "", "documents": counts.get(s.id, 0),
         "quiet_since": quiet.get(s.id)}
        for s in db.list_sources() if ids is None or s.id in ids
    ]


def _evidence(db, p: Period, ids: list[int] | None = None) -> list[dict]:
    """The copies of pages kept (fetched) in the period, linked to a fact-check or an alert, with the
    address of each on the workbench (setting ``site_url``) or the command that shows it. With ``ids``,
    a copy linked only to alerts counts when one of them is on a document of those sources (a copy
    linked to a fact-check, the office's own work, always counts)."""
    from kiemchung.captures.tables import capture_links, captures
    from kiemchung.claims.tables import alerts
    from kiemchung.store import settings

    c, links = captures.c, capture_links.c
    linked = select(links.capture_id)
    if ids is not None:
        d = t.documents
        in_scope = select(alerts.c.id).select_from(alerts.join(d, d.c.id == alerts.c.doc_id)).where(
            d.c.source_id.in_(ids))
        linked = linked.where((links.target != "alert") | links.target_id.in_(in_scope))
    q = (select(c.id, c.url, c.fetched_at, c.content_sha256).where(
        c.status == "done", c.fetched_at >= p.start, c.fetched_at < p.end,
        c.id.in_(linked)).order_by(c.fetched_at, c.id))
    site = (settings.value(db, "site_url") or "").rstrip("/")
    with db.read() as conn:
        rows = list(conn.execute(q))
    return [{"id": r.id, "url": r.url, "fetched_at": r.fetched_at, "sha256": r.content_sha256,
             "link": f"{site}/evidence/{r.id}" if site else f"kiemchung evidence show {r.id}"} for r in rows]


def _alerts(db, p: Period, ids: list[int] | None = None) -> int:
    """Alerts on documents of the period (by the document's time, so a rebuilt report is the same);
    only "Lặp lại tin sai" ones: a "possibly related" alert is a note in the claims queue, not an alert."""
    joined, cond, _ = _repeat_alerts(p, ids)
    with db.read() as conn:
        return conn.execute(select(func.count()).select_from(joined).where(cond)).scalar() or 0


CLAIM_POSTS = 5000  # posts of the period scored for check-worthy claims (the newest)
CLAIM_STORY_DOCS = 20  # and the newest documents of each top story
CLAIM_ROWS = 15


def _claims(db, p: Period, top_stories: list[dict], ids: list[int] | None = None) -> tuple[list[dict], int]:
    """Check-worthy claims of the period: the best sentence of each post and of the top stories'
    documents, one row per story (or per sentence, for a post in no story), ranked; returns (the top
    rows, how many documents carry a check-worthy sentence).

    Bounded work: at most :data:`CLAIM_POSTS` posts and :data:`CLAIM_STORY_DOCS` documents per top story.
    """
    from kiemchung.claims.checkworthy import DEFAULT_THRESHOLD, rank_sentences

    d, sd = t.documents, st.story_documents
    cols = (d.c.id, d.c.title, d.c.lead, func.substr(d.c.body, 1, 3000).label("body"), sd.c.story_id)
    joined, cond, alerts = _repeat_alerts(p, ids)
    with db.read() as conn:
        rows = conn.execute(
            select(*cols).select_from(d.outerjoin(sd, sd.c.doc_id == d.c.id))
            .where(_in(p, ids), d.c.kind == "post").order_by(d.c.fts_rowid.desc()).limit(CLAIM_POSTS)
        ).all()
        for story in top_stories:
            rows += conn.execute(
                select(*cols).select_from(sd.join(d, d.c.id == sd.c.doc_id))
                .where(sd.c.story_id == story["id"], _in(p, ids)).order_by(d.c.fts_rowid.desc()).limit(CLAIM_STORY_DOCS)
            ).all()
        alerted = set(conn.execute(select(alerts.c.doc_id).select_from(joined).where(cond)).scalars())
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


def build_report(db, period: Period, *, generated_at: dt.datetime | None = None, workers: int = 1,
                 collection: int | str | Scope | None = None) -> Report:
    """Every figure of the report for ``period`` and the change against the previous period.

    ``collection`` (a source collection's id or name) limits every per-source figure to the documents
    of its sources: counts, volume, stories, rising stories, watchlists, attention, claims, alerts,
    reach (statements of those sources, pickups among them), the sources' health and the evidence of
    their alerts. The office's own fact-checks stay, their reach measured among those sources.
    ``workers`` > 1 lets the reach scan use forked processes (single-threaded callers only; the
    figures are the same)."""
    scope = collection if isinstance(collection, Scope) else resolve_scope(db, collection)
    ids = _ids(scope)
    prev = period.previous()
    head, kinds = _headline(db, period, ids)
    head_prev, _ = _headline(db, prev, ids)
    notes: list[str] = []
    st_reach, fc_reach = reach_mod.reach_of_period(db, period.start, period.end, workers=workers, source_ids=ids)
    factchecks = [_reach_row(r) for r in fc_reach]
    head["factchecks"] = len(factchecks)
    head_prev["factchecks"] = len(reach_mod.published_factchecks(db, prev.start, prev.end))
    head["alerts"], head_prev["alerts"] = _alerts(db, period, ids), _alerts(db, prev, ids)
    top_stories = _stories(db, period, ids)
    claims, head["claims"] = _claims(db, period, top_stories, ids)
    head_prev["claims"] = _claims(db, prev, _stories(db, prev, ids), ids)[1]
    statements = [_reach_row(r) for r in st_reach]
    story_reach = [vars(s).copy() for s in reach_mod.combine_by_story(db, st_reach, fc_reach)]
    volume, bucket = _volume(db, period, ids)
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
        rising=_rising(db, period, ids),
        watchlists=_watchlists(db, period, prev, ids),
        attention=_attention(db, period, prev, ids),
        claims=claims,
        factchecks=factchecks,
        statements=statements,
        story_reach=story_reach,
        sources=_sources(db, period, ids),
        notes=notes,
        evidence=_evidence(db, period, ids),
        collection=scope,
    )
