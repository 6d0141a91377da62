"""RetryPolicy validation and hostile retry headers: bad values fail at once, clearly."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from datetime import UTC, datetime

import attrs
import httpx
import pytest

from dataflow_async import DataFlowClient, RetryPolicy, ServerError
from dataflow_async._retry import parse_http_date, parse_retry_after

from .conftest import FakeAPI, FakeSleep

NAN, INF = math.nan, math.inf

BAD_VALUES: list[tuple[str, object]] = [
    ("max_retries", -1),
    ("max_retries", True),
    ("max_retries", 2.0),
    ("max_retries", None),
    *[
        (field, bad)
        for field in ("initial_backoff", "max_backoff", "max_retry_after", "budget_refill")
        for bad in (NAN, INF, -INF, -0.1, True, "1", None)
    ],
    *[(field, bad) for field in ("deadline",) for bad in (NAN, INF, 0, -1.0, True, "5")],
    *[(field, bad) for field in ("budget_tokens",) for bad in (NAN, INF, 0, 0.5, -1, False, "10")],
    ("retry_statuses", "503"),
    ("retry_statuses", b"503"),
    ("retry_statuses", 503),
    ("retry_statuses", None),
    ("retry_statuses", ["503"]),
    ("retry_statuses", [503.0]),
    ("retry_statuses", [True]),
    ("retry_statuses", [99]),
    ("retry_statuses", [600]),
    ("retry_statuses", {503: "x", 0: "y"}),
    *[(field, bad) for field in ("sleep", "random", "clock") for bad in (None, 1.0, "sleep")],
]


@pytest.mark.parametrize(("field", "bad"), BAD_VALUES, ids=[f"{f}={b!r}" for f, b in BAD_VALUES])
def test_every_field_rejects_bad_values(field: str, bad: object) -> None:
    with pytest.raises(ValueError, match=field):
        RetryPolicy(**{field: bad})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=field):  # evolve validates too
        attrs.evolve(RetryPolicy(), **{field: bad})  # type: ignore[arg-type]


def test_a_string_of_statuses_is_not_iterated() -> None:
    with pytest.raises(ValueError, match="collection of int status codes") as info:
        RetryPolicy(retry_statuses="503")  # type: ignore[arg-type]
    assert "'503'" in str(info.value)


def test_good_values_are_kept() -> None:
    async def sleep(seconds: float) -> None:
        return None

    policy = RetryPolicy(
        max_retries=0,
        initial_backoff=0,
        max_backoff=0.0,
        max_retry_after=0,
        retry_statuses=(503, 503, 429),
        deadline=0.5,
        budget_tokens=1,
        budget_refill=0,
        sleep=sleep,
        random=lambda: 0.0,
        clock=lambda: 0.0,
    )
    assert policy.retry_statuses == frozenset({429, 503})
    assert RetryPolicy(retry_statuses=[]).retry_statuses == frozenset()
    assert RetryPolicy(budget_tokens=None, deadline=None).budget_tokens is None


def test_backoff_never_overflows() -> None:
    policy = RetryPolicy(max_retries=5000, random=lambda: 1.0)
    assert policy.backoff(1023) == policy.backoff(5000) == policy.max_backoff


ABSURD_DATES = [
    "Thu, 01 Jan 10000000000 00:00:00 GMT",
    "Thu, 01 Jan 99999999999999999999999999 00:00:00 GMT",
    "Thu, 01 Jan 2026 00:00:99999999999999999999 GMT",
    "01 Jan 2026 00:00:00 +99999999999999999999",
    "Thu, 99 Jan 2026 00:00:00 GMT",
    "Thu, 01 Foo 2026 00:00:00 GMT",
    "\x00",
    "",
]


@pytest.mark.parametrize("value", ABSURD_DATES)
def test_unreadable_dates_are_ignored(value: str) -> None:
    assert parse_http_date(value) is None
    assert parse_retry_after(httpx.Headers({"Retry-After": value}), 1e9) is None


ARABIC_ONE, ARABIC_THREE_POINT_FIVE = "\u0661".encode(), "\u0663.\u0665".encode()


@pytest.mark.parametrize(
    "value",
    [
        b"1e400",
        b"-1e400",
        b"nan",
        b"inf",
        b"1_0",
        b"0x10",
        b"1 2",
        ARABIC_ONE,
        ARABIC_THREE_POINT_FIVE,
    ],
)
def test_unreadable_numbers_are_ignored(value: bytes) -> None:
    for name in (b"retry-after-ms", b"Retry-After"):
        assert parse_retry_after(httpx.Headers({name: value}), 1e9) is None


def test_numbers_are_read() -> None:
    for value, seconds in [("2", 2.0), (" 1.5 ", 1.5), ("-3", 0.0), ("1e2", 100.0), (".5", 0.5)]:
        assert parse_retry_after(httpx.Headers({"Retry-After": value}), 1e9) == seconds


def test_date_without_zone_is_utc() -> None:
    expected = datetime(2026, 1, 1, tzinfo=UTC).timestamp()
    assert parse_http_date("Thu, 01 Jan 2026 00:00:00 -0000") == expected
    assert parse_http_date("Thu, 01 Jan 2026 00:00:00 GMT") == expected


def test_fuzzed_retry_after_is_none_or_a_finite_wait() -> None:
    rng = random.Random(20261130)
    alphabet = "0123456789 :,+-.eEGMTJanThuinfINFx\x00\t"
    for _ in range(3000):
        value = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        for name in ("Retry-After", "retry-after-ms"):
            wait = parse_retry_after(httpx.Headers({name: value}), 1e9)
            assert wait is None or (math.isfinite(wait) and wait >= 0), (name, value)


async def test_absurd_retry_after_from_a_server_is_a_typed_error(
    make_client: Callable[..., DataFlowClient], fake_api: FakeAPI, fake_sleep: FakeSleep
) -> None:
    absurd = httpx.Response(503, headers={"Retry-After": ABSURD_DATES[0]})
    fake_api.script = [absurd, absurd, absurd]
    async with make_client() as client:
        with pytest.raises(ServerError) as info:
            await client.list_jobs()
    assert info.value.retry_after is None
    assert fake_sleep.calls == [0.5, 1.0]  # unreadable: the usual backoff
