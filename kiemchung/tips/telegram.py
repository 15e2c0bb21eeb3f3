"""The Telegram bot of the tipline, through the Bot API (https://core.telegram.org/bots/api).

Settings: ``telegram_bot_token`` (secret, from @BotFather) and ``telegram_api_url`` (the Bot API's
address; a local stand-in in tests). Each poll calls ``getUpdates`` with the stored offset (long
polling with ``timeout``); a ``message`` (text or caption, the largest size of a photo, an image sent
as a document) becomes a tip whose answer goes back to the same chat with ``sendMessage``. Updates
of other types (edited messages, channel posts, callbacks, …), messages from groups and messages
with nothing to take are skipped and logged; the offset moves past them. Every request goes through
the guarded client (:func:`kiemchung.sources.http.guarded_client`) with the installation's address
policy; the token is never logged or stored anywhere but the setting.
"""

from __future__ import annotations

import datetime as dt
import logging
import re

import httpx

from kiemchung.errors import FetchError
from kiemchung.netguard import AddressPolicy
from kiemchung.store import settings
from kiemchung.tips.channels import PollResult, cursor, save

log = logging.getLogger(__name__)

NAME = "telegram"
_URL = re.compile(r"https?://[^\s<>\"')]+")
MAX_FILE = 10 * 1024 * 1024


class TelegramError(FetchError):
    """The Bot API refused a call or could not be reached (the token never appears in the message)."""


def _base(db) -> tuple[str, str]:
    token = settings.value(db, "telegram_bot_token")
    if not token:
        raise TelegramError("Chưa đặt mã bot Telegram (telegram_bot_token is not set)", reason="telegram")
    return (settings.value(db, "telegram_api_url") or "https://api.telegram.org").rstrip("/"), token


def _client(db, timeout: float) -> httpx.Client:
    from kiemchung.sources.http import guarded_client

    return guarded_client(AddressPolicy.from_db(db), timeout=timeout)


def _call(db, client: httpx.Client, method: str, **params):
    base, token = _base(db)
    try:
        r = client.post(f"{base}/bot{token}/{method}", json=params)
        data = r.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise TelegramError(f"Bot API {method}: {type(exc).__name__}: {str(exc).replace(token, '•••')}",
                            reason="telegram") from exc
    if not isinstance(data, dict) or not data.get("ok"):
        desc = str(data.get("description", "")) if isinstance(data, dict) else ""
        raise TelegramError(f"Bot API {method}: HTTP {r.status_code} {desc.replace(token, '•••')}", reason="telegram")
    return data.get("result")


def _download(db, client: httpx.Client, file_id: str) -> bytes | None:
    info = _call(db, client, "getFile", file_id=file_id)
    path = (info or {}).get("file_path")
    if not path or (info.get("file_size") or 0) > MAX_FILE:
        return None
    base, token = _base(db)
    try:
        r = client.get(f"{base}/file/bot{token}/{path}")
    except httpx.HTTPError as exc:
        log.warning("Telegram: không tải được ảnh (image not downloaded): %s", type(exc).__name__)
        return None
    if r.status_code != 200 or len(r.content) > MAX_FILE:
        return None
    return r.content


def parse_update(update: dict) -> dict | None:
    """The tip in one update, or None when the update is not a message we take (logged)."""
    kinds = [k for k in update if k != "update_id"]
    msg = update.get("message")
    if not isinstance(msg, dict):
        log.warning("Telegram: bỏ qua cập nhật loại %s (update of type %s skipped)", kinds, kinds)
        return None
    chat = msg.get("chat") or {}
    if chat.get("type") not in (None, "private"):
        log.warning("Telegram: bỏ qua tin từ nhóm (message from a group skipped)")
        return None
    text = str(msg.get("text") or msg.get("caption") or "").strip()
    photo = None
    if isinstance(msg.get("photo"), list) and msg["photo"]:
        photo = max(msg["photo"], key=lambda p: (p.get("file_size") or 0, p.get("width") or 0)).get("file_id")
    doc = msg.get("document")
    if photo is None and isinstance(doc, dict) and str(doc.get("mime_type", "")).startswith("image/"):
        photo = doc.get("file_id")
    if not text and not photo:
        log.warning("Telegram: bỏ qua tin không có chữ hay ảnh (message without text or image skipped)")
        return None
    if text == "/start":
        return None
    m = _URL.search(text)
    sender = (msg.get("from") or {}).get("id")
    when = msg.get("date")
    return {
        "text": text[:5000], "link": m.group(0).rstrip(".,;") if m else None, "photo": photo,
        "chat_id": str(chat.get("id") or sender or ""), "sender": str(sender or ""),
        "date": dt.datetime.fromtimestamp(when, dt.UTC) if isinstance(when, int) else None,
        "message_id": f"{chat.get('id')}:{msg.get('message_id')}",
    }


def poll_telegram(db, *, timeout: float = 0, limit: int = 100) -> PollResult:
    """Take the bot's new updates as tips (``timeout``: long-polling seconds)."""
    from kiemchung.tips.service import TipImage, TipRefused, submit_tip

    result = PollResult()
    offset = int(cursor(db, NAME) or 0)
    with _client(db, timeout + 15) as client:
        updates = _call(db, client, "getUpdates", offset=offset, timeout=int(timeout), limit=limit,
                        allowed_updates=["message"])
        for update in updates or []:
            uid = update.get("update_id") if isinstance(update, dict) else None
            if not isinstance(uid, int):
                log.warning("Telegram: cập nhật không có update_id bị bỏ qua (update without id skipped)")
                result.skipped += 1
                continue
            try:
                tip = parse_update(update)
                if tip is None:
                    result.skipped += 1
                else:
                    images = []
                    if tip["photo"]:
                        data = _download(db, client, tip["photo"])
                        if data:
                            images.append(TipImage(data, "", "telegram.jpg"))
                    submit_tip(db, channel="telegram", text=tip["text"], link=tip["link"], images=images,
                               sender=tip["chat_id"], external_id=tip["message_id"], received_at=tip["date"],
                               meta={"telegram_update": uid})
                    result.received += 1
            except TipRefused as exc:
                log.warning("Telegram: cập nhật %s bị bỏ qua (update skipped): %s", uid, exc)
                result.skipped += 1
            offset = max(offset, uid + 1)
            save(db, NAME, cursor_value=str(offset))
    save(db, NAME, result=result)
    return result


def send_message(db, chat_id: str, text: str) -> None:
    """Send an editor's answer to a chat (``sendMessage``); raises ReplyError when it fails."""
    from kiemchung.tips.service import ReplyError

    try:
        with _client(db, 20) as client:
            _call(db, client, "sendMessage", chat_id=chat_id, text=text[:4096])
    except FetchError as exc:
        raise ReplyError(f"Không gửi được tin Telegram (Telegram message not sent): {exc}") from exc
