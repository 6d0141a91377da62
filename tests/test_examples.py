"""The recipes of docs/examples, run against the emulator so that none of them rots.

Each example is loaded from its file, as a user would copy it, and driven through its
``main`` with short intervals; two are also run as a user runs them, in a subprocess.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import inspect
import itertools
import logging
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from dataflow_async import DataFlowClient, JobStatus, QuotaExceededError, RetryPolicy
from dataflow_async.emulator import (
    EmulatorApp,
    FaultPlan,
    Latency,
    RunningEmulator,
    ServerFailure,
    Throttle,
    run_emulator,
)

EXAMPLES = Path(__file__).resolve().parent.parent / "docs" / "examples"


def load(name: str) -> ModuleType:
    """Import ``docs/examples/<name>.py`` by its path (it is not in a package)."""
    spec = importlib.util.spec_from_file_location(f"docs_examples_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


poll_status = load("poll_status")
apscheduler_job = load("apscheduler_job")
fan_out = load("fan_out")


@pytest.fixture
def emu() -> Iterator[RunningEmulator]:
    with run_emulator(jobs=60, seed=5) as running:
        yield running


def client_for(emu: RunningEmulator) -> DataFlowClient:
    # Quick retries, so that a scripted 5xx costs milliseconds.
    retry = RetryPolicy(max_retries=1, initial_backoff=0.01, max_backoff=0.01)
    return DataFlowClient(emu.credentials, base_url=emu.url, retry=retry)


class InProcess(httpx.AsyncBaseTransport):
    """The emulator app called in process, with hooks the emulator has no fault for.

    ``headers[n]`` are added to the answer to the n-th request (from 0): the emulator's
    ServerFailure sends no Retry-After. ``served(n)`` runs once the n-th answer is made,
    before the client reads it. ``times`` records when each request came (monotonic s).
    """

    def __init__(
        self,
        app: EmulatorApp,
        *,
        headers: dict[int, dict[str, str]] | None = None,
        served: Callable[[int], object] | None = None,
    ) -> None:
        self.inner = app.transport()
        self.headers = headers or {}
        self.served = served
        self.times: list[float] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        n = len(self.times)
        self.times.append(time.monotonic())
        response = await self.inner.handle_async_request(request)
        response.headers.update(self.headers.get(n, {}))
        if self.served is not None:
            self.served(n)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


@contextlib.asynccontextmanager
async def in_process_client(
    emu: RunningEmulator, transport: InProcess
) -> AsyncIterator[DataFlowClient]:
    """A client of ``transport`` that does not retry: each failure reaches the example."""
    async with (
        httpx.AsyncClient(transport=transport, base_url=emu.url) as http,
        DataFlowClient(emu.credentials, http_client=http, retry=RetryPolicy(max_retries=0)) as c,
    ):
        yield c


async def until(condition: Callable[[], object]) -> None:
    """Wait (5 s at most) for a condition on state the emulator's thread changes."""
    async with asyncio.timeout(5):
        while not condition():  # noqa: ASYNC110 - set in another thread: no event to await
            await asyncio.sleep(0.01)


def first_job(emu: RunningEmulator, **fields: Any) -> dict[str, Any]:
    return next(j for j in emu.app.jobs if all(j.get(k) == v for k, v in fields.items()))


def edit_job(emu: RunningEmulator, job_id: str, **fields: Any) -> None:
    """Replace the job's dict, so that the emulator sees the change at once."""
    jobs = emu.app.jobs
    index = next(i for i, job in enumerate(jobs) if job["jobId"] == job_id)
    jobs[index] = {**jobs[index], **fields}


def other_execution_status(job: dict[str, Any]) -> str:
    return "FAILED" if job.get("lastExecutionStatus") != "FAILED" else "COMPLETED"


def only_this_task() -> bool:
    return asyncio.all_tasks() == {asyncio.current_task()}


# poll_status.py


