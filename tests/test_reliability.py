"""Reliability: deadlines, the retry budget, clock-skew repair, de-duplication, logs."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from email.utils import formatdate

import httpx
import pytest

from dataflow_async import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    Credentials,
    DataFlowClient,
    NcpSignatureAuth,
    RetryPolicy,
    ServerError,
)
from dataflow_async._logging import logger, setup_logging_from_env
from dataflow_async._retry import RetryBudget

from .conftest import ACCESS_KEY, SECRET_KEY, FakeAPI, FakeSleep, job_json, page_json

MakeClient = Callable[..., DataFlowClient]


class FakeClock:
    """Monotonic time that only moves when the fake sleep sleeps."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def unavailable() -> httpx.Response:
    return httpx.Response(503, json={"error": {"errorCode": "500", "message": "Endpoint Error"}})


# -- deadline -----------------------------------------------------------------


async def test_no_sleep_past_the_deadline(make_client: MakeClient, fake_api: FakeAPI) -> None:
    clock = FakeClock()
    policy = RetryPolicy(
        max_retries=10, deadline=3.0, sleep=clock.sleep, clock=clock, random=lambda: 1.0
    )
    fake_api.script = [unavailable()] * 10
    async with make_client(retry=policy) as client:
        with pytest.raises(ServerError):
            await client.list_jobs()
    # 0.5 + 1.0 = 1.5 s slept; the next 2.0 s would end at 103.5 > 103.0: raise instead.
    assert clock.sleeps == [0.5, 1.0]
    assert len(fake_api.requests) == 3


async def test_attempt_timeout_shrinks_to_what_is_left(
    make_client: MakeClient, fake_api: FakeAPI
) -> None:
    clock = FakeClock()
    policy = RetryPolicy(deadline=2.5, sleep=clock.sleep, clock=clock, random=lambda: 1.0)
    fake_api.script = [unavailable()]
    async with make_client(retry=policy, timeout=30.0) as client:
        await client.list_jobs()
    first, second = (r.extensions["timeout"] for r in fake_api.requests)
    assert first["read"] == 2.5 and first["connect"] == 2.5
    assert second["read"] == 2.0  # 0.5 s slept


