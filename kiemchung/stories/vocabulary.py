"""The clusterer's vocabulary: term ids in order of first appearance, stored compactly.

Most terms of a news stream are rare: of the 681,880 terms of a year of RSS items, 349,662 were seen in
one document and 489,531 in fewer than four. As a dict ``str -> id`` plus a list of the strings they took
about 110 bytes a term (Vietnamese strings are two bytes a character in Python). Here every term's text
is UTF-8 in one shared buffer, and a term held by fewer than ``PROMOTE_AT`` documents so far is found
through its 64-bit hash in a sorted array (about 20 bytes plus its length); it enters the dict
(``frequent``) when the ``PROMOTE_AT``-th document holds it. Ids are what a dict and a list gave: 0, 1,
2, ... in order of first appearance, so every decision of the clusterer stays the same.

``PROMOTE_AT`` only trades memory for lookups: a term in the dict costs about 125 bytes (its key string,
its id as a Python int, its share of the dict), one held apart about 12. At 4 the RSS year's dict held
192,349 terms (24 MB); at 16 it holds 67,403, and the terms seen in 4 to 15 documents (7.4 % of the
year's term occurrences) take :meth:`place`'s slower path instead of the dict (docs/stories.md, "Vocabulary
dict", session 16).

A hash found in the array is checked against the term's stored text before it is taken for that term,
so a collision of Python's 64-bit string hash (about one pair in 10^7 over a million terms) cannot
change an id, and results do not depend on the hash: a colliding new term gets a new id of its own.

Numbering in another process (:class:`TermMirror`): the story stage following an import computes each
batch's term weights in a helper process; that process also holds a copy of the table (:meth:`TermTable.
seed`) and numbers the terms of the documents in the order the stage adds them, so the stage receives
arrays of ids and the texts of the new terms only (:class:`Numbered`), and :meth:`TermTable.count` takes
them without looking any term up. They are taken only while the table is exactly the copy's prefix: the
table remembers the copy it was seeded for (``mirror``), any term numbered here (:meth:`place`) forgets
it, and each document's ids carry the length of the copy before it, which must equal this table's
(a document the copy numbered but the stage skipped, with terms new to the copy, makes it longer). A
refused document is numbered here from its text, and the stage seeds the copy again.

On disk (:class:`SpilledTerms`): the helper's copy, and the story process's table while the stage
follows an import (:class:`SpilledTable`, :meth:`StoryClusterer.spill`), keep their terms in
a private temporary SQLite database and only the recently used ones in memory, so that neither grows
with the vocabulary; the ids and the protocol above are the same.
"""

from __future__ import annotations

import itertools
import json
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator, MutableSequence
from itertools import chain, pairwise, repeat

import numpy as np

from kiemchung.stories.scratch import scratch_database, write_many
from kiemchung.text.memo import Generations

PROMOTE_AT = 16  # a term enters the dict when this many documents have held it (see the module docstring)
PENDING = 32_768  # hashes of rare terms: the newest in a dict until merged into the sorted arrays
CHUNK = 20_000  # terms per piece of JSON text (see json_pieces)
# The vocabulary on disk (SpilledTerms: the helper's copy, and the story process's table beside an import)
MIRROR_CACHE = 10_000  # terms in each generation of the recently used terms
UNWRITTEN = 20_000  # terms numbered before they are written to the database at the latest
LOOKUP_CHUNK = 500  # terms per look-up query
TEXTS_CHUNK = 24  # ids per query of texts (a story's keywords and a few more: see StoryClusterer._summary)
_TOKENS = itertools.count(1)  # names of the copies made by TermTable.seed in this process


