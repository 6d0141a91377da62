"""One attempt of a call: its total time, its pool slot, its outcome and its log line."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

import httpx

from . import _cancel_safe
from ._errors import APIConnectionError, APIStatusError, APITimeoutError, RequestNotSentError
from ._logging import logger
from ._status import redirect_error, refused, safe_headers, status_error, timeout_message

__all__ = ["ATTEMPT_FACTOR", "AttemptClock", "Outcome", "log_attempt", "send_once", "shrink_all"]

ATTEMPT_FACTOR = 2.0
"""From its first byte written, an exchange lasts at most this many times the longest of
the connect, read and write timeouts, however slowly the server answers."""

Outcome = httpx.Response | APIStatusError | APIConnectionError
_NO_SLOTS = contextlib.nullcontext()


async def send_once(
    http_client: httpx.AsyncClient,
    request: httpx.Request,
    *,
    auth: httpx.Auth | None,
    transport: httpx.AsyncHTTPTransport | None,
    slots: asyncio.Semaphore | None,
    max_bytes: int,
    limit: httpx.Timeout,
    remaining: float | None,
    on_sent: Callable[[], None] | None,
) -> tuple[Outcome, bool]:
    """Send once: the successful response, or the error it amounts to; and whether
    the request started to be written."""
    clock = AttemptClock(limit, remaining)
    try:
        async with asyncio.timeout_at(clock.start()) as timer, slots or _NO_SLOTS:
            clock.timer = timer
            response = await _cancel_safe.send(
                http_client,
                request,
                auth=auth if auth is not None else httpx.USE_CLIENT_DEFAULT,
                pool=transport._pool if transport is not None else None,
                max_bytes=max_bytes,
                on_sent=on_sent,
                on_written=clock.mark_written,
            )
    except TimeoutError:
        return APITimeoutError(clock.reason(), request=request), clock.written
    except httpx.TimeoutException as exc:
        return APITimeoutError(timeout_message(exc, limit), request=request), clock.written
    except httpx.LocalProtocolError:
        raise RequestNotSentError(refused(request)) from None
    except httpx.UnsupportedProtocol:
        raise
    except httpx.RequestError as exc:
        # Transport errors, and a body that cannot be decoded (a broken gzip stream):
        # both are a response that did not arrive whole.
        message = f"connection failed ({type(exc).__name__}: {exc})"
        return APIConnectionError(message, request=request), clock.written
    finally:
        # The request's trace hook holds the clock: with the timer (and through it this
        # task and its result, the response) the request and the response would form a
        # cycle, and the body would wait for the cyclic collector.
        clock.timer = None
    if response.is_redirect or 300 <= response.status_code < 400:
        raise redirect_error(response)
    if response.is_success:
        return response, clock.written
    return status_error(response), clock.written


def log_attempt(request: httpx.Request, outcome: Outcome, attempt: int, started: float) -> None:
    """One DEBUG line per attempt: method, path, status, attempt number, time, safe headers."""
    if not logger.isEnabledFor(logging.DEBUG):
        return
    response = outcome if isinstance(outcome, httpx.Response) else None
    if isinstance(outcome, APIStatusError):
        response = outcome.response
    status = response.status_code if response is not None else type(outcome).__name__
    logger.debug(
        "%s %s -> %s (attempt %d, %.1f ms) %s",
        request.method,
        request.url.raw_path.decode("ascii"),
        status,
        attempt,
        (time.perf_counter() - started) * 1000,
        safe_headers(response.headers) if response is not None else {},
    )


class AttemptClock:
    """The total time of one attempt. Waiting for a pool slot and connecting are bounded
    by their own timeouts; from the first byte of the request written, the exchange has
    ``ATTEMPT_FACTOR`` times the longest of the connect/read/write timeouts, in total."""

    def __init__(self, limit: httpx.Timeout, remaining: float | None) -> None:
        self.loop = asyncio.get_running_loop()
        values = [v for v in (limit.connect, limit.read, limit.write) if v is not None]
        self.total = ATTEMPT_FACTOR * max(values) if len(values) == 3 else None
        before = None if limit.pool is None or limit.connect is None else limit.pool + limit.connect
        self.before = before
        self.deadline_at = None if remaining is None else self.loop.time() + remaining
        self.written = False
        self.timer: asyncio.Timeout | None = None
        self.when: float | None = None

    def start(self) -> float | None:
        """When the attempt times out, before anything is written (loop time)."""
        own = None
        if self.total is not None and self.before is not None:
            own = self.loop.time() + self.before + self.total
        self.when = _earliest(own, self.deadline_at)
        return self.when

    def mark_written(self) -> None:
        """The request starts to be written: from now, ``total`` seconds at most."""
        self.written = True
        timer = self.timer
        if timer is None or timer.expired() or self.total is None:
            return
        self.when = _earliest(self.loop.time() + self.total, self.deadline_at)
        timer.reschedule(self.when)

    def reason(self) -> str:
        if self.deadline_at is not None and self.when == self.deadline_at:
            why = "the call's deadline ran out during the request"
        elif self.written:
            why = f"the exchange took longer than {self.total:g} s in total"
        else:
            why = "no connection was ready in time"
        after = "after connecting" if self.written else "before the request was sent"
        return f"timed out {after}: {why}"


def _earliest(a: float | None, b: float | None) -> float | None:
    if a is None or b is None:
        return b if a is None else a
    return min(a, b)


def shrink_all(limit: httpx.Timeout, remaining: float | None) -> httpx.Timeout:
    """``limit`` with every phase cut to the ``remaining`` seconds (``None``: unchanged)."""
    if remaining is None:
        return limit
    return httpx.Timeout(
        connect=_shrink(limit.connect, remaining),
        read=_shrink(limit.read, remaining),
        write=_shrink(limit.write, remaining),
        pool=_shrink(limit.pool, remaining),
    )


def _shrink(value: float | None, remaining: float) -> float:
    return remaining if value is None else min(value, remaining)
