"""A local HTTP server for the channel connectors' tests: recorded-shape pages by path (and query).

``routes`` maps a path with its query (``/s/kenh?before=100``) or without (``/s/kenh``) to
``(status, content type, body bytes)``, or to a function of the query dict returning that; every
request's path is recorded in ``requests``. Unknown paths (robots.txt included) answer 404.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server's name
        server = self.server
        server.requests.append(self.path)
        parts = urlsplit(self.path)
        route = server.routes.get(self.path) or server.routes.get(parts.path)
        if callable(route):
            route = route({k: v[0] for k, v in parse_qs(parts.query).items()})
        status, ctype, body = route or (404, "text/html; charset=utf-8", b"<html><body>404</body></html>")
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class ChannelServer:
    """``with ChannelServer(routes) as srv: srv.url("/path")``."""

    def __init__(self, routes: dict | None = None) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.routes = dict(routes or {})
        self.httpd.requests = []

    @property
    def routes(self) -> dict:
        return self.httpd.routes

    @property
    def requests(self) -> list[str]:
        return self.httpd.requests

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def __enter__(self) -> ChannelServer:
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
