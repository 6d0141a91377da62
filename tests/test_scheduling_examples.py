"""The scheduling recipes of docs/examples, run against the emulator.

run_batch and daily_workflow run in virtual time (tests/virtual.py); the APScheduler
recipes in fast real time (APScheduler keeps its own clock), APScheduler 4 in a
subprocess, since it cannot share a virtual environment with APScheduler 3.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from dataflow_async import DataFlowClient, PollPolicy
from dataflow_async.emulator import EmulatorApp, ManualClock, RunningEmulator, run_emulator

from .test_examples import EXAMPLES, load, user_environment
from .virtual import assert_nothing_left, poll_policy, settle, virtual_client

run_batch = load("run_batch")

APSCHEDULER4 = Path(__file__).resolve().parent.parent / ".venv" / "apscheduler4"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def app(clock: ManualClock) -> EmulatorApp:
    return EmulatorApp([], clock=clock)


@pytest.fixture
async def client(
    app: EmulatorApp, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> AsyncIterator[DataFlowClient]:
    caplog.set_level(logging.WARNING, logger="asyncio")
    async with virtual_client(app, clock) as c:
        yield c
        await settle()
        assert_nothing_left(c)
    assert [r.getMessage() for r in caplog.records if r.name == "asyncio"] == []


async def new_jobs(client: DataFlowClient, count: int, prefix: str = "batch") -> list[str]:
    return [(await client.jobs.create(name=f"{prefix}_{n}")).job_id for n in range(count)]


def most_at_once(app: EmulatorApp) -> int:
    """The most executions READY or RUNNING at the same time on the server."""
    events: list[tuple[datetime, int]] = []
    for run in app.executions.list():
        events.append((datetime.fromisoformat(run["createdDate"]), 1))
        events.append((datetime.fromisoformat(run["endDate"]), -1))
    active = peak = 0
    for _, change in sorted(events):  # at a tie an end sorts first: a slot freed, then taken
        active += change
        peak = max(peak, active)
    return peak


# run_batch.py


async def test_run_batch_sorts_each_run_and_keeps_to_its_limit(
    app: EmulatorApp, clock: ManualClock, client: DataFlowClient
) -> None:
    job_ids = await new_jobs(client, 20)
    for n, job_id in enumerate(job_ids):
        outcome = "FAILED" if n % 5 == 1 else "COMPLETED"
        app.executions.plan(job_id, outcome=outcome, ready=10, running=600 + 60 * n)
    app.executions.plan(job_ids[3], ready=10, running=40 * 3600)  # outlasts the timeout

    async def cancel_one_on_the_server() -> None:
        for _ in range(10_000):
            runs = app.executions.list(job_ids[7])
            if runs and runs[0]["status"] == "RUNNING":
                await client.executions.cancel(job_ids[7], runs[0]["jobExecutionId"])
                return
            await asyncio.sleep(0)

    canceller = asyncio.create_task(cancel_one_on_the_server())
    report = await run_batch.main(
        client, job_ids, limit=5, timeout=6 * 3600, poll=poll_policy(clock)
    )
    await canceller
    assert sorted(e.job_id for e in report.failed) == sorted(job_ids[n] for n in (1, 6, 11, 16))
    assert [e.job_id for e in report.canceled] == [job_ids[7]]
    assert [e.execution.job_id for e in report.timed_out] == [job_ids[3]]
    assert report.errors == [] and len(report.completed) == 14
    assert report.lines()[-1] == "14 completed, 4 failed, 1 canceled, 1 timed out, 0 errors"
    assert len(app.executions) == 20  # each started once
    assert app.executions.status(report.timed_out[0].execution.execution_id) == "RUNNING"
    app.executions.clear()  # (the timed-out run would never end below)
    assert most_at_once(app) == 0


async def test_run_batch_runs_no_more_than_its_limit_at_once(
    app: EmulatorApp, clock: ManualClock, client: DataFlowClient
) -> None:
    job_ids = await new_jobs(client, 20)
    app.executions.plan(ready=5, running=900)
    report = await run_batch.main(client, job_ids, limit=5, poll=poll_policy(clock))
    assert len(report.completed) == 20
    assert most_at_once(app) == 5


async def test_an_interrupted_batch_cancels_the_runs_it_waited_for(
    app: EmulatorApp, clock: ManualClock, client: DataFlowClient
) -> None:
    job_ids = await new_jobs(client, 20)
    app.executions.plan(ready=5, running=3600)
    batch = asyncio.create_task(run_batch.main(client, job_ids, limit=5, poll=poll_policy(clock)))
    for _ in range(10_000):
        await asyncio.sleep(0)
        if sum(r["status"] == "RUNNING" for r in app.executions.list()) == 5:
            break
    batch.cancel()  # Ctrl-C
    with pytest.raises(asyncio.CancelledError):
        await batch
    statuses = [r["status"] for r in app.executions.list()]
    assert statuses == ["CANCELED"] * 5  # the 5 being waited for; no other was started
