"""The alert decision (kiemchung/claims/verify.py): background weights, verifier, levels, triage learning,
and what happens with bad input. Fixtures are sentences written for these tests."""

from __future__ import annotations

import pytest

from kiemchung.claims.match import ClaimMatcher
from kiemchung.claims.verify import (
    DEFAULT_MODEL,
    LEVEL_LABELS,
    AlertDecider,
    DecisionModel,
    TermStats,
    read_background,
    recalibrate,
)
from kiemchung.errors import ConfigError, ImportFileError

# Every test here that takes ``db`` runs on SQLite and on PostgreSQL (tests/conftest.py: any_db).
pytestmark = pytest.mark.pg_fulltext


@pytest.fixture
def db(any_db):
    return any_db


CLAIM = "Nước máy ở phường An Phú bị nhiễm độc, không được dùng để nấu ăn."
OTHER = "Cầu Bến Lội vừa khánh thành đã bị nứt, sắp sập."
NEWS = [
    "Phường An Phú tổ chức hội chợ ẩm thực cuối tuần",
    "Giá vàng hôm nay tăng mạnh",
    "Công ty cấp nước thay đường ống trên phố chính",
    "Học sinh phường An Phú đi học trở lại sau kỳ nghỉ",
    "Nấu ăn ngon với rau sạch từ vườn nhà",
    "Bão số 3 đổ bộ vào đất liền",
] * 20


def _decider(*claims: str, background: TermStats | None = None) -> AlertDecider:
    m = ClaimMatcher()
    for i, c in enumerate(claims, 1):
        m.add(f"{i}:0", c, group=str(i))
    return AlertDecider(m, background)


def test_a_rewording_repeats_and_unrelated_news_does_not():
    d = _decider(CLAIM, OTHER, background=TermStats.from_texts(NEWS))
    _, dec = d.decide("nước máy phường An Phú bị nhiễm độc, đừng dùng nấu ăn nha mọi người")
    assert dec[0].match.entry_id == "1" and dec[0].level == "repeat"
    for text in ("Phường An Phú tổ chức hội chợ ẩm thực cuối tuần này", "Giá vàng hôm nay tăng mạnh ở phường An Phú"):
        _, dec = d.decide(text)
        assert all(x.level is None for x in dec), (text, dec)


def test_numbers_that_disagree_lower_the_probability():
    d = _decider("Mỗi hộ vùng lũ được hỗ trợ 5 triệu đồng qua đường link")
    _, same = d.decide("mỗi hộ vùng lũ được hỗ trợ 5 triệu đồng qua đường link")
    _, other = d.decide("mỗi hộ vùng lũ được hỗ trợ 50 triệu đồng qua đường link")
    assert same[0].probability > other[0].probability
    assert other[0].features["num_diff"] == 1.0


@pytest.mark.parametrize("text", ["", "   ", "sập", "cầu sập", "https://example.com/nuoc-may-an-phu-bi-nhiem-doc",
                                  "www.example.vn/a/b/c", "😱😱😱 🙏", "!!! ??? ..."])
def test_empty_one_word_url_or_emoji_posts_never_alert(text):
    d = _decider(CLAIM, OTHER)
    results, dec = d.decide(text)
    assert results == [] and dec == []


def test_non_text_is_refused_clearly():
    with pytest.raises(ConfigError):
        _decider(CLAIM).decide(None)  # type: ignore[arg-type]


def test_knowledge_base_of_one_entry():
    d = _decider(CLAIM)
    _, dec = d.decide("Nước máy ở phường An Phú bị nhiễm độc, không được dùng để nấu ăn")
    assert len(dec) == 1 and dec[0].level == "repeat"
    _, dec = d.decide("Giá vàng hôm nay tăng mạnh trên cả nước")
    assert all(x.level is None for x in dec)


def test_two_factchecks_of_the_same_claim_both_alert():
    d = _decider(CLAIM, "Nước máy phường An Phú nhiễm độc, không được dùng nấu ăn", OTHER)
    _, dec = d.decide("nước máy phường An Phú bị nhiễm độc, không được dùng để nấu ăn đâu")
    repeats = sorted(x.match.entry_id for x in dec if x.level == "repeat")
    assert repeats == ["1", "2"]  # one alert per fact-check that states it; the third is not touched


def test_levels_and_labels():
    m = DEFAULT_MODEL
    assert m.level(0.99) == "repeat" and m.level(m.related_threshold) == "related" and m.level(0.0) is None
    assert m.level(m.repeat_threshold / 5.0, matched=True) == "repeat"  # the matcher agrees: less is needed
    assert set(LEVEL_LABELS) == {"repeat", "related"} and LEVEL_LABELS["repeat"][0] == "Lặp lại tin sai"
    with pytest.raises(ConfigError):
        DecisionModel(DEFAULT_MODEL.weights, 0.0, repeat_threshold=0.2, related_threshold=0.5)
    assert m.threshold_for_precision(0.95) <= m.threshold_for_precision(0.97) <= m.threshold_for_precision(0.999)


