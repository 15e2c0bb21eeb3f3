"""Authors' handles kept out of the store: the salted hash, and scrubbing of raw payloads and metadata.

With the installation setting ``hash_authors`` on (the default), no clear handle, name, e-mail address or
profile URL of an author may be written anywhere. The store hashes ``Document.author``; this module does
the same for what comes with a document: the raw payload kept "as received" (an imported row's original
JSON with ``"from": {"name": …}``, a CSV row's ``Tác giả`` column, a feed entry's ``author_detail``), and
``meta["author"]`` set by the feed and page parsers.

The scrubber is generic rather than written per platform: exports of Facebook, TikTok, Zalo, YouTube,
X and feeds nest their author in many shapes, so

- a value under an *author key* (``author``, ``authorMeta``, ``from``, ``user``, ``owner``, ``sender``,
  ``channelTitle``, ``email``, ``Tác giả``, ``Người đăng``… at any depth; see :func:`is_author_key`) is
  hashed whole: every string and identifier inside it;
- anywhere in the payload, a string that is an e-mail address or a social platform's profile URL
  (``facebook.com/ten.nguoi``, ``tiktok.com/@ten``, ``youtube.com/@kenh``, ``zalo.me/0912…``) is hashed;
- anywhere in the payload, a string equal to a handle already known for the document (the mapped author
  column of an import, whatever its name) is hashed;
- a payload that is not JSON (a page's HTML) has the known author names replaced where they occur;
- a social platform's post URL that names its account (``x.com/ten/status/1``, ``tiktok.com/@ten/video/1``,
  ``facebook.com/ten/posts/1``, ``t.me/kenh/5``…), in the payload and as the document's own link, is
  rewritten by :func:`handle_free_url`: the platform's handle-free form where it has one
  (``x.com/i/status/1``, ``tiktok.com/@/video/1``, ``instagram.com/p/…``, ``youtube.com/post/…``), else
  the handle segment replaced by its hash. The rewrite is deterministic, so the same post still gets the
  same document key (dedupe keeps working).

Hashes are :func:`hash_handle` of the value, the same salted BLAKE2b as ``documents.author_hash``, so a
payload's author still groups with the document's author without revealing it.
"""

from __future__ import annotations

import functools
import hashlib
import html
import json
import re
import unicodedata
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

__all__ = [
    "handle_free_url",
    "hash_handle",
    "is_author_key",
    "is_email",
    "is_profile_url",
    "normalize_handle",
    "scrub_document",
    "keeps_post_urls",
    "scrub_raw",
    "scrub_stored_appearances",
    "scrub_stored_documents",
    "scrub_value",
    "url_scrubber",
]


def normalize_handle(handle: str) -> str:
    """The form a handle is hashed in: trimmed, lower case, without a leading ``@``."""
    return unicodedata.normalize("NFC", handle).strip().lower().lstrip("@")


def hash_handle(handle: str, salt: str) -> str:
    """The salted hash stored for an author handle (32 hex digits)."""
    digest = hashlib.blake2b(normalize_handle(handle).encode(), key=salt.encode(), digest_size=16)
    return digest.hexdigest()


# -- what is an author -------------------------------------------------------------------------------

def _fold_key(key: str) -> str:
    text = unicodedata.normalize("NFD", str(key).replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in text.lower() if c.isalnum() and not unicodedata.combining(c))


# Folded key names (lower case, no diacritics, letters and digits only).
_AUTHOR_EXACT = frozenset({
    "from", "by", "owner", "sender", "poster", "postedby", "account", "accountname", "page", "pagename",
    "fromname", "fromid", "commenter", "reviewer", "channel", "uploader", "uploaderid", "uploaderurl",
    "actor", "actors", "member", "members", "profile", "person", "people", "ten", "hoten", "hovaten",
})
_AUTHOR_PARTS = (
    "author", "creator", "contributor", "handle", "username", "screenname", "nickname", "uniqueid",
    "displayname", "email", "mail", "sender", "profile", "avatar", "channeltitle", "channelid", "channelurl",
    "tacgia", "nguoidang", "nguoiviet", "nguoigui", "nguoibinhluan", "taikhoan", "trangcanhan", "hoso",
    "sodienthoai", "phone",
)
_AUTHOR_PREFIXES = ("user", "owner", "poster", "from")
# Counts inside an author's record (followers, likes) say nothing of who it is: kept.
_COUNT_PARTS = ("count", "follower", "following", "friend", "heart", "like", "digg", "video", "total")


