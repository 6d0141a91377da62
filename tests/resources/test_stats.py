"""client.stats against scripted servers: refusals and odd answers first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from dataflow_async import (
    DataFlowClient,
    ExecutionBucket,
    ExecutionResult,
    NotFoundError,
    ServerError,
    UnexpectedResponseError,
)

from .conftest import ScriptedAPI, error, reply

TIMES = "/api/v1/stats/execution-times"
OLD_TIMES = "/api/v1/stats/executions-times"
POINTS = {"result": [{"time": 1791126000000, "value": 3}, {"time": 1791133200000, "value": 0}]}


@pytest.mark.parametrize(
    ("start", "end", "kind"),
    [
        (None, "2026-10-07T23:59:59", TypeError),
        ("", "2026-10-07T23:59:59", ValueError),
        (datetime(2026, 10, 7), datetime(2026, 10, 1), ValueError),
        (20261001, "2026-10-07T23:59:59", TypeError),
    ],
)
async def test_bad_dates_are_refused_before_sending(
    client: DataFlowClient, api: ScriptedAPI, start: Any, end: Any, kind: type[Exception]
) -> None:
    for call in (
        client.stats.execution_result,
        client.stats.execution_interval,
        client.stats.execution_times,
    ):
        with pytest.raises(kind):
            await call(start, end)
    assert api.requests == []


async def test_dates_are_sent_in_kst_without_offset(
    client: DataFlowClient, api: ScriptedAPI
) -> None:
    body = {"totalCount": 12, "completedCount": 10, "failedCount": 2}
    api.add("GET", "/api/v1/stats/executions", reply(200, body), reply(200, body), reply(200, body))
    utc = await client.stats.execution_result(
        datetime(2026, 9, 30, 15, 0, tzinfo=UTC), datetime(2026, 10, 7, 14, 59, 59, tzinfo=UTC)
    )
    await client.stats.execution_result(datetime(2026, 10, 1), datetime(2026, 10, 7, 23, 59, 59))
    await client.stats.execution_result("2026-10-01T00:00:00", "2026-10-07")
    assert utc == ExecutionResult(total=12, completed=10, failed=2)
    sent = [dict(r.url.params) for r in api.requests]
    kst_week = {"startDate": "2026-10-01T00:00:00", "endDate": "2026-10-07T23:59:59"}
    assert sent[:2] == [kst_week, kst_week]
    assert sent[2] == {"startDate": "2026-10-01T00:00:00", "endDate": "2026-10-07"}
    # ':' is percent-encoded in the query, as the documents' examples show.
    assert b"startDate=2026-10-01T00%3A00%3A00" in api.requests[0].url.raw_path


async def test_an_aware_date_in_another_zone_is_converted(
    client: DataFlowClient, api: ScriptedAPI
) -> None:
    api.add(
        "GET",
        "/api/v1/stats/executions",
        reply(200, {"totalCount": 0, "completedCount": 0, "failedCount": 0}),
    )
    new_york = timezone(timedelta(hours=-4))
    await client.stats.execution_result(
        datetime(2026, 10, 1, 11, 0, tzinfo=new_york), "2026-10-02T00:00:00"
    )
    assert api.requests[0].url.params["startDate"] == "2026-10-02T00:00:00"


@pytest.mark.parametrize("body", [{"totalCount": "12"}, [], {"totalCount": 1, "completedCount": 1}])
async def test_result_that_does_not_fit_is_unexpected(
    client: DataFlowClient, api: ScriptedAPI, body: Any
) -> None:
    api.add("GET", "/api/v1/stats/executions", reply(200, body))
    with pytest.raises(UnexpectedResponseError):
        await client.stats.execution_result("2026-10-01T00:00:00", "2026-10-07T23:59:59")


async def test_interval_gives_buckets(client: DataFlowClient, api: ScriptedAPI) -> None:
    buckets = [
        {"totalCount": 5, "startDate": "2026-10-01T00:00:01", "endDate": "2026-10-02T00:00:00"},
        {"totalCount": 0, "startDate": "2026-10-02T00:00:01", "endDate": "2026-10-03T00:00:00"},
    ]
    path = "/api/v1/stats/executions-interval"
    api.add("GET", path, reply(200, {"result": buckets}), reply(200, {"data": []}))
    got = await client.stats.execution_interval("2026-10-01T00:00:00", "2026-10-02T23:59:59")
    assert [b.total for b in got] == [5, 0] and isinstance(got[0], ExecutionBucket)
    assert got[0].start_date.utcoffset() == timedelta(hours=9)
    with pytest.raises(UnexpectedResponseError, match="result"):
        await client.stats.execution_interval("2026-10-01T00:00:00", "2026-10-02T23:59:59")


async def test_times_fall_back_to_the_other_spelling_once_and_remember(
    client: DataFlowClient, api: ScriptedAPI
) -> None:
    api.add("GET", TIMES, error(404, "NOT_FOUND", "no route"))
    api.add("GET", OLD_TIMES, reply(200, POINTS), reply(200, POINTS))
    first = await client.stats.execution_times("2026-10-05T00:00:00", "2026-10-05T03:00:00")
    second = await client.stats.execution_times("2026-10-05T00:00:00", "2026-10-05T03:00:00")
    assert first == second and [p.value for p in first] == [3, 0]
    assert first[0].time == datetime(2026, 10, 4, 15, 0, tzinfo=UTC)
    assert [s.split("?")[0] for s in api.sent()] == [
        f"GET {TIMES}",
        f"GET {OLD_TIMES}",
        f"GET {OLD_TIMES}",
    ]


async def test_times_on_the_first_spelling_never_try_the_other(
    client: DataFlowClient, api: ScriptedAPI
) -> None:
    api.add("GET", TIMES, reply(200, POINTS), error(404, "NOT_FOUND", "gone"))
    await client.stats.execution_times("2026-10-05T00:00:00", "2026-10-05T03:00:00")
    with pytest.raises(NotFoundError):
        await client.stats.execution_times("2026-10-05T00:00:00", "2026-10-05T03:00:00")
    assert [s.split("?")[0] for s in api.sent()] == [f"GET {TIMES}", f"GET {TIMES}"]


async def test_times_not_found_under_either_spelling_is_not_found(
    client: DataFlowClient, api: ScriptedAPI
) -> None:
    with pytest.raises(NotFoundError):
        await client.stats.execution_times("2026-10-05T00:00:00", "2026-10-05T03:00:00")
    assert [s.split("?")[0] for s in api.sent()] == [f"GET {TIMES}", f"GET {OLD_TIMES}"]
    # Nothing was learnt: the next call starts from the first spelling again.
    api.add("GET", TIMES, reply(200, POINTS))
    assert (
        len(await client.stats.execution_times("2026-10-05T00:00:00", "2026-10-05T03:00:00")) == 2
    )


async def test_times_server_error_is_retried_then_raised_without_fallback(
    client: DataFlowClient, api: ScriptedAPI
) -> None:
    api.add("GET", TIMES, reply(500), reply(500), reply(500))
    with pytest.raises(ServerError):
        await client.stats.execution_times("2026-10-05T00:00:00", "2026-10-05T03:00:00")
    assert {s.split("?")[0] for s in api.sent()} == {f"GET {TIMES}"}


@pytest.mark.parametrize(
    "body", [{"result": [{"time": "2026-10-05", "value": 1}]}, {"result": None}, "x"]
)
async def test_times_that_do_not_fit_are_unexpected(
    client: DataFlowClient, api: ScriptedAPI, body: Any
) -> None:
    api.add("GET", TIMES, reply(200, body))
    with pytest.raises(UnexpectedResponseError):
        await client.stats.execution_times("2026-10-05T00:00:00", "2026-10-05T03:00:00")


async def test_a_bare_list_is_read_as_the_result(client: DataFlowClient, api: ScriptedAPI) -> None:
    api.add("GET", TIMES, httpx.Response(200, json=POINTS["result"]))
    assert (
        len(await client.stats.execution_times("2026-10-05T00:00:00", "2026-10-05T03:00:00")) == 2
    )
