"""A scripted API for the resource tests: answers per route, records every request.

Each test scripts the answers it needs (``api.add(method, path, *answers)``); a request
to a route with nothing scripted gets a 404 in the service's error shape. The client
fixture signs and sends through it in process, retries without sleeping.

The tests take ``client`` and ``api`` only: an end-to-end module can give the same
operations a ``client`` on the emulator (``run_emulator()``) and assert on its state.
"""

from __future__ import annotations

import json
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from dataflow_async import Credentials, DataFlowClient, RetryPolicy, sign_v2

from ..conftest import ACCESS_KEY, SECRET_KEY, FakeSleep

Answer = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]

JOB = {
    "jobId": "Qm4tZ8kPw2Ld",
    "name": "orders_daily",
    "type": "SCRIPT",
    "status": "READY",
    "createdDate": "2026-10-01T09:12:44+09:00",
    "updatedDate": "2026-10-02T10:00:03+09:00",
}
EXECUTION = {
    "jobExecutionId": "Ex9sD4hJ2kQw",
    "jobId": "Qm4tZ8kPw2Ld",
    "status": "READY",
    "createdDate": "2026-10-05T02:00:00+09:00",
}


def reply(status: int = 200, body: Any = None, **kwargs: Any) -> httpx.Response:
    """A response with a JSON body (``None``: no body)."""
    if body is None:
        return httpx.Response(status, **kwargs)
    return httpx.Response(status, json=body, **kwargs)


def error(status: int, error_type: str, detail: str) -> httpx.Response:
    return httpx.Response(status, json={"errorType": error_type, "detail": detail})


def page(items: list[Any], page: int = 0, limit: int = 1000) -> dict[str, Any]:
    return {"list": items, "count": len(items), "page": page, "limit": limit}


class ScriptedAPI:
    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], deque[Answer]] = defaultdict(deque)
        self.requests: list[httpx.Request] = []

    def add(self, method: str, path: str, *answers: Answer) -> None:
        self.routes[(method, path)].extend(answers)

    def bodies(self) -> list[Any]:
        return [json.loads(r.content) if r.content else None for r in self.requests]

    def sent(self) -> list[str]:
        """``METHOD raw-path`` of every request, as signed."""
        return [f"{r.method} {r.url.raw_path.decode()}" for r in self.requests]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        expected = sign_v2(
            SECRET_KEY,
            request.method,
            request.url.raw_path,
            request.headers["x-ncp-apigw-timestamp"],
            ACCESS_KEY,
        )
        assert request.headers["x-ncp-apigw-signature-v2"] == expected
        queue = self.routes.get((request.method, request.url.path))
        if not queue:
            return error(404, "NOT_FOUND", f"no route {request.method} {request.url.path}")
        answer = queue.popleft()
        if isinstance(answer, Exception):
            raise answer
        if isinstance(answer, httpx.Response):
            return answer
        return answer(request)


@pytest.fixture
def api() -> ScriptedAPI:
    return ScriptedAPI()


@pytest.fixture
async def client(api: ScriptedAPI, fake_sleep: FakeSleep) -> AsyncIterator[DataFlowClient]:
    retry = RetryPolicy(max_retries=2, sleep=fake_sleep, random=lambda: 1.0)
    async with httpx.AsyncClient(transport=httpx.MockTransport(api)) as http_client:
        yield DataFlowClient(
            Credentials(ACCESS_KEY, SECRET_KEY),
            base_url="https://dataflow.example.test",
            retry=retry,
            http_client=http_client,
        )
