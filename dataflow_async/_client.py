"""``DataFlowClient``: the asyncio client for the Data Flow API."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any

import httpx

from ._auth import NcpSignatureAuth
from ._converter import paused_gc, structure_jobs
from ._credentials import Credentials
from ._errors import UnexpectedResponseError
from ._lifecycle import AsyncClosing
from ._models import Job, JobPage, JobStatus
from ._pagination import (
    AsyncPager,
    FetchPage,
    LimitedFetch,
    WalkStats,
    check_prefetch,
    job_key,
    walk_jobs,
    walk_pages,
)
from ._retry import RetryPolicy
from ._transport import Transport, decode_json
from ._version import __version__

__all__ = ["DEFAULT_BASE_URL", "DEFAULT_TIMEOUT", "ENDPOINT_ENV_VAR", "DataFlowClient"]

DEFAULT_BASE_URL = "https://dataflow.apigw.ntruss.com"
"""The public-site endpoint, the only one documented."""
ENDPOINT_ENV_VAR = "DATAFLOW_ASYNC_ENDPOINT"
"""Environment variable naming the endpoint when ``base_url`` is not given."""
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
"""30 s per read/write/pool wait, 10 s to connect."""
DEFAULT_PAGE_SIZE = 1000
JOBS_PATH = "/api/v1/jobs"
_STATUSES: dict[str, JobStatus] = {s.value: s for s in JobStatus}


class DataFlowClient(AsyncClosing):
    """An asyncio client for NAVER Cloud Data Flow.

    ``credentials`` default to the chain NAVER Cloud's tools use (environment, then
    ``~/.ncloud/configure`` with the profile ``profile`` or ``$NCLOUD_PROFILE``).
    Given ``http_client``, the client sends through it and never closes it; if that
    client already has an ``auth`` and neither credentials nor a profile are passed, its
    auth is used.
    Otherwise the client owns one ``httpx.AsyncClient`` and closes it in ``aclose()``.

    The endpoint is ``base_url``, else the ``http_client``'s own ``base_url``, else
    ``$DATAFLOW_ASYNC_ENDPOINT``, else :data:`DEFAULT_BASE_URL`.

    ``max_retries`` is a shorthand for ``retry=RetryPolicy(max_retries=...)``; pass one
    or the other.
    """

    def __init__(
        self,
        credentials: Credentials | None = None,
        *,
        base_url: str | None = None,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int | None = None,
        retry: RetryPolicy | None = None,
        http_client: httpx.AsyncClient | None = None,
        profile: str | None = None,
    ) -> None:
        if credentials is not None and not isinstance(credentials, Credentials):
            raise TypeError(
                f"credentials must be a Credentials instance, not {type(credentials).__name__}"
            )
        if http_client is not None and not isinstance(http_client, httpx.AsyncClient):
            raise TypeError(
                f"http_client must be an httpx.AsyncClient, not {type(http_client).__name__}"
            )
        if retry is not None and max_retries is not None:
            raise ValueError("pass max_retries or retry, not both")
        if retry is None:
            retry = RetryPolicy() if max_retries is None else RetryPolicy(max_retries=max_retries)
        if credentials is not None and profile is not None:
            raise ValueError("pass credentials or profile, not both")
        if base_url is None:
            given = str(http_client.base_url) if http_client and http_client.base_url else None
            base_url = given or os.environ.get(ENDPOINT_ENV_VAR) or DEFAULT_BASE_URL
        self.base_url = _check_base_url(base_url)
        auth: httpx.Auth | None = None
        client_signs = http_client is not None and http_client.auth is not None
        if credentials is None and (profile is not None or not client_signs):
            credentials = Credentials.resolve(profile=profile)
        if credentials is not None:
            auth = NcpSignatureAuth(credentials)
        self.credentials = credentials
        request_timeout = _check_timeout(timeout)
        self._owns_http_client = http_client is None
        if http_client is None:
            http_client = httpx.AsyncClient(
                timeout=request_timeout or DEFAULT_TIMEOUT,
                headers={"User-Agent": f"dataflow-async/{__version__}"},
            )
        self.http_client = http_client
        self._transport = Transport(
            http_client, base_url=self.base_url, auth=auth, timeout=request_timeout, retry=retry
        )

    @property
    def retry(self) -> RetryPolicy:
        """The retry policy in force."""
        return self._transport.retry

    def __repr__(self) -> str:
        return f"DataFlowClient(base_url={self.base_url!r}, credentials={self.credentials!r})"

    async def aclose(self) -> None:
        """Close the http client if this client created it; a given one is left open."""
        if self._owns_http_client:
            await self.http_client.aclose()

    async def list_jobs(
        self,
        *,
        name: str | None = None,
        status: JobStatus | str | None = None,
        page: int = 0,
        limit: int = DEFAULT_PAGE_SIZE,
    ) -> JobPage:
        """Fetch one page of jobs (``page`` is 0-based).

        Raises ``ValueError`` for a bad argument before anything is sent.
        """
        params = _job_filters(name, status)
        _check_int("page", page, minimum=0)
        _check_int("limit", limit, minimum=1)
        return await self._fetch_page(params, page, limit)

    def iter_job_pages(
        self,
        *,
        name: str | None = None,
        status: JobStatus | str | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        start_page: int = 0,
        prefetch: int = 1,
    ) -> AsyncPager[JobPage]:
        """Iterate over non-empty pages of jobs until the last page.

        ``prefetch`` pages are requested ahead of the one being consumed (``0``: strictly
        one request after another); until a full first page shows there are more, the
        first page counts as one of them. ``start_page`` starts the walk there.
        Arguments are checked now, before the first request.
        """
        params = _job_filters(name, status)
        _check_walk(page_size, start_page, prefetch)
        stats = WalkStats()
        walk = walk_pages(
            self._page_fetcher(params),
            page_size=page_size,
            start_page=start_page,
            prefetch=prefetch,
            stats=stats,
            key=job_key,
        )
        return AsyncPager(walk, stats)

    def iter_jobs(
        self,
        *,
        name: str | None = None,
        status: JobStatus | str | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        max_items: int | None = None,
        dedupe: bool = True,
        prefetch: int = 1,
        start_page: int = 0,
    ) -> AsyncPager[Job]:
        """Iterate over every matching job, page after page, ``max_items`` at most.

        With ``dedupe`` (the default) a job seen earlier in the walk is not yielded
        again: jobs created during a walk shift later pages, and a job would otherwise
        come twice. What was dropped is counted in ``.stats``.
        ``prefetch`` and ``start_page`` (to resume a walk that failed part-way) are as
        for :meth:`iter_job_pages`; jobs still come in order, once. Arguments are checked
        now, before the first request.
        """
        params = _job_filters(name, status)
        _check_walk(page_size, start_page, prefetch)
        if max_items is not None:
            _check_int("max_items", max_items, minimum=0)
        if not isinstance(dedupe, bool):
            raise ValueError(f"dedupe must be a bool, got {dedupe!r}")
        stats = WalkStats()
        walk = walk_jobs(
            self._page_fetcher(params),
            page_size=page_size,
            max_items=max_items,
            dedupe=dedupe,
            prefetch=prefetch,
            start_page=start_page,
            stats=stats,
        )
        return AsyncPager(walk, stats)

    def _page_fetcher(self, filters: dict[str, str]) -> FetchPage[JobPage]:
        async def fetch(
            number: int,
            limit: int,
            on_sent: Callable[[], None] | None,
            /,
            *,
            speculative: bool = False,
        ) -> Callable[[], JobPage]:
            response = await self._transport.get(
                JOBS_PATH,
                {**filters, "page": number, "limit": limit},
                on_sent=on_sent,
                retry=not speculative,
            )
            return functools.partial(_job_page, response, number, limit)

        # More requests than the pool has connections would only queue in the pool,
        # where each freed connection is offered to every queued request.
        pool = _pool_size(self._transport)
        return fetch if pool is None else LimitedFetch(fetch, pool)

    async def _fetch_page(self, filters: dict[str, str], page: int, limit: int) -> JobPage:
        finish = await self._page_fetcher(filters)(page, limit, None)
        return finish()


def _job_page(response: httpx.Response, page: int, limit: int) -> JobPage:
    """Decode and structure a getJobs response; ``UnexpectedResponseError`` if it is not
    that shape. The cyclic GC is paused meanwhile (see :func:`paused_gc`)."""
    with paused_gc():
        body = decode_json(response)
        return _structure_page(body, page, limit)


def _structure_page(body: Any, page: int, limit: int) -> JobPage:
    if not isinstance(body, dict) or not isinstance(body.get("list"), list):
        shape = type(body).__name__ if not isinstance(body, dict) else f"keys {sorted(body)[:8]}"
        raise UnexpectedResponseError(
            f"GET {JOBS_PATH} answered a {shape}, not an object with a 'list' of jobs"
        )
    items = body["list"]
    try:
        jobs = structure_jobs(items)
    except ValueError as exc:
        raise UnexpectedResponseError(
            f"GET {JOBS_PATH} sent a job that does not fit: {exc}"
        ) from None
    return JobPage(
        jobs=jobs,
        count=_int_or(body.get("count"), len(jobs)),
        page=_int_or(body.get("page"), page),
        limit=_int_or(body.get("limit"), limit),
    )


def _int_or(value: Any, default: int) -> int:
    return value if type(value) is int else default


def _job_filters(name: str | None, status: JobStatus | str | None) -> dict[str, str]:
    params: dict[str, str] = {}
    if name is not None:
        if not isinstance(name, str) or not name:
            raise ValueError(f"name must be a non-empty str or None, got {name!r}")
        params["name"] = name
    if status is not None:
        member = _STATUSES.get(status) if isinstance(status, str) else None
        if member is None:
            valid = ", ".join(_STATUSES)
            raise ValueError(f"status must be one of {valid} (or a JobStatus), got {status!r}")
        params["status"] = member.value
    return params


def _check_walk(page_size: int, start_page: int, prefetch: int) -> None:
    _check_int("page_size", page_size, minimum=1)
    _check_int("start_page", start_page, minimum=0)
    check_prefetch(prefetch)


def _pool_size(transport: Transport) -> int | None:
    """The connection pool's ``max_connections`` when httpx's own transport is in use."""
    httpx_transport = transport._httpx_transport
    pool = getattr(httpx_transport, "_pool", None)
    size = getattr(pool, "_max_connections", None)
    return size if type(size) is int and size > 0 else None


def _check_int(name: str, value: Any, *, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")


def _check_timeout(timeout: float | httpx.Timeout | None) -> httpx.Timeout | None:
    if timeout is None or isinstance(timeout, httpx.Timeout):
        return timeout
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not timeout > 0:
        raise ValueError(
            f"timeout must be a number of seconds > 0 or an httpx.Timeout, got {timeout!r}"
        )
    return httpx.Timeout(float(timeout))


def _check_base_url(base_url: str) -> str:
    try:
        url = httpx.URL(base_url)
    except (httpx.InvalidURL, TypeError):
        raise ValueError(f"base_url must be an absolute http(s) URL, got {base_url!r}") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError(f"base_url must be an absolute http(s) URL, got {base_url!r}")
    if url.query or url.fragment:
        raise ValueError(f"base_url must not have a query or fragment, got {base_url!r}")
    return str(url).rstrip("/")
