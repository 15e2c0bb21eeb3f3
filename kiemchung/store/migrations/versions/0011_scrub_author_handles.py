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
import secrets
import sys

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

log = logging.getLogger("kiemchung.migrations")

_settings = sa.table("settings", sa.column("key", sa.String), sa.column("value", sa.Text))


def _setting(conn, key: str):
    return conn.execute(sa.select(_settings.c.value).where(_settings.c.key == key)).scalar()


def _put_setting(conn, key: str, value: str) -> None:
    conn.execute(sa.delete(_settings).where(_settings.c.key == key))
    conn.execute(sa.insert(_settings).values(key=key, value=value))


def upgrade() -> None:
    from kiemchung.privacy import scrub_stored_documents

    conn = op.get_bind()
    if _setting(conn, "hash_authors") == "0":
        _put_setting(conn, "author_scrub_rows", "0")
        log.info("hash_authors is off: no author handle scrubbed")
        return
    if conn.execute(sa.text("SELECT 1 FROM documents LIMIT 1")).first() is None:
        _put_setting(conn, "author_scrub_rows", "0")
        return
    salt = _setting(conn, "author_salt")
    if salt is None:
        salt = secrets.token_hex(16)
        conn.execute(sa.insert(_settings).values(key="author_salt", value=salt))
    changed = scrub_stored_documents(conn, salt)
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


def downgrade() -> None:
    """Hashes cannot be turned back into handles; nothing to undo."""
