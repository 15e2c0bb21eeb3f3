"""The audit log: every write made through the workbench, with who, what, when and before/after JSON."""

from __future__ import annotations

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


def record(conn, user, action: str, obj: str | None, before: Any, after: Any) -> None:
    """Append one entry inside the caller's write transaction (``user`` is a User, a name or None)."""
    name = getattr(user, "name", user)
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