async def test_poll_status_reports_changes_and_survives_failed_polls(
    emu: RunningEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="poll_status")
    Change = poll_status.Change
    changes: list[Any] = []
    stop = asyncio.Event()
    async with client_for(emu) as client:
        task = asyncio.create_task(
            poll_status.main(client, stop, interval=0.05, report=changes.append)
        )
        # A second request is sent only once the first poll (the baseline) is done.
        await until(lambda: len(emu.app.requests) >= 2)
        assert "watching 60 jobs" in caplog.messages
        assert changes == []

        runnable = first_job(emu, status="RUNNABLE")
        running = first_job(emu, status="RUNNING")
        new_execution = other_execution_status(running)
        edit_job(emu, runnable["jobId"], status="STOPPED")
        edit_job(emu, running["jobId"], status="READY", lastExecutionStatus=new_execution)
        gone = next(
            j for j in emu.app.jobs if j["jobId"] not in (runnable["jobId"], running["jobId"])
        )
        emu.app.jobs.remove(gone)
        emu.app.jobs.append({**runnable, "jobId": "brand-new", "status": "RUNNING"})
        expected = {
            Change(runnable["jobId"], runnable["name"], "status", "RUNNABLE", "STOPPED"),
            Change(running["jobId"], running["name"], "status", "RUNNING", "READY"),
            Change(
                running["jobId"],
                running["name"],
                "last_execution_status",
                running.get("lastExecutionStatus"),
                new_execution,
            ),
            Change(gone["jobId"], gone["name"], "status", gone["status"], None),
            Change("brand-new", runnable["name"], "status", None, "RUNNING"),
        }
        await until(lambda: len(changes) >= len(expected))
        assert set(changes) == expected and len(changes) == len(expected)
        assert str(Change("j1", "nightly", "status", None, "RUNNING")) == (
            "nightly (j1): started running"
        )
        assert str(Change("j1", "nightly", "status", "RUNNING", "STOPPED")) == (
            "nightly (j1): finished running (now STOPPED)"
        )

        # One poll fails with a 500 (retried once, then raised), the next meets a quota
        # that asks for 0.3 s; polling goes on, and waits that long after the quota.
        emu.app.faults = FaultPlan.script(
            ServerFailure(500), ServerFailure(500), Throttle("400", retry_after_ms=300)
        )
        await until(lambda: emu.app.faults.remaining == 0)
        edit_job(emu, runnable["jobId"], status="RUNNABLE")
        await until(lambda: len(changes) > len(expected))
        assert changes[-1] == Change(
            runnable["jobId"], runnable["name"], "status", "STOPPED", "RUNNABLE"
        )
        warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
        assert warnings == [
            "poll failed, next in 0.05 s: HTTP 500 (errorCode 900): Unexpected Error - "
            "The endpoint failed to respond.",
            "poll failed, next in 0.3 s: HTTP 429 (errorCode 400): Quota Exceeded - "
            "Too many requests.",
        ]
        quota = next(r for r in emu.app.requests if r.status == 429)
        after_quota = emu.app.requests[emu.app.requests.index(quota) + 1]
        assert after_quota.received_at - quota.received_at >= 0.29

        assert not task.done()
        stop.set()
        await asyncio.wait_for(task, 5)
        assert only_this_task()
    assert task.result() is None


async def test_poll_status_waits_as_a_5xx_asks_but_no_longer_than_max_wait(
    emu: RunningEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="poll_status")
    # The 2nd poll meets a 503 that asks for 0.3 s, the 3rd a quota that asks for 1e9 s
    # (about 32 years): the first is waited for, the second cut to max_wait.
    emu.app.faults = FaultPlan.script(None, ServerFailure(503), Throttle("400", retry_after=1e9))
    transport = InProcess(emu.app, headers={1: {"Retry-After": "0.3"}})
    stop = asyncio.Event()
    async with in_process_client(emu, transport) as client:
        task = asyncio.create_task(poll_status.main(client, stop, interval=0.05, max_wait=0.5))
        await until(lambda: len(transport.times) >= 4)
        stop.set()
        await asyncio.wait_for(task, 5)
    after_ok, after_503, after_quota = (b - a for a, b in itertools.pairwise(transport.times[:4]))
    assert after_ok < after_503 and after_503 >= 0.29 and after_quota >= 0.49
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert warnings == [
        "poll failed, next in 0.3 s: HTTP 503 (errorCode 500): Endpoint Error - "
        "The endpoint failed to respond.",
        "asked to wait 1e+09 s; waiting max_wait, 0.5 s",
        "poll failed, next in 0.5 s: HTTP 429 (errorCode 400): Quota Exceeded - Too many requests.",
    ]


async def test_poll_status_raises_an_unexpected_error_in_an_exception_group(
    emu: RunningEmulator,
) -> None:
    async with client_for(emu) as client:
        with pytest.raises(ExceptionGroup) as caught:
            await asyncio.wait_for(poll_status.main(client, asyncio.Event(), status="bogus"), 5)
    assert caught.group_contains(ValueError, match="status must be one of")
    assert only_this_task()


