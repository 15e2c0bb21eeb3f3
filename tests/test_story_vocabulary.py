"""The clusterer's compact vocabulary numbers terms exactly as a dict and a list of strings did."""

from __future__ import annotations

import json
import random

import pytest

from kiemchung.stories import vocabulary
from kiemchung.stories.vocabulary import TermTable


class _Colliding(str):
    """A term whose hash is the same as every other such term's (a forced 64-bit collision)."""

    def __hash__(self) -> int:
        return 12345


def _documents(seed: int, n: int) -> list[list[str]]:
    rng = random.Random(seed)
    words = [f"từ{k}" for k in range(3000)]  # a Zipf-like stream: a few frequent terms, many seen once
    docs = []
    for _ in range(n):
        doc = {rng.choice(words[: rng.choice((20, 200, 3000))]) for _ in range(rng.randint(0, 25))}
        doc |= {f"hiếm {rng.random():.12f}" for _ in range(rng.randint(0, 3))}
        docs.append(sorted(doc, key=lambda _: rng.random()))
    return docs


def _reference(docs: list[list[str]]) -> tuple[list[list[int]], list[str], list[int]]:
    vocab: dict[str, int] = {}
    terms: list[str] = []
    df: list[int] = []
    out = []
    for doc in docs:
        ids = []
        for t in doc:
            if t not in vocab:
                vocab[t] = len(terms)
                terms.append(t)
                df.append(0)
            ids.append(vocab[t])
        for i in ids:
            df[i] += 1
        out.append(ids)
    return out, terms, df


def _place(table: TermTable, df: list[int], doc: list[str]) -> list[int]:
    ids = [table.frequent.get(t, -1) for t in doc]
    if -1 in ids:
        table.place(doc, ids, df)
    for i in ids:
        df[i] += 1
    return ids


@pytest.mark.parametrize("promote_at", [2, 4, 16])
def test_ids_texts_and_frequencies_are_those_of_a_dict_and_a_list(monkeypatch, promote_at):
    monkeypatch.setattr(vocabulary, "PENDING", 50)  # many merges of the hashes of rare terms
    monkeypatch.setattr(vocabulary, "PROMOTE_AT", promote_at)
    docs = _documents(1, 2000)
    want_ids, want_terms, want_df = _reference(docs)
    table, df = TermTable(), []
    got = [_place(table, df, doc) for doc in docs]
    assert got == want_ids
    assert df == want_df
    assert list(table) == want_terms and len(table) == len(want_terms)
    assert [table[i] for i in range(len(table))] == want_terms
    assert all(table.lookup(t) == i for i, t in enumerate(want_terms))
    assert table.lookup("không có") is None
    # only the terms seen in PROMOTE_AT documents or more are in the dict
    assert set(table.frequent) == {t for t, n in zip(want_terms, want_df, strict=True) if n >= promote_at}


def test_a_saved_vocabulary_reloads_with_the_same_ids_and_json(monkeypatch):
    monkeypatch.setattr(vocabulary, "PENDING", 64)
    monkeypatch.setattr(vocabulary, "CHUNK", 7)
    docs = _documents(2, 1200)
    table, df = TermTable(), []
    for doc in docs[:600]:
        _place(table, df, doc)
    text = "".join(table.json_pieces())
    assert text == json.dumps(list(table), separators=(",", ":"))
    again, df2 = TermTable.from_terms(json.loads(text), list(df)), list(df)
    rest_a = [_place(table, df, doc) for doc in docs[600:]]
    rest_b = [_place(again, df2, doc) for doc in docs[600:]]
    assert rest_a == rest_b and df == df2 and list(table) == list(again)
    assert "".join(TermTable().json_pieces()) == "[]"


def test_a_hash_collision_does_not_change_ids():
    a, b, c = _Colliding("một"), _Colliding("hai"), _Colliding("ba")
    docs = [[a, "x"], [b], [c, "x"], [b, a], [c], [a, b, c]]
    want_ids, want_terms, want_df = _reference(docs)
    table, df = TermTable(), []
    assert [_place(table, df, doc) for doc in docs] == want_ids
    assert df == want_df and list(table) == want_terms


# -- numbering in another process (TermMirror): the same ids as numbering here ---------------------------


def _mirror_of(table: TermTable, df: list[int]) -> vocabulary.TermMirror:
    return vocabulary.TermMirror(table.seed())  # the seed is what is pickled to the helper