class TermTable:
    """Term ids and texts (``len``, ``table[i]``, iteration in id order) with the lookup of
    :meth:`place`; ``frequent`` is the dict of the terms held by ``PROMOTE_AT`` documents or more."""

    def __init__(self) -> None:
        self.frequent: dict[str, int] = {}
        self._text = bytearray()  # every term's UTF-8 text, in id order
        self._ends = array("I")  # end offset of each term's text in _text
        # terms held apart: hash -> id, the newest in a dict, the others in sorted arrays
        self._pending: dict[int, int] = {}
        self._keys = array("q")  # sorted hashes
        self._ids = array("i")  # their ids
        self.mirror: int | None = None  # the copy (TermMirror) this table is exactly a prefix of, if any
        # the copy last seeded and how many of this table's first terms it holds for sure (the copy may
        # hold more, numbered in documents this table did not take): what a delta seed starts from
        self._copy_token: int | None = None
        self._copy_len = 0

    # -- what a list of strings gave ------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._ends)

    def __getitem__(self, i: int) -> str:
        ends = self._ends
        if i < 0:
            i += len(ends)
        start = ends[i - 1] if i else 0
        return self._text[start : ends[i]].decode("utf-8", "surrogatepass")

    def texts_of(self, ids: list[int]) -> list[str]:
        """``[self[i] for i in ids]`` (see :meth:`SpilledTable.texts_of`)."""
        return [self[i] for i in ids]

    def prefetch(self, ids: Iterable[int]) -> int:
        """Nothing to read or hold (see :meth:`SpilledTable.prefetch`): every text is in memory."""
        return 0

    def __iter__(self) -> Iterator[str]:
        for i in range(len(self._ends)):
            yield self[i]

    def json_pieces(self) -> Iterator[str]:
        """``json.dumps(list(self), separators=(",", ":"))`` in pieces, without every string at once."""
        return _json_pieces(iter(self))

    # -- lookup and numbering -------------------------------------------------------------------------

    def place(self, terms: Iterable[str], ids: list[int], df: MutableSequence[int]) -> None:
        """Fill the ``-1`` entries of ``ids`` (the ids of ``terms``, in order, looked up in ``frequent``)
        before ``df`` counts this document: a term held apart keeps its id (and enters ``frequent`` when
        this document is its ``PROMOTE_AT``-th); a new one is numbered next (and ``df`` gets a 0 for it).
        ``terms`` holds each term once."""
        # a term held apart (promoted at its PROMOTE_AT-th document), else a new one (as _append), with
        # one hash lookup and one search of the sorted array
        # (the terms' hashes searched at once when they are many)
        frequent = self.frequent
        terms = list(terms)
        todo = [k for k, i in enumerate(ids) if i == -1]
        hashes = [hash(terms[k]) for k in todo]
        keys = self._keys
        found = None
        if len(todo) > 8 and len(keys) > 64:
            at = np.searchsorted(np.frombuffer(keys, dtype=np.int64), np.array(hashes, dtype=np.int64))
            found = at.tolist()
        for n, k in enumerate(todo):
            term, h = terms[k], hashes[n]
            i = self._pending.get(h)
            if i is not None:
                if self[i] == term:
                    if df[i] + 1 >= PROMOTE_AT:
                        del self._pending[h]
                        frequent[term] = i
                    ids[k] = i
                    continue
                clash = True
            else:
                keys = self._keys
                p = bisect_left(keys, h) if found is None else found[n]
                clash = p < len(keys) and keys[p] == h
                if clash:
                    i = self._ids[p]
                    if i >= 0 and self[i] == term:
                        if df[i] + 1 >= PROMOTE_AT:
                            self._ids[p] = -1  # the entry is dropped at the next merge
                            frequent[term] = i
                        ids[k] = i
                        continue
            # a new term, numbered next (as _append: kept apart unless its hash is taken)
            i = len(self._ends)
            self._text += term.encode("utf-8", "surrogatepass")
            self._ends.append(len(self._text))
            if clash:
                frequent[term] = i
            else:
                self._pending[h] = i
                if len(self._pending) >= PENDING:
                    self._merge()
                    found = None  # the array changed: search it again
            df.append(0)
            self.mirror = None  # numbered here, not by the copy: the copy no longer matches
            ids[k] = i

    def number(self, tf: dict[str, float], df: MutableSequence[int]) -> list[int]:
        """The ids of a document's terms (``tf``'s keys, in order), new terms numbered in that order,
        each counted once in ``df``: what the owner of the table (``StoryClusterer._update_df``) and its
        copy in the helper process (:class:`TermMirror`) both do for a document."""
        ids = list(map(self.frequent.get, tf, repeat(-1)))
        if -1 in ids:  # rare terms (held apart), new terms (numbered in the document's order)
            self.place(tf, ids, df)  # (each term once: tf is a dict)
        for i in ids:
            df[i] += 1
        return ids

    def lookup(self, term: str) -> int | None:
        """The id of a term already numbered, or None."""
        i = self.frequent.get(term)
        return i if i is not None else self._find_apart(term)

    def _append(self, term: str, apart: bool = True) -> int:
        i = len(self._ends)
        self._text += term.encode("utf-8", "surrogatepass")
        self._ends.append(len(self._text))
        h = hash(term)
        if not apart or h in self._pending or self._find_key(h) is not None:  # (a collision: kept apart)
            self.frequent[term] = i
            return i
        self._pending[h] = i
        if len(self._pending) >= PENDING:
            self._merge()
        return i

    # -- numbering in another process (TermMirror) ------------------------------------------------------

    def seed(self, held: int | None = None) -> tuple:
        """What a :class:`TermMirror` is made from, as buffers; from now on this table takes the
        :class:`Numbered` ids of that copy (:meth:`count`). A full seed holds every term's text. When
        the helper still holds the copy this table was last seeded for (``held``, the token of its last
        batch), a delta seed holds only the terms after those this table knows the copy shares (ids
        are only ever appended): see :meth:`TermMirror.extend`."""
        token, base = _new_copy(self, held, len(self._ends))
        if base is None:
            return (token, bytes(self._text), self._ends.tobytes())
        start = self._ends[base - 1] if base else 0
        ends = array("I", (e - start for e in self._ends[base:]))
        return (token, held, base, bytes(self._text[start:]), ends.tobytes())

    def count(self, doc: Numbered, df: MutableSequence[int]) -> array | None:
        """Take a document numbered by the copy: append its new terms, count it in ``df`` (promoting a
        term held apart at its ``PROMOTE_AT``-th document, as :meth:`place` does) and return its ids;
        or None, with nothing changed, when the table is not the copy's prefix (see the module
        docstring; ``mirror`` is then forgotten)."""
        if doc.token != self.mirror or doc.base != len(self._ends) or self.mirror is None:
            self.mirror = None
            return None
        if doc.new:
            self._append_new(doc.new)
            df.extend([0] * len(doc.new))
            self._copy_len = len(self._ends)  # the copy held these terms too
        promote_at = PROMOTE_AT
        for i in doc.ids:
            c = df[i] = df[i] + 1
            if c == promote_at:
                self._promote(i)
        return doc.ids

    def _append_new(self, terms: list[str]) -> None:
        """``_append`` of each of ``terms`` (new terms, in order), their hashes looked for in the sorted
        array in one search instead of one bisection each."""
        hashes = [hash(term) for term in terms]
        keys = self._keys
        if len(terms) > 2 and len(keys) > 64:
            k = np.frombuffer(keys, dtype=np.int64)
            h = np.array(hashes, dtype=np.int64)
            p = np.minimum(np.searchsorted(k, h), len(k) - 1)
            found = (k[p] == h).tolist()
        else:
            found = [self._find_key(h) is not None for h in hashes]
        text, ends, pending, frequent = self._text, self._ends, self._pending, self.frequent
        for n, (term, h) in enumerate(zip(terms, hashes, strict=True)):
            i = len(ends)
            text += term.encode("utf-8", "surrogatepass")
            ends.append(len(text))
            if found[n] or h in pending:  # a collision: kept apart (as _append)
                frequent[term] = i
                continue
            pending[h] = i
            if len(pending) >= PENDING:
                self._merge()
                pending = self._pending
                # the array changed (entries dropped, the pending ones merged in): look the rest up again
                found[n + 1 :] = [self._find_key(x) is not None for x in hashes[n + 1 :]]

    def _promote(self, i: int) -> None:
        """Move term ``i`` from the terms held apart into ``frequent`` (nothing if it is not apart)."""
        term = self[i]
        if term in self.frequent:
            return
        h = hash(term)
        if self._pending.get(h) == i:
            del self._pending[h]
        else:
            p = self._find_key(h)
            if p is None or self._ids[p] != i:
                return
            self._ids[p] = -1  # the entry is dropped at the next merge
        self.frequent[term] = i

    def _find_key(self, h: int) -> int | None:
        keys = self._keys
        p = bisect_left(keys, h)
        return p if p < len(keys) and keys[p] == h else None

    def _find_apart(self, term: str) -> int | None:
        h = hash(term)
        i = self._pending.get(h)
        if i is None:
            p = self._find_key(h)
            if p is None:
                return None
            i = self._ids[p]
        return i if i >= 0 and self[i] == term else None

    def _merge(self) -> None:
        keys = np.frombuffer(self._keys, dtype=np.int64) if self._keys else np.empty(0, np.int64)
        ids = np.frombuffer(self._ids, dtype=np.int32) if self._ids else np.empty(0, np.int32)
        live = ids >= 0
        new_keys = np.fromiter(self._pending.keys(), dtype=np.int64, count=len(self._pending))
        new_ids = np.fromiter(self._pending.values(), dtype=np.int32, count=len(self._pending))
        keys = np.concatenate([keys[live], new_keys])
        ids = np.concatenate([ids[live], new_ids])
        order = np.argsort(keys, kind="stable")
        self._keys = array("q", keys[order].tobytes())
        self._ids = array("i", ids[order].tobytes())
        self._pending = {}

    @classmethod
    def from_terms(cls, terms: Iterable[str], df: MutableSequence[int]) -> TermTable:
        """The table of a saved vocabulary (terms in id order) and its document frequencies."""
        table = cls()
        for i, term in enumerate(terms):
            table._append(term, apart=df[i] < PROMOTE_AT)
        if table._pending:
            table._merge()
        return table


