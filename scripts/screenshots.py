"""Phone-sized pictures of the web page for the README, taken from the real page.

    python scripts/screenshots.py [--photos DIR] [--out docs/screenshots]

Starts a fresh ``spotcheck serve`` (the shipped model, a throwaway data folder) on a free loopback
port, drives the page in Chromium at 375 x 812 (an account, a spot with two photos) and writes
check.png, result.png and spot.png into --out, and report.png (page 1 of the spot's PDF report)
when ``pdftoppm`` (poppler-utils) is installed; without it, it says so and skips that picture.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from playwright.sync_api import Page, ViewportSize, expect, sync_playwright

from spotcheck.scaled.services import free_ports

REPO = Path(__file__).resolve().parents[1]
PHOTOS = REPO.parent / "shared" / "datasets" / "ham10000-200x150" / "images"
CHROMIUM = "/usr/bin/chromium"
PHONE: ViewportSize = {"width": 375, "height": 812}
EMAIL = "ada@example.org"
PASSWORD = "correct horse battery staple"
SPOT = "Mole on the left shoulder"


def _serve(data_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_ports(1)[0]
    env = {**os.environ, "SPOTCHECK_DATA_DIR": str(data_dir), "SPOTCHECK_JWT_SECRET": secrets.token_urlsafe(48)}
    command = [sys.executable, "-m", "spotcheck", "serve", "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"spotcheck serve exited with {process.returncode}")
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return process, url
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    process.terminate()
    raise SystemExit("spotcheck serve was not ready after 60 s")


def _upload(page: Page, photo: Path) -> None:
    page.get_by_label("Photo").set_input_files(photo)
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.locator("#result-state")).to_have_text("Analysis complete", timeout=60_000)


def _take(page: Page, out: Path, name: str) -> None:
    page.evaluate("document.getElementById('status').textContent = ''")  # no passing message in the picture
    page.evaluate("window.scrollTo(0, 0); document.activeElement?.blur()")
    page.screenshot(path=str(out / f"{name}.png"))
    print(f"wrote {out / name}.png")


def _report(url: str, spot_id: str, cookies: dict[str, str], out: Path) -> None:
    if shutil.which("pdftoppm") is None:
        print("pdftoppm is not installed (apt-get install poppler-utils): report.png skipped")
        return
    pdf = httpx.get(f"{url}/spots/{spot_id}/report.pdf", params={"tz": "Europe/Warsaw"}, cookies=cookies, timeout=60)
    pdf.raise_for_status()
    with tempfile.TemporaryDirectory() as work:
        source = Path(work) / "report.pdf"
        source.write_bytes(pdf.content)
        subprocess.run(
            ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", str(source), str(out / "report")],
            check=True,
        )
    print(f"wrote {out / 'report.png'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--photos", type=Path, default=PHOTOS, help="a folder of lesion photos (JPEG)")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    args = parser.parse_args()
    photos = sorted(args.photos.glob("*.jpg"))[:2]
    if len(photos) < 2:
        parser.error(f"--photos {args.photos} holds fewer than two .jpg photos")
    if not Path(CHROMIUM).exists():
        parser.error(f"{CHROMIUM} is missing: apt-get install chromium")
    args.out.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory() as data:
        server, url = _serve(Path(data) / "data")
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
                context = browser.new_context(base_url=url, viewport=PHONE, device_scale_factor=2)
                page = context.new_page()
                page.goto("/")
                page.get_by_role("button", name="Create account").click()
                page.get_by_label("Email").fill(EMAIL)
                page.get_by_label("Password").fill(PASSWORD)
                page.get_by_role("button", name="Create account").click()
                expect(page.get_by_label("Photo")).to_be_visible()
                _take(page, args.out, "check")

                page.get_by_role("link", name="Spots").click()
                page.get_by_role("button", name="New spot").click()
                page.get_by_label("Spot name").fill(SPOT)
                page.get_by_role("button", name="Save spot").click()
                expect(page.get_by_role("heading", name=SPOT)).to_be_visible()
                spot_id = page.url.rstrip("/").rsplit("/", 1)[-1]
                for photo in photos:
                    if "/app/result/" in page.url:
                        page.get_by_role("link", name=f"Back to {SPOT}").click()
                    page.get_by_role("link", name="Add photo").click()
                    _upload(page, photo)
                page.get_by_role("button", name="Skip the questions").click()
                _take(page, args.out, "result")

                page.goto(f"/app/spots/{spot_id}")
                expect(page.get_by_role("heading", name=SPOT)).to_be_visible()
                expect(page.locator("#spot-timeline > li")).to_have_count(2)
                _take(page, args.out, "spot")
                cookies = {cookie["name"]: cookie["value"] for cookie in context.cookies()}
                browser.close()
            _report(url, spot_id, cookies, args.out)
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
