"""``client.executions``: start, read, list and cancel the executions of a job."""

from __future__ import annotations

import re
from collections.abc import AsyncGenerator, Mapping
from contextlib import aclosing
from typing import Any

import httpx

from .. import _awaiting
from .._converter import structure
from .._errors import BadRequestError, ConcurrencyLimitError
from .._pagination import AsyncPager
from .._polling import PollPolicy
from ..types import JobExecution, Page
from ._base import DEFAULT_PAGE_SIZE, Requester, Resource, decode, expect_done, options
from ._bodies import start_body
from ._jobs import JOBS_PATH
from ._validate import check_flag, check_page, path_id
from ._waiting import check_poll, server_clock

__all__ = ["Executions", "concurrency_limit"]

_CONCURRENCY = re.compile(r"concurren|maxconcurrentruns", re.IGNORECASE)


class Executions:
    """The operations on a job's executions, as ``client.executions``.

    Every method takes ``timeout`` and ``extra_headers`` keyword arguments for that call.
    """

    def __init__(self, requester: Requester) -> None:
        self._base = Resource(requester)

    async def start(
        self,
        job_id: str,
        *,
        job_condition: Any = None,
        parameters: Mapping[str, str] | None = None,
        workflow_id: str | None = None,
        trigger_id: str | None = None,
        timeout: float | httpx.Timeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> JobExecution:
        """Start one execution of a job and return it (usually ``READY``).

        ``job_condition`` overrides the job's stored settings for this run;
        ``parameters`` (a string map, ``SCRIPT`` jobs) are sent both at the top level
        (older revisions) and in ``jobCondition.parameters`` (newer ones).
        ``workflow_id`` and ``trigger_id`` attribute the run to a workflow or trigger.

        The request is never repeated once it may have reached the service. A job that
        already runs ``max_concurrent_runs`` executions raises `ConcurrencyLimitError`.

        Args:
            job_id: The job's id.
            job_condition: Settings for this run only: a `JobCondition` or a mapping of its
                fields; `None` uses the job's.
            parameters: A string map for `SCRIPT` jobs.
            workflow_id: The workflow this run belongs to, if any.
            trigger_id: The trigger this run belongs to, if any.
            timeout: Seconds, or an `httpx.Timeout`, for this call; `None` uses the client's.
            extra_headers: Headers added to this call's request.

        Returns:
            The `JobExecution`, usually `READY`.

        Raises:
            ConcurrencyLimitError: The job already runs `max_concurrent_runs` executions.
            AmbiguousWriteError: The request may have reached the service; it is not repeated.
            ValueError: An argument is invalid (`TypeError` for a wrong type); nothing is sent.
        """
        path = f"{JOBS_PATH}/{path_id('job_id', job_id)}/executions"
        query: dict[str, str | int] = {}
        if workflow_id is not None:
            query["workflowId"] = _query_id("workflow_id", workflow_id)
        if trigger_id is not None:
            query["triggerId"] = _query_id("trigger_id", trigger_id)
        body = start_body(job_condition, parameters)
        opts = options(timeout, extra_headers)
        try:
            response = await self._base._send("POST", path, opts, params=query or None, json=body)
        except BadRequestError as exc:
            limit = concurrency_limit(exc)
            if limit is exc:
                raise
            raise limit from exc
        return structure(JobExecution, decode(response, f"POST {path}"), where=f"POST {path}")

    async def get(
        self,
        job_id: str,
        execution_id: str,
        *,
        timeout: float | httpx.Timeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> JobExecution:
        """One execution of a job.

        Args:
            job_id: The job's id.
            execution_id: The execution's id.
            timeout: Seconds, or an `httpx.Timeout`, for this call; `None` uses the client's.
            extra_headers: Headers added to this call's request.

        Returns:
            The `JobExecution`.

        Raises:
            NotFoundError: No such job or execution.
            ValueError: An argument is invalid (`TypeError` for a wrong type); nothing is sent.
        """
        path = _execution_path(job_id, execution_id)
        response = await self._base._send("GET", path, options(timeout, extra_headers))
        return structure(JobExecution, decode(response, f"GET {path}"), where=f"GET {path}")

    async def list(
        self,
        job_id: str,
        *,
        page: int = 0,
        limit: int = DEFAULT_PAGE_SIZE,
        timeout: float | httpx.Timeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Page[JobExecution]:
        """One page of a job's executions (``page`` is 0-based).

        Args:
            job_id: The job's id.
            page: The page to fetch, 0-based.
            limit: The page size, at least 1.
            timeout: Seconds, or an `httpx.Timeout`, for this call; `None` uses the client's.
            extra_headers: Headers added to this call's request.

        Returns:
            A `Page` of `JobExecution`s.

        Raises:
            ValueError: An argument is invalid (`TypeError` for a wrong type); nothing is sent.
        """
        path = f"{JOBS_PATH}/{path_id('job_id', job_id)}/executions"
        check_page(page, limit)
        opts = options(timeout, extra_headers)
        return await self._base._list_page(path, {}, JobExecution, opts, page, limit)

    def iter(
        self,
        job_id: str,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        max_items: int | None = None,
        prefetch: int = 1,
        timeout: float | httpx.Timeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> AsyncPager[JobExecution]:
        """Every execution of a job, page after page, each execution id once.

        Args:
            job_id: The job's id.
            page_size: Items per request, at least 1.
            max_items: Stop after this many items; `None`: all of them.
            prefetch: Pages requested ahead of the one being consumed; `0`: one request after
                another.
            timeout: Seconds, or an `httpx.Timeout`, for this call; `None` uses the client's.
            extra_headers: Headers added to this call's request.

        Returns:
            An `AsyncPager` of `JobExecution`s.

        Raises:
            ValueError: An argument is invalid (`TypeError` for a wrong type); nothing is sent.
        """
        path = f"{JOBS_PATH}/{path_id('job_id', job_id)}/executions"
        opts = options(timeout, extra_headers)
        return self._base._list_pager(
            path,
            {},
            JobExecution,
            "execution_id",
            opts,
            page_size=page_size,
            max_items=max_items,
            prefetch=prefetch,
        )

    async def cancel(
        self,
        job_id: str,
        execution_id: str,
        *,
        timeout: float | httpx.Timeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> None:
        """Cancel an execution (answered ``true``, an empty body or 204).

        It then moves to ``CANCELED``; read it with `get` to see when.

        Args:
            job_id: The job's id.
            execution_id: The execution's id.
            timeout: Seconds, or an `httpx.Timeout`, for this call; `None` uses the client's.
            extra_headers: Headers added to this call's request.

        Raises:
            NotFoundError: No such job or execution.
            ValueError: An argument is invalid (`TypeError` for a wrong type); nothing is sent.
        """
        path = _execution_path(job_id, execution_id) + "/cancel"
        response = await self._base._send("POST", path, options(timeout, extra_headers))
        expect_done(response, f"POST {path}")

    async def wait(
        self,
        job_id: str,
        execution_id: str,
        *,
        timeout: float | None = None,
        poll: PollPolicy | None = None,
    ) -> JobExecution:
        """Wait until an execution finishes and return it, whatever its status.

        ``timeout`` (seconds) bounds the whole wait: past it `WaitTimeoutError` is raised,
        carrying the last state seen; the execution goes on on the server. Polls follow
        ``poll`` (see `PollPolicy`).

        Args:
            job_id: The job's id.
            execution_id: The execution's id.
            timeout: Seconds the whole call may take; `None`: no bound.
            poll: How often to poll; `None`: the default `PollPolicy`.

        Returns:
            The finished `JobExecution`.

        Raises:
            WaitTimeoutError: `timeout` passed first; it carries the last state seen.
            ValueError: An argument is invalid (`TypeError` for a wrong type); nothing is sent.
        """
        _check_ids(job_id, execution_id)
        _awaiting.check_timeout(timeout)
        return await _awaiting.wait(
            self, job_id, execution_id, poll=check_poll(poll), timeout=timeout
        )

    async def watch(
        self,
        job_id: str,
        execution_id: str,
        *,
        timeout: float | None = None,
        poll: PollPolicy | None = None,
    ) -> AsyncGenerator[JobExecution, None]:
        """Yield the execution each time its status is seen to change; the last one
        yielded is finished, then the iteration ends.

        Args:
            job_id: The job's id.
            execution_id: The execution's id.
            timeout: Seconds the whole call may take; `None`: no bound.
            poll: How often to poll; `None`: the default `PollPolicy`.

        Yields:
            The `JobExecution` at each change of status; the last one is finished.

        Raises:
            WaitTimeoutError: `timeout` passed first; it carries the last state seen.
            ValueError: An argument is invalid (`TypeError` for a wrong type); nothing is sent.
        """
        _check_ids(job_id, execution_id)
        _awaiting.check_timeout(timeout)
        steps = _awaiting.watch(self, job_id, execution_id, poll=check_poll(poll), timeout=timeout)
        async with aclosing(steps) as changes:
            async for execution in changes:
                yield execution

    async def run(
        self,
        job_id: str,
        *,
        job_condition: Any = None,
        parameters: Mapping[str, str] | None = None,
        timeout: float | None = None,
        poll: PollPolicy | None = None,
        raise_on_failure: bool = True,
        cancel_on_abandon: bool = False,
        wait_for_slot: bool = False,
    ) -> JobExecution:
        """Start an execution of a job and wait until it finishes.

        With ``raise_on_failure`` a ``FAILED`` run raises `ExecutionFailedError` and a
        ``CANCELED`` one `ExecutionCanceledError` (both carry ``.execution``); otherwise
        the finished execution is returned whatever its status. ``timeout`` bounds the
        whole call (`WaitTimeoutError`). Cancelling the awaiting task leaves the run
        going, unless ``cancel_on_abandon``: then it is cancelled first (shielded, at
        most a few seconds). A start that may or may not have happened is reconciled,
        never repeated. With ``wait_for_slot`` a start refused because the job already
        runs ``max_concurrent_runs`` executions is tried again until a slot frees.

        Args:
            job_id: The job's id.
            job_condition: Settings for this run only, as for `start`.
            parameters: A string map for `SCRIPT` jobs, as for `start`.
            timeout: Seconds the whole call may take; `None`: no bound.
            poll: How often to poll; `None`: the default `PollPolicy`.
            raise_on_failure: Raise for a `FAILED` or `CANCELED` run instead of returning it.
            cancel_on_abandon: Cancel the run when the awaiting task is cancelled.
            wait_for_slot: Retry a start refused by the concurrency limit until a slot frees.

        Returns:
            The finished `JobExecution`.

        Raises:
            ExecutionFailedError: The run ended `FAILED` (with `raise_on_failure`).
            ExecutionCanceledError: The run ended `CANCELED` (with `raise_on_failure`).
            WaitTimeoutError: `timeout` passed first; the run goes on.
            ValueError: An argument is invalid (`TypeError` for a wrong type); nothing is sent.
        """
        path_id("job_id", job_id)
        _awaiting.check_timeout(timeout)
        check_flag(raise_on_failure, "raise_on_failure")
        check_flag(cancel_on_abandon, "cancel_on_abandon")
        check_flag(wait_for_slot, "wait_for_slot")
        start_body(job_condition, parameters)  # bad arguments fail before anything is sent
        return await _awaiting.run(
            self,
            job_id,
            start={"job_condition": job_condition, "parameters": parameters},
            poll=check_poll(poll),
            timeout=timeout,
            raise_on_failure=raise_on_failure,
            cancel_on_abandon=cancel_on_abandon,
            wait_for_slot=wait_for_slot,
            server_now=server_clock(self._base._requester),
        )


def _check_ids(job_id: str, execution_id: str) -> None:
    path_id("job_id", job_id)
    path_id("execution_id", execution_id)


def _execution_path(job_id: str, execution_id: str) -> str:
    job = path_id("job_id", job_id)
    return f"{JOBS_PATH}/{job}/executions/{path_id('execution_id', execution_id)}"


def _query_id(field: str, value: Any) -> str:
    path_id(field, value)
    return str(value)


def concurrency_limit(error: BadRequestError) -> BadRequestError:
    """The error as `ConcurrencyLimitError` when its body speaks of the concurrency limit
    (a 400 ``bad-state``: an assumption, the API does not document the body)."""
    text = " ".join(
        str(part) for part in (error.error_code, error.message, error.details, error.body) if part
    )
    if isinstance(error, ConcurrencyLimitError) or not _CONCURRENCY.search(text):
        return error
    return ConcurrencyLimitError(
        error.status_code,
        error.error_code,
        error.message,
        error.details,
        error.response,
        body=error.body,
        retry_after=error.retry_after,
    )
