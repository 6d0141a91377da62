"""Seeded triggers, workflows and history: valid for the routes that serve them."""

from __future__ import annotations

import pytest

from dataflow_async.emulator import (
    EmulatorApp,
    ManualClock,
    make_jobs,
    make_triggers,
    make_workflows,
    seed_history,
)

from .kit import connect


@pytest.mark.parametrize("n", [-1, 1.5, True])
def test_counts_must_be_natural_numbers(n: object) -> None:
    with pytest.raises(ValueError, match="n must be"):
        make_triggers(n)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="n must be"):
        make_workflows([], [], n)  # type: ignore[arg-type]


def test_workflows_need_jobs_and_triggers() -> None:
    with pytest.raises(ValueError, match="at least one job"):
        make_workflows([], make_triggers(1), 1)


def test_history_refuses_impossible_ranges(app: EmulatorApp) -> None:
    with pytest.raises(ValueError, match="days"):
        seed_history(app, days=0)


def test_the_same_seed_gives_the_same_resources() -> None:
    jobs = make_jobs(5, seed=2)
    triggers = make_triggers(7, seed=2)
    assert make_triggers(7, seed=2) == triggers != make_triggers(7, seed=3)
    assert make_workflows(jobs, triggers, 4, seed=2) == make_workflows(jobs, triggers, 4, seed=2)
    assert {t["type"] for t in triggers} == {"NONE", "SCHEDULED", "EVENT"}


async def test_seeded_resources_are_served_and_the_first_workflow_runs(
    clock: ManualClock,
) -> None:
    jobs = make_jobs(6, seed=2)
    triggers = make_triggers(3, seed=2)
    app = EmulatorApp(
        jobs, clock=clock, triggers=triggers, workflows=make_workflows(jobs, triggers, 3)
    )
    ids = seed_history(app, per_job=3)
    assert len(ids) == 15
    async with connect(app, clock) as client:
        listed = (await client.get("/api/v1/workflows")).json()
        first = listed["list"][0]
        accepted = await client.post(f"/api/v1/workflows/{first['workflowId']}/executions")
        scheduled = await client.post(
            f"/api/v1/workflows/{listed['list'][1]['workflowId']}/executions"
        )
        trigger = await client.get(f"/api/v1/triggers/{triggers[1]['triggerId']}")
        stats = await client.get(
            "/api/v1/stats/executions",
            params={"startDate": "2026-09-01T00:00:00", "endDate": "2026-09-30T00:00:00"},
        )
    assert listed["count"] == 3
    assert all(node["isValid"] for item in listed["list"] for node in item["nodes"])
    assert accepted.status_code == 202
    assert scheduled.status_code == 400
    assert trigger.json() == triggers[1]
    assert stats.json()["totalCount"] == 15 + len(first["nodes"]) - 1  # + the run just made


async def test_reset_state_forgets_everything_but_the_jobs(clock: ManualClock) -> None:
    jobs = make_jobs(4, seed=2)
    triggers = make_triggers(2)
    app = EmulatorApp(
        jobs, clock=clock, triggers=triggers, workflows=make_workflows(jobs, triggers, 2)
    )
    seed_history(app, per_job=1)
    app.executions.plan(None, outcome="FAILED")
    async with connect(app, clock) as client:
        await client.put(
            f"/api/v1/jobs/{jobs[0]['jobId']}/executions", json={"jobCondition": {"numWorker": 9}}
        )
        app.reset_state()
        job = (await client.get(f"/api/v1/jobs/{jobs[0]['jobId']}")).json()
        run = (await client.post(f"/api/v1/jobs/{jobs[0]['jobId']}/executions")).json()
    assert (len(app.jobs), app.workflows, app.triggers) == (4, {}, {})
    assert job["jobCondition"]["numWorker"] == 2
    assert len(app.executions) == 1
    clock.advance(31)
    assert app.executions.status(run["jobExecutionId"]) == "COMPLETED"