class Numbered:
    """A document's terms numbered by a :class:`TermMirror`: ``ids`` in the order of its term weights
    (``weights``), ``base`` the copy's length before it, ``new`` the texts of ids ``base`` onwards, the
    series key of its title (``key``) and the copy's name (``token``)."""

    __slots__ = ("token", "base", "ids", "weights", "new", "key")

    def __init__(self, token: int | None, base: int, ids: array, weights: array, new: list[str], key: int | None):
        self.token, self.base, self.ids, self.weights, self.new, self.key = token, base, ids, weights, new, key


class SpilledTerms:
    """A vocabulary with its memory bounded: every term's id and text in a private temporary SQLite
    database, the terms of the last documents in two generations of dicts. The helper's copy
    (:class:`TermMirror`) and the story process's table when it follows an import (:class:`SpilledTable`).

    The copy must know every term the owner numbered, or it would number an old term again. Held in
    memory (a :class:`TermTable`) it grew with the import: the helper 89 -> 111 MB over the RSS year.
    Here the terms live in a private scratch database (``scratch.scratch_database``: a temporary
    file, unlinked at once, with a bounded page cache). A batch looks up, in queries of
    ``LOOKUP_CHUNK`` terms, only the terms of its documents that the two generations of recently
    used terms (``cache`` each) do not hold (about 18 a document on the RSS year at 10,000); the
    terms it numbers are written before the next read, or once ``UNWRITTEN`` are waiting. Ids are only
    ever appended (and forgotten from the end by :meth:`truncate`), so a term found anywhere has its
    one id: the numbering is that of a table in memory. See docs/stories.md, "Session 21"."""

    def __init__(self, cache: int | None = None) -> None:
        self._cache = cache if cache is not None else MIRROR_CACHE
        db = self._db = scratch_database()
        db.execute("CREATE TABLE terms (id INTEGER PRIMARY KEY, term TEXT NOT NULL)")
        self._indexed = False  # (the index on term: see _fetch)
        self._unlooked = 0  # terms written since the last look-up by text (see _flush)
        self._n = 0  # terms held
        # recently used terms: the newest generation, the one before (each up to `cache` terms, and one
        # batch's more: a generation turns only between batches, so that a term found for a batch is
        # still there when the batch numbers it; kiemchung.text.memo.Generations turns once full)
        self._hot: dict[str, int] = {}
        self._old: dict[str, int] = {}
        self._unwritten: list[tuple[int, str]] = []  # terms numbered, written before the next read
        self.lookups = 0  # terms looked up in the database so far (for benchmarks)

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, i: int) -> str:
        if i < 0:
            i += self._n
        self._flush()
        row = self._db.execute("SELECT term FROM terms WHERE id = ?", (i,)).fetchone()
        if row is None or i >= self._n:
            raise IndexError(i)
        return row[0]

    def __iter__(self) -> Iterator[str]:
        yield from self.texts(0)

    def texts_of(self, ids: list[int], chunk: int = TEXTS_CHUNK) -> dict[int, str]:
        """``{id: text}`` of the given ids (each held; read ``chunk`` at a time in one padded statement,
        as :meth:`_fetch`: ``TEXTS_CHUNK`` for one story's keywords, ``LOOKUP_CHUNK`` for a batch's)."""
        self._flush()
        query = f"SELECT id, term FROM terms WHERE id IN ({','.join('?' * chunk)})"
        found: dict[int, str] = {}
        for lo in range(0, len(ids), chunk):
            part = ids[lo : lo + chunk]
            part += part[-1:] * (chunk - len(part))
            found.update(self._db.execute(query, part).fetchall())
        return found

    def texts(self, start: int, chunk: int = 20_000) -> Iterator[str]:
        """The texts of the terms from id ``start`` on, in order (read ``chunk`` at a time)."""
        self._flush()
        end = self._n
        for lo in range(start, end, chunk):
            rows = self._db.execute("SELECT term FROM terms WHERE id >= ? AND id < ? ORDER BY id",
                                    (lo, min(end, lo + chunk))).fetchall()
            for (term,) in rows:
                yield term

    def lookup(self, term: str) -> int | None:
        """The id of a term already numbered, or None."""
        i = self._hot.get(term)
        if i is None:
            i = self._old.get(term)
        if i is None:
            i = self._fetch([term]).get(term)
        return i

    def append(self, terms: Iterable[str]) -> None:
        """Number ``terms`` (texts new to the copy, in id order) next, as a seed gives them."""
        for part in _batched(terms, UNWRITTEN):  # (a whole vocabulary is not held as rows at once)
            rows = list(enumerate(part, self._n))
            self._unwritten += rows
            self._n += len(rows)
            self._hot.update((term, i) for i, term in rows[-self._cache :])  # the newest: likeliest to come
            self._turn()
            if len(self._unwritten) >= UNWRITTEN:
                self._flush()

    def number(self, docs: list[Iterable[str]]) -> list[tuple[int, list[int]]]:
        """``(length before the document, its terms' ids in order)`` for each document of a batch, its
        new terms numbered in order (each document holds each term once)."""
        hot, old = self._hot, self._old
        wanted = {term for doc in docs for term in doc if term not in hot and term not in old}
        found = self._fetch(wanted) if wanted and self._n else {}
        new = self._unwritten
        out = []
        for doc in docs:
            base = self._n
            ids = []
            for term in doc:
                i = hot.get(term)
                if i is None:  # (the generations turn only at the end of the batch: nothing found is lost)
                    i = old.get(term)
                    if i is None:
                        i = found.get(term)
                        if i is None:  # a new term
                            i = self._n
                            self._n += 1
                            new.append((i, term))
                    hot[term] = i
                ids.append(i)
            out.append((base, ids))
        self._turn()
        if len(new) >= UNWRITTEN:
            self._flush()
        return out

    def truncate(self, n: int) -> None:
        """Forget the terms from id ``n`` on (the copy's terms of documents its owner did not take)."""
        if n >= self._n:
            return
        self._flush()
        self._db.execute("DELETE FROM terms WHERE id >= ?", (n,))
        self._n = n
        self._hot = {t: i for t, i in self._hot.items() if i < n}
        self._old = {t: i for t, i in self._old.items() if i < n}

    def close(self) -> None:
        self._db.close()

    def _turn(self) -> None:
        """A full newest generation becomes the old one (the old one is dropped)."""
        if len(self._hot) >= self._cache:
            self._old, self._hot = self._hot, {}

    def _flush(self) -> None:
        """Write the terms numbered since the last write (one transaction).

        The index on the terms' texts serves look-ups (:meth:`_fetch`). Where they stop (the story
        process, once the helper numbers its documents) it is dropped before the terms written since
        the last look-up outnumber those held then: keeping it up cost about 4 µs an insert, 3.0 s for
        the RSS year's 681,811 terms, and making it again at the next look-up sorts them once."""
        rows = self._unwritten
        if not rows:
            return
        self._unlooked += len(rows)
        if self._indexed and 2 * self._unlooked > self._n:
            self._db.execute("DROP INDEX terms_term")
            self._indexed = False
        write_many(self._db, "INSERT INTO terms (id, term) VALUES (?, ?)", rows)
        rows.clear()

    def _fetch(self, terms: Iterable[str]) -> dict[str, int]:
        """``{term: id}`` of those of ``terms`` the database holds."""
        terms = list(terms)
        self.lookups += len(terms)
        self._flush()
        db = self._db
        self._unlooked = 0
        if not self._indexed:  # made at the first look-up: one sort of a full seed's terms, not an insert each
            db.execute("CREATE UNIQUE INDEX terms_term ON terms (term)")
            self._indexed = True
        found: dict[str, int] = {}
        # (one statement, every query padded to LOOKUP_CHUNK terms: a statement per length, prepared
        # and cached by the sqlite3 module, held about 10 MB after a year of batches)
        query = f"SELECT term, id FROM terms WHERE term IN ({','.join('?' * LOOKUP_CHUNK)})"
        for lo in range(0, len(terms), LOOKUP_CHUNK):
            part = terms[lo : lo + LOOKUP_CHUNK]
            part += part[-1:] * (LOOKUP_CHUNK - len(part))
            found.update(db.execute(query, part).fetchall())
        return found