def _numbered(mirror: vocabulary.TermMirror, docs: list[list[str]], start: int = 0) -> dict[int, vocabulary.Numbered]:
    batch = [(start + k, {t: 1.0 + k for t in doc}, None) for k, doc in enumerate(docs)]
    return vocabulary.numbered_docs(vocabulary.number_batch(mirror, batch))


@pytest.mark.parametrize(("promote_at", "cache"), [(2, 7), (4, 50_000), (16, 40)])
def test_ids_numbered_by_a_copy_are_those_numbered_here(monkeypatch, promote_at, cache):
    """A copy seeded from a table part-way (a resumed import: the table loaded from a saved state)
    numbers batch after batch exactly as the table would: ids, texts, frequencies and which terms are
    in the dict are those of an uninterrupted run."""
    monkeypatch.setattr(vocabulary, "PENDING", 50)
    monkeypatch.setattr(vocabulary, "PROMOTE_AT", promote_at)
    monkeypatch.setattr(vocabulary, "MIRROR_CACHE", cache)  # (a small cache: most terms looked up on disk)
    docs = _documents(3, 1500)
    want_ids, want_terms, want_df = _reference(docs)
    table, df = TermTable(), []
    got = [_place(table, df, doc) for doc in docs[:400]]
    table = TermTable.from_terms(list(table), list(df))  # a restart: the saved vocabulary reloaded
    mirror = _mirror_of(table, df)
    for lo in range(400, len(docs), 100):
        numbered = _numbered(mirror, docs[lo : lo + 100], lo)
        for k in range(lo, min(lo + 100, len(docs))):
            ids = table.count(numbered[k], df)
            assert ids is not None
            assert list(numbered[k].weights) == [1.0 + k - lo] * len(docs[k])
            got.append(list(ids))
    assert got == want_ids and df == want_df and list(table) == want_terms
    assert table.mirror is not None
    assert all(table.lookup(t) == i for i, t in enumerate(want_terms))
    assert set(table.frequent) == {t for t, n in zip(want_terms, want_df, strict=True) if n >= promote_at}


def test_ids_of_a_copy_that_no_longer_matches_are_refused():
    """A document the copy numbered but the owner skipped (terms new to the copy), or a document
    numbered by the owner itself, makes the copy's ids of the next documents wrong: they are refused
    (nothing counted) until the copy is seeded again, and the ids stay those of the documents the owner
    actually added."""
    docs = [["a", "b"], ["c", "a"], ["d"], ["b", "e"], ["a", "f"], ["g", "c"], ["h"], ["e", "i"]]
    kept = [docs[0], docs[2], ["x", "a"], docs[3], docs[4], docs[5], docs[6], docs[7]]
    want_ids, want_terms, want_df = _reference(kept)
    table, df = TermTable(), []
    mirror = _mirror_of(table, df)
    numbered = _numbered(mirror, docs[:4])
    got = [list(table.count(numbered[0], df))]
    # docs[1] skipped by the owner (already added, say): it gave the copy "c"
    assert table.count(numbered[2], df) is None and table.mirror is None
    assert df == [1, 1]
    got.append(_place(table, df, docs[2]))  # numbered here instead
    got.append(_place(table, df, ["x", "a"]))  # a document the copy never saw
    assert table.count(numbered[3], df) is None  # refused: the table is no longer the copy's prefix
    got.append(_place(table, df, docs[3]))
    mirror = _mirror_of(table, df)  # seeded again from the table as it is
    numbered = _numbered(mirror, docs[4:])
    got += [list(table.count(numbered[k], df)) for k in range(4)]
    assert got == want_ids and df == want_df and list(table) == want_terms
    # a document numbered by an older copy is refused even when the lengths agree
    stale = vocabulary.Numbered(numbered[0].token - 1, len(table), numbered[0].ids, numbered[0].weights, [], None)
    assert table.count(stale, df) is None and df == want_df


def test_a_hash_collision_in_the_copy_does_not_change_ids():
    a, b, c = _Colliding("một"), _Colliding("hai"), _Colliding("ba")
    docs = [[a, "x"], [b], [c, "x"], [b, a], [c], [a, b, c]]
    want_ids, want_terms, want_df = _reference(docs)
    table, df = TermTable(), []
    mirror = _mirror_of(table, df)  # (a seed's texts are plain strings: every term comes through docs)
    numbered = _numbered(mirror, docs)
    got = [list(table.count(numbered[k], df)) for k in range(len(docs))]
    assert got == want_ids and df == want_df and list(table) == want_terms


