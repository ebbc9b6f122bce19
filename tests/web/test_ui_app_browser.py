"""The page as an app, in a real Chromium at 375 px against a real ``spotcheck serve``: screens at
their own addresses (back, forward, reload), a signed-out load without a console error, installable
(manifest, service worker) and a word about being offline, the live camera view, where the model
looked, moving a photo into a spot, upload progress, and axe-core on every screen.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import chromium
import httpx
import pytest
from axe import serious_violations
from chromium import CHROMIUM, CHROMIUM_ARGS, PHONE, open_screen, phone_page, register, sign_in
from PIL import Image
from playwright.sync_api import Browser, ConsoleMessage, Page, expect

from conftest import TEST_SECRET
from images import BLUE, RED, image_bytes
from live_server import LiveServer
from tiny_model import write_tiny_model

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# The shared fixture (chromium.py): Chromium, one per module.
browser = chromium.browser
phone = chromium.phone

FAKE_CAMERA = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is missing", allow_module_level=True)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    model = write_tiny_model(tmp_path_factory.mktemp("model"), gate=True)
    data_dir = tmp_path_factory.mktemp("app") / "data"
    with LiveServer(data_dir=data_dir, model_path=model, jwt_secret=TEST_SECRET) as live:
        yield live


def _photo(tmp_path: Path, name: str = "blue.jpg", colour: tuple[int, int, int] = BLUE) -> Path:
    path = tmp_path / name
    path.write_bytes(image_bytes(colour, size=(400, 300)))
    return path


def _upload(page: Page, tmp_path: Path, colour: tuple[int, int, int] = BLUE) -> str:
    """Upload a photo of one colour (the tiny model calls blue BENIGN, red MALIGNANT) and wait for its result."""
    page.get_by_label("Photo").set_input_files(_photo(tmp_path, colour=colour))
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.get_by_role("region", name="Result").get_by_text("Analysis complete")).to_be_visible()
    return page.url.rsplit("/", 1)[1]


def test_a_signed_out_load_logs_no_console_error_and_enter_signs_in(
    browser: Browser,
    server: LiveServer,
) -> None:
    page = phone_page(browser, server)
    logged: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            logged.append(message.text)

    page.on("console", on_console)
    page.goto("/")
    expect(page.get_by_label("Email")).to_be_visible()
    expect(page.get_by_role("button", name="Create account")).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert logged == []
    assert serious_violations(page) == []
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Create your account")).to_be_visible()
    assert serious_violations(page) == []
    page.get_by_role("button", name="I have an account").click()

    register(server, "enter-key@example.org")
    page.get_by_label("Email").fill("enter-key@example.org")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_label("Password").press("Enter")
    expect(page.get_by_label("Photo")).to_be_visible()
    expect(page).to_have_url(re.compile("/app/check$"))
    page.context.close()


def test_every_screen_has_its_own_address_and_back_forward_and_reload_work(
    phone: Page, server: LiveServer, tmp_path: Path
) -> None:
    register(server, "screens@example.org")
    sign_in(phone, "screens@example.org")
    expect(phone).to_have_url(re.compile("/app/check$"))
    expect(phone.get_by_role("link", name="Check", exact=True)).to_have_attribute("aria-current", "page")
    for screen in ("Upload", "Use camera"):
        expect(phone.get_by_role("button", name=screen, exact=True)).to_be_visible()
    expect(phone.get_by_label("Spot", exact=True)).to_be_visible()
    assert serious_violations(phone) == []

    file_name = _upload(phone, tmp_path)
    expect(phone).to_have_url(re.compile(f"/app/result/{re.escape(file_name)}$"))
    assert serious_violations(phone) == []
    open_screen(phone, "Spots")
    expect(phone).to_have_url(re.compile("/app/spots$"))
    expect(phone.get_by_role("heading", name="Your spots")).to_be_focused()
    assert serious_violations(phone) == []
    open_screen(phone, "Account")
    expect(phone.get_by_role("heading", name="Your account")).to_be_focused()
    for name in ("Change password", "Delete my account"):
        expect(phone.get_by_role("button", name=name)).to_be_visible()
    expect(phone.get_by_role("link", name="Export my data")).to_be_visible()
    expect(phone.get_by_role("region", name="Reminders")).to_be_visible()
    assert serious_violations(phone) == []

    phone.go_back()
    expect(phone.get_by_role("heading", name="Your spots")).to_be_visible()
    phone.go_back()
    expect(phone.get_by_role("region", name="Result").get_by_text("Analysis complete")).to_be_visible()
    phone.reload()
    expect(phone.get_by_role("region", name="Result").get_by_text("Analysis complete")).to_be_visible()
    phone.go_forward()
    expect(phone.get_by_role("heading", name="Your spots")).to_be_visible()

    # A bookmark opened signed out: sign in, and the bookmarked screen opens.
    bookmark = phone.url
    phone.get_by_role("button", name="Sign out").click()
    phone.goto(bookmark)
    phone.get_by_label("Email").fill("screens@example.org")
    phone.get_by_label("Password").fill("correct horse battery")
    phone.get_by_role("button", name="Sign in").click()
    expect(phone.get_by_role("heading", name="Your spots")).to_be_visible()


def test_the_app_is_installable_and_says_when_it_is_offline(
    browser: Browser,
    server: LiveServer,
) -> None:
    page = phone_page(browser, server, service_workers=True)
    page.goto("/")
    manifest_url = page.locator("link[rel=manifest]").get_attribute("href")
    manifest = page.request.get(manifest_url or "").json()
    assert manifest["display"] == "standalone" and manifest["start_url"] == "/app/check"
    assert manifest["name"].startswith("SpotCheck") and manifest["theme_color"]
    for icon, side in zip(manifest["icons"][:2], (192, 512), strict=True):
        png = page.request.get(icon["src"])
        assert png.headers["content-type"] == "image/png"
        assert Image.open(io.BytesIO(png.body())).size == (side, side)

    # The service worker takes the page over, keeps its shell, and never an API answer.
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()
    assert page.evaluate("navigator.serviceWorker.controller !== null")
    cached = page.evaluate(
        "caches.keys().then(ks => Promise.all(ks.map(k => caches.open(k).then(c => c.keys()))))"
        ".then(lists => lists.flat().map(r => new URL(r.url).pathname))"
    )
    assert "/" in cached and "/static/js/main.js" in cached
    assert not [path for path in cached if path.startswith(("/images", "/spots", "/detect", "/ui/", "/model"))]

    page.context.set_offline(True)
    page.reload()
    expect(page.get_by_role("heading", name="You are offline")).to_be_visible()
    assert serious_violations(page) == []
    page.context.set_offline(False)
    page.get_by_role("button", name="Try again").click()
    expect(page.get_by_label("Email")).to_be_visible()
    page.context.close()


def test_use_camera_opens_a_live_view_with_the_checks_and_a_shutter(
    browser: Browser,
    server: LiveServer,
    tmp_path: Path,
) -> None:
    register(server, "camera@example.org")
    # A second Chromium of the same playwright, with a fake camera that needs no permission prompt.
    chromium = browser.browser_type.launch(
        executable_path=str(CHROMIUM), headless=True, args=[*CHROMIUM_ARGS, *FAKE_CAMERA]
    )
    try:
        context = chromium.new_context(base_url=server.url, viewport=PHONE, bypass_csp=True, service_workers="block")
        context.grant_permissions(["camera"])
        context.set_default_timeout(15_000)
        page = context.new_page()
        page.goto("/")
        sign_in(page, "camera@example.org")

        # A spot with one photo: its last photo shows faintly over the live view.
        open_screen(page, "Spots")
        page.get_by_role("button", name="New spot").click()
        page.get_by_label("Spot name").fill("Mole on the wrist")
        page.get_by_role("button", name="Save spot").click()
        page.get_by_role("link", name="Add photo").click()
        _upload(page, tmp_path)
        page.get_by_role("link", name="Back to Mole on the wrist").click()
        page.get_by_role("link", name="Add photo").click()

        page.get_by_role("button", name="Use camera").click()
        video = page.get_by_label("Live view of the camera")
        expect(video).to_be_visible()
        page.wait_for_function("document.getElementById('camera-video').readyState >= 2")
        expect(page.locator("#camera-ghost")).to_be_visible()
        expect(page.locator("#camera-ghost")).to_have_attribute("src", re.compile("/images/"))
        # The live checks speak once they have looked at the picture.
        expect(page.locator("#camera-advice")).not_to_have_text("Put the spot inside the circle, about 10 cm away.")
        assert serious_violations(page) == []
        page.get_by_role("button", name="Take photo").click()
        expect(video).to_be_hidden()
        expect(page.get_by_role("img", name="Preview of the chosen image")).to_be_visible()
        expect(page.locator("#preview-caption")).to_contain_text("camera.jpg")
        assert page.evaluate("document.getElementById('camera-video').srcObject") is None  # the camera is off
        page.get_by_role("button", name="Upload", exact=True).click()
        expect(page).to_have_url(re.compile("/app/result/"))
    finally:
        chromium.close()


def test_without_camera_permission_use_camera_falls_back_to_the_file_picker(phone: Page, server: LiveServer) -> None:
    register(server, "nocamera@example.org")
    sign_in(phone, "nocamera@example.org")
    with phone.expect_file_chooser() as chooser:
        phone.get_by_role("button", name="Use camera").click()
    assert chooser.value.element.get_attribute("capture") == "environment"


def _heatmap_png() -> bytes:
    out = io.BytesIO()
    Image.linear_gradient("L").resize((400, 300)).save(out, format="PNG")
    return out.getvalue()


def test_where_spotcheck_looked_shows_only_when_the_server_has_it(
    phone: Page, server: LiveServer, tmp_path: Path
) -> None:
    register(server, "heat@example.org")
    sign_in(phone, "heat@example.org")
    _upload(phone, tmp_path)
    toggle = phone.get_by_role("button", name="Show where SpotCheck looked")
    expect(toggle).to_have_count(0)  # this server answers 404

    open_screen(phone, "Check")
    phone.route(
        re.compile(r"/images/[^/]+/heatmap$"),
        lambda route: route.fulfill(content_type="image/png", body=_heatmap_png()),
    )
    _upload(phone, tmp_path)
    expect(toggle).to_be_visible()
    toggle.click()
    expect(phone.get_by_role("button", name="Hide where SpotCheck looked")).to_have_attribute("aria-pressed", "true")
    expect(phone.locator("#result-heatmap")).to_be_visible()
    # The whole 4:3 photo, not the square thumbnail, so a map bright at the edges is not cut off; the map lies on it.
    photo, heatmap = phone.locator("#result-img").bounding_box(), phone.locator("#result-heatmap").bounding_box()
    assert photo is not None and heatmap is not None
    assert photo["height"] / photo["width"] == pytest.approx(0.75, abs=0.02)
    assert heatmap == pytest.approx(photo, abs=1.0)
    # Blue is BENIGN: the map still has a brightest part, which the sentence must not let read as a finding.
    expect(phone.locator("#heatmap-hint")).to_have_text(
        "The brighter parts of the photo weighed most in SpotCheck's estimate, but not enough to flag the spot: "
        "every photo has a brightest part. This is not a diagnosis and not an outline of the spot."
    )
    assert serious_violations(phone) == []

    open_screen(phone, "Check")
    _upload(phone, tmp_path, colour=RED)
    toggle.click()
    expect(phone.locator("#heatmap-hint")).to_have_text(
        "The brighter parts of the photo weighed most in SpotCheck's estimate. "
        "This is not a diagnosis and not an outline of the spot."
    )


def test_a_photo_in_the_history_moves_into_a_spot(phone: Page, server: LiveServer, tmp_path: Path) -> None:
    paths = httpx.get(f"{server.url}/openapi.json").json()["paths"]
    if "put" not in paths.get("/images/{fileName}/spot", {}):
        pytest.skip("this server has no PUT /images/{fileName}/spot yet")
    register(server, "move@example.org")
    sign_in(phone, "move@example.org")
    file_name = _upload(phone, tmp_path)
    open_screen(phone, "Spots")
    phone.get_by_role("button", name="New spot").click()
    phone.get_by_label("Spot name").fill("Freckle on the cheek")
    phone.get_by_role("button", name="Save spot").click()
    expect(phone.get_by_role("heading", name="Freckle on the cheek")).to_be_visible()
    spot_id = phone.url.rsplit("/", 1)[1]

    open_screen(phone, "Check")
    item = phone.get_by_role("region", name="History").get_by_role("listitem").first
    item.get_by_label("Move to spot").select_option(label="Freckle on the cheek")
    expect(item.get_by_text("Saved", exact=True)).to_be_visible()
    assert [i["fileName"] for i in phone.request.get(f"/spots/{spot_id}").json()["images"]] == [file_name]
    assert serious_violations(phone) == []


def test_the_upload_button_shows_the_bytes_sent(phone: Page, server: LiveServer, tmp_path: Path) -> None:
    register(server, "progress@example.org")
    sign_in(phone, "progress@example.org")
    phone.evaluate("""() => {
      const button = document.getElementById("upload");
      window.buttonTexts = [];
      new MutationObserver(() => window.buttonTexts.push(button.textContent))
        .observe(button, { childList: true, characterData: true, subtree: true });
    }""")
    phone.get_by_label("Photo").set_input_files(_photo(tmp_path))
    phone.get_by_role("button", name="Upload", exact=True).click()
    expect(phone.get_by_role("region", name="Result").get_by_text("Analysis complete")).to_be_visible()
    texts = phone.evaluate("window.buttonTexts")
    assert any(re.fullmatch(r"Uploading… \d+ KB of \d+ KB", text) for text in texts), texts
    assert texts[-1] == "Upload"
