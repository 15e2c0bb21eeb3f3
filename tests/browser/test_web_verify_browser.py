"""Browser test of the verify area: `kiemchung serve` in a subprocess, driven by Debian's chromium.

An editor starts a fact-check from the claims queue, sets the verdict, cites an official statement
found through the in-store search box, publishes it; then a post repeating the false claim is
ingested (library Ingestor + alert stage, on the same SQLite file) and the alert shows on /alerts.
Screenshots go to bench-out/screenshots/ (laptop and phone viewports). Every text is invented.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from browserkit import ARGS, CHROMIUM, SHOTS, free_port, require_chromium, wait_until_serving, watch_csp

playwright_api = require_chromium()

from factories import make_doc  # noqa: E402

from kiemchung import users as U  # noqa: E402
from kiemchung.claims.alerts import AlertStage  # noqa: E402
from kiemchung.ingest import Ingestor  # noqa: E402

PW = "mat-khau-kiem-chung"
VIRAL = "Uống nước lá ổi đun sôi mỗi sáng chữa khỏi hẳn bệnh tiểu đường chỉ sau 7 ngày, bác sĩ xác nhận!!!"
REPEAT = "KHẨN CẤP: uống nước lá ổi đun sôi mỗi sáng chữa khỏi hẳn bệnh tiểu đường chỉ sau 7 ngày, chia sẻ ngay!"



@pytest.fixture
def server(db, sample_docs, tmp_path):
    Ingestor(db).add(
        [
            *sample_docs,
            make_doc(
                "Sở Y tế Lam Sơn: nước lá ổi không chữa được bệnh tiểu đường",
                "Chưa có nghiên cứu nào chứng minh nước lá ổi chữa khỏi bệnh tiểu đường; người bệnh cần điều trị theo "
                "chỉ định của bác sĩ.",
                url="https://syt.lamson.gov.vn/tb-la-oi.html",
                kind="official",
                day=18,
            ),
            make_doc("", VIRAL, kind="post", platform="facebook", external_id="v-1", day=20,
                     engagement={"likes": 2400, "shares": 880, "comments": 310}),
        ]
    )
    U.add_user(db, "bientap", PW, "editor")
    port = free_port()
    log = open(tmp_path / "server.log", "w")  # noqa: SIM115 (kept open for the server's lifetime)
    proc = subprocess.Popen(
        [sys.executable, "-c", "from kiemchung.cli import main; main()", "--db", str(tmp_path / "kc.db"), "serve", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    wait_until_serving(proc, base, log=lambda: (tmp_path / "server.log").read_text())
    yield base
    proc.terminate()
    proc.wait(10)
    log.close()


@pytest.mark.parametrize("width,height,tag", [(1280, 800, "laptop"), (390, 844, "phone")])
def test_claim_to_published_factcheck_to_alert(server, db, width, height, tag):
    SHOTS.mkdir(parents=True, exist_ok=True)
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": width, "height": height})
        csp_violations = watch_csp(page)
        page.goto(server + "/login")
        page.fill("input[name=username]", "bientap")
        page.fill("input[name=password]", PW)
        page.click("form.card button")
        page.wait_for_url(server + "/")

        # 1. the claims queue offers the viral post; one click starts a fact-check
        page.goto(server + "/claims")
        row = page.locator("#viral tr", has_text="lá ổi đun sôi mỗi sáng")
        assert row.count() == 1
        page.screenshot(path=str(SHOTS / f"claims-{tag}.png"), full_page=True)
        with page.expect_navigation():
            row.locator("button").click()
        assert "/factchecks/" in page.url
        assert "bản nháp" in page.inner_text("h1")
        page.screenshot(path=str(SHOTS / f"factcheck-editor-draft-{tag}.png"), full_page=True)

        # 2. verdict and explanation
        page.select_option("#fields select[name=verdict]", "false")
        page.fill("#fields textarea[name=explanation]", "Sở Y tế Lam Sơn khẳng định lá ổi không chữa được tiểu đường.")
        with page.expect_navigation():
            page.click("#fields button")
        assert "sai sự thật" in page.inner_text("h1")

        # publishing a false verdict without evidence is refused with a Vietnamese message
        with page.expect_navigation():
            page.click("button.publish")
        assert "khi chưa có bằng chứng" in page.inner_text("p.error")

        # 3. cite the official statement found by the htmx search box (official statements first)
        page.fill(".cite-search input", "la oi tieu duong")
        page.wait_for_selector("#cite-results form button")
        assert "Văn bản chính thức" in page.inner_text("#cite-results")
        page.locator("#cite-results").scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / f"factcheck-editor-cite-{tag}.png"))
        with page.expect_navigation():
            page.locator("#cite-results form button").first.click()
        assert "nước lá ổi không chữa được" in page.inner_text("ol.evidence")
        page.screenshot(path=str(SHOTS / f"factcheck-editor-evidence-{tag}.png"), full_page=True)

        # 4. publish (approval is off in this installation)
        with page.expect_navigation():
            page.click("button.publish")
        assert "đã xuất bản" in page.inner_text("h1")
        assert '"ClaimReview"' in page.inner_text("pre.jsonld")
        page.screenshot(path=str(SHOTS / f"factcheck-editor-{tag}.png"), full_page=True)

        # 5. a post repeating the false claim arrives (ingest + alert stage on the same database)
        Ingestor(db).add([make_doc("", REPEAT, kind="post", platform="zalo", external_id=f"r-{tag}", day=25)])
        assert AlertStage(db).run() >= 1

        page.goto(server + "/alerts")
        row = page.locator("tr.alert", has_text="KHẨN CẤP")
        assert row.count() == 1
        assert "sai sự thật" in row.inner_text()
        page.screenshot(path=str(SHOTS / f"alerts-{tag}.png"), full_page=True)
        row.locator("select[name=status]").select_option("confirmed")
        with page.expect_navigation():
            row.locator("button").click()
        assert "xác nhận" in page.locator("tr.alert", has_text="KHẨN CẤP").inner_text()
        assert csp_violations == [], csp_violations  # the CSP allows everything the pages use
        browser.close()
