"""Servers written to attack the terminal through the commands of every resource:
escape sequences and bidirectional overrides in executions, workflows, triggers and
error messages, in every output format, and while ``--wait`` draws its status line."""

from __future__ import annotations

import csv
import io
import json
import sys
from typing import Any

import pytest

from .conftest import HostileServer, assert_error, json_answer, run
from .test_hostile import ATTACKS, BIDI, CLEAR, HOSTILE, TITLE, Start, assert_clean

DATE = "2026-11-30T09:00:00+09:00"
EXECUTION = {
    "jobExecutionId": "exec0001",
    "jobId": "job0001",
    "status": "FAILED",
    "jobName": HOSTILE,
    "triggerName": f"={HOSTILE}",
    "type": f"{TITLE}JOB",
    "createdDate": DATE,
    "parsedParameters": {BIDI: CLEAR},
}
WORKFLOW = {
    "workflowId": "wf0001",
    "name": HOSTILE,
    "nodes": [{"id": "t1", "name": HOSTILE, "type": "TRIGGER"}],
    "triggerRuleType": CLEAR,
}
TRIGGER = {
    "triggerId": "tr0001",
    "name": HOSTILE,
    "type": "SCHEDULED",
    "triggerRule": {"type": "RECURRING", "interval": "DAY", "time": f"02:00{TITLE}"},
    "updatedDate": DATE,
}
ERROR = {"error": {"errorCode": TITLE, "message": f"{CLEAR}refused{BIDI}", "details": HOSTILE}}


def page(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"list": items, "count": len(items), "page": 0, "limit": 100}


def answer(path: str) -> tuple[int, dict[str, str], bytes]:
    route = path.split("?")[0]
    if route.endswith("/fail"):
        return json_answer(400, ERROR)
    if "/workflows" in route and route.endswith("/executions") and "?" in path:
        return json_answer(200, page([EXECUTION]))
    if "/jobs/" in route and "/executions" in route:
        return json_answer(200, page([EXECUTION]) if "?" in path else EXECUTION)
    if route == "/api/v1/workflows":
        return json_answer(200, page([WORKFLOW]))
    if route.startswith("/api/v1/workflows/"):
        return json_answer(200, WORKFLOW)
    if route == "/api/v1/triggers":
        return json_answer(200, page([TRIGGER]))
    if route.startswith("/api/v1/triggers/"):
        return json_answer(200, TRIGGER)
    return json_answer(404, ERROR)


@pytest.fixture
def server(hostile: Start) -> HostileServer:
    return hostile(answer)


COMMANDS = [
    ["executions", "list", "job0001"],
    ["executions", "get", "job0001", "exec0001"],
    ["executions", "start", "job0001"],
    ["workflows", "list"],
    ["workflows", "get", "wf0001"],
    ["workflows", "executions", "wf0001"],
    ["triggers", "list"],
    ["triggers", "get", "tr0001"],
]


@pytest.mark.parametrize("argv", COMMANDS, ids=lambda argv: " ".join(argv[:2]))
def test_tables_show_attacks_as_question_marks(
    capsys: pytest.CaptureFixture[str], server: HostileServer, argv: list[str]
) -> None:
    code, out, err = run(capsys, *argv, "--endpoint", server.url)
    assert (code, err) == (0, "")
    assert_clean(out)
    assert "owned" in out and "?" in out  # shown, defused


@pytest.mark.parametrize("argv", COMMANDS, ids=lambda argv: " ".join(argv[:2]))
def test_json_escapes_attacks_and_decodes_to_the_same_text(
    capsys: pytest.CaptureFixture[str], server: HostileServer, argv: list[str]
) -> None:
    code, out, err = run(capsys, *argv, "--endpoint", server.url, "-o", "json")
    assert (code, err) == (0, "")
    assert_clean(out)
    assert HOSTILE in out.encode().decode("unicode_escape") or HOSTILE in json.dumps(
        json.loads(out), ensure_ascii=False
    )


@pytest.mark.parametrize(
    "argv",
    [c for c in COMMANDS if c[1] in ("list", "executions")],
    ids=lambda argv: " ".join(argv[:2]),
)
def test_csv_keeps_no_attack_and_defuses_formulas(
    capsys: pytest.CaptureFixture[str], server: HostileServer, argv: list[str]
) -> None:
    code, out, err = run(capsys, *argv, "--endpoint", server.url, "-o", "csv")
    assert (code, err) == (0, "")
    assert_clean(out)
    for row in csv.reader(io.StringIO(out)):
        assert not any(cell.startswith(("=", "+", "@")) for cell in row), row


def test_wait_on_a_terminal_shows_no_attack_and_exits_5_for_failed(
    capsys: pytest.CaptureFixture[str],
    server: HostileServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setenv("TERM", "xterm")
    stderr = Terminal()
    monkeypatch.setattr(sys, "stderr", stderr)
    argv = ["executions", "start", "job0001", "--wait", "--endpoint", server.url]
    code, out, _ = run(capsys, *argv, "--poll-interval", "0.01")
    assert code == 5
    assert_clean(out)
    assert_clean(stderr.getvalue())
    assert "FAILED" in stderr.getvalue()


@pytest.mark.parametrize(
    "argv",
    [
        ["jobs", "create", "-n", "etl-job"],
        ["jobs", "delete", "nojob"],
        ["executions", "cancel", "job0001", "fail"],
        ["triggers", "create", "-n", "nightly", "-t", "NONE", "--rule-type", "NONE"],
        ["triggers", "delete", "nope"],
        ["workflows", "execute", "wf0001", "--wait"],
        ["stats", "result"],
    ],
    ids=lambda argv: " ".join(argv[:2]),
)
def test_error_messages_show_no_attack(
    capsys: pytest.CaptureFixture[str], hostile: Start, argv: list[str]
) -> None:
    server = hostile(lambda path: json_answer(400, ERROR))
    code, out, err = run(capsys, *argv, "--endpoint", server.url, "--max-retries", "0")
    assert (code, out) == (1, "")
    assert_error(err, "refused")
    for char in ATTACKS:
        assert char not in err