def test_new_terms_taken_in_one_search_are_held_as_numbered_one_at_a_time(monkeypatch):
    """``count`` looks a document's new terms up in the sorted hashes in one search: the table it
    leaves (ids, the dict, the terms held apart, with merges mid-document and forced hash collisions)
    is the one numbering here term by term leaves."""
    from array import array

    monkeypatch.setattr(vocabulary, "PENDING", 8)
    rng = random.Random(5)
    a, b = TermTable(), TermTable()
    dfa, dfb = [], []
    b.mirror = 7
    seen: list[str] = []
    for d in range(300):
        old = rng.sample(seen, min(len(seen), rng.randint(0, 6)))
        new = [f"t{d}-{k}" for k in range(rng.randint(0, 14))]
        if d % 13 == 0:
            new.append(_Colliding(f"c{d}"))
        old_ids = [a.lookup(t) for t in old]
        ids = _place(a, dfa, old + new)
        numbered = vocabulary.Numbered(
            7, len(b), array("i", old_ids + list(range(len(b), len(b) + len(new)))), array("d"), new, None
        )
        assert list(b.count(numbered, dfb)) == ids
        seen += [t for t in new if not isinstance(t, _Colliding)]  # (a table's own texts hash as str)
    assert list(a) == list(b) and dfa == dfb and a.frequent == b.frequent
    # the same terms held apart (an entry of a term moved to the dict may wait for the next merge
    # in one and not the other: promotions come after the new terms here, not among them)
    def apart(t):
        return {**t._pending, **{k: i for k, i in zip(t._keys, t._ids, strict=True) if i >= 0}}

    assert apart(a) == apart(b) and len(apart(b)) > 100


def test_a_copy_holds_the_tables_terms_in_order():
    """TermMirror reads each term's text from the seed's buffer (empty table, multi-byte terms)."""
    from kiemchung.stories.vocabulary import TermMirror, TermTable

    assert len(TermMirror(TermTable().seed([])).table) == 0
    terms = ["hà nội", "e:ha_noi", "n:2026", "đường", "x"]
    df = [1, 5, 2, 4, 1]
    table = TermTable.from_terms(terms, df)
    copy = TermMirror(table.seed())
    assert list(copy.table) == terms


# -- a delta seed: the copy the helper already holds, brought up to the table -----------------------------


def _full_copy(table: TermTable, df: list[int]) -> vocabulary.TermMirror:
    """The copy a full seed of the table gives (from a table of the same terms: seeding the table itself
    would change what it last seeded)."""
    return vocabulary.TermMirror(TermTable.from_terms(list(table), list(df)).seed())


def _same_copy(got: vocabulary.TermMirror, want: vocabulary.TermMirror, forgotten: list[str] = ()) -> None:
    """Same terms and lookups, and nothing left of a term forgotten (in the database or the caches)."""
    terms = list(want.table)
    assert list(got.table) == terms
    assert all(got.table.lookup(t) == i for i, t in enumerate(terms))
    assert all(got.table.lookup(t) is None for t in forgotten)
    table = got.table
    cached = {**table._old, **table._hot}
    assert all(i < len(table) and terms[i] == t for t, i in cached.items())


def _listed(numbered: dict[int, vocabulary.Numbered]) -> list[tuple]:
    return [(k, x.base, list(x.ids), list(x.weights), x.new) for k, x in numbered.items()]


