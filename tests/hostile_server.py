"""A local HTTP server that misbehaves on purpose, for testing fetchers and parsers.

Usage::

    with HostileServer() as srv:
        fetcher.get(srv.url("/rss.xml"))
        assert srv.count("/rss.xml") == 1

It binds 127.0.0.1 on a random port, serves each request on its own daemon thread and keeps request
counters (per path), the request headers seen, and the body bytes actually written per path so tests
can prove that a fetcher stopped reading early. Every slow route waits on an event that is set when the
server stops, so closing the server never hangs.
"""

from __future__ import annotations

import collections
import gzip
import threading
import time
import zlib
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

FIXTURES = Path(__file__).parent / "fixtures" / "feeds"

RSS_TYPE = "application/rss+xml; charset=utf-8"
ROBOTS_TXT = "User-agent: *\nDisallow: /private/\n\nUser-agent: badbot\nDisallow: /\n"
BIG_SIZE = 50 * 1024 * 1024
BOMB_SIZE = 200 * 1024 * 1024
HUGE_FEED_ENTRIES = 100_000

_cache: dict[str, bytes] = {}
_cache_lock = threading.RLock()  # makers may build on other cached bodies


def fixture(name: str) -> bytes:
    """The bytes of ``tests/fixtures/feeds/<name>``."""
    return (FIXTURES / name).read_bytes()


def rss(items: list[tuple[str, str, str]], *, title: str = "Nguồn thử", encoding: str = "utf-8") -> bytes:
    """A small RSS 2.0 document from ``(guid, title, link)`` triples, encoded in ``encoding``."""
    body = "".join(
        f'<item><title>{t}</title><link>{link}</link><guid isPermaLink="false">{g}</guid>'
        f"<pubDate>Tue, 05 Mar 2024 08:{i % 60:02d}:00 +0700</pubDate>"
        f"<description>Tóm tắt cho bài {t}</description></item>"
        for i, (g, t, link) in enumerate(items)
    )
    text = (
        f'<?xml version="1.0" encoding="{encoding}"?>\n<rss version="2.0"><channel><title>{title}</title>'
        f"<link>https://nguon.example.vn/</link>{body}</channel></rss>"
    )
    return text.encode(encoding)


def _cached(key: str, make) -> bytes:  # type: ignore[no-untyped-def]
    with _cache_lock:
        if key not in _cache:
            _cache[key] = make()
        return _cache[key]


def gzip_bomb() -> bytes:
    """About 200 KB of gzip that inflates to 200 MB of zeros (built once, in pieces)."""

    def make() -> bytes:
        comp = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        zeros = b"\0" * (1024 * 1024)
        parts = [comp.compress(zeros) for _ in range(BOMB_SIZE // len(zeros))]
        parts.append(comp.flush())
        return b"".join(parts)

    return _cached("bomb", make)


def huge_feed() -> bytes:
    """An RSS feed with 100,000 entries, oldest first (so "newest first" capping is visible)."""

    def make() -> bytes:
        base = 1_700_000_000
        items = [
            f"<item><title>Tin số {i}</title><link>https://lon.example.vn/tin/{i}</link>"
            f"<guid>lon-{i}</guid><pubDate>{formatdate(base + i * 60, usegmt=True)}</pubDate>"
            f"<description>Nội dung ngắn số {i}</description></item>"
            for i in range(HUGE_FEED_ENTRIES)
        ]
        return (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Nguồn rất lớn</title>'
            + "".join(items)
            + "</channel></rss>"
        ).encode("utf-8")

    return _cached("huge", make)


_TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"


def to_cp1258(text: str) -> bytes:
    """Encode Vietnamese text the way windows-1258 stores it: base letters whole, tone marks apart."""
    import unicodedata

    out = []
    for ch in text:
        try:
            out.append(ch.encode("cp1258"))
            continue
        except UnicodeEncodeError:
            pass
        parts = unicodedata.normalize("NFD", ch)
        tones = "".join(c for c in parts if c in _TONE_MARKS)
        base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in _TONE_MARKS))
        out.append((base + tones).encode("cp1258"))
    return b"".join(out)