def is_author_key(key: Any) -> bool:
    """Whether a JSON key or column name holds (part of) an author's identity, in any export's spelling."""
    return _is_author_key(str(key))


@functools.lru_cache(maxsize=8192)  # an export repeats the same few keys on every row
def _is_author_key(key: str) -> bool:
    folded = _fold_key(key)
    if not folded:
        return False
    if folded in _AUTHOR_EXACT or folded.startswith(_AUTHOR_PREFIXES):
        return True
    return any(part in folded for part in _AUTHOR_PARTS)


_EMAIL = re.compile(r"^\s*(mailto:)?[\w.+'-]+@[\w-]+(\.[\w-]+)+\s*$", re.UNICODE)

_SOCIAL = {
    "facebook.com", "fb.com", "fb.me", "instagram.com", "tiktok.com", "youtube.com", "youtu.be",
    "zalo.me", "twitter.com", "x.com", "threads.net", "t.me", "linkedin.com", "lotus.vn", "gapo.vn",
}
# The host names of _SOCIAL and their domain endings, written once for the expressions below.
_SOCIAL_NAMES = "facebook|fb|instagram|tiktok|youtube|youtu|zalo|twitter|x|threads|t|linkedin|lotus|gapo"
_SOCIAL_ENDINGS = r"\.(?:com|me|be|net|vn)\b"
_SOCIAL_HINT = re.compile(f"(?:{_SOCIAL_NAMES}){_SOCIAL_ENDINGS}", re.I)
# What every _SOCIAL_HINT match contains: searched first, in well under a microsecond where the hint's
# alternation at every position of a long text (an article's summary) took tens of microseconds.
_SOCIAL_TLD = re.compile(_SOCIAL_ENDINGS, re.I)
# The hint's host names, at the end of the few characters before one of those endings: a hint match is
# a host name right before a _SOCIAL_TLD match (the two share the ending's expression, and each ending
# match starts at its only dot, so finditer meets every place one can start).
_SOCIAL_NAME_BEFORE = re.compile(f"(?:{_SOCIAL_NAMES})\\Z", re.I)
# the longest host name ("instagram"); re.I never folds one character into two
_SOCIAL_NAME_MAX = max(map(len, _SOCIAL_NAMES.split("|")))


def _social_hint(text: str) -> bool:
    """Whether ``text`` names a social platform's host (``_SOCIAL_HINT``, answered exactly: the host
    names are tested only before the domain endings, not tried at every position of a long text)."""
    before = _SOCIAL_NAME_BEFORE.search
    for m in _SOCIAL_TLD.finditer(text):
        start = m.start()
        if start and before(text, max(0, start - _SOCIAL_NAME_MAX), start):
            return True
    return False


# First path segments on those hosts that are pages of the platform, not people.
_NOT_PEOPLE = frozenset({
    "watch", "groups", "events", "photo", "photo.php", "photos", "permalink.php", "story.php", "share",
    "sharer", "sharer.php", "reel", "reels", "videos", "video", "hashtag", "search", "explore", "p", "tv",
    "shorts", "playlist", "results", "login", "home", "i", "intent", "status", "tag", "music", "embed",
    "live", "feed", "posts", "watch?v", "",
})


def is_email(value: str) -> bool:
    """Whether ``value`` is an e-mail address (with or without ``mailto:``)."""
    return "@" in value and len(value) < 320 and bool(_EMAIL.match(value))


