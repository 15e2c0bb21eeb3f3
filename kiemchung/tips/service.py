"""Tips: what the public sends in (the form, an e-mail inbox, a Telegram bot), the queue editors read,
and the answer an editor chooses to send back.

A tip becomes a document of kind ``tip`` stored through the normal ingest path (dedupe groups the same
words sent by many people; the story, claim and alert stages read it like any document), plus a row
of :data:`~kiemchung.tips.tables.tips` for what a document must not hold: the channel, the status
link's secret (hashed), the address to answer to (e-mail only with the tipper's consent; the chat a
Telegram tip came from), hashes of the sender and of the client address (rate limits).

Every tip is matched against every published fact-check (:class:`TipMatcher`, the alert verifier over
all verdicts: "is this true?" may be about a claim found true). **Nothing is ever answered
automatically**: :func:`reply_tip` is called by an editor (web, API, CLI), sends the chosen fact-check
or written answer back by the tip's channel and records an audit entry.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from kiemchung import audit, timeutil
from kiemchung.claims.alerts import AlertEngine
from kiemchung.errors import ConfigError, KiemchungError, NotFoundError
from kiemchung.links import http_url
from kiemchung.models import Document
from kiemchung.store import settings
from kiemchung.store import schema as t
from kiemchung.tips import grouping
from kiemchung.tips.tables import tips

log = logging.getLogger(__name__)

CHANNELS = ("form", "email", "telegram")
STATUSES = ("new", "replied", "dismissed")
MAX_TEXT = 5000
MAX_LINK = 2000
MAX_CONTACT = 200
RATE_WINDOW = dt.timedelta(hours=1)

# What an image may be: magic bytes → media type. Decoding (pixel caps, bombs) is the image store's.
IMAGE_TYPES = {
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
    b"GIF87a": "image/gif",
    b"GIF89a": "image/gif",
}


class TipRefused(ConfigError):
    """A tip that cannot be taken (empty, too large, wrong image type): the sender is told why."""


class TipRateLimited(TipRefused):
    """Too many tips from one address within the hour."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ReplyError(KiemchungError):
    """The answer could not be delivered (recorded on the tip; the editor may try again)."""


@dataclass
class TipImage:
    """An image sent with a tip: its bytes as received, the type it claims and its file name."""

    data: bytes
    content_type: str = ""
    name: str = ""


@dataclass
class Tip:
    """One tip as the editor sees it (``reply_to`` only for editors; never in viewer pages)."""

    id: int
    doc_id: int | None
    channel: str
    status: str
    text: str
    link: str | None
    images: list[dict[str, Any]]
    consent: bool
    reply_to: str | None
    received_at: dt.datetime
    matches: list[dict[str, Any]] = field(default_factory=list)
    matched_at: dt.datetime | None = None
    reply_text: str | None = None
    reply_factcheck_id: int | None = None
    reply_status: str | None = None
    reply_error: str | None = None
    replied_at: dt.datetime | None = None
    replied_by: str | None = None
    group: int | None = None
    group_size: int = 1
    external_id: str | None = None

    @property
    def best(self) -> dict[str, Any] | None:
        return self.matches[0] if self.matches else None

    def public(self) -> dict[str, Any]:
        """What the API gives a viewer: no reply address, no hashes."""
        return {
            "id": self.id, "doc_id": self.doc_id, "channel": self.channel, "status": self.status,
            "text": self.text, "link": self.link, "images": self.images, "received_at": _iso(self.received_at),
            "matches": self.matches, "matched_at": _iso(self.matched_at), "group": self.group,
            "group_size": self.group_size, "reply_text": self.reply_text,
            "reply_factcheck_id": self.reply_factcheck_id, "reply_status": self.reply_status,
            "replied_at": _iso(self.replied_at), "can_reply": self.can_reply,
        }

    @property
    def can_reply(self) -> bool:
        """Whether an answer can reach the tipper (status page, or an address given for replies)."""
        return self.channel == "form" or bool(self.reply_to)


