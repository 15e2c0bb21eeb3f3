"""Reach of official information and corrections: who picks a statement or fact-check up, and how fast.

A *pickup* of a seed (an official statement, or a published fact-check) is a later document (within
:data:`WINDOW_DAYS`) that is either a near-duplicate of it (same ``documents.dup_group``) or that the
claim matcher (:class:`kiemchung.claims.match.ClaimMatcher`) matches on its title and lead (the start of
the body for a post without either). The false claim a fact-check answers is counted the same way, in
the window before and after the fact-check's publication (``Reach.before``/``after``/``claim_docs``).

The matcher is lexical-only (``semantic=False``, so a report does not embed every document) with the
installation's ``match_*`` settings (:func:`kiemchung.claims.config.match_config`), and it indexes every
official statement and every published fact-check in the store, whatever the request: a statement's
reach is then the same in a weekly, a monthly and a quarterly report. All seeds of a request share that
matcher and one time-ordered scan of the documents, so a whole period of statements costs one pass.
"""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy import and_, case, func, select

from kiemchung import timeutil
from kiemchung.errors import NotFoundError
from kiemchung.store import schema as t

WINDOW_DAYS = 30
POST_CHARS = 1000  # a document without title and lead (a post) is matched on its body's start
# BM25 candidates re-ranked per document. Fewer than the matcher's 50: a reach scan matches every
# document of the period; on the bundled sample 10, 20 and 50 give the same pickups (docs/reports.md).
REACH_CANDIDATES = 20
MATCH_K = 10  # matcher results read per document (the index holds every statement and fact-check)
PARALLEL_MIN = 5000  # documents below which a scan never forks


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
    claim_docs: list[int] = field(default_factory=list)  # fact-checks: those documents' ids, in time order

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
    entry: str = ""  # its entry in the matcher: "d:<doc id>", "f:<fact-check id>" or "c:<fact-check id>"


def _doc_select():
    """The columns a scan reads of each document (the body's start only for a post with no title or lead)."""
    d, s = t.documents, t.sources
    no_head = and_(func.coalesce(d.c.title, "") == "", func.coalesce(d.c.lead, "") == "")
    return select(
        d.c.id, d.c.kind, d.c.title, d.c.lead,
        case((no_head, func.substr(d.c.body, 1, POST_CHARS)), else_="").label("body"),
        d.c.dup_group,
        func.coalesce(d.c.published_at, d.c.fetched_at, type_=t.UTCDateTime).label("at"),
        func.coalesce(func.nullif(s.c.name, ""), s.c.url, "?").label("src"),
    ).select_from(d.outerjoin(s, s.c.id == d.c.source_id))


def _in_period(lo: dt.datetime, hi: dt.datetime):
    """Documents whose time (published, else fetched) is in [lo, hi): a range of the time-ordered fts_rowid."""
    d = t.documents
    return and_(d.c.fts_rowid >= t.fts_rowid_bound(timeutil.aware(lo)), d.c.fts_rowid < t.fts_rowid_bound(timeutil.aware(hi)))


def _at(value) -> dt.datetime:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


def _text(r) -> str:
    """What is matched of a document: title and lead (the headline and sapo carry an article's claim),
    or the start of the body when both are empty (a social-media post)."""
    return (f"{r.title or ''}\n{r.lead or ''}".strip() or (r.body or "")).strip()


def _matcher(db, seeds: Iterable[_Seed]):
    """A lexical matcher (the installation's match_* settings) over every official statement and every
    published fact-check (its correction text and its claim) in the store, plus ``seeds`` not among them.

    The index does not depend on which seeds a request asks about, so a statement's reach is the same in
    a weekly, a monthly and a quarterly report (BM25's term weights come from the whole index).
    """
    from kiemchung.claims.config import match_config
    from kiemchung.claims.match import ClaimMatcher

    cfg = match_config(db)
    m = ClaimMatcher(cfg.replace(semantic=False, candidates=min(cfg.candidates, REACH_CANDIDATES)))
    with db.read() as conn:
        d = t.documents
        for r in conn.execute(select(d.c.id, d.c.title, d.c.lead).where(d.c.kind == "official").order_by(d.c.id)):
            text = f"{r.title}\n{r.lead}".strip()
            if text:
                m.add(f"d:{r.id}", text)
    for f in published_factchecks(db):
        m.add(f"f:{f.id}", f.title or f.claim)
        m.add(f"c:{f.id}", f.claim)
    for s in seeds:
        if s.entry not in m and s.text.strip():
            m.add(s.entry, s.text)
    return m


_FORKED = None  # the matcher handed to forked workers


