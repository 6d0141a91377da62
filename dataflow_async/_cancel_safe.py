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

from ._direct import direct_signer, send_directly
from ._errors import ResponseTooLargeError

__all__ = ["pool_slots", "read_capped", "reclaim_orphaned_connections", "send"]

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
        return await _exchange(http_client, request, auth, max_bytes, None)
    await reclaim_orphaned_connections(pool)
    progress = _Progress(on_sent, on_written)
    request.extensions["trace"] = progress
    exchange = asyncio.create_task(_exchange(http_client, request, auth, max_bytes, progress))
    try:
        return await asyncio.shield(exchange)
    except asyncio.CancelledError:
        if not progress.releasing:
            exchange.cancel()
        # Wait for the exchange to unwind (cancelled, or past the body, done), then
        # reclaim what it left, even if this task is cancelled again meanwhile.
        await _unwind(exchange)
        if not exchange.cancelled():
            exchange.exception()  # retrieved: the caller was cancelled, not failed
        await _unwind(asyncio.ensure_future(reclaim_orphaned_connections(pool)))
        raise


async def _exchange(
    http_client: httpx.AsyncClient,
    request: httpx.Request,
    auth: httpx.Auth | httpx._client.UseClientDefault,
    max_bytes: int,
    progress: _Progress | None,
) -> httpx.Response:
    """Send (straight to the transport when `direct_signer` allows), read the body and
    close. ``progress`` is given when this runs in a task of its own that `send` no
    longer cancels once ``progress.releasing``: a close begun then cannot be
    interrupted, and needs no task of its own (25 us less CPU per request, about 2.5 %
    of a small GET)."""
    signer = direct_signer(http_client, auth)
    if signer is not None:
        response = await send_directly(http_client, request, signer)
    else:
        response = await http_client.send(request, auth=auth, stream=True, follow_redirects=False)
    try:
        await read_capped(response, max_bytes)
    finally:
        if progress is not None and progress.releasing:
            await response.aclose()
        else:
            await _close_uncancelled(response)
        # httpx's stream refers back to its response: without this the response, and its
        # body, wait for the cyclic collector, which a walk that frees what it makes may
        # not run for many pages (peak memory walking 1,000,000 jobs: 45 MiB, 28 without).
        response.stream = _CLOSED
    return response


_CLOSED = httpx.ByteStream(b"")
"""What a closed response's stream is replaced with (a read of it gives nothing)."""


async def _close_uncancelled(response: httpx.Response) -> None:
    """``response.aclose()`` carried to its end even if the caller is cancelled."""
    # httpcore shields its close with anyio, which a plain asyncio cancel goes through:
    # cancelled while closing a connection (a refused body), the request stayed in the
    # pool for good with its connection ACTIVE, a slot lost (tests/test_cancel_safe.py).
    closing = asyncio.ensure_future(response.aclose())
    if await _unwind(closing):
        raise asyncio.CancelledError
    closing.result()


async def _unwind(task: asyncio.Future[Any]) -> bool:
    """Wait for ``task`` to end, through any cancellation; whether one arrived."""
    cancelled = False
    while not task.done():
        try:
            await asyncio.wait([task])
        except asyncio.CancelledError:
            cancelled = True
    return cancelled


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
    # Only what int() takes at once: isdigit() alone passes "²" and 5,000 digits (past
    # int()'s limit), which another transport than h11 hands on; the read is capped anyway.
    plain = declared.isascii() and declared.isdigit() and len(declared) <= 20
    if decoder is None and plain and int(declared) > max_bytes:
        _too_large(response, max_bytes, f"declares {declared} bytes, more")
    if decoder is None:
        await _read_plain(response, max_bytes)
    else:
        await _read_decoded(response, decoder, encoding, max_bytes)


async def _read_plain(response: httpx.Response, max_bytes: int) -> None:
    """Read an unencoded body: its chunks joined once (a page in one chunk is not
    copied), the read stopped as soon as they exceed ``max_bytes``."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_raw():
        chunks.append(chunk)
        size += len(chunk)
        if size > max_bytes:
            _too_large(response, max_bytes, "is longer")
    response._content = b"".join(chunks)


async def _read_decoded(
    response: httpx.Response, decoder: Any, encoding: str, max_bytes: int
) -> None:
    """Read a compressed body, asking ``decoder`` for at most what still fits."""
    body = bytearray()
    async for chunk in response.aiter_raw():
        pending = chunk
        while pending:
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
    """Drop connections that a cancelled request left assigned but never used, or busy.

    A connection nobody refers to that never connected (no socket), that connected
    but never carried a request (HTTP/1.1 state ``NEW``), or that is still ``ACTIVE``
    with no request left to finish its response, can never be used nor reclaimed by
    httpcore: it would hold a pool slot, and perhaps a socket, for good.
    """
    try:
        owned = {id(r.connection) for r in pool._requests if r.connection is not None}
        orphans = [
            connection
            for connection in pool._connections
            if isinstance(connection, httpcore.AsyncHTTPConnection)
            and id(connection) not in owned
            and (_never_used(connection) or _abandoned(connection))
        ]
        for connection in orphans:
            pool._connections.remove(connection)
    except (AttributeError, ValueError):  # pragma: no cover - another httpcore layout
        return
    for connection in orphans:
        with contextlib.suppress(Exception):
            await connection.aclose()


def _abandoned(connection: httpcore.AsyncHTTPConnection) -> bool:
    # Seen in the hostile mix (tests/hostile_run.py), about one run in five: a second
    # cancellation while httpcore closes a response it was reading leaves the connection
    # ACTIVE (the server still sending its body) after its request has left the pool.
    inner = connection._connection
    return isinstance(inner, httpcore.AsyncHTTP11Connection) and inner._state.name == "ACTIVE"


def _never_used(connection: httpcore.AsyncHTTPConnection) -> bool:
    inner = connection._connection
    if inner is None:
        return not connection._connect_failed
    return isinstance(inner, httpcore.AsyncHTTP11Connection) and inner._state.name == "NEW"


def pool_slots(transport: httpx.AsyncHTTPTransport | None) -> asyncio.Semaphore | None:
    """One slot per connection of httpx's own HTTP/1.1 pool (``None``: no such pool)."""
    # httpcore offers each freed connection to every request queued in its pool: 1,000
    # concurrent calls on the default 100 connections kept the event loop busy for 20 s
    # and 99 % of them timed out waiting for a connection (tests/test_requester_slots.py).
    # A semaphore's waiters cost nothing until their turn.
    pool = getattr(transport, "_pool", None)
    size = getattr(pool, "_max_connections", None)
    if type(size) is not int or size <= 0 or getattr(pool, "_http2", False):
        return None
    return asyncio.Semaphore(size)
