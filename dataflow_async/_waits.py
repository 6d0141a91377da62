"""The default ``sleep`` of `RetryPolicy` and `PollPolicy`, which tests can make instant."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

__all__ = ["default_sleep", "instant", "is_instant"]

# How many `instant()` blocks are open, process-wide (a list: mutable without `global`).
_instant_depth = [0]


async def default_sleep(seconds: float) -> None:
    """``asyncio.sleep(seconds)``, or ``asyncio.sleep(0)`` inside `instant()`."""
    await asyncio.sleep(0 if _instant_depth[0] else seconds)


def is_instant() -> bool:
    """Whether `instant()` is in force."""
    return _instant_depth[0] > 0


@contextlib.contextmanager
def instant() -> Iterator[None]:
    """Within the block, every `default_sleep` returns at once (blocks may nest)."""
    _instant_depth[0] += 1
    try:
        yield
    finally:
        _instant_depth[0] -= 1