def _match_chunk(texts: list[str]) -> list[tuple[str, ...]]:
    m = _FORKED
    return [tuple(mt.entry_id for mt in m.match(x, k=MATCH_K, explain_unmatched=False) if mt.matched) if x else ()
            for x in texts]


def _match_all(m, texts: list[str], workers: int) -> list[tuple[str, ...]]:
    """The matched entries of every text; split over ``workers`` forked processes for long scans.

    Forking is only used where the caller says it is safe (the ``kiemchung report`` command, the
    benchmark: single-threaded processes); the web app and the library default run in-process.
    """
    global _FORKED
    if workers <= 1 or len(texts) < PARALLEL_MIN:
        _FORKED = m
        try:
            return _match_chunk(texts)
        finally:
            _FORKED = None
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from kiemchung.processes import die_with_parent

    size = -(-len(texts) // (workers * 4))
    chunks = [texts[i:i + size] for i in range(0, len(texts), size)]
    _FORKED = m
    try:
        # (each worker dies with this process: a killed report leaves no worker behind)
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"), initializer=die_with_parent,
                                 initargs=(os.getpid(),)) as pool:
            return [hit for part in pool.map(_match_chunk, chunks) for hit in part]
    finally:
        _FORKED = None


def _scan(db, seeds: list[_Seed], window_days: int, claim_seeds: list[_Seed] = (), workers: int = 1,
          source_ids: list[int] | None = None) -> tuple[dict, dict]:
    """One pass: pickups per seed entry, and ``[before, after, doc ids]`` of claim matches per claim seed
    entry (entries are unique across statements and fact-checks, so one pass serves both). With
    ``source_ids``, only the documents of those sources are read (pickups and claims among them)."""
    pickups: dict[str, list[Pickup]] = {s.entry: [] for s in seeds}
    claims: dict[str, list] = {s.entry: [0, 0, []] for s in claim_seeds}
    everything = list(seeds) + list(claim_seeds)
    if not everything:
        return pickups, claims
    m = _matcher(db, everything)
    wanted = {s.entry: s for s in seeds}
    wanted_claims = {s.entry: s for s in claim_seeds}
    groups: dict[int, list[_Seed]] = {}
    for s in seeds:
        if s.dup_group is not None:
            groups.setdefault(s.dup_group, []).append(s)
    lo = min(s.at for s in seeds) if seeds else min(s.at for s in claim_seeds) - dt.timedelta(days=window_days)
    if claim_seeds:
        lo = min(lo, min(s.at for s in claim_seeds) - dt.timedelta(days=window_days))
    hi = max(s.at for s in everything) + dt.timedelta(days=window_days)
    with db.read() as conn:
        where = [_in_period(lo, hi)]
        if source_ids is not None:
            where.append(t.documents.c.source_id.in_(source_ids))
        rows = conn.execute(_doc_select().where(*where).order_by(t.documents.c.fts_rowid)).all()
    limit = dt.timedelta(days=window_days)
    matched = _match_all(m, [_text(r) for r in rows], workers)
    for r, hits in zip(rows, matched, strict=True):
        at = _at(r.at)
        found: dict[str, str] = {}
        for s in groups.get(r.dup_group, ()) if r.dup_group is not None else ():
            if s.at <= at < s.at + limit and s.doc_id != r.id:
                found[s.entry] = "duplicate"
        for entry_id in hits:
            s = wanted.get(entry_id)
            if s is not None and s.entry not in found and s.at <= at < s.at + limit and s.doc_id != r.id:
                found[s.entry] = "matcher"
            c = wanted_claims.get(entry_id)
            if c is not None and r.kind != "official":  # an official statement answers a claim, never repeats it
                if c.at - limit <= at < c.at:
                    claims[c.entry][0] += 1
                    claims[c.entry][2].append(r.id)
                elif c.at <= at < c.at + limit:
                    claims[c.entry][1] += 1
                    claims[c.entry][2].append(r.id)
        for entry, via in found.items():
            pickups[entry].append(Pickup(r.id, r.src, at, via))
    for lst in pickups.values():
        lst.sort(key=lambda p: (p.at, p.doc_id))
    return pickups, claims


def _statement_seeds(db, *where) -> list[tuple[_Seed, str]]:
    """Seeds of the documents selected by ``where`` (Core conditions), in time order."""
    with db.read() as conn:
        rows = conn.execute(_doc_select().where(*where).order_by(t.documents.c.fts_rowid)).all()
    return [
        (_Seed(str(r.id), _text(r), _at(r.at), r.dup_group, r.id, f"d:{r.id}"), r.title or _text(r)[:120])
        for r in rows
    ]


