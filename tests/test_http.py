"""The polite fetcher against a real, misbehaving local HTTP server (tests/hostile_server.py)."""

from __future__ import annotations

import threading
import time

import httpx
import pytest
from hostile_server import BIG_SIZE, HostileServer, fixture, gzip_bomb, to_cp1258

from kiemchung.errors import FetchError
from kiemchung.sources.http import (
    Fetcher,
    _HostClock,
    FetchResult,
    FetchSettings,
    charset_from_content_type,
    declared_charset,
    decode_body,
)

GOOD_RSS = fixture("rss_good.xml")


def fast(**overrides) -> FetchSettings:
    """Settings that keep tests quick: no rate-limit wait, short backoff and timeouts."""
    base = dict(min_interval_s=0.0, retries=1, backoff_base_s=0.05, read_timeout_s=2.0, total_timeout_s=4.0)
    base.update(overrides)
    return FetchSettings(**base)


class FakeClock:
    """A monotonic clock that stands still unless moved; sleeps are recorded, not slept.

    The fetcher's waiting decisions (rate limit, backoff, Retry-After) are checked against it rather
    than against gaps measured on a busy machine.
    """

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(round(seconds, 6))


def with_fake_clock(fetcher: Fetcher) -> FakeClock:
    """Give ``fetcher`` a fake clock for its rate limit and backoff waits."""
    fake = FakeClock()
    fetcher._clock = _HostClock(clock=fake, sleep=fake.sleep)
    return fake


@pytest.fixture(scope="module")
def server():
    gzip_bomb()  # built once now, not inside a request the tests' deadlines time (slow on a busy machine)
    with HostileServer() as srv:
        yield srv


@pytest.fixture
def srv(server):
    server.reset()
    server.robots_status = 200
    return server


@pytest.fixture
def fetcher():
    with Fetcher(fast()) as f:
        yield f


def assert_healthy(fetcher: Fetcher, srv: HostileServer) -> None:
    """After any failure the same fetcher still fetches a good feed."""
    result = fetcher.get(srv.url("/rss.xml"))
    assert result.status == 200 and result.content == GOOD_RSS


# -- defaults and the happy path ------------------------------------------------------------------------


def test_settings_defaults():
    s = FetchSettings()
    assert s.user_agent == "kiemchung/0.1 (+https://github.com/kiemchung)"
    assert s.max_bytes == 10 * 1024 * 1024
    assert s.max_redirects == 5
    assert s.min_interval_s == 1.0
    assert s.max_decompressed_bytes >= s.max_bytes


def test_get_good_feed(srv, fetcher):
    result = fetcher.get(srv.url("/rss.xml"))
    assert isinstance(result, FetchResult)
    assert result.status == 200 and not result.not_modified
    assert result.content == GOOD_RSS
    assert result.encoding == "utf-8"
    assert result.url == srv.url("/rss.xml")
    assert result.elapsed_s >= 0
    sent = srv.headers_of("/rss.xml")[0]
    assert sent["User-Agent"] == FetchSettings().user_agent
    assert "gzip" in sent["Accept-Encoding"]


def test_gzip_body_is_decoded(srv, fetcher):
    result = fetcher.get(srv.url("/gzip.xml"))
    assert result.content == GOOD_RSS
    assert srv.sent["/gzip.xml"] < len(GOOD_RSS)  # it really travelled compressed


def test_conditional_get_304(srv, fetcher):
    first = fetcher.get(srv.url("/conditional.xml"))
    assert first.status == 200 and first.etag == '"v1-abc"' and first.last_modified
    again = fetcher.get(srv.url("/conditional.xml"), etag=first.etag)
    assert again.not_modified and again.status == 304 and again.content == b""
    assert again.etag == first.etag
    by_date = fetcher.get(srv.url("/conditional.xml"), last_modified=first.last_modified)
    assert by_date.not_modified
    headers = srv.headers_of("/conditional.xml")
    assert headers[1]["If-None-Match"] == '"v1-abc"'
    assert headers[2]["If-Modified-Since"] == first.last_modified
    assert srv.count("/conditional.xml") == 3
    stale = fetcher.get(srv.url("/conditional.xml"), etag='"old"')
    assert stale.status == 200 and stale.content == GOOD_RSS


