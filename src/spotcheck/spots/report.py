"""A spot's report for a doctor, as a PDF (fpdf2): the summary first, where the spot is in words and
drawn on a body outline, the notable changes, then each photo titled by its date and time in the
person's time zone, with its result, answers, rough size and the model version.

Photos are never named by their file names (the page names uploads with random hexadecimal
strings), and colours are never given as numbers: a change says "the colour changed noticeably".

Written in Source Sans Pro (SIL Open Font License, from the ``font-source-sans-pro`` package),
embedded, whose regular and bold cover Latin (with Latin Extended-A), Greek and Cyrillic: "Łódź",
"Ελένη" and "Юлия" print as typed (tests/spots/test_report.py reads them back). Its italic lacks
Greek and Cyrillic, so only the fixed English disclaimer is set in italic. A character the font
lacks is printed without its accents if that helps, else as "?".
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from functools import cache
from pathlib import Path

import font_source_sans_pro
from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from PIL import Image

from spotcheck.classifier.heatmap import heatmap_overlay
from spotcheck.classifier.labels import Classification
from spotcheck.db.tables import ImageStatus
from spotcheck.gallery.rows import ImageSummary
from spotcheck.photocheck.reasons import guidance_for
from spotcheck.recommendation import DISCLAIMER, recommendation_for
from spotcheck.spots.answers import QUESTIONS, Answers
from spotcheck.spots.body_sites import HEAD, MAP_HEIGHT, MAP_WIDTH, NECK, OUTLINE, site_in_words
from spotcheck.spots.estimates import estimate_percent
from spotcheck.spots.photo_names import at_in_words
from spotcheck.spots.service import BodySite, BodyView, SpotView

__all__ = ["render_report", "report_file_name", "result_in_words"]

_THUMBNAIL_PX = 320
_THUMBNAIL_MM = 45
_MAP_MM = 16  # the body outline's width; its height is twice that
_HEATMAP_CAPTION = (
    "Right: where the model looked (red: the parts of the photo that pushed its estimate toward a closer "
    "look). It is not an outline of the lesion and not a measure of danger."
)
_FONT = "SourceSansPro"
_FONT_FILES = {
    "": font_source_sans_pro.font_files_ttf["SourceSansPro"],
    "B": font_source_sans_pro.font_files_ttf["SourceSansProBold"],
    "I": font_source_sans_pro.font_files_ttf["SourceSansProIt"],
}


@cache
def _glyphs(style: str) -> frozenset[int]:
    """The code points the font can draw in ``style`` (its italic has fewer than the others)."""
    with TTFont(Path(_FONT_FILES[style])) as font:
        return frozenset(font.getBestCmap())


def _printable(text: str, style: str = "") -> str:
    """``text`` with every character the font cannot draw stripped of its accents, or else "?"."""
    glyphs = _glyphs(style)
    out = []
    for char in text:
        if ord(char) in glyphs or char in "\n\t":
            out.append(char)
            continue
        plain = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
        out.append(plain if plain and all(ord(c) in glyphs for c in plain) else "?")
    return "".join(out)


def report_file_name(spot_name: str) -> str:
    """An ASCII file name made from the spot's name, such as ``spotcheck-left-shoulder-mole.pdf``."""
    ascii_name = unicodedata.normalize("NFKD", spot_name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:60].strip("-")
    return f"spotcheck-{slug or 'spot'}.pdf"


def result_in_words(image: ImageSummary) -> str:
    """The photo's result in plain words, the number second."""
    if image.status is ImageStatus.DONE and image.classification is not None:
        estimate = f"(model estimate {estimate_percent(image.malignant_probability or 0.0, image.classification)})"
        if image.classification is Classification.MALIGNANT:
            return f"May need a closer look {estimate}"
        return f"Likely benign {estimate}"
    if image.status is ImageStatus.REFUSED and image.refusal is not None:
        return f"Could not be judged: {guidance_for(image.refusal).message}"
    if image.status is ImageStatus.PENDING:
        return "Still being analysed"
    return "Could not be analysed"


def _answers_in_words(answers: Answers | None) -> str:
    if answers is None:
        return "Questions not answered."
    words = {True: "yes", False: "no", None: "not answered"}
    return "; ".join(f"{q.capitalize()}: {words[getattr(answers, q)]}" for q in QUESTIONS) + "."


def _zone_name(zone: tzinfo) -> str:
    return "UTC" if zone is UTC else str(zone)


