"""Alerts: new documents that repeat a claim already fact-checked as false or misleading.

:class:`AlertEngine` keeps a :class:`~kiemchung.claims.match.ClaimMatcher` loaded with every phrasing
of the published false/misleading fact-checks (rebuilt when any fact-check changes) and, for each
document, lets the verifier (:class:`~kiemchung.claims.verify.AlertDecider`: term weights from the
installation's stored documents, pair features, the installation's thresholds and triage
recalibration) decide on the best candidates. An alert is recorded once per (document, fact-check)
pair, at one of two levels: ``"repeat"`` ("Lặp lại tin sai": notified by log, webhook and e-mail) or
``"related"`` ("có thể liên quan": shown in the claims queue and the alerts page only, never notified).

Tips (kind "tip": someone asking whether a claim is true) never raise an alert either: their matches
are shown in the tips queue (:mod:`kiemchung.tips`), not notified as repeats. Official statements
(documents of kind "official") never raise an alert: they are where denials come
from, and the matcher does not see negation ("... không chữa khỏi ...") — see docs/matching.md.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from kiemchung import audit, timeutil
from kiemchung.claims.config import match_config
from kiemchung.claims.factchecks import NEEDS_EVIDENCE, FactCheck, list_factchecks, signature
from kiemchung.claims.match import ClaimMatcher, MatchConfig
from kiemchung.claims.tables import alerts
from kiemchung.claims.verify import STORY_FLOOR, STORY_MIN_REPEATS, STORY_REASON, story_floor_ok, story_raise
from kiemchung.models import Document
from kiemchung.store import progress, settings

BODY_CHARS = 1000
BACKSCAN_DAYS = 30  # default of the alerts_backscan_days setting


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
    level: str = "repeat"
    probability: float | None = None


def level_label(level: str | None) -> str:
    """"Lặp lại tin sai (Repeats a false claim)" / "Có thể liên quan (Possibly related)"."""
    from kiemchung.claims.verify import LEVEL_LABELS

    vi, en = LEVEL_LABELS.get(level or "repeat", (level or "", level or ""))
    return f"{vi} ({en})"


def _alerting_factchecks(db) -> list[FactCheck]:
    """The published fact-checks whose claims raise alerts (false or misleading)."""
    return list_factchecks(db, status="published", verdicts=list(NEEDS_EVIDENCE), limit=10**9)


def document_text(doc: Document) -> str:
    """What is matched: title, lead and the first ~1000 characters of the body."""
    return "\n".join(p for p in (doc.title, doc.lead, (doc.body or "")[:BODY_CHARS]) if p)


class AlertEngine:
    """Match new documents against published false/misleading fact-checks and record alerts."""

    def __init__(self, db, matcher: ClaimMatcher | None = None) -> None:
        self.db = db
        # An explicit matcher's config wins; otherwise the installation's (match_* settings).
        self._config = matcher.config if matcher is not None else None
        self.matcher = matcher
        self._texts: dict[str, str] | None = None  # phrasing id -> text, for the verifier's clause rule
        self._wordings: dict[int, tuple[str, ...]] = {}  # doc id -> its wording (AlertEngine._wording)
        self.decider = None
        self._sig: tuple | None = None
        self.image_matcher = None  # kiemchung.images.match.ImageMatcher over the same fact-checks' images
        self._image_sig: tuple | None = None

    def config(self) -> MatchConfig:
        """The matcher configuration in force: the explicit one, else the installation's settings."""
        return self._config if self._config is not None else match_config(self.db)

    def factchecks(self) -> list[FactCheck]:
        """The fact-checks matched against (published false or misleading ones; the tip matcher
        :class:`kiemchung.tips.service.TipMatcher` takes every published one)."""
        return _alerting_factchecks(self.db)

    def refresh(self) -> ClaimMatcher:
        """Rebuild the matcher when fact-checks (or the installation's match settings) changed, and the
        decider when the matcher, the background statistics or the decision settings changed; return
        the matcher."""
        from kiemchung.claims.verify import AlertDecider, decision_model, store_background

        cfg = self.config()
        sig = (signature(self.db), repr(cfg))
        rebuilt = False
        if sig != self._sig or self.matcher is None:
            m = ClaimMatcher(cfg)
            texts: dict[str, str] = {}
            for fc in self.factchecks():
                for i, text in enumerate(fc.phrasings):
                    m.add(f"{fc.id}:{i}", text, group=str(fc.id))
                    texts[f"{fc.id}:{i}"] = text
            self.matcher, self._texts, self._sig, rebuilt = m, texts, sig, True
        self._refresh_images(sig)
        background = store_background(self.db)
        model = decision_model(self.db)
        if rebuilt or self.decider is None or self.decider.model != model or self.decider.background is not background:
            self.decider = AlertDecider(self.matcher, background, model, texts=self._texts)
        return self.matcher

    def _refresh_images(self, sig: tuple) -> None:
        """The image matcher over the images of the alerting fact-checks (none without the images extra)."""
        try:
            from kiemchung.images.match import factcheck_images_signature, factcheck_matcher
        except ImportError:  # Pillow/imagehash not installed: text matching only
            self.image_matcher = None
            return
        isig = (sig, factcheck_images_signature(self.db))
        if isig != self._image_sig:
            ids = [fc.id for fc in _alerting_factchecks(self.db)]
            self.image_matcher = factcheck_matcher(self.db, ids)
            self._image_sig = isig

    def _image_hits(self, docs: list[Document], only: set[int] | None) -> dict[int, dict[int, Any]]:
        """{doc id: {fact-check id: best ImageMatch}} for documents whose images match a fact-check's."""
        if not self.image_matcher:
            return {}
        from kiemchung.images.match import document_images

        found: dict[int, dict[int, Any]] = {}
        for doc_id, imgs in document_images(self.db, [d.id for d in docs if d.id is not None]).items():
            for image_id, phash, crop in imgs:
                for m in self.image_matcher.match(phash, crop):
                    for fc_id in m.factcheck_ids:
                        if only is not None and fc_id not in only:
                            continue
                        best = found.setdefault(doc_id, {}).get(fc_id)
                        if best is None or (m.method, m.distance) < (best[1].method, best[1].distance):
                            found[doc_id][fc_id] = (image_id, m)
        return found

    def process(self, docs: list[Document], *, notify: bool = True,
                only: set[int] | None = None) -> list[Alert]:
        """Record alerts for stored documents (``doc.id`` set); return the newly created ones.

        ``only``: record alerts for these fact-check ids only (the documents are still matched against
        every fact-check, so that scores are the same as in a full pass)."""
        matcher = self.refresh()
        if not len(matcher):
            return []
        created: list[Alert] = []
        raised: list[int] = []  # "related" alerts raised to "repeat" by a repeat of their story (raise_story)
        image_hits = self._image_hits([d for d in docs if d.kind != "official"], only)
        below: list[tuple[int | None, int]] = []  # (story, fact-check) a confident repeat was recorded for
        for doc in docs:
            if doc.id is None or doc.kind == "official":  # statements answer claims (denials), never repeat them
                continue
            if doc.kind == "tip":  # a citizen asking; matched and shown in the tips queue (kiemchung.tips)
                continue
            _, decisions = self.decider.decide(document_text(doc), k=5 + len(only or ()))
            story = None
            confident = self.decider.model.repeat_threshold
            if decisions and (decisions[0].level == "related"
                              or (decisions[0].level is None
                                  and (story_floor_ok(decisions[0]) or decisions[0].named >= STORY_FLOOR))):
                with self.db.read() as conn:  # the story can raise it (verify.story_raise)
                    story = _story_of(conn, doc.id)
                    repeats = story_repeats(conn, story, doc.id)
                    confidently = story_repeats(conn, story, doc.id, confident=confident)
                story_raise(decisions, repeats, confidently, self._reread(story, doc))
            hits = [d for d in decisions
                    if d.level is not None and (only is None or int(d.match.entry_id) in only)]
            by_image = image_hits.get(doc.id, {})
            if not hits and not by_image:
                continue
            with self.db.write() as conn:
                story = _story_of(conn, doc.id)
                for d in hits:
                    h = d.match
                    now = timeutil.now()
                    exists = conn.execute(select(alerts.c.id).where(
                        (alerts.c.doc_id == doc.id) & (alerts.c.factcheck_id == int(h.entry_id)))).first()
                    if exists is not None:
                        continue
                    reason = list(h.reason or matcher.explain(h.phrasing_id, document_text(doc)))
                    features = {k: round(v, 4) for k, v in d.features.items()}
                    features["first"] = float(d is decisions[0])  # the most probable candidate (story_raise)
                    if d.story:
                        features[STORY_REASON] = 1.0
                        reason.extend(story_reasons(d, (self._texts or {}).get(h.phrasing_id)))
                    try:
                        with conn.begin_nested():
                            res = conn.execute(insert(alerts).values(
                                doc_id=doc.id, factcheck_id=int(h.entry_id), story_id=story, score=h.score,
                                reason=reason, status="new", created_at=now, level=d.level,
                                probability=d.probability, features=features))
                    except IntegrityError:  # recorded meanwhile by another process: once only
                        continue
                    created.append(Alert(res.inserted_primary_key[0], doc.id, int(h.entry_id), h.score,
                                         list(reason), story, "new", now, d.level, d.probability))
                    if d.level == "repeat" and not d.story:  # earlier posts of its story may spread it
                        raised += raise_story(conn, story, int(h.entry_id), doc.id)
                        if d.probability >= confident:
                            below.append((story, int(h.entry_id)))
                for fc_id, (image_id, m) in sorted(by_image.items()):
                    # The same kind of alert as a text match, level "repeat", reason label "image".
                    exists = conn.execute(select(alerts.c.id).where(
                        (alerts.c.doc_id == doc.id) & (alerts.c.factcheck_id == fc_id))).first()
                    if exists is not None:
                        continue
                    from kiemchung.labels import label

                    now = timeutil.now()
                    reason = [f"{label('alert_reason', 'image', 'vi')} ({label('alert_reason', 'image', 'en')}): "
                              f"{m.describe()}"]
                    score = round(1.0 - m.distance / 64, 4)
                    features = {"image": 1, "image_id": image_id, "factcheck_image_id": m.image_id,
                                "image_distance": m.distance, "image_method": m.method,
                                "image_segments": m.segments}
                    try:
                        with conn.begin_nested():
                            res = conn.execute(insert(alerts).values(
                                doc_id=doc.id, factcheck_id=fc_id, story_id=story, score=score, reason=reason,
                                status="new", created_at=now, level="repeat", probability=None, features=features))
                    except IntegrityError:
                        continue
                    created.append(Alert(res.inserted_primary_key[0], doc.id, fc_id, score, reason, story, "new",
                                         now, "repeat", None))
                    raised += raise_story(conn, story, fc_id, doc.id)
                    below.append((story, fc_id))
            for st, fc_id in below:  # new alerts, in ``created``
                self._raise_below(st, fc_id, doc.id, created)
            below.clear()
        repeats = [a.id for a in created if a.level == "repeat"] + raised  # "related" goes to the queue only
        if notify and repeats:
            from kiemchung.claims.notify import deliver_pending, enqueue

            enqueue(self.db, repeats)
            deliver_pending(self.db)
        return created

    def _raise_below(self, story: int | None, factcheck_id: int, doc_id: int, created: list[Alert]) -> None:
        """A document of ``story`` now repeats the fact-check confidently, the STORY_MIN_REPEATS-th of
        the story to do so, or the STORY_MIN_REPEATS-th wording among them to state a name of the
        fact-check (what establishes it, :func:`kiemchung.claims.verify.story_names`): the
        story's earlier documents (ids under ``doc_id``, the newest :data:`STORY_REREAD`) that have no
        alert on it and whose most probable candidate is it, under the related level but over
        :data:`~kiemchung.claims.verify.STORY_FLOOR` without a conflict (or read over it with those
        names), are decided again and recorded "repeat" (:func:`kiemchung.claims.verify.story_raise`;
        posts under the related level are not recorded when they arrive, so they are read again here;
        later posts are decided with the story's repeats). The new alerts are appended to ``created``."""
        from kiemchung.stories.tables import story_documents
        from kiemchung.store import schema as t

        if story is None:
            return
        with self.db.read() as conn:
            # once when the story gets its second confident repeat, and once when a name of the claim
            # is stated in a second wording (a later post is decided with them)
            confident = _repeating_docs(conn, story, -1, self.decider.model.repeat_threshold)
            repeats = confident.get(str(factcheck_id), set())
            if len(repeats) < STORY_MIN_REPEATS:
                return
        if len(repeats) > STORY_MIN_REPEATS and not self._names_established(doc_id, factcheck_id, repeats):
            return
        with self.db.read() as conn:
            rows = conn.execute(
                select(t.documents.c.id).select_from(t.documents.join(
                    story_documents, story_documents.c.doc_id == t.documents.c.id))
                .where(story_documents.c.story_id == story, t.documents.c.id < doc_id,
                       t.documents.c.kind.not_in(("official", "tip")),
                       ~t.documents.c.id.in_(select(alerts.c.doc_id).where(alerts.c.factcheck_id == factcheck_id)))
                .order_by(t.documents.c.id.desc()).limit(STORY_REREAD)).scalars().all()
        for other in rows:
            doc = self.db.get_document(other)
            _, decisions = self.decider.decide(document_text(doc), k=5)
            if not decisions or str(decisions[0].match.entry_id) != str(factcheck_id):
                continue
            if not story_raise(decisions, (), {str(factcheck_id)}, self._reread(story, doc)):
                continue
            d = decisions[0]
            features = {k: round(v, 4) for k, v in d.features.items()}
            features.update({"first": 1.0, STORY_REASON: 1.0})
            reason = [*(d.match.reason or self.matcher.explain(d.match.phrasing_id, document_text(doc))),
                      *story_reasons(d, (self._texts or {}).get(d.match.phrasing_id))]
            now = timeutil.now()
            with self.db.write() as conn:
                try:
                    with conn.begin_nested():
                        res = conn.execute(insert(alerts).values(
                            doc_id=doc.id, factcheck_id=factcheck_id, story_id=story, score=d.match.score,
                            reason=reason, status="new", created_at=now, level="repeat",
                            probability=d.probability, features=features))
                except IntegrityError:
                    continue
            created.append(Alert(res.inserted_primary_key[0], doc.id, factcheck_id, d.match.score, reason, story,
                                 "new", now, "repeat", d.probability))

    def _names_established(self, doc_id: int, factcheck_id: int, repeats: set[int]) -> bool:
        """Whether document ``doc_id``, one of a story's confident ``repeats`` of the fact-check, is the
        STORY_MIN_REPEATS-th wording among them (the newest :data:`STORY_NAMES_FROM`) to state one of
        the names of the fact-check's phrasings: when :func:`kiemchung.claims.verify.story_names` can
        first read that name into the story's posts."""
        from kiemchung.text import name_spans

        prefix = f"{factcheck_id}:"
        runs = {tuple(r) for key, text in (self._texts or {}).items() if key.startswith(prefix)
                for _, r in name_spans(text)}
        if not runs:
            return False
        mine = self._wording(doc_id)
        others = {self._wording(o) for o in sorted(repeats - {doc_id}, reverse=True)[:STORY_NAMES_FROM]}
        if mine in others:  # a copy of a wording already counted
            return False
        held = [set(w) for w in others]
        return any(set(mine).issuperset(r) and sum(h.issuperset(r) for h in held) == STORY_MIN_REPEATS - 1
                   for r in runs)

    def _wording(self, doc_id: int) -> tuple[str, ...]:
        """:func:`kiemchung.claims.verify.wording` of a stored document (kept for the engine's life)."""
        from kiemchung.claims.verify import wording

        w = self._wordings.get(doc_id)
        if w is None:
            if len(self._wordings) > 50_000:
                self._wordings.clear()
            w = self._wordings[doc_id] = wording(document_text(self.db.get_document(doc_id)))
        return w

    def _reread(self, story: int | None, doc: Document):
        """``reread`` for :func:`~kiemchung.claims.verify.story_raise`: ``doc`` read with the names that
        the newest :data:`STORY_NAMES_FROM` documents of ``story`` repeating the decision's fact-check
        confidently establish (:meth:`~kiemchung.claims.verify.AlertDecider.in_story`)."""

        def reread(d):
            if story is None:
                return None
            with self.db.read() as conn:
                docs = _repeating_docs(conn, story, doc.id, self.decider.model.repeat_threshold)
            ids = sorted(docs.get(str(d.match.entry_id), ()))[-STORY_NAMES_FROM:]
            texts = [document_text(self.db.get_document(i)) for i in ids]
            return self.decider.in_story(document_text(doc), d, texts)

        return reread


