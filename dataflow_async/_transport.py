"""Transport policy in one place: send, sign, time out, map errors, retry."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

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
from ._retry import RetryPolicy, parse_retry_after

__all__ = ["Transport", "status_error"]

logger = logging.getLogger("dataflow_async")

_EXCERPT = 200


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
    args = (status, error_code, message, details, response)
    if status == 400:
        return BadRequestError(*args, body=body)
    if status == 401:
        if error_code == "210":
            return PermissionDeniedError(*args, body=body)
        return AuthenticationError(*args, body=body)
    if status == 403:
        return PermissionDeniedError(*args, body=body)
    if status == 404:
        return NotFoundError(*args, body=body)
    if status == 429:
        retry_after = parse_retry_after(response.headers, time.time() if now is None else now)
        kind = QuotaExceededError if error_code == "400" else RateLimitError
        return kind(*args, body=body, retry_after=retry_after)
    if status >= 500:
        return ServerError(*args, body=body)
    return APIStatusError(*args, body=body)


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
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.http_client = http_client
        self.base_url = base_url.rstrip("/")
        self.auth = auth
        self.timeout = timeout
        self.retry = retry
        self.clock = clock

    async def get_json(self, path: str, params: Mapping[str, str | int]) -> Any:
        """GET ``path`` and return its decoded JSON body, retrying what may be retried."""
        policy = self.retry
        url = self.base_url + path
        retries = 0
        while True:
            request = self.http_client.build_request(
                "GET",
                url,
                params=params,
                timeout=self.timeout if self.timeout is not None else httpx.USE_CLIENT_DEFAULT,
            )
            started = time.perf_counter()
            error: Exception
            try:
                response = await self.http_client.send(
                    request, auth=self.auth if self.auth is not None else httpx.USE_CLIENT_DEFAULT
                )
            except httpx.TimeoutException as exc:
                error = APITimeoutError(
                    f"request timed out ({type(exc).__name__})", request=request
                )
                status: int | str = type(exc).__name__
            except httpx.UnsupportedProtocol:
                raise
            except httpx.TransportError as exc:
                error = APIConnectionError(
                    f"connection failed ({type(exc).__name__}: {exc})", request=request
                )
                status = type(exc).__name__
            else:
                status = response.status_code
                if response.is_success:
                    self._log_attempt(request, status, retries, started)
                    return self._decode(response)
                error = status_error(response, now=self.clock())
            self._log_attempt(request, status, retries, started)
            delay = self._retry_delay(error, retries)
            if delay is None:
                raise error
            logger.info(
                "retrying GET %s in %.3f s (retry %d of %d): %s",
                request.url.path,
                delay,
                retries + 1,
                policy.max_retries,
                _reason(error),
            )
            await policy.sleep(delay)
            retries += 1

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
        retry_after = error.retry_after if isinstance(error, RateLimitError) else None
        if retry_after is not None and retry_after > policy.max_retry_after:
            return None
        if retries >= policy.max_retries:
            return None
        return retry_after if retry_after is not None else policy.backoff(retries)

    @staticmethod
    def _decode(response: httpx.Response) -> Any:
        try:
            return loads(response.content)
        except JSONDecodeError:
            raise UnexpectedResponseError(
                f"response to GET {response.request.url.path} is not JSON: "
                f"{excerpt(response.content)}",
                response=response,
            ) from None

    @staticmethod
    def _log_attempt(
        request: httpx.Request, status: int | str, retries: int, started: float
    ) -> None:
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "GET %s -> %s (attempt %d, %.1f ms)",
                request.url.raw_path.decode("ascii"),
                status,
                retries + 1,
                (time.perf_counter() - started) * 1000,
            )


def _reason(error: Exception) -> str:
    if isinstance(error, APIStatusError):
        return f"HTTP {error.status_code}" + (
            f" errorCode {error.error_code}" if error.error_code else ""
        )
    return type(error).__name__
