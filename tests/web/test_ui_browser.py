"""Every flow of the web UI in a real Chromium, against a real ``spotcheck serve``.

Elements are found only by their visible label or accessible name, the way a person (or a
screen reader) finds them. Screenshots land in test-artifacts/screenshots/.
"""

from __future__ import annotations

import io
import random
import re
from collections.abc import Iterator
from pathlib import Path

import chromium
import httpx
import pytest
from chromium import PASSWORD, open_screen, register, screenshot, sign_in
from PIL import Image
from playwright.sync_api import Page, Route, expect

from conftest import TEST_SECRET
from live_server import LiveServer
from spotcheck.classifier.labels import Classification
from spotcheck.photocheck import RefusalReason, guidance_for
from spotcheck.recommendation import DISCLAIMER, recommendation_for

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# The shared fixtures (chromium.py): Chromium (one per module) and a fresh page per test.
browser = chromium.browser
page = chromium.page

REPO = Path(__file__).resolve().parents[2]
LESIONS = REPO / ".." / "shared" / "datasets" / "ham10000-200x150" / "images"
MAX_UPLOAD_BYTES = 1_000_000  # small, so a too-large upload is quick to make
# The server runs the tiny model behind the photo gate: it refuses green photos as not a lesion.
REFUSAL = guidance_for(RefusalReason.NOT_A_LESION)
PHOTO_HINT = "A sharp, well-lit close-up of one spot. JPEG, PNG, WebP or HEIC. You can also drag an image here."


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, gated_model_path: Path) -> Iterator[LiveServer]:
    data_dir = tmp_path_factory.mktemp("ui") / "data"
    env = {"SPOTCHECK_MAX_UPLOAD_BYTES": str(MAX_UPLOAD_BYTES)}
    with LiveServer(data_dir=data_dir, model_path=gated_model_path, jwt_secret=TEST_SECRET, env=env) as live:
        yield live


def _lesion() -> Path:
    if not LESIONS.is_dir():
        pytest.skip(f"the shared HAM10000 sample is missing at {LESIONS.resolve()}")
    return sorted(LESIONS.glob("*.jpg"))[0]


def _noise_png(side: int) -> bytes:
    """A PNG of noise, which does not compress: about 3 bytes a pixel."""
    rng = random.Random(7)
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), rng.randbytes(side * side * 3)).save(out, format="PNG", compress_level=1)
    return out.getvalue()


def _green_photo(directory: Path) -> Path:
    """The lesion photo with its brightness put in the green channel: as sharp and well lit as the
    original, but the gated tiny model's lesion head calls it not a lesion."""
    with Image.open(_lesion()) as lesion:
        grey = lesion.convert("L")
    dim = grey.point(lambda level: round(level * 0.3))
    path = directory / "green-spot.jpg"
    Image.merge("RGB", (dim, grey, dim)).save(path, quality=95)
    return path


def _shows_one_disclaimer_in_main(page: Page) -> None:
    """One disclaimer on the page, inside the main landmark: results do not repeat it."""
    expect(page.get_by_text("A screening aid, not a diagnosis.")).to_have_count(1)
    expect(page.get_by_role("main").get_by_text("A screening aid, not a diagnosis.")).to_be_visible()
    expect(page.get_by_text(DISCLAIMER, exact=True)).to_have_count(0)


def _status(page: Page) -> str:
    return page.get_by_role("status").inner_text()


def test_sign_up_keeps_the_session_in_an_httponly_cookie_and_sign_out_ends_it(page: Page) -> None:
    expect(page.get_by_text("A screening aid, not a diagnosis.")).to_be_visible()
    screenshot(page, "01-signed-out")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Create your account")).to_be_visible()
    expect(page.get_by_label("Password")).to_have_attribute("autocomplete", "new-password")
    page.get_by_label("Email").fill("new@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_label("Photo")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("Account created. You are signed in.")
    open_screen(page, "Account")
    expect(page.get_by_text("new@example.org")).to_be_visible()
    expect(page.get_by_text("A screening aid, not a diagnosis.")).to_be_visible()
    screenshot(page, "02-signed-in-empty")

    # Nothing long-lived for a script to steal: no storage, and the cookie is invisible to JS.
    assert page.evaluate("localStorage.length + sessionStorage.length") == 0
    assert page.evaluate("document.cookie") == ""
    cookies = page.context.cookies()
    assert [(c["name"], c["httpOnly"], c["sameSite"]) for c in cookies] == [("spotcheck_session", True, "Strict")]

    page.reload()
    expect(page.get_by_text("new@example.org")).to_be_visible()  # the session and the screen survive a reload

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_label("Email")).to_be_visible()
    expect(page.get_by_label("Password")).to_have_attribute("autocomplete", "current-password")
    expect(page.get_by_label("Photo")).to_be_hidden()
    expect(page.get_by_role("status")).to_have_text("You are signed out.")
    assert page.context.cookies() == []
    page.reload()
    expect(page.get_by_label("Email")).to_be_visible()


