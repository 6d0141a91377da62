"""The scheduling recipes of docs/examples, run against the emulator.

run_batch and daily_workflow run in virtual time (tests/virtual.py); the APScheduler
recipes in fast real time (APScheduler keeps its own clock), APScheduler 4 in a
subprocess, since it cannot share a virtual environment with APScheduler 3.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from dataflow_async import DataFlowClient, NcpSignatureAuth, PollPolicy
from dataflow_async.emulator import EmulatorApp, ManualClock, RunningEmulator, run_emulator

from .test_examples import EXAMPLES, load, user_environment
from .virtual import (
    CREDENTIALS,
    IN_PROCESS_URL,
    assert_nothing_left,
    poll_policy,
    settle,
    virtual_client,
)

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


# run_interval_aps3.py (APScheduler 3): real time, short intervals, a real-time emulator.

run_interval_aps3 = load("run_interval_aps3")
FAST_POLL = PollPolicy(initial=0.005, maximum=0.02, jitter=0.0)


@pytest.fixture
async def fast() -> AsyncIterator[tuple[EmulatorApp, DataFlowClient]]:
    """An emulator on the real clock, in process, and its client."""
    app = EmulatorApp([])
    http = httpx.AsyncClient(
        transport=app.transport(), base_url=IN_PROCESS_URL, auth=NcpSignatureAuth(CREDENTIALS)
    )
    async with http, DataFlowClient(http_client=http) as c:
        yield app, c
        await settle()
        assert_nothing_left(c)


async def run_aps3_until(client: DataFlowClient, job_id: str, outcomes: int, **options: Any) -> Any:
    """Run the recipe until it logged ``outcomes`` runs; stop it; return its IntervalRun."""
    lines: list[str] = []
    stop = asyncio.Event()

    def report(line: str) -> None:
        lines.append(line)
        if len(lines) >= outcomes:
            stop.set()

    async with asyncio.timeout(10):
        return await run_interval_aps3.main(
            client, job_id, stop, poll=FAST_POLL, report=report, **options
        )


async def test_aps3_logs_how_each_run_ended(
    fast: tuple[EmulatorApp, DataFlowClient], caplog: pytest.LogCaptureFixture
) -> None:
    app, client = fast
    caplog.set_level(logging.WARNING)
    job_id = (await client.jobs.create(name="hourly")).job_id
    app.executions.plan_random(
        job_id, seed=2, failure_rate=0.5, ready=(0, 0.01), running=(0.01, 0.03)
    )
    runs = await run_aps3_until(client, job_id, 5, interval=0.1)
    assert len(runs.outcomes) >= 5
    stored = {r["jobExecutionId"]: r["status"] for r in app.executions.list(job_id)}
    assert len(stored) == len(runs.outcomes)  # one execution per tick, none twice
    assert sorted(runs.outcomes) == sorted(f"{i} {s}" for i, s in stored.items())
    assert {"COMPLETED", "FAILED"} <= set(stored.values())
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR or r.name == "asyncio"]
    assert errors == []


@pytest.mark.parametrize("cancel_on_shutdown", [True, False])
async def test_aps3_shutdown_abandons_the_run_as_told(
    fast: tuple[EmulatorApp, DataFlowClient],
    caplog: pytest.LogCaptureFixture,
    cancel_on_shutdown: bool,
) -> None:
    app, client = fast
    job_id = (await client.jobs.create(name="hourly")).job_id
    app.executions.plan(job_id, ready=0.0, running=3600)
    stop = asyncio.Event()
    main = asyncio.create_task(
        run_interval_aps3.main(
            client,
            job_id,
            stop,
            interval=60,
            poll=FAST_POLL,
            cancel_on_shutdown=cancel_on_shutdown,
        )
    )
    async with asyncio.timeout(5):
        while len(app.requests) < 4:  # noqa: ASYNC110 - created, started, polled twice
            await asyncio.sleep(0.005)
    stop.set()
    runs = await asyncio.wait_for(main, 5)
    action = "cancelled it" if cancel_on_shutdown else "left it running"
    assert runs.outcomes == [f"stopped waiting on shutdown ({action})"]
    (run,) = app.executions.list(job_id)
    assert run["status"] == ("CANCELED" if cancel_on_shutdown else "RUNNING")
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_aps3_skips_a_tick_while_the_job_has_no_free_slot(
    fast: tuple[EmulatorApp, DataFlowClient],
) -> None:
    app, client = fast
    job_id = (await client.jobs.create(name="hourly", max_concurrent_runs=1)).job_id
    app.executions.plan(job_id, ready=0.0, running=3600)
    await client.executions.start(job_id)  # started elsewhere, still running
    runs = await run_aps3_until(client, job_id, 2, interval=0.05)
    assert runs.outcomes[:2] == ["skipped: the job still runs as many executions as it may"] * 2
    assert len(app.executions.list(job_id)) == 1


# run_interval_aps4.py (APScheduler 4): run as a user runs it, in a subprocess whose path
# holds APScheduler 4 (installed apart by `make`: it cannot share a venv with 3.x).


def run_aps4(
    emu: RunningEmulator, job_id: str, until: Callable[[], bool], *options: str
) -> list[str]:
    """Run the recipe until ``until()`` holds (15 s at most), then SIGTERM it; its log."""
    env = user_environment(emu) | {"PYTHONPATH": str(APSCHEDULER4)}
    command = [sys.executable, "-W", "error", str(EXAMPLES / "run_interval_aps4.py"), job_id]
    with subprocess.Popen(
        [*command, "--interval", "0.1", "--poll", "0.005", *options],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        try:
            deadline = time.monotonic() + 15
            while not until() and time.monotonic() < deadline and process.poll() is None:
                time.sleep(0.01)
            process.send_signal(signal.SIGTERM)
            _, log = process.communicate(timeout=20)
        finally:
            process.kill()
    assert process.returncode == 0, log
    return log.splitlines()


@pytest.fixture
def served() -> Iterator[RunningEmulator]:
    with run_emulator(jobs=0) as emu:
        yield emu


needs_aps4 = pytest.mark.skipif(
    not APSCHEDULER4.is_dir(), reason=f"APScheduler 4 is not installed in {APSCHEDULER4} (make)"
)


async def new_served_job(emu: RunningEmulator, **plan: Any) -> str:
    async with DataFlowClient(emu.credentials, base_url=emu.url) as client:
        job_id = (await client.jobs.create(name="hourly")).job_id
    emu.app.executions.plan(job_id, **plan)
    return job_id


@needs_aps4
async def test_aps4_logs_how_each_run_ended(served: RunningEmulator) -> None:
    job_id = await new_served_job(served, ready=0.0, running=0.02)
    runs = served.app.executions

    def three_ended() -> bool:  # one run at a time: a 4th started once the 3rd was logged
        return len(runs.list(job_id)) >= 4

    lines = run_aps4(served, job_id, three_ended)
    ticks = [line.split(f"job {job_id}: ", 1)[1] for line in lines if f"job {job_id}: " in line]
    stored = {r["jobExecutionId"]: r["status"] for r in served.app.executions.list(job_id)}
    assert len(ticks) >= 3 and len(stored) >= 3
    # Each run logged as it ended; a run cut short by the SIGTERM says so.
    finished = [t for t in ticks if not t.startswith("stopped waiting")]
    assert set(finished) <= {f"{i} {s}" for i, s in stored.items()}
    assert len(set(finished)) == len(finished) >= 3  # each run once
    assert {t.split()[1] for t in finished} == {"COMPLETED"}
    assert ticks.count("stopped waiting on shutdown (left it running)") <= 1
    assert "stopped after" in lines[-1]
    assert not [line for line in lines if "ERROR" in line or "Traceback" in line]


@needs_aps4
async def test_aps4_sigterm_cancels_the_run_when_told(served: RunningEmulator) -> None:
    # (Leaving it running is the same code as with APScheduler 3, tested above; what
    # differs is that APScheduler 4 cancels the tick through anyio, at every step.)
    cancel_on_shutdown = True
    job_id = await new_served_job(served, ready=0.0, running=3600)
    options = ["--cancel-on-shutdown"] if cancel_on_shutdown else []
    served.app.reset()

    def polled_twice() -> bool:  # the first tick started the run and waits for it
        return sum(r.method == "GET" for r in served.app.requests) >= 2

    lines = run_aps4(served, job_id, polled_twice, *options)
    action = "cancelled it" if cancel_on_shutdown else "left it running"
    stopped = f"job {job_id}: stopped waiting on shutdown ({action})"
    assert any(line.endswith(stopped) for line in lines), lines
    (run,) = served.app.executions.list(job_id)
    assert run["status"] == ("CANCELED" if cancel_on_shutdown else "RUNNING")
    assert not [line for line in lines if "ERROR" in line or "Traceback" in line]


# daily_workflow.py: virtual time in process; the SIGTERM path as a user runs it.

daily_workflow = load("daily_workflow")
KST = dt.timezone(dt.timedelta(hours=9))


async def three_step_workflow(client: DataFlowClient, app: EmulatorApp, running: float) -> str:
    jobs = [(await client.jobs.create(name=f"step_{n}")).job_id for n in range(3)]
    for job_id in jobs:
        app.executions.plan(job_id, ready=5, running=running)
    trigger = await client.triggers.create(name="manual", type="NONE", rule={"type": "NONE"})
    nodes: list[dict[str, Any]] = [
        {"id": trigger.trigger_id, "name": "manual", "type": "TRIGGER", "parent_node_ids": []}
    ]
    nodes += [
        {"id": j, "name": f"step_{n}", "type": "JOB", "parent_node_ids": [trigger.trigger_id]}
        for n, j in enumerate(jobs)
    ]
    return (await client.workflows.create(name="nightly", nodes=nodes)).workflow_id


def created_hours(app: EmulatorApp) -> list[str]:
    return sorted(
        {
            dt.datetime.fromisoformat(r["createdDate"]).astimezone(KST).strftime("%m-%d %H:%M")
            for r in app.executions.list()
        }
    )


async def test_daily_workflow_runs_each_day_at_its_time(
    app: EmulatorApp, clock: ManualClock, client: DataFlowClient
) -> None:
    workflow_id = await three_step_workflow(client, app, running=1800)
    lines: list[str] = []
    await daily_workflow.main(
        client,
        workflow_id,
        at=dt.time(2, 0),
        tz=KST,
        poll=poll_policy(clock),
        now=clock,
        sleep=clock.sleep,
        days=2,
        report=lines.append,
    )
    assert len(lines) == 2 and len(app.executions) == 6
    assert all(
        " 02:00: COMPLETED (step_0 COMPLETED, step_1 COMPLETED, step_2 COMPLETED)" in line
        for line in lines
    ), lines
    days = created_hours(app)
    assert len(days) == 2 and all(day.endswith("02:00") for day in days)


async def test_daily_workflow_past_its_timeout_leaves_the_run_and_goes_on(
    app: EmulatorApp, clock: ManualClock, client: DataFlowClient
) -> None:
    workflow_id = await three_step_workflow(client, app, running=5 * 3600)
    lines: list[str] = []
    await daily_workflow.main(
        client,
        workflow_id,
        at=dt.time(2, 0),
        tz=KST,
        timeout=3600,
        poll=poll_policy(clock),
        now=clock,
        sleep=clock.sleep,
        days=1,
        report=lines.append,
    )
    assert "still running after 3600 s" in lines[0]
    assert {r["status"] for r in app.executions.list()} == {"RUNNING"}


async def test_daily_workflow_cancelled_mid_run_cancels_it_on_the_server(
    app: EmulatorApp, clock: ManualClock, client: DataFlowClient
) -> None:
    workflow_id = await three_step_workflow(client, app, running=5 * 3600)
    task = asyncio.create_task(
        daily_workflow.main(
            client,
            workflow_id,
            at=dt.time(2, 0),
            tz=KST,
            poll=poll_policy(clock),
            now=clock,
            sleep=clock.sleep,
        )
    )
    for _ in range(10_000):  # until the three are RUNNING and waited for
        await asyncio.sleep(0)
        if len(app.requests) > 12 and {r["status"] for r in app.executions.list()} == {"RUNNING"}:
            break
    task.cancel()  # SIGTERM
    with pytest.raises(asyncio.CancelledError):
        await task
    assert [r["status"] for r in app.executions.list()] == ["CANCELED"] * 3


def signal_daily(emu: RunningEmulator, workflow_id: str, signum: int) -> tuple[int, str]:
    """Run the recipe with --now; send ``signum`` once the run's three executions are
    being polled; its exit status and log."""
    command = [sys.executable, "-W", "error", str(EXAMPLES / "daily_workflow.py"), workflow_id]
    with subprocess.Popen(
        [*command, "--now", "--poll", "0.005"],
        env=user_environment(emu),
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        try:
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline and process.poll() is None:
                polls = {r.target for r in emu.app.requests if r.method == "GET"}
                if len([t for t in polls if "/jobs/" in t]) >= 3:
                    break
                time.sleep(0.01)
            process.send_signal(signum)
            _, log = process.communicate(timeout=20)
        finally:
            process.kill()
    return process.returncode, log


async def test_daily_workflow_on_sigterm_cancels_the_run_and_exits_cleanly(
    served: RunningEmulator,
) -> None:
    signum = signal.SIGTERM  # (SIGINT cancels the same way, through asyncio.run)
    async with DataFlowClient(served.credentials, base_url=served.url) as c:
        workflow_id = await three_step_workflow(c, served.app, running=3600)
    returncode, log = signal_daily(served, workflow_id, signum)
    assert returncode == 0, log
    assert log.splitlines()[-1].endswith("stopped; a run in progress was cancelled on the server")
    assert [r["status"] for r in served.app.executions.list()] == ["CANCELED"] * 3
    assert "Traceback" not in log and "ERROR" not in log