def reach_of_statement(db, doc_id: int, *, window_days: int = WINDOW_DAYS) -> Reach:
    """Reach of one official statement (any document, usually of kind "official"); zero reach is valid."""
    seeds = _statement_seeds(db, t.documents.c.id == int(doc_id))
    if not seeds:
        raise NotFoundError(f"Không có văn bản số {doc_id} (no such document)")
    seed, title = seeds[0]
    pickups, _ = _scan(db, [seed], window_days)
    return Reach(seed.key, title, seed.at, pickups[seed.entry])


def reach_of_statements(db, since: dt.datetime, until: dt.datetime, *, window_days: int = WINDOW_DAYS) -> list[Reach]:
    """Reach of every official statement published in [since, until), in time order."""
    seeds = _statement_seeds(db, t.documents.c.kind == "official", _in_period(since, until))
    pickups, _ = _scan(db, [s for s, _ in seeds], window_days)
    return [Reach(s.key, title, s.at, pickups[s.entry]) for s, title in seeds]


def published_factchecks(db, since: dt.datetime | None = None, until: dt.datetime | None = None) -> list[FactCheck]:
    """This office's published fact-checks (published in [since, until) if given; external ones left out).

    The correction's own text (what a pickup repeats) is the explanation, or the claim when empty.
    """
    from sqlalchemy import select

    from kiemchung.claims import tables as ct

    f = ct.factchecks
    q = select(f.c.id, f.c.claim, f.c.explanation, f.c.published_at).where(
        f.c.status == "published", f.c.published_at.is_not(None),
        f.c.external.is_(False),  # another publisher's fact-check is not this office's correction
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
    seeds = [_Seed(str(f.id), (f.title or f.claim), timeutil.aware(f.published_at), entry=f"f:{f.id}") for f in fcs]
    claims = [_Seed(str(f.id), f.claim, timeutil.aware(f.published_at), entry=f"c:{f.id}") for f in fcs]
    pickups, volume = _scan(db, seeds, window_days, claims)
    return [
        Reach(s.key, f.claim, s.at, pickups[s.entry], *volume[c.entry])
        for s, c, f in zip(seeds, claims, fcs, strict=True)
    ]


def reach_of_period(db, since: dt.datetime, until: dt.datetime, *, window_days: int = WINDOW_DAYS,
                    workers: int = 1, source_ids: list[int] | None = None) -> tuple[list[Reach], list[Reach]]:
    """The official statements and the published fact-checks of [since, until), with their reach, in
    one scan of the documents (what a report needs; the same figures as :func:`reach_of_statements`
    and :func:`reach_of_factchecks`). ``workers`` > 1 splits a long scan over forked processes (only
    from a single-threaded program: the ``kiemchung report`` command does). ``source_ids`` (a source
    collection's): the statements of those sources, and pickups and claim volume counted among them."""
    scoped = () if source_ids is None else (t.documents.c.source_id.in_(source_ids),)
    official = _statement_seeds(db, t.documents.c.kind == "official", _in_period(since, until), *scoped)
    fcs = published_factchecks(db, since, until)
    fc_seeds = [_Seed(f.id, f.title or f.claim, timeutil.aware(f.published_at), entry=f"f:{f.id}") for f in fcs]
    claims = [_Seed(f.id, f.claim, timeutil.aware(f.published_at), entry=f"c:{f.id}") for f in fcs]
    pickups, volume = _scan(db, [x for x, _ in official] + fc_seeds, window_days, claims, workers, source_ids)
    statements = [Reach(x.key, title, x.at, pickups[x.entry]) for x, title in official]
    corrections = [Reach(x.key, f.claim, x.at, pickups[x.entry], *volume[c.entry])
                   for x, c, f in zip(fc_seeds, claims, fcs, strict=True)]
    return statements, corrections


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
    """Per story: its size, its official statements and how far they travelled, and the false claims
    found in it set against the corrections that answer them.

    ``claim_volume`` counts the story's documents that repeat the claim of a published fact-check
    (within the reach window around its publication); ``factchecks`` is how many such fact-checks,
    ``correction_pickups`` how often those corrections were picked up (anywhere), ``first_correction``
    the fastest first pickup of one of them.
    """

    story_id: int
    headline: str
    documents: int
    statements: int
    pickups: int
    first_pickup: dt.timedelta | None
    factchecks: int = 0
    claim_volume: int = 0
    correction_pickups: int = 0
    first_correction: dt.timedelta | None = None


def _stories_of(db, doc_ids: Iterable[int]) -> dict[int, tuple[int, str, int]]:
    """doc id → (story id, headline, story size) for the documents that are in a story."""
    ids = sorted(set(doc_ids))
    out: dict[int, tuple[int, str, int]] = {}
    from kiemchung.stories.tables import stories, story_documents as sd

    with db.read() as conn:
        for i in range(0, len(ids), 500):
            for doc_id, sid, headline, n in conn.execute(
                select(sd.c.doc_id, stories.c.id, stories.c.headline, stories.c.doc_count)
                .select_from(sd.join(stories, stories.c.id == sd.c.story_id))
                .where(sd.c.doc_id.in_(ids[i:i + 500]))
            ):
                out[doc_id] = (sid, headline, n)
    return out


def _min(a: dt.timedelta | None, b: dt.timedelta | None) -> dt.timedelta | None:
    return b if a is None else a if b is None else min(a, b)


def combine_by_story(db, statements: list[Reach], factchecks: list[Reach]) -> list[StoryReach]:
    """Group statement and fact-check reaches by story (most active first: claim volume and pickups).

    A statement counts for the story it is in; a fact-check counts for every story holding documents
    that repeat its claim (``Reach.claim_docs``), with that story's share of the claim volume.
    """
    stories = _stories_of(db, [int(r.seed_id) for r in statements] + [d for r in factchecks for d in r.claim_docs])
    info = {sid: (headline, n) for sid, headline, n in stories.values()}
    out: dict[int, StoryReach] = {}

    def row(sid: int) -> StoryReach:
        return out.setdefault(sid, StoryReach(sid, info[sid][0], info[sid][1], 0, 0, None))

    for r in statements:
        if int(r.seed_id) in stories:
            sr = row(stories[int(r.seed_id)][0])
            sr.statements += 1
            sr.pickups += r.count
            sr.first_pickup = _min(sr.first_pickup, r.time_to(1))
    for r in factchecks:
        for sid, n in sorted(Counter(stories[d][0] for d in r.claim_docs if d in stories).items()):
            sr = row(sid)
            sr.factchecks += 1
            sr.claim_volume += n
            sr.correction_pickups += r.count
            sr.first_correction = _min(sr.first_correction, r.time_to(1))
    # Most active first: false-claim documents and pickups, then the larger story.
    return sorted(out.values(), key=lambda s: (-(s.claim_volume + s.pickups + s.correction_pickups), -s.documents,
                                              s.story_id))


def reach_by_story(db, since: dt.datetime, until: dt.datetime, *, window_days: int = WINDOW_DAYS,
                   statements: list[Reach] | None = None, factchecks: list[Reach] | None = None) -> list[StoryReach]:
    """Stories with official statements, or with documents repeating a claim fact-checked, in [since, until).

    ``statements``/``factchecks`` are the period's reaches when the caller has them already (a report
    computes them once); otherwise they are computed here.
    """
    if statements is None:
        statements = reach_of_statements(db, since, until, window_days=window_days)
    if factchecks is None:
        factchecks = reach_of_factchecks(db, published_factchecks(db, since, until), window_days=window_days)
    return combine_by_story(db, statements, factchecks)


def reach_of_story(db, story_id: int, *, window_days: int = WINDOW_DAYS) -> tuple[StoryReach, list[Reach], list[Reach]]:
    """One story: its summary row, the reach of each of its official statements, and the reach of each
    published fact-check whose false claim appears in it (zero rows are kept: a story is always shown)."""
    from kiemchung.stories.tables import stories, story_documents as sd

    with db.read() as conn:
        s = conn.execute(
            select(stories.c.id, stories.c.headline, stories.c.doc_count, stories.c.first_seen, stories.c.last_seen)
            .where(stories.c.id == int(story_id))
        ).first()
        if s is None:
            raise NotFoundError(f"Không có câu chuyện số {story_id} (no such story)")
        doc_ids = set(conn.execute(select(sd.c.doc_id).where(sd.c.story_id == int(story_id))).scalars())
    official = _statement_seeds(
        db, t.documents.c.kind == "official",
        t.documents.c.id.in_(select(sd.c.doc_id).where(sd.c.story_id == int(story_id))))
    pickups, _ = _scan(db, [x for x, _ in official], window_days)
    statements = [Reach(x.key, title, x.at, pickups[x.entry]) for x, title in official]
    fcs: list[Reach] = []
    if s.first_seen is not None and s.last_seen is not None:
        margin = dt.timedelta(days=window_days)
        pool = published_factchecks(db, _at(s.first_seen) - margin, _at(s.last_seen) + margin)
        fcs = [r for r in reach_of_factchecks(db, pool, window_days=window_days) if doc_ids & set(r.claim_docs)]
        for r in fcs:
            r.claim_docs = [d for d in r.claim_docs if d in doc_ids]
    rows = combine_by_story(db, statements, fcs)
    summary = next((x for x in rows if x.story_id == int(story_id)), None)
    return summary or StoryReach(int(story_id), s.headline, s.doc_count, 0, 0, None), statements, fcs
