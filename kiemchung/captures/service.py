"""Kept copies of pages: asked for when an editor relies on a page, taken in the background.

When an editor confirms an alert (the post where a false claim appeared again) or a fact-check cites
a page (its evidence and appearances), :func:`request_capture` records a *pending* capture. The
capture stage (:func:`capture_pending`: ``kiemchung watch``'s background process, the workers'
``enrich`` task, ``kiemchung evidence run``) then fetches the page once through the guarded client
(:class:`kiemchung.sources.http.Fetcher`: the installation's address policy, robots.txt, size and
time limits, every redirect hop checked) and keeps, as content-addressed blobs
(:mod:`kiemchung.store.blobs`):

* the page's bytes as served (its SHA-256 is the capture's content hash),
* its text (title, lead and body as the article extractor reads them),
* a screenshot of the stored HTML rendered by chromium with no network of its own
  (:mod:`kiemchung.captures.screenshot`: images and styles come through the guarded client too),
* a WARC file (:mod:`kiemchung.captures.warc`) with the fetch time.

Asking twice for the same address gives the capture already kept or pending (``again=True`` takes a
new one: a page that changed). A failure that may heal (timeout, 5xx, refused connection) is tried
again later, up to :data:`MAX_ATTEMPTS` times with growing waits; one that will not (an address the
policy refuses, a page too large, 404, robots.txt) fails at once with its reason.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, or_, select, update

from kiemchung import audit
from kiemchung.captures.tables import capture_links, captures
from kiemchung.errors import ConfigError, FetchError, KiemchungError, NotFoundError
from kiemchung.links import check_http_url, http_url
from kiemchung.store.blobs import BlobStore, sha256
from kiemchung.timeutil import now as utc_now

log = logging.getLogger(__name__)

STATUSES = ("pending", "done", "failed")
TARGETS = ("factcheck", "alert")
MAX_ATTEMPTS = 5
#: A capture being taken is leased for this long; a process that died mid-capture leaves it to the next.
LEASE = dt.timedelta(minutes=10)
SETTING = "evidence_capture"

Clock = Callable[[], dt.datetime]


@dataclass
class Capture:
    """One kept copy of a page (or the request for one)."""

    id: int
    url: str
    status: str
    requested_at: dt.datetime
    final_url: str | None = None
    attempts: int = 0
    next_attempt_at: dt.datetime | None = None
    last_error: str | None = None
    last_error_reason: str | None = None
    requested_by: str | None = None
    fetched_at: dt.datetime | None = None
    http_status: int | None = None
    content_type: str | None = None
    size: int | None = None
    content_sha256: str | None = None
    text_sha256: str | None = None
    screenshot_sha256: str | None = None
    warc_sha256: str | None = None
    title: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    links: list[tuple[str, int]] = field(default_factory=list)

    @property
    def is_html(self) -> bool:
        """Whether the kept bytes are an HTML page."""
        return "html" in (self.content_type or "").lower()

    @property
    def redacted(self) -> bool:
        """Whether authors' identifiers were taken out of what is kept (``hash_authors``)."""
        return bool(self.meta.get("redacted"))

    @property
    def kept_sha256(self) -> str | None:
        """The blob of the page as kept: the bytes as fetched, or their redacted copy (whose hash is not
        the integrity figure: ``content_sha256`` is the original's)."""
        return self.meta.get("html_sha256") or self.content_sha256

    @property
    def kept_content_type(self) -> str | None:
        """The type of the page as kept (a redacted HTML copy is UTF-8)."""
        return self.meta.get("kept_content_type") or self.content_type


def _from_row(row, links: Iterable[tuple[str, int]] = ()) -> Capture:
    m = dict(row._mapping)
    m["meta"] = m.get("meta") or {}
    return Capture(**m, links=list(links))


def enabled(db) -> bool:
    """Whether pages are kept automatically (setting ``evidence_capture``)."""
    from kiemchung.store import settings

    return settings.value(db, SETTING) != "0"


# -- asking for captures ----------------------------------------------------------------------------


