"""Checked by ``mypy --strict`` (``make typecheck``), never run: the public signatures
are precise enough for an editor to know what each call gives."""

from __future__ import annotations

from datetime import datetime
from typing import assert_type

from dataflow_async import (
    AsyncPager,
    Credentials,
    DataFlowClient,
    ExecutionStatus,
    Job,
    JobPage,
    JobStatus,
    JobType,
    RateLimitError,
    RetryPolicy,
    WalkStats,
)


async def uses(client: DataFlowClient) -> None:
    jobs = client.iter_jobs(status=JobStatus.RUNNING)
    assert_type(jobs, AsyncPager[Job])
    async for job in jobs:
        assert_type(job, Job)
        assert_type(job.status, JobStatus | str)
        assert_type(job.type, JobType | str)
        assert_type(job.last_execution_status, ExecutionStatus | str | None)
        assert_type(job.created_date, datetime)
        assert_type(job.last_execution_date, datetime | None)
        assert_type(job.max_concurrent_runs, int | None)
    assert_type(jobs.stats, WalkStats)
    async for page in client.iter_job_pages():
        assert_type(page, JobPage)
        assert_type(page.jobs, tuple[Job, ...])
    assert_type(await client.list_jobs(), JobPage)
    assert_type(client.retry, RetryPolicy)


def errors(error: RateLimitError, credentials: Credentials) -> None:
    assert_type(error.retry_after, float | None)
    assert_type(error.status_code, int)
    assert_type(error.error_code, str | None)
    assert_type(credentials.masked_access_key, str)
