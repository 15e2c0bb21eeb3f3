"""The audit log: every write made through the workbench or the CLI, with who, what, when and before/after JSON.

The audit call lives in the library operation that writes (fact-checks, sources, settings, watchlists,
story edits, alerts, users, reports), each taking an ``actor``; the web passes the signed-in user, the
CLI passes :func:`cli_actor`.
"""

from __future__ import annotations

import getpass
import json
from typing import Any

from sqlalchemy import Column, Integer, String, Table, Text, insert, select

from kiemchung.store.schema import UTCDateTime, metadata
from kiemchung.timeutil import now

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UTCDateTime, nullable=False, index=True),
    Column("user_name", String(80)),
    Column("action", String(60), nullable=False),
    Column("object", String(200)),
    Column("before", Text),
    Column("after", Text),
)


def _dump(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, default=str, sort_keys=True)


def cli_actor() -> str:
    """The actor recorded for a write made from the command line: ``cli:<operating-system user>``."""
    try:
        who = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (some containers) and no LOGNAME/USER variable
        who = "?"
    return f"cli:{who}"


def actor_name(actor: Any) -> str | None:
    """The name recorded for ``actor``: a User's name, a string as given, or None."""
    return getattr(actor, "name", actor)


def record(conn, user, action: str, obj: str | None, before: Any, after: Any) -> None:
    """Append one entry inside the caller's write transaction.

    Every library operation that writes on a person's behalf calls this with its ``actor`` (a User, a
    name such as ``"cli:hoa"`` from :func:`cli_actor`, or None), so writes are audited alike whether
    they come from the web, the API or the CLI.
    """
    name = actor_name(user)
    conn.execute(
        insert(audit_log).values(
            at=now(), user_name=name, action=action, object=obj, before=_dump(before), after=_dump(after)
        )
    )


def entries(db, limit: int = 100) -> list[dict[str, Any]]:
    """The newest audit entries, before/after decoded."""
    with db.read() as conn:
        rows = conn.execute(select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)).all()
    return [
        {
            "at": r.at,
            "user": r.user_name,
            "action": r.action,
            "object": r.object,
            "before": json.loads(r.before) if r.before else None,
            "after": json.loads(r.after) if r.after else None,
        }
        for r in rows
    ]
