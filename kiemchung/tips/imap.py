"""The e-mail inbox of the tipline, read over IMAP (``imaplib``).

Settings: ``imap_host``, ``imap_port`` (993), ``imap_ssl`` (1), ``imap_user``, ``imap_password``
(secret), ``imap_folder`` (INBOX). Each poll takes the messages with a UID above the last one taken
(under the same UIDVALIDITY; a new UIDVALIDITY starts again from the beginning, and tips already
taken are recognised by their Message-ID). The text part (plain, else HTML stripped) becomes the tip's
text, the first link in it the tip's link, image attachments its images; the From address is the
address the answer goes to (the tipper wrote to us: the channel itself answers). A message that
cannot be parsed, or whose text cannot be decoded, is skipped and logged; the poll goes on.
"""

from __future__ import annotations

import email
import email.policy
import email.utils
import imaplib
import logging
import re
import socket
import ssl

from kiemchung.errors import FetchError
from kiemchung.netguard import AddressPolicy, AddressRefused
from kiemchung.store import settings
from kiemchung.tips.channels import PollResult, cursor, save

log = logging.getLogger(__name__)

NAME = "imap"
BATCH = 50
MAX_MESSAGE = 25 * 1024 * 1024
_URL = re.compile(r"https?://[^\s<>\"')]+")
_TAG = re.compile(r"<[^>]+>")


class MessageSkipped(Exception):
    """A message that cannot be taken as a tip (the reason is logged)."""


class GuardedIMAP4(imaplib.IMAP4):
    """:class:`imaplib.IMAP4` that connects only where the address guard allows: the host is resolved
    once, every address checked, a checked address connected to (:meth:`AddressPolicy.connect`)."""

    def __init__(self, policy: AddressPolicy, host: str, port: int, timeout: float) -> None:
        self._policy = policy
        super().__init__(host, port, timeout=timeout)

    def _create_socket(self, timeout):
        return self._policy.connect(self.host, self.port, timeout)


class GuardedIMAP4_SSL(imaplib.IMAP4_SSL):  # noqa: N801 (named as imaplib names it)
    """:class:`imaplib.IMAP4_SSL` through the address guard; TLS checks the certificate for the host
    name (and sends it as SNI), not for the address connected to."""

    def __init__(self, policy: AddressPolicy, host: str, port: int, timeout: float) -> None:
        self._policy = policy
        super().__init__(host, port, ssl_context=ssl.create_default_context(), timeout=timeout)

    def _create_socket(self, timeout):
        sock = self._policy.connect(self.host, self.port, timeout)
        return self.ssl_context.wrap_socket(sock, server_hostname=self.host)


def _connect(db, timeout: float):
    """The inbox, logged in; the server's address goes through the address guard (settings
    ``fetch_allow_private``, ``fetch_allow_hosts``): a refused one raises :class:`AddressRefused`."""
    host = settings.value(db, "imap_host")
    port = settings.integer(db, "imap_port") or 993
    policy = AddressPolicy.from_db(db)
    try:
        if settings.flag(db, "imap_ssl"):
            conn = GuardedIMAP4_SSL(policy, host, port, timeout)
        else:
            conn = GuardedIMAP4(policy, host, port, timeout)
        user = settings.value(db, "imap_user")
        if user:
            conn.login(user, settings.value(db, "imap_password"))
    except AddressRefused:
        raise AddressRefused(f"IMAP {host}:{port}") from None
    except (OSError, imaplib.IMAP4.error, socket.timeout) as exc:
        raise FetchError(f"Không kết nối được hộp thư IMAP {host}:{port} (IMAP connection failed): {exc}",
                         reason="imap") from exc
    return conn


def _text_of(msg) -> str:
    """The message's text: its plain part, else its HTML part without tags."""
    body = None
    for preferred in ("plain", "html"):
        part = msg.get_body(preferencelist=(preferred,))
        if part is not None:
            body = part
            break
    if body is None:
        return ""
    try:
        text = body.get_content()
    except (LookupError, UnicodeDecodeError, AssertionError) as exc:  # unknown charset, broken bytes
        raise MessageSkipped(f"không giải mã được nội dung (undecodable text): {exc}") from exc
    if body.get_content_subtype() == "html":
        import html

        text = html.unescape(_TAG.sub(" ", text))
    return re.sub(r"[ \t]+", " ", text).strip()


