"""Sending a request the library signs straight to the transport httpx would pick.

``httpx.AsyncClient.send`` runs an auth flow, redirect handling, event hooks, a cookie jar
and a stream wrapper around each request: 150 us of client CPU a request on the
reference machine (696 against about 550 us for a small GET; benchmarks/request_cpu.py),
a few per cent of a walk. For a request the library signs itself, on a plain
``httpx.AsyncClient`` with no event hooks and no mounted transports (proxies), none of
that does anything the library needs: it never follows redirects, and it reads the body
itself. Such a request is signed and handed to the client's transport directly, and the
response gets what ``send`` gives it (its request, its default encoding, the cookies it
sets, its ``elapsed`` time, httpx's log line). Any other client or auth goes through
``send`` as before.
"""

from __future__ import annotations

import logging
import time

import httpx

from ._auth import NcpSignatureAuth

try:  # what httpx's send wraps a response's stream in (it sets ``elapsed`` on close)
    from httpx._client import BoundAsyncStream
except ImportError:  # pragma: no cover - another httpx layout: send is used
    BoundAsyncStream = None  # type: ignore[assignment, misc]

__all__ = ["direct_signer", "send_directly"]

_HTTPX_LOG = logging.getLogger("httpx")
_COOKIE_HEADERS = ("set-cookie", "set-cookie2")
_LAYOUT = frozenset({"_transport", "_mounts", "_default_encoding"})


def direct_signer(http_client: httpx.AsyncClient, auth: object) -> NcpSignatureAuth | None:
    """``auth`` when ``send`` would add nothing to sending with it through ``http_client``
    (`send_directly` may), else ``None``."""
    if type(http_client) is not httpx.AsyncClient or type(auth) is not NcpSignatureAuth:
        return None
    # The private names used here are checked, not assumed: with another httpx layout
    # every request goes through send.
    if BoundAsyncStream is None or not _LAYOUT.issubset(vars(http_client)):
        return None
    hooks = http_client.event_hooks
    if hooks["request"] or hooks["response"] or http_client._mounts or http_client.is_closed:
        return None
    return auth


async def send_directly(
    http_client: httpx.AsyncClient, request: httpx.Request, auth: NcpSignatureAuth
) -> httpx.Response:
    """Sign ``request`` and send it through ``http_client``'s transport, unread."""
    auth.sign(request)
    started = time.perf_counter()
    try:
        response = await http_client._transport.handle_async_request(request)
    except httpx.RequestError as exc:
        exc.request = request  # as httpx's own send does
        raise
    response.request = request
    assert isinstance(response.stream, httpx.AsyncByteStream)  # as httpx's own send checks
    response.stream = BoundAsyncStream(response.stream, response=response, start=started)
    if any(name in response.headers for name in _COOKIE_HEADERS):
        http_client.cookies.extract_cookies(response)
    response.default_encoding = http_client._default_encoding
    if _HTTPX_LOG.isEnabledFor(logging.INFO):
        _HTTPX_LOG.info(
            'HTTP Request: %s %s "%s %d %s"',
            request.method,
            request.url,
            response.http_version,
            response.status_code,
            response.reason_phrase,
        )
    return response
