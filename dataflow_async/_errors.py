"""The exceptions the library raises, one tree rooted at `DataFlowError`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AmbiguousWriteError",
    "AuthenticationError",
    "BadRequestError",
    "ClientClosedError",
    "ConcurrencyLimitError",
    "DataFlowError",
    "EventLoopMismatchError",
    "ExecutionCanceledError",
    "ExecutionError",
    "ExecutionFailedError",
    "MissingCredentialsError",
    "NotFoundError",
    "PaginationError",
    "PermissionDeniedError",
    "QuotaExceededError",
    "RateLimitError",
    "RequestNotSentError",
    "ResponseTooLargeError",
    "ServerError",
    "UnexpectedResponseError",
    "WaitTimeoutError",
]


class DataFlowError(Exception):
    """Base of every exception raised by dataflow-async."""


class MissingCredentialsError(DataFlowError):
    """No access key / secret key pair could be found, or only half of one."""


class APIConnectionError(DataFlowError):
    """The request did not get a complete HTTP response (DNS, connect, reset, broken body)."""

    def __init__(self, message: str, *, request: httpx.Request | None = None) -> None:
        super().__init__(message)
        self.request = request


class APITimeoutError(APIConnectionError):
    """The request timed out, or the call's deadline ran out."""


class UnexpectedResponseError(DataFlowError):
    """A successful response whose body is not JSON or not the documented shape."""

    def __init__(self, message: str, *, response: httpx.Response | None = None) -> None:
        super().__init__(message)
        self.response = response


class PaginationError(DataFlowError):
    """The server's pages cannot be walked safely (it repeats pages instead of advancing)."""


class APIStatusError(DataFlowError):
    """The API answered with an error status (4xx or 5xx).

    ``error_code`` is the gateway's ``errorCode`` (a string such as ``"200"``) or the
    service's ``errorType`` (such as ``"NOT_FOUND"``); ``message`` and ``details`` are
    the server's words; ``body`` is the decoded JSON body (``None`` if it was not JSON)
    and ``response`` the raw `httpx.Response`. ``retry_after`` is the wait in
    seconds the server asked for (``Retry-After`` or ``retry-after-ms``), when it did.
    """

    def __init__(
        self,
        status_code: int,
        error_code: str | None,
        message: str,
        details: str | None,
        response: httpx.Response | None = None,
        *,
        body: Any = None,
        retry_after: float | None = None,
    ) -> None:
        self.status_code = status_code
        self.error_code = error_code
        self.message = message
        self.details = details
        self.response = response
        self.body = body
        self.retry_after = retry_after
        super().__init__(self._describe())

    def _describe(self) -> str:
        text = f"HTTP {self.status_code}"
        if self.error_code:
            text += f" (errorCode {self.error_code})"
        text += f": {self.message}"
        if self.details and self.details != self.message:
            text += f" - {self.details}"
        return text

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status_code={self.status_code!r}, "
            f"error_code={self.error_code!r}, message={self.message!r}, details={self.details!r})"
        )


class BadRequestError(APIStatusError):
    """HTTP 400: a parameter or the request itself was rejected."""


class AuthenticationError(APIStatusError):
    """HTTP 401: wrong key, bad signature, or a clock more than 5 minutes off."""


class PermissionDeniedError(APIStatusError):
    """HTTP 403 (or the gateway's 401 with errorCode 210): the key may not do this."""


class NotFoundError(APIStatusError):
    """HTTP 404: no such path or resource."""


class RateLimitError(APIStatusError):
    """HTTP 429: throttled. ``retry_after`` is the wait the server asked for, in seconds."""


class QuotaExceededError(RateLimitError):
    """HTTP 429 with the gateway's errorCode 400: a quota, not a throttle; never retried."""


class ServerError(APIStatusError):
    """HTTP 5xx: the service or the gateway failed."""


class AmbiguousWriteError(APIConnectionError):
    """A write (POST) failed after the request was sent: it may or may not have happened.

    It is not retried, since repeating it could do it twice. ``method`` and ``path``
    name the request; ``cause`` is the failure seen (a timeout, a reset, a 502/503/504).
    Check the resource's state before trying again. ``candidates`` names the executions
    that reconciliation found and could not tell apart (see ``executions.run``).
    """

    def __init__(
        self,
        method: str,
        path: str,
        cause: DataFlowError,
        *,
        request: httpx.Request | None = None,
        candidates: Sequence[str] = (),
    ) -> None:
        message = (
            f"{method} {path} may or may not have happened: the request was sent, then {cause}"
        )
        if candidates:
            message += (
                f"; {len(candidates)} executions were created since, none was waited for: "
                + ", ".join(candidates)
            )
        super().__init__(message, request=request)
        self.method = method
        self.path = path
        self.cause = cause
        self.candidates = tuple(candidates)


class ResponseTooLargeError(DataFlowError):
    """A response body grew past the client's ``max_response_bytes`` (after decoding).

    Reading stopped there and the connection was closed. ``limit`` is the cap in bytes.
    """

    def __init__(self, message: str, *, limit: int, request: httpx.Request | None = None) -> None:
        super().__init__(message)
        self.limit = limit
        self.request = request


class RequestNotSentError(DataFlowError):
    """The request could not be written (a header value HTTP forbids): nothing was sent.

    It is never retried. The message names the header, never its value.
    """


class ClientClosedError(DataFlowError):
    """The client was used after ``aclose()`` (or its http client was closed)."""


class EventLoopMismatchError(DataFlowError):
    """The client was used from an event loop other than the one that first used it.

    A client, with its connections, belongs to the event loop that first used it: create
    one client inside each ``asyncio.run()``.
    """


class ConcurrencyLimitError(BadRequestError):
    """HTTP 400 to a start: the job already runs ``max_concurrent_runs`` executions.

    Recognised from the error body: a 400 whose ``errorType``, message or details speak
    of the concurrency limit (``maxConcurrentRuns``, "concurrent", "concurrency").
    """


class ExecutionError(DataFlowError):
    """An awaited execution finished without completing; ``execution`` is how it ended."""

    def __init__(self, message: str, *, execution: Any) -> None:
        super().__init__(message)
        self.execution = execution


class ExecutionFailedError(ExecutionError):
    """An awaited execution ended ``FAILED``."""


class ExecutionCanceledError(ExecutionError):
    """An awaited execution ended ``CANCELED``."""


class WaitTimeoutError(DataFlowError, TimeoutError):
    """Waiting for an execution took longer than its ``timeout``.

    ``execution`` is the last state seen (``None`` if none was); the execution itself
    goes on on the server.
    """

    def __init__(self, message: str, *, execution: Any = None) -> None:
        super().__init__(message)
        self.execution = execution


class ReconciliationError(AmbiguousWriteError):
    """A start that may have happened could not be checked: listing the job's executions
    failed (the listing's error is ``__cause__``).

    Unlike an `AmbiguousWriteError` without ``candidates`` raised by ``executions.run``
    (checked: nothing was started), the start may well have happened: starting again
    could run the job twice. Look at the job's executions before trying again.
    """

    def __init__(
        self,
        method: str,
        path: str,
        cause: DataFlowError,
        *,
        listing: DataFlowError,
        request: httpx.Request | None = None,
    ) -> None:
        super().__init__(method, path, cause, request=request)
        self.args = (
            f"{self.args[0]}; whether it happened could not be checked: "
            f"listing the job's executions failed ({listing})",
        )