# How many earlier documents of a story are read again when it gets its confident repeats (newest first).
STORY_REREAD = 200
# How many of a story's confident repeats of a fact-check are read for the names they establish.
STORY_NAMES_FROM = 50


def _story_of(conn, doc_id: int) -> int | None:
    from kiemchung.stories.tables import story_documents

    return conn.execute(select(story_documents.c.story_id).where(story_documents.c.doc_id == doc_id)).scalar()


def story_reason() -> str:
    """The reason line of an alert raised by its story (:func:`kiemchung.claims.verify.story_raise`)."""
    from kiemchung.labels import label

    return f"{label('alert_reason', STORY_REASON, 'vi')} ({label('alert_reason', STORY_REASON, 'en')})"


def story_reasons(d, phrasing: str | None = None) -> list[str]:
    """The reason lines of a decision raised by its story: :func:`story_reason`, and the names its
    story established when it was read with them (``Decision.names``), as ``phrasing`` (the text of
    the fact-check phrasing it was decided on) writes them."""
    if not d.names:
        return [story_reason()]
    from kiemchung.labels import label
    from kiemchung.text import name_spans

    written = {tuple(run): surface for surface, run in name_spans(phrasing or "")}
    names = ", ".join(written.get(tuple(run), " ".join(run)) for run in d.names)
    return [story_reason(), f"{label('alert_reason', 'story_names', 'vi')}: {names} "
                            f"({label('alert_reason', 'story_names', 'en')})"]