def test_file_url(tmp_path):
    path = tmp_path / "mau.xml"
    path.write_bytes(GOOD_RSS)
    with Fetcher(fast()) as f:
        result = f.get(path.as_uri(), local_files=True)
        assert result.content == GOOD_RSS and result.status == 200
        with pytest.raises(FetchError) as err:
            f.get((tmp_path / "khong-co.xml").as_uri(), local_files=True)
        assert err.value.reason == "not_found" and not err.value.soft
        # A file:// link from a feed item or a web form is never read.
        with pytest.raises(FetchError) as err:
            f.get(path.as_uri())
        assert err.value.reason == "bad_url"
    with Fetcher(fast(max_bytes=100)) as small, pytest.raises(FetchError) as err:
        small.get(path.as_uri(), local_files=True)
    assert err.value.reason == "too_large"


def test_bad_url(fetcher):
    for url in ("ftp://example.vn/x", "khong-phai-url", "http://"):
        with pytest.raises(FetchError) as err:
            fetcher.get(url)
        assert err.value.reason == "bad_url"


# -- size bounds ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/big", "/big-chunked"])
def test_50mb_body_is_cut_off(srv, path):
    with Fetcher(fast()) as f:  # default max_bytes: 10 MB
        with pytest.raises(FetchError) as err:
            f.get(srv.url(path))
        assert err.value.reason == "too_large" and not err.value.soft
        assert "(too_large)" in str(err.value)
        time.sleep(0.3)  # let the server notice the hang-up
        # The server wrote at most the cap plus what socket buffers hold, far from 50 MB.
        assert srv.sent[path] < BIG_SIZE * 0.6
        assert srv.count(path) == 1  # too_large is not retried
        assert_healthy(f, srv)


def test_small_cap_streams_and_stops_early(srv):
    with Fetcher(fast(max_bytes=256 * 1024)) as f:
        with pytest.raises(FetchError) as err:
            f.get(srv.url("/big-chunked"))
        assert err.value.reason == "too_large"
        time.sleep(0.3)
        assert srv.sent["/big-chunked"] < 20 * 1024 * 1024


def test_gzip_bomb(srv):
    with Fetcher(fast(max_decompressed_bytes=5 * 1024 * 1024)) as f:
        with pytest.raises(FetchError) as err:
            f.get(srv.url("/bomb.xml"))
        assert err.value.reason == "decompression_bomb" and not err.value.soft
        assert srv.sent["/bomb.xml"] < 1024 * 1024  # compressed payload is small...
        assert_healthy(f, srv)


def test_gzip_bomb_default_settings(srv, fetcher):
    with pytest.raises(FetchError) as err:  # ...and it inflates to 200 MB, far above the default cap
        fetcher.get(srv.url("/bomb.xml"))
    assert err.value.reason == "decompression_bomb"


# -- redirects ------------------------------------------------------------------------------------------


def test_redirect_chain_followed(srv, fetcher):
    result = fetcher.get(srv.url("/chain/4"))
    assert result.content == GOOD_RSS and result.url == srv.url("/chain/0")


def test_too_many_redirects(srv, fetcher):
    with pytest.raises(FetchError) as err:
        fetcher.get(srv.url("/chain/12"))
    assert err.value.reason == "too_many_redirects" and not err.value.soft
    assert srv.count("/chain/7") == 1 and srv.count("/chain/6") == 0  # 5 redirects followed, not 6
    assert_healthy(fetcher, srv)


def test_redirect_loop(srv, fetcher):
    with pytest.raises(FetchError) as err:
        fetcher.get(srv.url("/loop/a"))
    assert err.value.reason == "redirect_loop" and not err.value.soft
    assert srv.count("/loop/a") == 1 and srv.count("/loop/b") == 1
    assert_healthy(fetcher, srv)


def test_redirect_into_disallowed_path(srv, fetcher):
    with pytest.raises(FetchError) as err:
        fetcher.get(srv.url("/to-private"))
    assert err.value.reason == "robots_disallowed"
    assert srv.count("/private/feed.xml") == 0


# -- status codes and retries ---------------------------------------------------------------------------


def test_429_retry_after_honoured(srv, fetcher):
    clock = with_fake_clock(fetcher)
    result = fetcher.get(srv.url("/429?fails=1&after=1"))
    assert result.status == 200
    assert srv.count("/429") == 2
    assert clock.sleeps == [1.0]  # waited the Retry-After second, not the 0.05 s backoff


def test_429_long_retry_after_gives_up_at_once(srv, fetcher):
    clock = with_fake_clock(fetcher)
    with pytest.raises(FetchError) as err:
        fetcher.get(srv.url("/429?fails=9&after=3600"))
    assert err.value.reason == "http_429" and err.value.soft
    assert err.value.retry_after == 3600
    assert srv.count("/429") == 1
    assert clock.sleeps == []  # nothing waited for
    assert "(http_429)" in str(err.value)


