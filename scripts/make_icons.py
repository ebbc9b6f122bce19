"""Draw the web app's home-screen icons (the header's ring on the brand colour) with Pillow.

    python scripts/make_icons.py

Writes src/spotcheck/web/static/icons/icon-192.png and icon-512.png. The ring sits inside the
central 80 % of the square, so the 512 px icon also serves as a maskable one.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

ICONS = Path(__file__).resolve().parents[1] / "src" / "spotcheck" / "web" / "static" / "icons"
BRAND = (11, 95, 115)  # --brand in app.css
WHITE = (255, 255, 255)
SIZES = (192, 512)
SUPERSAMPLE = 4  # drawn 4 times larger, then shrunk: smooth edges without an antialiasing API


def icon(side: int) -> Image.Image:
    big = side * SUPERSAMPLE
    image = Image.new("RGB", (big, big), BRAND)
    draw = ImageDraw.Draw(image)
    centre, radius, ring = big / 2, big * 0.27, big * 0.075
    draw.ellipse((centre - radius, centre - radius, centre + radius, centre + radius), outline=WHITE, width=round(ring))
    dot = big * 0.07
    draw.ellipse((centre - dot, centre - dot, centre + dot, centre + dot), fill=WHITE)
    return image.resize((side, side), Image.Resampling.LANCZOS)


def main() -> None:
    ICONS.mkdir(parents=True, exist_ok=True)
    for side in SIZES:
        path = ICONS / f"icon-{side}.png"
        icon(side).save(path, optimize=True)
        print(f"wrote {path} ({path.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
