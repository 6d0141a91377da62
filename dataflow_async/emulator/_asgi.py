"""ASGI plumbing of the app: message types, reading the request body, sending a response."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from email.utils import formatdate
from typing import Any, TypeAlias

from ._routes import NO_BODY
from ._wire import Response, bad_parameter

__all__ = [
    "MAX_BODY_BYTES",
    "Message",
    "Receive",
    "Scope",
    "Send",
    "json_body",
    "read_body",
    "send_response",
]

Scope: TypeAlias = MutableMapping[str, Any]
Message: TypeAlias = MutableMapping[str, Any]
Receive: TypeAlias = Callable[[], Awaitable[Message]]
Send: TypeAlias = Callable[[Message], Awaitable[None]]

#: Largest request body accepted; the gateway answers 413 (errorCode 430) above it.
MAX_BODY_BYTES = 1 << 20


async def read_body(receive: Receive) -> bytes | None:
    """The request body, or ``None`` when it is over `MAX_BODY_BYTES` (drained anyway)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size <= MAX_BODY_BYTES:
            chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return None if size > MAX_BODY_BYTES else b"".join(chunks)


def json_body(body: bytes) -> Any:
    """The decoded JSON body (``NO_BODY`` when empty), or 400 when it is not JSON."""
    if not body.strip():
        return NO_BODY
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        raise bad_parameter("the request body is not valid JSON") from None


async def send_response(
    send: Send, response: Response, now: float, *, sent: int | None = None
) -> None:
    """Send ``response``; with ``sent``, only that many body bytes and no end."""
    headers = [
        (b"content-type", response.content_type.encode("latin-1")),
        (b"content-length", str(len(response.body)).encode("ascii")),
        (b"date", formatdate(now, usegmt=True).encode("ascii")),
        *response.headers,
    ]
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    if sent is None:
        await send({"type": "http.response.body", "body": response.body, "more_body": False})
    elif sent:
        await send({"type": "http.response.body", "body": response.body[:sent], "more_body": True})
    # An unfinished response: the server closes the connection when the app returns.
