"""Running a workflow to its end: execute (202), find the executions it started, wait."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Collection
from typing import Protocol

from ._awaiting import (
    RECONCILE_WINDOW,
    Deadline,
    ExecutionsAPI,
    cancel_all_quietly,
    sleep_within,
    wait,
)
from ._errors import AmbiguousWriteError, DataFlowError, WaitTimeoutError
from ._logging import logger
from ._polling import PollPolicy
from .types import (
    ExecutionStatus,
    JobExecution,
    Workflow,
    WorkflowNodeType,
    WorkflowRun,
    WorkflowRunAccepted,
)

__all__ = ["FIND_POLLS", "WorkflowsAPI", "run_workflow"]

FIND_POLLS = 20
"""Polls of the workflow's executions (with the poll policy's growing waits) before a run
whose executions do not all appear is given up on."""


class WorkflowsAPI(Protocol):
    """What running a workflow needs of ``client.workflows``."""

    async def get(self, workflow_id: str) -> Workflow: ...

    async def execute(self, workflow_id: str) -> WorkflowRunAccepted: ...

    def iter_executions(self, workflow_id: str) -> AsyncIterator[JobExecution]: ...


async def run_workflow(
    workflows: WorkflowsAPI,
    executions: ExecutionsAPI,
    workflow_id: str,
    *,
    poll: PollPolicy,
    timeout: float | None,
    server_now: Callable[[], float],
    reconcile_window: float = RECONCILE_WINDOW,
    cancel_on_abandon: bool = False,
) -> WorkflowRun:
    """Execute ``workflow_id``, find the job executions the run started (by its trigger
    and start time), and wait until all of them finished. Cancelled while waiting, with
    ``cancel_on_abandon`` the executions not yet finished are cancelled first."""
    deadline = Deadline(poll, timeout)
    workflow = await workflows.get(workflow_id)
    expected = sum(1 for node in workflow.nodes if node.type == WorkflowNodeType.JOB)
    triggers = [node.id for node in workflow.nodes if node.type == WorkflowNodeType.TRIGGER]
    trigger_id = triggers[0] if len(triggers) == 1 else None
    since = server_now() - reconcile_window
    # The window reaches back minutes: an earlier run's executions in it are not this run's.
    earlier = {e.execution_id for e in await _listed(workflows, workflow_id, None, since, ())}
    ambiguous: AmbiguousWriteError | None = None
    try:
        accepted = await workflows.execute(workflow_id)
        trigger_id = accepted.trigger_id or trigger_id
    except AmbiguousWriteError as exc:
        ambiguous = exc
    started = await _find_started(
        workflows, workflow_id, trigger_id, since, earlier, expected, poll, deadline, ambiguous
    )
    remaining = None if deadline.at is None else max(deadline.remaining() or 0, 1e-9)
    finished = await _wait_all(executions, started, poll, remaining, cancel_on_abandon)
    return WorkflowRun(
        workflow_id=workflow_id,
        trigger_id=trigger_id,
        executions=finished,
        status=_overall(finished),
    )


async def _wait_all(
    executions: ExecutionsAPI,
    started: list[JobExecution],
    poll: PollPolicy,
    remaining: float | None,
    cancel_on_abandon: bool,
) -> tuple[JobExecution, ...]:
    """Wait for every execution in ``started`` to finish, side by side; the first
    `DataFlowError` of a wait is raised as itself. Cancelled, with ``cancel_on_abandon``
    the executions not yet finished are cancelled first."""
    tasks: list[asyncio.Task[JobExecution]] = []
    try:
        async with asyncio.TaskGroup() as group:
            for e in started:
                waiting = wait(
                    executions, e.job_id, e.execution_id, poll=poll, timeout=remaining, first=e
                )
                tasks.append(group.create_task(waiting))
    except asyncio.CancelledError:
        if cancel_on_abandon:
            unfinished = [
                (e.job_id, e.execution_id)
                for e, task in zip(started, tasks, strict=True)
                if not task.done() or task.cancelled()
            ]
            await cancel_all_quietly(executions, unfinished)
        raise
    except ExceptionGroup as group:
        # The TaskGroup groups the waits' errors; a caller catches a DataFlowError (the
        # first wait to fail: the others were cancelled by it, or failed alike).
        first = group.exceptions[0]
        if isinstance(first, DataFlowError):
            raise first from None
        raise
    return tuple(task.result() for task in tasks)


async def _find_started(
    workflows: WorkflowsAPI,
    workflow_id: str,
    trigger_id: str | None,
    since: float,
    earlier: Collection[str],
    expected: int,
    poll: PollPolicy,
    deadline: Deadline,
    ambiguous: AmbiguousWriteError | None,
) -> list[JobExecution]:
    """The run's executions, newest first, once ``expected`` of them are listed."""
    base: float | None = None
    for polls in range(1, FIND_POLLS + 1):
        found = await _listed(workflows, workflow_id, trigger_id, since, earlier)
        if len(found) >= expected:
            found.sort(key=lambda e: e.created_date.timestamp() if e.created_date else 0.0)
            return found[len(found) - expected :]
        if ambiguous is not None and not found and polls >= poll.max_failed_polls:
            raise ambiguous
        logger.debug("workflow %s: %d of %d executions seen", workflow_id, len(found), expected)
        base = poll.next_base(base, False)
        await sleep_within(poll, poll.spread(base), deadline)
        if deadline.expired():
            break
    raise WaitTimeoutError(
        f"workflow {workflow_id}: {len(found)} of its {expected} executions appeared "
        f"after {polls} polls; the run goes on on the server"
    )


async def _listed(
    workflows: WorkflowsAPI,
    workflow_id: str,
    trigger_id: str | None,
    since: float,
    earlier: Collection[str],
) -> list[JobExecution]:
    """The workflow's executions created since ``since`` by ``trigger_id`` (``None``:
    any), but those in ``earlier``."""
    return [
        e
        async for e in workflows.iter_executions(workflow_id)
        if e.created_date is not None
        and e.created_date.timestamp() >= since
        and (trigger_id is None or e.trigger_id == trigger_id)
        and e.execution_id not in earlier
    ]


def _overall(executions: tuple[JobExecution, ...]) -> ExecutionStatus:
    statuses = {e.status for e in executions}
    if ExecutionStatus.FAILED in statuses:
        return ExecutionStatus.FAILED
    if ExecutionStatus.CANCELED in statuses:
        return ExecutionStatus.CANCELED
    if statuses <= {ExecutionStatus.COMPLETED}:
        return ExecutionStatus.COMPLETED
    return ExecutionStatus.FAILED  # a finished state this library does not know
