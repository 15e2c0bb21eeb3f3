"""Stories in the store: streaming assignment, resumption, near-duplicates, hand edits."""

from __future__ import annotations

from factories import make_doc

from kiemchung.ingest import Ingestor
from kiemchung.stories import service
from kiemchung.stories.cluster import StoryClusterer
from kiemchung.stories.service import StoryStage, get_story, list_stories, story_of_document
import pytest

# Every test here that takes ``db`` runs on SQLite and on PostgreSQL (tests/conftest.py: any_db).
pytestmark = pytest.mark.pg_fulltext


@pytest.fixture
def db(any_db):
    return any_db


FLOOD = [
    ("Lũ sông Lam dâng cao, Tây Hà sơ tán 300 hộ dân",
     "Mực nước sông Lam lên nhanh sau mưa lớn, huyện Tây Hà sơ tán khẩn cấp 300 hộ dân ven sông."),
    ("Tây Hà khẩn cấp sơ tán dân vì lũ sông Lam",
     "Huyện Tây Hà đã di dời 300 hộ dân ven sông Lam đến nơi an toàn khi lũ dâng cao."),
    ("Lũ sông Lam: 300 hộ ở Tây Hà phải sơ tán",
     "Chính quyền huyện Tây Hà sơ tán 300 hộ vì nước sông Lam dâng cao trong đêm."),
]
BRIDGE = [
    ("Khánh thành cầu Bến Đá nối Tây Hà và Đông Hà",
     "Cầu Bến Đá dài 1.200 m, vốn 450 tỷ đồng, chính thức thông xe sáng nay."),
    ("Cầu Bến Đá thông xe, rút ngắn đường từ Đông Hà về Tây Hà",
     "Sau hai năm thi công, cầu Bến Đá vốn 450 tỷ đồng đã khánh thành và thông xe."),
]


def load(db, items, day0=3):
    docs = [make_doc(t, lead, url=f"https://lamson.example/{i}-{day0}", day=day0 + i % 2) for i, (t, lead) in enumerate(items)]
    return Ingestor(db).add(docs)


def test_documents_of_one_event_share_a_story_and_others_do_not(db):
    load(db, FLOOD)
    load(db, BRIDGE, day0=5)
    assert StoryStage(db).run() == 5
    flood = {story_of_document(db, i).id for i in (1, 2, 3)}
    bridge = {story_of_document(db, i).id for i in (4, 5)}
    assert len(flood) == 1 and len(bridge) == 1 and flood != bridge
    top = list_stories(db)
    assert [s.doc_count for s in top] == [3, 2]
    detail = get_story(db, top[0].id)
    assert len(detail.documents) == 3 and sum(n for _, n in detail.timeline) == 3


def test_stage_resumes_where_it_stopped_and_never_assigns_twice(db, monkeypatch):
    monkeypatch.setattr(service, "SAVE_EVERY_DOCS", 2)
    load(db, FLOOD)
    first = StoryStage(db)
    assert first.run(batch=2, limit=2) == 2
    second = StoryStage(db)  # a new process: picks up the saved state
    assert second.last_doc_id == 2
    assert second.run() == 1
    assert len({story_of_document(db, i).id for i in (1, 2, 3)}) == 1
    assert StoryStage(db).run() == 0


def test_near_duplicates_always_land_in_the_same_story(db):
    lead = "UBND tỉnh Lam Sơn yêu cầu các huyện kiểm tra toàn bộ hệ thống đê điều trước mùa mưa bão năm nay."
    docs = [
        make_doc("Kiểm tra đê điều trước mùa bão", lead, url="https://a.example/1"),
        make_doc("Chuẩn bị mùa bão: kiểm tra đê", lead + " Hạn chót là cuối tháng.", url="https://b.example/2"),
    ]
    Ingestor(db).add(docs)
    StoryStage(db).run()
    assert story_of_document(db, 1).id == story_of_document(db, 2).id


