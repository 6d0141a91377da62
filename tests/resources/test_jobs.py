"""client.jobs against scripted servers: refusals and odd answers first."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from dataflow_async import (
    APIConnectionError,
    AuthenticationError,
    BadRequestError,
    DataFlowClient,
    Job,
    JobCondition,
    JobNode,
    JobStatus,
    JobType,
    NotFoundError,
    ServerError,
    UnexpectedResponseError,
)

from .conftest import JOB, ScriptedAPI, error, page, reply

PATH = "/api/v1/jobs/Qm4tZ8kPw2Ld"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"name": "ab"}, "name"),
        ({"name": "a" * 101}, "name"),
        ({"name": "1abc"}, "name"),
        ({"name": "-abc"}, "name"),
        ({"name": "has space"}, "name"),
        ({"name": "ok_name", "job_condition": {"num_worker": 1}}, "num_worker"),
        ({"name": "ok_name", "job_condition": {"numWorker": 11}}, "num_worker"),
        ({"name": "ok_name", "job_condition": JobCondition(timeout=0)}, "timeout"),
        ({"name": "ok_name", "job_condition": {"timeout": 1441}}, "timeout"),
        ({"name": "ok_name", "job_condition": {"timeout": True}}, "timeout"),
        ({"name": "ok_name", "job_condition": {"workers": 3}}, "unknown key"),
        ({"name": "ok_name", "max_concurrent_runs": 0}, "max_concurrent_runs"),
        ({"name": "ok_name", "nodes": [{"id": 1, "name": "n"}]}, "id, name and type"),
        ({"name": "ok_name", "timeout": -1}, "timeout"),
    ],
)
async def test_create_refuses_bad_arguments_before_sending(
    client: DataFlowClient, api: ScriptedAPI, kwargs: dict[str, Any], match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        await client.jobs.create(**kwargs)
    assert api.requests == []


@pytest.mark.parametrize("parents", ["1760000000001", 1760000000001])
async def test_node_parents_that_are_not_a_sequence_are_refused(
    client: DataFlowClient, api: ScriptedAPI, parents: Any
) -> None:
    node = {"id": 1760000000002, "name": "dst", "type": "TARGET_OBS", "parentNodeIds": parents}
    with pytest.raises(TypeError, match=r"nodes\[0\].parent_node_ids"):
        await client.jobs.create(name="ok_name", type="VISUAL", nodes=[node])
    assert api.requests == []


@pytest.mark.parametrize("job_id", ["", "  ", "a/b", "a?b", ".", ".."])
async def test_ids_that_would_change_the_path_are_refused(
    client: DataFlowClient, api: ScriptedAPI, job_id: str
) -> None:
    for call in (client.jobs.get, client.jobs.delete):
        with pytest.raises(ValueError, match="job_id"):
            await call(job_id)
    with pytest.raises(ValueError, match="job_id"):
        await client.jobs.update(job_id, type="SCRIPT")
    assert api.requests == []


async def test_an_id_goes_into_the_path_percent_encoded(
    client: DataFlowClient, api: ScriptedAPI
) -> None:
    api.add("GET", "/api/v1/jobs/a b%#", reply(200, {**JOB, "jobId": "a b%#"}))
    job = await client.jobs.get("a b%#")
    assert job.job_id == "a b%#"
    assert api.sent() == ["GET /api/v1/jobs/a%20b%25%23"]


async def test_bad_per_call_options_are_refused(client: DataFlowClient, api: ScriptedAPI) -> None:
    with pytest.raises(TypeError, match="extra_headers"):
        await client.jobs.get("abc", extra_headers={"x-a": 1})  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="timeout"):
        await client.jobs.list(timeout=0)
    assert api.requests == []


@pytest.mark.parametrize(
    ("answer", "kind"),
    [
        (error(404, "NOT_FOUND", "job not found"), NotFoundError),
        (
            reply(401, {"error": {"errorCode": "200", "message": "Authentication Failed"}}),
            AuthenticationError,
        ),
        (error(400, "bad-parameter", "jobId"), BadRequestError),
        (reply(200, [JOB]), UnexpectedResponseError),
        (reply(200, {**JOB, "createdDate": 5}), UnexpectedResponseError),
        (httpx.Response(200, content=b"<html>"), UnexpectedResponseError),
    ],
)
async def test_get_raises_typed_errors(
    client: DataFlowClient, api: ScriptedAPI, answer: httpx.Response, kind: type[Exception]
) -> None:
    api.add("GET", PATH, answer)
    with pytest.raises(kind):
        await client.jobs.get("Qm4tZ8kPw2Ld")


async def test_get_reads_both_revisions_of_the_settings_key(
    client: DataFlowClient, api: ScriptedAPI
) -> None:
    older = {
        **JOB,
        "type": "DATAFLOW",
        "status": "RUNNABLE",
        "description": "",
        "runCondition": {"workerType": "DEFAULT", "numWorker": 3, "timeout": 360},
        "nodes": [
            {
                "id": 1697776914576,
                "name": "src",
                "type": "SOURCE_OBS",
                "parentNodeIds": [],
                "bucketName": "raw",
            }
        ],
    }
    newer = {
        **JOB,
        "maxConcurrentRuns": 2,
        "jobCondition": {"numWorker": 4, "timeout": 90},
        "futureField": {"x": 1},
        "status": "PAUSED_SOMEHOW",
    }
    api.add("GET", PATH, reply(200, older), reply(200, newer))
    g1 = await client.jobs.get("Qm4tZ8kPw2Ld")
    g2 = await client.jobs.get("Qm4tZ8kPw2Ld")
    assert g1.type is JobType.DATAFLOW and g1.status is JobStatus.RUNNABLE
    assert g1.job_condition == JobCondition(worker_type="DEFAULT", num_worker=3, timeout=360)
    assert g1.nodes is not None and g1.nodes[0].properties == {"bucketName": "raw"}
    assert g2.job_condition == JobCondition(num_worker=4, timeout=90)
    assert g2.status == "PAUSED_SOMEHOW" and g2.max_concurrent_runs == 2


@pytest.mark.parametrize("status", [200, 201])
async def test_create_sends_camel_case_without_nones(
    client: DataFlowClient, api: ScriptedAPI, status: int
) -> None:
    api.add("POST", "/api/v1/jobs", reply(status, {**JOB, "jobCondition": {"numWorker": 4}}))
    job = await client.jobs.create(
        name="orders_daily",
        type="script",
        job_condition={"num_worker": 4, "scriptPath": "b/scripts/", "parameters": {"d": "1"}},
        max_concurrent_runs=2,
        extra_headers={"x-trace": "t1"},
    )
    assert isinstance(job, Job) and job.job_condition == JobCondition(num_worker=4)
    assert api.bodies() == [
        {
            "name": "orders_daily",
            "type": "SCRIPT",
            "maxConcurrentRuns": 2,
            "jobCondition": {"numWorker": 4, "scriptPath": "b/scripts/", "parameters": {"d": "1"}},
        }
    ]
    assert api.requests[0].headers["x-trace"] == "t1"
    assert api.requests[0].headers["content-type"] == "application/json"


async def test_create_sends_nodes_with_their_own_keys(
    client: DataFlowClient, api: ScriptedAPI
) -> None:
    api.add("POST", "/api/v1/jobs", reply(201, JOB))
    nodes: list[Any] = [
        JobNode(id=1, name="src", type="SOURCE_OBS", properties={"bucketName": "raw"}),
        {"id": 2, "name": "dst", "type": "TARGET_OBS", "parentNodeIds": [1], "prefix": "out/"},
    ]
    await client.jobs.create(name="csv_copy", type=JobType.VISUAL, nodes=nodes)
    assert api.bodies()[0]["nodes"] == [
        {"id": 1, "name": "src", "type": "SOURCE_OBS", "parentNodeIds": [], "bucketName": "raw"},
        {"id": 2, "name": "dst", "type": "TARGET_OBS", "parentNodeIds": [1], "prefix": "out/"},
    ]


@pytest.mark.parametrize(
    "failure", [reply(503), reply(504), httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("x")]
)
async def test_create_is_not_repeated_once_it_may_have_arrived(
    client: DataFlowClient, api: ScriptedAPI, failure: Any
) -> None:
    api.add("POST", "/api/v1/jobs", failure, reply(201, JOB))
    # ServerError or APIConnectionError today; AmbiguousWriteError (an APIConnectionError)
    # once the requester says that the write may have happened.
    with pytest.raises((ServerError, APIConnectionError)):
        await client.jobs.create(name="orders_daily")
    assert len(api.requests) == 1


async def test_create_refused_by_the_gateway_is_sent_again(
    client: DataFlowClient, api: ScriptedAPI
) -> None:
    api.add("POST", "/api/v1/jobs", reply(429, {"error": {"errorCode": "420"}}), reply(201, JOB))
    assert (await client.jobs.create(name="orders_daily")).job_id == JOB["jobId"]
    assert len(api.requests) == 2


async def test_update_patches_only_what_is_given(client: DataFlowClient, api: ScriptedAPI) -> None:
    api.add("PATCH", PATH, reply(200, JOB))
    await client.jobs.update("Qm4tZ8kPw2Ld", type="Script", job_condition={"timeout": 120})
    assert api.sent() == [f"PATCH {PATH}"]
    assert api.bodies() == [{"type": "SCRIPT", "jobCondition": {"timeout": 120}}]


async def test_update_falls_back_to_put_on_405_once_and_remembers(
    client: DataFlowClient, api: ScriptedAPI
) -> None:
    api.add("PATCH", PATH, reply(405))
    api.add("GET", PATH, reply(200, JOB))
    api.add("PUT", PATH, reply(200, JOB), reply(200, JOB))
    await client.jobs.update("Qm4tZ8kPw2Ld", type="DATAFLOW")
    await client.jobs.update("Qm4tZ8kPw2Ld", type="DATAFLOW", name="renamed")
    assert api.sent() == [f"PATCH {PATH}", f"GET {PATH}", f"PUT {PATH}", f"PUT {PATH}"]
    bodies = api.bodies()
    assert bodies[2] == {"type": "DATAFLOW", "name": "orders_daily", "isTemp": False}
    assert bodies[3] == {"type": "DATAFLOW", "name": "renamed", "isTemp": False}


async def test_update_does_not_fall_back_on_other_errors(
    client: DataFlowClient, api: ScriptedAPI
) -> None:
    api.add("PATCH", PATH, error(400, "bad-parameter", "type"))
    with pytest.raises(BadRequestError):
        await client.jobs.update("Qm4tZ8kPw2Ld", type="SCRIPT")
    assert api.sent() == [f"PATCH {PATH}"]


async def test_update_execution_config_puts_the_settings(
    client: DataFlowClient, api: ScriptedAPI
) -> None:
    api.add("PUT", PATH + "/executions", reply(200, JOB))
    await client.jobs.update_execution_config("Qm4tZ8kPw2Ld", JobCondition(num_worker=6))
    assert api.bodies() == [{"jobCondition": {"numWorker": 6}}]
    with pytest.raises(ValueError, match="num_worker"):
        await client.jobs.update_execution_config("Qm4tZ8kPw2Ld", {"num_worker": 20})
    assert len(api.requests) == 1


@pytest.mark.parametrize(
    ("answer", "result"),
    [
        (reply(200), None),
        (httpx.Response(204), None),
        (reply(200, True), True),
        (reply(200, {"valid": True}), {"valid": True}),
    ],
)
async def test_verify_returns_what_was_answered(
    client: DataFlowClient, api: ScriptedAPI, answer: httpx.Response, result: Any
) -> None:
    api.add("POST", "/api/v1/jobs/verify", answer)
    assert await client.jobs.verify(name="csv_copy", nodes=[]) == result
    assert api.bodies() == [{"name": "csv_copy", "nodes": []}]


async def test_verify_refusal_is_a_bad_request(client: DataFlowClient, api: ScriptedAPI) -> None:
    api.add("POST", "/api/v1/jobs/verify", error(400, "bad-parameter", "nodes"))
    with pytest.raises(BadRequestError):
        await client.jobs.verify(name="csv_copy", nodes=[])


@pytest.mark.parametrize(
    "answer", [reply(200, False), reply(200, {"deleted": True}), httpx.Response(200, content=b"ok")]
)
async def test_delete_refuses_an_answer_that_is_not_done(
    client: DataFlowClient, api: ScriptedAPI, answer: httpx.Response
) -> None:
    api.add("DELETE", PATH, answer)
    with pytest.raises(UnexpectedResponseError):
        await client.jobs.delete("Qm4tZ8kPw2Ld")


@pytest.mark.parametrize(
    "answer",
    [
        reply(200, True),
        httpx.Response(200),
        httpx.Response(204),
        httpx.Response(200, content=b" \n"),
    ],
)
async def test_delete_accepts_true_empty_and_204(
    client: DataFlowClient, api: ScriptedAPI, answer: httpx.Response
) -> None:
    api.add("DELETE", PATH, answer)
    assert await client.jobs.delete("Qm4tZ8kPw2Ld") is None


async def test_delete_of_a_missing_job_is_not_found(
    client: DataFlowClient, api: ScriptedAPI
) -> None:
    api.add("DELETE", PATH, error(404, "NOT_FOUND", "job not found"))
    with pytest.raises(NotFoundError):
        await client.jobs.delete("Qm4tZ8kPw2Ld")


async def test_delete_retried_after_a_failure_that_finds_it_gone_is_done(
    client: DataFlowClient, api: ScriptedAPI
) -> None:
    api.add("DELETE", PATH, reply(503), error(404, "NOT_FOUND", "job not found"))
    assert await client.jobs.delete("Qm4tZ8kPw2Ld") is None
    assert len(api.requests) == 2


async def test_list_takes_a_known_status_in_any_case(
    client: DataFlowClient, api: ScriptedAPI
) -> None:
    api.add("GET", "/api/v1/jobs", reply(200, page([JOB])))
    result = await client.jobs.list(status="ready", name="orders", limit=5)
    assert [job.job_id for job in result.jobs] == [JOB["jobId"]]
    assert dict(api.requests[0].url.params) == {
        "name": "orders",
        "status": "READY",
        "page": "0",
        "limit": "5",
    }
    with pytest.raises(ValueError, match="status"):
        await client.jobs.list(status="finished")
    assert len(api.requests) == 1


async def test_iter_and_iter_pages_walk_like_iter_jobs(
    client: DataFlowClient, api: ScriptedAPI
) -> None:
    jobs = [{**JOB, "jobId": f"job{i}"} for i in range(5)]
    answers = [
        reply(200, page(jobs[:2], 0, 2)),
        reply(200, page(jobs[1:3], 1, 2)),
        reply(200, page(jobs[3:5], 2, 2)),
        reply(200, page([], 3, 2)),
    ]
    api.add("GET", "/api/v1/jobs", *answers)
    walked = [job.job_id async for job in client.jobs.iter(page_size=2, prefetch=0)]
    assert walked == ["job0", "job1", "job2", "job3", "job4"]
    api.add(
        "GET", "/api/v1/jobs", reply(200, page(jobs[:2], 0, 2)), reply(200, page(jobs[2:3], 1, 2))
    )
    pages = [len(p) async for p in client.jobs.iter_pages(page_size=2, prefetch=0)]
    assert pages == [2, 1]


async def test_resources_are_made_on_first_use_and_kept(client: DataFlowClient) -> None:
    names = ("jobs", "executions", "workflows", "triggers", "stats")
    assert not any(name in vars(client) for name in names)
    assert client.jobs is client.jobs
    assert vars(client).keys() & set(names) == {"jobs"}
    for name in names:
        assert getattr(client, name) is getattr(client, name)


async def test_per_call_timeout_and_headers_reach_every_request(
    client: DataFlowClient, api: ScriptedAPI
) -> None:
    api.add("GET", PATH, reply(200, JOB))
    api.add("GET", "/api/v1/jobs", reply(200, page([JOB], 0, 5)))
    await client.jobs.get("Qm4tZ8kPw2Ld", timeout=3.5, extra_headers={"x-trace": "a"})
    walk = client.jobs.iter(page_size=5, timeout=httpx.Timeout(7.0), extra_headers={"x-trace": "b"})
    assert [job.job_id async for job in walk] == [JOB["jobId"]]
    timeouts = [r.extensions["timeout"] for r in api.requests]
    assert timeouts == [httpx.Timeout(3.5).as_dict(), httpx.Timeout(7.0).as_dict()]
    assert [r.headers["x-trace"] for r in api.requests] == ["a", "b"]
