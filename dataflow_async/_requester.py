"""Transport policy in one place: send, sign, bound, time out, map errors, retry."""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Callable, Mapping
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from . import _cancel_safe, _loop_guard
from ._attempt import Outcome, log_attempt, send_once, shrink_all
from ._auth import NcpSignatureAuth
from ._errors import (
    AmbiguousWriteError,
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    DataFlowError,
    NotFoundError,
    QuotaExceededError,
    RateLimitError,
)
from ._logging import logger
from ._retry import RetryBudget, RetryPolicy
from ._status import decode_json, safe_headers, status_error

__all__ = ["Requester", "decode_json", "safe_headers", "status_error"]

_HEADERS = {"Accept": "application/json", "Accept-Encoding": "gzip, deflate"}
METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})
DEFAULT_MAX_RESPONSE_BYTES = 8 * 1024 * 1024
"""8 MiB of decoded body. A 1000-job page of the emulator's longest jobs is 0.38 MB;
with every name at the 100-character maximum, escaped as ``\\uXXXX``, about 0.93 MB."""
CLOCK_SKEW_THRESHOLD = 60.0
"""Seconds the local clock may be off before a 401 is read as clock skew."""


def _with_query(
    http_client: httpx.AsyncClient, url: str, params: Mapping[str, str | int] | None
) -> tuple[str, Mapping[str, str | int] | None]:
    """``url`` with ``params`` encoded as httpx encodes them, and no params left over;
    or both as they are when the client has default params of its own, or the URL a
    query (httpx merges those with the request's). A query in the URL costs httpx one
    parse of it; params cost it two, and a merge: 49 against 82 us a request
    (build_request, Python 3.11)."""
    if not params or http_client.params or "?" in url:
        return url, params
    return f"{url}?{httpx.QueryParams(params)}", None