def test_hand_merge_and_split_are_recorded_and_respected(db):
    load(db, FLOOD)
    load(db, BRIDGE, day0=5)
    stage = StoryStage(db)
    stage.run()
    flood, bridge = story_of_document(db, 1).id, story_of_document(db, 4).id
    kept = stage.merge(flood, bridge, user="bientap")
    assert kept == flood
    assert {story_of_document(db, i).id for i in range(1, 6)} == {flood}
    assert get_story(db, bridge).story.id == flood  # a merged story resolves to the one kept
    new = StoryStage(db).split(flood, [4, 5], user="bientap")
    assert {story_of_document(db, i).id for i in (4, 5)} == {new}
    assert [e["kind"] for e in get_story(db, flood).edits] == ["merge", "split"]
    assert [e["kind"] for e in get_story(db, new).edits] == ["split"]
    # A later document about the bridge follows the split story, not the flood.
    Ingestor(db).add([make_doc(*BRIDGE[0], url="https://c.example/cau", day=6)])
    StoryStage(db).run()
    assert story_of_document(db, 6).id == new


def test_saved_state_of_a_large_story_reloads():
    # Regression: rebuilding a centroid larger than story_terms from a saved state used to raise.
    from kiemchung.stories.cluster import ClusterConfig, StoryClusterer

    c = StoryClusterer(ClusterConfig(story_terms=3, threshold=0.0))
    for i in range(12):
        c.add(str(i), title=f"Lũ sông Lam đợt {i}", lead=f"Xã {i} huyện Tây Hà có {i * 7} hộ bị ngập sâu, ghi nhận lúc {i} giờ.")
    again = StoryClusterer.from_state(c.state())
    assert again.assignments() == c.assignments()


def test_a_stale_stage_takes_another_process_s_split_and_never_writes_with_old_state(db):
    """Two stages stand for two processes (watch and the web app)."""
    load(db, FLOOD)
    watch = StoryStage(db)
    watch.run()
    flood = story_of_document(db, 1).id
    web = StoryStage(db)
    moved = web.split(flood, [3])  # by hand, elsewhere
    load(db, FLOOD, day0=7)  # the same event again: three new documents
    watch.run()  # stale until it notices the other process's save
    assert story_of_document(db, 3).id == moved  # the split holds
    assert {story_of_document(db, i).id for i in (4, 5, 6)} <= {flood, moved}
    assert watch.save() is True and web.save() is False  # web's state is now the stale one: it reloads
    assert web.last_doc_id == watch.last_doc_id == 6
    edits = get_story(db, moved).edits
    assert [e["kind"] for e in edits] == ["split"]


def _flood_apart_then_bridge(db, config) -> tuple[set[str], set[str]]:
    """The three flood reports stored and assigned with ``config`` (its threshold of 0.99 gives each
    report a story of its own), then the join threshold lowered to 0.09, every story marked for the
    pass, and the bridge reports stored and assigned: the flood reports' stories before and after."""
    load(db, FLOOD)
    stage = StoryStage(db, config)
    assert stage.run() == 3
    before = {story_of_document(db, i).id for i in (1, 2, 3)}
    assert len(before) == 3
    # The next batch's pass looks at every story again with a join threshold that takes them in.
    stage.clusterer.config.threshold = 0.09
    stage.clusterer._dirty = set(stage.clusterer._stories)
    load(db, BRIDGE, day0=5)
    assert stage.run() == 2
    return before, {story_of_document(db, i).id for i in (1, 2, 3)}


def test_the_stage_writes_what_the_reconciliation_pass_moves(db):
    from kiemchung.stories.cluster import ClusterConfig
    from kiemchung.stories import tables as st
    from sqlalchemy import select

    before, flood = _flood_apart_then_bridge(
        db, ClusterConfig(threshold=0.99, reconcile_every=100, reconcile_each_batch=True, reconcile_scaled=0.0, reconcile_reassign=False)
    )
    assert len(flood) == 1 and flood <= before
    kept = flood.pop()
    top = list_stories(db)
    assert kept in {s.id for s in top} and sum(s.doc_count for s in top) == 5  # every document counted once
    assert len(get_story(db, kept).documents) == next(s.doc_count for s in top if s.id == kept) >= 3
    with db.read() as conn:
        gone = conn.execute(select(st.stories.c.id, st.stories.c.status, st.stories.c.merged_into, st.stories.c.doc_count)
                            .where(st.stories.c.id.in_(sorted(before - {kept})))).all()
    assert [(r.status, r.merged_into, r.doc_count) for r in gone] == [("merged", kept, 0)] * 2
    assert not {s.id for s in top} & (before - {kept})



