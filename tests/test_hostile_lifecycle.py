"""A client across event loops, after close, and with a password in its URL."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator

import httpx
import pytest

from dataflow_async import (
    ClientClosedError,
    Credentials,
    DataFlowClient,
    DataFlowError,
    EventLoopMismatchError,
)
from dataflow_async.emulator import RunningEmulator, run_emulator


@pytest.fixture(scope="module")
def served() -> Iterator[RunningEmulator]:
    with run_emulator(jobs=5) as emu:
        yield emu


def _sockets(client: DataFlowClient) -> list[socket.socket]:
    pool = client.http_client._transport._pool  # type: ignore[attr-defined]
    found = []
    for connection in pool._connections:
        stream = connection._connection._network_stream
        sock = stream.get_extra_info("socket")
        found.append(getattr(sock, "_sock", sock))
    return found


def test_a_client_reused_in_a_second_asyncio_run_raises_a_clear_error_and_leaks_no_socket(
    served: RunningEmulator,
) -> None:
    client = DataFlowClient(served.credentials, base_url=served.url)
    asyncio.run(client.list_jobs())
    (sock,) = _sockets(client)
    assert sock.fileno() != -1
    for _ in range(2):  # every later run, not only the first
        with pytest.raises(EventLoopMismatchError, match="another event loop"):
            asyncio.run(client.list_jobs())
    assert sock.fileno() == -1  # closed, not left for the garbage collector
    asyncio.run(client.aclose())  # closing from another loop works too
    with pytest.raises(ClientClosedError):
        asyncio.run(client.list_jobs())


def test_closing_from_another_loop_closes_the_sockets(served: RunningEmulator) -> None:
    client = DataFlowClient(served.credentials, base_url=served.url)
    asyncio.run(client.list_jobs())
    (sock,) = _sockets(client)
    asyncio.run(client.aclose())
    assert sock.fileno() == -1
    assert client.http_client.is_closed


async def test_use_after_aclose_raises_client_closed(served: RunningEmulator) -> None:
    client = DataFlowClient(served.credentials, base_url=served.url)
    async with client:
        await client.list_jobs()
    with pytest.raises(ClientClosedError, match="closed"):
        await client.list_jobs()
    with pytest.raises(ClientClosedError):
        async for _ in client.iter_jobs():
            pass
    await client.aclose()  # twice is harmless


async def test_a_closed_given_http_client_raises_client_closed(
    served: RunningEmulator,
) -> None:
    http = httpx.AsyncClient()
    await http.aclose()
    client = DataFlowClient(served.credentials, base_url=served.url, http_client=http)
    with pytest.raises(ClientClosedError):
        await client.list_jobs()


async def test_lifecycle_errors_are_dataflow_errors() -> None:
    assert issubclass(ClientClosedError, DataFlowError)
    assert issubclass(EventLoopMismatchError, DataFlowError)


def test_repr_masks_a_password_in_base_url(credentials: Credentials) -> None:
    client = DataFlowClient(credentials, base_url="https://user:hunter2@example.test/prefix")
    text = repr(client)
    assert "hunter2" not in text
    assert "user" not in text
    assert "https://***@example.test/prefix" in text
    assert client.base_url == "https://user:hunter2@example.test/prefix"  # still usable


@pytest.mark.parametrize(
    "base_url",
    [
        "https://user:hunter2@example.test/?x=1",
        "ftp://user:hunter2@example.test",
        "https://user:hunter2@[::1",
    ],
)
def test_a_refused_base_url_is_shown_without_its_password(
    credentials: Credentials, base_url: str
) -> None:
    with pytest.raises(ValueError, match="base_url") as info:
        DataFlowClient(credentials, base_url=base_url)
    assert "hunter2" not in str(info.value)
    assert "***@" in str(info.value)


def test_repr_without_userinfo_is_unchanged(credentials: Credentials) -> None:
    client = DataFlowClient(credentials, base_url="https://example.test")
    assert "base_url='https://example.test'" in repr(client)


async def test_base_url_is_a_property_that_moves_requests(credentials: Credentials) -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url.copy_with(query=None)))
        return httpx.Response(200, json={"list": [], "count": 0})

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    async with http, DataFlowClient(credentials, base_url="http://a.test", http_client=http) as c:
        await c.list_jobs()
        c.base_url = "http://b.test/prefix/"
        assert c.base_url == "http://b.test/prefix"
        await c.list_jobs()
        with pytest.raises(ValueError, match="absolute http"):
            c.base_url = "ftp://c.test"
        assert c.base_url == "http://b.test/prefix"
    assert seen == ["http://a.test/api/v1/jobs", "http://b.test/prefix/api/v1/jobs"]
