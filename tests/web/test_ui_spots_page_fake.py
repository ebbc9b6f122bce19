"""The spots page's harder-to-reach states against a small in-memory fake of the spots API, in Chromium.

Playwright routes answer the page's /spots, /reminders, /account and /images/{fileName}/answers
calls, so that a wrong password on account deletion and the read-only share view can be shown
exactly; everything else comes from a real SpotCheck. test_ui_spots_browser.py runs the whole
flow against the real spots API.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from axe import serious_violations
from playwright.sync_api import Browser, Page, Route, ViewportSize, expect
from test_ui_browser import CHROMIUM, PASSWORD, _register, _screenshot, _sign_in, browser  # noqa: F401

from conftest import TEST_SECRET
from images import BLUE, image_bytes
from live_server import LiveServer
from spotcheck.classifier.labels import Classification
from spotcheck.recommendation import recommendation_for
from tiny_model import write_tiny_model

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE = ViewportSize(width=375, height=812)

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is missing", allow_module_level=True)


@dataclass
class FakeSpots:
    """The contract's answers, kept in memory; `sent` records what the page sent."""

    server: str
    spots: dict[str, dict[str, Any]] = field(default_factory=dict)
    uploads: list[str | None] = field(default_factory=list)  # the spotId of each upload, in order
    answers: dict[str, dict[str, bool | None]] = field(default_factory=dict)
    shared: set[str] = field(default_factory=set)
    sent: list[tuple[str, str, Any]] = field(default_factory=list)

    def install(self, page: Page) -> None:
        page.route(re.compile(r"/(spots|reminders|account)(/|\?|$)"), self.handle)
        page.route(re.compile(r"/images/[^/]+/answers$"), self.handle)
        page.route(re.compile(r"/images$"), self.upload)

    def _json(self, route: Route, status: int, body: Any = None) -> None:
        if body is None:
            route.fulfill(status=status)
        else:
            route.fulfill(status=status, content_type="application/json", body=json.dumps(body))

    def upload(self, route: Route) -> None:
        """Uploads go to the real server as they are; the fake notes which spot each was for."""
        request = route.request
        if request.method == "POST":
            spot = re.search(rb'name="spotId"\r\n\r\n([0-9a-f]+)\r\n', request.post_data_buffer or b"")
            self.uploads.append(spot.group(1).decode() if spot else None)
            self.sent.append(("POST", "/images", self.uploads[-1]))
        route.fallback()

    def _photos(self, route: Route, spot_id: str) -> list[dict[str, Any]]:
        """The account's real images, oldest first, that were uploaded into spot_id."""
        listing = route.fetch(url=f"{self.server}/images?limit=100", method="GET").json()["items"]
        oldest_first = sorted(listing, key=lambda item: item["uploadedAt"])
        return [item for item, spot in zip(oldest_first, self.uploads, strict=True) if spot == spot_id]

    def _spot(self, spot_id: str) -> dict[str, Any]:
        return {**self.spots[spot_id], "imageCount": self.uploads.count(spot_id)}

    def handle(self, route: Route) -> None:
        request = route.request
        path = re.sub(r"^https?://[^/]+", "", request.url).split("?")[0]
        body = request.post_data_json if request.post_data else None
        self.sent.append((request.method, path, body))
        match (request.method, path.split("/")[1:]):
            case ("GET", ["spots"]):
                self._json(route, 200, {"items": [self._spot(s) for s in self.spots], "total": len(self.spots)})
            case ("POST", ["spots"]):
                spot_id = uuid.uuid4().hex
                self.spots[spot_id] = {
                    "id": spot_id,
                    "name": body["name"],
                    "bodySite": body["bodySite"],
                    "createdAt": "2026-11-26T10:00:00Z",
                    "latest": None,
                    "summary": {"level": "none", "message": "No photos yet.", "basedOn": None},
                }
                self._json(route, 201, self._spot(spot_id))
            case ("GET", ["spots", spot_id]):
                entries = [
                    {**item, "spotId": spot_id, "answers": self.answers.get(item["fileName"]), "measures": None}
                    for item in self._photos(route, spot_id)
                ]
                changes = (
                    [{"from": entries[0]["fileName"], "to": entries[-1]["fileName"], "kind": "estimate",
                      "message": "The model's estimate went down between these photos.", "notable": True}]
                    if len(entries) > 1 else []
                )  # fmt: skip
                summary = {"level": "worrying", "message": "One of the recent photos was flagged.", "basedOn": None}
                self._json(
                    route, 200, {**self._spot(spot_id), "summary": summary, "images": entries, "changes": changes}
                )
            case ("POST", ["spots", spot_id, "shares"]):
                token = "tok" + uuid.uuid4().hex
                self.shared.add(spot_id)
                self._json(route, 201, {"token": token, "url": f"/share/{token}", "expiresAt": "2026-12-10T10:00:00Z"})
            case ("GET", ["spots", spot_id, "shares"]):
                items = [{"id": "1", "expiresAt": "2026-12-10T10:00:00Z", "createdAt": "2026-11-26T10:00:00Z"}]
                self._json(route, 200, {"items": items if spot_id in self.shared else []})
            case ("DELETE", ["spots", spot_id, "shares"]):
                self.shared.discard(spot_id)
                self._json(route, 204)
            case ("PUT", ["images", file_name, "answers"]):
                self.answers[file_name] = body
                self._json(route, 200, body)
            case ("GET", ["reminders"]):
                items = [
                    {"kind": "self-check", "spotId": None, "due": "2026-12-26", "title": "Monthly skin self-check"}
                ]
                self._json(route, 200, {"items": items})
            case ("GET", ["account"]):
                account = {"email": "fake@example.org", "createdAt": "2026-11-26T10:00:00Z", "signInMethod": "password"}
                self._json(route, 200, account)
            case ("DELETE", ["account"]):
                if body.get("password") != PASSWORD:
                    self._json(route, 403, {"detail": "That password is not right."})
                else:
                    self._json(route, 204)
            case _:
                self._json(route, 404, {"detail": "Not in the fake."})


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    model = write_tiny_model(tmp_path_factory.mktemp("model"), gate=True)
    data_dir = tmp_path_factory.mktemp("fake-spots") / "data"
    with LiveServer(data_dir=data_dir, model_path=model, jwt_secret=TEST_SECRET) as live:
        yield live