def cp1258_feed() -> bytes:
    """An RSS feed encoded in windows-1258 (tone marks as combining characters)."""
    items = [
        ("cp-1", "Người dân phản ánh tình trạng ô nhiễm nước ở huyện Thử", "https://cu.example.vn/1"),
        ("cp-2", "Đề xuất mở rộng chợ đầu mối nông sản", "https://cu.example.vn/2"),
    ]
    text = rss(items, title="Báo cũ dùng mã windows-1258").decode("utf-8")
    text = text.replace('encoding="utf-8"', 'encoding="windows-1258"')
    return to_cp1258(text)


VNI_TITLE = "Vieät Nam ñaõ ñaït ñöôïc nhieàu thaønh töïu"  # "Việt Nam đã đạt được..." typed in a VNI font
DOUBLE_UTF8_TITLE = "Tỉnh Thử tổ chức hội nghị".encode().decode("cp1252")  # UTF-8 read as windows-1252


def legacy_mojibake_feed() -> bytes:
    """A legacy CMS feed in windows-1252: one VNI-font title, one double-encoded UTF-8 title."""
    items = "".join(
        f"<item><title>{t}</title><link>https://cu.example.vn/{i}</link><guid>cu-{i}</guid>"
        f"<description>{t}.</description></item>"
        for i, t in enumerate((VNI_TITLE, DOUBLE_UTF8_TITLE))
    )
    text = (
        '<?xml version="1.0" encoding="windows-1252"?><rss version="2.0"><channel><title>Báo cu</title>'
        + items
        + "</channel></rss>"
    )
    return text.encode("cp1252")


def deep_page(depth: int = 100_000) -> bytes:
    """An HTML page nesting ``depth`` divs around its only paragraph."""
    return (
        "<html><head><title>Trang lồng sâu</title></head><body>"
        + "<div>" * depth
        + "<p>Đoạn văn nằm rất sâu.</p>"
        + "</div>" * depth
        + "</body></html>"
    ).encode()


