"""Dashboard statistics, computed from the stored executions."""

from __future__ import annotations

import httpx
import pytest

from dataflow_async.emulator import EmulatorApp, ManualClock

from .kit import START, assert_bad

DAY = 86_400
RANGE = {"startDate": "2026-09-20T00:00:00", "endDate": "2026-09-21T23:59:59"}
PATHS = [
    "/api/v1/stats/executions",
    "/api/v1/stats/executions-interval",
    "/api/v1/stats/execution-times",
    "/api/v1/stats/executions-times",
]


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(
    ("query", "mentions"),
    [
        ({"endDate": "2026-09-21T00:00:00"}, "startDate"),
        ({"startDate": "2026-09-21T00:00:00"}, "endDate"),
        ({"startDate": "yesterday", "endDate": "2026-09-21T00:00:00"}, "startDate"),
        ({"startDate": "2026-09-21T00:00:00", "endDate": "2026-09-20T00:00:00"}, "before"),
        ({"startDate": "2025-01-01T00:00:00", "endDate": "2026-09-21T00:00:00"}, "366 days"),
    ],
)
async def test_a_missing_or_wrong_range_is_400(
    client: httpx.AsyncClient, path: str, query: dict[str, str], mentions: str
) -> None:
    assert_bad(await client.get(path, params=query), "bad-parameter", mentions)


@pytest.fixture
def history(app: EmulatorApp) -> EmulatorApp:
    """Runs created on 2026-09-20 (KST): 2 completed, 1 failed, 1 canceled; 1 on 09-21."""
    job = app.jobs[0]["jobId"]
    day = START - 2 * 3600 - 13 * 60 - 20  # 2026-09-21T21:00:00+09:00
    for offset, outcome in ((-DAY, "COMPLETED"), (-DAY + 60, "COMPLETED"), (-DAY + 7200, "FAILED")):
        app.executions.add(job, created=day + offset, outcome=outcome)  # type: ignore[arg-type]
    app.executions.add(job, created=day - DAY + 7300, canceled_at=day - DAY + 7301)
    app.executions.add(job, created=START - 5, running=600)  # still running at START
    app.executions.add(job, created=day - 3 * DAY)  # outside the range
    return app


async def test_result_counts_every_status(history: EmulatorApp, client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/stats/executions", params=RANGE)
    assert response.json() == {"totalCount": 5, "completedCount": 2, "failedCount": 1}


async def test_result_follows_the_clock(
    history: EmulatorApp, clock: ManualClock, client: httpx.AsyncClient
) -> None:
    clock.advance(3600)
    response = await client.get("/api/v1/stats/executions", params=RANGE)
    assert response.json()["completedCount"] == 3


async def test_interval_has_one_zero_filled_bucket_per_day(
    history: EmulatorApp, client: httpx.AsyncClient
) -> None:
    query = {"startDate": "2026-09-19T00:00:00", "endDate": "2026-09-21T23:59:59"}
    response = await client.get("/api/v1/stats/executions-interval", params=query)
    assert response.json() == {
        "result": [
            {"totalCount": 0, "startDate": "2026-09-19T00:00:01", "endDate": "2026-09-20T00:00:00"},
            {"totalCount": 4, "startDate": "2026-09-20T00:00:01", "endDate": "2026-09-21T00:00:00"},
            {"totalCount": 1, "startDate": "2026-09-21T00:00:01", "endDate": "2026-09-22T00:00:00"},
        ]
    }


async def test_both_times_paths_answer_two_hour_points(
    history: EmulatorApp, client: httpx.AsyncClient
) -> None:
    query = {"startDate": "2026-09-20T20:00:00", "endDate": "2026-09-20T23:59:59+09:00"}
    first = await client.get("/api/v1/stats/execution-times", params=query)
    second = await client.get("/api/v1/stats/executions-times", params=query)
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    points = first.json()["result"]
    base = 1_789_902_000_000  # 2026-09-20T20:00:00+09:00 in epoch milliseconds
    assert points == [{"time": base, "value": 2}, {"time": base + 7_200_000, "value": 2}]
