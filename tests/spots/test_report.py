"""The spot's PDF report, read back with pypdf."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from datetime import timedelta
from zoneinfo import ZoneInfo

from photos import BROWN, START, lesion_photo, photo
from pypdf import PdfReader

from spotcheck.classifier.labels import Classification
from spotcheck.db.tables import ImageStatus
from spotcheck.photocheck.reasons import RefusalReason, guidance_for
from spotcheck.recommendation import DISCLAIMER, recommendation_for
from spotcheck.spots.answers import Answers
from spotcheck.spots.changes import MeasuredPhoto, notable_changes
from spotcheck.spots.measures import Measures, measure_image
from spotcheck.spots.report import render_report, report_file_name, result_in_words
from spotcheck.spots.service import BodySite, BodyView, Spot, SpotView, TimelineEntry
from spotcheck.spots.summary import Summary, SummaryLevel


def _text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def _view(name: str, entries: list[TimelineEntry]) -> SpotView:
    spot = Spot("s", "u", name, BodySite(BodyView.FRONT, 0.5, 0.25), START)
    return SpotView(spot, entries, [], Summary(SummaryLevel.WORRYING, "Summary sentence.", None))


def test_the_report_holds_what_a_doctor_needs() -> None:
    data = lesion_photo(radius=50, colour=BROWN)
    refused = replace(photo("c.jpg", days=2, status=ImageStatus.REFUSED), refusal=RefusalReason.BLURRY)
    entries = [
        TimelineEntry(photo("a.jpg", probability=0.6), Answers(grown=True, bleeds=False), measure_image(data)),
        TimelineEntry(photo("b.jpg", days=1, probability=0.1), None, None),
        TimelineEntry(refused, None, None),
    ]
    pdf = render_report(_view("Left shoulder mole", entries), photo=lambda _name: data, generated_at=START)
    assert pdf.startswith(b"%PDF-")
    text = _text(pdf)
    for expected in (
        "Left shoulder mole",
        "Where: chest, middle.",
        recommendation_for(Classification.MALIGNANT),
        recommendation_for(Classification.BENIGN),
        guidance_for(RefusalReason.BLURRY).message,
        "Grown: yes; Changed: not answered; Bleeds: no",
        "Model version: tiny",
        "Summary sentence.",
        "the lesion covers",
        "times are in UTC",
        DISCLAIMER,
    ):
        assert expected in text, expected
    assert "Photo 1 of 3: 1 January 2026, 00:00 UTC" in text and "Photo 2 of 3: 2 January 2026, 00:00 UTC" in text
    assert text.index("Summary sentence.") < text.index("Photo 1 of 3")
    assert ".." not in text  # the refusal's tip ends its own sentence
    assert ".jpg" not in text and "L*" not in text and "a*" not in text
    assert len(PdfReader(io.BytesIO(pdf)).pages[0].images) == 1


def test_photos_are_titled_in_the_persons_time_zone_never_by_file_name() -> None:
    hex_names = ["3f2a9c0d5b8e4f7a9c1d2e3f4a5b6c7d.jpg", "b81e07aa44c1d2e3f4a5b6c7d8e9f0a1.jpg"]
    first = photo(hex_names[0], days=30.75, probability=0.1)  # 31 January 2026, 18:00 UTC
    second = photo(hex_names[1], days=30.75, probability=0.6)  # the same minute
    measured = [
        MeasuredPhoto(first, Measures(0.2, (40.0, 10.0, 10.0))),
        MeasuredPhoto(second, Measures(0.2, (60.0, 10.0, 10.0))),
    ]
    warsaw = ZoneInfo("Europe/Warsaw")
    changes = notable_changes(measured, zone=warsaw)
    spot = Spot("s", "u", "Łódź Ελένη Юлия", BodySite(BodyView.BACK, 0.45, 0.3), START)
    view = SpotView(
        spot,
        [TimelineEntry(m.image, None, m.measures) for m in measured],
        changes,
        Summary(SummaryLevel.WORRYING, "Summary sentence.", hex_names[1]),
    )
    pdf = render_report(view, photo=lambda _name: None, generated_at=START + timedelta(days=40), zone=warsaw)
    text = _text(pdf)
    assert re.search(r"[0-9a-fA-F]{16,}", text) is None
    assert "Photo 1 of 2: 31 January 2026, 19:00 CET" in text  # 18:00 UTC
    assert "times are in Europe/Warsaw" in text
    assert "SpotCheck report: Łódź Ελένη Юлия" in text
    assert "Where: upper back, left side." in text
    assert "between two photos taken on 31 January 2026 at 19:00 CET" in text
    assert "colour changed noticeably" in text
    assert "L*" not in text and "ΔE" not in text and "across" not in text


def test_latin_greek_and_cyrillic_names_print_as_typed_and_others_are_not_refused() -> None:
    for name in ("Łukasz's mole", "Ζωή's mole", "Родинка на плече", "Zoë — mole"):
        pdf = render_report(_view(name, []), photo=lambda _name: None, generated_at=START)
        assert f"SpotCheck report: {name}" in _text(pdf), name
        assert PdfReader(io.BytesIO(pdf)).metadata.title == f"SpotCheck report: {name}"
    pdf = render_report(_view("左 mole ǅ", []), photo=lambda _name: None, generated_at=START)
    assert "SpotCheck report: ? mole" in _text(pdf)
    assert report_file_name("Zoë — 左 mole") == "spotcheck-zoe-mole.pdf"
    assert report_file_name("左") == "spotcheck-spot.pdf"


def test_a_photo_that_cannot_be_drawn_is_said_so() -> None:
    pdf = render_report(
        _view("x", [TimelineEntry(photo("a.jpg"), None, None)]), photo=lambda _n: b"not an image", generated_at=START
    )
    assert "could not be drawn" in _text(pdf)


def test_results_in_plain_words_number_second() -> None:
    assert result_in_words(photo("a", probability=0.42)) == "May need a closer look (model estimate 42%)"
    assert result_in_words(photo("a", probability=0.07)) == "Likely benign (model estimate 7.0%)"
    assert result_in_words(photo("a", status=ImageStatus.PENDING)) == "Still being analysed"


def test_a_judged_photo_has_where_the_model_looked_beside_it() -> None:
    from PIL import Image

    data = lesion_photo(radius=50, colour=BROWN)
    with Image.open(io.BytesIO(data)) as image:
        size = image.size
    grey = io.BytesIO()
    Image.new("L", size, 200).save(grey, format="PNG")
    refused = replace(photo("c.jpg", days=2, status=ImageStatus.REFUSED), refusal=RefusalReason.BLURRY)
    entries = [TimelineEntry(photo("a.jpg", probability=0.6), None, None), TimelineEntry(refused, None, None)]
    asked: list[str] = []

    def heatmap(name: str) -> bytes:
        asked.append(name)
        return grey.getvalue()

    pdf = render_report(_view("x", entries), photo=lambda _name: data, heatmap=heatmap, generated_at=START)
    assert asked == ["a.jpg"]  # a refused photo was never judged: no map is asked for
    assert len(PdfReader(io.BytesIO(pdf)).pages[0].images) == 2  # the photo, and the photo with the map over it
    assert "Right: where the model looked" in _text(pdf)
    without = render_report(_view("x", entries), photo=lambda _name: data, generated_at=START)
    assert "where the model looked" not in _text(without)
