"""Check-worthy sentence scorer: labelled fixture figures, ordering, reasons, bad input."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from kiemchung.claims.checkworthy import DEFAULT_THRESHOLD, rank_sentences, score_sentence
from kiemchung.models import Document

# Every test here that takes ``db`` runs on SQLite and on PostgreSQL (tests/conftest.py: any_db).
pytestmark = pytest.mark.pg_fulltext


@pytest.fixture
def db(any_db):
    return any_db


FIXTURE = Path(__file__).parent / "fixtures" / "claims" / "checkworthy.jsonl"


@pytest.fixture(scope="module")
def labelled():
    rows = [json.loads(line) for line in FIXTURE.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [(score_sentence(r["text"]).score, r["checkworthy"]) for r in rows]


def test_fixture_size(labelled):
    assert len(labelled) == 150 and 60 <= sum(y for _, y in labelled) <= 90


def test_precision_recall_at_default_threshold(labelled):
    tp = sum(1 for s, y in labelled if s >= DEFAULT_THRESHOLD and y)
    fp = sum(1 for s, y in labelled if s >= DEFAULT_THRESHOLD and not y)
    fn = sum(1 for s, y in labelled if s < DEFAULT_THRESHOLD and y)
    assert tp / (tp + fp) >= 0.9 and tp / (tp + fn) >= 0.85  # documented: P 1.00, R 0.94


@pytest.mark.parametrize("k", [10, 20, 50])
def test_precision_at_k(labelled, k):
    ranked = sorted(labelled, key=lambda x: -x[0])
    assert sum(y for _, y in ranked[:k]) / k >= 0.95


def test_ranking_and_reasons():
    text = ("Hôm nay trời đẹp quá.\nTheo Sở Y tế, 230 ca sốt xuất huyết được ghi nhận trong tháng 9.\n"
            "Bạn nghĩ sao về việc này?\nKHẨN CẤP!!! Chia sẻ ngay: nước máy Tây Hà nhiễm độc!!!")
    ranked = rank_sentences(text)
    assert ranked[0].text.startswith("Theo Sở Y tế") and "number" in ranked[0].reasons
    assert "reporting" in ranked[0].reasons
    assert ranked[-1].text in ("Hôm nay trời đẹp quá.", "Bạn nghĩ sao về việc này?")
    viral = next(s for s in ranked if "nhiễm độc" in s.text)
    assert "viral" in viral.reasons and viral.score > 0.5
    assert all(0.0 <= s.score <= 1.0 for s in ranked)


def test_single_proper_names_inside_a_sentence_are_entities():
    """A capital inside a Vietnamese sentence marks a name; the first word's capital does not."""
    from kiemchung.claims.checkworthy import signals

    assert signals("Quân đội Washington rút khỏi thành phố trong đêm")["entity"] > 0
    assert signals("Chính quyền thời Louis XV dùng âm nhạc để tuyên truyền")["entity"] > 0
    assert signals("Hôm nay trời đẹp quá mọi người ơi")["entity"] == 0


def test_bad_input():
    assert rank_sentences("") == []
    assert rank_sentences("   \n\n ") == []
    big = "Theo Sở Tài chính, thu ngân sách đạt 3.200 tỷ đồng. " * 2000  # ~100 KB, one line
    out = rank_sentences(big, limit=3)
    assert 1 <= len(out) <= 3
    doc = Document(title="Giá xăng tăng 5.000 đồng", body="Mình thấy buồn.")
    from kiemchung.claims.checkworthy import rank_document

    assert rank_document(doc)[0].text == "Giá xăng tăng 5.000 đồng"