def _iso(v: dt.datetime | None) -> str | None:
    return v.isoformat() if v else None


def _hash(value: str, salt: str) -> str:
    return hashlib.sha256(f"{salt}|{value}".encode()).hexdigest()


def secret_hash(secret: str) -> str:
    """The stored form of a status link's secret (the secret itself is only in the tipper's link)."""
    return hashlib.sha256(secret.encode()).hexdigest()


# -- taking a tip -------------------------------------------------------------------------------------


def image_type(data: bytes) -> str | None:
    """The media type of an image by its first bytes (PNG, JPEG, GIF, WebP), or None."""
    for magic, kind in IMAGE_TYPES.items():
        if data.startswith(magic):
            return kind
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def _check_images(db, images: list[TipImage]) -> list[tuple[TipImage, str]]:
    most = settings.integer(db, "tips_max_images") or 3
    max_bytes = (settings.integer(db, "tips_max_image_kb") or 5120) * 1024
    if len(images) > most:
        raise TipRefused(f"Chỉ gửi được tối đa {most} ảnh (at most {most} images)")
    out = []
    for img in images:
        if not img.data:
            continue
        if len(img.data) > max_bytes:
            raise TipRefused(f"Ảnh {img.name!r} quá lớn: tối đa {max_bytes // 1024} KB "
                             f"(image too large: at most {max_bytes // 1024} KB)")
        kind = image_type(img.data)
        if kind is None:
            raise TipRefused(f"Tệp {img.name!r} không phải ảnh PNG, JPEG, GIF hoặc WebP "
                             f"(not a PNG, JPEG, GIF or WebP image)")
        out.append((img, kind))
    return out


def store_image(db, data: bytes) -> dict[str, Any]:
    """Keep an image through the image store (:mod:`kiemchung.images.store`: bomb-safe decoding, metadata
    stripped, content-addressed clean copy); returns what the tip records of it. Refusals become
    :class:`TipRefused` with the store's reason."""
    from kiemchung.images.store import ImageError, ImageStore

    try:
        img = ImageStore(db).put(data)
    except ImageError as exc:
        raise TipRefused(str(exc)) from exc
    except ImportError as exc:  # Pillow/imagehash missing (pip install 'kiemchung[images]')
        raise TipRefused("Bản cài đặt này chưa nhận ảnh (this installation does not take images: "
                         "pip install 'kiemchung[images]')") from exc
    return {"sha256": img.sha256, "type": img.mime, "size": img.size, "image_id": img.id,
            "width": img.width, "height": img.height, "warnings": list(img.warnings)}


def image_bytes(db, name: str) -> bytes:
    """The bytes of a tip image's clean copy by its SHA-256 name."""
    from kiemchung.images.store import ImageStore

    store = ImageStore(db)
    return store.data(store.by_sha256(name))


def _link_images(db, images: list[dict[str, Any]], doc_id: int | None) -> None:
    """Tie the tip's images to its document (OCR and image matching read a document's images)."""
    if not doc_id or not images:
        return
    from kiemchung.images.store import ImageStore

    store = ImageStore(db)
    for pos, img in enumerate(images):
        if img.get("image_id"):
            store.link(img["image_id"], "document", doc_id, position=pos)


def _rate_check(db, ip_hash: str, now: dt.datetime) -> None:
    limit = settings.integer(db, "tips_per_hour")
    if not limit:
        return
    since = now - RATE_WINDOW
    with db.read() as conn:
        n, first = conn.execute(select(func.count(), func.min(tips.c.received_at))
                                .where(tips.c.ip_hash == ip_hash, tips.c.received_at >= since)).one()
    if n >= limit:
        wait = max(1.0, ((first or now) + RATE_WINDOW - now).total_seconds())
        raise TipRateLimited(
            f"Bạn đã gửi {n} tin trong một giờ qua; vui lòng thử lại sau {int(wait // 60) + 1} phút "
            f"(too many tips from this address; try again in {int(wait // 60) + 1} min)", wait)


