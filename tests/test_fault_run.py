"""Proof under faults: long walks on the emulator while it injects a seeded mix."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Iterator

import pytest

from dataflow_async import DataFlowClient
from dataflow_async.emulator import FaultPlan, RunningEmulator, make_jobs, run_emulator

from .fault_run import FAULT_MIX, POLICY, walk_under_faults


@pytest.fixture(scope="module")
def served() -> Iterator[RunningEmulator]:
    with run_emulator(jobs=make_jobs(30_000, seed=11)) as emu:
        yield emu


def connection_states(client: DataFlowClient) -> list[str]:
    pool = client.http_client._transport._pool  # type: ignore[attr-defined]
    return [repr(c).split(", ")[2] for c in pool.connections]


def assert_clean(client: DataFlowClient) -> None:
    pool = client.http_client._transport._pool  # type: ignore[attr-defined]
    assert pool._requests == []
    # No connection is left checked out (a socket held for nobody); a never-connected
    # one ("NEW", no socket) that httpcore may leave is reclaimed by the next request.
    assert "ACTIVE" not in connection_states(client), asyncio.all_tasks()
    assert asyncio.all_tasks() == {asyncio.current_task()}


@pytest.mark.parametrize("prefetch", [0, 3])
async def test_every_job_once_in_order_under_faults(
    served: RunningEmulator, prefetch: int, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        ids, figures = await walk_under_faults(
            served, rate=0.2, seed=11 + prefetch, page_size=250, prefetch=prefetch
        )
    assert figures.jobs == 30_000 and len(set(ids)) == 30_000
    assert figures.in_order
    injected = figures.faults
    assert set(injected) == {
        "throttle",
        "server-failure",
        "drop-connection",
        "truncated-body",
        "latency",
    }
    failing = sum(injected.values()) - injected["latency"]
    # Each failure of a needed page was retried once; with prefetch, a page requested
    # ahead is sent once without retries (and asked for again when it is needed).
    assert figures.retries <= failing
    if not prefetch:
        assert figures.retries == failing
    assert asyncio.all_tasks() == {asyncio.current_task()}
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


async def test_consumers_cancelled_at_random_points_leave_nothing(
    served: RunningEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    served.app.faults = FaultPlan.random(seed=3, rate=0.3, faults=FAULT_MIX)
    rng = random.Random(7)
    async with DataFlowClient(served.credentials, base_url=served.url, retry=POLICY) as client:

        async def consume(prefetch: int) -> int:
            seen = 0
            async for _ in client.iter_jobs(page_size=200, prefetch=prefetch):
                seen += 1
            return seen

        with caplog.at_level(logging.WARNING, logger="asyncio"):
            tasks = [asyncio.create_task(consume(rng.choice([0, 1, 4]))) for _ in range(12)]
            for task in tasks:
                await asyncio.sleep(rng.uniform(0.0, 0.05))
                task.cancel()
            results = await asyncio.gather(*tasks, return_exceptions=True)
        assert all(isinstance(r, asyncio.CancelledError) for r in results)
        assert_clean(client)
        served.app.faults = None
        await client.list_jobs(limit=1)  # the pool is healthy, and keeps no half-made slot
        assert set(connection_states(client)) <= {"IDLE", "CLOSED"}
    assert [r for r in caplog.records if r.name == "asyncio"] == []
