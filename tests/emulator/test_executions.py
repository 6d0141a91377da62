"""Job execution routes: start, saved settings, list, get, cancel; maxConcurrentRuns.

Unhappy paths first. Time moves only when the test moves the manual clock.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from dataflow_async.emulator import EmulatorApp, ManualClock

from .kit import SCRIPT_JOB, assert_bad, assert_not_found, create_job, create_trigger


async def start(client: httpx.AsyncClient, job_id: str, **kwargs: Any) -> httpx.Response:
    return await client.post(f"/api/v1/jobs/{job_id}/executions", **kwargs)


# --- start: refused ------------------------------------------------------------------------


async def test_start_of_an_unknown_job_is_404(client: httpx.AsyncClient) -> None:
    assert_not_found(await start(client, "NoSuchJob123"), "NoSuchJob123")


@pytest.mark.parametrize(
    ("body", "mentions"),
    [
        ({"jobCondition": {"numWorker": 11}}, "jobCondition.numWorker"),
        ({"jobCondition": {"timeout": 0}}, "jobCondition.timeout"),
        ({"jobCondition": "fast"}, "jobCondition"),
        ({"parameters": {"day": 5}}, "parameters.day"),
        ({"parameters": "day=5"}, "parameters"),
        ({"triggerId": "NoSuchTrigger"}, "triggerId"),
        ({"workflowId": "NoSuchFlow12"}, "workflowId"),
        ({"workflowId": 7}, "workflowId"),
    ],
)
async def test_start_rejects_an_invalid_body(
    app: EmulatorApp, client: httpx.AsyncClient, body: dict[str, Any], mentions: str
) -> None:
    job = await create_job(client)
    assert_bad(await start(client, job["jobId"], json=body), "bad-parameter", mentions)
    assert len(app.executions) == 0


async def test_start_rejects_unknown_references_given_in_the_query(
    client: httpx.AsyncClient,
) -> None:
    job = await create_job(client)
    response = await start(client, job["jobId"], params={"triggerId": "NoSuchTrigger"})
    assert_bad(response, "bad-parameter", "triggerId")


@pytest.mark.parametrize("status", ["DRAFT", "EDITING", "DELETED", "STOPPED"])
async def test_a_job_that_cannot_run_is_bad_state(
    app: EmulatorApp, client: httpx.AsyncClient, status: str
) -> None:
    app.jobs[0]["status"] = status
    assert_bad(await start(client, app.jobs[0]["jobId"]), "bad-state", status)


async def test_max_concurrent_runs_is_enforced_until_a_slot_frees(
    app: EmulatorApp, clock: ManualClock, client: httpx.AsyncClient
) -> None:
    job = await create_job(client, maxConcurrentRuns=2)
    app.executions.plan(job["jobId"], ready=0, running=60)
    first = await start(client, job["jobId"])
    clock.advance(10)
    second = await start(client, job["jobId"])
    refused = await start(client, job["jobId"])
    assert (first.status_code, second.status_code) == (200, 200)
    body = assert_bad(refused, "bad-state", "maxConcurrentRuns", "limit 2")
    assert "reached" in body["detail"]
    clock.advance(50)  # the first run ends at 60 s
    assert (await start(client, job["jobId"])).status_code == 200
    assert len(app.executions) == 3


async def test_a_canceled_run_frees_its_slot(app: EmulatorApp, client: httpx.AsyncClient) -> None:
    job = await create_job(client, maxConcurrentRuns=1)
    run = (await start(client, job["jobId"])).json()
    assert_bad(await start(client, job["jobId"]), "bad-state", "maxConcurrentRuns")
    path = f"/api/v1/jobs/{job['jobId']}/executions/{run['jobExecutionId']}/cancel"
    assert (await client.post(path)).json() is True
    assert (await start(client, job["jobId"])).status_code == 200


# --- start: accepted -----------------------------------------------------------------------


async def test_start_answers_the_new_execution_ready(
    app: EmulatorApp, client: httpx.AsyncClient
) -> None:
    job = await create_job(client)
    response = await start(client, job["jobId"])
    run = response.json()
    assert response.status_code == 200
    assert run["status"] == "READY"
    assert (run["jobId"], run["jobName"], run["type"]) == (job["jobId"], "orders_daily", "JOB")
    assert run["createdDate"] == job["createdDate"]
    assert run["startDate"] is None and run["endDate"] is None
    assert run["jobCondition"]["numWorker"] == 4 and run["executorNum"] == 4
    assert run["jobCondition"]["consoleLogPath"].endswith(f"/{run['jobExecutionId']}/")
    assert run["parsedParameters"] == {"target_date": "2026-10-04"}
    assert "triggerId" not in run
    assert app.executions.get(run["jobExecutionId"]) == run


async def test_parameters_top_level_and_in_the_condition_are_both_taken(
    client: httpx.AsyncClient,
) -> None:
    job = await create_job(client)
    body = {
        "jobCondition": {"numWorker": 3, "parameters": {"a": "1", "target_date": "x"}},
        "parameters": {"b": "2"},
    }
    run = (await start(client, job["jobId"], json=body)).json()
    assert run["parsedParameters"] == {"target_date": "x", "a": "1", "b": "2"}
    assert run["jobCondition"]["numWorker"] == 3
    assert "parameters" not in run["jobCondition"]
    saved = (await client.get(f"/api/v1/jobs/{job['jobId']}")).json()
    assert saved["jobCondition"]["numWorker"] == 4  # a run's settings are not saved


@pytest.mark.parametrize("where", ["query", "body"])
async def test_trigger_and_workflow_ids_attribute_the_run(
    app: EmulatorApp, client: httpx.AsyncClient, where: str
) -> None:
    job = await create_job(client)
    trigger = await create_trigger(client)
    ids = {"triggerId": trigger["triggerId"]}
    kwargs: dict[str, Any] = {"params": ids} if where == "query" else {"json": ids}
    run = (await start(client, job["jobId"], **kwargs)).json()
    assert (run["triggerId"], run["triggerName"]) == (trigger["triggerId"], "manual_start")
    assert run["type"] == "JOB"


# --- updateJobExecuteConfig ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "mentions"),
    [({}, "jobCondition"), ({"jobCondition": {"numWorker": 0}}, "jobCondition.numWorker")],
)
async def test_execute_config_rejects_an_invalid_body(
    client: httpx.AsyncClient, body: dict[str, Any], mentions: str
) -> None:
    job = await create_job(client)
    response = await client.put(f"/api/v1/jobs/{job['jobId']}/executions", json=body)
    assert_bad(response, "bad-parameter", mentions)


async def test_execute_config_merges_into_the_saved_settings(client: httpx.AsyncClient) -> None:
    job = await create_job(client)
    path = f"/api/v1/jobs/{job['jobId']}/executions"
    response = await client.put(path, json={"jobCondition": {"numWorker": 6, "timeout": 240}})
    assert response.status_code == 200
    expected = {**SCRIPT_JOB["jobCondition"], "numWorker": 6, "timeout": 240}
    assert response.json()["jobCondition"] == expected
    run = (await start(client, job["jobId"])).json()
    assert run["jobCondition"]["numWorker"] == 6


async def test_execute_config_of_an_unknown_job_is_404(client: httpx.AsyncClient) -> None:
    response = await client.put("/api/v1/jobs/NoSuchJob123/executions", json={"jobCondition": {}})
    assert_not_found(response, "NoSuchJob123")


# --- list and get --------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["page=-1", "limit=x", "page=1&page=2"])
async def test_list_rejects_bad_paging(client: httpx.AsyncClient, query: str) -> None:
    job = await create_job(client)
    response = await client.get(f"/api/v1/jobs/{job['jobId']}/executions?{query}")
    assert_bad(response, "bad-parameter")


async def test_list_pages_newest_first_with_both_count_modes(
    app: EmulatorApp, clock: ManualClock, client: httpx.AsyncClient
) -> None:
    job = await create_job(client, maxConcurrentRuns=10)
    ids = []
    for _ in range(5):
        ids.append((await start(client, job["jobId"])).json()["jobExecutionId"])
        clock.advance(1)
    path = f"/api/v1/jobs/{job['jobId']}/executions"
    pages = [(await client.get(path, params={"page": p, "limit": 2})).json() for p in range(4)]
    assert [[run["jobExecutionId"] for run in page["list"]] for page in pages] == [
        ids[::-1][0:2],
        ids[::-1][2:4],
        ids[::-1][4:],
        [],
    ]
    assert [page["count"] for page in pages] == [2, 2, 1, 0]
    app.count_mode = "total"
    assert (await client.get(path, params={"limit": 2})).json()["count"] == 5
    assert (await client.get(path, params={"limit": 0})).json()["list"] == []


async def test_list_of_an_unknown_job_is_404(client: httpx.AsyncClient) -> None:
    assert_not_found(await client.get("/api/v1/jobs/NoSuchJob123/executions"), "NoSuchJob123")


async def test_get_of_an_unknown_or_foreign_execution_is_404(
    app: EmulatorApp, client: httpx.AsyncClient
) -> None:
    job = await create_job(client)
    other = await create_job(client, name="other_job")
    run = (await start(client, job["jobId"])).json()
    assert_not_found(
        await client.get(f"/api/v1/jobs/{job['jobId']}/executions/NoSuchRun123"), "NoSuchRun123"
    )
    foreign = f"/api/v1/jobs/{other['jobId']}/executions/{run['jobExecutionId']}"
    assert_not_found(await client.get(foreign), run["jobExecutionId"])
    assert_not_found(await client.post(foreign + "/cancel"), run["jobExecutionId"])


# --- cancel --------------------------------------------------------------------------------


async def test_cancel_of_a_finished_run_is_bad_state(
    app: EmulatorApp, clock: ManualClock, client: httpx.AsyncClient
) -> None:
    job = await create_job(client)
    app.executions.plan(job["jobId"], outcome="FAILED", ready=1, running=5)
    run = (await start(client, job["jobId"])).json()
    clock.advance(6)
    path = f"/api/v1/jobs/{job['jobId']}/executions/{run['jobExecutionId']}"
    assert_bad(await client.post(path + "/cancel"), "bad-state", "FAILED")
    assert (await client.get(path)).json()["status"] == "FAILED"


async def test_cancel_while_ready_ends_without_a_start(
    clock: ManualClock, client: httpx.AsyncClient
) -> None:
    job = await create_job(client)
    run = (await start(client, job["jobId"])).json()
    path = f"/api/v1/jobs/{job['jobId']}/executions/{run['jobExecutionId']}"
    clock.advance(0.5)
    response = await client.post(path + "/cancel")
    assert (response.status_code, response.json()) == (200, True)
    clock.advance(3600)
    canceled = (await client.get(path)).json()
    assert canceled["status"] == "CANCELED"
    assert canceled["startDate"] is None
    assert canceled["endDate"] == canceled["createdDate"]
    assert_bad(await client.post(path + "/cancel"), "bad-state", "CANCELED")


async def test_cancel_while_running_keeps_the_start(
    app: EmulatorApp, clock: ManualClock, client: httpx.AsyncClient
) -> None:
    job = await create_job(client)
    app.executions.plan(job["jobId"], ready=60, running=600)
    run = (await start(client, job["jobId"])).json()
    clock.advance(180)
    path = f"/api/v1/jobs/{job['jobId']}/executions/{run['jobExecutionId']}"
    assert (await client.get(path)).json()["status"] == "RUNNING"
    await client.post(path + "/cancel")
    canceled = (await client.get(path)).json()
    assert canceled["status"] == "CANCELED"
    assert canceled["startDate"] == "2026-09-21T23:14:20+09:00"
    assert canceled["endDate"] == "2026-09-21T23:16:20+09:00"
    assert (canceled["waitingTime"], canceled["runningTime"]) == (1, 2)
