"""dataflow_async.testing: retries and polls without waits, and the process-wide switch."""

from __future__ import annotations

import asyncio
import threading

import httpx
import pytest

from dataflow_async import Credentials, DataFlowClient, PollPolicy, RetryPolicy
from dataflow_async.testing import instant_polls, instant_retries, instant_waits, no_wait


def test_bad_fields_are_refused_as_the_policies_refuse_them() -> None:
    with pytest.raises(ValueError, match="max_retries"):
        instant_retries(max_retries=-1)
    with pytest.raises(ValueError, match="jitter"):
        instant_polls(jitter=1.5)
    with pytest.raises(TypeError):
        instant_polls(no_such_field=1)


def test_instant_policies_keep_every_other_default() -> None:
    retry = instant_retries()
    assert retry.sleep is no_wait
    assert retry == RetryPolicy()  # sleep takes no part in equality: the rest is the default
    assert instant_retries(max_retries=5).max_retries == 5
    poll = instant_polls()
    assert poll.sleep is no_wait and poll.jitter == 0
    assert poll == PollPolicy(jitter=0.0)
    assert instant_polls(max_failed_polls=2).max_failed_polls == 2
    assert instant_retries(sleep=asyncio.sleep).sleep is asyncio.sleep


def _failing_then_ok() -> httpx.MockTransport:
    answers = [
        httpx.Response(503),
        httpx.Response(429, headers={"Retry-After": "30"}),
        httpx.Response(200, json={"list": [], "count": 0, "page": 0, "limit": 1000}),
    ]
    return httpx.MockTransport(lambda request: answers.pop(0))


async def _list_jobs(retry: RetryPolicy | None) -> int:
    async with (
        httpx.AsyncClient(transport=_failing_then_ok(), base_url="https://x.test") as http,
        DataFlowClient(Credentials("AKEY", "SKEY"), http_client=http, retry=retry) as client,
    ):
        return len(await client.list_jobs())


async def test_instant_retries_retry_without_waiting() -> None:
    # A 30 s Retry-After: under a 5 s bound the call only finishes if nothing waits.
    async with asyncio.timeout(5):
        assert await _list_jobs(instant_retries()) == 0


async def test_the_default_sleep_waits_for_real_outside_instant_waits() -> None:
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.2):
            await _list_jobs(None)


async def test_instant_waits_covers_default_policies_made_before_the_block() -> None:
    retry, poll = RetryPolicy(), PollPolicy()
    with instant_waits():
        async with asyncio.timeout(5):
            assert await _list_jobs(retry) == 0
            assert await _list_jobs(None) == 0  # the client's own default policy
            await poll.sleep(3600)
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.05):
            await poll.sleep(3600)  # real again after the block


async def test_instant_waits_nest_and_leave_own_sleeps_alone() -> None:
    slept: list[float] = []

    async def own(seconds: float) -> None:
        slept.append(seconds)

    with instant_waits():
        with instant_waits():
            pass
        async with asyncio.timeout(5):
            await RetryPolicy().sleep(3600)  # still instant: the outer block is open
        await RetryPolicy(sleep=own).sleep(7)
    assert slept == [7]
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.05):
            await RetryPolicy().sleep(3600)


def test_instant_waits_reach_other_threads_and_loops() -> None:
    done: list[bool] = []

    def other() -> None:
        asyncio.run(asyncio.wait_for(PollPolicy().sleep(3600), 5))
        done.append(True)

    with instant_waits():
        thread = threading.Thread(target=other)
        thread.start()
        thread.join(10)
    assert done == [True]


async def test_no_wait_yields_to_the_loop() -> None:
    ran: list[int] = []

    async def other() -> None:
        ran.append(1)

    task = asyncio.create_task(other())
    await no_wait(60)
    assert ran == [1]
    await task
