"""Local accounts: argon2 password hashes, roles, API tokens, server-side sessions.

Roles are ordered ``viewer < editor < admin``. Secrets handed to a user (API tokens, session ids) are
random and stored only as SHA-256 hashes, so a copied database does not let anyone log in.

Credentials (issue 12): a password is changed by its owner (who gives the old one) or reset by an
admin; either ends the account's other sessions. API tokens expire (:data:`TOKEN_TTL` by default),
are listed without their secret and revoked one by one. Disabling an account deletes its sessions
and its tokens, so re-enabling it does not bring an old token back. Every change is audited with its
actor. Login rate limiting lives in :mod:`kiemchung.logins`.
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
TOKEN_TTL = dt.timedelta(days=90)
MIN_PASSWORD = 8

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
    Column("expires_at", UTCDateTime),  # None: never (migration 0013)
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


def _check_password(password: str) -> None:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise ConfigError("Mật khẩu phải có ít nhất 8 ký tự (password must have at least 8 characters)")
    if len(password) > 1024:
        raise ConfigError("Mật khẩu quá dài, tối đa 1024 ký tự (password too long)")


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise ConfigError(f"Vai trò không hợp lệ (unknown role): {role}")


def add_user(db, name: str, password: str, role: str, *, actor: str | None = None) -> User:
    """Create an account; the password must have at least 8 characters."""
    _check_role(role)
    name = name.strip()
    if not name or len(name) > 80:
        raise ConfigError("Tên người dùng không hợp lệ (invalid user name)")
    _check_password(password)
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
    """Disable or re-enable an account; disabling also ends its sessions and deletes its API tokens,
    so that re-enabling it does not revive a credential issued before (audited)."""
    before = get_user(db, name)
    with db.write() as conn:
        conn.execute(update(users).where(users.c.id == before.id).values(disabled=disabled))
        after: dict = {"disabled": disabled}
        if disabled:
            conn.execute(delete(web_sessions).where(web_sessions.c.user_id == before.id))
            gone = conn.execute(delete(api_tokens).where(api_tokens.c.user_id == before.id)).rowcount
            after["tokens_revoked"] = gone
        audit.record(conn, actor, "user.disable", f"user:{name}", {"disabled": before.disabled}, after)
    return User(before.id, name, before.role, disabled)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def change_password(
    db, name: str, new: str, *, old: str | None = None, actor: str | None = None, keep_session: str | None = None
) -> None:
    """Set ``name``'s password to ``new`` (audited; the password itself is never logged).

    With ``old`` (the owner changing their own password) the old password must be right; without it
    this is an admin's reset, and the caller checks that the actor may do it. Every session of the
    account ends except ``keep_session`` (the session id the owner made the change from).
    """
    _check_password(new)
    with db.read() as conn:
        row = conn.execute(select(users).where(users.c.name == name)).first()
    if row is None:
        raise NotFoundError(f"Không có người dùng (no such user): {name}")
    if old is not None and not _verify(row.password_hash, old):
        raise ConfigError("Mật khẩu hiện tại không đúng (the current password is wrong)")
    if _verify(row.password_hash, new):
        raise ConfigError("Mật khẩu mới phải khác mật khẩu cũ (the new password must differ from the old one)")
    with db.write() as conn:
        conn.execute(update(users).where(users.c.id == row.id).values(password_hash=_hasher.hash(new)))
        ended = delete(web_sessions).where(web_sessions.c.user_id == row.id)
        if keep_session:
            ended = ended.where(web_sessions.c.id_hash != _sha(keep_session))
        n = conn.execute(ended).rowcount
        action = "user.password" if old is not None else "user.password_reset"
        audit.record(conn, actor, action, f"user:{name}", None, {"sessions_ended": n})


def authenticate(db, name: str, password: str) -> User | None:
    """The user if the name/password pair is right and the account enabled, else None."""
    with db.read() as conn:
        row = conn.execute(select(users).where(users.c.name == name)).first()
    if row is None:
        _hasher.hash(password)  # spend the same time as a real check
        return None
    if not _verify(row.password_hash, password):
        return None
    if row.disabled:
        return None
    return _user(row)


def create_token(
    db, name: str, label: str | None = None, *, actor: str | None = None, ttl: dt.timedelta | None = TOKEN_TTL
) -> str:
    """A new API token for ``name``, valid for ``ttl`` (None: until revoked); the clear value is
    returned once and stored only hashed."""
    user = get_user(db, name)
    if user.disabled:
        raise ConfigError(f"Tài khoản đang bị khóa (the account is disabled): {name}")
    if ttl is not None and ttl <= dt.timedelta(0):
        raise ConfigError("Thời hạn token phải dương (token lifetime must be positive)")
    token = "kc_" + secrets.token_urlsafe(32)
    t = now()
    expires = t + ttl if ttl is not None else None
    with db.write() as conn:
        tid = conn.execute(
            insert(api_tokens).values(
                user_id=user.id, token_hash=_sha(token), label=label, created_at=t, expires_at=expires
            )
        ).inserted_primary_key[0]
        audit.record(conn, actor or name, "token.create", f"user:{name}", None,
                     {"id": tid, "label": label, "expires_at": expires.isoformat() if expires else None})
    return token


@dataclass
class TokenInfo:
    """An API token as listed: never its secret."""

    id: int
    user: str
    label: str | None
    created_at: dt.datetime
    expires_at: dt.datetime | None

    @property
    def expired(self) -> bool:
        """True once the token's lifetime is over."""
        return self.expires_at is not None and self.expires_at <= now()


def list_tokens(db, name: str | None = None) -> list[TokenInfo]:
    """The API tokens of ``name`` (every account's when None), newest first."""
    q = (select(api_tokens, users.c.name).join(users, users.c.id == api_tokens.c.user_id)
         .order_by(api_tokens.c.created_at.desc(), api_tokens.c.id.desc()))
    if name is not None:
        q = q.where(users.c.name == get_user(db, name).name)
    with db.read() as conn:
        return [TokenInfo(r.id, r.name, r.label, r.created_at, r.expires_at) for r in conn.execute(q)]


def revoke_token(db, token_id: int, *, actor: str | None = None, owner: str | None = None) -> TokenInfo:
    """Delete one API token (audited). With ``owner`` the token must belong to that account (a user
    revoking their own); NotFoundError otherwise, so ids of others' tokens are not confirmed."""
    found = [t for t in list_tokens(db, owner) if t.id == token_id]
    if not found:
        raise NotFoundError(f"Không có token (no such token): {token_id}")
    with db.write() as conn:
        conn.execute(delete(api_tokens).where(api_tokens.c.id == token_id))
        audit.record(conn, actor, "token.revoke", f"user:{found[0].user}", {"id": token_id, "label": found[0].label},
                     None)
    return found[0]


def user_for_token(db, token: str) -> User | None:
    """The enabled user owning the API token, or None (unknown, expired, or the account disabled)."""
    with db.read() as conn:
        row = conn.execute(
            select(users, api_tokens.c.expires_at)
            .join(api_tokens, api_tokens.c.user_id == users.c.id)
            .where(api_tokens.c.token_hash == _sha(token))
        ).first()
    if row is None or row.disabled or (row.expires_at is not None and row.expires_at <= now()):
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