def request_capture(db, url: str, *, factcheck_id: int | None = None, alert_id: int | None = None,
                    actor: Any = None, again: bool = False, clock: Clock = utc_now) -> Capture:
    """Ask for a kept copy of ``url``, linked to a fact-check and/or an alert; returns the capture.

    The capture already kept or pending for ``url`` is reused (the links are added to it) unless
    ``again``; a failed one is asked for anew. Audited as ``capture.request`` when a new capture is made.
    """
    url = check_http_url(url, "Địa chỉ trang cần lưu (page address)")
    links = [(name, int(value)) for name, value in (("factcheck", factcheck_id), ("alert", alert_id))
             if value is not None]
    at = clock()
    with db.write() as conn:
        row = None
        if not again:
            row = conn.execute(select(captures).where(captures.c.url == url, captures.c.status != "failed")
                               .order_by(captures.c.id.desc()).limit(1)).first()
        if row is None:
            capture_id = conn.execute(insert(captures).values(
                url=url, status="pending", attempts=0, next_attempt_at=at, requested_at=at,
                requested_by=audit.actor_name(actor), meta={})).inserted_primary_key[0]
            audit.record(conn, actor, "capture.request", f"capture:{capture_id}", None,
                         {"url": url, **{name: value for name, value in links}})
        else:
            capture_id = row.id
        for target, target_id in links:
            exists = conn.execute(select(capture_links.c.id).where(
                capture_links.c.capture_id == capture_id, capture_links.c.target == target,
                capture_links.c.target_id == target_id)).first()
            if exists is None:
                conn.execute(insert(capture_links).values(capture_id=capture_id, target=target,
                                                          target_id=target_id, created_at=at))
    return get_capture(db, capture_id)


def request_for_factcheck(db, fc, *, actor: Any = None) -> list[Capture]:
    """Ask for copies of the pages a fact-check relies on (its evidence URLs and appearances), when
    the installation keeps pages and the fact-check is this installation's own (not imported)."""
    if getattr(fc, "publisher", None) or not enabled(db):
        return []
    urls: list[str] = []
    for item in fc.evidence or []:
        url = http_url(item.get("url")) if isinstance(item, dict) and item.get("doc_id") is None else None
        if url and url not in urls:
            urls.append(url)
    for value in fc.appearances or []:
        url = http_url(value)
        if url and url not in urls:
            urls.append(url)
    return [request_capture(db, url, factcheck_id=fc.id, actor=actor) for url in urls]


def request_for_alert(db, alert_id: int, *, actor: Any = None) -> Capture | None:
    """Ask for a copy of the page of a confirmed alert's document (None: no http(s) address, or the
    installation does not keep pages)."""
    from kiemchung.claims.tables import alerts

    if not enabled(db):
        return None
    with db.read() as conn:
        row = conn.execute(select(alerts.c.doc_id, alerts.c.factcheck_id).where(alerts.c.id == alert_id)).first()
    if row is None:
        raise NotFoundError(f"Không tìm thấy cảnh báo (alert not found): {alert_id}")
    url = http_url(db.get_document(row.doc_id).url)
    if url is None:
        return None
    return request_capture(db, url, factcheck_id=row.factcheck_id, alert_id=alert_id, actor=actor)


# -- reading --------------------------------------------------------------------------------------


def _links(conn, ids: list[int]) -> dict[int, list[tuple[str, int]]]:
    out: dict[int, list[tuple[str, int]]] = {i: [] for i in ids}
    if ids:
        for r in conn.execute(select(capture_links).where(capture_links.c.capture_id.in_(ids))
                              .order_by(capture_links.c.id)):
            out[r.capture_id].append((r.target, r.target_id))
    return out


def get_capture(db, capture_id: int) -> Capture:
    """One capture by id; :class:`NotFoundError` when there is none."""
    with db.read() as conn:
        row = conn.execute(select(captures).where(captures.c.id == int(capture_id))).first()
        if row is None:
            raise NotFoundError(f"Không tìm thấy bản lưu (capture not found): {capture_id}")
        return _from_row(row, _links(conn, [row.id])[row.id])


