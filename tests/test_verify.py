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


def _side(text: str):
    from kiemchung.claims.verify import Side, TermWeights, _tokens

    return Side.of(_tokens(text), TermWeights(None))


def test_only_two_different_numbers_of_one_kind_conflict():
    from kiemchung.claims.verify import number_conflict

    claim = _side("Toàn tỉnh cho học sinh nghỉ học hết tuần vì bão số 8, mỗi hộ nhận 5 triệu đồng")
    assert number_conflict(_side("học sinh nghỉ học cả tuần vì bão"), claim) == 0.0  # a number dropped
    assert number_conflict(_side("nghỉ học 7 ngày vì bão"), claim) == 0.0  # a number of another kind
    assert number_conflict(_side("nghỉ học hết tuần vì bão số 9"), claim) == 1.0
    assert number_conflict(_side("mỗi hộ nhận 50 triệu đồng"), claim) == 1.0
    assert number_conflict(_side("mỗi hộ nhận 5 triệu, 27 người đã nhận 640 triệu"), claim) == 0.0  # 5 triệu agrees


def test_a_negation_conflicts_only_on_a_word_both_sides_hold():
    from kiemchung.claims.verify import DENIAL_WEIGHT, negation_conflict

    # its own "không được dùng" is part of what it claims. (Folded, "ăn" is also the "An" of "An Phú":
    # a place of that name would read as governed; the syllables are compared folded.)
    claim = _side("Nước máy ở phường Tân Hòa bị nhiễm độc, không được dùng để nấu ăn.")
    assert negation_conflict(_side("nước máy Tân Hòa nhiễm độc rồi, cả nhà phải mua nước bình"), claim) == 0.0
    assert negation_conflict(_side("nước máy Tân Hòa nhiễm độc, ko ai dám uống"), claim) == 0.0
    assert negation_conflict(_side("nước máy Tân Hòa không nhiễm độc, vẫn dùng nấu ăn bình thường"), claim) == 1.0
    assert negation_conflict(_side("Bác bỏ tin nước máy Tân Hòa bị nhiễm độc"), claim) == DENIAL_WEIGHT
    assert negation_conflict(_side("Cảnh giác tin nhắn giả mạo về nước máy Tân Hòa"), claim) == DENIAL_WEIGHT
    bridge = _side(OTHER)
    assert negation_conflict(_side("cầu mới làm chưa được một tháng đã nứt, sắp sập"), bridge) == 0.0


