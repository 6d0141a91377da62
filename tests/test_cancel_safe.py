"""Cancelling requests at every point leaves the connection pool usable."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import httpx
import pytest

from dataflow_async import (
    Credentials,
    DataFlowClient,
    NcpSignatureAuth,
    ResponseTooLargeError,
    _cancel_safe,
)
from dataflow_async._cancel_safe import reclaim_orphaned_connections
from dataflow_async.emulator import FaultPlan, Latency, RunningEmulator, run_emulator
from tests.hostile import RawServer, response_head

CAP = 100


@pytest.fixture(scope="module")
def served() -> Iterator[RunningEmulator]:
    with run_emulator(jobs=3000) as emu:
        yield emu


@pytest.mark.parametrize("latency", [0.0, 0.005])
async def test_one_connection_pool_survives_cancellation_at_every_step(
    served: RunningEmulator, latency: float
) -> None:
    served.app.faults = (
        FaultPlan.random(seed=1, rate=1.0, faults=[Latency(latency)]) if latency else None
    )
    # One connection only: a slot leaked by a cancelled request would make every later
    # request wait for the pool until it times out.
    limits = httpx.Limits(max_connections=1)
    async with httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(2.0)) as http:
        client = DataFlowClient(served.credentials, base_url=served.url, http_client=http)
        for steps in range(0, 60):
            tasks = [asyncio.create_task(client.list_jobs(limit=500)) for _ in range(3)]
            for _ in range(steps):
                await asyncio.sleep(0)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            pool = http._transport._pool  # type: ignore[attr-defined]
            assert pool._requests == []
            assert all("ACTIVE" not in repr(c) for c in pool.connections)
        page = await client.list_jobs(limit=5)
    assert len(page.jobs) == 5


async def test_other_transports_are_sent_directly(served: RunningEmulator) -> None:
    sent: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request.url.path)
        return httpx.Response(200, json={"list": [], "count": 0, "page": 0, "limit": 1})

    transport = httpx.MockTransport(handler)
    auth = NcpSignatureAuth(served.credentials)
    async with httpx.AsyncClient(transport=transport, auth=auth) as http:
        client = DataFlowClient(http_client=http, base_url="https://h.test")
        await client.list_jobs()
        assert client._requester._httpx_transport is None
    assert sent == ["/api/v1/jobs"]


async def test_cancelled_while_closing_a_refused_body_leaves_nothing_in_the_pool() -> None:
    # The body is refused (past max_response_bytes), so closing the response closes the
    # connection, which takes several loop iterations; a cancellation arriving then
    # used to leave the request in the pool for good, and its connection ACTIVE.
    body = b" " * 5000

    async def too_long(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: bytes
    ) -> None:
        writer.write(response_head("200 OK", f"Content-Length: {len(body)}") + body)

    credentials = Credentials("ACCESSKEYEXAMPLE", "SECRETKEYEXAMPLE")
    limits = httpx.Limits(max_connections=1)
    async with RawServer(too_long) as server, httpx.AsyncClient(limits=limits) as http:
        client = DataFlowClient(
            credentials, base_url=server.url, http_client=http, max_response_bytes=1000
        )
        pool = http._transport._pool  # type: ignore[attr-defined]
        for steps in range(40):
            task = asyncio.create_task(client.list_jobs())
            for _ in range(steps):
                await asyncio.sleep(0)
            task.cancel()
            result = (await asyncio.gather(task, return_exceptions=True))[0]
            assert isinstance(result, asyncio.CancelledError | ResponseTooLargeError)
            assert pool._requests == [], steps
            assert all("ACTIVE" not in repr(c) for c in pool.connections), steps


async def test_cancelled_twice_still_waits_for_its_request_to_unwind() -> None:
    # A second cancellation (a timeout, then the caller's own) used to end the wait for
    # the request's own task early, so that nothing reclaimed what it left behind: in
    # the hostile mix (tests/hostile_run.py) about one run in ten ended with a
    # connection ACTIVE for good.
    async def slow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: bytes) -> None:
        writer.write(response_head("200 OK", "Content-Length: 100000"))
        for _ in range(100000):
            writer.write(b" ")
            await writer.drain()
            await asyncio.sleep(0.001)

    def exchanges() -> list[asyncio.Task[object]]:
        return [t for t in asyncio.all_tasks() if "_exchange" in repr(t.get_coro())]

    credentials = Credentials("ACCESSKEYEXAMPLE", "SECRETKEYEXAMPLE")
    limits = httpx.Limits(max_connections=1)
    async with RawServer(slow) as server, httpx.AsyncClient(limits=limits) as http:
        client = DataFlowClient(credentials, base_url=server.url, http_client=http)
        for steps in range(0, 40, 3):
            task = asyncio.create_task(client.list_jobs())
            for _ in range(steps):
                await asyncio.sleep(0)
            task.cancel()
            await asyncio.sleep(0)
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            assert exchanges() == [], steps
            pool = http._transport._pool  # type: ignore[attr-defined]
            assert pool._requests == [], steps
            assert all("ACTIVE" not in repr(c) for c in pool.connections), steps


async def test_an_active_connection_no_request_owns_is_reclaimed() -> None:
    async def slow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: bytes) -> None:
        writer.write(response_head("200 OK", "Content-Length: 1000") + b" ")
        await asyncio.sleep(60)

    async with RawServer(slow) as server, httpx.AsyncClient() as http:
        pool = http._transport._pool  # type: ignore[attr-defined]
        response = await http.send(http.build_request("GET", server.url), stream=True)
        (connection,) = pool.connections
        assert "ACTIVE" in repr(connection)
        pool._requests.clear()  # what a cancelled close left: nobody will finish it
        await reclaim_orphaned_connections(pool)
        assert pool.connections == []
        assert "CLOSED" in repr(connection)
        del response


# Servers that make httpcore release the connection after a failure: the release then
# waits once on the connection's state lock, a point where a cancellation would stop
# it with the connection still checked out.


async def drops_the_connection(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: bytes
) -> None:
    writer.close()  # no response: the request fails waiting for the headers


async def truncates_the_body(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: bytes
) -> None:
    writer.write(response_head("200 OK", "Content-Length: 1000") + b"x" * 10)
    await writer.drain()
    writer.close()


async def sends_past_the_cap(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: bytes
) -> None:
    writer.write(response_head("200 OK", f"Content-Length: {3 * CAP}") + b"x" * (3 * CAP))


async def answers(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: bytes) -> None:
    writer.write(response_head("200 OK", "Content-Length: 2") + b"{}")


FAILURES = [drops_the_connection, truncates_the_body, sends_past_the_cap]


def assert_nothing_checked_out(http: httpx.AsyncClient) -> None:
    pool = http._transport._pool  # type: ignore[attr-defined]
    assert pool._requests == []
    assert [c for c in pool.connections if "ACTIVE" in repr(c)] == []


def cancel_when_release_starts(
    victim: Callable[[], asyncio.Task[Any]],
) -> Callable[[httpx.Request], Awaitable[None]]:
    """A request hook that cancels ``victim()`` the moment httpcore starts to release
    the connection (its ``response_closed`` trace event): the cancellation then lands
    on the release's one wait for the connection's state lock."""

    async def hook(request: httpx.Request) -> None:
        inner = request.extensions["trace"]

        async def trace(event: str, info: Any) -> None:
            await inner(event, info)
            if event.endswith("response_closed.started"):
                victim().cancel()

        request.extensions["trace"] = trace

    return hook


@pytest.mark.parametrize("respond", [*FAILURES, answers])
async def test_a_cancellation_as_the_release_starts_leaves_nothing_checked_out(
    respond: Callable[..., Awaitable[None]],
) -> None:
    tasks: list[asyncio.Task[httpx.Response]] = []
    hooks = {"request": [cancel_when_release_starts(lambda: tasks[0])]}
    limits = httpx.Limits(max_connections=1)
    async with (
        RawServer(respond) as server,
        httpx.AsyncClient(limits=limits, event_hooks=hooks) as http,
    ):
        pool = http._transport._pool  # type: ignore[attr-defined]
        request = http.build_request("GET", server.url + "/api/v1/jobs")
        send = _cancel_safe.send(
            http, request, auth=httpx.USE_CLIENT_DEFAULT, pool=pool, max_bytes=CAP
        )
        tasks.append(asyncio.create_task(send))
        with pytest.raises(asyncio.CancelledError):
            await tasks[0]
        assert_nothing_checked_out(http)


@pytest.mark.parametrize("respond", FAILURES)
async def test_one_connection_pool_survives_cancellation_at_every_step_of_a_failure(
    respond: Callable[..., Awaitable[None]],
) -> None:
    limits = httpx.Limits(max_connections=1)
    async with RawServer(respond) as server, httpx.AsyncClient(limits=limits) as http:
        pool = http._transport._pool  # type: ignore[attr-defined]
        for steps in range(40):
            request = http.build_request("GET", server.url + "/api/v1/jobs")
            send = _cancel_safe.send(
                http, request, auth=httpx.USE_CLIENT_DEFAULT, pool=pool, max_bytes=CAP
            )
            task = asyncio.create_task(send)
            for _ in range(steps):
                await asyncio.sleep(0)
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            assert_nothing_checked_out(http)
