"""The person's time zone by its IANA name: UTC when absent, a plain refusal for any other name."""

from __future__ import annotations

from datetime import UTC
from zoneinfo import ZoneInfo

import pytest

from spotcheck.spots.zones import UnknownTimeZoneError, zone_named


def test_names_the_zone_database_knows() -> None:
    assert zone_named(None) is UTC and zone_named("UTC") is UTC
    assert zone_named("Europe/Warsaw") == ZoneInfo("Europe/Warsaw")
    assert zone_named("America/Argentina/Buenos_Aires") == ZoneInfo("America/Argentina/Buenos_Aires")


@pytest.mark.parametrize(
    "name", ["", "Mars/Olympus", "Europe", "../etc/passwd", "/etc/localtime", "localtime", "x\x00"]
)
def test_anything_else_is_refused_in_plain_words(name: str) -> None:
    with pytest.raises(UnknownTimeZoneError, match="IANA name such as 'Europe/Warsaw'"):
        zone_named(name)
