"""Story keywords as words (underthesea segmentation) and the slow stages' background process."""

from __future__ import annotations

import time

from factories import make_doc

from kiemchung.ingest import Ingestor
from kiemchung.pipeline import Pipeline, SlowStages, run_slow_round
from kiemchung.stories.keywords import KeywordStage, story_words
from kiemchung.stories.service import list_stories

TITLES = [
    "Nước máy ở phường Bến Đò đục ngầu suốt ba ngày",
    "Người dân Bến Đò phản ánh nước máy đục ngầu, công ty cấp nước nói gì",
    "NƯỚC MÁY ĐỤC NGẦU Ở BẾN ĐÒ, MỌI NGƯỜI CẨN THẬN",
    "nuoc may ben do duc ngau qua troi",
]


def test_story_words_are_readable_words():
    words = story_words(TITLES, ["nuoc_may", "duc_ngau", "ben_do", "may_duc"])
    assert words[:3] == ["nước máy", "đục ngầu", "Bến Đò"]
    assert "may đục" not in words and "may_duc" not in words  # an index term across a word boundary
    assert all(not w.isupper() for w in words)  # shouting is lower-cased
    assert story_words([], ["nuoc_may"]) == []
    assert story_words(["nuoc may duc ngau"], []) == []  # unaccented only: nothing unreliable shown


def test_keyword_stage_updates_stories_that_grew(db):
    Ingestor(db).add([make_doc(t, "", url=f"https://bao.example/{i}.html", day=1) for i, t in enumerate(TITLES[:2])])
    Pipeline(db).run()
    story = list_stories(db, min_docs=2)[0]
    assert "_" in " ".join(story.keywords)  # before the slow stage: index terms
    report = KeywordStage(db).run()
    assert report.stories >= 1 and report.documents >= 2
    story = list_stories(db, min_docs=2)[0]
    assert "nước máy" in story.keywords and story.terms
    assert KeywordStage(db).run().stories == 0  # nothing grew: nothing to do
    Ingestor(db).add([make_doc(TITLES[2], "", url="https://bao.example/2.html", day=2)])
    Pipeline(db).run()
    assert KeywordStage(db).pending(10)  # the story grew
    assert run_slow_round(db, ner=False)["keywords"] >= 1


def test_slow_stages_process_runs_and_stops(db):
    Ingestor(db).add([make_doc(t, "Tại tỉnh Lam Giang.", url=f"https://bao.example/{i}.html", day=1)
                      for i, t in enumerate(TITLES[:2])])
    Pipeline(db).run()
    slow = SlowStages(db, ner=False, pause_s=0.2).start()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and KeywordStage(db).pending(10):
            time.sleep(0.2)
    finally:
        slow.stop()
    assert not KeywordStage(db).pending(10)
    assert slow._process is not None and not slow._process.is_alive()


def test_story_words_skip_empty_and_other_language_texts():
    # Empty, missing and blank texts count for nothing (not even in the share of texts a word is in).
    noisy = ["", None, "   ", *TITLES[:2]]
    assert story_words(noisy, ["nuoc_may", "duc_ngau"]) == story_words(TITLES[:2], ["nuoc_may", "duc_ngau"])
    # Other languages give no words (English lower case reads as unaccented text, which is not shown;
    # Chinese gives no word that passes the filters): the story then shows its index terms instead.
    assert story_words(["Heavy rain floods the streets", "Heavy rain: streets flooded"], ["rain"]) == []
    assert story_words(["岘港暴雨导致街道被淹", "岘港暴雨"], []) == []
    mixed = ["Heavy rain floods the streets", *TITLES[:2]]
    assert story_words(mixed, ["nuoc_may"])[0] == "nước máy"
