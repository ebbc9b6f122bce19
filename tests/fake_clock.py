"""A clock that moves only when a test says so: leases and delays run out without sleeping."""

from __future__ import annotations

from datetime import datetime, timedelta

from spotcheck.clock import utc_now

__all__ = ["FakeClock"]


class FakeClock:
    """Starts at the real time; ``advance`` moves it forward."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or utc_now()

    def __call__(self) -> datetime:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)
