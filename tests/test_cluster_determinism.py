"""The story clusterer decides the same way whatever the hash seed, and after a save and reload.

Python salts the hash of strings per process (PYTHONHASHSEED), so anything that iterates a set or
dict of strings in hash order may decide differently from one process to the next. These tests run
the clusterer on one invented stream (live news, a backfill of an older archive streamed through a
small day cache, copies of social posts) in child processes under several seeds and compare every
assignment, then compare an uninterrupted run with one saved and reloaded halfway (what the story
stage does after a crash).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Invented events: (place, subject, what happened). Each becomes several articles on nearby days.
EVENTS = [
    ("Tân Phú", "đường ống nước", "vỡ làm ngập ba tuyến phố"),
    ("Bình Sơn", "cầu treo", "bị nước lũ cuốn trôi một nhịp"),
    ("Hòa Lạc", "trường tiểu học", "tạm nghỉ vì sạt lở đất sau trường"),
    ("Phước Long", "chợ đầu mối", "cháy lớn thiêu rụi hai mươi ki ốt"),
    ("Đông Hải", "tàu cá", "mất liên lạc ngoài khơi với chín ngư dân"),
    ("Vĩnh Thạnh", "nhà máy đường", "xả thải khiến cá chết trên sông"),
    ("An Nhơn", "bệnh viện huyện", "tiếp nhận năm mươi ca sốt xuất huyết"),
    ("Cát Tiên", "rừng phòng hộ", "bị chặt phá gần hai héc ta"),
    ("Ngọc Lâm", "xe khách", "lật trên đèo làm mười người bị thương"),
    ("Thạch Bàn", "khu tái định cư", "chậm bàn giao khiến dân khiếu nại"),
    ("Lộc Hà", "đê biển", "sụt lún sau triều cường"),
    ("Mỹ Xuân", "khu công nghiệp", "tuyển ba nghìn lao động sau Tết"),
]
OPENERS = ["Sáng nay", "Chiều qua", "Theo chính quyền địa phương,", "Ghi nhận của phóng viên:"]
TAILS = [
    "Cơ quan chức năng đang làm rõ nguyên nhân.",
    "Người dân được khuyến cáo theo dõi thông tin chính thức.",
    "Ủy ban nhân dân huyện đã họp khẩn trong ngày.",
]
RUMOURS = [
    "Nghe nói nước máy phường Tân Phú bị nhiễm độc, mọi người đừng uống nhé",
    "Có tin cầu Bình Sơn sắp sập hoàn toàn, bà con tránh xa khu vực này",
]


def fixture_stream() -> list[dict]:
    """About 170 documents over 40 days in May-June 2026, in a fixed arrival order: the last 20 days
    first (live), then the first 20 days (an archive arriving late), posts interleaved."""
    docs: list[dict] = []
    for e, (place, subject, what) in enumerate(EVENTS):
        for round_ in range(2):  # the same kind of event again 20 days later: another story
            base = 1 + (e * 3) % 18 + 20 * round_
            for k in range(6):
                day = base + k // 3
                opener = OPENERS[(e + k) % len(OPENERS)]
                docs.append(
                    {
                        "id": f"a{e}-{round_}-{k}",
                        "title": f"{subject.capitalize()} ở {place} {what}" if k % 2 == 0 else f"{place}: {subject} {what}",
                        "lead": f"{opener} {subject} tại {place} {what}. {TAILS[(e + k) % len(TAILS)]}",
                        "published_at": f"2026-{5 + (day - 1) // 31:02d}-{(day - 1) % 31 + 1:02d}T{7 + k:02d}:00:00+07:00",
                    }
                )
    for r, text in enumerate(RUMOURS):
        variants = [text, text.upper(), text.lower() + " ai biết không", text.replace("nhé", "nha")]
        for v, body in enumerate(variants):
            for day in (3 + r, 24 + r):
                docs.append(
                    {
                        "id": f"p{r}-{v}-{day}",
                        "title": "",
                        "body": body,
                        "published_at": f"2026-05-{day:02d}T{9 + v:02d}:30:00+07:00",
                        "informal": True,
                    }
                )
    late = [d for d in docs if d["published_at"] >= "2026-05-21"]
    early = [d for d in docs if d["published_at"] < "2026-05-21"]
    late.sort(key=lambda d: (d["published_at"], d["id"]))
    early.sort(key=lambda d: (d["published_at"], d["id"]))
    return late + early


SCRIPT = textwrap.dedent(
    """
    import datetime as dt, json, sys
    sys.path.insert(0, sys.argv[1])
    from test_cluster_determinism import fixture_stream, run_stream
    print(json.dumps(run_stream(fixture_stream(), reload_at=int(sys.argv[2]))))
    """
)


class Vault:
    """Document vectors stored outside the clusterer as the story stage stores them (packed bytes),
    written every ``every`` documents: what a clusterer with ``attach_vault`` reads back."""

    def __init__(self, every: int = 7) -> None:
        self.rows: dict[str, tuple[bytes, bytes, str]] = {}
        self.every = every
        self.reads = 0

    def read(self, ids: list[str]) -> dict:
        from array import array

        self.reads += 1
        out = {}
        for d in ids:
            if d in self.rows:
                terms, tfs, title = self.rows[d]
                out[d] = (array("i", terms), array("f", tfs), title)
        return out

    def write(self, clusterer) -> None:
        pending = clusterer.pending_vectors()
        for d, (terms, tfs, title) in pending.items():
            self.rows[d] = (terms.tobytes(), tfs.tobytes(), title)
        clusterer.vectors_stored(pending)


def run_stream(
    docs: list[dict], *, reload_at: int = 0, vault: Vault | None = None, spill_at: int | None = None
) -> dict:
    """Stream the documents (saving and reloading the state as JSON after ``reload_at`` of them when
    it is positive; with ``vault``, dormant stories' vectors out of memory; from ``spill_at`` on, the
    vocabulary and packed documents on disk, as the story stage following an import) and return every
    document's story as the smallest document id of that story, with the stories' headlines,
    keywords and sizes: what a reader sees."""
    import datetime as dt

    from kiemchung.stories.cluster import ClusterConfig, StoryClusterer

    def now() -> dt.datetime:
        return dt.datetime(2026, 7, 1, tzinfo=dt.UTC)

    cfg = ClusterConfig(dormant_days_cached=2, stop_min_docs=50)  # a small day cache: days are evicted and reloaded
    c = StoryClusterer(cfg, now=now)
    if vault is not None:
        c.attach_vault(vault.read)
    for k, d in enumerate(docs):
        if reload_at and k == reload_at:
            c = StoryClusterer.from_state(json.loads(json.dumps(c.state())), now=now)
            if vault is not None:
                c.attach_vault(vault.read)
        if spill_at is not None and k >= spill_at:
            c.spill()  # (again after a reload; nothing changes when already on disk)
        c.add(
            d["id"], title=d.get("title", ""), lead=d.get("lead", ""), body=d.get("body", ""),
            published_at=d["published_at"], informal=bool(d.get("informal")),
        )
        if vault is not None and k % vault.every == 0:
            vault.write(c)
    groups: dict[str, list[str]] = {}
    for doc, sid in c.assignments().items():
        groups.setdefault(sid, []).append(doc)
    canon = {doc: min(members) for members in groups.values() for doc in members}
    infos = {min(groups[i.id]): [i.headline, i.keywords, i.doc_count] for i in c.stories()}
    return {"stories": canon, "infos": infos}


def _child(seed: str, reload_at: int = 0) -> dict:
    env = dict(os.environ, PYTHONHASHSEED=seed)
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(Path(__file__).parent), str(reload_at)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=True,
    )
    return json.loads(out.stdout)


def test_fixture_exercises_backfill_and_copies():
    """The fixture is worth comparing: it forms multi-document stories, archived days and copies."""
    result = run_stream(fixture_stream())
    sizes: dict[str, int] = {}
    for story in result["stories"].values():
        sizes[story] = sizes.get(story, 0) + 1
    assert sum(1 for n in sizes.values() if n >= 3) >= 10
    stream = fixture_stream()
    assert stream[0]["published_at"] > stream[-1]["published_at"]  # the archive arrives last


def test_saved_state_text_in_pieces_with_documents_out_of_memory(monkeypatch):
    """The columns of the document table (times with missing ones, norms, lengths, away positions),
    the series keys and their occurrences are written in pieces by the stage's save (arrays, not a
    list of objects each): the text is still the one-shot JSON of the state, with documents packed
    out of memory, a recurring series over several days, and documents without a time."""
    import datetime as dt
    import zlib

    from kiemchung.stories import persistence, records
    from kiemchung.stories.cluster import ClusterConfig, StoryClusterer
    from kiemchung.stories.persistence import compressed_json

    monkeypatch.setattr(records, "_MERGE_AT", 16)
    monkeypatch.setattr(records, "_SERIES_MERGE_AT", 4)
    docs = [dict(d, id=str(k + 1)) for k, d in enumerate(fixture_stream())]
    docs += [{"id": str(500 + day), "title": f"Kết quả xổ số miền Bắc ngày {day}/6/2026 thứ hai",
              "published_at": f"2026-06-{day:02d}T18:30:00+07:00"} for day in range(1, 20)]
    # before any dated document: no stream clock yet, so no time at all
    docs = [{"id": str(600 + k), "title": f"Tin nhanh không ngày tháng số {k}", "published_at": None}
            for k in range(3)] + docs
    vault = Vault()
    c = StoryClusterer(ClusterConfig(dormant_days_cached=2, stop_min_docs=50),
                       now=lambda: dt.datetime(2026, 7, 1, tzinfo=dt.UTC))
    c.attach_vault(vault.read)
    for k, d in enumerate(docs):
        c.add(d["id"], title=d.get("title", ""), lead=d.get("lead", ""), body=d.get("body", ""),
              published_at=d["published_at"], informal=bool(d.get("informal")))
        if k % vault.every == 0:
            vault.write(c)
    vault.write(c)
    state = c.state()
    table = state["doc_table"]
    assert table["away"] and None in table["time"] and len(state["series"]) > 10 and len(state["occurrences"]) > 10
    assert len(c._docs) > dict.__len__(c._docs) and len(c._series._ids) > 0  # some documents are packed
    text = json.dumps(state, separators=(",", ":"))
    for per_piece in (1, 3, 20_000):
        monkeypatch.setattr(persistence, "ROWS_PER_PIECE", per_piece)
        monkeypatch.setattr(persistence, "BASE64_PIECE_BYTES", per_piece)  # (3 bytes at least)
        assert zlib.decompress(compressed_json(c.state(pieces=True))).decode() == text
    for per_piece in (4, 5, 64):  # vectors in runs of whole base64 quanta, the rest carried over
        monkeypatch.setattr(persistence, "BASE64_PIECE_BYTES", per_piece)
        assert zlib.decompress(compressed_json(c.state(pieces=True))).decode() == text
    back = StoryClusterer.from_state(json.loads(text))
    assert back.assignments() == c.assignments()


@pytest.mark.parametrize("reload_at", [0, 97])
def test_same_stories_under_every_hash_seed(reload_at):
    """Identical stories (every assignment, headline, keyword list and size) under five hash seeds."""
    runs = {seed: _child(seed, reload_at) for seed in ("0", "1", "7", "42", "31337")}
    first = runs["0"]
    for seed, result in runs.items():
        assert result["stories"] == first["stories"], f"PYTHONHASHSEED={seed} placed documents differently"
        assert result["infos"] == first["infos"], f"PYTHONHASHSEED={seed} described stories differently"


def test_reload_halfway_gives_the_same_stories():
    """Saving and reloading the state in the middle of the stream changes no assignment (the story stage
    relies on this to re-derive the documents after its last save)."""
    docs = fixture_stream()
    straight = run_stream(docs)
    reloaded = run_stream(docs, reload_at=97)
    assert reloaded["stories"] == straight["stories"]


def test_saved_state_text_is_the_one_shot_json(monkeypatch):
    """The stage's piecewise compressed state is exactly the JSON text of the state, and loads back to
    a clusterer that places the next documents as the original does."""
    import zlib

    from kiemchung.stories.cluster import StoryClusterer
    from kiemchung.stories.persistence import compressed_json, compressed_json_parts

    docs = fixture_stream()
    c = StoryClusterer()
    for d in docs[:120]:
        c.add(d["id"], title=d.get("title", ""), lead=d.get("lead", ""), body=d.get("body", ""),
              published_at=d["published_at"], informal=bool(d.get("informal")))
    state = c.state()
    text = zlib.decompress(compressed_json(state)).decode()
    assert text == json.dumps(state, separators=(",", ":"))
    # what the stage saves: the vocabulary and the stories written in pieces, the same text
    from kiemchung.stories import persistence, vocabulary

    for per_piece in (1, 7, 2_000):
        monkeypatch.setattr(persistence, "STORIES_PER_PIECE", per_piece)
        monkeypatch.setattr(persistence, "ROWS_PER_PIECE", per_piece)
        monkeypatch.setattr(vocabulary, "CHUNK", per_piece)
        assert zlib.decompress(compressed_json(c.state(pieces=True))).decode() == text
    # in parts (one row each when saved; zlib gives its output in a few pieces): the same bytes
    whole = compressed_json(c.state(pieces=True))
    parts = list(compressed_json_parts(c.state(pieces=True), 3, 1))
    assert b"".join(parts) == whole and len(parts) > 1 and all(parts)
    back = StoryClusterer.from_state(json.loads(text))
    for d in docs[120:]:
        kw = dict(title=d.get("title", ""), lead=d.get("lead", ""), body=d.get("body", ""),
                  published_at=d["published_at"], informal=bool(d.get("informal")))
        assert back.add(d["id"], **kw) == c.add(d["id"], **kw)


@pytest.mark.parametrize("reload_at", [0, 97])
def test_vectors_out_of_memory_give_the_same_stories(reload_at):
    """With dormant stories' vectors out of memory (read back from a store when a dormant story is
    scored, summarised or woken up), every assignment, headline and keyword list is the same, saved
    and reloaded halfway or not; the saved state then holds no vector or title of a stored document."""
    from kiemchung.stories.cluster import StoryClusterer

    docs = fixture_stream()
    vault = Vault()
    assert run_stream(docs, reload_at=reload_at, vault=vault) == run_stream(docs)
    assert vault.reads > 0 and len(vault.rows) > len(docs) // 3
    c = StoryClusterer()
    c.attach_vault(vault.read)
    for d in docs:
        c.add(d["id"], title=d.get("title", ""), lead=d.get("lead", ""), body=d.get("body", ""),
              published_at=d["published_at"], informal=bool(d.get("informal")))
    vault.write(c)
    table = c.state()["doc_table"]
    away = set(table["away"])
    assert away and all(table["lengths"][k] == 0 and table["title"][k] == "" for k in away)
    # (documents read back for a while count as stored: they are)
    assert len(away) >= sum(1 for d in c._docs.values() if d.away) > 0


@pytest.mark.parametrize("reload_at", [0, 97])
def test_packed_documents_with_numeric_ids_give_the_same_stories(monkeypatch, reload_at):
    """Documents out of memory are packed (records._DocTable: no _Doc each, their numeric ids in sorted
    arrays, merged here every 16 ids): with the story stage's kind of ids (decimal strings), every
    assignment, headline and keyword list is the one with every document in memory."""
    from kiemchung.stories import records

    monkeypatch.setattr(records, "_MERGE_AT", 16)
    monkeypatch.setattr(records, "_SERIES_MERGE_AT", 4)
    docs = [dict(d, id=str(k + 1)) for k, d in enumerate(fixture_stream())]
    assert run_stream(docs, reload_at=reload_at, vault=Vault()) == run_stream(docs)


@pytest.mark.parametrize("spill", [None, "before", "after"])
def test_document_table_packs_and_reads_back(monkeypatch, spill):
    """records._DocTable, alone: a packed document reads back with the same values (and ``away``), a
    change to it is kept when it is packed again, and length, membership, iteration and ``get`` count
    packed documents as the dict counts the others; ids that are not canonical decimals work too.
    The same with the decimal ids' records on disk (``spill``), from the start or once packed."""
    from kiemchung.stories import records, scratch
    from kiemchung.stories.records import _NO_TERMS, _NO_TFS, _Doc, _DocTable

    monkeypatch.setattr(records, "_MERGE_AT", 4)
    monkeypatch.setattr(scratch, "DISK_CHUNK", 3)
    monkeypatch.setattr(scratch, "UNWRITTEN_DOCS", 5)
    table = _DocTable()
    if spill == "before":
        table.spill()
    ids = [str(k) for k in range(40, 0, -1)] + ["0", "007", "a1", "x", "99999999999999999999"]
    for k, d in enumerate(ids):
        away = k % 3 != 0
        table[d] = _Doc(story=k, time=None if k % 5 == 0 else 1.7e9 + k / 3, title="" if away else d,
                        terms=_NO_TERMS, tfs=_NO_TFS, norm=1.0 + k / 7, away=away)
    expect = {d: (doc.story, doc.time, doc.norm, doc.away) for d, doc in table.items()}
    table.pack(ids)
    if spill == "after":
        table.spill()
    if spill:
        # on disk: the decimal ids; "007", "x" and "999..." stay in the arrays
        assert not table._keys and not table._pending and len(table._story) == 3
    assert dict.__len__(table) == sum(1 for k in range(len(ids)) if k % 3 == 0)
    assert len(table) == len(ids) and set(table) == set(ids) and "41" not in table and table.get("41", 5) == 5
    assert {d: (doc.story, doc.time, doc.norm, doc.away) for d, doc in table.items()} == expect
    assert all(d in table for d in ids)
    packed = [d for d in ids if d not in dict.keys(table)]
    assert "8" in packed and "a1" not in packed
    table["8"].story = 1000  # read back into the dict, changed, packed again
    table.pack_loose()
    assert "8" not in dict.keys(table) and table["8"].story == 1000
    table["007"] = _Doc(story=5, time=None, title="t", terms=_NO_TERMS, tfs=_NO_TFS)  # replaced
    assert len(table) == len(ids) and table["007"].title == "t"
    with pytest.raises(KeyError):
        table["41"]
    # read back without a change, then replaced before it is packed again: counted once throughout
    assert table["12"].away and "12" in dict.keys(table) and "11" not in dict.keys(table)
    table["12"] = _Doc(story=77, time=2.0e9, title="", terms=_NO_TERMS, tfs=_NO_TFS, norm=3.0, away=True)
    table["11"] = _Doc(story=78, time=None, title="", terms=_NO_TERMS, tfs=_NO_TFS, norm=3.5, away=True)
    assert len(table) == len(ids) == len(list(table)) == len(list(table.packed_rows())) + dict.__len__(table)
    table.pack(["12", "11"])
    assert {d: (doc.story, doc.time, doc.norm) for d, doc in table.items() if d in ("12", "11")} == {
        "12": (77, 2.0e9, 3.0), "11": (78, None, 3.5)}
    assert len(table) == len(ids) == len(set(table)) and "12" not in dict.keys(table)


