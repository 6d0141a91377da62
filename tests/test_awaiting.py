"""Waiting for executions in virtual time: poll sequence, timeouts, failures, reconciliation,
cancellation. The executions API here is a fake whose executions move on a virtual clock."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from dataflow_async import _awaiting
from dataflow_async._errors import (
    AmbiguousWriteError,
    APIConnectionError,
    BadRequestError,
    ConcurrencyLimitError,
    DataFlowError,
    ExecutionCanceledError,
    ExecutionFailedError,
    NotFoundError,
    ReconciliationError,
    ServerError,
    WaitTimeoutError,
)
from dataflow_async._polling import PollPolicy
from dataflow_async.types import ExecutionStatus, ExecutionType, JobExecution

EPOCH = 1_800_000_000.0


def lost(method: str, path: str) -> AmbiguousWriteError:
    """What the requester raises when a write's answer is lost."""
    return AmbiguousWriteError(method, path, APIConnectionError("connection reset"))


class VirtualTime:
    """A clock that moves only when slept on."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.now += seconds
        await asyncio.sleep(0)


class FakeExecutions:
    """Executions that are READY for ``ready`` s, RUNNING for ``running`` s, then end as
    ``outcome``. ``get_errors``/``start_errors`` are raised, in order, before answering."""

    def __init__(self, time: VirtualTime, *, ready: float = 2.0, running: float = 10.0) -> None:
        self.time = time
        self.ready = ready
        self.running = running
        self.outcome = ExecutionStatus.COMPLETED
        self.rows: dict[str, dict[str, Any]] = {}
        self.get_errors: list[Exception] = []
        self.start_errors: list[Exception] = []
        self.list_errors: list[Exception] = []
        self.lose_start_response = False
        self.start_delay = 0.0
        self.gets = 0
        self.cancels: list[str] = []
        self.cancel_delay = 0.0

    def add(self, job_id: str, created: float, *, trigger_id: str | None = None) -> str:
        execution_id = f"ex{len(self.rows):03d}"
        self.rows[execution_id] = {
            "job_id": job_id,
            "created": created,
            "trigger_id": trigger_id,
            "canceled_at": None,
        }
        return execution_id

    def _view(self, execution_id: str) -> JobExecution:
        row = self.rows[execution_id]
        age = self.time.now - row["created"]
        status: ExecutionStatus = ExecutionStatus.READY
        if row["canceled_at"] is not None:
            status = ExecutionStatus.CANCELED
        elif age >= self.ready + self.running:
            status = self.outcome
        elif age >= self.ready:
            status = ExecutionStatus.RUNNING
        return JobExecution(
            execution_id=execution_id,
            job_id=row["job_id"],
            status=status,
            created_date=datetime.fromtimestamp(EPOCH + row["created"], UTC),
            trigger_id=row["trigger_id"],
            type=ExecutionType.JOB,
        )

    async def get(self, job_id: str, execution_id: str) -> JobExecution:
        self.gets += 1
        if self.get_errors:
            raise self.get_errors.pop(0)
        return self._view(execution_id)

    async def start(self, job_id: str, **kwargs: Any) -> JobExecution:
        await asyncio.sleep(self.start_delay)
        if self.start_errors:
            raise self.start_errors.pop(0)
        execution_id = self.add(job_id, self.time.now)
        if self.lose_start_response:
            raise lost("POST", "/api/v1/jobs/job1/executions")
        return self._view(execution_id)

    async def cancel(self, job_id: str, execution_id: str) -> None:
        await asyncio.sleep(self.cancel_delay)
        self.cancels.append(execution_id)
        self.rows[execution_id]["canceled_at"] = self.time.now

    async def iter(self, job_id: str) -> AsyncIterator[JobExecution]:
        if self.list_errors:
            raise self.list_errors.pop(0)
        for execution_id, row in list(self.rows.items()):
            if row["job_id"] == job_id:
                yield self._view(execution_id)


@pytest.fixture
def vt() -> VirtualTime:
    return VirtualTime()


@pytest.fixture
def api(vt: VirtualTime) -> FakeExecutions:
    return FakeExecutions(vt)


def policy(vt: VirtualTime, **kwargs: Any) -> PollPolicy:
    return PollPolicy(**{"jitter": 0.0, "sleep": vt.sleep, "clock": vt.clock, **kwargs})


def server_now(vt: VirtualTime) -> Any:
    return lambda: EPOCH + vt.now


async def run(api: FakeExecutions, vt: VirtualTime, **kwargs: Any) -> JobExecution:
    options: dict[str, Any] = {
        "start": {},
        "poll": policy(vt),
        "timeout": None,
        "raise_on_failure": True,
        "cancel_on_abandon": False,
        "wait_for_slot": False,
        "server_now": server_now(vt),
        "reconcile_window": 5.0,
        **kwargs,
    }
    return await _awaiting.run(api, "job1", **options)


async def until_polling(vt: VirtualTime) -> None:
    """Let the run start and reach its first wait between polls."""
    for _ in range(100):
        if vt.sleeps:
            return
        await asyncio.sleep(0)
    raise AssertionError("the run never started polling")


# PollPolicy


@pytest.mark.parametrize(
    "kwargs",
    [
        {"initial": float("nan")},
        {"initial": 0},
        {"initial": -1},
        {"initial": True},
        {"maximum": float("inf")},
        {"initial": 5.0, "maximum": 1.0},
        {"multiplier": 0.5},
        {"multiplier": float("nan")},
        {"jitter": 1.0},
        {"jitter": -0.1},
        {"jitter": float("nan")},
        {"max_failed_polls": 0},
        {"max_failed_polls": 2.5},
        {"max_failed_polls": True},
    ],
)
def test_poll_policy_rejects_bad_values(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=next(iter(kwargs)) if len(kwargs) == 1 else "maximum"):
        PollPolicy(**kwargs)


def test_poll_policy_rejects_non_callables() -> None:
    with pytest.raises(TypeError, match="sleep"):
        PollPolicy(sleep=1.0)  # type: ignore[arg-type]


def test_poll_policy_is_frozen_and_jitter_spreads_both_ways() -> None:
    poll = PollPolicy(random=lambda: 0.0)
    with pytest.raises(AttributeError):
        poll.initial = 2.0  # type: ignore[misc]
    assert poll.spread(10.0) == pytest.approx(9.0)
    assert PollPolicy(random=lambda: 1.0).spread(10.0) == pytest.approx(11.0)
    assert PollPolicy(jitter=0.0, random=lambda: 1.0).spread(10.0) == 10.0


# wait and watch


async def test_wait_grows_the_delay_while_the_status_holds_and_resets_on_change(
    api: FakeExecutions, vt: VirtualTime
) -> None:
    execution_id = api.add("job1", 0.0)
    done = await _awaiting.wait(api, "job1", execution_id, poll=policy(vt, maximum=4.0))
    assert done.status is ExecutionStatus.COMPLETED
    # First poll at once (READY); then 1, 1.5 (RUNNING at 2.5: reset), 1, 1.5, 2.25, 3.375,
    # 4 (capped) -> 13.625 >= 12: COMPLETED.
    assert vt.sleeps == [1.0, 1.5, 1.0, 1.5, 2.25, 3.375, 4.0]


async def test_watch_yields_each_status_once_and_ends_when_finished(
    api: FakeExecutions, vt: VirtualTime
) -> None:
    execution_id = api.add("job1", 0.0)
    statuses = [e.status async for e in _awaiting.watch(api, "job1", execution_id, poll=policy(vt))]
    assert statuses == ["READY", "RUNNING", "COMPLETED"]


async def test_timeout_raises_with_the_last_state_and_leaves_the_execution(
    api: FakeExecutions, vt: VirtualTime
) -> None:
    execution_id = api.add("job1", 0.0)
    with pytest.raises(WaitTimeoutError) as caught:
        await _awaiting.wait(api, "job1", execution_id, poll=policy(vt), timeout=5.0)
    assert isinstance(caught.value, TimeoutError) and isinstance(caught.value, DataFlowError)
    assert caught.value.execution is not None
    assert caught.value.execution.status is ExecutionStatus.RUNNING
    assert sum(vt.sleeps) == pytest.approx(5.0)  # the last sleep is cut to the deadline
    assert api.cancels == []


async def test_failed_polls_are_tolerated_up_to_the_limit(
    api: FakeExecutions, vt: VirtualTime
) -> None:
    execution_id = api.add("job1", 0.0)
    api.get_errors = [APIConnectionError("reset")] * 4
    done = await _awaiting.wait(api, "job1", execution_id, poll=policy(vt, max_failed_polls=5))
    assert done.status is ExecutionStatus.COMPLETED


async def test_too_many_failed_polls_in_a_row_raise_the_last_error(
    api: FakeExecutions, vt: VirtualTime
) -> None:
    execution_id = api.add("job1", 0.0)
    last = ServerError(503, "500", "Endpoint Error", None)
    api.get_errors = [APIConnectionError("reset")] * 2 + [last]
    with pytest.raises(ServerError) as caught:
        await _awaiting.wait(api, "job1", execution_id, poll=policy(vt, max_failed_polls=3))
    assert caught.value is last
    assert api.gets == 3 and vt.sleeps == [1.0, 1.5]  # failures are waited out too


async def test_a_permanent_error_ends_the_wait_at_once(
    api: FakeExecutions, vt: VirtualTime
) -> None:
    api.add("job1", 0.0)
    api.get_errors = [NotFoundError(404, "300", "Not Found Exception", None)]
    with pytest.raises(NotFoundError):
        await _awaiting.wait(api, "job1", "ex000", poll=policy(vt))
    assert api.gets == 1


# run


@pytest.mark.parametrize(
    ("outcome", "error"),
    [
        (ExecutionStatus.FAILED, ExecutionFailedError),
        (ExecutionStatus.CANCELED, ExecutionCanceledError),
    ],
)
async def test_run_raises_how_the_execution_ended(
    api: FakeExecutions, vt: VirtualTime, outcome: ExecutionStatus, error: type[Exception]
) -> None:
    api.outcome = outcome
    with pytest.raises(error) as caught:
        await run(api, vt)
    assert caught.value.execution.status is outcome  # type: ignore[attr-defined]
    api.outcome = outcome
    ended = await run(api, vt, raise_on_failure=False)
    assert ended.status is outcome


async def test_an_ambiguous_start_that_happened_is_waited_for(
    api: FakeExecutions, vt: VirtualTime
) -> None:
    api.add("job1", -60.0)  # an older run, outside the window
    api.add("job2", 0.0)  # another job's run
    api.lose_start_response = True
    done = await run(api, vt)
    assert done.execution_id == "ex002" and done.status is ExecutionStatus.COMPLETED
    assert len(api.rows) == 3  # started once, never again


async def test_an_ambiguous_start_that_did_not_happen_raises_the_original_error(
    api: FakeExecutions, vt: VirtualTime
) -> None:
    error = lost("POST", "/api/v1/jobs/job1/executions")
    api.start_errors = [error]
    with pytest.raises(AmbiguousWriteError) as caught:
        await run(api, vt)
    assert caught.value is error and api.rows == {}


async def test_a_reconciliation_whose_listing_fails_is_not_taken_for_nothing_started(
    api: FakeExecutions, vt: VirtualTime
) -> None:
    api.lose_start_response = True
    api.list_errors = [ServerError(503, "500", "Endpoint Error", None)] * 5
    with pytest.raises(ReconciliationError) as caught:
        await run(api, vt)
    # Not "nothing started": the start happened, and starting again would run it twice.
    assert isinstance(caught.value, AmbiguousWriteError) and len(api.rows) == 1
    assert isinstance(caught.value.__cause__, ServerError) and caught.value.candidates == ()
    assert "could not be checked: listing the job's executions failed" in str(caught.value)
    assert vt.sleeps == [1.0, 1.5, 2.25, 3.375]  # the listing is tried max_failed_polls times


async def test_a_reconciliation_listing_that_fails_once_is_tried_again(
    api: FakeExecutions, vt: VirtualTime
) -> None:
    api.lose_start_response = True
    api.list_errors = [ServerError(503, "500", "Endpoint Error", None)]
    done = await run(api, vt)
    assert done.execution_id == "ex000" and len(api.rows) == 1


async def test_a_reconciliation_refused_for_good_is_raised_at_once(
    api: FakeExecutions, vt: VirtualTime
) -> None:
    api.lose_start_response = True
    api.list_errors = [NotFoundError(404, "NOT_FOUND", "no such job", None)]
    with pytest.raises(ReconciliationError) as caught:
        await run(api, vt)
    assert isinstance(caught.value.__cause__, NotFoundError) and vt.sleeps == []


async def test_two_candidates_after_an_ambiguous_start_are_named_not_guessed(
    api: FakeExecutions, vt: VirtualTime
) -> None:
    api.add("job1", -1.0)  # started by someone else a second before
    api.lose_start_response = True
    with pytest.raises(AmbiguousWriteError, match=r"2 executions.*ex000, ex001") as caught:
        await run(api, vt)
    assert api.gets == 0 and caught.value.candidates == ("ex000", "ex001")


async def test_concurrency_limit_waits_for_a_slot_only_when_asked(
    api: FakeExecutions, vt: VirtualTime
) -> None:
    def full() -> ConcurrencyLimitError:
        return ConcurrencyLimitError(400, "bad-state", "maxConcurrentRuns reached", None)

    api.start_errors = [full()]
    with pytest.raises(ConcurrencyLimitError):
        await run(api, vt)
    api.start_errors = [full(), full()]
    done = await run(api, vt, wait_for_slot=True)
    assert done.status is ExecutionStatus.COMPLETED
    assert vt.sleeps[:2] == [1.0, 1.5]


async def test_waiting_for_a_slot_is_bounded_by_the_timeout(
    api: FakeExecutions, vt: VirtualTime
) -> None:
    api.start_errors = [
        ConcurrencyLimitError(400, "bad-state", "maxConcurrentRuns reached", None)
    ] * 100
    with pytest.raises(WaitTimeoutError, match="free slot") as caught:
        await run(api, vt, wait_for_slot=True, timeout=10.0)
    assert caught.value.execution is None and api.rows == {}


@pytest.mark.parametrize("cancel_on_abandon", [False, True])
async def test_cancelling_the_waiter_cancels_the_run_only_when_asked(
    api: FakeExecutions, vt: VirtualTime, cancel_on_abandon: bool
) -> None:
    task = asyncio.create_task(run(api, vt, cancel_on_abandon=cancel_on_abandon))
    await until_polling(vt)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert api.cancels == (["ex000"] if cancel_on_abandon else [])
    assert {t for t in asyncio.all_tasks() if t is not asyncio.current_task()} == set()


async def test_a_second_cancellation_does_not_abandon_the_cancel(
    api: FakeExecutions, vt: VirtualTime
) -> None:
    api.cancel_delay = 0.05
    task = asyncio.create_task(run(api, vt, cancel_on_abandon=True))
    await until_polling(vt)
    task.cancel()
    await asyncio.sleep(0.01)  # the cancel request is under way
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert api.cancels == ["ex000"]
    assert {t for t in asyncio.all_tasks() if t is not asyncio.current_task()} == set()


async def test_a_cancel_survives_a_caller_cancelled_again_and_again(
    api: FakeExecutions, vt: VirtualTime
) -> None:
    """As anyio's cancel scopes do (APScheduler 4): the task is cancelled at every step
    until it ends. The cancels must still be sent, seen done, and the task end."""
    api.add("job1", 0.0)
    api.add("job1", 0.0)
    api.cancel_delay = 0.01
    runs = [("job1", "ex000"), ("job1", "ex001")]
    task = asyncio.create_task(_awaiting.cancel_all_quietly(api, runs, bound=1.0))
    await asyncio.sleep(0)  # the cancels are under way
    async with asyncio.timeout(2):
        while not task.done():
            task.cancel()
            await asyncio.sleep(0)
    assert sorted(api.cancels) == ["ex000", "ex001"]
    assert {t for t in asyncio.all_tasks() if t is not asyncio.current_task()} == set()


@pytest.mark.parametrize(
    ("error", "level", "message"),
    [
        (BadRequestError(400, "bad-state", "is COMPLETED", None), "INFO", "had already finished"),
        (ServerError(503, "500", "Endpoint Error", None), "WARNING", "cancel of execution"),
    ],
)
async def test_a_cancel_refused_as_finished_is_no_warning_unlike_a_failed_one(
    api: FakeExecutions,
    caplog: pytest.LogCaptureFixture,
    error: Exception,
    level: str,
    message: str,
) -> None:
    async def refuse(job_id: str, execution_id: str) -> None:
        raise error

    api.cancel = refuse  # type: ignore[method-assign]
    caplog.set_level(logging.INFO, logger="dataflow_async")
    await _awaiting.cancel_quietly(api, "job1", "ex000")
    assert [(r.levelname, message in r.getMessage()) for r in caplog.records] == [(level, True)]


async def test_a_cancel_that_hangs_is_given_up_after_its_bound(
    api: FakeExecutions, vt: VirtualTime
) -> None:
    api.add("job1", 0.0)
    api.cancel_delay = 60.0
    await _awaiting.cancel_quietly(api, "job1", "ex000", bound=0.05)
    assert api.cancels == []
    assert {t for t in asyncio.all_tasks() if t is not asyncio.current_task()} == set()


# workflows.run


class FakeWorkflows:
    """A workflow with one trigger and ``jobs`` job nodes; executing it starts one
    execution per job after ``delay`` virtual seconds."""

    def __init__(self, api: FakeExecutions, jobs: int, *, delay: float = 0.0) -> None:
        from dataflow_async.types import Workflow, WorkflowNode

        nodes = [WorkflowNode(id="trig1", name="t", type="TRIGGER")]
        nodes += [
            WorkflowNode(id=f"job{i}", name=f"j{i}", type="JOB", parent_node_ids=("trig1",))
            for i in range(jobs)
        ]
        self.workflow = Workflow(workflow_id="wf1", name="wf", nodes=tuple(nodes))
        self.api = api
        self.jobs = jobs
        self.delay = delay
        self.executed = 0
        self.lose_response = False
        self.pending_at: float | None = None

    async def get(self, workflow_id: str) -> Any:
        return self.workflow

    async def execute(self, workflow_id: str) -> Any:
        from dataflow_async.types import WorkflowRunAccepted

        self.executed += 1
        self.pending_at = self.api.time.now + self.delay
        if self.lose_response:
            raise lost("POST", "/api/v1/workflows/wf1/executions")
        return WorkflowRunAccepted(workflow_id=workflow_id, status="ACCEPTED", trigger_id="trig1")

    async def iter_executions(self, workflow_id: str) -> AsyncIterator[JobExecution]:
        if self.pending_at is not None and self.api.time.now >= self.pending_at:
            for i in range(self.jobs):
                self.api.add(f"job{i}", self.pending_at, trigger_id="trig1")
            self.pending_at = None
        for execution_id, row in list(self.api.rows.items()):
            if row["trigger_id"] == "trig1":
                yield self.api._view(execution_id)


async def run_workflow(workflows: FakeWorkflows, vt: VirtualTime, **kwargs: Any) -> Any:
    from dataflow_async._workflow_run import run_workflow as run

    options: dict[str, Any] = {
        "poll": policy(vt),
        "timeout": None,
        "server_now": server_now(vt),
        "reconcile_window": 5.0,
        **kwargs,
    }
    return await run(workflows, workflows.api, "wf1", **options)


async def test_a_workflow_run_waits_for_every_execution_it_started(
    api: FakeExecutions, vt: VirtualTime
) -> None:
    workflows = FakeWorkflows(api, 3, delay=2.0)
    done = await run_workflow(workflows, vt)
    assert done.trigger_id == "trig1" and done.status is ExecutionStatus.COMPLETED
    assert sorted(e.job_id for e in done.executions) == ["job0", "job1", "job2"]
    assert all(e.is_finished for e in done.executions) and workflows.executed == 1


async def test_a_second_workflow_run_is_not_answered_with_the_first(
    api: FakeExecutions, vt: VirtualTime
) -> None:
    workflows = FakeWorkflows(api, 2)
    first = await run_workflow(workflows, vt)
    workflows.delay = 2.0  # the second run's executions appear later
    second = await run_workflow(workflows, vt, reconcile_window=300.0)
    assert workflows.executed == 2 and len(second.executions) == 2
    assert not {e.execution_id for e in first.executions} & {
        e.execution_id for e in second.executions
    }


async def test_a_workflow_run_reports_a_failure(api: FakeExecutions, vt: VirtualTime) -> None:
    api.outcome = ExecutionStatus.FAILED
    done = await run_workflow(FakeWorkflows(api, 2), vt)
    assert done.status is ExecutionStatus.FAILED


async def test_an_ambiguous_workflow_execute_that_started_nothing_raises(
    api: FakeExecutions, vt: VirtualTime
) -> None:
    workflows = FakeWorkflows(api, 2, delay=10_000.0)
    workflows.lose_response = True
    with pytest.raises(AmbiguousWriteError):
        await run_workflow(workflows, vt)
    assert workflows.executed == 1


async def test_an_ambiguous_workflow_execute_that_started_is_waited_for(
    api: FakeExecutions, vt: VirtualTime
) -> None:
    workflows = FakeWorkflows(api, 2)
    workflows.lose_response = True
    done = await run_workflow(workflows, vt)
    assert len(done.executions) == 2 and workflows.executed == 1


async def test_a_workflow_whose_executions_never_appear_times_out(
    api: FakeExecutions, vt: VirtualTime
) -> None:
    workflows = FakeWorkflows(api, 2, delay=10_000.0)
    with pytest.raises(WaitTimeoutError, match="0 of its 2 executions"):
        await run_workflow(workflows, vt, timeout=30.0)
    assert vt.now == pytest.approx(30.0)


async def test_an_abandoned_start_whose_answer_is_lost_is_found_and_cancelled(
    api: FakeExecutions, vt: VirtualTime
) -> None:
    api.start_delay = 0.02  # the start is in flight when the waiter is cancelled
    api.lose_start_response = True
    task = asyncio.create_task(run(api, vt, cancel_on_abandon=True))
    await asyncio.sleep(0.005)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert list(api.rows) == ["ex000"] and api.cancels == ["ex000"]
    assert {t for t in asyncio.all_tasks() if t is not asyncio.current_task()} == set()
