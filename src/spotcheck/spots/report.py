"""A spot's report for a doctor, as a PDF (fpdf2): its photos, dates, results, answers, the model version.

Written in Source Sans Pro (SIL Open Font License, from the ``font-source-sans-pro`` package),
embedded, which covers the Latin, Greek and Cyrillic alphabets: "Łukasz", "Ζωή" and "Родинка" print
as typed. A character the font lacks is printed without its accents if that helps, else as "?".
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Callable
from datetime import datetime
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
from spotcheck.gallery.service import ImageSummary
from spotcheck.photocheck.reasons import guidance_for
from spotcheck.recommendation import DISCLAIMER, recommendation_for
from spotcheck.spots.answers import QUESTIONS, Answers
from spotcheck.spots.estimates import estimate_percent
from spotcheck.spots.service import BodySite, SpotView

__all__ = ["render_report", "report_file_name", "result_in_words"]

_THUMBNAIL_PX = 320
_THUMBNAIL_MM = 45
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
        return f"Likely harmless {estimate}"
    if image.status is ImageStatus.REFUSED and image.refusal is not None:
        return f"Could not be judged: {guidance_for(image.refusal).message}"
    if image.status is ImageStatus.PENDING:
        return "Still being analysed"
    return "Could not be analysed"


def _site_in_words(site: BodySite | None) -> str:
    if site is None:
        return "not marked"
    return f"{site.view.value} of the body, {site.x:.0%} across and {site.y:.0%} down the body map"


def _answers_in_words(answers: Answers | None) -> str:
    if answers is None:
        return "Questions not answered."
    words = {True: "yes", False: "no", None: "not answered"}
    return "; ".join(f"{q.capitalize()}: {words[getattr(answers, q)]}" for q in QUESTIONS) + "."


class _Report(FPDF):
    def __init__(self) -> None:
        super().__init__(format="A4")
        for style, path in _FONT_FILES.items():
            self.add_font(_FONT, style=style, fname=path)

    def paragraph(self, text: str, *, size: float = 10, style: str = "", gap: float = 1.5) -> None:
        self.set_font(_FONT, style=style, size=size)
        self.multi_cell(0, size * 0.5, _printable(text, style), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
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


def render_report(
    view: SpotView,
    *,
    photo: Callable[[str], bytes | None],
    generated_at: datetime,
    heatmap: Callable[[str], bytes | None] = lambda _file_name: None,
) -> bytes:
    """The PDF; ``photo(fileName)`` gives a photo's stored bytes (None when it is gone), ``heatmap(fileName)``
    its heatmap PNG (None when it has none), drawn beside it."""
    pdf = _Report()
    pdf.set_title(f"SpotCheck report: {view.spot.name}")
    pdf.set_creator("SpotCheck")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.paragraph(f"SpotCheck report: {view.spot.name}", size=16, style="B", gap=3)
    pdf.paragraph(f"Where: {_site_in_words(view.spot.body_site)}.")
    pdf.paragraph(f"Made {generated_at:%d %B %Y %H:%M} UTC. Photos of this spot: {len(view.photos)}.")
    pdf.paragraph(f"Summary: {view.summary.message}", style="B", gap=4)
    for number, entry in enumerate(view.photos, start=1):
        image = entry.image
        pdf.paragraph(f"Photo {number}: {image.file_name}, uploaded {image.uploaded_at:%d %B %Y %H:%M} UTC", style="B")
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
            l_, a_, b_ = entry.measures.mean_colour
            pdf.paragraph(
                f"Measured (roughly): lesion {entry.measures.area_fraction:.0%} of the photo's centre; "
                f"mean colour L* {l_:.0f}, a* {a_:.0f}, b* {b_:.0f}."
            )
        if image.model_version:
            pdf.paragraph(f"Model version: {image.model_version}.", size=8)
        pdf.ln(3)
    if view.changes:
        pdf.paragraph("Notable changes between photos", size=12, style="B")
        for change in view.changes:
            pdf.paragraph(f"- {change.message}")
    pdf.ln(3)
    pdf.paragraph(DISCLAIMER, style="I")
    return bytes(pdf.output())