def test_change_password_keeps_this_session_and_the_new_password_signs_in(page: Page, server: LiveServer) -> None:
    new_password = "a longer and more varied phrase"
    register(server, "changer@example.org")
    sign_in(page, "changer@example.org")
    elsewhere = httpx.post(
        f"{server.url}/auth/token", data={"username": "changer@example.org", "password": PASSWORD}
    ).json()["access_token"]
    open_screen(page, "Account")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_label("Current password")).to_be_focused()
    page.get_by_label("Current password").fill("not my password at all")
    page.get_by_label("New password").fill(new_password)
    page.get_by_role("button", name="Save new password").click()
    expect(page.get_by_text("The current password is not correct.")).to_be_visible()
    expect(page.get_by_label("Current password")).to_have_attribute("aria-invalid", "true")

    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_role("button", name="Save new password").click()
    expect(page.get_by_role("status")).to_have_text("Your password is changed. Your other devices are signed out.")
    expect(page.get_by_label("Current password")).to_be_hidden()
    signed_out = httpx.get(f"{server.url}/images", headers={"Authorization": f"Bearer {elsewhere}"})
    assert signed_out.status_code == 401
    page.reload()
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()  # this session and this screen stay

    page.get_by_role("button", name="Sign out").click()
    page.get_by_label("Email").fill("changer@example.org")
    page.get_by_label("Password", exact=True).fill(new_password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_label("Photo")).to_be_visible()


def test_sign_up_errors_appear_next_to_their_fields(page: Page, server: LiveServer) -> None:
    page.get_by_role("button", name="Create account").click()
    email, password = page.get_by_label("Email"), page.get_by_label("Password")
    sign_up = page.get_by_role("button", name="Create account")

    email.fill("weak@example.org")
    password.fill("short")
    sign_up.click()
    expect(password).to_have_accessible_description(re.compile("Password must be at least 10 characters long."))
    expect(password).to_have_attribute("aria-invalid", "true")
    expect(password).to_be_focused()
    screenshot(page, "03-weak-password")

    register(server, "taken@example.org")
    email.fill("taken@example.org")
    password.fill("someone else's long phrase")
    sign_up.click()
    expect(email).to_have_accessible_description(
        re.compile("If you already have an account, sign in with its password")
    )
    expect(password).not_to_have_attribute("aria-invalid", "true")

    email.fill("not-an-email")
    sign_up.click()
    expect(email).to_have_accessible_description(re.compile("Enter a valid email address"))


