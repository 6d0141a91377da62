"""Clients of the emulator in virtual time, for the run-and-await tests and the runs.

One `ManualClock` is shared by the emulator (how far executions have progressed), the
signer (so that signatures stay fresh while time jumps), the retry policy and the poll
policy (whose sleeps advance it instead of waiting). Executions that run for hours end
in milliseconds of wall clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator
from typing import Any

import httpx

from dataflow_async import (
    Credentials,
    DataFlowClient,
    NcpSignatureAuth,
    PollPolicy,
    RetryPolicy,
)
from dataflow_async.emulator import (
    DEFAULT_ACCESS_KEY,
    DEFAULT_SECRET_KEY,
    EmulatorApp,
    ManualClock,
)

CREDENTIALS = Credentials(DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY)
IN_PROCESS_URL = "http://emulator.test"


def poll_policy(clock: ManualClock, *, seed: int = 0, **kwargs: Any) -> PollPolicy:
    """The default poll policy, sleeping on ``clock`` with seeded jitter."""
    return PollPolicy(sleep=clock.sleep, clock=clock, random=random.Random(seed).random, **kwargs)


def retry_policy(clock: ManualClock, **kwargs: Any) -> RetryPolicy:
    """Two quick retries in virtual time; no budget (the runs inject faults on purpose)."""
    options: dict[str, Any] = {
        "max_retries": 2,
        "initial_backoff": 0.5,
        "max_backoff": 2.0,
        "budget_tokens": None,
        "random": random.Random(0).random,
        "sleep": clock.sleep,
        "clock": clock,
    }
    return RetryPolicy(**(options | kwargs))


@contextlib.asynccontextmanager
async def virtual_client(
    app: EmulatorApp, clock: ManualClock, *, url: str | None = None, **kwargs: Any
) -> AsyncIterator[DataFlowClient]:
    """A client of ``app``: in process when ``url`` is None, else over loopback."""
    auth = NcpSignatureAuth(CREDENTIALS, clock=clock)
    if url is None:
        http = httpx.AsyncClient(transport=app.transport(), base_url=IN_PROCESS_URL, auth=auth)
    else:
        http = httpx.AsyncClient(base_url=url, auth=auth)
    kwargs.setdefault("retry", retry_policy(clock))
    async with http, DataFlowClient(http_client=http, **kwargs) as client:
        yield client


def checked_out(client: DataFlowClient) -> list[str]:
    """The connections of the client's pool held by a request (none in process)."""
    pool = getattr(client.http_client._transport, "_pool", None)
    if pool is None:
        return []
    held = [repr(c) for c in pool.connections if not (c.is_idle() or c.is_closed())]
    return held + [repr(r) for r in pool._requests]


def assert_nothing_left(client: DataFlowClient) -> None:
    """No other task, and no connection checked out of the client's pool."""
    assert asyncio.all_tasks() == {asyncio.current_task()}, asyncio.all_tasks()
    # A never-connected slot (NEW, no socket) that httpcore may leave after a cancel is
    # reclaimed by the next request: only a connection holding a socket counts.
    assert [c for c in checked_out(client) if "NEW" not in c] == []


async def settle(rounds: int = 50) -> None:
    """Let tasks woken by cancellation finish (bounded)."""
    for _ in range(rounds):
        if asyncio.all_tasks() == {asyncio.current_task()}:
            return
        await asyncio.sleep(0)
