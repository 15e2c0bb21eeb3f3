"""Tip grouping through the per-process MinHash LSH index (kiemchung.tips.grouping): near-identical tips
(case, diacritics, teencode, a few words added) group; unrelated ones do not; on a random queue the index
gives the same groups as comparing every new tip with every recent one (the definition); two processes
(two Database objects on one store) agree; the 30-day window holds."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from factories import minhash_of

from kiemchung.tips import get_tip, submit_tip
from kiemchung.tips import grouping as G

BASE = "Có thật là uống nước chanh nóng mỗi sáng chữa khỏi ung thư giai đoạn cuối không"


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


def _group(db, **kw) -> int:
    tip, _ = submit_tip(db, **kw)
    return get_tip(db, tip.id).group


def test_near_identical_tips_group_and_unrelated_do_not(any_db):
    clock = Clock()
    first = _group(any_db, text=BASE + "?", clock=clock)
    variants = [
        BASE.upper(),  # case
        "co that la uong nuoc chanh nong moi sang chua khoi ung thu giai doan cuoi khong",  # no diacritics
        "Có thật là uống nước chanh nóng mỗi sáng chữa khỏi ung thư giai đoạn cuối ko",  # teencode
        "Cho em hỏi có thật là uống nước chanh nóng mỗi sáng chữa khỏi ung thư giai đoạn cuối không ạ",  # words added
    ]
    for v in variants:
        assert _group(any_db, text=v, clock=clock) == first, v
    other = _group(any_db, text="Giá xăng ngày mai có tăng 5.000 đồng một lít không?", clock=clock)
    assert other != first
    assert _group(any_db, text="Giá xăng ngày mai tăng 5.000 đồng một lít phải không?", clock=clock) == other
    # a short text groups only with the very same words
    short = _group(any_db, text="Đê vỡ à?", clock=clock)
    assert _group(any_db, text="đê vỡ à", clock=clock) == short and _group(any_db, text="Đê vỡ chưa?", clock=clock) != short


def test_image_only_tips_group_by_their_first_image(any_db):
    from PIL import Image
    import io

    def png(color):
        buf = io.BytesIO()
        Image.new("RGB", (40, 30), color).save(buf, "PNG")
        return buf.getvalue()

    from kiemchung.tips import TipImage

    a = _group(any_db, images=[TipImage(png((200, 30, 30)), "image/png", "a.png")])
    assert _group(any_db, images=[TipImage(png((200, 30, 30)), "image/png", "b.png")]) == a
    assert _group(any_db, images=[TipImage(png((30, 200, 30)), "image/png", "c.png")]) != a


def _reference(history: list[tuple[int, int, frozenset[str], dt.datetime]], ws, at) -> int | None:
    """The definition: the newest recent tip with nearly the same words."""
    since = at - dt.timedelta(days=G.GROUP_DAYS)
    for tip_id, group, other, received in sorted(history, key=lambda h: -h[0]):
        if received >= since and G.similar_words(ws, other) >= G.GROUP_SIMILARITY:
            return group
    return None


def test_index_gives_the_groups_of_the_full_comparison():
    """400 tips made of 40 base questions, each sent again with words dropped, added or swapped, over 60
    days: the index's group for every tip is the one the full comparison gives."""
    rng = random.Random(7)
    vocab = [f"tu{i}" for i in range(600)]
    bases = [rng.sample(vocab, rng.randint(3, 25)) for _ in range(40)]
    index = G.TipIndex()
    history = []
    at = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)
    agreed = grouped = 0
    for tip_id in range(1, 401):
        at += dt.timedelta(hours=rng.uniform(0, 7))
        ws = list(rng.choice(bases))
        for _ in range(rng.choice([0, 0, 1, 2, 3])):
            op = rng.random()
            if op < 0.4 and len(ws) > 2:
                ws.pop(rng.randrange(len(ws)))
            elif op < 0.8:
                ws.insert(rng.randrange(len(ws) + 1), rng.choice(vocab))
            else:
                ws[rng.randrange(len(ws))] = rng.choice(vocab)
        text = " ".join(ws)
        words = G.words(text)
        expected = _reference(history, words, at)
        index.evict(at - dt.timedelta(days=G.GROUP_DAYS))
        got = index.find(text, None, at - dt.timedelta(days=G.GROUP_DAYS))
        agreed += got == expected
        grouped += expected is not None
        group = got or tip_id
        index.add(tip_id, group, text, None, at)
        history.append((tip_id, group, words, at))
    # LSH at 16 bands x 4 rows misses a pair at Jaccard 0.75 with probability 0.002: allow one miss
    assert agreed >= 399 and grouped > 200


