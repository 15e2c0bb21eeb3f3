"""What the story clusterer keeps per document and per story, and what it shows about a story."""

from __future__ import annotations

import datetime as dt
import math
import sys
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from kiemchung import timeutil
from kiemchung.stories.scratch import DISK_CHUNK, DiskDocs, DiskIntMap, DiskStories


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


_IN_DICT = -2  # a packed position whose document is back in the dict (a _Doc again)
_MERGE_AT = 8_192  # packed numeric ids kept in a dict (~70 bytes each) before they are merged into the sorted arrays


class _DocTable(dict):
    """The clusterer's documents, ``{doc id: _Doc}``, where a document out of memory (``away``: a
    dormant story's, its vector in the store) is *packed*: no ``_Doc``, time, norm nor dict entry of
    its own, but its story number, time and norm in three arrays (20 bytes), found through its id
    (a decimal id, what the story stage uses, as a 64-bit integer in a sorted array: 12 bytes more;
    any other id through a dict). Reading a packed document (``table[id]``, ``get``) makes it a
    ``_Doc`` in the dict again, with the same values (``away`` true), which writes then change as
    before; :meth:`pack` packs away documents again (the clusterer calls it when documents leave
    memory). Iterating yields the dict's documents, then the packed ones (each read as a new
    ``_Doc``, not kept). Decisions never depend on which form a document is in.

    After :meth:`spill` the packed documents with decimal ids are on disk instead (:class:`DiskDocs`):
    the table's memory then holds only the dict, for a process whose memory must not grow with the
    size of one import (the story stage following an import)."""

    __slots__ = (
        "_story", "_time", "_norm", "_keys", "_where", "_pending", "_other", "_packed", "_loose", "_disk"
    )

    def __init__(self) -> None:
        super().__init__()
        self._story = array("i")  # per position: story number, or _IN_DICT
        self._time = array("d")  # publication time (NaN: none)
        self._norm = array("d")
        self._keys = array("q")  # sorted numeric ids ...
        self._where = array("i")  # ... and their positions
        self._pending: dict[int, int] = {}  # numeric id -> position, not merged into the arrays yet
        self._other: dict[str, int] = {}  # any other id -> position
        self._packed = 0
        self._loose: list[str] = []  # packed documents read since the last pack_loose (back in the dict)
        self._disk: DiskDocs | None = None  # packed documents with decimal ids, once spilled

    @staticmethod
    def _number(d: str) -> int | None:
        """A decimal id as the integer it writes (``str`` of it gives it back), else None."""
        if d.isdigit() and d.isascii() and len(d) <= 18 and (d[0] != "0" or d == "0"):
            return int(d)
        return None

    def _position(self, d: Any) -> int | None:
        """The position of a document ever packed (whether packed now or not), or None."""
        if type(d) is not str:
            return None
        k = self._number(d)
        if k is None:
            return self._other.get(d)
        p = self._pending.get(k)
        if p is not None:
            return p
        keys = self._keys
        i = bisect_left(keys, k)
        return self._where[i] if i < len(keys) and keys[i] == k else None

    def _packed_at(self, d: Any) -> int | None:
        p = self._position(d)
        return p if p is not None and self._story[p] != _IN_DICT else None

    def _on_disk(self, d: Any) -> int | None:
        """The number of a decimal id whose packed record is on disk (after :meth:`spill`), else None."""
        return self._number(d) if self._disk is not None and type(d) is str else None

    def spill(self) -> None:
        """Keep the packed documents with decimal ids on disk from now on (:class:`DiskDocs`): the
        same values, membership, length and iteration. Nothing changes if they already are."""
        if self._disk is not None:
            return
        disk = DiskDocs()
        rows: list[tuple[int, int, float | None, float]] = []
        for d, story, when, norm in self.packed_rows():
            k = self._number(d)
            if k is not None:
                rows.append((k, story, None if when != when else when, norm))
                if len(rows) >= DISK_CHUNK:
                    disk.put(rows)
                    rows = []
        disk.put(rows)
        # the arrays keep the other ids' documents only (positions renumbered)
        story, time, norm, other = self._story, self._time, self._norm, self._other
        self._story, self._time, self._norm = array("i"), array("d"), array("d")
        self._other = {}
        for d, p in other.items():
            self._other[d] = len(self._story)
            self._story.append(story[p])
            self._time.append(time[p])
            self._norm.append(norm[p])
        self._keys, self._where, self._pending = array("q"), array("i"), {}
        self._disk = disk

    def pack(self, doc_ids: Any) -> None:
        """Pack the given documents that are away (out of memory); the others stay as they are."""
        get = dict.get
        disk = self._disk
        rows: list[tuple[int, int, float | None, float]] = []
        for d in doc_ids:
            doc = get(self, d)
            if doc is None or not doc.away:
                continue
            if disk is not None:
                k = self._on_disk(d)
                if k is not None:
                    rows.append((k, doc.story, doc.time, doc.norm))
                    self._packed += 1
                    dict.__delitem__(self, d)
                    continue
            p = self._position(d)
            when = math.nan if doc.time is None else doc.time
            if p is None:
                p = len(self._story)
                self._story.append(doc.story)
                self._time.append(when)
                self._norm.append(doc.norm)
                k = self._number(d)
                if k is None:
                    self._other[d] = p
                else:
                    self._pending[k] = p
                    if len(self._pending) >= _MERGE_AT:
                        self._merge()
            else:
                self._story[p], self._time[p], self._norm[p] = doc.story, when, doc.norm
            self._packed += 1
            dict.__delitem__(self, d)
        if rows:
            disk.put(rows)  # type: ignore[union-attr]

    def _merge(self) -> None:
        self._keys, self._where = _sorted_union(self._keys, self._where, list(self._pending), list(self._pending.values()))
        self._pending = {}

    def _read(self, d: str, p: int) -> _Doc:
        when = self._time[p]
        return _Doc(story=self._story[p], time=None if when != when else when, title="", terms=_NO_TERMS,
                    tfs=_NO_TFS, norm=self._norm[p], away=True)

    def __missing__(self, d: str) -> _Doc:
        k = self._on_disk(d)
        if k is not None:
            row = self._disk.take(k)  # type: ignore[union-attr]
            if row is None:
                raise KeyError(d)
            doc = _Doc(story=row[0], time=row[1], title="", terms=_NO_TERMS, tfs=_NO_TFS, norm=row[2],
                       away=True)
        else:
            p = self._packed_at(d)
            if p is None:
                raise KeyError(d)
            doc = self._read(d, p)
            self._story[p] = _IN_DICT
        self._packed -= 1
        dict.__setitem__(self, d, doc)
        self._loose.append(d)
        return doc

    def pack_loose(self) -> None:
        """Pack again the documents read since the last call that are still away (only where no caller
        holds one of them to change it: the clusterer calls it where documents leave memory)."""
        if self._loose:
            loose, self._loose = self._loose, []
            self.pack(loose)

    def __setitem__(self, d: str, doc: _Doc) -> None:
        k = self._on_disk(d)
        if k is not None:
            if not dict.__contains__(self, d) and self._disk.take(k) is not None:  # type: ignore[union-attr]
                self._packed -= 1
        else:
            p = self._packed_at(d)
            if p is not None:
                self._story[p] = _IN_DICT
                self._packed -= 1
        dict.__setitem__(self, d, doc)

    def get(self, d: Any, default: Any = None) -> Any:
        try:
            return self[d]
        except KeyError:
            return default

    def __contains__(self, d: object) -> bool:
        if dict.__contains__(self, d):
            return True
        k = self._on_disk(d)
        if k is not None:
            return self._disk.find(k) is not None  # type: ignore[union-attr]
        return self._packed_at(d) is not None

    def __len__(self) -> int:
        return dict.__len__(self) + self._packed

    def _packed_ids(self) -> Iterator[tuple[str, int]]:
        story = self._story
        for k, p in self._pending.items():
            if story[p] != _IN_DICT:
                yield str(k), p
        for k, p in zip(self._keys, self._where, strict=True):
            if story[p] != _IN_DICT:
                yield str(k), p
        for d, p in self._other.items():
            if story[p] != _IN_DICT:
                yield d, p

    def packed_rows(self) -> Iterator[tuple[str, int, float, float]]:
        """``(id, story number, time (NaN: none), norm)`` of each packed document, in the order of
        ``items`` (after the dict's documents), without a ``_Doc`` each: those on disk by id, then
        those in the arrays."""
        if self._disk is not None:
            nan = math.nan
            for k, story_k, when, norm_k in self._disk.rows():
                yield str(k), story_k, nan if when is None else when, norm_k
        story, time, norm = self._story, self._time, self._norm
        for d, p in self._packed_ids():
            yield d, story[p], time[p], norm[p]

    def __iter__(self) -> Iterator[str]:
        yield from dict.__iter__(self)
        for d, *_ in self.packed_rows():
            yield d

    def keys(self) -> Iterator[str]:  # type: ignore[override]
        return iter(self)

    def items(self) -> Iterator[tuple[str, _Doc]]:  # type: ignore[override]
        yield from dict.items(self)
        for d, story, when, norm in self.packed_rows():
            yield d, _Doc(story=story, time=None if when != when else when, title="", terms=_NO_TERMS,
                          tfs=_NO_TFS, norm=norm, away=True)

    def values(self) -> Iterator[_Doc]:  # type: ignore[override]
        for _, doc in self.items():
            yield doc

    def __bool__(self) -> bool:
        return len(self) > 0

    def __eq__(self, other: object) -> bool:
        return self is other

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self) -> Any:
        raise TypeError("a document table is saved through the clusterer's state")