def submit_tip(
    db,
    *,
    channel: str = "form",
    text: str = "",
    link: str | None = None,
    images: list[TipImage] | None = None,
    contact: str | None = None,
    consent: bool = False,
    ip: str | None = None,
    sender: str | None = None,
    external_id: str | None = None,
    received_at: dt.datetime | None = None,
    meta: dict[str, Any] | None = None,
    clock: Callable[[], dt.datetime] = timeutil.now,
) -> tuple[Tip, str | None]:
    """Take one tip: check it, store its images and its document, record it; returns ``(tip, secret)``.

    ``secret`` (form tips) is the key of the tipper's status page (only its hash is stored). ``contact``
    (an e-mail address or phone) is kept only when ``consent`` is true, as the address to answer to.
    ``sender`` (the From address of a mail, the Telegram user id) is stored only hashed; ``external_id``
    makes taking the same message twice a no-op (the existing tip is returned, secret None).
    """
    if channel not in CHANNELS:
        raise TipRefused(f"Kênh không hợp lệ (unknown channel): {channel!r}")
    now = clock()
    received_at = received_at or now
    text = (text or "").replace("\x00", "").strip()
    link = (link or "").strip() or None
    if len(text) > MAX_TEXT:
        raise TipRefused(f"Nội dung quá dài: tối đa {MAX_TEXT} ký tự (text too long: at most {MAX_TEXT} characters)")
    if link is not None:
        if len(link) > MAX_LINK or http_url(link) is None:
            raise TipRefused("Đường dẫn phải là một địa chỉ http(s) (the link must be an http(s) address)")
    checked = _check_images(db, images or [])
    if not text and not link and not checked:
        raise TipRefused("Tin báo trống: hãy viết nội dung, dán đường dẫn hoặc gửi ảnh "
                         "(empty tip: write something, paste a link or attach an image)")
    contact = (contact or "").strip()[:MAX_CONTACT] or None
    salt = db.installation_salt()
    ip_hash = _hash(ip, salt) if ip else None
    if channel == "form" and ip_hash:
        _rate_check(db, ip_hash, now)
    if external_id is not None:
        with db.read() as conn:
            row = conn.execute(select(tips.c.id).where(tips.c.channel == channel,
                                                       tips.c.external_id == external_id)).first()
        if row is not None:
            return get_tip(db, row.id), None
    stored_images = []
    for img, _kind in checked:
        stored_images.append({**store_image(db, img.data), "name": (img.name or "")[:120]})
    secret = secrets.token_urlsafe(24) if channel == "form" else None
    ext = external_id or f"t-{secrets.token_hex(12)}"
    reply_to = contact if consent else None
    if channel != "form" and sender:
        reply_to = reply_to or sender  # the chat or mailbox it came from: the channel itself answers
    who = sender or (contact if consent else None)
    doc = Document(
        kind="tip", title="", lead="", body="\n".join(p for p in (text, link or "") if p) or "(ảnh)",
        url=None, platform=f"tip-{channel}", external_id=f"{channel}:{ext}", published_at=received_at,
        fetched_at=now, meta={"tip_channel": channel, "images": [i["sha256"] for i in stored_images],
                              **({"link": link} if link else {})},
    )
    ingestor, lock = _ingestor(db)
    with lock:
        stats = ingestor.add([doc])
    doc_id = stats.added_ids[0] if stats.added_ids else _doc_id_by_external(db, doc.external_id)
    _link_images(db, stored_images, doc_id)
    try:
        with db.write() as conn:
            db.serialize(conn, "tips")  # one writer at a time: two copies of a tip join one group
            basis = grouping.group_text(text, link)
            first_image = stored_images[0]["sha256"] if stored_images else None
            group = grouping.find_group(db, conn, basis, first_image, received_at, now)
            res = conn.execute(insert(tips).values(
                doc_id=doc_id, group_id=group, channel=channel, external_id=ext, status="new", text=text, link=link,
                images=stored_images, secret_hash=secret_hash(secret) if secret else None,
                consent=bool(consent and contact) or (channel != "form" and bool(sender)),
                reply_to=reply_to, sender_hash=_hash(who, salt) if who else None, ip_hash=ip_hash,
                received_at=received_at, meta=meta or None))
            tip_id = res.inserted_primary_key[0]
            if group is None:
                conn.execute(update(tips).where(tips.c.id == tip_id).values(group_id=tip_id))
        grouping.remember(db, tip_id, group or tip_id, basis, first_image, received_at)
    except IntegrityError:  # the same message taken meanwhile by another process
        with db.read() as conn:
            tip_id = conn.execute(select(tips.c.id).where(tips.c.channel == channel,
                                                          tips.c.external_id == ext)).scalar_one()
        return get_tip(db, tip_id), None
    return get_tip(db, tip_id), secret


