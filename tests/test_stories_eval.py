"""Tests of the story-clustering scores (BCubed, ARI) and of evaluate_stories on a small invented file."""

from __future__ import annotations

import json

import pytest

from kiemchung.errors import ConfigError, ImportFileError
from kiemchung.stories.cluster import ClusterConfig
from kiemchung.stories.evaluate import adjusted_rand, bcubed, evaluate_stories


def test_bcubed_hand_computed():
    gold = {"a": 1, "b": 1, "c": 2, "d": 2}
    pred = {"a": "X", "b": "X", "c": "X", "d": "Y"}
    p, r, f = bcubed(pred, gold)
    # precision: a 2/3, b 2/3, c 1/3, d 1 -> 2/3; recall: a 1, b 1, c 1/2, d 1/2 -> 3/4
    assert p == pytest.approx(2 / 3)
    assert r == pytest.approx(3 / 4)
    assert f == pytest.approx(12 / 17)


def test_bcubed_extremes():
    gold = {str(i): "g" for i in range(4)}
    singletons = {str(i): i for i in range(4)}
    assert bcubed(singletons, gold) == pytest.approx((1.0, 0.25, 0.4))
    assert bcubed(gold, gold) == (1.0, 1.0, 1.0)
    assert bcubed({}, {}) == (1.0, 1.0, 1.0)
    with pytest.raises(ValueError):
        bcubed({"a": 1}, {"b": 1})


def test_ari_hand_computed():
    # contingency cells 2, 1, 1: index 1, pred pairs 3, gold pairs 2, expected 3*2/6 = 1 -> ARI 0
    assert adjusted_rand(
        {"a": "X", "b": "X", "c": "X", "d": "Y"}, {"a": 1, "b": 1, "c": 2, "d": 2}
    ) == pytest.approx(0.0)
    gold = {"a": 1, "b": 1, "c": 1, "d": 2, "e": 2, "f": 2}
    pred = {"a": "X", "b": "X", "c": "Y", "d": "Y", "e": "Z", "f": "Z"}
    # index 2, pred pairs 3, gold pairs 6, expected 3*6/15 = 1.2, max 4.5 -> 0.8 / 3.3
    assert adjusted_rand(pred, gold) == pytest.approx(0.8 / 3.3)
    assert adjusted_rand(gold, gold) == 1.0
    # label names do not matter
    assert adjusted_rand({k: f"p{v}" for k, v in gold.items()}, gold) == 1.0
    assert adjusted_rand({"a": 1}, {"a": 2}) == 1.0


def _row(doc_id: str, story: str, title: str, lead: str, text: str = "") -> dict:
    return {
        "id": doc_id,
        "story": story,
        "title": title,
        "lead": lead,
        "text": text,
        "category": None,
        "source": None,
        "url": None,
        "published": None,
    }


ROWS = [
    _row(
        "f1",
        "flood",
        "Mưa lớn gây ngập sâu nhiều tuyến phố ở Đà Nẵng",
        "Trận mưa lớn kéo dài khiến nhiều tuyến phố ở Đà Nẵng ngập sâu, hàng trăm hộ dân phải sơ tán.",
        "Lực lượng cứu hộ Đà Nẵng đã túc trực suốt đêm để hỗ trợ người dân sơ tán khỏi vùng ngập sâu.",
    ),
    _row(
        "v1",
        "vaccine",
        "Bộ Y tế phân bổ 2 triệu liều vắc xin sởi cho các tỉnh phía Nam",
        "Bộ Y tế vừa phân bổ 2 triệu liều vắc xin sởi cho các tỉnh phía Nam để ngăn dịch sởi lây lan.",
    ),
    _row(
        "f2",
        "flood",
        "Đà Nẵng sơ tán hàng trăm hộ dân vì mưa lớn, phố ngập sâu",
        "Chính quyền Đà Nẵng sơ tán hàng trăm hộ dân khi mưa lớn làm ngập sâu nhiều tuyến phố.",
        "",
    ),
    # The gold file says these two belong together, but they share nothing: no clusterer can join them.
    _row(
        "m1",
        "mixed",
        "Tuyến metro số 1 TP.HCM chở 50.000 khách ngày đầu miễn phí vé",
        "Ngày đầu miễn phí vé, metro số 1 TP.HCM đón khoảng 50.000 lượt khách.",
    ),
    _row(
        "v2",
        "vaccine",
        "Thêm 2 triệu liều vắc xin sởi về các tỉnh phía Nam",
        "Các tỉnh phía Nam nhận thêm 2 triệu liều vắc xin sởi do Bộ Y tế phân bổ để tiêm cho trẻ em.",
    ),
    _row(
        "b1",
        "mixed",
        "Đội tuyển bóng chuyền nữ giành huy chương vàng",
        "Các cô gái bóng chuyền thắng chung kết sau năm ván đấu kịch tính.",
    ),
    _row(
        "f3",
        "flood",
        "Ngập sâu ở Đà Nẵng: nhiều tuyến phố thành sông sau trận mưa lớn",
        "Sau trận mưa lớn, nhiều tuyến phố Đà Nẵng ngập sâu, cứu hộ hỗ trợ người dân sơ tán.",
        "",
    ),
]