def test_triage_moves_the_repeat_threshold():
    zero = {n: 0.0 for n in ("num_diff", "num_one_side", "neg_diff", "rare_q_miss", "rare_e_miss", "len_ratio")}
    f_hi = {**zero, "qcov": 0.7, "ecov": 0.8, "qbcov": 0.4, "ebcov": 0.5, "score": 0.0}  # probability ~0.7
    f_mid = {**zero, "qcov": 0.5, "ecov": 0.7, "qbcov": 0.2, "ebcov": 0.3, "score": 0.0}  # between the levels
    p_hi, p_mid = DEFAULT_MODEL.probability(f_hi), DEFAULT_MODEL.probability(f_mid)
    assert p_hi >= DEFAULT_MODEL.repeat_threshold > p_mid >= DEFAULT_MODEL.related_threshold
    assert recalibrate(DEFAULT_MODEL, [(f_hi, False)] * 19) is DEFAULT_MODEL  # too few labels: no change
    # this office dismisses what the model calls a repeat: the threshold goes up past those alerts
    strict = recalibrate(DEFAULT_MODEL, [(f_hi, False)] * 40)
    assert strict.repeat_threshold > p_hi and strict.level(p_hi) != "repeat"
    # it confirms the "possibly related" ones: the threshold comes down to them
    loose = recalibrate(DEFAULT_MODEL, [(f_mid, True)] * 40 + [(f_hi, True)] * 10)
    assert loose.repeat_threshold <= p_mid and loose.level(p_mid) == "repeat"


def test_background_file_and_its_errors(tmp_path):
    p = tmp_path / "bg.jsonl"
    p.write_text('{"title": "Giá vàng tăng", "summary": "Giá vàng hôm nay tăng"}\n'
                 '{"text": "Giá vàng giảm"}\n{"text": "Giá vàng đứng yên"}\n', encoding="utf-8")
    s = read_background(p)
    assert s.n_docs == 3 and s.df["gia_vang"] == 3
    assert read_background(p, lines="odd").n_docs == 1
    saved = tmp_path / "bg.json.gz"
    s.save(saved)
    assert read_background(saved).df == s.df
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json\n", encoding="utf-8")
    with pytest.raises(ImportFileError):
        read_background(bad)
    with pytest.raises(ImportFileError):
        read_background(tmp_path / "missing.jsonl")


def test_tradeoff_per_installation(db):
    from kiemchung.claims.config import set_setting
    from kiemchung.claims.verify import tradeoff

    t = tradeoff(db)
    assert [p["threshold"] for p in t["curve"] if p["in_force"]] == [DEFAULT_MODEL.repeat_threshold]
    assert t["triaged"] == 0 and t["related_threshold"] == DEFAULT_MODEL.related_threshold
    set_setting(db, "alert_precision", "0.97")
    t = tradeoff(db)
    chosen = next(p for p in t["curve"] if p["in_force"])
    assert chosen["precision"] >= 0.97 and t["repeat_threshold"] == chosen["threshold"] > DEFAULT_MODEL.repeat_threshold


def test_eval_matching_prints_alert_figures_and_curve(tmp_path, capsys):
    import json

    from factories import run_cli_in_process

    kb = tmp_path / "kb.jsonl"
    kb.write_text("\n".join(json.dumps({"id": f"c{i}", "text": t}, ensure_ascii=False)
                            for i, t in enumerate([CLAIM, OTHER])) + "\n", encoding="utf-8")
    qs = tmp_path / "q.jsonl"
    rows = [{"id": "p1", "text": "nước máy phường An Phú bị nhiễm độc, không được dùng nấu ăn", "gold": ["c0"]},
            {"id": "p2", "text": "Cầu Bến Lội vừa khánh thành đã nứt, sắp sập rồi", "gold": ["c1"]}]
    rows += [{"id": f"n{i}", "text": t, "gold": []} for i, t in enumerate(NEWS[:6])]
    qs.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    bg = tmp_path / "bg.jsonl"
    bg.write_text("\n".join(json.dumps({"title": t}, ensure_ascii=False) for t in NEWS) + "\n", encoding="utf-8")
    assert run_cli_in_process(tmp_path / "x.db", "eval", "matching", "--kb", str(kb), "--queries", str(qs),
                              "--background", str(bg), "--json") == 0
    out = json.loads(capsys.readouterr().out)
    assert out["semantic"] is False and out["background_docs"] == len(NEWS)  # the product's default: lexical
    assert out["alert_recall"] == 1.0 and out["alert_precision"] == 1.0 and out["false_alerts_per_1000"] == 0.0
    assert [p["threshold"] for p in out["curve"]] == sorted(p["threshold"] for p in out["curve"])
    assert {"precision", "recall", "false_alerts_per_1000"} <= set(out["curve"][0])
    code = run_cli_in_process(tmp_path / "x.db", "eval", "matching", "--kb", str(kb), "--queries", str(qs),
                              "--background", str(bg), "--background-lines", "third")
    captured = capsys.readouterr()
    assert code != 0 and "--background-lines" in captured.err + captured.out and "Traceback" not in captured.err


def test_a_second_fact_check_needs_the_threshold_itself():
    """The matcher's agreement lowers the bar for the most probable candidate only: a post that repeats
    one claim does not also alert "repeat" on a near fact-check the matcher happens to match."""
    from kiemchung.claims.match import MatchConfig

    m = ClaimMatcher(MatchConfig(threshold_lexical=0.05))  # a lenient matcher: it matches both
    m.add("1:0", CLAIM, group="1")
    m.add("2:0", "Rau ở chợ phường An Phú bị nhiễm độc, không được dùng để nấu ăn.", group="2")
    m.add("3:0", OTHER, group="3")
    _, dec = AlertDecider(m, TermStats.from_texts(NEWS)).decide(
        "nước máy phường An Phú bị nhiễm độc, đừng dùng nấu ăn nha mọi người")
    t = DEFAULT_MODEL.repeat_threshold
    assert dec[0].match.entry_id == "1" and dec[0].level == "repeat"
    second = dec[1]
    assert second.match.entry_id == "2" and second.match.matched and t / 5 <= second.probability < t
    assert second.level == "related"
