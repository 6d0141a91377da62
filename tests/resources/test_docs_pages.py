"""The examples of the resource pages run as a reader copies them, against a small
stateful server in process (credentials and endpoint from the environment, as the pages
say). The emulator serves the same routes for the docs suite."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from ..conftest import ACCESS_KEY, SECRET_KEY

DOCS = Path(__file__).resolve().parents[2] / "docs"
PAGES = ["jobs.md", "executions.md", "workflows.md", "triggers.md", "stats.md"]
NOW = "2026-10-05T02:00:00+09:00"


class StatefulAPI:
    """Just enough of the API, in memory, for the examples."""

    def __init__(self) -> None:
        self.ids = (f"id{n:010d}" for n in itertools.count())
        self.jobs: dict[str, dict[str, Any]] = {}
        self.runs: dict[str, dict[str, Any]] = {}
        self.triggers: dict[str, dict[str, Any]] = {}
        self.workflows: dict[str, dict[str, Any]] = {}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        parts = request.url.path.split("/")[3:]
        answer = self.route(request.method, parts, body, request.url.params)
        status, payload = answer if isinstance(answer, tuple) else (200, answer)
        return httpx.Response(status, json=payload)

    def route(self, method: str, parts: list[str], body: Any, query: Any) -> Any:
        kind, rest = parts[0], parts[1:]
        if kind == "stats":
            return self.stats(rest[0])
        store = {"jobs": self.jobs, "triggers": self.triggers, "workflows": self.workflows}[kind]
        if not rest:
            if method == "POST":
                return 201, self.create(kind, body)
            items = [i for i in store.values() if query.get("name", "") in i["name"]]
            return {"list": items, "count": len(items), "page": 0, "limit": 1000}
        item = store[rest[0]]
        if len(rest) == 1:
            if method == "DELETE":
                del store[rest[0]]
                return True
            item.update(body or {})
            return item
        return self.executions(method, kind, item, rest[2:], body)

    def create(self, kind: str, body: dict[str, Any]) -> dict[str, Any]:
        key = {"jobs": "jobId", "triggers": "triggerId", "workflows": "workflowId"}[kind]
        made = {key: next(self.ids), **body, "createdDate": NOW, "updatedDate": NOW}
        if kind == "jobs":
            made["status"] = "READY"
        getattr(self, kind)[made[key]] = made
        return made

    def executions(self, method: str, kind: str, item: Any, rest: list[str], body: Any) -> Any:
        if kind == "workflows":
            jobs = [n["id"] for n in item["nodes"] if n["type"] == "JOB"]
            if method == "POST":
                for job_id in jobs:
                    self.start(job_id, type="WORKFLOW")
                return 202, {"workflowId": item["workflowId"], "status": "ACCEPTED"}
            runs = [r for r in self.runs.values() if r["jobId"] in jobs]
            return {"list": runs, "count": len(runs), "page": 0, "limit": 1000}
        if method == "PUT":
            item["jobCondition"] = {**item.get("jobCondition", {}), **body["jobCondition"]}
            return item
        if method == "POST" and not rest:
            return self.start(item["jobId"], type="JOB")
        if rest and rest[-1] == "cancel":
            self.runs[rest[0]]["status"] = "CANCELED"
            return True
        if rest:
            return self.runs[rest[0]]
        runs = [r for r in self.runs.values() if r["jobId"] == item["jobId"]]
        return {"list": runs, "count": len(runs), "page": 0, "limit": 1000}

    def start(self, job_id: str, **fields: Any) -> dict[str, Any]:
        run = {
            "jobExecutionId": next(self.ids),
            "jobId": job_id,
            "status": "READY",
            "jobName": self.jobs[job_id]["name"],
            "createdDate": NOW,
            **fields,
        }
        self.runs[run["jobExecutionId"]] = run
        return run

    def stats(self, what: str) -> Any:
        if what == "executions":
            return {"totalCount": len(self.runs), "completedCount": 0, "failedCount": 0}
        if what == "executions-interval":
            return {
                "result": [
                    {
                        "totalCount": len(self.runs),
                        "startDate": "2026-10-05T00:00:01",
                        "endDate": "2026-10-06T00:00:00",
                    }
                ]
            }
        return {"result": [{"time": 1791126000000, "value": len(self.runs)}]}


@pytest.mark.parametrize("page", PAGES)
def test_the_example_of_each_resource_page_runs(
    page: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    blocks = re.findall(r"```python\n(.*?)```", (DOCS / page).read_text(), flags=re.S)
    assert len(blocks) == 1
    api = StatefulAPI()
    real = httpx.AsyncClient

    def with_api(**kwargs: Any) -> httpx.AsyncClient:
        return real(transport=httpx.MockTransport(api), **kwargs)

    monkeypatch.setattr(httpx, "AsyncClient", with_api)
    monkeypatch.setenv("NCLOUD_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("NCLOUD_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.setenv("DATAFLOW_ASYNC_ENDPOINT", "https://dataflow.example.test")
    exec(compile(blocks[0], page, "exec"), {"__name__": "__main__"})
    assert capsys.readouterr().out.strip()