@pytest.mark.parametrize(("reload_at", "spill_at"), [(0, 0), (0, 60), (97, 0), (97, 120)])
def test_documents_on_disk_give_the_same_stories(reload_at, spill_at):
    """With the vocabulary, the packed documents and the packed stories on disk
    (``StoryClusterer.spill``, as the story stage does beside an import), from the start or part-way,
    across a reload: every assignment, headline and keyword list is the one with all in memory, and
    documents and stories did go to disk."""
    from kiemchung.stories import scratch
    from kiemchung.stories.cluster import StoryClusterer

    docs = [dict(d, id=str(k + 1)) for k, d in enumerate(fixture_stream())]
    seen = []
    spill = StoryClusterer.spill

    def spy(self):
        spill(self)
        seen.append((sum(1 for _ in self._docs._disk.rows()), self._stories._packed, len(self._stories._at)))

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(StoryClusterer, "spill", spy)
        mp.setattr(scratch, "UNWRITTEN_DOCS", 3)  # written at once: reads from the database
        mp.setattr(scratch, "UNWRITTEN_STORIES", 2)
        got = run_stream(docs, reload_at=reload_at, vault=Vault(), spill_at=spill_at)
    assert got == run_stream(docs, vault=Vault())
    assert max(d for d, _, _ in seen) > 20  # dormant stories' documents were on disk
    assert max(s for _, s, _ in seen) > 5 and max(a for _, _, a in seen) == 0  # and packed stories


