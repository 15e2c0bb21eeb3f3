"""Alerts: once per (document, fact-check), webhook retries, SMTP delivery (real local servers)."""

from __future__ import annotations

import http.server
import json
import socket
import threading
import time

import pytest
from factories import make_doc, run_cli_in_process

from kiemchung.claims.alerts import AlertEngine, list_alerts
from kiemchung.claims.factchecks import create_factcheck, publish_factcheck, withdraw_factcheck
from kiemchung.claims.match import ClaimMatcher, MatchConfig
from kiemchung.claims.notify import deliver_pending, list_notifications
from kiemchung.ingest import Ingestor

# Every test here that takes ``db`` runs on SQLite and on PostgreSQL (tests/conftest.py: any_db).
pytestmark = pytest.mark.pg_fulltext


@pytest.fixture
def db(any_db):
    return any_db


class _Hook(http.server.BaseHTTPRequestHandler):
    mode = "ok"
    received: list = []  # noqa: RUF012 - replaced per server in the fixture

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append(json.loads(body))  # recorded on arrival, before any nap
        if self.server.on_receive is not None:
            self.server.on_receive()
        if self.server.mode == "slow":
            time.sleep(1.0)
        code = 500 if self.server.mode == "500" else 200
        self.send_response(code)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *a):
        pass


@pytest.fixture
def hook():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    srv.mode, srv.received, srv.on_receive = "ok", [], None
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield srv
    srv.shutdown()


def _engine(db):
    fc = create_factcheck(db, "Nước máy Tây Hà bị nhiễm độc, không được dùng nấu ăn", "tin giả", editor="lan",
                          phrasings=["nước máy ở Tây Hà có chất độc"], evidence=["https://soyte.example/tb.html"])
    publish_factcheck(db, fc.id, "lan")
    return fc, AlertEngine(db, ClaimMatcher(MatchConfig(semantic=False)))


def _docs(db):
    docs = [
        make_doc("", "mn ơi nghe nói nước máy Tây Hà bị nhiễm độc, không dùng nấu ăn được, chia sẻ ngay",
                 kind="post", external_id="p1", platform="facebook", day=3),
        make_doc("Giá vàng hôm nay tăng mạnh", "Giá vàng miếng tăng 500.000 đồng mỗi lượng.",
                 url="https://kt.example/vang.html", day=4),
    ]
    Ingestor(db).add(docs)
    return list(db.iter_documents())


def _looser_docs(db):
    """As :func:`_docs`, but the post words the claim more loosely: read without its chatter, the post
    of :func:`_docs` is a near-copy of the claim whose probability is over the curve's top threshold."""
    Ingestor(db).add([make_doc("", "mn ơi nước máy ở Tây Hà nhiễm độc rồi, không được dùng, chia sẻ ngay",
                               kind="post", external_id="p1", platform="facebook", day=3)])
    return list(db.iter_documents())


def test_alert_recorded_once_per_document_and_factcheck(db):
    fc, engine = _engine(db)
    docs = _docs(db)
    first = engine.process(docs)
    assert len(first) == 1 and first[0].factcheck_id == fc.id and first[0].score > 0
    assert any("nhiễm độc" in r for r in first[0].reason)
    assert engine.process(docs) == []  # once only
    assert len(list_alerts(db)) == 1
    assert [n["status"] for n in list_notifications(db)] == ["sent"]  # log channel


def test_official_statements_never_raise_alerts(db):
    """A denial repeats the claim's words; the matcher does not see the negation, so the engine skips
    official statements. The same words in a post do raise the alert (the known limit)."""
    _fc, engine = _engine(db)
    denial = "Sở Y tế khẳng định nước máy Tây Hà không bị nhiễm độc, vẫn dùng nấu ăn bình thường"
    Ingestor(db).add([
        make_doc("Thông báo của Sở Y tế", denial, url="https://soyte.example/tb2.html", kind="official", day=5),
        make_doc("", denial, kind="post", external_id="p7", platform="facebook", day=5),
    ])
    docs = list(db.iter_documents())
    assert engine.refresh().match(denial)[0].matched
    created = engine.process(docs)
    kinds = {d.id: d.kind for d in docs}
    assert [kinds[a.doc_id] for a in created] == ["post"]


def test_appearance_update_lists_the_post_url_once(db):
    from kiemchung.claims.alerts import appearance_update
    from kiemchung.claims.factchecks import update_factcheck
    from kiemchung.errors import NotFoundError

    fc, engine = _engine(db)
    post = "nghe nói nước máy Tây Hà bị nhiễm độc, không dùng nấu ăn được đâu, chia sẻ ngay"
    Ingestor(db).add([make_doc("", post, kind="post", external_id="p5", url="https://mxh.example/p5", day=4),
                      make_doc("", post + " nhé", kind="post", external_id="p6", day=4)])
    by_doc = {a.doc_id: a.id for a in engine.process(list(db.iter_documents()), notify=False)}
    urls = {d.id: d.url for d in db.iter_documents()}
    with_url = next(a for d, a in by_doc.items() if urls[d])
    without_url = next(a for d, a in by_doc.items() if not urls[d])
    change = appearance_update(db, with_url)
    assert change == (fc.id, {"appearances": ["https://mxh.example/p5"]})
    assert appearance_update(db, without_url) is None
    update_factcheck(db, *change, "lan")
    assert appearance_update(db, with_url) is None  # listed already
    withdraw_factcheck(db, fc.id, "lan")
    update_factcheck(db, fc.id, {"appearances": []}, "lan")
    assert appearance_update(db, with_url) is None  # withdrawn
    with pytest.raises(NotFoundError):
        appearance_update(db, 999_999)


