"""A screenshot of a kept page, rendered by Debian's chromium without letting it reach the network.

Chromium never fetches anything itself. Every request it makes is intercepted (Playwright routes):
the page's own address is answered with the HTML that was fetched and stored, the page's images and
style sheets are fetched by a function the caller gives (kiemchung passes one that goes through the
guarded client, so the same address checks and size limits apply as to every fetch), and everything
else is refused. As a second wall, chromium is started with a proxy that does not exist for every
address (loopback included) and a host resolver that resolves nothing, so a request that escaped the
routes would still go nowhere. JavaScript is off: a kept page is a record of what was served, and a
script could only try to reach out or change it.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-features=NetworkPrediction,PreloadMediaEngagementData,AutofillServerCommunication",
    "--dns-prefetch-disable",
    # The second wall: nothing the routes let through could leave the machine.
    "--proxy-server=http://127.0.0.1:9",
    "--proxy-bypass-list=<-loopback>",
    "--host-resolver-rules=MAP * ~NOTFOUND",
]

#: A resource fetcher: URL -> (status, headers, body); raises on refusal or failure.
ResourceFetch = Callable[[str], tuple[int, dict[str, str], bytes]]

_lock = threading.Lock()  # one chromium at a time per process: the machine is small


class ScreenshotUnavailable(RuntimeError):
    """Chromium or Playwright is not installed here (the capture is kept without a screenshot)."""


def available() -> bool:
    """Whether screenshots can be taken here (Debian's chromium and Playwright installed)."""
    if not os.path.exists(CHROMIUM):
        return False
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return False
    return True


def render(html: bytes, url: str, *, content_type: str = "text/html", fetch: ResourceFetch | None = None,
           width: int = 1280, height: int = 900, max_height: int = 6000, timeout_s: float = 30.0,
           max_resources: int = 40, resources_budget_s: float = 20.0) -> tuple[bytes, dict]:
    """Render ``html`` as if served at ``url``; returns ``(PNG bytes, notes)``.

    ``notes`` counts the resources answered and refused. The picture is the page's top
    ``max_height`` pixels at ``width``. Raises :class:`ScreenshotUnavailable` when chromium or
    Playwright is missing, and ``RuntimeError`` when rendering fails.
    """
    if not available():
        raise ScreenshotUnavailable("chromium/playwright not installed")
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    notes = {"resources": 0, "refused": 0}
    deadline = time.monotonic() + resources_budget_s
    page_url = url.split("#", 1)[0]

    def handle(route) -> None:
        request = route.request
        target = request.url.split("#", 1)[0]
        if target == page_url and request.is_navigation_request():
            route.fulfill(status=200, headers={"content-type": content_type}, body=html)
            return
        if (fetch is None or request.is_navigation_request() or not target.startswith(("http://", "https://"))
                or notes["resources"] >= max_resources or time.monotonic() > deadline
                or request.resource_type not in ("image", "stylesheet", "font")):
            notes["refused"] += 1
            route.abort("blockedbyclient")
            return
        try:
            status, headers, body = fetch(target)
        except Exception:  # noqa: BLE001 - any refusal or failure: the resource is left out
            notes["refused"] += 1
            route.abort("blockedbyclient")
            return
        notes["resources"] += 1
        kept = {k: v for k, v in headers.items() if k.lower() == "content-type"}
        route.fulfill(status=status, headers=kept, body=body)

    with _lock, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, timeout=timeout_s * 1000)
        try:
            context = browser.new_context(viewport={"width": width, "height": height}, java_script_enabled=False,
                                          service_workers="block", accept_downloads=False)
            context.route("**/*", handle)
            page = context.new_page()
            page.set_default_timeout(timeout_s * 1000)
            try:
                page.goto(page_url, wait_until="load", timeout=timeout_s * 1000)
            except PlaywrightError as exc:
                if "Timeout" not in str(exc):
                    raise RuntimeError(f"chromium could not render the page: {exc}") from exc
            size = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
            full = max(height, min(int(size[1] or height), max_height))
            page.set_viewport_size({"width": width, "height": full})
            png = page.screenshot(type="png", full_page=False, timeout=timeout_s * 1000)
            notes["height"] = full
            notes["cut"] = int(size[1] or 0) > max_height
            context.close()
        finally:
            browser.close()
    return png, notes
