"""Run a batch of Data Flow jobs at once, a few at a time, and sort out how each ended.

Every job is run once through ``client.executions.run`` in an ``asyncio.TaskGroup``; an
``asyncio.Semaphore`` keeps at most ``--limit`` of them running (Data Flow bills, and
limits, the workers of every run at once). A run that fails does not cancel the
others, as a TaskGroup would at its first exception: each run's error is kept, and the
errors are raised together at the end as one ``ExceptionGroup``, which ``main`` splits
with ``except*`` into failed, canceled, timed-out and other errors. Interrupted (Ctrl-C,
SIGTERM), the runs being waited for are cancelled on the server too
(``cancel_on_abandon=True``): a half-done batch is not left running.

Run it against the API (credentials from ``NCLOUD_ACCESS_KEY_ID`` /
``NCLOUD_SECRET_ACCESS_KEY`` or ``~/.ncloud/configure``)::

    python docs/examples/run_batch.py JOB_ID [JOB_ID ...] --limit 5 --timeout 3600

or against ``dataflow-async emulator`` (``DATAFLOW_ASYNC_ENDPOINT=http://127.0.0.1:8080``).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from typing import TypeVar

import attrs

from dataflow_async import (
    DataFlowClient,
    DataFlowError,
    ExecutionCanceledError,
    ExecutionFailedError,
    JobExecution,
    MissingCredentialsError,
    PollPolicy,
    WaitTimeoutError,
)

E = TypeVar("E", bound=BaseException)


@attrs.define
class Report:
    """How the runs of a batch ended, each in exactly one list."""

    completed: list[JobExecution] = attrs.Factory(list)
    failed: list[JobExecution] = attrs.Factory(list)
    canceled: list[JobExecution] = attrs.Factory(list)
    timed_out: list[WaitTimeoutError] = attrs.Factory(list)
    errors: list[DataFlowError] = attrs.Factory(list)

    def lines(self) -> list[str]:
        """One line per run, then a summary."""
        out = [f"{e.job_id}: {e.execution_id} COMPLETED" for e in self.completed]
        out += [f"{e.job_id}: {e.execution_id} FAILED" for e in self.failed]
        out += [f"{e.job_id}: {e.execution_id} CANCELED" for e in self.canceled]
        out += [f"timed out: {error}" for error in self.timed_out]
        out += [f"error: {error}" for error in self.errors]
        out.append(
            f"{len(self.completed)} completed, {len(self.failed)} failed, "
            f"{len(self.canceled)} canceled, {len(self.timed_out)} timed out, "
            f"{len(self.errors)} errors"
        )
        return out


async def run_all(
    client: DataFlowClient,
    job_ids: Sequence[str],
    completed: list[JobExecution],
    *,
    limit: int,
    timeout: float | None,
    poll: PollPolicy | None,
) -> None:
    """Run each job once, ``limit`` at a time; append the completed runs to
    ``completed``; raise the others' errors together as an ``ExceptionGroup``."""
    slots = asyncio.Semaphore(limit)
    errors: list[DataFlowError] = []

    async def run_one(job_id: str) -> None:
        async with slots:
            try:
                execution = await client.executions.run(
                    job_id, timeout=timeout, poll=poll, cancel_on_abandon=True
                )
            except DataFlowError as error:  # kept: the other runs go on
                errors.append(error)
            else:
                completed.append(execution)

    async with asyncio.TaskGroup() as group:
        for job_id in job_ids:
            group.create_task(run_one(job_id))
    if errors:
        raise ExceptionGroup(f"{len(errors)} of {len(job_ids)} runs did not complete", errors)


async def main(
    client: DataFlowClient,
    job_ids: Sequence[str],
    *,
    limit: int = 5,
    timeout: float | None = None,
    poll: PollPolicy | None = None,
) -> Report:
    """Run the batch and sort out how each run ended."""
    report = Report()
    try:
        await run_all(client, job_ids, report.completed, limit=limit, timeout=timeout, poll=poll)
    except* ExecutionFailedError as failed:
        report.failed += [e.execution for e in leaves(failed, ExecutionFailedError)]
    except* ExecutionCanceledError as canceled:
        report.canceled += [e.execution for e in leaves(canceled, ExecutionCanceledError)]
    except* WaitTimeoutError as timed_out:
        report.timed_out += leaves(timed_out, WaitTimeoutError)
    except* DataFlowError as errors:
        report.errors += leaves(errors, DataFlowError)
    return report


def leaves(group: BaseExceptionGroup[BaseException], kind: type[E]) -> list[E]:
    """The errors of ``kind`` in ``group`` (``run_all`` raises a flat group)."""
    return [error for error in group.exceptions if isinstance(error, kind)]


async def _run_from_environment(args: argparse.Namespace) -> int:
    async with DataFlowClient() as client:
        report = await main(client, args.job_ids, limit=args.limit, timeout=args.timeout)
    for line in report.lines():
        print(line)
    return 0 if len(report.completed) == len(args.job_ids) else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Run Data Flow jobs, a few at a time.")
    parser.add_argument("job_ids", nargs="+", metavar="JOB_ID")
    parser.add_argument("--limit", type=int, default=5, help="runs at once (default 5)")
    parser.add_argument("--timeout", type=float, help="seconds to wait for each run")
    try:
        sys.exit(asyncio.run(_run_from_environment(parser.parse_args())))
    except MissingCredentialsError as exc:
        sys.exit(str(exc))
