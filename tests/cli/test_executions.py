"""``executions start|list|get|cancel`` against the emulator: bad input, 404, the exit
codes of ``--wait``, ambiguous starts, and the output formats."""

from __future__ import annotations

import asyncio
import io
import json
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from dataflow_async import DataFlowClient
from dataflow_async._cli import _waiting
from dataflow_async.emulator import FaultPlan, LostResponse, make_jobs, run_emulator

from .conftest import assert_error, assert_usage_error, run

FAST = ("--poll-interval", "0.02", "--poll-max", "0.05")


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """An emulator whose runs take a fraction of a second."""
    with run_emulator(jobs=make_jobs(3, seed=3)) as emulator:
        emulator.app.executions.plan(None, ready=0.02, running=0.05)
        monkeypatch.setenv("NCLOUD_ACCESS_KEY_ID", emulator.credentials.access_key)
        monkeypatch.setenv("NCLOUD_SECRET_ACCESS_KEY", emulator.credentials.secret_key)
        yield emulator


def job_id(served: Any) -> str:
    return str(served.app.jobs[0]["jobId"])


def execs(capsys: pytest.CaptureFixture[str], served: Any, *argv: str) -> tuple[int, str, str]:
    return run(capsys, "executions", *argv, "--endpoint", served.url)


# --------------------------------------------------------------------------- unhappy paths


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["start"], ["JOB_ID"]),
        (["start", "J", "--timeout", "5"], ["--timeout", "only with --wait"]),
        (["start", "J", "--cancel-on-interrupt"], ["--cancel-on-interrupt", "only with --wait"]),
        (["start", "J", "-p", "novalue"], ["KEY=VALUE", "novalue"]),
        (["start", "J", "--wait", "--timeout", "0"], ["--timeout", "above 0"]),
        (["start", "J", "--wait", "--poll-interval", "nan"], ["--poll-interval"]),
        (["start", "J", "-o", "yaml"], ["table, json", "yaml"]),
        (["start", "J", "--wai"], ["--wai", "--wait"]),
        (["get", "J"], ["EXECUTION_ID"]),
        (["cancel", "J"], ["EXECUTION_ID"]),
        (["list", "J", "--page-size", "0"], ["--page-size"]),
    ],
)
def test_bad_arguments_exit_2_in_one_style_before_any_request(
    capsys: pytest.CaptureFixture[str], idle: Any, argv: list[str], words: list[str]
) -> None:
    code, out, err = execs(capsys, idle, *argv)
    assert (code, out) == (2, "")
    command = "executions " + argv[0] + (" JOB_ID" if argv[0] == "start" else "")
    if argv[0] in ("get", "cancel"):
        command = f"executions {argv[0]} JOB_ID EXECUTION_ID"
    if argv[0] == "list":
        command = "executions list JOB_ID"
    assert_usage_error(err, command, *words)
    assert idle.app.requests == []


def test_a_bad_job_id_is_refused_by_the_library_as_usage(
    capsys: pytest.CaptureFixture[str], idle: Any
) -> None:
    code, out, err = execs(capsys, idle, "start", "a/b", "--wait")
    assert (code, out) == (2, "")
    assert_usage_error(err, "executions start JOB_ID", "job_id")
    assert idle.app.requests == []


@pytest.mark.parametrize(
    "argv",
    [
        ["start", "nojob"],
        ["start", "nojob", "--wait", *FAST],
        ["get", "nojob", "noexec"],
        ["cancel", "nojob", "noexec"],
        ["list", "nojob"],
    ],
)
def test_unknown_ids_exit_1_with_nothing_on_stdout(
    capsys: pytest.CaptureFixture[str], served: Any, argv: list[str]
) -> None:
    code, out, err = execs(capsys, served, *argv, "-o", "json")
    assert code == 1
    assert out in ("", "[]\n")  # a list closes its (empty) array
    assert_error(err, "404")


# --------------------------------------------------------------------------- --wait


@pytest.mark.parametrize(("outcome", "code"), [("COMPLETED", 0), ("FAILED", 5)])
def test_wait_exits_with_the_outcome(
    capsys: pytest.CaptureFixture[str], served: Any, outcome: str, code: int
) -> None:
    served.app.executions.plan(None, outcome=outcome, ready=0.02, running=0.05)
    got, out, err = execs(capsys, served, "start", job_id(served), "--wait", *FAST, "-o", "json")
    assert (got, err) == (code, "")
    record = json.loads(out)
    assert record["status"] == outcome
    assert record["job_id"] == job_id(served)
    assert len(served.app.executions.list(job_id(served))) == 1  # started once


