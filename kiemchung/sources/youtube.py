"""YouTube channels: the channel's public Atom feed to Documents, and video statistics from the Data API.

A channel's feed (``https://www.youtube.com/feeds/videos.xml?channel_id=UC…``) lists its ~15 newest
videos with title, description (``media:group/media:description``), publication time, view count and
star-rating count; it needs no key. With a YouTube Data API key (setting ``youtube_api_key``) the
connector also asks ``videos?part=statistics`` for exact views, likes and comments. Comments themselves
are never fetched: they are other people's words about a video, not what the channel published.

Everything here is a pure function of bytes (no network): :mod:`kiemchung.sources.connectors.youtube`
fetches through the guarded client and calls these.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from lxml import etree

from kiemchung import timeutil
from kiemchung.errors import ConfigError, ParseError
from kiemchung.models import Document
from kiemchung.sources.http import api_json
from kiemchung.text import normalize

__all__ = ["FEED_URL", "feed_url", "parse_channel_feed", "parse_statistics", "statistics_url"]

FEED_URL = "https://www.youtube.com/feeds/videos.xml"
API_URL = "https://www.googleapis.com/youtube/v3/videos"
_NS = {
    "a": "http://www.w3.org/2005/Atom",
    "yt": "http://www.youtube.com/xml/schemas/2015",
    "media": "http://search.yahoo.com/mrss/",
}
_CHANNEL_ID = re.compile(r"^UC[\w-]{22}$")
_PLAYLIST_ID = re.compile(r"^[\w-]{10,64}$")
_USER = re.compile(r"^[\w.-]{1,100}$")
_HOSTS = ("youtube.com", "www.youtube.com", "m.youtube.com")
# Safe XML parsing: no entities, no network, no DTD (a hostile feed cannot expand or fetch anything).
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, recover=False)


def feed_url(url: str) -> str:
    """The Atom feed URL of a YouTube channel, playlist or legacy user given in any common form.

    Takes a feed URL as is (``feeds/videos.xml?channel_id=…|playlist_id=…|user=…``), a channel URL
    (``youtube.com/channel/UC…``), a legacy user URL (``youtube.com/user/NAME``), a playlist URL
    (``youtube.com/playlist?list=…``) or a bare channel id (``UC…``). An ``@handle`` or ``/c/`` URL
    cannot be turned into a channel id without asking YouTube, so it is refused with a way to find
    the id (:class:`ConfigError`). Anything else that is not YouTube is returned unchanged when it
    looks like a feed of the same shape (a mirror or a local test server): ``…/feeds/videos.xml?…``.
    """
    text = (url or "").strip()
    if _CHANNEL_ID.match(text):
        return f"{FEED_URL}?channel_id={text}"
    try:
        parts = urlsplit(text if "//" in text else "https://" + text)
    except ValueError:
        raise ConfigError(f"Địa chỉ YouTube không hợp lệ (bad YouTube URL): {text[:200]}") from None
    host = (parts.hostname or "").lower()
    segs = [s for s in parts.path.split("/") if s]
    query = parse_qs(parts.query)
    if parts.path.rstrip("/").endswith("/feeds/videos.xml"):
        for key, pattern in (("channel_id", _CHANNEL_ID), ("playlist_id", _PLAYLIST_ID), ("user", _USER)):
            value = (query.get(key) or [""])[0]
            if value and pattern.match(value):
                return text
        raise ConfigError(
            "Địa chỉ nguồn tin YouTube cần channel_id=UC…, playlist_id=… hoặc user=… "
            f"(a YouTube feed URL needs channel_id, playlist_id or user): {text[:200]}")
    if host not in _HOSTS:
        raise ConfigError(
            "Không phải địa chỉ kênh YouTube (not a YouTube channel URL); dùng youtube.com/channel/UC… "
            f"hoặc mã kênh UC…: {text[:200]}")
    if len(segs) >= 2 and segs[0] == "channel" and _CHANNEL_ID.match(segs[1]):
        return f"{FEED_URL}?channel_id={segs[1]}"
    if len(segs) >= 2 and segs[0] == "user" and _USER.match(segs[1]):
        return f"{FEED_URL}?{urlencode({'user': segs[1]})}"
    if segs[:1] == ["playlist"] and (query.get("list") or [""])[0] and _PLAYLIST_ID.match(query["list"][0]):
        return f"{FEED_URL}?playlist_id={query['list'][0]}"
    raise ConfigError(
        "Không tìm được mã kênh từ địa chỉ này mà không tải trang YouTube (an @handle or /c/ URL has no "
        "channel id in it). Mở trang kênh, chọn Chia sẻ kênh → Sao chép mã kênh (UC…), rồi thêm "
        f"https://www.youtube.com/channel/UC… (add the channel's UC… id instead): {text[:200]}")


def _changed(url: str, detail: str) -> ParseError:
    return ParseError(
        f"Nguồn tin YouTube {url} không đúng định dạng: {detail} (changed_shape)", soft=False, reason="changed_shape")


def _int(value: Any) -> int | None:
    try:
        n = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return n if n >= 0 else None


def _text(el, path: str) -> str:
    found = el.find(path, _NS)
    return (found.text or "").strip() if found is not None and found.text else ""


def _paragraphs(text: str) -> str:
    parts = (normalize(p) for p in re.split(r"\n\s*\n|\n", text))
    return "\n\n".join(p for p in parts if p)


def parse_channel_feed(content: bytes, *, url: str) -> list[Document]:
    """The videos of a YouTube channel (or playlist) feed, newest first.

    Each video is a Document of kind ``post`` on platform ``youtube``: the title, the description's
    first paragraph as lead and the rest as body, the watch URL, ``external_id`` ``yt:VIDEOID``,
    the channel as author (hashed by the store under ``hash_authors``) and, from ``media:community``,
    the view count and star-rating count as ``engagement`` (``views``, ``ratings``). A video without
    title and description is skipped. Raises :class:`ParseError` (reason ``changed_shape``) when the
    bytes are not a YouTube Atom feed.
    """
    if not content or not content.strip():
        raise _changed(url, "tệp rỗng (empty)")
    try:
        root = etree.fromstring(content, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise _changed(url, f"XML hỏng (broken XML): {str(exc)[:160]}") from None
    if root.tag != f"{{{_NS['a']}}}feed":
        raise _changed(url, f"không phải Atom feed (root element {etree.QName(root).localname!r})")
    channel_id = _text(root, "yt:channelId")
    channel_name = normalize(_text(root, "a:title"))
    docs: list[Document] = []
    seen: set[str] = set()
    for entry in root.iterfind("a:entry", _NS):
        video_id = _text(entry, "yt:videoId")
        if not video_id:
            vid = _text(entry, "a:id")
            video_id = vid.removeprefix("yt:video:") if vid.startswith("yt:video:") else ""
        if not video_id or video_id in seen:
            continue
        seen.add(video_id)
        group = entry.find("media:group", _NS)
        title = normalize(_text(entry, "a:title") or (_text(group, "media:title") if group is not None else ""))
        description = _paragraphs(_text(group, "media:description")) if group is not None else ""
        if not (title or description):
            continue
        link = None
        for el in entry.iterfind("a:link", _NS):
            if (el.get("rel") or "alternate") == "alternate" and el.get("href"):
                link = el.get("href").strip()
                break
        link = link or f"https://www.youtube.com/watch?v={video_id}"
        author = normalize(_text(entry, "a:author/a:name")) or channel_name or None
        engagement: dict[str, int] = {}
        if group is not None:
            stats = group.find("media:community/media:statistics", _NS)
            rating = group.find("media:community/media:starRating", _NS)
            if stats is not None and _int(stats.get("views")) is not None:
                engagement["views"] = _int(stats.get("views"))
            if rating is not None and _int(rating.get("count")) is not None:
                engagement["ratings"] = _int(rating.get("count"))
        published = timeutil.parse_time(_text(entry, "a:published") or _text(entry, "a:updated"))
        lead, _, rest = description.partition("\n\n")
        raw = {
            "videoId": video_id, "title": title, "description": description, "link": link,
            "published": _text(entry, "a:published"), "updated": _text(entry, "a:updated"),
            "author": {"name": author, "uri": _text(entry, "a:author/a:uri")},
            "channelId": _text(entry, "yt:channelId") or channel_id, "statistics": engagement,
        }
        docs.append(Document(
            url=link, title=title, lead=lead, body=rest, kind="post",
            platform="youtube", external_id=f"yt:{video_id}", author=author, published_at=published,
            engagement=engagement, meta={"feed_url": url, "video_id": video_id},
            raw=json.dumps(raw, ensure_ascii=False).encode("utf-8"),
        ))
    oldest = timeutil.parse_time("1970-01-01T00:00:00+00:00")
    docs.sort(key=lambda d: d.published_at or oldest, reverse=True)
    return docs


def statistics_url(video_ids: list[str], key: str, *, base: str = API_URL) -> str:
    """The Data API ``videos.list`` URL asking the statistics (only) of up to 50 videos."""
    return f"{base}?{urlencode({'part': 'statistics', 'id': ','.join(video_ids[:50]), 'key': key})}"


def parse_statistics(content: bytes) -> dict[str, dict[str, int]]:
    """``{video_id: {"views", "likes", "comments"}}`` from a Data API ``videos.list`` answer.

    Counts YouTube hides (likes or comments turned off) are left out; an answer that is not the
    expected JSON raises :class:`ParseError` (reason ``api_error`` with the API's own message when
    it gives one, e.g. a bad key or an exhausted quota)."""
    data = api_json(content, "YouTube", "YouTube API")
    out: dict[str, dict[str, int]] = {}
    for item in data.get("items") or []:
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            continue
        stats = item.get("statistics") if isinstance(item.get("statistics"), dict) else {}
        counts = {name: _int(stats.get(field)) for name, field in
                  (("views", "viewCount"), ("likes", "likeCount"), ("comments", "commentCount"))}
        out[item["id"]] = {k: v for k, v in counts.items() if v is not None}
    return out
