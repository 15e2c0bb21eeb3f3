"""Reach of official information and corrections: who picks a statement or fact-check up, and how fast.

A *pickup* of a seed (an official statement, or a published fact-check) is a later document that is
either a near-duplicate of it (same ``documents.dup_group``) or that the claim matcher
(:class:`kiemchung.claims.match.ClaimMatcher`, default lexical threshold) matches on title+lead. All
seeds of a request share one matcher and one time-ordered scan of the documents, so a whole period of
statements costs one pass. The matcher runs lexical-only (``semantic=False``) so reports do not embed
every document; this is the matcher's documented lexical threshold, not a new one.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy import text as sql_text

from kiemchung import timeutil
from kiemchung.errors import NotFoundError
from kiemchung.store import schema as t

WINDOW_DAYS = 30


@dataclass(frozen=True)
class Pickup:
    """One later document that carried a seed: its id, outlet, time and how it was recognised."""

    doc_id: int
    source: str
    at: dt.datetime
    via: str  # "duplicate" or "matcher"


@dataclass
class Reach:
    """How far one seed travelled: pickups in time order, outlets, time to first and tenth pickup."""

    seed_id: str
    title: str
    published_at: dt.datetime
    pickups: list[Pickup] = field(default_factory=list)
    before: int = 0  # fact-checks: documents matching the false claim before publication
    after: int = 0  # fact-checks: documents matching the false claim after publication

    @property
    def count(self) -> int:
        """Number of pickups (0 when nobody picked it up)."""
        return len(self.pickups)

    @property
    def outlets(self) -> list[tuple[str, int]]:
        """Outlets that picked it up, most pickups first (ties by name)."""
        return sorted(Counter(p.source for p in self.pickups).items(), key=lambda kv: (-kv[1], kv[0]))

    def time_to(self, n: int) -> dt.timedelta | None:
        """Time from publication to the n-th pickup (1-based), or None if there were fewer."""
        return self.pickups[n - 1].at - self.published_at if len(self.pickups) >= n else None


class FactCheckLike(Protocol):
    """What reach needs of a published fact-check (until ``kiemchung.claims.tables`` provides one)."""

    id: str
    claim: str
    title: str
    published_at: dt.datetime


@dataclass
class FactCheck:
    """A published fact-check: id, the false claim it answers, its own title, publication time."""

    id: str
    claim: str
    title: str
    published_at: dt.datetime


@dataclass
class _Seed:
    key: str
    text: str
    at: dt.datetime
    dup_group: int | None = None
    doc_id: int | None = None


_DOC_SQL = (
    "SELECT d.id, d.title, d.lead, d.dup_group, coalesce(d.published_at, d.fetched_at) AS at, "
    "coalesce(nullif(s.name, ''), s.url, '?') AS src FROM documents d LEFT JOIN sources s ON s.id = d.source_id "
)


def _at(value) -> dt.datetime:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


def _matcher(db):
    """The installation's matcher configuration (match_* settings), lexical-only."""
    from kiemchung.claims.config import match_config
    from kiemchung.claims.match import ClaimMatcher

    return ClaimMatcher(match_config(db).replace(semantic=False))


def _scan(db, seeds: list[_Seed], window_days: int, claim_seeds: list[_Seed] = ()) -> tuple[dict, dict]:
    """One pass: pickups per seed key, and (before, after) claim-match counts per claim seed key."""
    pickups: dict[str, list[Pickup]] = {s.key: [] for s in seeds}
    claims: dict[str, list[int]] = {s.key: [0, 0] for s in claim_seeds}
    everything = list(seeds) + list(claim_seeds)
    if not everything:
        return pickups, claims
    m = _matcher(db)
    for s in seeds:
        m.add("s:" + s.key, s.text)
    for s in claim_seeds:
        m.add("c:" + s.key, s.text)
    by_key = {s.key: s for s in seeds}
    groups: dict[int, list[_Seed]] = {}
    for s in seeds:
        if s.dup_group is not None:
            groups.setdefault(s.dup_group, []).append(s)
    own = {s.doc_id for s in seeds if s.doc_id is not None}
    lo = min(s.at for s in seeds) if seeds else min(s.at for s in claim_seeds) - dt.timedelta(days=window_days)
    if claim_seeds:
        lo = min(lo, min(s.at for s in claim_seeds) - dt.timedelta(days=window_days))
    hi = max(s.at for s in everything) + dt.timedelta(days=window_days)
    sql = sql_text(_DOC_SQL + "WHERE d.fts_rowid >= :lo AND d.fts_rowid < :hi ORDER BY d.fts_rowid")
    with db.read() as conn:
        rows = conn.execute(sql, {"lo": t.fts_rowid_bound(lo), "hi": t.fts_rowid_bound(hi)}).all()
    limit = dt.timedelta(days=window_days)
    for r in rows:
        if r.id in own:
            continue
        at = _at(r.at)
        found: dict[str, str] = {}
        for s in groups.get(r.dup_group, ()) if r.dup_group is not None else ():
            if s.at <= at < s.at + limit:
                found[s.key] = "duplicate"
        text = f"{r.title}\n{r.lead}".strip()
        for mt in m.match(text, k=5) if text else ():
            if not mt.matched:
                continue
            kind, key = mt.entry_id[:1], mt.entry_id[2:]
            if kind == "s" and key not in found:
                s = by_key[key]
                if s.at <= at < s.at + limit:
                    found[key] = "matcher"
            elif kind == "c":
                c = next(x for x in claim_seeds if x.key == key)
                if c.at - limit <= at < c.at:
                    claims[key][0] += 1
                elif c.at <= at < c.at + limit:
                    claims[key][1] += 1
        for key, via in found.items():
            pickups[key].append(Pickup(r.id, r.src, at, via))
    for lst in pickups.values():
        lst.sort(key=lambda p: (p.at, p.doc_id))
    return pickups, claims


