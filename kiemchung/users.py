"""Local accounts: argon2 password hashes, roles, API tokens, server-side sessions, login rate limits.

Roles are ordered ``viewer < editor < admin``. Secrets handed to a user (API tokens, session ids) are
random and stored only as SHA-256 hashes, so a copied database does not let anyone log in.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    delete,
    func,
    insert,
    select,
    update,
)

from kiemchung import audit
from kiemchung.errors import ConfigError, NotFoundError
from kiemchung.store.schema import UTCDateTime, metadata
from kiemchung.timeutil import now

ROLES = ("viewer", "editor", "admin")
SESSION_TTL = dt.timedelta(hours=12)
LOGIN_WINDOW = dt.timedelta(minutes=5)
LOGIN_MAX_FAILURES = 5

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(80), nullable=False, unique=True),
    Column("password_hash", Text, nullable=False),
    Column("role", String(10), nullable=False),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("created_at", UTCDateTime, nullable=False),
)
api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("label", String(80)),
    Column("created_at", UTCDateTime, nullable=False),
)
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("csrf", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
)
login_failures = Table(
    "login_failures",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("ip", String(64), nullable=False),
    Column("username", String(80), nullable=False),
    Column("at", UTCDateTime, nullable=False, index=True),
)

_hasher = PasswordHasher()


@dataclass
class User:
    """An account as the web layer sees it (never carries the password hash)."""

    id: int
    name: str
    role: str
    disabled: bool = False

    def has_role(self, needed: str) -> bool:
        """True when this user's role is at least ``needed``."""
        return ROLES.index(self.role) >= ROLES.index(needed)


def _sha(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _user(row) -> User:
    return User(id=row.id, name=row.name, role=row.role, disabled=bool(row.disabled))


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise ConfigError(f"Vai trò không hợp lệ (unknown role): {role}")


def add_user(db, name: str, password: str, role: str, *, actor: str | None = None) -> User:
    """Create an account; the password must have at least 8 characters."""
    _check_role(role)
    name = name.strip()
    if not name or len(name) > 80:
        raise ConfigError("Tên người dùng không hợp lệ (invalid user name)")
    if len(password) < 8:
        raise ConfigError("Mật khẩu phải có ít nhất 8 ký tự (password must have at least 8 characters)")
    with db.write() as conn:
        if conn.execute(select(users.c.id).where(users.c.name == name)).first():
            raise ConfigError(f"Người dùng đã tồn tại (user exists): {name}")
        uid = conn.execute(
            insert(users).values(
                name=name, password_hash=_hasher.hash(password), role=role, disabled=False, created_at=now()
            )
        ).inserted_primary_key[0]
        audit.record(conn, actor, "user.add", f"user:{name}", None, {"name": name, "role": role})
    return User(uid, name, role)


def get_user(db, name: str) -> User:
    """The account called ``name``; NotFoundError if there is none."""
    with db.read() as conn:
        row = conn.execute(select(users).where(users.c.name == name)).first()
    if row is None:
        raise NotFoundError(f"Không có người dùng (no such user): {name}")
    return _user(row)


def list_users(db) -> list[User]:
    """Every account, by name."""
    with db.read() as conn:
        return [_user(r) for r in conn.execute(select(users).order_by(users.c.name))]


def set_role(db, name: str, role: str, *, actor: str | None = None) -> User:
    """Change a user's role (audited)."""
    _check_role(role)
    before = get_user(db, name)
    with db.write() as conn:
        conn.execute(update(users).where(users.c.id == before.id).values(role=role))
        audit.record(conn, actor, "user.role", f"user:{name}", {"role": before.role}, {"role": role})
    return User(before.id, name, role, before.disabled)


def set_disabled(db, name: str, disabled: bool, *, actor: str | None = None) -> User:
    """Disable or re-enable an account; disabling also ends its sessions (audited)."""
    before = get_user(db, name)
    with db.write() as conn:
        conn.execute(update(users).where(users.c.id == before.id).values(disabled=disabled))
        if disabled:
            conn.execute(delete(web_sessions).where(web_sessions.c.user_id == before.id))
        audit.record(
            conn, actor, "user.disable", f"user:{name}", {"disabled": before.disabled}, {"disabled": disabled}
        )
    return User(before.id, name, before.role, disabled)


def authenticate(db, name: str, password: str) -> User | None:
    """The user if the name/password pair is right and the account enabled, else None."""
    with db.read() as conn:
        row = conn.execute(select(users).where(users.c.name == name)).first()
    if row is None:
        _hasher.hash(password)  # spend the same time as a real check
        return None
    try:
        _hasher.verify(row.password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if row.disabled:
        return None
    return _user(row)


def create_token(db, name: str, label: str | None = None, *, actor: str | None = None) -> str:
    """A new API token for ``name``; the clear value is returned once and stored only hashed."""
    user = get_user(db, name)
    token = "kc_" + secrets.token_urlsafe(32)
    with db.write() as conn:
        conn.execute(
            insert(api_tokens).values(user_id=user.id, token_hash=_sha(token), label=label, created_at=now())
        )
        audit.record(conn, actor or name, "token.create", f"user:{name}", None, {"label": label})
    return token


def user_for_token(db, token: str) -> User | None:
    """The enabled user owning the API token, or None."""
    with db.read() as conn:
        row = conn.execute(
            select(users)
            .join(api_tokens, api_tokens.c.user_id == users.c.id)
            .where(api_tokens.c.token_hash == _sha(token))
        ).first()
    if row is None or row.disabled:
        return None
    return _user(row)


def create_session(db, user: User) -> tuple[str, str]:
    """Start a server-side session; returns (session id for the cookie, CSRF token)."""
    sid, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    t = now()
    with db.write() as conn:
        conn.execute(delete(web_sessions).where(web_sessions.c.expires_at < t))
        conn.execute(
            insert(web_sessions).values(
                id_hash=_sha(sid), user_id=user.id, csrf=csrf, created_at=t, expires_at=t + SESSION_TTL
            )
        )
    return sid, csrf


def session_user(db, sid: str) -> tuple[User, str] | None:
    """(user, CSRF token) of a live session, or None when unknown, expired or disabled."""
    with db.read() as conn:
        row = conn.execute(
            select(users, web_sessions.c.csrf, web_sessions.c.expires_at)
            .join(web_sessions, web_sessions.c.user_id == users.c.id)
            .where(web_sessions.c.id_hash == _sha(sid))
        ).first()
    if row is None or row.disabled or row.expires_at <= now():
        return None
    return _user(row), row.csrf


def end_session(db, sid: str) -> None:
    """Log out: forget the session."""
    with db.write() as conn:
        conn.execute(delete(web_sessions).where(web_sessions.c.id_hash == _sha(sid)))


def login_blocked(db, ip: str, name: str) -> bool:
    """True when the IP or the user name had too many failed logins in the last five minutes."""
    since = now() - LOGIN_WINDOW
    f = login_failures
    with db.read() as conn:
        by_ip = conn.execute(select(func.count()).where(f.c.ip == ip, f.c.at >= since)).scalar_one()
        by_user = conn.execute(select(func.count()).where(f.c.username == name, f.c.at >= since)).scalar_one()
    return by_ip >= LOGIN_MAX_FAILURES or by_user >= LOGIN_MAX_FAILURES


def record_login_failure(db, ip: str, name: str) -> None:
    """Remember one failed login (old entries are pruned)."""
    t = now()
    with db.write() as conn:
        conn.execute(delete(login_failures).where(login_failures.c.at < t - LOGIN_WINDOW))
        conn.execute(insert(login_failures).values(ip=ip, username=name[:80], at=t))