def is_profile_url(value: str) -> bool:
    """Whether ``value`` is the URL of a person's profile or channel on a social platform (not a post)."""
    text = value.strip()
    if len(text) > 2000 or "/" not in text or not _social_hint(text):
        return False
    if not re.match(r"^(https?:)?//|^(www\.|m\.)?[a-z]+\.[a-z]+/", text, re.I):
        return False
    try:
        parts = urlsplit(text if "//" in text else "https://" + text)
    except ValueError:
        return False
    host = (parts.hostname or "").lower()
    for prefix in ("www.", "m.", "mobile.", "vt.", "vm.", "web.", "mbasic."):
        host = host.removeprefix(prefix)
    if host not in _SOCIAL:
        return False
    segments = [s for s in parts.path.split("/") if s]
    if not segments:
        return False
    first = segments[0].lower()
    if first == "profile.php":
        return True
    if host in {"youtube.com"} and first in {"channel", "c", "user"} and len(segments) >= 2:
        return len(segments) <= 3
    if first.startswith("@"):
        return len(segments) == 1 or segments[1].lower() in {"videos", "featured", "about", "streams", "shorts"}
    if first in _NOT_PEOPLE or host in {"youtu.be", "fb.me"}:
        return False
    return len(segments) == 1


# -- post URLs that name their account --------------------------------------------------------------

_HOST_PREFIXES = ("www.", "m.", "mobile.", "web.", "mbasic.", "touch.", "vt.", "vm.")
_URL_HOSTS = _SOCIAL | {"telegram.me", "threads.com", "twitter.com"}
# Query parameters that name a channel or the sharing account: dropped on every social host (and any
# ``__cft__``/``__tn__``-style parameter, Facebook's encoded click context).
_DROPPED_PARAMS = frozenset({"ab_channel", "igsh", "igshid"})
# Facebook parameters that hold an account's id (permalink.php?story_fbid=…&id=…): hashed.
_FB_PERSON_PARAMS = frozenset({"id", "user", "profile_id", "owner_id"})
# First path segments that are the platform's own pages, per platform.
_X_PAGES = frozenset({"i", "intent", "search", "hashtag", "home", "explore", "settings", "notifications",
                      "messages", "compose", "share", "login", "logout", "signup", "tos", "privacy"})
_FB_PAGES = frozenset({
    "watch", "groups", "events", "photo.php", "photo", "hashtag", "search", "share", "sharer", "sharer.php",
    "reel", "reels", "story.php", "permalink.php", "login", "login.php", "home.php", "marketplace", "gaming",
    "help", "policies", "privacy", "ads", "business", "plugins", "dialog", "media", "video.php", "l.php",
    "live", "fundraisers", "stories", "notes", "profile.php", "people", "pages", "messages", "settings",
})
_IG_PAGES = frozenset({"p", "reel", "reels", "tv", "explore", "stories", "accounts", "direct", "about",
                       "developer", "legal", "web", "challenge"})
_YT_PAGES = frozenset({"watch", "shorts", "playlist", "results", "embed", "live", "post", "feed", "channel", "c",
                       "user", "hashtag", "redirect", "attribution_link", "premium", "gaming", "music", "v",
                       "t", "about", "account", "kids", "source", "clip", "podcasts", "trending"})
_TG_PAGES = frozenset({"joinchat", "addstickers", "addemoji", "share", "proxy", "socks", "iv", "login",
                       "setlanguage", "bg", "addtheme", "confirmphone", "invoice", "boost"})
_LI_PAGES = frozenset({"feed", "company", "school", "jobs", "learning", "pulse", "showcase", "groups", "events",
                       "search", "login", "signup", "help", "legal", "news"})


def _social_host(host: str) -> str:
    host = host.lower().rstrip(".")
    changed = True
    while changed:
        changed = False
        for prefix in _HOST_PREFIXES:
            if host.startswith(prefix) and host.count(".") >= 2:
                host, changed = host[len(prefix):], True
    return host