class Requester:
    """Sends requests with the client's auth, timeout, size cap and retry policy.

    ``auth=None`` means the http client's own auth is used. Each attempt goes
    through the auth flow again, so it is signed afresh with a new timestamp.
    Redirects are never followed: a 3xx is an `UnexpectedResponseError`.
    """

    def __init__(
        self,
        http_client: httpx.AsyncClient,
        *,
        base_url: str,
        auth: httpx.Auth | None,
        timeout: httpx.Timeout | None,
        retry: RetryPolicy,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        self.http_client = http_client
        self.base_url = base_url
        self.auth = auth
        self.timeout = timeout
        self.retry = retry
        self.max_response_bytes = max_response_bytes
        self.budget = RetryBudget(retry.budget_tokens, retry.budget_refill)
        self.guard = _loop_guard.LoopGuard()
        self._skew_warned = False

    @property
    def base_url(self) -> str:
        """The endpoint every path is appended to (no trailing slash)."""
        return self._base_url

    @base_url.setter
    def base_url(self, value: str) -> None:
        self._base_url = value.rstrip("/")
        self.__dict__.pop("_httpx_transport", None)
        self.__dict__.pop("_slots", None)

    @property
    def signer(self) -> NcpSignatureAuth | None:
        """The signature auth in use, whose clock can be corrected, if it is ours."""
        auth = self.auth if self.auth is not None else self.http_client.auth
        return auth if isinstance(auth, NcpSignatureAuth) else None

    async def get(
        self,
        path: str,
        params: Mapping[str, str | int] | None = None,
        *,
        on_sent: Callable[[], None] | None = None,
        retry: bool = True,
    ) -> httpx.Response:
        """GET ``path``: `request` with the GET method."""
        return await self.request("GET", path, params=params, on_sent=on_sent, retry=retry)

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        json: Any = None,
        timeout: float | httpx.Timeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
        on_sent: Callable[[], None] | None = None,
        retry: bool = True,
    ) -> httpx.Response:
        """Send ``method path`` and return the successful response, its body read.

        ``on_sent`` is called once the first attempt's request has been written (with a
        transport other than httpx's own: once it is handed over). With ``retry=False`` a
        failure is raised at once and spends nothing from the retry budget. POST is
        retried only when it provably never reached the service; otherwise an
        ambiguous failure raises `AmbiguousWriteError`.
        """
        if method not in METHODS:
            raise ValueError(f"method must be one of {sorted(METHODS)}, got {method!r}")
        limit = self._call_timeout(timeout)
        self.guard.check(self.http_client, self._httpx_transport)
        headers = {**_HEADERS, **(extra_headers or {})}
        url, params = _with_query(self.http_client, self.base_url + path, params)
        call = _Call(method, path, self.retry)
        while True:
            remaining = call.start_attempt()
            request = self.http_client.build_request(
                method,
                url,
                params=params,
                json=json,
                headers=headers,
                timeout=shrink_all(limit, remaining),
            )
            started = time.perf_counter()
            outcome, written = await self._send_once(
                request, limit, remaining, on_sent if call.attempt == 1 else None
            )
            log_attempt(request, outcome, call.attempt, started)
            if isinstance(outcome, httpx.Response):
                self.budget.record_success()
                return outcome
            gone = call.gone_after_ambiguous_delete(outcome)
            if gone is not None:
                return gone
            if retry and not call.skew_repaired and self._repair_clock_skew(outcome):
                call.skew_repaired = True
                continue
            error = call.judge(outcome, written)
            delay = self._next_delay(error, call) if error is outcome and retry else None
            if delay is None:
                raise error
            call.log_retry(delay, outcome)
            await self.retry.sleep(delay)
            call.retries += 1

    async def _send_once(
        self,
        request: httpx.Request,
        limit: httpx.Timeout,
        remaining: float | None,
        on_sent: Callable[[], None] | None,
    ) -> tuple[Outcome, bool]:
        """Send once (`send_once`) with this requester's auth, transport, slots and cap."""
        return await send_once(
            self.http_client,
            request,
            auth=self.auth,
            transport=self._httpx_transport,
            slots=self._slots,
            max_bytes=self.max_response_bytes,
            limit=limit,
            remaining=remaining,
            on_sent=on_sent,
        )

    def _call_timeout(self, timeout: float | httpx.Timeout | None) -> httpx.Timeout:
        if timeout is None:
            return self.timeout if self.timeout is not None else self.http_client.timeout
        if isinstance(timeout, httpx.Timeout):
            return timeout
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not timeout > 0:
            raise ValueError(f"timeout must be a number of seconds > 0, got {timeout!r}")
        return httpx.Timeout(float(timeout))

    def _next_delay(self, error: Exception, call: _Call) -> float | None:
        """The policy's delay, unless the deadline would pass or the budget is spent."""
        delay = self._retry_delay(error, call.retries)
        if delay is None:
            return None
        if call.deadline_at is not None and self.retry.clock() + delay >= call.deadline_at:
            logger.info("not retrying %s %s: the deadline would pass", call.method, call.path)
            return None
        if not self.budget.try_spend():
            logger.info(
                "not retrying %s %s: the client's retry budget is spent", call.method, call.path
            )
            return None
        return delay

    @functools.cached_property
    def _httpx_transport(self) -> httpx.AsyncHTTPTransport | None:
        """httpx's own transport for the base URL, or ``None`` for any other (mock,
        ASGI, a user's own), whose internals nothing here may assume."""
        pick = getattr(self.http_client, "_transport_for_url", None)
        target = pick(httpx.URL(self.base_url)) if callable(pick) else None
        return target if isinstance(target, httpx.AsyncHTTPTransport) else None

    @functools.cached_property
    def _slots(self) -> asyncio.Semaphore | None:
        """Calls past the pool's size wait here, in line, instead of in the pool."""
        return _cancel_safe.pool_slots(self._httpx_transport)

    def _repair_clock_skew(self, error: Exception) -> bool:
        """After a 401 "Authentication Failed" whose ``Date`` shows the local clock off by
        more than a minute, correct the signer's clock; ``True`` means re-sign and retry."""
        if not isinstance(error, AuthenticationError) or error.error_code not in (None, "200"):
            return False
        signer = self.signer
        date = error.response.headers.get("date") if error.response is not None else None
        if signer is None or date is None:
            return False
        try:
            server_now = parsedate_to_datetime(date).timestamp()
        except (TypeError, ValueError, OverflowError, IndexError):
            return False
        skew = server_now - (signer.clock() + signer.clock_offset)
        if abs(skew) <= CLOCK_SKEW_THRESHOLD:
            return False
        signer.clock_offset += skew
        log = logger.info if self._skew_warned else logger.warning
        self._skew_warned = True
        log(
            "the local clock is %+.0f s off the gateway's (per its Date header); "
            "signing with the corrected time from now on",
            -skew,
        )
        return True

    def _retry_delay(self, error: Exception, retries: int) -> float | None:
        """Seconds to wait before the next attempt, or ``None`` to raise ``error`` now."""
        policy = self.retry
        if not _retryable(error, policy):
            return None
        retry_after = error.retry_after if isinstance(error, APIStatusError) else None
        if retry_after is not None and retry_after > policy.max_retry_after:
            return None
        if retries >= policy.max_retries:
            return None
        return retry_after if retry_after is not None else policy.backoff(retries)


