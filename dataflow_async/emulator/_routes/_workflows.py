"""Workflow routes: list, get, create, update, delete, execute, list executions.

A workflow is one TRIGGER node fanning out to JOB nodes (the only shape documented).
Node ids name a stored trigger or job; a node whose resource was deleted reads
``isValid: false``. executeWorkflow starts one execution per valid JOB node.
"""

from __future__ import annotations

from typing import Any

from .._validate import check_bool, check_enum, check_name, check_string, job_condition
from .._wire import Response, bad_parameter, bad_state, kst, not_found, ok
from ._common import Call, page_of
from ._executions import start_run
from ._triggers import _newest_first

__all__ = [
    "create_workflow",
    "delete_workflow",
    "execute_workflow",
    "get_workflow",
    "list_workflow_executions",
    "list_workflows",
    "update_workflow",
]


def _node(call: Call, raw: object, where: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise bad_parameter(f"{where} must be a JSON object")
    ident = check_string(raw.get("id"), f"{where}.id")
    kind = check_enum(raw.get("type"), f"{where}.type", ("TRIGGER", "JOB"))
    node: dict[str, Any] = {
        "id": ident,
        "name": check_string(raw.get("name"), f"{where}.name"),
        "type": kind,
    }
    parents = raw.get("parentNodeIds")
    if not isinstance(parents, list) or not all(isinstance(p, str) for p in parents):
        raise bad_parameter(f"{where}.parentNodeIds must be an array of node ids")
    node["parentNodeIds"] = list(parents)
    if raw.get("triggerRule") is not None:
        node["triggerRule"] = check_enum(
            raw["triggerRule"], f"{where}.triggerRule", ("RECURRING", "ONE_TIME", "NONE")
        )
    if kind == "TRIGGER":
        if parents:
            raise bad_parameter(f"{where}.parentNodeIds must be empty for a TRIGGER node")
        if ident not in call.store.triggers:
            raise bad_parameter(f"{where}.id names no trigger: {ident!r}")
    else:
        if call.store.job(ident) is None:
            raise bad_parameter(f"{where}.id names no job: {ident!r}")
        condition = raw.get("jobCondition")
        if condition is not None or not call.g2:
            key = f"{where}.jobCondition"
            if condition is None:
                raise bad_parameter(f"{key} is required")
            node["jobCondition"] = job_condition(
                condition, key, g2=call.g2, require_paths=not call.g2
            )
    return node


def _nodes(call: Call, value: object) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not value:
        raise bad_parameter("nodes must be a non-empty JSON array")
    nodes = [_node(call, raw, f"nodes[{i}]") for i, raw in enumerate(value)]
    starts = [node["id"] for node in nodes if node["type"] == "TRIGGER"]
    if len(starts) != 1:
        raise bad_parameter(f"nodes must hold exactly one TRIGGER node, not {len(starts)}")
    for i, node in enumerate(nodes):
        if node["type"] == "JOB" and node["parentNodeIds"] != starts:
            raise bad_parameter(f"nodes[{i}].parentNodeIds must be [{starts[0]!r}]")
    return nodes


def _checked(call: Call, *, is_temp_required: bool) -> dict[str, Any]:
    body = call.object_body()
    checked: dict[str, Any] = {"name": check_name(body.get("name"))}
    if body.get("isTemp") is not None:
        checked["isTemp"] = check_bool(body["isTemp"], "isTemp")
    elif is_temp_required:
        raise bad_parameter("isTemp is required")
    if body.get("nodes") is None:
        raise bad_parameter("nodes is required")
    checked["nodes"] = _nodes(call, body["nodes"])
    return checked


def render_workflow(call: Call, workflow: dict[str, Any], *, listed: bool) -> dict[str, Any]:
    """A workflow as getWorkflow (or, ``listed``, as getWorkflows) returns it."""
    store = call.store
    nodes = []
    for node in workflow["nodes"]:
        if node["type"] == "TRIGGER":
            valid = node["id"] in store.triggers
        else:
            valid = store.job(node["id"]) is not None
        nodes.append({**node, "isValid": valid})
    body = {
        "workflowId": workflow["workflowId"],
        "name": workflow["name"],
        "nodes": nodes,
        "createdDate": workflow["createdDate"],
        "updatedDate": workflow["updatedDate"],
        "isTemp": workflow["isTemp"],
    }
    if listed:
        trigger = store.triggers.get(workflow["nodes"][0]["id"]) if workflow["nodes"] else None
        body["lastExecutionDate"] = workflow.get("lastExecutionDate")
        body["triggerRuleType"] = (
            trigger["triggerRule"]["type"]
            if trigger is not None
            else next((n.get("triggerRule") for n in nodes if n["type"] == "TRIGGER"), "NONE")
        )
        body["resourceId"] = workflow["workflowId"]
        body["disabled"] = False
    return body


def _find(call: Call) -> dict[str, Any]:
    workflow = call.store.workflows.get(call.params[0])
    if workflow is None:
        raise not_found("workflow", call.params[0])
    return workflow


def list_workflows(call: Call) -> Response:
    """GET /api/v1/workflows: newest first, paged."""
    workflows = _newest_first(call.store.workflows, "workflowId")
    return page_of(call, workflows, lambda item: render_workflow(call, item, listed=True))


def get_workflow(call: Call) -> Response:
    """GET /api/v1/workflows/{workflowId}."""
    return ok(render_workflow(call, _find(call), listed=False))


def create_workflow(call: Call) -> Response:
    """POST /api/v1/workflows: 201 and the new workflow (``isTemp`` required in G1)."""
    checked = _checked(call, is_temp_required=not call.g2)
    workflow_id = call.store.new_id()
    created = kst(call.now)
    workflow = {
        "workflowId": workflow_id,
        "name": checked["name"],
        "nodes": checked["nodes"],
        "isTemp": checked.get("isTemp", False),
        "createdDate": created,
        "updatedDate": created,
        "lastExecutionDate": None,
    }
    call.store.workflows[workflow_id] = workflow
    return ok(render_workflow(call, workflow, listed=False), 201)


def update_workflow(call: Call) -> Response:
    """PUT /api/v1/workflows/{workflowId}: name and nodes replaced."""
    workflow = _find(call)
    checked = _checked(call, is_temp_required=False)
    workflow.update(checked)
    workflow["updatedDate"] = kst(call.now)
    return ok(render_workflow(call, workflow, listed=False))


def delete_workflow(call: Call) -> Response:
    """DELETE /api/v1/workflows/{workflowId}: ``true`` (its jobs and trigger stay)."""
    workflow = _find(call)
    del call.store.workflows[workflow["workflowId"]]
    return ok(True)


def execute_workflow(call: Call) -> Response:
    """POST /api/v1/workflows/{workflowId}/executions: 202, one execution per JOB node."""
    workflow = _find(call)
    store = call.store
    if workflow["isTemp"]:
        raise bad_state(f"workflow {workflow['workflowId']} is a draft (isTemp) and cannot run")
    start = next(node for node in workflow["nodes"] if node["type"] == "TRIGGER")
    trigger = store.triggers.get(start["id"])
    if trigger is None:
        raise bad_state(f"the start trigger {start['id']} of this workflow was deleted")
    if trigger["type"] == "SCHEDULED":
        raise bad_state(
            f"the start trigger {trigger['triggerId']} is SCHEDULED; only a manual (NONE) "
            "or EVENT trigger can be executed"
        )
    for node in workflow["nodes"]:
        job = store.job(node["id"]) if node["type"] == "JOB" else None
        if job is None:
            continue
        condition = dict(store.job_details(job["jobId"], call.g2)["condition"])
        condition.update(node.get("jobCondition", {}))
        parameters = condition.pop("parameters", {})
        start_run(
            call,
            job,
            condition,
            dict(parameters),
            kind="WORKFLOW",
            trigger=trigger,
            workflow_id=workflow["workflowId"],
        )
    workflow["lastExecutionDate"] = kst(call.now)
    accepted = {"workflowId": workflow["workflowId"], "triggerId": trigger["triggerId"]}
    return ok({**accepted, "status": "ACCEPTED"}, 202)


def list_workflow_executions(call: Call) -> Response:
    """GET /api/v1/workflows/{workflowId}/executions: its job executions, newest first.

    ``filter`` keeps executions whose job name, or the workflow's name, contains it.
    """
    workflow = _find(call)
    wanted = call.query.get("filter") or None
    runs = [
        run
        for run in call.store.runs.every()
        if run.workflow_id == workflow["workflowId"]
        and (wanted is None or wanted in run.job_name or wanted in workflow["name"])
    ]
    return page_of(call, runs, lambda run: run.render(call.now))