_ingestors: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_ingestors_lock = threading.Lock()


def _ingestor(db):
    """This process's ingestor for tips of ``db``, and the lock that makes its use one at a time.

    One per process, as :class:`~kiemchung.ingest.Ingestor` asks: its near-duplicate index is loaded
    once and then brought up to date incrementally, so storing a tip does not reload the month of
    documents the index holds (a fresh ingestor per tip did, ~0.5 s with 5,000 recent tips)."""
    from kiemchung.ingest import Ingestor

    with _ingestors_lock:
        found = _ingestors.get(db)
        if found is None:
            found = _ingestors[db] = (Ingestor(db, batch_size=1), threading.Lock())
        return found


def warm(db) -> None:
    """Load this process's tip indexes (the ingestor's near-duplicate index, the grouping index) ahead
    of the first tip; a server process calls it in the background at start-up."""
    ingestor, lock = _ingestor(db)
    with lock:
        ingestor.refresh_index()
    index = grouping.index_for(db)
    with index.lock, db.read() as conn:
        index.refresh(conn, timeutil.now())


def _doc_id_by_external(db, external_id: str) -> int | None:
    d = t.documents
    with db.read() as conn:
        return conn.execute(select(d.c.id).where(d.c.external_id == external_id).limit(1)).scalar()


# -- reading the queue --------------------------------------------------------------------------------


def _tip(row, group: int | None = None, size: int = 1) -> Tip:
    return Tip(
        id=row.id, doc_id=row.doc_id, channel=row.channel, status=row.status, text=row.text or "",
        link=row.link, images=list(row.images or []), consent=bool(row.consent), reply_to=row.reply_to,
        received_at=row.received_at, matches=list(row.matches or []), matched_at=row.matched_at,
        reply_text=row.reply_text, reply_factcheck_id=row.reply_factcheck_id, reply_status=row.reply_status,
        reply_error=row.reply_error, replied_at=row.replied_at, replied_by=row.replied_by, group=group,
        group_size=size, external_id=row.external_id,
    )


def _group_sizes(conn, groups: set[int]) -> dict[int, int]:
    """How many tips each group holds."""
    out: dict[int, int] = {}
    wanted = sorted(g for g in groups if g is not None)
    for i in range(0, len(wanted), 500):
        q = (select(tips.c.group_id, func.count(tips.c.id)).where(tips.c.group_id.in_(wanted[i:i + 500]))
             .group_by(tips.c.group_id))
        for g, n in conn.execute(q):
            out[g] = n
    return out


def get_tip(db, tip_id: int) -> Tip:
    """One tip, with the size of its group."""
    with db.read() as conn:
        row = conn.execute(select(tips).where(tips.c.id == tip_id)).first()
        if row is None:
            raise NotFoundError(f"Không có tin báo #{tip_id} (no such tip)")
        size = _group_sizes(conn, {row.group_id}).get(row.group_id, 1)
    return _tip(row, row.group_id, size)


def tip_by_secret(db, secret: str) -> Tip:
    """The tip a status link names (the tipper's own page)."""
    if not secret or len(secret) > 100:
        raise NotFoundError("Không có tin báo này (no such tip)")
    with db.read() as conn:
        row = conn.execute(select(tips.c.id).where(tips.c.secret_hash == secret_hash(secret))).first()
    if row is None:
        raise NotFoundError("Không có tin báo này (no such tip)")
    return get_tip(db, row.id)


