"""Canonical URLs, content hashes and near-duplicate grouping."""

from __future__ import annotations

import datetime as dt
import gc
import random
import tracemalloc

import pytest
from factories import make_doc, minhash_of

from kiemchung import text, timeutil
from kiemchung.dedupe import DedupeSettings, NearDuplicateIndex, canonical_url, content_hash
from kiemchung.ingest import Ingestor


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("https://baolamson.vn/tin-a.html?utm_source=fb&utm_medium=social", "https://baolamson.vn/tin-a.html"),
        ("http://www.baolamson.vn/tin-a.html#binh-luan", "https://baolamson.vn/tin-a.html"),
        ("https://m.baolamson.vn/tin-a.html", "https://baolamson.vn/tin-a.html"),
        ("https://baolamson.vn/amp/tin-a.html", "https://baolamson.vn/tin-a.html"),
        ("https://baolamson.vn/tin-a.amp.html", "https://baolamson.vn/tin-a.html"),
        ("https://baolamson.vn/tin-a/amp/", "https://baolamson.vn/tin-a"),
        ("https://BaoLamSon.vn:443/tin-a.html?fbclid=IwAR0x&zarsrc=30", "https://baolamson.vn/tin-a.html"),
        ("https://baolamson.vn/tim?q=lu&page=2", "https://baolamson.vn/tim?page=2&q=lu"),
    ],
)
def test_canonical_url_variants(a, b):
    assert canonical_url(a) == canonical_url(b)


def test_canonical_url_keeps_meaningful_parameters():
    assert canonical_url("https://x.vn/a?id=1") != canonical_url("https://x.vn/a?id=2")
    assert canonical_url(None) is None
    assert canonical_url("mailto:toa-soan@x.vn") == "mailto:toa-soan@x.vn"


def test_content_hash_ignores_case_accents_and_spacing():
    assert content_hash("Nước  sạch", "Hòa Bình", "") == content_hash("nuoc sach", "HOA BINH", "")
    assert content_hash("Nước sạch", "", "") != content_hash("Nước bẩn", "", "")


def test_near_duplicates_are_kept_and_linked(db):
    lead = (
        "Sáng 5/3, UBND tỉnh Lam Sơn tổ chức lễ khánh thành cầu Bến Đá bắc qua sông Lam, "
        "công trình có tổng vốn đầu tư 450 tỷ đồng, rút ngắn quãng đường từ Tây Hà về trung tâm tỉnh."
    )
    docs = [
        make_doc("Khánh thành cầu Bến Đá", lead, url="https://a.vn/1"),
        make_doc("Khánh thành cầu Bến Đá bắc qua sông Lam", lead.replace("Sáng 5/3", "Sáng nay"), url="https://b.vn/2"),
        make_doc("Khánh thành cầu Bến Đá", lead, url="https://c.vn/3"),  # the same text elsewhere
        make_doc("Giá lúa tăng", "Giá lúa tại Đông Hà tăng 300 đồng mỗi kg trong tuần qua do nhu cầu xuất khẩu.", url="https://d.vn/4"),
    ]
    stats = Ingestor(db).add(docs)
    assert stats.added == 4  # nothing dropped
    assert stats.exact_duplicates == 1 and stats.near_duplicates == 1
    groups = [db.get_document(i).meta["dup_group"] for i in range(1, 5)]
    assert groups[:3] == [1, 1, 1]
    assert groups[3] is None


def test_near_duplicate_index_survives_a_restart(db):
    lead = "Người dân xã Hòa Bình phản ánh tình trạng nước sinh hoạt có mùi lạ trong ba ngày liên tiếp, chính quyền đã lấy mẫu kiểm tra."
    Ingestor(db).add([make_doc("Nước có mùi lạ", lead, url="https://a.vn/x")])
    stats = Ingestor(db).add([make_doc("Nước có mùi lạ ở Hòa Bình", lead, url="https://b.vn/y")])
    assert stats.near_duplicates == 1
    assert db.get_document(2).meta["dup_group"] == 1


def test_short_texts_have_no_signature():
    idx = NearDuplicateIndex()
    assert idx.signature(["a", "b"]) is None


# -- the time window (memory bound) -----------------------------------------------------------------