_OCC_MERGE_AT = 8_192  # occurrences kept in a dict (~130 bytes each) before they are merged into the arrays
_OCC_OFFSET = 1 << 63


class _OccurrenceTable:
    """The story of each occurrence of a recurring headline template, ``{(template, day): story
    number}`` (see ``StoryClusterer._occurrence``), with the part of a dict the clusterer uses:
    ``get``, ``setdefault``, item assignment, ``items``, ``len``. A year of news has an occurrence
    for about a third of its documents, and a backfill may look up one of any age, so none is dropped;
    the newest ``_OCC_MERGE_AT`` are in a dict, the others packed: template (a CRC-32) and day (its
    ordinal) as one 64-bit integer in a sorted array, and the story number beside it (12 bytes an
    occurrence instead of about 130: a tuple, two integers and a dict entry). A key that does not pack
    (another kind of template or day) is kept in a dict of its own that a merge never reads (as in
    :class:`_SeriesTable`). Lookups give what a dict gives; ``items`` lists the occurrences that do
    not pack, then the newest, then the packed ones in key order."""

    __slots__ = ("_recent", "_other", "_codes", "_stories", "_disk")

    def __init__(self) -> None:
        self._recent: dict[tuple[int, str], int] = {}  # the newest occurrences that pack
        self._other: dict[tuple[int, str], int] = {}  # occurrences that do not pack
        self._codes = array("q")  # sorted (template << 32 | day ordinal) - 2**63 ...
        self._stories = array("i")  # ... and each one's story number
        self._disk: DiskIntMap | None = None  # after spill: the packed occurrences

    def spill(self) -> None:
        """Keep the packed occurrences on disk from now on (:class:`DiskIntMap`): the same lookups
        and items. Nothing changes if they already are."""
        if self._disk is None:
            self._disk = DiskIntMap()
            self._disk.add(zip(self._codes, self._stories, strict=True))
            self._codes, self._stories = array("q"), array("i")

    @staticmethod
    def _code(key: tuple[int, str]) -> int | None:
        template, day = key
        if type(template) is not int or not 0 <= template < 1 << 32 or type(day) is not str or len(day) != 10:
            return None
        try:
            ordinal = dt.date.fromisoformat(day).toordinal()
        except ValueError:
            return None
        return (template << 32 | ordinal) - _OCC_OFFSET  # (a signed 64-bit integer, in the same order)

    def _find(self, code: int | None) -> int | None:
        if code is None:
            return None
        codes = self._codes
        i = bisect_left(codes, code)
        return i if i < len(codes) and codes[i] == code else None

    def get(self, key: tuple[int, str], default: Any = None) -> Any:
        hit = self._recent.get(key)
        if hit is not None:
            return hit
        hit = self._other.get(key)
        if hit is not None:
            return hit
        if self._disk is not None:
            code = self._code(key)
            hit = None if code is None else self._disk.get(code)
            return default if hit is None else hit
        i = self._find(self._code(key)) if self._codes else None
        return default if i is None else self._stories[i]

    def __setitem__(self, key: tuple[int, str], story: int) -> None:
        code = self._code(key)
        if code is None:
            self._other[key] = story
            return
        if key not in self._recent and self._disk is not None:
            if self._disk.set(code, story):
                return
        elif key not in self._recent:
            i = self._find(code) if self._codes else None
            if i is not None:
                self._stories[i] = story
                return
        self._recent[key] = story
        if len(self._recent) >= _OCC_MERGE_AT:
            self._merge()

    def setdefault(self, key: tuple[int, str], story: int) -> int:
        hit = self.get(key)
        if hit is None:
            self[key] = story
            return story
        return hit

    def _merge(self) -> None:
        codes = [self._code(key) for key in self._recent]  # (every key there packs)
        if self._disk is not None:
            self._disk.add(zip(codes, self._recent.values(), strict=True))
        else:
            self._codes, self._stories = _sorted_union(self._codes, self._stories, codes,
                                                       list(self._recent.values()))
        self._recent = {}

    def items(self) -> Iterator[tuple[tuple[int, str], int]]:
        yield from self._other.items()
        yield from self._recent.items()
        disk = self._disk
        packed = disk.items() if disk is not None else zip(self._codes, self._stories, strict=True)
        for code, story in packed:
            code += _OCC_OFFSET
            yield (code >> 32, sys.intern(dt.date.fromordinal(code & 0xFFFFFFFF).isoformat())), story

    def __len__(self) -> int:
        packed = self._disk if self._disk is not None else self._codes
        return len(self._other) + len(self._recent) + len(packed)


