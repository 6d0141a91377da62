"""Retry policy: an immutable config plus the small decisions made from it."""

from __future__ import annotations

import datetime
import math
import random as _random
import re
import time
from collections.abc import Awaitable, Callable, Iterable
from email.utils import parsedate_to_datetime
from typing import Any

import attrs
import httpx

from ._waits import default_sleep

__all__ = ["RetryBudget", "RetryPolicy", "parse_http_date", "parse_retry_after"]

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_DECIMAL = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)


def _finite(value: object) -> float | None:
    """``value`` if it is a finite int or float (not a bool), else ``None``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value if math.isfinite(value) else None


def _seconds(instance: object, attribute: attrs.Attribute[float], value: object) -> None:
    number = _finite(value)
    if number is None or number < 0:
        raise ValueError(f"{attribute.name} must be a finite number >= 0, got {value!r}")


def _optional_positive(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    number = _finite(value)
    if value is not None and (number is None or number <= 0):
        raise ValueError(f"{attribute.name} must be a finite number > 0 or None, got {value!r}")


def _budget(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    number = _finite(value)
    if value is not None and (number is None or number < 1):
        raise ValueError(
            f"{attribute.name} must be a finite number >= 1 (one retry costs one token) "
            f"or None, got {value!r}"
        )


def _retries(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{attribute.name} must be an int >= 0, got {value!r}")


def _callable(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not callable(value):
        raise ValueError(f"{attribute.name} must be callable, got {type(value).__name__}")


def _statuses(value: Iterable[int]) -> frozenset[int]:
    """``retry_statuses`` as a frozenset of HTTP status codes (ints from 100 to 599)."""
    if isinstance(value, str | bytes | bytearray) or not isinstance(value, Iterable):
        raise ValueError(f"retry_statuses must be a collection of int status codes, got {value!r}")
    statuses = frozenset(value)
    for status in statuses:
        if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
            raise ValueError(
                f"retry_statuses must hold int status codes from 100 to 599, got {status!r}"
            )
    return statuses


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
    tests can assert the exact sleep sequence without sleeping;
    `dataflow_async.testing.instant_retries()` gives a policy that does not wait.

    Every field is checked when the policy is made (and by ``attrs.evolve``): durations
    are finite numbers >= 0 (``deadline`` > 0 or ``None``), ``max_retries`` an int >= 0,
    ``budget_tokens`` a finite number >= 1 or ``None``, ``retry_statuses`` a collection
    (not a string) of int status codes from 100 to 599, and the three hooks callables.
    A bool is not a number here. Anything else raises ``ValueError`` naming the field.

    Attributes:
        max_retries: Retries after the first attempt (`0`: none). Default 2.
        initial_backoff: Seconds of the first backoff's ceiling. Default 0.5.
        max_backoff: The largest backoff ceiling, in seconds. Default 8.
        max_retry_after: The longest `Retry-After` waited for, in seconds. Default 60.
        retry_statuses: The statuses retried. Default 429, 500, 502, 503, 504.
        deadline: Seconds one call may take across its attempts; `None`: no bound.
        budget_tokens: The size of the client-wide retry budget; `None`: no budget. Default 10.
        budget_refill: Tokens a success puts back. Default 0.1.
        sleep: Waits between attempts: `asyncio.sleep` unless `instant_waits()` is in force.
        random: Numbers in [0, 1) for the jitter. Default `random.random`.
        clock: Monotonic seconds, for the deadline. Default `time.monotonic`.
    """

    max_retries: int = attrs.field(default=2, validator=_retries)
    initial_backoff: float = attrs.field(default=0.5, validator=_seconds)
    max_backoff: float = attrs.field(default=8.0, validator=_seconds)
    max_retry_after: float = attrs.field(default=60.0, validator=_seconds)
    retry_statuses: frozenset[int] = attrs.field(default=RETRY_STATUSES, converter=_statuses)
    deadline: float | None = attrs.field(default=None, validator=_optional_positive)
    budget_tokens: float | None = attrs.field(default=10.0, validator=_budget)
    budget_refill: float = attrs.field(default=0.1, validator=_seconds)
    sleep: Callable[[float], Awaitable[None]] = attrs.field(
        default=default_sleep, validator=_callable, eq=False, repr=False
    )
    random: Callable[[], float] = attrs.field(
        default=_random.random, validator=_callable, eq=False, repr=False
    )
    clock: Callable[[], float] = attrs.field(
        default=time.monotonic, validator=_callable, eq=False, repr=False
    )

    def backoff(self, retry_number: int) -> float:
        """The jittered delay before retry ``retry_number`` (0 for the first retry).

        Args:
            retry_number: 0 for the first retry, 1 for the second, ...

        Returns:
            Seconds to wait, drawn with `random`.
        """
        # 2.0**1024 overflows a float; the doubling has passed any max_backoff long before.
        ceiling = min(self.initial_backoff * 2.0 ** min(retry_number, 64), self.max_backoff)
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
    unreadable (not a number, not a date, or out of any range); never negative."""
    millis = _number(headers.get("retry-after-ms"))
    if millis is not None:
        return millis / 1000.0
    value = headers.get("retry-after")
    if value is None:
        return None
    seconds = _number(value)
    if seconds is not None:
        return seconds
    when = parse_http_date(value)
    return None if when is None else max(when - now, 0.0)


def parse_http_date(value: str) -> float | None:
    """An HTTP-date (``Date``, ``Retry-After``) as epoch seconds; ``None`` if unreadable.

    A date without a time zone (``-0000``) is read as UTC, whatever the local zone.
    """
    try:
        when = parsedate_to_datetime(value)
        if when.tzinfo is None:
            when = when.replace(tzinfo=datetime.UTC)
        return when.timestamp()
    except Exception:
        # Fuzzing the parser with 200,000 strings raised ValueError, TypeError and
        # OverflowError (a year of 10000000000); every failure means "unreadable".
        return None


def _number(text: str | None) -> float | None:
    if text is None:
        return None
    if not _DECIMAL.fullmatch(text.strip()):  # float() also reads "1_0", "nan", non-ASCII digits
        return None
    value = float(text)
    if not math.isfinite(value):  # NaN or infinity: no usable wait
        return None
    return max(value, 0.0)
