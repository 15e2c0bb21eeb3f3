"""Fact-check knowledge base: verdicts, evidence rule, approval, duplicates, history (real SQLite)."""

from __future__ import annotations

import pytest
from factories import make_doc, run_cli_in_process

from kiemchung.claims.factchecks import (
    ApprovalError,
    DuplicateFactCheckError,
    EvidenceRequiredError,
    create_factcheck,
    get_factcheck,
    history,
    list_factchecks,
    parse_verdict,
    publish_factcheck,
    update_factcheck,
    withdraw_factcheck,
)
from kiemchung.errors import ConfigError, NotFoundError
from kiemchung.ingest import Ingestor

# Every test here that takes ``db`` runs on SQLite and on PostgreSQL (tests/conftest.py: any_db).
pytestmark = pytest.mark.pg_fulltext


@pytest.fixture
def db(any_db):
    return any_db


@pytest.mark.parametrize(
    ("label", "code"),
    [("tin giả", "false"), ("Tin sai sự thật", "false"), ("thông tin xuyên tạc", "false"),
     ("sai một phần", "misleading"), ("thiếu căn cứ", "misleading"), ("ĐÚNG", "true"),
     ("chưa kiểm chứng", "unverified"), ("false", "false"), ("gay hieu lam", "misleading")],
)
def test_label_mapping(label, code):
    assert parse_verdict(label) == code


def test_unknown_verdict_is_refused():
    with pytest.raises(ConfigError, match="Kết luận không hợp lệ"):
        parse_verdict("có lẽ vậy")


def test_publishing_false_without_evidence_is_refused(db):
    fc = create_factcheck(db, "Cầu Bến Đá sắp sập vì nứt dầm", "tin giả", "Cầu an toàn.", editor="lan")
    assert fc.status == "draft" and fc.verdict == "false" and fc.original_label == "tin giả"
    with pytest.raises(EvidenceRequiredError, match="chưa có bằng chứng"):
        publish_factcheck(db, fc.id, "lan")
    assert get_factcheck(db, fc.id).status == "draft"
    fc = update_factcheck(db, fc.id, {"evidence": ["https://soxaydung.example/cau-ben-da.html"]}, "lan")
    assert publish_factcheck(db, fc.id, "lan").status == "published"


def test_true_verdict_needs_no_evidence_but_an_editor(db):
    fc = create_factcheck(db, "Tỉnh Lam Sơn có 12 huyện", "đúng", editor="lan")
    with pytest.raises(ConfigError, match="biên tập viên"):
        publish_factcheck(db, fc.id, "  ")
    assert publish_factcheck(db, fc.id, "lan").status == "published"


def test_official_statement_as_evidence(db):
    official = make_doc("Thông báo của Sở Y tế về nước máy", "Nước máy đạt chuẩn.", kind="official",
                        url="https://soyte.lamson.example/tb-1.html")
    article = make_doc("Bài báo thường", "Nội dung.", url="https://bao.example/a.html")
    Ingestor(db).add([official, article])
    ids = {d.title: d.id for d in db.iter_documents()}
    fc = create_factcheck(db, "Nước máy Tây Hà nhiễm độc", "sai sự thật", editor="lan",
                          evidence=[ids["Thông báo của Sở Y tế về nước máy"]])
    assert fc.evidence[0]["doc_id"] and fc.evidence[0]["url"] == "https://soyte.lamson.example/tb-1.html"
    with pytest.raises(ConfigError, match="văn bản chính thức"):
        update_factcheck(db, fc.id, {"evidence": [ids["Bài báo thường"]]}, "lan")
    with pytest.raises(ConfigError, match="không hợp lệ"):
        update_factcheck(db, fc.id, {"evidence": ["ftp://x"]}, "lan")


def test_duplicate_claim_is_refused_with_pointer(db):
    fc = create_factcheck(db, "Nước máy Tây Hà bị nhiễm độc", "tin giả", editor="lan",
                          phrasings=["nghe nói nước máy Tây Hà có độc"])
    for text in ("nước MÁY  Tây Hà bị nhiễm độc!!", "Nghe nói nước máy Tây Hà có độc."):
        with pytest.raises(DuplicateFactCheckError) as info:
            create_factcheck(db, text, "sai", editor="minh")
        assert info.value.existing == fc.id and f"#{fc.id}" in str(info.value)
    assert len(list_factchecks(db)) == 1  # the refused ones left nothing behind


