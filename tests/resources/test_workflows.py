"""client.workflows against scripted servers: refusals and odd answers first."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from dataflow_async import (
    APIConnectionError,
    BadRequestError,
    DataFlowClient,
    JobCondition,
    NotFoundError,
    ServerError,
    UnexpectedResponseError,
    Workflow,
    WorkflowNode,
    WorkflowNodeType,
    WorkflowRunAccepted,
)

from .conftest import EXECUTION, ScriptedAPI, error, page, reply

PATH = "/api/v1/workflows/Wf7aP2nQ9xKe"
TRIGGER_NODE = {
    "id": "Tg3mL8vR1cYb",
    "name": "nightly_0200",
    "type": "TRIGGER",
    "parentNodeIds": [],
    "triggerRule": "NONE",
    "isValid": True,
}
JOB_NODE = {
    "id": "Qm4tZ8kPw2Ld",
    "name": "orders_daily",
    "type": "JOB",
    "parentNodeIds": ["Tg3mL8vR1cYb"],
    "jobCondition": {"numWorker": 2},
    "isValid": True,
}
WORKFLOW = {
    "workflowId": "Wf7aP2nQ9xKe",
    "name": "orders_pipeline",
    "nodes": [TRIGGER_NODE, JOB_NODE],
    "isTemp": False,
    "createdDate": "2024-07-10T14:16:01+09:00",
    "updatedDate": "2024-07-10T14:16:01+09:00",
}
NODES: list[Any] = [
    {"id": "Tg3mL8vR1cYb", "name": "nightly_0200", "type": "trigger", "trigger_rule": "none"},
    WorkflowNode(
        id="Qm4tZ8kPw2Ld",
        name="orders_daily",
        type=WorkflowNodeType.JOB,
        parent_node_ids=("Tg3mL8vR1cYb",),
        job_condition=JobCondition(num_worker=2),
        is_valid=True,
    ),
]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"name": "x", "nodes": NODES}, "name"),
        ({"name": "orders_pipeline", "nodes": []}, "nodes"),
        ({"name": "orders_pipeline", "nodes": [{"name": "a", "type": "JOB"}]}, "nodes\\[0\\]"),
        ({"name": "orders_pipeline", "nodes": [{**JOB_NODE, "id": ""}]}, "nodes\\[0\\].id"),
        (
            {"name": "orders_pipeline", "nodes": [{**JOB_NODE, "jobCondition": {"numWorker": 50}}]},
            "num_worker",
        ),
        ({"name": "orders_pipeline", "nodes": NODES, "is_temp": "no"}, "is_temp"),
        ({"name": "orders_pipeline", "nodes": "Tg3mL8vR1cYb"}, "nodes"),
    ],
)
async def test_create_and_update_refuse_bad_arguments_before_sending(
    client: DataFlowClient, api: ScriptedAPI, kwargs: dict[str, Any], match: str
) -> None:
    with pytest.raises((ValueError, TypeError), match=match):
        await client.workflows.create(**kwargs)
    with pytest.raises((ValueError, TypeError), match=match):
        await client.workflows.update("Wf7aP2nQ9xKe", **kwargs)
    for bad in ("", "a?b"):
        with pytest.raises(ValueError, match="workflow_id"):
            await client.workflows.execute(bad)
        with pytest.raises(ValueError, match="workflow_id"):
            client.workflows.iter_executions(bad)
    assert api.requests == []


@pytest.mark.parametrize("status", [200, 201])
async def test_create_sends_nodes_in_camel_case(
    client: DataFlowClient, api: ScriptedAPI, status: int
) -> None:
    api.add("POST", "/api/v1/workflows", reply(status, WORKFLOW))
    workflow = await client.workflows.create(name="orders_pipeline", nodes=NODES)
    assert isinstance(workflow, Workflow) and workflow.nodes[1].is_valid is True
    assert api.bodies() == [
        {
            "name": "orders_pipeline",
            "isTemp": False,
            "nodes": [
                {
                    "id": "Tg3mL8vR1cYb",
                    "name": "nightly_0200",
                    "type": "TRIGGER",
                    "parentNodeIds": [],
                    "triggerRule": "NONE",
                },
                {
                    "id": "Qm4tZ8kPw2Ld",
                    "name": "orders_daily",
                    "type": "JOB",
                    "parentNodeIds": ["Tg3mL8vR1cYb"],
                    "jobCondition": {"numWorker": 2},
                },
            ],
        }
    ]


async def test_update_puts_the_whole_workflow(client: DataFlowClient, api: ScriptedAPI) -> None:
    api.add("PUT", PATH, reply(200, WORKFLOW), reply(200, True))
    await client.workflows.update(
        "Wf7aP2nQ9xKe", name="orders_pipeline_v2", nodes=NODES, is_temp=True
    )
    assert api.bodies()[0]["name"] == "orders_pipeline_v2" and api.bodies()[0]["isTemp"] is True
    with pytest.raises(UnexpectedResponseError):
        await client.workflows.update("Wf7aP2nQ9xKe", name="orders_pipeline_v2", nodes=NODES)


async def test_get_list_and_their_errors(client: DataFlowClient, api: ScriptedAPI) -> None:
    listed = {
        **WORKFLOW,
        "lastExecutionDate": "2026-10-05T02:00:00+09:00",
        "triggerRuleType": "RECURRING",
        "resourceId": "Wf7aP2nQ9xKe",
        "disabled": False,
    }
    api.add(
        "GET",
        PATH,
        reply(200, WORKFLOW),
        error(404, "NOT_FOUND", "workflow not found"),
        reply(200, {**WORKFLOW, "nodes": "none"}),
    )
    api.add("GET", "/api/v1/workflows", reply(200, page([listed], 0, 20)))
    assert (await client.workflows.get("Wf7aP2nQ9xKe")).nodes[0].type is WorkflowNodeType.TRIGGER
    with pytest.raises(NotFoundError):
        await client.workflows.get("Wf7aP2nQ9xKe")
    with pytest.raises(UnexpectedResponseError):
        await client.workflows.get("Wf7aP2nQ9xKe")
    listing = await client.workflows.list(limit=20)
    assert listing.items[0].resource_id == "Wf7aP2nQ9xKe" and listing.limit == 20


async def test_iter_walks_workflows_once_each(client: DataFlowClient, api: ScriptedAPI) -> None:
    flows = [{**WORKFLOW, "workflowId": f"w{i}"} for i in range(3)]
    api.add(
        "GET",
        "/api/v1/workflows",
        reply(200, page(flows[:2], 0, 2)),
        reply(200, page(flows[1:], 1, 2)),
        reply(200, page([], 2, 2)),
    )
    assert [w.workflow_id async for w in client.workflows.iter(page_size=2)] == ["w0", "w1", "w2"]


async def test_execute_is_accepted_not_done(client: DataFlowClient, api: ScriptedAPI) -> None:
    accepted = {"workflowId": "Wf7aP2nQ9xKe", "triggerId": "Tg9hN2bV5sXa", "status": "ACCEPTED"}
    api.add("POST", PATH + "/executions", reply(202, accepted))
    run = await client.workflows.execute(
        "Wf7aP2nQ9xKe", extra_headers={"x-ncp-dataflow-payload": "e30="}
    )
    assert run == WorkflowRunAccepted(
        workflow_id="Wf7aP2nQ9xKe", status="ACCEPTED", trigger_id="Tg9hN2bV5sXa"
    )
    assert api.requests[0].content == b""
    assert api.requests[0].headers["x-ncp-dataflow-payload"] == "e30="


@pytest.mark.parametrize("failure", [reply(503), reply(504), httpx.ReadError("reset")])
async def test_execute_is_never_repeated_once_it_may_have_arrived(
    client: DataFlowClient, api: ScriptedAPI, failure: Any
) -> None:
    api.add("POST", PATH + "/executions", failure, reply(202, {"workflowId": "w", "status": "A"}))
    with pytest.raises((ServerError, APIConnectionError)):
        await client.workflows.execute("Wf7aP2nQ9xKe")
    assert len(api.requests) == 1


async def test_execute_of_a_scheduled_workflow_is_a_bad_request(
    client: DataFlowClient, api: ScriptedAPI
) -> None:
    api.add(
        "POST",
        PATH + "/executions",
        error(400, "bad-state", "start trigger is SCHEDULED"),
        reply(202, {"accepted": True}),
    )
    with pytest.raises(BadRequestError):
        await client.workflows.execute("Wf7aP2nQ9xKe")
    with pytest.raises(UnexpectedResponseError):
        await client.workflows.execute("Wf7aP2nQ9xKe")


async def test_executions_of_a_workflow_are_job_executions(
    client: DataFlowClient, api: ScriptedAPI
) -> None:
    runs = [{**EXECUTION, "jobExecutionId": f"r{i}", "type": "WORKFLOW"} for i in range(3)]
    api.add(
        "GET",
        PATH + "/executions",
        reply(200, page(runs[:2], 0, 2)),
        reply(200, page(runs[2:], 1, 2)),
        reply(200, page(runs[:1], 0, 1)),
    )
    walked = client.workflows.iter_executions(
        "Wf7aP2nQ9xKe", filter="orders", page_size=2, prefetch=0
    )
    assert [r.execution_id async for r in walked] == ["r0", "r1", "r2"]
    one = await client.workflows.list_executions("Wf7aP2nQ9xKe", limit=1)
    assert [r.execution_id for r in one.items] == ["r0"]
    assert [dict(r.url.params) for r in api.requests] == [
        {"filter": "orders", "page": "0", "limit": "2"},
        {"filter": "orders", "page": "1", "limit": "2"},
        {"page": "0", "limit": "1"},
    ]


@pytest.mark.parametrize("answer", [reply(200, True), httpx.Response(204)])
async def test_delete(client: DataFlowClient, api: ScriptedAPI, answer: httpx.Response) -> None:
    api.add("DELETE", PATH, answer, reply(200, 1))
    await client.workflows.delete("Wf7aP2nQ9xKe")
    with pytest.raises(UnexpectedResponseError):
        await client.workflows.delete("Wf7aP2nQ9xKe")