class _Report(FPDF):
    def __init__(self) -> None:
        super().__init__(format="A4")
        for style, path in _FONT_FILES.items():
            self.add_font(_FONT, style=style, fname=path)

    def paragraph(self, text: str, *, size: float = 10, style: str = "", gap: float = 1.5, width: float = 0) -> None:
        self.set_font(_FONT, style=style, size=size)
        self.multi_cell(width, size * 0.5, _printable(text, style), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(gap)

    def photo(self, data: bytes, heatmap: bytes | None = None) -> None:
        """The photo and, given its heatmap (a greyscale PNG of its size), the map over it beside it."""
        with Image.open(io.BytesIO(data)) as image:
            thumbnail = image.convert("RGB")
        overlay = None
        if heatmap is not None:
            with Image.open(io.BytesIO(heatmap)) as grey:
                overlay = heatmap_overlay(thumbnail, grey.convert("L").resize(thumbnail.size))
            overlay.thumbnail((_THUMBNAIL_PX, _THUMBNAIL_PX))
        thumbnail.thumbnail((_THUMBNAIL_PX, _THUMBNAIL_PX))
        top, left = self.get_y(), self.get_x()
        self.image(thumbnail, w=_THUMBNAIL_MM)
        if overlay is not None:
            self.image(overlay, x=left + _THUMBNAIL_MM + 3, y=top, w=_THUMBNAIL_MM)
        self.ln(1)
        if overlay is not None:
            self.paragraph(_HEATMAP_CAPTION, size=8)

    def body_map(self, site: BodySite | None, *, x: float, y: float) -> None:
        """The body outline at (x, y), ``_MAP_MM`` wide, with a dot where the spot is and the person's sides."""
        scale = _MAP_MM / MAP_WIDTH
        self.set_draw_color(90, 90, 90)
        self.set_fill_color(235, 235, 235)
        self.set_line_width(0.2)
        self.polygon([(x + px * scale, y + py * scale) for px, py in OUTLINE], style="DF")
        head_x, head_y, radius = HEAD
        self.circle(x + head_x * scale, y + head_y * scale, radius * scale, style="DF")
        left, top, width, height = NECK
        self.rect(x + left * scale, y + top * scale, width * scale, height * scale, style="DF")
        back = site is not None and site.view is BodyView.BACK
        self.set_font(_FONT, size=6)
        self.text(x - 2, y + 5, "L" if back else "R")  # the person's side on the viewer's left
        self.text(x + _MAP_MM + 0.5, y + 5, "R" if back else "L")
        self.text(x + _MAP_MM / 2 - 2.5, y + MAP_HEIGHT * scale + 3, "back" if back else "front")
        if site is not None:
            self.set_fill_color(200, 30, 30)
            self.set_draw_color(255, 255, 255)
            self.circle(x + site.x * _MAP_MM, y + site.y * MAP_HEIGHT * scale, 1.3, style="DF")
        self.set_draw_color(0, 0, 0)
        self.set_fill_color(255, 255, 255)


def render_report(
    view: SpotView,
    *,
    photo: Callable[[str], bytes | None],
    generated_at: datetime,
    zone: tzinfo = UTC,
    heatmap: Callable[[str], bytes | None] = lambda _file_name: None,
) -> bytes:
    """The PDF, its dates and times in ``zone``; ``photo(fileName)`` gives a photo's stored bytes (None
    when gone), ``heatmap(fileName)`` its heatmap PNG (None when it has none), drawn beside it.

    ``view`` should have been read with the same ``zone``, so that its summary and changes speak the
    same local time as the photos' titles.
    """
    pdf = _Report()
    pdf.set_title(f"SpotCheck report: {view.spot.name}")
    pdf.set_creator("SpotCheck")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.paragraph(f"SpotCheck report: {view.spot.name}", size=16, style="B", gap=2)
    pdf.paragraph(
        f"Made {at_in_words(generated_at, zone)}; times are in {_zone_name(zone)}. "
        f"Photos of this spot: {len(view.photos)}.",
        size=9,
        gap=3,
    )
    pdf.paragraph(f"Summary: {view.summary.message}", style="B", gap=3)
    top, page = pdf.get_y(), pdf.page
    pdf.body_map(view.spot.body_site, x=pdf.l_margin + 3, y=top)
    beside = pdf.l_margin + _MAP_MM + 10
    pdf.set_xy(beside, top)
    pdf.set_left_margin(beside)
    pdf.paragraph(f"Where: {site_in_words(view.spot.body_site)}.")
    if view.changes:
        pdf.paragraph("Notable changes between photos", style="B", gap=1)
        for change in view.changes:
            pdf.paragraph(f"- {change.message}")
    pdf.set_left_margin(beside - _MAP_MM - 10)
    below_map = top + _MAP_MM * MAP_HEIGHT / MAP_WIDTH + 6
    pdf.set_y(max(pdf.get_y(), below_map) if pdf.page == page else pdf.get_y())  # the changes may run on
    pdf.ln(2)
    for number, entry in enumerate(view.photos, start=1):
        image = entry.image
        pdf.paragraph(f"Photo {number} of {len(view.photos)}: {at_in_words(image.uploaded_at, zone)}", style="B")
        data = photo(image.file_name)
        if data is not None:
            try:
                pdf.photo(data, heatmap(image.file_name) if image.status is ImageStatus.DONE else None)
            except (OSError, ValueError):
                pdf.paragraph("(The photo could not be drawn.)")
        pdf.paragraph(f"Result: {result_in_words(image).removesuffix('.')}.")  # a refusal's tip ends in one
        if image.status is ImageStatus.DONE and image.classification is not None:
            pdf.paragraph(recommendation_for(image.classification))
        pdf.paragraph(_answers_in_words(entry.answers))
        if entry.measures is not None:
            pdf.paragraph(
                f"Measured (roughly): the lesion covers {entry.measures.area_fraction:.0%} of the photo's centre."
            )
        if image.model_version:
            pdf.paragraph(f"Model version: {image.model_version}.", size=8)
        pdf.ln(3)
    pdf.paragraph(DISCLAIMER, style="I")
    return bytes(pdf.output())
