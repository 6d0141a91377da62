"""Retry policy: an immutable config plus the small decisions made from it."""

from __future__ import annotations

import asyncio
import random as _random
from collections.abc import Awaitable, Callable
from email.utils import parsedate_to_datetime

import attrs
import httpx

__all__ = ["RetryPolicy", "parse_retry_after"]

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


def _non_negative(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ValueError(f"{attribute.name} must be a number >= 0, got {value!r}")


def _retries(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{attribute.name} must be an int >= 0, got {value!r}")


@attrs.frozen
class RetryPolicy:
    """How failed idempotent requests are retried.

    The n-th retry (n from 0) sleeps ``U(0, min(initial_backoff * 2**n, max_backoff))``
    ("full jitter"), or what the server asked for in ``Retry-After`` when it did.
    A ``Retry-After`` longer than ``max_retry_after`` is not waited for: the error is
    raised at once. ``sleep`` and ``random`` are injectable so that tests can assert
    the exact sleep sequence without sleeping.
    """

    max_retries: int = attrs.field(default=2, validator=_retries)
    initial_backoff: float = attrs.field(default=0.5, validator=_non_negative)
    max_backoff: float = attrs.field(default=8.0, validator=_non_negative)
    max_retry_after: float = attrs.field(default=60.0, validator=_non_negative)
    retry_statuses: frozenset[int] = attrs.field(default=RETRY_STATUSES, converter=frozenset)
    sleep: Callable[[float], Awaitable[None]] = attrs.field(
        default=asyncio.sleep, eq=False, repr=False
    )
    random: Callable[[], float] = attrs.field(default=_random.random, eq=False, repr=False)

    def backoff(self, retry_number: int) -> float:
        """The jittered delay before retry ``retry_number`` (0 for the first retry)."""
        ceiling = min(self.initial_backoff * 2.0**retry_number, self.max_backoff)
        return self.random() * ceiling


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
    return None if value != value else max(value, 0.0)  # NaN is unreadable