def _handle_free_path(host: str, segs: list[str], query: dict[str, str], h: Hasher) -> list[str]:
    """The path segments of a social URL with the account taken out (``query`` may be changed)."""
    first = segs[0].lower() if segs else ""
    if host in ("x.com", "twitter.com"):
        if not segs or first in _X_PAGES:
            return segs
        if len(segs) >= 3 and segs[1].lower() in ("status", "statuses"):
            return ["i", "status", *segs[2:]]
        return [h(segs[0]), *segs[1:]]
    if host == "tiktok.com":
        if first.startswith("@"):
            if len(segs) >= 3 and segs[1].lower() in ("video", "photo"):
                return ["@", *segs[1:]]
            return [h(segs[0]), *segs[1:]] if segs[0] != "@" else segs
        return segs
    if host in ("youtube.com", "youtu.be"):
        if first.startswith("@"):
            if len(segs) >= 2 and segs[1].lower() in ("community", "posts") and query.get("lb"):
                return ["post", query.pop("lb")]
            return [h(segs[0]), *segs[1:]]
        if first in ("channel", "c", "user") and len(segs) >= 2:
            return [segs[0], h(segs[1]), *segs[2:]]
        if host == "youtube.com" and segs and first not in _YT_PAGES:
            return [h(segs[0]), *segs[1:]]  # a legacy vanity URL (youtube.com/TenKenh)
        return segs
    if host in ("facebook.com", "fb.com", "fb.me"):
        if not segs:
            return segs
        if first in ("people", "pages") and len(segs) >= 2:
            return [segs[0], *(h(s) for s in segs[1:3]), *segs[3:]]
        if first == "groups" and len(segs) >= 4 and segs[2].lower() == "user":
            return [*segs[:3], h(segs[3]), *segs[4:]]
        if first in _FB_PAGES:
            return segs
        return [h(segs[0]), *segs[1:]]
    if host == "instagram.com":
        if not segs:
            return segs
        if first == "stories" and len(segs) >= 2 and segs[1].lower() != "highlights":
            return [segs[0], h(segs[1]), *segs[2:]]
        if first in _IG_PAGES:
            return segs
        if len(segs) >= 3 and segs[1].lower() in ("p", "reel", "reels", "tv"):
            return segs[1:]
        return [h(segs[0]), *segs[1:]]
    if host in ("t.me", "telegram.me"):
        if not segs or first in _TG_PAGES or first.startswith("+"):
            return segs
        if first in ("s", "c") and len(segs) >= 2:
            return [segs[0], h(segs[1]), *segs[2:]]
        return [h(segs[0]), *segs[1:]]
    if host == "linkedin.com":
        if len(segs) >= 2 and first == "posts":
            m = re.search(r"activity-(\d+)", segs[1])
            return ["feed", "update", f"urn:li:activity:{m.group(1)}"] if m else [segs[0], h(segs[1]), *segs[2:]]
        if len(segs) >= 2 and first in ("in", "pub"):
            return [segs[0], h(segs[1]), *segs[2:]]
        return segs
    if host == "zalo.me":
        if segs and first not in ("g", "s", "pc", "app", "download"):
            return [h(segs[0]), *segs[1:]]
        return segs
    # threads.net, lotus.vn, gapo.vn and the rest: an ``@handle`` segment, or a profile-shaped link.
    if segs and (first.startswith("@") or (len(segs) == 1 and first not in _NOT_PEOPLE)):
        return [h(segs[0]), *segs[1:]]
    return segs


_URL_SHAPE = re.compile(r"^(https?:)?//\S+$|^[\w.-]+\.[a-z]{2,}/\S*$", re.I)


def handle_free_url(url: Any, hasher: Hasher) -> Any:
    """``url`` without the account of the person who posted it, when it is a social platform's link.

    A post link keeps what finds the post and loses what names the account: the platform's handle-free
    form where one exists (``x.com/i/status/ID``, ``tiktok.com/@/video/ID``, ``instagram.com/p/CODE``,
    ``youtube.com/post/ID``, ``linkedin.com/feed/update/urn:li:activity:ID``), otherwise the handle
    segment replaced by its hash (``facebook.com/<hash>/posts/ID``, ``t.me/<hash>/5``); a profile or
    channel link becomes ``host/<hash>``; parameters that name a person (``ab_channel``, ``id``,
    ``igsh``…) are dropped. Any other value (not a string, not a social host) is returned unchanged, and
    so is an already rewritten link (hashes are not hashed again).
    """
    if not isinstance(url, str) or len(url) > 4000 or not _social_hint(url):
        return url
    text = url.strip()
    if not _URL_SHAPE.match(text):
        return url
    try:
        parts = urlsplit(text if "//" in text else "https://" + text)
    except ValueError:
        return url
    if parts.scheme.lower() not in ("http", "https", ""):
        return url
    host = _social_host(parts.hostname or "")
    if host not in _URL_HOSTS:
        return url

    def h(segment: str) -> str:
        return segment if _HASH.match(segment) else hasher(segment)

    segs = [s for s in parts.path.split("/") if s]
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    query = dict(pairs)
    new_segs = _handle_free_path(host, segs, query, h)
    facebook = host in ("facebook.com", "fb.com", "fb.me")
    new_pairs = [
        (k, h(v) if facebook and k.lower() in _FB_PERSON_PARAMS and v else v)
        for k, v in pairs
        if k in query and k.lower() not in _DROPPED_PARAMS and not k.startswith("__")
    ]
    if new_segs == segs and new_pairs == pairs:
        return url
    path = ("/" + "/".join(new_segs)) if new_segs != segs else parts.path
    out = urlunsplit((parts.scheme, parts.netloc, path, urlencode(new_pairs), parts.fragment))
    return out if "//" in text else out.split("//", 1)[1]