@dataclass
class TipGroup:
    """Tips with the same or nearly the same words: the newest first, and how many there are."""

    group: int | None
    count: int
    tips: list[Tip]

    @property
    def first(self) -> Tip:
        return self.tips[0]

    @property
    def best(self) -> dict[str, Any] | None:
        for tip in self.tips:
            if tip.best:
                return tip.best
        return None

    @property
    def open(self) -> int:
        return sum(1 for tip in self.tips if tip.status == "new")


def list_tips(db, *, status: str | None = None, channel: str | None = None, matched: bool | None = None,
              limit: int = 200) -> list[Tip]:
    """Tips, newest first, each with the size of its group."""
    q = select(tips).order_by(tips.c.received_at.desc(), tips.c.id.desc()).limit(limit)
    if status:
        q = q.where(tips.c.status == status)
    if channel:
        q = q.where(tips.c.channel == channel)
    with db.read() as conn:
        rows = conn.execute(q).all()
        sizes = _group_sizes(conn, {r.group_id for r in rows})
    out = [_tip(r, r.group_id, sizes.get(r.group_id, 1)) for r in rows]
    if matched is not None:
        out = [tip for tip in out if bool(tip.matches) == matched]
    return out


def grouped_tips(db, *, status: str | None = None, limit: int = 200) -> list[TipGroup]:
    """The queue: tips grouped by near-duplicate group, the group with the newest tip first."""
    groups: dict[Any, TipGroup] = {}
    for tip in list_tips(db, status=status, limit=limit):
        key = tip.group if tip.group is not None else f"t{tip.id}"
        g = groups.get(key)
        if g is None:
            groups[key] = TipGroup(tip.group, tip.group_size, [tip])
        else:
            g.tips.append(tip)
    return list(groups.values())


def counts(db) -> dict[str, int]:
    """Tips by status, plus ``matched`` (any status) and ``total``."""
    with db.read() as conn:
        out = {s: n for s, n in conn.execute(select(tips.c.status, func.count()).group_by(tips.c.status))}
        total = sum(out.values())
        matched = conn.execute(select(func.count()).where(tips.c.matched_at.is_not(None),
                                                          tips.c.matches.is_not(None))).scalar() or 0
    return {**{s: out.get(s, 0) for s in STATUSES}, "total": total, "matched_any": matched}


# -- matching -----------------------------------------------------------------------------------------


class TipMatcher(AlertEngine):
    """The alert verifier over every published fact-check (any verdict): a tip asks whether something
    is true, and a claim found true is as much an answer as one found false."""

    def factchecks(self):
        from kiemchung.claims.factchecks import list_factchecks

        return list_factchecks(self.db, status="published", limit=10**9)

    def matches(self, text: str, *, k: int = 3) -> list[dict[str, Any]]:
        """The fact-checks a tip's text matches (verifier level "repeat" or "related"), best first."""
        if not text.strip() or not len(self.refresh()):
            return []
        _, decisions = self.decider.decide(text, k=k)
        out, seen = [], set()
        for d in decisions:
            fc_id = int(d.match.entry_id)
            if d.level is None or fc_id in seen:
                continue
            seen.add(fc_id)
            out.append({"factcheck_id": fc_id, "score": round(float(d.match.score), 4), "level": d.level,
                        "probability": round(float(d.probability), 4)})
        return out


_matchers: dict[int, TipMatcher] = {}
_matchers_lock = threading.Lock()


def matcher_for(db) -> TipMatcher:
    """One :class:`TipMatcher` per database per process (rebuilt by itself when fact-checks change)."""
    with _matchers_lock:
        m = _matchers.get(id(db))
        if m is None or m.db is not db:
            m = _matchers[id(db)] = TipMatcher(db)
        return m