class SpilledTable:
    """A :class:`TermTable` whose terms are on disk (:class:`SpilledTerms`): what the story stage that
    follows an import holds, so that its memory does not grow with the vocabulary. Ids, the counts in
    ``df`` (still in memory, an ``array('i')``: 4 bytes a term) and the protocol with the helper's copy
    (:meth:`seed`, :meth:`count`) are those of the table it was made from; what changes is where a
    term's text is found: a term the helper did not number (:meth:`number`) is looked up on disk, and
    a term's text (:meth:`__getitem__`, for the stories' keywords) is read there, the recently read ones
    kept in two generations of ``cache`` texts."""

    def __init__(self, table: TermTable, cache: int | None = None) -> None:
        self._terms = SpilledTerms(cache)
        self._terms.append(table)
        self._texts: Generations[str] = Generations("texts read from disk", self._terms._cache, register=False)
        self._prefetched: dict[int, str] = {}  # see prefetch
        self.frequent: dict[str, int] = {}  # (none: every term is found on disk or in the cache)
        self.mirror: int | None = table.mirror
        self._copy_token: int | None = table._copy_token
        self._copy_len = table._copy_len

    def __len__(self) -> int:
        return len(self._terms)

    def __getitem__(self, i: int) -> str:
        texts = self._texts
        text = texts.new.get(i)
        if text is None:
            text = texts.old.get(i)
            if text is None:
                text = self._terms[i]
            texts.keep(i, text)
        return text

    def texts_of(self, ids: list[int]) -> list[str]:
        """``[self[i] for i in ids]``, with one read for those not in the cache (a story's keywords)."""
        texts = self._texts
        held = self._prefetched
        found: dict[int, str] = {}
        missing: list[int] = []
        for i in ids:
            text = texts.new.get(i)
            if text is None:
                text = held.get(i) or texts.old.get(i)
                if text is None:
                    missing.append(i)
                    continue
                texts.keep(i, text)
            found[i] = text
        if missing:
            read = self._terms.texts_of(missing)
            for i in missing:
                found[i] = texts.keep(i, read[i])
        return [found[i] for i in ids]

    def prefetch(self, ids: Iterable[int]) -> int:
        """Read the texts of those of ``ids`` not in the cache, ``LOOKUP_CHUNK`` a statement, and hold them
        for :meth:`texts_of` until the next call, with those of ``ids`` that were cached (the keywords of a
        batch's stories, asked for one story at a time afterwards: a statement per story was 7 of the
        story process's 130 s on the RSS year; held apart from the cache, which a batch's 24,000 texts
        turn over). Returns how many were read."""
        texts = self._texts
        held: dict[int, str] = {}
        missing: set[int] = set()
        for i in ids:  # (the cached ones held too: the cache may turn over before they are asked for)
            text = texts.new.get(i) or texts.old.get(i)
            if text is None:
                missing.add(i)
            else:
                held[i] = text
        if missing:
            held.update(self._terms.texts_of(sorted(missing), LOOKUP_CHUNK))
        self._prefetched = held
        return len(missing)

    def __iter__(self) -> Iterator[str]:
        return self._terms.texts(0)

    def json_pieces(self) -> Iterator[str]:
        """As :meth:`TermTable.json_pieces`."""
        return _json_pieces(self._terms.texts(0, CHUNK))

    def lookup(self, term: str) -> int | None:
        return self._terms.lookup(term)

    def number(self, tf: dict[str, float], df: MutableSequence[int]) -> list[int]:
        """As :meth:`TermTable.number`."""
        ((base, ids),) = self._terms.number([tf])
        new = len(self._terms) - base
        if new:
            df.extend([0] * new)
            self.mirror = None  # numbered here, not by the copy: the copy no longer matches
        for i in ids:
            df[i] += 1
        return ids

    def seed(self, held: int | None = None) -> tuple:
        """As :meth:`TermTable.seed` (the texts read from disk)."""
        token, base = _new_copy(self, held, len(self._terms))
        text, ends = bytearray(), array("I")
        for term in self._terms.texts(base or 0):
            text += term.encode("utf-8", "surrogatepass")
            ends.append(len(text))
        if base is None:
            return (token, bytes(text), ends.tobytes())
        return (token, held, base, bytes(text), ends.tobytes())

    def count(self, doc: Numbered, df: MutableSequence[int]) -> array | None:
        """As :meth:`TermTable.count`."""
        if doc.token != self.mirror or doc.base != len(self._terms) or self.mirror is None:
            self.mirror = None
            return None
        if doc.new:
            self._terms.append(doc.new)
            df.extend([0] * len(doc.new))
            self._copy_len = len(self._terms)  # the copy held these terms too
        for i in doc.ids:
            df[i] += 1
        return doc.ids

    def close(self) -> None:
        self._terms.close()


