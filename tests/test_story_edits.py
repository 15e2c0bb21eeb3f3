"""Hand edits of stories (merge, split): applied to the tables at once without the clusterer's state,
journalled, replayed by every stage, and respected by later assignment. Real SQLite files; the text is
invented."""

from __future__ import annotations

import pytest
from factories import make_doc
from sqlalchemy import select
from test_stories_service import BRIDGE, FLOOD

from kiemchung.errors import NotFoundError, QueryError
from kiemchung.ingest import Ingestor
from kiemchung.stories import service
from kiemchung.stories import tables as st
from kiemchung.stories.service import StoryStage, get_story, merge_stories, split_story, story_of_document

# Every test here that takes ``db`` runs on SQLite and on PostgreSQL (tests/conftest.py: any_db).
pytestmark = pytest.mark.pg_fulltext


@pytest.fixture
def db(any_db):
    return any_db


def load(db, items, day0=3, tag="a"):
    docs = [make_doc(t, lead, url=f"https://lamson.example/{tag}{i}-{day0}", day=day0 + i % 2)
            for i, (t, lead) in enumerate(items)]
    return Ingestor(db).add(docs)


def saved_state_row(db):
    with db.read() as conn:
        return conn.execute(select(st.cluster_state)).first()


def stored(db, story_id):
    with db.read() as conn:
        return conn.execute(select(st.stories).where(st.stories.c.id == story_id)).first()


@pytest.fixture
def two_stories(db):
    load(db, FLOOD)
    load(db, BRIDGE, day0=5, tag="b")
    StoryStage(db).run()
    return story_of_document(db, 1).id, story_of_document(db, 4).id


def test_edits_change_the_tables_without_touching_the_saved_state(db, two_stories):
    flood, bridge = two_stories
    before = saved_state_row(db)
    assert merge_stories(db, flood, bridge, user="bientap") == flood
    assert {story_of_document(db, i).id for i in range(1, 6)} == {flood}
    row = stored(db, bridge)
    assert row.status == "merged" and row.merged_into == flood and row.doc_count == 0
    assert stored(db, flood).doc_count == 5
    new = split_story(db, bridge, [4, 5], user="bientap")  # a merged id resolves to the story kept
    assert {story_of_document(db, i).id for i in (4, 5)} == {new}
    assert stored(db, new).doc_count == 2 and stored(db, flood).doc_count == 3
    assert stored(db, new).headline in {t for t, _ in BRIDGE}
    after = saved_state_row(db)
    assert (after.updated_at, after.state) == (before.updated_at, before.state)  # nothing loaded or saved
    with db.read() as conn:
        manual = dict(conn.execute(select(st.story_documents.c.doc_id, st.story_documents.c.manual)).all())
    assert manual == {1: False, 2: False, 3: False, 4: True, 5: True}  # only moved documents
    assert [e["kind"] for e in get_story(db, flood).edits] == ["merge", "split"]
    assert [e["kind"] for e in get_story(db, new).edits] == ["split"]


def test_a_running_stage_replays_the_journal_and_later_documents_follow_it(db, two_stories):
    flood, bridge = two_stories
    watch = StoryStage(db)
    watch.clusterer  # loaded before the edits, like a long-running watch process  # noqa: B018
    new = split_story(db, flood, [3])
    merge_stories(db, flood, bridge)
    load(db, BRIDGE, day0=6, tag="c")  # two more documents about the bridge
    assert watch.run() == 2
    assert watch.clusterer.story_of("3") != watch.clusterer.story_of("1")  # the split replayed
    assert watch.clusterer.story_of("4") == watch.clusterer.story_of("1")  # the merge replayed
    assert {story_of_document(db, i).id for i in (6, 7)} <= {flood, new}
    assert story_of_document(db, 3).id == new
    # The state saved by the run carries the journal position: a new stage does not apply them again.
    fresh = StoryStage(db)
    assert fresh.clusterer.assignments() == watch.clusterer.assignments()
    assert fresh._edit_id == watch._edit_id > 0