def test_matcher_rebuilt_when_factchecks_change(db):
    fc, engine = _engine(db)
    withdraw_factcheck(db, fc.id, "lan")
    assert engine.process(_docs(db)) == []


def test_webhook_500_is_retried_and_kept_pending(db, hook):
    db.set_setting("alert_webhook_url", f"http://127.0.0.1:{hook.server_port}/hook")
    hook.mode = "500"
    _, engine = _engine(db)
    engine.process(_docs(db))
    web = [n for n in list_notifications(db) if n["channel"] == "webhook"]
    assert web[0]["status"] == "pending" and "500" in web[0]["last_error"]
    assert len(hook.received) == 3  # three tries with backoff in one round
    hook.mode = "ok"
    assert deliver_pending(db, backoff=0.01)["sent"] == 1
    assert [n["status"] for n in list_notifications(db) if n["channel"] == "webhook"] == ["sent"]
    body = hook.received[-1]
    assert body["factcheck"]["verdict"] == "sai sự thật"
    # a post has no title: the excerpt is its text; links lead into the web app
    assert body["document"]["title"] in ("", None) and "nhiễm độc" in body["document"]["excerpt"]
    assert body["document"]["kind"] == "post" and body["document"]["platform"] == "facebook"
    assert body["links"]["factcheck"] == f"http://localhost:8000/factchecks/{body['factcheck']['id']}"


def test_webhook_timeout_becomes_failed_but_kept(db, hook):
    db.set_setting("alert_webhook_url", f"http://127.0.0.1:{hook.server_port}/hook")
    db.set_setting("alert_log", "0")
    hook.mode = "slow"
    _, engine = _engine(db)
    engine.process(_docs(db), notify=False)
    from kiemchung.claims.notify import enqueue

    enqueue(db, [a.id for a in list_alerts(db)])
    out = deliver_pending(db, tries=2, backoff=0.01, timeout=0.2, max_rounds=1)
    assert out == {"sent": 0, "pending": 0, "failed": 1, "busy": 0}
    rows = list_notifications(db)
    assert rows[0]["status"] == "failed" and "Timeout" in rows[0]["last_error"]
    # Both attempts were sent before deliver_pending returned; each is recorded as it arrives (the
    # server then naps), so this waits for the server thread, not for a measured time.
    deadline = time.monotonic() + 60
    while len(hook.received) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(hook.received) == 2  # the timed-out POST was retried once (tries=2)
    hook.mode = "ok"
    assert deliver_pending(db, include_failed=True, timeout=2)["sent"] == 1


def test_overlapping_delivery_rounds_send_a_notification_once(db, hook):
    """The alert engine, ``kiemchung alerts deliver`` and a worker's delivery job may each run a delivery
    round while another is sending. Here a second round starts while the first one's webhook call is
    in flight (from inside the receiving server): it must find the notification taken, not send it again."""
    from kiemchung.claims.notify import enqueue

    db.set_setting("alert_webhook_url", f"http://127.0.0.1:{hook.server_port}/hook")
    db.set_setting("alert_log", "0")
    _, engine = _engine(db)
    engine.process(_docs(db), notify=False)
    assert enqueue(db, [a.id for a in list_alerts(db)]) == 1
    inner: list[dict] = []
    hook.on_receive = lambda: inner.append(deliver_pending(db, backoff=0.01))
    assert deliver_pending(db, backoff=0.01) == {"sent": 1, "pending": 0, "failed": 0, "busy": 0}
    assert inner == [{"sent": 0, "pending": 0, "failed": 0, "busy": 1}]
    assert len(hook.received) == 1
    [row] = list_notifications(db)
    assert row["status"] == "sent" and row["attempts"] == 1


def test_a_claim_left_by_a_dead_round_is_taken_after_the_lease(db, hook):
    """A round that died while sending leaves its claim; the next round leaves it alone while the lease
    runs, then sends it."""
    import datetime as dt

    from sqlalchemy import update

    from kiemchung.claims.notify import CLAIM_LEASE_SECONDS, SENDING, enqueue
    from kiemchung.claims.tables import notifications

    db.set_setting("alert_webhook_url", f"http://127.0.0.1:{hook.server_port}/hook")
    db.set_setting("alert_log", "0")
    _, engine = _engine(db)
    engine.process(_docs(db), notify=False)
    enqueue(db, [a.id for a in list_alerts(db)])
    claimed_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=CLAIM_LEASE_SECONDS - 60)
    with db.write() as conn:
        conn.execute(update(notifications).values(status=SENDING, last_attempt_at=claimed_at))
    assert deliver_pending(db, backoff=0.01) == {"sent": 0, "pending": 0, "failed": 0, "busy": 1}
    assert hook.received == []
    with db.write() as conn:
        conn.execute(update(notifications).values(last_attempt_at=claimed_at - dt.timedelta(seconds=120)))
    assert deliver_pending(db, backoff=0.01)["sent"] == 1
    assert len(hook.received) == 1 and list_notifications(db)[0]["status"] == "sent"


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_smtp_email_delivered_to_local_server(db, smtp):
    port, got = smtp
    db.set_setting("smtp_host", "127.0.0.1")
    db.set_setting("smtp_port", str(port))
    db.set_setting("smtp_to", "bientap@lamson.example")
    _, engine = _engine(db)
    engine.process(_docs(db))
    assert len(got) == 1 and got[0].rcpt_tos == ["bientap@lamson.example"]
    assert "nhiễm độc" in got[0].content.decode("utf-8", "replace") or got[0].content


def test_smtp_down_keeps_alert_pending(db):
    db.set_setting("smtp_host", "127.0.0.1")
    db.set_setting("smtp_port", str(_free_port()))
    db.set_setting("smtp_to", "bientap@lamson.example")
    _, engine = _engine(db)
    assert len(engine.process(_docs(db))) == 1
    mail = [n for n in list_notifications(db) if n["channel"] == "email"]
    assert mail[0]["status"] == "pending" and mail[0]["attempts"] == 1 and mail[0]["last_error"]


