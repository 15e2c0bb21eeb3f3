"""Login rate limiting: a back-off that counts an attempt before its password is checked.

Why this shape (issue 12, "Login limiter"):

- **Counted before checking.** :meth:`LoginLimiter.begin` reserves the attempt in the same write
  transaction that decides whether it may go ahead (the single writer; ``BEGIN IMMEDIATE`` across
  processes), so forty parallel tries cannot all read "4 failures so far": at most
  :attr:`LoginLimiter.free` passwords are checked before the back-off starts. A reservation counts as
  a failure until :meth:`LoginLimiter.succeeded` removes it.
- **Backs off, never locks.** After ``free`` failures of one (address, account) pair, the next try
  waits ``base``, then twice as long, up to ``max_delay``; failures older than ``window`` are
  forgotten. Someone else's failures can delay an account's owner, never lock them out, and only
  when they come from the owner's own address (or office NAT): another address starts with a clean
  slate. There is deliberately no account-wide lock (that is the denial of service the review found);
  a guesser spread over many addresses gets ``free`` tries per address, then one per ``max_delay``.
- **Per address, generous.** An address (one office behind a NAT) gets ``ip_free`` failures over all
  its accounts in ``window`` before it backs off too, with the same bounded delay.
- **Forwarded headers** are believed only from the proxies in the setting ``trusted_proxies``
  (:func:`client_address`).

Times come from an injectable clock (``LoginLimiter(clock=...)``) so tests never wait.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import delete, func, insert, select

from kiemchung import timeutil
from kiemchung.errors import ConfigError

TRUSTED_PROXIES = "trusted_proxies"


@dataclass(frozen=True)
class Decision:
    """The answer to "may this login be tried now?": ``attempt`` is the reservation to settle."""

    allowed: bool
    retry_after: float = 0.0  # seconds to wait when not allowed
    attempt: int | None = None


class LoginLimiter:
    """Per (address, account) and per address exponential back-off over the ``login_failures`` table."""

    def __init__(
        self,
        *,
        free: int = 5,
        ip_free: int = 100,
        base: float = 1.0,
        max_delay: float = 60.0,
        window: dt.timedelta = dt.timedelta(minutes=15),
        clock: Callable[[], dt.datetime] = timeutil.now,
    ) -> None:
        self.free, self.ip_free, self.base, self.max_delay = free, ip_free, base, max_delay
        self.window, self.clock = window, clock

    def delay(self, failures: int, free: int) -> float:
        """Seconds to wait after the last failure when ``failures`` happened (0 while under ``free``)."""
        if failures < free:
            return 0.0
        return min(self.max_delay, self.base * 2 ** (failures - free))

    def begin(self, db, ip: str, name: str) -> Decision:
        """Reserve one login attempt for (``ip``, ``name``), or say how long to wait."""
        from kiemchung.users import login_failures as f

        name = name[:80]
        t = self.clock()
        since = t - self.window
        with db.write() as conn:
            conn.execute(delete(f).where(f.c.at < since))
            pair_n, pair_last = conn.execute(
                select(func.count(), func.max(f.c.at)).where(f.c.ip == ip, f.c.username == name, f.c.at >= since)
            ).one()
            ip_n, ip_last = conn.execute(select(func.count(), func.max(f.c.at)).where(f.c.ip == ip, f.c.at >= since)).one()
            wait = 0.0
            for n, last, free in ((pair_n, pair_last, self.free), (ip_n, ip_last, self.ip_free)):
                d = self.delay(n, free)
                if d and last is not None:
                    wait = max(wait, d - (t - timeutil.to_utc(last)).total_seconds())
            if wait > 0:
                return Decision(False, retry_after=wait)
            attempt = conn.execute(insert(f).values(ip=ip, username=name, at=t)).inserted_primary_key[0]
        return Decision(True, attempt=attempt)

    def succeeded(self, db, decision: Decision, ip: str, name: str) -> None:
        """The password was right: forget this attempt and the pair's earlier failures."""
        from kiemchung.users import login_failures as f

        with db.write() as conn:
            conn.execute(delete(f).where(f.c.ip == ip, f.c.username == name[:80]))
            if decision.attempt is not None:
                conn.execute(delete(f).where(f.c.id == decision.attempt))


def parse_networks(value: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """The networks of a ``trusted_proxies`` value: addresses or CIDR ranges separated by commas."""
    out = []
    for part in (value or "").replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        try:
            out.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise ConfigError(
                f"Địa chỉ proxy không hợp lệ (invalid proxy address or CIDR range): {part!r}") from None
    return out


def _ip(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value.strip().strip("[]"))
    except ValueError:
        return None


def client_address(peer: str | None, forwarded_for: str | None, trusted: str | None) -> str:
    """The client's address: ``peer`` (the TCP peer), unless ``peer`` is one of the ``trusted``
    proxies and sent ``X-Forwarded-For``; then the right-most forwarded address that is not itself a
    trusted proxy (a client can prepend anything it likes, but not what our proxies append)."""
    peer = peer or "?"
    nets = parse_networks(trusted or "")
    if not nets or not forwarded_for:
        return peer

    def is_trusted(addr) -> bool:
        return addr is not None and any(addr.version == n.version and addr in n for n in nets)

    if not is_trusted(_ip(peer)):
        return peer
    hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
    for hop in reversed(hops):
        addr = _ip(hop)
        if addr is None:
            return peer  # garbage in the chain: trust nothing of it
        if not is_trusted(addr):
            return str(addr)
    return str(_ip(hops[0])) if hops else peer


__all__ = ["TRUSTED_PROXIES", "Decision", "LoginLimiter", "client_address", "parse_networks"]