def _new_copy(table: TermTable | SpilledTable, held: int | None, length: int) -> tuple[int, int | None]:
    """A seed's token and, for a delta seed, the length of the copy it extends (None: a full seed); the
    table now follows that copy (see :meth:`TermTable.seed`)."""
    token = next(_TOKENS)
    base = table._copy_len if held is not None and held == table._copy_token else None
    table.mirror = table._copy_token = token
    table._copy_len = length
    return token, base


def _json_pieces(terms: Iterator[str]) -> Iterator[str]:
    """``json.dumps(list(terms), separators=(",", ":"))`` in pieces of ``CHUNK`` terms."""
    yield "["
    first = True
    for part in _batched(terms, CHUNK):
        yield ("" if first else ",") + json.dumps(part, separators=(",", ":"))[1:-1]
        first = False
    yield "]"


def _batched(items: Iterable[str], n: int) -> Iterator[list[str]]:
    it = iter(items)
    while part := list(itertools.islice(it, n)):
        yield part


class TermMirror:
    """The copy of a :class:`TermTable` in the helper process: numbers the terms of documents in the
    order the table's owner will add them, as :meth:`TermTable.place` would there. Its terms are a
    :class:`SpilledTerms` (memory that does not grow with the import)."""

    def __init__(self, seed: tuple, cache: int | None = None) -> None:
        token, text, ends = seed
        self.token = token
        self.table = SpilledTerms(cache)
        self.table.append(_texts(text, ends))

    def extend(self, seed: tuple) -> bool:
        """Follow the owner's table with a delta seed (see :meth:`TermTable.seed`): forget the terms
        after the ``base`` first ones (numbered here in documents the owner did not take) and append the
        owner's terms from there; the copy then numbers as a copy made from a full seed would. False,
        with nothing changed, when the seed is not for this copy (another copy, or one shorter than
        ``base``): it needs a full seed."""
        if len(seed) == 3:
            return False
        token, held, base, text, ends = seed
        if held != self.token or len(self.table) < base:
            return False
        self.table.truncate(base)
        self.table.append(_texts(text, ends))
        self.token = token
        return True

    def number(self, tfs: list[dict[str, float]]) -> list[tuple[int, list[int]]]:
        """``(length of the copy before the document, the ids of its terms in order)`` for each of a
        batch's documents (their term weights); the copy's new terms are numbered as the owner will."""
        return self.table.number(tfs)

    def close(self) -> None:
        self.table.close()


