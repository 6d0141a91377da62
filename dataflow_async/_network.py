"""An httpcore network backend on plain asyncio transports, for the clients the library makes.

httpx's default backend reaches asyncio through anyio: every read of 64 KiB enters a
cancel scope, looks up the current task and the running library several times, and
pauses and resumes the socket's reader. Against the same emulator, a walk of 100,000
jobs in pages of 1,000 took 500.6 ms of CPU with it and 448.0 ms with this backend
(minimum of 7 interleaved rounds), a small GET 1.21 ms against 0.98 ms
(benchmarks/profile_walk.py).

Here a protocol keeps what the socket delivers (reading pauses past `HIGH_WATER`
unread bytes) and a read takes from it, waiting on one future when it is empty. The
errors are httpcore's, as its own backends raise them: a timeout while connecting, in
the TLS handshake, reading or writing is `ConnectTimeout`, `ReadTimeout` or
`WriteTimeout`; a failure is `ConnectError`, `ReadError` or `WriteError`.
"""

from __future__ import annotations

import asyncio
import select
import socket
import ssl
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import httpcore
import httpx

__all__ = ["HIGH_WATER", "AsyncioBackend", "AsyncioStream", "use_asyncio_backend"]

HIGH_WATER = 1 << 18
"""Unread bytes past which the socket is no longer read: a connection holds at most this
plus one read of the event loop's (256 KiB), 512 KiB. (httpcore's anyio backend held one
read at most; 1 MiB here gained nothing measurable on the walk, 64 KiB cost 3 %.)"""
LOW_WATER = 1 << 16
"""Reading resumes once a paused connection's unread bytes fall under this."""

SocketOption = (
    tuple[int, int, int] | tuple[int, int, bytes | bytearray] | tuple[int, int, None, int]
)


