"""Server-side request forgery: no connection is ever opened to a refused address.

Every refused address here has a real listening socket behind it that counts the connections it
accepts (and answers like a web server, so that a fetcher without a guard would succeed): the tests
prove the count stays at 0. The suite's allow-list (tests/conftest.py: 127.0.0.1 and localhost) is
removed by ``no_allow_list``, or the listener binds 127.0.0.2, which the list leaves out.
"""

from __future__ import annotations

import http.server
import socket
import ssl
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from kiemchung import users as U
from kiemchung.claims.config import set_setting
from kiemchung.claims.notify import DeliveryError, send_webhook
from kiemchung.collect import Collector
from kiemchung.errors import ConfigError, FetchError, KiemchungError
from kiemchung.models import Source
from kiemchung.netguard import ENV_ALLOW, AddressPolicy, AddressRefused
from kiemchung.sources.http import Fetcher, FetchSettings, guarded_client
from kiemchung.store import Database
from kiemchung.web import create_app
from kiemchung.web.pages import add_source

RSS = (
    '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Nội bộ</title>'
    "<item><title>Bí mật nội bộ</title><link>http://noi-bo.example.vn/1</link><guid>1</guid>"
    "<description>Tài liệu chỉ dùng trong cơ quan.</description></item></channel></rss>"
).encode()
ANSWER = b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s" % (
    len(RSS),
    RSS,
)


class Listener:
    """A TCP server on ``host`` that counts accepted connections and answers each with a feed."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.host, self.port = host, self.sock.getsockname()[1]
        self.accepted = 0
        self.requests: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self.accepted += 1
            with conn:
                conn.settimeout(1.0)
                try:
                    self.requests.append(conn.recv(65536))
                    conn.sendall(ANSWER)
                except OSError:
                    pass

    def url(self, path: str = "/rss.xml", host: str | None = None) -> str:
        return f"http://{host or self.host}:{self.port}{path}"

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


@pytest.fixture
def listener():
    lst = Listener("127.0.0.1")
    yield lst
    lst.close()


@pytest.fixture
def listener2():
    """A listener on 127.0.0.2: loopback too, but not on the suite's allow-list."""
    lst = Listener("127.0.0.2")
    yield lst
    lst.close()


@pytest.fixture
def no_allow_list(monkeypatch):
    monkeypatch.delenv(ENV_ALLOW, raising=False)


def fast(**overrides) -> FetchSettings:
    base = dict(min_interval_s=0.0, retries=1, backoff_base_s=0.01, read_timeout_s=2.0, total_timeout_s=4.0)
    base.update(overrides)
    return FetchSettings(**base)


