"""Retry policy: an immutable config plus the small decisions made from it."""

from __future__ import annotations

import asyncio
import math
import random as _random
import time
from collections.abc import Awaitable, Callable
from email.utils import parsedate_to_datetime

import attrs
import httpx

__all__ = ["RetryBudget", "RetryPolicy", "parse_retry_after"]

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


def _non_negative(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ValueError(f"{attribute.name} must be a number >= 0, got {value!r}")


def _optional_positive(instance: object, attribute: attrs.Attribute[float], value: object) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ValueError(f"{attribute.name} must be a number > 0 or None, got {value!r}")


def _retries(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{attribute.name} must be an int >= 0, got {value!r}")


@attrs.frozen
class RetryPolicy:
    """How failed idempotent requests are retried.

    The n-th retry (n from 0) sleeps ``U(0, min(initial_backoff * 2**n, max_backoff))``
    ("full jitter"), or what the server asked for in ``Retry-After`` when it did.
    A ``Retry-After`` longer than ``max_retry_after`` is not waited for: the error is
    raised at once.

    ``deadline`` (seconds, optional) bounds one call across all its attempts: no
    attempt starts and no sleep is taken past it, and each attempt's timeout shrinks
    to what is left. ``budget_tokens`` sizes the client-wide retry budget (a token
    bucket: a retry spends one token, a success refills ``budget_refill``), so that
    many concurrent walks cannot multiply an outage; ``None`` turns it off.

    ``sleep``, ``random`` and ``clock`` (monotonic seconds) are injectable so that
    tests can assert the exact sleep sequence without sleeping.
    """

    max_retries: int = attrs.field(default=2, validator=_retries)
    initial_backoff: float = attrs.field(default=0.5, validator=_non_negative)
    max_backoff: float = attrs.field(default=8.0, validator=_non_negative)
    max_retry_after: float = attrs.field(default=60.0, validator=_non_negative)
    retry_statuses: frozenset[int] = attrs.field(default=RETRY_STATUSES, converter=frozenset)
    deadline: float | None = attrs.field(default=None, validator=_optional_positive)
    budget_tokens: float | None = attrs.field(default=10.0, validator=_optional_positive)
    budget_refill: float = attrs.field(default=0.1, validator=_non_negative)
    sleep: Callable[[float], Awaitable[None]] = attrs.field(
        default=asyncio.sleep, eq=False, repr=False
    )
    random: Callable[[], float] = attrs.field(default=_random.random, eq=False, repr=False)
    clock: Callable[[], float] = attrs.field(default=time.monotonic, eq=False, repr=False)

    def backoff(self, retry_number: int) -> float:
        """The jittered delay before retry ``retry_number`` (0 for the first retry)."""
        ceiling = min(self.initial_backoff * 2.0**retry_number, self.max_backoff)
        return self.random() * ceiling


class RetryBudget:
    """A client-wide token bucket that caps retries relative to successes.

    Starts full. Each retry spends one token and is refused when less than one is
    left; each success puts ``refill`` back, up to the capacity.
    """

    __slots__ = ("capacity", "refill", "tokens")

    def __init__(self, capacity: float | None, refill: float) -> None:
        self.capacity = capacity
        self.refill = refill
        self.tokens = capacity if capacity is not None else 0.0

    def try_spend(self) -> bool:
        """Take a token for one retry; ``False`` when the budget is empty."""
        if self.capacity is None:
            return True
        if self.tokens < 1.0:
            return False
        self.tokens -= 1.0
        return True

    def record_success(self) -> None:
        """Give back part of a token for a request that succeeded."""
        if self.capacity is not None and self.tokens < self.capacity:
            self.tokens = min(self.capacity, self.tokens + self.refill)


def parse_retry_after(headers: httpx.Headers, now: float) -> float | None:
    """Seconds the server asked to wait: ``retry-after-ms``, else ``Retry-After`` as
    seconds or an HTTP-date (relative to ``now``, epoch seconds). ``None`` if absent or
    unreadable; never negative."""
    millis = _number(headers.get("retry-after-ms"))
    if millis is not None:
        return millis / 1000.0
    value = headers.get("retry-after")
    if value is None:
        return None
    seconds = _number(value)
    if seconds is not None:
        return seconds
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - now, 0.0)


def _number(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    if not math.isfinite(value):  # NaN or infinity: no usable wait
        return None
    return max(value, 0.0)