def test_require_approval_two_editors(db):
    db.set_setting("require_approval", "1")
    fc = create_factcheck(db, "Trường học nghỉ cả tuần", "gây hiểu lầm", editor="lan",
                          evidence=["https://sogd.example/tb.html"])
    fc = publish_factcheck(db, fc.id, "lan")
    assert fc.status == "proposed" and fc.proposed_by == "lan"
    with pytest.raises(ApprovalError):
        publish_factcheck(db, fc.id, "lan", approver="lan")
    fc = publish_factcheck(db, fc.id, "lan", approver="minh")
    assert fc.status == "published" and fc.approved_by == "minh" and fc.published_at is not None


def test_history_keeps_every_version(db):
    fc = create_factcheck(db, "Giá xăng tăng 5.000 đồng từ mai", "chưa kiểm chứng", editor="lan")
    update_factcheck(db, fc.id, {"explanation": "Bộ Công Thương chưa công bố."}, "minh")
    publish_factcheck(db, fc.id, "minh")
    withdraw_factcheck(db, fc.id, "lan", reason="trùng")
    h = history(db, fc.id)
    assert [v.action for v in h] == ["create", "update", "publish", "withdraw"]
    assert [v.version for v in h] == [1, 2, 3, 4]
    assert h[0].snapshot["explanation"] == "" and h[1].snapshot["explanation"].startswith("Bộ Công")
    assert h[1].editor == "minh" and h[3].snapshot["status"] == "withdrawn"
    assert all(v.at.tzinfo is not None for v in h)


def test_list_filters_and_not_found(db):
    a = create_factcheck(db, "Nước chanh chữa ung thư", "tin giả", editor="lan", evidence=["https://a.example/1"])
    create_factcheck(db, "Tỉnh có 12 huyện", "đúng", editor="lan")
    publish_factcheck(db, a.id, "lan")
    assert [f.id for f in list_factchecks(db, status="published")] == [a.id]
    assert [f.id for f in list_factchecks(db, verdicts=["false"])] == [a.id]
    assert [f.id for f in list_factchecks(db, query="nuoc chanh")] == [a.id]
    with pytest.raises(NotFoundError):
        get_factcheck(db, 999)
    with pytest.raises(ConfigError):
        update_factcheck(db, a.id, {"status": "draft"}, "lan")


def test_admin_may_approve_own_proposal(db):
    from kiemchung.users import add_user

    add_user(db, "quantri", "mat-khau-dai-123", "admin")
    db.set_setting("require_approval", "1")
    fc = create_factcheck(db, "Xăng tăng giá 5.000 đồng", "tin giả", editor="quantri", evidence=["https://a.example/x"])
    publish_factcheck(db, fc.id, "quantri")
    assert publish_factcheck(db, fc.id, "quantri", approver="quantri").status == "published"


_cli = run_cli_in_process


