"""Prefetch: pages requested ahead, items still in order and once, nothing left behind."""

from __future__ import annotations

import asyncio
import gc
from typing import Any

import httpx
import pytest

from dataflow_async import BadRequestError, Credentials, DataFlowClient, RetryPolicy

from .conftest import ACCESS_KEY, SECRET_KEY, FakeAPI, FakeSleep, job_json


class SlowAPI:
    """An async handler that serves FakeAPI pages after a delay, counting concurrency."""

    def __init__(self, api: FakeAPI, delay: float = 0.01) -> None:
        self.api = api
        self.delay = delay
        self.in_flight = 0
        self.max_in_flight = 0
        self.cancelled = 0
        self.fail: dict[int, httpx.Response] = {}
        self.delays: dict[int, float] = {}

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.delays.get(page, self.delay))
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        finally:
            self.in_flight -= 1
        if page in self.fail:
            self.api.requests.append(request)
            return self.fail[page]
        return self.api(request)


@pytest.fixture
async def slow_client(fake_api: FakeAPI, fake_sleep: FakeSleep) -> Any:
    slow = SlowAPI(fake_api)
    http = httpx.AsyncClient(transport=httpx.MockTransport(slow))
    client = DataFlowClient(
        Credentials(ACCESS_KEY, SECRET_KEY),
        base_url="https://h.test",
        http_client=http,
        retry=RetryPolicy(sleep=fake_sleep, random=lambda: 0.0),
    )
    yield client, slow
    await http.aclose()


def pages_asked(api: FakeAPI) -> list[int]:
    return sorted(int(r.url.params["page"]) for r in api.requests)


async def test_prefetch_keeps_order_and_overshoots_at_most_prefetch(
    slow_client: Any, fake_api: FakeAPI
) -> None:
    client, slow = slow_client
    fake_api.jobs = [job_json(i) for i in range(95)]
    ids = [job.job_id async for job in client.iter_jobs(page_size=10, prefetch=3)]
    assert ids == [j["jobId"] for j in fake_api.jobs]
    asked = pages_asked(fake_api)
    assert asked[:10] == list(range(10))
    assert len(asked) - 10 <= 3  # overshoot past page 9 (the short last page)
    assert slow.max_in_flight == 4  # the page consumed + 3 ahead
    assert slow.in_flight == 0


async def test_small_listing_costs_one_request_by_default(
    slow_client: Any, fake_api: FakeAPI
) -> None:
    client, _ = slow_client
    fake_api.jobs = [job_json(i) for i in range(4)]
    assert len([j async for j in client.iter_jobs(page_size=10)]) == 4
    assert pages_asked(fake_api) == [0]


async def test_deeper_prefetch_starts_at_the_first_page(
    slow_client: Any, fake_api: FakeAPI
) -> None:
    client, slow = slow_client
    fake_api.jobs = [job_json(i) for i in range(4)]
    assert len([j async for j in client.iter_jobs(page_size=10, prefetch=5)]) == 4
    # Before a full first page, one request of the depth is the first page itself.
    assert slow.max_in_flight == 5
    assert len(fake_api.requests) <= 5


async def test_total_count_means_no_overshoot(slow_client: Any, fake_api: FakeAPI) -> None:
    client, slow = slow_client
    fake_api.jobs = [job_json(i) for i in range(100)]
    fake_api.count_is_total = True
    pages = [p async for p in client.iter_job_pages(page_size=10, prefetch=4)]
    assert [p.page for p in pages] == list(range(10))
    assert pages_asked(fake_api) == list(range(10))
    assert slow.max_in_flight == 5


async def test_max_items_bounds_prefetch(slow_client: Any, fake_api: FakeAPI) -> None:
    client, _ = slow_client
    jobs = [j async for j in client.iter_jobs(page_size=5, max_items=12, prefetch=8)]
    assert len(jobs) == 12
    assert pages_asked(fake_api) == [0, 1, 2]


async def test_error_past_the_last_page_is_ignored(slow_client: Any, fake_api: FakeAPI) -> None:
    client, slow = slow_client
    slow.fail = {p: httpx.Response(400, json={"errorType": "bad-parameter"}) for p in (3, 4)}
    ids = [job.job_id async for job in client.iter_jobs(page_size=10, prefetch=2)]
    assert len(ids) == 25


