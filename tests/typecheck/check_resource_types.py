"""Checked by ``mypy --strict`` (``make typecheck``), never run: what each resource
method gives, as an editor sees it."""

from __future__ import annotations

from typing import Any, assert_type

from dataflow_async import (
    AsyncPager,
    ConcurrencyLimitError,
    DataFlowClient,
    ExecutionBucket,
    ExecutionResult,
    Executions,
    ExecutionTimePoint,
    Job,
    JobCondition,
    JobExecution,
    JobPage,
    Jobs,
    Page,
    Stats,
    Trigger,
    Triggers,
    Workflow,
    WorkflowRunAccepted,
    Workflows,
)


async def uses(client: DataFlowClient) -> None:
    assert_type(client.jobs, Jobs)
    assert_type(client.executions, Executions)
    assert_type(client.workflows, Workflows)
    assert_type(client.triggers, Triggers)
    assert_type(client.stats, Stats)
    assert_type(await client.jobs.list(status="ready", timeout=5.0), JobPage)
    assert_type(client.jobs.iter(), AsyncPager[Job])
    assert_type(client.jobs.iter_pages(), AsyncPager[JobPage])
    assert_type(await client.jobs.get("id", extra_headers={"x": "y"}), Job)
    condition = JobCondition(num_worker=2)
    assert_type(await client.jobs.create(name="abc", job_condition=condition), Job)
    assert_type(await client.jobs.update("id", type="SCRIPT"), Job)
    assert_type(await client.jobs.update_execution_config("id", {"timeout": 5}), Job)
    assert_type(await client.jobs.verify(name="abc", nodes=[]), Any)
    assert_type(await client.jobs.delete("id"), None)
    assert_type(await client.executions.start("id", parameters={"a": "b"}), JobExecution)
    assert_type(await client.executions.get("id", "run"), JobExecution)
    assert_type(await client.executions.list("id"), Page[JobExecution])
    assert_type(client.executions.iter("id"), AsyncPager[JobExecution])
    assert_type(await client.executions.cancel("id", "run"), None)
    assert_type(await client.workflows.list(), Page[Workflow])
    assert_type(client.workflows.iter(), AsyncPager[Workflow])
    assert_type(await client.workflows.execute("id"), WorkflowRunAccepted)
    assert_type(client.workflows.iter_executions("id"), AsyncPager[JobExecution])
    assert_type(await client.triggers.create(name="abc", type="NONE", rule={}), Trigger)
    assert_type(client.triggers.iter(name="a"), AsyncPager[Trigger])
    assert_type(await client.stats.execution_result("a", "b"), ExecutionResult)
    assert_type(await client.stats.execution_interval("a", "b"), tuple[ExecutionBucket, ...])
    assert_type(await client.stats.execution_times("a", "b"), tuple[ExecutionTimePoint, ...])


def errors(error: ConcurrencyLimitError) -> None:
    assert_type(error.status_code, int)
    assert_type(error.body, Any)
