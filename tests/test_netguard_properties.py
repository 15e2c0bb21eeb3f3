"""Property tests of the address guard (kiemchung.netguard): a fuzz pass over the ways to write a host.

Internal addresses are drawn from every refused range and written in every form a URL parser or the
C resolver accepts (dotted, one integer in decimal, hex or octal, short forms, mixed bases, IPv6
compressed or full, IPv4-mapped, 6to4, NAT64, brackets, trailing dots, upper case, userinfo in front);
each must be refused, and the guard's reading of a literal must agree with the system resolver's.
Derandomized in CI through the ``ci`` profile of tests/conftest.py. No DNS query is ever made: the
resolver is wrapped to answer literals only.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
from unittest import mock

import httpx
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from kiemchung.errors import FetchError
from kiemchung.netguard import AddressPolicy, AddressRefused, parse_ip, refusal_category

POLICY = AddressPolicy.build(env=False)
PROPS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

REFUSED_V4 = [
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
    "192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24",
    "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
]
REFUSED_V6 = ["::1/128", "::/128", "fe80::/10", "fc00::/7", "ff00::/8", "2001:db8::/32", "fec0::/10"]


def _in(net: str) -> st.SearchStrategy:
    n = ipaddress.ip_network(net)
    return st.integers(int(n.network_address), int(n.broadcast_address)).map(
        ipaddress.IPv4Address if n.version == 4 else ipaddress.IPv6Address
    )


refused_v4 = st.sampled_from(REFUSED_V4).flatmap(_in)
refused_v6 = st.sampled_from(REFUSED_V6).flatmap(_in)
public_v4 = st.integers(0, 2**32 - 1).map(ipaddress.IPv4Address).filter(lambda ip: refusal_category(ip) is None)


def _part(value: int, base: str, zeros: int) -> str:
    if base == "hex":
        return "0x" + "0" * zeros + format(value, "x")
    if base == "HEX":
        return "0X" + "0" * zeros + format(value, "X")
    if base == "oct":
        return "0" + "0" * zeros + format(value, "o")
    return str(value)


@st.composite
def v4_text(draw, ip: ipaddress.IPv4Address) -> str:
    """One way among many of writing an IPv4 address that inet_aton (and so the resolver) accepts."""
    n = int(ip)
    shape = draw(st.sampled_from(["4", "3", "2", "1"]))
    if shape == "4":
        values = [n >> 24, (n >> 16) & 255, (n >> 8) & 255, n & 255]
    elif shape == "3":
        values = [n >> 24, (n >> 16) & 255, n & 0xFFFF]
    elif shape == "2":
        values = [n >> 24, n & 0xFFFFFF]
    else:
        values = [n]
    parts = [
        _part(v, draw(st.sampled_from(["dec", "hex", "HEX", "oct"])), draw(st.integers(0, 2))) for v in values
    ]
    return ".".join(parts)


@st.composite
def v6_text(draw, ip: ipaddress.IPv6Address) -> str:
    form = draw(st.sampled_from(["compressed", "exploded", "upper"]))
    text = ip.exploded if form == "exploded" else ip.compressed
    return text.upper() if form == "upper" else text


@st.composite
def embedded_v6(draw, ip: ipaddress.IPv4Address) -> str:
    """An IPv6 address that carries ``ip``: IPv4-mapped (both notations), 6to4, NAT64."""
    kind = draw(st.sampled_from(["mapped-dotted", "mapped-hex", "mapped-full", "6to4", "nat64"]))
    n = int(ip)
    if kind == "mapped-dotted":
        return f"::ffff:{ip}"
    if kind == "mapped-hex":
        return f"::ffff:{n >> 16:x}:{n & 0xFFFF:x}"
    if kind == "mapped-full":
        return f"0:0:0:0:0:ffff:{n >> 16:04x}:{n & 0xFFFF:04x}"
    if kind == "6to4":
        return str(ipaddress.IPv6Address((0x2002 << 112) | (n << 80) | draw(st.integers(0, 2**64 - 1))))
    return str(ipaddress.IPv6Address(int(ipaddress.IPv6Address("64:ff9b::")) | n))


@st.composite
def refused_host(draw) -> tuple[str, bool]:
    """``(host as written in a URL, whether it is IPv6)`` for a refused address."""
    kind = draw(st.sampled_from(["v4", "v6", "embedded"]))
    if kind == "v4":
        return draw(refused_v4.flatmap(v4_text)), False
    if kind == "v6":
        return draw(refused_v6.flatmap(v6_text)), True
    return draw(refused_v4.flatmap(embedded_v6)), True


@st.composite
def url_of(draw, host: str, v6: bool) -> str:
    shown = f"[{host}]" if v6 else host
    if draw(st.booleans()) and not v6:
        shown += "."
    userinfo = draw(st.sampled_from(["", "evil@", "user:pass@", "baochinhphu.vn@", "a%40b@"]))
    port = draw(st.sampled_from(["", ":80", ":8080", ":443"]))
    scheme = draw(st.sampled_from(["http", "https", "HTTP"]))
    return f"{scheme}://{userinfo}{shown}{port}/{draw(st.sampled_from(['', 'rss.xml', 'a/b?c=1#d']))}"


def _numeric_only(real):
    def resolve(host, port, *args, **kwargs):
        kwargs["flags"] = kwargs.get("flags", 0) | socket.AI_NUMERICHOST
        return real(host, port, *args, **kwargs)

    return resolve


@PROPS
@given(refused_host().flatmap(lambda hv: st.tuples(st.just(hv), url_of(*hv))))
@example((("2130706433", False), "http://2130706433/"))
@example((("0x7f.1", False), "http://evil@0x7f.1:8080/"))
@example((("::ffff:169.254.169.254", True), "http://[::ffff:169.254.169.254]/latest/meta-data/"))
def test_refused_addresses_are_refused_in_every_form(case):
    (host, _v6), url = case
    # Statically (what is checked when a source or webhook is stored) ...
    try:
        POLICY.check_url(url)
    except AddressRefused:
        pass
    except FetchError as exc:  # httpx refuses some forms (0177.0.0.1) as invalid: never connected either
        assert exc.reason == "bad_url"
    else:
        raise AssertionError(f"accepted {url}")
    # ... and at connection time, on the host httpx would connect to.
    with mock.patch.object(socket, "getaddrinfo", _numeric_only(socket.getaddrinfo)):
        try:
            POLICY.resolve(host, 80)
        except AddressRefused:
            pass
        else:
            raise AssertionError(f"resolved {host}")


@PROPS
@given(st.one_of(refused_v4, public_v4).flatmap(v4_text))
@example("0127.0.0.1")  # octal: 87.0.0.1, public
@example("127.000.000.001")
def test_guard_reads_a_literal_as_the_system_resolver_does(text):
    try:
        system = socket.getaddrinfo(text, 80, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST)[0][4][0]
    except socket.gaierror:
        system = None
    mine = parse_ip(text)
    assert (str(mine) if mine else None) == system


@PROPS
@given(public_v4.flatmap(lambda ip: st.tuples(st.just(ip), v4_text(ip))))
def test_public_addresses_are_not_refused(case):
    ip, text = case
    POLICY.check_host(text)
    with mock.patch.object(socket, "getaddrinfo", _numeric_only(socket.getaddrinfo)):
        assert POLICY.resolve(text, 80) == [str(ip)]


@PROPS
@given(refused_host(), public_v4)
def test_userinfo_never_decides_the_host(refused, public):
    host, v6 = refused
    shown = f"[{host}]" if v6 else host
    # The part before @ is a user name, not the host: a public-looking one does not open an internal host.
    try:
        POLICY.check_url(f"http://{public}@{shown}/")
    except AddressRefused:
        pass
    except FetchError as exc:
        assert exc.reason == "bad_url"
    else:
        raise AssertionError(shown)
    # And an internal-looking user name does not close a public host.
    POLICY.check_url(f"http://{shown.strip('[]').replace(':', '-')}@{public}/")
    assert httpx.URL(f"http://x@{public}/").host == str(public)


@PROPS
@given(st.text(max_size=60))
def test_any_host_string_is_refused_or_accepted_never_crashes(text):
    with contextlib.suppress(AddressRefused):
        POLICY.check_host(text)
