"""How an execution is polled while it is awaited: an immutable config."""

from __future__ import annotations

import math
import random as _random
import time
from collections.abc import Awaitable, Callable
from typing import Any

import attrs

from ._waits import default_sleep

__all__ = ["PollPolicy"]


def _positive(instance: object, attribute: attrs.Attribute[float], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{attribute.name} must be a finite number > 0, got {value!r}")
    if not value > 0:
        raise ValueError(f"{attribute.name} must be a finite number > 0, got {value!r}")


def _multiplier(instance: object, attribute: attrs.Attribute[float], value: object) -> None:
    _positive(instance, attribute, value)
    if value < 1:  # type: ignore[operator]
        raise ValueError(f"{attribute.name} must be >= 1 (delays never shrink), got {value!r}")


def _fraction(instance: object, attribute: attrs.Attribute[float], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 1:
        raise ValueError(f"{attribute.name} must be a number in [0, 1), got {value!r}")


def _count(instance: object, attribute: attrs.Attribute[int], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{attribute.name} must be an int >= 1, got {value!r}")


def _callable(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not callable(value):
        raise TypeError(f"{attribute.name} must be callable, got {value!r}")


@attrs.frozen
class PollPolicy:
    """How often an awaited execution is polled.

    The first poll waits ``initial`` seconds; while the status stays the same, each wait
    is ``multiplier`` times the one before, up to ``maximum``; when the status changes,
    the wait starts again from ``initial``. Each wait is spread by ``jitter`` (a fraction:
    ``0.1`` waits between 90 % and 110 %) so that many waiters do not poll in step.

    Each poll is an ordinary GET with the client's retry policy. A poll that still fails
    after its retries does not end the wait; ``max_failed_polls`` failures in a row do,
    and the last error is raised.

    ``sleep``, ``clock`` (monotonic seconds) and ``random`` are injectable so that tests
    run in virtual time and can assert the exact sequence of waits;
    `dataflow_async.testing.instant_polls()` gives a policy that does not wait.

    Attributes:
        initial: Seconds before the first poll, and after a change of status. Default 1.
        maximum: The longest wait between polls, in seconds. Default 30.
        multiplier: How much each wait grows while the status stays the same. Default 1.5.
        jitter: The spread of each wait, a fraction in [0, 1). Default 0.1.
        max_failed_polls: Failed polls in a row that end the wait. Default 5.
        sleep: Waits between polls: `asyncio.sleep` unless `instant_waits()` is in force.
        clock: Monotonic seconds, for the wait's timeout. Default `time.monotonic`.
        random: Numbers in [0, 1) for the jitter. Default `random.random`.
    """

    initial: float = attrs.field(default=1.0, validator=_positive)
    maximum: float = attrs.field(default=30.0, validator=_positive)
    multiplier: float = attrs.field(default=1.5, validator=_multiplier)
    jitter: float = attrs.field(default=0.1, validator=_fraction)
    max_failed_polls: int = attrs.field(default=5, validator=_count)
    sleep: Callable[[float], Awaitable[None]] = attrs.field(
        default=default_sleep, eq=False, repr=False, validator=_callable
    )
    clock: Callable[[], float] = attrs.field(
        default=time.monotonic, eq=False, repr=False, validator=_callable
    )
    random: Callable[[], float] = attrs.field(
        default=_random.random, eq=False, repr=False, validator=_callable
    )

    def __attrs_post_init__(self) -> None:
        if self.maximum < self.initial:
            raise ValueError(f"maximum ({self.maximum!r}) must be >= initial ({self.initial!r})")

    def next_base(self, previous: float | None, changed: bool) -> float:
        """The un-jittered wait after ``previous`` (``None``: the first), reset when the
        status ``changed``.

        Args:
            previous: The wait before, in seconds; `None` for the first.
            changed: Whether the status changed at the last poll.

        Returns:
            Seconds, before `spread`.
        """
        if previous is None or changed:
            return self.initial
        return min(previous * self.multiplier, self.maximum)

    def spread(self, base: float) -> float:
        """``base`` with the jitter applied.

        Args:
            base: A wait from `next_base`, in seconds.

        Returns:
            Seconds, between `base * (1 - jitter)` and `base * (1 + jitter)`.
        """
        if not self.jitter:
            return base
        return base * (1.0 + self.jitter * (2.0 * self.random() - 1.0))