def url_scrubber(db) -> Callable[[Any], Any] | None:
    """:func:`handle_free_url` with the installation's salt, or None when ``hash_authors`` is off (read
    from the database itself, as the ingest path does). Call it before opening a write transaction: the
    salt is created on first use."""
    from kiemchung.store import settings

    if settings.current(db, "hash_authors") == "0":
        return None
    salt = db.installation_salt()
    return lambda url: handle_free_url(url, lambda handle: hash_handle(handle, salt))


# -- scrubbing -----------------------------------------------------------------------------------------

Hasher = Callable[[str], str]
_HASH = re.compile(r"^[0-9a-f]{32}$")


@functools.lru_cache(maxsize=8192)
def _is_count_key(key: Any) -> bool:
    folded = _fold_key(key)
    return any(part in folded for part in _COUNT_PARTS)


def _hash_all(value: Any, hasher: Hasher) -> Any:
    """Every string and identifier inside an author's value, hashed (structure and counts kept)."""
    if isinstance(value, str):
        # An already hashed value stays as it is, so scrubbing twice changes nothing.
        return hasher(value) if value.strip() and not _HASH.match(value) else value
    if isinstance(value, bool) or value is None or isinstance(value, float):
        return value
    if isinstance(value, int):
        return hasher(str(value))
    if isinstance(value, dict):
        return {
            k: (v if (_is_count_key(k) and isinstance(v, (int, float)) and not isinstance(v, bool))
                else _hash_all(v, hasher))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_hash_all(v, hasher) for v in value]
    return value


