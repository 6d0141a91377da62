"""Workflow routes: create/update validation, reads, delete, execute (202), executions."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from dataflow_async.emulator import EmulatorApp, ManualClock

from .kit import (
    assert_bad,
    assert_not_found,
    connect,
    create_job,
    create_trigger,
    new_app,
    workflow_body,
)


async def setup(client: httpx.AsyncClient, kind: str = "NONE") -> dict[str, Any]:
    """A trigger of ``kind`` and two jobs, and a createWorkflow body joining them."""
    rule = (
        {"type": "NONE"}
        if kind != "SCHEDULED"
        else {"type": "RECURRING", "interval": "DAY", "time": "02:00"}
    )
    trigger = await create_trigger(client, kind, "start_here", **rule)
    first = await create_job(client, name="job_one")
    second = await create_job(client, name="job_two")
    return workflow_body(trigger, first, second)


def broken(body: dict[str, Any], index: int, **changes: Any) -> dict[str, Any]:
    nodes = [dict(node) for node in body["nodes"]]
    nodes[index].update(changes)
    nodes[index] = {k: v for k, v in nodes[index].items() if v is not None}
    return {**body, "nodes": nodes}


# --- create: refused -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "mentions"),
    [
        (lambda b: {**b, "name": "x"}, "name"),
        (lambda b: {k: v for k, v in b.items() if k != "nodes"}, "nodes"),
        (lambda b: {**b, "nodes": []}, "nodes"),
        (lambda b: {**b, "isTemp": "no"}, "isTemp"),
        (lambda b: {**b, "nodes": b["nodes"][1:]}, "exactly one TRIGGER"),
        (lambda b: {**b, "nodes": [b["nodes"][0], *b["nodes"]]}, "exactly one TRIGGER"),
        (lambda b: broken(b, 0, id="NoSuchTrig12"), "nodes[0].id"),
        (lambda b: broken(b, 1, id="NoSuchJob123"), "nodes[1].id"),
        (lambda b: broken(b, 1, type="TASK"), "nodes[1].type"),
        (lambda b: broken(b, 1, name=""), "nodes[1].name"),
        (lambda b: broken(b, 0, parentNodeIds=["x"]), "nodes[0].parentNodeIds"),
        (lambda b: broken(b, 1, parentNodeIds=[]), "nodes[1].parentNodeIds"),
        (lambda b: broken(b, 1, parentNodeIds="t"), "nodes[1].parentNodeIds"),
        (lambda b: broken(b, 0, triggerRule="DAILY"), "nodes[0].triggerRule"),
        (lambda b: broken(b, 2, jobCondition={"numWorker": 20}), "nodes[2].jobCondition"),
        (lambda b: {**b, "nodes": [*b["nodes"][:2], 5]}, "nodes[2]"),
    ],
)
async def test_create_rejects_an_invalid_body(
    app: EmulatorApp, client: httpx.AsyncClient, change: Any, mentions: str
) -> None:
    body = change(await setup(client))
    assert_bad(await client.post("/api/v1/workflows", json=body), "bad-parameter", mentions)
    assert app.workflows == {}


async def test_g1_requires_is_temp_and_the_job_paths(clock: ManualClock) -> None:
    app = new_app(clock, api_version="G1")
    async with connect(app, clock) as client:
        trigger = await create_trigger(client)
        job = (await client.post("/api/v1/jobs", json={"name": "g1_job"})).json()
        body = workflow_body(trigger, job)
        no_temp = {k: v for k, v in body.items() if k != "isTemp"}
        no_nrn = broken(body, 1, jobCondition={"scriptPath": "a/", "logPath": "b/"})
        no_condition = broken(body, 1, jobCondition=None)
        responses = [
            await client.post("/api/v1/workflows", json=b) for b in (no_temp, no_nrn, no_condition)
        ]
        accepted = await client.post("/api/v1/workflows", json=body)
    assert_bad(responses[0], "bad-parameter", "isTemp")
    assert_bad(responses[1], "bad-parameter", "nodes[1].jobCondition.nrn")
    assert_bad(responses[2], "bad-parameter", "nodes[1].jobCondition")
    assert accepted.status_code == 201


async def test_g2_job_nodes_may_omit_the_condition(client: httpx.AsyncClient) -> None:
    body = broken(await setup(client), 1, jobCondition=None)
    body = {k: v for k, v in body.items() if k != "isTemp"}
    response = await client.post("/api/v1/workflows", json=body)
    assert response.status_code == 201
    assert response.json()["isTemp"] is False


# --- create, read, update, delete ----------------------------------------------------------


async def test_create_answers_201_and_reads_back(
    app: EmulatorApp, client: httpx.AsyncClient
) -> None:
    body = await setup(client)
    response = await client.post("/api/v1/workflows", json=body)
    workflow = response.json()
    assert response.status_code == 201
    assert set(workflow) == {"workflowId", "name", "nodes", "createdDate", "updatedDate", "isTemp"}
    assert [node["isValid"] for node in workflow["nodes"]] == [True, True, True]
    assert [node["id"] for node in workflow["nodes"]] == [node["id"] for node in body["nodes"]]
    fetched = await client.get(f"/api/v1/workflows/{workflow['workflowId']}")
    assert fetched.json() == workflow
    listed = (await client.get("/api/v1/workflows")).json()
    item = listed["list"][0]
    assert listed["count"] == 1
    assert item["resourceId"] == workflow["workflowId"]
    assert (item["triggerRuleType"], item["lastExecutionDate"], item["disabled"]) == (
        "NONE",
        None,
        False,
    )


async def test_update_replaces_name_and_nodes(
    clock: ManualClock, client: httpx.AsyncClient
) -> None:
    body = await setup(client)
    workflow = (await client.post("/api/v1/workflows", json=body)).json()
    clock.advance(60)
    smaller = {"name": "renamed_flow", "nodes": body["nodes"][:2]}
    response = await client.put(f"/api/v1/workflows/{workflow['workflowId']}", json=smaller)
    updated = response.json()
    assert response.status_code == 200
    assert updated["name"] == "renamed_flow" and len(updated["nodes"]) == 2
    assert updated["updatedDate"] != updated["createdDate"] == workflow["createdDate"]
    bad = await client.put(f"/api/v1/workflows/{workflow['workflowId']}", json={"name": "abc"})
    assert_bad(bad, "bad-parameter", "nodes")


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
async def test_unknown_workflow_is_404(client: httpx.AsyncClient, method: str) -> None:
    body = await setup(client)
    response = await client.request(method, "/api/v1/workflows/NoSuchFlow12", json=body)
    assert_not_found(response, "NoSuchFlow12")


async def test_execute_and_executions_of_an_unknown_workflow_are_404(
    client: httpx.AsyncClient,
) -> None:
    path = "/api/v1/workflows/NoSuchFlow12/executions"
    assert_not_found(await client.post(path), "NoSuchFlow12")
    assert_not_found(await client.get(path), "NoSuchFlow12")


async def test_deleted_resources_show_as_invalid_nodes_and_delete_is_true(
    client: httpx.AsyncClient,
) -> None:
    body = await setup(client)
    workflow = (await client.post("/api/v1/workflows", json=body)).json()
    await client.delete(f"/api/v1/jobs/{body['nodes'][2]['id']}")
    await client.delete(f"/api/v1/triggers/{body['nodes'][0]['id']}")
    path = f"/api/v1/workflows/{workflow['workflowId']}"
    fetched = (await client.get(path)).json()
    assert [node["isValid"] for node in fetched["nodes"]] == [False, True, False]
    assert_bad(await client.post(path + "/executions"), "bad-state", "deleted")
    assert (await client.delete(path)).json() is True
    assert_not_found(await client.get(path), workflow["workflowId"])


# --- execute -------------------------------------------------------------------------------


async def test_a_scheduled_workflow_cannot_be_executed(
    app: EmulatorApp, client: httpx.AsyncClient
) -> None:
    body = await setup(client, "SCHEDULED")
    workflow = (await client.post("/api/v1/workflows", json=body)).json()
    response = await client.post(f"/api/v1/workflows/{workflow['workflowId']}/executions")
    assert_bad(response, "bad-state", "SCHEDULED")
    assert len(app.executions) == 0


async def test_a_draft_workflow_cannot_be_executed(client: httpx.AsyncClient) -> None:
    body = {**(await setup(client)), "isTemp": True}
    workflow = (await client.post("/api/v1/workflows", json=body)).json()
    response = await client.post(f"/api/v1/workflows/{workflow['workflowId']}/executions")
    assert_bad(response, "bad-state", "draft")


@pytest.mark.parametrize("kind", ["NONE", "EVENT"])
async def test_execute_answers_202_and_runs_every_job_node(
    app: EmulatorApp, clock: ManualClock, client: httpx.AsyncClient, kind: str
) -> None:
    body = await setup(client, kind)
    workflow = (await client.post("/api/v1/workflows", json=body)).json()
    path = f"/api/v1/workflows/{workflow['workflowId']}/executions"
    response = await client.post(path, headers={"x-ncp-dataflow-payload": "e30="})
    assert response.status_code == 202
    trigger_id = body["nodes"][0]["id"]
    assert response.json() == {
        "workflowId": workflow["workflowId"],
        "triggerId": trigger_id,
        "status": "ACCEPTED",
    }
    runs = (await client.get(path)).json()
    assert runs["count"] == 2
    assert {run["jobId"] for run in runs["list"]} == {node["id"] for node in body["nodes"][1:]}
    for run in runs["list"]:
        assert (run["type"], run["triggerId"], run["triggerName"]) == (
            "WORKFLOW",
            trigger_id,
            "start_here",
        )
        assert run["jobCondition"]["timeout"] == 60  # the node's settings win
        own = (await client.get(f"/api/v1/jobs/{run['jobId']}/executions")).json()
        assert [r["jobExecutionId"] for r in own["list"]] == [run["jobExecutionId"]]
    listed = (await client.get("/api/v1/workflows")).json()["list"][0]
    assert listed["lastExecutionDate"] == "2026-09-21T23:13:20+09:00"


async def test_workflow_executions_filter_and_page(
    app: EmulatorApp, clock: ManualClock, client: httpx.AsyncClient
) -> None:
    body = await setup(client)
    workflow = (await client.post("/api/v1/workflows", json=body)).json()
    path = f"/api/v1/workflows/{workflow['workflowId']}/executions"
    await client.post(path)
    clock.advance(3600)
    await client.post(path)
    one = (await client.get(path, params={"filter": "job_one"})).json()
    flow = (await client.get(path, params={"filter": "orders_pipeline"})).json()
    none = (await client.get(path, params={"filter": "nothing"})).json()
    page = (await client.get(path, params={"limit": 3, "page": 1})).json()
    assert [run["jobName"] for run in one["list"]] == ["job_one", "job_one"]
    assert flow["count"] == 4 and none["list"] == []
    assert page["count"] == 1
    assert_bad(await client.get(path, params={"limit": "x"}), "bad-parameter", "limit")


async def test_a_start_naming_a_workflow_is_one_of_its_executions(
    client: httpx.AsyncClient,
) -> None:
    body = await setup(client)
    workflow = (await client.post("/api/v1/workflows", json=body)).json()
    job_id, trigger_id = body["nodes"][1]["id"], body["nodes"][0]["id"]
    ids = {"workflowId": workflow["workflowId"], "triggerId": trigger_id}
    run = (await client.post(f"/api/v1/jobs/{job_id}/executions", params=ids)).json()
    assert (run["type"], run["triggerId"], run["triggerName"]) == (
        "WORKFLOW",
        trigger_id,
        "start_here",
    )
    listed = (await client.get(f"/api/v1/workflows/{workflow['workflowId']}/executions")).json()
    assert [item["jobExecutionId"] for item in listed["list"]] == [run["jobExecutionId"]]


async def test_the_signature_covers_the_query_on_every_list(
    app: EmulatorApp, client: httpx.AsyncClient
) -> None:
    request = client.build_request("GET", "/api/v1/triggers", params={"name": "a"})
    flow = client.auth.sync_auth_flow(request)  # type: ignore[union-attr]
    headers = dict(next(flow).headers)
    async with httpx.AsyncClient(transport=app.transport(), base_url="http://e.test") as raw:
        same = await raw.get("/api/v1/triggers?name=a", headers=headers)
        other = await raw.get("/api/v1/triggers?name=b", headers=headers)
    assert (same.status_code, other.status_code) == (200, 401)
