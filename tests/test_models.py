"""Structuring API JSON into frozen jobs: known values, unknown values, bad shapes."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import attrs
import pytest

from dataflow_async import ExecutionStatus, Job, JobPage, JobStatus, JobType
from dataflow_async._converter import structure_jobs

from .conftest import job_json


def one(**overrides: object) -> Job:
    return structure_jobs([job_json(1, **overrides)])[0]


@pytest.mark.parametrize(
    ("field", "value", "where"),
    [
        ("jobId", None, "jobId"),
        ("name", 123, "name"),
        ("disabled", "false", "disabled"),
        ("createdDate", "yesterday", "createdDate"),
        ("createdDate", None, "createdDate"),
        ("status", 7, "status"),
        ("maxConcurrentRuns", "3", "maxConcurrentRuns"),
        ("maxConcurrentRuns", True, "maxConcurrentRuns"),
    ],
)
def test_wrong_types_are_rejected_with_their_place(field: str, value: object, where: str) -> None:
    items = [job_json(0), job_json(1, **{field: value})]
    with pytest.raises(ValueError, match=rf"\$\.list\[1\]\.{where}"):
        structure_jobs(items)


def test_missing_required_field_is_named() -> None:
    item = job_json(0)
    del item["updatedDate"]
    with pytest.raises(ValueError, match=r"required key missing @ \$\.list\[0\]\.updatedDate"):
        structure_jobs([item])


def test_non_object_item() -> None:
    with pytest.raises(ValueError, match=r"expected an object, got a string @ \$\.list\[1\]$"):
        structure_jobs([job_json(0), "job"])


def test_documented_sample_parses() -> None:
    job = one()
    assert job.job_id == "job000000001" and job.resource_id == job.job_id
    assert job.status is JobStatus.RUNNABLE
    assert job.type is JobType.DATAFLOW
    assert job.last_execution_status is ExecutionStatus.COMPLETED
    assert job.created_date == datetime(2025, 3, 19, 15, 3, 42, tzinfo=timezone(timedelta(hours=9)))
    assert job.created_date.utcoffset() == timedelta(hours=9)
    assert job.disabled is False


def test_newer_revision_values_are_enums() -> None:
    job = one(type="SCRIPT", status="READY", lastExecutionStatus="RUNNING", maxConcurrentRuns=3)
    assert job.type is JobType.SCRIPT
    assert job.status is JobStatus.READY
    assert job.last_execution_status is ExecutionStatus.RUNNING
    assert job.max_concurrent_runs == 3


def test_unknown_values_come_through_as_strings() -> None:
    job = one(type="STREAMING", status="PAUSED", lastExecutionStatus="TIMED_OUT")
    assert (job.type, job.status, job.last_execution_status) == ("STREAMING", "PAUSED", "TIMED_OUT")
    assert type(job.status) is str


def test_unknown_fields_are_ignored() -> None:
    job = one(owner={"id": 1}, tags=["a"], newField=None)
    assert not hasattr(job, "owner")


@pytest.mark.parametrize("absent", ["missing", "null"])
def test_job_that_never_ran(absent: str) -> None:
    item = job_json(1)
    if absent == "missing":
        del item["lastExecutionStatus"], item["lastExecutionDate"]
    else:
        item["lastExecutionStatus"] = item["lastExecutionDate"] = None
    job = structure_jobs([item])[0]
    assert job.last_execution_status is None and job.last_execution_date is None


def test_dates_keep_offsets_and_naive_dates_read_as_kst() -> None:
    assert one(createdDate="2025-03-20T05:00:00Z").created_date.utcoffset() == timedelta(0)
    naive = one(createdDate="2025-03-20T05:00:00").created_date
    assert naive.utcoffset() == timedelta(hours=9)


def test_models_are_frozen() -> None:
    job = one()
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        job.name = "x"  # type: ignore[misc]
    page = JobPage(jobs=(job,), count=1, page=0, limit=10)
    assert len(page) == 1
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        page.count = 2  # type: ignore[misc]


def test_enums_compare_as_strings() -> None:
    assert JobStatus.RUNNING == "RUNNING"
    assert f"{JobStatus.RUNNING}" == "RUNNING"
    assert {s.value for s in JobStatus} >= {
        "RUNNABLE",
        "RUNNING",
        "DELETED",
        "UNKNOWN",
        "DRAFT",
        "STOPPED",
        "EDITING",
        "READY",
    }


def test_errors_speak_json() -> None:
    """Wire names and JSON types in every message, the bad value's path last."""
    item = job_json(1, disabled=None, maxConcurrentRuns=1.5, runCondition={"timeout": "5"})
    with pytest.raises(ValueError, match="disabled") as caught:
        structure_jobs([item])
    assert str(caught.value) == (
        "expected a boolean, got null @ $.list[0].disabled; "
        "expected an integer, got a number @ $.list[0].maxConcurrentRuns; "
        "expected an integer, got a string @ $.list[0].runCondition.timeout"
    )