async def test_poll_status_cancelled_mid_poll_leaves_nothing_behind(emu: RunningEmulator) -> None:
    async with client_for(emu) as client:
        task = asyncio.create_task(poll_status.main(client, asyncio.Event(), interval=0.05))
        await until(lambda: len(emu.app.requests) >= 1)
        emu.app.faults = FaultPlan.script(Latency(0.5))
        await until(lambda: emu.app.faults.remaining == 0)  # a poll now waits for its answer
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(task, 5)
        assert only_this_task()
        emu.app.faults = FaultPlan()
        assert len(await client.list_jobs(limit=5)) == 5  # the pool still serves


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM terminates at once on Windows")
def test_poll_status_stops_on_sigterm(emu: RunningEmulator) -> None:
    process = subprocess.Popen(
        [sys.executable, "-W", "error", str(EXAMPLES / "poll_status.py"), "-i", "0.05"],
        env=user_environment(emu),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 15
        while len(emu.app.requests) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(emu.app.requests) >= 2, "the example did not start polling"
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, stderr
    assert "watching 60 jobs" in stderr and stderr.rstrip().endswith("INFO stopped")
    assert "Traceback" not in stderr and stdout == ""


# apscheduler_job.py


async def test_apscheduler_check_runs_reports_and_shuts_down_cleanly(
    emu: RunningEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="apscheduler_job")
    lines: list[str] = []
    stop = asyncio.Event()
    async with client_for(emu) as client:
        task = asyncio.create_task(
            apscheduler_job.main(client, stop, interval=0.05, report=lines.append)
        )
        await until(lambda: len(emu.app.requests) >= 2)
        job = first_job(emu, status="RUNNING")
        edit_job(emu, job["jobId"], status="STOPPED")
        await until(lambda: lines)
        assert lines == [f"{job['name']} ({job['jobId']}): status RUNNING -> STOPPED"]

        # A failed run is logged and the next ones go on.
        emu.app.faults = FaultPlan.script(Throttle("400"))
        await until(lambda: emu.app.faults.remaining == 0)
        seen = len(emu.app.requests)
        await until(lambda: len(emu.app.requests) >= seen + 2)

        # Stopping while a run waits for its answer lets that run finish first.
        emu.app.faults = FaultPlan.script(Latency(0.3))
        await until(lambda: emu.app.faults.remaining == 0)
        stop.set()
        check = await asyncio.wait_for(task, 5)
        assert emu.app.requests[-1].fault == "latency"  # answered, not cut off
        assert only_this_task()
    assert check.runs >= 4 and check.failures == 1
    assert check.runs == len(emu.app.requests)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]  # no run cut off
    assert [r.getMessage() for r in caplog.records if r.name == "apscheduler_job"] == [
        "watching 60 jobs",
        "check failed: HTTP 429 (errorCode 400): Quota Exceeded - Too many requests.",
    ]


async def test_apscheduler_check_skips_runs_as_a_5xx_asks_but_no_longer_than_max_wait(
    emu: RunningEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="apscheduler_job")
    # The 1st run meets a 503 that asks for 0.2 s, the 2nd a quota that asks for 1e9 s.
    emu.app.faults = FaultPlan.script(ServerFailure(503), Throttle("400", retry_after=1e9))
    transport = InProcess(emu.app, headers={0: {"Retry-After": "0.2"}})
    async with in_process_client(emu, transport) as client:
        check = apscheduler_job.StatusCheck(client, max_wait=0.3)
        await check.run()  # the 503
        await check.run()  # skipped: within the 0.2 s asked for
        assert (check.runs, check.failures, len(transport.times)) == (1, 1, 1)
        await asyncio.sleep(0.25)
        await check.run()  # the quota: 1e9 s asked for, 0.3 s taken
        await check.run()  # skipped
        assert (check.runs, check.failures, len(transport.times)) == (2, 2, 2)
        await asyncio.sleep(0.35)
        await check.run()
    assert (check.runs, check.failures, len(transport.times)) == (3, 2, 3)
    assert [r.getMessage() for r in caplog.records if r.name == "apscheduler_job"] == [
        "check failed: HTTP 503 (errorCode 500): Endpoint Error - The endpoint failed to respond.",
        "asked to wait 1e+09 s; waiting max_wait, 0.3 s",
        "check failed: HTTP 429 (errorCode 400): Quota Exceeded - Too many requests.",
        "watching 60 jobs",
    ]


