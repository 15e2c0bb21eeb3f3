"""Check-worthy sentence scorer: labelled fixture figures, ordering, reasons, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kiemchung.claims.checkworthy import DEFAULT_THRESHOLD, rank_sentences, score_sentence
from kiemchung.models import Document

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


def test_bad_input():
    assert rank_sentences("") == []
    assert rank_sentences("   \n\n ") == []
    big = "Theo Sở Tài chính, thu ngân sách đạt 3.200 tỷ đồng. " * 2000  # ~100 KB, one line
    out = rank_sentences(big, limit=3)
    assert 1 <= len(out) <= 3
    doc = Document(title="Giá xăng tăng 5.000 đồng", body="Mình thấy buồn.")
    from kiemchung.claims.checkworthy import rank_document

    assert rank_document(doc)[0].text == "Giá xăng tăng 5.000 đồng"