def _sorted_union(keys: array, values: array, new_keys: list[int], new_values: list[int]) -> tuple[array, array]:
    """Packed ``keys`` (array ``q``, sorted) and their ``values`` (same length) with ``new_keys`` and
    ``new_values`` added (no key in both), sorted by key again: two new arrays of the same typecodes."""
    import numpy as np

    vtype = np.dtype(values.typecode)
    all_keys = np.concatenate([np.frombuffer(keys, dtype=np.int64) if keys else np.empty(0, np.int64),
                               np.array(new_keys, dtype=np.int64)])
    all_values = np.concatenate([np.frombuffer(values, dtype=vtype) if values else np.empty(0, vtype),
                                 np.array(new_values, dtype=vtype)])
    order = np.argsort(all_keys, kind="stable")
    return array("q", all_keys[order].tobytes()), array(values.typecode, all_values[order].tobytes())


_SERIES_MERGE_AT = 8_192  # series keys kept in a dict (~65 bytes each) before they are merged into the arrays


class _SeriesTable:
    """The template of each document's recurring headline, ``{document id: template}`` (see
    ``StoryClusterer._series``), with the part of a dict the clusterer uses: ``get``, item
    assignment, ``items``, ``len``. A year of news has one for about a third of its documents, and a
    merge or a late document may look up any of them, so none is dropped; the newest
    ``_SERIES_MERGE_AT`` are in a dict, the others packed: a decimal id (what the story stage uses)
    as a 64-bit integer in a sorted array and its template (a CRC-32) beside it, 12 bytes an entry
    instead of about 65 (a dict entry and an integer object; the id's string is the story's member).
    An id or a template that does not pack is kept in a dict of its own (``_other``), which a merge
    never reads: with ids that are not decimal (the library used with ids of its caller's, such as
    hashes) the newest-entries dict stayed full of them and every assignment scanned it, quadratic
    in the documents. Lookups give what a dict gives; ``items`` lists the entries that do not pack,
    then the newest, then the packed ones in id order."""

    __slots__ = ("_recent", "_other", "_ids", "_keys", "_disk")

    def __init__(self) -> None:
        self._recent: dict[str, int] = {}  # the newest entries that pack
        self._other: dict[str, int] = {}  # entries that do not pack
        self._ids = array("q")  # sorted numeric document ids ...
        self._keys = array("I")  # ... and each one's template
        self._disk: DiskIntMap | None = None  # after spill: the packed entries

    def spill(self) -> None:
        """Keep the packed entries on disk from now on (:class:`DiskIntMap`): the same lookups and
        items. Nothing changes if they already are."""
        if self._disk is None:
            self._disk = DiskIntMap()
            self._disk.add(zip(self._ids, self._keys, strict=True))
            self._ids, self._keys = array("q"), array("I")

    @staticmethod
    def _packs(d: Any, key: Any) -> bool:
        return type(d) is str and _DocTable._number(d) is not None and type(key) is int and 0 <= key < 1 << 32

    def _find(self, d: Any) -> int | None:
        if not self._ids or type(d) is not str:
            return None
        n = _DocTable._number(d)
        if n is None:
            return None
        ids = self._ids
        i = bisect_left(ids, n)
        return i if i < len(ids) and ids[i] == n else None

    def get(self, d: Any, default: Any = None) -> Any:
        hit = self._recent.get(d)
        if hit is not None:
            return hit
        hit = self._other.get(d)
        if hit is not None:
            return hit
        if self._disk is not None:
            n = _DocTable._number(d) if type(d) is str else None
            hit = None if n is None else self._disk.get(n)
            return default if hit is None else hit
        i = self._find(d)
        return default if i is None else self._keys[i]

    def __setitem__(self, d: str, key: int) -> None:
        packs = self._packs(d, key)
        if d in self._other:
            if not packs:
                self._other[d] = key
                return
            del self._other[d]
        n = _DocTable._number(d) if type(d) is str else None
        if d not in self._recent and self._disk is not None and n is not None:
            if packs and self._disk.set(n, key):
                return
            if not packs:
                self._disk.delete(n)  # (a template that does not pack: into the dict)
        elif d not in self._recent:
            i = self._find(d)
            if i is not None:
                if packs:
                    self._keys[i] = key
                    return
                del self._ids[i], self._keys[i]  # (a template that does not pack: into the dict)
        if not packs:
            self._recent.pop(d, None)
            self._other[d] = key
            return
        self._recent[d] = key
        if len(self._recent) >= _SERIES_MERGE_AT:
            self._merge()

    def _merge(self) -> None:
        ids = [int(d) for d in self._recent]  # (every entry there packs)
        if self._disk is not None:
            self._disk.add(zip(ids, self._recent.values(), strict=True))
        else:
            self._ids, self._keys = _sorted_union(self._ids, self._keys, ids, list(self._recent.values()))
        self._recent = {}

    def items(self) -> Iterator[tuple[str, int]]:
        yield from self._other.items()
        yield from self._recent.items()
        packed = self._disk.items() if self._disk is not None else zip(self._ids, self._keys, strict=True)
        for n, key in packed:
            yield str(n), key

    def __len__(self) -> int:
        packed = self._disk if self._disk is not None else self._ids
        return len(self._other) + len(self._recent) + len(packed)

    def __bool__(self) -> bool:
        return len(self) > 0


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