# fan_out.py


async def test_fan_out_merges_every_filter_by_job_id(emu: RunningEmulator) -> None:
    by_status = [fan_out.Filter(status=status) for status in fan_out.QUERY_STATUSES]
    by_name = fan_out.Filter(name="job")
    filters = [*by_status, by_name, fan_out.Filter(status="RUNNING", name="job")]
    async with client_for(emu) as client:
        result = await fan_out.main(client, [*filters, filters[0]], concurrency=3)
    assert result.errors == {}
    assert len(result.matched) == len(filters)  # each distinct filter walked once
    jobs = {job["jobId"]: job for job in emu.app.jobs}
    listed = {i for i, job in jobs.items() if job["status"] in fan_out.QUERY_STATUSES}
    named = {i for i, job in jobs.items() if "job" in job["name"]}
    assert sum(result.matched[f] for f in by_status) == len(listed)
    assert result.matched[by_name] == len(named)
    # The filters overlap: a job matched by two or three of them is merged into one.
    assert listed & named
    assert set(result.jobs) == listed | named
    assert len(result.jobs) < sum(result.matched.values())
    for job_id, job in result.jobs.items():
        source = jobs[job_id]
        assert (job.name, job.status) == (source["name"], source["status"])
        assert job.last_execution_status == source.get("lastExecutionStatus")
    assert str(filters[-1]) == "status=RUNNING name='job'" and str(fan_out.Filter()) == "all jobs"


@pytest.mark.parametrize(
    "updated", ["2026-10-31T09:00:00+09:00", "2026-01-01T09:00:00+09:00"], ids=["later", "earlier"]
)
async def test_fan_out_keeps_the_most_recently_updated_of_two_sightings(
    emu: RunningEmulator, updated: str
) -> None:
    """One job seen by two walks, changed in between: the record updated last wins, whether
    the second walk saw it later (a later updatedDate) or not (an earlier one)."""
    job = first_job(emu, status="RUNNING")
    assert [j["jobId"] for j in emu.app.jobs if job["name"] in j["name"]] == [job["jobId"]]
    changed = other_execution_status(job)
    filters = [fan_out.Filter(name=job["name"]), fan_out.Filter(status="RUNNING")]

    def change_after_the_first_walk(n: int) -> None:
        if n == 0:
            edit_job(emu, job["jobId"], lastExecutionStatus=changed, updatedDate=updated)

    transport = InProcess(emu.app, served=change_after_the_first_walk)
    async with in_process_client(emu, transport) as client:
        result = await fan_out.main(client, filters, concurrency=1)  # one walk, then the other
    assert len(transport.times) == 2 and result.errors == {}
    assert result.matched == {
        filters[0]: 1,
        filters[1]: sum(j["status"] == "RUNNING" for j in emu.app.jobs),
    }
    merged = result.jobs[job["jobId"]]
    if updated > job["updatedDate"]:  # the second sighting is the newer one
        assert (merged.last_execution_status, merged.updated_date.isoformat()) == (changed, updated)
    else:  # the first is, though it was seen first
        assert merged.last_execution_status == job.get("lastExecutionStatus") != changed
        assert merged.updated_date.isoformat() == job["updatedDate"]


async def test_fan_out_raises_an_unexpected_error_in_an_exception_group(
    emu: RunningEmulator,
) -> None:
    emu.app.faults = FaultPlan.script(Latency(0.3))  # the good walk is still waiting ...
    filters = [fan_out.Filter(status="RUNNING"), fan_out.Filter(status="bogus")]
    async with client_for(emu) as client:
        with pytest.raises(ExceptionGroup) as caught:
            await fan_out.main(client, filters)
    assert caught.group_contains(ValueError, match="status must be one of")
    assert len(caught.value.exceptions) == 1  # ... and is cancelled, not failed
    assert only_this_task()