def test_5xx_retried_then_soft_error(srv, fetcher):
    for path in ("/500", "/503"):
        with pytest.raises(FetchError) as err:
            fetcher.get(srv.url(path))
        assert err.value.reason == "http_5xx" and err.value.soft
        assert srv.count(path) == 2  # first attempt + settings.retries
    assert_healthy(fetcher, srv)


def test_transient_503_heals(srv, fetcher):
    assert fetcher.get(srv.url("/flaky")).content == GOOD_RSS
    assert srv.count("/flaky") == 2


def test_backoff_grows_exponentially(srv):
    with Fetcher(fast(retries=3, backoff_base_s=0.2, backoff_max_s=0.5)) as f, pytest.raises(FetchError):
        clock = with_fake_clock(f)
        f.get(srv.url("/500"))
    assert srv.count("/500") == 4
    assert clock.sleeps == [0.2, 0.4, 0.5]  # doubling, capped at backoff_max_s


@pytest.mark.parametrize("code", [403, 404, 410])
def test_4xx_is_hard_and_not_retried(srv, fetcher, code):
    with pytest.raises(FetchError) as err:
        fetcher.get(srv.url(f"/{code}"))
    assert err.value.reason == "http_4xx" and not err.value.soft
    assert err.value.status == code
    assert srv.count(f"/{code}") == 1


def test_odd_status_is_refused(srv, fetcher):
    with pytest.raises(FetchError) as err:  # 300 Multiple Choices without Location: not content
        fetcher.get(srv.url("/300"))
    assert err.value.reason == "bad_status" and not err.value.soft


def test_connection_refused_is_soft():
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there any more
    with Fetcher(fast(retries=0, respect_robots=False)) as f, pytest.raises(FetchError) as err:
        f.get(f"http://127.0.0.1:{port}/rss.xml")
    assert err.value.reason == "connection" and err.value.soft


# -- time bounds ----------------------------------------------------------------------------------------


def test_slow_server_times_out(srv):
    with Fetcher(fast(read_timeout_s=0.5, retries=0)) as f:
        with pytest.raises(FetchError) as err:
            f.get(srv.url("/slow?delay=20"))  # the server would answer after 20 s
        assert err.value.reason == "timeout" and err.value.soft
        assert "Hết thời gian chờ" in str(err.value) and "(timeout)" in str(err.value)
        assert_healthy(f, srv)


@pytest.mark.parametrize("path", ["/slowloris-headers", "/slowloris-body"])
def test_slowloris_hits_total_deadline(srv, path):
    # Each byte comes within the read timeout, so only the total deadline can stop this.
    # The drip lasts over 200 s; a timeout before it ends can only come from the total deadline.
    with Fetcher(fast(read_timeout_s=3.0, total_timeout_s=2.5, retries=0)) as f:
        with pytest.raises(FetchError) as err:
            f.get(srv.url(path))
        assert err.value.reason == "timeout"
        assert 0 < srv.sent[path] < 200  # cut off mid-drip
        assert_healthy(f, srv)


def test_timeouts_are_retried(srv):
    with Fetcher(fast(read_timeout_s=0.3, retries=2, backoff_base_s=0.01)) as f, pytest.raises(FetchError):
        f.get(srv.url("/slow?delay=20"))
    assert srv.count("/slow") == 3


# -- politeness -----------------------------------------------------------------------------------------


def test_robots_disallowed(srv, fetcher):
    with pytest.raises(FetchError) as err:
        fetcher.get(srv.url("/private/feed.xml"))
    assert err.value.reason == "robots_disallowed" and not err.value.soft
    assert srv.count("/private/feed.xml") == 0
    assert fetcher.allowed(srv.url("/rss.xml"))
    assert not fetcher.allowed(srv.url("/private/x"))


def test_robots_cached_with_ttl(srv):
    with Fetcher(fast(robots_ttl_s=0.5)) as f:
        clock = with_fake_clock(f)
        for _ in range(3):
            f.get(srv.url("/rss.xml"))
        assert srv.count("/robots.txt") == 1
        clock.now += 0.49  # still fresh on the fetcher's clock
        f.get(srv.url("/rss.xml"))
        assert srv.count("/robots.txt") == 1
        clock.now += 0.02  # expired
        f.get(srv.url("/rss.xml"))
        assert srv.count("/robots.txt") == 2


