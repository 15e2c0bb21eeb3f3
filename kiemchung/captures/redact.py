"""Kept copies without authors' identifiers: what a capture keeps while ``hash_authors`` is on.

The installation's rule (:mod:`kiemchung.privacy`) is that nothing it stores or exports holds an
author's handle in clear while ``hash_authors`` is on. A kept page is somebody's page as published: it
can name its author in a meta tag, in JSON-LD, in a byline, as an ``@handle`` or a profile link. So the
capture stage keeps a *redacted* copy; the bytes as fetched are hashed (their SHA-256 stays the
capture's integrity figure) and never stored.

What is taken out of an HTML page, each replaced by :func:`kiemchung.privacy.hash_handle` of it (the
same salted hash as ``documents.author_hash``, so the same author still groups):

* ``<meta>`` whose ``name``/``property``/``itemprop`` is an author key in any spelling
  (:func:`~kiemchung.privacy.is_author_key`: ``author``, ``article:author``, ``twitter:creator``,
  ``profile:username``, ``dc.creator``…): the ``content``;
* ``<link rel="author|me">`` and ``<a rel="author">``: the address;
* JSON-LD (``<script type="application/ld+json">``): every value under an author key, by the payload
  scrubber (:func:`~kiemchung.privacy.scrub_value`), which also hashes e-mail addresses and profile
  URLs and makes post links handle-free;
* bylines: the text of an element whose ``class``, ``id``, ``itemprop`` or ``rel`` says author
  (``author``, ``byline``, ``tac-gia``, ``creator``…);
* everywhere (text, comments, attribute values, scripts): the names found above, e-mail addresses,
  ``@handle`` mentions (not in scripts or styles, where ``@`` is syntax), profile URLs (hashed) and
  social post links (made handle-free: :func:`~kiemchung.privacy.handle_free_url`).

The copy is re-encoded as UTF-8 (its charset declarations say so). A plain-text page gets the text
rules; any other type (a PDF, an image) cannot be read for names and is kept as fetched (noted on the
capture). The WARC's response record holds the redacted payload; its headers and a metadata record say
it was redacted and give the SHA-256 of the original bytes (:mod:`kiemchung.captures.warc`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from kiemchung.privacy import handle_free_url, hash_handle, is_author_key, is_email, is_profile_url, scrub_value

Hasher = Callable[[str], str]

_HASH = re.compile(r"^[0-9a-f]{32}$")
_EMAIL_IN_TEXT = re.compile(r"(?<![\w.+'-])[\w.+'-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# An @handle: not part of an e-mail address (nothing word-like before the @), 2-30 handle characters.
_MENTION = re.compile(r"(?<![\w@./:-])@([A-Za-z0-9_](?:[A-Za-z0-9_.]{0,28}[A-Za-z0-9_])?)(?![\w@])")
_URL_IN_TEXT = re.compile(r"(?:https?:)?//[^\s<>\"'()]+|(?<![\w.@/])(?:www\.|m\.)?(?:facebook|fb|instagram|tiktok"
                          r"|youtube|twitter|x|threads|zalo|linkedin)\.(?:com|me|net)/[^\s<>\"'()]+", re.I)
# class/id/rel/itemprop tokens (folded: lower case, letters and digits) that mark a byline. Narrower than
# the privacy module's author keys: a page's "user-menu" or "profile-link" is not a byline.
_BYLINE_PARTS = ("author", "byline", "creator", "tacgia", "nguoiviet", "writer", "reporter", "phongvien",
                 "username", "screenname", "nickname", "displayname", "handle")
_LABEL = re.compile(r"^\s*(?:by|bởi|theo|tác giả|người viết|phóng viên|pv|ảnh|bài)\s*[:.\-–]?\s*", re.I)
_MAX_NAME = 120


def author_hasher(db) -> Hasher | None:
    """The installation's handle hasher while ``hash_authors`` is on (read from the database itself:
    an admin may turn it on while a process runs), else None: pages are kept as fetched."""
    from kiemchung.store import settings

    if settings.current(db, "hash_authors") == "0":
        return None
    salt = db.installation_salt()
    return lambda handle: hash_handle(handle, salt)


@dataclass
class Redacted:
    """A page with its authors' identifiers taken out."""

    content: bytes
    content_type: str
    redactions: int = 0
    names: list[str] = field(default_factory=list)