@pytest.mark.parametrize("reload_at", [0, 97])
@pytest.mark.parametrize("vault", [False, True])
@pytest.mark.parametrize("older_build", [False, True])
def test_packed_dormant_stories_give_the_same_stories(monkeypatch, reload_at, vault, older_build):
    """Dormant stories are packed (records._StoryTable: no _Story each, their members' numeric ids and
    times in arrays, a _Story again when read): with decimal document ids every assignment, headline
    and keyword list is the one of a clusterer that never packs a story, with or without a vault and
    across a reload, and with a compiled scorer built before it read packed stories (``older_build``:
    the candidates are read back first); and stories were packed."""
    from kiemchung.stories import cluster, records

    if older_build:
        fast = cluster.compiled_scorer()
        if fast is None:
            pytest.skip("no compiled scorer")
        older = type("Older", (), {name: getattr(fast, name) for name in cluster._COMPILED})
        monkeypatch.setattr(cluster, "compiled_scorer", lambda: older)

    docs = [dict(d, id=str(k + 1)) for k, d in enumerate(fixture_stream())]
    packed = []
    pack = records._StoryTable.pack

    def counted(self, numbers):
        done = pack(self, numbers)
        packed.append(done)
        return done

    monkeypatch.setattr(records._StoryTable, "pack", counted)
    got = run_stream(docs, reload_at=reload_at, vault=Vault() if vault else None)
    assert sum(packed) > 5
    monkeypatch.setattr(records._StoryTable, "pack", lambda self, numbers: 0)
    assert got == run_stream(docs, reload_at=reload_at, vault=Vault() if vault else None)


