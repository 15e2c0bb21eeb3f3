"""Polite, bounded HTTP fetching for feeds and web pages.

One :class:`Fetcher` is shared by every thread of the ingest loop. It

* sends a clear user agent and obeys robots.txt (cached per host, RFC 9309 rules for errors);
* waits a minimum interval between two requests to the same host, across threads;
* does conditional GET (ETag / Last-Modified) so unchanged feeds cost one small 304;
* bounds everything a hostile server could inflate: connect/read timeouts, a total deadline per
  request (a server dripping one byte a second is cut off), body size (streamed, never read whole),
  decompressed size (gzip bombs), redirect count and loops;
* retries soft failures (timeouts, 429, 5xx, refused connections) with exponential backoff and
  honours ``Retry-After`` up to a bound;
* connects only to addresses its :class:`~kiemchung.netguard.AddressPolicy` allows: every TCP
  connection (each redirect hop, robots.txt) resolves the host once, checks every address and
  connects to the checked address, so internal services stay out of reach (see docs/security-network.md).

Every outgoing HTTP request of kiemchung goes through this module: :class:`Fetcher` for GETs of
feeds and pages, :func:`guarded_client` for anything else (alert webhooks).

Failures raise :class:`kiemchung.errors.FetchError` with an English ``reason`` code and a Vietnamese
message; ``soft`` tells the scheduler whether the failure will probably heal by itself.
"""

from __future__ import annotations

import codecs
import datetime as dt
import email.utils
import json
import re
import ssl
import threading
import time
import urllib.parse
import urllib.request
import urllib.robotparser
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpcore
import httpx

from kiemchung.errors import FetchError, ParseError
from kiemchung.netguard import AddressPolicy, AddressRefused

__all__ = [
    "AddressPolicy",
    "AddressRefused",
    "FetchResult",
    "FetchSettings",
    "Fetcher",
    "charset_from_content_type",
    "decode_body",
    "guarded_client",
]

_REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
_CHUNK = 64 * 1024


@dataclass
class FetchSettings:
    """Every knob of the fetcher, with its default, in one place."""

    user_agent: str = "kiemchung/0.1 (+https://github.com/kiemchung)"
    #: The product token matched against ``User-agent:`` lines of robots.txt.
    robots_agent: str = "kiemchung"
    connect_timeout_s: float = 10.0
    #: Longest silence allowed between two reads from the socket.
    read_timeout_s: float = 20.0
    #: Wall-clock bound for one request (connect, headers and body), whatever the server does.
    total_timeout_s: float = 60.0
    #: Largest body accepted, counted on the wire (compressed bytes when compressed).
    max_bytes: int = 10 * 1024 * 1024
    #: Largest body accepted after decompression (gzip bombs stop here).
    max_decompressed_bytes: int = 40 * 1024 * 1024
    max_redirects: int = 5
    #: Minimum seconds between two requests to the same host (shared across threads).
    min_interval_s: float = 1.0
    #: Extra attempts after a soft failure (timeout, 429, 5xx, connection refused).
    retries: int = 2
    backoff_base_s: float = 1.0
    backoff_max_s: float = 30.0
    #: A ``Retry-After`` longer than this is not waited for: the request fails (soft) at once.
    max_retry_after_s: float = 60.0
    respect_robots: bool = True
    robots_ttl_s: float = 6 * 3600.0
    #: robots.txt bodies above this size are cut (RFC 9309 asks parsers to read at least 500 KiB).
    robots_max_bytes: int = 512 * 1024
    accept: str = (
        "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, "
        "text/html;q=0.8, */*;q=0.5"
    )
    accept_language: str = "vi, en;q=0.5"


@dataclass
class FetchResult:
    """The outcome of a successful GET (a 2xx answer or a 304 Not Modified)."""

    url: str
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    content: bytes = b""
    not_modified: bool = False
    etag: str | None = None
    last_modified: str | None = None
    encoding: str | None = None
    elapsed_s: float = 0.0


def charset_from_content_type(value: str | None) -> str | None:
    """The ``charset`` parameter of a Content-Type header value, lower-cased, or None."""
    if not value:
        return None
    for part in value.split(";")[1:]:
        key, _, val = part.partition("=")
        if key.strip().lower() == "charset":
            val = val.strip().strip("\"'").strip().lower()
            return val or None
    return None