def _story_of(s: int, first: float, last: float, ids: Any) -> _Story:
    """A packed story read back: number, first and last time (NaN: none), its members' numbers."""
    return _Story(sid=f"st-{s}", docs=[str(k) for k in ids], centroid=_NO_CENTROID,
                  first=None if first != first else first, last=None if last != last else last, active=False,
                  indexed=_NOT_INDEXED)


_STORY_GAP = -1  # a story number not packed (and no slot of its own to reuse)
_STORY_COMPACT_AT = 1 << 16  # member slots no packed story holds, at least, before they are dropped


class _StoryTable(dict):
    """The clusterer's stories, ``{story number: _Story}``, where a dormant story that holds nothing
    but its members and times (no centroid, no index, its id ``st-N``, decimal member ids: most
    stories of a long import) is *packed*: no ``_Story``, list nor strings of its own, but its
    members as 64-bit integers in one array and its first and last time in two arrays indexed by story
    number (about 30 bytes and 8 a member, against about 470 bytes for a dormant story of two).

    Reading a packed story (``table[s]``, ``get``) makes it a ``_Story`` in the dict again, with the
    same values (``centroid`` the shared ``_NO_CENTROID``, ``indexed`` the shared ``_NOT_INDEXED``),
    which writes then change as before; :meth:`pack` packs such stories again (the clusterer calls it
    at the end of its public methods, when nothing holds a story to change it), and :meth:`take_loose`
    lists the ones read since. Iterating yields the stories in story number order (what the dict's
    insertion order was: numbers are given in increasing order), a packed one read as a new ``_Story``
    that is not kept. :meth:`sid`, :meth:`live` and :meth:`dormant` answer without reading a packed
    story back. Decisions never depend on which form a story is in.

    After :meth:`spill` the packed stories are on disk instead (:class:`DiskStories`), and the
    table's memory holds the dict and one byte a story number."""

    __slots__ = ("_at", "_len", "_first", "_last", "_ids", "_live", "_packed", "_loose", "_disk", "_flag")

    def __init__(self) -> None:
        super().__init__()
        # per story number: where its members start in _ids (-2 - start: unpacked, its slot reusable;
        # _STORY_GAP: not packed), how many, its first and last time (NaN: none)
        self._at = array("q")
        self._len = array("i")
        self._first = array("d")
        self._last = array("d")
        self._ids = array("q")  # the members of packed stories, as numbers
        self._live = 0  # entries of _ids that belong to a packed story
        self._packed = 0
        self._loose: list[int] = []  # packed stories read since the last take_loose (back in the dict)
        # after spill: the packed stories on disk, and per story number whether it is packed (1 byte)
        self._disk: DiskStories | None = None
        self._flag = bytearray()

    def spill(self) -> None:
        """Keep the packed stories on disk from now on (:class:`DiskStories`), with one byte a story
        number in memory saying which are packed: the same stories, membership, length and iteration.
        Nothing changes if they already are."""
        if self._disk is not None:
            return
        disk = DiskStories()
        flag = bytearray(len(self._at))
        for s in range(len(self._at)):
            at = self._at[s]
            if at >= 0:
                disk.put(s, self._first[s], self._last[s], self._ids[at : at + self._len[s]])
                flag[s] = 1
        self._at, self._len, self._first, self._last, self._ids = (
            array("q"), array("i"), array("d"), array("d"), array("q"))
        self._live = 0
        self._disk, self._flag = disk, flag

    def _packed_at(self, s: Any) -> int:
        """Where a packed story's members start, or -1 (not a packed story); on disk, 0 for a packed one."""
        if self._disk is not None:
            return 0 if type(s) is int and 0 <= s < len(self._flag) and self._flag[s] else -1
        if type(s) is not int or not 0 <= s < len(self._at):
            return -1
        at = self._at[s]
        return at if at >= 0 else -1

    def pack(self, numbers: Iterable[int]) -> int:
        """Pack the given stories that can be (dormant, no centroid nor index, id ``st-N``, decimal
        member ids, float or no times); the others stay as they are. Returns how many were packed."""
        get = dict.get
        number = _DocTable._number
        done = 0
        for s in numbers:
            story = get(self, s)
            if (story is None or story.active or story.centroid is not _NO_CENTROID or story.indexed is not _NOT_INDEXED
                    or type(s) is not int or s < 0 or story.sid != f"st-{s}"):
                continue
            first, last = story.first, story.last
            if (first is not None and type(first) is not float) or (last is not None and type(last) is not float):
                continue
            ids = [number(d) if type(d) is str else None for d in story.docs]
            if None in ids:
                continue
            if self._disk is not None:
                self._disk.put(s, math.nan if first is None else first, math.nan if last is None else last,
                               array("q", ids))
                flag = self._flag
                if s >= len(flag):
                    flag.extend(bytes(s + 1 - len(flag)))
                flag[s] = 1
                self._packed += 1
                dict.__delitem__(self, s)
                done += 1
                continue
            self._grow(s)
            n = len(ids)
            at = self._at[s]
            if at <= -2 and self._len[s] >= n:  # read back since it was packed: its slot again
                at = -2 - at
                self._ids[at : at + n] = array("q", ids)
            else:
                at = len(self._ids)
                self._ids.extend(ids)
            self._at[s], self._len[s] = at, n
            self._first[s] = math.nan if first is None else first
            self._last[s] = math.nan if last is None else last
            self._live += n
            self._packed += 1
            dict.__delitem__(self, s)
            done += 1
        if len(self._ids) - self._live > max(self._live, _STORY_COMPACT_AT):
            self._compact()
        return done

    def _grow(self, s: int) -> None:
        short = s + 1 - len(self._at)
        if short > 0:
            self._at.extend([_STORY_GAP] * short)
            self._len.extend([0] * short)
            self._first.extend([math.nan] * short)
            self._last.extend([math.nan] * short)

    def _compact(self) -> None:
        """Drop the member slots no packed story holds (stories read back lose their reusable slot)."""
        ids, at, n = self._ids, self._at, self._len
        out = array("q")
        for s in range(len(at)):
            p = at[s]
            if p >= 0:
                at[s] = len(out)
                out.extend(ids[p : p + n[s]])
            elif p != _STORY_GAP:
                at[s] = _STORY_GAP
        self._ids = out

    def _read(self, s: int, at: int) -> _Story:
        if self._disk is not None:
            first, last, ids = self._disk.get(s)
        else:
            first, last, ids = self._first[s], self._last[s], self._ids[at : at + self._len[s]]
        return _story_of(s, first, last, ids)

    def _unpacked(self, s: int, at: int) -> None:
        self._packed -= 1
        if self._disk is not None:
            self._flag[s] = 0  # (its record stays on disk, stale, until it is packed again)
            return
        self._at[s] = -2 - at
        self._live -= self._len[s]

    def __missing__(self, s: int) -> _Story:
        at = self._packed_at(s)
        if at < 0:
            raise KeyError(s)
        story = self._read(s, at)
        self._unpacked(s, at)
        dict.__setitem__(self, s, story)
        self._loose.append(s)
        return story

    def note(self, s: int) -> None:
        """Note a story that went dormant (or lost its centroid): :meth:`take_loose` lists it."""
        self._loose.append(s)

    def take_loose(self) -> list[int]:
        """The packed stories read, and the stories noted, since the last call (each may be packed)."""
        loose, self._loose = self._loose, []
        return loose

    def __setitem__(self, s: int, story: _Story) -> None:
        at = self._packed_at(s)
        if at >= 0:
            self._unpacked(s, at)
        dict.__setitem__(self, s, story)

    def __delitem__(self, s: int) -> None:
        at = self._packed_at(s)
        if at >= 0:
            self._unpacked(s, at)
            if self._disk is None:
                self._at[s] = _STORY_GAP
            return
        dict.__delitem__(self, s)

    def get(self, s: Any, default: Any = None) -> Any:
        try:
            return self[s]
        except KeyError:
            return default

    def live(self, s: Any) -> _Story | None:
        """The story if it is held as a ``_Story`` (every active story is), else None (absent or packed,
        hence dormant), without reading a packed one back."""
        return dict.get(self, s)

    def dormant(self, s: Any) -> bool:
        """Whether ``s`` is a dormant story (without reading a packed one back)."""
        story = dict.get(self, s)
        return (not story.active) if story is not None else self._packed_at(s) >= 0

    def sid(self, s: int) -> str:
        """The story's id (KeyError for no story), without reading a packed one back."""
        story = dict.get(self, s)
        if story is not None:
            return story.sid
        if self._packed_at(s) < 0:
            raise KeyError(s)
        return f"st-{s}"

    def __contains__(self, s: object) -> bool:
        return dict.__contains__(self, s) or self._packed_at(s) >= 0

    def __len__(self) -> int:
        return dict.__len__(self) + self._packed

    def __bool__(self) -> bool:
        return len(self) > 0

    def _packed_numbers(self) -> list[int]:
        if not self._packed:
            return []
        if self._disk is not None:
            flag = self._flag
            return [s for s in range(len(flag)) if flag[s]]
        at = self._at
        return [s for s in range(len(at)) if at[s] >= 0]

    def __iter__(self) -> Iterator[int]:
        packed = self._packed_numbers()
        if not packed:
            return iter(sorted(dict.__iter__(self)))
        return iter(sorted([*dict.__iter__(self), *packed]))

    def keys(self) -> Iterator[int]:  # type: ignore[override]
        return iter(self)

    def items(self) -> Iterator[tuple[int, _Story]]:  # type: ignore[override]
        get = dict.get
        if self._disk is None:
            for s in self:
                story = get(self, s)
                yield s, (story if story is not None else self._read(s, self._at[s]))
            return
        # on disk: the packed stories read in story number order, a chunk at a time, beside the dict's
        flag = self._flag
        packed = ((s, rec) for s, *rec in self._disk.rows() if s < len(flag) and flag[s])
        held = sorted(dict.__iter__(self))
        k = 0
        for s, (first, last, ids) in packed:
            while k < len(held) and held[k] < s:
                yield held[k], get(self, held[k])
                k += 1
            yield s, _story_of(s, first, last, ids)
        for s in held[k:]:
            yield s, get(self, s)

    def values(self) -> Iterator[_Story]:  # type: ignore[override]
        for _, story in self.items():
            yield story

    def __eq__(self, other: object) -> bool:
        return self is other

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self) -> Any:
        raise TypeError("a story table is saved through the clusterer's state")


