"""Watchlist rises pushed through the alert channels once per rise (a local SMTP server and a local webhook),
recorded and audited; the morning digest by e-mail and on the web page; the worker task; an injected clock."""

from __future__ import annotations

import datetime as dt
import http.server
import json
import socket
import threading

import pytest
from sqlalchemy import select

from kiemchung import users as U
from kiemchung.audit import audit_log
from kiemchung.ingest import Ingestor
from kiemchung.models import Document
from kiemchung.stories.places_tables import digests
from kiemchung.stories.watch_alerts import check_rises, list_rises, run_scheduled
from kiemchung.stories.watchlists import add_watchlist

pytestmark = pytest.mark.pg_fulltext

VN = dt.timezone(dt.timedelta(hours=7))
NOW = dt.datetime(2026, 3, 20, 12, 0, tzinfo=VN)


def _text(envelope) -> str:
    """Subject and plain text of a received mail, decoded."""
    import email
    from email import policy

    msg = email.message_from_bytes(envelope.content, policy=policy.default)
    return msg["Subject"] + "\n" + msg.get_body(("plain",)).get_content()


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def hook():
    got = []

    class Hook(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            got.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *a):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}/hook", got
    srv.shutdown()


def _doc(i, title, when):
    return Document(url=f"https://tin.example.vn/{i}.html", title=f"{title} số {i}",
                    lead=f"Tin thứ {i}: {title.lower()}, theo người dân địa phương, mã {i * 7919}.", published_at=when)


@pytest.fixture
def loaded(any_db, smtp, hook):
    """A flood topic at 1 document every other day for 15 days, then 12 in the last 24 h before NOW; an
    unrelated flat topic; a watchlist on each; SMTP and a webhook configured."""
    db = any_db
    docs, i = [], 0
    for day in range(15, 0, -1):
        i += 1
        docs.append(_doc(i, "Giá điện tăng nhẹ", NOW - dt.timedelta(days=day, hours=3)))
        if day % 2:
            i += 1
            docs.append(_doc(i, "Lũ quét ở Lam Sơn", NOW - dt.timedelta(days=day, hours=5)))
    for k in range(12):
        i += 1
        docs.append(_doc(i, "Lũ quét ở Lam Sơn, 3 người mất tích", NOW - dt.timedelta(hours=k + 1)))
    Ingestor(db).add(docs)
    add_watchlist(db, "Lũ quét", "lũ quét")
    add_watchlist(db, "Giá điện", '"giá điện"')
    port, mails = smtp
    url, posts = hook
    for k, v in (("smtp_host", "127.0.0.1"), ("smtp_port", str(port)), ("smtp_to", "bientap@lamson.example"),
                 ("alert_webhook_url", url), ("site_url", "https://kc.lamson.example")):
        db.set_setting(k, v)
    return db, mails, posts


def test_rise_notified_once_recorded_and_audited(loaded):
    db, mails, posts = loaded
    rep = check_rises(db, NOW)
    assert rep.opened == 1 and rep.failed == 0
    assert len(mails) == 1 and mails[0].rcpt_tos == ["bientap@lamson.example"]
    body = _text(mails[0])
    assert "Lũ quét" in body and "đang nổi lên" in body
    assert len(posts) == 1 and posts[0]["type"] == "watchlist_rise" and posts[0]["watchlist"]["name"] == "Lũ quét"
    assert posts[0]["links"]["attention"].startswith("https://kc.lamson.example/attention?watchlist=")
    # Still rising an hour later: no second message.
    rep = check_rises(db, NOW + dt.timedelta(hours=1))
    assert rep.opened == 0 and rep.ongoing == 1 and len(mails) == 1 and len(posts) == 1
    rises = list_rises(db)
    assert len(rises) == 1 and rises[0]["deliveries"]["email"] == "sent" and rises[0]["notified_at"] is not None
    with db.read() as conn:
        actions = [r.action for r in conn.execute(select(audit_log.c.action).where(audit_log.c.action == "watchlist.rise"))]
    assert actions == ["watchlist.rise"]
    # Two days later the burst has left the 24-h window: the rise is closed.
    assert check_rises(db, NOW + dt.timedelta(days=2)).closed == 1
    assert list_rises(db)[0]["ended_at"] is not None


def test_a_new_burst_after_the_cool_down_is_a_new_rise(loaded):
    db, mails, _ = loaded
    check_rises(db, NOW)
    check_rises(db, NOW + dt.timedelta(days=2))  # closed
    later = NOW + dt.timedelta(days=4)
    Ingestor(db).add([_doc(1000 + k, "Lũ quét lại ở Lam Sơn, sạt lở đường", later - dt.timedelta(hours=k + 1))
                      for k in range(14)])
    assert check_rises(db, later).opened == 1 and len(mails) == 2 and len(list_rises(db)) == 2


