"""client.executions against scripted servers: refusals and odd answers first."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from dataflow_async import (
    APIConnectionError,
    BadRequestError,
    ConcurrencyLimitError,
    DataFlowClient,
    ExecutionStatus,
    ExecutionType,
    JobCondition,
    JobExecution,
    NotFoundError,
    Page,
    ServerError,
    UnexpectedResponseError,
)

from .conftest import EXECUTION, ScriptedAPI, error, page, reply

RUNS = "/api/v1/jobs/Qm4tZ8kPw2Ld/executions"
RUN = RUNS + "/Ex9sD4hJ2kQw"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"job_condition": {"num_worker": 0}}, "num_worker"),
        ({"job_condition": {"timeout": 2000}}, "timeout"),
        ({"parameters": {"d": 1}}, "parameters"),
        ({"parameters": "d=1"}, "parameters"),
        ({"workflow_id": ""}, "workflow_id"),
        ({"trigger_id": "a/b"}, "trigger_id"),
        ({"extra_headers": ["x"]}, "extra_headers"),
    ],
)
async def test_start_refuses_bad_arguments_before_sending(
    client: DataFlowClient, api: ScriptedAPI, kwargs: dict[str, Any], match: str
) -> None:
    with pytest.raises((ValueError, TypeError), match=match):
        await client.executions.start("Qm4tZ8kPw2Ld", **kwargs)
    for job_id, execution_id in (("", "x"), ("job", ""), ("job", "a?b")):
        with pytest.raises(ValueError, match="_id"):
            await client.executions.get(job_id, execution_id)
        with pytest.raises(ValueError, match="_id"):
            await client.executions.cancel(job_id, execution_id)
    assert api.requests == []


@pytest.mark.parametrize("flag", ["raise_on_failure", "cancel_on_abandon", "wait_for_slot"])
async def test_run_refuses_a_flag_that_is_not_a_bool_before_sending(
    client: DataFlowClient, api: ScriptedAPI, flag: str
) -> None:
    with pytest.raises(TypeError, match=f"{flag} must be a bool"):
        await client.executions.run("Qm4tZ8kPw2Ld", **{flag: 1})
    with pytest.raises(TypeError, match="cancel_on_abandon must be a bool"):
        await client.workflows.run("Wf3kQ9pLx2Md", cancel_on_abandon="yes")  # type: ignore[arg-type]
    assert api.requests == []


@pytest.mark.parametrize(
    "body",
    [
        {"errorType": "bad-state", "detail": "maxConcurrentRuns (2) reached"},
        {"errorType": "CONCURRENCY_LIMIT", "detail": "too many runs"},
        {"error": {"errorCode": "100", "message": "Bad Request", "details": "concurrent runs"}},
    ],
)
async def test_start_over_the_concurrency_limit_raises_concurrency_limit_error(
    client: DataFlowClient, api: ScriptedAPI, body: dict[str, Any]
) -> None:
    api.add("POST", RUNS, reply(400, body))
    with pytest.raises(ConcurrencyLimitError) as caught:
        await client.executions.start("Qm4tZ8kPw2Ld")
    assert isinstance(caught.value, BadRequestError) and caught.value.status_code == 400
    assert caught.value.body == body
    assert len(api.requests) == 1


async def test_other_bad_requests_stay_bad_requests(
    client: DataFlowClient, api: ScriptedAPI
) -> None:
    api.add("POST", RUNS, error(400, "bad-parameter", "jobCondition.nrn"))
    with pytest.raises(BadRequestError) as caught:
        await client.executions.start("Qm4tZ8kPw2Ld")
    assert type(caught.value) is BadRequestError


@pytest.mark.parametrize("failure", [reply(502), reply(503), reply(500), httpx.ReadTimeout("slow")])
async def test_start_is_never_repeated_once_it_may_have_arrived(
    client: DataFlowClient, api: ScriptedAPI, failure: Any
) -> None:
    api.add("POST", RUNS, failure, reply(200, EXECUTION))
    with pytest.raises((ServerError, APIConnectionError)):
        await client.executions.start("Qm4tZ8kPw2Ld")
    assert len(api.requests) == 1


async def test_start_sends_settings_parameters_and_attribution(
    client: DataFlowClient, api: ScriptedAPI
) -> None:
    api.add("POST", RUNS, reply(200, EXECUTION), reply(201, EXECUTION))
    run = await client.executions.start(
        "Qm4tZ8kPw2Ld",
        job_condition=JobCondition(num_worker=2, timeout=60),
        parameters={"target_date": "2026-10-05"},
        workflow_id="Wf7aP2nQ9xKe",
        trigger_id="Tg3mL8vR1cYb",
    )
    await client.executions.start("Qm4tZ8kPw2Ld")
    assert isinstance(run, JobExecution) and run.execution_id == "Ex9sD4hJ2kQw"
    assert run.status is ExecutionStatus.READY and not run.is_finished
    assert dict(api.requests[0].url.params) == {
        "workflowId": "Wf7aP2nQ9xKe",
        "triggerId": "Tg3mL8vR1cYb",
    }
    params = {"target_date": "2026-10-05"}
    assert api.bodies() == [
        {
            "parameters": params,
            "jobCondition": {"numWorker": 2, "timeout": 60, "parameters": params},
        },
        {},
    ]
    assert api.requests[1].url.query == b""


@pytest.mark.parametrize(
    ("answer", "kind"),
    [
        (error(404, "NOT_FOUND", "execution not found"), NotFoundError),
        (reply(200, {"jobId": "x"}), UnexpectedResponseError),
        (reply(200, "READY"), UnexpectedResponseError),
        (httpx.Response(200, content=b"{"), UnexpectedResponseError),
    ],
)
async def test_get_raises_typed_errors(
    client: DataFlowClient, api: ScriptedAPI, answer: httpx.Response, kind: type[Exception]
) -> None:
    api.add("GET", RUN, answer)
    with pytest.raises(kind):
        await client.executions.get("Qm4tZ8kPw2Ld", "Ex9sD4hJ2kQw")


async def test_get_reads_every_documented_field(client: DataFlowClient, api: ScriptedAPI) -> None:
    full = {
        **EXECUTION,
        "jobName": "orders_daily",
        "type": "WORKFLOW",
        "status": "COMPLETED",
        "triggerId": "Tg3mL8vR1cYb",
        "triggerName": "nightly_0200",
        "jobCondition": {"workerType": "DEFAULT", "numWorker": 2, "consoleLogPath": "b/l/"},
        "waitingTime": 1,
        "runningTime": 12.5,
        "executorNum": 2,
        "parsedParameters": {"target_date": "2026-10-05"},
        "startDate": "2026-10-05T02:00:41",
        "endDate": None,
        "unknownField": [1],
    }
    api.add("GET", RUN, reply(200, full))
    run = await client.executions.get("Qm4tZ8kPw2Ld", "Ex9sD4hJ2kQw")
    assert run.is_finished and run.type is ExecutionType.WORKFLOW
    assert run.job_condition is not None and run.job_condition.console_log_path == "b/l/"
    assert run.running_time == 12.5 and run.end_date is None
    assert run.start_date is not None and run.start_date.utcoffset() is not None


async def test_list_gives_a_page(client: DataFlowClient, api: ScriptedAPI) -> None:
    api.add("GET", RUNS, reply(200, page([EXECUTION], 2, 4)), reply(200, {"items": []}))
    result = await client.executions.list("Qm4tZ8kPw2Ld", page=2, limit=4)
    assert isinstance(result, Page) and result.page == 2 and result.limit == 4
    assert [run.execution_id for run in result.items] == ["Ex9sD4hJ2kQw"]
    assert dict(api.requests[0].url.params) == {"page": "2", "limit": "4"}
    with pytest.raises(UnexpectedResponseError, match="list"):
        await client.executions.list("Qm4tZ8kPw2Ld")
    with pytest.raises(ValueError, match="limit"):
        await client.executions.list("Qm4tZ8kPw2Ld", limit=0)


def runs(*ids: int) -> list[dict[str, Any]]:
    return [{**EXECUTION, "jobExecutionId": f"run{i}"} for i in ids]


async def test_iter_walks_every_page_once_per_execution(
    client: DataFlowClient, api: ScriptedAPI
) -> None:
    # A run started during the walk shifts the second page by one: run1 comes twice.
    api.add(
        "GET",
        RUNS,
        reply(200, page(runs(0, 1), 0, 2)),
        reply(200, page(runs(1, 2), 1, 2)),
        reply(200, page(runs(3), 2, 2)),
    )
    pager = client.executions.iter("Qm4tZ8kPw2Ld", page_size=2, prefetch=0)
    walked = [run.execution_id async for run in pager]
    assert walked == ["run0", "run1", "run2", "run3"]
    assert pager.stats.duplicates_dropped == 1 and pager.stats.pages == 3


async def test_iter_stops_at_max_items_and_checks_arguments_first(
    client: DataFlowClient, api: ScriptedAPI
) -> None:
    with pytest.raises(ValueError, match="page_size"):
        client.executions.iter("Qm4tZ8kPw2Ld", page_size=0)
    with pytest.raises(ValueError, match="max_items"):
        client.executions.iter("Qm4tZ8kPw2Ld", max_items=-1)
    assert api.requests == []
    api.add("GET", RUNS, reply(200, page(runs(0, 1, 2), 0, 3)))
    walked = [r.execution_id async for r in client.executions.iter("Qm4tZ8kPw2Ld", max_items=2)]
    assert walked == ["run0", "run1"]
    assert dict(api.requests[0].url.params) == {"page": "0", "limit": "2"}


async def test_iter_fails_on_an_item_that_does_not_fit(
    client: DataFlowClient, api: ScriptedAPI
) -> None:
    api.add("GET", RUNS, reply(200, page([{"jobExecutionId": 5}])))
    with pytest.raises(UnexpectedResponseError, match=r"\$\.list\[0\]"):
        async for _ in client.executions.iter("Qm4tZ8kPw2Ld"):
            pass


async def test_iter_closed_early_leaves_nothing_running(
    client: DataFlowClient, api: ScriptedAPI
) -> None:
    api.add("GET", RUNS, reply(200, page(runs(0, 1), 0, 2)), reply(200, page(runs(2, 3), 1, 2)))
    async with client.executions.iter("Qm4tZ8kPw2Ld", page_size=2, prefetch=1) as pager:
        first = await anext(pager)
    assert first.execution_id == "run0"
    assert len(api.requests) <= 2


@pytest.mark.parametrize("answer", [reply(200, True), httpx.Response(200), httpx.Response(204)])
async def test_cancel_accepts_true_empty_and_204(
    client: DataFlowClient, api: ScriptedAPI, answer: httpx.Response
) -> None:
    api.add("POST", RUN + "/cancel", answer)
    assert await client.executions.cancel("Qm4tZ8kPw2Ld", "Ex9sD4hJ2kQw") is None
    assert api.sent() == [f"POST {RUN}/cancel"]


@pytest.mark.parametrize("answer", [reply(200, False), reply(200, {"status": "CANCELED"})])
async def test_cancel_refuses_other_answers(
    client: DataFlowClient, api: ScriptedAPI, answer: httpx.Response
) -> None:
    api.add("POST", RUN + "/cancel", answer)
    with pytest.raises(UnexpectedResponseError):
        await client.executions.cancel("Qm4tZ8kPw2Ld", "Ex9sD4hJ2kQw")


async def test_cancel_of_a_finished_run_is_a_bad_request(
    client: DataFlowClient, api: ScriptedAPI
) -> None:
    api.add("POST", RUN + "/cancel", error(400, "bad-state", "execution already finished"))
    with pytest.raises(BadRequestError):
        await client.executions.cancel("Qm4tZ8kPw2Ld", "Ex9sD4hJ2kQw")
    api.add("POST", RUN + "/cancel", error(404, "NOT_FOUND", "no such execution"))
    with pytest.raises(NotFoundError):
        await client.executions.cancel("Qm4tZ8kPw2Ld", "Ex9sD4hJ2kQw")
