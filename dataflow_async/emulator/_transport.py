"""Calling the emulator in process, with the failures a socket client would see.

``httpx.ASGITransport`` alone cannot express a broken connection: an app that returns
without finishing its response trips an assertion. This transport wraps it, watches the
ASGI messages, and when the app leaves a response unfinished (what a server answers by
closing the connection) it hands httpx the status and headers that were sent and a body
stream that fails exactly as httpcore fails over a socket.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import attrs
import httpx

from ._app import EmulatorApp
from ._asgi import Message, Receive, Scope, Send

__all__ = ["InProcessTransport"]

# httpcore's wording (from h11) for the same failure over a socket.
_INCOMPLETE = "peer closed connection without sending complete message body"


@attrs.define
class _Exchange:
    complete: bool = False
    aborted: bool = False
    body: bytearray = attrs.Factory(bytearray)


class _BrokenStream(httpx.AsyncByteStream):
    """Yields what the app sent, then fails like a connection closed mid-body."""

    def __init__(self, body: bytes, error: str) -> None:
        self._body = body
        self._error = error

    async def __aiter__(self) -> AsyncIterator[bytes]:
        if self._body:
            yield self._body
        raise httpx.RemoteProtocolError(self._error)


class InProcessTransport(httpx.AsyncBaseTransport):
    """An httpx transport that calls an `EmulatorApp` in process.

    For unit tests without a socket that still meet real failure types. A response left
    unfinished by the app (a dropped connection or truncated body) raises
    `httpx.RemoteProtocolError` when its body is read, with httpx's own message;
    the request's read timeout bounds the wait for the response head
    (`httpx.ReadTimeout`), so latency faults behave as over a socket.
    """

    def __init__(self, app: EmulatorApp) -> None:
        self.app = app

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Run the app for ``request`` and return its response (maybe a broken one)."""
        exchange = _Exchange()

        async def observed(scope: Scope, receive: Receive, send: Send) -> None:
            async def watch(message: Message) -> None:
                if message["type"] == "http.response.body":
                    exchange.body += message.get("body", b"")
                    exchange.complete = not message.get("more_body", False)
                await send(message)

            await self.app(scope, receive, watch)
            if not exchange.complete:
                # The app starts every response (with its Content-Length) before it returns;
                # only the body can be left unfinished. Let ASGITransport build the
                # response; its stream is replaced below.
                exchange.aborted = True
                await send({"type": "http.response.body", "body": b"", "more_body": False})

        timeouts = request.extensions.get("timeout", {})
        read_timeout: float | None = timeouts.get("read")
        inner = httpx.ASGITransport(app=observed)
        try:
            async with asyncio.timeout(read_timeout):
                response = await inner.handle_async_request(request)
        except TimeoutError:
            raise httpx.ReadTimeout("timed out", request=request) from None
        if not exchange.aborted:
            return response
        declared = response.headers["content-length"]
        error = f"{_INCOMPLETE} (received {len(exchange.body)} bytes, expected {declared})"
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=_BrokenStream(bytes(exchange.body), error),
            extensions=response.extensions,
        )