def test_a_post_stating_one_assertion_of_a_compound_claim():
    from kiemchung.claims.verify import CLAUSE_COVER, Side, TermWeights, _tokens, claim_clauses, clause_cover

    claim = "Nước máy ở phường Tân Hòa bị nhiễm độc, không được dùng để nấu ăn."
    clauses = claim_clauses(claim)
    assert [" ".join(c) for c in clauses] == ["nuoc may o phuong tan hoa bi nhiem doc", "khong duoc dung de nau an"]
    weigh = TermWeights(None)

    def cover(text: str) -> float:
        return clause_cover(Side.of(_tokens(text), weigh), clauses, weigh)

    # the first assertion, among clauses of the post's own
    assert cover("Công ty nước giấu chuyện nước máy phường Tân Hòa bị nhiễm độc, mọi người biết chưa") >= CLAUSE_COVER
    assert cover("Phường Tân Hòa tổ chức hội chợ ẩm thực") < CLAUSE_COVER  # shares words, states nothing of it
    assert claim_clauses("Sập!") == [] and claim_clauses("") == []  # no assertion of three content words

    m = ClaimMatcher()
    m.add("1:0", claim, group="1")
    m.add("2:0", OTHER, group="2")
    with_texts = AlertDecider(m, TermStats.from_texts(NEWS), texts={"1:0": claim, "2:0": OTHER})
    post = "Công ty nước giấu chuyện nước máy phường Tân Hòa bị nhiễm độc, mọi người biết chưa"
    _, dec = with_texts.decide(post)
    assert dec[0].match.entry_id == "1" and dec[0].clause and dec[0].level in ("repeat", "related")
    _, plain = AlertDecider(m, TermStats.from_texts(NEWS)).decide(post)  # no texts: no clause rule
    assert not plain[0].clause and plain[0].probability == dec[0].probability
    # a negation on the assertion's own words does not state it (the rule does not apply; the verifier's
    # own reading of such a denial is a known limit: neg_diff is a hand-set -1, docs/matching.md)
    _, denied = with_texts.decide("Nước máy phường Tân Hòa không bị nhiễm độc, mọi người yên tâm")
    assert denied[0].features["neg_diff"] == 1.0 and not denied[0].clause
    # stating an assertion puts a post in the claims queue ("related") from a tenth of that threshold;
    # it does not lower the bar of a notified "repeat"
    m2 = DEFAULT_MODEL
    assert m2.level(m2.related_threshold / 10.0, clause=True) == "related"
    assert m2.level(m2.related_threshold / 10.0 - 1e-6, clause=True) is None
    assert m2.level(m2.repeat_threshold / 10.0, clause=True) == "related"
    closed = m2.replace(related_threshold=m2.repeat_threshold)  # an office that closed the related level
    assert closed.level(m2.repeat_threshold / 2.0, clause=True) is None


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
    set_setting(db, "alert_precision", "0.96")
    t = tradeoff(db)
    chosen = next(p for p in t["curve"] if p["in_force"])
    assert chosen["precision"] >= 0.96 and t["repeat_threshold"] == chosen["threshold"] > DEFAULT_MODEL.repeat_threshold


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
    # thresholds 0.4 / 0.05 put the second candidate between a fifth of the repeat one and it, over the
    # related one (the fixture's probability is 0.096 with the weights of 2026-12-06)
    model = DEFAULT_MODEL.replace(repeat_threshold=0.4, related_threshold=0.05)
    _, dec = AlertDecider(m, TermStats.from_texts(NEWS), model).decide(
        "nước máy phường An Phú bị nhiễm độc, đừng dùng nấu ăn nha mọi người")
    t = model.repeat_threshold
    assert dec[0].match.entry_id == "1" and dec[0].level == "repeat"
    second = dec[1]
    assert second.match.entry_id == "2" and second.match.matched and t / 5 <= second.probability < t
    assert second.level == "related"


def test_story_raise_under_the_related_level():
    """verify.story_raise: a most probable candidate under "related" is raised only by confident repeats
    of its story (``story_confident``), from STORY_FLOOR up and without a number, negation or duration/scope
    conflict;
    plain repeats (``story_repeats``) raise "related" candidates only."""
    from kiemchung.claims.match import Match
    from kiemchung.claims.verify import STORY_FLOOR, Decision, story_raise

    def top(p: float, level: str | None = None, **conflicts: float) -> list[Decision]:
        f = {"neg_diff": 0.0, "num_diff": 0.0, **conflicts}
        return [Decision(Match("7", 0.1, False, [], "7:0", {}), p, level, f)]

    assert story_raise(ds := top(STORY_FLOOR), (), {"7"}) and ds[0].level == "repeat" and ds[0].story
    assert not story_raise(top(STORY_FLOOR), {"7"}, ())  # confident repeats needed under "related"
    assert not story_raise(top(STORY_FLOOR), (), {"8"})  # repeats of another fact-check
    assert not story_raise(top(STORY_FLOOR * 0.9), (), {"7"})
    assert not story_raise(top(STORY_FLOOR, neg_diff=1.0), (), {"7"})
    assert not story_raise(top(STORY_FLOOR, num_diff=1.0), (), {"7"})
    assert not story_raise(top(STORY_FLOOR, scope_diff=1.0), (), {"7"})  # "một ngày" / "hết tuần"
    assert story_raise(top(0.2, "related"), {"7"}, ())


