"""Writes made from the CLI are audited like writes made from the web: the library records them."""

from __future__ import annotations

import json

import pytest
from factories import make_doc, run_cli_in_process, target_of
from sqlalchemy import insert

from kiemchung import audit, timeutil
from kiemchung.claims.tables import alerts
from kiemchung.ingest import Ingestor

# Every test here that takes ``db`` runs on SQLite and on PostgreSQL (tests/conftest.py: any_db).
pytestmark = pytest.mark.pg_fulltext


@pytest.fixture
def db(any_db):
    return any_db


EDITOR = ("--editor", "Lan")


@pytest.fixture
def cli(db, capsys):
    def run(*args: str) -> str:
        code = run_cli_in_process(target_of(db), *args)
        out = capsys.readouterr()
        assert code == 0, (args, out.err)
        return out.out + out.err

    return run


def newest(db, n: int = 1) -> list[dict]:
    return audit.entries(db, n)


def test_cli_actor_names_the_operating_system_user():
    assert audit.cli_actor().startswith("cli:") and len(audit.cli_actor()) > 4


def test_factcheck_written_from_the_cli_is_audited(db, cli):
    cli("factchecks", "add", "Nước máy Tây Hà nhiễm độc", "--verdict", "sai sự thật",
        "--evidence", "https://soyte.lamson.gov.vn/thong-bao", *EDITOR)
    kept, entry = newest(db, 2)  # the cited page is asked for (kept evidence) after the fact-check is made
    assert kept["action"] == "capture.request" and kept["after"]["url"] == "https://soyte.lamson.gov.vn/thong-bao"
    assert entry["action"] == "factcheck.create" and entry["user"] == audit.cli_actor()
    assert entry["object"] == "factcheck:1" and entry["before"] is None and entry["after"]["claim"]
    cli("factchecks", "edit", "1", "--explanation", "Sở Y tế đã xét nghiệm: nước đạt chuẩn.", *EDITOR)
    entry = newest(db)[0]
    assert entry["action"] == "factcheck.update" and entry["before"]["explanation"] == ""
    assert entry["after"]["explanation"].startswith("Sở Y tế")
    cli("factchecks", "publish", "1", *EDITOR)
    entry = newest(db)[0]
    assert (entry["action"], entry["user"]) == ("factcheck.publish", audit.cli_actor())
    assert entry["before"]["status"] == "draft" and entry["after"]["status"] == "published"


def test_factcheck_approval_from_the_cli_is_audited(db, cli):
    cli("settings", "set", "require_approval", "1")
    cli("factchecks", "add", "Cầu Bến Đá bị nứt", "--verdict", "sai sự thật",
        "--evidence", "https://giaothong.lamson.gov.vn/cau", *EDITOR)
    cli("factchecks", "publish", "1", *EDITOR)
    assert newest(db)[0]["action"] == "factcheck.propose"
    cli("factchecks", "publish", "1", "--editor", "Lan", "--approver", "Minh")
    entry = newest(db)[0]
    assert entry["action"] == "factcheck.approve" and entry["after"]["approved_by"] == "Minh"


def test_claimreview_import_from_the_cli_is_audited(db, cli, tmp_path):
    item = {"@context": "https://schema.org", "@type": "ClaimReview", "claimReviewed": "Uống nước chanh chữa sốt xuất huyết",
            "reviewRating": {"@type": "Rating", "alternateName": "Sai"}, "url": "https://kiemchung.vn/1",
            "itemReviewed": {"@type": "Claim", "appearance": [{"url": "https://mxh.vn/p/1"}]},
            "datePublished": "2026-03-01", "citation": ["https://soyte.lamson.gov.vn/tb"]}
    path = tmp_path / "cr.json"
    path.write_text(json.dumps(item, ensure_ascii=False), encoding="utf-8")
    cli("factchecks", "import", str(path), *EDITOR)
    actions = [e["action"] for e in newest(db, 5)]
    assert "factcheck.create" in actions
    assert all(e["user"] == audit.cli_actor() for e in newest(db, 5) if e["action"].startswith("factcheck."))