def list_captures(db, *, factcheck_id: int | None = None, alert_id: int | None = None, url: str | None = None,
                  status: str | None = None, document_id: int | None = None, limit: int = 100) -> list[Capture]:
    """Captures, newest first; filtered by what they are linked to, their address or status.

    With ``factcheck_id`` the list also holds captures of the fact-check's alerts and of the pages it
    cites (kept for another fact-check: the same page is kept once). With ``document_id``: copies of
    the document's page (its address asked for, or where the redirects ended) and the captures of its
    alerts (:class:`NotFoundError` when there is no such document)."""
    c = captures.c
    q = select(captures).order_by(c.id.desc()).limit(limit)
    if status:
        if status not in STATUSES:
            raise ConfigError(f"Trạng thái không hợp lệ (unknown capture status): {status}; "
                              f"{', '.join(STATUSES)}")
        q = q.where(c.status == status)
    if url:
        q = q.where(c.url == url)
    conds = []
    if factcheck_id is not None:
        from kiemchung.claims.tables import alerts

        conds.append(c.id.in_(select(capture_links.c.capture_id).where(
            capture_links.c.target == "factcheck", capture_links.c.target_id == int(factcheck_id))))
        conds.append(c.id.in_(select(capture_links.c.capture_id).where(
            capture_links.c.target == "alert",
            capture_links.c.target_id.in_(select(alerts.c.id).where(alerts.c.factcheck_id == int(factcheck_id))))))
        cited = _factcheck_urls(db, int(factcheck_id))
        if cited:
            conds.append(c.url.in_(cited))
    if alert_id is not None:
        conds.append(c.id.in_(select(capture_links.c.capture_id).where(
            capture_links.c.target == "alert", capture_links.c.target_id == int(alert_id))))
    if document_id is not None:
        from kiemchung.claims.tables import alerts

        page = http_url(db.get_document(int(document_id)).url)
        if page:
            conds.append(or_(c.url == page, c.final_url == page))
        conds.append(c.id.in_(select(capture_links.c.capture_id).where(
            capture_links.c.target == "alert",
            capture_links.c.target_id.in_(select(alerts.c.id).where(alerts.c.doc_id == int(document_id))))))
    if conds:
        q = q.where(or_(*conds))
    with db.read() as conn:
        rows = list(conn.execute(q))
        links = _links(conn, [r.id for r in rows])
    return [_from_row(r, links[r.id]) for r in rows]


def _factcheck_urls(db, factcheck_id: int) -> list[str]:
    from kiemchung.claims.tables import factchecks

    with db.read() as conn:
        row = conn.execute(select(factchecks.c.evidence, factchecks.c.appearances)
                           .where(factchecks.c.id == factcheck_id)).first()
    if row is None:
        return []
    urls = [http_url(i.get("url")) for i in (row.evidence or []) if isinstance(i, dict)]
    urls += [http_url(u) for u in (row.appearances or [])]
    return sorted({u for u in urls if u})


def blob(db, capture: Capture, part: str) -> bytes:
    """One kept part of a capture: ``html`` (the bytes as served, or as redacted while ``hash_authors``
    is on: see :mod:`kiemchung.captures.redact`), ``text``, ``screenshot``, ``warc``."""
    name = {"html": capture.kept_sha256, "text": capture.text_sha256,
            "screenshot": capture.screenshot_sha256, "warc": capture.warc_sha256}.get(part)
    if not name:
        raise NotFoundError(f"Bản lưu #{capture.id} không có phần này (capture has no {part})")
    return BlobStore(db).get(name)


# -- taking captures -------------------------------------------------------------------------------


def _settings():
    from kiemchung.sources.http import FetchSettings

    return FetchSettings(accept="text/html,application/xhtml+xml;q=0.9,*/*;q=0.5")


def _resource_fetcher(db, page_settings):
    """The screenshot's resource fetch: the guarded client, no robots.txt (a browser's subresources),
    no retries, smaller limits."""
    from kiemchung.sources.http import FetchSettings, Fetcher

    s = FetchSettings(**{**page_settings.__dict__, "respect_robots": False, "retries": 0, "min_interval_s": 0.0,
                         "total_timeout_s": min(page_settings.total_timeout_s, 10.0),
                         "max_bytes": min(page_settings.max_bytes, 5 * 1024 * 1024), "accept": "*/*"})
    fetcher = Fetcher.for_db(db, s)

    def fetch(url: str):
        result = fetcher.get(url)
        return result.status, {k: v for k, v in result.headers.items()}, result.content

    return fetcher, fetch


def _text_of(content: bytes, url: str, headers: dict[str, str]) -> tuple[str, str]:
    """``(title, text)`` of a kept page: the article extractor's reading, or the plain text."""
    from kiemchung.errors import ParseError
    from kiemchung.sources.http import charset_from_content_type, decode_body
    from kiemchung.sources.web import extract_page

    try:
        doc = extract_page(content, url=url, headers=headers)
        return doc.title, "\n\n".join(p for p in (doc.title, doc.lead, doc.body) if p)
    except ParseError:
        ctype = {k.lower(): v for k, v in headers.items()}.get("content-type", "")
        if ctype.lower().startswith("text/"):
            text, _ = decode_body(content[:2_000_000], charset=charset_from_content_type(ctype))
            return "", text
        return "", ""


