"""Public Telegram channels through their web preview (``https://t.me/s/NAME``), no account needed.

The preview page shows a channel's ~20 newest messages, oldest first, each in a
``div.tgme_widget_message[data-post="NAME/ID"]`` with its text, time, view count ("1.2K") and link;
``?before=ID`` shows the page of messages older than ID. Only public channels whose owner left the
preview on have one; a private channel, a person's account or a changed page has no message at all,
which :func:`parse_preview` reports as an error rather than as an empty channel.

Pure functions of bytes: :mod:`kiemchung.sources.connectors.telegram` fetches pages through the guarded
client and pages back to the start date an administrator gives.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import lxml.html
from lxml import etree

from kiemchung import timeutil
from kiemchung.errors import ConfigError, ParseError
from kiemchung.models import Document
from kiemchung.sources.feeds import html_to_text
from kiemchung.sources.http import decode_body
from kiemchung.text import normalize

__all__ = ["PreviewPage", "channel_name", "page_url", "parse_preview", "parse_views"]

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{3,31}$")
_HOSTS = ("t.me", "telegram.me", "www.t.me", "www.telegram.me")
_VIEWS = re.compile(r"^\s*([\d.,]+)\s*([KMB]?)\s*$", re.I)


def channel_name(url: str) -> str:
    """The channel's public name from ``t.me/NAME``, ``t.me/s/NAME``, ``@NAME`` or ``NAME``.

    Invite links (``t.me/+…``, ``joinchat``) are private channels without a preview: refused with
    :class:`ConfigError`, as is anything that is not a Telegram address."""
    text = (url or "").strip()
    if text.startswith("@"):
        text = text[1:]
    if _NAME.match(text):
        return text
    try:
        parts = urlsplit(text if "//" in text else "https://" + text)
    except ValueError:
        parts = None
    host = (parts.hostname or "").lower() if parts else ""
    segs = [s for s in parts.path.split("/") if s] if parts else []
    if host in _HOSTS and segs:
        if segs[0].startswith("+") or segs[0] == "joinchat":
            raise ConfigError(
                "Kênh Telegram riêng tư (liên kết mời) không có trang xem trước công khai "
                f"(an invite link is a private channel without a public preview): {text[:200]}")
        name = segs[1] if segs[0] == "s" and len(segs) >= 2 else segs[0]
        if _NAME.match(name):
            return name
    raise ConfigError(
        f"Không phải địa chỉ kênh Telegram công khai; dùng https://t.me/TEN_KENH (not a public Telegram channel): {text[:200]}")


def page_url(base: str, before: int | None = None) -> str:
    """The preview page of a channel (``base`` = ``https://t.me/s/NAME`` or a local mirror of it),
    optionally the page of messages older than ``before``."""
    base = base.split("?", 1)[0].rstrip("/")
    return f"{base}?before={int(before)}" if before is not None else base


def parse_views(text: str | None) -> int | None:
    """A view count as Telegram writes it ("856", "1.2K", "3,4M") as an integer, or None."""
    match = _VIEWS.match(text or "")
    if not match:
        return None
    number = match.group(1).replace(",", ".")
    if number.count(".") > 1:
        number = number.replace(".", "")
    try:
        value = float(number)
    except ValueError:
        return None
    return int(round(value * {"": 1, "K": 10**3, "M": 10**6, "B": 10**9}[match.group(2).upper()]))


@dataclass
class PreviewPage:
    """One preview page: its messages (oldest first, as on the page), the problems met, and the id to
    pass as ``before`` for the previous page (None when the page says there is none)."""

    channel: str
    title: str
    messages: list[Document] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    before: int | None = None


def _classes(el) -> set[str]:
    return set((el.get("class") or "").split())


def _first(el, cls: str):
    found = el.xpath(f".//*[contains(concat(' ', normalize-space(@class), ' '), ' {cls} ')]")
    return found[0] if found else None


def _inner_html(el) -> str:
    return (el.text or "") + "".join(etree.tostring(c, encoding="unicode", with_tail=True) for c in el)


def parse_preview(content: bytes, *, url: str, headers: dict | None = None) -> PreviewPage:
    """Messages of a Telegram channel preview page.

    Each message with text becomes a Document (kind ``post``, platform ``telegram``): the text (links
    and line breaks kept as paragraphs), its time, the view count as ``engagement["views"]``, its link
    ``https://t.me/NAME/ID`` (made handle-free by the store under ``hash_authors``), ``external_id``
    ``tg:ID``, and as author the signature of the person who posted it when the channel signs
    messages, else the channel. Messages with only media and no caption are skipped (nothing to read);
    a message whose time cannot be read is kept undated and listed in ``problems``. Raises
    :class:`ParseError` (reason ``no_messages``) when the page has no message at all: a private or
    unknown channel, a channel with the preview turned off, or a page that changed shape.
    """
    from kiemchung.sources.http import charset_from_content_type

    lowered = {str(k).lower(): str(v) for k, v in (headers or {}).items()}
    text, _ = decode_body(content or b"", charset=charset_from_content_type(lowered.get("content-type")))
    try:
        root = lxml.html.document_fromstring(text) if text.strip() else None
    except (etree.ParserError, ValueError):
        root = None
    if root is None:
        raise ParseError(f"Trang xem trước Telegram {url} rỗng hoặc hỏng (empty or broken page) (no_messages)",
                         soft=False, reason="no_messages")
    nodes = [el for el in root.iter("div") if "tgme_widget_message" in _classes(el) and el.get("data-post")]
    title_el = _first(root, "tgme_channel_info_header_title")
    title = normalize(title_el.text_content()) if title_el is not None else ""
    if not nodes:
        raise ParseError(
            f"Trang xem trước Telegram {url} không có tin nào: kênh riêng tư, không tồn tại, đã tắt xem trước, "
            "hoặc Telegram đã đổi giao diện (the preview has no messages: private or unknown channel, preview "
            "off, or the page changed shape) (no_messages)", soft=False, reason="no_messages")
    page = PreviewPage(channel="", title=title)
    for node in nodes:
        post = node.get("data-post", "").strip()
        name, _, ident = post.rpartition("/")
        if not name or not ident.isdigit():
            page.problems.append(f"Tin có mã lạ (message with a strange id): {post[:80]!r}")
            continue
        page.channel = page.channel or name
        msg_id = int(ident)
        text_el = _first(node, "tgme_widget_message_text")
        body = html_to_text(_inner_html(text_el)) if text_el is not None else ""
        if not body:
            continue  # a photo, sticker or poll without caption: nothing to read
        time_el = node.xpath(".//a[contains(@class,'tgme_widget_message_date')]//time[@datetime]")
        published = timeutil.parse_time(time_el[0].get("datetime")) if time_el else None
        if published is None:
            page.problems.append(f"Tin {post}: không đọc được thời gian (unreadable time)")
        views_el = _first(node, "tgme_widget_message_views")
        views = parse_views(views_el.text_content()) if views_el is not None else None
        signed = _first(node, "tgme_widget_message_from_author")
        owner = _first(node, "tgme_widget_message_owner_name")
        author = normalize((signed if signed is not None else owner).text_content()) if (
            signed is not None or owner is not None) else name
        forwarded = _first(node, "tgme_widget_message_forwarded_from_name")
        link = f"https://t.me/{name}/{msg_id}"
        paragraphs = body.split("\n\n")
        meta: dict = {"channel_title": title, "message_id": msg_id}
        raw: dict = {"id": msg_id, "text": body, "date": time_el[0].get("datetime") if time_el else None,
                     "views": views, "link": link, "author": author}
        if forwarded is not None:
            raw["forwarded"] = {"from": normalize(forwarded.text_content())}  # an author key: hashed
            meta["forwarded"] = True
        page.messages.append(Document(
            url=link, title="", lead=paragraphs[0], body="\n\n".join(paragraphs[1:]), kind="post",
            # The message id only: the channel's name is an account handle (hash_authors), the source says
            # which channel it is.
            platform="telegram", external_id=f"tg:{msg_id}", author=author or name,
            published_at=published, engagement={"views": views} if views is not None else {}, meta=meta,
            raw=json.dumps(raw, ensure_ascii=False).encode("utf-8"),
        ))
    ids = [int(n.get("data-post").rpartition("/")[2]) for n in nodes if n.get("data-post", "").rpartition("/")[2].isdigit()]
    more = root.xpath("//link[@rel='prev'][@href] | //a[contains(@class,'tme_messages_more')][@data-before]")
    if more:
        before = more[0].get("data-before") or (re.search(r"before=(\d+)", more[0].get("href") or "") or [None, None])[1]
        page.before = int(before) if before and str(before).isdigit() else (min(ids) if ids else None)
    return page


def message_id(doc: Document) -> int:
    """The message id of a Document made by :func:`parse_preview`."""
    return int(doc.meta["message_id"])