def test_wait_exits_6_when_the_run_is_cancelled_meanwhile(
    capsys: pytest.CaptureFixture[str], served: Any
) -> None:
    served.app.executions.plan(None, ready=0.0, running=600)
    job = job_id(served)

    def cancel_when_started() -> None:
        for _ in range(500):  # bounded: 5 s
            started = served.app.executions.list(job)
            if started:
                asyncio.run(_cancel(served, job, started[0]["jobExecutionId"]))
                return
            time.sleep(0.01)

    canceller = threading.Thread(target=cancel_when_started)
    canceller.start()
    code, out, err = execs(capsys, served, "start", job, "--wait", *FAST)
    canceller.join(timeout=10)
    assert (code, err) == (6, "")
    assert "CANCELED" in out.splitlines()[2]  # the key/value table: STATUS  CANCELED


async def _cancel(served: Any, job: str, execution: str) -> None:
    async with DataFlowClient(served.credentials, base_url=served.url) as client:
        await client.executions.cancel(job, execution)


def test_wait_timeout_exits_7_printing_the_last_state_and_that_it_goes_on(
    capsys: pytest.CaptureFixture[str], served: Any
) -> None:
    served.app.executions.plan(None, ready=0.0, running=600)
    code, out, err = execs(
        capsys, served, "start", job_id(served), "--wait", "--timeout", "0.2", *FAST, "-o", "json"
    )
    assert code == 7
    assert json.loads(out)["status"] in ("READY", "RUNNING")
    assert_error(err, "did not finish", "goes on on the server")
    assert served.app.executions.list(job_id(served))[0]["status"] != "CANCELED"


def test_an_ambiguous_start_found_again_is_waited_for_not_repeated(
    capsys: pytest.CaptureFixture[str], served: Any
) -> None:
    served.app.faults = FaultPlan.script(LostResponse(), methods=("POST",))
    code, out, err = execs(capsys, served, "start", job_id(served), "--wait", *FAST, "-o", "json")
    assert (code, err) == (0, "")
    assert json.loads(out)["status"] == "COMPLETED"
    assert len(served.app.executions.list(job_id(served))) == 1


def test_an_ambiguous_start_that_cannot_be_settled_names_the_candidates(
    capsys: pytest.CaptureFixture[str], served: Any
) -> None:
    job = job_id(served)
    assert execs(capsys, served, "start", job)[0] == 0  # another run of the job, just now
    served.app.faults = FaultPlan.script(LostResponse(), methods=("POST",))
    code, out, err = execs(capsys, served, "start", job, "--wait", *FAST, "-o", "json")
    assert code == 4
    assert out == ""
    ids = [e["jobExecutionId"] for e in served.app.executions.list(job)]
    assert len(ids) == 2
    assert_error(err, "2 executions were created", *ids)


