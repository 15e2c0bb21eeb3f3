"""Story keywords as words (underthesea segmentation) and the slow stages' background process."""

from __future__ import annotations

import time

from factories import make_doc

from kiemchung.ingest import Ingestor
from kiemchung.pipeline import Pipeline, SlowStages, run_slow_round
from kiemchung.stories.keywords import KeywordStage, keyphrase_form, story_words
from kiemchung.stories.service import list_stories
import pytest

# Every test here that takes ``db`` runs on SQLite and on PostgreSQL (tests/conftest.py: any_db).
pytestmark = pytest.mark.pg_fulltext


@pytest.fixture
def db(any_db):
    return any_db


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
    assert story.keywords == [] and story.terms  # before the slow stage: no keywords (never index terms)
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


# ------------------------------------------------------------- keyphrases, not fragments (issue 18)
# The demo showed "huyen_ngoc, tra_thu, tai_huyen" (index terms) and "doc ca, ta bao, ngau nguoi".

SWIM = [
    "Dạy bơi miễn phí cho trẻ em huyện Ngọc Trà",
    "Huyện Ngọc Trà mở lớp dạy bơi miễn phí, thu hút hơn 300 trẻ em",
    "Trẻ em huyện Ngọc Trà học bơi miễn phí trong dịp hè",
]
RUMOUR = [
    "Nhà mình ở Bến Đò, nước máy đục ngầu, người ta bảo nước bị nhiễm độc, cả nhà phải mua nước bình.",
    "Nghe nói nước máy Bến Đò bị nhiễm độc nên mới đục ngầu như vậy, chia sẻ cho người nhà biết nhé.",
    "KHẨN CẤP!!! NƯỚC MÁY BẾN ĐÒ BỊ NHIỄM ĐỘC, ĐỪNG DÙNG NẤU ĂN NHA MN",
    "nuoc may ben do bi nhiem doc, ca nha phai mua nuoc binh",
]


def _whole_words_with_diacritics(words: list[str], texts: list[str]) -> None:
    joined = " ".join(texts)
    for w in words:
        assert "_" not in w and all(p.isalpha() for p in w.split()), w
        assert not w.isascii() or w.split()[0][:1].isupper(), w  # diacritics, or a name
        assert w in joined or w.lower() in joined.lower(), w  # as written in the texts
    return None


def test_story_keywords_are_whole_words_with_diacritics():
    terms = ["huyen_ngoc", "tra_thu", "tai_huyen", "boi_mien", "boi", "em"]
    words = story_words(SWIM, terms)
    assert {"miễn phí", "trẻ em", "Ngọc Trà"} <= set(words)
    assert not {"huyện Ngọc", "Trà thu", "tại huyện"} & set(words)
    _whole_words_with_diacritics(words, SWIM)
    terms = ["mua_nuoc", "phai_mua", "nha_phai", "ca_nha", "doc_ca", "ta_bao", "ngau_nguoi"]
    words = story_words(RUMOUR, terms)
    assert {"nước máy", "nhiễm độc", "đục ngầu", "Bến Đò"} <= set(words)
    assert not {"độc cả", "ta bảo", "ngầu người", "doc ca", "ta bao"} & set(words)
    _whole_words_with_diacritics(words, RUMOUR)


def test_keyphrase_form_respects_phrase_boundaries():
    assert keyphrase_form("nước máy") == "nước máy"
    assert keyphrase_form("Bến Đò") == "Bến Đò"
    assert keyphrase_form("Sở Y tế") == "Sở Y tế"  # an organisation's name
    assert keyphrase_form("UBND") == "UBND"  # an acronym
    assert keyphrase_form("NHIỄM ĐỘC") == "nhiễm độc"  # shouting
    assert keyphrase_form("điện Bích Sơn") == "Bích Sơn"  # the whole name, not the stray syllable
    for fragment in ("link để", "bão nhé", "tuần vì", "ra vào", "Lam dâng", "! dịch", "huyen_ngoc", "5 triệu"):
        assert keyphrase_form(fragment) is None, fragment
    assert keyphrase_form("tai nạn") == "tai nạn"  # function words compared with their diacritics


def test_demo_stories_show_keyphrases_or_nothing(tmp_path):
    import io

    from rich.console import Console

    from kiemchung.cli.demo import run_demo
    from kiemchung.store import Database

    path = tmp_path / "demo.db"
    run_demo(path, Console(file=io.StringIO(), width=120))
    db = Database(path)
    try:
        stories = list_stories(db, min_docs=2, limit=1000)
        shown = [w for s in stories for w in s.keywords]
        assert len(shown) >= len(stories)  # most stories have some
        for w in shown:
            assert "_" not in w and all(p.isalpha() for p in w.split()), w
            assert not w.isascii() or w[:1].isupper(), w
    finally:
        db.close()
