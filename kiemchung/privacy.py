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
- a payload that is not JSON (a page's HTML) has the known author names replaced where they occur.

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
from urllib.parse import urlsplit

__all__ = [
    "hash_handle",
    "is_author_key",
    "is_email",
    "is_profile_url",
    "normalize_handle",
    "scrub_document",
    "scrub_raw",
    "scrub_stored_documents",
    "scrub_value",
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
_SOCIAL_HINT = re.compile(r"(?:facebook|fb|instagram|tiktok|youtube|youtu|zalo|twitter|x|threads|t|linkedin|lotus|gapo)"
                          r"\.(?:com|me|be|net|vn)\b", re.I)
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
    if len(text) > 2000 or "/" not in text or not _SOCIAL_HINT.search(text):
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


def scrub_value(value: Any, hasher: Hasher, known: Callable[[str], bool] = lambda s: False) -> Any:
    """A copy of a JSON-like value with every author's identity hashed (see the module's rules).

    ``known(text)`` says whether a string is a handle already known for this document.
    """
    if isinstance(value, dict):
        return {
            k: (_hash_all(v, hasher) if is_author_key(k) else scrub_value(v, hasher, known))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [scrub_value(v, hasher, known) for v in value]
    if isinstance(value, str) and value.strip() and (is_email(value) or is_profile_url(value) or known(value)):
        return hasher(value)
    return value


def _known_test(values: Iterable[str], hashes: Iterable[str], hasher: Hasher) -> Callable[[str], bool]:
    clear = {normalize_handle(v) for v in values if v and normalize_handle(v)}
    hashed = set(hashes)

    def known(text: str) -> bool:
        if len(text) > 300:
            return False
        return normalize_handle(text) in clear or (bool(hashed) and hasher(text) in hashed)

    return known


def scrub_raw(
    raw: bytes | str | dict | list | None,
    hasher: Hasher,
    *,
    known: Iterable[str] = (),
    known_hashes: Iterable[str] = (),
    encoding: str | None = None,
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
        return scrub_value(raw, hasher, test)
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
            out = json.dumps(scrub_value(parsed, hasher, test), ensure_ascii=False, default=str)
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


def scrub_document(doc, hasher: Hasher) -> None:
    """Hash every author identity that came with ``doc`` (in place): ``meta["author"]`` (moved to
    ``doc.author`` when that is empty, so the store hashes it), any author key of ``meta``, and the raw
    payload. ``doc.author`` itself stays clear here: the store hashes it."""
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
    doc.meta = scrub_value(meta, hasher, test)
    encoding = meta.get("encoding") if isinstance(meta.get("encoding"), str) else None
    doc.raw = scrub_raw(doc.raw, hasher, known=names, encoding=encoding)


# -- documents already stored ----------------------------------------------------------------------

def scrub_stored_documents(conn, salt: str, *, batch: int = 500) -> int:
    """Rewrite stored documents that hold an author in clear (raw payload, ``meta["author"]``, or an
    ``author_hash`` kept while hashing was off), by the rules above; returns how many changed.

    Runs inside the caller's write transaction (``conn``): migration 0011, and turning
    ``hash_authors`` back on. Idempotent: hashes are never hashed again."""
    import sqlalchemy as sa

    documents = sa.table(
        "documents",
        sa.column("id", sa.Integer),
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
            if values:
                conn.execute(sa.update(documents).where(documents.c.id == row.id).values(**values))
                changed += 1


def _scrubbed_row(row, hasher: Hasher) -> dict:
    """The columns of one stored document that change, or {} when it holds no clear handle."""
    import zlib

    values: dict = {}
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
    new_meta = scrub_value(meta, hasher, test)
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
                                encoding=encoding)
            if new_raw != raw and not _same_json(raw, new_raw):
                values["raw"] = zlib.compress(new_raw, 6)
    return values


def _same_json(a: bytes, b: bytes) -> bool:
    """Whether two payloads are the same JSON (re-encoding alone is not a change)."""
    try:
        return json.loads(a) == json.loads(b)
    except ValueError:
        return False