def _story_alerts(conn, story: int, doc_id: int):
    """The alerts of the other documents of ``story`` (its documents now), not dismissed."""
    from kiemchung.stories.tables import story_documents

    a = alerts.c
    return (select(a.id, a.doc_id, a.factcheck_id, a.level, a.features, a.reason, a.probability)
            .select_from(alerts.join(story_documents, story_documents.c.doc_id == a.doc_id))
            .where(story_documents.c.story_id == story, a.doc_id != doc_id, a.status != "dismissed"))


def _repeating_docs(conn, story: int, doc_id: int, confident: float | None = None) -> dict[str, set[int]]:
    """``{fact-check id as a string: documents}``: the other documents of ``story`` that repeat it,
    alerts "repeat" on their own (not raised by their story, not dismissed); with ``confident``, only
    those of probability at least ``confident`` (or by image: no probability)."""
    rows = conn.execute(_story_alerts(conn, story, doc_id).where(alerts.c.level == "repeat")).all()
    out: dict[str, set[int]] = {}
    for r in rows:
        if isinstance(r.features, dict) and r.features.get(STORY_REASON):
            continue
        if confident is not None and r.probability is not None and r.probability < confident:
            continue
        out.setdefault(str(r.factcheck_id), set()).add(r.doc_id)
    return out


