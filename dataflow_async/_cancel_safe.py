"""Sending through httpx so that cancelling the caller leaves no connection behind.

httpcore 1.0 on asyncio has two windows in which a cancelled request leaves the pool
inconsistent for good:

- cancelled after the pool assigned it a connection, before that connection carried
  it: the unused connection keeps a pool slot, and its socket if it had connected
  (encode/httpcore#1093);
- cancelled while the connection is being released, after the response was fully read
  or after the exchange failed (no response, a truncated body, a body past the cap):
  the release waits once for the connection's state lock, a cancellation there stops
  it half way, and the connection stays checked out, with its socket, until the client
  closes.

The first is repaired after the fact, when a cancelled request unwinds and before each
request: nothing refers to such a connection, so it is dropped (and its socket closed).
The second is avoided: each request runs in a task of its own, and a cancellation that
arrives once the body has been read waits for the release to finish instead of
interrupting it; so does one that arrives once the release has begun (httpcore's
``response_closed`` trace event), whatever ended the exchange. Before that point, the
request task is cancelled at once.

The body is read in that same task, streaming, and decoded here under a cap on decoded
bytes (`read_capped`), so that neither a long body nor a compression bomb can grow the
process past the cap.
"""

from __future__ import annotations

import asyncio
import contextlib
import zlib
from collections.abc import Callable
from typing import Any

import httpcore
import httpx

from ._errors import ResponseTooLargeError

__all__ = ["read_capped", "reclaim_orphaned_connections", "send"]

_WBITS = {"gzip": zlib.MAX_WBITS | 16, "x-gzip": zlib.MAX_WBITS | 16, "deflate": zlib.MAX_WBITS}


class _Progress:
    """Follows one request through httpcore's ``trace`` events."""

    __slots__ = ("on_sent", "on_written", "releasing")

    def __init__(
        self, on_sent: Callable[[], None] | None, on_written: Callable[[], None] | None
    ) -> None:
        self.on_sent = on_sent
        self.on_written = on_written
        self.releasing = False

    async def __call__(self, event: str, info: Any) -> None:
        if event.endswith("send_request_headers.started"):
            if self.on_written is not None:
                self.on_written()
        elif event.endswith("send_request_body.complete"):
            if self.on_sent is not None:
                self.on_sent()
        elif event.endswith(("receive_response_body.complete", "response_closed.started")):
            self.releasing = True


async def send(
    http_client: httpx.AsyncClient,
    request: httpx.Request,
    *,
    auth: httpx.Auth | httpx._client.UseClientDefault,
    pool: httpcore.AsyncConnectionPool | None,
    max_bytes: int,
    on_sent: Callable[[], None] | None = None,
    on_written: Callable[[], None] | None = None,
) -> httpx.Response:
    """``http_client.send(request)`` without following redirects, body read, safe to cancel.

    ``pool`` is the connection pool of httpx's own transport, or ``None`` for any other
    transport (mock, ASGI, a user's own), which is sent through directly. ``on_written``
    is called when the request starts to be written, ``on_sent`` once it has been
    written (both at once for other transports). The body is read under ``max_bytes``
    decoded bytes (`ResponseTooLargeError` beyond).
    """
    if pool is None:
        for callback in (on_written, on_sent):
            if callback is not None:
                callback()
        return await _exchange(http_client, request, auth, max_bytes)
    await reclaim_orphaned_connections(pool)
    progress = _Progress(on_sent, on_written)
    request.extensions["trace"] = progress
    exchange = asyncio.create_task(_exchange(http_client, request, auth, max_bytes))
    try:
        return await asyncio.shield(exchange)
    except asyncio.CancelledError:
        if not progress.releasing:
            exchange.cancel()
        # Wait for the exchange to unwind: either cancelled, or (past the body) done.
        await asyncio.wait([exchange])
        if not exchange.cancelled():
            exchange.exception()  # retrieved: the caller was cancelled, not failed
        await reclaim_orphaned_connections(pool)
        raise


async def _exchange(
    http_client: httpx.AsyncClient,
    request: httpx.Request,
    auth: httpx.Auth | httpx._client.UseClientDefault,
    max_bytes: int,
) -> httpx.Response:
    response = await http_client.send(request, auth=auth, stream=True, follow_redirects=False)
    try:
        await read_capped(response, max_bytes)
    finally:
        await response.aclose()
    return response


async def read_capped(response: httpx.Response, max_bytes: int) -> None:
    """Read and decode the body of a streamed ``response`` into ``response.content``.

    Stops with `ResponseTooLargeError` as soon as the decoded body would exceed
    ``max_bytes``: decompression is asked for at most what still fits, so a small
    compressed body cannot expand in memory past the cap. Encodings: identity, gzip,
    deflate (the ones requested); any other is a ``httpx.DecodingError``.
    """
    try:
        already = response.content  # a response built in memory (a mock transport's)
    except httpx.ResponseNotRead:
        pass
    else:
        if len(already) > max_bytes:
            _too_large(response, max_bytes, "is longer")
        return
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    decoder = None
    if encoding not in ("", "identity"):
        if encoding not in _WBITS:
            raise httpx.DecodingError(f"unsupported content-encoding {encoding[:40]!r}")
        decoder = zlib.decompressobj(_WBITS[encoding])
    declared = response.headers.get("content-length", "")
    if decoder is None and declared.isdigit() and int(declared) > max_bytes:
        _too_large(response, max_bytes, f"declares {declared} bytes, more")
    body = bytearray()
    async for chunk in response.aiter_raw():
        pending = chunk
        while pending:
            if decoder is None:
                body += pending
                pending = b""
            else:
                try:
                    body += decoder.decompress(pending, max_bytes - len(body) + 1)
                except zlib.error as exc:
                    raise httpx.DecodingError(f"{encoding} body cannot be decoded: {exc}") from None
                pending = decoder.unconsumed_tail
            if len(body) > max_bytes:
                _too_large(response, max_bytes, "is longer")
    response._content = bytes(body)


def _too_large(response: httpx.Response, max_bytes: int, how: str) -> None:
    request = response.request
    raise ResponseTooLargeError(
        f"the response to {request.method} {request.url.path} {how} than max_response_bytes "
        f"({max_bytes} bytes, decoded); reading stopped",
        limit=max_bytes,
        request=request,
    )


async def reclaim_orphaned_connections(pool: httpcore.AsyncConnectionPool) -> None:
    """Drop connections that a cancelled request left assigned but never used.

    A connection nobody refers to that never connected (no socket), or that connected
    but never carried a request (HTTP/1.1 state ``NEW``), can never be used nor
    reclaimed by httpcore: it would hold a pool slot, and perhaps a socket, for good.
    """
    try:
        owned = {id(r.connection) for r in pool._requests if r.connection is not None}
        orphans = [
            connection
            for connection in pool._connections
            if isinstance(connection, httpcore.AsyncHTTPConnection)
            and id(connection) not in owned
            and _never_used(connection)
        ]
        for connection in orphans:
            pool._connections.remove(connection)
    except (AttributeError, ValueError):  # pragma: no cover - another httpcore layout
        return
    for connection in orphans:
        with contextlib.suppress(Exception):
            await connection.aclose()


def _never_used(connection: httpcore.AsyncHTTPConnection) -> bool:
    inner = connection._connection
    if inner is None:
        return not connection._connect_failed
    return isinstance(inner, httpcore.AsyncHTTP11Connection) and inner._state.name == "NEW"
