"""Tips: the public form and API, grouping, matching, editor-chosen replies by the channel the tip came
by (form status page, e-mail over a local SMTP server, Telegram through a local Bot API stand-in), the
IMAP inbox (a local IMAP server, tests/imapserver.py), abuse limits, privacy, the CLI."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import socket
import threading
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from factories import run_cli_in_process
from fastapi.testclient import TestClient
from imapserver import IMAPServer
from sqlalchemy import select

from kiemchung import users as U
from kiemchung.audit import entries
from kiemchung.claims.factchecks import create_factcheck, publish_factcheck
from kiemchung.store import schema as t
from kiemchung.tips import (
    TipImage,
    TipRateLimited,
    TipRefused,
    get_tip,
    grouped_tips,
    list_tips,
    match_tips,
    reply_tip,
    submit_tip,
    tip_by_secret,
)
from kiemchung.tips.tables import tips as tips_t
from kiemchung.web import create_app

pytestmark = pytest.mark.pg_fulltext

PW = "matkhau-manh-123"
RUMOUR = "Có thật là uống nước chanh nóng mỗi sáng chữa khỏi ung thư giai đoạn cuối không?"


@pytest.fixture
def db(any_db):
    any_db.set_setting("match_semantic", "off")
    return any_db


def _png(color=(200, 30, 30), size=(40, 30)) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, "PNG")
    return buf.getvalue()


def _factcheck(db, claim="Uống nước chanh nóng mỗi sáng chữa khỏi ung thư giai đoạn cuối", verdict="false"):
    fc = create_factcheck(db, claim, verdict, "Không có nghiên cứu nào cho thấy điều này.", editor="lan",
                          phrasings=[claim.lower()], evidence=["https://benhvien.example/chanh.html"])
    publish_factcheck(db, fc.id, "lan")
    return fc


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


# -- the service -----------------------------------------------------------------------------------


def test_same_tip_from_many_people_is_grouped_with_a_count_and_matched(db):
    fc = _factcheck(db)
    for i in range(4):
        submit_tip(db, text=RUMOUR, ip=f"10.0.0.{i}")
    submit_tip(db, text=RUMOUR.replace("mỗi sáng", "mỗi buổi sáng"), ip="10.0.0.9")  # near-identical
    other, _ = submit_tip(db, text="Giá xăng ngày mai có tăng 5.000 đồng một lít không?", ip="10.0.0.7")
    assert match_tips(db) == 6
    groups = grouped_tips(db)
    assert sorted(g.count for g in groups) == [1, 5]
    big = next(g for g in groups if g.count == 5)
    assert big.best["factcheck_id"] == fc.id and big.best["level"] in ("repeat", "related")
    assert get_tip(db, other.id).matches == []
    # each tip is a document of kind "tip" that went through dedupe
    with db.read() as conn:
        kinds = conn.execute(select(t.documents.c.kind).where(t.documents.c.id.in_([x.doc_id for x in big.tips]))).scalars().all()
    assert set(kinds) == {"tip"}


def test_a_tip_matches_a_fact_check_found_true_too(db):
    fc = _factcheck(db, "Tỉnh cho học sinh nghỉ học ngày thứ hai vì bão số 9", verdict="true")
    tip, _ = submit_tip(db, text="Nghe nói tỉnh cho học sinh nghỉ học ngày thứ hai vì bão số 9, đúng không ạ?")
    match_tips(db)
    assert [m["factcheck_id"] for m in get_tip(db, tip.id).matches] == [fc.id]


def test_contact_is_kept_only_with_consent_and_never_in_the_document(db):
    a, _ = submit_tip(db, text="Tin này có thật không: phát tiền hỗ trợ qua tin nhắn", contact="nguoi.dan@example.vn")
    b, _ = submit_tip(db, text="Tin kia có thật không: phát gạo miễn phí", contact="nguoi.khac@example.vn", consent=True)
    assert a.reply_to is None and not a.consent
    assert b.reply_to == "nguoi.khac@example.vn" and b.consent
    with db.read() as conn:
        rows = conn.execute(select(tips_t.c.reply_to, tips_t.c.sender_hash).where(tips_t.c.id == a.id)).one()
        docs = conn.execute(select(t.documents.c.body, t.documents.c.meta, t.documents.c.author_hash)).all()
    assert rows.reply_to is None and rows.sender_hash is None
    for d in docs:
        assert "example.vn" not in (d.body or "") + json.dumps(d.meta or {})
    assert "reply_to" not in get_tip(db, b.id).public()


def test_bad_tips_are_refused_with_a_reason_and_nothing_is_stored(db):
    with pytest.raises(TipRefused, match="trống"):
        submit_tip(db, text="   ")
    with pytest.raises(TipRefused, match="http"):
        submit_tip(db, text="xem", link="javascript:alert(1)")
    with pytest.raises(TipRefused, match="không phải ảnh"):
        submit_tip(db, text="ảnh", images=[TipImage(b"<svg onload=alert(1)>", "image/png", "a.png")])
    db.set_setting("tips_max_image_kb", "1")
    with pytest.raises(TipRefused, match="quá lớn"):
        submit_tip(db, text="ảnh", images=[TipImage(b"\x89PNG\r\n\x1a\n" + b"0" * 2000, "image/png", "b.png")])
    with pytest.raises(TipRefused, match="tối đa 3 ảnh"):
        submit_tip(db, text="ảnh", images=[TipImage(_png(), "", "x.png")] * 4)
    assert list_tips(db) == []


def test_rate_limit_per_address_with_an_injected_clock(db):
    clock = Clock()
    db.set_setting("tips_per_hour", "3")
    for i in range(3):
        submit_tip(db, text=f"Câu hỏi số {i} về tin đồn cắt điện", ip="203.0.113.5", clock=clock)
    with pytest.raises(TipRateLimited) as exc:
        submit_tip(db, text="Câu hỏi thứ tư", ip="203.0.113.5", clock=clock)
    assert exc.value.retry_after > 0
    submit_tip(db, text="Người khác hỏi", ip="203.0.113.6", clock=clock)  # another address is not held back
    clock.now += dt.timedelta(hours=1, seconds=1)
    submit_tip(db, text="Một giờ sau", ip="203.0.113.5", clock=clock)
    with db.read() as conn:
        hashes = conn.execute(select(tips_t.c.ip_hash)).scalars().all()
    assert all(h and "203.0.113" not in h for h in hashes)  # the address itself is never stored


def test_images_go_through_the_image_store_and_are_tied_to_the_document(db):
    from kiemchung.images.store import ImageStore
    from kiemchung.tips.service import image_bytes

    png = _png()
    tip, _ = submit_tip(db, text="Ảnh công văn này thật không?", images=[TipImage(png, "image/png", "cv.png")])
    img = tip.images[0]
    assert img["type"] == "image/png" and img["image_id"]
    assert image_bytes(db, img["sha256"]).startswith(b"\x89PNG")  # the clean copy, re-encoded
    assert [i.id for i in ImageStore(db).for_target("document", tip.doc_id)] == [img["image_id"]]
    with pytest.raises(TipRefused, match="hỏng"):  # a PNG header over garbage
        submit_tip(db, text="ảnh hỏng", images=[TipImage(b"\x89PNG\r\n\x1a\n" + b"0" * 200, "image/png", "x.png")])
    assert len(list_tips(db)) == 1


def test_reply_is_never_automatic_and_is_audited(db):
    fc = _factcheck(db)
    tip, secret = submit_tip(db, text=RUMOUR)
    match_tips(db)
    assert get_tip(db, tip.id).status == "new" and get_tip(db, tip.id).reply_text is None
    assert not [e for e in entries(db) if e["action"] == "tip.reply"]
    done = reply_tip(db, tip.id, factcheck_id=fc.id, text="Cảm ơn bạn đã hỏi.", actor="cli:lan")
    assert done.status == "replied" and done.reply_status == "shown"
    assert "SAI SỰ THẬT" in done.reply_text and "Cảm ơn bạn đã hỏi." in done.reply_text
    assert tip_by_secret(db, secret).reply_text == done.reply_text
    audit = [e for e in entries(db) if e["action"] == "tip.reply"]
    assert len(audit) == 1 and audit[0]["object"] == f"tip:{tip.id}"


def test_reply_by_email_reaches_a_local_smtp_server(db, smtp):
    port, got = smtp
    db.set_setting("smtp_host", "127.0.0.1")
    db.set_setting("smtp_port", str(port))
    tip, _ = submit_tip(db, text=RUMOUR, contact="dan@example.vn", consent=True)
    done = reply_tip(db, tip.id, text="Thông tin này không đúng.", actor="cli:lan")
    assert done.reply_status == "sent"
    assert got and got[0].rcpt_tos == ["dan@example.vn"]
    assert "không đúng" in got[0].content.decode("utf-8", "replace") or b"=" in got[0].content


def test_failed_delivery_is_recorded_and_the_tip_stays_open(db):
    db.set_setting("smtp_host", "127.0.0.1")
    db.set_setting("smtp_port", str(_free_port()))
    tip, _ = submit_tip(db, channel="email", text=RUMOUR, sender="dan@example.vn", external_id="<m1@example.vn>")
    from kiemchung.tips import ReplyError

    with pytest.raises(ReplyError):
        reply_tip(db, tip.id, text="Không đúng.", actor="cli:lan")
    after = get_tip(db, tip.id)
    assert after.status == "new" and after.reply_status == "failed" and after.reply_error
    assert [e for e in entries(db) if e["action"] == "tip.reply"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- IMAP ------------------------------------------------------------------------------------------


def _mail(subject, body, sender="Người Dân <dan@example.vn>", mid="<a1@example.vn>", image=None, charset="utf-8"):
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"], msg["Message-ID"] = sender, "tinbao@ubnd.example", subject, mid
    msg["Date"] = "Tue, 01 Dec 2026 08:00:00 +0700"
    msg.set_content(body, charset=charset)
    if image:
        msg.add_attachment(image, maintype="image", subtype="png", filename="anh.png")
    return msg.as_bytes()


@pytest.mark.sqlite_only
def test_imap_inbox_takes_new_messages_and_skips_malformed_ones(db, caplog):
    with IMAPServer() as srv:
        db.set_setting("imap_host", "127.0.0.1")
        db.set_setting("imap_port", str(srv.port))
        db.set_setting("imap_ssl", "0")
        db.set_setting("imap_user", "tinbao")
        db.set_setting("imap_password", "matkhau")
        srv.add(_mail("Hỏi về tin đồn", RUMOUR + " https://mxh.example/bai/1", image=_png()))
        srv.add(b"\x00\x01 this is not a mail at all")  # no sender: skipped
        srv.add(b"From: x@example.vn\r\nSubject: =?x-unknown?B?AAAA?=\r\nContent-Type: text/plain; "
                b"charset=x-no-such-charset\r\n\r\n\xff\xfe garbage")
        srv.add(_mail("Tin thứ hai", "Có phải sắp cắt điện toàn tỉnh ba ngày không?", mid="<a2@example.vn>",
                      charset="windows-1258" if False else "utf-8"))
        from kiemchung.tips.imap import poll_imap

        first = poll_imap(db)
        assert first.received == 2 and first.skipped == 2 and first.error is None
        assert "bỏ qua" in caplog.text
        again = poll_imap(db)  # nothing new: nothing taken twice
        assert (again.received, again.skipped) == (0, 0)
        srv.add(_mail("Tin thứ ba", "Trường học đóng cửa vì dịch cúm?", mid="<a3@example.vn>"))
        assert poll_imap(db).received == 1
        srv.uidvalidity = 2  # the mailbox was rebuilt: everything read again, nothing stored twice
        assert poll_imap(db).received == 3
    tips = list_tips(db, channel="email")
    assert len(tips) == 3
    first_tip = next(x for x in tips if x.external_id == "<a1@example.vn>")
    assert first_tip.link == "https://mxh.example/bai/1" and len(first_tip.images) == 1
    assert first_tip.reply_to == "dan@example.vn"
    with db.read() as conn:
        assert "dan@example.vn" not in json.dumps([list(r) for r in conn.execute(select(t.documents)).all()],
                                                  default=str)


@pytest.mark.sqlite_only
def test_imap_refused_login_is_a_clear_error(db):
    from kiemchung.tips.channels import poll_channels

    with IMAPServer() as srv:
        for k, v in (("imap_host", "127.0.0.1"), ("imap_port", str(srv.port)), ("imap_ssl", "0"),
                     ("imap_user", "tinbao"), ("imap_password", "sai")):
            db.set_setting(k, v)
        out = poll_channels(db)
    assert "IMAP" in out["imap"].error


# -- Telegram --------------------------------------------------------------------------------------


class BotAPI(ThreadingHTTPServer):
    """A local stand-in for the Telegram Bot API: getUpdates from a list, getFile, file download,
    sendMessage recorded."""

    def __init__(self, token: str) -> None:
        super().__init__(("127.0.0.1", 0), _BotHandler)
        self.token = token
        self.updates: list[dict] = []
        self.sent: list[dict] = []
        self.calls: list[tuple[str, dict]] = []
        self.files = {"F1": _png((10, 120, 40))}

    def __enter__(self):
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.shutdown()
        self.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _BotHandler(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def _json(self, obj, code=200):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):  # noqa: N802
        prefix = f"/file/bot{self.server.token}/"
        if self.path.startswith(prefix) and self.path[len(prefix):] in ("photos/F1.jpg",):
            data = self.server.files["F1"]
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        self._json({"ok": False, "description": "Not Found"}, 404)

    def do_POST(self):  # noqa: N802
        srv = self.server
        n = int(self.headers.get("Content-Length") or 0)
        params = json.loads(self.rfile.read(n) or b"{}")
        prefix = f"/bot{srv.token}/"
        if not self.path.startswith(prefix):
            return self._json({"ok": False, "error_code": 401, "description": "Unauthorized"}, 401)
        method = self.path[len(prefix):]
        srv.calls.append((method, params))
        if method == "getUpdates":
            offset = params.get("offset", 0)
            return self._json({"ok": True, "result": [u for u in srv.updates if u.get("update_id", offset) >= offset]})
        if method == "getFile":
            return self._json({"ok": True, "result": {"file_id": params["file_id"], "file_size": 100,
                                                      "file_path": f"photos/{params['file_id']}.jpg"}})
        if method == "sendMessage":
            srv.sent.append(params)
            return self._json({"ok": True, "result": {"message_id": 99}})
        return self._json({"ok": False, "description": "method not found"}, 404)


def _msg(uid, text=None, chat=555, photo=False, caption=None, chat_type="private"):
    m = {"message_id": uid * 10, "date": 1764576000, "chat": {"id": chat, "type": chat_type},
         "from": {"id": chat, "is_bot": False, "first_name": "Dân"}}
    if text is not None:
        m["text"] = text
    if photo:
        m["photo"] = [{"file_id": "F0", "file_size": 10, "width": 90}, {"file_id": "F1", "file_size": 100, "width": 800}]
        m["caption"] = caption
    return {"update_id": uid, "message": m}


@pytest.mark.sqlite_only
def test_telegram_bot_takes_messages_skips_unknown_updates_and_replies_when_the_editor_sends(db, caplog):
    fc = _factcheck(db)
    with BotAPI("123:ABC") as api:
        db.set_setting("telegram_bot_token", "123:ABC")
        db.set_setting("telegram_api_url", api.url)
        api.updates = [
            _msg(1, RUMOUR, chat=555),
            {"update_id": 2, "edited_message": {"message_id": 3, "text": "sửa"}},
            {"update_id": 3, "poll": {"id": "x", "question": "?"}},
            _msg(4, photo=True, caption="Công văn này có thật không?", chat=777),
            _msg(5, "tin trong nhóm", chat=-100, chat_type="group"),
            {"no_update_id": True},
        ]
        from kiemchung.tips.channels import poll_channels

        out = poll_channels(db)["telegram"]
        assert (out.received, out.skipped, out.error) == (2, 4, None)
        assert "edited_message" in caplog.text
        assert poll_channels(db)["telegram"].received == 0  # the offset moved past everything
        tips = {x.external_id: x for x in list_tips(db, channel="telegram")}
        text_tip, photo_tip = tips["555:10"], tips["777:40"]
        assert photo_tip.images and photo_tip.images[0]["type"] == "image/png"
        assert text_tip.best and text_tip.best["factcheck_id"] == fc.id  # matched after the poll
        assert api.sent == []  # nothing goes back until an editor chooses
        reply_tip(db, text_tip.id, factcheck_id=fc.id, actor="cli:lan")
        assert len(api.sent) == 1 and api.sent[0]["chat_id"] == "555" and "SAI SỰ THẬT" in api.sent[0]["text"]
    assert all("123:ABC" not in (x.reply_error or "") for x in list_tips(db))


@pytest.mark.sqlite_only
def test_telegram_wrong_token_is_reported_without_the_token(db):
    from kiemchung.tips.channels import poll_channels

    with BotAPI("123:ABC") as api:
        db.set_setting("telegram_bot_token", "999:WRONG")
        db.set_setting("telegram_api_url", api.url)
        err = poll_channels(db)["telegram"].error
    assert "Unauthorized" in err and "999:WRONG" not in err


# -- the web --------------------------------------------------------------------------------------


@pytest.fixture
def app(db):
    for name, role in (("quantri", "admin"), ("bientap", "editor"), ("xem", "viewer")):
        U.add_user(db, name, PW, role)
    return create_app(db)


def _login(c, name):
    r = c.post("/login", data={"username": name, "password": PW, "next": "/"}, follow_redirects=False)
    assert r.status_code == 303
    return re.search(r'name="csrf" value="([^"]+)"', c.get("/tips").text).group(1)


def _wait_matched(db, tip_id, timeout_s=180):
    """Wait for the background matching of a tip; ``timeout_s`` is a guard against a hang only (a loaded
    CI machine can take far longer than the 10 s a count of tries once allowed)."""
    import time

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if get_tip(db, tip_id).matched_at is not None:
            return get_tip(db, tip_id)
        time.sleep(0.05)
    raise AssertionError("tip not matched")


def test_public_form_to_queue_to_reply_on_the_status_page(app, db):
    fc = _factcheck(db)
    anon = TestClient(app)
    page = anon.get("/tin-bao")
    assert page.status_code == 200 and "Gửi tin báo" in page.text and 'name="website"' in page.text
    r = anon.post("/tin-bao", data={"text": RUMOUR, "contact": "dan@example.vn"},
                  files=[("images", ("cv.png", _png(), "image/png"))], follow_redirects=False)
    assert r.status_code == 303
    status_url = r.headers["location"]
    assert status_url.startswith("/tin-bao/theo-doi/")
    tip = list_tips(db)[0]
    assert tip.reply_to is None  # no consent ticked: the contact was not kept
    _wait_matched(db, tip.id)
    assert "Chưa có trả lời" in anon.get(status_url).text
    assert anon.get("/tips", follow_redirects=False).status_code == 303  # the queue needs a login
    ed = TestClient(app)
    csrf = _login(ed, "bientap")
    queue = ed.get("/tips").text
    assert f"/tips/{tip.id}" in queue and f"/factchecks/{fc.id}" in queue
    one = ed.get(f"/tips/{tip.id}").text
    assert "Trả lời người gửi" in one and f"/tips/{tip.id}/images/" in one
    img = ed.get(f"/tips/{tip.id}/images/{tip.images[0]['sha256']}")
    assert img.status_code == 200 and img.headers["content-type"] == "image/png"
    r = ed.post(f"/tips/{tip.id}/reply", data={"csrf": csrf, "factcheck_id": str(fc.id), "text": "Cảm ơn bạn."},
                follow_redirects=False)
    assert r.status_code == 303
    answer = anon.get(status_url).text
    assert "Cảm ơn bạn." in answer and "sai sự thật".upper() in answer
    assert anon.get("/tin-bao/theo-doi/khong-dung").status_code == 404


def test_viewer_sees_the_queue_but_not_the_contact_nor_the_reply_form(app, db):
    tip, _ = submit_tip(db, text=RUMOUR, contact="bimat@example.vn", consent=True)
    v = TestClient(app)
    _login(v, "xem")
    page = v.get(f"/tips/{tip.id}").text
    assert "bimat@example.vn" not in page and "Gửi trả lời" not in page
    assert "bimat@example.vn" not in v.get("/tips?status=all").text
    api = v.get(f"/api/v1/tips/{tip.id}").json()
    assert "bimat" not in json.dumps(api)
    e = TestClient(app)
    _login(e, "bientap")
    assert "bimat@example.vn" in e.get(f"/tips/{tip.id}").text


def test_form_abuse_limits(app, db):
    db.set_setting("tips_per_hour", "2")
    c = TestClient(app)
    assert c.post("/tin-bao", data={"text": "một"}, follow_redirects=False).status_code == 303
    assert c.post("/tin-bao", data={"text": "hai"}, follow_redirects=False).status_code == 303
    r = c.post("/tin-bao", data={"text": "ba"}, follow_redirects=False)
    assert r.status_code == 429 and "Retry-After" in r.headers and "thử lại" in r.text
    db.set_setting("tips_per_hour", "100")
    bot = c.post("/tin-bao", data={"text": "mua thuốc giá rẻ", "website": "http://spam.example"})
    assert bot.status_code == 200 and len(list_tips(db)) == 2  # the honeypot: answered, nothing kept
    r = c.post("/tin-bao", data={"text": "ảnh"}, files=[("images", ("x.png", b"GIF89a" + b"0" * 10, "image/png"))])
    assert r.status_code == 400 and "hỏng" in r.text  # a GIF header over garbage: corrupt
    r = c.post("/tin-bao", data={"text": "ảnh"}, files=[("images", ("x.png", b"MZ\x90\x00 exe", "image/png"))])
    assert r.status_code == 400 and "không phải ảnh" in r.text
    db.set_setting("tips_max_image_kb", "1")
    big = c.post("/tin-bao", data={"text": "to"}, files=[("images", ("x.png", _png() + b"0" * 8000, "image/png"))])
    assert big.status_code == 400 and "quá lớn" in big.text  # one image over its cap
    huge = c.post("/tin-bao", data={"text": "to"}, files=[("images", ("x.png", _png() + b"0" * 200_000, "image/png"))])
    assert huge.status_code == 413  # the whole body over the caps: refused before it is read
    db.set_setting("tips_form", "0")
    assert c.get("/tin-bao").status_code == 404


def test_api_public_tip_list_and_reply(app, db):
    import base64

    fc = _factcheck(db)
    anon = TestClient(app)
    r = anon.post("/api/v1/public/tips", json={"text": RUMOUR, "images": [base64.b64encode(_png()).decode()]})
    assert r.status_code == 201 and "/tin-bao/theo-doi/" in r.json()["status_url"]
    tip_id = r.json()["id"]
    assert anon.post("/api/v1/public/tips", json={"text": "x", "images": ["@@@"]}).status_code == 400
    assert anon.get("/api/v1/tips").status_code == 401
    _wait_matched(db, tip_id)
    ed_token = U.create_token(db, "bientap")
    vi_token = U.create_token(db, "xem")
    v = TestClient(app, headers={"Authorization": f"Bearer {vi_token}"})
    listed = v.get("/api/v1/tips").json()
    assert listed[0]["id"] == tip_id and listed[0]["matches"][0]["factcheck_id"] == fc.id
    assert v.post(f"/api/v1/tips/{tip_id}/reply", json={"factcheck_id": fc.id}).status_code == 403
    e = TestClient(app, headers={"Authorization": f"Bearer {ed_token}"})
    done = e.post(f"/api/v1/tips/{tip_id}/reply", json={"factcheck_id": fc.id})
    assert done.status_code == 200 and done.json()["status"] == "replied"
    schema = anon.get("/api/v1/openapi.json").json()
    for path in ("/api/v1/tips", "/api/v1/tips/{tip_id}", "/api/v1/tips/{tip_id}/reply", "/api/v1/public/tips"):
        assert path in schema["paths"]


# -- the CLI --------------------------------------------------------------------------------------


@pytest.mark.sqlite_only
def test_cli_list_show_reply(db, any_db_target, capsys):
    fc = _factcheck(db)
    tip, _ = submit_tip(db, text=RUMOUR)
    submit_tip(db, text=RUMOUR)
    match_tips(db)
    assert run_cli_in_process(any_db_target, "tips", "list") == 0
    out = capsys.readouterr().out
    assert f"{tip.id}" in out and "mẫu gửi tin" in out
    assert run_cli_in_process(any_db_target, "tips", "show", str(tip.id)) == 0
    out = capsys.readouterr().out
    assert "2 người đã hỏi về tin này" in out and f"#{fc.id}" in out
    assert run_cli_in_process(any_db_target, "tips", "reply", str(tip.id), "--best", "--yes") == 0
    assert get_tip(db, tip.id).status == "replied"
    assert run_cli_in_process(any_db_target, "tips", "reply", "999") != 0
    err = capsys.readouterr()
    assert "Traceback" not in err.out + err.err
    assert run_cli_in_process(any_db_target, "tips", "list", "--json") == 0
    data = json.loads(capsys.readouterr().out)
    assert data and all("reply_to" not in d for d in data)


def test_tips_raise_no_alert_and_go_through_the_pipeline(db):
    """A tip asking about a false claim is matched in the tips queue, never notified as a repeat; it is
    placed in a story like any document."""
    from kiemchung.claims.alerts import list_alerts
    from kiemchung.pipeline import Pipeline
    from kiemchung.stories.tables import story_documents

    _factcheck(db)
    tip, _ = submit_tip(db, text=RUMOUR)
    Pipeline(db).run()
    assert list_alerts(db) == []
    with db.read() as conn:
        assert conn.execute(select(story_documents.c.story_id).where(story_documents.c.doc_id == tip.doc_id)).first()
    match_tips(db)
    assert get_tip(db, tip.id).matches