def story_repeats(conn, story: int | None, doc_id: int, *, confident: float | None = None) -> set[str]:
    """The fact-checks (ids as strings) that at least :data:`~kiemchung.claims.verify.STORY_MIN_REPEATS`
    other documents of ``story`` repeat on their own (see :func:`_repeating_docs`; ``confident``: with
    at least that probability)."""
    if story is None:
        return set()
    return {fc for fc, docs in _repeating_docs(conn, story, doc_id, confident).items()
            if len(docs) >= STORY_MIN_REPEATS}


def raise_story(conn, story: int | None, factcheck_id: int, doc_id: int) -> list[int]:
    """A document of ``story`` now repeats the fact-check on its own (and with it at least
    :data:`~kiemchung.claims.verify.STORY_MIN_REPEATS` documents of the story do): the story's "related"
    alerts on it (the most probable candidate of their post, not dismissed) become "repeat", as
    :func:`kiemchung.claims.verify.story_raise` decides for a post that arrives after; return their ids."""
    if story is None or len(_repeating_docs(conn, story, -1).get(str(factcheck_id), ())) < STORY_MIN_REPEATS:
        return []
    rows = conn.execute(_story_alerts(conn, story, doc_id).where(
        (alerts.c.level == "related") & (alerts.c.factcheck_id == factcheck_id))).all()
    out = []
    for r in rows:
        features = dict(r.features) if isinstance(r.features, dict) else {}
        if not features.get("first"):
            continue
        features[STORY_REASON] = 1.0
        conn.execute(update(alerts).where(alerts.c.id == r.id).values(
            level="repeat", features=features, reason=[*(r.reason or []), story_reason()]))
        out.append(r.id)
    return out


