"""Login limiter (issue 12, "Lower — Login limiter"): counted before the password check, back-off
instead of lock-out, per (address, account) with a generous per-address cap, X-Forwarded-For only
from configured proxies. A real uvicorn server on loopback for the concurrency test; an injected
clock everywhere (no test waits or reads the wall clock)."""

from __future__ import annotations

import datetime as dt
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient

from kiemchung import users as U
from kiemchung.claims.config import set_setting
from kiemchung.errors import ConfigError
from kiemchung.logins import LoginLimiter, client_address
from kiemchung.web import create_app

# Every test here that takes ``db`` runs on SQLite and on PostgreSQL (tests/conftest.py: any_db).
pytestmark = pytest.mark.pg_fulltext


@pytest.fixture
def db(any_db):
    return any_db


PW = "matkhau-kiemchung-1"
T0 = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)


class Clock:
    """A settable clock for the limiter."""

    def __init__(self) -> None:
        self.t = T0

    def __call__(self) -> dt.datetime:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += dt.timedelta(seconds=seconds)


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def app(db, clock):
    U.add_user(db, "quantri", PW, "admin")
    U.add_user(db, "xem", PW, "viewer")
    app = create_app(db)
    app.state.login_limiter = LoginLimiter(clock=clock)
    return app


def _login(c: TestClient, name: str, password: str, **headers) -> int:
    r = c.post("/login", data={"username": name, "password": password}, headers=headers, follow_redirects=False)
    return r.status_code


def test_back_off_not_lock_out_the_right_password_works_after_a_bounded_delay(app, clock):
    c = TestClient(app)
    for _ in range(5):
        assert _login(c, "quantri", "sai-mat-khau") == 401
    assert _login(c, "quantri", PW) == 429  # backing off: 1 s
    clock.advance(1)
    assert _login(c, "quantri", "sai-mat-khau") == 401
    r = c.post("/login", data={"username": "quantri", "password": PW}, follow_redirects=False)
    assert r.status_code == 429 and r.headers["retry-after"] == "2" and "2 giây" in r.text
    # however long the attacker keeps failing, the wait never exceeds max_delay (60 s)
    for _ in range(20):
        clock.advance(60)
        assert _login(c, "quantri", "sai-mat-khau") == 401
    clock.advance(60)
    assert _login(c, "quantri", PW) == 303


def test_failures_from_one_address_do_not_touch_the_same_account_elsewhere(app, db):
    set_setting(db, "trusted_proxies", "10.0.0.1")
    c = TestClient(app, client=("10.0.0.1", 50000))  # requests arrive through our proxy
    for _ in range(8):
        assert _login(c, "quantri", "sai", **{"X-Forwarded-For": "203.0.113.9"}) in (401, 429)
    assert _login(c, "quantri", PW, **{"X-Forwarded-For": "203.0.113.9"}) == 429
    assert _login(c, "quantri", PW, **{"X-Forwarded-For": "198.51.100.7"}) == 303  # the admin, elsewhere


def test_office_behind_one_nat_is_not_blocked_outright(db, clock):
    limiter = LoginLimiter(clock=clock)
    # 30 colleagues behind one address each mistype twice: nobody waits
    for i in range(30):
        for _ in range(2):
            d = limiter.begin(db, "192.0.2.1", f"nv{i}")
            assert d.allowed
    assert limiter.begin(db, "192.0.2.1", "nv-moi").allowed
    # a guesser over many accounts from that address hits the per-address cap and backs off
    for i in range(40):
        limiter.begin(db, "192.0.2.1", f"doan-{i}")
    d = limiter.begin(db, "192.0.2.1", "nv0")
    assert not d.allowed and 0 < d.retry_after <= limiter.max_delay
    clock.advance(limiter.max_delay)
    assert limiter.begin(db, "192.0.2.1", "nv0").allowed  # bounded: never a lock


def test_old_failures_are_forgotten(db, clock):
    limiter = LoginLimiter(clock=clock)
    for _ in range(5):
        limiter.begin(db, "192.0.2.5", "lan")
    assert not limiter.begin(db, "192.0.2.5", "lan").allowed
    clock.advance(limiter.window.total_seconds() + 1)
    assert limiter.begin(db, "192.0.2.5", "lan").allowed


def test_forty_parallel_tries_check_at_most_five_passwords(db, monkeypatch):
    """40 concurrent POST /login to a real server: the attempt is counted before the password is
    checked, so the back-off starts after exactly ``free`` checks (the review saw 8 of a limit of 5)."""
    import uvicorn

    U.add_user(db, "quantri", PW, "admin")
    app = create_app(db)
    app.state.login_limiter = LoginLimiter(clock=lambda: T0)  # frozen: no delay ever runs out
    checks = []
    real_verify = U._verify

    def counting_verify(stored, password):
        checks.append(password)
        return real_verify(stored, password)

    monkeypatch.setattr(U, "_verify", counting_verify)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 180  # a guard against a hang: start-up is slow on a loaded CI machine
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the web server did not start"
        time.sleep(0.05)
    body = urllib.parse.urlencode({"username": "quantri", "password": "sai-mat-khau"}).encode()
    start = threading.Barrier(40)

    def one(_):
        start.wait()
        req = urllib.request.Request(f"http://127.0.0.1:{port}/login", data=body, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return r.status
        except urllib.error.HTTPError as exc:
            return exc.code

    try:
        with ThreadPoolExecutor(40) as pool:
            codes = list(pool.map(one, range(40)))
    finally:
        server.should_exit = True
        thread.join(10)
    assert len(checks) <= 5, len(checks)
    assert codes.count(401) == len(checks) and codes.count(429) == 40 - len(checks)


@pytest.mark.parametrize(
    ("peer", "xff", "trusted", "expected"),
    [
        ("127.0.0.1", "6.6.6.6", "", "127.0.0.1"),  # nothing trusted: a local client cannot claim an address
        ("192.0.2.50", "6.6.6.6", "10.0.0.1", "192.0.2.50"),  # not from our proxy: ignored
        ("10.0.0.1", "203.0.113.9", "10.0.0.1", "203.0.113.9"),
        ("10.0.0.1", "6.6.6.6, 203.0.113.9", "10.0.0.0/8", "203.0.113.9"),  # spoofed left part ignored
        ("10.0.0.2", "203.0.113.9, 10.0.0.1", "10.0.0.0/8", "203.0.113.9"),  # two proxies
        ("10.0.0.1", "not-an-ip", "10.0.0.1", "10.0.0.1"),
        ("::1", "2001:db8::7", "::1", "2001:db8::7"),
        ("10.0.0.1", None, "10.0.0.1", "10.0.0.1"),
    ],
)
def test_forwarded_for_only_from_trusted_proxies(peer, xff, trusted, expected):
    assert client_address(peer, xff, trusted) == expected


def test_trusted_proxies_setting_is_validated(db):
    assert set_setting(db, "trusted_proxies", "10.0.0.1, 172.16.0.0/12") == "10.0.0.1/32, 172.16.0.0/12"
    with pytest.raises(ConfigError):
        set_setting(db, "trusted_proxies", "proxy.local")


def test_forwarded_for_from_an_untrusted_local_client_is_ignored(app):
    """The review's reproduction: any local client could pick its address with X-Forwarded-For and
    so escape the per-address back-off. Without trusted_proxies the header changes nothing."""
    c = TestClient(app, client=("127.0.0.1", 50000))
    for i in range(6):
        _login(c, "xem", "sai", **{"X-Forwarded-For": f"198.51.100.{i}"})
    assert _login(c, "xem", PW, **{"X-Forwarded-For": "198.51.100.200"}) == 429