@pytest.mark.parametrize("every", [5, 100])
def test_without_a_pass_per_batch_the_stage_writes_the_passes_of_every_n_documents(db, monkeypatch, every):
    # reconcile_each_batch off (the default): no pass after a batch; the pass add runs at the 5th
    # document is written with its batch; with a pass every 100 documents none has run by then, and
    # the pass at the end of the run looks at the run's documents.
    from kiemchung.stories.cluster import ClusterConfig, StoryClusterer

    passes = []
    reconcile = StoryClusterer.reconcile
    monkeypatch.setattr(StoryClusterer, "reconcile", lambda self: passes.append(self._n) or reconcile(self))
    config = ClusterConfig(threshold=0.99, reconcile_every=every, reconcile_scaled=0.0, reconcile_reassign=False)
    before, flood = _flood_apart_then_bridge(db, config)
    assert len(flood) == 1 and flood <= before
    # the first run's end pass (after 3 documents), then add's pass at the 5th document (every 5: the
    # run's end finds nothing left to look at) or the second run's end pass (every 100)
    assert passes == [3, 5]
    # the saved state is the one that made the moves: a new stage reads the flood reports in one story
    fresh = StoryStage(db, config)
    assert fresh.run() == 0
    assert len({fresh.clusterer.story_of(str(i)) for i in (1, 2, 3)}) == 1


def test_a_stage_following_an_ingest_assigns_full_batches_then_the_rest(db):
    """``run(until=...)`` (the story process beside ``kiemchung import``): while the ingest goes on,
    only full batches; once it says it is over, the rest; the same stories as a run after the ingest."""
    load(db, FLOOD)
    looks = []

    def until() -> bool:  # the third look stores two more documents; the fourth says the ingest is over
        looks.append(1)
        if len(looks) == 3:
            load(db, BRIDGE, day0=5)
        return len(looks) >= 4

    batches = []
    assert StoryStage(db).run(batch=2, until=until, poll_s=0.0, progress=batches.append) == 5
    # [1, 2] at once; 3 alone is not a full batch, so it waited for 4; then 5 once the ingest was over
    assert batches == [2, 2, 1]
    flood = {story_of_document(db, i).id for i in (1, 2, 3)}
    bridge = {story_of_document(db, i).id for i in (4, 5)}
    assert len(flood) == 1 and len(bridge) == 1 and flood != bridge
    assert StoryStage(db).run() == 0


def test_terms_numbered_by_the_helper_are_those_of_a_run_without_it(tmp_path, monkeypatch):
    """Beside an import, the helper process numbers each batch's terms with its copy of the vocabulary
    (kiemchung.stories.vocabulary.TermMirror), and the stage keeps its own terms on disk (SpilledTable).
    A run with them, and one stopped after a saved batch and resumed by a new process (a new helper, its
    copy seeded from the saved state), save the same vocabulary, frequencies and stories as a run
    without them."""
    from kiemchung.stories import vocabulary
    from kiemchung.store import Database

    monkeypatch.setattr(service, "SAVE_EVERY_DOCS", 2)
    taken = []
    count = vocabulary.SpilledTable.count  # (a stage following an import keeps its terms on disk)

    def counted(self, doc, df):  # the real method; records whether the helper's ids were taken
        ids = count(self, doc, df)
        taken.append(ids is not None)
        return ids

    monkeypatch.setattr(vocabulary.SpilledTable, "count", counted)
    dbs = [Database(tmp_path / f"{k}.db") for k in range(3)]
    try:
        for d in dbs:
            load(d, FLOOD)
            load(d, BRIDGE, day0=5)
        assert StoryStage(dbs[0]).run(batch=2) == 5 and not taken
        assert StoryStage(dbs[1]).run(batch=2, until=lambda: True, poll_s=0.0) == 5
        assert taken == [True] * 3  # the first batch is numbered here, the copy is seeded after it
        assert StoryStage(dbs[2]).run(batch=2, limit=2, until=lambda: True, poll_s=0.0) == 2
        assert StoryStage(dbs[2]).run(batch=2, until=lambda: True, poll_s=0.0) == 3
        assert taken == [True] * 4

        def saved(d):
            state = StoryStage(d).clusterer.state()
            stories = [story_of_document(d, i).id for i in range(1, 6)]
            return {k: state[k] for k in ("vocab", "df", "n", "series")}, stories

        assert saved(dbs[1]) == saved(dbs[0]) and saved(dbs[2]) == saved(dbs[0])
    finally:
        for d in dbs:
            d.close()


