"""The claims queue: check-worthy sentences and viral posts of the newest documents that no fact-check
covers yet (bounded: recent documents only, cached until fact-checks or documents change)."""

from __future__ import annotations

import dataclasses
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from kiemchung.claims import factchecks as fcs
from kiemchung.claims.alerts import document_text
from kiemchung.claims.checkworthy import DEFAULT_THRESHOLD, queue_priority, rank_document
from kiemchung.claims.config import match_config
from kiemchung.claims.match import ClaimMatcher
from kiemchung.claims.tables import alerts as alerts_t
from kiemchung.claims.tables import factcheck_phrasings
from kiemchung.claims.tables import factchecks as factchecks_t
from kiemchung.errors import ConfigError
from kiemchung.models import Document
from kiemchung.store import schema as t
from kiemchung.store.database import document_from_row
from kiemchung.web.factcheck_actions import MAX_CLAIM_CHARS

QUEUE_DOCS = 300  # most recent articles/posts whose sentences are scored per queue refresh
QUEUE_POSTS = 500  # most recent posts considered for the "viral, unmatched" list
QUEUE_TTL = 60.0  # seconds a computed queue is reused (recomputed at once when fact-checks change)
QUEUE_BODY_CHARS = 1000  # body characters scored per document (title and lead always)
QUEUE_MATCH_LIMIT = 400  # best sentences checked against the knowledge base


@dataclass
class QueueClaim:
    """A check-worthy sentence waiting for an editor: ``score`` is its check-worthiness, ``priority``
    its rank in the queue (:func:`~kiemchung.claims.checkworthy.queue_priority`), ``reasons`` both."""

    text: str
    score: float
    reasons: list[str]
    doc: Document
    priority: float = 0.0


@dataclass
class QueuePost:
    """A recent post with high engagement that matches no fact-check."""

    doc: Document
    engagement: int
    claim: str


@dataclass
class ClaimsQueue:
    """The ranked candidates; those already fact-checked are dropped lazily, page by page.

    Matching a candidate against the knowledge base is the costly part, so it is done only for the
    candidates a page needs (and remembered), not for the whole list on every refresh.
    """

    candidates: list[QueueClaim] = field(default_factory=list)
    post_candidates: list[QueuePost] = field(default_factory=list)
    documents_scored: int = 0
    seconds: float = 0.0
    matcher: ClaimMatcher | None = None
    norms: set[str] = field(default_factory=set)
    _kept: dict[str, list] = field(default_factory=lambda: {"claims": [], "posts": []})
    _next: dict[str, int] = field(default_factory=lambda: {"claims": 0, "posts": 0})
    _lock: Any = field(default_factory=threading.Lock)

    def _take(self, name: str, pool: list, text_of, stop: int) -> list:
        """The first ``stop`` items of ``pool`` whose text matches no fact-check, checked lazily."""
        with self._lock:
            kept = self._kept[name]
            while len(kept) < stop and self._next[name] < len(pool):
                item = pool[self._next[name]]
                self._next[name] += 1
                if not _known(self.matcher, self.norms, text_of(item)):
                    kept.append(item)
            return kept[:stop]

    def claims(self, stop: int) -> list[QueueClaim]:
        """The first ``stop`` candidates that match no fact-check (fewer when the queue runs out)."""
        return self._take("claims", self.candidates, lambda c: c.text, stop)

    def posts(self, stop: int) -> list[QueuePost]:
        """The first ``stop`` viral posts that match no fact-check."""
        return self._take("posts", self.post_candidates, lambda p: p.claim, stop)


_queue_cache: dict[str, tuple[tuple, float, ClaimsQueue]] = {}
_matcher_cache: dict[str, tuple[tuple, ClaimMatcher]] = {}
_lock = threading.Lock()


