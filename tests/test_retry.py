"""Retries: what is retried, how long it sleeps, and that each attempt is signed afresh."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from dataflow_async import (
    APIConnectionError,
    AuthenticationError,
    Credentials,
    DataFlowClient,
    NcpSignatureAuth,
    QuotaExceededError,
    RateLimitError,
    RetryPolicy,
    ServerError,
)
from dataflow_async._retry import parse_retry_after

from .conftest import FakeAPI, FakeSleep

MakeClient = Callable[..., DataFlowClient]


def throttle(code: str = "420", **headers: str) -> httpx.Response:
    return httpx.Response(
        429, json={"error": {"errorCode": code, "message": "Rate Limited"}}, headers=headers
    )


@pytest.mark.parametrize("bad", [-1, 1.5, True, "2"])
def test_policy_rejects_bad_max_retries(bad: object) -> None:
    with pytest.raises(ValueError, match="max_retries"):
        RetryPolicy(max_retries=bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("field", ["initial_backoff", "max_backoff", "max_retry_after"])
def test_policy_rejects_negative_durations(field: str) -> None:
    with pytest.raises(ValueError, match=field):
        RetryPolicy(**{field: -0.1})  # type: ignore[arg-type]


def test_client_rejects_both_retry_forms(credentials: object) -> None:
    with pytest.raises(ValueError, match="not both"):
        DataFlowClient(credentials, max_retries=1, retry=RetryPolicy())  # type: ignore[arg-type]


def test_backoff_is_full_jitter_capped() -> None:
    policy = RetryPolicy(initial_backoff=0.5, max_backoff=3.0, random=lambda: 1.0)
    assert [policy.backoff(n) for n in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    assert RetryPolicy(random=lambda: 0.25).backoff(2) == 0.5


async def test_exact_sleep_sequence_then_success(
    make_client: MakeClient, fake_api: FakeAPI, fake_sleep: FakeSleep
) -> None:
    fake_api.script = [
        httpx.ConnectError("reset"),
        httpx.Response(502, text="bad gateway"),
        httpx.Response(500, json={"error": {"errorCode": "900", "message": "Unexpected Error"}}),
    ]
    async with make_client(max_retries=3) as client:
        page = await client.list_jobs(limit=5)
    assert len(page.jobs) == 5
    assert fake_sleep.calls == [0.5, 1.0, 2.0]
    assert len(fake_api.requests) == 4


async def test_each_attempt_is_signed_afresh(
    credentials: Credentials, fake_api: FakeAPI, fake_sleep: FakeSleep
) -> None:
    ticks = iter(range(1_000, 2_000))
    auth = NcpSignatureAuth(credentials, clock=lambda: float(next(ticks)))
    fake_api.script = [throttle(), httpx.ReadError("reset")]
    async with httpx.AsyncClient(transport=httpx.MockTransport(fake_api), auth=auth) as http:
        client = DataFlowClient(
            http_client=http,
            base_url="https://h.test",
            retry=RetryPolicy(sleep=fake_sleep, random=lambda: 0.0),
        )
        await client.list_jobs()
    stamps = [r.headers["x-ncp-apigw-timestamp"] for r in fake_api.requests]
    assert stamps == ["1000000", "1001000", "1002000"]
    signatures = {r.headers["x-ncp-apigw-signature-v2"] for r in fake_api.requests}
    assert len(signatures) == 3  # and FakeAPI checked each one against its own line


async def test_retry_after_seconds_is_honoured(
    make_client: MakeClient, fake_api: FakeAPI, fake_sleep: FakeSleep
) -> None:
    fake_api.script = [
        throttle("410", **{"Retry-After": "7"}),
        throttle(**{"retry-after-ms": "250"}),
    ]
    async with make_client() as client:
        await client.list_jobs()
    assert fake_sleep.calls == [7.0, 0.25]


async def test_retry_after_above_cap_fails_at_once(
    make_client: MakeClient, fake_api: FakeAPI, fake_sleep: FakeSleep
) -> None:
    fake_api.script = [throttle(**{"Retry-After": "3600"})]
    async with make_client() as client:
        with pytest.raises(RateLimitError) as info:
            await client.list_jobs()
    assert info.value.retry_after == 3600.0
    assert fake_sleep.calls == []
    assert len(fake_api.requests) == 1


async def test_quota_exceeded_is_not_retried(
    make_client: MakeClient, fake_api: FakeAPI, fake_sleep: FakeSleep
) -> None:
    fake_api.script = [throttle("400", **{"Retry-After": "1"})]
    async with make_client() as client:
        with pytest.raises(QuotaExceededError) as info:
            await client.list_jobs()
    assert info.value.retry_after == 1.0
    assert fake_sleep.calls == [] and len(fake_api.requests) == 1


async def test_throttle_exhausted_raises_rate_limit(
    make_client: MakeClient, fake_api: FakeAPI, fake_sleep: FakeSleep
) -> None:
    fake_api.script = [throttle()] * 3
    async with make_client() as client:
        with pytest.raises(RateLimitError) as info:
            await client.list_jobs()
    assert type(info.value) is RateLimitError and info.value.retry_after is None
    assert fake_sleep.calls == [0.5, 1.0]


async def test_zero_retries(
    make_client: MakeClient, fake_api: FakeAPI, fake_sleep: FakeSleep
) -> None:
    fake_api.script = [httpx.ReadError("boom")]
    async with make_client(max_retries=0) as client:
        with pytest.raises(APIConnectionError):
            await client.list_jobs()
    assert fake_sleep.calls == [] and len(fake_api.requests) == 1


async def test_auth_failure_not_retried(make_client: MakeClient, fake_api: FakeAPI) -> None:
    fake_api.script = [
        httpx.Response(
            401, json={"error": {"errorCode": "200", "message": "Authentication Failed"}}
        )
    ]
    async with make_client() as client:
        with pytest.raises(AuthenticationError):
            await client.list_jobs()
    assert len(fake_api.requests) == 1


def test_parse_retry_after_forms() -> None:
    now = 1_700_000_000.0
    when = datetime.fromtimestamp(now + 30, UTC)
    assert (
        parse_retry_after(httpx.Headers({"Retry-After": format_datetime(when, usegmt=True)}), now)
        == 30.0
    )
    past = datetime.fromtimestamp(now, UTC) - timedelta(minutes=1)
    assert (
        parse_retry_after(httpx.Headers({"Retry-After": format_datetime(past, usegmt=True)}), now)
        == 0.0
    )
    assert parse_retry_after(httpx.Headers({"Retry-After": "1.5"}), now) == 1.5
    assert parse_retry_after(httpx.Headers({"Retry-After": "-3"}), now) == 0.0
    assert parse_retry_after(httpx.Headers({"Retry-After": "soon"}), now) is None
    assert parse_retry_after(httpx.Headers({"Retry-After": "nan"}), now) is None
    assert parse_retry_after(httpx.Headers({"Retry-After": "inf"}), now) is None
    assert parse_retry_after(httpx.Headers({"retry-after-ms": "1e400"}), now) is None
    assert parse_retry_after(httpx.Headers({"retry-after-ms": "x", "Retry-After": "2"}), now) == 2.0
    assert parse_retry_after(httpx.Headers(), now) is None


async def test_retry_after_on_503_is_honoured(
    make_client: MakeClient, fake_api: FakeAPI, fake_sleep: FakeSleep
) -> None:
    unavailable = httpx.Response(
        503, json={"error": {"errorCode": "500"}}, headers={"Retry-After": "3"}
    )
    fake_api.script = [unavailable, httpx.Response(503, headers={"Retry-After": "600"})]
    async with make_client() as client:
        with pytest.raises(ServerError) as info:
            await client.list_jobs()
    assert fake_sleep.calls == [3.0]  # the second asked for too long: raised at once
    assert info.value.retry_after == 600.0
