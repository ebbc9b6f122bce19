"""The person's time zone, named by its IANA name ("Europe/Warsaw"), for the dates in texts and reports.

Zone data comes from the system's database, else from the pinned ``tzdata`` package, so a slim image
without /usr/share/zoneinfo knows the same zones.
"""

from __future__ import annotations

from datetime import UTC, tzinfo
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

__all__ = ["UnknownTimeZoneError", "known_zone_names", "zone_named"]

# Names the zone database holds that name no place: the server's own zone, and a placeholder.
_NOT_A_PLACE = frozenset({"localtime", "Factory", "posixrules"})


class UnknownTimeZoneError(ValueError):
    def __init__(self, name: str) -> None:
        shown = name if len(name) <= 64 else f"{name[:64]}…"
        super().__init__(
            f"Unknown time zone {shown!r}: send an IANA name such as 'Europe/Warsaw' or 'America/New_York' "
            "(the browser's Intl.DateTimeFormat().resolvedOptions().timeZone), or leave tz out for UTC."
        )
        self.name = name


@cache
def known_zone_names() -> frozenset[str]:
    """Every IANA name ``zone_named`` takes ("UTC" among them)."""
    return frozenset(available_timezones()) - _NOT_A_PLACE


def zone_named(name: str | None) -> tzinfo:
    """The zone ``name`` names, UTC when it is None; UnknownTimeZoneError for any other name."""
    if name is None or name == "UTC":
        return UTC
    if name not in known_zone_names():
        raise UnknownTimeZoneError(name)
    return ZoneInfo(name)