class AlertStage:
    """The pipeline stage that checks every newly stored document against the false claims.

    It remembers the last document id it looked at (stage progress ``alerts``), so each document is
    matched once, right after the story stage has placed it (the alert records its story). A claim is
    often fact-checked while it circulates: when a false or misleading fact-check is published (or a
    published one changes, e.g. gets a new phrasing), the documents of the last ``alerts_backscan_days``
    (setting, default 30; 0: off) that were read before are matched against it once (:meth:`backscan`).
    ``kiemchung alerts scan`` re-reads everything.
    """

    STAGE = progress.ALERTS
    BACKSCAN_STAGE = progress.ALERTS_BACKSCAN  # last change time of the newest fact-check back-scanned

    def __init__(self, db, engine: AlertEngine | None = None, *, batch: int = 500) -> None:
        self.db = db
        self.engine = engine or AlertEngine(db)
        self.batch = batch
        self._backscan_sig: tuple | None = None  # fact-checks as of the last back-scan in this process

    def backscan(self, until_id: int) -> int:
        """Match the fact-checks published or changed since the last back-scan against the documents
        up to ``until_id`` published in the last ``alerts_backscan_days``; return how many alerts were
        created. (Change time, not publication date: an imported fact-check may carry an old one.)

        The mark moves only after the scan, so an interrupted one is done again (an alert is recorded
        once per document and fact-check whatever happens)."""
        sig = signature(self.db)
        if sig == self._backscan_sig:  # no fact-check changed since: nothing newly published
            return 0
        days = settings.integer(self.db, "alerts_backscan_days") or 0
        mark_raw = progress.marker(self.db, self.BACKSCAN_STAGE)
        mark = timeutil.parse_time(mark_raw) if mark_raw else None
        fresh = [fc for fc in _alerting_factchecks(self.db)
                 if fc.updated_at is not None and (mark is None or fc.updated_at > mark)]
        if not fresh:
            self._backscan_sig = sig
            return 0
        created = 0
        if days > 0 and until_id > 0:
            only = {fc.id for fc in fresh}
            since = timeutil.view_now(self.db) - dt.timedelta(days=days)
            pending: list[Document] = []
            for doc in self.db.iter_documents(batch=self.batch, since=since):
                if doc.id > until_id:
                    break
                pending.append(doc)
                if len(pending) >= self.batch:
                    created += len(self.engine.process(pending, only=only))
                    pending = []
            created += len(self.engine.process(pending, only=only))
        newest = max(fc.updated_at for fc in fresh)
        progress.set_marker(self.db, self.BACKSCAN_STAGE, newest.isoformat())
        self._backscan_sig = sig
        return created

    def run(self) -> int:
        """Back-scan for newly published fact-checks, then match the documents stored since the last
        run; return how many alerts were created."""
        last = progress.last_doc_id(self.db, self.STAGE)
        created = self.backscan(last)
        if not len(self.engine.refresh()):  # nothing to match against: skip ahead without reading
            top = self.db.max_document_id()
            if top > last:
                progress.advance(self.db, self.STAGE, top)
            return created
        pending: list[Document] = []
        for doc in self.db.iter_documents(batch=self.batch, after_id=last):
            pending.append(doc)
            if len(pending) >= self.batch:
                created += len(self.engine.process(pending))
                last = pending[-1].id
                progress.advance(self.db, self.STAGE, last, processed=len(pending))
                pending = []
        if pending:
            created += len(self.engine.process(pending))
            progress.advance(self.db, self.STAGE, pending[-1].id, processed=len(pending))
        return created


