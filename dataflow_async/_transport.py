"""Transport policy in one place: send, sign, time out, map errors, retry."""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Callable, Mapping
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from . import _cancel_safe
from ._auth import NcpSignatureAuth
from ._errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    PermissionDeniedError,
    QuotaExceededError,
    RateLimitError,
    ServerError,
    UnexpectedResponseError,
)
from ._json import JSONDecodeError, loads
from ._logging import logger
from ._retry import RetryBudget, RetryPolicy, parse_retry_after

__all__ = ["Transport", "decode_json", "safe_headers", "status_error"]


_EXCERPT = 200
_ACCEPT_JSON = {"Accept": "application/json"}
CLOCK_SKEW_THRESHOLD = 60.0
"""Seconds the local clock may be off before a 401 is read as clock skew."""
LOGGED_HEADERS = frozenset(
    {"content-type", "content-length", "date", "retry-after", "retry-after-ms", "x-request-id"}
)
"""Response headers that may appear in debug logs; no other header value is logged."""


def excerpt(content: bytes) -> str:
    """A short, printable start of a body, for error messages."""
    text = content[:_EXCERPT].decode("utf-8", "replace")
    return repr(text) + ("..." if len(content) > _EXCERPT else "")


def status_error(response: httpx.Response, *, now: float | None = None) -> APIStatusError:
    """Build the typed error for an error response, reading both body shapes.

    Gateway: ``{"error": {"errorCode", "message", "details"}}``;
    service: ``{"errorType", "detail"}`` (sometimes with ``message``).
    """
    status = response.status_code
    body: Any = None
    error_code: str | None = None
    message = response.reason_phrase or f"HTTP {status}"
    details: str | None = None
    try:
        body = loads(response.content) if response.content else None
    except JSONDecodeError:
        details = excerpt(response.content)
    if isinstance(body, dict):
        inner = body.get("error")
        if isinstance(inner, dict):
            error_code = _text(inner.get("errorCode"))
            message = _text(inner.get("message")) or message
            details = _text(inner.get("details"))
        elif "errorType" in body or "detail" in body:
            error_code = _text(body.get("errorType"))
            message = _text(body.get("message")) or _text(body.get("detail")) or message
            details = _text(body.get("detail"))
    kind: type[APIStatusError] = APIStatusError
    if status == 400:
        kind = BadRequestError
    elif status == 401:
        kind = PermissionDeniedError if error_code == "210" else AuthenticationError
    elif status == 403:
        kind = PermissionDeniedError
    elif status == 404:
        kind = NotFoundError
    elif status == 429:
        kind = QuotaExceededError if error_code == "400" else RateLimitError
    elif status >= 500:
        kind = ServerError
    retry_after = parse_retry_after(response.headers, time.time() if now is None else now)
    return kind(status, error_code, message, details, response, body=body, retry_after=retry_after)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