class _SidIndex(dict):
    """``{story id: story number}`` of the stories of a :class:`_StoryTable`, where the id ``st-N`` of
    story N (every story the clusterer starts has that id) is not stored but answered from the table:
    no dict entry, and for a packed story no id string at all (about 90 bytes a story). Any other id
    (a state written by hand) is stored as in a dict. Lookups, ``in``, ``get``, deletion, length and
    iteration give what the dict of every id gave."""

    __slots__ = ("_stories",)

    def __init__(self, stories: _StoryTable) -> None:
        super().__init__()
        self._stories = stories

    def _implied(self, sid: Any) -> int | None:
        """The story number of ``st-N`` when story N exists with that id, else None."""
        if type(sid) is not str or not sid.startswith("st-"):
            return None
        s = _DocTable._number(sid[3:])
        if s is None or s not in self._stories or self._stories.sid(s) != sid:
            return None
        return s

    def __setitem__(self, sid: str, s: int) -> None:
        if type(s) is int and sid == f"st-{s}":
            dict.pop(self, sid, None)
            return
        dict.__setitem__(self, sid, s)

    def __missing__(self, sid: str) -> int:
        s = self._implied(sid)
        if s is None:
            raise KeyError(sid)
        return s

    def get(self, sid: Any, default: Any = None) -> Any:
        try:
            return self[sid]
        except KeyError:
            return default

    def __contains__(self, sid: object) -> bool:
        return dict.__contains__(self, sid) or self._implied(sid) is not None

    def __delitem__(self, sid: str) -> None:
        # (the clusterer deletes a story, then its id: an implied id is gone with the story)
        if dict.__contains__(self, sid):
            dict.__delitem__(self, sid)
        elif type(sid) is not str or not sid.startswith("st-"):
            raise KeyError(sid)

    def __iter__(self) -> Iterator[str]:
        stored = dict.__iter__(self)
        implied = [sid for sid in map(self._stories.sid, self._stories) if self._implied(sid) is not None]
        return iter([*stored, *(sid for sid in implied if not dict.__contains__(self, sid))])

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def keys(self) -> Iterator[str]:  # type: ignore[override]
        return iter(self)

    def items(self) -> Iterator[tuple[str, int]]:  # type: ignore[override]
        for sid in self:
            yield sid, self[sid]

    def values(self) -> Iterator[int]:  # type: ignore[override]
        for _, s in self.items():
            yield s

    def __bool__(self) -> bool:
        return dict.__len__(self) > 0 or any(True for _ in self)

    def __eq__(self, other: object) -> bool:
        return self is other

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self) -> Any:
        raise TypeError("a story id index is saved through the clusterer's state")


def _day_key(when: float | None) -> str:
    if when is None:
        return "unknown"
    # interned: one string a day, not one per story timeline and series occurrence (~10 MB on a year)
    return sys.intern(dt.datetime.fromtimestamp(when, timeutil.VN_TZ).date().isoformat())


def _to_dt(when: float | None) -> dt.datetime | None:
    return None if when is None else dt.datetime.fromtimestamp(when, timeutil.UTC)


def _now_iso(now: Callable[[], dt.datetime]) -> str:
    return now().isoformat()
