"""The morning digest (bản tin buổi sáng): the previous Vietnamese day's rising stories, watchlist rises, new
check-worthy claims by watchlist and new alerts, each ranked, by e-mail and on the web page ``/digest``.

:func:`build_digest` gathers it for a day; :func:`send_due_digest` sends yesterday's once, from the
hour of setting ``digest_hour`` (Vietnam time), to ``digest_mail_to`` (else ``smtp_to``), records it
in ``digests`` (audited as ``digest.send``) and tries again at the next check when the mail failed.
Both ``kiemchung watch`` and the worker task ``watch_alerts`` call it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select, update

from kiemchung import audit, timeutil
from kiemchung.store import schema as t
from kiemchung.store import settings

__all__ = ["Digest", "build_digest", "digest_text", "send_due_digest"]

STORIES = 10
CLAIMS_PER_WATCHLIST = 5
DOCS_PER_WATCHLIST = 200
ALERTS = 20


@dataclass
class Digest:
    """One day's digest; every list is ranked, most important first."""

    day: dt.date
    start: dt.datetime
    end: dt.datetime
    stories: list[dict[str, Any]] = field(default_factory=list)
    rises: list[dict[str, Any]] = field(default_factory=list)
    claims: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    alerts: list[dict[str, Any]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """Nothing to tell."""
        return not (self.stories or self.rises or any(self.claims.values()) or self.alerts)


def _claims_by_watchlist(db, start: dt.datetime, end: dt.datetime) -> dict[str, list[dict[str, Any]]]:
    from kiemchung.claims.checkworthy import DEFAULT_THRESHOLD, rank_sentences
    from kiemchung.store.backends import FtsFilter
    from kiemchung.store.search import compile_tree
    from kiemchung.stories.watchlists import list_watchlists

    d = t.documents
    where = FtsFilter(lo=t.fts_rowid_bound(start), hi=t.fts_rowid_bound(end))
    out: dict[str, list[dict[str, Any]]] = {}
    for w in list_watchlists(db):
        compiled = compile_tree(w.query, accented=False)
        if compiled is None:
            continue
        with db.read() as conn:
            rowids = [r for r, _ in db.backend.fts_page(conn, compiled, where, sort="newest",
                                                        limit=DOCS_PER_WATCHLIST, offset=0)]
            rows = conn.execute(select(d.c.id, d.c.title, d.c.lead, d.c.body, d.c.url)
                                .where(d.c.fts_rowid.in_(rowids))).all() if rowids else []
        found = []
        for r in rows:
            ranked = rank_sentences("\n".join(x for x in (r.title, r.lead, (r.body or "")[:3000]) if x), limit=1,
                                    threshold=DEFAULT_THRESHOLD)
            if ranked:
                found.append({"text": ranked[0].text, "score": round(ranked[0].score, 2), "doc_id": r.id,
                              "title": r.title or "", "url": r.url})
        seen, best = set(), []
        for c in sorted(found, key=lambda c: (-c["score"], c["doc_id"])):
            key = " ".join(c["text"].lower().split())
            if key not in seen:
                seen.add(key)
                best.append(c)
        out[w.name] = best[:CLAIMS_PER_WATCHLIST]
    return out


def _alerts(db, start: dt.datetime, end: dt.datetime) -> list[dict[str, Any]]:
    from kiemchung.claims.tables import alerts, factchecks

    d = t.documents
    q = (select(alerts.c.id, alerts.c.level, alerts.c.score, alerts.c.doc_id, factchecks.c.claim, factchecks.c.publisher,
                d.c.title, d.c.lead)
         .join(factchecks, factchecks.c.id == alerts.c.factcheck_id).join(d, d.c.id == alerts.c.doc_id)
         .where(alerts.c.created_at >= start, alerts.c.created_at < end, alerts.c.level != "related"))
    with db.read() as conn:
        rows = [dict(r._mapping) for r in conn.execute(q)]
    rows.sort(key=lambda a: (a["level"] != "repeat", -a["score"], a["id"]))
    return rows[:ALERTS]


def build_digest(db, day: dt.date) -> Digest:
    """The digest of Vietnamese day ``day``."""
    from kiemchung.stories.trends import rising_during
    from kiemchung.stories.watch_alerts import list_rises

    start = dt.datetime.combine(day, dt.time(), timeutil.VN_TZ)
    end = start + dt.timedelta(days=1)
    stories = [{"id": int(r.key), "label": r.label, "current": r.current, "baseline": r.baseline, "score": r.score}
               for r, _ in rising_during(db, start, end, kinds=("story",), limit=STORIES)]
    rises = sorted(list_rises(db, since=start, until=end), key=lambda r: -r["peak_score"])
    return Digest(day, start, end, stories, rises, _claims_by_watchlist(db, start, end), _alerts(db, start, end))


def digest_text(db, dg: Digest) -> tuple[str, str]:
    """(subject, plain text) of the e-mail; links go to the web page (setting ``site_url``)."""
    from kiemchung.labels import label, times_usual

    site = (settings.value(db, "site_url") or "http://localhost:8000").rstrip("/")
    day = f"{dg.day:%d/%m/%Y}"
    lines = [f"Bản tin buổi sáng (morning digest) — ngày {day}", f"Xem trên web (web page): {site}/digest?day={dg.day.isoformat()}", ""]
    lines.append("1. Câu chuyện nổi lên (rising stories)")
    lines += [f"   - {s['label']} — {s['current']} tài liệu/24 giờ, {times_usual(s['current'], s['baseline'])} "
              f"(mức nổi bật {s['score']:.1f}) {site}/stories/{s['id']}" for s in dg.stories] or ["   (không có / none)"]
    lines.append("2. Danh sách theo dõi nổi lên (rising watchlists)")
    lines += [f"   - {r['name']}: {r['peak_current']} tài liệu/24 giờ, mức nổi bật {r['peak_score']:.1f}"
              for r in dg.rises] or ["   (không có / none)"]
    lines.append("3. Nhận định mới cần kiểm chứng, theo danh sách theo dõi (new check-worthy claims by watchlist)")
    any_claim = False
    for name, claims in dg.claims.items():
        if claims:
            any_claim = True
            lines.append(f"   [{name}]")
            lines += [f"   - ({c['score']:.2f}) {c['text']} {site}/documents/{c['doc_id']}" for c in claims]
    if not any_claim:
        lines.append("   (không có / none)")
    lines.append("4. Cảnh báo mới (new alerts)")
    lines += [f"   - [{label('alert_level', a['level'])}] #{a['doc_id']} {(a['title'] or a['lead'] or '')[:120]} — "
              f"khớp (matches): {a['claim'][:120]}{' — ' + a['publisher'] if a['publisher'] else ''}"
              for a in dg.alerts] or ["   (không có / none)"]
    return f"[kiemchung] Bản tin buổi sáng {day} (morning digest)", "\n".join(lines) + "\n"


def send_due_digest(db, now: dt.datetime | None = None) -> str | None:
    """Send yesterday's digest if it is due (see the module docstring); returns what happened
    ("sent", "failed") or None when nothing was due."""
    from kiemchung.claims.notify import DeliveryError, send_message
    from kiemchung.stories.places_tables import digests

    now = timeutil.local(timeutil.aware(now) or timeutil.view_now(db))
    if now.hour < (settings.integer(db, "digest_hour") or 0):
        return None
    to = settings.value(db, "digest_mail_to") or settings.value(db, "smtp_to")
    if not (settings.value(db, "smtp_host") and to):
        return None
    day = now.date() - dt.timedelta(days=1)
    with db.read() as conn:
        row = conn.execute(select(digests).where(digests.c.day == day)).first()
    if row is not None and row.status == "sent":
        return None
    dg = build_digest(db, day)
    subject, text = digest_text(db, dg)
    status, error = "sent", None
    try:
        send_message(db, to, subject, text)
    except DeliveryError as exc:
        status, error = "failed", str(exc)[:2000]
    values = {"built_at": timeutil.now(), "sent_at": timeutil.now() if status == "sent" else None,
              "recipients": to, "status": status, "error": error}
    with db.write() as conn:
        if row is None:
            conn.execute(insert(digests).values(day=day, **values))
        else:
            conn.execute(update(digests).where(digests.c.day == day).values(**values))
        audit.record(conn, None, "digest.send", f"digest:{day.isoformat()}", None,
                     {"recipients": to, "status": status, "error": error})
    return status
