"""Signing in on the page through a real OpenID provider (`oidc-provider` on loopback), in a real Chromium."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import chromium
import pytest
from chromium import CHROMIUM, open_screen
from playwright.sync_api import Page, expect

from conftest import TEST_SECRET
from live_server import LiveServer
from oidc_server import OpenIdProvider, oidc_provider

__all__ = ["oidc_provider"]

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# The shared fixtures (chromium.py): Chromium (one per module) and a fresh page per test.
browser = chromium.browser
page = chromium.page

PROVIDER_NAME = "Test ID"

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is missing: `apt-get install chromium` to run the browser tests", allow_module_level=True)


@pytest.fixture(scope="module", params=[True, False], ids=["passwords-on", "passwords-off"])
def local_accounts(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


@pytest.fixture(scope="module")
def server(
    local_accounts: bool,
    tmp_path_factory: pytest.TempPathFactory,
    tiny_model_path: Path,
    oidc_provider: OpenIdProvider,
) -> Iterator[LiveServer]:
    env = oidc_provider.env(SPOTCHECK_OIDC_NAME=PROVIDER_NAME, SPOTCHECK_LOCAL_ACCOUNTS=str(local_accounts).lower())
    data_dir = tmp_path_factory.mktemp("oidc-ui") / "data"
    with LiveServer(data_dir=data_dir, model_path=tiny_model_path, jwt_secret=TEST_SECRET, env=env) as live:
        yield live


def test_sign_in_with_the_provider_ends_signed_in_on_the_page(page: Page, server: LiveServer) -> None:
    page.get_by_role("button", name=f"Sign in with {PROVIDER_NAME}", exact=True).click()
    # The provider's own sign-in form, on its own origin.
    page.get_by_label("Username").fill("browser-user")
    page.get_by_role("button", name="Sign in", exact=True).click()

    page.wait_for_url(re.compile(rf"^{re.escape(server.url)}/(app/check)?$"))
    expect(page.get_by_label("Photo")).to_be_visible()
    open_screen(page, "Account")
    expect(page.get_by_text("browser-user@example.org")).to_be_visible()
    session = [c for c in page.context.cookies(server.url) if c["name"] == "spotcheck_session"]
    assert [(c["httpOnly"], c["sameSite"]) for c in session] == [(True, "Strict")]
    assert page.evaluate("document.cookie") == ""

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name=f"Sign in with {PROVIDER_NAME}", exact=True)).to_be_visible()
    expect(page.get_by_label("Photo")).to_be_hidden()


def test_the_password_form_is_there_only_when_passwords_are_on(page: Page, local_accounts: bool) -> None:
    expect(page.get_by_role("button", name=f"Sign in with {PROVIDER_NAME}", exact=True)).to_be_visible()
    if local_accounts:
        expect(page.get_by_label("Email")).to_be_visible()
        expect(page.get_by_role("button", name="Create account")).to_be_visible()
    else:
        expect(page.get_by_label("Email")).to_be_hidden()
        expect(page.get_by_role("button", name="Create account")).to_be_hidden()
