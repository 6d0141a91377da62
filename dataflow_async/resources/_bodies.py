"""Request bodies of the write calls, and queries of the listings, built from checked
arguments: a bad argument is a ``ValueError`` (or ``TypeError``) raised before anything
is sent."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from .._converter import unstructure
from ..types import JobNode, JobStatus, TriggerRuleType, WorkflowNode, WorkflowNodeType
from ._validate import (
    check_job_condition,
    check_name,
    check_parameters,
    check_positive,
    check_sequence,
    enum_value,
    optional_text,
    path_id,
    to_model,
)

__all__ = [
    "job_fields",
    "job_filters",
    "job_nodes",
    "start_body",
    "workflow_body",
    "workflow_filter",
]


def job_fields(job_condition: Any, max_concurrent_runs: Any, nodes: Any) -> dict[str, Any]:
    """The optional fields of a job's create or update body, those given."""
    body: dict[str, Any] = {}
    if max_concurrent_runs is not None:
        body["maxConcurrentRuns"] = check_positive(max_concurrent_runs, "max_concurrent_runs")
    if job_condition is not None:
        body["jobCondition"] = unstructure(check_job_condition(job_condition))
    if nodes is not None:
        body["nodes"] = job_nodes(nodes)
    return body


def job_nodes(nodes: Any) -> list[dict[str, Any]]:
    """Job nodes as sent: `JobNode` s, or mappings with ``id``, ``name``, ``type``,
    ``parent_node_ids`` (or ``parentNodeIds``) and the type-specific keys as the API
    spells them."""
    check_sequence(nodes, "nodes", "JobNode or mappings")
    return [unstructure(_job_node(node, index)) for index, node in enumerate(nodes)]


def _job_node(node: Any, index: int) -> JobNode:
    if isinstance(node, JobNode):
        return node
    if not isinstance(node, Mapping):
        raise TypeError(f"nodes[{index}] must be a JobNode or a mapping")
    if not {"id", "name", "type"} <= set(node):
        raise ValueError(f"nodes[{index}] needs id, name and type")
    known = {"id", "name", "type", "parent_node_ids", "parentNodeIds", "properties"}
    properties = {k: v for k, v in node.items() if k not in known}
    properties.update(node.get("properties") or {})
    parents = node.get("parent_node_ids", node.get("parentNodeIds", ()))
    if isinstance(parents, str | bytes) or not isinstance(parents, Sequence):
        raise TypeError(f"nodes[{index}].parent_node_ids must be a sequence of ids")
    fields = {"id": node["id"], "name": node["name"], "type": node["type"]}
    return to_model(
        JobNode,
        {**fields, "parent_node_ids": tuple(parents), "properties": properties},
        f"nodes[{index}]",
    )


def workflow_body(name: Any, nodes: Any, is_temp: Any) -> dict[str, Any]:
    """The body of a workflow's create or replace: ``name``, ``isTemp`` and its nodes."""
    if not isinstance(is_temp, bool):
        raise TypeError(f"is_temp must be a bool, not {type(is_temp).__name__}")
    check_sequence(nodes, "nodes", "WorkflowNode or mappings")
    if not nodes:
        raise ValueError("nodes must hold at least the start trigger node")
    return {
        "name": check_name(name),
        "isTemp": is_temp,
        "nodes": [_workflow_node(node, index) for index, node in enumerate(nodes)],
    }


def _workflow_node(value: Any, index: int) -> dict[str, Any]:
    field = f"nodes[{index}]"
    node = to_model(WorkflowNode, value, field)
    path_id(f"{field}.id", node.id)
    parents = node.parent_node_ids
    if isinstance(parents, str) or not isinstance(parents, Sequence):
        raise TypeError(f"{field}.parent_node_ids must be a sequence of ids")
    node = attrs.evolve(
        node,
        type=enum_value(WorkflowNodeType, node.type, f"{field}.type"),
        parent_node_ids=tuple(parents),
        trigger_rule=None
        if node.trigger_rule is None
        else enum_value(TriggerRuleType, node.trigger_rule, f"{field}.trigger_rule"),
        job_condition=None
        if node.job_condition is None
        else check_job_condition(node.job_condition, f"{field}.job_condition"),
        is_valid=None,
    )
    return unstructure(node)


def start_body(job_condition: Any, parameters: Any) -> dict[str, Any]:
    """The body of an execution's start: ``parameters`` both at the top level (older
    revisions) and in ``jobCondition.parameters`` (newer ones)."""
    body: dict[str, Any] = {}
    condition = None if job_condition is None else check_job_condition(job_condition)
    if parameters is not None:
        params = dict(check_parameters(parameters))
        body["parameters"] = params
        if condition is None or condition.parameters is None:
            condition = attrs.evolve(condition or check_job_condition({}), parameters=params)
    if condition is not None:
        body["jobCondition"] = unstructure(condition)
    return body


def job_filters(name: str | None, status: JobStatus | str | None) -> dict[str, str]:
    """The query of a job listing: a non-empty ``name``, a known ``status``."""
    params: dict[str, str] = {}
    if optional_text(name, "name") is not None:
        params["name"] = str(name)
    if status is not None:
        if not isinstance(status, str):
            raise ValueError(f"status must be a JobStatus or a str, got {status!r}")
        params["status"] = enum_value(JobStatus, status, "status", closed=True)
    return params


def workflow_filter(value: Any) -> dict[str, str | int]:
    """The query of a workflow listing: a non-empty ``filter``, or none."""
    return {} if optional_text(value, "filter") is None else {"filter": value}