class _Scrubber:
    """The text rules, counting what they replace; ``names`` grows as bylines are found."""

    def __init__(self, hasher: Hasher) -> None:
        self._hasher = hasher
        self.names: list[str] = []
        self.count = 0
        self._names_re: re.Pattern | None = None

    def hash(self, value: str) -> str:
        if _HASH.match(value.strip()):
            return value
        self.count += 1
        return self._hasher(value)

    def add_name(self, text: str) -> None:
        name = _LABEL.sub("", " ".join(text.split())).strip(" ,;|·-–")
        if 2 <= len(name) <= _MAX_NAME and not _HASH.match(name) and name not in self.names:
            self.names.append(name)
            self._names_re = None

    def handles_of(self, value: str) -> None:
        """Learn the account a social link names (a profile's handle, a post link's account), so that
        the same handle written elsewhere on the page is replaced too."""
        raw = value.strip()
        if not raw or "/" not in raw:
            return
        seen: list[str] = []
        handle_free_url(raw, lambda segment: seen.append(segment) or segment)
        if is_profile_url(raw):
            segs = [p for p in raw.split("?", 1)[0].split("/") if p]
            if segs:
                seen.append(segs[-1])
        for handle in seen:
            self.add_name(handle.lstrip("@"))

    def url(self, value: str) -> str:
        """A link: an e-mail or a profile hashed, a post link made handle-free."""
        raw = value.strip()
        if not raw:
            return value
        if raw.lower().startswith("mailto:") or is_email(raw):
            self.count += 1
            return "mailto:" + self._hasher(raw.split(":", 1)[1] if raw.lower().startswith("mailto:") else raw)
        self.handles_of(raw)
        free = handle_free_url(raw, self._hasher)
        if free != raw:
            self.count += 1
            return free
        if is_profile_url(raw):
            return self.hash(raw)
        return value

    def text(self, value: str, *, mentions: bool = True) -> str:
        """Text with known names, e-mail addresses, links and (``mentions``) @handles replaced."""
        if not value or not value.strip():
            return value
        if self.names:
            if self._names_re is None:
                alts = sorted({re.escape(n) for n in self.names}, key=len, reverse=True)
                self._names_re = re.compile(r"(?<!\w)(?:" + "|".join(alts) + r")(?!\w)", re.I)
            value = self._names_re.sub(lambda m: self.hash(m.group(0)), value)
        if "@" in value:
            value = _EMAIL_IN_TEXT.sub(lambda m: self.hash(m.group(0)), value)
            if mentions:
                value = _MENTION.sub(lambda m: "@" + self.hash(m.group(1)), value)
        if "/" in value:
            value = _URL_IN_TEXT.sub(lambda m: self.url(m.group(0)), value)
        return value


def redact_text(text: str, hasher: Hasher, names: list[str] = ()) -> tuple[str, int]:
    """``text`` with the names given, e-mail addresses, @handles and social links replaced; returns
    ``(text, how many replaced)``."""
    s = _Scrubber(hasher)
    for n in names:
        s.add_name(n)
    out = s.text(text)
    return out, s.count


def _tokens(el) -> list[str]:
    out = []
    for attr in ("class", "id", "rel", "itemprop"):
        out += (el.get(attr) or "").split()
    return out


def _is_byline(el) -> bool:
    for token in _tokens(el):
        folded = re.sub(r"[^a-z0-9]", "", token.lower())
        if any(part in folded for part in _BYLINE_PARTS):
            return True
    return False


def _author_meta(el) -> bool:
    for attr in ("name", "property", "itemprop"):
        value = el.get(attr)
        if value and is_author_key(value):
            return True
    return False


def _json_names(value, out: list[str], under: bool = False) -> None:
    """Every string under an author key of a JSON-LD value (collected before they are hashed)."""
    if isinstance(value, dict):
        for k, v in value.items():
            if not str(k).startswith("@"):  # JSON-LD keywords (@type, @id): not names
                _json_names(v, out, under or is_author_key(k))
    elif isinstance(value, list):
        for v in value:
            _json_names(v, out, under)
    elif under and isinstance(value, str) and not is_email(value):
        out.append(value)