_CHARSET_ALIASES = {
    "windows-1258": "cp1258",
    "x-windows-1258": "cp1258",
    "cp-1258": "cp1258",
    "utf8": "utf-8",
    "unicode": "utf-8",
    "iso8859-1": "latin-1",
    "iso-8859-1": "cp1252",  # WHATWG: iso-8859-1 labels mean windows-1252
    "latin1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
}
_DECLARED = re.compile(
    rb"""<\?xml[^>]{0,200}?encoding\s*=\s*["']([A-Za-z0-9._:-]{1,40})["']"""
    rb"""|<meta[^>]{0,300}?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]{1,40})""",
    re.I,
)


def _codec(name: str | None) -> str | None:
    """Python codec name for a charset label, or None when Python does not know it."""
    if not name:
        return None
    name = name.strip().lower()
    name = _CHARSET_ALIASES.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def declared_charset(content: bytes) -> str | None:
    """The charset declared inside a document (XML declaration or HTML meta), looking at its head."""
    match = _DECLARED.search(content[:4096])
    if not match:
        return None
    label = match.group(1) or match.group(2)
    return label.decode("ascii", "replace").lower()


def api_json(content: bytes, api: str, api_en: str) -> dict:
    """The JSON object a web API answered (YouTube Data API, Fact Check Tools), or a
    :class:`ParseError` with reason ``api_error``: soft for an answer that is not a JSON object, hard
    with the API's own message (a bad key, an exhausted quota) when it answers ``{"error": {...}}``.
    ``api``/``api_en``: the API's name in the Vietnamese and the English half of the message."""
    try:
        data = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        raise ParseError(f"API {api} trả về dữ liệu không phải JSON ({api_en} answer is not JSON) (api_error)",
                         soft=True, reason="api_error") from None
    if not isinstance(data, dict):
        raise ParseError(f"API {api} trả về dữ liệu sai dạng (unexpected {api_en} answer) (api_error)",
                         soft=True, reason="api_error")
    if isinstance(data.get("error"), dict):
        message = str(data["error"].get("message") or "")[:200]
        raise ParseError(f"API {api} báo lỗi ({api_en} error): {message} (api_error)", soft=False,
                         reason="api_error")
    return data


