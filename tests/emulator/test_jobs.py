"""Job routes: getJob, createJob, verifyJob, updateJob (PUT/PATCH), deleteJob; auth on all.

Unhappy paths first: unsigned requests on every route, invalid bodies (400 naming the
field), unknown ids (404), the other revision's update method (405).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from dataflow_async.emulator import EmulatorApp, ManualClock

from .kit import ROUTES, SCRIPT_JOB, assert_bad, assert_not_found, connect, create_job, new_app

# --- authentication on every route ------------------------------------------------------


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_every_route_rejects_an_unsigned_request(
    app: EmulatorApp, method: str, path: str
) -> None:
    target = path.format(job="a", run="b", workflow="c", trigger="d")
    async with httpx.AsyncClient(transport=app.transport(), base_url="http://e.test") as raw:
        response = await raw.request(method, target, json={})
    assert response.status_code == 401
    assert response.json()["error"]["errorCode"] == "200"
    assert app.requests[-1].status == 401


async def test_the_signature_covers_the_method(app: EmulatorApp, client: httpx.AsyncClient) -> None:
    signed_get = client.build_request("GET", "/api/v1/jobs")
    request = client.build_request("POST", "/api/v1/jobs", json=SCRIPT_JOB)
    for name in ("x-ncp-apigw-timestamp", "x-ncp-iam-access-key"):
        request.headers[name] = "0"
    # Re-sign as GET: the emulator must refuse the same signature on a POST.
    signed = client.auth.sync_auth_flow(signed_get)  # type: ignore[union-attr]
    headers = next(signed).headers
    async with httpx.AsyncClient(transport=app.transport(), base_url="http://e.test") as raw:
        response = await raw.post("/api/v1/jobs", json=SCRIPT_JOB, headers=dict(headers))
    assert response.status_code == 401
    assert "POST /api/v1/jobs" in response.json()["error"]["details"]
    assert len(app.jobs) == 3


async def test_bodies_are_not_signed(app: EmulatorApp, client: httpx.AsyncClient) -> None:
    first = await client.post("/api/v1/jobs", json={**SCRIPT_JOB, "name": "first_job"})
    second = await client.post("/api/v1/jobs", json={**SCRIPT_JOB, "name": "second_job"})
    assert (first.status_code, second.status_code) == (201, 201)


# --- createJob: invalid bodies ---------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "mentions"),
    [
        ({"name": None}, "name"),
        ({"name": "ab"}, "name"),
        ({"name": "1job"}, "name"),
        ({"name": "-job"}, "name"),
        ({"name": "has space"}, "name"),
        ({"name": "j" * 101}, "name"),
        ({"name": "job/slash"}, "name"),
        ({"name": 123}, "name"),
        ({"type": None}, "type"),
        ({"type": "DATAFLOW"}, "type"),
        ({"type": "script"}, "type"),
        ({"maxConcurrentRuns": 0}, "maxConcurrentRuns"),
        ({"maxConcurrentRuns": "2"}, "maxConcurrentRuns"),
        ({"jobCondition": []}, "jobCondition"),
        ({"jobCondition": {"numWorker": 1}}, "jobCondition.numWorker"),
        ({"jobCondition": {"numWorker": 11}}, "jobCondition.numWorker"),
        ({"jobCondition": {"numWorker": True}}, "jobCondition.numWorker"),
        ({"jobCondition": {"numWorker": 2.0}}, "jobCondition.numWorker"),
        ({"jobCondition": {"timeout": 0}}, "jobCondition.timeout"),
        ({"jobCondition": {"timeout": 1441}}, "jobCondition.timeout"),
        ({"jobCondition": {"nrn": ""}}, "jobCondition.nrn"),
        ({"jobCondition": {"parameters": {"a": 1}}}, "jobCondition.parameters.a"),
        ({"jobCondition": {"parameters": ["a"]}}, "jobCondition.parameters"),
        ({"nodes": {}}, "nodes"),
        ({"nodes": [{"id": "1", "name": "n", "type": "SOURCE_OBS"}]}, "nodes[0].id"),
        ({"nodes": [{"id": 1, "type": "SOURCE_OBS"}]}, "nodes[0].name"),
        ({"nodes": [{"id": 1, "name": "n", "type": "T", "parentNodeIds": [2]}]}, "nodes[0]"),
        ({"description": 5}, "description"),
    ],
)
async def test_create_job_rejects_an_invalid_field(
    app: EmulatorApp, client: httpx.AsyncClient, body: dict[str, Any], mentions: str
) -> None:
    base = {"name": "valid_name", "type": "SCRIPT"}
    response = await client.post("/api/v1/jobs", json={**base, **body} if body else base)
    assert_bad(response, "bad-parameter", mentions)
    assert len(app.jobs) == 3


@pytest.mark.parametrize(
    ("content", "mentions"),
    [
        (b"", "required"),
        (b"{not json", "not valid JSON"),
        (b"[1, 2]", "JSON object"),
        (b"null", "required"),
    ],
)
async def test_create_job_rejects_a_missing_or_wrong_body(
    client: httpx.AsyncClient, content: bytes, mentions: str
) -> None:
    response = await client.post(
        "/api/v1/jobs", content=content, headers={"content-type": "application/json"}
    )
    assert_bad(response, "bad-parameter", mentions)


async def test_an_oversized_body_is_the_gateways_413(client: httpx.AsyncClient) -> None:
    body = {**SCRIPT_JOB, "description": "x" * (1 << 20)}
    response = await client.post("/api/v1/jobs", json=body)
    assert response.status_code == 413
    assert response.json()["error"]["errorCode"] == "430"


async def test_g1_accepts_timeout_zero_and_refuses_no_name(clock: ManualClock) -> None:
    app = new_app(clock, api_version="G1")
    async with connect(app, clock) as client:
        ok = await client.post(
            "/api/v1/jobs", json={"name": "g1_job", "runCondition": {"timeout": 0}}
        )
        bad = await client.post("/api/v1/jobs", json={"type": "DATAFLOW"})
    assert ok.status_code == 201
    assert ok.json()["runCondition"]["timeout"] == 0
    assert_bad(bad, "bad-parameter", "name")


# --- createJob / getJob: happy paths, both revisions ---------------------------------


@pytest.mark.parametrize("name", ["abc", "_ab", "A" + "b" * 99, "a-b_c-1"])
async def test_name_boundaries_are_accepted(client: httpx.AsyncClient, name: str) -> None:
    job = await create_job(client, name=name)
    assert job["name"] == name


async def test_create_job_g2_answers_201_with_the_whole_job(
    app: EmulatorApp, client: httpx.AsyncClient
) -> None:
    job = await create_job(client)
    assert job["type"] == "SCRIPT"
    assert job["status"] == "READY"
    assert job["maxConcurrentRuns"] == 2
    assert job["jobCondition"] == SCRIPT_JOB["jobCondition"]
    assert "runCondition" not in job
    assert job["createdDate"] == "2026-09-21T23:13:20+09:00" == job["updatedDate"]
    assert len(job["jobId"]) == 12 and job["jobId"].isalnum()
    fetched = (await client.get(f"/api/v1/jobs/{job['jobId']}")).json()
    assert fetched == job
    listed = (await client.get("/api/v1/jobs", params={"name": "orders_daily"})).json()
    assert [item["jobId"] for item in listed["list"]] == [job["jobId"]]
    assert listed["list"][0]["resourceId"] == job["jobId"]
    assert listed["list"][0]["disabled"] is False


async def test_create_job_defaults_are_two_workers_and_360_minutes(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/api/v1/jobs", json={"name": "bare", "type": "VISUAL"})
    job = response.json()
    assert response.status_code == 201
    assert job["jobCondition"]["numWorker"] == 2
    assert job["jobCondition"]["timeout"] == 360
    assert job["nodes"] == []


async def test_g1_jobs_are_dataflow_runnable_with_run_condition(clock: ManualClock) -> None:
    app = new_app(clock, api_version="G1")
    async with connect(app, clock) as client:
        response = await client.post("/api/v1/jobs", json={"name": "g1_job"})
        job = response.json()
        fetched = (await client.get(f"/api/v1/jobs/{job['jobId']}")).json()
    assert response.status_code == 201
    assert (job["type"], job["status"]) == ("DATAFLOW", "RUNNABLE")
    assert job["runCondition"]["workerType"] == "DEFAULT"
    assert "jobCondition" not in job and "maxConcurrentRuns" not in job
    assert fetched == job


async def test_the_revision_can_be_switched_on_a_running_app(
    app: EmulatorApp, client: httpx.AsyncClient
) -> None:
    job = await create_job(client)
    app.api_version = "G1"
    fetched = (await client.get(f"/api/v1/jobs/{job['jobId']}")).json()
    assert fetched["runCondition"] == SCRIPT_JOB["jobCondition"]
    with pytest.raises(ValueError, match="api_version"):
        app.api_version = "G3"  # type: ignore[assignment]


async def test_get_job_of_a_seeded_job_fills_the_settings(
    app: EmulatorApp, client: httpx.AsyncClient
) -> None:
    seeded = app.jobs[0]
    response = await client.get(f"/api/v1/jobs/{seeded['jobId']}")
    job = response.json()
    assert response.status_code == 200
    assert job["jobId"] == seeded["jobId"] and job["name"] == seeded["name"]
    assert job["jobCondition"]["numWorker"] == 2 and job["nodes"] == []
    assert "resourceId" not in job


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
async def test_unknown_job_is_404_in_both_shapes(client: httpx.AsyncClient, method: str) -> None:
    response = await client.request(method, "/api/v1/jobs/NoSuchJob123", json={"type": "SCRIPT"})
    assert_not_found(response, "NoSuchJob123")


async def test_percent_encoded_ids_are_decoded(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/jobs/a%20b")
    assert_not_found(response, "a b")


# --- verifyJob ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "mentions"),
    [
        ({"nodes": []}, "name"),
        ({"name": "ok_name"}, "nodes"),
        ({"name": "ok_name", "nodes": [{"id": 1}]}, "nodes[0].name"),
    ],
)
async def test_verify_rejects_an_invalid_definition(
    client: httpx.AsyncClient, body: dict[str, Any], mentions: str
) -> None:
    assert_bad(await client.post("/api/v1/jobs/verify", json=body), "bad-parameter", mentions)


async def test_verify_answers_true_and_saves_nothing(
    app: EmulatorApp, client: httpx.AsyncClient
) -> None:
    nodes = [
        {"id": 1, "name": "src", "type": "SOURCE_OBS", "parentNodeIds": []},
        {"id": 2, "name": "dst", "type": "TARGET_OBS", "parentNodeIds": [1]},
    ]
    response = await client.post("/api/v1/jobs/verify", json={"name": "csv_copy", "nodes": nodes})
    assert (response.status_code, response.json()) == (200, True)
    assert len(app.jobs) == 3


# --- updateJob -----------------------------------------------------------------------------


async def test_g2_answers_put_with_405_naming_patch(client: httpx.AsyncClient) -> None:
    job = await create_job(client)
    response = await client.put(f"/api/v1/jobs/{job['jobId']}", json={"name": "x_y_z"})
    assert response.status_code == 405
    assert response.headers["allow"] == "PATCH"
    assert response.json()["errorType"] == "METHOD_NOT_ALLOWED"


async def test_g1_answers_patch_with_405_naming_put(clock: ManualClock) -> None:
    app = new_app(clock, api_version="G1")
    async with connect(app, clock) as client:
        job = (await client.post("/api/v1/jobs", json={"name": "g1_job"})).json()
        response = await client.patch(f"/api/v1/jobs/{job['jobId']}", json={"type": "DATAFLOW"})
    assert response.status_code == 405
    assert response.headers["allow"] == "PUT"


@pytest.mark.parametrize(
    ("body", "mentions"),
    [
        ({}, "type"),
        ({"type": "SCRIPT", "name": "no"}, "name"),
        ({"type": "SCRIPT", "jobCondition": {"timeout": 2000}}, "jobCondition.timeout"),
        ({"type": "SCRIPT", "maxConcurrentRuns": -1}, "maxConcurrentRuns"),
    ],
)
async def test_patch_rejects_an_invalid_field(
    client: httpx.AsyncClient, body: dict[str, Any], mentions: str
) -> None:
    job = await create_job(client)
    response = await client.patch(f"/api/v1/jobs/{job['jobId']}", json=body)
    assert_bad(response, "bad-parameter", mentions)
    unchanged = (await client.get(f"/api/v1/jobs/{job['jobId']}")).json()
    assert unchanged == job


async def test_patch_keeps_absent_fields_and_merges_the_condition(
    clock: ManualClock, client: httpx.AsyncClient
) -> None:
    job = await create_job(client)
    clock.advance(60)
    body = {"type": "VISUAL", "maxConcurrentRuns": 3, "jobCondition": {"timeout": 120}}
    response = await client.patch(f"/api/v1/jobs/{job['jobId']}", json=body)
    updated = response.json()
    assert response.status_code == 200
    assert updated["name"] == "orders_daily"
    assert (updated["type"], updated["maxConcurrentRuns"]) == ("VISUAL", 3)
    assert updated["jobCondition"] == {**SCRIPT_JOB["jobCondition"], "timeout": 120}
    assert updated["updatedDate"] == "2026-09-21T23:14:20+09:00"
    assert updated["createdDate"] == job["createdDate"]


async def test_g1_put_needs_name_and_type_and_is_temp_makes_a_draft(clock: ManualClock) -> None:
    app = new_app(clock, api_version="G1")
    async with connect(app, clock) as client:
        job = (await client.post("/api/v1/jobs", json={"name": "g1_job"})).json()
        path = f"/api/v1/jobs/{job['jobId']}"
        no_name = await client.put(path, json={"type": "DATAFLOW"})
        no_type = await client.put(path, json={"name": "g1_job"})
        draft = await client.put(path, json={"name": "g1_new", "type": "DATAFLOW", "isTemp": True})
    assert_bad(no_name, "bad-parameter", "name")
    assert_bad(no_type, "bad-parameter", "type")
    assert draft.status_code == 200
    assert (draft.json()["name"], draft.json()["status"]) == ("g1_new", "DRAFT")


# --- deleteJob -----------------------------------------------------------------------------


async def test_delete_job_answers_true_then_404(
    app: EmulatorApp, client: httpx.AsyncClient
) -> None:
    job = await create_job(client)
    response = await client.delete(f"/api/v1/jobs/{job['jobId']}")
    assert (response.status_code, response.json()) == (200, True)
    assert_not_found(await client.get(f"/api/v1/jobs/{job['jobId']}"), job["jobId"])
    assert_not_found(await client.delete(f"/api/v1/jobs/{job['jobId']}"), job["jobId"])
    assert job["jobId"] not in {item["jobId"] for item in app.jobs}


async def test_delete_job_with_a_run_in_progress_is_bad_state(
    clock: ManualClock, client: httpx.AsyncClient
) -> None:
    job = await create_job(client)
    run = (await client.post(f"/api/v1/jobs/{job['jobId']}/executions")).json()
    refused = await client.delete(f"/api/v1/jobs/{job['jobId']}")
    assert_bad(refused, "bad-state", run["jobExecutionId"])
    clock.advance(3600)
    assert (await client.delete(f"/api/v1/jobs/{job['jobId']}")).json() is True


async def test_a_delete_ignores_any_body(client: httpx.AsyncClient) -> None:
    job = await create_job(client)
    response = await client.request("DELETE", f"/api/v1/jobs/{job['jobId']}", content=b"{junk")
    assert (response.status_code, response.json()) == (200, True)
