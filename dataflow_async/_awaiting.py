"""Executions as awaitables: wait, watch, run (start + wait, reconciled: _reconcile.py).

Everything here polls through an executions API (``client.executions``) and sleeps
through a `PollPolicy`, so tests drive it in virtual time.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Collection, Sequence
from contextlib import aclosing
from typing import Any, Protocol

from ._errors import (
    AmbiguousWriteError,
    BadRequestError,
    ConcurrencyLimitError,
    ExecutionCanceledError,
    ExecutionFailedError,
    WaitTimeoutError,
)
from ._logging import logger
from ._polling import PollPolicy
from ._reconcile import RECONCILE_WINDOW, TRANSIENT, reconcile_start
from .types import ExecutionStatus, JobExecution

__all__ = [
    "CANCEL_BOUND",
    "RECONCILE_WINDOW",
    "ExecutionsAPI",
    "cancel_all_quietly",
    "cancel_quietly",
    "outcome",
    "reconcile_start",
    "run",
    "wait",
    "watch",
]

CANCEL_BOUND = 5.0
"""Seconds a cancel sent on abandon may take before it is given up."""


class ExecutionsAPI(Protocol):
    """What waiting needs of ``client.executions``."""

    async def get(self, job_id: str, execution_id: str) -> JobExecution: ...

    async def start(
        self,
        job_id: str,
        *,
        job_condition: Any = None,
        parameters: Any = None,
        workflow_id: str | None = None,
        trigger_id: str | None = None,
    ) -> JobExecution: ...

    async def cancel(self, job_id: str, execution_id: str) -> None: ...

    def iter(self, job_id: str) -> AsyncIterator[JobExecution]: ...


class Deadline:
    """The end of a wait on the policy's clock, or none."""

    def __init__(self, poll: PollPolicy, timeout: float | None) -> None:
        self.poll = poll
        self.timeout = timeout
        self.at = None if timeout is None else poll.clock() + timeout

    def remaining(self) -> float | None:
        return None if self.at is None else self.at - self.poll.clock()

    def expired(self) -> bool:
        left = self.remaining()
        return left is not None and left <= 0

    def error(self, what: str, last: JobExecution | None) -> WaitTimeoutError:
        seen = f"; last status {last.status}" if last is not None else ""
        return WaitTimeoutError(
            f"{what} did not finish within {self.timeout:g} s{seen}; it goes on on the server",
            execution=last,
        )


def check_timeout(timeout: float | None) -> None:
    """``ValueError`` unless ``timeout`` is ``None`` or a finite number > 0."""
    if timeout is None:
        return
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not timeout > 0:
        raise ValueError(f"timeout must be a number of seconds > 0 or None, got {timeout!r}")
    if timeout == float("inf"):
        raise ValueError("timeout must be finite; pass None to wait without a limit")


async def sleep_within(poll: PollPolicy, delay: float, deadline: Deadline) -> None:
    left = deadline.remaining()
    await poll.sleep(delay if left is None else max(0.0, min(delay, left)))


async def watch(
    api: ExecutionsAPI,
    job_id: str,
    execution_id: str,
    *,
    poll: PollPolicy,
    timeout: float | None = None,
    first: JobExecution | None = None,
) -> AsyncGenerator[JobExecution, None]:
    """Yield the execution each time its status is seen to change, the last one finished.

    ``first`` is a state already known (from the start), yielded without a poll.
    """
    deadline = Deadline(poll, timeout)
    what = f"execution {execution_id} of job {job_id}"
    last = first
    base: float | None = None
    changed = True
    failures = 0
    if first is not None:
        yield first
        if first.is_finished:
            return
    while True:
        if last is not None or failures:
            base = poll.next_base(base, changed)
            await sleep_within(poll, poll.spread(base), deadline)
        if deadline.expired():
            raise deadline.error(what, last)
        try:
            async with asyncio.timeout(deadline.remaining()):
                current = await api.get(job_id, execution_id)
        except TimeoutError:
            raise deadline.error(what, last) from None
        except TRANSIENT as exc:
            failures += 1
            changed = False
            if failures >= poll.max_failed_polls:
                raise
            logger.info("poll %d of %s failed, polling on: %s", failures, what, exc)
            continue
        failures = 0
        changed = last is None or current.status != last.status
        last = current
        if changed:
            yield current
        if current.is_finished:
            return


