"""Many concurrent calls wait for a connection in the client, not in httpcore's pool.

httpcore offers each freed connection to every queued request: with 1,000 concurrent
calls on a 100-connection pool the event loop was busy for 20 s and 99 % of the calls
timed out waiting for a connection (plain httpx does the same).
"""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs, urlsplit

import httpx

from dataflow_async import Credentials, DataFlowClient, RetryPolicy
from tests.conftest import job_json, page_json
from tests.hostile import RawServer, response_head

NO_RETRY = RetryPolicy(max_retries=0)
JOBS = [job_json(i) for i in range(5)]


def page_body(head: bytes) -> bytes:
    query = parse_qs(urlsplit(head.split(b" ")[1].decode()).query)
    page, limit = int(query["page"][0]), int(query["limit"][0])
    chunk = JOBS[page * limit : (page + 1) * limit]
    return httpx.Response(200, json=page_json(chunk, page, limit, count=5)).content


def counting_server(http: httpx.AsyncClient, seen: list[int]) -> RawServer:
    """A server that notes, at each request, how many requests httpcore's pool holds."""
    pool = http._transport._pool  # type: ignore[attr-defined]

    async def respond(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: bytes
    ) -> None:
        seen.append(len(pool._requests))
        await asyncio.sleep(0.001)
        body = page_body(head)
        length = f"Content-Length: {len(body)}"
        writer.write(response_head("200 OK", "Content-Type: application/json", length) + body)

    return RawServer(respond)


async def test_concurrent_calls_hold_no_more_pool_requests_than_connections(
    credentials: Credentials,
) -> None:
    seen: list[int] = []
    http = httpx.AsyncClient(limits=httpx.Limits(max_connections=3))
    async with counting_server(http, seen) as server, http:
        client = DataFlowClient(credentials, base_url=server.url, http_client=http, retry=NO_RETRY)
        async with client, asyncio.timeout(20):
            pages = await asyncio.gather(*(client.list_jobs() for _ in range(60)))
    assert all(len(page.jobs) == 5 for page in pages)
    assert len(seen) == 60 and max(seen) <= 3


async def test_concurrent_walks_with_prefetch_stay_within_the_pool(
    credentials: Credentials,
) -> None:
    seen: list[int] = []
    http = httpx.AsyncClient(limits=httpx.Limits(max_connections=2))

    async def walk(client: DataFlowClient) -> int:
        return len([job async for job in client.iter_jobs(page_size=2, prefetch=4)])

    async with counting_server(http, seen) as server, http:
        client = DataFlowClient(credentials, base_url=server.url, http_client=http, retry=NO_RETRY)
        async with client, asyncio.timeout(20):
            counts = await asyncio.gather(*(walk(client) for _ in range(12)))
    assert counts == [5] * 12
    assert max(seen) <= 2


async def test_a_cancelled_waiter_gives_its_turn_back(credentials: Credentials) -> None:
    seen: list[int] = []
    http = httpx.AsyncClient(limits=httpx.Limits(max_connections=1))
    async with counting_server(http, seen) as server, http:
        client = DataFlowClient(credentials, base_url=server.url, http_client=http, retry=NO_RETRY)
        async with client, asyncio.timeout(20):
            tasks = [asyncio.create_task(client.list_jobs()) for _ in range(20)]
            await asyncio.sleep(0)
            for task in tasks[::2]:
                task.cancel()
            results = await asyncio.gather(*tasks, return_exceptions=True)
            await client.list_jobs()  # the slot of every cancelled waiter came back
    assert sum(isinstance(r, asyncio.CancelledError) for r in results) >= 1
    assert max(seen) <= 1