@pytest.fixture
def phone(browser: Browser, server: LiveServer) -> Iterator[tuple[Page, FakeSpots]]:  # noqa: F811
    # CSP bypassed only so that axe-core can be injected (test_ui_page.py checks the page's CSP).
    context = browser.new_context(base_url=server.url, viewport=PHONE, bypass_csp=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    fake = FakeSpots(server.url)
    fake.install(page)
    page.goto("/")
    yield page, fake
    context.close()
    assert errors == []


def test_deleting_the_account_asks_for_the_password_again_when_it_is_wrong(
    phone: tuple[Page, FakeSpots], server: LiveServer
) -> None:
    page, fake = phone
    _register(server, "leaving@example.org")
    _sign_in(page, "leaving@example.org")
    page.get_by_role("button", name="Delete my account").click()
    dialog = page.get_by_role("dialog", name="Delete your account?")
    dialog.get_by_role("button", name="Keep it").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_role("button", name="Delete my account")).to_be_focused()

    page.get_by_role("button", name="Delete my account").click()
    dialog.get_by_label("Your password").fill("not it at all")
    dialog.get_by_role("button", name="Delete my account").click()
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Your password")).to_have_accessible_description("That password is not right.")
    dialog.get_by_label("Your password").fill(PASSWORD)
    dialog.get_by_role("button", name="Delete my account").click()
    expect(page.get_by_label("Email")).to_be_visible()
    deletes = [body for method, path, body in fake.sent if (method, path) == ("DELETE", "/account")]
    assert deletes == [{"password": "not it at all"}, {"password": PASSWORD}]
    assert httpx.get(f"{server.url}/healthz").status_code == 200


def _item(file_name: str, classification: str, probability: float, uploaded: str) -> dict[str, Any]:
    return {
        "fileName": file_name,
        "spotId": "s1",
        "status": "done",
        "size": 1000,
        "uploadedAt": uploaded,
        "classification": classification,
        "malignantProbability": probability,
        "modelVersion": "tiny-1",
        "classifiedAt": uploaded,
        "refusal": None,
        "error": None,
        "measures": None,
    }


def test_the_share_view_is_read_only(browser: Browser, server: LiveServer) -> None:  # noqa: F811
    first = _item("a.jpg", "MALIGNANT", 0.4, "2026-10-01T09:00:00Z")
    second = _item("b.jpg", "BENIGN", 0.05, "2026-11-01T09:00:00Z")
    first["answers"] = dict.fromkeys(["grown", "changed", "itches", "hurts", "raised"], False) | {"bleeds": True}
    second["answers"] = None
    detail = {
        "id": "s1",
        "name": "Right calf",
        "bodySite": {"view": "back", "x": 0.4, "y": 0.8},
        "createdAt": "2026-10-01T09:00:00Z",
        "imageCount": 2,
        "latest": second,
        "summary": {"level": "worrying", "message": "A recent photo was flagged, so this spot needs a look.",
                    "basedOn": "a.jpg"},
        "images": [first, second],
        "changes": [],
    }  # fmt: skip
    context = browser.new_context(base_url=server.url, viewport=PHONE, bypass_csp=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.route(
        re.compile(r"/shared/tok123$"),
        lambda route: route.fulfill(content_type="application/json", body=json.dumps(detail)),
    )
    page.route(
        re.compile(r"/shared/tok123/images/"),
        lambda route: route.fulfill(content_type="image/jpeg", body=image_bytes(BLUE)),
    )
    page.goto("/share/tok123")
    expect(page.get_by_role("heading", name="Right calf")).to_be_visible()
    entries = page.locator(".timeline-entry")
    expect(entries).to_have_count(2)
    expect(entries.nth(0).get_by_text(recommendation_for(Classification.MALIGNANT), exact=True)).to_be_visible()
    expect(entries.nth(0).get_by_text("The patient said: It bleeds.")).to_be_visible()
    expect(entries.nth(1).get_by_text(recommendation_for(Classification.BENIGN), exact=True)).to_be_visible()
    expect(entries.nth(0).get_by_role("img")).to_have_js_property("naturalWidth", 128)
    expect(page.get_by_text("A recent photo was flagged, so this spot needs a look.")).to_be_visible()
    expect(page.get_by_role("link", name="Download report")).to_have_attribute("href", "/shared/tok123/report.pdf")
    for name in ("Delete", "Upload", "Save answers", "Share with a doctor", "Stop sharing", "Sign out"):
        expect(page.get_by_role("button", name=name)).to_have_count(0)
    expect(page.get_by_role("checkbox")).to_have_count(0)
    assert serious_violations(page) == []
    _screenshot(page, "33-share-view")
    context.close()
    assert errors == []