def test_robots_fetched_once_under_concurrency(srv):
    with Fetcher(fast()) as f:
        threads = [threading.Thread(target=f.get, args=(srv.url("/rss.xml"),)) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert srv.count("/robots.txt") == 1
    assert srv.count("/rss.xml") == 6


def test_robots_4xx_allows_and_5xx_disallows(srv):
    srv.robots_status = 404
    with Fetcher(fast()) as f:
        assert f.get(srv.url("/private/feed.xml")).status == 200
    srv.robots_status = 503
    with Fetcher(fast()) as f:
        with pytest.raises(FetchError) as err:
            f.get(srv.url("/rss.xml"))
        assert err.value.reason == "robots_disallowed"


def test_robots_unreachable_allows():
    # The transport refuses only robots.txt: an unreachable robots.txt means "allowed".
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/robots.txt":
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(
            200, stream=httpx.ByteStream(GOOD_RSS), headers={"Content-Type": "application/rss+xml"}
        )

    with Fetcher(fast(), transport=httpx.MockTransport(handler)) as f:
        assert f.get("http://khong-toi-duoc.example.vn/rss.xml").content == GOOD_RSS


def test_robots_can_be_turned_off(srv):
    with Fetcher(fast(respect_robots=False)) as f:
        assert f.get(srv.url("/private/feed.xml")).status == 200
    assert srv.count("/robots.txt") == 0


def test_limiter_reserves_one_slot_per_interval_and_host():
    clock = FakeClock()
    limiter = _HostClock(clock=clock, sleep=clock.sleep)
    assert [limiter.wait("a", 1.0) for _ in range(3)] == [0.0, 1.0, 2.0]  # slots at 0, +1, +2
    assert limiter.wait("b", 1.0) == 0.0  # another host does not wait
    clock.now += 2.5  # the slot at +2 is past; the next one is at +3
    assert limiter.wait("a", 1.0) == pytest.approx(0.5)
    clock.now += 10
    assert limiter.wait("a", 1.0) == 0.0  # a quiet host is free at once
    assert limiter.wait("c", 0.0) == limiter.wait("c", 0.0) == 0.0  # no interval, no wait
    assert clock.sleeps == [1.0, 2.0, 0.5]


def test_limiter_gives_concurrent_callers_distinct_slots():
    clock = FakeClock()
    limiter = _HostClock(clock=clock, sleep=clock.sleep)
    waits: list[float] = []
    threads = [threading.Thread(target=lambda: waits.append(limiter.wait("a", 0.3))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(waits) == pytest.approx([0.3 * i for i in range(8)])


def test_rate_limit_per_host_across_threads(srv):
    interval = 0.3
    with Fetcher(fast(min_interval_s=interval, respect_robots=False)) as f:
        clock = with_fake_clock(f)
        threads = [threading.Thread(target=f.get, args=(srv.url("/rss.xml"),)) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert srv.count("/rss.xml") == 4
    assert sorted(clock.sleeps) == pytest.approx([0.3, 0.6, 0.9])  # one request per slot


def test_rate_limit_is_per_host(srv):
    # 127.0.0.1 and localhost are different hosts for the limiter.
    with Fetcher(fast(min_interval_s=2.0, respect_robots=False)) as f:
        clock = with_fake_clock(f)
        f.get(srv.url("/rss.xml"))
        f.get(srv.url("/rss.xml").replace("127.0.0.1", "localhost"))
        assert clock.sleeps == []
        f.get(srv.url("/rss.xml"))
        assert clock.sleeps == [2.0]


# -- charset helpers ------------------------------------------------------------------------------------


def test_charset_helpers():
    assert charset_from_content_type('text/html; charset="Windows-1258"') == "windows-1258"
    assert charset_from_content_type("text/html") is None
    assert declared_charset(b'<?xml version="1.0" encoding="windows-1258"?><rss/>') == "windows-1258"
    assert declared_charset(b'<html><head><meta charset="utf-8">') == "utf-8"
    text = "Người dân phản ánh"
    assert decode_body(text.encode("utf-8"), charset="iso-8859-1") == (text, "utf-8")
    legacy = to_cp1258(text)
    decoded, codec = decode_body(legacy, charset="windows-1258")
    assert decoded == text and codec == "cp1258"
    good = "Người dân phản ánh. ".encode()
    broken, codec = decode_body(good * 50 + b"\xff\xfe" + good * 50)  # a few bad bytes in good UTF-8
    assert codec == "utf-8" and "Người" in broken and "\ufffd" in broken
