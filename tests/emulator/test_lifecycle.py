"""Execution lifecycle in virtual time: plans, random mixes, timeouts, the job's mirror."""

from __future__ import annotations

import httpx
import pytest

from dataflow_async.emulator import EmulatorApp, ManualClock

from .kit import START, connect, create_job, new_app


async def statuses_over_time(
    client: httpx.AsyncClient, clock: ManualClock, path: str, steps: list[float]
) -> list[str]:
    seen = []
    for step in steps:
        clock.advance(step)
        seen.append((await client.get(path)).json()["status"])
    return seen


def test_plans_refuse_impossible_values(app: EmulatorApp) -> None:
    with pytest.raises(ValueError, match="outcome"):
        app.executions.plan(outcome="CANCELED")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="ready"):
        app.executions.plan(ready=-1)
    with pytest.raises(ValueError, match="failure_rate"):
        app.executions.plan_random(failure_rate=1.5)
    with pytest.raises(ValueError, match="running"):
        app.executions.plan_random(running=(10.0, 5.0))
    with pytest.raises(ValueError, match="outcome"):
        app.executions.add("job", outcome="RUNNING")  # type: ignore[arg-type]


def test_manual_clock_refuses_to_go_back() -> None:
    clock = ManualClock(10.0)
    with pytest.raises(ValueError, match="seconds"):
        clock.advance(-1)
    assert clock.advance(2.5) == 12.5 == clock()


async def test_manual_clock_sleep_advances_instead_of_waiting() -> None:
    clock = ManualClock(0.0)
    await clock.sleep(3600)
    assert clock() == 3600.0


async def test_ready_running_then_the_planned_outcome(
    app: EmulatorApp, clock: ManualClock, client: httpx.AsyncClient
) -> None:
    job = await create_job(client)
    app.executions.plan(job["jobId"], outcome="FAILED", ready=2.0, running=150.0)
    run = (await client.post(f"/api/v1/jobs/{job['jobId']}/executions")).json()
    path = f"/api/v1/jobs/{job['jobId']}/executions/{run['jobExecutionId']}"
    seen = await statuses_over_time(client, clock, path, [1.9, 0.1, 149.9, 0.1, 1000])
    assert seen == ["READY", "RUNNING", "RUNNING", "FAILED", "FAILED"]
    final = (await client.get(path)).json()
    assert final["startDate"] == "2026-09-21T23:13:22+09:00"
    assert final["endDate"] == "2026-09-21T23:15:52+09:00"
    assert (final["waitingTime"], final["runningTime"]) == (0, 2)


async def test_the_default_plan_and_a_plan_for_every_job(
    app: EmulatorApp, clock: ManualClock, client: httpx.AsyncClient
) -> None:
    job = await create_job(client, maxConcurrentRuns=5)
    first = (await client.post(f"/api/v1/jobs/{job['jobId']}/executions")).json()
    app.executions.plan(None, outcome="FAILED", ready=0, running=1)
    second = (await client.post(f"/api/v1/jobs/{job['jobId']}/executions")).json()
    clock.advance(31)
    assert app.executions.status(first["jobExecutionId"]) == "COMPLETED"  # 1 s + 30 s
    assert app.executions.status(second["jobExecutionId"]) == "FAILED"
    app.executions.clear_plans()
    third = (await client.post(f"/api/v1/jobs/{job['jobId']}/executions")).json()
    clock.advance(30.5)
    assert app.executions.status(third["jobExecutionId"]) == "RUNNING"


async def test_a_run_longer_than_its_timeout_fails_at_the_timeout(
    app: EmulatorApp, clock: ManualClock, client: httpx.AsyncClient
) -> None:
    job = await create_job(client, jobCondition={"timeout": 1})
    app.executions.plan(job["jobId"], ready=0, running=3600)
    run = (await client.post(f"/api/v1/jobs/{job['jobId']}/executions")).json()
    clock.advance(59)
    assert app.executions.status(run["jobExecutionId"]) == "RUNNING"
    clock.advance(1)
    final = app.executions.get(run["jobExecutionId"])
    assert final is not None
    assert final["status"] == "FAILED"
    assert final["endDate"] == "2026-09-21T23:14:20+09:00"


async def run_mix(seed: int) -> list[str]:
    clock = ManualClock(START)
    app = new_app(clock)
    async with connect(app, clock) as client:
        job = await create_job(client, maxConcurrentRuns=100)
        app.executions.plan_random(job["jobId"], seed=seed, failure_rate=0.5, running=(1, 50))
        ids = [
            (await client.post(f"/api/v1/jobs/{job['jobId']}/executions")).json()["jobExecutionId"]
            for _ in range(40)
        ]
        clock.advance(60)
        return [app.executions.status(ident) for ident in ids]


async def test_a_random_mix_is_the_same_for_the_same_seed() -> None:
    first, again, other = await run_mix(3), await run_mix(3), await run_mix(4)
    assert first == again != other
    assert set(first) == {"COMPLETED", "FAILED"}


async def test_the_job_mirrors_its_newest_execution(
    app: EmulatorApp, clock: ManualClock, client: httpx.AsyncClient
) -> None:
    job = await create_job(client)
    assert "lastExecutionStatus" not in (await client.get(f"/api/v1/jobs/{job['jobId']}")).json()
    app.executions.plan(job["jobId"], outcome="FAILED", ready=1, running=10)
    clock.advance(120)
    await client.post(f"/api/v1/jobs/{job['jobId']}/executions")
    listed = (await client.get("/api/v1/jobs", params={"name": "orders_daily"})).json()["list"]
    assert listed[0]["lastExecutionStatus"] == "READY"
    assert listed[0]["lastExecutionDate"] == "2026-09-21T23:15:20+09:00"
    clock.advance(11)
    detail = (await client.get(f"/api/v1/jobs/{job['jobId']}")).json()
    assert detail["lastExecutionStatus"] == "FAILED"
    assert "lastExecutionStatus" not in next(j for j in app.jobs if j["jobId"] == job["jobId"])


async def test_history_can_be_added_directly(app: EmulatorApp, clock: ManualClock) -> None:
    job_id = app.jobs[0]["jobId"]
    ident = app.executions.add(job_id, created=START - 600, running=60, canceled_at=START - 580)
    assert app.executions.status(ident) == "CANCELED"
    assert [run["jobExecutionId"] for run in app.executions.list(job_id)] == [ident]
    app.executions.clear()
    assert len(app.executions) == 0 and app.executions.get(ident) is None
