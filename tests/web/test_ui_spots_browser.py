"""Spots in a real Chromium at 375 px, the way the issue's independent check goes: make a spot
(its address reloads to it), add two photos with its "Add photo" (the questions right after each),
compare them enlarged, download its report, share it with a signed-out browser ("Copy link"),
stop sharing, export, delete the account. axe-core in every state.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import chromium
import httpx
import pytest
from axe import serious_violations
from chromium import CHROMIUM, PASSWORD, open_screen, phone_page, register, screenshot, sign_in
from playwright.sync_api import Browser, Page, expect
from pypdf import PdfReader

from conftest import TEST_SECRET
from images import BLUE, RED, image_bytes
from live_server import LiveServer
from spotcheck.classifier.labels import Classification
from spotcheck.recommendation import recommendation_for
from tiny_model import write_tiny_model

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# The shared fixture (chromium.py): Chromium, one per module.
browser = chromium.browser
phone = chromium.phone

SPOT = "Left shoulder mole"

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is missing", allow_module_level=True)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    model = write_tiny_model(tmp_path_factory.mktemp("model"), gate=True)
    data_dir = tmp_path_factory.mktemp("spots") / "data"
    with LiveServer(data_dir=data_dir, model_path=model, jwt_secret=TEST_SECRET) as live:
        yield live


def _no_serious_findings(page: Page, state: str) -> None:
    assert serious_violations(page) == [], state


def _upload(page: Page, colour: tuple[int, int, int], tmp_path: Path, name: str) -> str:
    """Upload from the check screen; returns the photo's file name once its result shows."""
    path = tmp_path / name
    path.write_bytes(image_bytes(colour, size=(400, 300)))
    page.get_by_label("Photo").set_input_files(path)
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page).to_have_url(re.compile(r"/app/result/[^/]+$"))
    expect(page.get_by_role("region", name="Result").get_by_text("Analysis complete")).to_be_visible()
    return page.url.rsplit("/", 1)[1]


def _add_photo(page: Page, spot: str, colour: tuple[int, int, int], tmp_path: Path, name: str) -> str:
    """From the spot's screen: "Add photo", upload, and back to the spot (questions skipped)."""
    page.get_by_role("link", name="Add photo").click()
    expect(page.get_by_role("heading", name=f"Add a picture of {spot}")).to_be_focused()
    file_name = _upload(page, colour, tmp_path, name)
    page.get_by_role("link", name=f"Back to {spot}").click()
    expect(page.get_by_role("heading", name=spot)).to_be_focused()
    return file_name


def _spot_with_one_photo(
    page: Page, server: LiveServer, tmp_path: Path, *, email: str, spot: str, colour: tuple[int, int, int]
) -> None:
    """A new account signed in, with one spot holding one analysed photo; the spot's page open."""
    register(server, email)
    sign_in(page, email)
    open_screen(page, "Spots")
    page.get_by_role("button", name="New spot").click()
    page.get_by_label("Spot name").fill(spot)
    page.get_by_role("button", name="Save spot").click()
    expect(page.get_by_role("heading", name=spot)).to_be_focused()
    _add_photo(page, spot, colour, tmp_path, "photo.jpg")


