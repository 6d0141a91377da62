"""The recipes of docs/examples, run against the emulator so that none of them rots.

Each example is loaded from its file, as a user would copy it, and driven through its
``main`` with short intervals; two are also run as a user runs them, in a subprocess.
"""

from __future__ import annotations

import asyncio
import importlib.util
import inspect
import logging
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from dataflow_async import DataFlowClient, JobStatus, QuotaExceededError, RetryPolicy
from dataflow_async.emulator import (
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


# fan_out.py


async def test_fan_out_merges_every_filter_by_job_id(emu: RunningEmulator) -> None:
    filters = [fan_out.Filter(status=status) for status in JobStatus]
    filters += [fan_out.Filter(name="job"), fan_out.Filter(status="RUNNING", name="job")]
    async with client_for(emu) as client:
        result = await fan_out.main(client, [*filters, filters[0]], concurrency=3)
    assert result.errors == {}
    assert set(result.jobs) == {job["jobId"] for job in emu.app.jobs}
    assert len(result.matched) == len(filters)  # each distinct filter walked once
    assert sum(result.matched[f] for f in filters[: len(JobStatus)]) == len(emu.app.jobs)
    assert result.matched[filters[-2]] > 0  # overlapping filters, merged
    assert all(job.status == result.jobs[job.job_id].status for job in result.jobs.values())
    assert str(filters[-1]) == "status=RUNNING name='job'" and str(fan_out.Filter()) == "all jobs"


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
    assert lines[-1] == f"60 distinct jobs from {len(JobStatus)} filters"

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
    sources = {path.name: path.read_text() for path in EXAMPLES.glob("*.py")}
    assert set(sources) == {"poll_status.py", "apscheduler_job.py", "fan_out.py"}
    embedded = []
    for block in re.findall(r"```python\n(.*?)```", page, flags=re.S):
        if block.startswith("--8<--"):
            embedded.append(block.split('"')[1])
        else:
            assert any(is_excerpt(block, source) for source in sources.values()), block
    assert sorted(embedded) == sorted(f"docs/examples/{name}" for name in sources)
    for module in (poll_status, apscheduler_job, fan_out):
        assert "python docs/examples/" in module.__doc__
        assert inspect.iscoroutinefunction(module.main)