VOCAB = [
    "nước", "sông", "lũ", "cầu", "đường", "xã", "huyện", "tỉnh", "dân", "bão", "mưa", "lúa", "giá",
    "chợ", "trường", "học", "bệnh", "viện", "bác", "sĩ", "điện", "đèn", "nhà", "cửa", "ruộng",
    "vườn", "cá", "tôm", "muối", "gạo", "xe", "buýt", "ga", "bến", "đò", "núi", "rừng", "biển",
    "đảo", "trạm", "y", "tế", "phường",
]
T0 = dt.datetime(2026, 5, 1, tzinfo=dt.UTC)


def _words(rng: random.Random, n: int = 30) -> list[str]:
    return [rng.choice(VOCAB) for _ in range(n)]


def _filled_index(n: int, settings: DedupeSettings | None = None, *, seed: int = 7):
    """An index holding ``n`` random texts, one stored every hour from T0; returns it and the signatures."""
    rng = random.Random(seed)
    idx = NearDuplicateIndex(settings or DedupeSettings())
    sigs = []
    for i in range(n):
        toks = text.syllables(text.fold(" ".join(_words(rng))))
        sig = idx.signature(toks)
        sigs.append(sig)
        idx.add(i + 1, content_hash(" ".join(toks), "", ""), sig, None, T0 + dt.timedelta(hours=i))
    return idx, sigs


def test_evict_forgets_old_documents_and_every_structure_shrinks():
    idx, sigs = _filled_index(240)  # ten days, one document an hour
    assert idx.sizes() == {
        "documents": 240, "signatures": 240, "hashes": 240, "groups": 0, "time_heap": 240,
        "lsh_keys": 240, "lsh_buckets": idx.sizes()["lsh_buckets"], "archive_days": 0, "archive_documents": 0,
    }
    buckets_before = idx.sizes()["lsh_buckets"]
    assert idx.find("x" * 40, sigs[10]) == (11, 1.0)  # held: found by its signature

    assert idx.evict(T0 + dt.timedelta(hours=200)) == 200
    sizes = idx.sizes()
    assert {k: v for k, v in sizes.items() if k != "lsh_buckets"} == {
        "documents": 40, "signatures": 40, "hashes": 40, "groups": 0, "time_heap": 40, "lsh_keys": 40,
        "archive_days": 0, "archive_documents": 0,
    }
    assert sizes["lsh_buckets"] <= 8 * 40 < buckets_before
    assert 10 not in idx and 201 in idx
    assert idx.find("x" * 40, sigs[10]) is None  # forgotten
    assert idx.find("x" * 40, sigs[220]) == (221, 1.0)
    assert idx.evict(T0) == 0  # nothing older is left


def test_eviction_gives_the_memory_back():
    """Traced memory: adding 3,000 documents costs ~1.1 KB each (a bucket of one key holds the key, not
    a set: ~3 KB each before); evicting them all returns most of it (what stays is the empty tables of
    Python dicts, which keep their size until they are reused)."""
    rng = random.Random(3)
    idx = NearDuplicateIndex()
    entries = []
    for i in range(3000):
        toks = text.syllables(text.fold(" ".join(_words(rng))))
        entries.append((i + 1, content_hash(" ".join(toks), "", ""), idx.signature(toks)))
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        for doc_id, chash, sig in entries:
            idx.add(doc_id, chash, sig, None, T0 + dt.timedelta(minutes=doc_id))
        full = tracemalloc.get_traced_memory()[0] - base
        idx.evict(T0 + dt.timedelta(days=365))
        gc.collect()
        left = tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()
    assert 3000 * 600 < full < 3000 * 1600, full
    assert left < 3000 * 600, (left, full)  # (the empty tables: ~530 B a document held at the peak)


def test_max_entries_caps_the_index_oldest_first():
    idx, _ = _filled_index(50, DedupeSettings(max_entries=20))
    assert len(idx) == 20 and idx.sizes()["lsh_keys"] == 20 and idx.evicted == 30
    assert 30 not in idx and all(i in idx for i in range(31, 51))


