"""List jobs for several filters at once, a few at a time, merged by job id.

One ``DataFlowClient`` walks every filter (each status, or several name fragments); an
``asyncio.Semaphore`` bounds how many walks run at the same time, so a long list of
filters cannot flood the API or the connection pool. Jobs are merged by ``job_id`` (a
job matched by two filters counts once; if the two walks saw it in different states,
the most recently updated wins). A filter whose walk fails (a quota, a 5xx after the
client's retries) is reported with its error and contributes no jobs, even if it failed
part-way; the others' jobs are kept. Any other error (a bug, a bad filter) cancels the
other walks and comes out of ``main()`` wrapped in an ``ExceptionGroup``.

Run it against the API (credentials from ``NCLOUD_ACCESS_KEY_ID`` /
``NCLOUD_SECRET_ACCESS_KEY`` or ``~/.ncloud/configure``): one filter per status that
the ``status`` query parameter is documented to accept, or one per name fragment given::

    python docs/examples/fan_out.py
    python docs/examples/fan_out.py nightly daily-etl report

or against ``dataflow-async emulator`` running in another terminal::

    DATAFLOW_ASYNC_ENDPOINT=http://127.0.0.1:8080 python docs/examples/fan_out.py
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field

from dataflow_async import DataFlowClient, DataFlowError, Job, JobStatus, MissingCredentialsError

# The values the documented ``status`` query parameter accepts, for the default filters.
# Not ``list(JobStatus)``: that also holds READY, a status of a later revision of the
# API, which a server of the documented revision may refuse (400), failing that filter
# and the run. A READY job is then listed by no default filter; pass names to see it.
QUERY_STATUSES = (
    JobStatus.RUNNABLE,
    JobStatus.RUNNING,
    JobStatus.DELETED,
    JobStatus.UNKNOWN,
    JobStatus.DRAFT,
    JobStatus.STOPPED,
    JobStatus.EDITING,
)


@dataclass(frozen=True)
class Filter:
    """The arguments of one ``iter_jobs`` walk."""

    status: JobStatus | str | None = None
    name: str | None = None

    def __str__(self) -> str:
        parts = []
        if self.status is not None:
            parts.append(f"status={self.status}")
        if self.name is not None:
            parts.append(f"name={self.name!r}")
        return " ".join(parts) or "all jobs"


@dataclass
class FanOut:
    """What the walks found: ``jobs`` by id, how many each filter matched, what failed."""

    jobs: dict[str, Job] = field(default_factory=dict)
    matched: dict[Filter, int] = field(default_factory=dict)
    errors: dict[Filter, DataFlowError] = field(default_factory=dict)


async def main(
    client: DataFlowClient, filters: Iterable[Filter], *, concurrency: int = 4
) -> FanOut:
    """Walk every filter, at most ``concurrency`` at once, and merge what they found."""
    result = FanOut()
    slots = asyncio.Semaphore(concurrency)

    async def walk(wanted: Filter) -> None:
        async with slots:
            try:
                jobs = [
                    job async for job in client.iter_jobs(status=wanted.status, name=wanted.name)
                ]
            except DataFlowError as exc:  # this filter fails; the others go on
                result.errors[wanted] = exc
                return
        result.matched[wanted] = len(jobs)
        for job in jobs:
            seen = result.jobs.get(job.job_id)
            if seen is None or job.updated_date > seen.updated_date:
                result.jobs[job.job_id] = job

    # Anything but a DataFlowError (a bug) cancels the other walks, and the group raises
    # it wrapped in an ExceptionGroup: callers catch it with except*, not except.
    async with asyncio.TaskGroup() as tasks:
        for wanted in dict.fromkeys(filters):  # each distinct filter once, in order
            tasks.create_task(walk(wanted))
    return result


async def _run_from_environment(names: list[str]) -> int:
    filters = [Filter(name=name) for name in dict.fromkeys(names)]
    filters = filters or [Filter(status=status) for status in QUERY_STATUSES]
    async with DataFlowClient() as client:
        result = await main(client, filters)
    for wanted in filters:
        if wanted in result.errors:
            print(f"{wanted}: failed: {result.errors[wanted]}")
        else:
            print(f"{wanted}: {result.matched[wanted]} jobs")
    print(f"{len(result.jobs)} distinct jobs from {len(filters)} filters", end="")
    print(f" ({len(result.errors)} failed)" if result.errors else "")
    return 1 if result.errors else 0


if __name__ == "__main__":
    try:
        sys.exit(asyncio.run(_run_from_environment(sys.argv[1:])))
    except MissingCredentialsError as exc:
        sys.exit(str(exc))