def test_wait_line_shows_status_and_elapsed_time_on_a_terminal_only(
    capsys: pytest.CaptureFixture[str], served: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setenv("TERM", "xterm")
    stderr = Terminal()
    monkeypatch.setattr(sys, "stderr", stderr)
    code, out, _ = execs(capsys, served, "start", job_id(served), "--wait", *FAST)
    assert code == 0
    shown = stderr.getvalue()
    assert f"\rjob {job_id(served)}  READY  0s" in shown
    assert "COMPLETED  0s" in shown
    assert shown.endswith("\r")  # erased before the result is printed
    assert "STATUS" in out and "COMPLETED" in out


def test_wait_line_is_not_drawn_into_a_pipe(
    capsys: pytest.CaptureFixture[str], served: Any
) -> None:
    code, _, err = execs(capsys, served, "start", job_id(served), "--wait", *FAST)
    assert (code, err) == (0, "")


def test_wait_line_counts_minutes_and_erases_itself() -> None:
    now = [100.0]
    stream = io.StringIO()
    line = _waiting.WaitLine(stream, enabled=True, label="job J", clock=lambda: now[0])
    line.seen("RUNNING")
    now[0] += 65
    line.draw()
    line.seen("RUN\x1b]0;x\x07")
    line.clear()
    assert stream.getvalue().split("\r")[1:] == [
        "job J  RUNNING  0s",
        "job J  RUNNING  1m 05s",
        "job J  RUN?]0;x?  1m 05s",
        " " * len("job J  RUN?]0;x?  1m 05s"),
        "",
    ]


@pytest.mark.parametrize(
    ("status", "code"),
    [("COMPLETED", 0), ("FAILED", 5), ("CANCELED", 6), ("SOMETHING_NEW", 1)],
)
def test_exit_codes_of_finished_statuses(status: str, code: int) -> None:
    from dataflow_async import ExecutionStatus

    known = {s.value: s for s in ExecutionStatus}
    assert _waiting.exit_code(known.get(status, status)) == code


# --------------------------------------------------------------------------- happy paths


def test_start_without_wait_prints_the_started_execution(
    capsys: pytest.CaptureFixture[str], served: Any
) -> None:
    code, out, err = execs(capsys, served, "start", job_id(served), "-p", "day=2026-01-31")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    (stored,) = served.app.executions.list(job_id(served))
    assert lines[0].split() == ["EXECUTION", "ID", stored["jobExecutionId"]]
    assert lines[2].split() == ["STATUS", "READY"]
    assert '"day":"2026-01-31"' in out  # the run's parameters, in its job condition


def test_list_get_and_cancel(capsys: pytest.CaptureFixture[str], served: Any) -> None:
    job = job_id(served)
    served.app.executions.plan(None, ready=0.0, running=600)
    for _ in range(3):
        assert execs(capsys, served, "start", job)[0] == 0
    code, out, err = execs(capsys, served, "list", job, "-o", "jsonl")
    assert (code, err) == (0, "")
    records = [json.loads(line) for line in out.splitlines()]
    assert len(records) == 3
    first = records[0]["execution_id"]
    code, out, _ = execs(capsys, served, "get", job, first, "-o", "json")
    assert (code, json.loads(out)["execution_id"]) == (0, first)
    code, out, _ = execs(capsys, served, "cancel", job, first)
    assert (code, out) == (0, f"cancel requested: execution {first} of job {job}\n")
    code, out, _ = execs(capsys, served, "cancel", job, records[1]["execution_id"], "-o", "json")
    assert json.loads(out) == {
        "job_id": job,
        "execution_id": records[1]["execution_id"],
        "cancel_requested": True,
    }
    statuses = {e["jobExecutionId"]: e["status"] for e in served.app.executions.list(job)}
    assert statuses[first] == "CANCELED"
    code, out, _ = execs(capsys, served, "list", job)
    assert out.splitlines()[0].split()[:4] == ["EXECUTION", "ID", "JOB", "ID"]
    assert out.splitlines()[-1] == "3 executions"


def test_request_timeout_is_the_per_answer_timeout_of_start(
    capsys: pytest.CaptureFixture[str], served: Any
) -> None:
    code, _, err = execs(capsys, served, "start", job_id(served), "--request-timeout", "5")
    assert (code, err) == (0, "")


def test_a_full_job_exits_1_with_a_hint_or_waits_for_a_slot(
    capsys: pytest.CaptureFixture[str], served: Any
) -> None:
    created = served.app.jobs[0]
    job = created["jobId"]
    served.app.jobs[0] = {**created, "maxConcurrentRuns": 1}
    served.app.executions.plan(None, ready=0.0, running=600)
    assert execs(capsys, served, "start", job)[0] == 0
    (first,) = served.app.executions.list(job)
    code, out, err = execs(capsys, served, "start", job, "--wait", *FAST)
    assert (code, out) == (1, "")
    assert_error(err, "--wait-for-slot", hint=True)

    def free_the_slot_once_refused_again() -> None:
        for _ in range(500):  # bounded: 5 s
            refused = [r for r in served.app.requests if r.method == "POST" and r.status == 400]
            if len(refused) >= 2:
                asyncio.run(_cancel(served, job, first["jobExecutionId"]))
                return
            time.sleep(0.01)

    served.app.executions.plan(None, ready=0.0, running=0.05)
    freer = threading.Thread(target=free_the_slot_once_refused_again)
    freer.start()
    code, out, err = execs(capsys, served, "start", job, "--wait", "--wait-for-slot", *FAST)
    freer.join(timeout=10)
    assert (code, err) == (0, "")
    assert "COMPLETED" in out
    assert len(served.app.executions.list(job)) == 2  # the refused starts started nothing
