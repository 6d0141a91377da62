"""Helpers for the emulator's route tests: a signed in-process client and body checks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from dataflow_async import Credentials, NcpSignatureAuth
from dataflow_async.emulator import (
    DEFAULT_ACCESS_KEY,
    DEFAULT_SECRET_KEY,
    EmulatorApp,
    ManualClock,
    make_jobs,
)

CREDS = Credentials(DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY)
BASE = "http://emulator.test"
START = 1_790_000_000.0  # 2026-09-21T23:13:20+09:00

#: Every route of the API, with a method it answers (ids are filled in by the tests).
ROUTES = (
    ("GET", "/api/v1/jobs"),
    ("POST", "/api/v1/jobs"),
    ("POST", "/api/v1/jobs/verify"),
    ("GET", "/api/v1/jobs/{job}"),
    ("PATCH", "/api/v1/jobs/{job}"),
    ("DELETE", "/api/v1/jobs/{job}"),
    ("POST", "/api/v1/jobs/{job}/executions"),
    ("PUT", "/api/v1/jobs/{job}/executions"),
    ("GET", "/api/v1/jobs/{job}/executions"),
    ("GET", "/api/v1/jobs/{job}/executions/{run}"),
    ("POST", "/api/v1/jobs/{job}/executions/{run}/cancel"),
    ("GET", "/api/v1/workflows"),
    ("POST", "/api/v1/workflows"),
    ("GET", "/api/v1/workflows/{workflow}"),
    ("PUT", "/api/v1/workflows/{workflow}"),
    ("DELETE", "/api/v1/workflows/{workflow}"),
    ("POST", "/api/v1/workflows/{workflow}/executions"),
    ("GET", "/api/v1/workflows/{workflow}/executions"),
    ("GET", "/api/v1/triggers"),
    ("GET", "/api/v1/triggers/{trigger}"),
    ("POST", "/api/v1/triggers"),
    ("DELETE", "/api/v1/triggers/{trigger}"),
    ("GET", "/api/v1/stats/executions"),
    ("GET", "/api/v1/stats/executions-interval"),
    ("GET", "/api/v1/stats/execution-times"),
    ("GET", "/api/v1/stats/executions-times"),
)


def new_app(clock: ManualClock, jobs: int = 3, **options: Any) -> EmulatorApp:
    """An app on ``clock`` with ``jobs`` seeded jobs (the first one RUNNABLE)."""
    return EmulatorApp(make_jobs(jobs, seed=1), clock=clock, **options)


def connect(app: EmulatorApp, clock: Callable[[], float]) -> httpx.AsyncClient:
    """A client signing on ``clock`` (so signatures stay fresh as the test moves time)."""
    auth = NcpSignatureAuth(CREDS, clock=clock)
    return httpx.AsyncClient(transport=app.transport(), base_url=BASE, auth=auth)


def assert_bad(response: httpx.Response, error_type: str, *mentions: str) -> dict[str, Any]:
    """A 400 of the service, in both body shapes, whose detail names ``mentions``."""
    assert response.status_code == 400, response.text
    body: dict[str, Any] = response.json()
    assert body["errorType"] == error_type
    assert body["error"]["errorCode"] == error_type
    assert body["error"]["details"] == body["detail"]
    for word in mentions:
        assert word in body["detail"], body["detail"]
    return body


def assert_not_found(response: httpx.Response, ident: str) -> None:
    """The service's 404 for an unknown id, in both body shapes."""
    assert response.status_code == 404, response.text
    body = response.json()
    assert body["errorType"] == "NOT_FOUND"
    assert body["error"]["errorCode"] == "NOT_FOUND"
    assert ident in body["detail"]


SCRIPT_JOB: dict[str, Any] = {
    "name": "orders_daily",
    "type": "SCRIPT",
    "maxConcurrentRuns": 2,
    "jobCondition": {
        "numWorker": 4,
        "timeout": 90,
        "nrn": "nrn:PUB:IAM::7654321:Role/abcd",
        "scriptPath": "dataflow-7654321-x1y2/scripts/",
        "logPath": "dataflow-7654321-x1y2/sparkHistoryLogs/",
        "parameters": {"target_date": "2026-10-04"},
    },
}


async def create_job(client: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    """Create a job (``SCRIPT_JOB`` with ``overrides``) and return it."""
    response = await client.post("/api/v1/jobs", json={**SCRIPT_JOB, **overrides})
    assert response.status_code == 201, response.text
    job: dict[str, Any] = response.json()
    return job


async def create_trigger(
    client: httpx.AsyncClient, kind: str = "NONE", name: str = "manual_start", **rule: Any
) -> dict[str, Any]:
    """Create a trigger (manual by default) and return it."""
    rule = rule or {"type": "NONE"}
    response = await client.post(
        "/api/v1/triggers", json={"name": name, "type": kind, "triggerRule": rule}
    )
    assert response.status_code == 201, response.text
    trigger: dict[str, Any] = response.json()
    return trigger


def workflow_body(trigger: dict[str, Any], *jobs: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A createWorkflow body: ``trigger`` fanning out to ``jobs``."""
    nodes: list[dict[str, Any]] = [
        {
            "id": trigger["triggerId"],
            "name": trigger["name"],
            "type": "TRIGGER",
            "parentNodeIds": [],
            "triggerRule": trigger["triggerRule"]["type"],
        }
    ]
    nodes += [
        {
            "id": job["jobId"],
            "name": job["name"],
            "type": "JOB",
            "parentNodeIds": [trigger["triggerId"]],
            "jobCondition": {
                "numWorker": 2,
                "timeout": 60,
                "nrn": "nrn:PUB:IAM::1:Role/x",
                "scriptPath": "b/scripts/",
                "logPath": "b/logs/",
            },
        }
        for job in jobs
    ]
    return {"name": "orders_pipeline", "isTemp": False, "nodes": nodes, **extra}
