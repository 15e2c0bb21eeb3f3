"""Alerts: new documents that repeat a claim already fact-checked as false or misleading.

:class:`AlertEngine` keeps a :class:`~kiemchung.claims.match.ClaimMatcher` loaded with every phrasing
of the published false/misleading fact-checks (rebuilt when any fact-check changes) and records an
alert once per (document, fact-check) pair whose match is over the matcher's threshold.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from kiemchung import timeutil
from kiemchung.claims.factchecks import NEEDS_EVIDENCE, list_factchecks, signature
from kiemchung.claims.match import ClaimMatcher
from kiemchung.claims.tables import alerts
from kiemchung.models import Document

BODY_CHARS = 1000


@dataclass
class Alert:
    """One recorded alert."""

    id: int
    doc_id: int
    factcheck_id: int
    score: float
    reason: list[str] = field(default_factory=list)
    story_id: int | None = None
    status: str = "new"
    created_at: dt.datetime | None = None


def document_text(doc: Document) -> str:
    """What is matched: title, lead and the first ~1000 characters of the body."""
    return "\n".join(p for p in (doc.title, doc.lead, (doc.body or "")[:BODY_CHARS]) if p)


class AlertEngine:
    """Match new documents against published false/misleading fact-checks and record alerts."""

    def __init__(self, db, matcher: ClaimMatcher | None = None) -> None:
        self.db = db
        self._config = matcher.config if matcher is not None else None
        self.matcher = matcher
        self._sig: tuple | None = None

    def refresh(self) -> ClaimMatcher:
        """Rebuild the matcher when fact-checks changed since the last build; return it."""
        sig = signature(self.db)
        if sig != self._sig or self.matcher is None:
            m = ClaimMatcher(self._config)
            for fc in list_factchecks(self.db, status="published", verdicts=list(NEEDS_EVIDENCE), limit=10**9):
                for i, text in enumerate(fc.phrasings):
                    m.add(f"{fc.id}:{i}", text, group=str(fc.id))
            self.matcher, self._sig = m, sig
        return self.matcher

    def process(self, docs: list[Document], *, notify: bool = True) -> list[Alert]:
        """Record alerts for stored documents (``doc.id`` set); return the newly created ones."""
        from kiemchung.stories.tables import story_documents

        matcher = self.refresh()
        if not len(matcher):
            return []
        created: list[Alert] = []
        for doc in docs:
            if doc.id is None:
                continue
            hits = [h for h in matcher.match(document_text(doc), k=5) if h.matched]
            if not hits:
                continue
            with self.db.write() as conn:
                story = conn.execute(select(story_documents.c.story_id).where(story_documents.c.doc_id == doc.id)).scalar()
                for h in hits:
                    now = timeutil.now()
                    exists = conn.execute(select(alerts.c.id).where(
                        (alerts.c.doc_id == doc.id) & (alerts.c.factcheck_id == int(h.entry_id)))).first()
                    if exists is not None:
                        continue
                    try:
                        with conn.begin_nested():
                            res = conn.execute(insert(alerts).values(
                                doc_id=doc.id, factcheck_id=int(h.entry_id), story_id=story, score=h.score,
                                reason=h.reason, status="new", created_at=now))
                    except IntegrityError:  # recorded meanwhile by another process: once only
                        continue
                    created.append(Alert(res.inserted_primary_key[0], doc.id, int(h.entry_id), h.score,
                                         list(h.reason), story, "new", now))
        if notify and created:
            from kiemchung.claims.notify import deliver_pending, enqueue

            enqueue(self.db, [a.id for a in created])
            deliver_pending(self.db)
        return created


class AlertStage:
    """The pipeline stage that checks every newly stored document against the false claims.

    It remembers the last document id it looked at (setting ``alerts_last_doc_id``), so each document is
    matched once, right after the story stage has placed it (the alert records its story). Documents stored
    before a fact-check was published are not re-read here: ``kiemchung alerts scan`` does that.
    """

    SETTING = "alerts_last_doc_id"

    def __init__(self, db, engine: AlertEngine | None = None, *, batch: int = 500) -> None:
        self.db = db
        self.engine = engine or AlertEngine(db)
        self.batch = batch

    def run(self) -> int:
        """Match the documents stored since the last run; return how many alerts were created."""
        last = int(self.db.get_setting(self.SETTING, "0") or 0)
        if not len(self.engine.refresh()):  # nothing to match against: skip ahead without reading
            top = self.db.max_document_id()
            if top > last:
                self.db.set_setting(self.SETTING, str(top))
            return 0
        created = 0
        pending: list[Document] = []
        for doc in self.db.iter_documents(batch=self.batch, after_id=last):
            pending.append(doc)
            if len(pending) >= self.batch:
                created += len(self.engine.process(pending))
                last = pending[-1].id
                self.db.set_setting(self.SETTING, str(last))
                pending = []
        if pending:
            created += len(self.engine.process(pending))
            self.db.set_setting(self.SETTING, str(pending[-1].id))
        return created


def list_alerts(db, *, limit: int = 100, story_id: int | None = None) -> list[Alert]:
    """Recorded alerts, newest first (optionally of one story)."""
    q = select(alerts).order_by(alerts.c.created_at.desc(), alerts.c.id.desc()).limit(limit)
    if story_id is not None:
        q = q.where(alerts.c.story_id == story_id)
    with db.read() as conn:
        return [Alert(r.id, r.doc_id, r.factcheck_id, r.score, list(r.reason or []), r.story_id, r.status, r.created_at)
                for r in conn.execute(q)]