@pytest.mark.parametrize("spill", [False, True])
def test_hand_edits_on_packed_dormant_stories(monkeypatch, spill):
    """A merge, a split and a move of packed dormant stories (decimal document ids) give the stories,
    headlines and saved state they give when no story is packed; the same with the packed stories and
    documents on disk (``spill``)."""
    import datetime as dt

    from kiemchung.stories import records, scratch
    from kiemchung.stories.cluster import ClusterConfig, StoryClusterer

    docs = [dict(d, id=str(k + 1)) for k, d in enumerate(fixture_stream())]
    monkeypatch.setattr(scratch, "UNWRITTEN_STORIES", 3)
    monkeypatch.setattr(scratch, "UNWRITTEN_DOCS", 3)

    def run(on_disk):
        c = StoryClusterer(ClusterConfig(stop_min_docs=50), now=lambda: dt.datetime(2026, 7, 1, tzinfo=dt.UTC))
        if on_disk:
            c.attach_vault(Vault().read)  # (documents are packed only out of memory)
            c.spill()
        for d in docs:
            c.add(d["id"], title=d.get("title", ""), lead=d.get("lead", ""), body=d.get("body", ""),
                  published_at=d["published_at"], informal=bool(d.get("informal")))
        big = [i for i in c.stories(min_docs=3) if not i.active]
        kept = c.merge(big[0].id, big[1].id)
        new = c.split(big[2].id, big[2].doc_ids[:1])
        live = [i for i in c.stories(min_docs=2) if i.active]
        c.merge(live[0].id, big[3].id)
        moved = c.move(big[4].doc_ids[0], title="Bão số 3 đổ bộ", published_at="2026-06-01T08:00:00+07:00")
        state = c.state()
        d = StoryClusterer.from_state(json.loads(json.dumps(state)), now=c._now)
        assert len(c._stories) == len(state["stories"]) == len(list(c._stories.values()))
        packed.append(c._stories._packed + d._stories._packed)
        return (c.assignments(), [(i.id, i.headline, i.keywords, i.doc_count, i.active) for i in c.stories()],
                kept, new, moved, state["stories"], d.assignments(), c.stats())

    packed: list[int] = []
    got = run(spill)
    monkeypatch.setattr(records._StoryTable, "pack", lambda self, numbers: 0)
    assert got == run(False)  # (nothing packed, nothing on disk)
    assert packed[0] > 5 and packed[1] == 0


