"""Chatter and framing around a claim (kiemchung/text/framing.py) and the alert decision reading a post
without it. The sentences are written for these tests."""

from __future__ import annotations

import pytest

from kiemchung.claims.match import ClaimMatcher
from kiemchung.claims.verify import AlertDecider, TermStats
from kiemchung.text import fold
from kiemchung.text.framing import clauses, is_chatter, strip_framing

CLAIM = "Trường Tiểu học Hòa Bình cho học sinh nghỉ hết tháng vì dịch cúm."


@pytest.mark.parametrize(("post", "core"), [
    ("KHẨN CẤP!!! Trường Tiểu học Hòa Bình cho học sinh nghỉ hết tháng. Mọi người chia sẻ ngay nhé 🙏 #tinnong",
     "Trường Tiểu học Hòa Bình cho học sinh nghỉ hết tháng"),
    ("Nghe nói chợ Bình Minh sắp bị giải tỏa, có ai biết không?", "chợ Bình Minh sắp bị giải tỏa"),
    ("Cả nhà ơi, người ta bảo đường Lê Lợi cấm xe cả tuần!", "đường Lê Lợi cấm xe cả tuần"),
    ("Tin nóng: xăng tăng 1.000 đồng từ 15 giờ hôm nay. Share giùm mình với!!!",
     "xăng tăng 1.000 đồng từ 15 giờ hôm nay"),
    ("Chợ Bình Minh có bị giải tỏa không?", "Chợ Bình Minh có bị giải tỏa không"),  # a question about the claim stays
    ("Nước giếng nhà mình đục lắm, không ai dám uống.", "Nước giếng nhà mình đục lắm, không ai dám uống"),
    ("Mọi người dân phường Tân An được nhận gạo cứu trợ", "Mọi người dân phường Tân An được nhận gạo cứu trợ"),
    ("Sở Y tế thông báo kết quả kiểm tra nước", "Sở Y tế thông báo kết quả kiểm tra nước"),
    ("Thông báo: trường nghỉ học ngày mai. Ai biết thêm thì bình luận nha", "trường nghỉ học ngày mai"),
])
def test_strip_framing_keeps_the_claim(post, core):
    assert strip_framing(post) == core
    # the same post without diacritics, in lower case, as many posts are written
    assert strip_framing(fold(post)) == fold(core)


@pytest.mark.parametrize("post", ["", "chia sẻ ngay!!! 😱😱", "mn ơi share gấp", "#tinnong #chiase",
                                  "KHẨN CẤP!!!", "có ai biết không?", "🙏🙏🙏"])
def test_a_post_of_chatter_only_leaves_nothing(post):
    assert strip_framing(post) == ""


def test_final_particles_are_cut_only_where_unambiguous():
    assert strip_framing("Đường Lê Lợi cấm xe cả tuần nhé") == "Đường Lê Lợi cấm xe cả tuần"
    # without diacritics "nha" is also "nhà" (house), "nhe" "nhẹ" (light), "a" "Á" (Asia): kept
    for text in ("con minh chua ve nha", "gia vang tang nhe", "giai bong da chau a"):
        assert strip_framing(text) == text


def test_teencode_chatter_is_chatter():
    assert is_chatter("ai biết gì thêm ko") and is_chatter("mn chia se cho nhau bit")
    assert not is_chatter("ko ai dám uống nước")


def test_clauses_split_at_punctuation_not_inside_numbers():
    assert clauses("Giá 1.000 đồng, tăng 0,5 điểm. Hết!\nDòng hai") == ["Giá 1.000 đồng", "tăng 0,5 điểm", "Hết",
                                                                          "Dòng hai"]
    assert clauses("") == [] and clauses(" ,. ") == []


def _decider() -> AlertDecider:
    m = ClaimMatcher()
    m.add("1:0", CLAIM, group="1")
    m.add("2:0", "Cầu Bến Lội vừa khánh thành đã bị nứt, sắp sập.", group="2")
    news = ["Giá vàng hôm nay tăng mạnh", "Trường học chuẩn bị cho năm học mới", "Học sinh đi học trở lại",
            "Dịch cúm mùa tăng nhẹ ở phía Bắc", "Bão số 3 đổ bộ vào đất liền"] * 20
    return AlertDecider(m, TermStats.from_texts(news))


@pytest.mark.parametrize("wrap", [
    "KHẨN CẤP!!! {} Mọi người chia sẻ ngay 😱 #chiase",
    "Nghe nói {} có ai biết không?",
    "{} mn ơi share gấp",
])
def test_chatter_does_not_change_the_decision(wrap):
    """A reworded claim wrapped in chatter is read exactly as without it (same features, probability
    and level), accented or not."""
    d = _decider()
    post = "trường Tiểu học Hòa Bình cho học sinh nghỉ hết tháng vì dịch cúm."
    _, plain = d.decide(post)
    for text in (wrap.format(post), fold(wrap.format(post))):
        _, wrapped = d.decide(text)
        assert wrapped[0].match.entry_id == plain[0].match.entry_id == "1"
        assert wrapped[0].features == plain[0].features and wrapped[0].level == plain[0].level == "repeat"


def test_a_post_of_chatter_only_never_alerts():
    results, decisions = _decider().decide("Mọi người ơi chia sẻ ngay!!! 😱 #khancap https://example.com/x")
    assert results == [] and decisions == []


def test_the_held_out_chatter_of_the_robustness_check_is_not_in_the_filter():
    """eval matching --chatter measures the verifier on chatter the filter's lexicon does not hold:
    the phrases kept out of it stay out (kiemchung/claims/chatter.py)."""
    from kiemchung.claims.chatter import HELD_OUT, PREFIXES, SUFFIXES, add_chatter

    assert HELD_OUT and all(strip_framing(p) for p in HELD_OUT)
    assert sum(not strip_framing(p) for p in PREFIXES + SUFFIXES if p not in HELD_OUT) >= 15
    post = "Trường Tiểu học Hòa Bình cho học sinh nghỉ hết tháng vì dịch cúm."
    wrapped = {add_chatter(str(i), post) for i in range(50)}
    assert len(wrapped) > 20 and all(post.rstrip(".") in w or post.upper().rstrip(".") in w for w in wrapped)
    assert add_chatter("7", post) == add_chatter("7", post)  # deterministic per post id
    assert all(w == fold(w) for w in (add_chatter(str(i), fold(post)) for i in range(20)))