def script_flood_page(scripts: int = 250_000) -> bytes:
    """About 8 MB of inline scripts before a short real article."""
    para = "<p>Hội nghị tổng kết công tác phòng chống thiên tai của huyện Thử diễn ra sáng nay với sự tham dự của đại diện các xã.</p>"
    return (
        "<html><head><title>Trang đầy script</title>"
        + "<script>var quangCao = 1;</script>" * scripts
        + "</head><body><article><h1>Tổng kết phòng chống thiên tai</h1>"
        + para * 4
        + "</article></body></html>"
    ).encode()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are separate writes; avoid 40 ms delayed-ACK stalls
    server: HostileServer._Server  # type: ignore[name-defined]

    def log_message(self, format: str, *args: object) -> None:  # silence
        pass

    # -- helpers -----------------------------------------------------------------------------------

    def _send(self, status: int, body: bytes, ctype: str = RSS_TYPE, headers: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self._write(body)

    def _write(self, data: bytes) -> None:
        self.wfile.write(data)
        self.server.owner._sent(self._path, len(data))

    def _redirect(self, location: str, status: int = 302) -> None:
        self._send(status, b"", "text/plain", {"Location": location})

    # -- dispatch ----------------------------------------------------------------------------------

    def do_GET(self) -> None:
        split = urlsplit(self.path)
        self._path = split.path
        self._query = parse_qs(split.query)
        owner = self.server.owner
        n = owner._hit(self._path, dict(self.headers))
        try:
            self._route(n)
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            self.close_connection = True

    def _route(self, n: int) -> None:
        p = self._path
        owner = self.server.owner
        stop = owner.stopping
        if p == "/robots.txt":
            if owner.robots_status >= 400:
                self._send(owner.robots_status, b"error", "text/plain")
            else:
                self._send(200, owner.robots_txt.encode(), "text/plain")
        elif p in ("/rss.xml", "/private/feed.xml"):
            self._send(200, fixture("rss_good.xml"))
        elif p == "/atom.xml":
            self._send(200, fixture("atom_good.xml"), "application/atom+xml")
        elif p == "/page.html":
            self._send(200, fixture("article.html"), "text/html; charset=utf-8")
        elif p == "/page-cp1258.html":  # charset only in <meta>, body in windows-1258
            html = (
                fixture("article.html")
                .decode()
                .replace(
                    '<meta charset="utf-8">',
                    '<meta http-equiv="Content-Type" content="text/html; charset=windows-1258">',
                )
            )
            self._send(200, to_cp1258(html), "text/html")
        elif p == "/page-deep.html":
            self._send(200, deep_page(), "text/html; charset=utf-8")
        elif p == "/page-script-flood.html":
            self._send(200, script_flood_page(), "text/html; charset=utf-8")
        elif p == "/image.png":
            self._send(200, b"\x89PNG\r\n\x1a\n" + b"\0" * 2048, "image/png")
        elif p == "/conditional.xml":
            etag, modified = '"v1-abc"', "Tue, 05 Mar 2024 02:00:00 GMT"
            if self.headers.get("If-None-Match") == etag or self.headers.get("If-Modified-Since") == modified:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", "0")
                self.end_headers()
            else:
                self._send(200, fixture("rss_good.xml"), headers={"ETag": etag, "Last-Modified": modified})
        elif p == "/broken.xml":
            self._send(200, fixture("broken.xml"))
        elif p == "/html-as-feed.xml":
            self._send(200, fixture("html_as_feed.html"))
        elif p == "/wrong-charset.xml":  # UTF-8 body, header claims latin-1
            self._send(200, fixture("rss_good.xml"), "application/rss+xml; charset=iso-8859-1")
        elif p == "/cp1258.xml":
            self._send(200, cp1258_feed(), "application/xml")
        elif p == "/vni.xml":
            self._send(200, legacy_mojibake_feed(), "application/rss+xml; charset=windows-1252")
        elif p == "/text-plain.xml":  # a feed with the wrong Content-Type
            self._send(200, fixture("atom_good.xml"), "text/plain")
        elif p == "/invalid-utf8.xml":
            body = fixture("rss_good.xml").replace("Sáng nay".encode(), b"S\xe1ng \xff\xfe nay", 1)
            self._send(200, body)
        elif p == "/changing-ids.xml":
            items = [(f"poll{n}-{i}", f"Bài số {i}", f"https://doi.example.vn/bai-{i}") for i in range(3)]
            self._send(200, rss(items))
        elif p == "/huge-feed.xml":  # ~23 MB of XML; sent gzip-compressed (~2 MB) when the client accepts it
            if "gzip" in self.headers.get("Accept-Encoding", ""):
                body = _cached("huge.gz", lambda: gzip.compress(huge_feed(), 6))
                self._send(200, body, headers={"Content-Encoding": "gzip"})
            else:
                self._send(200, huge_feed())
        elif p == "/gzip.xml":
            self._send(200, gzip.compress(fixture("rss_good.xml")), headers={"Content-Encoding": "gzip"})
        elif p == "/bomb.xml":
            self._send(200, gzip_bomb(), headers={"Content-Encoding": "gzip"})
        elif p in ("/big", "/big-chunked"):
            self._big(chunked=p == "/big-chunked")
        elif p.startswith("/loop/"):
            self._redirect("/loop/b" if p == "/loop/a" else "/loop/a")
        elif p.startswith("/chain/"):
            left = int(p.rsplit("/", 1)[1])
            if left <= 0:
                self._send(200, fixture("rss_good.xml"))
            else:
                self._redirect(f"/chain/{left - 1}", 301 if left % 2 else 307)
        elif p == "/to-private":
            self._redirect("/private/feed.xml")
        elif p == "/429":  # 429 for the first `fails` requests (default 1), then the feed
            if n <= int(self._query.get("fails", ["1"])[0]):
                self._send(
                    429, b"slow down", "text/plain", {"Retry-After": self._query.get("after", ["1"])[0]}
                )
            else:
                self._send(200, fixture("rss_good.xml"))
        elif p == "/500":
            self._send(500, b"boom", "text/plain")
        elif p == "/503":
            self._send(503, b"maintenance", "text/plain", {"Retry-After": "0"})
        elif p == "/flaky":  # 503 on the first request, then the feed
            if n == 1:
                self._send(503, b"maintenance", "text/plain")
            else:
                self._send(200, fixture("rss_good.xml"))
        elif p in ("/404", "/410", "/403", "/300"):
            self._send(int(p[1:]), "Không tìm thấy".encode(), "text/plain; charset=utf-8")
        elif p == "/slow":  # silence before the headers
            stop.wait(float(self._query.get("delay", ["30"])[0]))
            self._send(200, fixture("rss_good.xml"))
        elif p == "/slowloris-headers":
            self._drip(b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nX-Padding: " + b"x" * 200, raw=True)
        elif p == "/slowloris-body":
            body = fixture("rss_good.xml")
            self.send_response(200)
            self.send_header("Content-Type", RSS_TYPE)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.flush()
            self._drip(body)
        else:
            self._send(404, b"not found", "text/plain")

    def _big(self, *, chunked: bool) -> None:
        block = (b"<p>" + "Dữ liệu rất lớn. ".encode() * 60 + b"</p>\n") * 64
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(BIG_SIZE))
        self.end_headers()
        sent = 0
        while sent < BIG_SIZE and not self.server.owner.stopping.is_set():
            piece = block[: BIG_SIZE - sent]
            if chunked:
                self.wfile.write(f"{len(piece):x}\r\n".encode())
                self._write(piece)
                self.wfile.write(b"\r\n")
            else:
                self._write(piece)
            sent += len(piece)
        if chunked:
            self.wfile.write(b"0\r\n\r\n")

    def _drip(self, data: bytes, *, raw: bool = False) -> None:
        """Write ``data`` one byte per ``interval`` seconds (default 1)."""
        interval = float(self._query.get("interval", ["1"])[0])
        stop = self.server.owner.stopping
        self.close_connection = True
        for i in range(len(data)):
            if stop.wait(interval):
                return
            self.wfile.write(data[i : i + 1])
            self.wfile.flush()
            self.server.owner._sent(self._path, 1)


class HostileServer:
    """Context manager running the misbehaving server on 127.0.0.1 and a random port."""

    class _Server(ThreadingHTTPServer):
        daemon_threads = True
        block_on_close = False
        owner: HostileServer

        def handle_error(self, request, client_address) -> None:  # type: ignore[no-untyped-def]
            """Clients hanging up on purpose are expected here; report anything else."""
            import sys

            exc = sys.exc_info()[1]
            if not isinstance(exc, ConnectionError | TimeoutError):
                super().handle_error(request, client_address)

    def __init__(self) -> None:
        self.robots_txt = ROBOTS_TXT
        self.robots_status = 200
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self.counts: collections.Counter[str] = collections.Counter()
        self.sent: collections.Counter[str] = collections.Counter()
        self.requests: list[tuple[float, str, dict[str, str]]] = []
        self._httpd: HostileServer._Server | None = None
        self._thread: threading.Thread | None = None

    # -- counters ----------------------------------------------------------------------------------

    def _hit(self, path: str, headers: dict[str, str]) -> int:
        with self._lock:
            self.counts[path] += 1
            self.requests.append((time.monotonic(), path, headers))
            return self.counts[path]

    def _sent(self, path: str, n: int) -> None:
        with self._lock:
            self.sent[path] += n

    def count(self, path: str) -> int:
        """How many requests ``path`` received."""
        with self._lock:
            return self.counts[path]

    def times(self, path: str | None = None) -> list[float]:
        """Monotonic arrival times of requests (to ``path`` only when given)."""
        with self._lock:
            return [t for t, p, _ in self.requests if path is None or p == path]

    def headers_of(self, path: str) -> list[dict[str, str]]:
        """Request headers received for ``path``, in order."""
        with self._lock:
            return [h for _, p, h in self.requests if p == path]

    def reset(self) -> None:
        """Forget counters (the server keeps running)."""
        with self._lock:
            self.counts.clear()
            self.sent.clear()
            self.requests.clear()

    # -- lifecycle ---------------------------------------------------------------------------------

    @property
    def base(self) -> str:
        """``http://127.0.0.1:<port>``."""
        assert self._httpd is not None, "server not started"
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        """Absolute URL of ``path`` on this server."""
        return self.base + path

    def start(self) -> HostileServer:
        """Bind and serve in a background thread."""
        self._httpd = self._Server(("127.0.0.1", 0), _Handler)
        self._httpd.owner = self
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05})
        self._thread.daemon = True
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; slow handlers wake up and return."""
        self.stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> HostileServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