def test_a_group_survives_the_eviction_of_its_first_document():
    """A document linked to a group keeps answering with the group's id after the first one is gone."""
    idx = NearDuplicateIndex()
    toks = text.syllables(text.fold(" ".join(_words(random.Random(5)))))
    sig = idx.signature(toks)
    idx.add(1, "a" * 40, sig, None, T0)
    idx.add(2, "b" * 40, sig, 1, T0 + dt.timedelta(days=20))
    idx.evict(T0 + dt.timedelta(days=1))
    assert 1 not in idx and idx.find("c" * 40, sig) == (1, 1.0)
    assert idx.find("a" * 40, None) is None and not idx.knows_hash("a" * 40)


def _lead(rng: random.Random) -> str:
    return " ".join(_words(rng, 40)).capitalize() + "."


def test_near_duplicate_inside_the_window_is_grouped_older_starts_a_new_group(db):
    rng = random.Random(11)
    now = timeutil.now()
    recent, old = _lead(rng), _lead(rng)
    Ingestor(db).add(
        [
            make_doc("Tin trong cửa sổ", recent, url="https://a.vn/gan", fetched_at=now - dt.timedelta(days=10),
                     published_at=now - dt.timedelta(days=10)),
            make_doc("Tin cũ", old, url="https://a.vn/cu", fetched_at=now - dt.timedelta(days=40),
                     published_at=now - dt.timedelta(days=40)),
            make_doc("Tin hôm nay", _lead(rng), url="https://a.vn/nay", published_at=now),
        ]
    )
    ing = Ingestor(db)  # a new process: loads only the 30 days before the newest stored document
    stats = ing.add(
        [
            make_doc("Tin trong cửa sổ, bản sửa", recent[:-1] + " thêm", url="https://b.vn/gan", published_at=now),
            make_doc("Tin cũ, bản sửa", old[:-1] + " thêm", url="https://b.vn/cu", published_at=now),
        ]
    )
    assert stats.added == 2 and stats.near_duplicates == 1
    assert db.get_document(4).meta["dup_group"] == 1
    assert db.get_document(5).meta["dup_group"] is None  # the old one was out of the window


def test_exact_copy_of_an_evicted_document_is_linked_and_never_stored_twice(db):
    rng = random.Random(12)
    now = timeutil.now()
    body = _lead(rng)
    ing = Ingestor(db)
    ing.add([make_doc("Bản gốc", body, url="https://a.vn/goc", fetched_at=now - dt.timedelta(days=45),
                     published_at=now - dt.timedelta(days=45))])
    assert 1 in ing.index
    # The same long-running ingestor evicts it at its next batch, yet still knows it through the database.
    stats = ing.add(
        [
            make_doc("Bản gốc", body, url="https://a.vn/goc", published_at=now),  # the same document again
            make_doc("Bản gốc", body, url="https://c.vn/chep-lai", published_at=now),  # the same text at another outlet
        ]
    )
    assert 1 not in ing.index and ing.index.evicted == 1
    assert stats.existing == 1 and stats.added == 1 and stats.exact_duplicates == 1
    assert db.count_documents() == 2
    assert db.get_document(2).meta["dup_group"] == 1 and db.get_document(1).meta["dup_group"] == 1
    # And again from a fresh process, whose index never held document 1.
    stats = Ingestor(db).add([make_doc("Bản gốc", body, url="https://d.vn/3"), make_doc("Bản gốc", body, url="https://a.vn/goc")])
    assert stats.added == 1 and stats.existing == 1 and stats.exact_duplicates == 1
    assert db.get_document(3).meta["dup_group"] == 1 and db.count_documents() == 3


def test_unbounded_window_keeps_everything(db):
    now = timeutil.now()
    rng = random.Random(13)
    docs = [make_doc(f"Tin {i}", _lead(rng), url=f"https://a.vn/{i}", fetched_at=now - dt.timedelta(days=400 - i),
                     published_at=now - dt.timedelta(days=400 - 20 * i)) for i in range(5)]
    ing = Ingestor(db, dedupe=DedupeSettings(window_days=None, max_entries=None))
    ing.add(docs)
    ing.add([])
    assert len(ing.index) == 5
    assert len(Ingestor(db).index) == 0
    fresh = Ingestor(db)
    fresh.refresh_index()
    # the window is the 30 days before the newest stored document (published 320 days ago): it and the one
    # published 20 days before it
    assert len(fresh.index) == 2