_cli = run_cli_in_process


def test_cli_factchecks_and_match(tmp_path, capsys):
    path = tmp_path / "cli.db"
    assert _cli(path, "factchecks", "import-sample") == 0
    assert "Đã nạp 5" in capsys.readouterr().out
    assert _cli(path, "match", "nghe nói nước máy Giang Khẩu nhiễm độc không nấu ăn được") == 0
    assert "sai sự thật" in capsys.readouterr().out
    for text in ("", "xin", "chào bạn", "ô " * 50_000):  # empty, one word, short, 100 KB
        assert _cli(path, "match", text) == 0
        assert "không khớp" in capsys.readouterr().out
    assert _cli(path, "match", "nước máy ở thành phố hôm nay đục hơn mọi ngày") == 0  # related, under the line
    out = capsys.readouterr().out
    assert "không khớp" in out and "gần nhất" in out and "< ngưỡng" in out
    assert _cli(path, "factchecks", "add", "Tin đồn mới về cầu", "--verdict", "tin giả", "--editor", "lan") == 0
    capsys.readouterr()
    assert _cli(path, "factchecks", "publish", "6", "--editor", "lan") == 1
    assert "bằng chứng" in capsys.readouterr().err
    out = tmp_path / "cr.json"
    assert _cli(path, "factchecks", "export", "-o", str(out)) == 0
    assert len(json.loads(out.read_text(encoding="utf-8"))["@graph"]) == 5
    bad = tmp_path / "bad.json"
    bad.write_text("{không phải json", encoding="utf-8")
    assert _cli(path, "factchecks", "import", str(bad), "--editor", "lan") == 1
    assert _cli(path, "factchecks", "history", "1") == 0
    assert "v1" in capsys.readouterr().out


def test_alert_grouped_by_story(db):
    from kiemchung import timeutil
    from kiemchung.stories.tables import stories, story_documents

    _, engine = _engine(db)
    docs = _docs(db)
    now = timeutil.now()
    with db.write() as conn:
        sid = conn.execute(stories.insert().values(key="s-nuoc", headline="Nước máy", updated_at=now)).inserted_primary_key[0]
        conn.execute(story_documents.insert().values(doc_id=docs[0].id, story_id=sid, assigned_at=now))
    alerts_ = engine.process(docs)
    assert [a.story_id for a in alerts_] == [sid]
    assert [a.doc_id for a in list_alerts(db, story_id=sid)] == [docs[0].id]


def test_pipeline_raises_alerts_for_new_documents_only_once(db):
    from kiemchung.pipeline import Pipeline

    Ingestor(db).add([make_doc("Giá vàng hôm nay", "Giá vàng miếng tăng.", url="https://kt.example/a.html", day=1)])
    pipe = Pipeline(db)
    assert pipe.run().counts["alerts"] == 0  # no fact-check yet: the cursor skips ahead
    _engine(db)
    _docs(db)  # a post repeating the false claim, and an unrelated article
    counts = pipe.run().counts
    assert counts["stories"] == 2 and counts["alerts"] == 1
    alert = list_alerts(db)[0]
    assert db.get_document(alert.doc_id).kind == "post" and alert.story_id is not None
    Ingestor(db).add([make_doc("Tin khác", "Thời tiết nắng đẹp.", url="https://kt.example/b.html", day=5)])
    assert Pipeline(db).run().counts["alerts"] == 0  # a new process resumes from the stored cursor
    assert len(list_alerts(db)) == 1


def _recent_post(text: str, external_id: str, days_ago: float):
    import datetime as dt

    from kiemchung import timeutil
    from kiemchung.models import Document

    return Document(url=None, title="", lead=text, kind="post", external_id=external_id, platform="facebook",
                    published_at=timeutil.now() - dt.timedelta(days=days_ago))


def test_publishing_a_factcheck_backscans_recent_documents_once(db):
    from kiemchung.claims.alerts import AlertStage
    from kiemchung.claims.config import set_setting

    water = "nghe nói nước máy Tây Hà bị nhiễm độc, không dùng nấu ăn được, chia sẻ ngay"
    gold = "giá vàng miếng hôm nay tăng thêm 500.000 đồng mỗi lượng, mọi người bán ngay đi"
    Ingestor(db).add([
        _recent_post(water, "water-recent", 3),
        _recent_post(water + " nhé cả nhà", "water-old", 45),  # older than the 30-day window
        _recent_post(gold, "gold-recent", 2),
        _recent_post(gold + " nhé", "gold-old", 45),
        _recent_post("cầu Rạch Miễu sắp sập, từ mai cấm xe qua cầu, chia sẻ ngay", "bridge", 5),
    ])
    stage = AlertStage(db)
    assert stage.run() == 0  # nothing published yet: the regular pass skips ahead over all of them
    fc, _ = _engine(db)  # published now, after those posts were read
    assert stage.run() == 1  # the back-scan finds the recent post, not the old one
    [alert] = list_alerts(db)
    assert alert.factcheck_id == fc.id and db.get_document(alert.doc_id).external_id == "water-recent"
    assert stage.run() == 0 and AlertStage(db).run() == 0  # once: the mark moved past this fact-check
    set_setting(db, "alerts_backscan_days", "60")
    other = create_factcheck(db, "Giá vàng miếng hôm nay tăng 500.000 đồng mỗi lượng", "sai sự thật", editor="lan",
                             evidence=["https://nhnn.example/vang.html"])
    publish_factcheck(db, other.id, "lan")
    assert AlertStage(db).run() == 2  # only the new fact-check, over 60 days: both gold posts
    docs = {a.doc_id: a.factcheck_id for a in list_alerts(db)}
    assert sorted(db.get_document(d).external_id for d, f in docs.items() if f == other.id) == ["gold-old", "gold-recent"]
    # an imported fact-check carries an old publication date: back-scanned all the same (by change time)
    bridge = create_factcheck(db, "Cầu Rạch Miễu sắp sập, cấm xe qua cầu", "sai sự thật", editor="lan",
                              evidence=["https://sogtvt.example/cau.html"])
    publish_factcheck(db, bridge.id, "lan", published_at="2020-01-01T00:00:00+07:00")
    assert AlertStage(db).run() == 1 and bridge.id in {a.factcheck_id for a in list_alerts(db)}


