"""Durations and scopes written in words (kiemchung/text/quantity.py), the verifier's ``scope_diff``.

Fixture sentences are written for this file (not taken from any data set).
"""

from __future__ import annotations

import pytest

from kiemchung.labels import label
from kiemchung.text import normalize, syllables
from kiemchung.text.quantity import durations, quantities, quantity_conflict, scopes


def toks(text: str) -> list[str]:
    return syllables(normalize(text, teencode=True))


def conflict(a: str, b: str) -> bool:
    return quantity_conflict(quantities(toks(a)), quantities(toks(b)))


@pytest.mark.parametrize(("text", "expected"), [
    ("Chợ Phú Hòa đóng cửa một ngày để phun thuốc", ((1.0, 1.0),)),
    ("cho phu hoa dong cua 1 ngay de phun thuoc", ((1.0, 1.0),)),
    ("Nhà máy dừng hoạt động hết tuần", ((5.0, 7.0),)),
    ("Nhà máy dừng hoạt động cả tuần", ((5.0, 7.0),)),
    ("Đường bị cấm hai mươi lăm ngày", ((25.0, 25.0),)),
    ("Đường bị cấm mười lăm ngày", ((15.0, 15.0),)),
    ("Khu chung cư mới xây chưa được một tháng đã thấm", ((10.0, 30.0),)),
    ("Mất điện hơn 2 tuần", ((14.0, 42.0),)),
    ("Mưa vài ngày nữa", ((2.0, 5.0),)),
    ("Cầu tạm dựng trong nửa tháng", ((15.0, 15.0),)),
])
def test_durations_in_words_and_digits(text: str, expected: tuple) -> None:
    assert durations(toks(text)) == expected


@pytest.mark.parametrize("text", [
    "Ngày 13 tháng 10 năm 2025 tỉnh tổ chức hội nghị",  # a date, not 10 months nor 13 days
    "Mỗi ngày có ba chuyến xe",  # a frequency
    "Việt Nam ngày mai có mưa",  # "Nam" is not five
    "Đoàn bay ngày mai",  # "bay" (fly) is not seven
    "Sau ngày khai giảng",  # "sau" (after) is not six
    "Người dân làm ngày làm đêm",  # "làm" is not five
])
def test_words_that_only_look_like_durations(text: str) -> None:
    assert durations(toks(text)) == ()


@pytest.mark.parametrize(("text", "whole", "part"), [
    ("Toàn tỉnh cấm đốt rơm", True, False),
    ("Cả nước tăng giá điện", True, False),
    ("Tất cả các chợ đóng cửa", True, False),
    ("Chợ nào cũng đóng cửa", True, False),
    ("Ba huyện cấm đốt rơm", False, True),
    ("3 xã vùng cao mất điện", False, True),
    ("Một số chợ đóng cửa", False, True),
    ("Vài trường cho nghỉ", False, True),
    ("Trong ba trường hợp, hai quan chức bị kỷ luật", False, False),  # a case, officials: no scope
    ("Năm 2025 tỉnh có thêm 2 thanh niên tình nguyện", False, False),
    ("Toàn tỉnh có ba huyện bị ngập", True, True),
])
def test_whole_and_partial_scopes(text: str, whole: bool, part: bool) -> None:
    assert scopes(toks(text)) == (whole, part)


def test_conflicts_between_a_statement_and_its_exaggeration() -> None:
    # duration: one day against the whole week, in words and folded alike
    assert conflict("Huyện Tân Mỹ cho công nhân nghỉ một ngày", "Cả tỉnh cho công nhân nghỉ hết tuần")
    assert conflict("huyen tan my cho cong nhan nghi mot ngay", "ca tinh cho cong nhan nghi het tuan")
    # scope: three districts against the whole province
    assert conflict("Ba huyện cấm đốt rơm rạ", "Toàn tỉnh cấm đốt rơm rạ")
    assert conflict("Một số chợ đóng cửa", "Tất cả các chợ đóng cửa")
    # agreement in other words is no conflict
    assert not conflict("Mất điện ba ngày", "mat dien 3 ngay")
    assert not conflict("Trường nghỉ cả tuần", "trường nghỉ hết tuần")
    assert not conflict("Nghỉ một tuần", "Nghỉ bảy ngày liền cả tuần")
    assert not conflict("Mất điện hơn 2 tuần", "Mất điện 20 ngày")


def test_a_quantity_one_side_states_is_no_conflict() -> None:
    assert not conflict("Cầu mới làm chưa được một tháng đã nứt", "Cầu Tân Mỹ vừa khánh thành đã nứt")
    assert not conflict("Toàn tỉnh cấm đốt rơm", "Cấm đốt rơm rạ")
    assert not conflict("Nhà máy dừng hết tuần", "Nhà máy dừng hoạt động")
    # a text that states a whole and a part is not read as either
    assert not conflict("Toàn tỉnh có ba huyện bị ngập", "Ba huyện bị ngập")


def test_scope_diff_is_a_verifier_feature_and_a_conflict_with_a_label() -> None:
    from kiemchung.claims.verify import CONFLICTS, PAIR_FEATURES, TermWeights, conflict, pair_features

    weigh = TermWeights(None)
    f = pair_features(toks("Cả tỉnh cho công nhân nghỉ hết tuần"), toks("Huyện Tân Mỹ cho công nhân nghỉ một ngày"), weigh)
    assert f["scope_diff"] == 1.0 and conflict(f)
    assert "scope_diff" not in PAIR_FEATURES  # not in the blend: a conflict only
    g = pair_features(toks("Cả tỉnh cho công nhân nghỉ hết tuần"), toks("ca tinh cho cong nhan nghi ca tuan"), weigh)
    assert g["scope_diff"] == 0.0 and not conflict(g)
    for name in CONFLICTS:
        assert label("alert_conflict", name, "vi") != name and label("alert_conflict", name, "en") != name