def test_a_backfill_finds_near_duplicates_among_the_stored_documents_of_its_own_time(db):
    """The window is by publication time: a document published long before it (an archive imported
    after live monitoring) is compared with the stored documents published within ``archive_days`` of
    it, read from the store a day at a time, and the window itself stays small."""
    rng = random.Random(14)
    now = timeutil.now()
    old_text, mid_text = _lead(rng), _lead(rng)
    ing = Ingestor(db)
    ing.add([make_doc("Bản gốc cũ", old_text, url="https://a.vn/goc", published_at=now - dt.timedelta(days=100))])
    ing.add([make_doc(f"Tin {i}", _lead(rng), url=f"https://a.vn/moi-{i}", published_at=now - dt.timedelta(hours=i))
              for i in range(5)])
    assert 1 not in ing.index and len(ing.index) == 5  # published 100 days before the newest: out of the window
    stats = ing.add([
        # a reworded copy published two days after the original, imported now
        make_doc("Bản chép lại", old_text[:-1] + " thêm", url="https://b.vn/chep", published_at=now - dt.timedelta(days=98)),
        # two copies of one text, both from the archive, in one batch
        make_doc("Tin giữa kỳ", mid_text, url="https://c.vn/1", published_at=now - dt.timedelta(days=60)),
        make_doc("Tin giữa kỳ, bản khác", mid_text[:-1] + " nữa", url="https://d.vn/2", published_at=now - dt.timedelta(days=59)),
        # the same text as the original, published too far from it: not compared
        make_doc("Bản chép muộn", old_text[:-1] + " khác", url="https://e.vn/3", published_at=now - dt.timedelta(days=80)),
    ])
    assert stats.added == 4 and stats.near_duplicates == 2
    assert db.get_document(7).meta["dup_group"] == 1
    assert db.get_document(9).meta["dup_group"] == 8
    assert db.get_document(10).meta["dup_group"] is None
    sizes = ing.index.sizes()
    assert sizes["documents"] == 5 and 0 < sizes["archive_days"] <= ing.index.settings.archive_days_cached
    # a fresh process finds them the same way
    again = Ingestor(db).add([make_doc("Bản chép nữa", old_text[:-1] + " lần ba", url="https://f.vn/4",
                                       published_at=now - dt.timedelta(days=101))])
    assert again.near_duplicates == 1 and db.get_document(11).meta["dup_group"] == 1


def test_minhash_signature_is_datasketchs():
    """minhash_signature computes datasketch's affine32 MinHash with CRC-32 itself: the same values."""
    import numpy as np
    from datasketch import MinHash

    from kiemchung.dedupe import _crc, _permutations, minhash_signature

    rng = random.Random(7)
    words = ["ha", "noi", "mưa", "to", "x", "1.000", "đường", "ngập"]
    for _ in range(300):
        items = {" ".join(rng.choice(words) + str(rng.randint(0, 50)) for _ in range(3))
                 for _ in range(rng.randint(0, 40))}
        num_perm, seed = rng.choice((16, 64, 128)), rng.choice((1, 2))
        m = MinHash(num_perm=num_perm, permutations=_permutations(num_perm, seed), hashfunc=_crc, scheme="affine32")
        m.update_batch([i.encode() for i in items])
        got = minhash_signature(items, num_perm=num_perm, seed=seed)
        assert got.dtype == np.uint32
        assert got.tolist() == m.hashvalues.astype(np.uint32).tolist()


def test_permutations_are_datasketchs():
    """The permutation parameters drawn without datasketch are those of its affine32 MinHash."""
    import numpy as np
    from datasketch import MinHash

    from kiemchung.dedupe import _permutations

    for num_perm in (16, 64, 128):
        for seed in (1, 2, 7):
            got = _permutations(num_perm, seed)
            want = MinHash(num_perm=num_perm, seed=seed).permutations
            assert got.dtype == np.uint32 and got.tolist() == np.asarray(want).astype(np.uint32).tolist()