async def wait(
    api: ExecutionsAPI,
    job_id: str,
    execution_id: str,
    *,
    poll: PollPolicy,
    timeout: float | None = None,
    first: JobExecution | None = None,
) -> JobExecution:
    """The execution once finished (``COMPLETED``, ``FAILED`` or ``CANCELED``)."""
    last = first
    steps = watch(api, job_id, execution_id, poll=poll, timeout=timeout, first=first)
    async with aclosing(steps) as changes:
        async for change in changes:
            last = change
    if last is None or not last.is_finished:  # pragma: no cover - watch ends only when finished
        raise RuntimeError("the watch ended before the execution finished")
    return last


def outcome(execution: JobExecution, raise_on_failure: bool) -> JobExecution:
    """``execution``, or its error when it did not complete and that is asked for."""
    if raise_on_failure and execution.status == ExecutionStatus.FAILED:
        raise ExecutionFailedError(
            f"execution {execution.execution_id} of job {execution.job_id} FAILED",
            execution=execution,
        )
    if raise_on_failure and execution.status == ExecutionStatus.CANCELED:
        raise ExecutionCanceledError(
            f"execution {execution.execution_id} of job {execution.job_id} was CANCELED",
            execution=execution,
        )
    return execution


async def cancel_quietly(
    api: ExecutionsAPI, job_id: str, execution_id: str, *, bound: float = CANCEL_BOUND
) -> None:
    """Send a cancel that the caller's own cancellation cannot interrupt, for at most
    ``bound`` seconds; failures are logged, not raised (the caller is unwinding)."""
    await cancel_all_quietly(api, [(job_id, execution_id)], bound=bound)


async def cancel_all_quietly(
    api: ExecutionsAPI, runs: Sequence[tuple[str, str]], *, bound: float = CANCEL_BOUND
) -> None:
    """`cancel_quietly` for several ``(job_id, execution_id)`` at once, all within ``bound``."""
    tasks = {
        asyncio.ensure_future(api.cancel(job, execution)): execution for job, execution in runs
    }
    await see_through(tasks, bound)
    for task, execution_id in tasks.items():
        _log_cancel(task, execution_id, bound)


async def see_through(tasks: Collection[asyncio.Future[Any]], bound: float) -> None:
    """Wait until ``tasks`` are done, at most ``bound`` seconds (then cancel them), however
    often the caller is cancelled meanwhile."""
    loop = asyncio.get_running_loop()
    end = loop.time() + bound
    # Done-ness is read from the tasks, not from asyncio.wait's answer: a caller cancelled
    # at every step (anyio's cancel scopes do that) never gets an answer from it.
    while (pending := {t for t in tasks if not t.done()}) and loop.time() < end:
        # A second cancellation of the caller must not abandon the requests half-sent.
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait(pending, timeout=end - loop.time())
    for task in pending:
        task.cancel()
    while pending := {t for t in tasks if not t.done()}:
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait(pending)


def _log_cancel(task: asyncio.Future[None], execution_id: str, bound: float) -> None:
    if task.cancelled():
        logger.warning("cancel of execution %s gave up after %g s", execution_id, bound)
    elif (error := task.exception()) is not None:
        if isinstance(error, BadRequestError):
            # The cancel route answers 400 only for a run no longer READY or RUNNING: it
            # finished between the last poll and the cancel, so nothing is left running.
            logger.info("execution %s had already finished: %s", execution_id, error)
        else:
            logger.warning("cancel of execution %s failed: %s", execution_id, error)


