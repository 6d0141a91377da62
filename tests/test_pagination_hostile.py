"""Servers that page badly: loops, repeats, silent caps, overshoot errors, huge prefetch."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from dataflow_async import DataFlowClient, PaginationError, RetryPolicy
from dataflow_async._pagination import MAX_PREFETCH, MAX_STALE_PAGES

from .conftest import FakeAPI, FakeSleep, job_json, page_json

MakeClient = Callable[..., DataFlowClient]
REQUEST_CAP = 200  # a walk that has not stopped by then is looping


class Hostile:
    """A handler serving ``serve(page, limit, calls)``; past ``REQUEST_CAP`` requests it
    answers 400 so that a looping walk fails the test instead of hanging it."""

    def __init__(self, serve: Callable[[int, int, int], dict[str, Any]]) -> None:
        self.serve = serve
        self.calls = 0
        self.asked: list[tuple[int, int]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        page, limit = int(request.url.params["page"]), int(request.url.params["limit"])
        self.asked.append((page, limit))
        if self.calls > REQUEST_CAP:
            return httpx.Response(400, json={"errorType": "too-many-requests-in-test"})
        return httpx.Response(200, json=self.serve(page, limit, self.calls))


def install(fake_api: FakeAPI, handler: Hostile) -> None:
    fake_api.script = [handler] * (REQUEST_CAP + 10)


async def collect(pager: Any) -> tuple[list[str], BaseException | None]:
    ids: list[str] = []
    try:
        async for job in pager:
            ids.append(job.job_id)
    except Exception as exc:
        return ids, exc
    return ids, None


# -- pages that loop (repeat what the walk has seen) ---------------------------


@pytest.mark.parametrize("prefetch", [0, 1, 4])
async def test_random_subset_ignoring_page_ends_with_pagination_error(
    make_client: MakeClient, fake_api: FakeAPI, prefetch: int
) -> None:
    pool = [job_json(i) for i in range(1500)]
    rng = random.Random(7)
    hostile = Hostile(lambda page, limit, _: page_json(rng.sample(pool, 1000), page, 1000))
    install(fake_api, hostile)
    async with make_client() as client:
        ids, error = await collect(client.iter_jobs(prefetch=prefetch))
    assert isinstance(error, PaginationError), error
    assert "mostly repeat" in str(error)
    assert len(ids) == len(set(ids)) <= 1500
    assert hostile.calls <= 1 + MAX_STALE_PAGES + prefetch + 1


async def test_server_adding_a_job_per_request_ignoring_page_ends(
    make_client: MakeClient, fake_api: FakeAPI
) -> None:
    def growing(page: int, limit: int, calls: int) -> dict[str, Any]:
        return page_json([job_json(i) for i in range(calls, calls + 10)], page, 10)

    hostile = Hostile(growing)
    install(fake_api, hostile)
    async with make_client() as client:
        ids, error = await collect(client.iter_jobs(page_size=10, prefetch=0))
    assert isinstance(error, PaginationError)
    assert len(ids) == len(set(ids)) == 10 + MAX_STALE_PAGES - 1
    assert hostile.calls == 1 + MAX_STALE_PAGES


async def test_job_repeated_pages_later_is_yielded_once(
    make_client: MakeClient, fake_api: FakeAPI
) -> None:
    jobs = [job_json(i) for i in range(60)]

    def repeating(page: int, limit: int, _: int) -> dict[str, Any]:
        chunk = jobs[page * 10 : (page + 1) * 10]
        if page == 4:  # job 5 (page 0) comes again four pages later
            chunk = [jobs[5], *chunk[1:]]
        return page_json(chunk, page, 10)

    install(fake_api, Hostile(repeating))
    async with make_client() as client:
        pager = client.iter_jobs(page_size=10)
        ids, error = await collect(pager)
    assert error is None
    assert len(ids) == len(set(ids)) == 59
    assert pager.stats.duplicates_dropped == 1 and pager.stats.dropped_job_ids == [jobs[5]["jobId"]]
    assert pager.stats.items == pager.stats.jobs == 59


async def test_pages_with_a_few_repeats_do_not_end_the_walk(
    make_client: MakeClient, fake_api: FakeAPI
) -> None:
    jobs = [job_json(i) for i in range(100)]

    def shifting(page: int, limit: int, _: int) -> dict[str, Any]:
        # Every page repeats the last 4 jobs of the page before (4 of 10: under half).
        start = max(page * 10 - 4 * (page > 0), 0)
        return page_json(jobs[start : start + 10], page, 10)

    install(fake_api, Hostile(shifting))
    async with make_client() as client:
        ids, error = await collect(client.iter_jobs(page_size=10, prefetch=0))
    assert error is None
    assert len(ids) == len(set(ids))


async def test_iter_job_pages_skips_pages_with_nothing_new(
    make_client: MakeClient, fake_api: FakeAPI
) -> None:
    jobs = [job_json(i) for i in range(40)]

    def again(page: int, limit: int, _: int) -> dict[str, Any]:
        chunk = jobs[(page - 1) * 10 : page * 10] if page == 2 else jobs[page * 10 : page * 10 + 10]
        return page_json(chunk, page, 10)

    install(fake_api, Hostile(again))
    async with make_client() as client:
        pages = [p.page async for p in client.iter_job_pages(page_size=10, prefetch=0)]
    assert pages == [0, 1, 3]


# -- silent loss: short pages while the count says more ------------------------


@pytest.mark.parametrize("prefetch", [0, 1, 3])
async def test_silent_page_cap_is_followed_to_the_end(
    make_client: MakeClient, fake_api: FakeAPI, prefetch: int
) -> None:
    jobs = [job_json(i) for i in range(5000)]

    def capped(page: int, limit: int, _: int) -> dict[str, Any]:
        size = min(limit, 100)  # caps at 100 and echoes the limit it was asked for
        return page_json(jobs[page * size : (page + 1) * size], page, limit, count=5000)

    hostile = Hostile(capped)
    install(fake_api, hostile)
    async with make_client() as client:
        ids, error = await collect(client.iter_jobs(prefetch=prefetch))
    assert error is None
    assert ids == [j["jobId"] for j in jobs]
    assert hostile.asked[0] == (0, 1000)
    needed = [asked for asked in hostile.asked if asked[1] == 100]
    assert sorted(needed) == [(page, 100) for page in range(1, 50)]


async def test_short_page_later_in_the_walk_says_what_is_missing(
    make_client: MakeClient, fake_api: FakeAPI
) -> None:
    jobs = [job_json(i) for i in range(50)]

    def truncating(page: int, limit: int, _: int) -> dict[str, Any]:
        chunk = jobs[page * 10 : (page + 1) * 10]
        return page_json(chunk[:4] if page == 2 else chunk, page, 10, count=50)

    install(fake_api, Hostile(truncating))
    async with make_client() as client:
        ids, error = await collect(client.iter_jobs(page_size=10, prefetch=2))
    assert isinstance(error, PaginationError)
    assert "26 are missing" in str(error) and "page 2" in str(error)
    assert len(ids) == 24


@pytest.mark.parametrize(("start_page", "size"), [(0, 0), (2, 5)])
async def test_empty_or_resumed_short_page_under_a_total_raises(
    make_client: MakeClient, fake_api: FakeAPI, start_page: int, size: int
) -> None:
    jobs = [job_json(i) for i in range(100)]
    install(fake_api, Hostile(lambda page, limit, _: page_json(jobs[:size], page, limit, 100)))
    async with make_client() as client:
        _, error = await collect(client.iter_jobs(page_size=10, start_page=start_page))
    assert isinstance(error, PaginationError) and "are missing" in str(error)


# -- event-loop starvation: prefetch is bounded --------------------------------


@pytest.mark.parametrize("prefetch", [MAX_PREFETCH + 1, 1500, 10**9])
async def test_absurd_prefetch_is_rejected_at_the_call(
    make_client: MakeClient, fake_api: FakeAPI, prefetch: int
) -> None:
    async with make_client() as client:
        with pytest.raises(ValueError, match=f"at most {MAX_PREFETCH}"):
            client.iter_jobs(prefetch=prefetch)
        with pytest.raises(ValueError, match=f"at most {MAX_PREFETCH}"):
            client.iter_job_pages(prefetch=prefetch)
    assert fake_api.requests == []


async def test_largest_prefetch_is_accepted(make_client: MakeClient, fake_api: FakeAPI) -> None:
    async with make_client() as client:
        ids, error = await collect(client.iter_jobs(page_size=10, prefetch=MAX_PREFETCH))
    assert error is None and len(ids) == 25


# -- speculative pages spend no retry budget -----------------------------------


async def test_overshoot_pages_failing_spend_no_retry_budget(
    make_client: MakeClient, fake_api: FakeAPI, fake_sleep: FakeSleep
) -> None:
    def past_the_end(request: httpx.Request) -> httpx.Response:
        if int(request.url.params["page"]) >= 3:
            return httpx.Response(503, json={"error": {"errorCode": "500", "message": "down"}})
        return fake_api.serve_jobs(request)

    fake_api.script = [past_the_end] * 1000
    retry = RetryPolicy(max_retries=3, sleep=fake_sleep, random=lambda: 0.0, budget_tokens=10)
    async with make_client(retry=retry) as client:
        for _ in range(20):
            ids, error = await collect(client.iter_jobs(page_size=10, prefetch=4))
            assert error is None and len(ids) == 25
        assert client._requester.budget.tokens == 10
    assert fake_sleep.calls == []


async def test_needed_page_that_failed_ahead_is_asked_again_with_retries(
    make_client: MakeClient, fake_api: FakeAPI, fake_sleep: FakeSleep
) -> None:
    fake_api.jobs = [job_json(i) for i in range(40)]
    failures = {"left": 2}

    def flaky(request: httpx.Request) -> httpx.Response:
        if request.url.params["page"] == "2" and failures["left"]:
            failures["left"] -= 1
            return httpx.Response(503, json={"error": {"errorCode": "500", "message": "down"}})
        return fake_api.serve_jobs(request)

    fake_api.script = [flaky] * 100
    async with make_client() as client:
        ids, error = await collect(client.iter_jobs(page_size=10, prefetch=3))
    assert error is None and ids == [j["jobId"] for j in fake_api.jobs]
    # Sent ahead once without retry (503), asked again when needed (503), retried once.
    assert len(fake_sleep.calls) == 1
    assert [r.url.params["page"] for r in fake_api.requests].count("2") == 3
