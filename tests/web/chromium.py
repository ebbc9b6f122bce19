"""Shared by the browser tests: Chromium (the ``browser`` fixture, one per test module) and a fresh
``page`` per test, the screen sizes, and the steps every flow takes (register, sign in, open a
screen, a checked screenshot). A module that uses the fixtures imports them and defines its own
``server`` fixture (a real ``spotcheck serve``).

A plain module rather than a ``conftest.py`` here: the tests import ``tests/conftest.py`` by the
name ``conftest``, which a second ``conftest.py`` in this folder would shadow."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, ViewportSize, expect, sync_playwright

from live_server import LiveServer

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
PASSWORD = "correct horse battery"
PHONE = ViewportSize(width=375, height=812)
DESKTOP = ViewportSize(width=1280, height=800)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: `apt-get install chromium` to run the browser tests")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser, server: LiveServer) -> Iterator[Page]:
    """A fresh browser profile (no cookies) on the home page, failing the test on any console error."""
    context = browser.new_context(base_url=server.url, service_workers="block", viewport=DESKTOP)
    context.set_default_timeout(15_000)
    opened = context.new_page()
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        # The browser logs every non-2xx fetch; those are the flows under test, not faults.
        if message.type == "error" and "Failed to load resource" not in message.text:
            errors.append(message.text)

    opened.on("console", on_console)
    opened.on("pageerror", lambda error: errors.append(str(error)))
    opened.goto("/")
    yield opened
    context.close()
    assert errors == [], f"console errors: {errors}"


def phone_page(
    browser: Browser, server: LiveServer, *, service_workers: bool = False, timezone_id: str | None = None
) -> Page:
    """A fresh profile at 375 x 812. CSP bypassed only so that axe-core can be injected
    (test_ui_page.py checks the page's CSP); service workers stay off unless asked for, because
    playwright's routes do not see what one answers. ``timezone_id``: the browser's time zone (the
    machine's if None)."""
    context = browser.new_context(
        base_url=server.url,
        viewport=PHONE,
        bypass_csp=True,
        service_workers="allow" if service_workers else "block",
        timezone_id=timezone_id,
    )
    context.set_default_timeout(15_000)
    return context.new_page()


@pytest.fixture
def phone(browser: Browser, server: LiveServer) -> Iterator[Page]:
    """``phone_page`` on the home page, failing the test on an uncaught page error."""
    opened = phone_page(browser, server)
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    opened.goto("/")
    yield opened
    opened.context.close()
    assert errors == []


# WCAG 2.1 contrast of every visible text node against the first opaque background behind it.
_LOW_CONTRAST_JS = """() => {
  const parse = (c) => {
    const p = c.match(/rgba?\\(([^)]+)\\)/)[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number);
    return { rgb: p.slice(0, 3), alpha: p.length > 3 ? p[3] : 1 };
  };
  const channel = (v) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
  const lum = ([r, g, b]) => 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  const background = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c.alpha > 0.5) return c.rgb;
    }
    return [255, 255, 255];
  };
  const low = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const text = walker.currentNode.textContent.trim();
    const el = walker.currentNode.parentElement;
    if (!text || !el.checkVisibility() || el.closest(".visually-hidden, .skip-link, noscript")) continue;
    const style = getComputedStyle(el);
    const [hi, lo] = [lum(parse(style.color).rgb), lum(background(el))].sort((a, b) => b - a);
    const ratio = (hi + 0.05) / (lo + 0.05);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (Number(style.fontWeight) >= 700 && size >= 18.66);
    if (ratio < (large ? 3 : 4.5)) low.push(`${text.slice(0, 40)}: ${ratio.toFixed(2)}`);
  }
  return low;
}"""


def screenshot(page: Page, name: str) -> None:
    """Save the page at phone and desktop widths, checking it fits and its text is legible at each."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for label, size in (("375", PHONE), ("1280", DESKTOP)):
        page.set_viewport_size(size)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= size["width"], f"{name}: the page scrolls sideways at {size['width']} px ({width} px wide)"
        assert page.evaluate(_LOW_CONTRAST_JS) == [], f"{name}: text below WCAG AA contrast"
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{label}.png"), full_page=True)
    page.set_viewport_size(DESKTOP)


def register(server: LiveServer, email: str) -> None:
    response = httpx.post(f"{server.url}/auth/register", json={"email": email, "password": PASSWORD})
    assert response.status_code == 201, response.text


def sign_in(page: Page, email: str) -> None:
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_label("Photo")).to_be_visible()


def open_screen(page: Page, name: str) -> None:
    """Go to a screen by the navigation's link ("Check", "Spots", "Account")."""
    page.get_by_role("navigation", name="Screens").get_by_role("link", name=name, exact=True).click()