def test_a_split_story_gets_the_new_documents_of_its_event(db, two_stories):
    flood, bridge = two_stories
    merge_stories(db, flood, bridge)
    new = split_story(db, flood, [4, 5])
    assert stored(db, new).key.startswith("hand-")
    Ingestor(db).add([make_doc(*BRIDGE[0], url="https://c.example/cau", day=6)])
    StoryStage(db).run()  # a new process: loads the saved state and replays both edits
    assert story_of_document(db, 6).id == new
    assert stored(db, new).doc_count == 3


def test_documents_placed_by_hand_are_never_moved_by_assignment(db):
    load(db, FLOOD)
    stage = StoryStage(db)
    stage.run()
    flood = story_of_document(db, 1).id
    load(db, FLOOD, day0=7, tag="d")  # three more flood documents, assigned but not yet saved
    stage.run(limit=3)
    with db.write() as conn:  # as after a crash before the save: the saved state is behind the table
        conn.execute(st.cluster_state.update().values(last_doc_id=3))
    state_before = saved_state_row(db).state
    new = split_story(db, flood, [5, 6])  # documents the saved state does not know
    assert saved_state_row(db).state == state_before
    again = StoryStage(db)
    assert again.run() == 3  # documents 4-6 re-derived from the saved state
    assert {story_of_document(db, i).id for i in (5, 6)} == {new}
    assert story_of_document(db, 4).id == flood


def test_bad_edits_are_refused_and_change_nothing(db, two_stories):
    flood, bridge = two_stories
    with pytest.raises(QueryError, match="không thuộc câu chuyện"):
        split_story(db, flood, [4])
    with pytest.raises(QueryError, match="giữ lại ít nhất một"):
        split_story(db, flood, [1, 2, 3])
    with pytest.raises(QueryError):
        split_story(db, flood, [])
    with pytest.raises(NotFoundError):
        merge_stories(db, flood, 999_999)
    assert merge_stories(db, flood, flood) == flood  # merging a story with itself changes nothing
    with db.read() as conn:
        assert conn.execute(select(st.story_edits)).first() is None
    assert {story_of_document(db, i).id for i in (1, 2, 3)} == {flood}
    assert service.find_story(db, bridge).doc_count == 2


def test_a_stage_that_never_loaded_takes_a_newer_position_on_save(db, two_stories):
    idle = StoryStage(db)  # created before another process saves; never used
    load(db, FLOOD, day0=8, tag="e")
    StoryStage(db).run()
    assert idle.save() is False and idle.last_doc_id == 8
    assert idle.save() is True


def test_reassign_moves_a_document_whose_text_arrived_later_and_saves_it(db, two_stories):
    """The OCR stage's path (StoryStage.reassign -> StoryClusterer.move), without Tesseract: a tip stored
    with no words of its own gets its screenshot's text appended to its body, and moves."""
    from kiemchung.store import schema as t

    flood, bridge = two_stories
    load(db, [("Ảnh chụp màn hình", "")], day0=6, tag="tip")
    StoryStage(db).run()
    tip = 6
    alone = story_of_document(db, tip).id
    assert alone not in (flood, bridge)
    with db.write() as conn:  # what OcrStage._join does: the image text appended to the body
        conn.execute(t.documents.update().where(t.documents.c.id == tip)
                     .values(body=BRIDGE[1][0] + ". " + BRIDGE[1][1]))
    assert StoryStage(db).reassign([tip]) == {tip: bridge}
    assert story_of_document(db, tip).id == bridge
    assert stored(db, bridge).doc_count == 3
    row = stored(db, alone)  # the tip's own story was left empty: merged into the one it went to
    assert (row.status, row.merged_into, row.doc_count) == ("merged", bridge, 0)
    # the move is in the saved state: a new stage's clusterer has the tip in the bridge story, once
    fresh = StoryStage(db).clusterer
    assert fresh.story_of(str(tip)) == fresh.story_of("4")
    assert fresh.story(fresh.story_of("4")).doc_count == 3 and len(fresh) == 6
    assert fresh.edits() == []
    # a later report of the bridge still joins; the tip is not placed twice
    load(db, [BRIDGE[0]], day0=7, tag="later")
    StoryStage(db).run()
    assert story_of_document(db, 7).id == bridge and stored(db, bridge).doc_count == 4
    assert StoryStage(db).reassign([tip]) == {}  # the same text again: it stays