def _write(tmp_path, rows) -> str:
    path = tmp_path / "stories.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    return str(path)


def test_evaluate_stories_known_score(tmp_path):
    res = evaluate_stories(_write(tmp_path, ROWS))
    # Expected: {f1,f2,f3}, {v1,v2}, {m1}, {b1}. All predicted stories are pure (P = 1); the "mixed"
    # gold story is split: recall (3 + 2 + 1/2 + 1/2) / 7 = 6/7, F1 = 12/13.
    # ARI: index 3 + 1 = 4, predicted pairs 4, gold pairs 5, expected 20/21, max 9/2 -> 128/149.
    assert res["bcubed_precision"] == pytest.approx(1.0)
    assert res["bcubed_recall"] == pytest.approx(6 / 7)
    assert res["bcubed_f1"] == pytest.approx(12 / 13)
    assert res["ari"] == pytest.approx(128 / 149)
    assert res["predicted_stories"] == 4 and res["gold_stories"] == 3 and res["documents"] == 7
    assert res["docs_per_s"] > 0
    assert set(res) == {
        "bcubed_precision",
        "bcubed_recall",
        "bcubed_f1",
        "ari",
        "predicted_stories",
        "gold_stories",
        "documents",
        "docs_per_s",
        "cpu_docs_per_s",
    }
    assert res["cpu_docs_per_s"] > 0


def test_evaluate_stories_config_changes_result(tmp_path):
    # With a threshold of 1.0 and no reconciliation pass nothing ever joins: every document is its own story.
    res = evaluate_stories(_write(tmp_path, ROWS), ClusterConfig(threshold=1.0, reconcile_every=0))
    assert res["predicted_stories"] == 7
    assert res["bcubed_precision"] == pytest.approx(1.0)
    assert res["bcubed_recall"] == pytest.approx((3 * (1 / 3) + 2 * (1 / 2) + 2 * (1 / 2)) / 7)


def test_evaluate_stories_repeated_id_counts_once(tmp_path):
    res = evaluate_stories(_write(tmp_path, [*ROWS, ROWS[0]]))
    assert res["documents"] == 7 and res["bcubed_f1"] == pytest.approx(12 / 13)


