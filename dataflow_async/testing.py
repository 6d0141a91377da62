"""Helpers for testing code that uses the client: retries and polls that do not wait.

The client sleeps between retries (a jittered backoff, or what `Retry-After` asks for) and
between the polls of an awaited execution. In tests those waits only cost time; these
helpers keep every retry and every poll, in the same order and under the same rules, and
drop the waits.

Example:
    ```python
    # fragment: in a test, with an emulator (see the testing guide)
    client = DataFlowClient(emulator.credentials, base_url=emulator.url, retry=instant_retries())
    execution = await client.executions.run(job_id, poll=instant_polls())
    ```
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import Any

from ._polling import PollPolicy
from ._retry import RetryPolicy
from ._waits import instant

__all__ = ["instant_polls", "instant_retries", "instant_waits", "no_wait"]


async def no_wait(seconds: float) -> None:
    """A `sleep` that returns at once.

    It yields to the event loop once (as `asyncio.sleep(0)` does), so that other tasks
    still run between a failed attempt and its retry.

    Args:
        seconds: The delay that would have been waited; ignored.
    """
    await asyncio.sleep(0)


def instant_retries(**fields: Any) -> RetryPolicy:
    """The default retry policy, or one with `fields` changed, that never waits.

    Args:
        **fields: Any other `RetryPolicy` field, such as `max_retries=5`.

    Returns:
        A `RetryPolicy` whose `sleep` is `no_wait`.

    Raises:
        ValueError: A field is invalid, as `RetryPolicy` checks it.
    """
    return RetryPolicy(**{"sleep": no_wait, **fields})


def instant_polls(**fields: Any) -> PollPolicy:
    """The default poll policy, or one with `fields` changed, that never waits.

    Its `jitter` is 0, so that the delays it would have waited are exact.

    Args:
        **fields: Any other `PollPolicy` field, such as `max_failed_polls=2`.

    Returns:
        A `PollPolicy` whose `sleep` is `no_wait`.

    Raises:
        ValueError: A field is invalid, as `PollPolicy` checks it.
    """
    return PollPolicy(**{"sleep": no_wait, "jitter": 0.0, **fields})


@contextlib.contextmanager
def instant_waits() -> Iterator[None]:
    """Within the block, every policy with the default `sleep` waits no time.

    Process-wide: it covers `RetryPolicy()` and `PollPolicy()` made before or inside the
    block, the policies a `DataFlowClient` makes for itself, and every thread and event
    loop. A policy given a `sleep` of its own keeps it. Blocks may nest; on leaving the
    outermost one, waits are real again.

    Yields:
        Nothing; the waits are instant until the block ends.
    """
    with instant():
        yield