async def test_deadline_cuts_a_hanging_request() -> None:
    class Hang(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            await asyncio.sleep(30)
            raise AssertionError("not reached")

    async with httpx.AsyncClient(transport=Hang()) as http:
        client = DataFlowClient(
            Credentials("a", "b"),
            base_url="https://h.test",
            http_client=http,
            retry=RetryPolicy(deadline=0.05, max_retries=5),
        )
        with pytest.raises(APITimeoutError, match="deadline"):
            await client.list_jobs()


def test_deadline_must_be_positive() -> None:
    with pytest.raises(ValueError, match="deadline"):
        RetryPolicy(deadline=0)


# -- retry budget -------------------------------------------------------------


def test_budget_bucket() -> None:
    budget = RetryBudget(2.0, 0.5)
    assert [budget.try_spend() for _ in range(3)] == [True, True, False]
    budget.record_success()
    assert not budget.try_spend()  # 0.5 token
    budget.record_success()
    assert budget.try_spend()
    for _ in range(10):
        budget.record_success()
    assert budget.tokens == 2.0
    unlimited = RetryBudget(None, 0.1)
    assert all(unlimited.try_spend() for _ in range(100))


async def test_empty_budget_surfaces_errors_instead_of_retrying(
    make_client: MakeClient, fake_api: FakeAPI, fake_sleep: FakeSleep
) -> None:
    policy = RetryPolicy(
        max_retries=5, budget_tokens=3, budget_refill=1.0, sleep=fake_sleep, random=lambda: 0.0
    )
    fake_api.script = [unavailable()] * 4
    async with make_client(retry=policy) as client:
        with pytest.raises(ServerError):
            await client.list_jobs()
        assert len(fake_api.requests) == 4  # first attempt + 3 budgeted retries
        fake_api.script = [unavailable()]
        with pytest.raises(ServerError):
            await client.list_jobs()  # budget empty: no retry at all
        assert len(fake_api.requests) == 5
        await client.list_jobs()  # a success refills one token
        fake_api.script = [unavailable()]
        await client.list_jobs()  # ... which one retry may spend
    assert len(fake_sleep.calls) == 4


async def test_budget_is_shared_by_concurrent_walks(
    make_client: MakeClient, fake_api: FakeAPI, fake_sleep: FakeSleep
) -> None:
    policy = RetryPolicy(max_retries=3, budget_tokens=5, sleep=fake_sleep, random=lambda: 0.0)
    fake_api.script = [unavailable()] * 1000
    async with make_client(retry=policy) as client:
        results = await asyncio.gather(
            *(client.list_jobs() for _ in range(20)), return_exceptions=True
        )
    assert all(isinstance(r, ServerError) for r in results)
    assert len(fake_sleep.calls) == 5  # not 20 * 3
    assert len(fake_api.requests) == 25


# -- clock skew ---------------------------------------------------------------


def skew_server(server_offset: float, api: FakeAPI) -> Callable[[httpx.Request], httpx.Response]:
    """Rejects timestamps more than 5 minutes off its own clock, like the gateway."""
    import time

    def handler(request: httpx.Request) -> httpx.Response:
        server_now = time.time() + server_offset
        sent = int(request.headers["x-ncp-apigw-timestamp"]) / 1000
        date = {"Date": formatdate(server_now, usegmt=True)}
        if abs(sent - server_now) > 300:
            body = {"error": {"errorCode": "200", "message": "Authentication Failed"}}
            return httpx.Response(401, json=body, headers=date)
        return api(request)

    return handler


@pytest.mark.parametrize("offset", [-3600.0, 900.0])
async def test_clock_skew_is_repaired_once_and_remembered(
    fake_api: FakeAPI, caplog: pytest.LogCaptureFixture, offset: float
) -> None:
    auth = NcpSignatureAuth(Credentials(ACCESS_KEY, SECRET_KEY))
    transport = httpx.MockTransport(skew_server(offset, fake_api))
    async with httpx.AsyncClient(transport=transport, auth=auth) as http:
        client = DataFlowClient(http_client=http, base_url="https://h.test")
        with caplog.at_level(logging.INFO, logger="dataflow_async"):
            await client.list_jobs()
            await client.list_jobs()
    assert abs(auth.clock_offset - offset) < 2.0
    assert len(fake_api.requests) == 2  # the two re-signed requests reached the API
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "clock" in warnings[0].getMessage()


async def test_wrong_key_still_fails_at_once(fake_api: FakeAPI) -> None:
    attempts: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        attempts.append(request)
        body = {"error": {"errorCode": "200", "message": "Authentication Failed"}}
        return httpx.Response(401, json=body, headers={"Date": formatdate(usegmt=True)})

    auth = NcpSignatureAuth(Credentials("WRONGKEY", "WRONGSECRET"))
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler), auth=auth) as http:
        client = DataFlowClient(http_client=http, base_url="https://h.test")
        with pytest.raises(AuthenticationError):
            await client.list_jobs()
    assert len(attempts) == 1 and auth.clock_offset == 0.0


async def test_skew_repaired_only_once_per_call() -> None:
    attempts: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        attempts.append(request)  # a server whose Date always claims an hour later
        import time

        body = {"error": {"errorCode": "200", "message": "Authentication Failed"}}
        headers = {"Date": formatdate(time.time() + 3600 * len(attempts), usegmt=True)}
        return httpx.Response(401, json=body, headers=headers)

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        client = DataFlowClient(Credentials("a", "b"), http_client=http, base_url="https://h.test")
        with pytest.raises(AuthenticationError):
            await client.list_jobs()
    assert len(attempts) == 2


# -- de-duplication -----------------------------------------------------------


