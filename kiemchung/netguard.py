"""The address guard: which hosts kiemchung may open a connection to.

kiemchung fetches URLs that editors type and that third-party feeds carry, from inside agency
networks. Without a guard, such a URL can reach the machine itself (``127.0.0.1``, ``localhost``),
the office network (``10.0.0.0/8``…), cloud metadata (``169.254.169.254``) or any of them written in
a form a naive check misses (``2130706433``, ``0x7f.1``, ``[::ffff:127.0.0.1]``).

:class:`AddressPolicy` decides. :meth:`AddressPolicy.resolve` is called by the network backend of
:mod:`kiemchung.sources.http` (the one guarded client) for *every* TCP connection (first request, every redirect hop,
robots.txt, webhooks), and :meth:`AddressPolicy.connect` for the mail clients (SMTP, IMAP): it resolves the name once, checks every address, and returns the addresses
to connect to, so what is connected to is what was checked (a DNS answer that changes between the
check and the connection cannot swap in an internal address). TLS still verifies the certificate
for the name, and the ``Host`` header is unchanged.

Refused: loopback, private-use, shared (CGNAT), link-local, multicast, reserved, unspecified and
documentation addresses, IPv6 forms that embed one of them (IPv4-mapped, 6to4, NAT64), Teredo, and
names that only exist inside a network (``localhost``, single-label names, ``.local``,
``.internal``, ``.lan``, ``.home.arpa``…), which are refused before any DNS query so that the
answer does not reveal which internal names exist.

An installation that monitors an intranet site on purpose sets ``fetch_allow_private`` (private-use
ranges and internal names become reachable; loopback, link-local and the rest stay refused) and/or
lists hosts and networks in ``fetch_allow_hosts`` (anything listed is reachable, loopback too). The
environment variable ``KIEMCHUNG_FETCH_ALLOW_HOSTS`` adds entries in the same syntax (for
deployments configured through the environment, and the test suite's local servers).

Refusals raise :class:`AddressRefused` with one message whatever the address was: the error a user
sees (a source's ``last_error``) says nothing about what, if anything, listens there.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import re
import socket
from collections.abc import Iterable
from dataclasses import dataclass

from kiemchung.errors import ConfigError, FetchError

__all__ = [
    "ENV_ALLOW",
    "REFUSED_MESSAGE",
    "AddressPolicy",
    "AddressRefused",
    "check_allow_list",
    "refusal_category",
]

log = logging.getLogger(__name__)

ENV_ALLOW = "KIEMCHUNG_FETCH_ALLOW_HOSTS"
REFUSED_MESSAGE = "từ chối: địa chỉ nội bộ / refused: private address"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Ranges an intranet site can live in: opened by ``fetch_allow_private``.
_PRIVATE_USE = tuple(
    ipaddress.ip_network(n)
    for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7", "fec0::/10")
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# IANA special-purpose registries (ranges not globally reachable), written out because the tables of
# the ipaddress module differ between Python releases (3.11.7 calls 192.0.0.8 global). Ranges that
# embed an IPv4 address (IPv4-mapped, IPv4-compatible, 6to4, NAT64) are judged by that address
# instead; Teredo (2001::/32, inside 2001::/23) is refused whole.
_NOT_GLOBAL = tuple(
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8", "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "198.18.0.0/15",
        "198.51.100.0/24", "203.0.113.0/24", "240.0.0.0/4", "255.255.255.255/32",
        "::/128", "64:ff9b:1::/48", "100::/64", "2001::/23", "2001:db8::/32", "3fff::/20", "5f00::/16",
    )
)
# Names that resolve only inside a network (RFC 6761, RFC 6762, RFC 8375, common private suffixes).
_INTERNAL_SUFFIXES = (
    ".localhost", ".local", ".internal", ".intranet", ".lan", ".home", ".corp", ".private",
    ".home.arpa", ".localdomain", ".test", ".invalid", ".example",
)
_LEGACY_IPV4 = re.compile(r"^[0-9a-fA-FxX.]+$")


class AddressRefused(FetchError):
    """A URL points at an address the installation does not allow kiemchung to connect to."""

    def __init__(self, url: str | None = None) -> None:
        where = f": {url}" if url else ""
        super().__init__(f"{REFUSED_MESSAGE}{where} (private_address)", soft=False, reason="private_address")


def _strip_host(host: str) -> str:
    host = host.strip()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host.rstrip(".").lower()


def parse_ip(host: str) -> IPAddress | None:
    """The address a host string denotes when it is a literal, in any form the C resolver accepts.

    Covers dotted quads, IPv6 (bracketed or not, with a zone), and the legacy IPv4 forms
    ``inet_aton`` takes (``2130706433``, ``0x7f.1``, ``0177.0.0.1``, ``127.1``). None for a name.
    """
    h = _strip_host(host)
    if not h:
        return None
    try:
        return ipaddress.ip_address(h)
    except ValueError:
        pass
    if _LEGACY_IPV4.match(h):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(h))
        except OSError:
            return None
    return None


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if int(ip) >> 32 == 0 and int(ip) > 1:  # deprecated IPv4-compatible ::a.b.c.d
        return ipaddress.IPv4Address(int(ip))
    return None


def refusal_category(ip: IPAddress) -> str | None:
    """Why ``ip`` is not a public unicast address (``"loopback"``, ``"private"``…), or None if it is."""
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_ipv4(ip)
        if inner is not None:
            return refusal_category(inner)
        if ip.scope_id:
            return "link-local"
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if ip.is_multicast:
        return "multicast"
    if any(ip in net for net in _PRIVATE_USE if net.version == ip.version):
        return "private"
    if ip.is_reserved or ip.is_private or not ip.is_global:
        return "reserved"
    if any(ip in net for net in _NOT_GLOBAL if net.version == ip.version):
        return "reserved"
    return None


def _internal_name(name: str) -> bool:
    return name == "localhost" or "." not in name or name.endswith(_INTERNAL_SUFFIXES)


def _parse_entry(entry: str) -> IPNetwork | str:
    """One allow-list entry: a network (``10.1.0.0/16``, ``127.0.0.1``, ``::1``) or a host name
    (``intranet.tinh.gov.vn``; ``.tinh.gov.vn`` or ``*.tinh.gov.vn`` for every name under it)."""
    e = entry.strip()
    if not e:
        raise ValueError("empty")
    literal = e[1:-1] if e.startswith("[") and e.endswith("]") else e
    try:
        return ipaddress.ip_network(literal, strict=False)
    except ValueError:
        pass
    name = e.lower().rstrip(".")
    if name.startswith("*."):
        name = name[1:]
    if not re.fullmatch(r"\.?[a-z0-9_](?:[a-z0-9_.-]{0,251}[a-z0-9_])?", name) or ".." in name or "/" in name:
        raise ValueError(e)
    if parse_ip(name) is not None:  # 2130706433, 0x7f.1: write the address as a dotted quad or a network
        raise ValueError(e)
    return name


def check_allow_list(value: str) -> str:
    """Validate an allow-list (comma or whitespace separated); return it normalised.

    The validator of the ``fetch_allow_hosts`` setting.
    """
    parts = [p for p in re.split(r"[,\s]+", value.strip()) if p]
    out = []
    for part in parts:
        try:
            parsed = _parse_entry(part)
        except ValueError:
            raise ConfigError(
                "Mục không hợp lệ trong danh sách cho phép; dùng tên máy, .tên-miền hoặc dải địa chỉ CIDR "
                f"(invalid allow-list entry; use a host name, .domain or a CIDR network): {part!r}"
            ) from None
        out.append(str(parsed))
    return ", ".join(out)


@dataclass(frozen=True)
class AddressPolicy:
    """Which addresses connections may go to. Immutable; share it freely between threads."""

    allow_private: bool = False
    allow_networks: tuple[IPNetwork, ...] = ()
    allow_names: tuple[str, ...] = ()

    @classmethod
    def build(cls, *, allow_private: bool = False, allow: Iterable[str] = (), env: bool = True) -> AddressPolicy:
        """A policy from the two settings' values; ``env`` adds ``$KIEMCHUNG_FETCH_ALLOW_HOSTS``."""
        entries = [e for item in allow for e in re.split(r"[,\s]+", item) if e.strip()]
        if env and os.environ.get(ENV_ALLOW, "").strip():
            entries += [e for e in re.split(r"[,\s]+", os.environ[ENV_ALLOW]) if e.strip()]
        networks: list[IPNetwork] = []
        names: list[str] = []
        for entry in entries:
            try:
                parsed = _parse_entry(entry)
            except ValueError:
                raise ConfigError(
                    f"Mục không hợp lệ trong danh sách cho phép (invalid allow-list entry): {entry!r}"
                ) from None
            (names if isinstance(parsed, str) else networks).append(parsed)  # type: ignore[arg-type]
        return cls(allow_private, tuple(networks), tuple(names))

    @classmethod
    def from_db(cls, db) -> AddressPolicy:
        """The installation's policy: settings ``fetch_allow_private`` and ``fetch_allow_hosts``."""
        from kiemchung.store import settings

        return cls.build(allow_private=settings.flag(db, "fetch_allow_private"),
                         allow=[settings.value(db, "fetch_allow_hosts")])

    # -- decisions ---------------------------------------------------------------------------------

    def _name_allowed(self, name: str) -> bool:
        return any(name == n or (n.startswith(".") and (name.endswith(n) or name == n[1:])) for n in self.allow_names)

    def ip_allowed(self, ip: IPAddress) -> bool:
        """Whether a connection to ``ip`` is allowed."""
        candidates = [ip]
        if isinstance(ip, ipaddress.IPv6Address) and (inner := _embedded_ipv4(ip)) is not None:
            candidates.append(inner)
        if any(c in net for c in candidates for net in self.allow_networks if net.version == c.version):
            return True
        category = refusal_category(ip)
        return category is None or (self.allow_private and category == "private")

    def check_host(self, host: str) -> None:
        """Refuse a host on what it says, without any DNS query (literal addresses, internal names).

        Used when a URL is stored (a source, a webhook): the authoritative check happens at
        connection time in :meth:`resolve`.
        """
        name = _strip_host(host)
        if not name:
            raise AddressRefused()
        ip = parse_ip(name)
        if ip is not None:
            if not self.ip_allowed(ip):
                self._log(name, refusal_category(ip))
                raise AddressRefused()
            return
        if self._name_allowed(name):
            return
        # fetch_allow_private opens intranet names, never the machine itself.
        machine = name == "localhost" or name.endswith(".localhost")
        if _internal_name(name) and (machine or not self.allow_private):
            self._log(name, "internal name")
            raise AddressRefused()

    def check_url(self, url: str) -> None:
        """:meth:`check_host` for a URL's host (``http://evil@127.0.0.1/`` checks ``127.0.0.1``).

        A URL that is not http(s) or has no host raises :class:`FetchError` with reason ``bad_url``.
        """
        import httpx

        try:
            parsed = httpx.URL(url)
        except (httpx.InvalidURL, TypeError) as exc:
            raise FetchError(f"Địa chỉ không hợp lệ: {url} (bad_url)", reason="bad_url") from exc
        host = parsed.host
        if parsed.scheme not in ("http", "https") or not host:
            raise FetchError(f"Địa chỉ không hợp lệ: {url} (bad_url)", reason="bad_url")
        try:
            self.check_host(host)
        except AddressRefused:
            raise AddressRefused(url) from None

    def resolve(self, host: str, port: int) -> list[str]:
        """The addresses to connect to for ``host:port``, every one of them checked.

        Raises :class:`AddressRefused` when the host, or any address it resolves to, is refused
        (a name that answers with one public and one internal address is refused as a whole).
        """
        self.check_host(host)
        name = _strip_host(host)
        literal = parse_ip(name)
        if literal is not None:
            return [str(literal)]
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise OSError(f"name resolution failed: {exc}") from exc
        out: list[str] = []
        trusted_name = self._name_allowed(name)
        for family, _type, _proto, _canon, sockaddr in infos:
            if family not in (socket.AF_INET, socket.AF_INET6):
                continue
            addr = str(sockaddr[0])
            ip = ipaddress.ip_address(addr)
            if not trusted_name and not self.ip_allowed(ip):
                self._log(name, refusal_category(ip))
                raise AddressRefused()
            if addr not in out:
                out.append(addr)
        if not out:
            raise OSError("name resolution gave no address")
        return out

    def connect(self, host: str, port: int, timeout: float | None = None,
                source_address: tuple[str, int] | None = None) -> socket.socket:
        """A TCP connection to ``host:port`` for a client that is not HTTP (SMTP, IMAP): the name is
        resolved once by :meth:`resolve`, every address checked, and the checked addresses are tried in
        turn. The caller keeps ``host`` for TLS (certificate and SNI are for the name, not the address).
        :class:`AddressRefused` when refused; ``OSError`` when no address answers."""
        last: OSError | None = None
        for addr in self.resolve(host, port):
            try:
                return socket.create_connection((addr, port), timeout, source_address)
            except OSError as exc:
                last = exc
        raise last if last is not None else OSError(f"no address to connect to for {host}")

    @staticmethod
    def _log(host: str, category: str | None) -> None:
        # The server log (admins only) says why; the user-facing error never does.
        log.warning("refused connection to %s (%s)", host, category or "refused")