def test_wrong_password_shows_an_error_next_to_the_password_then_sign_in_works(page: Page, server: LiveServer) -> None:
    register(server, "ada@example.org")
    page.get_by_label("Email").fill("ada@example.org")
    page.get_by_label("Password").fill("not the right password")
    page.get_by_role("button", name="Sign in").click()
    password = page.get_by_label("Password")
    expect(password).to_have_accessible_description(re.compile("Incorrect email or password."))
    expect(page.get_by_text("Incorrect email or password.")).to_be_visible()
    screenshot(page, "04-wrong-password")

    # Keyboard only: type the right password and press Enter.
    password.fill("")
    password.press_sequentially(PASSWORD)
    password.press("Enter")
    expect(page.get_by_label("Photo")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("You are signed in.")


def test_upload_a_lesion_see_its_recommendation_find_it_in_history_and_delete_it(
    page: Page,
    server: LiveServer,
) -> None:
    register(server, "lesion@example.org")
    sign_in(page, "lesion@example.org")
    page.get_by_label("Photo").set_input_files(_lesion())
    expect(page.get_by_role("img", name="Preview of the chosen image")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Press Upload to send it.")
    expect(page.get_by_label("Photo")).to_have_accessible_description(PHOTO_HINT)  # the browser's check found nothing
    screenshot(page, "05-preview")
    page.get_by_role("button", name="Upload").click()

    result = page.get_by_role("region", name="Result")
    expect(result.get_by_text("Analysis complete")).to_be_visible()
    listing = page.request.get("/images").json()
    assert listing["total"] == 1
    file_name = listing["items"][0]["fileName"]
    answer = page.request.get(f"/detect/{file_name}").json()
    label = Classification(answer["classification"])
    expect(result.get_by_text(recommendation_for(label), exact=True)).to_be_visible()
    _shows_one_disclaimer_in_main(page)
    expect(result).not_to_contain_text("chance")
    expect(page.get_by_role("status")).to_contain_text("Result ready")
    assert page.url.endswith(f"/app/result/{file_name}")
    screenshot(page, "06-result")

    page.go_back()  # the check screen, with the history under it
    history = page.get_by_role("region", name="History")
    items = history.get_by_role("listitem")
    expect(items).to_have_count(1)
    verdict = "May need a closer look" if label is Classification.MALIGNANT else "Likely benign"
    expect(items.first).to_contain_text(verdict)
    expect(items.first.locator("img")).to_have_js_property("naturalWidth", 160)  # the small rendition loaded

    # Reopening from history shows the same result again, at the same address.
    page.reload()
    expect(result).to_be_hidden()
    items.first.get_by_role("link").first.click()
    expect(result.get_by_text(recommendation_for(label), exact=True)).to_be_visible()
    assert page.url.endswith(f"/app/result/{file_name}")
    page.go_back()

    # Delete asks first; keeping it changes nothing.
    page.get_by_role("button", name="Delete", exact=True).click()
    dialog = page.get_by_role("dialog", name="Delete this image?")
    expect(dialog).to_be_visible()
    screenshot(page, "07-confirm-delete")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(items).to_have_count(1)

    page.get_by_role("button", name="Delete", exact=True).click()
    page.get_by_role("button", name="Delete", exact=True).click()  # only the dialog's button is reachable now
    expect(dialog).to_be_hidden()
    expect(items).to_have_count(0)
    expect(page.get_by_role("status")).to_have_text("The image was deleted.")
    assert page.request.get("/images").json()["total"] == 0
    assert page.request.get(f"/detect/{file_name}").status == 404
    screenshot(page, "08-after-delete")


def test_a_file_that_is_not_an_image_gets_a_clear_error(page: Page, server: LiveServer) -> None:
    register(server, "text@example.org")
    sign_in(page, "text@example.org")
    photo = page.get_by_label("Photo")
    photo.set_input_files({"name": "notes.txt", "mimeType": "text/plain", "buffer": b"not a picture at all\n" * 20})
    page.get_by_role("button", name="Upload").click()
    message = "This file is not an image SpotCheck can read."
    expect(page.get_by_text(message)).to_be_visible()
    expect(photo).to_have_accessible_description(re.compile(re.escape(message)))
    expect(page.get_by_role("status")).to_contain_text("The upload did not work")
    expect(page.get_by_role("region", name="History").get_by_role("listitem")).to_have_count(0)
    screenshot(page, "09-not-an-image")


def test_a_too_large_image_gets_a_clear_error(page: Page, server: LiveServer) -> None:
    register(server, "large@example.org")
    sign_in(page, "large@example.org")
    photo = page.get_by_label("Photo")
    expect(photo).to_have_accessible_description(PHOTO_HINT)  # no stray error mark before anything failed

    # Small enough in pixels and bytes that the page sends it as it is: what reaches the server
    # does not depend on how this browser's JPEG encoder would re-encode it.
    image = _noise_png(700)
    assert MAX_UPLOAD_BYTES < len(image) < 4_000_000
    sent: list[int] = []

    def measure(route: Route) -> None:
        sent.append(len(route.request.post_data_buffer or b""))
        route.continue_()

    page.route("**/images", measure)
    photo.set_input_files({"name": "huge.png", "mimeType": "image/png", "buffer": image})
    page.get_by_role("button", name="Upload").click()
    message = (
        "This image is too large to upload. The upload is larger than the limit of 1 MB. "
        "Choose a smaller image, or take a new picture at a lower resolution."
    )
    expect(photo).to_have_accessible_description(f"{PHOTO_HINT} {message}")
    expect(page.get_by_text(message)).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("The upload did not work")
    assert len(sent) == 1 and sent[0] > len(image), "the page did not send the image as it was"
    screenshot(page, "10-too-large")


def test_a_too_large_answer_without_a_message_still_explains_itself(page: Page, server: LiveServer) -> None:
    register(server, "proxy@example.org")
    sign_in(page, "proxy@example.org")
    # A proxy in front of SpotCheck answers with its own HTML page, not the API's JSON.
    page.route("**/images", lambda route: route.fulfill(status=413, content_type="text/html", body="<h1>413</h1>"))
    photo = page.get_by_label("Photo")
    photo.set_input_files(_lesion())
    page.get_by_role("button", name="Upload").click()
    message = "This image is too large to upload. Choose a smaller image, or take a new picture at a lower resolution."
    expect(photo).to_have_accessible_description(f"{PHOTO_HINT} {message}")


def test_choosing_nothing_and_a_network_failure_are_explained(page: Page, server: LiveServer) -> None:
    register(server, "offline@example.org")
    sign_in(page, "offline@example.org")
    photo = page.get_by_label("Photo")
    page.get_by_role("button", name="Upload").click()
    expect(photo).to_have_accessible_description(re.compile("Choose an image first"))

    page.route("**/images", lambda route: route.abort("internetdisconnected"))
    photo.set_input_files(_lesion())
    page.get_by_role("button", name="Upload").click()
    expect(photo).to_have_accessible_description(re.compile("SpotCheck could not be reached."))


def test_drag_and_drop_uploads_the_dropped_image(page: Page, server: LiveServer) -> None:
    register(server, "drop@example.org")
    sign_in(page, "drop@example.org")
    data = list(_lesion().read_bytes())
    drop = page.evaluate_handle(
        """bytes => {
            const transfer = new DataTransfer();
            transfer.items.add(new File([new Uint8Array(bytes)], "dropped.jpg", { type: "image/jpeg" }));
            return transfer;
        }""",
        data,
    )
    page.locator("#drop-zone").dispatch_event("drop", {"dataTransfer": drop})
    expect(page.get_by_role("img", name="Preview of the chosen image")).to_be_visible()
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_role("region", name="Result").get_by_text("Analysis complete")).to_be_visible()


def test_the_session_cannot_be_used_without_the_csrf_token(page: Page, server: LiveServer) -> None:
    register(server, "csrf@example.org")
    sign_in(page, "csrf@example.org")
    # A request that carries the cookie but not the header, as a forged one would.
    status = page.evaluate("fetch('/ui/session', {method: 'DELETE'}).then(r => r.status)")
    assert status == 403
    expect(page.get_by_label("Photo")).to_be_visible()


def test_everything_is_reachable_by_keyboard(page: Page, server: LiveServer) -> None:
    register(server, "keys@example.org")
    page.keyboard.press("Tab")  # the skip link
    page.keyboard.press("Tab")
    expect(page.get_by_label("Email")).to_be_focused()
    page.keyboard.type("keys@example.org")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Sign in")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_label("Photo")).to_be_visible()
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "upload":
            break
    expect(page.get_by_role("button", name="Upload")).to_be_focused()


def test_a_refused_photo_shows_why_and_a_tip_and_never_a_recommendation(
    page: Page,
    server: LiveServer,
    tmp_path: Path,
) -> None:
    register(server, "refused@example.org")
    sign_in(page, "refused@example.org")
    # The guidance is there before anything is uploaded.
    tips = page.locator("#photo-tips")
    tips.get_by_text("How to take a good photo").click()  # folded until asked for
    expect(tips).to_contain_text("one spot, in the middle of the picture, with the phone about 10 cm away")
    expect(tips).to_contain_text("daylight, no flash, and no shadow over the spot")
    expect(tips).to_contain_text("tap the spot on the screen to focus, then hold still")

    page.get_by_label("Photo").set_input_files(_green_photo(tmp_path))
    expect(page.get_by_label("Photo")).to_have_accessible_description(PHOTO_HINT)  # the browser's check passes it
    page.get_by_role("button", name="Upload").click()
    result = page.get_by_role("region", name="Result")
    expect(result.get_by_text("Photo not usable")).to_be_visible()
    expect(result.get_by_text(REFUSAL.message, exact=True)).to_be_visible()
    expect(result.get_by_role("heading", name="Take a new photo")).to_be_visible()
    expect(result.get_by_text(REFUSAL.tip, exact=True)).to_be_visible()
    _shows_one_disclaimer_in_main(page)
    expect(page.get_by_role("status")).to_contain_text(f"Photo not usable: {REFUSAL.message}")
    expect(result.locator("#result-state")).to_have_attribute("data-state", "refused")
    # The server refused it, by the contract's shape (no verdict in the answer either).
    (item,) = page.request.get("/images").json()["items"]
    assert (item["status"], item["classification"], item["refusal"]["reason"]) == ("refused", None, "not-a-lesion")
    answer = page.request.get(f"/detect/{item['fileName']}").json()
    assert answer["status"] == "refused" and "classification" not in answer and "recommendation" not in answer

    def shows_no_verdict() -> None:
        for label in Classification:
            expect(page.get_by_text(recommendation_for(label), exact=True)).to_have_count(0)
        for words in ("Likely benign", "May need a closer look", "estimated chance", "Analysis complete"):
            expect(page.get_by_text(words)).to_have_count(0)

    shows_no_verdict()
    screenshot(page, "11-refused")

    # Reopened after a reload, it is still refused, still without a verdict.
    page.reload()
    expect(result.get_by_text(REFUSAL.message, exact=True)).to_be_visible()
    shows_no_verdict()

    # After a refusal, the way to a better photo: the check screen, its heading focused.
    page.get_by_role("link", name="Take a new photo").click()
    expect(page.get_by_role("heading", name="Check a spot")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_text("How to take a good photo")).to_be_focused()
    history = page.get_by_role("region", name="History").get_by_role("listitem")
    expect(history).to_have_count(1)
    expect(history.first).to_contain_text("Photo not usable")
    expect(history.first).to_contain_text("No skin spot found")
    shows_no_verdict()
    history.first.get_by_role("link").first.click()
    expect(result.get_by_text(REFUSAL.message, exact=True)).to_be_visible()
    shows_no_verdict()


_CHECK_FINDS_IT_DARK = 'export function checkPhoto() { return { reason: "too-dark" }; }'


def test_a_photo_the_browser_finds_too_dark_is_flagged_but_can_still_be_uploaded(
    page: Page,
    server: LiveServer,
) -> None:
    register(server, "dark@example.org")
    sign_in(page, "dark@example.org")
    page.route(
        "**/static/js/photocheck.js",
        lambda route: route.fulfill(content_type="text/javascript", body=_CHECK_FINDS_IT_DARK),
    )
    photo = page.get_by_label("Photo")
    add = page.get_by_role("region", name="Check a spot")
    photo.set_input_files(_lesion())
    warning = "This photo looks too dark: SpotCheck may not be able to judge the spot."
    expect(add.get_by_text(warning)).to_be_visible()
    expect(photo).to_have_accessible_description(re.compile(re.escape(warning)))
    expect(photo).not_to_have_attribute("aria-invalid", "true")  # a warning, not an error
    expect(page.get_by_role("status")).to_contain_text(f"Chosen: {_lesion().name}. {warning}")
    screenshot(page, "12-too-dark-warning")

    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Choose another").click()
    expect(add.get_by_text(warning)).to_be_hidden()
    expect(page.get_by_role("img", name="Preview of the chosen image")).to_be_hidden()
    expect(photo).to_have_accessible_description(PHOTO_HINT)
    chooser.value.set_files(_lesion())
    expect(add.get_by_text(warning)).to_be_visible()

    page.get_by_role("button", name="Upload anyway").click()  # the server decides
    expect(page.get_by_role("region", name="Result").get_by_text("Analysis complete")).to_be_visible()
    page.go_back()
    expect(add.get_by_text(warning)).to_be_hidden()


def test_tabs_follow_a_sign_in_or_out_made_in_another_tab(page: Page, server: LiveServer) -> None:
    for email in ("first@example.org", "second@example.org"):
        register(server, email)
    sign_in(page, "first@example.org")
    other = page.context.new_page()  # the same browser: the same session cookie
    other.goto("/app/account")
    expect(other.locator("#account-email")).to_have_text("first@example.org")

    other.get_by_role("button", name="Sign out").click()
    expect(page.get_by_label("Email")).to_be_visible()  # the first tab no longer shows the account
    expect(page.get_by_role("status")).to_contain_text("You were signed out in another tab.")

    sign_in(other, "second@example.org")
    expect(page.locator("#account-email")).to_have_text("second@example.org")
    expect(page.get_by_role("status")).to_contain_text("Signed in as second@example.org in another tab.")
    open_screen(page, "Spots")
    page.get_by_role("button", name="New spot").click()  # works: the first tab holds the new session's token
    page.get_by_label("Spot name").fill("Back of the knee")
    page.get_by_role("button", name="Save spot").click()
    expect(page.get_by_role("heading", name="Back of the knee")).to_be_visible()
    other.close()

    # The spot is deleted elsewhere (here: over the API): an upload into it says so and the menu follows.
    token = httpx.post(f"{server.url}/auth/token", data={"username": "second@example.org", "password": PASSWORD})
    bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
    (spot,) = httpx.get(f"{server.url}/spots", headers=bearer).json()["items"]
    assert httpx.delete(f"{server.url}/spots/{spot['id']}", headers=bearer).status_code == 204
    page.get_by_role("link", name="Add photo").click()
    expect(page.get_by_label("Spot", exact=True)).to_have_value(spot["id"])
    page.get_by_label("Photo").set_input_files(_lesion())
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.get_by_label("Photo")).to_have_accessible_description(re.compile("The spot you chose no longer exists"))
    expect(page.get_by_label("Spot", exact=True).locator("option")).to_have_count(1)  # only "None" is left