def scrub_value(
    value: Any, hasher: Hasher, known: Callable[[str], bool] = lambda s: False, *, post_urls: bool = True
) -> Any:
    """A copy of a JSON-like value with every author's identity hashed (see the module's rules).

    ``known(text)`` says whether a string is a handle already known for this document. With
    ``post_urls`` (the default) a social post link that names its account is made handle-free
    (:func:`handle_free_url`); an official statement's payload keeps its links (``post_urls=False``).
    """
    if isinstance(value, dict):
        return {
            k: (_hash_all(v, hasher) if is_author_key(k) else scrub_value(v, hasher, known, post_urls=post_urls))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [scrub_value(v, hasher, known, post_urls=post_urls) for v in value]
    if isinstance(value, str) and value.strip():
        if "@" not in value and not _social_hint(value):
            # Neither an e-mail address, nor a profile or post link (both need a platform's host): only
            # a known handle is hashed (the tests below, without looking for the host twice).
            return hasher(value) if known(value) else value
        if is_email(value) or is_profile_url(value) or known(value):
            return hasher(value)
        if post_urls:
            return handle_free_url(value, hasher)
    return value


def _never_known(text: str) -> bool:
    return False


def _known_test(values: Iterable[str], hashes: Iterable[str], hasher: Hasher) -> Callable[[str], bool]:
    clear = {normalize_handle(v) for v in values if v and normalize_handle(v)}
    hashed = set(hashes)
    if not clear and not hashed:
        return _never_known

    def known(text: str) -> bool:
        if len(text) > 300:
            return False
        return normalize_handle(text) in clear or (bool(hashed) and hasher(text) in hashed)

    return known


class JSONBytes(bytes):
    """Raw bytes of a JSON document (UTF-8) that also carry ``parsed``, the value ``json.loads`` gives
    for them: a JSON Lines import has parsed each line already, and :func:`scrub_raw` uses that value
    instead of decoding and parsing the bytes a second time. Stored as the bytes they are."""

    parsed: Any

    def __new__(cls, data: bytes, parsed: Any) -> JSONBytes:
        out = super().__new__(cls, data)
        out.parsed = parsed
        return out

    def __reduce__(self):  # copies and pickles (a queued document) keep both
        return JSONBytes, (bytes(self), self.parsed)


def scrub_raw(
    raw: bytes | str | dict | list | None,
    hasher: Hasher,
    *,
    known: Iterable[str] = (),
    known_hashes: Iterable[str] = (),
    encoding: str | None = None,
    post_urls: bool = True,
) -> bytes | str | dict | list | None:
    """The raw payload with every author's identity hashed; the same type as given.

    JSON (bytes, text or already parsed) is scrubbed structurally; any other payload (HTML, XML) has
    the ``known`` author values (also HTML-escaped, and in ``encoding``) replaced by their hash.
    ``known_hashes`` are hashes of handles whose clear form is not at hand (the store's
    ``author_hash``): a string of the payload that hashes to one of them is hashed too.
    """
    if raw is None:
        return None
    known = [k for k in known if k and k.strip()]
    test = _known_test(known, known_hashes, hasher)
    if isinstance(raw, (dict, list)):
        return scrub_value(raw, hasher, test, post_urls=post_urls)
    if type(raw) is JSONBytes:  # parsed already: the same value as decoding and parsing the bytes
        out = json.dumps(scrub_value(raw.parsed, hasher, test, post_urls=post_urls), ensure_ascii=False, default=str)
        return out.encode("utf-8")
    as_text = raw if isinstance(raw, str) else None
    if as_text is None:
        try:
            as_text = raw.decode("utf-8")
        except UnicodeDecodeError:
            as_text = None
    if as_text is not None and as_text.lstrip()[:1] in ("{", "["):
        try:
            parsed = json.loads(as_text)
        except ValueError:
            parsed = None
        if parsed is not None:
            out = json.dumps(scrub_value(parsed, hasher, test, post_urls=post_urls), ensure_ascii=False, default=str)
            return out if isinstance(raw, str) else out.encode("utf-8")
    if isinstance(raw, str):
        for value in sorted(known, key=len, reverse=True):
            raw = raw.replace(value, hasher(value)).replace(html.escape(value), hasher(value))
        return raw
    for value in sorted(known, key=len, reverse=True):
        forms = {value, html.escape(value), value.encode("ascii", "xmlcharrefreplace").decode()}
        for form in forms:
            for codec in {"utf-8", encoding or "utf-8"}:
                try:
                    raw = raw.replace(form.encode(codec), hasher(value).encode())
                except (LookupError, UnicodeEncodeError):
                    continue
    return raw


_URL_IN_TEXT = re.compile(r"https?://[^\s<>\"')]+", re.I)


def _links_in_text(value: Any, hasher: Hasher) -> Any:
    """Metadata (not content) with the social links inside its sentences made handle-free, e.g. a fetch
    error "… khi tải https://x.com/ten/status/1 (timeout)" kept in ``meta``."""
    if isinstance(value, dict):
        return {k: _links_in_text(v, hasher) for k, v in value.items()}
    if isinstance(value, list):
        return [_links_in_text(v, hasher) for v in value]
    if isinstance(value, str) and "://" in value and _social_hint(value):
        return _URL_IN_TEXT.sub(lambda m: handle_free_url(m.group(0), hasher), value)
    return value


def keeps_post_urls(kind: str | None) -> bool:
    """Whether documents of ``kind`` keep their social links as given: official statements do.

    The project tells organisations from people by the document's kind: an ``official`` statement comes
    from a source an editor declared an agency's (a feed's ``doc_kind``, ``import --kind official``), and
    its link must open when it is cited as evidence. Its author is hashed like any other."""
    return kind == "official"


def scrub_document(doc, hasher: Hasher) -> None:
    """Hash every author identity that came with ``doc`` (in place): ``meta["author"]`` (moved to
    ``doc.author`` when that is empty, so the store hashes it), any author key of ``meta``, the raw
    payload, and the account in the document's own social link (``doc.url``, see
    :func:`handle_free_url`; not for official statements). ``doc.author`` itself stays clear here: the
    store hashes it."""
    post_urls = not keeps_post_urls(doc.kind)
    if post_urls:
        doc.url = handle_free_url(doc.url, hasher)
    meta = dict(doc.meta or {})
    names: list[str] = []
    meta_author = meta.pop("author", None)
    if isinstance(meta_author, str) and meta_author.strip():
        names.append(meta_author)
        if not doc.author:
            doc.author = meta_author
    if doc.author:
        names.append(doc.author)
    test = _known_test(names, (), hasher)
    doc.meta = scrub_value(meta, hasher, test, post_urls=post_urls)
    if post_urls:
        doc.meta = _links_in_text(doc.meta, hasher)
    encoding = meta.get("encoding") if isinstance(meta.get("encoding"), str) else None
    doc.raw = scrub_raw(doc.raw, hasher, known=names, encoding=encoding, post_urls=post_urls)


# -- documents already stored ----------------------------------------------------------------------

def scrub_stored_documents(conn, salt: str, *, batch: int = 500) -> int:
    """Rewrite stored documents that hold an author in clear (raw payload, ``meta["author"]``, an
    ``author_hash`` kept while hashing was off, or a post link naming its account), by the rules above;
    returns how many changed. A rewritten link gets the document key the ingest path now gives it, so
    the same post imported again is still recognised.

    Runs inside the caller's write transaction (``conn``): migration 0011, and turning
    ``hash_authors`` back on. Idempotent: hashes are never hashed again."""
    import sqlalchemy as sa

    documents = sa.table(
        "documents",
        sa.column("id", sa.Integer),
        sa.column("doc_key", sa.String),
        sa.column("url", sa.Text),
        sa.column("kind", sa.String),
        sa.column("author_hash", sa.String),
        sa.column("meta", sa.JSON),
        sa.column("raw", sa.LargeBinary),
    )

    def hasher(text: str) -> str:
        return hash_handle(text, salt)

    changed = 0
    last = 0
    while True:
        rows = conn.execute(
            sa.select(documents).where(documents.c.id > last).order_by(documents.c.id).limit(batch)
        ).all()
        if not rows:
            return changed
        for row in rows:
            last = row.id
            values = _scrubbed_row(row, hasher)
            if "doc_key" in values and conn.execute(
                sa.select(documents.c.id).where(documents.c.doc_key == values["doc_key"])
            ).first() is not None:
                del values["doc_key"]  # the same post stored twice under two links: both kept, as they were
            if values:
                conn.execute(sa.update(documents).where(documents.c.id == row.id).values(**values))
                changed += 1


_LINK_KEYS = frozenset({"appearances", "first_appearance"})


def _scrub_links(value: Any, scrub: Callable[[Any], Any], under: bool = False) -> Any:
    """``value`` with every string under an ``appearances``/``first_appearance`` key (at any depth)
    passed through ``scrub``; the rest (evidence, the fact-check's own URL) as it was."""
    if isinstance(value, dict):
        return {k: _scrub_links(v, scrub, under or k in _LINK_KEYS) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub_links(v, scrub, under) for v in value]
    if under and isinstance(value, str):
        return scrub(value)
    return value


def scrub_stored_appearances(conn, salt: str) -> int:
    """Make the stored appearances of fact-checks (where a claim was seen: usually people's posts)
    handle-free, in the fact-checks, their version snapshots, pending revisions and the audit log;
    returns how many rows changed. Runs inside the caller's write transaction (migration 0016, and
    turning ``hash_authors`` back on); idempotent."""
    import sqlalchemy as sa

    def scrub(url: Any) -> Any:
        return handle_free_url(url, lambda handle: hash_handle(handle, salt))

    changed = 0
    fcs = sa.table("factchecks", sa.column("id", sa.Integer), sa.column("appearances", sa.JSON),
                   sa.column("first_appearance", sa.Text), sa.column("meta", sa.JSON))
    for row in conn.execute(sa.select(fcs)).all():
        values = {}
        apps = list(dict.fromkeys(scrub(u) for u in (row.appearances or [])))
        if apps != list(row.appearances or []):
            values["appearances"] = apps
        if row.first_appearance and scrub(row.first_appearance) != row.first_appearance:
            values["first_appearance"] = scrub(row.first_appearance)
        if isinstance(row.meta, dict) and _scrub_links(row.meta, scrub) != row.meta:
            values["meta"] = _scrub_links(row.meta, scrub)
        if values:
            conn.execute(sa.update(fcs).where(fcs.c.id == row.id).values(**values))
            changed += 1
    versions = sa.table("factcheck_versions", sa.column("id", sa.Integer), sa.column("snapshot", sa.JSON))
    for row in conn.execute(sa.select(versions)).all():
        new = _scrub_links(row.snapshot, scrub)
        if new != row.snapshot:
            conn.execute(sa.update(versions).where(versions.c.id == row.id).values(snapshot=new))
            changed += 1
    audit = sa.table("audit_log", sa.column("id", sa.Integer), sa.column("before", sa.Text),
                     sa.column("after", sa.Text))
    for row in conn.execute(sa.select(audit).where(sa.or_(audit.c.before.like("%appearance%"),
                                                          audit.c.after.like("%appearance%")))).all():
        values = {}
        for col in ("before", "after"):
            text = getattr(row, col)
            try:
                data = json.loads(text) if text else None
            except ValueError:
                continue
            new = _scrub_links(data, scrub)
            if new != data:
                values[col] = json.dumps(new, ensure_ascii=False, default=str, sort_keys=True)
        if values:
            conn.execute(sa.update(audit).where(audit.c.id == row.id).values(**values))
            changed += 1
    return changed


def _scrubbed_row(row, hasher: Hasher) -> dict:
    """The columns of one stored document that change, or {} when it holds no clear handle."""
    import zlib

    values: dict = {}
    post_urls = not keeps_post_urls(row.kind)
    if post_urls and row.url:
        url = handle_free_url(row.url, hasher)
        if url != row.url:
            from kiemchung.dedupe import doc_key

            values["url"] = url
            if row.doc_key == doc_key(url=row.url, source=None, external_id=None, chash=""):
                values["doc_key"] = doc_key(url=url, source=None, external_id=None, chash="")
    meta = dict(row.meta or {}) if isinstance(row.meta, dict) else {}
    author_hash = row.author_hash
    names: list[str] = []
    meta_author = meta.pop("author", None)
    if isinstance(meta_author, str) and meta_author.strip():
        names.append(meta_author)
    if author_hash and not _HASH.match(author_hash):
        names.append(author_hash)  # stored in clear while hashing was off
        author_hash = hasher(author_hash)
    elif not author_hash and names:
        author_hash = hasher(names[0])
    if author_hash != row.author_hash:
        values["author_hash"] = author_hash
    test = _known_test(names, {author_hash} if author_hash else (), hasher)
    new_meta = scrub_value(meta, hasher, test, post_urls=post_urls)
    if post_urls:
        new_meta = _links_in_text(new_meta, hasher)
    if row.meta is not None and new_meta != row.meta:
        values["meta"] = new_meta
    if row.raw is not None:
        try:
            raw = zlib.decompress(row.raw)
        except zlib.error:
            raw = None
        if raw is not None:
            encoding = meta.get("encoding") if isinstance(meta.get("encoding"), str) else None
            new_raw = scrub_raw(raw, hasher, known=names, known_hashes={author_hash} if author_hash else (),
                                encoding=encoding, post_urls=post_urls)
            if new_raw != raw and not _same_json(raw, new_raw):
                values["raw"] = zlib.compress(new_raw, 6)
    return values


def _same_json(a: bytes, b: bytes) -> bool:
    """Whether two payloads are the same JSON (re-encoding alone is not a change)."""
    try:
        return json.loads(a) == json.loads(b)
    except ValueError:
        return False
