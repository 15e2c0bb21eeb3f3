"""A tip that is only a screenshot of a known rumour: stored with no words of its own, assigned to a
story by them (none of the rumour's), then the OCR stage reads the screenshot (real Tesseract), the tip
moves to the rumour's story and its queue entry shows the fact-check. A document placed by hand stays
where the editor put it; a long article whose image has some text keeps its story."""

from __future__ import annotations

import datetime as dt

import pytest
from factories import make_doc
from ocr_support import require_ocr

from kiemchung.images import samples

RUMOUR = ("Khẩn cấp: nhà máy nước của thị xã Lam Sơn bị nhiễm độc, người dân tuyệt đối không dùng nước máy "
          "để nấu ăn và uống trong ba ngày tới.")
ARTICLES = [
    ("Tin đồn nhà máy nước Lam Sơn bị nhiễm độc lan trên mạng",
     "Người dân thị xã Lam Sơn hoang mang vì tin nhà máy nước bị nhiễm độc, không được dùng nước máy nấu ăn."),
    ("Lam Sơn bác tin nhà máy nước bị nhiễm độc",
     "Ủy ban thị xã Lam Sơn khẳng định nước máy an toàn, tin nhà máy nước bị nhiễm độc là sai sự thật."),
    ("Nước máy Lam Sơn vẫn an toàn, người dân đừng hoang mang",
     "Công ty cấp nước thị xã Lam Sơn cho biết nhà máy nước không bị nhiễm độc, nước máy vẫn dùng nấu ăn được."),
]
OTHER = [
    ("Giá lúa hè thu tăng mạnh", "Nông dân đồng bằng phấn khởi vì giá lúa hè thu tăng mạnh so với năm ngoái."),
    ("Giá lúa tăng, thương lái tranh mua", "Thương lái tranh mua lúa hè thu khi giá lúa tăng mạnh ở đồng bằng."),
]


@pytest.fixture
def db(any_db):
    any_db.set_setting("match_semantic", "off")
    return any_db


def _story(db, doc_id):
    from kiemchung.stories.service import story_of_document

    s = story_of_document(db, doc_id)
    return s.id if s is not None else None


def test_screenshot_only_tip_joins_the_rumours_story_and_is_matched_after_ocr(db):
    require_ocr()
    from kiemchung.claims.factchecks import create_factcheck, publish_factcheck
    from kiemchung.images.ocr_stage import OcrStage
    from kiemchung.ingest import Ingestor
    from kiemchung.pipeline import Pipeline
    from kiemchung.tips import TipImage, get_tip, match_tips, submit_tip

    fc = create_factcheck(db, "Nhà máy nước thị xã Lam Sơn bị nhiễm độc, người dân không được dùng nước máy",
                          "false", "Nước máy Lam Sơn an toàn.", editor="lan",
                          evidence=["https://lamson.example/tb.html"])
    publish_factcheck(db, fc.id, "lan")
    Ingestor(db).add([make_doc(t, b, url=f"https://bao.example/{i}", day=2 + i) for i, (t, b) in enumerate(ARTICLES)]
                     + [make_doc(t, b, url=f"https://bao.example/lua{i}", day=3) for i, (t, b) in enumerate(OTHER)])
    pipeline = Pipeline(db)
    pipeline.run()
    rumour_story = _story(db, 1)
    assert {_story(db, i) for i in (1, 2, 3)} == {rumour_story}  # the articles make one story

    png = samples.to_png(samples.render(RUMOUR, "chat"))
    at = lambda: dt.datetime(2026, 3, 5, 9, 0, tzinfo=dt.UTC)  # noqa: E731 - days after the articles
    tip, _ = submit_tip(db, images=[TipImage(png, "image/png", "anh.png")], clock=at)
    hand, _ = submit_tip(db, images=[TipImage(png, "image/png", "cung-anh.png")], clock=at)  # the same again
    match_tips(db)
    pipeline.run()
    assert get_tip(db, tip.id).matches == []  # nothing to match yet: no words
    before = _story(db, tip.doc_id)
    assert before is not None and before != rumour_story
    # an editor placed the second tip by hand (split it out of the story it was in): it stays there
    from kiemchung.stories.service import split_story

    members = _members(db, _story(db, hand.doc_id))
    if len(members) > 1:
        split_story(db, _story(db, hand.doc_id), [hand.doc_id], user="lan")
    else:  # alone in its story: mark its placement as the editor's
        _mark_manual(db, hand.doc_id)
    hand_story = _story(db, hand.doc_id)

    report = OcrStage(db).run()
    assert report.documents == 2 and report.restoried == 1 and report.tips == 2
    assert _story(db, tip.doc_id) == rumour_story  # moved by its image text
    assert _story(db, hand.doc_id) == hand_story  # placed by hand: kept
    matched = get_tip(db, tip.id)
    assert matched.matches and matched.matches[0]["factcheck_id"] == fc.id
    # the story's counts follow the move; the stage's later documents still join as before
    from kiemchung.stories.service import find_story

    assert find_story(db, rumour_story).doc_count == 4
    Ingestor(db).add([make_doc("Lam Sơn: nhà máy nước không nhiễm độc", "Thị xã Lam Sơn khẳng định nhà máy nước "
                               "không bị nhiễm độc, người dân dùng nước máy nấu ăn bình thường.",
                               url="https://bao.example/moi", day=6)])
    pipeline.run()
    assert _story(db, db.max_document_id()) == rumour_story
    # run again: nothing new
    again = OcrStage(db).run()
    assert (again.documents, again.restoried) == (0, 0)


def test_long_document_keeps_its_story_when_its_image_has_text(db):
    require_ocr()
    from kiemchung.images.ocr_stage import OcrStage
    from kiemchung.images.store import ImageStore
    from kiemchung.ingest import Ingestor
    from kiemchung.pipeline import Pipeline

    long_body = " ".join(b for _, b in OTHER) * 3
    Ingestor(db).add([make_doc(t, b, url=f"https://bao.example/lua{i}", day=3) for i, (t, b) in enumerate(OTHER)]
                     + [make_doc("Giá lúa hè thu", long_body, url="https://bao.example/lua-dai", day=4)])
    Pipeline(db).run()
    doc_id = db.max_document_id()
    before = _story(db, doc_id)
    ImageStore(db).add(samples.to_png(samples.render(RUMOUR, "chat")), "document", doc_id)
    report = OcrStage(db).run()
    assert report.documents == 1 and report.restoried == 0 and _story(db, doc_id) == before


def _members(db, story_id):
    from sqlalchemy import select

    from kiemchung.stories import tables as st

    with db.read() as conn:
        return list(conn.execute(select(st.story_documents.c.doc_id)
                                 .where(st.story_documents.c.story_id == story_id)).scalars())


def _mark_manual(db, doc_id):
    from sqlalchemy import update

    from kiemchung.stories import tables as st

    with db.write() as conn:
        conn.execute(update(st.story_documents).where(st.story_documents.c.doc_id == doc_id).values(manual=True))