def test_sources_settings_watchlists_from_the_cli_are_audited(db, cli):
    cli("sources", "add", "https://baolamson.vn/rss", "--name", "Báo Lam Sơn")
    entry = newest(db)[0]
    assert (entry["action"], entry["object"], entry["user"]) == ("source.add", "source:1", audit.cli_actor())
    assert entry["after"]["url"] == "https://baolamson.vn/rss"
    cli("sources", "remove", "1")
    assert newest(db)[0]["action"] == "source.remove" and newest(db)[0]["before"]["name"] == "Báo Lam Sơn"

    cli("settings", "set", "match_threshold_lexical", "0.5")
    entry = newest(db)[0]
    assert entry["action"] == "setting.set" and entry["after"] == {"value": "0.5"}
    cli("settings", "set", "smtp_password", "MatKhau-Bi-Mat-77")
    entry = newest(db)[0]
    assert entry["object"] == "setting:smtp_password" and entry["after"] == {"value": "••••"}
    assert "MatKhau-Bi-Mat-77" not in json.dumps(newest(db, 50), ensure_ascii=False, default=str)
    cli("settings", "set", "hash_authors", "0")
    assert newest(db)[0]["object"] == "setting:hash_authors" and newest(db)[0]["after"] == {"value": "0"}

    cli("watch-lists", "add", "nuoc-may", "nước máy")
    entry = newest(db)[0]
    assert entry["action"] == "watchlist.add" and entry["after"] == {"name": "nuoc-may", "query": "nước máy"}
    cli("watch-lists", "remove", "nuoc-may")
    assert newest(db)[0]["action"] == "watchlist.remove"


def test_story_edits_and_reports_from_the_cli_are_audited(db, cli, sample_docs, tmp_path):
    Ingestor(db).add(sample_docs)
    cli("stories", "run")
    with db.read() as conn:
        ids = [r[0] for r in conn.exec_driver_sql("SELECT id FROM stories ORDER BY id LIMIT 2")]
    cli("stories", "merge", str(ids[0]), str(ids[1]))
    entry = newest(db)[0]
    assert (entry["action"], entry["user"]) == ("story.merge", audit.cli_actor())
    assert entry["before"]["from"] == ids[1]
    with db.read() as conn:
        docs = [r[0] for r in conn.exec_driver_sql(f"SELECT doc_id FROM story_documents WHERE story_id = {ids[0]}")]
    cli("stories", "split", str(ids[0]), str(docs[0]))
    assert newest(db)[0]["action"] == "story.split" and newest(db)[0]["before"]["docs"] == [docs[0]]

    cli("report", "--from", "2026-03-01", "--to", "2026-03-31", "--format", "md", "--out", str(tmp_path / "bc"))
    entry = newest(db)[0]
    assert entry["action"] == "report.generate" and entry["user"] == audit.cli_actor()
    assert entry["after"]["files"] and entry["after"]["files"][0].endswith(".md")


def test_alert_triage_from_the_cli_is_audited_and_confirming_lists_the_appearance(db, cli):
    cli("factchecks", "add", "Nước máy Tây Hà nhiễm độc", "--verdict", "sai sự thật",
        "--evidence", "https://soyte.lamson.gov.vn/thong-bao", *EDITOR)
    cli("factchecks", "publish", "1", *EDITOR)
    Ingestor(db).add([make_doc("Nước máy Tây Hà nhiễm độc?", "mn ơi nước máy nhiễm độc",
                               url="https://mxh.vn/bai/9", kind="post", day=9)])
    with db.write() as conn:
        conn.execute(insert(alerts).values(doc_id=1, factcheck_id=1, score=0.9, reason={}, status="new",
                                           created_at=timeutil.now()))
    cli("alerts", "status", "1", "seen")
    entry = newest(db)[0]
    assert (entry["action"], entry["object"], entry["user"]) == ("alert.status", "alert:1", audit.cli_actor())
    assert entry["before"] == {"status": "new"} and entry["after"] == {"status": "seen"}
    cli("alerts", "status", "1", "confirmed", *EDITOR)
    actions = [e["action"] for e in newest(db, 3)]
    assert actions == ["capture.request", "factcheck.update", "alert.status"]  # the post's page is to be kept
    assert newest(db)[0]["after"] == {"url": "https://mxh.vn/bai/9", "factcheck": 1, "alert": 1}
    assert "https://mxh.vn/bai/9" in newest(db, 2)[1]["after"]["appearances"]
    assert run_cli_in_process(target_of(db), "alerts", "status", "1", "bogus") == 1


def test_users_from_the_cli_are_audited_with_the_os_user(db, cli):
    from kiemchung import users

    users.add_user(db, "quantri", "matkhau-manh-123", "admin", actor=audit.cli_actor())
    cli("users", "role", "quantri", "editor")
    entry = newest(db)[0]
    assert (entry["action"], entry["user"]) == ("user.role", audit.cli_actor())
