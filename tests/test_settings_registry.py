"""The settings registry (kiemchung.store.settings): every key known, labelled, validated, audited, secrets
never shown; and a change made by one process seen by another that has already read the settings."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kiemchung import audit
from kiemchung.cli import app, load_commands
from kiemchung.errors import ConfigError
from kiemchung.labels import LABELS
from kiemchung.models import Document
from kiemchung.store import Database
from kiemchung.store import settings

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()
load_commands()


class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_every_key_has_labels_description_and_a_default_that_passes_its_own_check():
    for key, s in settings.SETTINGS.items():
        vi, en = LABELS["setting"][key]
        assert vi and en and vi != key, key
        assert all(s.describe), key
        assert s.group in settings.GROUPS and s.group in LABELS["setting_group"], key
        assert s.role in settings.ROLES, key
        if s.default:
            assert s.check(s.default) == s.default, key


def test_every_key_the_code_reads_is_in_the_registry():
    """No module reads or writes a setting the registry does not know (no special cases)."""
    used = set()
    pattern = re.compile(r"""settings\.(?:value|flag|integer|number|stored|current)\(\s*[\w.]+,\s*["']([a-z_]+)["']""")
    for path in (ROOT / "kiemchung").rglob("*.py"):
        used |= set(pattern.findall(path.read_text(encoding="utf-8")))
    assert used, "the pattern finds nothing: the test would not fail"
    assert used <= set(settings.SETTINGS), used - set(settings.SETTINGS)
    assert {"report_dir", "hash_authors", "fetch_allow_private", "smtp_password", "org_name"} <= used
    # and nothing reads the settings table behind the registry's back
    raw = [p for p in (ROOT / "kiemchung").rglob("*.py")
           if re.search(r"\.get_setting\(|\bt\.settings\b", p.read_text(encoding="utf-8"))
           and p.name not in {"settings.py", "database.py", "config.py"}]
    assert raw == [], raw


def test_bad_values_are_refused_with_a_clear_error_and_change_nothing(tmp_path):
    db = Database(tmp_path / "kc.sqlite")
    for key, bad in [("report_dir", "bao-cao"), ("smtp_port", "70000"), ("alert_precision", "1.5"),
                     ("hash_authors", "maybe"), ("site_url", "ftp://x"), ("smtp_to", "not-an-address"),
                     ("fetch_allow_hosts", "http://bad host"), ("no_such_key", "1")]:
        with pytest.raises(ConfigError) as err:
            settings.set_value(db, key, bad, actor="cli:test")
        assert re.search(r"[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]", str(err.value)), str(err.value)
        assert db.get_setting(key) is None
    (tmp_path / "a-file").write_text("x")
    with pytest.raises(ConfigError, match="tệp"):
        settings.set_value(db, "report_dir", str(tmp_path / "a-file"))
    with pytest.raises(ConfigError):
        settings.set_value(db, "author_salt", "abc")
    with pytest.raises(ConfigError):
        settings.get_shown(db, "author_salt")
    db.close()


def test_changes_are_audited_with_secrets_masked_and_roles_enforced(tmp_path):
    from kiemchung import users

    db = Database(tmp_path / "kc.sqlite")
    settings.set_value(db, "smtp_password", "mat-khau-bi-mat", actor="cli:hoa")
    settings.set_value(db, "report_dir", str(tmp_path / "bc"), actor="cli:hoa")
    entries = audit.entries(db, limit=10)
    assert {e["object"] for e in entries} >= {"setting:smtp_password", "setting:report_dir"}
    text = json.dumps([[e["before"], e["after"]] for e in entries], ensure_ascii=False, default=str)
    assert "mat-khau-bi-mat" not in text and settings.MASK in text
    assert settings.value(db, "smtp_password") == "mat-khau-bi-mat"  # stored as given, only never shown
    editor = users.add_user(db, "bien_tap", "mat-khau-dai-123", "editor")
    with pytest.raises(ConfigError, match="admin"):
        settings.set_value(db, "org_name", "Sở X", actor=editor)
    assert settings.set_value(db, "reference_time", "2026-03-01T00:00:00+07:00", actor=editor)
    db.close()


def test_cli_lists_gets_and_sets_every_key_without_special_cases(tmp_path):
    db_path = tmp_path / "kc.sqlite"
    folder = tmp_path / "bao-cao-tinh"
    r = runner.invoke(app, ["--db", str(db_path), "settings", "set", "report_dir", str(folder)])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["--db", str(db_path), "settings", "set", "smtp_password", "rat-bi-mat"])
    assert r.exit_code == 0 and "rat-bi-mat" not in r.output
    r = runner.invoke(app, ["--db", str(db_path), "settings", "set", "hash_authors", "0"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["--db", str(db_path), "settings", "get", "report_dir"])
    assert r.exit_code == 0 and str(folder) in r.output.replace("\n", "")
    r = runner.invoke(app, ["--db", str(db_path), "settings", "list"], terminal_width=300)
    assert r.exit_code == 0, r.output
    visible = [k for k, s in settings.SETTINGS.items() if not s.hidden]
    for key in visible:
        assert key in r.output, key
    assert "rat-bi-mat" not in r.output and "author_salt" not in r.output
    def cli(*args: str) -> subprocess.CompletedProcess:  # the real entry point: errors as users see them
        return subprocess.run([sys.executable, "-m", "kiemchung.cli", *args], capture_output=True, text=True,
                              timeout=120, cwd=ROOT)

    r = cli("--db", str(db_path), "settings", "set", "report_dir", "tuong-doi")
    assert r.returncode != 0 and "tuyệt đối" in r.stderr + r.stdout and "Traceback" not in r.stderr
    r = cli("--db", str(tmp_path / "other.sqlite"), "settings", "set", "khong_co", "1")
    assert r.returncode != 0 and "unknown setting" in r.stderr + r.stdout and "Traceback" not in r.stderr
    assert not (tmp_path / "other.sqlite").exists()  # refused before the database was made


def test_report_dir_is_where_reports_go(tmp_path):
    from kiemchung.reports.schedule import report_folder

    db_path = tmp_path / "kc.sqlite"
    db = Database(db_path)
    assert report_folder(db) == db_path.resolve().parent / "bao-cao"
    settings.set_value(db, "report_dir", str(tmp_path / "reports-here"))
    assert report_folder(db) == tmp_path / "reports-here"
    db.close()
    r = runner.invoke(app, ["--db", str(db_path), "report", "--period", "2026-03", "--format", "md"])
    assert r.exit_code == 0, r.output
    assert list((tmp_path / "reports-here").glob("bao-cao-2026-03-01_2026-03-31.md"))


def test_a_change_by_another_database_object_is_seen_after_the_interval(any_db_target):
    reader, writer = Database(any_db_target), Database(any_db_target)
    clock = FakeClock()
    reader.settings_cache.clock = clock
    assert settings.value(reader, "org_name") == "kiemchung"
    settings.set_value(writer, "org_name", "Sở Thông tin Lam Giang")
    assert settings.value(writer, "org_name") == "Sở Thông tin Lam Giang"  # the writer sees its write at once
    clock.t += settings.SettingsCache().interval * 0.5
    assert settings.value(reader, "org_name") == "kiemchung"  # within the interval: the cached value
    clock.t += settings.SettingsCache().interval
    assert settings.value(reader, "org_name") == "Sở Thông tin Lam Giang"
    # data writes do not empty the settings cache (no reload when only documents changed)
    writer.installation_salt()  # made on first use: a settings write
    clock.t += 5
    assert settings.value(reader, "org_name") == "Sở Thông tin Lam Giang"
    loads = reader.settings_cache.reloads
    from kiemchung.models import Source

    for i in range(3):
        writer.add_source(Source(kind="feed", url=f"https://tin.example.vn/{i}.rss", name=f"Nguồn {i}"))
    for _ in range(3):
        clock.t += 5
        assert settings.value(reader, "org_name") == "Sở Thông tin Lam Giang"
    assert reader.settings_cache.reloads == loads
    # hash_authors turned off elsewhere is seen by the cached property as well
    settings.set_value(writer, "hash_authors", "0")
    clock.t += 5
    assert reader.hash_authors is False
    reader.close()
    writer.close()


def test_a_change_by_another_process_is_seen(any_db_target):
    path = any_db_target
    db = Database(path)
    clock = FakeClock()
    db.settings_cache.clock = clock
    assert settings.flag(db, "fetch_allow_private") is False
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, "-m", "kiemchung.cli", "--db", str(path), "settings", "set",
                           "fetch_allow_private", "1"], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    clock.t += 2
    assert settings.flag(db, "fetch_allow_private") is True
    from kiemchung.netguard import AddressPolicy

    assert AddressPolicy.from_db(db).allow_private
    db.close()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_running_serve_reflects_settings_set_without_restart(any_db_target, tmp_path):
    """``kiemchung serve`` (a real process, two workers) shows the new organisation name in its feed
    after ``kiemchung settings set`` run by another process; no restart. Both backends."""
    import httpx

    from kiemchung import users

    path = any_db_target
    db = Database(path)
    users.add_user(db, "doc_gia", "mat-khau-dai-123", "viewer")
    token = users.create_token(db, "doc_gia", "kiểm thử cài đặt")
    settings.set_value(db, "org_name", "Tên cũ")
    db.close()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    cli = [sys.executable, "-m", "kiemchung.cli", "--db", str(path)]
    port = _free_port()
    log = tmp_path / "serve.err"
    with log.open("w") as err:
        server = subprocess.Popen([*cli, "serve", "--port", str(port), "--workers", "2"], env=env,
                                  stdout=subprocess.DEVNULL, stderr=err)
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30) as http:
            def feed_title() -> str | None:
                try:
                    r = http.get("/factchecks/feed.xml")
                except httpx.HTTPError:
                    return None
                return r.text if r.status_code == 200 else None

            # A deadline only as a guard against a hang: on a loaded CI machine the server's start can
            # take longer than the minute a count of tries once allowed (tests/browser/browserkit.py).
            deadline = time.monotonic() + 180
            while time.monotonic() < deadline:
                assert server.poll() is None, log.read_text()[-3000:]
                if (text := feed_title()) is not None:
                    break
                time.sleep(0.1)
            assert "Tên cũ" in (text or ""), log.read_text()[-3000:]
            done = subprocess.run([*cli, "settings", "set", "org_name", "Tên mới"], env=env,
                                  capture_output=True, text=True, timeout=120)
            assert done.returncode == 0, done.stderr
            seen: set[str] = set()
            for _ in range(300):  # both workers must show it: ask until several answers agree
                text = feed_title() or ""
                seen.add("new" if "Tên mới" in text else "old")
                if "Tên mới" in text and all("Tên mới" in (feed_title() or "") for _ in range(6)):
                    break
                time.sleep(0.1)
            else:
                raise AssertionError(f"the running server never showed the new name: {seen}")
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()