def list_alerts(db, *, limit: int = 100, story_id: int | None = None) -> list[Alert]:
    """Recorded alerts, newest first (optionally of one story)."""
    q = select(alerts).order_by(alerts.c.created_at.desc(), alerts.c.id.desc()).limit(limit)
    if story_id is not None:
        q = q.where(alerts.c.story_id == story_id)
    with db.read() as conn:
        return [Alert(r.id, r.doc_id, r.factcheck_id, r.score, list(r.reason or []), r.story_id, r.status, r.created_at,
                      r.level, r.probability)
                for r in conn.execute(q)]


def factcheck_owners(db, ids) -> dict[int, tuple[str | None, bool]]:
    """``{fact-check id: (publisher, external)}``: whose fact-check an alert matched (publisher None:
    this office's own; external: another publisher's, pulled by a claimreview source)."""
    from kiemchung.claims.tables import factchecks

    ids = sorted({int(i) for i in ids})
    if not ids:
        return {}
    with db.read() as conn:
        rows = conn.execute(select(factchecks.c.id, factchecks.c.publisher, factchecks.c.external)
                            .where(factchecks.c.id.in_(ids))).all()
    return {r.id: (r.publisher, bool(r.external)) for r in rows}


def owner_text(owner: tuple[str | None, bool] | None) -> str:
    """" của <publisher> (bên ngoài, external)" for an alert line of another publisher's fact-check; ""
    for this office's own."""
    if not owner or not owner[0] or not owner[1]:
        return ""
    return f" của {owner[0]} (bên ngoài, external)"