def _backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(60 * 4 ** max(attempts - 1, 0), 6 * 3600))


def _claim(db, capture_id: int, at: dt.datetime) -> bool:
    """Take the lease of a pending capture that is due; False when another process has it or it is
    not due."""
    c = captures.c
    with db.write() as conn:
        done = conn.execute(update(captures).where(
            c.id == capture_id, c.status == "pending",
            or_(c.next_attempt_at.is_(None), c.next_attempt_at <= at)).values(next_attempt_at=at + LEASE))
        return done.rowcount == 1


def take_capture(db, capture_id: int, *, fetcher=None, resource_fetch=None, screenshots: bool = True,
                 clock: Clock = utc_now, force: bool = False) -> Capture:
    """Fetch and keep one pending capture now (``force``: even when it is not due yet, or failed).

    ``fetcher`` (a :class:`~kiemchung.sources.http.Fetcher`; default: the installation's, with its
    address policy) fetches the page; ``resource_fetch`` the screenshot's images and styles (default:
    through the guarded client). Returns the capture as it is afterwards (done, pending again with the
    error, or failed)."""
    at = clock()
    capture = get_capture(db, capture_id)
    if capture.status == "done":
        return capture
    if force:
        with db.write() as conn:
            conn.execute(update(captures).where(captures.c.id == capture_id)
                         .values(status="pending", next_attempt_at=at, attempts=0 if capture.status == "failed"
                                 else capture.attempts))
    if not _claim(db, capture_id, at):
        return get_capture(db, capture_id)
    from kiemchung.sources.http import Fetcher

    own = fetcher is None
    settings = fetcher.settings if fetcher is not None else _settings()
    if own:
        fetcher = Fetcher.for_db(db, settings)
    try:
        try:
            result = fetcher.get(capture.url)
        except FetchError as err:
            return _failed(db, capture, err, clock())
        return _keep(db, capture, result, settings, fetched_at=clock(), resource_fetch=resource_fetch,
                     screenshots=screenshots)
    finally:
        if own:
            fetcher.close()


def _failed(db, capture: Capture, err: FetchError, at: dt.datetime) -> Capture:
    attempts = capture.attempts + 1
    retry = err.soft and attempts < MAX_ATTEMPTS
    values = dict(attempts=attempts, last_error=str(err), last_error_reason=err.reason,
                  status="pending" if retry else "failed",
                  next_attempt_at=at + _backoff(attempts) if retry else None)
    with db.write() as conn:
        conn.execute(update(captures).where(captures.c.id == capture.id).values(**values))
        if not retry:
            audit.record(conn, None, "capture.failed", f"capture:{capture.id}", None,
                         {"url": capture.url, "fetch_reason": err.reason, "attempts": attempts})
    log.info("capture %s of %s: %s (%s)", capture.id, capture.url, err.reason, "retry" if retry else "failed")
    return get_capture(db, capture.id)