def test_story_table_drops_unused_member_slots(monkeypatch):
    """Stories read back and packed again with more members leave their old slots; once those are
    more than the members held, the member array is rebuilt with the same stories."""
    from kiemchung.stories import records
    from kiemchung.stories.records import _NO_CENTROID, _NOT_INDEXED, _Story, _StoryTable

    monkeypatch.setattr(records, "_STORY_COMPACT_AT", 0)
    table = _StoryTable()
    for s in range(1, 30):
        table[s] = _Story(sid=f"st-{s}", docs=[str(100 * s)], centroid=_NO_CENTROID, first=float(s), last=float(s),
                          active=False, indexed=_NOT_INDEXED)
    table.pack(range(1, 30))
    for rounds in range(1, 4):
        for s in range(1, 30, 2):
            table[s].docs.append(str(100 * s + rounds))  # read back, one member more: a new slot
        table[7]  # read back unchanged, not packed yet (its slot is forgotten by a compaction)
        table.pack([s for s in table.take_loose() if s != 7])
        assert len(table._ids) - table._live <= table._live
        table.pack([7])
    assert len(table) == 29 and dict.__len__(table) == 0
    for s in range(1, 30):
        assert table[s].docs == [str(100 * s)] + ([str(100 * s + k) for k in range(1, 4)] if s % 2 else [])
        assert table[s].first == float(s)


