"""Workflows: a start trigger fanning out to jobs."""

from __future__ import annotations

from datetime import datetime

import attrs

from ._enums import ExecutionStatus, TriggerRuleType, WorkflowNodeType
from ._executions import JobExecution
from ._jobs import JobCondition

__all__ = ["Workflow", "WorkflowNode", "WorkflowRun", "WorkflowRunAccepted"]


@attrs.frozen
class WorkflowNode:
    """One node of a workflow: its start ``TRIGGER`` or a ``JOB``.

    ``id`` is the trigger's or the job's id; a job node's ``parent_node_ids`` holds the
    trigger node's id, a trigger node's is empty. ``job_condition`` gives a job node's
    execution settings. ``is_valid`` (sent by the service only) is ``False`` once the
    node's trigger or job no longer exists.

    Attributes:
        id: The trigger's or the job's id.
        name: The node's name.
        type: A `WorkflowNodeType` (`TRIGGER` or `JOB`), or the string the server sent.
        parent_node_ids: For a job node, the trigger node's id; empty for the trigger node.
        trigger_rule: For the trigger node, its `TriggerRuleType`.
        job_condition: For a job node, its execution settings.
        is_valid: `False` once the node's trigger or job no longer exists (sent by the service).
    """

    id: str
    name: str
    type: WorkflowNodeType | str
    parent_node_ids: tuple[str, ...] = ()
    trigger_rule: TriggerRuleType | str | None = None
    job_condition: JobCondition | None = None
    is_valid: bool | None = None


@attrs.frozen
class Workflow:
    """A workflow: a start trigger and the jobs it runs.

    ``is_temp`` is ``True`` for a draft. List results add ``last_execution_date``,
    ``trigger_rule_type``, ``resource_id`` and ``disabled``; fields the server does not
    send are ``None``.

    Attributes:
        workflow_id: The workflow's id.
        name: The workflow's name.
        nodes: Its `WorkflowNode`s.
        created_date: When it was created.
        updated_date: When it last changed.
        is_temp: `True` for a draft.
        last_execution_date: When it last ran (lists).
        trigger_rule_type: Its start trigger's `TriggerRuleType` (lists).
        resource_id: Its resource id (lists).
        disabled: Whether the caller may not view it (lists).
    """

    workflow_id: str
    name: str
    nodes: tuple[WorkflowNode, ...] = ()
    created_date: datetime | None = None
    updated_date: datetime | None = None
    is_temp: bool | None = None
    last_execution_date: datetime | None = None
    trigger_rule_type: TriggerRuleType | str | None = None
    resource_id: str | None = None
    disabled: bool | None = None


@attrs.frozen
class WorkflowRunAccepted:
    """The answer to ``workflows.execute()`` (HTTP 202): the run was accepted, not done.

    No execution id comes back: the executions it starts are found with
    ``workflows.iter_executions()`` (``workflows.run()`` does that for you).

    Attributes:
        workflow_id: The workflow asked to run.
        status: What the service answered, as sent.
        trigger_id: The trigger the run starts with.
    """

    workflow_id: str
    status: str
    trigger_id: str | None = None


@attrs.frozen
class WorkflowRun:
    """A finished run of a workflow, as ``workflows.run()`` returns it.

    ``executions`` are the job executions the run started, each finished; ``status`` is
    ``COMPLETED`` when all completed, else ``FAILED`` if any failed, else ``CANCELED``.

    Attributes:
        workflow_id: The workflow that ran.
        trigger_id: The trigger the run started with.
        executions: The job executions the run started, each finished.
        status: `COMPLETED` when all completed, else `FAILED` if any failed, else `CANCELED`.
    """

    workflow_id: str
    trigger_id: str | None
    executions: tuple[JobExecution, ...]
    status: ExecutionStatus | str