def test_a_spot_from_first_photo_to_a_deleted_account(
    phone: Page,
    browser: Browser,
    server: LiveServer,
    tmp_path: Path,
) -> None:
    register(server, "spots@example.org")
    sign_in(phone, "spots@example.org")
    phone.context.grant_permissions(["clipboard-read", "clipboard-write"])
    _no_serious_findings(phone, "check screen")

    open_screen(phone, "Account")
    expect(phone.get_by_role("region", name="Reminders").get_by_text("Monthly skin self-check")).to_be_visible()
    expect(phone.get_by_role("link", name="Add reminders to my calendar")).to_have_attribute("href", "/reminders.ics")
    _no_serious_findings(phone, "account screen")

    # A named spot, placed on the body map by keyboard; a spot needs a name.
    open_screen(phone, "Spots")
    phone.get_by_role("button", name="New spot").click()
    expect(phone.get_by_label("Spot name")).to_be_focused()
    phone.get_by_role("button", name="Save spot").click()
    expect(phone.get_by_label("Spot name")).to_have_accessible_description(re.compile("Give the spot a name."))
    phone.get_by_label("Spot name").fill(SPOT)
    body_map = phone.get_by_role("application")
    body_map.focus()
    phone.keyboard.press("Enter")
    phone.keyboard.press("ArrowLeft")
    expect(phone.get_by_role("button", name="Remove the mark")).to_be_visible()
    _no_serious_findings(phone, "new spot form")
    phone.get_by_role("button", name="Save spot").click()
    expect(phone.get_by_role("heading", name=SPOT)).to_be_focused()  # its page opened
    (spot,) = phone.request.get("/spots").json()["items"]
    assert spot["bodySite"]["view"] == "front" and spot["bodySite"]["x"] < 0.5
    expect(phone).to_have_url(re.compile(f"/app/spots/{spot['id']}$"))
    phone.reload()  # the spot's address reloads to that spot
    expect(phone.get_by_role("heading", name=SPOT)).to_be_visible()

    # "Add photo": the check screen for this spot; the photo lands in it, and the questions follow.
    phone.get_by_role("link", name="Add photo").click()
    expect(phone.get_by_label("Spot", exact=True)).to_have_value(spot["id"])
    first = _upload(phone, RED, tmp_path, "first.jpg")
    questions = phone.get_by_role("group", name=re.compile("About the spot when this photo was taken"))
    expect(questions).to_be_visible()
    expect(phone.get_by_role("button", name="Skip the questions")).to_be_visible()
    questions.get_by_label("It bleeds").check()
    phone.get_by_role("button", name="Save answers").click()
    expect(phone.locator("#result-answers").get_by_text("Saved", exact=True)).to_be_visible()  # beside its button
    _no_serious_findings(phone, "result with the questions")
    phone.reload()  # the result's address knows its spot
    phone.get_by_role("link", name=f"Back to {SPOT}").click()
    second = _add_photo(phone, SPOT, BLUE, tmp_path, "second.jpg")
    assert [i["fileName"] for i in phone.request.get(f"/spots/{spot['id']}").json()["images"]] == [first, second]

    view = phone.get_by_role("region", name=SPOT)
    entries = view.locator(".timeline-entry")
    expect(entries).to_have_count(2)
    # The fixed recommendation once, for the latest photo.
    expect(view.get_by_text(recommendation_for(Classification.BENIGN), exact=True)).to_have_count(1)
    expect(view.get_by_text(recommendation_for(Classification.MALIGNANT), exact=True)).to_have_count(0)
    expect(entries.nth(0).get_by_label("It bleeds")).to_be_checked()
    expect(view).not_to_contain_text("ΔE")
    expect(view).not_to_contain_text("UTC")
    # The changes between the two photos: one line naming them (this year's dates without the year),
    # then what changed, so the dates are not repeated in every sentence.
    (group,) = view.locator(".change-group").all()
    lead = group.locator(".change-lead").inner_text()
    match = re.fullmatch(r"Between the photo of (.+) and the photo of (.+):", lead)
    assert match is not None and match[1] != match[2], lead
    assert str(phone.evaluate("new Date().getFullYear()")) not in lead
    expect(group.locator(".change-list > li")).to_have_text(
        [
            'SpotCheck\'s answer went from "may need a closer look" to "likely benign". '
            "A new photo can change the answer, so the earlier result still counts.",
            "The spot's colour changed noticeably. Light changes colours too, so compare the two photos yourself.",
        ]
    )
    photos = view.locator(".compare-img")
    expect(photos).to_have_count(2)
    first_box, second_box = photos.nth(0).bounding_box(), photos.nth(1).bounding_box()
    assert first_box and second_box  # side by side
    assert first_box["y"] == second_box["y"] and first_box["x"] + first_box["width"] <= second_box["x"]
    # Each menu shows a whole date and time at 375 px: its photo's, and the widest a menu can hold
    # (a two-digit day and hour, another year's with the year, with the seconds that tell two photos
    # of one minute apart), whatever the hour the test runs at.
    overflow = view.locator(".compare-menu select").evaluate_all(
        """async selects => {
            const { formatShortDate } = await import("/static/js/format.js");
            const june = new Date(2026, 5, 1);
            const widest = [new Date(2026, 11, 26, 12, 59, 59), new Date(2025, 11, 26, 12, 59, 59)]
                .flatMap(date => [false, true].map(seconds => formatShortDate(date.toISOString(), june, seconds)));
            return selects.flatMap(select => {
                const context = document.createElement("canvas").getContext("2d");
                context.font = getComputedStyle(select).font;
                const room = select.clientWidth - 28;  // its padding and the arrow
                return [select.selectedOptions[0].text, ...widest].map(text => context.measureText(text).width - room);
            });
        }"""
    )
    assert len(overflow) == 10 and max(overflow) <= 0, overflow
    # Two photos taken within one minute are told apart in the menu (by their seconds).
    options = view.locator(".compare-menu select").first.locator("option").all_inner_texts()
    assert len(options) == len(set(options)) == 2, options
    view.get_by_role("button", name=re.compile("Enlarge, side by side")).first.click()
    zoom = phone.get_by_role("dialog", name="Side by side, enlarged")
    expect(zoom.get_by_role("img")).to_have_count(2)
    zoom.get_by_role("button", name="Zoom in").first.click()
    expect(zoom.get_by_role("button", name="Zoom out")).to_have_count(1)
    _no_serious_findings(phone, "compare enlarged")
    zoom.get_by_role("button", name="Close").click()
    _no_serious_findings(phone, "spot page")
    screenshot(phone, "30-spot")

    # Each spot is a link named by its name.
    phone.get_by_role("link", name="Back to all spots").click()
    phone.get_by_role("link", name=SPOT).click()
    expect(phone.get_by_role("heading", name=SPOT)).to_be_visible()

    # The report, with the person's time zone for its dates.
    zone = phone.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone")
    expect(phone.get_by_role("link", name="Download report")).to_have_attribute(
        "href", re.compile(re.escape(f"?tz={zone.replace('/', '%2F')}"))
    )
    with phone.expect_download() as download:
        phone.get_by_role("link", name="Download report").click()
    pdf = Path(download.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF")

    # Shared with a signed-out browser, read-only.
    phone.get_by_role("button", name="Share with a doctor").click()
    link = phone.get_by_label("Share link")
    expect(link).to_have_attribute("readonly", "")
    expect(link).to_have_value(re.compile(r"/share/[\w-]+$"))  # filled in once the API answers
    url = link.input_value()
    phone.get_by_role("button", name="Copy link").click()
    expect(phone.get_by_text("Copied", exact=True)).to_be_visible()
    assert phone.evaluate("navigator.clipboard.readText()") == url
    doctor = phone_page(browser, server, timezone_id="Europe/Warsaw")
    doctor.goto(url)
    expect(doctor.get_by_role("heading", name=SPOT)).to_be_visible()
    # The server's summary, in the doctor's own time zone like the rest of the page, not in UTC.
    expect(doctor.locator("#spot-summary")).to_contain_text(re.compile(r"\d{2}:\d{2} CES?T"))
    expect(doctor.locator(".timeline-entry")).to_have_count(2)
    expect(doctor.get_by_role("button", name="Delete")).to_have_count(0)
    expect(doctor.get_by_label("Photo", exact=True)).to_have_count(0)  # no upload field
    expect(doctor.get_by_text("It bleeds")).to_be_visible()
    _no_serious_findings(doctor, "share view")
    screenshot(doctor, "31-shared")

    # Stop sharing: the link no longer opens the spot.
    phone.get_by_role("button", name="Stop sharing").click()
    expect(phone.get_by_label("Share link")).to_be_hidden()
    token = url.rsplit("/", 1)[1]
    assert doctor.request.get(f"/shared/{token}").status in (404, 410)
    doctor.reload()
    expect(doctor.get_by_role("heading", name="This link does not work")).to_be_visible()
    doctor.context.close()

    # Export: a zip with both images and a JSON file.
    open_screen(phone, "Account")
    with phone.expect_download() as download:
        phone.get_by_role("link", name="Export my data").click()
    names = zipfile.ZipFile(io.BytesIO(Path(download.value.path()).read_bytes())).namelist()
    assert len([n for n in names if n.startswith("images/")]) == 2
    assert any(n.endswith(".json") for n in names)

    # Delete the account: a confirmation with the password, then signed out for good.
    phone.get_by_role("button", name="Delete my account").click()
    dialog = phone.get_by_role("dialog", name="Delete your account?")
    expect(dialog).to_be_visible()
    _no_serious_findings(phone, "delete account dialog")
    dialog.get_by_label("Your password").fill(PASSWORD)
    dialog.get_by_role("button", name="Delete my account").click()
    expect(phone.get_by_label("Email")).to_be_visible()
    token_answer = httpx.post(f"{server.url}/auth/token", data={"username": "spots@example.org", "password": PASSWORD})
    assert token_answer.status_code == 401


def test_deleting_a_spot_asks_first_and_takes_its_photos_with_it(
    phone: Page, server: LiveServer, tmp_path: Path
) -> None:
    _spot_with_one_photo(phone, server, tmp_path, email="tidy@example.org", spot="Old scar", colour=RED)

    phone.get_by_role("button", name="Delete spot").click()
    dialog = phone.get_by_role("dialog", name="Delete this spot?")
    _no_serious_findings(phone, "delete spot dialog")
    dialog.get_by_role("button", name="Keep it").click()
    expect(phone.get_by_role("button", name="Delete spot")).to_be_focused()
    assert len(phone.request.get("/spots").json()["items"]) == 1

    spot_id = phone.url.rsplit("/", 1)[-1]
    requests: list[tuple[str, str]] = []
    phone.on("request", lambda request: requests.append((request.method, urlsplit(request.url).path)))
    phone.get_by_role("button", name="Delete spot").click()
    dialog.get_by_role("button", name="Delete spot").click()
    expect(phone.get_by_role("status")).to_contain_text("Spot deleted")
    expect(phone.get_by_role("heading", name="Your spots")).to_be_focused()
    # Nothing asks for the deleted spot again: that answer (404) would say "That spot no longer
    # exists." as an error over the news, as soon as it beat the move to the list of spots.
    deleted_at = requests.index(("DELETE", f"/spots/{spot_id}"))
    assert ("GET", f"/spots/{spot_id}") not in requests[deleted_at:]
    expect(phone).to_have_url(re.compile("/app/spots$"))
    expect(phone.get_by_role("link", name="Old scar")).to_have_count(0)
    assert phone.request.get("/spots").json()["items"] == []
    assert phone.request.get("/images").json()["total"] == 0  # the photo went with it


def test_a_warning_sign_ticked_on_a_harmless_looking_photo_turns_the_summary_at_once(
    phone: Page, server: LiveServer, tmp_path: Path
) -> None:
    _spot_with_one_photo(phone, server, tmp_path, email="signs@example.org", spot="Mole on the arm", colour=BLUE)
    view = phone.get_by_role("region", name="Mole on the arm")
    summary = view.locator("#spot-summary")
    expect(summary).to_contain_text("No warning signs found")

    entry = view.locator(".timeline-entry").nth(0)
    entry.get_by_text("Questions about the spot then").click()  # folded while nothing is answered
    entry.get_by_label("It has grown").check()
    entry.get_by_role("button", name="Save answers").click()
    expect(phone.get_by_role("status")).to_contain_text("Answers saved")
    expect(summary).to_contain_text("Needs a closer look")
    expect(summary).to_contain_text("See a dermatologist within 2 weeks.")
    expect(entry.get_by_label("It has grown")).to_be_checked()  # the form was not redrawn over
    expect(entry.get_by_role("button", name="Save answers")).to_be_focused()
    expect(entry.get_by_text("Saved", exact=True)).to_be_visible()
    _no_serious_findings(phone, "spot with a warning sign")
    # The list of spots and the reminders follow without a reload.
    open_screen(phone, "Spots")
    expect(phone.locator(".spot-item", has_text="Mole on the arm")).to_contain_text("Needs a closer look")
    open_screen(phone, "Account")
    reminders = phone.get_by_role("region", name="Reminders")
    expect(reminders.get_by_text("See a dermatologist about 'Mole on the arm'")).to_be_visible()


def test_a_spot_is_renamed_from_its_page(phone: Page, server: LiveServer, tmp_path: Path) -> None:
    _spot_with_one_photo(phone, server, tmp_path, email="rename@example.org", spot="Mole", colour=BLUE)
    phone.get_by_role("button", name="Rename spot").click()
    name = phone.get_by_label("New name")
    expect(name).to_be_focused()
    expect(name).to_have_value("Mole")
    name.fill("   ")
    phone.get_by_role("button", name="Save name").click()
    expect(name).to_have_accessible_description("Give the spot a name.")
    _no_serious_findings(phone, "rename form with an error")

    name.fill("Mole under the left shoulder blade")
    phone.get_by_role("button", name="Save name").click()
    expect(phone.get_by_role("heading", name="Mole under the left shoulder blade")).to_be_focused()
    expect(phone.get_by_role("status")).to_contain_text('Spot renamed to "Mole under the left shoulder blade".')
    expect(name).to_be_hidden()
    assert [s["name"] for s in phone.request.get("/spots").json()["items"]] == ["Mole under the left shoulder blade"]
    phone.get_by_role("link", name="Back to all spots").click()
    expect(phone.get_by_role("link", name="Mole under the left shoulder blade")).to_be_visible()
    open_screen(phone, "Account")
    reminders = phone.get_by_role("region", name="Reminders")
    expect(reminders.get_by_text("Re-check 'Mole under the left shoulder blade'")).to_be_visible()


def test_enter_in_the_account_dialog_deletes_and_a_wrong_password_stays_at_its_field(
    phone: Page, server: LiveServer
) -> None:
    register(server, "enter@example.org")
    sign_in(phone, "enter@example.org")
    phone.goto("/app/account")  # a bookmark of the account screen
    phone.get_by_role("button", name="Delete my account").click()
    dialog = phone.get_by_role("dialog", name="Delete your account?")
    dialog.get_by_label("Your password").fill("not the password at all")
    phone.keyboard.press("Enter")
    field = dialog.get_by_label("Your password")
    expect(field).to_be_focused()  # the dialog is back, at the field that holds the error
    expect(field).to_have_accessible_description(re.compile("password", re.IGNORECASE))
    field.fill(PASSWORD)
    phone.keyboard.press("Enter")
    expect(phone.get_by_role("status")).to_contain_text("Your account and everything in it were deleted.")
    token = httpx.post(f"{server.url}/auth/token", data={"username": "enter@example.org", "password": PASSWORD})
    assert token.status_code == 401


def test_a_failed_sign_out_leaves_the_page_working_and_long_names_fit_a_phone(phone: Page, server: LiveServer) -> None:
    register(server, "stay@example.org")
    sign_in(phone, "stay@example.org")
    open_screen(phone, "Account")
    email = phone.locator(".account-email")
    assert email.evaluate("e => e.scrollWidth <= e.clientWidth")  # the address is read whole at 375 px

    cut_off = lambda route: route.abort() if route.request.method == "DELETE" else route.continue_()  # noqa: E731
    phone.route("**/ui/session", cut_off)
    phone.get_by_role("button", name="Sign out").click()
    expect(phone.get_by_role("status")).to_contain_text("Could not sign out")
    expect(phone.get_by_role("button", name="Sign out")).to_be_focused()
    phone.unroute("**/ui/session", cut_off)

    long_name = "Mole" + "x" * 70  # one long word, within the 80 characters a name may have
    open_screen(phone, "Spots")
    phone.get_by_role("button", name="New spot").click()
    phone.get_by_label("Spot name").fill(long_name)
    phone.get_by_role("button", name="Save spot").click()  # needs the CSRF token the failed sign-out kept
    expect(phone.get_by_role("heading", name=long_name)).to_be_focused()
    phone.get_by_role("link", name="Back to all spots").click()
    expect(phone.get_by_role("link", name=long_name)).to_be_visible()
    overflowing = (
        "[...document.querySelectorAll('body *')].filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.id)"
    )
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375, phone.evaluate(overflowing)

    phone.get_by_role("button", name="Sign out").click()
    expect(phone.get_by_label("Email")).to_be_visible()


def test_a_session_that_ended_during_a_password_change_goes_back_to_sign_in(phone: Page, server: LiveServer) -> None:
    register(server, "ended@example.org")
    sign_in(phone, "ended@example.org")
    open_screen(phone, "Account")
    phone.get_by_role("button", name="Change password").click()
    phone.context.clear_cookies()  # the session cookie expired, say
    phone.get_by_label("Current password").fill(PASSWORD)
    phone.get_by_label("New password").fill("a brand new and long pass phrase")
    phone.get_by_role("button", name="Save new password").click()
    expect(phone.get_by_role("status")).to_contain_text("Your session has ended. Please sign in again.")
    expect(phone.get_by_label("Email")).to_be_focused()


def _reminder_days(page: Page, title: str) -> int:
    """Days from today until the reminder titled ``title`` on the Account screen is due."""
    open_screen(page, "Account")
    item = page.get_by_role("region", name="Reminders").get_by_role("listitem").filter(has_text=title)
    expect(item).to_have_count(1)
    due = item.locator("time").get_attribute("datetime")
    assert due is not None
    return (date.fromisoformat(due) - date.today()).days


def test_reminders_say_what_the_next_step_says(phone: Page, server: LiveServer, tmp_path: Path) -> None:
    """A flagged spot: a dermatologist within 2 weeks, and its reminder within 14 days. A benign one:
    look again in a month, and its reminder within 35 days."""
    _spot_with_one_photo(phone, server, tmp_path, email="soon@example.org", spot="Dark mole", colour=RED)
    expect(phone.get_by_role("region", name="Dark mole")).to_contain_text("See a dermatologist within 2 weeks")
    assert 0 <= _reminder_days(phone, "See a dermatologist about 'Dark mole'") <= 14

    open_screen(phone, "Spots")
    phone.get_by_role("button", name="New spot").click()
    phone.get_by_label("Spot name").fill("Pale mole")
    phone.get_by_role("button", name="Save spot").click()
    _add_photo(phone, "Pale mole", BLUE, tmp_path, "pale.jpg")
    assert 0 <= _reminder_days(phone, "Re-check 'Pale mole'") <= 35
    _no_serious_findings(phone, "account screen with reminders")


def test_the_report_a_doctor_reads_names_photos_by_time_and_keeps_any_script(
    phone: Page, server: LiveServer, tmp_path: Path
) -> None:
    """Downloaded from the spot's page: no hexadecimal file names, the spot's name as written, each
    photo titled by its date and time in the person's zone, the colour in words."""
    name = "Łódź Ελένη Юлия"
    _spot_with_one_photo(phone, server, tmp_path, email="report@example.org", spot=name, colour=RED)
    _add_photo(phone, name, BLUE, tmp_path, "later.jpg")
    with phone.expect_download() as download:
        phone.get_by_role("link", name="Download report").click()
    text = " ".join(page.extract_text() for page in PdfReader(download.value.path()).pages)
    assert name in text
    assert re.search(r"[0-9a-f]{16,}", text) is None, "a file name in the report"
    assert "L*" not in text and "ΔE" not in text
    zone = phone.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone")
    assert f"times are in {zone}" in text
    assert re.search(r"Photo 1 of 2: \d{1,2} \w+ \d{4}, \d{2}:\d{2}", text), text
