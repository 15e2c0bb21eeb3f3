"""Provinces before and after the 2025 merger, name resolution and the place scan."""

from __future__ import annotations

import pytest

from kiemchung.errors import ConfigError
from kiemchung.places import find_places, provinces, resolve_place


def test_counts_and_every_old_province_maps_to_a_new_one():
    new, old = provinces("new"), provinces("old")
    assert len(new) == 34
    assert len(old) == 63
    codes = {p.code for p in new}
    assert {p.new_code for p in old} == codes
    assert sum(p.kind == "thành phố" for p in new) == 6
    with pytest.raises(ConfigError):
        provinces("later")


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Quảng Nam", "da-nang"),
        ("quang nam", "da-nang"),
        ("tỉnh Quảng Nam", "da-nang"),
        ("Bình Dương", "ho-chi-minh"),
        ("TP.HCM", "ho-chi-minh"),
        ("TPHCM", "ho-chi-minh"),
        ("Sài Gòn", "ho-chi-minh"),
        ("sai gon", "ho-chi-minh"),
        ("HN", "ha-noi"),
        ("Hà Tây", "ha-noi"),
        ("Thừa Thiên Huế", "hue"),
        ("tỉnh Đắk Lắk", "dak-lak"),
        ("Đăk Lăk", "dak-lak"),
        ("Phú Yên", "dak-lak"),
        ("Đắk Nông", "lam-dong"),
        ("Hà Giang", "tuyen-quang"),
        ("Nam Định", "ninh-binh"),
        ("Kon Tum", "quang-ngai"),
        ("Bà Rịa - Vũng Tàu", "ho-chi-minh"),
        ("BR-VT", "ho-chi-minh"),
        ("Kiên Giang", "an-giang"),
        ("Bạc Liêu", "ca-mau"),
        ("thanh pho Can Tho", "can-tho"),
        ("quang-nam", "da-nang"),
    ],
)
def test_resolve_place(name, code):
    place = resolve_place(name)
    assert place is not None, name
    assert place.code == code
    assert place.era == "new"


@pytest.mark.parametrize("name", ["", "   ", "Lam Giang", "Nam", "phố"])
def test_unknown_names(name):
    assert resolve_place(name) is None


def test_find_places_old_names_and_no_diacritics():
    found = find_places("Mưa lớn ở Quảng Nam; nguoi dan quang ngai va dak lak da duoc so tan.")
    assert [(m.text, m.code, m.era) for m in found] == [
        ("Quảng Nam", "da-nang", "old"),
        ("quang ngai", "quang-ngai", "new"),
        ("dak lak", "dak-lak", "new"),
    ]
    m = found[0]
    assert "Mưa lớn ở Quảng Nam"[m.start:m.end] == "Quảng Nam"


def test_longest_match_and_abbreviations():
    found = find_places("Bà Rịa - Vũng Tàu và TP.HCM; tin từ Thừa Thiên Huế")
    assert [(m.text, m.code) for m in found] == [
        ("Bà Rịa - Vũng Tàu", "ho-chi-minh"),
        ("TP.HCM", "ho-chi-minh"),
        ("Thừa Thiên Huế", "hue"),
    ]


def test_false_friends_are_not_places():
    assert find_places("Mọi người mong hòa bình và thái bình.") == []
    assert find_places("Tàu đi qua Thái Bình Dương.") == []
    assert find_places("Học tập tư tưởng Hồ Chí Minh.") == []
    assert find_places("hoa huệ nở") == []  # one syllable folds to "hue" but is not Huế
    assert find_places("hn nay troi dep") == []  # lowercase abbreviation
    # Capitalised, they are places again.
    assert [m.code for m in find_places("Lũ ở Hòa Bình, Huế và HN")] == ["phu-tho", "hue", "ha-noi"]


def test_empty_text():
    assert find_places("") == []


def test_other_diacritics_are_not_the_place():
    assert find_places("Tất cả mẫu nước đều đạt") == []
    assert [m.code for m in find_places("Khánh Hoà và Thanh Hoá, QUẢNG NAM")] == ["khanh-hoa", "thanh-hoa", "da-nang"]


def test_title_case_and_separators():
    assert find_places("Tàu ra hải dương xa. Hòa bình là khát vọng.") == []
    assert find_places("Giá nhà Khánh, Hòa nói") == []  # a comma splits the name
    assert find_places("minh hai va ban be") == []  # a former name must be capitalised
    assert [m.code for m in find_places("quang nam mua to, nguoi dan Hai Duong")] == ["da-nang", "hai-phong"]