def test_backscan_off_and_setting_checked(db):
    from kiemchung.claims.alerts import AlertStage
    from kiemchung.claims.config import set_setting
    from kiemchung.errors import ConfigError

    with pytest.raises(ConfigError):
        set_setting(db, "alerts_backscan_days", "-1")
    set_setting(db, "alerts_backscan_days", "0")
    Ingestor(db).add([_recent_post("nước máy Tây Hà bị nhiễm độc, không dùng nấu ăn được", "p", 1)])
    stage = AlertStage(db)
    stage.run()
    _engine(db)
    assert stage.run() == 0 and list_alerts(db) == []


def test_thresholds_are_per_installation(db, tmp_path):
    from kiemchung.claims.config import match_config, set_setting
    from kiemchung.errors import ConfigError

    create_factcheck(db, "Nước máy Tây Hà bị nhiễm độc, không được dùng nấu ăn", "tin giả", editor="lan",
                     evidence=["https://soyte.example/tb.html"])
    publish_factcheck(db, 1, "lan")
    engine = AlertEngine(db)  # no explicit matcher: the installation's settings
    docs = _looser_docs(db)
    assert engine.config().threshold_lexical == ClaimMatcher().config.threshold_lexical
    set_setting(db, "match_threshold_lexical", "0.99")
    assert match_config(db).threshold_lexical == 0.99
    set_setting(db, "alert_precision", "0.9999")  # stricter than any measured point: the curve's top
    set_setting(db, "alert_related_threshold", "0.999")
    assert engine.process(docs) == []  # same post, stricter office: no alert
    set_setting(db, "alert_precision", "0.9")
    set_setting(db, "alert_related_threshold", "0.1")
    created = engine.process(docs)  # the engine rebuilt its decision on the new settings
    assert len(created) == 1 and created[0].level == "repeat"
    for key, bad in (("match_threshold_lexical", "1.5"), ("match_threshold", "cao"), ("match_semantic", "maybe"),
                     ("alert_webhook_url", "ftp://x"), ("smtp_port", "0"), ("no_such_key", "1")):
        with pytest.raises(ConfigError):
            set_setting(db, key, bad)
    assert match_config(db).threshold_lexical == 0.99  # refused values left nothing behind
    with pytest.raises(ConfigError):
        set_setting(db, "alert_precision", "1.5")
    assert db.get_setting("alert_precision") == "0.9"
    other = tmp_path / "other.db"  # another installation keeps the defaults
    from kiemchung.store import Database

    db2 = Database(other)
    assert match_config(db2) == ClaimMatcher().config
    db2.close()


def test_alerts_grouped_by_current_story(db):
    from kiemchung import timeutil
    from kiemchung.claims.alerts import alerts_by_story
    from kiemchung.stories.tables import stories, story_documents

    fc, engine = _engine(db)
    extra = make_doc("", "cả nhà ơi nước máy Tây Hà bị nhiễm độc rồi, đừng dùng nấu ăn nhé",
                     kind="post", external_id="p2", platform="facebook", day=5)
    lone = make_doc("", "nghe bảo nước máy ở Tây Hà có chất độc, nhiễm độc hết, không nấu ăn được",
                    kind="post", external_id="p3", platform="facebook", day=6)
    _docs(db)
    Ingestor(db).add([extra, lone])
    docs = list(db.iter_documents())
    posts = [d for d in docs if d.kind == "post"]
    now = timeutil.now()
    with db.write() as conn:
        sid = conn.execute(stories.insert().values(key="s-nuoc", headline="Tin đồn nước máy Tây Hà",
                                                   updated_at=now)).inserted_primary_key[0]
        for d in posts[:2]:
            conn.execute(story_documents.insert().values(doc_id=d.id, story_id=sid, assigned_at=now))
    created = engine.process(docs)
    assert sorted(a.doc_id for a in created) == sorted(d.id for d in posts)
    groups = alerts_by_story(db)
    assert [(g.story_id, g.count) for g in groups] == [(sid, 2), (None, 1)] or \
        [(g.story_id, g.count) for g in groups] == [(None, 1), (sid, 2)]
    by = {g.story_id: g for g in groups}
    assert by[sid].headline == "Tin đồn nước máy Tây Hà" and by[sid].factchecks == [fc.id]
    assert {a.doc_id for a in by[sid].alerts} == {posts[0].id, posts[1].id}
    # a story edit after the alert (the lone post joins the story) is followed
    with db.write() as conn:
        conn.execute(story_documents.insert().values(doc_id=posts[2].id, story_id=sid, assigned_at=now))
    assert [(g.story_id, g.count) for g in alerts_by_story(db)] == [(sid, 3)]


