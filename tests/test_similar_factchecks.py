"""Similar fact-checks: rewordings of a claim already checked are shown, unrelated ones are not."""

from __future__ import annotations

from factories import run_cli_in_process

from kiemchung.claims.factchecks import create_factcheck, publish_factcheck, withdraw_factcheck
from kiemchung.claims.similar import similar_factchecks
import pytest

# Every test here that takes ``db`` runs on SQLite and on PostgreSQL (tests/conftest.py: any_db).
pytestmark = pytest.mark.pg_fulltext


@pytest.fixture
def db(any_db):
    return any_db


EVIDENCE = ["https://soyte.example/thong-bao.html"]


def _kb(db):
    a = create_factcheck(db, "Uống nước chanh nóng mỗi sáng chữa khỏi ung thư", "sai sự thật", editor="lan",
                         evidence=EVIDENCE)
    b = create_factcheck(db, "Giá điện sinh hoạt tăng 15% từ tháng 7", "gây hiểu lầm", editor="lan",
                         evidence=EVIDENCE)
    c = create_factcheck(db, "Vắc-xin sởi gây tự kỷ ở trẻ em", "sai sự thật", editor="minh", evidence=EVIDENCE)
    publish_factcheck(db, a.id, "lan")
    return a, b, c


def test_rewording_is_found_and_unrelated_is_not(db):
    a, _b, _c = _kb(db)
    new = create_factcheck(db, "Mỗi sáng uống nước chanh nóng sẽ chữa khỏi bệnh ung thư", "chưa kiểm chứng",
                           editor="minh")
    found = similar_factchecks(db, new.id)
    assert [s.factcheck.id for s in found] == [a.id]
    assert found[0].same_claim and 0.0 < found[0].score <= 1.0
    assert found[0].phrasing == a.claim and found[0].reason
    # and the other way round: the new draft is shown on the published one
    assert [s.factcheck.id for s in similar_factchecks(db, a)] == [new.id]


def test_text_being_written_and_other_figures(db):
    _a, b, _c = _kb(db)
    same = similar_factchecks(db, "tu thang 7 gia dien sinh hoat tang 15%")
    assert [s.factcheck.id for s in same] == [b.id] and same[0].same_claim
    other = similar_factchecks(db, "Giá điện sinh hoạt tăng 30% từ tháng 7")
    assert not other or other[0].score < same[0].score  # another figure: less alike
    assert similar_factchecks(db, "Đội tuyển bóng đá nữ thắng 2-1 trước Ấn Độ") == []
    assert similar_factchecks(db, "") == [] and similar_factchecks(db, "   ") == []


def test_withdrawn_and_own_are_left_out_and_cache_follows_changes(db):
    _a, _b, c = _kb(db)
    text = "Tiêm vắc-xin sởi khiến trẻ em bị tự kỷ"
    assert [s.factcheck.id for s in similar_factchecks(db, text)] == [c.id]
    assert similar_factchecks(db, c.id) == []  # never itself
    publish_factcheck(db, c.id, "minh")
    withdraw_factcheck(db, c.id, "minh", "trùng")
    assert similar_factchecks(db, text) == []
    d = create_factcheck(db, "Vắc-xin sởi làm trẻ em mắc chứng tự kỷ", "sai sự thật", editor="lan",
                         evidence=EVIDENCE)
    assert [s.factcheck.id for s in similar_factchecks(db, text)] == [d.id]


def test_limit(db):
    base = "Nước máy ở phường Tây Hà bị nhiễm độc, không được dùng"
    ids = [create_factcheck(db, f"{base} {suffix}", "sai sự thật", editor="lan", evidence=EVIDENCE).id
           for suffix in ("nấu ăn", "để uống", "tắm giặt", "cho trẻ nhỏ")]
    found = similar_factchecks(db, base, limit=2)
    assert len(found) == 2 and {s.factcheck.id for s in found} <= set(ids)
    assert similar_factchecks(db, base, limit=0) == []


def test_cli_add_warns_and_similar_command(tmp_path, capsys):
    path = tmp_path / "cli.db"
    assert run_cli_in_process(path, "factchecks", "add", "Uống nước chanh nóng mỗi sáng chữa khỏi ung thư",
                              "--verdict", "sai sự thật", "--evidence", EVIDENCE[0], "--editor", "lan") == 0
    assert "Có thể trùng" not in capsys.readouterr().out
    assert run_cli_in_process(path, "factchecks", "add", "Mỗi sáng uống nước chanh nóng sẽ chữa khỏi bệnh ung thư",
                              "--verdict", "chưa kiểm chứng", "--editor", "minh") == 0
    out = capsys.readouterr().out
    assert "Có thể trùng #1" in out and "same claim" in out
    assert run_cli_in_process(path, "factchecks", "similar", "uong nuoc chanh nong chua khoi ung thu") == 0
    out = capsys.readouterr().out
    assert "#1" in out and "#2" in out
    assert run_cli_in_process(path, "factchecks", "similar", "Giá vàng hôm nay tăng mạnh") == 0
    assert "no similar fact-check" in capsys.readouterr().out