def appearance_update(db, alert_id: int) -> tuple[int, dict] | None:
    """The change that lists the alert's document among its fact-check's appearances (ClaimReview
    ``appearance``): ``(fact-check id, {"appearances": [...]})``, or None when the document has no
    URL, the fact-check is withdrawn, or the URL is listed already. Applied (audited) when an editor
    confirms the alert: the document is where the claim appeared again."""
    from kiemchung.claims.factchecks import get_factcheck
    from kiemchung.errors import NotFoundError
    from kiemchung.links import http_url

    with db.read() as conn:
        row = conn.execute(select(alerts.c.doc_id, alerts.c.factcheck_id).where(alerts.c.id == alert_id)).first()
    if row is None:
        raise NotFoundError(f"Không tìm thấy cảnh báo (alert not found): {alert_id}")
    url = http_url(db.get_document(row.doc_id).url)
    fc = get_factcheck(db, row.factcheck_id)
    if not url or fc.status == "withdrawn" or url in fc.appearances:
        return None
    return fc.id, {"appearances": [*(u for u in fc.appearances if http_url(u)), url]}


ALERT_STATUSES = ("new", "seen", "dismissed", "confirmed")


def set_alert_status(db, alert_id: int, status: str, *, actor: Any = None, editor: str | None = None) -> dict[str, Any]:
    """Change an alert's triage status (new, seen, dismissed, confirmed), audited as ``alert.status``
    with ``actor``. Confirming an alert lists its document among the fact-check's appearances (as
    ``editor``, by default the actor's name): the document is where the claim appeared again, and a
    copy of its page is asked for (:mod:`kiemchung.captures`, setting ``evidence_capture``)."""
    from kiemchung.claims.factchecks import update_factcheck
    from kiemchung.errors import ConfigError, NotFoundError

    if status not in ALERT_STATUSES:
        raise ConfigError(f"Trạng thái cảnh báo không hợp lệ (unknown alert status): {status}")
    with db.write() as conn:
        row = conn.execute(select(alerts).where(alerts.c.id == alert_id)).first()
        if row is None:
            raise NotFoundError(f"Không tìm thấy cảnh báo (alert not found): {alert_id}")
        conn.execute(update(alerts).where(alerts.c.id == alert_id).values(status=status))
        audit.record(conn, actor, "alert.status", f"alert:{alert_id}", {"status": row.status}, {"status": status})
    if status == "confirmed" and row.status != "confirmed":
        change = appearance_update(db, alert_id)
        if change is not None:
            update_factcheck(db, change[0], change[1], editor or audit.actor_name(actor) or "?", actor=actor)
        from kiemchung.captures import request_for_alert

        request_for_alert(db, alert_id, actor=actor)  # the post may be deleted: keep a copy
    return {"id": alert_id, "status": status, "previous": row.status}