@pytest.mark.parametrize(("promote_at", "cache"), [(2, 7), (4, 50_000), (16, 40)])
def test_a_delta_seed_gives_the_copy_a_full_seed_gives(monkeypatch, promote_at, cache):
    """Between seeds the owner numbers documents itself (the copy is refused from the first of them on)
    and the copy numbers documents the owner does not take (terms the owner never had, to be forgotten);
    a delta seed (the owner's terms after those it knows the copy holds) leaves the copy with the terms
    and ids a full seed gives, seed after seed, and the owner takes its ids."""
    monkeypatch.setattr(vocabulary, "PENDING", 40)
    monkeypatch.setattr(vocabulary, "PROMOTE_AT", promote_at)
    monkeypatch.setattr(vocabulary, "MIRROR_CACHE", cache)
    docs = _documents(7, 1400)
    # (each of its terms in two of them: promoted at PROMOTE_AT 2)
    extra = [[f"chỉ bản sao {k // 2}-{j}" for j in range(3)] + docs[k][:2] for k in range(len(docs))]
    want_ids, want_terms, want_df = _reference(docs)
    table, df = TermTable(), []
    got = [_place(table, df, doc) for doc in docs[:200]]
    seed = table.seed()
    assert len(seed) == 3  # no copy yet: a full seed
    copy = vocabulary.TermMirror(seed)
    deltas, want = 0, None
    for lo in range(200, len(docs), 150):
        half = lo + 75
        numbered = _numbered(copy, docs[lo:half], lo)
        if want is not None:  # the next documents numbered as by the copy of a full seed
            assert _listed(numbered) == _listed(_numbered(want, docs[lo:half], lo))
        for k in range(lo, half):
            ids = table.count(numbered[k], df)
            assert ids is not None
            got.append(list(ids))
        _numbered(copy, extra[lo : lo + 5], 10**6)  # documents the owner never takes
        for k in range(half, min(lo + 150, len(docs))):  # numbered by the owner itself
            got.append(_place(table, df, docs[k]))
        assert table.mirror is None
        seed = table.seed(copy.token)
        assert len(seed) == 5 and copy.extend(seed)
        deltas += 1
        assert table.mirror == copy.token
        want = _full_copy(table, df)
        _same_copy(copy, want, forgotten=[t for doc in extra[lo : lo + 5] for t in doc[:3]])
    assert deltas >= 8
    assert got == want_ids and df == want_df and list(table) == want_terms


def test_a_copy_the_table_does_not_know_gets_a_full_seed():
    """The fallback: a table reloaded from the store (another process saved it, or a new helper
    process: its copy unknown, ``held`` None) seeds in full; a delta for another copy, or for a copy
    shorter than the terms it starts after, is refused and leaves the copy as it was."""
    docs = _documents(9, 300)
    table, df = TermTable(), []
    for doc in docs[:100]:
        _place(table, df, doc)
    copy = vocabulary.TermMirror(table.seed())
    for doc in docs[100:150]:
        _place(table, df, doc)
    assert len(table.seed(None)) == 3  # a new helper process: no copy known
    reloaded = TermTable.from_terms(list(table), list(df))
    assert len(reloaded.seed(copy.token)) == 3  # the state reloaded: it never seeded this copy
    stale = table.seed(table.mirror)  # a delta, but for the copy seeded just before, not `copy`
    assert len(stale) == 5
    before = (list(copy.table), copy.token)
    assert not copy.extend(stale)
    assert (list(copy.table), copy.token) == before
    token, _, _, text, ends = stale
    assert not copy.extend((token, copy.token, len(copy.table) + 1, text, ends))  # copy too short
    assert (list(copy.table), copy.token) == before
    assert not copy.extend(table.seed())  # a full seed is not a delta: the caller makes a new copy
    _same_copy(vocabulary.TermMirror(table.seed()), _full_copy(table, df))


# -- the table on disk (SpilledTable): what the story stage following an import holds ---------------------


@pytest.mark.parametrize("cache", [7, 50_000])
def test_a_table_on_disk_numbers_counts_and_seeds_as_the_table_in_memory(monkeypatch, cache):
    """Made from a table part-way (a resumed import), the table on disk numbers documents itself and
    takes a copy's ids between delta seeds: ids, texts, frequencies, its JSON, its lookups and its seeds
    are those of the table in memory (a small cache: most terms read from disk)."""
    monkeypatch.setattr(vocabulary, "MIRROR_CACHE", cache)
    monkeypatch.setattr(vocabulary, "UNWRITTEN", 13)
    monkeypatch.setattr(vocabulary, "CHUNK", 50)  # (the JSON in several pieces)
    docs = _documents(11, 1200)
    want_ids, want_terms, want_df = _reference(docs)
    table, df = TermTable(), []
    got = [_place(table, df, doc) for doc in docs[:200]]
    table = vocabulary.SpilledTable(TermTable.from_terms(list(table), list(df)))
    got += [list(table.number({t: 1.0 for t in doc}, df)) for doc in docs[200:500]]  # no helper
    copy = vocabulary.TermMirror(table.seed())
    for lo in range(500, len(docs), 100):
        numbered = _numbered(copy, docs[lo : lo + 70], lo)
        for k in range(lo, lo + 70):
            ids = table.count(numbered[k], df)
            assert ids is not None
            got.append(list(ids))
        got += [list(table.number({t: 1.0 for t in doc}, df)) for doc in docs[lo + 70 : lo + 100]]
        seed = table.seed(copy.token)
        assert len(seed) == 5 and copy.extend(seed)
    assert got == want_ids and df == want_df and list(table) == want_terms
    assert "".join(table.json_pieces()) == json.dumps(want_terms, separators=(",", ":"))
    assert [table[i] for i in range(len(want_terms))] == want_terms and table[-1] == want_terms[-1]
    # a story's keywords: texts of ids in any order, repeated, more than one query holds, some cached
    ids = [*range(len(want_terms) - 1, -1, -3), 0, 0, *range(0, 150)][: 3 * vocabulary.TEXTS_CHUNK]
    memory = TermTable.from_terms(want_terms, want_df)
    assert table.texts_of(ids) == memory.texts_of(ids) == [want_terms[i] for i in ids]
    assert table.texts_of([]) == []
    assert table.prefetch([]) == memory.prefetch(ids) == 0
    assert all(table.lookup(t) == i for i, t in enumerate(want_terms)) and table.lookup("không có") is None
    assert table.seed()[1:] == TermTable.from_terms(want_terms, want_df).seed()[1:]


