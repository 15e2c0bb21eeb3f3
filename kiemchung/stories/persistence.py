"""Saving and reloading a story clusterer: a JSON-serialisable dict of its documents, stories and edits.

Centroids and the inverted index are not saved; they are rebuilt from the saved document vectors.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import heapq
import itertools
import json
import math
import sys
import zlib
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from kiemchung import timeutil
from kiemchung.errors import ConfigError
from kiemchung.stories.config import ClusterConfig
from kiemchung.stories.records import _NO_CENTROID, _NO_TERMS, _NO_TFS, _NOT_INDEXED, _Doc, _DocTable, _Story
from kiemchung.stories.vocabulary import TermTable

if TYPE_CHECKING:
    from kiemchung.stories.cluster import StoryClusterer

STATE_VERSION = 1


class JsonPieces:
    """A value of :meth:`ClustererPersistence.state` given as its JSON text in pieces (``pieces()``
    yields them), which :func:`compressed_json` writes one at a time: a year's vocabulary is about
    700,000 strings that the clusterer does not keep as strings (see ``kiemchung.stories.vocabulary``)."""

    def __init__(self, pieces: Callable[[], Iterable[str]]) -> None:
        self.pieces = pieces


def compressed_json(state: dict[str, Any], level: int = 3) -> bytearray:
    """``zlib.compress(json.dumps(state, separators=(",", ":")).encode(), level)``'s input text, encoded
    and compressed piece by piece: the same JSON text, without ever holding all of it (on a year of
    news the text of the state was several times the compressed blob, at the save's peak memory).

    Each top-level value (and each column of ``doc_table``) is encoded on its own with the C encoder,
    a :class:`JsonPieces` value piece by piece. The compressed pieces are appended to one
    ``bytearray`` (bytes-like, what the database driver takes), not joined at the end: the blob, about
    10 MB on a year of news, is not held twice. :func:`compressed_json_parts` gives the same bytes in
    parts, without holding all of them."""
    out = bytearray()
    for part in compressed_json_parts(state, level):
        out.extend(part)
    return out


def compressed_json_parts(state: dict[str, Any], level: int = 3, size: int = 1 << 20) -> Iterator[bytearray]:
    """:func:`compressed_json`'s bytes in consecutive parts of ``size`` bytes or more (the last may be
    smaller; at least one part), each yielded as soon as it is complete: the owner writes each one
    and lets it go, so a save never holds the whole compressed state (about 10 MB on a year of news,
    and as much again in the database driver's copy of it at the last save, the import's peak)."""
    z = zlib.compressobj(level)
    out = bytearray()
    ready: list[bytearray] = []

    def put(text: str) -> None:
        nonlocal out
        out.extend(z.compress(text.encode()))
        if len(out) >= size:
            ready.append(out)
            out = bytearray()

    def value(v: Any) -> Iterator[bytearray]:
        if isinstance(v, JsonPieces):
            for piece in v.pieces():
                put(piece)
                yield from take()
        elif isinstance(v, dict) and v and len(v) <= 64:  # a small dict of large values: one value at a time
            put("{")
            for k, (key, item) in enumerate(v.items()):
                put(("," if k else "") + json.dumps(str(key)) + ":")
                yield from value(item)
            put("}")
        else:
            put(json.dumps(v, separators=(",", ":")))
        yield from take()

    def take() -> Iterator[bytearray]:
        while ready:
            yield ready.pop(0)

    yield from value(state)
    out.extend(z.flush())
    yield out


STORIES_PER_PIECE = 2_000
BASE64_PIECE_BYTES = 3 << 16  # packed document vectors per piece of JSON text (before base64)
ROWS_PER_PIECE = 5_000  # values of a column (documents' times, series keys, ...) per piece of JSON text


def _none_for_nan(x: float) -> float | None:
    return None if x != x else x


def _pieces(chunks: Iterator[Any], opening: str, closing: str) -> Iterator[str]:
    """The JSON text of a list or dict given as consecutive ``chunks`` of it (each a list or a dict),
    in one piece per chunk between ``opening`` and ``closing``."""
    yield opening
    first = True
    for chunk in chunks:
        yield ("" if first else ",") + json.dumps(chunk, separators=(",", ":"))[1:-1]
        first = False
    yield closing


def _list_pieces(values: Iterable[Any], convert: Callable[[Any], Any] | None = None) -> Iterator[str]:
    """``json.dumps(list(values), separators=(",", ":"))`` in pieces of ROWS_PER_PIECE values (each
    value passed through ``convert`` first, when given)."""
    it = iter(values) if convert is None else map(convert, values)
    return _pieces(iter(lambda: list(itertools.islice(it, ROWS_PER_PIECE)), []), "[", "]")


def _dict_pieces(values: Any) -> Iterator[str]:
    """``json.dumps(dict(values.items()), separators=(",", ":"))`` (string keys; a dict or a table with
    ``items``) in pieces of ROWS_PER_PIECE items."""
    it = iter(values.items())
    return _pieces(iter(lambda: dict(itertools.islice(it, ROWS_PER_PIECE)), {}), "{", "}")


def _base64_pieces(chunks: Iterable[bytes]) -> Iterator[str]:
    """``json.dumps(base64.b64encode(b"".join(chunks)).decode("ascii"))`` in pieces of about
    BASE64_PIECE_BYTES bytes: base64 of consecutive runs of a multiple of 3 bytes, joined, is the
    base64 of the whole."""
    size = max(3, BASE64_PIECE_BYTES)
    yield '"'
    buf = bytearray()
    for chunk in chunks:
        buf += chunk
        if len(buf) >= size:
            cut = len(buf) - len(buf) % 3
            yield base64.b64encode(buf[:cut]).decode("ascii")
            del buf[:cut]
    yield base64.b64encode(buf).decode("ascii") + '"'


def _story_rows(stories: Iterable[_Story]) -> list[dict[str, Any]]:
    return [
        # (no "timeline": counted from the documents' times when asked for; states saved with it load as before)
        {"id": st.sid, "docs": st.docs, "first": st.first, "last": st.last, "active": st.active}
        for st in stories
    ]


class ClustererPersistence:
    """The saving and reloading half of :class:`~kiemchung.stories.cluster.StoryClusterer` (a mixin)."""

    def state(self, *, pieces: bool = False) -> dict[str, Any]:
        """A JSON-serialisable dict with everything needed to continue later (see :meth:`from_state`).

        Centroids and the index are not stored: they are rebuilt from the stored document vectors.
        With ``pieces`` the vocabulary and the stories are :class:`JsonPieces` (for
        :func:`compressed_json`: the same text, without a string for every term and a dict for every
        story at once; on a year of news the final save was the import's peak).
        """
        out: dict[str, Any] = {
            "version": STATE_VERSION,
            "config": asdict(self.config),
            "n": self._n,
            "clock": self._clock,
            "seq": self._seq,
            "vocab": JsonPieces(self._terms.json_pieces) if pieces else list(self._terms),
            # (compressed_json reads it before anything changes)
            "df": JsonPieces(lambda: _list_pieces(self._df)) if pieces else list(self._df),
            "doc_table": self._doc_table(pieces=pieces),
            "stories": JsonPieces(self._stories_json) if pieces else _story_rows(self._stories.values()),
            "aliases": dict(self._alias),
            "informal": sorted(self._informal),
            "series": JsonPieces(lambda: _dict_pieces(self._series)) if pieces else dict(self._series.items()),
            "occurrences": JsonPieces(lambda: _list_pieces(self._occurrence_rows())) if pieces
            else list(self._occurrence_rows()),
            "edits": self.edits(),
            "dirty": sorted(self._stories.sid(s) for s in self._dirty if s in self._stories),
        }
        if self._parts:  # hand-merged stories' parts (absent without a merge: the state as before)
            out["parts"] = self.parts_state()
        if self._semantic is not None:
            out["semantic"] = self._semantic.state()
        return out

    def _stories_json(self) -> Iterator[str]:
        """``json.dumps(_story_rows(stories), separators=(",", ":"))`` in pieces of STORIES_PER_PIECE stories."""
        # (a packed dormant story is read as a new _Story: STORIES_PER_PIECE of them at a time, not all)
        stories = iter(self._stories.values())
        yield "["
        lo = 0
        while chunk := list(itertools.islice(stories, STORIES_PER_PIECE)):
            rows = _story_rows(chunk)
            yield ("," if lo else "") + json.dumps(rows, separators=(",", ":"))[1:-1]
            lo += len(chunk)
        yield "]"

    def _occurrence_rows(self) -> Iterator[list[Any]]:
        stories = self._stories
        for (k, day), s in self._occurrences.items():
            if s in stories:
                yield [k, day, stories.sid(s)]

    def _doc_table(self, *, pieces: bool = False) -> dict[str, Any]:
        """The documents column by column; term ids (int32) and frequencies (float32) of every
        document packed, in order, as base64 bytes with each document's term count in ``lengths``
        (a tenth of the size and time of JSON lists on a year of news). A document whose vector is
        out of memory and stored by the owner (see ``attach_vault``) has no terms and no title here, and
        its position is listed in ``away``: the state holds the vectors of active stories only.

        With ``pieces`` the columns are :class:`JsonPieces` that read the documents as they are
        written (the same text, see :meth:`_doc_table_pieces`): a list of 150,000 float objects and
        its JSON text at once, then arrays of them, were a large part of the import's last save, its
        peak memory."""
        if pieces:
            return self._doc_table_pieces()
        docs = self._docs
        box = self._outbox
        terms = array("i")
        tfs = array("f")
        titles: list[str] = []
        lengths = array("q")
        away = array("q")
        # ids: a decimal id (what the stage uses) as its number, any other in ``other_ids`` by position
        # (a packed document's id is a new string each time it is read: 150,000 of them at once otherwise)
        id_numbers = array("q")
        other_ids: dict[int, str] = {}
        number = _DocTable._number
        sids: list[str] = []
        times = array("d")  # NaN: no time (None in the JSON)
        norms = array("d")
        nan = math.nan
        held, stories = self._held, self._stories
        # one pass: a document out of memory is read from the packed arrays (see records._DocTable)
        for k, (d, doc) in enumerate(docs.items()):
            n = number(d)
            if n is None:
                other_ids[k] = d
                n = 0
            id_numbers.append(n)
            sids.append(stories.sid(doc.story))
            times.append(nan if doc.time is None else doc.time)
            norms.append(doc.norm)
            vec = (doc.terms, doc.tfs, doc.title)
            # out of memory, or read back for a while as it is stored (a dormant story's document)
            if doc.away or (held.get(d) is doc and stories.dormant(doc.story)):
                vec = box.get(d)  # queued, not stored yet: kept in the state
                if vec is None:
                    away.append(k)
                    vec = (_NO_TERMS, _NO_TFS, "")
            terms.extend(vec[0])
            tfs.extend(vec[1])
            titles.append(vec[2])
            lengths.append(len(vec[0]))
        def ids() -> Iterator[str]:
            for k, n in enumerate(id_numbers):
                yield other_ids[k] if k in other_ids else str(n)

        columns: dict[str, Any] = {"ids": ids, "story": sids, "time": times, "title": titles, "norm": norms,
                                   "lengths": lengths}
        columns = {name: list(map(_none_for_nan, column)) if name == "time" else
                   list(column() if callable(column) else column) for name, column in columns.items()}
        return {
            **columns,
            "terms": base64.b64encode(terms.tobytes()).decode("ascii"),
            "tfs": base64.b64encode(tfs.tobytes()).decode("ascii"),
            "away": list(away),
        }

    def _doc_fields(self) -> Iterator[tuple[str, int, float, float, tuple[array, array, str] | None]]:
        """``(id, story number, time (NaN: none), norm, (terms, tfs, title) or None)`` of each document
        in the order of ``_docs.items()``, what :meth:`_doc_table` writes of it (None: out of memory,
        its vector in the store, listed in ``away``); a packed document is read from the arrays."""
        docs, box, held, stories = self._docs, self._outbox, self._held, self._stories
        nan = math.nan
        for d, doc in dict.items(docs):
            vec = (doc.terms, doc.tfs, doc.title)
            if doc.away or (held.get(d) is doc and stories.dormant(doc.story)):
                vec = box.get(d)  # queued, not stored yet: kept in the state
            yield d, doc.story, nan if doc.time is None else doc.time, doc.norm, vec
        for d, story, when, norm in docs.packed_rows():
            yield d, story, when, norm, box.get(d)

    def _doc_table_pieces(self) -> dict[str, Any]:
        """:meth:`_doc_table`'s columns as :class:`JsonPieces` that each read the documents again when
        written (the same text): the save builds no column of the whole table (on a year of news
        seven columns of 150,000 values, the last save's largest part after the compressed state)."""
        fields = self._doc_fields
        stories = self._stories

        def column(pick: Callable[[tuple], Any]) -> JsonPieces:
            return JsonPieces(lambda: _list_pieces(map(pick, fields())))

        def packed(k: int, typecode: str) -> JsonPieces:
            def chunks() -> Iterator[bytes]:
                for f in fields():
                    if f[4] is not None:
                        v = f[4][k]
                        yield (v if isinstance(v, array) and v.typecode == typecode else array(typecode, v)).tobytes()
            return JsonPieces(lambda: _base64_pieces(chunks()))

        def away() -> Iterator[int]:
            return (k for k, f in enumerate(fields()) if f[4] is None)

        return {
            "ids": column(lambda f: f[0]),
            "story": column(lambda f: stories.sid(f[1])),
            "time": column(lambda f: _none_for_nan(f[2])),
            "title": column(lambda f: "" if f[4] is None else f[4][2]),
            "norm": column(lambda f: f[3]),
            "lengths": column(lambda f: 0 if f[4] is None else len(f[4][0])),
            "terms": packed(0, "i"),
            "tfs": packed(1, "f"),
            "away": JsonPieces(lambda: _list_pieces(away())),
        }

    def _doc_rows(self, state: dict[str, Any]):
        """``(id, story id, time, title, terms, tfs, norm or None, away)`` per saved document, from the
        packed table or from the row lists of states saved before it (``norm`` absent in the oldest)."""
        table = state.get("doc_table")
        if table is None:
            for row in state["docs"]:
                d, sid, when, title, terms, tfs = row[:6]
                yield d, sid, when, title, array("i", terms), array("f", tfs), row[6] if len(row) > 6 else None, False
            return
        away = set(table.get("away", ()))
        terms = array("i")
        terms.frombytes(base64.b64decode(table["terms"]))
        packed = array("f")
        packed.frombytes(base64.b64decode(table["tfs"]))
        tfs = packed
        pos = 0
        columns = zip(
            table["ids"], table["story"], table["time"], table["title"], table["norm"], table["lengths"], strict=True
        )
        for k, (d, sid, when, title, norm, n) in enumerate(columns):
            yield d, sid, when, title, terms[pos : pos + n], tfs[pos : pos + n], norm, k in away
            pos += n
        if pos != len(terms) or pos != len(tfs):
            raise ValueError("packed document vectors do not match their lengths")

    @classmethod
    def from_state(
        cls,
        state: dict[str, Any],
        *,
        now: Callable[[], dt.datetime] = timeutil.now,
        embedder: Callable[[list[str]], Any] | None = None,
    ) -> StoryClusterer:
        """Rebuild a clusterer saved with :meth:`state` (raises :class:`ConfigError` if unusable)."""
        if not isinstance(state, dict) or state.get("version") != STATE_VERSION:
            raise ConfigError("Trạng thái phân cụm không hợp lệ (unknown or invalid clusterer state)")
        try:
            self = cls(ClusterConfig.from_dict(state["config"]), now=now, embedder=embedder)
            self._n = int(state["n"])
            self._clock = state["clock"]
            self._seq = int(state["seq"])
            self._df = array("i", state["df"])
            self._terms = TermTable.from_terms(state["vocab"], self._df)
            self._vocab = self._terms.frequent
            for st in state["stories"]:
                s = int(st["id"].rsplit("-", 1)[1])
                story = _Story(
                    sid=st["id"],
                    docs=list(st["docs"]),
                    centroid={},
                    first=st["first"],
                    last=st["last"],
                    active=bool(st["active"]),
                )
                if not story.active:
                    story.indexed, story.centroid = _NOT_INDEXED, _NO_CENTROID
                self._stories[s] = story
                self._by_sid[story.sid] = s
                if not story.active:  # packed at once (records._StoryTable): the load's peak is lower
                    self._stories.pack((s,))
            idf = self._idf_table()
            for d, sid, when, title, terms, tfs, norm, away in self._doc_rows(state):
                if away:
                    terms, tfs = _NO_TERMS, _NO_TFS
                doc = _Doc(story=self._by_sid[sid], time=when, title=title, terms=terms, tfs=tfs, away=away)
                # The TF-IDF norm at arrival (states saved before it was stored: recomputed with the
                # saved IDF, the closest there is; leaving it at 1 inflated every score after a load).
                doc.norm = (
                    float(norm)
                    if norm is not None
                    else math.sqrt(sum((v * idf(i)) ** 2 for i, v in zip(doc.terms, doc.tfs, strict=True)))
                ) or 1.0
                self._docs[d] = doc
            self._alias = dict(state["aliases"])
            self._informal = set(state.get("informal", ()))
            for d, k in state.get("series", {}).items():
                self._series[str(d)] = int(k)
            for k, day, sid in state.get("occurrences", ()):
                if sid in self._by_sid:
                    self._occurrences[(int(k), sys.intern(str(day)))] = self._by_sid[sid]
            self._log = list(state["edits"])
            self._dirty = {self._by_sid[sid] for sid in state.get("dirty", ()) if sid in self._by_sid}
            self._load_parts(state.get("parts") or {})
        except (KeyError, TypeError, ValueError, IndexError, binascii.Error) as exc:
            raise ConfigError(f"Trạng thái phân cụm bị hỏng (corrupt clusterer state): {exc}") from exc
        for s, story in self._stories.items():
            if story.active:
                story.centroid = self._centroid_of(story.docs)
            if story.last is not None and story.active:
                heapq.heappush(self._heap, (story.last, s))
            if not story.active:
                self._register_days(s, story)
            self._reindex_all(s, story)
        if self._semantic is not None and "semantic" in state:
            self._semantic.load(state["semantic"], {d: doc.story for d, doc in self._docs.items()})
        self._pack_dormant()
        return self
