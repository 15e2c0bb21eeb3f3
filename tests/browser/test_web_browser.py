"""Browser test: the real server (uvicorn in a thread) driven by Debian's headless chromium via Playwright."""

from __future__ import annotations

import threading
import time

import pytest
from browserkit import ARGS, CHROMIUM, SHOTS, free_port, require_chromium, watch_csp

playwright_api = require_chromium()

from factories import make_doc  # noqa: E402

from kiemchung import users as U  # noqa: E402
from kiemchung.ingest import Ingestor  # noqa: E402
from kiemchung.web import create_app  # noqa: E402


@pytest.fixture
def server(db, sample_docs):
    yield from _serve(db, sample_docs)


def _serve(db, sample_docs):
    import uvicorn

    Ingestor(db).add(
        [
            *sample_docs,
            make_doc(
                "Thông báo của UBND tỉnh Lam Sơn về mưa lũ",
                "Người dân vùng trũng cần sơ tán trước 18 giờ.",
                url="https://lamson.gov.vn/tb-1",
                kind="official",
                day=20,
            ),
        ]
    )
    U.add_user(db, "bientap", "mat-khau-trinh-duyet", "editor")
    port = free_port()
    config = uvicorn.Config(create_app(db), host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    # A deadline only as a guard against a hang: on a loaded CI machine the start-up can take far longer
    # than the 5 s this once allowed, and a page requested before it listens fails "connection refused".
    deadline = time.monotonic() + 180
    while not srv.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the web server did not start (uvicorn in a thread)")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(5)


@pytest.mark.parametrize("width,height,tag", [(1280, 800, "laptop"), (390, 844, "phone")])
def test_login_search_document_add_source(server, width, height, tag):
    SHOTS.mkdir(parents=True, exist_ok=True)
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": width, "height": height})
        csp_violations = watch_csp(page)
        page.goto(server + "/")
        assert "/login" in page.url
        page.screenshot(path=str(SHOTS / f"login-{tag}.png"))
        page.fill("input[name=username]", "bientap")
        page.fill("input[name=password]", "mat-khau-trinh-duyet")
        page.click("form.card button")
        page.wait_for_url(server + "/")
        assert page.locator("svg.chart").count() == 1
        page.screenshot(path=str(SHOTS / f"overview-{tag}.png"), full_page=True)
        page.goto(server + "/search")
        page.fill("input[name=q]", "sot xuat huyet")
        page.keyboard.press("Enter")
        page.wait_for_selector("ol.hits li a")
        assert page.locator("mark").count() >= 1
        page.screenshot(path=str(SHOTS / f"search-{tag}.png"), full_page=True)
        page.click("ol.hits li a")
        page.wait_for_selector("article h1")
        assert "Nước chanh" in page.inner_text("article h1")
        page.screenshot(path=str(SHOTS / f"document-{tag}.png"), full_page=True)
        page.goto(server + "/sources")
        page.fill("input[name=url]", f"https://baolamson.vn/rss-{tag}.xml")
        page.fill("input[name=name]", f"Báo Lam Sơn {tag}")
        page.click("form.card button")
        page.wait_for_selector(f"text=Báo Lam Sơn {tag}")
        page.screenshot(path=str(SHOTS / f"sources-{tag}.png"), full_page=True)
        page.goto(server + "/?lang=en")
        assert "Documents per day" in page.content()
        assert csp_violations == [], csp_violations  # the CSP allows everything the pages use
        # ...and refuses what an injection would bring: an inline script and an inline handler do not run
        page.evaluate("""() => { const s = document.createElement('script'); s.textContent = 'window.pwned = 1';
            document.body.appendChild(s); document.body.insertAdjacentHTML('beforeend',
            '<img id=x src=/static/none.png onerror="window.pwned = 2">'); }""")
        # The browser reports each refusal on its console, the handler's once the missing image has failed
        # to load: wait for both reports (or for the injection to have run), not for a fixed time.
        def refused(what: str) -> bool:
            return any(f"inline {what}" in v and "script-src" in v for v in csp_violations)

        deadline = time.monotonic() + 60  # a guard against a hang only
        while (not (refused("script") and refused("event handler")) and page.evaluate("window.pwned") is None
               and time.monotonic() < deadline):
            page.wait_for_timeout(50)
        assert page.evaluate("window.pwned") is None
        assert refused("script") and refused("event handler"), csp_violations
        browser.close()


@pytest.mark.pg_fulltext
@pytest.mark.parametrize("backend", ["postgresql"])
def test_login_search_and_document_on_postgresql(any_db, sample_docs):
    """Server mode smoke test: the same pages in a real browser, the store on PostgreSQL."""
    served = _serve(any_db, sample_docs)
    server = next(served)
    try:
        with playwright_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            csp_violations = watch_csp(page)
            page.goto(server + "/")
            page.fill("input[name=username]", "bientap")
            page.fill("input[name=password]", "mat-khau-trinh-duyet")
            page.click("form.card button")
            page.wait_for_url(server + "/")
            assert page.locator("svg.chart").count() == 1
            page.goto(server + "/search")
            page.fill("input[name=q]", "sot xuat huyet")
            page.keyboard.press("Enter")
            page.wait_for_selector("ol.hits li a")
            assert page.locator("mark").count() >= 1
            page.click("ol.hits li a")
            page.wait_for_selector("article h1")
            assert "Nước chanh" in page.inner_text("article h1")
            page.goto(server + "/sources")
            page.fill("input[name=url]", "https://baolamson.vn/rss-pg.xml")
            page.fill("input[name=name]", "Báo Lam Sơn PG")
            page.click("form.card button")
            page.wait_for_selector("text=Báo Lam Sơn PG")
            assert csp_violations == [], csp_violations
            browser.close()
    finally:
        next(served, None)
