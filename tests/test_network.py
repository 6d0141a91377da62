"""The asyncio network backend under servers that misbehave: timeouts, resets, floods,
stalls, idle closes, and TLS over loopback."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import socket
import ssl
import struct
import warnings
from collections.abc import AsyncIterator
from typing import Any

import httpcore
import httpx
import pytest
import trustme

from dataflow_async import APITimeoutError, Credentials, DataFlowClient, RetryPolicy
from dataflow_async._client import POOL_LIMITS
from dataflow_async._network import (
    HIGH_WATER,
    AsyncioBackend,
    AsyncioStream,
    _readable,
    _Reader,
    use_asyncio_backend,
)

from .conftest import ACCESS_KEY, SECRET_KEY, job_json, page_json
from .hostile import closed_port

NO_RETRY = RetryPolicy(max_retries=0)


class Peer:
    """One accepted connection of a loopback server, driven by the test."""

    def __init__(self) -> None:
        self.accepted: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = (
            asyncio.Queue()
        )
        self.server: asyncio.Server | None = None
        self.writers: list[asyncio.StreamWriter] = []

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writers.append(writer)
        await self.accepted.put((reader, writer))

    @property
    def port(self) -> int:
        assert self.server is not None
        port: int = self.server.sockets[0].getsockname()[1]
        return port


@pytest.fixture
async def peer() -> AsyncIterator[Peer]:
    found = Peer()
    found.server = await asyncio.start_server(found._accept, "127.0.0.1", 0)
    yield found
    found.server.close()
    for writer in found.writers:
        writer.transport.abort()
    await found.server.wait_closed()
    await asyncio.sleep(0)


@contextlib.asynccontextmanager
async def serving(respond: Any, **kwargs: Any) -> AsyncIterator[int]:
    """A loopback server of ``respond``; yields its port. Every connection it accepted
    is torn down at the end, the handlers with them."""
    writers: list[asyncio.StreamWriter] = []
    tasks: set[asyncio.Task[Any]] = set()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)
        task = asyncio.current_task()
        assert task is not None
        tasks.add(task)
        with contextlib.suppress(Exception):
            await respond(reader, writer)

    server = await asyncio.start_server(handle, "127.0.0.1", 0, **kwargs)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        for writer in writers:
            writer.transport.abort()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await server.wait_closed()


async def connect(peer: Peer) -> tuple[httpcore.AsyncNetworkStream, Any, asyncio.StreamWriter]:
    stream = await AsyncioBackend().connect_tcp("127.0.0.1", peer.port, timeout=5)
    reader, writer = await peer.accepted.get()
    return stream, reader, writer


async def test_reads_in_order_and_ends_with_empty_bytes(peer: Peer) -> None:
    stream, _, writer = await connect(peer)
    writer.write(b"a" * 100_000 + b"b" * 50)
    await writer.drain()
    writer.close()
    got = b""
    while chunk := await stream.read(65536, timeout=5):
        assert len(chunk) <= 256 * 1024  # at most what one read of the event loop gives
        got += chunk
    assert got == b"a" * 100_000 + b"b" * 50
    assert await stream.read(65536, timeout=5) == b""
    await stream.aclose()


class _Transport(asyncio.Transport):
    """A transport that records pauses and resumes, and sends nothing."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []

    def pause_reading(self) -> None:
        self.calls.append("pause")

    def resume_reading(self) -> None:
        self.calls.append("resume")


async def test_each_received_chunk_is_read_whole_past_max_bytes() -> None:
    reader = _Reader()
    transport = _Transport()
    reader.connection_made(transport)
    stream = AsyncioStream(transport, reader)
    chunks = [b"a" * 200_000, b"b" * 70_000, b"c" * 10]
    for chunk in chunks:
        reader.data_received(chunk)
    assert transport.calls == ["pause"]  # 270,010 bytes unread: past the high water mark
    assert await stream.read(65536) is chunks[0]  # not cut at 65,536, nor copied
    assert reader.buffered == 70_010 and transport.calls == ["pause"]
    assert await stream.read(65536) == chunks[1]
    assert transport.calls == ["pause", "resume"]  # 10 bytes left: under the low water mark
    assert await stream.read(1) == chunks[2]
    assert reader.buffered == 0 and not reader.chunks


