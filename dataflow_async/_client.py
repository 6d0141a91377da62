"""``DataFlowClient``: the asyncio client for the Data Flow API."""

from __future__ import annotations

import functools
import os
import re

import httpx

from ._auth import NcpSignatureAuth
from ._credentials import Credentials
from ._lifecycle import AsyncClosing
from ._loop_guard import drop_connections
from ._network import use_asyncio_backend
from ._pagination import AsyncPager
from ._requester import DEFAULT_MAX_RESPONSE_BYTES, Requester
from ._retry import RetryPolicy
from ._tls import shared_ssl_context
from ._version import __version__
from .resources import Executions, Jobs, Stats, Triggers, Workflows
from .resources._base import DEFAULT_PAGE_SIZE
from .resources._validate import check_positive
from .types import Job, JobPage, JobStatus

__all__ = ["DEFAULT_BASE_URL", "DEFAULT_TIMEOUT", "ENDPOINT_ENV_VAR", "DataFlowClient"]

DEFAULT_BASE_URL = "https://dataflow.apigw.ntruss.com"
"""The public-site endpoint, the only one documented."""
ENDPOINT_ENV_VAR = "DATAFLOW_ASYNC_ENDPOINT"
"""Environment variable naming the endpoint when ``base_url`` is not given."""
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
POOL_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=5.0)
"""The connection pool of a client's own httpx client: httpx's defaults (100 connections,
20 kept alive for 5 s)."""
"""30 s per read/write/pool wait, 10 s to connect."""


