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
        ("jobId", None, "job_id"),
        ("name", 123, "name"),
        ("disabled", "false", "disabled"),
        ("createdDate", "yesterday", "created_date"),
        ("createdDate", None, "created_date"),
        ("status", 7, "status"),
        ("maxConcurrentRuns", "3", "max_concurrent_runs"),
        ("maxConcurrentRuns", True, "max_concurrent_runs"),
    ],
)
def test_wrong_types_are_rejected_with_their_place(field: str, value: object, where: str) -> None:
    items = [job_json(0), job_json(1, **{field: value})]
    with pytest.raises(ValueError, match=rf"\$\.list\[1\]\.{where}"):
        structure_jobs(items)


def test_missing_required_field_is_named() -> None:
    item = job_json(0)
    del item["updatedDate"]
    with pytest.raises(ValueError, match=r"\$\.list\[0\]\.updated_date"):
        structure_jobs([item])


def test_non_object_item() -> None:
    with pytest.raises(ValueError, match=r"\$\.list\[1\] is a str"):
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


def _variants() -> list[dict[str, object]]:
    from dataflow_async.emulator import make_jobs

    jobs: list[dict[str, object]] = list(make_jobs(300, seed=7))
    jobs += [
        job_json(1, createdDate="2025-03-20T05:00:00"),
        job_json(2, createdDate="2025-03-20T05:00:00Z", lastExecutionDate="2025-03-20T05:00:00"),
        job_json(3, type="NEW", status="NEW", lastExecutionStatus="NEW", maxConcurrentRuns=0),
    ]
    return jobs


def test_fast_hook_matches_cattrs_generated_hook() -> None:
    from dataflow_async._converter import _FAST, make_converter

    reference = make_converter()
    assert _FAST.get_structure_hook(Job) is not reference.get_structure_hook(Job)
    for item in _variants():
        assert _FAST.structure(item, Job) == reference.structure(item, Job)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("jobId", 1),
        ("name", None),
        ("type", 2),
        ("status", ["RUNNING"]),
        ("createdDate", 1700000000),
        ("updatedDate", "not a date"),
        ("resourceId", None),
        ("disabled", 0),
        ("lastExecutionStatus", 5),
        ("lastExecutionDate", 5),
        ("lastExecutionDate", "bad"),
        ("maxConcurrentRuns", 1.5),
    ],
)
def test_fast_and_reference_reject_the_same(field: str, value: object) -> None:
    from dataflow_async._converter import _FAST, make_converter

    item = job_json(1, **{field: value})
    with pytest.raises((TypeError, ValueError)):
        _FAST.structure(item, Job)
    with pytest.raises(Exception):  # noqa: B017, PT011 - cattrs' own error types
        make_converter().structure(item, Job)