async def test_a_silent_server_times_the_read_out(peer: Peer) -> None:
    stream, _, _ = await connect(peer)
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(httpcore.ReadTimeout):
        async with asyncio.timeout(5):  # a guard: a read that never ends fails the test
            await stream.read(65536, timeout=0.05)
    assert 0.04 <= loop.time() - started < 2
    await stream.aclose()


async def test_bytes_that_trickle_do_not_extend_a_read_past_its_timeout(peer: Peer) -> None:
    stream, _, writer = await connect(peer)
    first = await asyncio.gather(stream.read(10, timeout=1), _send_later(writer, b"x", 0.01))
    assert first[0] == b"x"
    with pytest.raises(httpcore.ReadTimeout):
        async with asyncio.timeout(5):
            await stream.read(10, timeout=0.05)
    await stream.aclose()


async def _send_later(writer: asyncio.StreamWriter, data: bytes, delay: float) -> None:
    await asyncio.sleep(delay)
    writer.write(data)


async def test_a_reset_is_a_read_error_after_what_arrived(peer: Peer) -> None:
    stream, _, writer = await connect(peer)
    writer.write(b"partial")
    await writer.drain()
    await asyncio.sleep(0.05)
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()  # RST: the server vanishes
    assert await stream.read(65536, timeout=5) == b"partial"
    with pytest.raises(httpcore.ReadError):
        async with asyncio.timeout(5):
            while True:
                assert await stream.read(65536, timeout=5), "a reset read as a clean end"
    await stream.aclose()


async def test_a_flood_pauses_reading_at_the_high_water_mark(peer: Peer) -> None:
    stream, _, writer = await connect(peer)
    assert isinstance(stream, AsyncioStream)
    total = 8 * HIGH_WATER
    writer.write(b"z" * total)  # the server writes all; the client reads nothing yet
    await asyncio.sleep(0.3)
    reader = stream._reader
    assert reader.reading_paused
    assert HIGH_WATER < reader.buffered <= HIGH_WATER + 256 * 1024
    got = 0
    async with asyncio.timeout(10):
        while got < total:
            got += len(await stream.read(65536, timeout=5))
    assert got == total and not reader.reading_paused
    await stream.aclose()


async def test_a_server_that_never_reads_times_the_write_out(peer: Peer) -> None:
    stream, _, _ = await connect(peer)
    with pytest.raises(httpcore.WriteTimeout):
        async with asyncio.timeout(10):
            for _ in range(1000):  # until the kernel's buffers and the transport's are full
                await stream.write(b"w" * 1_000_000, timeout=0.05)
    await stream.aclose()
    assert isinstance(stream, AsyncioStream) and stream._transport.is_closing()


async def test_writing_to_a_closed_connection_is_a_write_error(peer: Peer) -> None:
    stream, _, writer = await connect(peer)
    writer.close()
    assert await stream.read(10, timeout=5) == b""
    with pytest.raises(httpcore.WriteError):
        await stream.write(b"GET / HTTP/1.1\r\n\r\n", timeout=5)
    await stream.aclose()


async def test_an_idle_connection_the_server_closed_is_readable(peer: Peer) -> None:
    stream, _, writer = await connect(peer)
    assert stream.get_extra_info("is_readable") is False
    writer.close()
    await asyncio.sleep(0.05)
    assert stream.get_extra_info("is_readable") is True
    await stream.aclose()


async def test_connecting_to_a_closed_port_is_a_connect_error() -> None:
    port = await closed_port()
    with pytest.raises(httpcore.ConnectError):
        await AsyncioBackend().connect_tcp("127.0.0.1", port, timeout=5)


async def test_socket_options_are_applied(peer: Peer) -> None:
    option = (socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    stream = await AsyncioBackend().connect_tcp(
        "127.0.0.1", peer.port, timeout=5, socket_options=[option]
    )
    assert stream.get_extra_info("socket").getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE)
    assert stream.get_extra_info("server_addr") == ("127.0.0.1", peer.port)
    await stream.aclose()


