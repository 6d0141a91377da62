"""``workflows list|get|execute|executions`` against the emulator."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from dataflow_async import ExecutionStatus, WorkflowRun
from dataflow_async._cli import _workflows
from dataflow_async.emulator import make_jobs, make_triggers, make_workflows, run_emulator

from .conftest import assert_error, assert_usage_error, run

FAST = ("--poll-interval", "0.02", "--poll-max", "0.05")


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    jobs = make_jobs(4, seed=2)
    triggers = make_triggers(2)
    with run_emulator(
        jobs=jobs, triggers=triggers, workflows=make_workflows(jobs, triggers, 2)
    ) as emulator:
        emulator.app.executions.plan(None, ready=0.02, running=0.05)
        monkeypatch.setenv("NCLOUD_ACCESS_KEY_ID", emulator.credentials.access_key)
        monkeypatch.setenv("NCLOUD_SECRET_ACCESS_KEY", emulator.credentials.secret_key)
        yield emulator


def manual(served: Any) -> str:
    """The workflow started by hand (the first: its trigger is a NONE one)."""
    return str(next(iter(served.app.workflows)))


def wf(capsys: pytest.CaptureFixture[str], served: Any, *argv: str) -> tuple[int, str, str]:
    return run(capsys, "workflows", *argv, "--endpoint", served.url)


# --------------------------------------------------------------------------- unhappy paths


@pytest.mark.parametrize(
    ("argv", "command", "words"),
    [
        (["get"], "workflows get WORKFLOW_ID", ["WORKFLOW_ID"]),
        (["execute", "W", "--timeout", "3"], "workflows execute WORKFLOW_ID", ["only with"]),
        (["execute", "W", "--wait", "--poll-max", "-1"], "workflows execute WORKFLOW_ID", []),
        (["executions"], "workflows executions WORKFLOW_ID", ["WORKFLOW_ID"]),
        (["list", "-o", "xml"], "workflows list", ["jsonl", "'xml'"]),
        (["list", "--max-item", "3"], "workflows list", ["--max-items"]),
    ],
)
def test_bad_arguments_exit_2_before_any_request(
    capsys: pytest.CaptureFixture[str],
    idle: Any,
    argv: list[str],
    command: str,
    words: list[str],
) -> None:
    code, out, err = wf(capsys, idle, *argv)
    assert (code, out) == (2, "")
    assert_usage_error(err, command, *words)
    assert idle.app.requests == []


@pytest.mark.parametrize(
    "argv", [["get", "nowf"], ["execute", "nowf"], ["execute", "nowf", "--wait", *FAST]]
)
def test_unknown_workflow_exits_1_with_nothing_on_stdout(
    capsys: pytest.CaptureFixture[str], served: Any, argv: list[str]
) -> None:
    code, out, err = wf(capsys, served, *argv, "-o", "json")
    assert (code, out) == (1, "")
    assert_error(err, "404")


# --------------------------------------------------------------------------- --wait


@pytest.mark.parametrize(("outcome", "code"), [("COMPLETED", 0), ("FAILED", 5)])
def test_execute_wait_exits_with_the_run_status(
    capsys: pytest.CaptureFixture[str], served: Any, outcome: str, code: int
) -> None:
    served.app.executions.plan(None, outcome=outcome, ready=0.02, running=0.05)
    got, out, err = wf(capsys, served, "execute", manual(served), "--wait", *FAST, "-o", "json")
    assert (got, err) == (code, "")
    record = json.loads(out)
    assert record["status"] == outcome
    assert record["workflow_id"] == manual(served)
    assert [e["status"] for e in record["executions"]] == [outcome] * len(record["executions"])


def test_execute_wait_table_shows_the_run_then_its_executions(
    capsys: pytest.CaptureFixture[str], served: Any
) -> None:
    code, out, _ = wf(capsys, served, "execute", manual(served), "--wait", *FAST)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["WORKFLOW", "ID", manual(served)]
    assert lines[2].split() == ["STATUS", "COMPLETED"]
    assert lines[5].startswith("EXECUTION ID")


def test_execute_wait_timeout_exits_7(capsys: pytest.CaptureFixture[str], served: Any) -> None:
    served.app.executions.plan(None, ready=0.0, running=600)
    code, out, err = wf(
        capsys, served, "execute", manual(served), "--wait", "--timeout", "0.2", *FAST
    )
    assert (code, out) == (7, "")
    assert_error(err, "goes on on the server")


@pytest.mark.parametrize(
    ("status", "code"),
    [(ExecutionStatus.COMPLETED, 0), (ExecutionStatus.FAILED, 5), (ExecutionStatus.CANCELED, 6)],
)
def test_run_status_to_exit_code(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, status: Any, code: int
) -> None:
    """CANCELED cannot come from the emulator's plans: the run is stubbed."""
    finished = WorkflowRun(workflow_id="W1", trigger_id=None, executions=(), status=status)

    async def fake_run(self: Any, workflow_id: str, **kwargs: Any) -> WorkflowRun:
        return finished

    monkeypatch.setattr("dataflow_async.resources.Workflows.run", fake_run)
    monkeypatch.setenv("NCLOUD_ACCESS_KEY_ID", "AKEYAKEYAKEY")
    monkeypatch.setenv("NCLOUD_SECRET_ACCESS_KEY", "SECRETSECRET")
    got, out, _ = run(
        capsys, "workflows", "execute", "W1", "--wait", "--endpoint", "http://127.0.0.1:9"
    )
    assert got == code
    assert f"STATUS       {status}" in out


def test_the_first_library_error_of_several_is_reported() -> None:
    from dataflow_async import NotFoundError, WaitTimeoutError

    inner = WaitTimeoutError("late")
    group = BaseExceptionGroup("waits", [ValueError("x"), ExceptionGroup("inner", [inner])])
    assert _workflows._first_error(group) is inner
    plain = ValueError("only")
    assert _workflows._first_error(BaseExceptionGroup("w", [plain])) is plain
    assert NotFoundError  # the other library errors take the same path


# --------------------------------------------------------------------------- happy paths


def test_list_get_execute_and_executions(capsys: pytest.CaptureFixture[str], served: Any) -> None:
    code, out, err = wf(capsys, served, "list", "-o", "jsonl")
    assert (code, err) == (0, "")
    ids = [json.loads(line)["workflow_id"] for line in out.splitlines()]
    assert ids and manual(served) in ids
    code, out, _ = wf(capsys, served, "get", manual(served), "-o", "json")
    assert json.loads(out)["nodes"][0]["type"] == "TRIGGER"
    code, out, _ = wf(capsys, served, "execute", manual(served))
    assert code == 0
    assert [line.split() for line in out.splitlines()][1] == ["STATUS", "ACCEPTED"]
    code, out, _ = wf(capsys, served, "executions", manual(served), "-o", "csv")
    rows = out.splitlines()
    assert rows[0].startswith("execution_id,job_id,status")
    assert len(rows) >= 2
    code, out, _ = wf(capsys, served, "list")
    assert out.splitlines()[-1] == f"{len(ids)} workflows"