def test_failed_channel_retried_without_resending(loaded, smtp):
    db, mails, posts = loaded
    db.set_setting("smtp_port", str(_free_port()))  # nobody listens there
    rep = check_rises(db, NOW)
    assert rep.opened == 1 and rep.failed == 1 and len(posts) == 1
    assert list_rises(db)[0]["notified_at"] is None and list_rises(db)[0]["deliveries"]["webhook"] == "sent"
    db.set_setting("smtp_port", str(smtp[0]))
    check_rises(db, NOW + dt.timedelta(minutes=10))
    assert len(mails) == 1 and len(posts) == 1 and list_rises(db)[0]["notified_at"] is not None


def test_off_by_setting(loaded):
    db, mails, _ = loaded
    db.set_setting("watch_alerts", "0")
    assert check_rises(db, NOW).opened == 0 and not mails and list_rises(db) == []


def test_morning_digest_mail_page_and_once(loaded):
    db, mails, _ = loaded
    from kiemchung.reports.digest import build_digest

    check_rises(db, NOW)  # a rise during 20/03
    mails.clear()
    morning = dt.datetime(2026, 3, 21, 6, 0, tzinfo=VN)
    assert run_scheduled(db, morning)["digest"] is None  # before digest_hour (7)
    out = run_scheduled(db, morning + dt.timedelta(hours=2))
    assert out["digest"] == "sent"
    digest_mails = [m for m in mails if "Bản tin buổi sáng" in _text(m)]
    assert len(digest_mails) == 1
    text = _text(digest_mails[0])
    assert "Lũ quét" in text and "https://kc.lamson.example/digest?day=2026-03-20" in text
    assert run_scheduled(db, morning + dt.timedelta(hours=3))["digest"] is None  # once a day
    with db.read() as conn:
        assert conn.execute(select(digests.c.status)).scalars().all() == ["sent"]
    dg = build_digest(db, dt.date(2026, 3, 20))
    assert [r["name"] for r in dg.rises] == ["Lũ quét"]
    assert "Lũ quét" in dg.claims

    from fastapi.testclient import TestClient

    from kiemchung.web.app import create_app

    U.add_user(db, "xem", "matkhau-manh-123", "viewer")
    c = TestClient(create_app(db))
    assert c.post("/login", data={"username": "xem", "password": "matkhau-manh-123"}, follow_redirects=False).status_code == 303
    page = c.get("/digest?day=2026-03-20")
    assert page.status_code == 200 and "Lũ quét" in page.text and "<script>" not in page.text
    assert c.get("/digest?day=khong-phai-ngay").status_code == 400


def test_worker_task(loaded):
    from types import SimpleNamespace

    from kiemchung.workers.tasks import Runtime, watch_alerts

    db, mails, _ = loaded
    ctx = SimpleNamespace(additional_context={"kiemchung": Runtime(db, ner=False)})
    out = watch_alerts(ctx, timestamp=int(NOW.timestamp()))
    assert out["rises"]["opened"] == 1 and out["digest"] == "sent"  # 12:00: the digest of 19/03 is due too
    assert len(mails) == 2


def test_cli_digest_and_rises(loaded, any_db_target, monkeypatch):
    from typer.testing import CliRunner

    from kiemchung.cli import app, load_commands

    db, mails, _ = loaded
    db.set_setting("reference_time", NOW.isoformat())
    load_commands()
    monkeypatch.setenv("COLUMNS", "200")
    r = CliRunner().invoke(app, ["--db", str(any_db_target), "watch-rises", "--check"])
    assert r.exit_code == 0, r.output
    assert "Mới (new): 1" in r.output and "Lũ quét" in r.output and "email: đã gửi" in r.output
    r = CliRunner().invoke(app, ["--db", str(any_db_target), "digest", "--day", "20/03/2026"])
    assert r.exit_code == 0 and "Bản tin buổi sáng (morning digest) — ngày 20/03/2026" in r.output
    r = CliRunner().invoke(app, ["--db", str(any_db_target), "digest", "--day", "31/02/2026"])
    assert r.exit_code != 0 and "Traceback" not in r.output


def test_scheduled_watch_thread_runs_rounds_with_an_injected_clock(loaded):
    import time

    from kiemchung.stories.watch_alerts import ScheduledWatch

    db, mails, _ = loaded
    sched = ScheduledWatch(db, interval_s=0.05, clock=lambda: NOW).start()
    deadline = time.monotonic() + 60
    while not list_rises(db) and time.monotonic() < deadline:
        time.sleep(0.05)
    sched.stop()
    assert len(list_rises(db)) == 1
    assert sum("đang nổi lên" in _text(m) for m in mails) == 1  # many rounds, one message
