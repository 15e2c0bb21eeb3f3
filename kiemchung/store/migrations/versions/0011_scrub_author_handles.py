"""Scrub authors' handles that earlier versions stored in clear while ``hash_authors`` was on.

Before this version the raw payload of a document (an imported row's JSON with ``"from": {"name": …}``,
a feed entry's ``author_detail``) and ``meta["author"]`` of feed items and pages kept the author in
clear, and ``author_hash`` kept whatever was stored while hashing was off. With ``hash_authors`` on
(the default), every document is rewritten through :mod:`kiemchung.privacy`, as the ingest path now
does: author keys hashed at any depth, e-mails and profile URLs hashed, ``meta["author"]`` moved to
``author_hash``, the known author replaced in HTML payloads. How many documents changed is written to
stderr and the log, and kept in the setting ``author_scrub_rows``. With ``hash_authors`` off nothing
changes (the admin chose clear handles). Not reversible: downgrade leaves the hashes.

Revision ID: 0011
Revises: 0010
"""

import logging
import re
import secrets
import sys
import zlib

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

log = logging.getLogger("kiemchung.migrations")

_settings = sa.table("settings", sa.column("key", sa.String), sa.column("value", sa.Text))
_documents = sa.table(
    "documents",
    sa.column("id", sa.Integer),
    sa.column("author_hash", sa.String),
    sa.column("meta", sa.JSON),
    sa.column("raw", sa.LargeBinary),
)
_HASHED = re.compile(r"^[0-9a-f]{32}$")
_BATCH = 500


def _setting(conn, key: str):
    return conn.execute(sa.select(_settings.c.value).where(_settings.c.key == key)).scalar()


def _put_setting(conn, key: str, value: str) -> None:
    conn.execute(sa.delete(_settings).where(_settings.c.key == key))
    conn.execute(sa.insert(_settings).values(key=key, value=value))


def upgrade() -> None:
    from kiemchung.privacy import hash_handle, scrub_raw, scrub_value

    conn = op.get_bind()
    if _setting(conn, "hash_authors") == "0":
        _put_setting(conn, "author_scrub_rows", "0")
        log.info("hash_authors is off: no author handle scrubbed")
        return
    if conn.execute(sa.select(sa.func.count()).select_from(_documents)).scalar() == 0:
        _put_setting(conn, "author_scrub_rows", "0")
        return
    salt = _setting(conn, "author_salt")
    if salt is None:
        salt = secrets.token_hex(16)
        conn.execute(sa.insert(_settings).values(key="author_salt", value=salt))

    def hasher(text: str) -> str:
        return hash_handle(text, salt)

    changed = 0
    last = 0
    while True:
        rows = conn.execute(
            sa.select(_documents).where(_documents.c.id > last).order_by(_documents.c.id).limit(_BATCH)
        ).all()
        if not rows:
            break
        for row in rows:
            last = row.id
            values = _scrubbed(row, hasher, scrub_raw, scrub_value)
            if values:
                conn.execute(sa.update(_documents).where(_documents.c.id == row.id).values(**values))
                changed += 1
    _put_setting(conn, "author_scrub_rows", str(changed))
    message = (
        f"kiemchung: đã băm tên tác giả còn để rõ trong {changed} tài liệu "
        f"(scrubbed clear author handles from {changed} documents)"
    )
    if changed:
        log.warning(message)
        print(message, file=sys.stderr)
    else:
        log.info(message)


def _scrubbed(row, hasher, scrub_raw, scrub_value) -> dict:
    """The columns of one document that change, or {} when it holds no clear handle."""
    values: dict = {}
    meta = dict(row.meta or {}) if isinstance(row.meta, dict) else {}
    author_hash = row.author_hash
    names: list[str] = []
    meta_author = meta.pop("author", None)
    if isinstance(meta_author, str) and meta_author.strip():
        names.append(meta_author)
    if author_hash and not _HASHED.match(author_hash):
        names.append(author_hash)  # stored in clear while hashing was off
        author_hash = hasher(author_hash)
    elif not author_hash and names:
        author_hash = hasher(names[0])
    if author_hash != row.author_hash:
        values["author_hash"] = author_hash
    known_hashes = {author_hash} if author_hash else set()
    clear = {n.strip().lower().lstrip("@") for n in names}

    def known(text: str) -> bool:
        return len(text) <= 300 and (text.strip().lower().lstrip("@") in clear or hasher(text) in known_hashes)

    new_meta = scrub_value(meta, hasher, known)
    if row.meta is not None and new_meta != row.meta:
        values["meta"] = new_meta
    if row.raw is not None:
        try:
            raw = zlib.decompress(row.raw)
        except zlib.error:
            raw = None
        if raw is not None:
            encoding = meta.get("encoding") if isinstance(meta.get("encoding"), str) else None
            new_raw = scrub_raw(raw, hasher, known=names, known_hashes=known_hashes, encoding=encoding)
            if new_raw != raw and not _same_json(raw, new_raw):
                values["raw"] = zlib.compress(new_raw, 6)
    return values


def _same_json(a: bytes, b: bytes) -> bool:
    """Whether two payloads are the same JSON (re-encoding alone is not a change)."""
    import json

    try:
        return json.loads(a) == json.loads(b)
    except ValueError:
        return False


def downgrade() -> None:
    """Hashes cannot be turned back into handles; nothing to undo."""