def _tip_text(db, row) -> str:
    """What a tip is matched on: its document's text (OCR text of its images included once the OCR
    stage has added it), else the tip's own text."""
    if row.doc_id:
        d = t.documents
        with db.read() as conn:
            doc = conn.execute(select(d.c.title, d.c.lead, d.c.body, d.c.meta).where(d.c.id == row.doc_id)).first()
        if doc is not None:
            parts = [doc.title, doc.lead, doc.body]
            meta = doc.meta or {}
            if isinstance(meta.get("ocr_text"), str):
                parts.append(meta["ocr_text"])
            return "\n".join(p for p in parts if p)
    return row.text or ""


def match_tips(db, *, tip_ids: list[int] | None = None, limit: int = 500,
               clock: Callable[[], dt.datetime] = timeutil.now) -> int:
    """Match tips not matched yet (or ``tip_ids``; or every open tip when fact-checks changed since they
    were matched); returns how many were matched."""
    from kiemchung.claims.factchecks import signature

    m = matcher_for(db)
    sig = repr(signature(db))
    q = select(tips.c.id, tips.c.doc_id, tips.c.text, tips.c.meta).order_by(tips.c.id).limit(limit)
    if tip_ids is not None:
        q = q.where(tips.c.id.in_(tip_ids))
    else:
        q = q.where(tips.c.matched_at.is_(None))
    with db.read() as conn:
        rows = conn.execute(q).all()
    stale = _stale_since_factchecks(db, sig) if tip_ids is None else []
    done = 0
    for row in list(rows) + [r for r in stale if r.id not in {x.id for x in rows}]:
        found = m.matches(_tip_text(db, row))
        meta = dict(row.meta or {})
        meta["matched_sig"] = sig
        with db.write() as conn:
            conn.execute(update(tips).where(tips.c.id == row.id).values(matches=found, matched_at=clock(), meta=meta))
        done += 1
    return done


def _stale_since_factchecks(db, sig: str, limit: int = 500) -> list:
    """Open tips matched before the last fact-check change (matched again: a new fact-check may answer them)."""
    from kiemchung.store import progress

    if progress.marker(db, "tips_match") == sig:
        return []
    with db.read() as conn:
        rows = conn.execute(select(tips.c.id, tips.c.doc_id, tips.c.text, tips.c.meta)
                            .where(tips.c.status == "new", tips.c.matched_at.is_not(None))
                            .order_by(tips.c.id.desc()).limit(limit)).all()
    progress.set_marker(db, "tips_match", sig)
    return [r for r in rows if (r.meta or {}).get("matched_sig") != sig]


# -- answering ------------------------------------------------------------------------------------------


def compose_reply(db, tip: Tip, *, factcheck_id: int | None, text: str | None, lang: str = "vi") -> str:
    """The answer's words: the written answer, then the fact-check's verdict, claim and link."""
    from kiemchung.claims.factchecks import get_factcheck
    from kiemchung.labels import label

    parts = []
    if text and text.strip():
        parts.append(text.strip())
    if factcheck_id is not None:
        fc = get_factcheck(db, factcheck_id)
        if fc.status != "published":
            raise ConfigError(f"Bài kiểm chứng #{fc.id} chưa xuất bản: chỉ gửi được bài đã xuất bản "
                              f"(fact-check #{fc.id} is not published)")
        org = settings.value(db, "org_name") or "kiemchung"
        line = f"{org} đã kiểm chứng: “{fc.claim}” — {label('verdict', fc.verdict, 'vi').upper()}."
        if fc.explanation:
            line += f"\n{fc.explanation.strip()}"
        link = fc.url or _site_link(db, f"/factchecks/{fc.id}")
        if link:
            line += f"\n{link}"
        parts.append(line)
    if not parts:
        raise ConfigError("Cần chọn một bài kiểm chứng hoặc viết câu trả lời "
                          "(choose a fact-check or write an answer)")
    return "\n\n".join(parts)


def _site_link(db, path: str) -> str | None:
    base = (settings.value(db, "site_url") or "").rstrip("/")
    return f"{base}{path}" if base else None


Sender = Callable[[Any, Tip, str], None]


