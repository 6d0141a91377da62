"""Sending through httpx so that cancelling the caller leaves no connection behind.

httpcore 1.0 on asyncio has two windows in which a cancelled request leaves the pool
inconsistent for good:

- cancelled after the pool assigned it a connection, before that connection carried
  it: the unused connection keeps a pool slot, and its socket if it had connected
  (encode/httpcore#1093);
- cancelled while the response, fully read, is being released: the release stops half
  way, and the connection stays checked out, with its socket, until the client closes.

The first is repaired after the fact, when a cancelled request unwinds and before each
request: nothing refers to such a connection, so it is dropped (and its socket closed).
The second is avoided: each request runs in a task of its own, and a cancellation that
arrives once the body has been read waits for the release to finish instead of
interrupting it. Before that point, the request task is cancelled at once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

import httpcore
import httpx

__all__ = ["reclaim_orphaned_connections", "send"]


class _Progress:
    """Follows one request through httpcore's ``trace`` events."""

    __slots__ = ("on_sent", "releasing")

    def __init__(self, on_sent: Callable[[], None] | None) -> None:
        self.on_sent = on_sent
        self.releasing = False

    async def __call__(self, event: str, info: Any) -> None:
        if event.endswith("send_request_body.complete"):
            if self.on_sent is not None:
                self.on_sent()
        elif event.endswith("receive_response_body.complete"):
            self.releasing = True


async def send(
    http_client: httpx.AsyncClient,
    request: httpx.Request,
    *,
    auth: httpx.Auth | httpx._client.UseClientDefault,
    pool: httpcore.AsyncConnectionPool | None,
    on_sent: Callable[[], None] | None = None,
) -> httpx.Response:
    """``http_client.send(request)``, safe to cancel.

    ``pool`` is the connection pool of httpx's own transport, or ``None`` for any other
    transport (mock, ASGI, a user's own), which is sent through directly. ``on_sent``
    is called once the request has been written (at once for other transports).
    """
    if pool is None:
        if on_sent is not None:
            on_sent()
        return await http_client.send(request, auth=auth)
    await reclaim_orphaned_connections(pool)
    progress = _Progress(on_sent)
    request.extensions["trace"] = progress
    exchange = asyncio.create_task(http_client.send(request, auth=auth))
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