def test_dormant_stories_vectors_are_stored_and_read_back(db):
    """The stage keeps only active stories' document vectors in memory: a story gone dormant has its
    documents' vectors in story_vectors, not in the saved state; a backfilled report of it, assigned by
    a new process, joins it as it would with every vector in memory."""
    import json
    import zlib

    from sqlalchemy import func, select

    from kiemchung.stories import tables as st
    from kiemchung.stories.cluster import StoryClusterer

    old = [make_doc(t, lead, url=f"https://lamson.example/f{i}", day=2) for i, (t, lead) in enumerate(FLOOD[:2])]
    new = [make_doc(t, lead, url=f"https://lamson.example/b{i}", day=20) for i, (t, lead) in enumerate(BRIDGE)]
    Ingestor(db).add(old + new)
    assert StoryStage(db).run() == 4
    with db.read() as conn:
        rows = conn.execute(select(func.count()).select_from(st.story_vectors)).scalar()
        blob = conn.execute(select(st.cluster_state.c.state)).scalar()
    assert rows == 2  # the flood story went dormant when the bridge's days arrived
    table = json.loads(zlib.decompress(blob))["doc_table"]
    # (documents out of memory are kept packed, and listed after the others: found by id)
    away = sorted(table["ids"][k] for k in table["away"])
    assert away == ["1", "2"]
    assert all(table["lengths"][k] == 0 and table["title"][k] == "" for k in table["away"])
    flood = story_of_document(db, 1)
    # a late report of the flood, assigned by a new process that reads the vectors back
    Ingestor(db).add([make_doc(*FLOOD[2], url="https://lamson.example/late", day=3)])
    assert StoryStage(db).run() == 1
    assert story_of_document(db, 5).id == flood.id
    plain = StoryClusterer()
    for i, d in enumerate(old + new + [make_doc(*FLOOD[2], day=3)], start=1):
        plain.add(str(i), title=d.title, lead=d.lead, published_at=d.published_at)
    assert plain.story_of("5") == plain.story_of("1")
    stage = StoryStage(db)
    assert stage.clusterer.story(stage.clusterer.story_of("1")).headline == plain.story(plain.story_of("1")).headline


def test_the_follower_process_assigns_what_an_import_stored(tmp_path):
    """kiemchung.pipeline.Follower, the real second process (and the helper process it starts to
    compute the next batch's features: batches of 2 here)."""
    from kiemchung.pipeline import Follower
    from kiemchung.store import Database

    db = Database(tmp_path / "kc.sqlite")
    follower = Follower(db, batch=2)
    load(db, FLOOD)
    load(db, BRIDGE, day0=5)
    report = follower.finish()
    assert follower.error is None and report is not None and report.counts["stories"] == 5
    assert len({story_of_document(db, i).id for i in (1, 2, 3)}) == 1
    assert StoryStage(db).run() == 0


def test_the_follower_process_bounds_its_text_caches_and_gives_the_bounds_back(monkeypatch, tmp_path):
    """kiemchung.pipeline._follow (the body of the story process that follows an import) runs its
    stages with every text cache bounded to FOLLOWER_TEXT_CACHE entries per generation (with the default
    bound the story process's caches grew all year), and gives the previous bounds back at the end."""
    from kiemchung import pipeline
    from kiemchung.text import core, memo

    core.normalize("Người dân")  # (the caches exist)
    before = [c.cap for c in memo.CACHES]
    seen = []
    from kiemchung import processes

    monkeypatch.setattr(processes, "die_with_parent", lambda parent=None: None)  # (not this test's process)
    monkeypatch.setattr(processes, "fixed_mmap_threshold", lambda: True)
    monkeypatch.setattr(pipeline, "_follow_stages", lambda url, conn, batch: seen.append([c.cap for c in memo.CACHES]))
    pipeline._follow(f"sqlite:///{tmp_path / 'kc.sqlite'}", None)
    assert seen and all(cap == min(c.default, pipeline.FOLLOWER_TEXT_CACHE) for cap, c in zip(seen[0], memo.CACHES))
    assert max(seen[0]) <= pipeline.FOLLOWER_TEXT_CACHE < max(before)
    assert [c.cap for c in memo.CACHES] == before