def _keep(db, capture: Capture, result, settings, *, fetched_at: dt.datetime, resource_fetch,
          screenshots: bool) -> Capture:
    from kiemchung.captures import screenshot as shot
    from kiemchung.captures.warc import write_warc

    from kiemchung.captures.redact import author_hasher, redact_headers, redact_page, redact_text

    headers = {str(k).lower(): str(v) for k, v in result.headers.items()}
    content_type = headers.get("content-type", "")
    content = result.content
    content_sha = sha256(content)  # the integrity figure: the bytes as fetched, whether or not they are kept
    store = BlobStore(db)
    meta: dict[str, Any] = {}
    served_headers = dict(result.headers)
    hasher = author_hasher(db)
    kept, kept_type = content, content_type
    if hasher is not None:
        # hash_authors: the page is kept without its authors' identifiers; the original is never stored.
        red = redact_page(content, content_type, hasher)
        if red is None:
            meta["redacted"] = False
            meta["not_redacted"] = "not_text"  # a PDF or an image: kept as fetched (docs/evidence.md)
        elif not red.redactions:
            meta["redacted"] = False  # read, and no author named: the bytes as fetched are kept
        else:
            kept, kept_type = red.content, red.content_type
            served_headers = redact_headers({k: v for k, v in served_headers.items()
                                             if k.lower() != "content-type"}, hasher, red.names)
            served_headers["Content-Type"] = kept_type
            meta.update(redacted=True, redactions=red.redactions, original_sha256=content_sha,
                        original_size=len(content), kept_content_type=kept_type)
    kept_sha = store.put(kept)
    if kept_sha != content_sha:
        meta["html_sha256"] = kept_sha  # the kept (redacted) bytes' blob
    title, text = _text_of(kept, result.url, {**headers, "content-type": kept_type})
    if meta.get("redacted"):
        title, _ = redact_text(title, hasher, red.names)
        text, _ = redact_text(text, hasher, red.names)
    text_sha = store.put(text.encode("utf-8")) if text else None
    request_headers = {"Host": result.url.split("/")[2], "User-Agent": settings.user_agent,
                       "Accept": settings.accept, "Accept-Language": settings.accept_language,
                       "Accept-Encoding": "gzip, deflate"}
    warc = write_warc(url=result.url, requested_url=capture.url, status=result.status, headers=served_headers,
                      payload=kept, fetched_at=fetched_at, request_headers=request_headers,
                      content_sha256=kept_sha, capture_id=capture.id,
                      original_sha256=content_sha if meta.get("redacted") else None,
                      redactions=meta.get("redactions"))
    warc_sha = store.put(warc)
    shot_sha = None
    looks_html = "html" in kept_type.lower() or (not kept_type and b"<html" in kept[:4096].lower())
    if screenshots and looks_html:
        if not shot.available():
            meta["screenshot"] = "unavailable"
        else:
            closer = None
            fetch = resource_fetch
            if fetch is None:
                closer, fetch = _resource_fetcher(db, settings)
            try:
                png, notes = shot.render(kept, result.url, content_type=kept_type or "text/html", fetch=fetch)
                shot_sha = store.put(png)
                meta["screenshot_notes"] = notes
            except (RuntimeError, OSError) as exc:
                log.warning("screenshot of capture %s failed: %s", capture.id, exc)
                meta["screenshot"] = "failed"
                meta["screenshot_error"] = str(exc)[:300]
            finally:
                if closer is not None:
                    closer.close()
    values = dict(status="done", final_url=result.url, attempts=capture.attempts + 1, next_attempt_at=None,
                  last_error=None, last_error_reason=None, fetched_at=fetched_at, http_status=result.status,
                  content_type=content_type or None, size=len(content), content_sha256=content_sha,
                  text_sha256=text_sha, screenshot_sha256=shot_sha, warc_sha256=warc_sha,
                  title=(title or "")[:500] or None, meta=meta)
    with db.write() as conn:
        conn.execute(update(captures).where(captures.c.id == capture.id).values(**values))
        audit.record(conn, None, "capture.done", f"capture:{capture.id}", None,
                     {"url": capture.url, "sha256": content_sha, "size": len(content)})
    return get_capture(db, capture.id)


def capture_pending(db, *, limit: int = 5, clock: Clock = utc_now, fetcher=None, resource_fetch=None,
                    screenshots: bool = True) -> int:
    """Take up to ``limit`` due pending captures, oldest first; returns how many were attempted.
    The background stage: safe to run in several processes at once (each capture is leased)."""
    at = clock()
    c = captures.c
    with db.read() as conn:
        ids = list(conn.execute(select(c.id).where(
            c.status == "pending", or_(c.next_attempt_at.is_(None), c.next_attempt_at <= at))
            .order_by(c.id).limit(limit)).scalars())
    done = 0
    for capture_id in ids:
        try:
            take_capture(db, capture_id, fetcher=fetcher, resource_fetch=resource_fetch, screenshots=screenshots,
                         clock=clock)
        except KiemchungError as exc:  # recorded; the lease lets the next round try again
            log.warning("capture %s: %s", capture_id, exc)
        done += 1
    return done


def capture_url(db, url: str, *, factcheck_id: int | None = None, alert_id: int | None = None, actor: Any = None,
                again: bool = False, fetcher=None, resource_fetch=None, screenshots: bool = True,
                clock: Clock = utc_now) -> Capture:
    """Ask for a copy of ``url`` and take it now (the CLI's ``evidence capture``)."""
    capture = request_capture(db, url, factcheck_id=factcheck_id, alert_id=alert_id, actor=actor, again=again,
                              clock=clock)
    if capture.status == "done":
        return capture
    return take_capture(db, capture.id, fetcher=fetcher, resource_fetch=resource_fetch, screenshots=screenshots,
                        clock=clock, force=True)


__all__ = [
    "Capture", "MAX_ATTEMPTS", "STATUSES", "blob", "capture_pending", "capture_url", "enabled", "get_capture",
    "list_captures", "request_capture", "request_for_alert", "request_for_factcheck", "take_capture",
]
