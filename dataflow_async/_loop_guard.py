"""A client belongs to one event loop, and is not used after it is closed."""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from typing import Any

import httpx

from ._errors import ClientClosedError, EventLoopMismatchError

__all__ = ["LoopGuard"]


class LoopGuard:
    """Remembers the event loop that first used a client, and whether it was closed.

    httpx's connections are bound to the loop that opened them: from another loop they
    fail with a raw ``RuntimeError: Event loop is closed`` (once the first
    ``asyncio.run()`` has ended) and keep their sockets open.
    """

    __slots__ = ("_loop", "closed")

    def __init__(self) -> None:
        self._loop: weakref.ref[asyncio.AbstractEventLoop] | None = None
        self.closed = False

    def check(
        self, http_client: httpx.AsyncClient, transport: httpx.AsyncHTTPTransport | None
    ) -> None:
        """Raise `ClientClosedError` or `EventLoopMismatchError` if the client may not
        be used from here; otherwise bind the client to the running loop."""
        if self.closed or http_client.is_closed:
            raise ClientClosedError(
                "this client is closed (aclose() was called, or its async with block "
                "ended, or its http client was closed): create a new client"
            )
        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._loop = weakref.ref(loop)
            return
        if self._loop() is loop:
            return
        drop_connections(transport)
        raise EventLoopMismatchError(
            "this client was first used in another event loop (an earlier asyncio.run()?) "
            "and belongs to it: create one client inside each asyncio.run()"
        )

    def foreign(self) -> bool:
        """Whether the running loop (if any) is not the client's own."""
        if self._loop is None:
            return False
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return True
        return self._loop() is not loop


def drop_connections(transport: httpx.AsyncHTTPTransport | None) -> None:
    """Close the sockets of every pooled connection without its (other) event loop.

    The loop that opened them may be closed, so nothing may be awaited or scheduled on
    it: each socket is closed directly and the connection forgotten by the pool.
    """
    if transport is None:
        return
    pool = transport._pool
    try:
        connections = list(pool._connections)
        pool._connections.clear()
    except AttributeError:  # pragma: no cover - another httpcore layout
        return
    for connection in connections:
        with contextlib.suppress(Exception):
            _close_stream(connection._connection._network_stream)  # type: ignore[attr-defined]


def _close_stream(stream: Any) -> None:
    """Tear down the asyncio transport under an httpcore stream, synchronously.

    On a closed loop, ``transport.abort()`` cannot schedule the final close, so that
    last step (closing the socket, dropping the protocol) is run here directly. On a
    loop that is still open, ``abort()`` leaves it to that loop, as usual.
    """
    transport = getattr(stream, "_transport", None)  # AsyncioStream (_network)
    if transport is None:  # httpcore's anyio stream
        transport = getattr(getattr(stream, "_stream", None), "_transport", None)
    # Under TLS, the socket's own transport.
    transport = getattr(getattr(transport, "_ssl_protocol", None), "_transport", transport)
    if not isinstance(transport, asyncio.Transport):
        sock = stream.get_extra_info("socket")
        getattr(sock, "_sock", sock).close()
        return
    loop = getattr(transport, "_loop", None)
    with contextlib.suppress(RuntimeError):  # "Event loop is closed"
        transport.abort()
    if loop is not None and loop.is_closed() and getattr(transport, "_sock", None) is not None:
        transport._call_connection_lost(None)  # type: ignore[attr-defined]