async def test_jobs_shifted_by_creation_come_once(
    make_client: MakeClient, fake_api: FakeAPI
) -> None:
    def create_ahead(request: httpx.Request) -> httpx.Response:
        response = fake_api.serve_jobs(request)
        fake_api.jobs[:0] = [job_json(1000 + k) for k in range(3)]  # 3 new jobs at the front
        return response

    original = [j["jobId"] for j in fake_api.jobs]
    fake_api.script = [create_ahead]
    async with make_client() as client:
        pager = client.iter_jobs(page_size=10)
        ids = [job.job_id async for job in pager]
    assert ids == original  # the 3 shifted jobs of page 0 were not yielded again
    assert pager.stats.duplicates_dropped == 3
    assert pager.stats.dropped_job_ids == original[7:10]
    assert pager.stats.jobs == 25 and pager.stats.pages == 3


async def test_dedupe_off_yields_repeats(make_client: MakeClient, fake_api: FakeAPI) -> None:
    def create_ahead(request: httpx.Request) -> httpx.Response:
        response = fake_api.serve_jobs(request)
        fake_api.jobs[:0] = [job_json(1000 + k) for k in range(3)]
        return response

    fake_api.script = [create_ahead]
    async with make_client() as client:
        ids = [job.job_id async for job in client.iter_jobs(page_size=10, dedupe=False)]
    assert len(ids) == 28 and len(set(ids)) == 25
    with pytest.raises(ValueError, match="dedupe"):
        client.iter_jobs(dedupe="yes")  # type: ignore[arg-type]


async def test_repeats_within_one_page_are_dropped(
    make_client: MakeClient, fake_api: FakeAPI
) -> None:
    jobs = [job_json(1), job_json(2), job_json(1)]
    fake_api.script = [httpx.Response(200, json=page_json(jobs, 0, 10))]
    async with make_client() as client:
        pager = client.iter_jobs(page_size=10)
        ids = [job.job_id async for job in pager]
    assert ids == ["job000000001", "job000000002"]
    assert pager.stats.duplicates_dropped == 1


# -- logs ---------------------------------------------------------------------


async def test_logs_never_carry_keys_or_signatures(
    make_client: MakeClient, fake_api: FakeAPI, caplog: pytest.LogCaptureFixture
) -> None:
    fake_api.script = [
        httpx.Response(429, json={"error": {"errorCode": "420"}}, headers={"Retry-After": "0"}),
        httpx.ConnectError("reset"),
    ]
    with caplog.at_level(logging.DEBUG, logger="dataflow_async"):
        async with make_client() as client:
            await client.list_jobs(name="secret-free-filter")
    text = caplog.text
    signatures = {r.headers["x-ncp-apigw-signature-v2"] for r in fake_api.requests}
    for secret in (SECRET_KEY, ACCESS_KEY, *signatures):
        assert secret not in text
    attempts = [r for r in caplog.records if r.levelno == logging.DEBUG]
    retries = [r for r in caplog.records if r.levelno == logging.INFO]
    assert len(attempts) == 3 and len(retries) == 2
    assert "-> 429 (attempt 1" in attempts[0].getMessage()
    assert "'retry-after': '0'" in attempts[0].getMessage()
    assert "ConnectError" in retries[1].getMessage()


def test_env_switch_installs_one_handler(monkeypatch: pytest.MonkeyPatch) -> None:
    before = list(logger.handlers), logger.level
    try:
        assert not setup_logging_from_env("")
        assert not setup_logging_from_env("verbose")
        assert setup_logging_from_env("DEBUG")
        assert setup_logging_from_env("info")
        assert logger.level == logging.INFO
        assert len(logger.handlers) == len(before[0]) + 1
        monkeypatch.setenv("DATAFLOW_ASYNC_LOG", "debug")
        assert setup_logging_from_env()
        assert logger.level == logging.DEBUG
    finally:
        logger.handlers[:] = before[0]
        logger.setLevel(before[1])


async def test_connection_error_message_has_no_secret(
    make_client: MakeClient, fake_api: FakeAPI
) -> None:
    fake_api.script = [httpx.ConnectError("refused")] * 3
    async with make_client() as client:
        with pytest.raises(APIConnectionError) as info:
            await client.list_jobs()
    assert SECRET_KEY not in str(info.value) and SECRET_KEY not in repr(info.value)
