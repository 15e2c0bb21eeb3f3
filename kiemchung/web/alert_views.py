"""Alerts as the workbench shows them: rows with document, fact-check and story; triage; the matcher engine."""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import func, select

from kiemchung.claims import alerts as alerts_lib
from kiemchung.claims.tables import alerts as alerts_t
from kiemchung.claims.tables import factchecks as factchecks_t
from kiemchung.errors import QueryError
from kiemchung.store import schema as t
from kiemchung.web import queries

ALERTS_PAGE = 100
ALERT_STATUSES = alerts_lib.ALERT_STATUSES


def set_alert_status(db, user, alert_id: int, status: str) -> dict[str, Any]:
    """Change an alert's triage status as ``user`` (the library audits it; see
    :func:`kiemchung.claims.alerts.set_alert_status`)."""
    out = alerts_lib.set_alert_status(db, alert_id, status, actor=user, editor=user.name)
    queries.clear_cache()  # the overview's "new alerts" panel
    return out



def list_alert_rows(
    db,
    *,
    status: str | None = None,
    story_id: int | None = None,
    alert_id: int | None = None,
    doc_id: int | None = None,
    level: str | None = None,
    limit: int = ALERTS_PAGE,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Alerts newest first with their document, fact-check and story headline (one query)."""
    from kiemchung.stories.tables import stories

    if status is not None and status not in ALERT_STATUSES:
        raise QueryError(f"Trạng thái cảnh báo không hợp lệ (unknown alert status): {status}")
    a, d, f = alerts_t, t.documents, factchecks_t
    q = (
        select(
            a.c.id, a.c.doc_id, a.c.factcheck_id, a.c.story_id, a.c.score, a.c.reason, a.c.status, a.c.level,
            a.c.probability, a.c.features,
            a.c.created_at, d.c.title.label("doc_title"), d.c.lead.label("doc_lead"),
            func.substr(d.c.body, 1, 400).label("doc_body"), d.c.url.label("doc_url"),
            d.c.kind.label("doc_kind"), d.c.platform.label("doc_platform"),
            d.c.published_at.label("doc_published_at"), d.c.fetched_at.label("doc_fetched_at"), f.c.claim, f.c.verdict, f.c.status.label("fc_status"),
            f.c.publisher.label("fc_publisher"), f.c.external.label("fc_external"),
            stories.c.headline.label("story_headline"),
        )
        .select_from(
            a.join(d, d.c.id == a.c.doc_id)
            .join(f, f.c.id == a.c.factcheck_id)
            .outerjoin(stories, stories.c.id == a.c.story_id)
        )
        .order_by(a.c.created_at.desc(), a.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    if status:
        q = q.where(a.c.status == status)
    if story_id is not None:
        q = q.where(a.c.story_id == story_id)
    if alert_id is not None:
        q = q.where(a.c.id == alert_id)
    if doc_id is not None:
        q = q.where(a.c.doc_id == doc_id)
    if level is not None:
        q = q.where(a.c.level == level)
    with db.read() as conn:
        rows = [dict(r._mapping) for r in conn.execute(q)]
    from kiemchung.claims.alerts import story_reason
    from kiemchung.claims.verify import STORY_REASON

    line = story_reason()
    for r in rows:
        features = r.pop("features", None)
        # raised by its story (verify.story_raise): shown as a label in the page's language; the
        # stored reason line (both languages, for notifications) is not a shared term
        r["story_raised"] = bool(isinstance(features, dict) and features.get(STORY_REASON))
        r["reason"] = [str(x) for x in r["reason"] if str(x) != line] if isinstance(r["reason"], list) else []
    return rows


def group_by_story(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Alerts grouped by story (those without a story together), groups ordered by their newest alert."""
    groups: dict[Any, dict[str, Any]] = {}
    for r in rows:
        key = r["story_id"]
        g = groups.setdefault(
            key, {"story_id": r["story_id"], "headline": r["story_headline"], "alerts": []}
        )
        g["alerts"].append(r)
    return list(groups.values())


_engines: dict[str, Any] = {}
_engine_lock = threading.Lock()


def alert_engine(db):
    """One :class:`~kiemchung.claims.alerts.AlertEngine` per database (its matcher rebuilt on change)."""
    from kiemchung.claims.alerts import AlertEngine

    with _engine_lock:
        engine = _engines.get(db.url)
        if engine is None:
            engine = _engines[db.url] = AlertEngine(db)
    return engine