@pytest.mark.parametrize("spill", [None, "before", "after"])
def test_story_table_packs_and_reads_back(monkeypatch, spill):
    """records._StoryTable, alone: a packed story reads back with the same values, a change to it is
    kept when it is packed again, length, membership, iteration (story number order), ``get``,
    deletion and the reads that do not unpack (sid, live, dormant) count packed stories as the dict
    counts the others; a story that cannot be packed stays as it is. The same with the packed
    stories on disk (``spill``), from the start or once some are packed."""
    from kiemchung.stories import scratch
    from kiemchung.stories.records import _NO_CENTROID, _NOT_INDEXED, _Story, _StoryTable

    monkeypatch.setattr(scratch, "UNWRITTEN_STORIES", 2)
    monkeypatch.setattr(scratch, "DISK_CHUNK", 2)
    table = _StoryTable()
    if spill == "before":
        table.spill()

    def dormant(s, docs, first=1.7e9, last=1.7e9 + 5):
        return _Story(sid=f"st-{s}", docs=list(docs), centroid=_NO_CENTROID, first=first, last=last,
                      active=False, indexed=_NOT_INDEXED)

    table[1] = _Story(sid="st-1", docs=["1"], centroid={3: 1.0}, first=1.7e9, last=1.7e9)  # active
    table[2] = dormant(2, ["2", "3"])
    table[3] = dormant(3, ["4"], first=None, last=None)
    table[5] = dormant(5, ["a5"])  # not a decimal id: stays
    table[6] = _Story(sid="x-6", docs=["6"], centroid=_NO_CENTROID, active=False, indexed=_NOT_INDEXED)
    table[7] = dormant(7, ["7", "8", "9"])
    expect = {s: (st.sid, list(st.docs), st.first, st.last, st.active) for s, st in table.items()}
    assert table.pack([1, 2, 3, 5, 6, 7, 9]) == 3
    if spill == "after":
        table.spill()
    if spill:
        assert not table._ids and not table._at and table._flag[2] == table._flag[7] == 1
    assert dict.__len__(table) == 3 and len(table) == 6 and list(table) == [1, 2, 3, 5, 6, 7]
    assert {s: (st.sid, list(st.docs), st.first, st.last, st.active) for s, st in table.items()} == expect
    assert 2 in table and 4 not in table and table.get(4, "none") == "none"
    assert table.sid(7) == "st-7" and table.live(7) is None and table.dormant(7) and not table.dormant(1)
    assert dict.__len__(table) == 3 and table.take_loose() == []
    story = table[7]  # read back into the dict, changed, packed again (a longer member list)
    assert story.centroid is _NO_CENTROID and story.indexed is _NOT_INDEXED and not story.active
    story.docs.append("10")
    story.last = 1.7e9 + 9
    assert table.take_loose() == [7] and table.pack([7]) == 1
    assert table[7].docs == ["7", "8", "9", "10"] and table[7].last == 1.7e9 + 9
    table[7].docs.pop()
    assert table.pack(table.take_loose()) == 1 and table[7].docs == ["7", "8", "9"]  # its slot again
    table.pack(table.take_loose())
    del table[2]
    assert 2 not in table and len(table) == 5 and list(table) == [1, 3, 5, 6, 7]
    with pytest.raises(KeyError):
        table[2]
    with pytest.raises(KeyError):
        table.sid(2)
    table[3] = dormant(3, ["11"])  # replaced
    assert table[3].docs == ["11"] and len(table) == 5
    if spill:  # what waits to be written stays bounded
        assert len(table._disk._unwritten) < scratch.UNWRITTEN_STORIES


def test_compiled_scorer_reads_packed_stories():
    """The compiled select and best_lexical read a packed dormant story (records._StoryTable) as
    ``stories[s]`` does: back in the dict, with the same answer as for the story never packed."""
    from kiemchung.stories.cluster import compiled_scorer
    from kiemchung.stories.records import _NO_CENTROID, _NOT_INDEXED, _Story, _StoryTable

    fast = compiled_scorer()
    if fast is None or not hasattr(fast, "STORY_TABLE"):
        pytest.skip("no compiled scorer that reads packed stories")

    def stories() -> dict:
        out = {s: _Story(sid=f"st-{s}", docs=[str(10 * s + k) for k in range(s)], centroid=_NO_CENTROID,
                         first=1.7e9 + s, last=1.7e9 + 9 * s, active=False, indexed=_NOT_INDEXED) for s in range(1, 6)}
        out[6] = _Story(sid="st-6", docs=["60"], centroid={1: 0.5, 2: 0.25}, first=1.7e9, last=1.7e9, indexed={1, 2})
        return out

    acc = {1: 0.5, 2: 0.75, 3: 0.75, 4: 0.1, 5: 0.9, 6: 0.3}
    plain = stories()
    table = _StoryTable()
    for s, st in stories().items():
        table[s] = st
    assert table.pack(range(1, 7)) == 5
    for when in (None, 1.7e9 + 20):
        args = (dict(acc), 4, 3, 0.5)
        assert fast.select(*args, table, 40, 10, when, 5.0) == fast.select(*args, plain, 40, 10, when, 5.0)
    assert dict.__len__(table) > 1
    table.pack(table.take_loose())
    q2 = {1: 1.0, 2: 0.5}
    assert fast.best_lexical(table, [5, 6, 2], q2, 1.2) == fast.best_lexical(plain, [5, 6, 2], q2, 1.2)
    with pytest.raises(KeyError):
        fast.best_lexical(table, [7], q2, 1.2)


