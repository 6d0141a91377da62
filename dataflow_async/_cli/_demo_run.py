"""The demo's second part: a job's life through the API (create, start, wait, list its
executions, delete), on an emulator whose runs take about a second."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

import attrs

from .. import DataFlowClient, JobExecution, JobType, PollPolicy
from ._sanitize import one_line
from ._table import render_table
from ._views import EXECUTION_VIEW

__all__ = ["READY_SECONDS", "RUNNING_SECONDS", "JobLife", "live_a_job", "render_life"]

READY_SECONDS = 0.2
RUNNING_SECONDS = 0.6
"""How long the emulator keeps the demo's runs READY, then RUNNING: long enough to see
both states while waiting, short enough for a demo of a few seconds."""

DEMO_JOB = "demo-nightly-etl"


@attrs.frozen
class JobLife:
    """What happened to the demo's job."""

    job_id: str
    job_name: str
    started: JobExecution
    seen: tuple[str, ...]
    """The statuses seen while waiting, in order."""
    polls: int
    wait_seconds: float
    executions: tuple[JobExecution, ...]
    deleted: bool


async def live_a_job(client: DataFlowClient) -> JobLife:
    """Create a job, run it twice (the second run waited for with ``run``), list its
    executions, delete it."""
    job = await client.jobs.create(
        name=DEMO_JOB, type=JobType.SCRIPT, job_condition={"num_worker": 2, "timeout": 60}
    )
    polls = [0]

    async def counted_sleep(delay: float) -> None:
        polls[0] += 1
        await asyncio.sleep(delay)

    poll = PollPolicy(initial=0.1, maximum=0.2, sleep=counted_sleep)
    started = await client.executions.start(job.job_id)
    seen = [str(started.status)]
    began = time.perf_counter()
    async for state in client.executions.watch(job.job_id, started.execution_id, poll=poll):
        if str(state.status) != seen[-1]:
            seen.append(str(state.status))
    wait_seconds = time.perf_counter() - began
    watch_polls = polls[0]
    await client.executions.run(job.job_id, poll=poll, raise_on_failure=False)
    executions = [e async for e in client.executions.iter(job.job_id)]
    await client.jobs.delete(job.job_id)
    return JobLife(
        job_id=job.job_id,
        job_name=job.name,
        started=started,
        seen=tuple(seen),
        polls=watch_polls,
        wait_seconds=wait_seconds,
        executions=tuple(executions),
        deleted=True,
    )


def render_life(life: JobLife, width: int | None, command: str) -> list[str]:
    """The report's lines about the job's life; ``command`` runs this program."""
    name = one_line(life.job_name)
    path = "/api/v1/jobs"
    return [
        "A job's life, through the API:",
        "",
        f"  create        job {life.job_id} '{name}' (SCRIPT, 2 workers)  POST {path}",
        f"  start         execution {life.started.execution_id}, {life.started.status}"
        f"  POST {path}/{{jobId}}/executions",
        f"  wait          {' → '.join(life.seen)} in {life.wait_seconds:.1f} s, "
        f"{life.polls} polls  (client.executions.watch)",
        "  run           a second execution, started and waited for in one call  "
        "(client.executions.run)",
        f"  executions    {len(life.executions)} of the job:",
        "",
        *_indent(_table(life.executions, width)),
        "",
        f"  delete        job {life.job_id}  DELETE {path}/{{jobId}}",
        "",
        "From a shell, cron or a systemd timer, the same start-and-wait is one command that",
        "exits 0 COMPLETED, 5 FAILED, 6 CANCELED, 7 timed out:",
        "",
        f"  {command} executions start JOB_ID --wait --timeout 3600",
    ]


def _table(executions: Sequence[JobExecution], width: int | None) -> list[str]:
    if not executions:
        return ["(none)"]
    inner = None if width is None else max(20, width - 4)
    return render_table(list(executions), EXECUTION_VIEW.columns, width=inner).splitlines()


def _indent(lines: list[str]) -> list[str]:
    return ["    " + line for line in lines]