def redact_html(content: bytes, hasher: Hasher, *, charset: str | None = None) -> Redacted:
    """An HTML page with its authors' identifiers replaced by their hashes (see the module's rules),
    re-encoded as UTF-8."""
    import lxml.html
    from lxml import etree

    from kiemchung.sources.http import declared_charset, decode_body

    text, _ = decode_body(content, charset=charset, declared=declared_charset(content))
    parser = lxml.html.HTMLParser(encoding="utf-8", remove_blank_text=False)
    root = lxml.html.document_fromstring(text.encode("utf-8"), parser=parser)
    s = _Scrubber(hasher)

    # 1. Where the page says who wrote it: collect the names, hash them in place.
    for el in root.iter("meta"):
        if _author_meta(el) and el.get("content"):
            value = el.get("content")
            if "/" in value:
                s.handles_of(value)
            elif not is_email(value):
                s.add_name(value)
            el.set("content", s.hash(value))
    for el in root.iter("script"):
        if (el.get("type") or "").lower().strip() != "application/ld+json" or not (el.text or "").strip():
            continue
        try:
            data = json.loads(el.text)
        except ValueError:
            continue
        found: list[str] = []
        _json_names(data, found)
        for n in found:
            if "/" in n:
                s.handles_of(n)
            else:
                s.add_name(n)
        before = json.dumps(data, ensure_ascii=False, sort_keys=True)
        data = scrub_value(data, hasher)
        after = json.dumps(data, ensure_ascii=False)
        if json.dumps(data, ensure_ascii=False, sort_keys=True) != before:
            s.count += 1
        el.text = after.replace("</", "<\\/")
    for el in root.iter():
        if not isinstance(el.tag, str) or el.tag in ("meta", "script", "style", "html", "body", "head"):
            continue
        rels = (el.get("rel") or "").lower().split()
        if el.tag in ("link", "a") and ("author" in rels or "me" in rels) and el.get("href"):
            el.set("href", s.hash(el.get("href")))
        if _is_byline(el):
            words = " ".join(el.text_content().split())
            if words and len(words) <= 300:
                for piece in re.split(r"\s*[,;|·]\s*|\s+(?:và|and|&)\s+", words):
                    s.add_name(piece)

    for el in root.iter("a", "link", "area"):
        if el.get("href"):
            s.handles_of(el.get("href"))

    # 2. Everywhere: the names found, e-mail addresses, @handles, profile and post links.
    for el in root.iter():
        if el.tag is etree.Comment:
            el.text = s.text(el.text or "")
            continue
        if not isinstance(el.tag, str):
            continue
        syntax = el.tag in ("script", "style")
        if el.tag != "style":
            el.text = s.text(el.text, mentions=not syntax) if el.text else el.text
        el.tail = s.text(el.tail) if el.tail else el.tail
        for attr, value in list(el.attrib.items()):
            if attr in ("href", "src", "action", "cite", "data-href", "data-url"):
                el.set(attr, s.url(value))
            elif attr not in ("class", "id", "rel", "type", "charset", "http-equiv", "style") and value:
                el.set(attr, s.text(value))

    # 3. The copy is UTF-8, and says so.
    for el in list(root.iter("meta")):
        if el.get("charset") is not None or (el.get("http-equiv") or "").lower() == "content-type":
            el.getparent().remove(el)
    head = root.find("head")
    if head is None:
        head = etree.Element("head")
        root.insert(0, head)
    head.insert(0, etree.Element("meta", charset="utf-8"))
    out = lxml.html.tostring(root, encoding="unicode", doctype="<!DOCTYPE html>", method="html")
    return Redacted(out.encode("utf-8"), "text/html; charset=utf-8", s.count, list(s.names))


def redact_page(content: bytes, content_type: str, hasher: Hasher) -> Redacted | None:
    """The page with its authors' identifiers replaced, or None for a type that cannot be read for them
    (kept as fetched: a PDF, an image)."""
    from kiemchung.sources.http import charset_from_content_type, decode_body

    ctype = (content_type or "").lower()
    charset = charset_from_content_type(content_type)
    if "html" in ctype or (not ctype and b"<html" in content[:4096].lower()):
        return redact_html(content, hasher, charset=charset)
    if ctype.startswith("text/") or "json" in ctype or "xml" in ctype:
        text, _ = decode_body(content, charset=charset)
        if "json" in ctype:
            try:
                data = json.loads(text)
            except ValueError:
                data = None
            if data is not None:
                names: list[str] = []
                _json_names(data, names)
                clean, n = redact_text(json.dumps(scrub_value(data, hasher), ensure_ascii=False), hasher, names)
                return Redacted(clean.encode("utf-8"), "application/json; charset=utf-8", n + 1, names)
        clean, n = redact_text(text, hasher)
        base = ctype.split(";")[0].strip() or "text/plain"
        return Redacted(clean.encode("utf-8"), f"{base}; charset=utf-8", n, [])
    return None


def redact_headers(headers: dict[str, str], hasher: Hasher, names: list[str]) -> dict[str, str]:
    """Response headers with the same text rules applied to their values (a ``Link: …; rel=author``)."""
    s = _Scrubber(hasher)
    for n in names:
        s.add_name(n)
    return {k: s.text(str(v), mentions=False) for k, v in headers.items()}