# -- through the client ---------------------------------------------------------------


def test_the_pool_has_httpx_defaults_and_this_backend() -> None:
    context = ssl.create_default_context()
    http = httpx.AsyncClient(verify=context)
    reference = http._transport._pool  # type: ignore[attr-defined]
    assert use_asyncio_backend(http, context, POOL_LIMITS)
    pool = http._transport._pool  # type: ignore[attr-defined]
    assert isinstance(pool._network_backend, AsyncioBackend)
    for name in ("_max_connections", "_max_keepalive_connections", "_keepalive_expiry"):
        assert getattr(pool, name) == getattr(reference, name), name
    for name in ("_http1", "_http2", "_retries", "_ssl_context", "_uds", "_local_address"):
        assert getattr(pool, name) == getattr(reference, name), name


def test_a_mounted_or_custom_transport_is_left_alone() -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(200))
    http = httpx.AsyncClient(transport=transport)
    assert not use_asyncio_backend(http, ssl.create_default_context(), httpx.Limits())
    assert http._transport is transport  # type: ignore[attr-defined]


async def test_a_connection_closed_while_idle_is_not_reused() -> None:
    """The server closes each connection once it has answered, without saying so: the
    next request opens a new one instead of failing on the dead one (no retries)."""
    connections = 0

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        await reader.readuntil(b"\r\n\r\n")
        body = httpx.Response(200, json=page_json([job_json(connections)])).content
        head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n\r\n".encode()
        writer.write(head + body)
        await writer.drain()
        writer.close()

    credentials = Credentials(ACCESS_KEY, SECRET_KEY)
    async with serving(serve) as port:
        url = f"http://127.0.0.1:{port}"
        async with DataFlowClient(credentials, base_url=url, retry=NO_RETRY) as client:
            for expected in (1, 2, 3):
                await asyncio.sleep(0.05)
                page = await client.list_jobs()
                assert page.jobs[0].job_id == f"job{expected:09d}"
    assert connections == 3