async def test_fan_out_reports_the_failing_filter_and_keeps_the_others(
    emu: RunningEmulator,
) -> None:
    filters = [fan_out.Filter(status=status) for status in ("RUNNABLE", "RUNNING", "STOPPED")]
    emu.app.faults = FaultPlan.script(Throttle("400"))  # the first request: not retried
    async with client_for(emu) as client:
        result = await fan_out.main(client, filters, concurrency=2)
    [(failed, error)] = result.errors.items()
    assert isinstance(error, QuotaExceededError)
    assert failed not in result.matched and len(result.matched) == 2
    assert set(result.jobs) == {
        job["jobId"]
        for job in emu.app.jobs
        if job["status"] in {f.status for f in filters if f != failed}
    }


async def test_fan_out_runs_at_most_concurrency_walks_at_once(emu: RunningEmulator) -> None:
    emu.app.faults = FaultPlan.random(seed=1, rate=1.0, faults=[Latency(0.2)])
    filters = [fan_out.Filter(status=status) for status in ("RUNNABLE", "RUNNING", "DRAFT")]
    filters.append(fan_out.Filter(status="READY"))
    async with client_for(emu) as client:
        result = await fan_out.main(client, filters, concurrency=2)
    assert result.errors == {} and len(result.matched) == 4
    arrivals = sorted(r.received_at for r in emu.app.requests)
    assert len(arrivals) == 4
    assert arrivals[1] - arrivals[0] < 0.15  # two at once ...
    assert arrivals[2] - arrivals[0] >= 0.19  # ... and the third once one of them is done


def user_environment(emu: RunningEmulator) -> dict[str, str]:
    """The environment of a user who followed the emulator's instructions."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NCLOUD_", "DATAFLOW_"))}
    return env | {
        "NCLOUD_ACCESS_KEY_ID": emu.credentials.access_key,
        "NCLOUD_SECRET_ACCESS_KEY": emu.credentials.secret_key,
        "DATAFLOW_ASYNC_ENDPOINT": emu.url,
    }


def test_fan_out_runs_from_a_shell(emu: RunningEmulator) -> None:
    done = subprocess.run(
        [sys.executable, "-W", "error", str(EXAMPLES / "fan_out.py")],
        env=user_environment(emu),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    running = sum(job["status"] == "RUNNING" for job in emu.app.jobs)
    assert f"status=RUNNING: {running} jobs" in lines
    # One filter per documented query status; READY (a later revision's) is not asked for.
    listed = sum(job["status"] in fan_out.QUERY_STATUSES for job in emu.app.jobs)
    assert 0 < listed < 60  # the emulator has READY jobs: the default filters miss them
    assert lines[-1] == f"{listed} distinct jobs from {len(fan_out.QUERY_STATUSES)} filters"
    assert set(fan_out.QUERY_STATUSES) == set(JobStatus) - {JobStatus.READY}
    assert not [r for r in emu.app.requests if "READY" in r.target]

    emu.app.faults = FaultPlan.script(Throttle("400"))
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "fan_out.py"), "a", "job"],
        env=user_environment(emu),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 1
    assert "failed: HTTP 429 (errorCode 400): Quota Exceeded" in done.stdout
    assert done.stdout.splitlines()[-1].endswith("from 2 filters (1 failed)")


# docs/recipes.md


def is_excerpt(block: str, source: str) -> bool:
    """Whether ``block`` is a run of lines of ``source``, maybe dedented."""
    want = block.rstrip("\n")
    size = want.count("\n") + 1
    lines = source.split("\n")
    return any(textwrap.dedent("\n".join(lines[i : i + size])) == want for i in range(len(lines)))


def test_recipes_page_quotes_and_embeds_every_example() -> None:
    page = (EXAMPLES.parent / "recipes.md").read_text()
    scheduling = (EXAMPLES.parent / "scheduling.md").read_text()  # embeds its own recipes
    sources = {
        path.name: path.read_text()
        for path in EXAMPLES.glob("*.py")
        if f'"docs/examples/{path.name}"' not in scheduling
    }
    assert set(sources) == {"poll_status.py", "apscheduler_job.py", "fan_out.py"}
    embedded = []
    for block in re.findall(r"```python\n(.*?)```", page, flags=re.S):
        if block.startswith("--8<--"):
            embedded.append(block.split('"')[1])
        else:
            excerpt = block.split("\n", 1)[1] if block.startswith("# fragment:") else block
            assert any(is_excerpt(excerpt, source) for source in sources.values()), block
    assert sorted(embedded) == sorted(f"docs/examples/{name}" for name in sources)
    for module in (poll_status, apscheduler_job, fan_out):
        assert "python docs/examples/" in module.__doc__
        assert inspect.iscoroutinefunction(module.main)
