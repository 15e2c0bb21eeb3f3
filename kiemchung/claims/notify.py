"""Alert notifiers (log, webhook, SMTP email) and delivery state in the ``notifications`` table.

Every alert gets one ``notifications`` row per configured channel before anything is sent, so nothing
is lost: a webhook that times out or answers 5xx is retried with exponential backoff inside one
delivery round; if it still fails the row stays ``pending`` (attempts counted) and
:func:`deliver_pending` tries again later; after ``max_rounds`` failed rounds it becomes ``failed``
(still kept, and ``deliver_pending(db, include_failed=True)`` retries it).

Settings (``db.get_setting``): ``alert_webhook_url``, ``smtp_host``, ``smtp_port``, ``smtp_from``,
``smtp_to`` (comma-separated), ``smtp_user``/``smtp_password`` (optional, STARTTLS), ``alert_log`` ("1" by
default); set them with ``kiemchung factchecks config KEY VALUE`` (:mod:`kiemchung.claims.config`).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import smtplib
import time
from email.message import EmailMessage
from typing import Any

import httpx
from sqlalchemy import func, insert, select, update

from kiemchung import timeutil
from kiemchung.claims.tables import alerts, factchecks, notifications
from kiemchung.errors import FetchError
from kiemchung.netguard import REFUSED_MESSAGE, AddressPolicy, AddressRefused
from kiemchung.store import schema as t
from kiemchung.store import settings

log = logging.getLogger("kiemchung.alerts")
EXCERPT_CHARS = 280  # of the document's title, or its text when it has none (posts)


class DeliveryError(Exception):
    """One delivery attempt failed (recorded on the notification row, never raised to callers)."""


def channels(db) -> list[tuple[str, str]]:
    """The configured ``(channel, target)`` pairs."""
    out = []
    if settings.flag(db, "alert_log"):
        out.append(("log", "kiemchung.alerts"))
    if settings.value(db, "alert_webhook_url"):
        out.append(("webhook", settings.value(db, "alert_webhook_url")))
    if settings.value(db, "smtp_host") and settings.value(db, "smtp_to"):
        out.append(("email", settings.value(db, "smtp_to")))
    return out


def enqueue(db, alert_ids: list[int]) -> int:
    """Create pending notifications for alerts on every configured channel; return how many.
    Alerts of level "related" (possibly related) are never notified."""
    chans = channels(db)
    n = 0
    with db.write() as conn:
        related = set(conn.execute(select(alerts.c.id).where(
            alerts.c.id.in_(alert_ids) & (alerts.c.level == "related"))).scalars()) if alert_ids else set()
        for aid in alert_ids:
            if aid in related:  # "có thể liên quan": the claims queue only, never a notification
                continue
            for ch, target in chans:
                exists = conn.execute(select(notifications.c.id).where(
                    (notifications.c.alert_id == aid) & (notifications.c.channel == ch))).first()
                if exists is None:
                    conn.execute(insert(notifications).values(alert_id=aid, channel=ch, target=target,
                                                              status="pending", attempts=0, created_at=timeutil.now()))
                    n += 1
    return n


def alert_payload(db, alert_id: int) -> dict[str, Any]:
    """The JSON body sent for an alert: document (with a short excerpt: posts have no title), fact-check,
    score, reason, and links into the web app (setting ``site_url``, default http://localhost:8000)."""
    with db.read() as conn:
        row = conn.execute(
            select(alerts, factchecks.c.claim, factchecks.c.verdict, factchecks.c.url.label("fc_url"),
                   factchecks.c.publisher, factchecks.c.external, factchecks.c.meta.label("fc_meta"),
                   t.documents.c.title, t.documents.c.lead, t.documents.c.kind, t.documents.c.platform,
                   t.documents.c.published_at, t.documents.c.url.label("doc_url"))
            .join(factchecks, factchecks.c.id == alerts.c.factcheck_id)
            .join(t.documents, t.documents.c.id == alerts.c.doc_id)
            .where(alerts.c.id == alert_id)).first()
    from kiemchung.claims.factchecks import VERDICTS

    site = (settings.value(db, "site_url") or "http://localhost:8000").rstrip("/")
    text = " ".join((row.title or row.lead or "").split())
    return {
        "alert_id": row.id, "score": row.score, "reason": row.reason, "story_id": row.story_id,
        "level": row.level, "probability": row.probability,
        "created_at": row.created_at.isoformat(),
        "document": {"id": row.doc_id, "title": row.title, "url": row.doc_url, "kind": row.kind,
                     "platform": row.platform, "excerpt": text[:EXCERPT_CHARS],
                     "published_at": row.published_at.isoformat() if row.published_at else None},
        "factcheck": {"id": row.factcheck_id, "claim": row.claim, "verdict": VERDICTS[row.verdict], "url": row.fc_url,
                      # whose fact-check it is: another publisher's (pulled, external) or this office's
                      "external": bool(row.external),
                      "publisher": row.publisher or settings.value(db, "org_name"),
                      "publisher_url": (row.fc_meta or {}).get("publisher_url") if row.external else None},
        "links": {"document": f"{site}/documents/{row.doc_id}", "factcheck": f"{site}/factchecks/{row.factcheck_id}",
                  "alerts": f"{site}/alerts"},
    }


def send_webhook(
    url: str,
    payload: dict,
    *,
    tries: int = 3,
    backoff: float = 0.5,
    timeout: float = 5.0,
    policy: AddressPolicy | None = None,
) -> None:
    """POST ``payload`` as JSON; retry timeouts, connection errors and 5xx with exponential backoff.

    The request goes through the address guard (``policy``; default: public addresses and
    ``$KIEMCHUNG_FETCH_ALLOW_HOSTS``): a webhook pointing at an internal address is refused without
    a connection, whatever was accepted when the setting was stored.
    """
    from kiemchung.sources.http import guarded_client

    policy = policy or AddressPolicy.build()
    last = ""
    with guarded_client(policy, timeout=timeout) as client:
        for attempt in range(tries):
            try:
                policy.check_url(url)
                r = client.post(url, json=payload)
                if r.status_code < 300:
                    return
                last = f"HTTP {r.status_code}"
                if r.status_code < 500 and r.status_code != 429:
                    raise DeliveryError(last)
            except AddressRefused:
                raise DeliveryError(REFUSED_MESSAGE) from None
            except FetchError as exc:  # not an http(s) URL at all
                raise DeliveryError(str(exc)) from None
            except httpx.HTTPError as exc:
                last = f"{type(exc).__name__}: {exc}"
            if attempt + 1 < tries:
                time.sleep(backoff * (2**attempt))
    raise DeliveryError(last)


def send_email(db, to: str, payload: dict, *, timeout: float = 10.0) -> None:
    """Send an alert e-mail through the SMTP server of the settings."""
    fc, doc = payload["factcheck"], payload["document"]
    links = payload["links"]
    send_message(
        db, to, f"[kiemchung] Cảnh báo: tài liệu #{doc['id']} lặp lại tuyên bố đã kiểm chứng",
        f"Tài liệu: {doc['excerpt'] or doc['id']} {doc['url'] or ''}\n"
        f"Khớp bài kiểm chứng #{fc['id']} của {fc['publisher']}"
        f"{' (bên ngoài, external)' if fc.get('external') else ''} ({fc['verdict']}): {fc['claim']}\n"
        f"Điểm: {payload['score']:.2f}; từ chung: {', '.join(payload['reason'])}\n"
        f"Xem và xử lý (review): {links['document']} · {links['factcheck']} · {links['alerts']}\n\n"
        + json.dumps(payload, ensure_ascii=False, indent=2), timeout=timeout)


class GuardedSMTP(smtplib.SMTP):
    """:class:`smtplib.SMTP` that connects only where the address guard allows (``policy``): the host is
    resolved once, every address checked, and a checked address is connected to; STARTTLS still checks
    the certificate for the host name (smtplib keeps it as ``_host``). Connects on creation."""

    def __init__(self, policy: AddressPolicy, host: str, port: int, timeout: float) -> None:
        self._policy = policy
        super().__init__(host, port, timeout=timeout)

    def _get_socket(self, host, port, timeout):
        return self._policy.connect(host, port, timeout, self.source_address)


def send_message(db, to: str | list[str], subject: str, text: str, *, html: str | None = None,
                 headers: dict[str, str] | None = None, attachments=(), timeout: float = 10.0) -> None:
    """Send an e-mail through the SMTP server of the settings: the one mail sender of kiemchung (alerts,
    watchlist rises, the digest, reports, answers to tips).

    ``to``: comma-separated addresses, or a list taken as it is (an address a stranger typed is never
    split). ``html``: an HTML alternative. ``headers``: extra headers (e.g. ``In-Reply-To`` and
    ``References`` of an answer). ``attachments``: ``(bytes, maintype, subtype, filename)`` each.
    A login (``smtp_user``) implies STARTTLS. The server's address goes through the address guard
    (settings ``fetch_allow_private``, ``fetch_allow_hosts``). :class:`DeliveryError` when it cannot be sent."""
    host = settings.value(db, "smtp_host")
    if not host:
        raise DeliveryError("Chưa cấu hình máy chủ SMTP: kiemchung settings set smtp_host … (smtp_host is not set)")
    port = settings.integer(db, "smtp_port") or 25
    recipients = list(to) if isinstance(to, list | tuple) else [a.strip() for a in to.split(",") if a.strip()]
    msg = EmailMessage()
    for name, value in (headers or {}).items():
        msg[name] = value
    msg["Subject"] = subject
    msg["From"] = settings.value(db, "smtp_from")
    msg["To"] = ", ".join(recipients)
    msg.set_content(text)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    for content, maintype, subtype, filename in attachments:
        msg.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    try:
        with GuardedSMTP(AddressPolicy.from_db(db), host, port, timeout) as s:
            user = settings.value(db, "smtp_user")
            if user:
                s.starttls()
                s.login(user, settings.value(db, "smtp_password"))
            s.send_message(msg, to_addrs=recipients)
    except AddressRefused:
        raise DeliveryError(f"{REFUSED_MESSAGE}: SMTP {host}:{port} (private_address)") from None
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryError(f"{type(exc).__name__}: {exc}") from exc


SENDING = "sending"  # a notification claimed by one delivery round, in flight
CLAIM_LEASE_SECONDS = 600  # a claim older than this was left by a round that died: the row is free again


def _claimable(states: tuple[str, ...], stale_before):
    n = notifications.c
    return n.status.in_(states) | ((n.status == SENDING) & (n.last_attempt_at < stale_before))


def deliver_pending(db, *, include_failed: bool = False, max_rounds: int = 5, tries: int = 3,
                    backoff: float = 0.5, timeout: float = 5.0) -> dict[str, int]:
    """Try every pending notification once (webhooks with in-round retries); return counts by outcome.

    Any caller may run it at any time (the alert engine after it raises alerts, ``kiemchung alerts
    deliver``, a worker's delivery job, on any host): each notification is claimed before it is sent,
    by one conditional update that only one caller can win (status ``sending``), so two rounds that
    overlap never send one notification twice. The claim is released with the outcome; a claim left by
    a round that died is free again after :data:`CLAIM_LEASE_SECONDS`. ``busy`` counts the
    notifications that another round held or took first (still to be sent by it)."""
    states = ("pending", "failed") if include_failed else ("pending",)
    counts = {"sent": 0, "pending": 0, "failed": 0, "busy": 0}
    with db.read() as conn:
        stale = timeutil.now() - dt.timedelta(seconds=CLAIM_LEASE_SECONDS)
        rows = conn.execute(select(notifications).where(_claimable(states, stale))
                            .order_by(notifications.c.id)).fetchall()
        counts["busy"] = conn.execute(select(func.count()).select_from(notifications).where(
            (notifications.c.status == SENDING) & (notifications.c.last_attempt_at >= stale))).scalar_one()
    policy = AddressPolicy.from_db(db)
    for row in rows:
        with db.write() as conn:
            now = timeutil.now()
            claimed = conn.execute(update(notifications).where(
                (notifications.c.id == row.id)
                & _claimable(states, now - dt.timedelta(seconds=CLAIM_LEASE_SECONDS))
            ).values(status=SENDING, last_attempt_at=now)).rowcount
        if not claimed:  # another round took it between our read and now
            counts["busy"] += 1
            continue
        payload = alert_payload(db, row.alert_id)
        error = None
        try:
            if row.channel == "log":
                log.info("Cảnh báo kiểm chứng: %s", json.dumps(payload, ensure_ascii=False))
            elif row.channel == "webhook":
                send_webhook(row.target, payload, tries=tries, backoff=backoff, timeout=timeout, policy=policy)
            elif row.channel == "email":
                send_email(db, row.target, payload, timeout=timeout)
            else:
                raise DeliveryError(f"unknown channel {row.channel}")
        except DeliveryError as exc:
            error = str(exc) or "error"
        except BaseException:  # interrupted: release the claim, the next round tries again
            with db.write() as conn:
                conn.execute(update(notifications).where(
                    (notifications.c.id == row.id) & (notifications.c.status == SENDING)
                ).values(status="pending" if row.status == SENDING else row.status))
            raise
        attempts = row.attempts + 1
        if error is None:
            values = {"status": "sent", "sent_at": timeutil.now(), "last_error": None}
        else:
            values = {"status": "failed" if attempts >= max_rounds else "pending", "last_error": error[:2000]}
        counts[values["status"]] += 1
        with db.write() as conn:
            conn.execute(update(notifications).where(notifications.c.id == row.id).values(
                attempts=attempts, last_attempt_at=timeutil.now(), **values))
    return counts


def list_notifications(db, *, alert_id: int | None = None) -> list[dict[str, Any]]:
    """Notification rows (delivery state) as dicts."""
    q = select(notifications).order_by(notifications.c.id)
    if alert_id is not None:
        q = q.where(notifications.c.alert_id == alert_id)
    with db.read() as conn:
        return [dict(r._mapping) for r in conn.execute(q)]
