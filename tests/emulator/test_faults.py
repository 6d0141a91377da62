"""Faults on every route, on writes, and the lost response that follows a write."""

from __future__ import annotations

import httpx
import pytest

from dataflow_async import NcpSignatureAuth
from dataflow_async.emulator import (
    DropConnection,
    EmulatorApp,
    Fault,
    FaultPlan,
    Latency,
    LostResponse,
    MalformedBody,
    ServerFailure,
    Throttle,
    TruncatedBody,
    make_jobs,
    run_emulator,
)

from .kit import ROUTES, create_job


def test_lost_response_takes_only_a_5xx_or_none() -> None:
    with pytest.raises(ValueError, match="5xx"):
        LostResponse(404)
    assert LostResponse().status is None and LostResponse(504).name == "lost-response"


def test_a_plan_filter_must_be_a_collection_of_methods() -> None:
    with pytest.raises(TypeError, match="methods"):
        FaultPlan(methods="POST")


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_every_route_is_subject_to_the_plan(
    app: EmulatorApp, client: httpx.AsyncClient, method: str, path: str
) -> None:
    app.faults = FaultPlan.script(ServerFailure(503))
    target = path.format(job="a", run="b", workflow="c", trigger="d")
    response = await client.request(method, target, json={})
    assert response.status_code == 503
    assert response.json()["error"]["errorCode"] == "500"
    assert app.requests[-1].fault == "server-failure"


@pytest.mark.parametrize("fault", [Throttle(), ServerFailure(503), ServerFailure(502)])
async def test_a_refused_write_writes_nothing(
    app: EmulatorApp, client: httpx.AsyncClient, fault: Throttle | ServerFailure
) -> None:
    job = await create_job(client)
    app.faults = FaultPlan.script(fault)
    response = await client.post(f"/api/v1/jobs/{job['jobId']}/executions")
    assert response.status_code in (429, 502, 503)
    assert len(app.executions) == 0


async def test_a_connection_dropped_before_a_write_writes_nothing(
    app: EmulatorApp, client: httpx.AsyncClient
) -> None:
    job = await create_job(client)
    app.faults = FaultPlan.script(DropConnection())
    with pytest.raises(httpx.RemoteProtocolError):
        await client.post(f"/api/v1/jobs/{job['jobId']}/executions")
    assert len(app.executions) == 0
    assert app.requests[-1].fault == "drop-connection"


async def test_a_lost_response_breaks_after_the_write_took_effect(
    app: EmulatorApp, client: httpx.AsyncClient
) -> None:
    job = await create_job(client)
    app.faults = FaultPlan.script(LostResponse())
    with pytest.raises(httpx.RemoteProtocolError):
        await client.post(f"/api/v1/jobs/{job['jobId']}/executions")
    runs = (await client.get(f"/api/v1/jobs/{job['jobId']}/executions")).json()
    assert runs["count"] == 1 and runs["list"][0]["status"] == "READY"
    assert app.requests[-2].fault == "lost-response"
    assert app.requests[-2].status == 200


@pytest.mark.parametrize(("status", "code"), [(504, "510"), (503, "500")])
async def test_a_lost_response_can_come_back_as_a_gateway_error(
    app: EmulatorApp, client: httpx.AsyncClient, status: int, code: str
) -> None:
    app.faults = FaultPlan.script(LostResponse(status))
    response = await client.post("/api/v1/jobs", json={"name": "made_anyway", "type": "SCRIPT"})
    assert response.status_code == status
    assert response.json()["error"]["errorCode"] == code
    assert "made_anyway" in {job["name"] for job in app.jobs}


async def test_a_lost_502_is_an_html_page(app: EmulatorApp, client: httpx.AsyncClient) -> None:
    app.faults = FaultPlan.script(LostResponse(502))
    response = await client.post("/api/v1/triggers", json={})
    assert response.status_code == 502
    assert response.headers["content-type"] == "text/html"