async def test_a_stalled_body_is_an_api_timeout() -> None:
    async def stall(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{")
        await asyncio.sleep(5)

    credentials = Credentials(ACCESS_KEY, SECRET_KEY)
    async with serving(stall) as port:
        url = f"http://127.0.0.1:{port}"
        client = DataFlowClient(credentials, base_url=url, retry=NO_RETRY, timeout=0.2)
        async with client:
            with pytest.raises(APITimeoutError):
                await client.list_jobs()


# -- TLS --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def authority() -> trustme.CA:
    return trustme.CA()


def tls_server(authority: trustme.CA, respond: Any) -> Any:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("localhost").configure_cert(context)
    context.set_alpn_protocols(["h2", "http/1.1"])
    return serving(respond, ssl=context)


async def answer_one_page(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while True:
        try:
            await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError):
            return
        body = httpx.Response(200, json=page_json([job_json(7)])).content
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
        await writer.drain()


async def test_tls_requests_go_through_and_negotiate_http_1_1(authority: trustme.CA) -> None:
    context = ssl.create_default_context()
    authority.configure_trust(context)
    credentials = Credentials(ACCESS_KEY, SECRET_KEY)
    async with tls_server(authority, answer_one_page) as port:
        http = httpx.AsyncClient(verify=context, base_url=f"https://localhost:{port}")
        assert use_asyncio_backend(http, context, POOL_LIMITS)
        async with http, DataFlowClient(credentials, http_client=http, retry=NO_RETRY) as client:
            for _ in range(2):  # the second request reuses the TLS connection
                page = await client.list_jobs()
                assert page.jobs[0].job_id == "job000000007"
            pool = http._transport._pool  # type: ignore[attr-defined]
            (connection,) = pool.connections
            stream = connection._connection._network_stream
            assert stream.get_extra_info("ssl_object").selected_alpn_protocol() == "http/1.1"


async def test_a_certificate_from_an_unknown_authority_is_refused(authority: trustme.CA) -> None:
    async with tls_server(authority, answer_one_page) as port:
        stream = await AsyncioBackend().connect_tcp("127.0.0.1", port, timeout=5)
        with pytest.raises(httpcore.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            await stream.start_tls(ssl.create_default_context(), "localhost", timeout=5)
        await stream.aclose()


async def test_a_certificate_for_another_name_is_refused(authority: trustme.CA) -> None:
    context = ssl.create_default_context()
    authority.configure_trust(context)
    async with tls_server(authority, answer_one_page) as port:
        stream = await AsyncioBackend().connect_tcp("127.0.0.1", port, timeout=5)
        with pytest.raises(httpcore.ConnectError, match=r"match|mismatch|hostname"):
            await stream.start_tls(context, "dataflow.example.test", timeout=5)
        await stream.aclose()


async def test_a_handshake_that_never_comes_is_a_connect_timeout(peer: Peer) -> None:
    stream = await AsyncioBackend().connect_tcp("127.0.0.1", peer.port, timeout=5)
    with pytest.raises(httpcore.ConnectTimeout):
        await stream.start_tls(ssl.create_default_context(), "localhost", timeout=0.1)
    assert isinstance(stream, AsyncioStream) and stream._transport.is_closing()


async def test_a_tls_flood_pauses_and_resumes_reading(authority: trustme.CA) -> None:
    total = 4 * HIGH_WATER

    async def flood(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"f" * total)
        await writer.drain()
        await asyncio.sleep(10)

    context = ssl.create_default_context()
    authority.configure_trust(context)
    async with tls_server(authority, flood) as port:
        stream = await AsyncioBackend().connect_tcp("127.0.0.1", port, timeout=5)
        stream = await stream.start_tls(context, "localhost", timeout=5)
        await asyncio.sleep(0.3)
        assert isinstance(stream, AsyncioStream) and stream._reader.reading_paused
        got = 0
        async with asyncio.timeout(10):
            while got < total:
                got += len(await stream.read(65536, timeout=5))
        assert got == total
        await stream.aclose()


async def test_requests_cancelled_while_connecting_leave_no_socket_open() -> None:
    """Walks cancelled at every moment of opening their connections: no socket may be
    left for the garbage collector to find open."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await answer_one_page(reader, writer)

    credentials = Credentials(ACCESS_KEY, SECRET_KEY)
    async with serving(answer) as port:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ResourceWarning)
            for step in range(40):
                client = DataFlowClient(credentials, base_url=f"http://127.0.0.1:{port}")
                async with client:
                    walk = asyncio.ensure_future(_walk(client))
                    for _ in range(step % 8):
                        await asyncio.sleep(0)
                    walk.cancel()
                    await asyncio.gather(walk, return_exceptions=True)
            gc.collect()
    assert [str(w.message) for w in caught if w.category is ResourceWarning] == []


async def _walk(client: DataFlowClient) -> None:
    async for _job in client.iter_jobs(page_size=1, prefetch=8):
        pass


async def test_a_unix_socket_connects_and_reads(tmp_path: Any) -> None:
    path = str(tmp_path / "api.sock")

    async def hello(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"hello")
        await writer.drain()
        writer.close()

    server = await asyncio.start_unix_server(hello, path)
    try:
        stream = await AsyncioBackend().connect_unix_socket(path, timeout=5)
        assert await stream.read(100, timeout=5) == b"hello"
        await stream.aclose()
        with pytest.raises(httpcore.ConnectError):
            await AsyncioBackend().connect_unix_socket(path + ".missing", timeout=5)
    finally:
        server.close()
        await server.wait_closed()


def test_a_descriptor_past_select_s_limit_is_asked_without_error() -> None:
    class FarSocket:
        def fileno(self) -> int:
            return 5000  # past FD_SETSIZE, and open nowhere: counts as readable

    class Transport:
        def get_extra_info(self, name: str) -> Any:
            return FarSocket() if name == "socket" else None

    assert _readable(Transport()) is True  # type: ignore[arg-type]