@dataclass
class StoryAlerts:
    """Alerts of one story (``story_id`` None: documents in no story), newest first."""

    story_id: int | None
    headline: str
    alerts: list[Alert]
    factchecks: list[int]  # distinct fact-checks the story's documents repeat
    last_at: dt.datetime | None
    count: int = 0  # all alerts of the story (``alerts`` lists at most ``per_story``)


def alerts_by_story(db, *, limit: int = 50, per_story: int = 20) -> list[StoryAlerts]:
    """Alerts grouped by the story their document is in now (story edits since the alert are
    followed; the story recorded at alert time otherwise), the story with the newest alert first.

    ``limit`` bounds the number of groups, ``per_story`` the alerts listed per group (counts in
    ``factchecks`` cover all of a story's alerts).
    """
    from kiemchung.stories.tables import stories, story_documents

    story = func.coalesce(story_documents.c.story_id, alerts.c.story_id).label("group_story")
    q = (select(alerts, story, stories.c.headline)
         .select_from(alerts.outerjoin(story_documents, story_documents.c.doc_id == alerts.c.doc_id)
                      .outerjoin(stories, stories.c.id == func.coalesce(story_documents.c.story_id, alerts.c.story_id)))
         .order_by(alerts.c.created_at.desc(), alerts.c.id.desc()))
    groups: dict[int | None, StoryAlerts] = {}
    with db.read() as conn:
        for r in conn.execute(q):
            g = groups.get(r.group_story)
            if g is None:
                if len(groups) >= limit:
                    continue
                g = groups[r.group_story] = StoryAlerts(r.group_story, r.headline or "", [], [], r.created_at)
            g.count += 1
            if r.factcheck_id not in g.factchecks:
                g.factchecks.append(r.factcheck_id)
            if len(g.alerts) < per_story:
                g.alerts.append(Alert(r.id, r.doc_id, r.factcheck_id, r.score, list(r.reason or []), r.group_story,
                                      r.status, r.created_at, r.level, r.probability))
    return list(groups.values())
