"""How the texts about a spot name its photos: by upload time, which a person sees on every page.

A fileName means nothing to someone who uploaded through the web page (it names each upload
itself), so a summary or a change says "the photo of 27 November 2026, 10:32 UTC" instead, in the
person's time zone when a caller knows it ("10:32 CET"). Two photos taken within the same minute
read the same, so a change between them says "between two photos taken on 5 December 2026 at
18:20 UTC", never "between the photo of X and the photo of X".
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo

from spotcheck.gallery.rows import ImageSummary

__all__ = ["at_in_words", "between_photos", "photo_in_words", "zone_in_words"]


def zone_in_words(at: datetime) -> str:
    """The zone of an aware ``at`` as people read it: "UTC", "CET", or "UTC+05:30" where the zone has no letters."""
    name = at.tzname() or ""
    if name.isalpha():
        return name
    offset = at.strftime("%z")  # "+0530"
    return f"UTC{offset[:3]}:{offset[3:]}" if offset else "UTC"


def _local(at: datetime, zone: tzinfo) -> datetime:
    return at.astimezone(zone)


def _day(at: datetime) -> str:
    return f"{at.day} {at:%B %Y}"


def at_in_words(at: datetime, zone: tzinfo = UTC) -> str:
    """ "27 November 2026, 10:32 UTC" in ``zone``."""
    local = _local(at, zone)
    return f"{_day(local)}, {local:%H:%M} {zone_in_words(local)}"


def photo_in_words(image: ImageSummary, *, start: bool = False, zone: tzinfo = UTC) -> str:
    """ "the photo of 27 November 2026, 10:32 UTC" ("The …" when ``start``s a sentence)."""
    words = f"the photo of {at_in_words(image.uploaded_at, zone)}"
    return words[0].upper() + words[1:] if start else words


def between_photos(before: ImageSummary, after: ImageSummary, *, zone: tzinfo = UTC) -> str:
    """ "between the photo of … and the photo of …", said without repeating what the two share."""
    first, second = _local(before.uploaded_at, zone), _local(after.uploaded_at, zone)
    same_zone = zone_in_words(first) == zone_in_words(second)
    if same_zone and _day(first) == _day(second):
        if f"{first:%H:%M}" == f"{second:%H:%M}":
            return f"between two photos taken on {_day(first)} at {first:%H:%M} {zone_in_words(first)}"
        return f"between the photos of {_day(first)} at {first:%H:%M} and {second:%H:%M} {zone_in_words(second)}"
    return f"between {photo_in_words(before, zone=zone)} and {photo_in_words(after, zone=zone)}"
