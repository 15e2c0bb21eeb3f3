"""What is rising (trends page and API): cached burst detection, the moment asked for, keywords tested."""

from __future__ import annotations

import datetime as dt

from kiemchung import timeutil
from kiemchung.errors import QueryError
from kiemchung.labels import times_usual, usual_level  # noqa: F401  (the pages' templates use them)
from kiemchung.stories import service, trends
from kiemchung.web import queries
from kiemchung.web.params import vn_day

METHOD = {
    "vi": "Mỗi dòng so số tài liệu trong 24 giờ qua với mức thường ngày (trung bình mỗi ngày của 14 ngày "
    "trước đó). Một chủ đề được coi là đang nổi lên khi có ít nhất 5 tài liệu, gấp ít nhất 1,5 lần mức "
    "thường ngày, và tăng nhiều đến mức khó là ngẫu nhiên: mức nổi bật từ 3 trở lên (càng cao càng bất "
    "thường; một chủ đề vốn ồn ào phải tăng nhiều hơn mới được tính).",
    "en": "Each row compares the documents of the last 24 hours with the usual level (the daily average of "
    "the 14 days before). A topic counts as rising with at least 5 documents, at least 1.5 times its usual "
    "level, and a rise too large to be chance: a prominence of 3 or more (the higher, the more unusual; a "
    "topic that is always busy must rise more to count).",
}


def rising_now(db, at: dt.datetime | None = None, *, kinds=("story",), keywords=(), limit: int = 10,
               source_ids: list[int] | None = None):
    """``trends.rising`` cached for 60 s (per database, moment rounded to the minute, kinds, keywords and
    sources) and until anything is committed to the database (by any process)."""
    at = timeutil.aware(at) or timeutil.view_now(db)
    at = at.replace(second=0, microsecond=0)
    key = ("monitor-rising", at, tuple(kinds), tuple(keywords), limit,
           None if source_ids is None else tuple(source_ids))
    return queries.cached_fresh(db, key, 60, lambda: trends.rising(db, now=at, kinds=kinds, keywords=keywords,
                                                                   limit=limit, source_ids=source_ids))


def trends_at(db, at: str | None, kw: str, collection: str | None = None) -> tuple[dt.datetime, list[str], list]:
    """What the trends page and API show: the moment (end of day ``at``, or now), the keywords tested
    (the user's ``kw`` and the largest stories' top keywords) and the rising series found; with a
    source ``collection`` (id or name), counted on its sources' documents only."""
    source_ids = None
    if collection and collection.strip():
        from kiemchung.sources.directory import collection_source_ids

        source_ids = collection_source_ids(db, collection)
    moment = trend_moment(at, timeutil.view_now(db))
    words = trend_keywords(db, kw, moment)
    return moment, words, rising_now(db, moment, kinds=("story", "watchlist", "province"), keywords=words, limit=40,
                                     source_ids=source_ids)


def trend_moment(at: str | None, now: dt.datetime | None = None) -> dt.datetime:
    """The moment trends are computed at: the end of the Vietnamese day ``at`` (never later than ``now``,
    the installation's clock :func:`kiemchung.timeutil.view_now`; the real clock by default)."""
    now = timeutil.aware(now) or timeutil.now()
    end = vn_day(at, end=True) if at and at.strip() else None
    return now if end is None else min(end, now)


def trend_keywords(db, kw: str, moment: dt.datetime, auto: int = 8) -> list[str]:
    """Keywords tested for a burst: the user's (comma separated, ≤ 10) and the top keyword of the largest
    stories of the last 3 days (story keywords are words such as "nước máy", searched as phrases)."""
    own = [k.strip() for k in kw.split(",") if k.strip()][:10]
    for k in own:
        from kiemchung.store.search import compile_tree

        if compile_tree(k, accented=False) is None:
            raise QueryError(f"Từ khóa không hợp lệ (invalid keyword): {k}")
    found: list[str] = []
    for s in service.list_stories(db, since=moment - dt.timedelta(days=3), until=moment, limit=auto):
        for k in s.keywords[:1]:
            phrase = '"' + k.replace('"', "") + '"'
            if phrase not in found:
                found.append(phrase)
    return own + [k for k in found if k not in own]