def test_insert_rows_stores_what_an_insert_statement_stores(db):
    """store.database.insert_rows and update_rows (the stage's story_documents and story_vectors
    inserts, its stories updates) against SQLAlchemy's statements with the same values, on each
    backend: the same rows read back."""
    from sqlalchemy import delete, insert, select, update

    from kiemchung import timeutil
    from kiemchung.store.database import insert_rows, update_rows
    from kiemchung.stories import tables as st

    load(db, FLOOD)
    StoryStage(db).run()
    sd, v = st.story_documents, st.story_vectors
    now = timeutil.now()
    with db.write() as conn:
        story = conn.execute(select(sd.c.story_id)).scalars().first()
        conn.execute(delete(sd))
        conn.execute(insert(sd), [{"doc_id": 1, "story_id": story, "assigned_at": now, "manual": False}])
        insert_rows(conn, sd, ["doc_id", "story_id", "assigned_at", "manual"], [(2, story, now, False), (3, story, now, True)])
        conn.execute(insert(v), [{"doc": "x1", "terms": b"\x01\x00\x00\x00", "tfs": b"\x00\x00\x80?", "title": "Lũ"}])
        insert_rows(conn, v, ["doc", "terms", "tfs", "title"], [("x2", b"\x01\x00\x00\x00", b"\x00\x00\x80?", "Lũ")])
    with db.read() as conn:
        docs = conn.execute(select(sd).order_by(sd.c.doc_id)).all()
        vecs = conn.execute(select(v.c.terms, v.c.tfs, v.c.title).where(v.c.doc.in_(["x1", "x2"])).order_by(v.c.doc)).all()
    assert [tuple(r)[1:] for r in docs] == [(story, now, False), (story, now, False), (story, now, True)]
    assert [(bytes(a), bytes(b), c) for a, b, c in vecs] == [(b"\x01\x00\x00\x00", b"\x00\x00\x80?", "Lũ")] * 2
    s = st.stories
    cols = ["headline", "keywords", "first_seen", "updated_at"]
    with db.write() as conn:
        other = conn.execute(insert(s).values(key="x", headline="", updated_at=now)).inserted_primary_key[0]
        conn.execute(update(s).where(s.c.id == other).values(headline="Lũ sông Lam", keywords=["lũ", "sông"], first_seen=None, updated_at=now))
        update_rows(conn, s, "id", cols, [("Lũ sông Lam", ["lũ", "sông"], None, now, story)])
    with db.read() as conn:
        got = [tuple(r) for r in conn.execute(select(*(s.c[c] for c in cols)).where(s.c.id.in_([story, other])))]
    assert got == [("Lũ sông Lam", ["lũ", "sông"], None, now)] * 2


def test_a_state_saved_in_parts_reloads_and_a_one_row_state_still_loads(db, monkeypatch):
    import zlib

    from sqlalchemy import delete, insert, select

    from kiemchung import timeutil
    from kiemchung.stories import tables as st

    # a small state in several rows (zlib gives its output in a few pieces: one row each)
    monkeypatch.setattr(service, "STATE_PART_BYTES", 1)
    load(db, FLOOD)
    load(db, BRIDGE, day0=5)
    stage = StoryStage(db)
    assert stage.run() == 5
    with db.read() as conn:
        rows = conn.execute(select(st.cluster_state).order_by(st.cluster_state.c.id)).all()
    assert [r.id for r in rows] == list(range(1, len(rows) + 1)) and len(rows) >= 2
    assert {r.last_doc_id for r in rows} == {5}
    blob = b"".join(r.state for r in rows)
    expected = stage.clusterer.assignments()
    assert StoryStage(db).clusterer.assignments() == expected  # reloaded from its parts
    # a state saved in one row (as every save before session 15 wrote it) loads the same
    with db.write() as conn:
        conn.execute(delete(st.cluster_state))
        conn.execute(insert(st.cluster_state).values(
            id=1, last_doc_id=5, state=zlib.compress(zlib.decompress(blob), 3), updated_at=timeutil.now()))
    again = StoryStage(db)
    assert again.clusterer.assignments() == expected
    # and the next save, in parts again, replaces it (no row of the old state left behind)
    again._unsaved = 1
    assert again.save()
    with db.read() as conn:
        parts = conn.execute(select(st.cluster_state.c.state).order_by(st.cluster_state.c.id)).scalars().all()
    assert len(parts) >= 2 and StoryStage(db).clusterer.assignments() == expected