def test_cli_claims_of_a_document_and_a_story(tmp_path, capsys):
    from factories import make_doc

    from kiemchung import timeutil
    from kiemchung.cli import main
    from kiemchung.ingest import Ingestor
    from kiemchung.store import Database
    from kiemchung.stories.tables import stories, story_documents

    path = tmp_path / "kc.db"
    db = Database(path)
    Ingestor(db).add([
        make_doc("Mưa lớn ở Tây Hà", "Hôm nay trời mưa to quá. Theo Đài khí tượng, lượng mưa đạt 250 mm trong 6 giờ.",
                 url="https://bao.example/mua.html", day=2),
        make_doc("Lũ ở Tây Hà", "Ông Trần Văn Bình, Chủ tịch UBND huyện, khẳng định 1.200 hộ dân đã được sơ tán.",
                 url="https://bao.example/lu.html", day=3),
    ])
    ids = [d.id for d in db.iter_documents()]
    now = timeutil.now()
    with db.write() as conn:
        sid = conn.execute(stories.insert().values(key="s-lu", headline="Mưa lũ Tây Hà", updated_at=now)).inserted_primary_key[0]
        for i in ids:
            conn.execute(story_documents.insert().values(doc_id=i, story_id=sid, assigned_at=now))
    db.close()

    def run(*args):
        try:
            main(["--db", str(path), "claims", *args])
        except SystemExit as exc:
            return exc.code
        return 0

    assert run(str(ids[0])) == 0
    lines = [x for x in capsys.readouterr().out.splitlines() if x.strip()]
    from kiemchung.labels import label

    joined = " ".join(lines)  # the reasons may wrap onto the next line
    assert "250 mm" in lines[0] and label("reason", "number") in joined.split("1.200")[0]  # best first, with its signals
    assert run(f"s{sid}") == 0
    out = capsys.readouterr().out
    assert "Mưa lũ Tây Hà" in out and "1.200 hộ" in out and "250 mm" in out
    assert run("abc") == 1 and "Mã không hợp lệ" in capsys.readouterr().err
    assert run("99999") == 1  # unknown document: a clear error, not a traceback
    assert "99999" in capsys.readouterr().err


# ----------------------------------------------------------------- the claims queue's order (issue 18)


def test_viral_marks_read_with_their_diacritics():
    from kiemchung.claims.checkworthy import signals

    assert signals("Nông dân xã Phú Lâm cho biết mỗi ha thu được 60 tạ.")["viral"] == 0  # not "nóng"
    assert signals("Số ca mắc năm nay cao gấp hai lần cùng kỳ năm 2025.")["viral"] == 0  # "twice", not "urgent"
    assert signals("Tin nóng: cầu Bến Đá sắp bị cấm xe.")["viral"] == 1
    assert signals("Mọi người sơ tán gấp, đê Tây Hà sắp vỡ.")["viral"] == 1
    assert signals("tin nong: cau ben da sap bi cam xe, chia se ngay")["viral"] == 1  # typed without diacritics


def test_claims_queue_ranks_posts_and_viral_marks_above_settled_news(db):
    """Settled news facts (numbers, names, dates: scores near 1) must not bury the rumours."""
    from factories import make_doc

    from kiemchung.ingest import Ingestor
    from kiemchung.web.claims_queue import compute_queue

    news = [
        make_doc("Sở Y tế Lam Sơn công bố số ca sốt xuất huyết",
                 "Theo Sở Y tế tỉnh Lam Sơn, ngày 3/3 toàn tỉnh ghi nhận 312 ca sốt xuất huyết, tăng 20% so với cùng kỳ.",
                 url="https://baolamson.vn/sxh.html", day=3),
        make_doc("Cầu Bến Đá thông xe",
                 "Ông Trần Văn Bình, Giám đốc Sở Giao thông vận tải, cho biết cầu Bến Đá dài 1.200 m thông xe ngày 2/3.",
                 url="https://tinlamson.vn/cau.html", day=4),
    ]
    rumour = make_doc("", "KHẨN CẤP!!! Cầu Bến Đá bị nứt, sắp sập, mọi người đừng đi qua, chia sẻ ngay!",
                      url="https://facebook.example/p/1", day=2, kind="post",
                      engagement={"likes": 2400, "shares": 900, "comments": 130})
    quiet = make_doc("", "Nghe nói nước máy Tây Hà bị nhiễm độc, nhà mình phải mua nước bình.",
                     url="https://facebook.example/p/2", day=1, kind="post", engagement={"likes": 3})
    Ingestor(db).add([*news, rumour, quiet])
    queue = compute_queue(db)
    claims = queue.claims(20)
    kinds = [c.doc.kind for c in claims]
    assert "article" in kinds and "post" in kinds
    assert kinds.index("article") > max(i for i, k in enumerate(kinds) if k == "post")  # every post first
    first = claims[0]
    assert first.doc.url == "https://facebook.example/p/1"
    assert first.reasons[:2] == ["post", "engagement"] and "viral" in first.reasons
    article_scores = [c.score for c in claims if c.doc.kind == "article"]
    assert max(article_scores) > first.score or max(article_scores) > claims[1].score  # ranked by need, not score
    assert all(c.priority >= d.priority for c, d in itertools.pairwise(claims))
