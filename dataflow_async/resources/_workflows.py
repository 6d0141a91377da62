"""``client.workflows``: list, read, create, change, delete and run workflows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from .. import _awaiting
from .._converter import structure
from .._pagination import AsyncPager
from .._polling import PollPolicy
from .._workflow_run import run_workflow
from ..types import (
    JobExecution,
    Page,
    Workflow,
    WorkflowNode,
    WorkflowRun,
    WorkflowRunAccepted,
)
from ._base import DEFAULT_PAGE_SIZE, Requester, Resource, decode, expect_done, options
from ._bodies import workflow_body, workflow_filter
from ._executions import Executions
from ._validate import check_flag, check_page, path_id
from ._waiting import check_poll, server_clock

__all__ = ["WORKFLOWS_PATH", "Workflows"]

WORKFLOWS_PATH = "/api/v1/workflows"


class Workflows:
    """The workflow operations, as ``client.workflows``.

    A workflow is a start trigger node fanning out to job nodes. Every method takes
    ``timeout`` and ``extra_headers`` keyword arguments for that call.
    """

    def __init__(self, requester: Requester) -> None:
        self._base = Resource(requester)

    async def list(
        self,
        *,
        page: int = 0,
        limit: int = DEFAULT_PAGE_SIZE,
        timeout: float | httpx.Timeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Page[Workflow]:
        """One page of workflows (``page`` is 0-based).

        Args:
            page: The page to fetch, 0-based.
            limit: The page size, at least 1.
            timeout: Seconds, or an `httpx.Timeout`, for this call; `None` uses the client's.
            extra_headers: Headers added to this call's request.

        Returns:
            A `Page` of `Workflow`s.

        Raises:
            ValueError: An argument is invalid (`TypeError` for a wrong type); nothing is sent.
        """
        check_page(page, limit)
        opts = options(timeout, extra_headers)
        return await self._base._list_page(WORKFLOWS_PATH, {}, Workflow, opts, page, limit)

    def iter(
        self,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        max_items: int | None = None,
        prefetch: int = 1,
        timeout: float | httpx.Timeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> AsyncPager[Workflow]:
        """Every workflow, page after page, each workflow id once.

        Args:
            page_size: Items per request, at least 1.
            max_items: Stop after this many items; `None`: all of them.
            prefetch: Pages requested ahead of the one being consumed; `0`: one request after
                another.
            timeout: Seconds, or an `httpx.Timeout`, for this call; `None` uses the client's.
            extra_headers: Headers added to this call's request.

        Returns:
            An `AsyncPager` of `Workflow`s.

        Raises:
            ValueError: An argument is invalid (`TypeError` for a wrong type); nothing is sent.
        """
        opts = options(timeout, extra_headers)
        return self._base._list_pager(
            WORKFLOWS_PATH,
            {},
            Workflow,
            "workflow_id",
            opts,
            page_size=page_size,
            max_items=max_items,
            prefetch=prefetch,
        )

    async def get(
        self,
        workflow_id: str,
        *,
        timeout: float | httpx.Timeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Workflow:
        """One workflow with its nodes.

        Args:
            workflow_id: The workflow's id.
            timeout: Seconds, or an `httpx.Timeout`, for this call; `None` uses the client's.
            extra_headers: Headers added to this call's request.

        Returns:
            The `Workflow`.

        Raises:
            NotFoundError: No workflow has this id.
            ValueError: An argument is invalid (`TypeError` for a wrong type); nothing is sent.
        """
        path = _path(workflow_id)
        response = await self._base._send("GET", path, options(timeout, extra_headers))
        return structure(Workflow, decode(response, f"GET {path}"), where=f"GET {path}")

    async def create(
        self,
        *,
        name: str,
        nodes: Sequence[WorkflowNode | Mapping[str, Any]],
        is_temp: bool = False,
        timeout: float | httpx.Timeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Workflow:
        """Create a workflow and return it as the service answers (200 or 201).

        ``nodes`` are `WorkflowNode` s or mappings of their fields: one ``TRIGGER`` node
        (``parent_node_ids`` empty) and ``JOB`` nodes whose ``parent_node_ids`` hold the
        trigger's id. ``is_temp=True`` saves a draft; it is always sent (older revisions
        require it).

        Args:
            name: The workflow's name.
            nodes: `WorkflowNode`s or mappings of their fields.
            is_temp: Save a draft.
            timeout: Seconds, or an `httpx.Timeout`, for this call; `None` uses the client's.
            extra_headers: Headers added to this call's request.

        Returns:
            The `Workflow` as the service answers.

        Raises:
            BadRequestError: The service refused the definition.
            ValueError: An argument is invalid (`TypeError` for a wrong type); nothing is sent.
        """
        body = workflow_body(name, nodes, is_temp)
        opts = options(timeout, extra_headers)
        response = await self._base._send("POST", WORKFLOWS_PATH, opts, json=body)
        where = f"POST {WORKFLOWS_PATH}"
        return structure(Workflow, decode(response, where), where=where)

    async def update(
        self,
        workflow_id: str,
        *,
        name: str,
        nodes: Sequence[WorkflowNode | Mapping[str, Any]],
        is_temp: bool = False,
        timeout: float | httpx.Timeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Workflow:
        """Replace a workflow's name and nodes (``PUT``) and return it.

        Args:
            workflow_id: The workflow's id.
            name: The workflow's name.
            nodes: `WorkflowNode`s or mappings of their fields.
            is_temp: Save a draft.
            timeout: Seconds, or an `httpx.Timeout`, for this call; `None` uses the client's.
            extra_headers: Headers added to this call's request.

        Returns:
            The `Workflow` as the service answers.

        Raises:
            NotFoundError: No workflow has this id.
            ValueError: An argument is invalid (`TypeError` for a wrong type); nothing is sent.
        """
        path = _path(workflow_id)
        body = workflow_body(name, nodes, is_temp)
        response = await self._base._send("PUT", path, options(timeout, extra_headers), json=body)
        return structure(Workflow, decode(response, f"PUT {path}"), where=f"PUT {path}")

    async def delete(
        self,
        workflow_id: str,
        *,
        timeout: float | httpx.Timeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> None:
        """Delete a workflow (answered ``true``, an empty body or 204).

        Args:
            workflow_id: The workflow's id.
            timeout: Seconds, or an `httpx.Timeout`, for this call; `None` uses the client's.
            extra_headers: Headers added to this call's request.

        Raises:
            NotFoundError: No workflow has this id.
            ValueError: An argument is invalid (`TypeError` for a wrong type); nothing is sent.
        """
        path = _path(workflow_id)
        response = await self._base._send("DELETE", path, options(timeout, extra_headers))
        expect_done(response, f"DELETE {path}")

    async def execute(
        self,
        workflow_id: str,
        *,
        timeout: float | httpx.Timeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> WorkflowRunAccepted:
        """Ask for a run of a workflow whose start trigger is manual or an event (202).

        The answer says the run was accepted, not done, and carries no execution id:
        its executions appear in `iter_executions`. The request is never repeated once
        it may have reached the service.

        Args:
            workflow_id: The workflow's id.
            timeout: Seconds, or an `httpx.Timeout`, for this call; `None` uses the client's.
            extra_headers: Headers added to this call's request.

        Returns:
            A `WorkflowRunAccepted`.

        Raises:
            AmbiguousWriteError: The request may have reached the service; it is not repeated.
            ValueError: An argument is invalid (`TypeError` for a wrong type); nothing is sent.
        """
        path = f"{_path(workflow_id)}/executions"
        response = await self._base._send("POST", path, options(timeout, extra_headers))
        where = f"POST {path}"
        return structure(WorkflowRunAccepted, decode(response, where), where=where)

    async def list_executions(
        self,
        workflow_id: str,
        *,
        filter: str | None = None,
        page: int = 0,
        limit: int = DEFAULT_PAGE_SIZE,
        timeout: float | httpx.Timeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Page[JobExecution]:
        """One page of the job executions that runs of a workflow started.

        Args:
            workflow_id: The workflow's id.
            filter: Sent as the API's `filter` query parameter.
            page: The page to fetch, 0-based.
            limit: The page size, at least 1.
            timeout: Seconds, or an `httpx.Timeout`, for this call; `None` uses the client's.
            extra_headers: Headers added to this call's request.

        Returns:
            A `Page` of `JobExecution`s.

        Raises:
            ValueError: An argument is invalid (`TypeError` for a wrong type); nothing is sent.
        """
        check_page(page, limit)
        path, query = f"{_path(workflow_id)}/executions", workflow_filter(filter)
        opts = options(timeout, extra_headers)
        return await self._base._list_page(path, query, JobExecution, opts, page, limit)

    def iter_executions(
        self,
        workflow_id: str,
        *,
        filter: str | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        max_items: int | None = None,
        prefetch: int = 1,
        timeout: float | httpx.Timeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> AsyncPager[JobExecution]:
        """Every job execution started by runs of a workflow, each execution id once.

        ``filter`` is sent as the API's ``filter`` query parameter (documented as "by
        workflow name"; its exact meaning is not documented).

        Args:
            workflow_id: The workflow's id.
            filter: Sent as the API's `filter` query parameter.
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
        path = f"{_path(workflow_id)}/executions"
        opts = options(timeout, extra_headers)
        return self._base._list_pager(
            path,
            workflow_filter(filter),
            JobExecution,
            "execution_id",
            opts,
            page_size=page_size,
            max_items=max_items,
            prefetch=prefetch,
        )

    async def run(
        self,
        workflow_id: str,
        *,
        timeout: float | None = None,
        poll: PollPolicy | None = None,
        cancel_on_abandon: bool = False,
    ) -> WorkflowRun:
        """Execute a workflow and wait until every execution it started has finished.

        The executions are found by the run's trigger and start time (the service
        returns no execution id). ``timeout`` bounds the whole call (`WaitTimeoutError`);
        an execute that may or may not have happened is reconciled, never repeated.
        Cancelling the awaiting task leaves the run's executions going, unless
        ``cancel_on_abandon``: then those not finished are cancelled first (shielded, at
        most a few seconds).

        Args:
            workflow_id: The workflow's id.
            timeout: Seconds the whole call may take; `None`: no bound.
            poll: How often to poll; `None`: the default `PollPolicy`.
            cancel_on_abandon: Whether cancelling the awaiting task cancels the run's
                executions not yet finished.

        Returns:
            A `WorkflowRun`: the run's executions, each finished.

        Raises:
            WaitTimeoutError: `timeout` passed first.
            ValueError: An argument is invalid (`TypeError` for a wrong type); nothing is sent.
        """
        path_id("workflow_id", workflow_id)
        _awaiting.check_timeout(timeout)
        check_flag(cancel_on_abandon, "cancel_on_abandon")
        requester = self._base._requester
        return await run_workflow(
            self,
            Executions(requester),
            workflow_id,
            poll=check_poll(poll),
            timeout=timeout,
            server_now=server_clock(requester),
            cancel_on_abandon=cancel_on_abandon,
        )


def _path(workflow_id: str) -> str:
    return f"{WORKFLOWS_PATH}/{path_id('workflow_id', workflow_id)}"