def test_prefetched_texts_are_read_together_and_then_served_from_the_cache(monkeypatch):
    """A batch's keywords read in one statement per LOOKUP_CHUNK ids (the ids not cached, each once) and
    held until the next prefetch: texts_of then reads nothing, and gives what the table in memory gives."""
    monkeypatch.setattr(vocabulary, "LOOKUP_CHUNK", 40)
    docs = _documents(5, 300)
    _, want_terms, want_df = _reference(docs)
    ids = [*range(len(want_terms) - 1, -1, -7), 3, 3, 5]
    assert len(set(ids)) < 1000  # (all of them fit in the cache once read)

    def table_and_reads() -> tuple[vocabulary.SpilledTable, list[str]]:
        table = vocabulary.SpilledTable(TermTable.from_terms(want_terms, want_df), cache=1000)
        statements: list[str] = []
        table._terms._db.set_trace_callback(statements.append)
        return table, statements

    table, statements = table_and_reads()
    assert table.prefetch(ids) == len(set(ids))
    reads = [q for q in statements if q.startswith("SELECT id, term")]
    assert len(reads) == -(-len(set(ids)) // 40)  # one statement per chunk of the distinct ids
    statements.clear()
    for lo in range(0, len(ids), vocabulary.TEXTS_CHUNK):
        part = ids[lo : lo + vocabulary.TEXTS_CHUNK]
        assert table.texts_of(part) == [want_terms[i] for i in part]
    assert not [q for q in statements if q.startswith("SELECT")]
    assert table.prefetch(ids) == 0  # in the cache now: nothing to read
    table._texts.new.clear()  # the cache turned over meanwhile (other stories' texts): still held
    table._texts.old.clear()
    statements.clear()
    assert table.texts_of(ids) == [want_terms[i] for i in ids]
    assert not [q for q in statements if q.startswith("SELECT")]
    # what a prefetch holds goes with the next one: read again by texts_of
    table, statements = table_and_reads()
    table.prefetch(ids[:10])
    table.prefetch(())
    statements.clear()
    assert table.texts_of(ids[:10]) == [want_terms[i] for i in ids[:10]]
    assert len([q for q in statements if q.startswith("SELECT id, term")]) == 1


def test_the_index_on_texts_goes_when_look_ups_stop_and_comes_back_with_the_next(monkeypatch):
    """Terms appended with no look-up by text (the story process once the helper numbers its documents)
    are written without the index on their texts once they outnumber the terms held at the last look-up;
    the next look-up makes it again, and every look-up finds what a table in memory finds."""
    monkeypatch.setattr(vocabulary, "UNWRITTEN", 50)
    docs = _documents(3, 400)
    _, want_terms, _ = _reference(docs)
    terms = vocabulary.SpilledTerms(cache=10)
    terms.append(want_terms[:100])
    assert terms.lookup(want_terms[5]) == 5 and terms._indexed  # made at the first look-up
    terms.append(want_terms[100:180])  # fewer than held at the look-up: the index is kept up
    terms._flush()
    assert terms._indexed
    terms.append(want_terms[180:])  # then more: written without it
    terms._flush()
    assert not terms._indexed
    indexes = terms._db.execute("SELECT count(*) FROM sqlite_master WHERE type = 'index'").fetchone()[0]
    assert indexes == 0
    assert [terms.lookup(t) for t in want_terms[::7]] == list(range(0, len(want_terms), 7))
    assert terms._indexed and terms.lookup("không có") is None
    n = len(want_terms)
    assert terms.number([["mới", want_terms[-1], "mới nữa"]]) == [(n, [n, n - 1, n + 1])]
