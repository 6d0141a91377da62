"""executions.run/wait/watch and workflows.run end to end: the real client against the
emulator, in process and over loopback, in virtual time (tests/virtual.py).

After each test no task is left and no connection is checked out; the suite turns any
warning into an error, and asyncio's own complaints (a task destroyed while pending, an
exception never retrieved) fail the test too.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator

import attrs
import pytest

from dataflow_async import (
    AmbiguousWriteError,
    ConcurrencyLimitError,
    DataFlowClient,
    ExecutionCanceledError,
    ExecutionFailedError,
    ExecutionStatus,
    NotFoundError,
    ServerError,
    WaitTimeoutError,
)
from dataflow_async.emulator import (
    DropConnection,
    EmulatorApp,
    FaultPlan,
    Latency,
    LostResponse,
    ManualClock,
    RunningEmulator,
    ServerFailure,
    run_emulator,
)
from dataflow_async.types import Trigger, Workflow

from .virtual import assert_nothing_left, poll_policy, settle, virtual_client

START = r"/executions$"
POLL = r"/executions/[^/]+$"


@attrs.define
class Env:
    app: EmulatorApp
    clock: ManualClock
    url: str | None  # None: in process


@pytest.fixture(scope="module")
def served() -> Iterator[RunningEmulator]:
    clock = ManualClock()
    with run_emulator(EmulatorApp([], clock=clock)) as emu:
        yield emu


@pytest.fixture(params=["in-process", "loopback"])
def env(request: pytest.FixtureRequest, served: RunningEmulator) -> Env:
    if request.param == "in-process":
        clock = ManualClock()
        return Env(EmulatorApp([], clock=clock), clock, None)
    app = served.app
    app.faults = FaultPlan()
    app.executions.clear_plans()
    app.reset()
    clock = app.clock
    assert isinstance(clock, ManualClock)
    return Env(app, clock, served.url)


@pytest.fixture
async def client(env: Env, caplog: pytest.LogCaptureFixture) -> AsyncIterator[DataFlowClient]:
    caplog.set_level(logging.WARNING, logger="asyncio")
    async with virtual_client(env.app, env.clock, url=env.url) as c:
        yield c
        await settle()
        assert_nothing_left(c)
    assert [r.getMessage() for r in caplog.records if r.name == "asyncio"] == []


async def new_job(client: DataFlowClient, name: str = "nightly", runs: int = 1) -> str:
    job = await client.jobs.create(name=name, type="SCRIPT", max_concurrent_runs=runs)
    return job.job_id


def posts(env: Env, pattern: str) -> list[str]:
    return [r.target for r in env.app.requests if r.method == "POST" and r.target.endswith(pattern)]


async def until_awaited(env: Env, job_id: str) -> None:
    """Until the job's run is RUNNING and its waiter has polled it (5 s at most: over
    loopback the emulator answers from another thread)."""
    async with asyncio.timeout(5):
        while True:
            runs = env.app.executions.list(job_id)
            polled = runs and any(
                r.method == "GET" and r.target.endswith(runs[0]["jobExecutionId"])
                for r in env.app.requests
            )
            if polled and runs[0]["status"] == "RUNNING":
                return
            await asyncio.sleep(0.001)


# Unhappy paths first: timeouts, failed polls, limits, cancellation, lost answers.


async def test_timeout_raises_with_the_last_state_and_the_run_goes_on(
    env: Env, client: DataFlowClient
) -> None:
    job_id = await new_job(client)
    env.app.executions.plan(job_id, ready=5, running=4 * 3600)
    with pytest.raises(WaitTimeoutError) as info:
        await client.executions.run(job_id, timeout=600, poll=poll_policy(env.clock))
    assert isinstance(info.value, TimeoutError)
    last = info.value.execution
    assert last is not None and last.status is ExecutionStatus.RUNNING
    assert env.app.executions.status(last.execution_id) == "RUNNING"
    assert posts(env, "/cancel") == []
    # wait() alone honours its timeout the same way.
    with pytest.raises(WaitTimeoutError):
        await client.executions.wait(
            job_id, last.execution_id, timeout=60, poll=poll_policy(env.clock)
        )


async def test_failed_polls_are_tolerated_then_the_last_error_is_raised(
    env: Env, client: DataFlowClient
) -> None:
    job_id = await new_job(client)
    env.app.executions.plan(job_id, ready=1, running=20)
    started = await client.executions.start(job_id)
    # Each failed poll is a GET that failed its retries: three attempts each.
    env.app.faults = FaultPlan.script(*[ServerFailure(503)] * 12, methods=("GET",), path=POLL)
    done = await client.executions.wait(
        job_id, started.execution_id, poll=poll_policy(env.clock, max_failed_polls=5)
    )
    assert done.status is ExecutionStatus.COMPLETED
    assert env.app.faults.remaining == 0

    second = await client.executions.start(job_id)
    env.app.faults = FaultPlan.script(*[ServerFailure(503)] * 15, methods=("GET",), path=POLL)
    with pytest.raises(ServerError) as info:
        await client.executions.wait(
            job_id, second.execution_id, poll=poll_policy(env.clock, max_failed_polls=5)
        )
    assert info.value.status_code == 503
    assert env.app.faults.remaining == 0  # 5 polls x 3 attempts, then no more


async def test_a_permanent_error_ends_the_wait_at_once(env: Env, client: DataFlowClient) -> None:
    job_id = await new_job(client)
    with pytest.raises(NotFoundError):
        await client.executions.wait(job_id, "nosuchrun", poll=poll_policy(env.clock))
    assert len(env.app.requests) == 2  # the create, one poll


async def test_concurrency_limit_raises_or_waits_for_a_slot(
    env: Env, client: DataFlowClient
) -> None:
    job_id = await new_job(client, runs=1)
    env.app.executions.plan(job_id, ready=2, running=300)
    first = await client.executions.start(job_id)
    with pytest.raises(ConcurrencyLimitError):
        await client.executions.run(job_id, poll=poll_policy(env.clock))
    assert len(env.app.executions.list(job_id)) == 1  # the refused start made nothing

    with pytest.raises(WaitTimeoutError) as info:
        await client.executions.run(
            job_id, wait_for_slot=True, timeout=120, poll=poll_policy(env.clock)
        )
    assert info.value.execution is None
    assert len(env.app.executions.list(job_id)) == 1

    second = await client.executions.run(job_id, wait_for_slot=True, poll=poll_policy(env.clock))
    assert second.status is ExecutionStatus.COMPLETED
    runs = env.app.executions.list(job_id)
    assert [r["jobExecutionId"] for r in runs] == [second.execution_id, first.execution_id]
    assert runs[1]["status"] == "COMPLETED" and runs[0]["createdDate"] >= runs[1]["endDate"]


@pytest.mark.parametrize("cancel_on_abandon", [True, False])
async def test_a_cancelled_waiter_cancels_the_run_only_when_asked(
    env: Env, client: DataFlowClient, cancel_on_abandon: bool
) -> None:
    job_id = await new_job(client)
    env.app.executions.plan(job_id, ready=5, running=3600)
    task = asyncio.create_task(
        client.executions.run(
            job_id, cancel_on_abandon=cancel_on_abandon, poll=poll_policy(env.clock)
        )
    )
    await until_awaited(env, job_id)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    (run,) = env.app.executions.list(job_id)
    if cancel_on_abandon:
        assert run["status"] == "CANCELED"
        assert posts(env, "/cancel") == [
            f"/api/v1/jobs/{job_id}/executions/{run['jobExecutionId']}/cancel"
        ]
    else:
        assert run["status"] == "RUNNING"
        assert posts(env, "/cancel") == []


async def test_a_lost_start_response_is_reconciled_exactly_once(
    env: Env, client: DataFlowClient
) -> None:
    job_id = await new_job(client)
    env.app.executions.plan(job_id, ready=1, running=60)
    env.app.faults = FaultPlan.script(LostResponse(), methods=("POST",), path=START)
    done = await client.executions.run(job_id, poll=poll_policy(env.clock))
    (run,) = env.app.executions.list(job_id)
    assert done.execution_id == run["jobExecutionId"] and done.status is ExecutionStatus.COMPLETED
    assert len(posts(env, "/executions")) == 1  # never sent twice

    # A 504 after the execution was made: the same. (Reconciliation looks back 300 s, the
    # gateway's skew tolerance: a run started within that window would be a candidate too.)
    env.clock.advance(301)
    env.app.faults = FaultPlan.script(LostResponse(504), methods=("POST",), path=START)
    again = await client.executions.run(job_id, poll=poll_policy(env.clock))
    assert len(env.app.executions.list(job_id)) == 2 and len(posts(env, "/executions")) == 2
    assert again.execution_id == env.app.executions.list(job_id)[0]["jobExecutionId"]


async def test_a_dropped_start_that_made_nothing_raises_and_starts_nothing(
    env: Env, client: DataFlowClient
) -> None:
    job_id = await new_job(client)
    env.app.faults = FaultPlan.script(DropConnection(), methods=("POST",), path=START)
    with pytest.raises(AmbiguousWriteError) as info:
        await client.executions.run(job_id, poll=poll_policy(env.clock))
    assert info.value.candidates == ()
    assert env.app.executions.list(job_id) == []
    assert len(posts(env, "/executions")) == 1


# Outcomes.


async def test_run_returns_a_completed_execution_and_watch_sees_each_status(
    env: Env, client: DataFlowClient
) -> None:
    job_id = await new_job(client)
    env.app.executions.plan(job_id, ready=30, running=600)
    done = await client.executions.run(job_id, poll=poll_policy(env.clock))
    assert done.status is ExecutionStatus.COMPLETED
    assert env.app.executions.get(done.execution_id)["status"] == "COMPLETED"  # type: ignore[index]

    started = await client.executions.start(job_id)
    seen = [
        e.status
        async for e in client.executions.watch(
            job_id, started.execution_id, poll=poll_policy(env.clock)
        )
    ]
    assert seen == [ExecutionStatus.READY, ExecutionStatus.RUNNING, ExecutionStatus.COMPLETED]


async def test_run_raises_for_a_failed_execution_unless_told_not_to(
    env: Env, client: DataFlowClient
) -> None:
    job_id = await new_job(client)
    env.app.executions.plan(job_id, outcome="FAILED", ready=1, running=90)
    with pytest.raises(ExecutionFailedError) as info:
        await client.executions.run(job_id, poll=poll_policy(env.clock))
    assert info.value.execution.status is ExecutionStatus.FAILED
    assert env.app.executions.status(info.value.execution.execution_id) == "FAILED"
    done = await client.executions.run(job_id, raise_on_failure=False, poll=poll_policy(env.clock))
    assert done.status is ExecutionStatus.FAILED


async def test_run_raises_for_an_execution_canceled_on_the_server(
    env: Env, client: DataFlowClient
) -> None:
    job_id = await new_job(client)
    env.app.executions.plan(job_id, ready=1, running=3600)

    async def cancel_when_running() -> None:
        # Bounded in real time, not in loop turns: over loopback on a busy machine a
        # thousand turns can pass before the run's first poll comes back.
        async with asyncio.timeout(10):
            while True:
                runs = env.app.executions.list(job_id)
                if runs and runs[0]["status"] == "RUNNING":
                    await client.executions.cancel(job_id, runs[0]["jobExecutionId"])
                    return
                await asyncio.sleep(0.001)

    canceller = asyncio.create_task(cancel_when_running())
    with pytest.raises(ExecutionCanceledError) as info:
        await client.executions.run(job_id, poll=poll_policy(env.clock))
    await canceller
    assert info.value.execution.status is ExecutionStatus.CANCELED
    assert env.app.executions.status(info.value.execution.execution_id) == "CANCELED"


async def new_workflow(env: Env, client: DataFlowClient) -> tuple[Workflow, Trigger, list[str]]:
    """A manual trigger fanning out to three new jobs, each running 10 minutes."""
    jobs = [await new_job(client, f"step_{n}") for n in range(3)]
    for job_id in jobs:
        env.app.executions.plan(job_id, ready=2, running=600)
    trigger = await client.triggers.create(name="manual", type="NONE", rule={"type": "NONE"})
    nodes = [{"id": trigger.trigger_id, "name": "manual", "type": "TRIGGER", "parent_node_ids": []}]
    nodes += [
        {"id": j, "name": f"step_{n}", "type": "JOB", "parent_node_ids": [trigger.trigger_id]}
        for n, j in enumerate(jobs)
    ]
    workflow = await client.workflows.create(name="daily", nodes=nodes)
    return workflow, trigger, jobs


async def test_a_workflow_run_past_its_timeout_raises_wait_timeout_not_a_group(
    env: Env, client: DataFlowClient
) -> None:
    workflow, _, jobs = await new_workflow(env, client)
    with pytest.raises(WaitTimeoutError) as info:
        await client.workflows.run(workflow.workflow_id, timeout=300, poll=poll_policy(env.clock))
    assert info.value.execution is not None and info.value.execution.job_id in jobs
    assert {r["status"] for j in jobs for r in env.app.executions.list(j)} == {"RUNNING"}


@pytest.mark.parametrize("cancel_on_abandon", [True, False])
async def test_a_cancelled_workflow_run_cancels_its_executions_only_when_asked(
    env: Env, client: DataFlowClient, cancel_on_abandon: bool
) -> None:
    workflow, _, jobs = await new_workflow(env, client)
    task = asyncio.create_task(
        client.workflows.run(
            workflow.workflow_id, cancel_on_abandon=cancel_on_abandon, poll=poll_policy(env.clock)
        )
    )
    for job_id in jobs:
        await until_awaited(env, job_id)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    statuses = [r["status"] for j in jobs for r in env.app.executions.list(j)]
    assert statuses == (["CANCELED"] * 3 if cancel_on_abandon else ["RUNNING"] * 3)
    assert len(posts(env, "/cancel")) == (3 if cancel_on_abandon else 0)


async def test_workflow_run_collects_every_execution_of_the_run(
    env: Env, client: DataFlowClient
) -> None:
    workflow, trigger, jobs = await new_workflow(env, client)
    env.app.executions.plan(jobs[1], outcome="FAILED", ready=2, running=60)
    # An earlier run of the same workflow must not be mistaken for this one's.
    await client.workflows.execute(workflow.workflow_id)
    env.clock.advance(3600)

    run = await client.workflows.run(workflow.workflow_id, poll=poll_policy(env.clock))
    assert run.status is ExecutionStatus.FAILED and run.trigger_id == trigger.trigger_id
    newest = {j: env.app.executions.list(j)[0] for j in jobs}
    assert sorted(e.execution_id for e in run.executions) == sorted(
        r["jobExecutionId"] for r in newest.values()
    )
    assert {e.job_id: e.status for e in run.executions} == {
        jobs[0]: ExecutionStatus.COMPLETED,
        jobs[1]: ExecutionStatus.FAILED,
        jobs[2]: ExecutionStatus.COMPLETED,
    }
    assert len(posts(env, f"/workflows/{workflow.workflow_id}/executions")) == 2


async def test_a_run_that_ends_before_its_cancel_on_abandon_lands_is_no_warning(
    env: Env, client: DataFlowClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="dataflow_async")
    job_id = await new_job(client)
    env.app.executions.plan(job_id, ready=1, running=600)
    task = asyncio.create_task(
        client.executions.run(job_id, cancel_on_abandon=True, poll=poll_policy(env.clock))
    )
    await until_awaited(env, job_id)
    env.clock.advance(3600)  # it completes on the server before the waiter is cancelled
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    (run,) = env.app.executions.list(job_id)
    assert run["status"] == "COMPLETED" and len(posts(env, "/cancel")) == 1
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert warnings == []  # nothing went wrong: there was nothing left to cancel
    assert f"execution {run['jobExecutionId']} had already finished" in caplog.text


@pytest.mark.parametrize("cancel_on_abandon", [True, False])
async def test_a_waiter_cancelled_while_its_start_is_in_flight_cancels_only_when_asked(
    env: Env, client: DataFlowClient, cancel_on_abandon: bool
) -> None:
    job_id = await new_job(client)
    env.app.executions.plan(job_id, ready=5, running=3600)
    # The start's answer comes 0.2 s (real time) late: the waiter is cancelled meanwhile.
    env.app.faults = FaultPlan.script(Latency(0.2), methods=("POST",), path=START)
    task = asyncio.create_task(
        client.executions.run(
            job_id, cancel_on_abandon=cancel_on_abandon, poll=poll_policy(env.clock)
        )
    )
    async with asyncio.timeout(5):
        while env.app.faults.remaining:  # noqa: ASYNC110 - until the start is being served
            await asyncio.sleep(0.001)
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    if cancel_on_abandon:  # the start was seen through, then its execution cancelled
        (run,) = env.app.executions.list(job_id)
        assert run["status"] == "CANCELED"
        assert len(posts(env, "/cancel")) == 1
    else:  # abandoned: in process the request is dropped; over a socket it is served
        await asyncio.sleep(0.3)
        runs = env.app.executions.list(job_id)
        assert [r["status"] for r in runs] == ([] if env.url is None else ["READY"])
        assert posts(env, "/cancel") == []