def test_a_helper_copy_followed_by_delta_seeds_numbers_as_the_state(monkeypatch):
    """The helper's side (``_batch_features``, run here) between batches the owner partly numbers
    itself (a stage catching up with the ingest) and documents the helper numbered but the owner did not
    take: the delta seeds it gets keep its copy such that the owner takes its ids again at once, and the
    state (vocabulary, frequencies, stories) is that of a run numbering everything itself."""
    import datetime as dt
    import random

    from kiemchung.stories.cluster import StoryClusterer
    from kiemchung.stories.vocabulary import numbered_docs

    monkeypatch.setattr(service, "_MIRROR", None)  # this process plays the helper
    rng = random.Random(3)
    words = [f"tiếng{k}" for k in range(400)] + ["lũ", "miền", "trung", "bão", "hà", "nội", "giá"]
    t0 = dt.datetime(2026, 10, 1, 8, tzinfo=dt.timezone.utc)
    docs = [
        (k, " ".join(rng.choices(words, k=8)), " ".join(rng.choices(words, k=20)) + f" mới{k}", "", False)
        for k in range(240)
    ]
    plain, helped = StoryClusterer(), StoryClusterer()
    weights = helped.config.field_weights()
    token, full, deltas, taken = None, 0, 0, 0

    def add(c, k, features=None):
        _, title, lead, body, _ = docs[k]
        when = t0 + dt.timedelta(minutes=k)
        return c.add(str(k), title=title, lead=lead, body=body, published_at=when, features=features)

    want = [add(plain, k) for k in range(len(docs))]
    got = []
    for lo in range(0, len(docs), 30):
        seed = None if helped.vocabulary_shared(token) else helped.vocabulary_seed(token)
        if seed is not None:
            full += len(seed) == 3
            deltas += len(seed) == 5
        batch = service._batch_features(weights, docs[lo : lo + 30], seed)
        token = batch[0]
        numbered = numbered_docs(batch)
        for k in range(lo, lo + 30):
            own = k >= lo + 20 and lo % 60 == 0  # caught up: numbered here (the copy is refused after)
            if k >= lo + 25 and lo % 60 == 30:  # numbered by the helper, then left for the next batch
                continue
            shared = helped.vocabulary_shared()
            got.append(add(helped, k, None if own else numbered[k]))
            taken += shared and not own and helped.vocabulary_shared()
        if lo % 60 == 30:
            got += [add(helped, k) for k in range(lo + 25, lo + 30)]
    assert full == 1 and deltas == 7 and taken == 4 * 20 + 4 * 25  # every id the helper numbered for us taken
    assert got == want
    a, b = plain.state(), helped.state()
    assert {k: a[k] for k in ("vocab", "df", "n")} == {k: b[k] for k in ("vocab", "df", "n")}


def test_a_large_story_s_summary_is_kept_until_it_grows_and_reads_back_as_computed(db, monkeypatch):
    """The stage recomputes a story's headline and keywords only once it has grown by SUMMARY_GROWTH
    (here never after the first time): the stored summary stays the one computed then, read back from
    the cache's compact form, with its Vietnamese text (and a lone surrogate) unchanged."""
    monkeypatch.setattr(service, "SUMMARY_MIN_DOCS", 1)
    monkeypatch.setattr(service, "SUMMARY_GROWTH", 1e9)
    cache = service._SummaryCache()
    cache["st-1"] = (9, True, "Lũ sông Lam \ud800 dâng cao", ["sơ tán", "tây hà"])
    assert cache.get("st-1") == (9, True, "Lũ sông Lam \ud800 dâng cao", ["sơ tán", "tây hà"])
    assert cache.pop("st-1") is not None and cache.get("st-1") is None and len(cache) == 0

    computed = []
    summary = StoryClusterer.summary

    def spy(self, story_id, *, keywords=10):
        out = summary(self, story_id, keywords=keywords)
        computed.append((story_id, out))
        return out

    monkeypatch.setattr(StoryClusterer, "summary", spy)
    load(db, FLOOD[:1])
    stage = StoryStage(db)
    assert stage.run() == 1 and len(computed) == 1
    first = story_of_document(db, 1)
    load(db, FLOOD[1:], day0=4)
    assert stage.run() == 2 and len(computed) == 1  # the flood story grew: its summary was not recomputed
    again = story_of_document(db, 3)
    assert again.id == first.id and again.doc_count == 3 and first.doc_count == 1
    assert again.headline == first.headline == computed[0][1][0] == FLOOD[0][0]
    assert again.terms == first.terms == computed[0][1][1] and first.terms
