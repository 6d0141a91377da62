"""The converter API the resources use: structure, structure_page, their messages."""

from __future__ import annotations

from typing import Any

import pytest

from dataflow_async import UnexpectedResponseError
from dataflow_async._converter import structure, structure_page, unstructure
from dataflow_async.types import Job, JobCondition, JobExecution, JobStatus, Page

from .conftest import job_json, page_json

WHERE = "GET /api/v1/jobs"


@pytest.mark.parametrize(
    ("body", "said"),
    [
        ([job_json(1)], "answered an array where an object with a 'list' array was expected"),
        (None, "answered null where an object with a 'list' array was expected"),
        ("ok", "answered a string where an object with a 'list' array was expected"),
        ({}, "answered an empty object, without the expected 'list' array"),
        (
            {"count": 1, "jobs": []},
            "answered an object without the expected 'list' array (its keys: 'count', 'jobs')",
        ),
        ({"list": {"a": 1}}, "answered an object whose 'list' is an object, not an array"),
        ({"list": None}, "answered an object whose 'list' is null, not an array"),
    ],
)
def test_page_of_the_wrong_shape_is_described_in_words(body: Any, said: str) -> None:
    with pytest.raises(UnexpectedResponseError) as caught:
        structure_page(Job, body, page=0, limit=10, where=WHERE)
    assert str(caught.value) == f"{WHERE} {said}"


def test_many_keys_are_cut_short() -> None:
    body = {f"k{i:02d}": i for i in range(12)}
    with pytest.raises(UnexpectedResponseError, match=r"'k07', \.\.\.\)$"):
        structure_page(Job, body, page=0, limit=10, where=WHERE)


def test_bad_item_is_named_by_index_and_wire_key() -> None:
    body = page_json([job_json(0), job_json(1), job_json(2, createdDate="soon")])
    with pytest.raises(UnexpectedResponseError) as caught:
        structure_page(Job, body, page=0, limit=10, where=WHERE)
    message = str(caught.value)
    assert message.startswith(f"{WHERE} sent a Job that does not fit: ")
    assert message.endswith("@ $.list[2].createdDate")
    assert "created_date" not in message


def test_at_most_five_problems_are_listed() -> None:
    item = {"jobId": 1, "name": 2, "type": 3, "status": 4, "createdDate": 5, "updatedDate": 6}
    with pytest.raises(UnexpectedResponseError) as caught:
        structure_page(Job, page_json([item]), page=0, limit=10, where=WHERE)
    assert str(caught.value).count(" @ $.list[0].") == 5


def test_page_fields_fall_back_to_what_was_asked() -> None:
    body = {"list": [job_json(1)], "count": "1", "page": None}
    page = structure_page(Job, body, page=3, limit=7, where=WHERE)
    assert isinstance(page, Page) and (page.count, page.page, page.limit) == (1, 3, 7)
    assert page.items[0].status is JobStatus.RUNNABLE
    full = structure_page(
        Job, page_json([job_json(1)], page=2, limit=5, count=99), page=0, limit=1, where=WHERE
    )
    assert (full.count, full.page, full.limit) == (99, 2, 5)


def test_empty_page() -> None:
    page = structure_page(JobExecution, {"list": []}, page=0, limit=10, where=WHERE)
    assert page.items == () and page.count == 0 and len(page) == 0


def test_structure_one_object_names_nested_alias_keys() -> None:
    data = {
        "jobExecutionId": "x1",
        "jobId": "j1",
        "status": "RUNNING",
        "runCondition": {"numWorker": "2"},
    }
    with pytest.raises(UnexpectedResponseError) as caught:
        structure(JobExecution, data, where="GET /api/v1/jobs/j1/executions/x1")
    assert str(caught.value) == (
        "GET /api/v1/jobs/j1/executions/x1 sent a JobExecution that does not fit: "
        "expected an integer, got a string @ $.runCondition.numWorker"
    )


def test_structure_rejects_a_non_object() -> None:
    with pytest.raises(UnexpectedResponseError, match=r"expected an object, got an array @ \$$"):
        structure(JobCondition, [], where="GET /x")


def test_structure_and_unstructure_round_trip() -> None:
    data = {
        "jobExecutionId": "x1",
        "jobId": "j1",
        "status": "SOMETHING_NEW",
        "jobCondition": {"numWorker": 2, "timeout": 60},
        "waitingTime": 1,
    }
    execution = structure(JobExecution, data, where="GET /x")
    assert execution.status == "SOMETHING_NEW" and type(execution.status) is str
    assert execution.waiting_time == 1.0 and type(execution.waiting_time) is float
    assert unstructure(execution) == {**data, "waitingTime": 1.0}