def test_a_running_fetcher_follows_the_allow_list_set_by_another_process(tmp_path):
    """``Fetcher.for_db`` (what ``watch`` polls with) re-reads the address policy: a host added to
    fetch_allow_hosts by another process is reachable without restarting, and removed again, refused."""
    import socket
    import threading

    from kiemchung.errors import FetchError
    from kiemchung.sources.http import Fetcher, FetchSettings

    sock = socket.socket()
    sock.bind(("127.0.0.2", 0))  # loopback, but not on the suite's allow-list (tests/conftest.py)
    sock.listen(8)
    sock.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except OSError:
                continue
            with conn:
                conn.recv(65536)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n"
                             b"Connection: close\r\n\r\nok")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    url = f"http://127.0.0.2:{sock.getsockname()[1]}/tin.txt"
    path = tmp_path / "kc.sqlite"
    watcher_db, admin_db = Database(path), Database(path)
    clock = FakeClock()
    watcher_db.settings_cache.clock = clock
    fetcher = Fetcher.for_db(watcher_db, FetchSettings(min_interval_s=0.0, retries=0, total_timeout_s=4.0))
    try:
        with pytest.raises(FetchError):
            fetcher.get(url)
        settings.set_value(admin_db, "fetch_allow_hosts", "127.0.0.2")
        clock.t += 2
        assert fetcher.get(url).content == b"ok"
        settings.set_value(admin_db, "fetch_allow_hosts", "")
        clock.t += 2
        with pytest.raises(FetchError):
            fetcher.get(url)
    finally:
        fetcher.close()
        stop.set()
        thread.join(2)
        sock.close()
        watcher_db.close()
        admin_db.close()