def test_cli_alerts_grouped_and_verify_settings(tmp_path, capsys):
    path = tmp_path / "cli.db"
    post = "nghe nói nước máy Giang Khẩu nhiễm độc không nấu ăn được, chia sẻ ngay"
    assert _cli(path, "factchecks", "import-sample") == 0
    assert _cli(path, "alerts") == 0
    assert "Chưa có cảnh báo" in capsys.readouterr().out
    assert _cli(path, "factchecks", "config", "match_threshold_lexical", "0.99") == 0
    assert _cli(path, "factchecks", "config", "match_threshold_lexical") == 0
    assert "match_threshold_lexical = 0.99" in capsys.readouterr().out
    assert _cli(path, "match", post) == 0  # kiemchung match follows the installation's threshold
    assert "không khớp" in capsys.readouterr().out
    assert _cli(path, "factchecks", "config", "match_threshold_lexical", "hai") == 1
    assert "[0, 1]" in capsys.readouterr().err
    assert _cli(path, "factchecks", "config", "match_threshold_lexical", "0.2") == 0
    assert _cli(path, "factchecks", "config") == 0
    assert "alert_webhook_url" in capsys.readouterr().out
    from kiemchung.store import Database

    db = Database(path)
    try:
        Ingestor(db).add([make_doc("", post, kind="post", external_id="p9", platform="facebook", day=3)])
        assert len(AlertEngine(db).process(list(db.iter_documents()))) == 1
    finally:
        db.close()
    assert _cli(path, "alerts") == 0
    out = capsys.readouterr().out
    assert "Không thuộc câu chuyện nào" in out and "1 cảnh báo" in out
    assert _cli(path, "alerts", "list", "--flat") == 0
    assert "nhiễm độc" in capsys.readouterr().out


def test_possibly_related_goes_to_the_queue_only_and_triage_recalibrates(db, hook):
    from kiemchung.claims.config import set_setting
    from kiemchung.claims.verify import decision_model

    set_setting(db, "alert_webhook_url", f"http://127.0.0.1:{hook.server_address[1]}/hook")
    set_setting(db, "match_threshold_lexical", "0.99")  # the matcher never agrees: the verifier alone decides
    set_setting(db, "alert_precision", "0.9999")  # "repeat" needs the curve's top threshold
    set_setting(db, "alert_related_threshold", "0.01")
    fc = create_factcheck(db, "Nước máy Tây Hà bị nhiễm độc, không được dùng nấu ăn", "tin giả", editor="lan",
                          evidence=["https://soyte.example/tb.html"])
    publish_factcheck(db, fc.id, "lan")
    docs = _looser_docs(db)
    created = AlertEngine(db).process(docs)
    assert [a.level for a in created] == ["related"]
    assert list_alerts(db)[0].level == "related" and 0.01 <= list_alerts(db)[0].probability < 0.98
    assert list_notifications(db) == [] and hook.received == []  # never e-mailed, never posted
    from kiemchung.claims.notify import enqueue

    assert enqueue(db, [created[0].id]) == 0  # not even when asked
    # the same post at the default thresholds is a confident repeat, and that one is notified
    for key in ("match_threshold_lexical", "alert_precision", "alert_related_threshold"):
        db.set_setting(key, "")
    db2_doc = make_doc("", "nước máy Tây Hà bị nhiễm độc, đừng dùng nấu ăn nhé", kind="post", external_id="p2",
                       platform="facebook", day=5)
    Ingestor(db).add([db2_doc])
    new = AlertEngine(db).process([d for d in db.iter_documents() if d.external_id == "p2"])
    assert [a.level for a in new] == ["repeat"]
    assert len(hook.received) == 1 and hook.received[0]["alert_id"] == new[0].id
    assert hook.received[0]["level"] == "repeat" and 0.0 < hook.received[0]["probability"] <= 1.0
    # triage: dismissals are stored with the verifier's features and move the decision
    before = decision_model(db)
    from sqlalchemy import update

    from kiemchung.claims.tables import alerts
    from kiemchung.claims.verify import labelled_alerts

    with db.write() as conn:
        conn.execute(update(alerts).values(status="dismissed"))
    assert len(labelled_alerts(db)) == 2 and not any(c for _, c in labelled_alerts(db))
    assert decision_model(db) == before  # two labels: too few to move anything
    # the trade-off shown to this installation counts its own triaged alerts per threshold
    from kiemchung.claims.verify import tradeoff

    curve = tradeoff(db)["curve"]
    in_force = next(p for p in curve if p["in_force"])["installation"]
    # both dismissed alerts would be "repeat" at the default threshold (the first was "related" only
    # under the strict settings above)
    assert in_force == {"alerts": 2, "confirmed": 0, "precision": 0.0}
    counts = [p["installation"]["alerts"] for p in curve]
    assert counts == sorted(counts, reverse=True) and counts[0] <= 2  # fewer alerts as the threshold rises