@pytest.mark.parametrize("fault", [TruncatedBody(), MalformedBody()])
async def test_a_corrupted_answer_to_a_write_still_wrote(
    app: EmulatorApp, client: httpx.AsyncClient, fault: TruncatedBody | MalformedBody
) -> None:
    app.faults = FaultPlan.script(fault)
    try:
        response = await client.post("/api/v1/jobs", json={"name": "written", "type": "SCRIPT"})
    except httpx.RemoteProtocolError:
        pass
    else:
        assert response.status_code == 200
        with pytest.raises(ValueError):  # noqa: PT011 - JSONDecodeError, a ValueError
            response.json()
    assert "written" in {job["name"] for job in app.jobs}


async def test_a_method_filter_spares_other_requests_and_their_script_steps(
    app: EmulatorApp, client: httpx.AsyncClient
) -> None:
    job = await create_job(client)
    app.faults = FaultPlan.script(LostResponse(504), methods=("post",))
    assert (await client.get("/api/v1/jobs")).status_code == 200
    assert app.faults.remaining == 1
    response = await client.post(f"/api/v1/jobs/{job['jobId']}/executions")
    assert response.status_code == 504
    assert app.faults.remaining == 0 and app.faults.injected["lost-response"] == 1
    assert "methods=['POST']" in repr(app.faults)


async def test_a_path_filter_faults_only_matching_paths(
    app: EmulatorApp, client: httpx.AsyncClient
) -> None:
    job = await create_job(client, maxConcurrentRuns=10)
    app.faults = FaultPlan(seed=1, rate=1.0, faults=[Throttle()], path=r"/executions$")
    assert (await client.get(f"/api/v1/jobs/{job['jobId']}")).status_code == 200
    assert (await client.post(f"/api/v1/jobs/{job['jobId']}/executions")).status_code == 429
    assert (await client.get(f"/api/v1/jobs/{job['jobId']}/executions")).status_code == 429
    assert app.faults.applies_to("GET", "/api/v1/jobs") is False


async def test_a_lost_response_over_a_socket() -> None:
    app = EmulatorApp(make_jobs(1, seed=1))
    with run_emulator(app) as emu:
        auth = NcpSignatureAuth(emu.credentials)
        async with httpx.AsyncClient(auth=auth, base_url=emu.url) as client:
            job = await create_job(client)
            app.faults = FaultPlan.script(LostResponse())
            with pytest.raises(httpx.RemoteProtocolError):
                await client.post(f"/api/v1/jobs/{job['jobId']}/executions")
            runs = (await client.get(f"/api/v1/jobs/{job['jobId']}/executions")).json()
    assert runs["count"] == 1


async def test_every_start_under_a_fault_mix_is_accounted_for(
    app: EmulatorApp, client: httpx.AsyncClient
) -> None:
    job = await create_job(client, maxConcurrentRuns=1)
    app.executions.plan(job["jobId"], ready=0, running=0)  # each run ends as it starts
    mix: list[Fault] = [
        LostResponse(),
        LostResponse(504),
        DropConnection(),
        Throttle(),
        ServerFailure(503),
    ]
    app.faults = FaultPlan.random(7, 0.3, mix, methods=("POST",), path=r"/executions$")
    answered = 0
    for _ in range(200):
        try:
            response = await client.post(f"/api/v1/jobs/{job['jobId']}/executions")
        except httpx.RemoteProtocolError:
            continue
        answered += response.status_code == 200
    faults = [record.fault for record in app.requests[-200:]]
    lost = faults.count("lost-response")
    assert lost > 0 and faults.count("drop-connection") > 0
    assert len(app.executions) == answered + lost
    listed = await client.get(f"/api/v1/jobs/{job['jobId']}/executions", params={"limit": 1000})
    assert listed.json()["count"] == answered + lost


async def test_a_write_whose_latency_wait_is_abandoned_in_process_is_not_made(
    app: EmulatorApp, client: httpx.AsyncClient
) -> None:
    job = await create_job(client)
    app.faults = FaultPlan.script(Latency(5.0))
    with pytest.raises(httpx.ReadTimeout):
        await client.post(f"/api/v1/jobs/{job['jobId']}/executions", timeout=0.05)
    assert len(app.executions) == 0
    assert app.requests[-1].status is None and app.requests[-1].fault == "latency"