def test_cli_add_edit_publish_list_feed(tmp_path, capsys):
    import feedparser

    path = tmp_path / "cli.db"
    assert _cli(path, "factchecks", "add", "Trường Tiểu học Hòa Bình cho học sinh nghỉ cả tuần",
                "--verdict", "thiếu căn cứ", "--editor", "lan", "--phrasing", "hòa bình nghỉ học cả tuần") == 0
    assert "gây hiểu lầm" in capsys.readouterr().out  # the desk's label mapped onto the vocabulary
    assert _cli(path, "factchecks", "publish", "1", "--editor", "lan") == 1  # no evidence yet
    assert "bằng chứng" in capsys.readouterr().err
    assert _cli(path, "factchecks", "edit", "1", "--editor", "minh", "--evidence", "https://pgd.example/tb-3.html",
                "--phrasing", "học sinh Hòa Bình được nghỉ một tuần", "--explanation", "Phòng Giáo dục bác bỏ.") == 0
    assert "được nghỉ một tuần" in capsys.readouterr().out
    assert _cli(path, "factchecks", "edit", "1", "--editor", "minh") == 1  # nothing to change
    assert "Không có gì để sửa" in capsys.readouterr().err
    assert _cli(path, "factchecks", "publish", "1", "--editor", "minh") == 0
    assert _cli(path, "factchecks", "add", "Giá điện tăng 3%", "--verdict", "đúng", "--editor", "lan") == 0
    capsys.readouterr()
    assert _cli(path, "factchecks", "list", "--status", "published") == 0
    out = capsys.readouterr().out
    assert "Hòa Bình" in out and "Giá điện" not in out
    assert _cli(path, "factchecks", "list", "--verdict", "đúng") == 0
    out = capsys.readouterr().out
    assert "Giá điện" in out and "Hòa Bình" not in out
    assert _cli(path, "factchecks", "list", "--status", "xoá") == 1
    capsys.readouterr()
    assert _cli(path, "factchecks", "history", "1") == 0
    out = capsys.readouterr().out
    assert [line.split()[0] for line in out.splitlines() if line.startswith("v")] == ["v1", "v2", "v3"]
    for fmt in ("rss", "atom"):
        feed = tmp_path / f"kc.{fmt}"
        assert _cli(path, "factchecks", "feed", "--format", fmt, "-o", str(feed)) == 0
        parsed = feedparser.parse(feed.read_bytes())
        assert not parsed.bozo and [e.title for e in parsed.entries] == [
            "[gây hiểu lầm] Trường Tiểu học Hòa Bình cho học sinh nghỉ cả tuần"]
    assert _cli(path, "factchecks", "feed", "--format", "json") == 1


def test_cli_import_reports_bad_items_and_keeps_good_ones(tmp_path, capsys):
    import json

    path = tmp_path / "cli.db"
    good = {"@type": "ClaimReview", "claimReviewed": "Chợ Đông Hà đóng cửa một tháng", "datePublished": "2026-03-04",
            "reviewRating": {"alternateName": "Tin giả"}, "citation": "https://ubnd.example/cho.html"}
    f = tmp_path / "cr.json"
    f.write_text(json.dumps({"@graph": [good, {"@type": "ClaimReview"}]}, ensure_ascii=False), encoding="utf-8")
    assert _cli(path, "factchecks", "import", str(f), "--editor", "lan") == 0
    out = capsys.readouterr().out
    assert "Đã nhập 1 bài; 1 lỗi" in out and "Mục 1" in out
    assert _cli(path, "factchecks", "list", "--status", "published") == 0
    assert "Chợ Đông Hà" in capsys.readouterr().out


def test_publication_date_from_elsewhere_is_versioned(db):
    import datetime as dt

    fc = create_factcheck(db, "Cầu treo Bản Mòng bị cuốn trôi", "sai sự thật", editor="lan",
                          evidence=["https://sogtvt.example/cau-treo.html"])
    with pytest.raises(ConfigError, match="Ngày xuất bản"):
        publish_factcheck(db, fc.id, "lan", published_at="tuần trước")
    fc = publish_factcheck(db, fc.id, "lan", published_at="2026-02-10T09:30:00+07:00")
    when = dt.datetime(2026, 2, 10, 2, 30, tzinfo=dt.UTC)
    assert fc.published_at == when
    h = history(db, fc.id)
    assert h[-1].action == "publish" and h[-1].snapshot["published_at"] == fc.published_at.isoformat()
    assert h[0].at <= h[-1].at  # the change itself is dated now, not back-dated


def test_sample_factchecks_keep_their_own_dates(db):
    from kiemchung.claims.factchecks import load_sample_factchecks
    from kiemchung.sources.sample import sample_factchecks
    from kiemchung.timeutil import parse_time

    assert load_sample_factchecks(db) == (len(sample_factchecks()), 0)
    got = {f.key: f.published_at for f in list_factchecks(db, status="published")}
    assert got == {s["id"]: parse_time(s["published_at"]) for s in sample_factchecks()}
    assert load_sample_factchecks(db) == (0, len(sample_factchecks()))  # loading twice adds nothing
