"""Extra local feed routes for reliability tests and the soak benchmark.

``LiveFeedServer`` serves ``/live/<k>.xml``: feed ``k`` gains one new item every ``period_s`` seconds
(item ``i`` appears at ``start + i * period_s``), shows the newest ``window`` items, and records when
each item first became visible so a test can measure appearance-to-searchable latency. Every item title
carries a unique letters-only marker word (see :func:`marker`) so it can be found with a search.
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from hostile_server import rss

_LETTERS = "bcdghklmnpqrstvx"


def marker(k: int, i: int) -> str:
    """A unique, letters-only word for item ``i`` of feed ``k`` (searchable as one token)."""
    out = []
    for value in (k, i):
        word = ""
        value += 1
        while value:
            value, r = divmod(value, len(_LETTERS))
            word = _LETTERS[r] + word
        out.append(word)
    return f"zq{out[0]}y{out[1]}"


class _LiveHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # silence
        return

    def do_GET(self) -> None:
        owner: LiveFeedServer = self.server.owner  # type: ignore[attr-defined]
        path = self.path.split("?", 1)[0]
        body = b"not found"
        status, ctype = 404, "text/plain"
        n = owner.hit(path)
        if path == "/changing-ids-nolink.xml":  # no links, and every id changes on every poll
            status, ctype = 200, "application/rss+xml; charset=utf-8"
            items = [(f"poll{n}-{i}", f"Bài không liên kết số {i}", "") for i in range(3)]
            body = rss(items).replace(b"<link></link>", b"")
        elif path.startswith("/live/") and path.endswith(".xml"):
            try:
                k = int(path[len("/live/") : -len(".xml")])
            except ValueError:
                k = -1
            if 0 <= k < owner.feeds:
                status, ctype = 200, "application/rss+xml; charset=utf-8"
                body = owner.feed_body(k)
        try:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


class LiveFeedServer:
    """Healthy feeds that grow over time, on 127.0.0.1 at a random port."""

    def __init__(self, feeds: int = 4, period_s: float = 3.0, window: int = 20) -> None:
        self.feeds = feeds
        self.period_s = period_s
        self.window = window
        self.start_time = time.time()
        self.appeared: dict[tuple[int, int], float] = {}
        self.requests: dict[str, list[float]] = {}
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _LiveHandler)
        self._httpd.daemon_threads = True
        self._httpd.owner = self  # type: ignore[attr-defined]
        self._thread: threading.Thread | None = None

    def hit(self, path: str) -> int:
        """Record a request to ``path``; return how many it has had (1-based)."""
        with self._lock:
            times = self.requests.setdefault(path, [])
            times.append(time.time())
            return len(times)

    def url_of(self, path: str) -> str:
        """The absolute URL of ``path`` on this server."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}{path}"

    def visible(self, now: float | None = None) -> int:
        """How many items each feed has published by ``now``."""
        now = time.time() if now is None else now
        return int((now - self.start_time) / self.period_s) + 1

    def appear_time(self, i: int) -> float:
        """When item ``i`` (of any feed) was published on the server."""
        return self.start_time + i * self.period_s

    def feed_body(self, k: int) -> bytes:
        """The RSS body of feed ``k`` right now."""
        n = self.visible()
        items = []
        for i in range(max(0, n - self.window), n):
            m = marker(k, i)
            items.append((f"live-{k}-{i}", f"Tin nóng {m} số {i} từ nguồn {k}", f"https://live{k}.example.vn/tin/{i}"))
        with self._lock:
            for i in range(max(0, n - self.window), n):
                self.appeared.setdefault((k, i), self.appear_time(i))
        return rss(items, title=f"Nguồn sống {k}")

    def url(self, k: int) -> str:
        """The URL of feed ``k``."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/live/{k}.xml"

    def start(self) -> LiveFeedServer:
        """Start serving in a daemon thread."""
        self.start_time = time.time()
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> LiveFeedServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