def _send_email(db, tip: Tip, message: str) -> None:
    """The answer by e-mail, through the one mail sender (:func:`kiemchung.claims.notify.send_message`);
    to a tip that came by e-mail, as a reply to its message (In-Reply-To, References)."""
    from kiemchung.claims.notify import DeliveryError, send_message

    if not settings.value(db, "smtp_host"):
        raise ReplyError("Chưa cấu hình máy chủ SMTP (smtp_host is not set)")
    subject, headers = "Trả lời tin báo của bạn", {}
    if tip.external_id and tip.channel == "email":
        headers = {"In-Reply-To": tip.external_id, "References": tip.external_id}
        subject = "Re: " + subject
    try:
        send_message(db, [tip.reply_to], subject, message, headers=headers, timeout=15)
    except DeliveryError as exc:
        raise ReplyError(f"Không gửi được thư (e-mail not sent): {exc}") from exc


def _send_telegram(db, tip: Tip, message: str) -> None:
    from kiemchung.tips.telegram import send_message

    send_message(db, tip.reply_to, message)


def deliver(db, tip: Tip, message: str) -> str:
    """Send ``message`` by the tip's channel; returns the reply status ("shown" or "sent")."""
    if tip.channel == "telegram":
        if not tip.reply_to:
            raise ReplyError("Không biết cuộc trò chuyện để trả lời (no chat to answer)")
        _send_telegram(db, tip, message)
        return "sent"
    if tip.channel == "email":
        if not tip.reply_to:
            raise ReplyError("Không có địa chỉ để trả lời (no address to answer)")
        _send_email(db, tip, message)
        return "sent"
    # form: the answer is on the tipper's status page; e-mailed too when they gave an address with consent
    if tip.reply_to and tip.consent and "@" in tip.reply_to and settings.value(db, "smtp_host"):
        _send_email(db, tip, message)
        return "sent"
    return "shown"


def reply_tip(db, tip_id: int, *, factcheck_id: int | None = None, text: str | None = None, actor: Any = None,
              send: Callable[[Any, Tip, str], str] | None = None, clock: Callable[[], dt.datetime] = timeutil.now,
              ) -> Tip:
    """An editor's answer to a tip, sent by the channel it came by, and audited (``tip.reply``).

    Raises :class:`ReplyError` when delivery failed (the failure is recorded on the tip and audited)."""
    tip = get_tip(db, tip_id)
    if text is not None and len(text) > MAX_TEXT:
        raise ConfigError(f"Câu trả lời quá dài (answer too long: at most {MAX_TEXT} characters)")
    message = compose_reply(db, tip, factcheck_id=factcheck_id, text=text)
    error = None
    try:
        status = (send or deliver)(db, tip, message)
    except ReplyError as exc:
        status, error = "failed", str(exc)
    now = clock()
    values = {"reply_text": message, "reply_factcheck_id": factcheck_id, "reply_status": status,
              "reply_error": error, "replied_at": now, "replied_by": audit.actor_name(actor)}
    if status != "failed":
        values["status"] = "replied"
    before = {"status": tip.status, "reply_status": tip.reply_status}
    with db.write() as conn:
        conn.execute(update(tips).where(tips.c.id == tip_id).values(**values))
        audit.record(conn, actor, "tip.reply", f"tip:{tip_id}", before,
                     {"channel": tip.channel, "factcheck_id": factcheck_id, "reply_status": status,
                      "error": error, "text": message})
    if error:
        raise ReplyError(error)
    return get_tip(db, tip_id)


def set_status(db, tip_id: int, status: str, *, actor: Any = None) -> Tip:
    """Mark a tip "dismissed" (nothing to answer) or "new" again; audited (``tip.status``)."""
    if status not in ("new", "dismissed"):
        raise ConfigError(f"Trạng thái không hợp lệ (bad status): {status!r}")
    tip = get_tip(db, tip_id)
    with db.write() as conn:
        conn.execute(update(tips).where(tips.c.id == tip_id).values(status=status))
        audit.record(conn, actor, "tip.status", f"tip:{tip_id}", {"status": tip.status}, {"status": status})
    return get_tip(db, tip_id)