class _Call:
    """The state of one call across its attempts, and the write-safety rules."""

    def __init__(self, method: str, path: str, policy: RetryPolicy) -> None:
        self.method = method
        self.path = path
        self.policy = policy
        self.deadline = policy.deadline
        self.deadline_at = None if policy.deadline is None else policy.clock() + policy.deadline
        self.attempt = 0
        self.retries = 0
        self.skew_repaired = False
        self.ambiguous = False

    def log_retry(self, delay: float, error: Exception) -> None:
        logger.info(
            "retrying %s %s in %.3f s (retry %d of %d): %s",
            self.method,
            self.path,
            delay,
            self.retries + 1,
            self.policy.max_retries,
            _reason(error),
        )

    def start_attempt(self) -> float | None:
        """Count an attempt; the seconds left before the deadline (``None``: no deadline)."""
        self.attempt += 1
        if self.deadline_at is None:
            return None
        remaining = self.deadline_at - self.policy.clock()
        if remaining <= 0:
            raise APITimeoutError(
                f"deadline of {self.deadline} s reached after {self.attempt - 1} attempt(s)"
            )
        return remaining

    def gone_after_ambiguous_delete(self, outcome: Outcome) -> httpx.Response | None:
        """The 404 response of a DELETE whose earlier attempt may have worked: done."""
        if self.method == "DELETE" and self.ambiguous and isinstance(outcome, NotFoundError):
            return outcome.response
        return None

    def judge(self, outcome: APIStatusError | APIConnectionError, written: bool) -> DataFlowError:
        """The error to retry or raise: ``outcome`` itself, or, for a POST that may have
        reached the service, an `AmbiguousWriteError` (never retried)."""
        maybe_done = _maybe_done(outcome, written, self.policy)
        self.ambiguous = self.ambiguous or maybe_done
        if self.method == "POST" and maybe_done:
            return AmbiguousWriteError(self.method, self.path, outcome, request=_request(outcome))
        return outcome


def _maybe_done(outcome: DataFlowError, written: bool, policy: RetryPolicy) -> bool:
    """Whether the failed attempt may have been carried out by the service."""
    if isinstance(outcome, APIConnectionError):
        return written
    if isinstance(outcome, RateLimitError | QuotaExceededError):
        return False  # refused before the service: 429 comes from the gateway
    return isinstance(outcome, APIStatusError) and outcome.status_code in policy.retry_statuses


def _retryable(error: Exception, policy: RetryPolicy) -> bool:
    if isinstance(error, QuotaExceededError | AmbiguousWriteError):
        return False
    if isinstance(error, APIStatusError):
        return error.status_code in policy.retry_statuses
    return isinstance(error, APIConnectionError)


def _request(error: DataFlowError) -> httpx.Request | None:
    if isinstance(error, APIConnectionError):
        return error.request
    response = error.response if isinstance(error, APIStatusError) else None
    return response.request if response is not None else None


def _reason(error: Exception) -> str:
    if isinstance(error, APIStatusError):
        return f"HTTP {error.status_code}" + (
            f" errorCode {error.error_code}" if error.error_code else ""
        )
    return str(error)