def _statement_seeds(db, where: str, params: dict) -> list[tuple[_Seed, str]]:
    with db.read() as conn:
        rows = conn.execute(sql_text(_DOC_SQL + where), params).all()
    return [
        (_Seed(str(r.id), f"{r.title}\n{r.lead}".strip(), _at(r.at), r.dup_group, r.id), r.title) for r in rows
    ]


def reach_of_statement(db, doc_id: int, *, window_days: int = WINDOW_DAYS) -> Reach:
    """Reach of one official statement (any document, usually of kind "official"); zero reach is valid."""
    seeds = _statement_seeds(db, "WHERE d.id = :id", {"id": int(doc_id)})
    if not seeds:
        raise NotFoundError(f"Không có văn bản số {doc_id} (no such document)")
    seed, title = seeds[0]
    pickups, _ = _scan(db, [seed], window_days)
    return Reach(seed.key, title, seed.at, pickups[seed.key])


def reach_of_statements(db, since: dt.datetime, until: dt.datetime, *, window_days: int = WINDOW_DAYS) -> list[Reach]:
    """Reach of every official statement published in [since, until), in time order."""
    seeds = _statement_seeds(
        db,
        "WHERE d.kind = 'official' AND d.fts_rowid >= :lo AND d.fts_rowid < :hi ORDER BY d.fts_rowid",
        {"lo": t.fts_rowid_bound(timeutil.aware(since)), "hi": t.fts_rowid_bound(timeutil.aware(until))},
    )
    pickups, _ = _scan(db, [s for s, _ in seeds], window_days)
    return [Reach(s.key, title, s.at, pickups[s.key]) for s, title in seeds]


def published_factchecks(db, since: dt.datetime | None = None, until: dt.datetime | None = None) -> list[FactCheck]:
    """Published fact-checks from ``kiemchung.claims.tables`` (published in [since, until) if given).

    The correction's own text (what a pickup repeats) is the explanation, or the claim when empty.
    """
    from sqlalchemy import select

    from kiemchung.claims import tables as ct

    f = ct.factchecks
    q = select(f.c.id, f.c.claim, f.c.explanation, f.c.published_at).where(
        f.c.status == "published", f.c.published_at.is_not(None)
    )
    if since is not None:
        q = q.where(f.c.published_at >= timeutil.aware(since))
    if until is not None:
        q = q.where(f.c.published_at < timeutil.aware(until))
    with db.read() as conn:
        rows = conn.execute(q.order_by(f.c.published_at, f.c.id)).all()
    return [FactCheck(str(r.id), r.claim, (r.explanation or "")[:400] or r.claim, r.published_at) for r in rows]


def reach_of_factchecks(db, factchecks: Iterable[FactCheckLike], *, window_days: int = WINDOW_DAYS) -> list[Reach]:
    """Reach of fact-checks (documents matching the fact-check itself, after publication) and the
    volume of the false claim it answers (documents matching the claim before/after publication)."""
    fcs = list(factchecks)
    seeds = [_Seed(str(f.id), (f.title or f.claim), timeutil.aware(f.published_at)) for f in fcs]
    claims = [_Seed(str(f.id), f.claim, timeutil.aware(f.published_at)) for f in fcs]
    pickups, volume = _scan(db, seeds, window_days, claims)
    return [
        Reach(s.key, f.claim, s.at, pickups[s.key], volume[s.key][0], volume[s.key][1])
        for s, f in zip(seeds, fcs, strict=True)
    ]


def reach_of_factcheck(db, fc_id: str, *, factchecks: Iterable[FactCheckLike] | None = None,
                       window_days: int = WINDOW_DAYS) -> Reach:
    """Reach of one published fact-check, looked up in ``factchecks`` (default: the store)."""
    pool = list(factchecks) if factchecks is not None else published_factchecks(db)
    found = [f for f in pool if str(f.id) == str(fc_id)]
    if not found:
        raise NotFoundError(f"Không có bài kiểm chứng {fc_id!r} (no such fact-check)")
    return reach_of_factchecks(db, found, window_days=window_days)[0]


@dataclass
class StoryReach:
    """Per story: its size in the period, its official statements and how far they travelled."""

    story_id: int
    headline: str
    documents: int
    statements: int
    pickups: int
    first_pickup: dt.timedelta | None


def reach_by_story(db, since: dt.datetime, until: dt.datetime, *, window_days: int = WINDOW_DAYS) -> list[StoryReach]:
    """Stories with official statements in [since, until): statement pickups against story volume."""
    reaches = {int(r.seed_id): r for r in reach_of_statements(db, since, until, window_days=window_days)}
    if not reaches:
        return []
    ids = ",".join(str(i) for i in reaches)
    with db.read() as conn:
        rows = conn.execute(sql_text(
            f"SELECT sd.doc_id, s.id, s.headline, s.doc_count FROM story_documents sd "
            f"JOIN stories s ON s.id = sd.story_id WHERE sd.doc_id IN ({ids})"
        )).all()
    out: dict[int, StoryReach] = {}
    for doc_id, sid, headline, n in rows:
        r = reaches[doc_id]
        sr = out.setdefault(sid, StoryReach(sid, headline, n, 0, 0, None))
        sr.statements += 1
        sr.pickups += r.count
        first = r.time_to(1)
        if first is not None and (sr.first_pickup is None or first < sr.first_pickup):
            sr.first_pickup = first
    return sorted(out.values(), key=lambda s: (-s.documents, s.story_id))
