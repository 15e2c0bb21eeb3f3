"""Suggested evidence: official statements that speak to a claim, ranked by the claim matcher."""

from __future__ import annotations

from factories import make_doc, run_cli_in_process

from kiemchung.claims.evidence import suggest_evidence
from kiemchung.claims.factchecks import create_factcheck, update_factcheck
from kiemchung.ingest import Ingestor
import pytest

# Every test here that takes ``db`` runs on SQLite and on PostgreSQL (tests/conftest.py: any_db).
pytestmark = pytest.mark.pg_fulltext


@pytest.fixture
def db(any_db):
    return any_db


def _statements(db):
    Ingestor(db).add([
        make_doc("Sở Y tế: nước máy Tây Hà đạt quy chuẩn",
                 "18 mẫu nước máy ở ba phường Tây Hà đều đạt quy chuẩn; nước đục do súc xả đường ống.",
                 url="https://soyte.example/nuoc-may.html", kind="official", day=10),
        make_doc("UBND tỉnh: cầu Bến Lức vẫn an toàn",
                 "Cầu Bến Lức không có vết nứt nguy hiểm, xe vẫn lưu thông bình thường.",
                 url="https://ubnd.example/cau.html", kind="official", day=11),
        make_doc("Nước máy Tây Hà bị nhiễm độc?", "Bài báo thường, không phải văn bản chính thức.",
                 url="https://bao.example/nuoc.html", day=12),
    ])
    return {d.url: d.id for d in db.iter_documents()}


def test_official_statement_is_suggested_for_its_claim_and_unrelated_is_not(db):
    ids = _statements(db)
    got = suggest_evidence(db, "Nước máy ở Tây Hà bị nhiễm độc, không được dùng nấu ăn")
    assert [s.document.id for s in got] == [ids["https://soyte.example/nuoc-may.html"]]  # articles are not evidence
    assert got[0].coverage >= 0.3 and got[0].reason and got[0].document.kind == "official"
    assert suggest_evidence(db, "Đội tuyển bóng đá nữ thắng 2-1 trước Ấn Độ") == []
    assert suggest_evidence(db, "") == [] and suggest_evidence(db, "nước máy", limit=0) == []


def test_cited_statements_are_left_out_and_new_ones_are_seen(db):
    ids = _statements(db)
    fc = create_factcheck(db, "Cầu Bến Lức bị nứt, sắp sập", "sai sự thật", editor="lan",
                          evidence=["https://x.example/a"])
    cau = ids["https://ubnd.example/cau.html"]
    assert [s.document.id for s in suggest_evidence(db, fc.id)] == [cau]
    fc = update_factcheck(db, fc.id, {"evidence": ["https://ubnd.example/cau.html"]}, "lan")
    assert suggest_evidence(db, fc) == []  # cited already, by its URL
    fc = update_factcheck(db, fc.id, {"evidence": [cau]}, "lan")
    assert suggest_evidence(db, fc) == []  # cited already, as a stored document
    Ingestor(db).add([make_doc("Sở GTVT: kiểm định cầu Bến Lức", "Kết quả kiểm định cầu Bến Lức: không nứt, không sập.",
                               url="https://sogtvt.example/cau.html", kind="official", day=13)])
    new = {d.url: d.id for d in db.iter_documents()}["https://sogtvt.example/cau.html"]
    assert [s.document.id for s in suggest_evidence(db, fc)] == [new]  # the index follows new statements


def test_cli_evidence_command(tmp_path, capsys):
    path = tmp_path / "cli.db"
    assert run_cli_in_process(path, "init") == 0
    from kiemchung.store.database import Database

    with Database(path) as other:
        _statements(other)
    capsys.readouterr()
    assert run_cli_in_process(path, "factchecks", "evidence", "nuoc may tay ha bi nhiem doc") == 0
    out = capsys.readouterr().out
    assert "soyte.example/nuoc-may.html" in out and "bao.example" not in out
    assert run_cli_in_process(path, "factchecks", "evidence", "giá vàng hôm nay") == 0
    assert "Không có văn bản" in capsys.readouterr().out
