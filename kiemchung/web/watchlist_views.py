"""Watchlists as the workbench shows them: counts over 7 and 30 days, sparklines, audited add/remove."""

from __future__ import annotations

import datetime as dt

from kiemchung import timeutil
from kiemchung.errors import NotFoundError
from kiemchung.stories import watchlists as wl
from kiemchung.web import queries
from kiemchung.web.params import vn_today_end

SPARK_DAYS = 30


def sparkline(values: list[int], *, width: int = 120, height: int = 28) -> str:
    """A tiny inline SVG line of daily counts (no axes), with the total in a <title> tooltip."""
    n = len(values)
    top = max(values, default=0) or 1
    step = width / max(1, n - 1)
    pts = " ".join(f"{i * step:.1f},{height - 2 - (height - 4) * v / top:.1f}" for i, v in enumerate(values))
    return (
        f'<svg class="spark" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-label="{sum(values)}"><title>{sum(values)} (max {max(values, default=0)}/ngày)</title>'
        f'<polyline fill="none" stroke="currentColor" stroke-width="1.5" points="{pts}"/></svg>'
    )


def watchlist_by_id(db, wl_id: int) -> wl.Watchlist:
    """The watchlist with this id (NotFoundError if none)."""
    for w in wl.list_watchlists(db):
        if w.id == wl_id:
            return w
    raise NotFoundError(f"Không có danh sách theo dõi (no such watchlist): {wl_id}")


def watchlist_table(db, at: dt.datetime | None = None) -> list[dict]:
    """Every watchlist with its daily counts over the last 30 Vietnamese days (cached 60 s, and until
    anything is committed to the database by any process)."""
    until = vn_today_end(at or timeutil.view_now(db))
    since = until - dt.timedelta(days=SPARK_DAYS)

    def compute():
        out = []
        for w in wl.list_watchlists(db):
            counts = [n for _, n in sorted(wl.query_counts(db, w.query, since, until, "day").items())]
            out.append({"watchlist": w, "daily": counts, "last7": sum(counts[-7:]), "last30": sum(counts)})
        return out

    return queries.cached_fresh(db, ("monitor-watchlists", until), 60, compute)


def watchlist_row(db, wl_id: int) -> dict:
    """One watchlist's row of :func:`watchlist_table` (NotFoundError if there is none)."""
    for row in watchlist_table(db):
        if row["watchlist"].id == wl_id:
            return row
    raise NotFoundError(f"Không có danh sách theo dõi (no such watchlist): {wl_id}")


def add_watchlist(db, user, name: str, query: str) -> wl.Watchlist:
    """Save a watchlist (the library checks the query) and audit it."""
    w = wl.add_watchlist(db, name, query, actor=user)
    queries.clear_cache()
    return w


def remove_watchlist(db, user, wl_id: int) -> None:
    """Delete a watchlist by id and audit it."""
    w = watchlist_by_id(db, wl_id)
    wl.remove_watchlist(db, w.name, actor=user)
    queries.clear_cache()