async def run(
    api: ExecutionsAPI,
    job_id: str,
    *,
    start: dict[str, Any],
    poll: PollPolicy,
    timeout: float | None,
    raise_on_failure: bool,
    cancel_on_abandon: bool,
    wait_for_slot: bool,
    server_now: Callable[[], float],
    reconcile_window: float = RECONCILE_WINDOW,
) -> JobExecution:
    """Start an execution of ``job_id`` (``start`` are the start's keyword arguments),
    wait until it finishes, and return it (or raise its error)."""
    deadline = Deadline(poll, timeout)
    execution = await _start(
        api,
        job_id,
        start,
        poll,
        deadline,
        wait_for_slot,
        server_now,
        reconcile_window,
        cancel_on_abandon,
    )
    try:
        finished = await wait(
            api,
            job_id,
            execution.execution_id,
            poll=poll,
            timeout=None if deadline.at is None else max(deadline.remaining() or 0.0, 1e-9),
            first=execution,
        )
    except asyncio.CancelledError:
        if cancel_on_abandon:
            await cancel_quietly(api, job_id, execution.execution_id)
        raise
    return outcome(finished, raise_on_failure)


async def _start(
    api: ExecutionsAPI,
    job_id: str,
    start: dict[str, Any],
    poll: PollPolicy,
    deadline: Deadline,
    wait_for_slot: bool,
    server_now: Callable[[], float],
    reconcile_window: float,
    cancel_on_abandon: bool,
) -> JobExecution:
    base: float | None = None
    while True:
        since = server_now() - reconcile_window
        try:
            return await _send_start(
                api, job_id, start, see_it_through=cancel_on_abandon, since=since
            )
        except ConcurrencyLimitError:
            # Refused with 400: nothing started, so asking again cannot start it twice.
            if not wait_for_slot:
                raise
            base = poll.next_base(base, False)
            await sleep_within(poll, poll.spread(base), deadline)
            if deadline.expired():
                raise deadline.error(f"waiting for a free slot of job {job_id}", None) from None
        except AmbiguousWriteError as exc:
            return await reconcile_start(
                api,
                job_id,
                exc,
                since=since,
                workflow_id=start.get("workflow_id"),
                trigger_id=start.get("trigger_id"),
                poll=poll,
            )


async def _send_start(
    api: ExecutionsAPI,
    job_id: str,
    start: dict[str, Any],
    *,
    see_it_through: bool,
    since: float,
) -> JobExecution:
    """The start request. With ``see_it_through``, a cancellation of the caller while it
    is in flight lets it finish first (bounded), then cancels the execution it made: its
    id is known only from the answer, or, when the answer was lost, from reconciliation."""
    if not see_it_through:
        return await api.start(job_id, **start)
    task = asyncio.ensure_future(api.start(job_id, **start))
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        await see_through([task], CANCEL_BOUND)
        if task.cancelled():
            logger.warning("start of job %s abandoned after %g s", job_id, CANCEL_BOUND)
        elif isinstance(error := task.exception(), AmbiguousWriteError):
            await _cancel_reconciled(api, job_id, error, since, start)
        elif error is not None:
            logger.info("start of job %s, abandoned, failed: %s", job_id, error)
        else:
            await cancel_quietly(api, job_id, task.result().execution_id)
        raise


async def _cancel_reconciled(
    api: ExecutionsAPI,
    job_id: str,
    error: AmbiguousWriteError,
    since: float,
    start: dict[str, Any],
) -> None:
    """An abandoned start whose answer was lost: find the execution it may have made
    (one listing, within the cancel bound) and cancel it."""
    finding = asyncio.ensure_future(
        reconcile_start(
            api,
            job_id,
            error,
            since=since,
            workflow_id=start.get("workflow_id"),
            trigger_id=start.get("trigger_id"),
        )
    )
    await see_through([finding], CANCEL_BOUND)
    if finding.cancelled() or finding.exception() is not None:
        logger.warning(
            "start of job %s was abandoned and its answer lost; an execution it may have "
            "made was not found for certain and is not cancelled",
            job_id,
        )
        return
    await cancel_quietly(api, job_id, finding.result().execution_id)