async def test_error_of_a_needed_page_comes_in_order(slow_client: Any, fake_api: FakeAPI) -> None:
    client, slow = slow_client
    fake_api.jobs = [job_json(i) for i in range(60)]
    slow.fail = {2: httpx.Response(400, json={"errorType": "bad-parameter", "detail": "no"})}
    seen: list[str] = []
    with pytest.raises(BadRequestError):
        async for job in client.iter_jobs(page_size=10, prefetch=3):
            seen.append(job.job_id)
    assert len(seen) == 20
    await asyncio.sleep(0)
    assert slow.in_flight == 0


async def test_closing_cancels_what_is_in_flight(slow_client: Any, fake_api: FakeAPI) -> None:
    client, slow = slow_client
    slow.delays = {p: 5.0 for p in range(2, 10)}
    fake_api.jobs = [job_json(i) for i in range(100)]
    pager = client.iter_jobs(page_size=10, prefetch=4)
    for _ in range(11):  # page 0 with 1 to 3 ahead, then page 1 with 2 to 5 ahead
        await anext(pager)
    assert slow.in_flight == 4
    await pager.aclose()
    assert slow.in_flight == 0 and slow.cancelled == 4
    assert asyncio.all_tasks() == {asyncio.current_task()}


async def test_closing_a_page_walk_cancels_what_is_in_flight(
    slow_client: Any, fake_api: FakeAPI
) -> None:
    client, slow = slow_client
    slow.delays = {p: 5.0 for p in range(2, 10)}
    fake_api.jobs = [job_json(i) for i in range(100)]
    pages = client.iter_job_pages(page_size=10, prefetch=4)
    assert [len((await anext(pages)).items) for _ in range(2)] == [10, 10]
    assert slow.in_flight == 4
    await pages.aclose()
    assert slow.in_flight == 0 and slow.cancelled == 4
    assert asyncio.all_tasks() == {asyncio.current_task()}


@pytest.mark.parametrize("what", ["jobs", "pages"])
async def test_a_pager_dropped_mid_walk_closes_its_walk_without_the_collector(
    slow_client: Any, fake_api: FakeAPI, what: str
) -> None:
    client, slow = slow_client
    slow.delays = {p: 5.0 for p in range(2, 10)}
    fake_api.jobs = [job_json(i) for i in range(100)]
    gc.disable()  # freed by its reference count alone: no cycle through the pager
    try:
        walk = client.iter_jobs if what == "jobs" else client.iter_job_pages
        pager = walk(page_size=10, prefetch=4)
        for _ in range(11 if what == "jobs" else 2):
            await anext(pager)
        assert slow.in_flight == 4
        del pager  # the loop's finalizer closes the walk
        for _ in range(10):
            await asyncio.sleep(0)
        assert slow.in_flight == 0 and slow.cancelled == 4
    finally:
        gc.enable()


async def test_cancelling_the_consumer_cancels_prefetch(
    slow_client: Any, fake_api: FakeAPI
) -> None:
    client, slow = slow_client
    slow.delay = 0.05
    fake_api.jobs = [job_json(i) for i in range(200)]
    reached = asyncio.Event()

    async def consume() -> None:
        async with client.iter_jobs(page_size=10, prefetch=4) as jobs:
            async for job in jobs:
                if job.job_id == "job000000015":
                    reached.set()

    task = asyncio.create_task(consume())
    await reached.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert slow.in_flight == 0 and slow.cancelled > 0
    assert asyncio.all_tasks() == {asyncio.current_task()}


async def test_known_pages_sent_ahead_obey_retries(
    slow_client: Any, fake_api: FakeAPI, fake_sleep: FakeSleep
) -> None:
    client, slow = slow_client
    fake_api.jobs = [job_json(i) for i in range(40)]
    fake_api.count_is_total = True  # the last page is known: pages ahead are not speculative
    flaky = {"left": 2}
    original = slow.api

    def sometimes(request: httpx.Request) -> httpx.Response:
        if request.url.params["page"] == "2" and flaky["left"]:
            flaky["left"] -= 1
            original.requests.append(request)
            return httpx.Response(
                503, json={"error": {"errorCode": "500", "message": "Endpoint Error"}}
            )
        return original(request)

    slow.api = sometimes  # type: ignore[assignment]
    ids = [job.job_id async for job in client.iter_jobs(page_size=10, prefetch=2)]
    assert ids == [j["jobId"] for j in fake_api.jobs]
    assert len(fake_sleep.calls) == 2