def test_story_names_a_post_speaks_of_by_their_kind():
    """verify.story_names: the names of the phrasing the post speaks of by their kind ("cầu") without
    naming them, established by at least two different wordings among the story's confident repeats
    (copies of one text count once); a post that names the thing, or does not say its kind, gets none."""
    from kiemchung.claims.verify import _tokens, story_names

    post = _tokens("cầu mới làm chưa được một tháng đã nứt, sợ sập")
    repeats = [_tokens("Cầu Bến Lội mới khánh thành đã nứt toác rồi"), _tokens("Sập cầu Bến Lội! có vết nứt to")]
    assert story_names(OTHER, post) == [["cau", "ben", "loi"]]  # what a story could establish at most
    assert story_names(OTHER, post, repeats) == [["cau", "ben", "loi"]]
    assert story_names(OTHER, post, [repeats[0], repeats[0]]) == []  # one text twice: one voice
    assert story_names(OTHER, post, [repeats[0], _tokens("Sập cầu rồi, có vết nứt to")]) == []  # one names it
    assert story_names(OTHER, _tokens("mới làm chưa được một tháng đã nứt"), repeats) == []  # not its kind
    assert story_names(OTHER, _tokens("cầu Bến Lội đã nứt"), repeats) == []  # names it itself
    assert story_names("cầu mới đã nứt, sắp sập", post, repeats) == []  # a phrasing without a name


def test_a_post_read_in_its_story_with_the_names_its_repeats_state():
    """AlertDecider.named / in_story and story_raise's ``reread``: a post under the story floor that
    speaks of the claim's bridge as "cầu mới" is read with the name its story's confident repeats
    state ("Cầu Bến Lội") and raised when that reading passes the floor; ``Decision.named`` is what
    every such name could give, and a story whose repeats do not establish the name raises nothing."""
    from kiemchung.claims.verify import STORY_FLOOR, story_raise

    m = ClaimMatcher()
    m.add("1:0", CLAIM, group="1")
    m.add("2:0", OTHER, group="2")
    d = AlertDecider(m, TermStats.from_texts(NEWS), texts={"1:0": CLAIM, "2:0": OTHER})
    post = "Cầu mới làm chưa được một tháng đã nứt, nghe nói sắp cấm xe vì sợ sập"
    repeats = ["Cầu Bến Lội mới khánh thành đã nứt toác rồi, sắp sập đến nơi", "Sập cầu Bến Lội! có vết nứt to"]
    _, ds = d.decide(post)
    top = ds[0]
    assert top.match.entry_id == "2" and top.level is None and top.probability < STORY_FLOOR <= top.named
    read = d.in_story(post, top, repeats)
    assert read.names == (("cau", "ben", "loi"),) and read.probability == top.named
    assert d.in_story(post, top, [repeats[0], repeats[0].lower()]) is None  # one wording only

    assert not story_raise(ds, (), {"2"})  # without the reading: under the floor
    assert not story_raise(ds, (), {"1"}, lambda x: d.in_story(post, x, repeats))  # another fact-check's repeats
    assert not story_raise(ds, (), {"2"}, lambda x: d.in_story(post, x, repeats[:1]))
    assert story_raise(ds, (), {"2"}, lambda x: d.in_story(post, x, repeats))
    assert top.level == "repeat" and top.story and top.names == read.names and top.probability == read.probability

    _, far = d.decide("Cầu mới làm đẹp quá, cuối tuần đi chơi thôi")  # speaks of a bridge, not of the claim
    assert far[0].named < STORY_FLOOR and not story_raise(far, (), {"2"}, lambda x: d.in_story("", x, repeats))
    _, plain = AlertDecider(m, TermStats.from_texts(NEWS)).decide(post)  # phrasings' texts unknown: no names
    assert plain[0].named == 0.0
