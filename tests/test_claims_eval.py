"""Evaluation functions of the claim matcher on tiny invented files with known figures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kiemchung.claims.evaluate import (
    evaluate_evidence,
    evaluate_matching,
    evaluate_pairs,
    fit_blend,
    matching_candidates,
    read_jsonl,
)
from kiemchung.claims.match import FEATURES, MatchConfig
from kiemchung.errors import ImportFileError

LEX = MatchConfig(semantic=False)


def write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture()
def matching_files(tmp_path: Path) -> tuple[Path, Path]:
    kb = write(
        tmp_path / "kb.jsonl",
        [
            {"id": "k1", "text": "Uống nước chanh nóng mỗi sáng chữa khỏi ung thư giai đoạn cuối"},
            {"id": "k2", "text": "Giá điện sinh hoạt tăng gấp đôi từ tháng sau theo biểu giá mới"},
            {"id": "k3", "text": "Đập thủy điện Sông Tranh bị vỡ, người dân phải sơ tán trong đêm"},
            {"id": "k4", "text": "Ngân hàng Nhà nước thu hồi tờ tiền polymer mệnh giá 500.000 đồng"},
        ],
    )
    queries = write(
        tmp_path / "q.jsonl",
        [
            {"id": "q1", "text": "uong nuoc chanh nong chua khoi ung thu", "gold": ["k1"]},
            {"id": "q2", "text": "Giá điện sinh hoạt sắp tăng gấp đôi", "gold": ["k2"]},
            {"id": "q3", "text": "dap thuy dien song tranh bi vo, so tan gap", "gold": ["k3"]},
            # gold exists but the post shares nothing with it: a miss (rank none, decision wrong)
            {"id": "q4", "text": "Mèo mun thích bắt chuột", "gold": ["k4"]},
            # nothing should match, and nothing related is in the KB: a correct abstention
            {"id": "q5", "text": "Đội tuyển bóng đá nữ thắng đậm ở vòng loại châu Á", "gold": []},
        ],
    )
    return kb, queries


def test_evaluate_matching_known_figures(matching_files: tuple[Path, Path]) -> None:
    kb, queries = matching_files
    r = evaluate_matching(kb, queries, LEX)
    assert r["queries"] == 5
    assert r["kb_entries"] == 4
    assert r["recall_at_1"] == 0.75
    assert r["mrr_at_10"] == 0.75
    assert r["decision_accuracy"] == 0.8
    # binary reading: q4 matched nothing although it has gold (a miss), the others are right
    assert r["abstain_accuracy"] == 0.8
    assert r["missed"] == 1
    assert r["false_alerts"] == 0
    assert r["semantic"] is False
    assert 0.0 <= r["p50_ms"] <= r["p95_ms"]


def test_evaluate_matching_counts_a_false_alert(tmp_path: Path, matching_files) -> None:
    kb, _ = matching_files
    queries = write(
        tmp_path / "q2.jsonl",
        [{"id": "x", "text": "Giá điện sinh hoạt tăng gấp đôi từ tháng sau", "gold": []}],
    )
    r = evaluate_matching(kb, queries, LEX)
    assert r["false_alerts"] == 1
    assert r["decision_accuracy"] == 0.0
    assert r["abstain_accuracy"] == 0.0


def test_strict_and_binary_accuracy_differ_on_a_wrong_match(tmp_path: Path, matching_files) -> None:
    """A post with gold that matches the wrong entry: the strict reading counts it wrong, the binary
    reading (matched something, gold non-empty) counts it right."""
    kb, _ = matching_files
    queries = write(
        tmp_path / "q3.jsonl",
        [
            # about electricity prices, but its gold is (wrongly, on purpose) the lemon-water entry
            {"id": "w", "text": "Giá điện sinh hoạt tăng gấp đôi từ tháng sau", "gold": ["k1"]},
            {"id": "r", "text": "uong nuoc chanh nong moi sang chua khoi ung thu", "gold": ["k1"]},
        ],
    )
    r = evaluate_matching(kb, queries, LEX)
    assert r["recall_at_1"] == 0.5
    assert r["decision_accuracy"] == 0.5
    assert r["abstain_accuracy"] == 1.0
    assert r["missed"] == 0


def test_matching_candidates_and_fit_blend(matching_files: tuple[Path, Path]) -> None:
    """Candidates carry every feature and the gold flag; a blend fitted on them ranks gold first."""
    kb, queries = matching_files
    qi, y, x = matching_candidates(kb, queries, LEX)
    assert x.shape == (len(qi), len(FEATURES)) and len(y) == len(qi)
    # q1..q3 have their gold among the candidates; q4 and q5 have none
    assert {int(q) for q in qi[y == 1]} == {0, 1, 2}
    weights, bias = fit_blend(x, y, use=("cov", "bcov", "tcov"), l2=0.1)
    assert len(weights) == len(FEATURES)
    assert all(w == 0.0 for n, w in zip(FEATURES, weights, strict=True) if n not in ("cov", "bcov", "tcov"))
    assert weights[FEATURES.index("cov")] > 0  # covering the post's words is evidence of a match
    cfg = LEX.replace(weights_lexical=weights, bias_lexical=bias)
    r = evaluate_matching(kb, queries, cfg)
    assert r["recall_at_1"] == 0.75


def test_evaluate_pairs_known_figures(tmp_path: Path) -> None:
    path = write(
        tmp_path / "pairs.jsonl",
        [
            {
                "id": "p1",
                "a": "Giá điện sinh hoạt tăng gấp đôi từ tháng sau .",
                "b": "Từ tháng sau , giá điện sinh hoạt tăng gấp đôi .",
                "label": 1,
            },
            {
                "id": "p2",
                "a": "Uống nước chanh nóng chữa khỏi ung thư .",
                "b": "Uống nước chanh nóng có thể chữa khỏi bệnh ung thư .",
                "label": 1,
            },
            {
                "id": "p3",
                "a": "Đội tuyển nữ thắng đậm ở vòng loại .",
                "b": "Giá cà phê xuất khẩu tăng mạnh trong quý ba .",
                "label": 0,
            },
            {
                "id": "p4",
                "a": "Lễ hội pháo hoa khai mạc tối nay .",
                "b": "Ngân hàng thu hồi tờ tiền polymer cũ .",
                "label": 0,
            },
            # same meaning, no shared words: the lexical similarity misses it
            {"id": "p5", "a": "Ông ấy qua đời hôm qua .", "b": "Cụ mất chiều thứ bảy vừa rồi .", "label": 1},
        ],
    )
    r = evaluate_pairs(path, LEX)
    assert r["pairs"] == 5
    assert r["accuracy"] == 0.8
    assert r["precision"] == 1.0
    assert r["recall"] == pytest.approx(0.6667, abs=1e-4)
    assert r["f1"] == 0.8


def test_evaluate_evidence_known_figures(tmp_path: Path) -> None:
    para = {
        "a": "Hồ Hoàn Kiếm nằm ở trung tâm Hà Nội, gắn với truyền thuyết vua Lê Lợi trả gươm cho rùa thần.",
        "b": "Vịnh Hạ Long ở Quảng Ninh có gần hai nghìn hòn đảo đá vôi, được UNESCO công nhận.",
        "c": "Sông Mê Kông chảy qua sáu quốc gia trước khi đổ ra Biển Đông ở đồng bằng Nam Bộ.",
    }
    path = write(
        tmp_path / "claims.jsonl",
        [
            {
                "id": "c1",
                "claim": "Vua Lê Lợi trả gươm cho rùa thần ở hồ Hoàn Kiếm.",
                "evidence": para["a"],
                "verdict": "SUPPORTED",
            },
            {
                "id": "c2",
                "claim": "Vịnh Hạ Long có hơn năm nghìn hòn đảo.",
                "evidence": para["b"],
                "verdict": "REFUTED",
            },
            {
                "id": "c3",
                "claim": "Sông Mê Kông chảy qua sáu quốc gia.",
                "evidence": para["c"],
                "verdict": "SUPPORTED",
            },
            {
                "id": "c4",
                "claim": "Hồ Hoàn Kiếm ở trung tâm Hà Nội.",
                "evidence": para["a"],
                "verdict": "SUPPORTED",
            },
            # a claim sharing nothing with its paragraph: still in the top 5 (only 3 paragraphs)
            {"id": "c5", "claim": "Mèo mun thích bắt chuột.", "evidence": para["c"], "verdict": "NEI"},
        ],
    )
    r = evaluate_evidence(path, LEX)
    assert r["claims"] == 5
    assert r["paragraphs"] == 3
    assert r["recall_at_1"] == 0.8
    assert r["recall_at_5"] == 0.8  # the matcher returns no candidate at all for c5


def test_read_jsonl_errors(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError):
        list(read_jsonl(tmp_path / "missing.jsonl"))
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": 1}\n{not json\n', encoding="utf-8")
    with pytest.raises(ImportFileError, match=r"bad\.jsonl:2"):
        list(read_jsonl(bad))
    arr = tmp_path / "arr.jsonl"
    arr.write_text("[1, 2]\n", encoding="utf-8")
    with pytest.raises(ImportFileError):
        list(read_jsonl(arr))
    miss = write(tmp_path / "miss.jsonl", [{"id": "x"}])
    with pytest.raises(ImportFileError, match="text"):
        evaluate_matching(miss, miss, LEX)
    blank = tmp_path / "blank.jsonl"
    blank.write_text('\n{"id": "a", "text": "x"}\n\n', encoding="utf-8")
    assert list(read_jsonl(blank, ("id",))) == [{"id": "a", "text": "x"}]


def _eval_cli(capsys, *args: str) -> dict:
    from kiemchung.cli import main

    try:
        main(["eval", *args, "--json"])
    except SystemExit as exc:
        assert exc.code in (0, None), capsys.readouterr().err
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1  # one JSON object, nothing else on stdout
    return json.loads(out[0])


def test_eval_commands_print_one_json_object_with_the_issue_keys(tmp_path: Path, matching_files, capsys) -> None:
    kb, queries = matching_files
    m = _eval_cli(capsys, "matching", "--kb", str(kb), "--queries", str(queries), "--semantic", "off")
    assert {"recall_at_1", "mrr_at_10", "decision_accuracy", "p50_ms", "p95_ms"} <= set(m)
    assert m["recall_at_1"] == evaluate_matching(kb, queries, LEX)["recall_at_1"] == 0.75
    assert 0 <= m["p50_ms"] <= m["p95_ms"]
    pairs = write(tmp_path / "p.jsonl", [
        {"id": "p1", "a": "Giá điện tăng gấp đôi từ tháng sau .", "b": "Từ tháng sau , giá điện tăng gấp đôi .", "label": 1},
        {"id": "p2", "a": "Lễ hội pháo hoa khai mạc tối nay .", "b": "Ngân hàng thu hồi tờ tiền cũ .", "label": 0},
    ])
    p = _eval_cli(capsys, "pairs", str(pairs))
    assert {"accuracy", "f1"} <= set(p) and p["accuracy"] == 1.0
    ev = write(tmp_path / "c.jsonl", [
        {"id": "c1", "claim": "Sông Mê Kông chảy qua sáu quốc gia.", "verdict": "SUPPORTED",
         "evidence": "Sông Mê Kông chảy qua sáu quốc gia trước khi đổ ra Biển Đông."},
        {"id": "c2", "claim": "Vịnh Hạ Long có hơn năm nghìn hòn đảo.", "verdict": "REFUTED",
         "evidence": "Vịnh Hạ Long ở Quảng Ninh có gần hai nghìn hòn đảo đá vôi."},
    ])
    e = _eval_cli(capsys, "evidence", str(ev))
    assert {"recall_at_1", "recall_at_5"} <= set(e) and e["recall_at_1"] == 1.0
    from kiemchung.cli import main

    with pytest.raises(SystemExit) as info:
        main(["eval", "pairs", str(tmp_path / "nope.jsonl"), "--json"])
    assert info.value.code == 1 and "Không tìm thấy tệp" in capsys.readouterr().err


def test_evaluate_matching_applies_the_story_rule(tmp_path: Path) -> None:
    """``eval matching`` puts the posts through the story clusterer and raises a "possibly related" post
    of a story where two other posts repeat the same fact-check (verify.story_raise), as the alert engine
    does; without stories (or with one repeat only) it stays "related"."""
    kb = write(tmp_path / "kb.jsonl", [
        {"id": "k1", "text": "Nước máy Tây Hà bị nhiễm độc, không được dùng nấu ăn"},
        {"id": "k2", "text": "Giá điện sinh hoạt tăng gấp đôi từ tháng sau theo biểu giá mới"},
        {"id": "k3", "text": "Đập thủy điện Sông Tranh bị vỡ, người dân phải sơ tán trong đêm"},
        {"id": "k4", "text": "Ngân hàng Nhà nước thu hồi tờ tiền polymer mệnh giá 500.000 đồng"},
    ])
    spread = {"id": "q2", "gold": ["k1"],
              "text": "Nhà mình ở Tây Hà, nước máy đục ngầu, người ta bảo nước bị nhiễm độc, cả nhà phải mua nước bình."}
    repeats = [
        {"id": "q1", "text": "mn ơi nghe nói nước máy Tây Hà bị nhiễm độc, không dùng nấu ăn được, chia sẻ ngay",
         "gold": ["k1"]},
        {"id": "q3", "text": "Nước máy Tây Hà bị nhiễm độc rồi, không được dùng nấu ăn nhé mọi người", "gold": ["k1"]},
    ]
    other = [{"id": "q4", "text": "Giá điện sinh hoạt sắp tăng gấp đôi", "gold": ["k2"]},
             {"id": "q5", "text": "Đội tuyển bóng đá nữ thắng đậm ở vòng loại châu Á", "gold": []}]
    both = write(tmp_path / "q.jsonl", [repeats[0], spread, repeats[1], *other])
    with_stories = evaluate_matching(kb, both, LEX, curve=False)
    assert with_stories["stories"] is True and with_stories["story_raised"] == 1
    assert with_stories["alerts"] == 4 and with_stories["alert_recall"] == 1.0
    without = evaluate_matching(kb, both, LEX, curve=False, stories=False)
    assert without["story_raised"] == 0 and without["alerts"] == 3 and without["alert_recall"] == 0.75
    one = write(tmp_path / "q1.jsonl", [repeats[0], spread, *other])
    assert evaluate_matching(kb, one, LEX, curve=False)["story_raised"] == 0
