"""End to end: the real client against the emulator over loopback HTTP.

The emulator recomputes every signature from the request line it received, so these
tests prove the client signs exactly the bytes it sends.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from dataflow_async import (
    AuthenticationError,
    Credentials,
    DataFlowClient,
    JobStatus,
    NcpSignatureAuth,
    NotFoundError,
    RetryPolicy,
)
from dataflow_async.emulator import (
    EmulatorApp,
    FaultPlan,
    Latency,
    RunningEmulator,
    ServerFailure,
    Throttle,
    make_jobs,
    run_emulator,
)


@pytest.fixture(scope="module")
def served() -> Iterator[RunningEmulator]:
    with run_emulator(EmulatorApp(make_jobs(10_000, seed=3))) as emu:
        yield emu


@pytest.fixture
def emu(served: RunningEmulator) -> RunningEmulator:
    served.app.faults = FaultPlan()
    served.app.count_mode = "page"
    served.app.clock_skew = 0.0
    served.app.reset()
    return served


def client_for(emu: RunningEmulator, **kwargs: Any) -> DataFlowClient:
    return DataFlowClient(emu.credentials, base_url=emu.url, **kwargs)


def pool_of(client: DataFlowClient) -> Any:
    return client.http_client._transport._pool  # type: ignore[attr-defined]


def assert_nothing_left(client: DataFlowClient) -> None:
    pool = pool_of(client)
    assert pool._requests == []  # no request waiting for or holding a connection
    assert all(c.is_idle() or c.is_closed() for c in pool.connections)
    assert asyncio.all_tasks() == {asyncio.current_task()}


async def test_wrong_secret_is_rejected_by_the_emulator(emu: RunningEmulator) -> None:
    bad = Credentials(emu.credentials.access_key, "NOT-THE-SECRET")
    async with DataFlowClient(bad, base_url=emu.url) as client:
        with pytest.raises(AuthenticationError, match="Authentication Failed") as info:
            await client.list_jobs()
    assert info.value.error_code == "200"
    assert "NOT-THE-SECRET" not in str(info.value)


async def test_unknown_path_prefix_is_not_found(emu: RunningEmulator) -> None:
    async with client_for(emu) as client:
        client.base_url = emu.url + "/prefix"
        with pytest.raises(NotFoundError) as info:
            await client.list_jobs()
    assert info.value.error_code == "300"


@pytest.mark.parametrize("count_mode", ["page", "total"])
@pytest.mark.parametrize("prefetch", [0, 1, 4])
async def test_walks_10000_jobs_each_once(
    emu: RunningEmulator, count_mode: str, prefetch: int
) -> None:
    emu.app.count_mode = count_mode  # type: ignore[assignment]
    async with client_for(emu) as client:
        pager = client.iter_jobs(page_size=700, prefetch=prefetch)
        ids = [job.job_id async for job in pager]
        assert_nothing_left(client)
        requests = len(emu.app.requests)
        emu.app.reset()
        whole = await client.list_jobs(limit=20_000)  # the server's order, in one page
    assert len(ids) == 10_000 and len(set(ids)) == 10_000
    assert ids == [job.job_id for job in whole.jobs]
    assert pager.stats.pages >= 15 and pager.stats.duplicates_dropped == 0
    if prefetch == 0 or count_mode == "total":
        assert requests == 15  # 14 full pages + 1 short: no overshoot
    else:
        assert 15 <= requests <= 15 + prefetch


@pytest.mark.parametrize(
    "name", ["a b", "x&y=z", "path/like", "1+1", "100%", "売上 集計", "레포트", "~!*'()"]
)
async def test_filters_with_awkward_names_are_signed_as_sent(
    emu: RunningEmulator, name: str
) -> None:
    async with client_for(emu) as client:
        jobs = [job async for job in client.iter_jobs(name=name)]
    assert all(name in job.name for job in jobs)
    expected = [j for j in emu.app.jobs if name in j["name"]]
    assert len(jobs) == len(expected)
    assert emu.app.requests[-1].status == 200


async def test_status_filter(emu: RunningEmulator) -> None:
    async with client_for(emu) as client:
        jobs = [job async for job in client.iter_jobs(status=JobStatus.RUNNING, page_size=250)]
    assert jobs and all(job.status is JobStatus.RUNNING for job in jobs)
    assert len(jobs) == sum(1 for j in emu.app.jobs if j["status"] == "RUNNING")


async def test_max_items_and_early_break_leave_nothing(emu: RunningEmulator) -> None:
    async with client_for(emu) as client:
        first = [job async for job in client.iter_jobs(page_size=100, max_items=250)]
        assert len(first) == 250
        async with client.iter_jobs(page_size=100, prefetch=3) as jobs:
            async for job in jobs:
                if job.job_id == first[150].job_id:
                    break
        assert_nothing_left(client)
    assert pool_of(client).connections == []  # the owned client closed them all


async def test_cancelled_consumer_leaves_nothing() -> None:
    slow = FaultPlan.random(seed=5, rate=1.0, faults=[Latency(0.05)])
    with run_emulator(jobs=2000, faults=slow) as emu:
        await _cancel_midway(emu)


async def _cancel_midway(emu: RunningEmulator) -> None:
    async with client_for(emu) as client:
        started = asyncio.Event()

        async def consume() -> None:
            async for _ in client.iter_jobs(page_size=100, prefetch=4):
                started.set()

        task = asyncio.create_task(consume())
        await started.wait()
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert_nothing_left(client)


async def test_retried_requests_are_signed_afresh(emu: RunningEmulator) -> None:
    emu.app.faults = FaultPlan.script(Throttle("420"), ServerFailure(503))
    policy = RetryPolicy(initial_backoff=0.001, max_backoff=0.002)
    async with client_for(emu, retry=policy) as client:
        page = await client.list_jobs(limit=10)
    assert len(page.jobs) == 10
    records = emu.app.requests
    assert [r.status for r in records] == [429, 503, 200]
    assert all(r.target == records[0].target for r in records)


async def test_clock_skew_is_repaired_against_the_emulator(emu: RunningEmulator) -> None:
    emu.app.clock_skew = 1800.0  # the gateway's clock is 30 minutes ahead
    async with client_for(emu) as client:
        page = await client.list_jobs(limit=5)
        await client.list_jobs(limit=5)
    assert len(page.jobs) == 5
    assert [r.status for r in emu.app.requests] == [401, 200, 200]


async def test_own_http_client_with_auth(emu: RunningEmulator) -> None:
    async with httpx.AsyncClient(
        auth=NcpSignatureAuth(emu.credentials), base_url=emu.url, http2=False
    ) as http:
        client = DataFlowClient(http_client=http)
        page = await client.list_jobs(limit=3)
        await client.aclose()
        assert not http.is_closed
    assert len(page.jobs) == 3


async def test_prefetch_deeper_than_the_pool_still_walks(emu: RunningEmulator) -> None:
    emu.app.faults = FaultPlan.random(seed=2, rate=1.0, faults=[Latency(0.005)])
    limits = httpx.Limits(max_connections=1)
    async with httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(10.0)) as http:
        client = DataFlowClient(emu.credentials, base_url=emu.url, http_client=http)
        async with asyncio.timeout(60):  # a guard against a deadlock, not a measurement
            ids = [job.job_id async for job in client.iter_jobs(page_size=1000, prefetch=4)]
    assert len(ids) == 10_000 and len(set(ids)) == 10_000
