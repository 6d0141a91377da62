"""Every resource end to end over loopback, against the emulator on a real socket.

Skipped while the emulator serves only getJobs (it then has no ``api_version``).
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from dataflow_async import (
    BadRequestError,
    ConcurrencyLimitError,
    DataFlowClient,
    ExecutionStatus,
    JobType,
    NotFoundError,
)
from dataflow_async.emulator import EmulatorApp, RunningEmulator, run_emulator

pytestmark = pytest.mark.skipif(
    "api_version" not in inspect.signature(EmulatorApp).parameters,
    reason="this emulator serves getJobs only",
)

SETTINGS = {"nrn": "nrn:PUB:IAM::1:Role/x", "script_path": "b/scripts/", "log_path": "b/logs/"}


def trigger_then_job(trigger: Any, job: Any) -> list[dict[str, Any]]:
    """Workflow nodes: ``trigger``, then ``job`` (with SETTINGS) after it."""
    return [
        {"id": trigger.trigger_id, "name": trigger.name, "type": "TRIGGER"},
        {
            "id": job.job_id,
            "name": job.name,
            "type": "JOB",
            "parent_node_ids": [trigger.trigger_id],
            "job_condition": SETTINGS,
        },
    ]


@pytest.fixture(params=["G1", "G2"])
def emu(request: pytest.FixtureRequest) -> Iterator[RunningEmulator]:
    with run_emulator(api_version=request.param) as running:
        yield running


@pytest.fixture
async def client(emu: RunningEmulator) -> AsyncIterator[DataFlowClient]:
    async with DataFlowClient(emu.credentials, base_url=emu.url) as client:
        yield client


async def test_a_job_is_created_changed_run_cancelled_and_deleted(
    client: DataFlowClient, emu: RunningEmulator
) -> None:
    kind = JobType.DATAFLOW if emu.app.api_version == "G1" else JobType.SCRIPT
    job = await client.jobs.create(name="e2e_job", type=kind, job_condition=SETTINGS)
    changed = await client.jobs.update(job.job_id, type=kind, job_condition={"timeout": 50})
    assert changed.job_condition is not None and changed.job_condition.timeout == 50
    # G1 answers PATCH with 405: the client has moved to PUT and stays there.
    assert client.jobs._update_with_put is (emu.app.api_version == "G1")
    run = await client.executions.start(job.job_id, job_condition=SETTINGS)
    assert run.job_id == job.job_id
    await client.executions.cancel(job.job_id, run.execution_id)
    again = await client.executions.get(job.job_id, run.execution_id)
    assert again.status is ExecutionStatus.CANCELED
    assert [r.execution_id async for r in client.executions.iter(job.job_id)] == [run.execution_id]
    await client.jobs.delete(job.job_id)
    with pytest.raises(NotFoundError):
        await client.jobs.get(job.job_id)


async def test_a_second_run_over_the_limit_is_a_concurrency_limit_error(
    client: DataFlowClient, emu: RunningEmulator
) -> None:
    if emu.app.api_version == "G1":
        pytest.skip("maxConcurrentRuns is a G2 field")
    job = await client.jobs.create(name="limited_job", max_concurrent_runs=1)
    await client.executions.start(job.job_id)
    with pytest.raises(ConcurrencyLimitError):
        await client.executions.start(job.job_id)


async def test_a_workflow_runs_its_jobs(client: DataFlowClient, emu: RunningEmulator) -> None:
    kind = JobType.DATAFLOW if emu.app.api_version == "G1" else JobType.SCRIPT
    job = await client.jobs.create(name="wf_job", type=kind, job_condition=SETTINGS)
    trigger = await client.triggers.create(name="by_hand", type="none", rule={"type": "none"})
    assert [t.trigger_id async for t in client.triggers.iter(name="by_hand")] == [
        trigger.trigger_id
    ]
    workflow = await client.workflows.create(name="e2e_flow", nodes=trigger_then_job(trigger, job))
    accepted = await client.workflows.execute(workflow.workflow_id)
    assert accepted.workflow_id == workflow.workflow_id
    runs = [r async for r in client.workflows.iter_executions(workflow.workflow_id)]
    assert [r.job_id for r in runs] == [job.job_id]
    with pytest.raises(BadRequestError):
        await client.triggers.create(
            name="bad_rule",
            type="SCHEDULED",
            rule={"type": "RECURRING", "interval": "DAY", "time": "25:99"},
        )
    await client.workflows.delete(workflow.workflow_id)
    await client.triggers.delete(trigger.trigger_id)


async def test_stats_count_the_stored_executions(client: DataFlowClient) -> None:
    job = await client.jobs.create(name="counted", job_condition=SETTINGS)
    await client.executions.start(job.job_id, job_condition=SETTINGS)
    now = datetime.now(UTC)
    start, end = now - timedelta(days=1), now + timedelta(days=1)
    assert (await client.stats.execution_result(start, end)).total == 1
    assert sum(b.total for b in await client.stats.execution_interval(start, end)) == 1
    assert sum(p.value for p in await client.stats.execution_times(start, end)) == 1


NODES = [
    {"id": 1760000000001, "name": "src", "type": "SOURCE_OBS", "parentNodeIds": []},
    {"id": 1760000000002, "name": "dst", "type": "TARGET_OBS", "parentNodeIds": [1760000000001]},
]


async def test_the_reads_and_changes_not_covered_above(
    client: DataFlowClient, emu: RunningEmulator
) -> None:
    kind = JobType.DATAFLOW if emu.app.api_version == "G1" else JobType.SCRIPT
    job = await client.jobs.create(name="reads_job", type=kind, job_condition=SETTINGS)
    page = await client.jobs.list(name="reads_job")
    assert [j.job_id for j in page.jobs] == [job.job_id]
    await client.jobs.verify(name="reads_job", nodes=NODES)
    with pytest.raises(ValueError, match="name"):
        await client.jobs.verify(name="x", nodes=NODES)  # too short: refused before sending
    configured = await client.jobs.update_execution_config(job.job_id, {"num_worker": 4})
    assert configured.job_condition is not None and configured.job_condition.num_worker == 4
    run = await client.executions.start(job.job_id, job_condition=SETTINGS)
    runs = await client.executions.list(job.job_id, limit=10)
    assert [r.execution_id for r in runs.items] == [run.execution_id]
    trigger = await client.triggers.create(name="reads_trigger", type="NONE", rule={"type": "NONE"})
    assert (await client.triggers.get(trigger.trigger_id)).name == "reads_trigger"
    listed = await client.triggers.list(name="reads_trigger")
    assert [t.trigger_id for t in listed.items] == [trigger.trigger_id]
    nodes = trigger_then_job(trigger, job)
    workflow = await client.workflows.create(name="reads_flow", nodes=nodes)
    renamed = await client.workflows.update(workflow.workflow_id, name="reads_flow_2", nodes=nodes)
    assert renamed.name == "reads_flow_2"
    assert (await client.workflows.get(workflow.workflow_id)).name == "reads_flow_2"
    assert workflow.workflow_id in {w.workflow_id for w in (await client.workflows.list()).items}
    assert workflow.workflow_id in {w.workflow_id async for w in client.workflows.iter()}
    with pytest.raises(NotFoundError):
        await client.workflows.get("NoSuchFlow12")
