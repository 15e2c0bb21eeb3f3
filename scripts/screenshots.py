"""Screenshots of every page of the workbench at laptop (1366x768) and phone (390x844) width, in
Vietnamese and English, with Debian's headless chromium (the flags of tests/browser).

    python scripts/screenshots.py BASE_URL USER PASSWORD OUT_DIR

BASE_URL is a running `kiemchung serve` (for docs/web.md: on the demo database). Writes
OUT_DIR/<page>-<width>-<lang>.png (full page). Not part of the test suite: the shots are looked at by a
person, and the pages are described in docs/web.md."""

from __future__ import annotations

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "browser"))
from browserkit import ARGS, CHROMIUM  # noqa: E402

SIZES = {"laptop": (1366, 768), "phone": (390, 844)}


def pages(page, base: str) -> dict[str, str]:
    """Every page, with real ids taken from the lists."""
    out = {
        "overview": "/", "search": "/search?q=n%C6%B0%E1%BB%9Bc+m%C3%A1y", "stories": "/stories",
        "trends": "/trends", "watchlists": "/watchlists", "claims": "/claims", "factchecks": "/factchecks",
        "factcheck-new": "/factchecks/new", "alerts": "/alerts", "reports": "/reports", "sources": "/sources",
        "users": "/users", "audit": "/audit", "account": "/account", "settings": "/settings",
        "apidocs": "/api/v1/docs", "notfound": "/khong-co-trang-nay", "ocr": "/ocr", "tips": "/tips",
        "tip-form": "/tin-bao",
    }

    def first(path: str, pattern: str) -> str | None:
        page.goto(base + path)
        m = re.search(pattern, page.content())
        return m.group(0) if m else None

    for name, path, pattern in (
        ("story", "/stories", r"/stories/\d+"),
        ("factcheck", "/factchecks", r"/factchecks/\d+"),
        ("document-post", "/alerts", r"/documents/\d+"),
        ("document-article", "/search?q=n%C6%B0%E1%BB%9Bc+m%C3%A1y&kind=article", r"/documents/\d+"),
        ("report", "/reports", r"/reports/bao-cao-[\d_-]+(?=\")"),
        ("tip", "/tips", r"/tips/\d+(?=\")"),
        ("evidence", "/factchecks?status=published", None),
    ):
        if name == "evidence":  # a kept page: the first fact-check whose editor lists one
            page.goto(base + path)
            for fc in list(dict.fromkeys(re.findall(r"/factchecks/\d+(?=\")", page.content())))[:40]:
                found = first(fc, r"/evidence/\d+(?=/warc)")  # a page kept (done)
                if found:
                    out["factcheck-evidence"], out[name] = fc, found
                    break
            continue
        found = first(path, pattern)
        if found:
            out[name] = found
    return out


def main(base: str, user: str, password: str, out_dir: str) -> None:
    from playwright.sync_api import sync_playwright

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for tag, (w, h) in SIZES.items():
            ctx = browser.new_context(viewport={"width": w, "height": h})
            page = ctx.new_page()
            for lang in ("vi", "en"):
                page.goto(base + f"/login?lang={lang}")
                page.screenshot(path=str(out / f"login-{tag}-{lang}.png"), full_page=True)
            page.goto(base + "/login?lang=vi")
            page.fill("input[name=username]", user)
            page.fill("input[name=password]", password)
            page.click("form button")
            todo = pages(page, base)
            for lang in ("vi", "en"):
                page.goto(base + f"/?lang={lang}")
                for name, path in todo.items():
                    page.goto(base + path)
                    page.wait_for_timeout(400 if name == "apidocs" else 100)
                    page.screenshot(path=str(out / f"{name}-{tag}-{lang}.png"), full_page=name != "apidocs")
                if tag == "phone":  # the menu opened
                    page.goto(base + "/")
                    page.click(".menu-toggle")
                    page.screenshot(path=str(out / f"menu-open-{tag}-{lang}.png"))
                else:
                    page.goto(base + "/")
                    page.hover("header.top .group:nth-of-type(2) .gl")
                    page.screenshot(path=str(out / f"menu-open-{tag}-{lang}.png"))
            ctx.close()
        browser.close()


if __name__ == "__main__":
    main(*sys.argv[1:5])
