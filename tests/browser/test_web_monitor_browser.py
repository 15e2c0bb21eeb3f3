"""Browser test of the monitor area: `kiemchung serve` in a subprocess (real uvicorn) on the bundled
sample, driven by Debian's headless chromium via Playwright (never `playwright install`)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from browserkit import ARGS, CHROMIUM, SHOTS, free_port, require_chromium, wait_until_serving, watch_csp

playwright_api = require_chromium()

from test_web_monitor import PW, _load_sample  # noqa: E402

from kiemchung.store import Database  # noqa: E402


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("browser-monitor")
    path = folder / "mau.db"
    _load_sample(path)
    db = Database(path)
    db.set_setting("report_dir", str(folder / "bao-cao"))
    db.close()
    port = free_port()
    exe = Path(sys.executable).with_name("kiemchung")
    proc = subprocess.Popen([str(exe), "--db", str(path), "serve", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(proc, base, log=lambda: proc.stderr.read().decode(errors="replace"))
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.mark.parametrize("width,height,tag", [(1280, 800, "laptop"), (390, 844, "phone")])
def test_search_story_watchlists_reports(server, width, height, tag):
    SHOTS.mkdir(parents=True, exist_ok=True)
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": width, "height": height})
        csp_violations = watch_csp(page)
        page.goto(server + "/stories")
        assert "/login" in page.url
        page.fill("input[name=username]", "bientap")
        page.fill("input[name=password]", PW)
        page.click("form.card button")
        page.wait_for_url(server + "/stories")
        assert page.locator("table#stories tr").count() > 10
        page.screenshot(path=str(SHOTS / f"stories-{tag}.png"), full_page=True)
        # search typed without diacritics, open a hit, follow it to its story
        page.goto(server + "/search")
        page.fill("input[name=q]", "nuoc may nhiem doc")
        page.keyboard.press("Enter")
        page.wait_for_selector("ol.hits li a")
        assert page.locator("mark").count() >= 1
        page.click("ol.hits li a")
        page.wait_for_selector("a[href^='/stories/']")
        page.click("dd a[href^='/stories/']")
        page.wait_for_selector("#timeline svg.chart rect")
        assert page.locator("#timeline svg.chart rect").count() >= 1
        assert page.locator("#documents li a[href^='/documents/']").count() >= 1
        assert page.locator("#outlets li").count() >= 1
        page.screenshot(path=str(SHOTS / f"story-{tag}.png"), full_page=True)
        if tag == "laptop" and page.locator("#split-form input[name=doc]").count() >= 3:
            # a hand split from the story page: the tables change at once, the new story opens
            story_url = page.url
            page.locator("#split-form input[name=doc]").last.check()
            page.click("#split-form button")
            page.wait_for_url(lambda url: url != story_url and "/stories/" in url)
            assert page.locator("#documents li a[href^='/documents/']").count() == 1
            assert page.locator("#pending").count() == 0  # finished, not "still running"
        page.goto(server + "/trends")
        page.wait_for_selector("#method")
        assert "14" in page.inner_text("#method")  # the 14-day baseline of the burst score
        page.screenshot(path=str(SHOTS / f"trends-{tag}.png"), full_page=True)
        # watchlists: add one, see its counts, follow it to the search page
        page.goto(server + "/watchlists")
        page.fill("input[name=name]", f"Nước máy {tag}")
        page.fill("input[name=query]", "nuoc may")
        page.click("form.filters button")
        page.wait_for_selector(f"text=Nước máy {tag}")
        assert int(page.inner_text("table#watchlists td.last30 >> nth=0")) >= 0
        assert page.locator("table#watchlists svg.spark").count() >= 1
        page.screenshot(path=str(SHOTS / f"watchlists-{tag}.png"), full_page=True)
        # reports: a bad period is refused in Vietnamese, a month is generated and shown inline
        page.goto(server + "/reports")
        page.fill("input[name=period]", "2026-13")
        page.click("#report-form button")
        page.wait_for_selector("p.error")
        assert "Tháng không hợp lệ" in page.inner_text("p.error")
        page.fill("input[name=period]", "2026-11")
        page.click("#report-form button")
        page.wait_for_selector("#report-view iframe")
        frame = page.frame_locator("#report-view iframe")
        assert "Tháng 11/2026" in frame.locator("h1").inner_text()
        page.screenshot(path=str(SHOTS / f"reports-{tag}.png"), full_page=True)
        assert csp_violations == [], csp_violations  # the CSP allows everything the pages use
        browser.close()