def _images(msg):
    from kiemchung.tips.service import TipImage

    out = []
    for part in msg.iter_attachments():
        if part.get_content_maintype() != "image":
            continue
        try:
            data = part.get_payload(decode=True) or b""
        except Exception:  # noqa: BLE001 - a broken transfer encoding: the image is left out
            continue
        out.append(TipImage(data, part.get_content_type(), part.get_filename() or ""))
    return out


def parse_message(raw: bytes) -> dict:
    """The tip in one raw message: text, link, images, sender, Message-ID, date. Raises
    :class:`MessageSkipped` for a message that is not one."""
    if len(raw) > MAX_MESSAGE:
        raise MessageSkipped(f"thư quá lớn (message too large): {len(raw)} byte")
    try:
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        sender = email.utils.parseaddr(str(msg.get("From", "")))[1]
        message_id = str(msg.get("Message-ID", "")).strip() or None
        subject = str(msg.get("Subject", "")).strip()
    except Exception as exc:  # noqa: BLE001 - the email package raises many kinds on malformed headers
        raise MessageSkipped(f"thư hỏng (malformed message): {type(exc).__name__}: {exc}") from exc
    if not sender or "@" not in sender:
        raise MessageSkipped("thư không có người gửi (no sender address)")
    text = _text_of(msg)
    if subject and subject.lower() not in text.lower():
        text = f"{subject}\n{text}".strip()
    link = None
    m = _URL.search(text)
    if m:
        link = m.group(0).rstrip(".,;")
    images = _images(msg)
    when = None
    try:
        if msg.get("Date"):
            when = email.utils.parsedate_to_datetime(str(msg["Date"]))
            if when.tzinfo is None:
                when = None
    except (TypeError, ValueError, IndexError):
        when = None
    if not text and not images:
        raise MessageSkipped("thư trống (empty message)")
    return {"text": text[:5000], "link": link, "images": images, "sender": sender, "message_id": message_id,
            "date": when}


def poll_imap(db, *, timeout: float = 30.0) -> PollResult:
    """Take the new messages of the inbox as tips."""
    from kiemchung.tips.service import TipRefused, submit_tip

    result = PollResult()
    conn = _connect(db, timeout)
    try:
        folder = settings.value(db, "imap_folder") or "INBOX"
        typ, data = conn.select(_quote(folder), readonly=True)
        if typ != "OK":
            raise FetchError(f"Không mở được thư mục IMAP {folder!r} (cannot open folder)", reason="imap")
        validity = _uidvalidity(conn)
        stored = cursor(db, NAME) or ""
        last = 0
        if stored.startswith(f"{validity}:"):
            last = int(stored.split(":", 1)[1] or 0)
        typ, data = conn.uid("SEARCH", None, f"UID {last + 1}:*")
        uids = sorted(int(u) for u in (data[0] or b"").split() if int(u) > last) if typ == "OK" else []
        for uid in uids[:BATCH]:
            try:
                typ, parts = conn.uid("FETCH", str(uid), "(BODY.PEEK[])")
                raw = next((p[1] for p in parts if isinstance(p, tuple) and len(p) > 1), None)
                if typ != "OK" or raw is None:
                    raise MessageSkipped("máy chủ không trả thư (no message body)")
                tip = parse_message(raw)
                submit_tip(db, channel="email", text=tip["text"], link=tip["link"], images=tip["images"],
                           sender=tip["sender"], external_id=tip["message_id"] or f"uid:{validity}:{uid}",
                           received_at=tip["date"], meta={"imap_uid": uid})
                result.received += 1
            except (MessageSkipped, TipRefused) as exc:
                log.warning("IMAP: thư UID %s bị bỏ qua (message skipped): %s", uid, exc)
                result.skipped += 1
            last = uid
            save(db, NAME, cursor_value=f"{validity}:{last}")
    except (imaplib.IMAP4.error, OSError) as exc:
        result.error = f"IMAP: {exc}"
    finally:
        try:
            conn.logout()
        except (imaplib.IMAP4.error, OSError):
            pass
    save(db, NAME, result=result)
    return result


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _uidvalidity(conn) -> str:
    typ, data = conn.response("UIDVALIDITY")
    if data and data[0]:
        return data[0].decode() if isinstance(data[0], bytes) else str(data[0])
    return "0"
