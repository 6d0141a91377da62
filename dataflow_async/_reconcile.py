"""Reconciliation: after a start that may or may not have happened, find out which.

The job's executions created since just before the attempt, and started the same way,
are listed: one means the start happened, none that it did not, more cannot be told apart.
"""

from __future__ import annotations

from typing import Any, Protocol

from ._errors import (
    AmbiguousWriteError,
    APIConnectionError,
    DataFlowError,
    RateLimitError,
    ReconciliationError,
    ServerError,
    UnexpectedResponseError,
)
from ._logging import logger
from ._polling import PollPolicy
from .types import ExecutionType, JobExecution

__all__ = ["RECONCILE_WINDOW", "TRANSIENT", "reconcile_start"]

RECONCILE_WINDOW = 300.0
"""How far back (seconds, by the service's clock) reconciliation looks for the execution an
ambiguous start may have created: the gateway's own tolerance for clock skew, so that a
clock that signs correctly cannot hide the execution. Erring wide can only report several
candidates (an error), never none (which would invite a second start)."""

# Failures of one poll that a later poll may not see: they count towards
# PollPolicy.max_failed_polls. Anything else (401, 403, 404, a bad request) ends the wait.
TRANSIENT = (APIConnectionError, ServerError, RateLimitError, UnexpectedResponseError)


class _Lister(Protocol):
    def iter(self, job_id: str) -> Any: ...


async def reconcile_start(
    api: _Lister,
    job_id: str,
    error: AmbiguousWriteError,
    *,
    since: float,
    workflow_id: str | None = None,
    trigger_id: str | None = None,
    poll: PollPolicy | None = None,
) -> JobExecution:
    """After an ambiguous start: the one execution it created, or an error.

    Lists the job's executions created since ``since`` (epoch seconds, service clock)
    that match how the start was made. One means the start happened; none means it did
    not (``error`` is raised again); more raise `AmbiguousWriteError` naming them. A
    listing that fails is tried again like a failed poll (``poll``); if it still fails,
    `ReconciliationError`: the start may have happened.
    """
    found = await _list_started(api, job_id, error, since, workflow_id, trigger_id, poll)
    if len(found) == 1:
        logger.info(
            "start of job %s was ambiguous; found its execution %s", job_id, found[0].execution_id
        )
        return found[0]
    if not found:
        raise error
    raise AmbiguousWriteError(
        error.method,
        error.path,
        error.cause,
        request=error.request,
        candidates=[e.execution_id for e in found],
    ) from error


async def _list_started(
    api: _Lister,
    job_id: str,
    error: AmbiguousWriteError,
    since: float,
    workflow_id: str | None,
    trigger_id: str | None,
    poll: PollPolicy | None,
) -> list[JobExecution]:
    poll = poll or PollPolicy()
    base: float | None = None
    for attempt in range(1, poll.max_failed_polls + 1):
        try:
            return [
                e
                async for e in api.iter(job_id)
                if _started_by_us(e, since, workflow_id, trigger_id)
            ]
        except DataFlowError as exc:
            # Taking a failed listing for "nothing started" would invite a second start.
            if not isinstance(exc, TRANSIENT) or attempt == poll.max_failed_polls:
                raise ReconciliationError(
                    error.method,
                    error.path,
                    error.cause,
                    request=error.request,
                    listing=exc,
                ) from exc
            logger.info("listing executions of job %s failed, trying again: %s", job_id, exc)
            base = poll.next_base(base, False)
            await poll.sleep(poll.spread(base))
    raise AssertionError("unreachable")  # pragma: no cover


def _started_by_us(
    execution: JobExecution, since: float, workflow_id: str | None, trigger_id: str | None
) -> bool:
    created = execution.created_date
    if created is None or created.timestamp() < since:
        return False
    if workflow_id is None and trigger_id is None:
        return execution.type in (None, ExecutionType.JOB) and execution.trigger_id is None
    return trigger_id is None or execution.trigger_id == trigger_id
