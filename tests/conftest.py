"""Shared fixtures: a fresh real SQLite file per test, and small invented Vietnamese documents."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

from factories import make_doc

from kiemchung.store import Database

# Property tests explore new random examples on every developer run; CI (.ci/run sets
# HYPOTHESIS_PROFILE=ci) replays a fixed derandomized set so that a landing is never decided by luck.
# A failure found locally becomes a regression test (an @example or a fixture).
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

# The address guard refuses loopback; the local HTTP servers the tests run on 127.0.0.1 are reached
# through the allow-list, the way an installation lists an intranet host. Set here, before any test
# runs, so the `kiemchung` processes tests start inherit it. Tests of the guard itself remove it
# (fixture `no_allow_list` in tests/test_ssrf.py) or bind 127.0.0.2, which the list leaves out.
os.environ["KIEMCHUNG_FETCH_ALLOW_HOSTS"] = "127.0.0.1, localhost"

@pytest.fixture
def db(tmp_path):
    database = Database(tmp_path / "kc.db")
    yield database
    database.close()


@pytest.fixture
def sample_docs():
    """A handful of invented news items about the fictional province of Lam Sơn."""
    return [
        make_doc(
            "Tỉnh Lam Sơn khai trương cầu Bến Đá",
            "Cầu Bến Đá dài 1.200 m nối hai huyện Tây Hà và Đông Hà được đưa vào sử dụng sáng nay.",
            url="https://baolamson.vn/cau-ben-da-khai-truong.html",
            day=2,
        ),
        make_doc(
            "Nước chanh không chữa được sốt xuất huyết",
            "Sở Y tế Lam Sơn cho biết uống nước chanh không thể thay thế việc điều trị sốt xuất huyết.",
            url="https://tinlamson.vn/nuoc-chanh-sot-xuat-huyet.html",
            day=5,
        ),
        make_doc(
            "Hòa Bình thôn mới đón nước sạch",
            "Hơn 300 hộ dân xã Hòa Bình, huyện Tây Hà đã có nước sạch sinh hoạt sau nhiều năm chờ đợi.",
            url="https://baolamson.vn/hoa-binh-nuoc-sach.html",
            day=9,
        ),
        make_doc(
            "Giá vàng hôm nay tăng mạnh",
            "Giá vàng miếng trong nước tăng 500.000 đồng mỗi lượng so với hôm qua.",
            url="https://kinhte-lamson.vn/gia-vang.html",
            day=12,
        ),
        make_doc(
            "",
            "mn ơi ko uống nước máy nha, nghe nói nước máy Tây Hà nhiễm độc, chia sẻ ngay",
            kind="post",
            external_id="p-1",
            platform="facebook",
            author="@nguoidung123",
            day=14,
        ),
    ]