class Transport:
    """Sends GET requests with the client's auth, timeout and retry policy.

    ``auth=None`` means the http client's own auth is used. Each attempt goes
    through the auth flow again, so it is signed afresh with a new timestamp.
    """

    def __init__(
        self,
        http_client: httpx.AsyncClient,
        *,
        base_url: str,
        auth: httpx.Auth | None,
        timeout: httpx.Timeout | None,
        retry: RetryPolicy,
    ) -> None:
        self.http_client = http_client
        self.base_url = base_url.rstrip("/")
        self.auth = auth
        self.timeout = timeout
        self.retry = retry
        self.budget = RetryBudget(retry.budget_tokens, retry.budget_refill)
        self._skew_warned = False

    @property
    def signer(self) -> NcpSignatureAuth | None:
        """The signature auth in use, whose clock can be corrected, if it is ours."""
        auth = self.auth if self.auth is not None else self.http_client.auth
        return auth if isinstance(auth, NcpSignatureAuth) else None

    async def get(
        self,
        path: str,
        params: Mapping[str, str | int],
        *,
        on_sent: Callable[[], None] | None = None,
        retry: bool = True,
    ) -> httpx.Response:
        """GET ``path`` and return the successful response, retrying what may be retried.

        With ``retry=False`` a failure raises at once and spends no retry budget.

        ``on_sent`` is called once the first attempt's request has been written (with a
        transport other than httpx's own: once it is handed over). A first attempt that
        fails before that never calls it.
        """
        policy = self.retry
        url = self.base_url + path
        deadline_at = None if policy.deadline is None else policy.clock() + policy.deadline
        attempt = 0
        retries = 0
        skew_repaired = False
        while True:
            attempt += 1
            remaining = None if deadline_at is None else deadline_at - policy.clock()
            if remaining is not None and remaining <= 0:
                raise APITimeoutError(
                    f"deadline of {policy.deadline} s reached after {attempt - 1} attempt(s)"
                )
            request = self.http_client.build_request(
                "GET",
                url,
                params=params,
                headers=_ACCEPT_JSON,
                timeout=self._attempt_timeout(remaining),
            )
            started = time.perf_counter()
            outcome = await self._attempt(request, remaining, on_sent if attempt == 1 else None)
            self._log_attempt(request, outcome, attempt, started)
            if isinstance(outcome, httpx.Response):
                self.budget.record_success()
                return outcome
            if not retry:
                raise outcome
            if not skew_repaired and self._repair_clock_skew(outcome):
                skew_repaired = True
                continue
            delay = self._next_delay(outcome, retries, deadline_at, path)
            if delay is None:
                raise outcome
            logger.info(
                "retrying GET %s in %.3f s (retry %d of %d): %s",
                path,
                delay,
                retries + 1,
                policy.max_retries,
                _reason(outcome),
            )
            await policy.sleep(delay)
            retries += 1

    def _next_delay(
        self, error: Exception, retries: int, deadline_at: float | None, path: str
    ) -> float | None:
        """The policy's delay, unless the deadline would pass or the budget is spent."""
        delay = self._retry_delay(error, retries)
        if delay is None:
            return None
        if deadline_at is not None and self.retry.clock() + delay >= deadline_at:
            logger.info("not retrying GET %s: the deadline would pass", path)
            return None
        if not self.budget.try_spend():
            logger.info("not retrying GET %s: the client's retry budget is spent", path)
            return None
        return delay

    async def _attempt(
        self,
        request: httpx.Request,
        remaining: float | None,
        on_sent: Callable[[], None] | None,
    ) -> httpx.Response | APIStatusError | APIConnectionError:
        """Send once: the successful response, or the error it amounts to."""
        auth = self.auth if self.auth is not None else httpx.USE_CLIENT_DEFAULT
        transport = self._httpx_transport
        pool = transport._pool if transport is not None else None
        try:
            async with asyncio.timeout(remaining):
                response = await _cancel_safe.send(
                    self.http_client, request, auth=auth, pool=pool, on_sent=on_sent
                )
        except TimeoutError:
            return APITimeoutError(
                "the call's deadline ran out during the request", request=request
            )
        except httpx.TimeoutException as exc:
            return APITimeoutError(f"request timed out ({type(exc).__name__})", request=request)
        except httpx.UnsupportedProtocol:
            raise
        except httpx.RequestError as exc:
            # Transport errors, and a body that cannot be decoded (a broken gzip stream):
            # both are a response that did not arrive whole.
            return APIConnectionError(
                f"connection failed ({type(exc).__name__}: {exc})", request=request
            )
        if response.is_success:
            return response
        return status_error(response)

    @functools.cached_property
    def _httpx_transport(self) -> httpx.AsyncHTTPTransport | None:
        """httpx's own transport for the base URL, or ``None`` for any other (mock,
        ASGI, a user's own), whose internals nothing here may assume."""
        pick = getattr(self.http_client, "_transport_for_url", None)
        target = pick(httpx.URL(self.base_url)) if callable(pick) else None
        return target if isinstance(target, httpx.AsyncHTTPTransport) else None

    def _attempt_timeout(self, remaining: float | None) -> Any:
        if remaining is None:
            return self.timeout if self.timeout is not None else httpx.USE_CLIENT_DEFAULT
        base = self.timeout if self.timeout is not None else self.http_client.timeout
        return httpx.Timeout(
            connect=_shrink(base.connect, remaining),
            read=_shrink(base.read, remaining),
            write=_shrink(base.write, remaining),
            pool=_shrink(base.pool, remaining),
        )

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
        except (TypeError, ValueError):
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
        if isinstance(error, QuotaExceededError):
            return None
        if isinstance(error, APIStatusError):
            if error.status_code not in policy.retry_statuses:
                return None
        elif not isinstance(error, APIConnectionError):
            return None
        retry_after = error.retry_after if isinstance(error, APIStatusError) else None
        if retry_after is not None and retry_after > policy.max_retry_after:
            return None
        if retries >= policy.max_retries:
            return None
        return retry_after if retry_after is not None else policy.backoff(retries)

    @staticmethod
    def _log_attempt(
        request: httpx.Request,
        outcome: httpx.Response | Exception,
        attempt: int,
        started: float,
    ) -> None:
        if not logger.isEnabledFor(logging.DEBUG):
            return
        response = outcome if isinstance(outcome, httpx.Response) else None
        if isinstance(outcome, APIStatusError):
            response = outcome.response
        status = response.status_code if response is not None else type(outcome).__name__
        logger.debug(
            "GET %s -> %s (attempt %d, %.1f ms) %s",
            request.url.raw_path.decode("ascii"),
            status,
            attempt,
            (time.perf_counter() - started) * 1000,
            safe_headers(response.headers) if response is not None else {},
        )


def decode_json(response: httpx.Response) -> Any:
    """The JSON body of a successful response; ``UnexpectedResponseError`` if it is not JSON."""
    try:
        return loads(response.content)
    except JSONDecodeError:
        raise UnexpectedResponseError(
            f"response to GET {response.request.url.path} is not JSON: {excerpt(response.content)}",
            response=response,
        ) from None


def safe_headers(headers: httpx.Headers) -> dict[str, str]:
    """Only the headers on the allowlist: nothing that could carry a key or signature."""
    return {name: value for name, value in headers.items() if name in LOGGED_HEADERS}


def _shrink(value: float | None, remaining: float) -> float:
    return remaining if value is None else min(value, remaining)


def _reason(error: Exception) -> str:
    if isinstance(error, APIStatusError):
        return f"HTTP {error.status_code}" + (
            f" errorCode {error.error_code}" if error.error_code else ""
        )
    return str(error)
