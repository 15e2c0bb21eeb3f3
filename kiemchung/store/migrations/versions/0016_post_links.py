"""Links already stored: post links that name their account, and links that are not http(s).

1. With ``hash_authors`` on (the default), a social post's link that names the account that posted it
   (``tiktok.com/@ten/video/1``, ``x.com/ten/status/1``, ``facebook.com/ten/posts/1``, ``t.me/kenh/5``…)
   is rewritten as the ingest path now writes it (:func:`kiemchung.privacy.handle_free_url`): in
   ``documents.url`` (with the document key recomputed, so the same post imported again is still
   recognised), in raw payloads and metadata, and in fact-checks' appearances (also in their version
   snapshots, pending revisions and the audit log). Official statements keep their links. With
   ``hash_authors`` off nothing of this changes.
2. Whatever ``hash_authors`` says, links that are not http(s) (``javascript:``, ``data:``…), which
   versions before links were checked could store, are removed from documents and fact-checks
   (:func:`kiemchung.links.neutralise_stored_links`).

How many rows changed is written to stderr and the log, and kept in the settings ``post_link_rows`` and
``bad_link_rows``. Not reversible: downgrade leaves the rewritten links.

Revision ID: 0016
Revises: 0014
"""

import logging
import secrets
import sys

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0014"
branch_labels = None
depends_on = None

log = logging.getLogger("kiemchung.migrations")

_settings = sa.table("settings", sa.column("key", sa.String), sa.column("value", sa.Text))


def _setting(conn, key: str):
    return conn.execute(sa.select(_settings.c.value).where(_settings.c.key == key)).scalar()


def _put_setting(conn, key: str, value: str) -> None:
    conn.execute(sa.delete(_settings).where(_settings.c.key == key))
    conn.execute(sa.insert(_settings).values(key=key, value=value))


def _say(message: str, changed: int) -> None:
    if changed:
        log.warning(message)
        print(message, file=sys.stderr)
    else:
        log.info(message)


def upgrade() -> None:
    from kiemchung.links import neutralise_stored_links
    from kiemchung.privacy import scrub_stored_appearances, scrub_stored_documents

    conn = op.get_bind()
    bad = neutralise_stored_links(conn)
    _put_setting(conn, "bad_link_rows", str(bad))
    _say(f"kiemchung: đã bỏ liên kết không phải http(s) trong {bad} dòng "
         f"(removed non-http(s) links from {bad} rows)", bad)
    if _setting(conn, "hash_authors") == "0":
        _put_setting(conn, "post_link_rows", "0")
        log.info("hash_authors is off: post links kept as they are")
        return
    salt = _setting(conn, "author_salt")
    if salt is None:
        has_data = conn.execute(sa.text("SELECT 1 FROM documents LIMIT 1")).first() is not None or \
            conn.execute(sa.text("SELECT 1 FROM factchecks LIMIT 1")).first() is not None
        if not has_data:
            _put_setting(conn, "post_link_rows", "0")
            return
        salt = secrets.token_hex(16)
        conn.execute(sa.insert(_settings).values(key="author_salt", value=salt))
    changed = scrub_stored_documents(conn, salt) + scrub_stored_appearances(conn, salt)
    _put_setting(conn, "post_link_rows", str(changed))
    _say(f"kiemchung: đã bỏ tên tài khoản khỏi đường dẫn bài đăng trong {changed} dòng "
         f"(removed account handles from post links in {changed} rows)", changed)


def downgrade() -> None:
    """Hashes cannot be turned back into handles, nor dropped links restored; nothing to undo."""