class _DatasketchBands:
    """The LSH the index was built on before (datasketch's MinHashLSH), behind LshBands' three methods."""

    def __init__(self) -> None:
        from datasketch import MinHashLSH

        self.lsh = MinHashLSH(num_perm=G.NUM_PERM, params=(G.BANDS, G.NUM_PERM // G.BANDS))

    def insert(self, key, sig) -> None:
        self.lsh.insert(key, minhash_of(sig, num_perm=G.NUM_PERM), check_duplication=False)

    def remove(self, key, sig) -> None:
        self.lsh.remove(key)

    def query(self, sig) -> list:
        return self.lsh.query(minhash_of(sig, num_perm=G.NUM_PERM))


def test_the_dedupe_bands_give_the_groups_datasketchs_lsh_gave():
    """600 tips over 90 days (evictions; exact repeats, whose word set passes to the newest on eviction):
    the index on kiemchung.dedupe's LSH bands finds the same candidates and groups as on datasketch's."""
    rng = random.Random(23)
    vocab = [f"tu{i}" for i in range(500)]
    bases = [rng.sample(vocab, rng.randint(3, 20)) for _ in range(50)]
    ours, theirs = G.TipIndex(), G.TipIndex()
    theirs._lsh = _DatasketchBands()
    at = dt.datetime(2026, 9, 1, tzinfo=dt.UTC)
    grouped = 0
    for tip_id in range(1, 601):
        at += dt.timedelta(hours=rng.uniform(0, 7))
        ws = list(rng.choice(bases))
        for _ in range(rng.choice([0, 0, 0, 1, 2, 3])):
            if rng.random() < 0.5 and len(ws) > 2:
                ws.pop(rng.randrange(len(ws)))
            else:
                ws.insert(rng.randrange(len(ws) + 1), rng.choice(vocab))
        text = " ".join(ws)
        since = at - dt.timedelta(days=G.GROUP_DAYS)
        assert ours.evict(since) == theirs.evict(since)
        sig = G.minhash_signature(G.words(text), num_perm=G.NUM_PERM)
        assert ours._lsh.query(sig) == set(theirs._lsh.query(sig))
        got = ours.find(text, None, since)
        assert got == theirs.find(text, None, since)
        grouped += got is not None
        ours.add(tip_id, got or tip_id, text, None, at)
        theirs.add(tip_id, got or tip_id, text, None, at)
    assert grouped > 300 and len(ours) == len(theirs) < 400  # evictions happened


def test_two_processes_agree_through_the_store(tmp_path):
    from kiemchung.store import Database

    path = tmp_path / "kc.db"
    one, two = Database(path), Database(path)
    try:
        a = _group(one, text=BASE)
        assert _group(two, text=BASE.lower() + " ạ") == a  # two's index reads one's tip
        b = _group(two, text="Cầu Giang Khẩu vừa khánh thành đã nứt sắp sập phải không")
        assert _group(one, text="Cầu Giang Khẩu vừa khánh thành đã bị nứt, sắp sập phải không?") == b
    finally:
        one.close()
        two.close()


def test_tips_older_than_the_window_start_a_new_group(any_db):
    clock = Clock()
    old = _group(any_db, text=BASE, clock=clock)
    clock.now += dt.timedelta(days=G.GROUP_DAYS + 1)
    new = _group(any_db, text=BASE, clock=clock)
    assert new != old
    clock.now += dt.timedelta(days=1)
    assert _group(any_db, text=BASE + " ạ", clock=clock) == new


@pytest.mark.parametrize("received_days", [-400, 400])
def test_a_tip_dated_far_away_does_not_empty_the_index(any_db, received_days):
    clock = Clock()
    a = _group(any_db, text=BASE, clock=clock)
    submit_tip(any_db, channel="email", text="Một câu hỏi khác hẳn về giá vé xe buýt nội tỉnh năm sau", sender="x@y.vn",
               external_id="m1", received_at=clock.now + dt.timedelta(days=received_days), clock=clock)
    assert _group(any_db, text=BASE + " vậy", clock=clock) == a