def test_story_id_index_answers_as_a_dict():
    """records._SidIndex: the id ``st-N`` of story N is answered from the story table (packed or
    not) without an entry of its own; any other id is stored; a deleted story's id is gone."""
    from kiemchung.stories.records import _NO_CENTROID, _NOT_INDEXED, _SidIndex, _Story, _StoryTable

    table = _StoryTable()
    index = _SidIndex(table)
    for s, sid in ((1, "st-1"), (2, "st-2"), (6, "x-6"), (8, "st-08")):
        table[s] = _Story(sid=sid, docs=[str(s)], centroid=_NO_CENTROID, active=False, indexed=_NOT_INDEXED)
        index[sid] = s
    table.pack([1, 2, 6, 8])
    assert dict.__len__(index) == 2 and dict.__len__(table) == 2  # x-6 and st-08 stored, not packed
    assert index["st-1"] == 1 and index["st-2"] == 2 and index["x-6"] == 6 and index["st-08"] == 8
    assert "st-6" not in index and "st-8" not in index and "st-3" not in index and index.get("st-9", 0) == 0
    assert sorted(index) == ["st-08", "st-1", "st-2", "x-6"] and len(index) == 4
    assert dict(index.items()) == {"st-1": 1, "st-2": 2, "x-6": 6, "st-08": 8}
    del table[2]
    del index["st-2"]
    del table[6]
    del index["x-6"]
    assert "st-2" not in index and "x-6" not in index and len(index) == 2
    with pytest.raises(KeyError):
        index["st-2"]
    with pytest.raises(KeyError):
        del index["y-1"]


def test_hand_edits_on_stories_out_of_memory():
    """A merge and a split of dormant stories whose vectors are stored give the stories (and the
    headlines) they give with every vector in memory."""
    import datetime as dt

    from kiemchung.stories.cluster import ClusterConfig, StoryClusterer

    docs = fixture_stream()

    def run(vault):
        c = StoryClusterer(ClusterConfig(stop_min_docs=50), now=lambda: dt.datetime(2026, 7, 1, tzinfo=dt.UTC))
        if vault is not None:
            c.attach_vault(vault.read)
        for d in docs:
            c.add(d["id"], title=d.get("title", ""), lead=d.get("lead", ""), body=d.get("body", ""),
                  published_at=d["published_at"], informal=bool(d.get("informal")))
        if vault is not None:
            vault.write(c)
        big = [i for i in c.stories(min_docs=3) if not i.active]
        kept = c.merge(big[0].id, big[1].id)
        new = c.split(big[2].id, big[2].doc_ids[:1])
        live = [i for i in c.stories(min_docs=2) if i.active]
        c.merge(live[0].id, big[3].id)  # a dormant story into an active one: its vectors come back
        if vault is not None:
            assert not any(c._docs[d].away for d in c.story(live[0].id).doc_ids)
        return c.assignments(), [(i.id, i.headline, i.keywords) for i in c.stories()], kept, new

    assert run(Vault()) == run(None)


def _reference_summary(c, sid: str, keywords: int) -> tuple[str, list[str]]:
    """A story's headline and keywords computed plainly, term by term (the formula of
    StoryClusterer._summary before its sums and ranking were moved into C)."""
    import heapq
    import math

    from kiemchung.stories.features import is_entity

    st = c._stories[c._sid_index(sid)]
    idf = c._new_memo()
    cent = c._centroid(st)
    weight = {i: v * idf[i] for i, v in cent.items()}
    top = heapq.nlargest(keywords * 3, [(w, -i) for i, w in weight.items()])
    stop = c.config.stop_df_ratio * c._n if c._n >= c.config.stop_min_docs else math.inf
    plain = [w for w in (c._terms[-j] for _, j in top if not c._df[-j] > stop) if not is_entity(w)][:keywords]
    best, best_score = "", -1.0
    back = c._restore(st.docs[:200])
    for d in st.docs[:200]:
        doc = c._docs[d]
        if not doc.title:
            continue
        dot = norm = 0.0
        for i, v in zip(doc.terms, doc.tfs, strict=True):
            x = v * idf[i]
            norm += x * x
            w = weight.get(i)
            if w is not None:
                dot += x * w
        score = dot / (math.sqrt(norm) or 1.0)
        if score > best_score:
            best, best_score = doc.title, score
    c._drop(back)
    return best, plain


@pytest.mark.parametrize("spill, slack", [(False, 4), (True, 4), (True, 0)])
def test_summaries_are_the_plain_formula_s_exactly(monkeypatch, spill, slack):
    """Headlines and keywords (what the story stage stores after every batch) are the ones of the plain
    term-by-term formula, to the float: stories active and dormant, vectors in memory and out of it,
    the vocabulary in memory or on disk (``spill``), prefetched for a batch (as the stage does) or not,
    the candidates' texts read a few (``slack``: 0, often more than one step for the entities) or more
    at a time."""
    import datetime as dt

    from kiemchung.stories import cluster
    from kiemchung.stories.cluster import ClusterConfig, StoryClusterer

    monkeypatch.setattr(cluster, "KEYWORD_SLACK", slack)

    vault = Vault(every=5)
    c = StoryClusterer(ClusterConfig(dormant_days_cached=2, stop_min_docs=50),
                       now=lambda: dt.datetime(2026, 7, 1, tzinfo=dt.UTC))
    c.attach_vault(vault.read)
    compared = dormant = 0
    for k, d in enumerate(fixture_stream()):
        c.add(d["id"], title=d.get("title", ""), lead=d.get("lead", ""), body=d.get("body", ""),
              published_at=d["published_at"], informal=bool(d.get("informal")))
        if k % 5 == 0:
            vault.write(c)
        if spill and k == 40:
            c.spill()
            assert type(c._terms).__name__ == "SpilledTable"
        if k % 17 == 0 or k > 160:
            for st in list(c._stories.values()):
                sid = st.sid
                if st.docs:
                    for n in (3, 20):
                        assert c.summary(sid, keywords=n) == _reference_summary(c, sid, n)
                    with c.same_idf():
                        assert c.summary(sid, keywords=20) == _reference_summary(c, sid, 20)
                    compared += 1
                    dormant += not st.active
            sids = [st.sid for st in c._stories.values() if st.docs]
            for n in (3, 20):
                with c.same_idf():  # a batch's summaries: half of the stories prefetched (some twice)
                    c.prefetch_summaries(sids[::2] + sids[:3], keywords=n)
                    for sid in sids:
                        assert c.summary(sid, keywords=n) == _reference_summary(c, sid, n)
                    assert not c._ranks  # each prefetched story summarised once, its ranking then dropped
    assert compared > 100 and dormant > 10  # the comparison saw both kinds of story
    with pytest.raises(RuntimeError):
        c.prefetch_summaries(sids[:1])  # outside a same_idf block


