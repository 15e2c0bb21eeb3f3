"""Layout of the workbench in headless chromium: the grouped menu fits one row on a laptop and folds
behind a "Menu" button on a phone; unknown pages get the site's 404 page; the API docs render from the
package with every request to this server (no CDN)."""

from __future__ import annotations

import pytest
from browserkit import ARGS, CHROMIUM, SHOTS, require_chromium, watch_csp

playwright_api = require_chromium()

from test_web_monitor import PW  # noqa: E402
from test_web_monitor_browser import server  # noqa: E402,F401  (the module's server fixture)


def _login(page, base):
    page.goto(base + "/login")
    page.fill("input[name=username]", "quantri")
    page.fill("input[name=password]", PW)
    page.click("form button")
    page.wait_for_url(base + "/")


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def test_menu_fits_one_row_on_a_laptop_and_groups_open(server, browser):  # noqa: F811
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    csp_violations = watch_csp(page)
    _login(page, server)
    header = page.locator("header.top").bounding_box()
    assert header["height"] < 70, header  # one row (twelve links used to wrap to two)
    assert page.locator("header.top .group").count() == 4
    assert not page.locator("a[href='/alerts']").first.is_visible()  # inside a closed group
    page.click("header.top .group:nth-of-type(2) .gl")
    assert page.locator("header.top a[href='/alerts']").is_visible()
    page.keyboard.press("Escape")
    page.hover("header.top .group:nth-of-type(4) .gl")
    assert page.locator("header.top a[href='/api/v1/docs']").is_visible()
    assert page.locator("header.top .group.current .gl").inner_text().startswith("Theo dõi")
    page.screenshot(path=str(SHOTS / "menu-laptop.png"))
    assert csp_violations == [], csp_violations  # no CSP violation (Swagger UI included)
    page.close()


def test_menu_collapses_on_a_phone(server, browser):  # noqa: F811
    page = browser.new_page(viewport={"width": 390, "height": 844})
    csp_violations = watch_csp(page)
    _login(page, server)
    assert page.locator(".menu-toggle").is_visible()
    assert not page.locator("#mainnav").is_visible()
    header = page.locator("header.top").bounding_box()
    assert header["height"] < 130, header  # brand, button and account: no five rows of links
    page.click(".menu-toggle")
    assert page.locator("#mainnav a[href='/sources']").is_visible()
    assert page.locator(".menu-toggle").get_attribute("aria-expanded") == "true"
    page.click("#mainnav a[href='/sources']")
    page.wait_for_url(server + "/sources")
    assert not page.locator("#mainnav").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
    page.goto(server + "/")
    size = page.evaluate("parseFloat(getComputedStyle(document.querySelector('.chart-axis')).fontSize)")
    assert size >= 11  # the chart's dates are HTML, not SVG text squeezed to a few pixels
    assert csp_violations == [], csp_violations  # no CSP violation (Swagger UI included)
    page.close()


def test_not_found_page_in_the_layout(server, browser):  # noqa: F811
    page = browser.new_page(viewport={"width": 390, "height": 844})
    csp_violations = watch_csp(page)
    _login(page, server)
    r = page.goto(server + "/khong-co-trang-nay")
    assert r.status == 404
    assert page.locator("header.top .brand").is_visible() and "Không tìm thấy trang này" in page.content()
    assert csp_violations == [], csp_violations  # no CSP violation (Swagger UI included)
    page.close()


def test_api_docs_render_offline(server, browser):  # noqa: F811
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    csp_violations = watch_csp(page)
    outside = []
    page.on("request", lambda req: outside.append(req.url) if not req.url.startswith(server) else None)
    page.goto(server + "/api/v1/docs")
    page.wait_for_selector(".swagger-ui .info .title", timeout=20_000)
    assert "kiemchung" in page.locator(".swagger-ui .info .title").inner_text()
    assert page.locator(".opblock").count() > 10  # the operations are listed
    assert [u for u in outside if not u.startswith("data:")] == []
    assert csp_violations == [], csp_violations  # no CSP violation (Swagger UI included)
    page.close()


@pytest.mark.parametrize(("width", "rising_first"), [(390, True), (1366, False)])
def test_rising_stories_come_first_on_a_phone(server, browser, width, rising_first):  # noqa: F811
    """On a phone the stories page is one column: the "rising now" panel comes before the 30-row list
    (it used to be below it, ~8,000 px down); on a laptop it stays the side column."""
    page = browser.new_page(viewport={"width": width, "height": 844})
    _login(page, server)
    page.goto(server + "/stories")
    rising = page.locator("#rising-now").bounding_box()
    table = page.locator("#stories").bounding_box()
    if rising_first:
        assert rising["y"] + rising["height"] <= table["y"], (rising, table)
    else:
        assert rising["x"] > table["x"] and rising["y"] < table["y"] + table["height"], (rising, table)
    page.close()