def test_evaluate_stories_bad_files(tmp_path):
    with pytest.raises(ImportFileError):
        evaluate_stories(tmp_path / "missing.jsonl")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "story": "s", "title": "x"}\n{not json\n', encoding="utf-8")
    with pytest.raises(ImportFileError, match=":2"):
        evaluate_stories(bad)
    nostory = tmp_path / "nostory.jsonl"
    nostory.write_text('{"id": "a", "title": "x"}\n', encoding="utf-8")
    with pytest.raises(ImportFileError):
        evaluate_stories(nostory)


def test_evaluate_stories_parts_shuffle_and_errors(tmp_path):
    path = _write(tmp_path, ROWS)
    part = evaluate_stories(path, id_prefix="f")  # the flood articles only
    assert part["documents"] == 3 and part["gold_stories"] == 1 and part["bcubed_f1"] == pytest.approx(1.0)
    shuffled = evaluate_stories(path, shuffle_seed=1)
    assert shuffled["documents"] == 7 and 0.0 < shuffled["bcubed_f1"] <= 1.0
    res = evaluate_stories(path, with_errors=True)
    # The invented "mixed" gold story cannot be joined: it shows up as split, nothing is mixed.
    assert [e["key"] for e in res["errors"]["split"]] == ["mixed"]
    assert res["errors"]["mixed"] == []
    docs = res["errors"]["split"][0]["docs"]
    assert {d["id"] for d in docs} == {"m1", "b1"} and all(d["title"] for d in docs)
    assert evaluate_stories(path, id_prefix="nothing")["documents"] == 0


def test_story_errors_hand_made():
    from kiemchung.stories.evaluate import story_errors

    gold = {"a": 1, "b": 1, "c": 1, "d": 2, "e": 3}
    pred = {"a": "X", "b": "X", "c": "Y", "d": "Y", "e": "Z"}
    errs = story_errors(pred, gold, {"a": "tiêu đề A"})
    assert [(e["key"], e["off"]) for e in errs["split"]] == [(1, 1)]
    assert [(e["key"], e["off"]) for e in errs["mixed"]] == [("Y", 1)]
    assert errs["split"][0]["docs"][0] == {"id": "a", "gold": 1, "pred": "X", "title": "tiêu đề A"}
    with pytest.raises(ValueError):
        story_errors({"a": 1}, {"b": 1})


def test_arrival_orders_keep_every_row_and_backfill_streams_half_the_stories_first(tmp_path):
    from kiemchung.stories.evaluate import arrange, read_stories_file

    rows = read_stories_file(_write(tmp_path, ROWS))
    assert arrange(rows, "file") == rows
    for order in ("time", "shuffled", "backfill"):
        got = arrange(rows, order, seed=3)
        assert sorted(r["id"] for r in got) == sorted(r["id"] for r in rows)
    assert arrange(rows, "shuffled", seed=3) == arrange(rows, "shuffled", seed=3)  # seeds fixed
    assert not any(r["published"] for r in arrange(rows, "shuffled", seed=3))  # undated stays undated
    timed = arrange(rows, "time")
    stamps = [r["published"] for r in timed]
    assert stamps == sorted(stamps)  # synthesised, one time zone: the strings sort as the times do
    back = arrange(rows, "backfill", seed=2)
    stories = [r["story"] for r in back]
    live = {r["story"] for r in back[: len(back) // 2 + 1]} & set(stories[:1])
    assert live
    # the live half is the stories of the first rows, whole, in time order; then the archive, whole, in time order
    first_half = [r for r in back if r["story"] in {back[0]["story"]}]
    n = len(first_half)
    rest = back[n:] if back[:n] == first_half else None
    assert rest is not None and all(r["story"] != back[0]["story"] for r in rest)
    for part in (back[:n], rest):
        assert [r["published"] for r in part] == sorted(r["published"] for r in part)
    with pytest.raises(ConfigError):
        arrange(rows, "sideways")


def test_evaluate_orders_reports_the_four_orders(tmp_path):
    from kiemchung.stories.evaluate import evaluate_orders

    res = evaluate_orders(_write(tmp_path, ROWS), seeds=2)
    assert set(res["orders"]) == {"file", "time", "shuffled", "backfill"}
    assert res["bcubed_f1"] == res["orders"]["file"]["bcubed_f1"] == res["file_bcubed_f1"]
    assert len(res["orders"]["backfill"]["f1_by_seed"]) == 2
    for order in ("time", "shuffled", "backfill"):
        assert 0.0 < res[f"{order}_bcubed_f1"] <= 1.0


def test_cli_eval_stories_order_option(tmp_path):
    from typer.testing import CliRunner

    from kiemchung.cli import app, load_commands

    load_commands()
    path = _write(tmp_path, ROWS)
    out = CliRunner().invoke(app, ["eval", "stories", path, "--order", "backfill", "--seeds", "2", "--json"])
    assert out.exit_code == 0, out.output
    res = json.loads(out.output)
    assert set(res["orders"]) == {"backfill"} and res["order"] == "backfill"
    bad = CliRunner().invoke(app, ["eval", "stories", path, "--order", "sideways"])
    assert bad.exit_code != 0 and isinstance(bad.exception, ConfigError) and "sideways" in str(bad.exception)
