"""Rate limits in the ``limits`` notation ("10/15 minutes", "60 per minute; 500 per day")."""

from __future__ import annotations

from limits import RateLimitItem, parse_many

__all__ = ["parse_limits"]


def parse_limits(text: str) -> list[RateLimitItem]:
    """Raises ValueError naming the text when it is not in the ``limits`` notation."""
    try:
        items = parse_many(text)
    except ValueError:
        items = []
    if not items:
        raise ValueError(f"{text!r} is not a rate limit; write it like '10/minute' or '10 per 15 minutes; 100/day'")
    return items
