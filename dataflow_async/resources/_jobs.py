"""``client.jobs``: list, read, create, change, verify and delete jobs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from .._converter import paused_gc, structure, structure_page, unstructure
from .._errors import APIStatusError
from .._pagination import AsyncPager, WalkStats, job_key, walk_pages
from ..types import Job, JobNode, JobPage, JobStatus, JobType
from ._base import (
    DEFAULT_PAGE_SIZE,
    Requester,
    Resource,
    decode,
    expect_done,
    options,
)
from ._bodies import job_fields, job_filters, job_nodes
from ._validate import (
    check_job_condition,
    check_name,
    check_page,
    check_walk,
    enum_value,
    path_id,
)

__all__ = ["JOBS_PATH", "Jobs"]

JOBS_PATH = "/api/v1/jobs"


class Jobs:
    """The job operations, as ``client.jobs``.

    Every method takes ``timeout`` (seconds, or an ``httpx.Timeout``, for this call) and
    ``extra_headers`` (added to this call's request) keyword arguments. Bad arguments
    raise ``ValueError`` or ``TypeError`` before anything is sent.
    """

    def __init__(self, requester: Requester) -> None:
        self._base = Resource(requester)
        self._update_with_put = False

    async def list(
        self,
        *,
        name: str | None = None,
        status: JobStatus | str | None = None,
        page: int = 0,
        limit: int = DEFAULT_PAGE_SIZE,
        timeout: float | httpx.Timeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> JobPage:
        """One page of jobs (``page`` is 0-based), filtered by ``name`` and ``status``.

        ``status`` is one of `JobStatus` in any case; any other value raises
        ``ValueError`` (the API's list of statuses is closed).

        Args:
            name: Only jobs whose name contains this (case-sensitive).
            status: Only jobs in this status: a `JobStatus`, or its name in any case.
            page: The page to fetch, 0-based.
            limit: The page size, at least 1.
            timeout: Seconds, or an `httpx.Timeout`, for this call; `None` uses the client's.
            extra_headers: Headers added to this call's request.

        Returns:
            The page: its `jobs`, `count`, `page` and `limit`.

        Raises:
            ValueError: An argument is invalid (`TypeError` for a wrong type); nothing is sent.
        """
        params = job_filters(name, status)
        check_page(page, limit)
        fetch = self._base._fetcher(JOBS_PATH, params, job_page, options(timeout, extra_headers))
        return (await fetch(page, limit, None))()

    def iter_pages(
        self,
        *,
        name: str | None = None,
        status: JobStatus | str | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        start_page: int = 0,
        prefetch: int = 1,
        timeout: float | httpx.Timeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> AsyncPager[JobPage]:
        """Every non-empty page of jobs, as `DataFlowClient.iter_job_pages`.

        Args:
            name: Only jobs whose name contains this (case-sensitive).
            status: Only jobs in this status: a `JobStatus`, or its name in any case.
            page_size: Jobs per request, at least 1.
            start_page: The page to start from, 0-based (to resume a walk).
            prefetch: Pages requested ahead of the one being consumed; `0`: one request after
                another.
            timeout: Seconds, or an `httpx.Timeout`, for this call; `None` uses the client's.
            extra_headers: Headers added to this call's request.

        Returns:
            An `AsyncPager` of `JobPage`s; iterate it with `async for`.

        Raises:
            ValueError: An argument is invalid (`TypeError` for a wrong type); nothing is sent.
        """
        params = job_filters(name, status)
        check_walk(page_size, None, prefetch, start_page)
        opts = options(timeout, extra_headers)
        stats = WalkStats()
        walk = walk_pages(
            self._base._fetcher(JOBS_PATH, params, job_page, opts),
            page_size=page_size,
            start_page=start_page,
            prefetch=prefetch,
            stats=stats,
            key=job_key,
        )
        return AsyncPager(walk, stats)

    def iter(
        self,
        *,
        name: str | None = None,
        status: JobStatus | str | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        max_items: int | None = None,
        dedupe: bool = True,
        prefetch: int = 1,
        start_page: int = 0,
        timeout: float | httpx.Timeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> AsyncPager[Job]:
        """Every matching job, page after page, as `DataFlowClient.iter_jobs`.

        Args:
            name: Only jobs whose name contains this (case-sensitive).
            status: Only jobs in this status: a `JobStatus`, or its name in any case.
            page_size: Items per request, at least 1.
            max_items: Stop after this many items; `None`: all of them.
            dedupe: Drop a job already yielded earlier in the walk.
            prefetch: Pages requested ahead of the one being consumed.
            start_page: The page to start from, 0-based (to resume a walk).
            timeout: Seconds, or an `httpx.Timeout`, for this call; `None` uses the client's.
            extra_headers: Headers added to this call's request.

        Returns:
            An `AsyncPager` of `Job`s; its `stats` count pages, jobs and duplicates dropped.

        Raises:
            ValueError: An argument is invalid (`TypeError` for a wrong type); nothing is sent.
        """
        return self._base._list_pager(
            JOBS_PATH,
            job_filters(name, status),
            Job,
            "job_id",
            options(timeout, extra_headers),
            page_size=page_size,
            max_items=max_items,
            prefetch=prefetch,
            dedupe=dedupe,
            start_page=start_page,
        )

    async def get(
        self,
        job_id: str,
        *,
        timeout: float | httpx.Timeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Job:
        """One job with its detail fields (``job_condition``, ``nodes``, ``description``).

        Args:
            job_id: The job's id.
            timeout: Seconds, or an `httpx.Timeout`, for this call; `None` uses the client's.
            extra_headers: Headers added to this call's request.

        Returns:
            The `Job`.

        Raises:
            NotFoundError: No job has this id.
            ValueError: An argument is invalid (`TypeError` for a wrong type); nothing is sent.
        """
        path = f"{JOBS_PATH}/{path_id('job_id', job_id)}"
        response = await self._base._send("GET", path, options(timeout, extra_headers))
        return structure(Job, decode(response, f"GET {path}"), where=f"GET {path}")

    async def create(
        self,
        *,
        name: str,
        type: JobType | str = JobType.SCRIPT,
        job_condition: Any = None,
        max_concurrent_runs: int | None = None,
        nodes: Sequence[JobNode | Mapping[str, Any]] | None = None,
        timeout: float | httpx.Timeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Job:
        """Create a job and return it as the service answers (200 or 201).

        ``job_condition`` is a `JobCondition` or a mapping of its fields; ``nodes`` the
        nodes of a ``VISUAL`` job, as `JobNode` s or mappings.

        Args:
            name: The job's name.
            type: The job's kind: `JobType.SCRIPT` (the default) or `VISUAL`.
            job_condition: Its execution settings: a `JobCondition` or a mapping of its fields.
            max_concurrent_runs: How many executions may run at once (newer revisions).
            nodes: The nodes of a `VISUAL` job, as `JobNode`s or mappings of their fields.
            timeout: Seconds, or an `httpx.Timeout`, for this call; `None` uses the client's.
            extra_headers: Headers added to this call's request.

        Returns:
            The `Job` as the service answers.

        Raises:
            BadRequestError: The service refused the definition.
            ValueError: An argument is invalid (`TypeError` for a wrong type); nothing is sent.
        """
        body = {"name": check_name(name), "type": enum_value(JobType, type, "type")}
        body.update(job_fields(job_condition, max_concurrent_runs, nodes))
        opts = options(timeout, extra_headers)
        response = await self._base._send("POST", JOBS_PATH, opts, json=body)
        return structure(Job, decode(response, f"POST {JOBS_PATH}"), where=f"POST {JOBS_PATH}")

    async def update(
        self,
        job_id: str,
        *,
        type: JobType | str,
        name: str | None = None,
        job_condition: Any = None,
        max_concurrent_runs: int | None = None,
        nodes: Sequence[JobNode | Mapping[str, Any]] | None = None,
        timeout: float | httpx.Timeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Job:
        """Change a job: only the fields given are sent (``PATCH``).

        A server that answers ``PATCH`` with 405 (an older revision of the API) is sent
        ``PUT`` with the older body instead (``name`` required: read from the job when
        not given; ``isTemp: false``), and this client uses ``PUT`` from then on.

        Args:
            job_id: The job's id.
            type: The job's kind (the API requires it).
            name: A new name; `None` keeps it.
            job_condition: New execution settings; `None` keeps them.
            max_concurrent_runs: A new limit; `None` keeps it.
            nodes: New nodes; `None` keeps them.
            timeout: Seconds, or an `httpx.Timeout`, for this call; `None` uses the client's.
            extra_headers: Headers added to this call's request.

        Returns:
            The `Job` as the service answers.

        Raises:
            NotFoundError: No job has this id.
            ValueError: An argument is invalid (`TypeError` for a wrong type); nothing is sent.
        """
        path = f"{JOBS_PATH}/{path_id('job_id', job_id)}"
        body: dict[str, Any] = {"type": enum_value(JobType, type, "type")}
        if name is not None:
            body["name"] = check_name(name)
        body.update(job_fields(job_condition, max_concurrent_runs, nodes))
        opts = options(timeout, extra_headers)
        if not self._update_with_put:
            try:
                response = await self._base._send("PATCH", path, opts, json=body)
                return structure(Job, decode(response, f"PATCH {path}"), where=f"PATCH {path}")
            except APIStatusError as exc:
                if exc.status_code != 405:
                    raise
            self._update_with_put = True
        if "name" not in body:
            body["name"] = (await self.get(job_id, **opts)).name
        response = await self._base._send("PUT", path, opts, json={**body, "isTemp": False})
        return structure(Job, decode(response, f"PUT {path}"), where=f"PUT {path}")

    async def update_execution_config(
        self,
        job_id: str,
        job_condition: Any,
        *,
        timeout: float | httpx.Timeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Job:
        """Change a job's stored execution settings (``PUT .../executions``); fields left
        ``None`` keep their stored value. Returns the job as the service answers.

        Args:
            job_id: The job's id.
            job_condition: The settings to store: a `JobCondition` or a mapping of its fields.
            timeout: Seconds, or an `httpx.Timeout`, for this call; `None` uses the client's.
            extra_headers: Headers added to this call's request.

        Returns:
            The `Job` as the service answers.

        Raises:
            ValueError: An argument is invalid (`TypeError` for a wrong type); nothing is sent.
        """
        path = f"{JOBS_PATH}/{path_id('job_id', job_id)}/executions"
        body = {"jobCondition": unstructure(check_job_condition(job_condition))}
        response = await self._base._send("PUT", path, options(timeout, extra_headers), json=body)
        return structure(Job, decode(response, f"PUT {path}"), where=f"PUT {path}")

    async def verify(
        self,
        *,
        name: str,
        nodes: Sequence[JobNode | Mapping[str, Any]],
        timeout: float | httpx.Timeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Any:
        """Check a job definition without saving it.

        Returns what the service answered (decoded JSON; ``None`` for an empty body): the
        API documents no body. A definition the service refuses raises `BadRequestError`.

        Args:
            name: The job's name.
            nodes: The nodes to check, as `JobNode`s or mappings of their fields.
            timeout: Seconds, or an `httpx.Timeout`, for this call; `None` uses the client's.
            extra_headers: Headers added to this call's request.

        Returns:
            What the service answered: decoded JSON, or `None` for an empty body.

        Raises:
            BadRequestError: The service refused the definition.
            ValueError: An argument is invalid (`TypeError` for a wrong type); nothing is sent.
        """
        body = {"name": check_name(name), "nodes": job_nodes(nodes)}
        path = f"{JOBS_PATH}/verify"
        response = await self._base._send("POST", path, options(timeout, extra_headers), json=body)
        if response.status_code == 204 or not response.content.strip():
            return None
        return decode(response, f"POST {path}")

    async def delete(
        self,
        job_id: str,
        *,
        timeout: float | httpx.Timeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> None:
        """Delete a job (answered ``true``, an empty body or 204).

        Args:
            job_id: The job's id.
            timeout: Seconds, or an `httpx.Timeout`, for this call; `None` uses the client's.
            extra_headers: Headers added to this call's request.

        Raises:
            NotFoundError: No job has this id.
            ValueError: An argument is invalid (`TypeError` for a wrong type); nothing is sent.
        """
        path = f"{JOBS_PATH}/{path_id('job_id', job_id)}"
        response = await self._base._send("DELETE", path, options(timeout, extra_headers))
        expect_done(response, f"DELETE {path}")


def job_page(response: httpx.Response, page: int, limit: int) -> JobPage:
    """Decode and structure a getJobs response; `UnexpectedResponseError` if it is not
    that shape. The cyclic GC is paused meanwhile (see `paused_gc`)."""
    with paused_gc():
        where = f"GET {JOBS_PATH}"
        items = structure_page(Job, decode(response, where), page=page, limit=limit, where=where)
        return JobPage(jobs=items.items, count=items.count, page=items.page, limit=items.limit)