@pytest.fixture(scope="module")
def sample_figures(tmp_path_factory):
    """benchmarks/sample_alerts.py's figures: demo, factchecks import-sample, alerts scan in a fresh
    database, scored against the sample's gold."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location(
        "sample_alerts", Path(__file__).resolve().parents[1] / "benchmarks" / "sample_alerts.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.run(tmp_path_factory.mktemp("sample") / "sample.db")


def test_bundled_sample_alerts_no_official_or_unrelated_item(sample_figures):
    """The user's path (demo, factchecks import-sample, alerts scan) scored against the sample's gold
    by benchmarks/sample_alerts.py: no false alert at either level; the rumour posts alerted 'repeat'
    stay at least as many as measured (80 of 80 on 2026-12-07 with the names a story establishes,
    verify.story_names; 76 on 2026-12-06 with the story floor under the related level,
    verify.STORY_FLOOR; 62 once each sample rumour is one story; 60 with the story rule,
    verify.story_raise, before that; 40 before it, 35 before the framing filter)."""
    figures = sample_figures
    for level in ("repeat", "related"):
        assert figures[level]["official"] == 0 and figures[level]["unrelated"] == 0, figures
        assert figures[level]["wrong_factcheck"] == 0, figures
    assert figures["repeat"]["right"] >= 80 and figures["claim_items"]["post"] == 80


def test_rumour_posts_stating_one_assertion_of_a_claim_reach_the_claims_queue(sample_figures):
    """Posts that state one assertion of a sample fact-check's compound claim ("nước máy nhiễm độc" of
    "Nước máy ở Giang Khẩu bị nhiễm độc, không được dùng để nấu ăn"), or reword it from far, reach at least
    "Có thể liên quan" (the claims queue): 80 of the 80 rumour posts at either level on 2026-12-07 (76
    on 2026-12-06, 62 before the story floor, 40 before the clause rule), with no official or unrelated
    item (test above)."""
    figures = sample_figures
    assert figures["repeat"]["right"] + figures["related"]["right"] >= 80, figures


def test_every_rumour_post_of_the_sample_alerts_repeat(sample_figures):
    """Issue 15's target: every rumour post that rewords a sample fact-check is alerted ("Lặp lại tin
    sai"), and no official statement or unrelated item is, at either level."""
    assert sample_figures["missed_ids"]["post"] == [] and sample_figures["repeat"]["right"] == 80


_SPREAD = "Nước máy Tây Hà bị nhiễm độc nên mới đục như vậy, cả xóm không ai dám uống, phải mua nước bình."
# Other news in the store (the background that weighs the words): with three documents only, every word
# is rare and the spreading post is under the "related" level.
_NEWS = ["Giá vàng hôm nay tăng mạnh, vàng miếng tăng 500.000 đồng mỗi lượng.",
         "Thời tiết Tây Hà nắng nóng, có nơi trên 38 độ.", "Đội tuyển bóng đá thắng 2-0 trong trận giao hữu tối qua.",
         "Người dân phường Bến Đò được hướng dẫn làm thủ tục trực tuyến.",
         "Công ty cấp nước thông báo lịch bảo trì đường ống tuần tới.", "Cả xóm góp tiền sửa đường, ai cũng vui."]


def _news(db):
    Ingestor(db).add([make_doc(t.split(",")[0], t, url=f"https://tin.example/{i}.html", day=2)
                      for i, t in enumerate(_NEWS)])


def _in_story(db, key: str, docs) -> int:
    from kiemchung import timeutil
    from kiemchung.stories.tables import stories, story_documents

    now = timeutil.now()
    with db.write() as conn:
        sid = conn.execute(stories.insert().values(key=key, headline=key, updated_at=now)).inserted_primary_key[0]
        for d in docs:
            conn.execute(story_documents.insert().values(doc_id=d.id, story_id=sid, assigned_at=now))
    return sid


_REPEAT = "mn ơi nghe nói nước máy Tây Hà bị nhiễm độc, không dùng nấu ăn được, chia sẻ ngay"
_REPEAT_2 = "Nước máy Tây Hà bị nhiễm độc rồi, không được dùng nấu ăn nhé mọi người"


def _post_in(db, story_id: int, text: str, external_id: str):
    from kiemchung import timeutil
    from kiemchung.stories.tables import story_documents

    Ingestor(db).add([make_doc("", text, kind="post", external_id=external_id, platform="facebook", day=4)])
    doc = next(x for x in db.iter_documents() if x.external_id == external_id)
    with db.write() as conn:
        conn.execute(story_documents.insert().values(doc_id=doc.id, story_id=story_id, assigned_at=timeutil.now()))
    return doc


def test_a_related_post_spreading_with_repeats_of_its_story_is_raised(db):
    """Story context (verify.story_raise, alerts.raise_story): a post "possibly related" on its own is a
    "repeat" when two other posts of its story repeat the same fact-check on their own, whichever
    arrives first; one repeat is not enough; the same post in another story stays "related"; a
    dismissed repeat no longer counts."""
    from kiemchung.claims.alerts import set_alert_status
    from kiemchung.claims.verify import STORY_MIN_REPEATS, STORY_REASON
    from kiemchung.labels import label

    assert STORY_MIN_REPEATS == 2
    _, engine = _engine(db)
    _news(db)
    Ingestor(db).add([
        make_doc("", _SPREAD, kind="post", external_id="b", platform="facebook", day=3),
        make_doc("", _SPREAD + " Ai biết gì không?", kind="post", external_id="c", platform="facebook", day=3),
        make_doc("", _REPEAT, kind="post", external_id="a", platform="facebook", day=3),
        make_doc("", _REPEAT_2, kind="post", external_id="a2", platform="facebook", day=3),
    ])
    docs = {d.external_id: d for d in db.iter_documents()}
    sid = _in_story(db, "s-nuoc", [docs["b"], docs["a"], docs["a2"]])
    _in_story(db, "s-khac", [docs["c"]])
    # the related posts arrive first: "related" on their own
    first = engine.process([docs["b"], docs["c"]], notify=False)
    assert [(a.doc_id, a.level) for a in first] == [(docs["b"].id, "related"), (docs["c"].id, "related")]
    # one repeat of its story arrives: not yet spreading
    assert [(a.doc_id, a.level) for a in engine.process([docs["a"]], notify=False)] == [(docs["a"].id, "repeat")]
    assert {a.doc_id: a.level for a in list_alerts(db)}[docs["b"].id] == "related"
    # a second one: b is raised, c (another story) is not
    assert [(a.doc_id, a.level) for a in engine.process([docs["a2"]], notify=False)] == [(docs["a2"].id, "repeat")]
    by_doc = {a.doc_id: a for a in list_alerts(db)}
    assert by_doc[docs["b"].id].level == "repeat" and by_doc[docs["c"].id].level == "related"
    story_line = f"{label('alert_reason', STORY_REASON, 'vi')} ({label('alert_reason', STORY_REASON, 'en')})"
    assert story_line in by_doc[docs["b"].id].reason and story_line not in by_doc[docs["a"].id].reason
    assert label("alert_reason", STORY_REASON, "vi") != STORY_REASON  # labelled, Vietnamese first
    # a post that arrives after the repeats is raised when decided
    [raised] = engine.process([_post_in(db, sid, _SPREAD + " Chia sẻ cho mọi người.", "d")], notify=False)
    assert raised.level == "repeat" and story_line in raised.reason
    # the editor dismisses one repeat: one is left, it raises nothing more (a raised post never counts)
    set_alert_status(db, by_doc[docs["a"].id].id, "dismissed")
    [kept] = engine.process([_post_in(db, sid, _SPREAD + " Thật không vậy?", "e")], notify=False)
    assert kept.level == "related"


