"""Throttling of sign-in and registration, by account and by client address (the ``limits`` library).

Failed sign-ins count against the pair of client address and account: a stranger guessing someone's
password slows only that stranger, never the owner signing in from elsewhere. A much higher
ceiling per account, whatever the address, still stops guessing spread over many addresses.

Limits are written in the ``limits`` notation ("10/15 minutes", "60 per minute; 500 per day"). The
counters live in memory, which suits the embedded default of one server process; several processes
each count on their own, so behind a load balancer the effective limit is that many times higher.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from limits import RateLimitItem
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from spotcheck.rate_limits import parse_limits

__all__ = ["AuthThrottle", "RetryLaterError", "ThrottleLimits", "TooManyAttemptsError", "parse_limits"]


class RetryLaterError(Exception):
    """Refused for now; ``retry_after`` says in how many seconds to try again."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class TooManyAttemptsError(RetryLaterError):
    pass


@dataclass(frozen=True, slots=True)
class ThrottleLimits:
    sign_in_per_address: str = "60/minute"
    sign_in_failures_per_address_and_account: str = "10/15 minutes"
    sign_in_failures_per_account: str = "100/15 minutes"
    register_per_address: str = "30/hour"
    register_per_account: str = "5/hour"


class _Counter:
    """Attempts under one name, against one or more moving windows."""

    def __init__(self, *, name: str, limits: str, limiter: MovingWindowRateLimiter, refusal: str) -> None:
        self._name = name
        self._items = parse_limits(limits)
        self._limiter = limiter
        self._refusal = refusal

    def hit(self, key: str) -> None:
        """Count one attempt; TooManyAttemptsError when a window is already full."""
        for item in self._items:
            if not self._limiter.hit(item, self._name, key):
                self._refuse(item, key)

    def check(self, key: str) -> None:
        """TooManyAttemptsError when a window is full, without counting."""
        for item in self._items:
            if not self._limiter.test(item, self._name, key):
                self._refuse(item, key)

    def _refuse(self, item: RateLimitItem, key: str) -> None:
        reset_at = self._limiter.get_window_stats(item, self._name, key).reset_time
        retry_after = max(1, math.ceil(reset_at - time.time()))
        raise TooManyAttemptsError(f"{self._refusal}; try again in {retry_after} seconds.", retry_after=retry_after)


class AuthThrottle:
    """The counters of sign-in and registration attempts of one server process."""

    def __init__(self, limits: ThrottleLimits | None = None) -> None:
        limits = limits or ThrottleLimits()
        limiter = MovingWindowRateLimiter(MemoryStorage())

        def counter(name: str, windows: str, refusal: str) -> _Counter:
            return _Counter(name=name, limits=windows, limiter=limiter, refusal=refusal)

        self._sign_in_address = counter(
            "sign-in/address", limits.sign_in_per_address, "Too many sign-in attempts from your network"
        )
        self._sign_in_pair = counter(
            "sign-in-failures/address+account",
            limits.sign_in_failures_per_address_and_account,
            "Too many failed sign-ins for this account from your network",
        )
        self._sign_in_account = counter(
            "sign-in-failures/account", limits.sign_in_failures_per_account, "Too many failed sign-ins for this account"
        )
        self._register_address = counter(
            "register/address", limits.register_per_address, "Too many registrations from your network"
        )
        self._register_account = counter(
            "register/account", limits.register_per_account, "Too many registrations for this address"
        )

    def before_sign_in(self, *, address: str, email: str) -> None:
        """Every attempt counts against the address; the account is refused from this address once the
        failures from here are spent, and from everywhere once its ceiling is."""
        self._sign_in_address.hit(address)
        self._sign_in_pair.check(_pair(address, email))
        self._sign_in_account.check(email)

    def sign_in_failed(self, *, address: str, email: str) -> None:
        # Only failures count against the account, so its owner signing in often is never locked out.
        self._sign_in_pair.hit(_pair(address, email))
        self._sign_in_account.hit(email)

    def before_register(self, *, address: str, email: str) -> None:
        self._register_address.hit(address)
        self._register_account.hit(email)


def _pair(address: str, email: str) -> str:
    return f"{address} {email}"  # an address holds no space
