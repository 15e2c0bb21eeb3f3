"""Watchlist alerts pushed (cảnh báo danh sách theo dõi): a watchlist rising above its own baseline is
sent through the alert channels once per rise, and recorded.

A watchlist rises by the trends rule (:func:`kiemchung.stories.trends.rising`: documents of the last
24 h against its 14 preceding days). :func:`check_rises` is run on a schedule (``kiemchung watch``,
the worker task ``watch_alerts``):

- a watchlist rising with no open rise opens one (``watchlist_rises``) and is notified on every
  configured channel (:func:`kiemchung.claims.notify.channels`: log, webhook, e-mail); each
  channel's answer is kept on the row (``deliveries``) and the rise is audited as
  ``watchlist.rise`` (actor ``system``);
- while it keeps rising, the open rise only follows its peak (no new message);
- when it stops rising the rise is closed; a rise that starts again within ``COOL_DOWN`` of the end
  reopens the same row rather than sending again (a series hovering at the threshold is one rise).

A channel that fails is retried at the next check (at most ``MAX_TRIES`` checks), never re-sent to
channels that already answered.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, update

from kiemchung import audit, timeutil
from kiemchung.stories.places_tables import watchlist_rises, watchlists

__all__ = ["COOL_DOWN", "RiseReport", "ScheduledWatch", "check_rises", "list_rises", "rise_payload", "run_scheduled"]

log = logging.getLogger("kiemchung.alerts")
COOL_DOWN = dt.timedelta(hours=12)
MAX_TRIES = 5


@dataclass
class RiseReport:
    """What one check did: rises opened (and notified), still open, closed; deliveries by outcome."""

    opened: int = 0
    ongoing: int = 0
    closed: int = 0
    sent: int = 0
    failed: int = 0


def rise_payload(db, row, name: str, query: str) -> dict[str, Any]:
    """The JSON body sent for a rise: the watchlist, its figures and links into the workbench."""
    from urllib.parse import quote

    from kiemchung.store import settings

    site = (settings.value(db, "site_url") or "http://localhost:8000").rstrip("/")
    return {
        "type": "watchlist_rise",
        "watchlist": {"id": row.watchlist_id, "name": name, "query": query},
        "rise_id": row.id, "started_at": timeutil.aware(row.started_at).isoformat(),
        "current": row.current, "baseline": row.baseline, "score": row.score,
        "links": {"attention": f"{site}/attention?watchlist={quote(name)}", "search": f"{site}/search?q={quote(query)}",
                  "watchlists": f"{site}/watchlists"},
    }


def _message(payload: dict) -> tuple[str, str]:
    from kiemchung.labels import times_usual

    w = payload["watchlist"]
    subject = f"[kiemchung] Danh sách theo dõi đang nổi lên: {w['name']} (watchlist rising)"
    text = (f"Danh sách theo dõi \"{w['name']}\" ({w['query']}) đang nổi lên: {payload['current']} tài liệu trong "
            f"24 giờ qua, {times_usual(payload['current'], payload['baseline'])} "
            f"(mức thường ngày {payload['baseline']:.1f}/ngày, mức nổi bật {payload['score']:.1f}).\n"
            f"Watchlist \"{w['name']}\" is rising: {payload['current']} documents in the last 24 hours against "
            f"{payload['baseline']:.1f} a day usually (score {payload['score']:.1f}).\n"
            f"Xem (see): {payload['links']['attention']} · {payload['links']['search']}\n\n"
            + json.dumps(payload, ensure_ascii=False, indent=2))
    return subject, text


def _deliver(db, row, name: str, query: str, policy) -> dict[str, str]:
    """Send the rise on every configured channel not yet answered; returns the new deliveries."""
    from kiemchung.claims import notify

    done = dict(row.deliveries or {})
    payload = rise_payload(db, row, name, query)
    for channel, target in notify.channels(db):
        if done.get(channel) == "sent":
            continue
        try:
            if channel == "log":
                log.info("Danh sách theo dõi đang nổi lên: %s", json.dumps(payload, ensure_ascii=False))
            elif channel == "webhook":
                notify.send_webhook(target, payload, policy=policy)
            elif channel == "email":
                subject, text = _message(payload)
                notify.send_message(db, target, subject, text)
            done[channel] = "sent"
        except notify.DeliveryError as exc:
            done[channel] = (str(exc) or "error")[:500]
    done["_tries"] = str(int(done.get("_tries", "0")) + 1)
    return done


def check_rises(db, now: dt.datetime | None = None) -> RiseReport:
    """Open, follow and close watchlist rises as of ``now`` (default: the installation's clock), and
    notify new rises (see the module docstring)."""
    from kiemchung.netguard import AddressPolicy
    from kiemchung.stories.trends import rising

    from kiemchung.store import settings

    report = RiseReport()
    if not settings.flag(db, "watch_alerts"):
        return report
    now = timeutil.aware(now) or timeutil.view_now(db)
    found = {r.key: r for r in rising(db, now, kinds=("watchlist",), limit=10_000)}
    policy = AddressPolicy.from_db(db)
    with db.read() as conn:
        wls = {r.name: r for r in conn.execute(select(watchlists))}
        open_rows = {r.watchlist_id: r for r in conn.execute(select(watchlist_rises).where(watchlist_rises.c.ended_at.is_(None)))}
    by_id = {w.id: w for w in wls.values()}
    for wid, row in open_rows.items():
        w = by_id.get(wid)
        r = found.get(w.name) if w else None
        with db.write() as conn:
            if r is None:
                conn.execute(update(watchlist_rises).where(watchlist_rises.c.id == row.id).values(ended_at=now))
                report.closed += 1
            else:
                report.ongoing += 1
                if r.score > row.peak_score:
                    conn.execute(update(watchlist_rises).where(watchlist_rises.c.id == row.id)
                                 .values(peak_score=r.score, peak_current=r.current))
    for name, r in found.items():
        w = wls.get(name)
        if w is None or w.id in open_rows:
            continue
        with db.write() as conn:
            recent = conn.execute(select(watchlist_rises).where(
                watchlist_rises.c.watchlist_id == w.id, watchlist_rises.c.ended_at >= now - COOL_DOWN)
                .order_by(watchlist_rises.c.ended_at.desc())).first()
            if recent is not None:  # back above the threshold soon after it ended: the same rise
                conn.execute(update(watchlist_rises).where(watchlist_rises.c.id == recent.id).values(
                    ended_at=None, peak_score=max(recent.peak_score, r.score),
                    peak_current=max(recent.peak_current, r.current)))
                report.ongoing += 1
                continue
            rid = conn.execute(insert(watchlist_rises).values(
                watchlist_id=w.id, started_at=now, current=r.current, baseline=r.baseline, score=r.score,
                peak_current=r.current, peak_score=r.score, deliveries={})).inserted_primary_key[0]
            audit.record(conn, None, "watchlist.rise", f"watchlist:{w.id}", None,
                         {"name": w.name, "current": r.current, "baseline": r.baseline, "score": r.score})
        report.opened += 1
    # Deliver what is not delivered yet: the rises just opened, and channels that failed before.
    with db.read() as conn:
        todo = conn.execute(select(watchlist_rises, watchlists.c.name, watchlists.c.query)
                            .join(watchlists, watchlists.c.id == watchlist_rises.c.watchlist_id)
                            .where(watchlist_rises.c.notified_at.is_(None))).all()
    for row in todo:
        if int((row.deliveries or {}).get("_tries", "0")) >= MAX_TRIES:
            continue
        done = _deliver(db, row, row.name, row.query, policy)
        ok = all(v == "sent" for k, v in done.items() if not k.startswith("_"))
        report.sent += sum(1 for k, v in done.items() if not k.startswith("_") and v == "sent")
        report.failed += sum(1 for k, v in done.items() if not k.startswith("_") and v != "sent")
        with db.write() as conn:
            conn.execute(update(watchlist_rises).where(watchlist_rises.c.id == row.id).values(
                deliveries=done, notified_at=timeutil.now() if ok else None))
    return report


def list_rises(db, *, since: dt.datetime | None = None, until: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Rises (newest first) started in ``[since, until)`` when given, with their watchlist's name."""
    q = (select(watchlist_rises, watchlists.c.name, watchlists.c.query)
         .join(watchlists, watchlists.c.id == watchlist_rises.c.watchlist_id)
         .order_by(watchlist_rises.c.started_at.desc(), watchlist_rises.c.id.desc()))
    if since is not None:
        q = q.where(watchlist_rises.c.started_at >= since)
    if until is not None:
        q = q.where(watchlist_rises.c.started_at < until)
    with db.read() as conn:
        return [dict(r._mapping) for r in conn.execute(q)]


def run_scheduled(db, now: dt.datetime | None = None) -> dict[str, Any]:
    """One scheduled round: watchlist rises checked and pushed, and yesterday's digest sent when due."""
    from kiemchung.reports.digest import send_due_digest

    return {"rises": check_rises(db, now), "digest": send_due_digest(db, now)}


class ScheduledWatch:
    """:func:`run_scheduled` every ``interval_s`` seconds in a daemon thread (``kiemchung watch``);
    ``clock`` gives "now" (tests inject one). A failing round is logged, never stops the thread."""

    def __init__(self, db, *, interval_s: float = 600.0, clock=None) -> None:
        import threading

        self.db, self.interval_s, self.clock = db, interval_s, clock
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="kiemchung-watch-alerts", daemon=True)

    def start(self) -> ScheduledWatch:
        """Start the thread; returns self."""
        self._thread.start()
        return self

    def _run(self) -> None:
        from sqlalchemy.exc import SQLAlchemyError

        from kiemchung.errors import KiemchungError

        while not self._stop.is_set():
            try:
                run_scheduled(self.db, self.clock() if self.clock else None)
            except (KiemchungError, OSError, SQLAlchemyError) as exc:  # the next round tries again
                log.warning("Kiểm tra danh sách theo dõi thất bại (watchlist check failed): %s", exc)
            self._stop.wait(self.interval_s)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the thread (waits for a round in progress)."""
        self._stop.set()
        self._thread.join(timeout)