def decode_body(
    content: bytes, *, charset: str | None = None, declared: str | None = None
) -> tuple[str, str]:
    """Decode a feed or page to text; return ``(text, codec used)``.

    Order: byte-order mark; strict UTF-8 (a very strong signal that beats a wrong header);
    the header charset, then the in-document declaration, when they decode cleanly; UTF-8 with a few
    broken bytes replaced; charset detection; windows-1258 as last resort. Text is NFC-composed
    (windows-1258 stores tone marks as combining characters).
    """
    import unicodedata

    for bom, name in (
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if content.startswith(bom):
            return unicodedata.normalize("NFC", content[len(bom) :].decode(name, "replace")), name
    try:
        return unicodedata.normalize("NFC", content.decode("utf-8")), "utf-8"
    except UnicodeDecodeError:
        pass
    if declared is None:
        declared = declared_charset(content)
    for label in (charset, declared):
        name = _codec(label)
        if name and name != "utf-8":
            try:
                return unicodedata.normalize("NFC", content.decode(name)), name
            except UnicodeDecodeError:
                continue
    text = content.decode("utf-8", "replace")
    if text.count("\ufffd") <= max(8, len(text) // 500):
        return unicodedata.normalize("NFC", text), "utf-8"
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(content[:200_000]).best()
        name = _codec(best.encoding) if best else None
    except ImportError:  # pragma: no cover - charset_normalizer ships with the requests/httpx stack
        name = None
    name = name or "cp1258"
    return unicodedata.normalize("NFC", content.decode(name, "replace")), name


# --------------------------------------------------------------------------------------------------
# Deadline-aware network backend: httpx only bounds single socket reads, so a server dripping one
# byte a second would keep a request alive forever. Every socket operation made by a thread that
# has a deadline set is shortened to the time left, and fails once it has passed.
# --------------------------------------------------------------------------------------------------

_deadline = threading.local()


def _time_left(timeout: float | None) -> float | None:
    end = getattr(_deadline, "value", None)
    if end is None:
        return timeout
    left = end - time.monotonic()
    if left <= 0:
        raise httpcore.ReadTimeout("total deadline exceeded")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _time_left(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _time_left(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context, server_hostname=None, timeout=None):  # type: ignore[no-untyped-def]
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, _time_left(timeout)))

    def get_extra_info(self, info: str):  # type: ignore[no-untyped-def]
        return self._inner.get_extra_info(info)


class _GuardedBackend(httpcore.NetworkBackend):
    """The one place kiemchung opens TCP connections.

    httpcore hands over the URL's host name; the policy resolves it once and checks every address,
    and the connection goes to a checked address. httpcore then starts TLS with the *name* as SNI
    and verifies the certificate for it, and the Host header is untouched, so virtual hosts and
    HTTPS work as before while a DNS answer cannot change between the check and the connection.
    """

    def __init__(self, policy: AddressPolicy | Callable[[], AddressPolicy]) -> None:
        self._inner = httpcore.SyncBackend()
        self._policy = policy  # or a function giving the policy in force (a fetcher's live settings)

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):  # type: ignore[no-untyped-def]
        policy = self._policy() if callable(self._policy) else self._policy
        try:
            addresses = policy.resolve(host, port)
        except AddressRefused:
            raise
        except OSError as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        last: Exception | None = None
        for address in addresses:
            try:
                stream = self._inner.connect_tcp(address, port, _time_left(timeout), local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
                continue
            return _DeadlineStream(stream)
        assert last is not None
        raise last

    def connect_unix_socket(self, path, timeout=None, socket_options=None):  # type: ignore[no-untyped-def]
        raise httpcore.ConnectError("unix sockets are not used by kiemchung")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def _guarded_transport(
    policy: AddressPolicy | Callable[[], AddressPolicy], ssl_context: ssl.SSLContext | None = None
) -> httpx.HTTPTransport:
    """An httpx transport whose connections obey the address policy and the per-thread deadline."""
    transport = httpx.HTTPTransport(trust_env=False)
    # httpx does not take a network backend as argument; swap in a pool built with one.
    transport._pool = httpcore.ConnectionPool(
        ssl_context=ssl_context or httpx.create_ssl_context(trust_env=False),
        max_connections=20,
        max_keepalive_connections=10,
        keepalive_expiry=5.0,
        network_backend=_GuardedBackend(policy),
    )
    return transport


def guarded_client(
    policy: AddressPolicy, *, timeout: float = 10.0, ssl_context: ssl.SSLContext | None = None
) -> httpx.Client:
    """An ``httpx.Client`` that connects only where ``policy`` allows; redirects are not followed.

    For requests other than polite GETs (webhook POSTs). A refused address raises
    :class:`~kiemchung.netguard.AddressRefused` from the request call. ``ssl_context`` replaces the
    default certificate store (an intranet CA); certificates are always checked for the URL's name.
    """
    return httpx.Client(
        transport=_guarded_transport(policy, ssl_context),
        timeout=timeout,
        follow_redirects=False,
        trust_env=False,
        headers={"User-Agent": FetchSettings().user_agent},
    )


# --------------------------------------------------------------------------------------------------
# Streaming body reader with size and decompression bounds.
# --------------------------------------------------------------------------------------------------


class _Decoder:
    """Incremental Content-Encoding decoder that refuses to produce more than ``limit`` bytes."""

    def __init__(self, encoding: str, limit: int, url: str) -> None:
        self.encoding = encoding
        self.limit = limit
        self.url = url
        self.produced = 0
        self._deflate_raw_tried = False
        if encoding in ("gzip", "x-gzip"):
            self._obj = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self._obj = zlib.decompressobj()
        else:
            raise FetchError(
                f"Máy chủ dùng kiểu nén không hỗ trợ ({encoding}) khi tải {url} (content_encoding)",
                soft=False,
                reason="content_encoding",
            )

    def _bomb(self) -> FetchError:
        return FetchError(
            f"Dữ liệu giải nén vượt quá {self.limit} byte khi tải {self.url} (decompression_bomb)",
            soft=False,
            reason="decompression_bomb",
        )

    def feed(self, data: bytes) -> bytes:
        out = bytearray()
        while data:
            try:
                piece = self._obj.decompress(data, self.limit - self.produced + 1)
            except zlib.error as exc:
                if self.encoding == "deflate" and not self._deflate_raw_tried and self.produced == 0:
                    # Some servers send raw deflate without the zlib header.
                    self._deflate_raw_tried = True
                    self._obj = zlib.decompressobj(-zlib.MAX_WBITS)
                    continue
                raise FetchError(
                    f"Dữ liệu nén bị hỏng khi tải {self.url} (bad_compression)",
                    soft=True,
                    reason="bad_compression",
                ) from exc
            self.produced += len(piece)
            if self.produced > self.limit:
                raise self._bomb()
            out += piece
            data = self._obj.unconsumed_tail
            if self._obj.eof:
                break
        return bytes(out)

    def flush(self) -> bytes:
        piece = self._obj.flush()
        self.produced += len(piece)
        if self.produced > self.limit:
            raise self._bomb()
        return piece


def _too_large(url: str, limit: int) -> FetchError:
    return FetchError(
        f"Nội dung quá lớn (trên {limit} byte) khi tải {url} (too_large)", soft=False, reason="too_large"
    )


def _read_body(response: httpx.Response, settings: FetchSettings, url: str) -> bytes:
    """Stream the body, stopping as soon as a bound is crossed; decode gzip/deflate ourselves."""
    length = response.headers.get("content-length")
    if length and length.strip().isdigit() and int(length) > settings.max_bytes:
        raise _too_large(url, settings.max_bytes)
    encodings = [
        e.strip().lower()
        for e in response.headers.get("content-encoding", "").split(",")
        if e.strip() and e.strip().lower() != "identity"
    ]
    if len(encodings) > 1:
        raise FetchError(
            f"Máy chủ nén nhiều lớp ({', '.join(encodings)}) khi tải {url} (content_encoding)",
            soft=False,
            reason="content_encoding",
        )
    decoder = _Decoder(encodings[0], settings.max_decompressed_bytes, url) if encodings else None
    received = 0
    parts: list[bytes] = []
    for chunk in response.iter_raw(_CHUNK):
        received += len(chunk)
        if received > settings.max_bytes:
            raise _too_large(url, settings.max_bytes)
        parts.append(decoder.feed(chunk) if decoder else chunk)
    if decoder:
        parts.append(decoder.flush())
    return b"".join(parts)


# --------------------------------------------------------------------------------------------------
# Per-host rate limit and robots.txt cache.
# --------------------------------------------------------------------------------------------------


class _HostClock:
    """Reserve request slots per host so two requests to one host are ``interval`` apart.

    ``clock`` (seconds, monotonic) and ``sleep`` are injected so that tests check the decisions with a
    fake clock instead of measuring real gaps; the fetcher's retry backoff sleeps through it too.
    """

    def __init__(self, clock=time.monotonic, sleep=time.sleep) -> None:
        self._lock = threading.Lock()
        self._next: dict[str, float] = {}
        self.clock = clock
        self.sleep = sleep

    def wait(self, host: str, interval: float) -> float:
        """Block until this thread may send a request to ``host``; return the seconds waited."""
        with self._lock:
            now = self.clock()
            slot = max(now, self._next.get(host, 0.0))
            self._next[host] = slot + interval
        delay = slot - now
        if delay > 0:
            self.sleep(delay)
        return max(delay, 0.0)


@dataclass
class _Robots:
    parser: urllib.robotparser.RobotFileParser | None  # None = everything allowed
    disallow_all: bool
    expires: float


def _host_key(url: httpx.URL) -> str:
    return f"{url.scheme}://{url.netloc.decode('ascii', 'replace')}"


def _retry_after_seconds(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta seconds or HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())


class Fetcher:
    """A polite HTTP(S) and ``file://`` fetcher; thread-safe, meant to be shared.

    ``policy`` says which addresses may be connected to (default: public addresses only, plus
    ``$KIEMCHUNG_FETCH_ALLOW_HOSTS``); :meth:`for_db` builds a fetcher with the installation's
    settings. ``transport`` replaces the network layer (tests of network-edge cases only; host names
    are still checked, without DNS); by default a real httpx transport with a total per-request
    deadline and the address guard is used.
    """

    def __init__(
        self,
        settings: FetchSettings | None = None,
        transport: httpx.BaseTransport | None = None,
        *,
        policy: AddressPolicy | None = None,
    ):
        self.settings = settings or FetchSettings()
        self.policy = policy or AddressPolicy.build()
        self._policy_db = None  # set by for_db: the policy follows the installation's settings
        s = self.settings
        self._client = httpx.Client(
            transport=transport or _guarded_transport(lambda: self.policy),
            timeout=httpx.Timeout(s.connect_timeout_s, read=s.read_timeout_s, write=s.read_timeout_s),
            follow_redirects=False,
            trust_env=False,
            headers={
                "User-Agent": s.user_agent,
                "Accept-Encoding": "gzip, deflate",
                "Accept-Language": s.accept_language,
            },
        )
        self._clock = _HostClock()
        self._robots: dict[str, _Robots] = {}
        self._robots_lock = threading.Lock()
        self._host_locks: dict[str, threading.Lock] = {}

    @classmethod
    def for_db(cls, db, settings: FetchSettings | None = None) -> Fetcher:
        """A fetcher with the installation's address policy (``fetch_allow_private``, ``fetch_allow_hosts``),
        re-read before each fetch, so a running ``watch`` follows ``kiemchung settings set`` (the settings
        cache notices another process's change within a second)."""
        fetcher = cls(settings, policy=AddressPolicy.from_db(db))
        fetcher._policy_db = db
        return fetcher

    def _refresh_policy(self) -> None:
        if self._policy_db is not None:
            policy = AddressPolicy.from_db(self._policy_db)
            if policy != self.policy:
                self.policy = policy

    # -- lifecycle ---------------------------------------------------------------------------------

    def close(self) -> None:
        """Close pooled connections."""
        self._client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- public API --------------------------------------------------------------------------------

    def get(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        local_files: bool = False,
    ) -> FetchResult:
        """GET ``url`` politely; conditional when ``etag``/``last_modified`` are given.

        ``file://`` URLs are read only with ``local_files=True`` (sources an administrator registered
        from the command line); a URL taken from a feed or typed in the web app is http(s) only.
        Returns a :class:`FetchResult` (``not_modified=True`` with empty content on a 304). Raises
        :class:`FetchError` with a reason code on every failure (:class:`AddressRefused` for an
        address the policy refuses); soft failures have been retried ``settings.retries`` times before.
        """
        self._refresh_policy()
        if url[:5].lower() == "file:":
            if not local_files:
                raise FetchError(f"Chỉ tải được địa chỉ http(s): {url} (bad_url)", reason="bad_url")
            return self._get_file(url)
        try:
            parsed = httpx.URL(url)
        except (httpx.InvalidURL, TypeError) as exc:
            raise FetchError(f"Địa chỉ không hợp lệ: {url} (bad_url)", reason="bad_url") from exc
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise FetchError(f"Địa chỉ không hợp lệ: {url} (bad_url)", reason="bad_url")
        s = self.settings
        attempt = 0
        while True:
            try:
                return self._follow(url, etag=etag, last_modified=last_modified)
            except FetchError as err:
                if not err.soft or attempt >= s.retries:
                    raise
                retry_after = getattr(err, "retry_after", None)
                if retry_after is not None and retry_after > s.max_retry_after_s:
                    raise
                delay = min(s.backoff_base_s * (2**attempt), s.backoff_max_s)
                if retry_after is not None:
                    delay = max(delay, retry_after)
                self._clock.sleep(delay)
                attempt += 1

    def allowed(self, url: str) -> bool:
        """Whether robots.txt of ``url``'s host lets kiemchung fetch it (fetches robots.txt if needed)."""
        if not self.settings.respect_robots:
            return True
        parsed = httpx.URL(url)
        robots = self._robots_for(parsed)
        if robots.disallow_all:
            return False
        if robots.parser is None:
            return True
        return robots.parser.can_fetch(self.settings.robots_agent, url)

    # -- internals ---------------------------------------------------------------------------------

    def _get_file(self, url: str) -> FetchResult:
        start = time.monotonic()
        parsed = urllib.parse.urlparse(url)
        path = Path(urllib.request.url2pathname(parsed.path))
        limit = self.settings.max_bytes
        try:
            with path.open("rb") as fh:
                content = fh.read(limit + 1)
        except FileNotFoundError as exc:
            raise FetchError(f"Không tìm thấy tệp {path} (not_found)", reason="not_found") from exc
        except OSError as exc:
            raise FetchError(f"Không đọc được tệp {path}: {exc} (io_error)", reason="io_error") from exc
        if len(content) > limit:
            raise _too_large(url, limit)
        import mimetypes

        guessed, _ = mimetypes.guess_type(path.name)
        headers = {"content-type": guessed} if guessed else {}
        return FetchResult(
            url=url, status=200, content=content, elapsed_s=time.monotonic() - start, headers=headers
        )

    def _follow(self, url: str, *, etag: str | None, last_modified: str | None) -> FetchResult:
        """One attempt: the request and its redirects, each hop polite and bounded."""
        s = self.settings
        start = time.monotonic()
        seen = {url}
        current = url
        hops = 0
        while True:
            # Literal addresses and internal names are refused here, before robots.txt; names that
            # resolve to a refused address are refused by the backend before any connection.
            self.policy.check_url(current)
            try:
                allowed = self.allowed(current)
            except AddressRefused:
                raise AddressRefused(current) from None
            if not allowed:
                raise FetchError(
                    f"robots.txt không cho phép tải {current} (robots_disallowed)",
                    soft=False,
                    reason="robots_disallowed",
                )
            try:
                response_or_result = self._request(current, etag=etag, last_modified=last_modified, start=start)
            except AddressRefused:
                raise AddressRefused(current) from None
            if isinstance(response_or_result, FetchResult):
                return response_or_result
            location = response_or_result
            hops += 1
            target = str(httpx.URL(current).join(location))
            if target in seen:
                raise FetchError(
                    f"Chuyển hướng vòng lặp khi tải {url} (redirect_loop)", soft=False, reason="redirect_loop"
                )
            if hops > s.max_redirects:
                raise FetchError(
                    f"Quá nhiều lần chuyển hướng (trên {s.max_redirects}) khi tải {url} (too_many_redirects)",
                    soft=False,
                    reason="too_many_redirects",
                )
            if httpx.URL(target).scheme not in ("http", "https"):
                raise FetchError(
                    f"Chuyển hướng tới địa chỉ không hợp lệ {target} (bad_redirect)",
                    soft=False,
                    reason="bad_redirect",
                )
            seen.add(target)
            current = target

    def _request(
        self, url: str, *, etag: str | None, last_modified: str | None, start: float
    ) -> FetchResult | str:
        """Send one GET; return the result, or the Location of a redirect."""
        s = self.settings
        parsed = httpx.URL(url)
        self._clock.wait(_host_key(parsed), s.min_interval_s)
        headers = {"Accept": s.accept}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        _deadline.value = time.monotonic() + s.total_timeout_s
        try:
            with self._client.stream("GET", url, headers=headers) as response:
                status = response.status_code
                if status in _REDIRECT_CODES:
                    location = response.headers.get("location")
                    if not location:
                        raise FetchError(
                            f"Chuyển hướng không có địa chỉ đích khi tải {url} (bad_redirect)",
                            reason="bad_redirect",
                        )
                    return location
                if status == 304:
                    return FetchResult(
                        url=url,
                        status=304,
                        headers=dict(response.headers),
                        not_modified=True,
                        etag=response.headers.get("etag") or etag,
                        last_modified=response.headers.get("last-modified") or last_modified,
                        encoding=charset_from_content_type(response.headers.get("content-type")),
                        elapsed_s=time.monotonic() - start,
                    )
                if status >= 400:
                    raise self._status_error(url, response)
                if not 200 <= status < 300:  # 1xx leaking through, 300/305 and other odd answers
                    raise FetchError(
                        f"Máy chủ trả lời bất thường (HTTP {status}) khi tải {url} (bad_status)",
                        soft=False,
                        reason="bad_status",
                    )
                content = _read_body(response, s, url)
                return FetchResult(
                    url=url,
                    status=status,
                    headers=dict(response.headers),
                    content=content,
                    etag=response.headers.get("etag"),
                    last_modified=response.headers.get("last-modified"),
                    encoding=charset_from_content_type(response.headers.get("content-type")),
                    elapsed_s=time.monotonic() - start,
                )
        except httpx.TimeoutException as exc:
            raise FetchError(
                f"Hết thời gian chờ khi tải {url} (timeout)", soft=True, reason="timeout"
            ) from exc
        except httpx.TransportError as exc:
            raise FetchError(
                f"Không kết nối được khi tải {url}: {exc.__class__.__name__} (connection)",
                soft=True,
                reason="connection",
            ) from exc
        finally:
            _deadline.value = None

    @staticmethod
    def _status_error(url: str, response: httpx.Response) -> FetchError:
        status = response.status_code
        if status == 429:
            err = FetchError(
                f"Máy chủ yêu cầu giảm tốc độ (HTTP 429) khi tải {url} (http_429)",
                soft=True,
                reason="http_429",
            )
        elif status >= 500:
            err = FetchError(
                f"Máy chủ lỗi (HTTP {status}) khi tải {url} (http_5xx)", soft=True, reason="http_5xx"
            )
        elif status in (404, 410):
            err = FetchError(
                f"Không tìm thấy trang (HTTP {status}) khi tải {url} (http_4xx)",
                soft=False,
                reason="http_4xx",
            )
        else:
            err = FetchError(
                f"Máy chủ từ chối yêu cầu (HTTP {status}) khi tải {url} (http_4xx)",
                soft=False,
                reason="http_4xx",
            )
        err.status = status  # type: ignore[attr-defined]
        err.retry_after = _retry_after_seconds(response.headers.get("retry-after"))  # type: ignore[attr-defined]
        return err

    def _robots_for(self, url: httpx.URL) -> _Robots:
        key = _host_key(url)
        with self._robots_lock:
            cached = self._robots.get(key)
            if cached and cached.expires > self._clock.clock():
                return cached
            host_lock = self._host_locks.setdefault(key, threading.Lock())
        with host_lock:  # one robots.txt fetch per host even when many threads ask at once
            with self._robots_lock:
                cached = self._robots.get(key)
                if cached and cached.expires > self._clock.clock():
                    return cached
            robots = self._fetch_robots(key)
            with self._robots_lock:
                self._robots[key] = robots
            return robots

    def _fetch_robots(self, key: str) -> _Robots:
        """Fetch and parse ``key/robots.txt`` following RFC 9309's rules for failures."""
        s = self.settings
        expires = self._clock.clock() + s.robots_ttl_s  # the fetcher's clock: tests move a fake one
        robots_url = key + "/robots.txt"
        limited = FetchSettings(**{**s.__dict__, "max_bytes": s.robots_max_bytes})
        current = robots_url
        for _ in range(s.max_redirects + 1):
            self._clock.wait(
                key if current.startswith(key) else _host_key(httpx.URL(current)), s.min_interval_s
            )
            _deadline.value = time.monotonic() + s.total_timeout_s
            try:
                with self._client.stream("GET", current, headers={"Accept": "text/plain"}) as response:
                    status = response.status_code
                    if status in _REDIRECT_CODES and response.headers.get("location"):
                        current = str(httpx.URL(current).join(response.headers["location"]))
                        continue
                    if 200 <= status < 300:
                        try:
                            body = _read_body(response, limited, current)
                        except FetchError as err:
                            if err.reason != "too_large":
                                raise
                            body = b""  # an absurd robots.txt: treat as empty, i.e. allow
                        parser = urllib.robotparser.RobotFileParser(robots_url)
                        parser.parse(body.decode("utf-8", "replace").splitlines())
                        return _Robots(parser=parser, disallow_all=False, expires=expires)
                    if status >= 500:
                        # RFC 9309 2.3.1.4: server errors mean "assume complete disallow"; retry sooner.
                        return _Robots(None, True, time.monotonic() + min(s.robots_ttl_s, 600.0))
                    return _Robots(None, False, expires)  # 4xx (and odd codes): no rules, allowed
            except AddressRefused:
                if current == robots_url:
                    raise  # the host itself is refused: so is every page on it
                return _Robots(None, False, time.monotonic() + min(s.robots_ttl_s, 600.0))
            except (httpx.TransportError, FetchError):
                # Unreachable robots.txt: allowed (as the brief asks), but look again sooner.
                return _Robots(None, False, time.monotonic() + min(s.robots_ttl_s, 600.0))
            finally:
                _deadline.value = None
        return _Robots(None, False, expires)  # redirect chain too long: treat as unavailable