def test_a_post_raised_by_its_story_is_notified(db, hook):
    """A "related" alert raised to "repeat" by later repeats of its story is notified like any repeat."""
    db.set_setting("alert_webhook_url", f"http://127.0.0.1:{hook.server_port}/hook")
    _, engine = _engine(db)
    _news(db)
    Ingestor(db).add([
        make_doc("", _SPREAD, kind="post", external_id="b", platform="facebook", day=3),
        make_doc("", _REPEAT, kind="post", external_id="a", platform="facebook", day=3),
        make_doc("", _REPEAT_2, kind="post", external_id="a2", platform="facebook", day=3),
    ])
    docs = {d.external_id: d for d in db.iter_documents() if d.kind == "post"}
    _in_story(db, "s-nuoc", list(docs.values()))
    engine.process([docs["b"]])
    assert not list_notifications(db)  # "related": the queue only
    engine.process([docs["a"], docs["a2"]])
    notified = {n["alert_id"] for n in list_notifications(db)}
    assert {a.id for a in list_alerts(db)} == notified and len(notified) == 3  # the raised one too


_UNDER = "Cả xóm mua nước bình vì nước máy có chất lạ, nghe bảo nhiễm độc."  # under "related", over the floor
_FAR = "Nước máy nhiễm độc thật à, cả xóm đi mua nước bình hết rồi."  # under the story floor
_DENIAL = "Nước máy Tây Hà đạt chuẩn, không nhiễm độc."  # a negation conflict


def test_a_post_under_the_related_level_is_raised_by_confident_repeats_of_its_story(db):
    """Story context under the related level (verify.STORY_FLOOR, AlertEngine._raise_below): a post
    whose most probable candidate is under "related" but over the story floor, without a conflict, is
    a "repeat" when two other posts of its story repeat that fact-check confidently — read again when
    the second repeat arrives, or decided after it; a post under the floor or denying the claim (a
    negation conflict) is not raised."""
    from kiemchung.claims.alerts import document_text
    from kiemchung.claims.verify import STORY_FLOOR, STORY_REASON
    from kiemchung.labels import label

    _, engine = _engine(db)
    _news(db)
    Ingestor(db).add([make_doc("", t, kind="post", external_id=k, platform="facebook", day=3)
                      for k, t in (("u", _UNDER), ("f", _FAR), ("n", _DENIAL), ("a", _REPEAT), ("a2", _REPEAT_2))])
    docs = {d.external_id: d for d in db.iter_documents() if d.kind == "post"}
    sid = _in_story(db, "s-nuoc", list(docs.values()))
    engine.refresh()
    tops = {k: engine.decider.decide(document_text(docs[k]))[1][0] for k in ("u", "f", "n")}
    assert all(d.level is None for d in tops.values())
    assert tops["u"].probability >= STORY_FLOOR > tops["f"].probability
    assert tops["n"].features["neg_diff"]  # a denial of the claim: never raised by its story
    assert engine.process([docs["u"], docs["f"], docs["n"]], notify=False) == []  # nothing recorded yet
    assert [(a.doc_id, a.level) for a in engine.process([docs["a"]], notify=False)] == [(docs["a"].id, "repeat")]
    second = engine.process([docs["a2"]], notify=False)
    assert sorted((a.doc_id, a.level) for a in second) == [(docs["u"].id, "repeat"), (docs["a2"].id, "repeat")]
    story_line = f"{label('alert_reason', STORY_REASON, 'vi')} ({label('alert_reason', STORY_REASON, 'en')})"
    raised = next(a for a in second if a.doc_id == docs["u"].id)
    assert story_line in raised.reason
    assert {a.doc_id for a in list_alerts(db)} == {docs[k].id for k in ("u", "a", "a2")}
    [late] = engine.process([_post_in(db, sid, _UNDER + " Chia sẻ cho mọi người.", "d")], notify=False)
    assert late.level == "repeat" and story_line in late.reason


_BRIDGE = "Cầu Bến Lội vừa khánh thành đã bị nứt, sắp sập."
_WHAT = ("Chợ đêm mở cửa trở lại", "Giá rau tăng nhẹ", "Trường học tổ chức lễ khai giảng", "Đường ống nước được thay mới",
         "Hội thi nấu ăn thu hút đông người", "Xe buýt thêm tuyến mới")
_WHERE = ("ở phường Đông Hòa", "tại xã Tân Lập", "ở huyện Kim Sơn", "tại thị trấn Phú Mỹ", "ở xã Bình An")
_BRIDGE_REPEATS = ("Cầu Bến Lội vừa khánh thành đã bị nứt toác, sắp sập đến nơi rồi.",
                   "Sập cầu Bến Lội! Cầu mới khánh thành đã nứt, sắp sập rồi.")
