"""The settings page (administrators): every registry key shown with its label, secrets never in the page,
changes validated, audited under the user's name and refused with the error beside the key."""

from __future__ import annotations

import html
import re

import pytest
from fastapi.testclient import TestClient

from kiemchung import audit
from kiemchung import users as U
from kiemchung.store import Database, settings
from kiemchung.web import create_app

PW = "matkhau-manh-123"


@pytest.fixture
def sdb(tmp_path):
    db = Database(tmp_path / "kc.sqlite")
    U.add_user(db, "quantri", PW, "admin")
    U.add_user(db, "bientap", PW, "editor")
    yield db
    db.close()


def _client(db, name: str) -> TestClient:
    c = TestClient(create_app(db))
    r = c.post("/login", data={"username": name, "password": PW, "next": "/"}, follow_redirects=False)
    assert r.status_code == 303
    return c


def _csrf(c: TestClient) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', c.get("/account").text).group(1)


def test_admin_sees_every_key_with_labels_and_no_secret(sdb):
    settings.set_value(sdb, "smtp_password", "mat-khau-smtp-bi-mat")
    sdb.installation_salt()
    c = _client(sdb, "quantri")
    page = c.get("/settings")
    assert page.status_code == 200
    for key, s in settings.SETTINGS.items():
        if s.hidden:
            assert f'value="{key}"' not in page.text
        else:
            assert f'id="s-{key}"' in page.text and s.label("vi") in html.unescape(page.text), key
    assert "mat-khau-smtp-bi-mat" not in page.text and sdb.installation_salt() not in page.text
    assert 'href="/settings"' in page.text  # in the admin menu
    c.cookies.set("kc_lang", "en")
    en = c.get("/settings")
    assert en.status_code == 200 and "Settings" in en.text


def test_a_change_is_validated_audited_and_seen(sdb, tmp_path):
    c = _client(sdb, "quantri")
    token = _csrf(c)
    folder = tmp_path / "bao-cao-so"
    r = c.post("/settings", data={"csrf": token, "key": "report_dir", "value": str(folder)}, follow_redirects=False)
    assert r.status_code == 303 and "saved=report_dir" in r.headers["location"]
    assert settings.value(sdb, "report_dir") == str(folder)
    entry = audit.entries(sdb, 1)[0]
    assert (entry["user"], entry["action"], entry["object"]) == ("quantri", "setting.set", "setting:report_dir")
    bad = c.post("/settings", data={"csrf": token, "key": "smtp_port", "value": "99999"})
    assert bad.status_code == 400 and "1 đến 65535" in bad.text and 'role="alert"' in bad.text
    assert settings.value(sdb, "smtp_port") == "25"
    unknown = c.post("/settings", data={"csrf": token, "key": "khong_co", "value": "1"})
    assert unknown.status_code == 400 and "unknown setting" in unknown.text
    salt = c.post("/settings", data={"csrf": token, "key": "author_salt", "value": "abc"})
    assert salt.status_code == 400
    # a secret left empty keeps its value; "clear" removes it
    c.post("/settings", data={"csrf": token, "key": "smtp_password", "value": "mk-1"}, follow_redirects=False)
    c.post("/settings", data={"csrf": token, "key": "smtp_password", "value": ""}, follow_redirects=False)
    assert settings.value(sdb, "smtp_password") == "mk-1"
    c.post("/settings", data={"csrf": token, "key": "smtp_password", "clear": "true"}, follow_redirects=False)
    assert settings.value(sdb, "smtp_password") == ""
    assert "mk-1" not in str(audit.entries(sdb, 20))


def test_editors_cannot_open_or_change_settings(sdb):
    c = _client(sdb, "bientap")
    assert c.get("/settings").status_code == 403
    r = c.post("/settings", data={"csrf": _csrf(c), "key": "org_name", "value": "Sở X"})
    assert r.status_code == 403 and settings.value(sdb, "org_name") == "kiemchung"


def test_the_alerts_group_shows_the_trade_off_of_this_installation(sdb):
    """Issue 15: thresholds as an expected precision, with the trade-off shown per installation: the
    measured curve, the threshold in force, and this installation's own triaged alerts per threshold."""
    from kiemchung.claims.verify import DEFAULT_MODEL

    c = _client(sdb, "quantri")
    page = html.unescape(c.get("/settings").text)
    assert "Đánh đổi của mức 'Lặp lại tin sai'" in page
    for t, p, _, _ in DEFAULT_MODEL.curve:  # decimals as Vietnamese writes them
        assert f"{t:.2f}".replace(".", ",") in page and f"{p:.3f}".replace(".", ",") in page
    assert page.count("◀") == 1 and "0,50 <strong>◀" in page  # the default threshold is in force
    settings.set_value(sdb, "alert_precision", "0.97")
    page = html.unescape(c.get("/settings").text)
    chosen = DEFAULT_MODEL.threshold_for_precision(0.97)
    assert f"{chosen:.2f}".replace(".", ",") + " <strong>◀" in page and chosen > DEFAULT_MODEL.repeat_threshold
    c.cookies.set("kc_lang", "en")
    assert "What the 'Repeats a false claim' level trades" in html.unescape(c.get("/settings").text)
