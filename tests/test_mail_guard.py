"""Mail goes through one sender and the address guard: SMTP (alerts, digest, reports, answers to tips)
and IMAP (the tips inbox) connect only to addresses the installation allows, like every HTTP fetch.

The suite's conftest allows loopback for local test servers through ``KIEMCHUNG_FETCH_ALLOW_HOSTS``;
these tests remove it to see the guard refuse, then allow the server the way an admin would (the
settings ``fetch_allow_hosts`` / ``fetch_allow_private``). Real local servers: aiosmtpd, tests/imapserver.py.
"""

from __future__ import annotations

import email

import pytest
from imapserver import IMAPServer

from kiemchung.claims.notify import DeliveryError, GuardedSMTP, send_message
from kiemchung.netguard import ENV_ALLOW, REFUSED_MESSAGE, AddressPolicy, AddressRefused
from kiemchung.store import settings
from kiemchung.tips import ReplyError, get_tip, reply_tip, submit_tip

RUMOUR = "Có thật là uống nước chanh nóng mỗi sáng chữa khỏi ung thư giai đoạn cuối không?"


@pytest.fixture
def guarded(monkeypatch):
    """No loopback allowance from the environment: only the installation's settings decide."""
    monkeypatch.delenv(ENV_ALLOW, raising=False)


def _smtp_settings(db, host: str, port: int) -> None:
    db.set_setting("smtp_host", host)
    db.set_setting("smtp_port", str(port))
    db.set_setting("smtp_from", "kiemchung@so.example.vn")


def test_smtp_to_a_loopback_or_private_host_is_refused_unless_allowed(db, smtp, guarded):
    port, got = smtp
    _smtp_settings(db, "127.0.0.1", port)
    with pytest.raises(DeliveryError) as err:
        send_message(db, "so@example.vn", "Thử", "Nội dung")
    assert REFUSED_MESSAGE in str(err.value) and got == []  # nothing reached the server
    _smtp_settings(db, "10.20.30.40", port)  # an office-network address: refused before any connection
    with pytest.raises(DeliveryError, match="refused: private address"):
        send_message(db, "so@example.vn", "Thử", "Nội dung")
    # a name that resolves to loopback is refused by name (internal names are never looked up) …
    _smtp_settings(db, "localhost", port)
    with pytest.raises(DeliveryError, match="refused: private address"):
        send_message(db, "so@example.vn", "Thử", "Nội dung")
    # … unless the admin allows it: then the checked address is connected to
    settings.set_value(db, "fetch_allow_hosts", "localhost")
    send_message(db, "so@example.vn", "Thử", "Nội dung")
    assert len(got) == 1 and got[0].rcpt_tos == ["so@example.vn"]
    settings.set_value(db, "fetch_allow_hosts", "127.0.0.1")
    _smtp_settings(db, "127.0.0.1", port)
    send_message(db, "so@example.vn", "Thử lần hai", "Nội dung")
    assert len(got) == 2


def test_smtp_connects_to_the_checked_address_and_keeps_the_name_for_tls(smtp):
    port, _ = smtp
    policy = AddressPolicy.build(allow=["localhost"], env=False)
    with GuardedSMTP(policy, "localhost", port, 10) as s:
        assert s._host == "localhost"  # what STARTTLS verifies the certificate for (and sends as SNI)
        assert s.sock.getpeername()[0] in ("127.0.0.1", "::1")
    with pytest.raises(AddressRefused):
        GuardedSMTP(AddressPolicy.build(env=False), "127.0.0.1", port, 10)


def test_tip_answer_and_alert_mail_are_refused_with_the_standard_message(db, smtp, guarded):
    from kiemchung.claims.notify import deliver_pending

    port, got = smtp
    _smtp_settings(db, "127.0.0.1", port)
    tip, _ = submit_tip(db, channel="email", text=RUMOUR, sender="dan@example.vn", external_id="<m1@example.vn>")
    with pytest.raises(ReplyError, match="refused: private address"):
        reply_tip(db, tip.id, text="Không đúng.", actor="cli:lan")
    assert get_tip(db, tip.id).reply_status == "failed" and got == []
    # allowed as an admin would: the answer goes out as a reply to the tipper's message
    settings.set_value(db, "fetch_allow_hosts", "127.0.0.1")
    done = reply_tip(db, tip.id, text="Không đúng.", actor="cli:lan")
    assert done.reply_status == "sent" and got[0].rcpt_tos == ["dan@example.vn"]
    sent = email.message_from_bytes(got[0].content)
    assert sent["In-Reply-To"] == "<m1@example.vn>" and sent["References"] == "<m1@example.vn>"
    assert sent["Subject"].startswith("Re: ") and sent["From"] == "kiemchung@so.example.vn"
    assert deliver_pending(db) == {"sent": 0, "pending": 0, "failed": 0, "busy": 0}  # (no alerts: nothing to send)


def test_a_comma_in_a_tippers_address_never_adds_a_recipient(db, smtp):
    port, got = smtp
    _smtp_settings(db, "127.0.0.1", port)
    send_message(db, ["dan@example.vn,ke-gian@example.vn"], "Thử", "Nội dung")  # a list is taken as it is
    assert [len(e.rcpt_tos) for e in got] == [1] and "ke-gian@example.vn" not in got[0].rcpt_tos
    send_message(db, "a@example.vn, b@example.vn", "Thử", "Nội dung")  # the settings' lists are split
    assert got[1].rcpt_tos == ["a@example.vn", "b@example.vn"]


@pytest.mark.sqlite_only
def test_imap_inbox_on_a_loopback_host_is_refused_unless_allowed(db, guarded):
    from kiemchung.tips.channels import poll_channels

    with IMAPServer() as srv:
        for k, v in (("imap_host", "127.0.0.1"), ("imap_port", str(srv.port)), ("imap_ssl", "0"),
                     ("imap_user", "tinbao"), ("imap_password", "matkhau")):
            db.set_setting(k, v)
        out = poll_channels(db)
        assert REFUSED_MESSAGE in out["imap"].error and srv.log == []  # no connection was made
        settings.set_value(db, "fetch_allow_hosts", "127.0.0.1")
        out = poll_channels(db)
        assert out["imap"].error is None and any("LOGIN" in line for line in srv.log)
        db.set_setting("imap_ssl", "1")  # the TLS form goes through the guard too
        settings.set_value(db, "fetch_allow_hosts", "")
        assert REFUSED_MESSAGE in poll_channels(db)["imap"].error