class _Reader(asyncio.Protocol):
    """Keeps the bytes a connection receives until they are read."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.chunks: deque[bytes] = deque()
        self.buffered = 0
        self.eof = False
        self.error: BaseException | None = None
        self.reading_paused = False
        self.writing_paused = False
        self.waiter: asyncio.Future[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.chunks.append(data)
        self.buffered += len(data)
        if self.buffered > HIGH_WATER and not self.reading_paused and self.transport:
            self.reading_paused = True
            self.transport.pause_reading()
        self._wake()

    def eof_received(self) -> bool:
        self.eof = True
        self._wake()
        return False  # nothing is written after the server's end: close

    def connection_lost(self, exc: Exception | None) -> None:
        self.eof = True
        self.error = exc
        self.writing_paused = False
        self._wake()

    def pause_writing(self) -> None:
        self.writing_paused = True

    def resume_writing(self) -> None:
        self.writing_paused = False
        self._wake()

    def _wake(self) -> None:
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)


def _expire(waiter: asyncio.Future[None], error: type[Exception]) -> None:
    if not waiter.done():
        waiter.set_exception(error("timed out"))


class AsyncioStream(httpcore.AsyncNetworkStream):
    """One connection, read and written as httpcore asks."""

    def __init__(self, transport: asyncio.Transport, reader: _Reader) -> None:
        self._transport = transport
        self._reader = reader

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        """The oldest chunk the socket delivered, whole, ``max_bytes`` or not.

        One read of the event loop is at most 256 KiB (about that under TLS); httpcore
        asks for 64 KiB at a time, and each piece went through h11, httpcore and httpx
        on its own. Handed over whole, a page of 1,000 jobs (293 KB) takes 2 reads
        instead of 5 and no piece is copied: a walk of 100,000 jobs took 2.8 % less CPU
        at the minimum, 1.2 % at the median of 20 walks each in fresh processes
        (benchmarks/ab_walks.py). Only httpcore's HTTP/1.1 connections read from this
        backend, and they hand what they read to h11, which takes any length (proxies,
        whose handshakes read a little at a time, get httpx's own backend).
        """
        reader = self._reader
        if not reader.chunks:
            if not reader.eof:
                await self._wait(timeout, httpcore.ReadTimeout, lambda: reader.chunks or reader.eof)
            if not reader.chunks:
                if reader.error is not None:
                    raise httpcore.ReadError(_describe(reader.error)) from reader.error
                return b""
        chunk = reader.chunks.popleft()
        reader.buffered -= len(chunk)
        if reader.reading_paused and reader.buffered < LOW_WATER:
            reader.reading_paused = False
            self._transport.resume_reading()
        return chunk

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        reader = self._reader
        if reader.eof or self._transport.is_closing():
            raise httpcore.WriteError(
                _describe(reader.error) if reader.error else "connection closed"
            )
        self._transport.write(buffer)
        if reader.writing_paused:
            await self._wait(timeout, httpcore.WriteTimeout, lambda: not reader.writing_paused)
            if reader.error is not None:
                raise httpcore.WriteError(_describe(reader.error)) from reader.error

    async def _wait(self, timeout: float | None, error: type[Exception], ready: Any) -> None:
        """Wait until ``ready()`` (checked at each wake-up), at most ``timeout`` seconds."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while not ready():
            waiter = self._reader.waiter = loop.create_future()
            expiry = None if deadline is None else loop.call_at(deadline, _expire, waiter, error)
            try:
                await waiter
            finally:
                self._reader.waiter = None
                if expiry is not None:
                    expiry.cancel()

    async def aclose(self) -> None:
        transport = self._transport
        if transport.is_closing():
            return
        # Nothing more is sent: under TLS no close_notify (as httpcore's own backends),
        # and bytes still waiting to leave (a server that stopped reading) are dropped.
        if transport.get_write_buffer_size() or transport.get_extra_info("ssl_object"):
            transport.abort()
        else:
            transport.close()
        await asyncio.sleep(0)  # the loop closes the socket in its next iteration

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                transport = await loop.start_tls(
                    self._transport, self._reader, ssl_context, server_hostname=server_hostname
                )
        except TimeoutError as exc:
            self._transport.abort()
            raise httpcore.ConnectTimeout("TLS handshake timed out") from exc
        except (OSError, ssl.SSLError) as exc:
            self._transport.abort()
            raise httpcore.ConnectError(_describe(exc)) from exc
        if transport is None:  # pragma: no cover - only for a transport that is closing
            raise httpcore.ConnectError("connection closed during the TLS handshake")
        self._reader.transport = transport
        return AsyncioStream(transport, self._reader)

    def get_extra_info(self, info: str) -> Any:
        transport = self._transport
        if info == "ssl_object":
            return transport.get_extra_info("ssl_object")
        if info == "client_addr":
            return transport.get_extra_info("sockname")
        if info == "server_addr":
            return transport.get_extra_info("peername")
        if info == "socket":
            return transport.get_extra_info("socket")
        if info == "is_readable":  # an idle connection with something to read is over
            reader = self._reader
            return bool(reader.chunks) or reader.eof or _readable(transport)
        return None


def _readable(transport: asyncio.Transport) -> bool:
    """Whether the socket has bytes (or its end) the loop has not read yet; a socket that
    cannot be asked counts as readable (the connection is then not reused)."""
    sock = transport.get_extra_info("socket")
    fileno = sock.fileno() if sock is not None else -1
    if fileno < 0:
        return True
    if hasattr(select, "poll"):  # select() refuses descriptors past FD_SETSIZE (1024)
        poller = select.poll()
        poller.register(fileno, select.POLLIN)
        return bool(poller.poll(0))
    ready, _, _ = select.select([fileno], [], [], 0)  # pragma: no cover - Windows
    return bool(ready)


def _describe(error: BaseException) -> str:
    return str(error) or type(error).__name__


class AsyncioBackend(httpcore.AsyncNetworkBackend):
    """Opens `AsyncioStream` connections (TCP with ``TCP_NODELAY``, or a Unix socket)."""

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        local = None if local_address is None else (local_address, 0)
        # No happy_eyeballs_delay: its attempts run as tasks of their own, and a cancel
        # arriving as one connects left that socket open (Python 3.11).
        return await _connect(
            lambda: loop.create_connection(_Reader, host, port, local_addr=local),
            timeout,
            socket_options,
        )

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        return await _connect(
            lambda: loop.create_unix_connection(_Reader, path), timeout, socket_options
        )

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


async def _connect(
    opening: Callable[[], Awaitable[tuple[asyncio.BaseTransport, _Reader]]],
    timeout: float | None,
    options: Iterable[SocketOption] | None,
) -> AsyncioStream:
    """Open a connection within ``timeout``, set its socket ``options``."""
    try:
        async with asyncio.timeout(timeout):
            transport, reader = await opening()
    except TimeoutError as exc:  # before OSError: TimeoutError is one
        raise httpcore.ConnectTimeout(_describe(exc)) from exc
    except OSError as exc:
        raise httpcore.ConnectError(_describe(exc)) from exc
    assert isinstance(transport, asyncio.Transport)
    sock: socket.socket | None = transport.get_extra_info("socket")
    try:
        for option in options or ():
            if sock is not None:
                sock.setsockopt(*option)
    except OSError as exc:
        transport.abort()
        raise httpcore.ConnectError(_describe(exc)) from exc
    return AsyncioStream(transport, reader)


def use_asyncio_backend(
    http_client: httpx.AsyncClient, ssl_context: ssl.SSLContext, limits: httpx.Limits
) -> bool:
    """Give the client's own transport a pool on `AsyncioBackend`, with the settings httpx
    gives its own (HTTP/1.1, ``limits``, ``ssl_context``); whether it did. A transport or
    pool of another kind (mounted, or of another httpx) is left as it is."""
    transport = http_client._transport
    if type(transport) is not httpx.AsyncHTTPTransport:
        return False
    if type(getattr(transport, "_pool", None)) is not httpcore.AsyncConnectionPool:
        return False  # pragma: no cover - another httpx layout
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=ssl_context,
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        http1=True,
        http2=False,
        network_backend=AsyncioBackend(),
    )
    return True