class Site(http.server.ThreadingHTTPServer):
    """An allowed local web site (127.0.0.1) whose routes redirect, serve feeds and pages."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
        self.hits: list[str] = []
        super().__init__(("127.0.0.1", 0), _SiteHandler)
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_port}{path}"

    def close(self) -> None:
        self.shutdown()
        self.server_close()


class _SiteHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        site: Site = self.server  # type: ignore[assignment]
        site.hits.append(self.path)
        status, headers, body = site.routes.get(self.path, (404, {}, b"khong co"))
        if self.path == "/robots.txt" and self.path not in site.routes:
            status, headers, body = 200, {"Content-Type": "text/plain"}, b"User-agent: *\nAllow: /\n"
        etag = headers.get("ETag")
        if etag and self.headers.get("If-None-Match") == etag:
            status, body = 304, b""
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def site():
    s = Site()
    yield s
    s.close()


def loopback_forms(port: int) -> list[str]:
    """127.0.0.1 written every way a URL parser or the C resolver accepts."""
    return [
        f"http://127.0.0.1:{port}/rss.xml",
        f"http://127.0.0.1.:{port}/rss.xml",
        f"http://2130706433:{port}/rss.xml",
        f"http://0x7f000001:{port}/rss.xml",
        f"http://0x7f.1:{port}/rss.xml",
        f"http://017700000001:{port}/rss.xml",
        f"http://127.1:{port}/rss.xml",
        f"http://[::ffff:127.0.0.1]:{port}/rss.xml",
        f"http://[::ffff:7f00:1]:{port}/rss.xml",
        f"http://localhost:{port}/rss.xml",
        f"http://LOCALHOST.:{port}/rss.xml",
        f"http://evil.example.vn@127.0.0.1:{port}/rss.xml",
        f"http://user:pass@2130706433:{port}/rss.xml",
    ]


# -- the fetcher ------------------------------------------------------------------------------------


def test_every_form_of_loopback_is_refused_without_a_connection(no_allow_list, listener):
    with Fetcher(fast()) as f:
        for url in loopback_forms(listener.port):
            with pytest.raises(AddressRefused) as err:
                f.get(url)
            assert err.value.reason == "private_address" and not err.value.soft, url
            assert "refused: private address" in str(err.value) and "từ chối" in str(err.value)
    assert listener.accepted == 0


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://[fd00:ec2::254]/latest/meta-data/",
        "http://10.0.0.1/",
        "http://172.16.5.4/",
        "http://192.168.1.1/admin",
        "http://100.64.0.1/",
        "http://0.0.0.0/",
        "http://[::]/",
        "http://[::1]/",
        "http://[fe80::1]/",
        "http://224.0.0.1/",
        "http://240.0.0.1/",
        "http://[2002:7f00:1::]/",
        "http://[64:ff9b::a00:1]/",
        "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/",
        "http://[::7f00:1]/",
        "http://intranet/",
        "http://may-in.local/",
        "http://gitlab.corp/",
        "http://db.internal/",
    ],
)
def test_internal_addresses_are_refused(no_allow_list, url):
    # Literal addresses and internal names are refused before DNS and before any socket: the
    # fetcher's transport is a real one, and none of these hosts is ever contacted.
    with Fetcher(fast(retries=0)) as f, pytest.raises(AddressRefused):
        f.get(url)


def test_name_resolving_to_loopback_is_refused(no_allow_list, listener, monkeypatch):
    # DNS is the network edge: a public-looking name whose answer is an internal address.
    real = socket.getaddrinfo

    def fake(host, port, *args, **kwargs):
        if host == "tin-tuc.example.vn":
            return real("127.0.0.1", port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    with Fetcher(fast(retries=0)) as f, pytest.raises(AddressRefused):
        f.get(f"http://tin-tuc.example.vn:{listener.port}/rss.xml")
    assert listener.accepted == 0


def test_connection_goes_to_the_address_that_was_checked(no_allow_list, listener, monkeypatch):
    """DNS rebinding: the name answers an allowed address once, then a refused one. The fetcher
    resolves once per connection and connects to what it checked, keeping the name as Host."""
    real = socket.getaddrinfo
    answers = iter(["127.0.0.1"])

    def rebinding(host, port, *args, **kwargs):
        if host == "tin-tuc.example.vn":
            return real(next(answers, "127.0.0.2"), port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    policy = AddressPolicy.build(allow=["127.0.0.1/32"], env=False)
    with Fetcher(fast(retries=0, respect_robots=False), policy=policy) as f:
        got = f.get(f"http://tin-tuc.example.vn:{listener.port}/rss.xml")
        assert got.content == RSS
        # The next connection sees the rebound answer (127.0.0.2) and is refused before connecting.
        with pytest.raises(AddressRefused):
            f.get(f"http://tin-tuc.example.vn:{listener.port}/rss.xml?lan=2")
    assert listener.accepted == 1
    assert f"Host: tin-tuc.example.vn:{listener.port}".encode() in listener.requests[0]


def test_redirect_into_a_refused_address_is_not_followed(site, listener2):
    site.routes["/chuyen"] = (302, {"Location": listener2.url()}, b"")
    site.routes["/chuyen-meta"] = (301, {"Location": "http://169.254.169.254/latest/meta-data/"}, b"")
    site.routes["/chuyen-so"] = (307, {"Location": f"http://2130706434:{listener2.port}/"}, b"")
    with Fetcher(fast()) as f:
        for path in ("/chuyen", "/chuyen-meta", "/chuyen-so"):
            with pytest.raises(AddressRefused) as err:
                f.get(site.url(path))
            assert err.value.reason == "private_address"
    assert listener2.accepted == 0
    assert site.hits.count("/chuyen") == 1  # a hard failure: not retried


def test_robots_txt_is_not_fetched_from_a_refused_host(listener2):
    with Fetcher(fast(respect_robots=True)) as f, pytest.raises(AddressRefused):
        f.get(listener2.url())
    assert listener2.accepted == 0 and listener2.requests == []


def test_allow_list_opens_a_host_on_purpose(listener2):
    policy = AddressPolicy.build(allow=["127.0.0.2"], env=False)
    with Fetcher(fast(respect_robots=False), policy=policy) as f:
        assert f.get(listener2.url()).content == RSS
    assert listener2.accepted == 1


def test_allow_private_opens_intranet_ranges_but_never_loopback_or_metadata():
    open_ = AddressPolicy.build(allow_private=True, env=False)
    for host in ("10.1.2.3", "192.168.0.10", "172.20.0.1", "fd12::1", "intranet", "cong.tinh.local"):
        open_.check_host(host)
    for host in ("127.0.0.1", "2130706433", "localhost", "169.254.169.254", "[::1]", "0.0.0.0", "224.0.0.1"):
        with pytest.raises(AddressRefused):
            open_.check_host(host)
    closed = AddressPolicy.build(env=False)
    for host in ("10.1.2.3", "intranet", "cong.tinh.local"):
        with pytest.raises(AddressRefused):
            closed.check_host(host)
    closed.check_host("baochinhphu.vn")
    closed.check_host("8.8.8.8")


# -- sources: polling, full text, last_error ---------------------------------------------------------


def test_last_error_is_not_a_port_scan_oracle(db, no_allow_list, listener):
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    closed_port = closed.getsockname()[1]
    closed.close()  # nothing listens there now
    collector = Collector(db)
    errors = []
    for port in (listener.port, closed_port):
        src = db.add_source(Source(kind="feed", url=f"http://127.0.0.1:{port}/rss.xml"))
        res = collector.poll(src)
        assert res.error is not None and res.error.reason == "private_address"
        stored = db.get_source(src.id)
        assert stored.failure_kind == "hard"
        errors.append(stored.last_error.replace(str(port), "PORT"))
    assert errors[0] == errors[1]  # an open and a closed port give the same answer
    assert "refused: private address" in errors[0]
    assert listener.accepted == 0 and db.count_documents() == 0


def test_full_text_links_to_internal_hosts_are_not_fetched(db, site, listener2, tmp_path):
    secret = tmp_path / "bi-mat.html"
    secret.write_text("<html><body><p>mật khẩu cơ sở dữ liệu</p></body></html>")
    feed = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Báo ngoài</title>'
        f"<item><title>Bài một</title><link>{listener2.url('/bai.html')}</link><guid>a</guid>"
        "<description>Ngắn.</description></item>"
        f"<item><title>Bài hai</title><link>{secret.as_uri()}</link><guid>b</guid>"
        "<description>Ngắn.</description></item></channel></rss>"
    ).encode()
    site.routes["/rss.xml"] = (200, {"Content-Type": "application/rss+xml"}, feed)
    src = db.add_source(Source(kind="feed", url=site.url("/rss.xml")))
    res = Collector(db, full_text_min_chars=500).poll(src)
    assert res.ok and res.stats.added == 2
    docs = {d.title: d for d in db.iter_documents()}
    assert "refused: private address" in docs["Bài một"].meta["full_text_error"]
    assert "full_text" not in docs["Bài hai"].meta  # a file:// link is never read
    assert all("mật khẩu" not in d.body for d in docs.values())
    assert listener2.accepted == 0


def test_sources_with_internal_urls_are_refused_when_added(db, no_allow_list):
    U.add_user(db, "bientap", "matkhau-manh-123", "editor")
    for url in ("http://127.0.0.1:8000/admin", "http://2130706433/", "http://[::ffff:10.0.0.1]/", "http://localhost/"):
        with pytest.raises(KiemchungError) as err:
            add_source(db, "bientap", "feed", url, "")
        assert "refused: private address" in str(err.value)
    client = TestClient(create_app(db), headers={"Authorization": f"Bearer {U.create_token(db, 'bientap')}"})
    r = client.post("/api/v1/sources", json={"kind": "web", "url": "http://169.254.169.254/latest/", "name": "x"})
    assert r.status_code == 400 and "refused: private address" in r.json()["detail"]
    assert db.list_sources() == []
    set_setting(db, "fetch_allow_hosts", "10.0.0.0/8")
    assert add_source(db, "bientap", "feed", "http://[::ffff:10.0.0.1]/rss", "").id


def test_settings_are_validated(db):
    assert set_setting(db, "fetch_allow_hosts", "intranet.tinh.gov.vn, 10.20.0.0/16 *.so.vn [::1]") == (
        "intranet.tinh.gov.vn, 10.20.0.0/16, .so.vn, ::1/128"
    )
    for bad in ("http://x/", "10.0.0.0/33", "2130706433", "a..b", "-"):
        with pytest.raises(ConfigError):
            set_setting(db, "fetch_allow_hosts", bad)
    assert set_setting(db, "fetch_allow_private", "on") == "1"
    with pytest.raises(ConfigError):
        set_setting(db, "fetch_allow_private", "maybe")
    policy = AddressPolicy.from_db(db)
    assert policy.allow_private
    policy.check_host("intranet.tinh.gov.vn")
    policy.check_host("van-ban.so.vn")


# -- webhooks ----------------------------------------------------------------------------------------


def test_internal_webhook_refused_when_set_and_when_sent(db, no_allow_list, listener2):
    for url in (listener2.url("/hook"), "http://169.254.169.254/hook", "http://localhost:9000/hook"):
        with pytest.raises(ConfigError) as err:
            set_setting(db, "alert_webhook_url", url)
        assert "refused: private address" in str(err.value) and "fetch_allow_hosts" in str(err.value)
    assert not db.get_setting("alert_webhook_url")
    # Stored before this check existed (or the allow-list was narrowed since): refused when sent.
    with pytest.raises(DeliveryError) as err:
        send_webhook(listener2.url("/hook"), {"alert_id": 1}, tries=3, backoff=0.0)
    assert str(err.value) == "từ chối: địa chỉ nội bộ / refused: private address"
    assert listener2.accepted == 0
    # On the allow-list, it is reached.
    set_setting(db, "fetch_allow_hosts", "127.0.0.2")
    assert set_setting(db, "alert_webhook_url", listener2.url("/hook"))
    send_webhook(listener2.url("/hook"), {"alert_id": 1}, policy=AddressPolicy.from_db(db))
    assert listener2.accepted == 1 and b"POST /hook" in listener2.requests[0]


def test_webhook_with_a_bad_stored_url_is_a_delivery_error():
    # A value stored before validation existed must not stop the delivery round with a traceback.
    for url in ("ftp://x.example.vn/hook", "khong-phai-url"):
        with pytest.raises(DeliveryError):
            send_webhook(url, {"alert_id": 1}, tries=1)


def test_webhook_redirect_is_not_followed(site, listener2):
    site.routes["/hook"] = (307, {"Location": listener2.url("/hook")}, b"")

    class Post(_SiteHandler):
        def do_POST(self) -> None:
            self.do_GET()

    site.RequestHandlerClass = Post
    with pytest.raises(DeliveryError):
        send_webhook(site.url("/hook"), {"alert_id": 1}, tries=1)
    assert listener2.accepted == 0


def test_fetch_error_codes_unchanged_for_public_failures(site):
    # The guard does not swallow ordinary errors of allowed hosts.
    with Fetcher(fast(retries=0)) as f, pytest.raises(FetchError) as err:
        f.get(site.url("/khong-co"))
    assert err.value.reason == "http_4xx"


# -- TLS: the connection goes to the checked address, the certificate is checked for the name -------

TLS = Path(__file__).parent / "fixtures" / "tls"  # a test CA, and its certificate for tin-tuc.example.vn only


@pytest.fixture
def tls_site():
    site = Site()
    seen_sni: list[str | None] = []
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(TLS / "server.pem", TLS / "server.key")
    ctx.sni_callback = lambda sock, name, _ctx: seen_sni.append(name)
    site.socket = ctx.wrap_socket(site.socket, server_side=True)
    site.seen_sni = seen_sni
    site.routes["/hook"] = (200, {"Content-Type": "text/plain"}, b"ok")

    class Post(_SiteHandler):
        def do_POST(self) -> None:
            site.hits.append(self.headers.get("Host"))
            self.do_GET()

    site.RequestHandlerClass = Post
    yield site
    site.close()


def test_tls_keeps_the_name_for_sni_and_certificate(tls_site, no_allow_list, monkeypatch):
    real = socket.getaddrinfo

    def fake(host, port, *args, **kwargs):
        if host in ("tin-tuc.example.vn", "ten-khac.example.vn"):
            return real("127.0.0.1", port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    ca = ssl.create_default_context(cafile=str(TLS / "ca.pem"))
    policy = AddressPolicy.build(allow=["127.0.0.1"], env=False)
    port = tls_site.server_port
    with guarded_client(policy, timeout=5, ssl_context=ca) as client:
        # The certificate names only tin-tuc.example.vn (no IP): it verifies because the name is kept.
        r = client.post(f"https://tin-tuc.example.vn:{port}/hook", json={"a": 1})
        assert r.status_code == 200
        assert tls_site.seen_sni == ["tin-tuc.example.vn"]
        assert tls_site.hits[0] == f"tin-tuc.example.vn:{port}"
        # Same address, another name: the certificate does not match, the request fails.
        with pytest.raises(httpx.ConnectError):
            client.post(f"https://ten-khac.example.vn:{port}/hook", json={"a": 1})
    # Without the allow-list the same name is refused before any TLS handshake.
    with guarded_client(AddressPolicy.build(env=False), ssl_context=ca) as client, pytest.raises(AddressRefused):
        client.post(f"https://tin-tuc.example.vn:{port}/hook", json={"a": 1})
    assert len(tls_site.seen_sni) == 2


# -- the command line ---------------------------------------------------------------------------------

PAGE = (
    "<html><head><title>Sở Y tế thông báo lịch tiêm chủng</title></head><body><article>"
    "<h1>Sở Y tế thông báo lịch tiêm chủng</h1>"
    + "<p>Sở Y tế tỉnh Lam Sơn thông báo lịch tiêm chủng mở rộng cho trẻ em tại các trạm y tế xã trong tháng này.</p>" * 6
    + "</article></body></html>"
).encode()


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kiemchung.cli", *args], capture_output=True, text=True, timeout=300,
        cwd=Path(__file__).resolve().parents[1],
    )


def test_cli_refuses_internal_sources_and_polls_web_pages(tmp_path, site):
    db_path = tmp_path / "kc.db"
    res = _cli("--db", str(db_path), "sources", "add", "http://169.254.169.254/latest/meta-data/")
    assert res.returncode == 1 and "refused: private address" in res.stderr and "Traceback" not in res.stderr
    site.routes["/thong-bao.html"] = (200, {"Content-Type": "text/html; charset=utf-8", "ETag": '"v1"'}, PAGE)
    # 127.0.0.1 is on the suite's allow-list (tests/conftest.py), inherited by the command.
    res = _cli("--db", str(db_path), "sources", "add", "--kind", "web", site.url("/thong-bao.html"), "--name", "Sở Y tế")
    assert res.returncode == 0, res.stderr
    for _ in range(2):
        res = _cli("--db", str(db_path), "fetch")
        assert res.returncode == 0, res.stderr
    db = Database(db_path)
    try:
        docs = list(db.iter_documents())
        assert len(docs) == 1 and "lịch tiêm chủng" in docs[0].title
        assert db.get_source(site.url("/thong-bao.html")).kind == "web"
    finally:
        db.close()
    assert site.hits.count("/thong-bao.html") == 2  # polled twice, stored once (the second a 304)
