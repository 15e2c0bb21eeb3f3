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
"""

from __future__ import annotations

import itertools
import json
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from itertools import chain, pairwise, repeat

import numpy as np

PROMOTE_AT = 16  # a term enters the dict when this many documents have held it (see the module docstring)
PENDING = 32_768  # hashes of rare terms: the newest in a dict until merged into the sorted arrays
CHUNK = 20_000  # terms per piece of JSON text (see json_pieces)
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

    def __iter__(self) -> Iterator[str]:
        for i in range(len(self._ends)):
            yield self[i]

    def json_pieces(self) -> Iterator[str]:
        """``json.dumps(list(self), separators=(",", ":"))`` in pieces, without every string at once."""
        n = len(self._ends)
        yield "["
        for lo in range(0, n, CHUNK):
            body = json.dumps([self[i] for i in range(lo, min(n, lo + CHUNK))], separators=(",", ":"))[1:-1]
            yield ("," if lo else "") + body
        yield "]"

    # -- lookup and numbering -------------------------------------------------------------------------

    def place(self, terms: Iterable[str], ids: list[int], df: list[int]) -> None:
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

    def number(self, tf: dict[str, float], df: list[int]) -> list[int]:
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

    def seed(self, df: list[int], held: int | None = None) -> tuple:
        """What a :class:`TermMirror` is made from, as buffers; from now on this table takes the
        :class:`Numbered` ids of that copy (:meth:`count`). A full seed holds every term's text and
        ``df``. When the helper still holds the copy this table was last seeded for (``held``, the token
        of its last batch), a delta seed holds only the terms after those this table knows the copy
        shares (ids are only ever appended), with the whole ``df`` (the copy's counts differ from these
        wherever either side counted a document the other did not; the copy uses them only to choose
        which terms its dict holds, never for an id): see :meth:`TermMirror.extend`."""
        token = next(_TOKENS)
        base = self._copy_len if held is not None and held == self._copy_token else None
        self.mirror = self._copy_token = token
        self._copy_len = len(self._ends)
        counts = array("i", df).tobytes()
        if base is None:
            return (token, bytes(self._text), self._ends.tobytes(), counts)
        start = self._ends[base - 1] if base else 0
        return (token, held, base, bytes(self._text[start:]), self._ends[base:].tobytes(), counts)

    def count(self, doc: Numbered, df: list[int]) -> array | None:
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

    def truncate(self, n: int) -> None:
        """Forget the terms from id ``n`` on (the copy's terms of documents its owner did not take)."""
        ends = self._ends
        for i in range(n, len(ends)):
            term = self[i]
            if self.frequent.get(term) == i:
                del self.frequent[term]
                continue
            h = hash(term)
            if self._pending.get(h) == i:
                del self._pending[h]
                continue
            p = self._find_key(h)
            if p is not None and self._ids[p] == i:
                self._ids[p] = -1  # the entry is dropped at the next merge
        if n < len(ends):
            del self._text[ends[n - 1] if n else 0 :]
            del ends[n:]

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
    def from_terms(cls, terms: Iterable[str], df: list[int]) -> TermTable:
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


class TermMirror:
    """The copy of a :class:`TermTable` in the helper process: numbers the terms of documents in the
    order the table's owner will add them, as :meth:`TermTable.place` would there."""

    def __init__(self, seed: tuple) -> None:
        token, text, ends, df = seed
        self.token = token
        self.df = array("i", df)  # (4 bytes a term, not a list's 8: the helper holds a year's vocabulary too)
        ends_a = array("I")
        ends_a.frombytes(ends)
        # (each term's start and end in one pass: a list of the starts was a Python int per term, about
        # 27 MB more at the peak of a copy of the RSS year's vocabulary, made again at every new seed)
        terms = (text[a:b].decode("utf-8", "surrogatepass") for a, b in pairwise(chain((0,), ends_a)))
        self.table = TermTable.from_terms(terms, self.df)

    def extend(self, seed: tuple) -> bool:
        """Follow the owner's table with a delta seed (see :meth:`TermTable.seed`): forget the terms
        after the ``base`` first ones (numbered here in documents the owner did not take), append the
        owner's terms from there and take its counts; the copy then numbers as a copy made from a full
        seed would (same ids, texts and counts; a term whose count fell below ``PROMOTE_AT`` may stay in
        the dict, which changes no id). False, with nothing changed, when the seed is not for this copy
        (another copy, or one shorter than ``base``): it needs a full seed."""
        if len(seed) == 4:
            return False
        token, held, base, text, ends, df = seed
        if held != self.token or len(self.table) < base:
            return False
        table = self.table
        table.truncate(base)
        self.df = array("i", df)
        ends_a = array("I")
        ends_a.frombytes(ends)
        start = table._ends[-1] if len(table) else 0
        for i, (a, b) in enumerate(pairwise(chain((start,), ends_a)), base):
            term = text[a - start : b - start].decode("utf-8", "surrogatepass")
            table._append(term, apart=self.df[i] < PROMOTE_AT)
        self.token = token
        return True

    def number(self, tf: dict[str, float]) -> tuple[int, list[int]]:
        """``(length of the copy before this document, the ids of tf's terms in order)``; the copy's
        new terms are numbered and every term counted, as the owner will do."""
        base = len(self.table)
        return base, self.table.number(tf, self.df)


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
    for doc_id, tf, key in docs:
        base, numbered = mirror.number(tf)
        ids.extend(numbered)
        weights.extend(tf.values())
        starts.append(len(ids))
        bases.append(base)
        keys.append(key)
        doc_ids.append(doc_id)
    table = mirror.table
    new = [table[i] for i in range(first, len(table))]
    bases.append(len(table))
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
