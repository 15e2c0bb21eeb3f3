"""What the story clusterer keeps per document and per story, and what it shows about a story."""

from __future__ import annotations

import datetime as dt
import sys
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field

from kiemchung import timeutil


@dataclass
class StoryInfo:
    """What a person needs to see about a story."""

    id: str
    headline: str
    doc_count: int
    first_seen: dt.datetime | None
    last_seen: dt.datetime | None
    keywords: list[str]
    timeline: dict[str, int]
    active: bool
    doc_ids: list[str] = field(default_factory=list)


_NO_TERMS = array("i")  # what a document out of memory holds (see StoryClusterer.attach_vault); never mutated
_NO_TFS = array("f")
_NOT_INDEXED: frozenset[int] = frozenset()  # the index terms of a dormant story (shared: most stories are dormant)


class _NoCentroid(dict):
    """The centroid of a dormant story not being scored: one shared empty dict (an empty dict a story
    was 64 bytes, most stories are dormant). Every path that adds to a centroid replaces an empty one
    first (it is falsy); adding to this one raises instead of changing every dormant story's."""

    __slots__ = ()

    def _read_only(self, *args: object, **kwargs: object) -> None:
        raise TypeError("the shared empty centroid of dormant stories is read-only")

    __setitem__ = setdefault = update = __ior__ = _read_only  # type: ignore[assignment]


_NO_CENTROID: dict[int, float] = _NoCentroid()


@dataclass(slots=True)
class _Doc:
    story: int
    time: float | None
    title: str
    terms: array  # term ids (array of int32: compact, few objects for the garbage collector)
    tfs: array  # their sublinear term frequencies (array of float32, as saved)
    norm: float = 1.0
    away: bool = False  # terms, tfs and title are out of memory (a dormant story's document; see attach_vault)


@dataclass(slots=True)
class _Story:
    sid: str
    docs: list[str]
    centroid: dict[int, float]
    first: float | None = None
    last: float | None = None
    # (no per-day counts: a story's timeline is counted from its members' times when asked for, see
    # StoryClusterer.story; a dict per story was ~190 bytes a story, most of them dormant singletons)
    active: bool = True
    indexed: set[int] = field(default_factory=set)


def _day_key(when: float | None) -> str:
    if when is None:
        return "unknown"
    # interned: one string a day, not one per story timeline and series occurrence (~10 MB on a year)
    return sys.intern(dt.datetime.fromtimestamp(when, timeutil.VN_TZ).date().isoformat())


def _to_dt(when: float | None) -> dt.datetime | None:
    return None if when is None else dt.datetime.fromtimestamp(when, timeutil.UTC)


def _now_iso(now: Callable[[], dt.datetime]) -> str:
    return now().isoformat()
