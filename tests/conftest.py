"""Shared test helpers: job JSON, a scripted in-process API, a fake sleep."""

from __future__ import annotations

import signal
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from dataflow_async import Credentials, DataFlowClient, RetryPolicy, sign_v2

# A run started in the background of a non-interactive shell inherits SIGINT ignored, and
# so would the command-line processes whose Ctrl-C the tests check: give it back.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

ACCESS_KEY = "ACCESSKEYEXAMPLE"
SECRET_KEY = "SECRETKEYEXAMPLE"


def job_json(i: int, **overrides: Any) -> dict[str, Any]:
    """A job as the API sends it (camelCase, +09:00 dates)."""
    job: dict[str, Any] = {
        "jobId": f"job{i:09d}",
        "name": f"job-{i}",
        "type": "DATAFLOW",
        "status": "RUNNABLE",
        "lastExecutionStatus": "COMPLETED",
        "createdDate": "2025-03-19T15:03:42+09:00",
        "updatedDate": "2025-03-20T13:07:34+09:00",
        "lastExecutionDate": "2025-03-20T13:06:05+09:00",
        "resourceId": f"job{i:09d}",
        "disabled": False,
    }
    job.update(overrides)
    return job


def page_json(
    jobs: list[dict[str, Any]], page: int = 0, limit: int = 1000, count: int | None = None
) -> dict[str, Any]:
    return {
        "list": jobs,
        "count": len(jobs) if count is None else count,
        "page": page,
        "limit": limit,
    }


Handler = Callable[[httpx.Request], httpx.Response]


class FakeAPI:
    """An in-process API: checks every request's signature, records it, and answers
    from a script of handlers (then from ``default``)."""

    def __init__(
        self, jobs: list[dict[str, Any]] | None = None, *, count_is_total: bool = False
    ) -> None:
        self.jobs = jobs if jobs is not None else []
        self.count_is_total = count_is_total
        self.script: list[Handler | httpx.Response | Exception] = []
        self.requests: list[httpx.Request] = []

    def serve_jobs(self, request: httpx.Request) -> httpx.Response:
        params = request.url.params
        page = int(params.get("page", 0))
        limit = int(params.get("limit", 1000))
        chosen = [j for j in self.jobs if "status" not in params or j["status"] == params["status"]]
        chunk = chosen[page * limit : (page + 1) * limit]
        count = len(chosen) if self.count_is_total else len(chunk)
        return httpx.Response(200, json=page_json(chunk, page, limit, count))

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        expected = sign_v2(
            SECRET_KEY,
            request.method,
            request.url.raw_path,
            request.headers["x-ncp-apigw-timestamp"],
            request.headers["x-ncp-iam-access-key"],
        )
        if request.headers["x-ncp-apigw-signature-v2"] != expected:
            return httpx.Response(
                401, json={"error": {"errorCode": "200", "message": "Authentication Failed"}}
            )
        if self.script:
            step = self.script.pop(0)
            if isinstance(step, Exception):
                raise step
            if isinstance(step, httpx.Response):
                return step
            return step(request)
        return self.serve_jobs(request)


class FakeSleep:
    """Records the delays asked for instead of sleeping."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def credentials() -> Credentials:
    return Credentials(ACCESS_KEY, SECRET_KEY)


@pytest.fixture
def fake_api() -> FakeAPI:
    return FakeAPI([job_json(i) for i in range(25)])


@pytest.fixture
def fake_sleep() -> FakeSleep:
    return FakeSleep()


@pytest.fixture
async def make_client(
    credentials: Credentials, fake_api: FakeAPI, fake_sleep: FakeSleep
) -> AsyncIterator[Callable[..., DataFlowClient]]:
    """Build a client on the fake API whose retries record sleeps (random() == 1.0)."""
    opened: list[httpx.AsyncClient] = []

    def make(**kwargs: Any) -> DataFlowClient:
        retry = kwargs.pop("retry", None) or RetryPolicy(
            max_retries=kwargs.pop("max_retries", 2), sleep=fake_sleep, random=lambda: 1.0
        )
        http_client = httpx.AsyncClient(transport=httpx.MockTransport(fake_api))
        opened.append(http_client)
        return DataFlowClient(
            credentials,
            base_url="https://dataflow.example.test",
            retry=retry,
            http_client=http_client,
            **kwargs,
        )

    yield make
    for http_client in opened:
        await http_client.aclose()