@pytest.mark.parametrize("spill_at", [None, 0, 300])
def test_occurrence_table_answers_as_a_dict(monkeypatch, spill_at):
    """records._OccurrenceTable (series occurrences, packed once there are more than a few): ``get``,
    ``setdefault``, assignment and ``len`` give what a dict gives, ``items`` lists the same pairs, and
    keys that do not pack (another day form, a template outside 32 bits) work too; also with the
    packed ones on disk (``spill``), from the start or part-way."""
    import random

    from kiemchung.stories import records, scratch
    from kiemchung.stories.records import _OccurrenceTable

    monkeypatch.setattr(records, "_OCC_MERGE_AT", 8)
    monkeypatch.setattr(scratch, "DISK_CHUNK", 5)
    rng = random.Random(5)
    table, want = _OccurrenceTable(), {}
    templates = [0, 1, 2**31 - 1, 2**31, 3202169934, 2**32 - 1, 2**32, -3]
    days = ["2025-01-01", "2026-06-30", "1990-01-01", "unknown", "2026-12-31"]
    for step in range(600):
        if step == spill_at:
            table.spill()
        key = (rng.choice(templates), rng.choice(days))
        story = rng.randrange(100_000)
        op = rng.randrange(3)
        if op == 0:
            assert table.setdefault(key, story) == want.setdefault(key, story)
        elif op == 1:
            table[key] = story
            want[key] = story
        else:
            assert table.get(key) == want.get(key)
        assert len(table) == len(want)
    assert len(table._disk if spill_at is not None else table._codes) > 0  # some were packed
    assert dict(table.items()) == want
    assert sorted(table.items()) == sorted(want.items())
    assert table.get((7, "2026-01-01")) is None and table.get((7, "2026-01-01"), -1) == -1


@pytest.mark.parametrize("spill_at", [None, 0, 400])
def test_series_table_answers_as_a_dict(monkeypatch, spill_at):
    """records._SeriesTable (documents' series keys, packed once there are more than a few): ``get``,
    assignment and ``len`` give what a dict gives, ``items`` lists the same pairs, and ids or
    templates that do not pack (not a decimal id, a template outside 32 bits) work too, also when a
    packed document's template is replaced by one that does not pack; also with the packed ones on
    disk (``spill``), from the start or part-way."""
    import random

    from kiemchung.stories import records, scratch
    from kiemchung.stories.records import _SeriesTable

    monkeypatch.setattr(records, "_SERIES_MERGE_AT", 8)
    monkeypatch.setattr(scratch, "DISK_CHUNK", 5)
    rng = random.Random(7)
    table, want = _SeriesTable(), {}
    ids = [str(n) for n in range(40)] + ["007", "a-1", "", str(2**62), "-5"]
    templates = [0, 1, 2**31, 3202169934, 2**32 - 1, 2**32, -3, 2**70]
    for step in range(800):
        if step == spill_at:
            table.spill()
        d = rng.choice(ids)
        if rng.randrange(2):
            key = rng.choice(templates)
            table[d] = key
            want[d] = key
        else:
            assert table.get(d) == want.get(d) and table.get(d, -1) == want.get(d, -1)
        assert len(table) == len(want) and bool(table) == bool(want)
    assert len(table._disk if spill_at is not None else table._ids) > 0  # some were packed
    assert dict(table.items()) == want and len(list(table.items())) == len(want)
    assert table.get("999") is None and table.get("999", -1) == -1 and not _SeriesTable()


def test_tables_never_rescan_entries_that_do_not_pack(monkeypatch):
    """Ids that are not decimal (a library caller's own, such as hashes) never pack; they are kept
    apart, so a merge reads only the newest entries that pack. Kept among those, every assignment
    past the merge size merged again and scanned them all: quadratic in the documents."""
    from kiemchung.stories import records
    from kiemchung.stories.records import _OccurrenceTable, _SeriesTable

    merges = []
    union = records._sorted_union

    def counted(*args):
        merges.append(len(args[2]))
        return union(*args)

    monkeypatch.setattr(records, "_sorted_union", counted)
    monkeypatch.setattr(records, "_SERIES_MERGE_AT", 8)
    monkeypatch.setattr(records, "_OCC_MERGE_AT", 8)
    series, occurrences = _SeriesTable(), _OccurrenceTable()
    for n in range(200):
        series[f"d03a{n:04x}"] = n
        occurrences[(n, "unknown")] = n
    assert merges == []
    for n in range(16):
        series[str(n)] = n
    assert merges == [8, 8]  # two merges of the 8 newest decimal ids each
    assert len(series) == 216 and series.get("d03a0005") == 5 and series.get("3") == 3
    assert len(occurrences) == 200 and occurrences.get((7, "unknown")) == 7