_BRIDGE_UNNAMED = "Cầu mới làm chưa được một tháng đã nứt, nghe nói sắp cấm xe vì sợ sập."


def test_a_post_that_speaks_of_the_claims_bridge_by_its_kind_is_read_with_its_storys_name(db):
    """verify.story_names in the engine (AlertEngine._reread): a post under the story floor that says
    "cầu mới" (the new bridge) in a story where two different wordings repeat "Cầu Bến Lội…" confidently
    is read with that name, and alerts "repeat" with the story's reason line and one naming what was
    read in — read again when the second repeat arrives, or decided after it. Copies of one repeat are
    one wording: they raise nothing."""
    from kiemchung.claims.alerts import document_text
    from kiemchung.claims.verify import STORY_FLOOR
    from kiemchung.labels import label

    _bridge_store(db)
    engine = AlertEngine(db, ClaimMatcher(MatchConfig(semantic=False)))
    texts = {"u": _BRIDGE_UNNAMED, "a": _BRIDGE_REPEATS[0], "a2": _BRIDGE_REPEATS[1], "c": _BRIDGE_REPEATS[0],
             "c2": _BRIDGE_REPEATS[0].lower(), "v": _BRIDGE_UNNAMED.replace("Cầu mới làm", "Mới làm")}
    Ingestor(db).add([make_doc("", t, kind="post", external_id=k, platform="facebook", day=3) for k, t in texts.items()])
    docs = {d.external_id: d for d in db.iter_documents() if d.kind == "post"}
    engine.refresh()
    under = engine.decider.decide(document_text(docs["u"]))[1][0]
    assert under.level is None and under.probability < STORY_FLOOR <= under.named

    # copies of one wording in a story of their own: the name is not established
    _in_story(db, "s-copies", [docs[k] for k in ("c", "c2")])
    copies = engine.process([docs["c"], docs["c2"]], notify=False)
    assert [a.level for a in copies] == ["repeat", "repeat"]
    assert all(a.probability >= engine.decider.model.repeat_threshold for a in copies)  # confident repeats
    sid = _in_story(db, "s-cau", [docs[k] for k in ("u", "v", "a", "a2")])
    assert engine.process([docs["u"], docs["v"]], notify=False) == []
    assert [a.level for a in engine.process([docs["a"]], notify=False)] == ["repeat"]
    second = engine.process([docs["a2"]], notify=False)
    assert sorted((a.doc_id, a.level) for a in second) == [(docs["u"].id, "repeat"), (docs["a2"].id, "repeat")]
    raised = next(a for a in second if a.doc_id == docs["u"].id)
    names_line = (f"{label('alert_reason', 'story_names', 'vi')}: Cầu Bến Lội "
                  f"({label('alert_reason', 'story_names', 'en')})")
    assert names_line in raised.reason and raised.probability >= STORY_FLOOR
    assert docs["v"].id not in {a.doc_id for a in list_alerts(db)}  # "mới làm…": not the bridge's kind
    [late] = engine.process([_post_in(db, sid, "cau moi lam chua dc mot thang da nut, so sap lam", "d")], notify=False)
    assert late.level == "repeat" and names_line in late.reason
    # the same post in the story of copies only: not raised
    assert engine.process([_post_in(db, _story_id(db, "s-copies"), _BRIDGE_UNNAMED, "e")], notify=False) == []


def test_names_established_by_a_later_wording_raise_the_storys_earlier_posts(db):
    """AlertEngine._raise_below: when a story's first two confident repeats are copies of one text, the
    bridge's name is not established yet and the earlier "cầu mới…" post stays under the floor; the
    first confident repeat in a second wording establishes it, and the earlier post is read again and
    raised — the same alerts as a scan after everything arrived (`alerts scan`)."""
    _bridge_store(db)
    engine = AlertEngine(db, ClaimMatcher(MatchConfig(semantic=False)))
    texts = {"u": _BRIDGE_UNNAMED, "c": _BRIDGE_REPEATS[0], "c2": _BRIDGE_REPEATS[0].upper(),
             "a2": _BRIDGE_REPEATS[1]}
    Ingestor(db).add([make_doc("", t, kind="post", external_id=k, platform="facebook", day=3) for k, t in texts.items()])
    docs = {d.external_id: d for d in db.iter_documents() if d.kind == "post"}
    _in_story(db, "s-cau", list(docs.values()))
    assert engine.process([docs["u"]], notify=False) == []
    copies = engine.process([docs["c"], docs["c2"]], notify=False)
    assert sorted(a.doc_id for a in copies) == sorted([docs["c"].id, docs["c2"].id])  # u: names not established
    assert all(a.probability >= engine.decider.model.repeat_threshold for a in copies)
    third = engine.process([docs["a2"]], notify=False)
    assert sorted((a.doc_id, a.level) for a in third) == [(docs["u"].id, "repeat"), (docs["a2"].id, "repeat")]


def _bridge_store(db) -> None:
    """The bridge fact-check published, and the store's news (_news and more)."""
    fc = create_factcheck(db, _BRIDGE, "tin giả", editor="lan", evidence=["https://sogtvt.example/cau.html"])
    publish_factcheck(db, fc.id, "lan")
    _news(db)
    # more of the store's news, so that the bridge's name weighs as a name does in a grown store
    Ingestor(db).add([make_doc(f"Tin {n}", f"{what} {where}.", url=f"https://tin.example/b{n}.html", day=2)
                      for n, (what, where) in enumerate((w, p) for w in _WHAT for p in _WHERE)])


def _story_id(db, key: str) -> int:
    from sqlalchemy import select

    from kiemchung.stories.tables import stories

    with db.read() as conn:
        return conn.execute(select(stories.c.id).where(stories.c.key == key)).scalar_one()