class DataFlowClient(AsyncClosing):
    """An asyncio client for NAVER Cloud Data Flow.

    Use it as an async context manager, or call `aclose()` when done. Its resources are
    properties: `jobs`, `executions`, `workflows`, `triggers`, `stats`.

    A client belongs to the event loop that first uses it: from another loop it
    raises `EventLoopMismatchError`; after `aclose()`, `ClientClosedError`. Redirects
    are never followed (a 3xx is an `UnexpectedResponseError` naming its Location).
    From its first byte written, an attempt lasts at most twice the longest of the
    connect, read and write timeouts, however slowly the server trickles its answer.

    Args:
        credentials: The key pair. By default, the chain NAVER Cloud's tools use
            (environment, then `~/.ncloud/configure` with the profile `profile` or
            `$NCLOUD_PROFILE`); with an `http_client` that already has an `auth` and
            neither credentials nor a profile, that auth is used.
        base_url: The endpoint. By default the `http_client`'s own `base_url`, else
            `$DATAFLOW_ASYNC_ENDPOINT`, else `DEFAULT_BASE_URL`.
        timeout: Seconds, or an `httpx.Timeout`, for each request (by default 30 s per
            read, write and pool wait, 10 s to connect).
        max_retries: A shorthand for `retry=RetryPolicy(max_retries=...)`; pass one or
            the other.
        retry: The `RetryPolicy` (by default `RetryPolicy()`).
        http_client: An `httpx.AsyncClient` to send through; the client never closes it.
            Without it, the client owns one and closes it in `aclose()`.
        profile: The profile of the configure file to read the credentials from.
        max_response_bytes: The cap on each response body, counted after decompression
            (8 MiB by default; a 1000-job page stays under 1 MB even with every name at its
            longest).

    Raises:
        TypeError: An argument has the wrong type.
        ValueError: An argument is invalid (a `base_url` that is not an absolute http(s)
            URL; both `max_retries` and `retry`; both `credentials` and `profile`).
        MissingCredentialsError: No credentials were given and none could be found.
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
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        if credentials is not None and not isinstance(credentials, Credentials):
            raise TypeError(
                f"credentials must be a Credentials instance, not {type(credentials).__name__}"
            )
        if http_client is not None and not isinstance(http_client, httpx.AsyncClient):
            raise TypeError(
                f"http_client must be an httpx.AsyncClient, not {type(http_client).__name__}"
            )
        check_positive(max_response_bytes, "max_response_bytes")
        if retry is not None and max_retries is not None:
            raise ValueError("pass max_retries or retry, not both")
        if retry is None:
            retry = RetryPolicy() if max_retries is None else RetryPolicy(max_retries=max_retries)
        if credentials is not None and profile is not None:
            raise ValueError("pass credentials or profile, not both")
        if base_url is None:
            given = str(http_client.base_url) if http_client and http_client.base_url else None
            base_url = given or os.environ.get(ENDPOINT_ENV_VAR) or DEFAULT_BASE_URL
        checked_base_url = _check_base_url(base_url)
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
            context = shared_ssl_context()
            http_client = httpx.AsyncClient(
                verify=context,
                limits=POOL_LIMITS,
                timeout=request_timeout or DEFAULT_TIMEOUT,
                headers={"User-Agent": f"dataflow-async/{__version__}"},
            )
            use_asyncio_backend(http_client, context, POOL_LIMITS)
        self.http_client = http_client
        self._requester = Requester(
            http_client,
            base_url=checked_base_url,
            auth=auth,
            timeout=request_timeout,
            retry=retry,
            max_response_bytes=max_response_bytes,
        )

    @property
    def base_url(self) -> str:
        """The endpoint requests go to. Assigning it (an absolute http(s) URL, checked
        like the constructor's argument) sends later requests there."""
        return self._requester.base_url

    @base_url.setter
    def base_url(self, value: str) -> None:
        self._requester.base_url = _check_base_url(value)

    @property
    def retry(self) -> RetryPolicy:
        """The retry policy in force."""
        return self._requester.retry

    @property
    def max_response_bytes(self) -> int:
        """The cap on one response body, in decoded bytes."""
        return self._requester.max_response_bytes

    @functools.cached_property
    def jobs(self) -> Jobs:
        """The job operations (created on first use)."""
        return Jobs(self._requester)

    @functools.cached_property
    def executions(self) -> Executions:
        """The operations on job executions (created on first use)."""
        return Executions(self._requester)

    @functools.cached_property
    def workflows(self) -> Workflows:
        """The workflow operations (created on first use)."""
        return Workflows(self._requester)

    @functools.cached_property
    def triggers(self) -> Triggers:
        """The trigger operations (created on first use)."""
        return Triggers(self._requester)

    @functools.cached_property
    def stats(self) -> Stats:
        """The dashboard statistics (created on first use)."""
        return Stats(self._requester)

    def __repr__(self) -> str:
        return (
            f"DataFlowClient(base_url={_masked_url(self.base_url)!r}, "
            f"credentials={self.credentials!r})"
        )

    async def aclose(self) -> None:
        """Close the http client if this client created it; a given one is left open.

        Later calls raise `ClientClosedError`. Closing twice is harmless; closing from
        another event loop than the client's own closes its sockets directly.
        """
        requester = self._requester
        requester.guard.closed = True
        if not self._owns_http_client:
            return
        if requester.guard.foreign():
            drop_connections(requester._httpx_transport)
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

        Args:
            name: Only jobs whose name contains this (case-sensitive).
            status: Only jobs in this status: a `JobStatus`, or its name in any case.
            page: The page to fetch, 0-based.
            limit: The page size, at least 1.

        Returns:
            The `JobPage`: its `jobs`, `count`, `page` and `limit`.

        Raises:
            ValueError: An argument is invalid (`TypeError` for a wrong type); nothing is sent.
        """
        return await self.jobs.list(name=name, status=status, page=page, limit=limit)

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

        Args:
            name: Only jobs whose name contains this (case-sensitive).
            status: Only jobs in this status: a `JobStatus`, or its name in any case.
            page_size: Jobs per request, at least 1.
            start_page: The page to start from, 0-based.
            prefetch: Pages requested ahead of the one being consumed.

        Returns:
            An `AsyncPager` of `JobPage`s.

        Raises:
            ValueError: An argument is invalid (`TypeError` for a wrong type); nothing is sent.
        """
        return self.jobs.iter_pages(
            name=name, status=status, page_size=page_size, start_page=start_page, prefetch=prefetch
        )

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
        for `iter_job_pages`; jobs still come in order, once. Arguments are checked
        now, before the first request.

        Args:
            name: Only jobs whose name contains this (case-sensitive).
            status: Only jobs in this status: a `JobStatus`, or its name in any case.
            page_size: Jobs per request, at least 1.
            max_items: Stop after this many jobs; `None`: all of them.
            dedupe: Drop a job already yielded earlier in the walk.
            prefetch: Pages requested ahead of the one being consumed.
            start_page: The page to start from, 0-based.

        Returns:
            An `AsyncPager` of `Job`s; its `stats` count pages, jobs and duplicates dropped.

        Raises:
            ValueError: An argument is invalid (`TypeError` for a wrong type); nothing is sent.
        """
        return self.jobs.iter(
            name=name,
            status=status,
            page_size=page_size,
            max_items=max_items,
            dedupe=dedupe,
            prefetch=prefetch,
            start_page=start_page,
        )


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
        shown = _USERINFO.sub("//***@", base_url) if isinstance(base_url, str) else base_url
        raise ValueError(f"base_url must be an absolute http(s) URL, got {shown!r}") from None
    if url.scheme not in ("http", "https") or not url.host:
        shown = _masked_url(base_url)
        raise ValueError(f"base_url must be an absolute http(s) URL, got {shown!r}")
    if url.query or url.fragment:
        shown = _masked_url(base_url)
        raise ValueError(f"base_url must not have a query or fragment, got {shown!r}")
    return str(url).rstrip("/")


_USERINFO = re.compile(r"//[^/?#]*@")


def _masked_url(url: str) -> str:
    """``url`` with any user name and password replaced by ``***``."""
    parsed = httpx.URL(url)
    if not parsed.userinfo:
        return url
    return str(parsed.copy_with(username="***", password=None))