def test_bands_answer_as_datasketchs_lsh_in_the_same_order():
    """The index's own LSH buckets give datasketch's MinHashLSH candidates, in the same order (the
    order decides between equal scores), through inserts and removals."""
    import numpy as np
    from datasketch import MinHashLSH

    from kiemchung.dedupe import LshBands, minhash_signature

    rng = random.Random(11)
    words = [f"w{i}" for i in range(40)]
    base = [[rng.choice(words) for _ in range(12)] for _ in range(30)]
    sigs: dict[int, np.ndarray] = {}
    for key in range(1500):  # near-copies of a few texts: buckets shared by many keys
        ws = list(rng.choice(base))
        for _ in range(rng.randint(0, 3)):
            ws[rng.randrange(len(ws))] = rng.choice(words)
        sigs[key] = minhash_signature({" ".join(ws[i:i + 3]) for i in range(len(ws) - 2)}, num_perm=64)
    theirs = MinHashLSH(num_perm=64, params=(8, 8))
    ours = LshBands(8, 8)
    held: list[int] = []
    for key, sig in sigs.items():
        theirs.insert(key, minhash_of(sig), check_duplication=False)
        ours.insert(key, sig)
        held.append(key)
        if rng.random() < 0.4:  # removals in any order
            gone = held.pop(rng.randrange(len(held)))
            theirs.remove(gone)
            ours.remove(gone, sigs[gone])
        probe = sigs[rng.choice(held)] if rng.random() < 0.7 else sigs[rng.randrange(len(sigs))]
        assert list(ours.query(probe)) == theirs.query(minhash_of(probe))
    assert sum(len(t) for t in ours.tables) == sum(len(t._dict) for t in theirs.hashtables)


def test_signatures_of_a_batch_are_each_documents_signature():
    """NearDuplicateIndex.signatures (a batch at once, as the ingest signs) gives signature() of each
    token list, None for the short ones, for several shingle sizes; minhash_signatures the values of
    minhash_signature."""
    import numpy as np

    from kiemchung.dedupe import minhash_signature, minhash_signatures

    rng = random.Random(3)
    words = ["ha", "noi", "mua", "to", "x", "1.000", "duong", "ngap", "a", "b"]
    lists = [[rng.choice(words) for _ in range(rng.randint(0, 30))] for _ in range(400)]
    lists += [["a", "b"] * 8, [], ["x"]]  # repeated shingles: fewer than min_shingles distinct ones
    for k, least, num_perm in ((3, 5, 64), (1, 1, 16), (2, 3, 128), (4, 0, 64)):
        idx = NearDuplicateIndex(DedupeSettings(shingle_size=k, min_shingles=least, num_perm=num_perm))
        for t in lists:  # the shingles of the index's first version
            assert idx._shingles(t) == {" ".join(t[i : i + k]).encode() for i in range(len(t) - k + 1)}
        got = idx.signatures(lists)
        want = [idx.signature(t) for t in lists]
        assert [g is None for g in got] == [w is None for w in want]
        assert any(w is None for w in want) and any(w is not None for w in want)
        for g, w in zip(got, want):
            if w is not None:
                assert g.dtype == np.uint32 and g.tolist() == w.tolist()
    sets = [{bytes([rng.randrange(256)]) * rng.randint(1, 5) for _ in range(rng.randint(1, 20))} for _ in range(50)]
    assert [s.tolist() for s in minhash_signatures(sets)] == [minhash_signature(s).tolist() for s in sets]
    assert minhash_signatures([]) == []


def test_signatures_in_runs_of_bounded_size_are_the_same(monkeypatch):
    """minhash_signatures hashes at most SIGNATURE_ROWS items together (its transient array is bounded):
    split into runs, and with a set larger than a run, the signatures are those of one pass."""
    from kiemchung import dedupe

    rng = random.Random(8)
    sets = [{f"s{rng.randrange(500)}".encode() for _ in range(rng.randint(1, 40))} for _ in range(120)]
    sets.append({f"big{i}".encode() for i in range(90)})
    whole = [s.tolist() for s in dedupe.minhash_signatures(sets)]
    monkeypatch.setattr(dedupe, "SIGNATURE_ROWS", 64)
    runs = [s.tolist() for s in dedupe.minhash_signatures(sets)]
    assert runs == whole == [dedupe.minhash_signature(s).tolist() for s in sets]