def _texts(text: bytes, ends: bytes) -> Iterator[str]:
    """The terms of a seed's buffers (UTF-8 texts, the end offset of each)."""
    ends_a = array("I")
    ends_a.frombytes(ends)
    for a, b in pairwise(chain((0,), ends_a)):
        yield text[a:b].decode("utf-8", "surrogatepass")


def number_batch(mirror: TermMirror | None, docs: list[tuple[int, dict[str, float], int | None]]) -> tuple:
    """The terms of a batch of documents ``(id, term weights, series key)`` numbered by ``mirror``, as
    flat buffers (cheap to send between processes): see :func:`numbered_docs` for the other side."""
    if mirror is None:
        raise ValueError("no copy of the vocabulary to number with")
    ids = array("i")
    weights = array("d")
    starts = array("q", [0])
    bases = array("q")
    keys = []
    doc_ids = []
    first = len(mirror.table)
    for (doc_id, tf, key), (base, numbered) in zip(docs, mirror.number([tf for _, tf, _ in docs]), strict=True):
        ids.extend(numbered)
        weights.extend(tf.values())
        starts.append(len(ids))
        bases.append(base)
        keys.append(key)
        doc_ids.append(doc_id)
    new = list(mirror.table.texts(first))
    bases.append(len(mirror.table))
    return (mirror.token, first, doc_ids, keys, starts.tobytes(), bases.tobytes(), ids, weights, new)


def numbered_docs(batch: tuple) -> dict[int, Numbered]:
    """``{document id: Numbered}`` of what :func:`number_batch` returned."""
    token, first, doc_ids, keys, starts_b, bases_b, ids, weights, new = batch
    starts, bases = array("q"), array("q")
    starts.frombytes(starts_b)
    bases.frombytes(bases_b)
    out = {}
    for k, doc_id in enumerate(doc_ids):
        a, b = starts[k], starts[k + 1]
        base, end = bases[k], bases[k + 1]
        out[doc_id] = Numbered(token, base, ids[a:b], weights[a:b], new[base - first : end - first], keys[k])
    return out