def knowledge_matcher(db) -> ClaimMatcher:
    """A matcher over every phrasing of every fact-check not withdrawn (any verdict, any status).

    The alert engine only loads published false/misleading ones; the queue must also skip claims that
    already have a draft or a true/unverified verdict. Rebuilt when ``signature(db)`` changes.
    """
    config = match_config(db)  # this installation's thresholds (kiemchung settings set ...)
    sig = (fcs.signature(db), repr(config))
    with _lock:
        hit = _matcher_cache.get(db.url)
        if hit and hit[0] == sig:
            return hit[1]
    m = ClaimMatcher(config)
    c = factcheck_phrasings.c
    with db.read() as conn:
        rows = conn.execute(
            select(c.factcheck_id, c.position, c.text)
            .select_from(factcheck_phrasings.join(factchecks_t, factchecks_t.c.id == c.factcheck_id))
            .where(factchecks_t.c.status != "withdrawn")
        ).all()
    for fc_id, pos, text in rows:
        m.add(f"{fc_id}:{pos}", text, group=str(fc_id))
    with _lock:
        _matcher_cache[db.url] = (sig, m)
    return m


def _engagement(doc: Document) -> int:
    return sum(v for v in (doc.engagement or {}).values() if isinstance(v, int) and v > 0)


def _recent(db, kinds: tuple[str, ...], limit: int) -> list[Document]:
    d = t.documents
    q = (
        select(d, t.sources.c.name.label("source_name"))
        .select_from(d.outerjoin(t.sources, t.sources.c.id == d.c.source_id))
        .where(d.c.kind.in_(kinds))
        .order_by(d.c.published_at.desc(), d.c.id.desc())
        .limit(limit)
    )
    with db.read() as conn:
        return [document_from_row(r, source_name=r.source_name) for r in conn.execute(q)]


def _known(matcher: ClaimMatcher | None, norms: set[str], text: str) -> bool:
    """Whether ``text`` is already a fact-checked claim (same normalised phrasing, or a matcher hit)."""
    try:
        if fcs.claim_norm(text) in norms:
            return True
    except ConfigError:  # no words at all: nothing to check
        return True
    return matcher is not None and bool(len(matcher)) and any(h.matched for h in matcher.match(text, k=1))


def compute_queue(db) -> ClaimsQueue:
    """Score the newest documents' sentences and rank viral posts (fact-checked ones dropped lazily)."""
    t0 = time.perf_counter()
    matcher = knowledge_matcher(db)
    with db.read() as conn:
        norms = set(conn.execute(select(factcheck_phrasings.c.norm)).scalars())
        alerted = set(conn.execute(select(alerts_t.c.doc_id).distinct()).scalars())
    docs = [d for d in _recent(db, ("article", "post"), QUEUE_DOCS) if d.id not in alerted]
    found: dict[str, QueueClaim] = {}
    for doc in docs:
        head = dataclasses.replace(doc, body=(doc.body or "")[:QUEUE_BODY_CHARS])
        for s in rank_document(head, limit=3, threshold=DEFAULT_THRESHOLD):
            priority, reasons = queue_priority(s, doc)
            if s.text not in found or found[s.text].priority < priority:
                found[s.text] = QueueClaim(s.text, s.score, reasons, doc, priority)
    # What needs checking first: posts and viral marks before settled news of the same checkability.
    ranked = sorted(found.values(), key=lambda c: (-c.priority, -c.score, -(c.doc.id or 0)))[:QUEUE_MATCH_LIMIT]
    posts = []
    for doc in _recent(db, ("post",), QUEUE_POSTS):
        eng = _engagement(doc)
        if eng > 0 and doc.id not in alerted:
            posts.append(QueuePost(doc, eng, " ".join(document_text(doc).split())[:MAX_CLAIM_CHARS]))
    posts.sort(key=lambda p: -p.engagement)
    return ClaimsQueue(ranked, posts[:QUEUE_MATCH_LIMIT], len(docs), time.perf_counter() - t0, matcher, norms)


def claims_queue(db) -> ClaimsQueue:
    """The queue, reused for :data:`QUEUE_TTL` seconds unless fact-checks, alerts or documents changed
    (read from the database on every call, so changes by other processes count too) or the
    installation's matcher settings changed."""
    with db.read() as conn:
        n_alerts = conn.execute(select(func.count()).select_from(alerts_t)).scalar()
    key = (fcs.signature(db), db.max_document_id(), n_alerts, repr(match_config(db)))
    with _lock:
        hit = _queue_cache.get(db.url)
        if hit and hit[0] == key and time.monotonic() - hit[1] < QUEUE_TTL:
            return hit[2]
    queue = compute_queue(db)
    with _lock:
        _queue_cache[db.url] = (key, time.monotonic(), queue)
    return queue

