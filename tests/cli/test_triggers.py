"""``triggers list|get|create|delete`` against the emulator."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dataflow_async.emulator import make_jobs, make_triggers, run_emulator

from .conftest import assert_error, assert_usage_error, run


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    with run_emulator(jobs=make_jobs(1), triggers=make_triggers(3)) as emulator:
        monkeypatch.setenv("NCLOUD_ACCESS_KEY_ID", emulator.credentials.access_key)
        monkeypatch.setenv("NCLOUD_SECRET_ACCESS_KEY", emulator.credentials.secret_key)
        yield emulator


def trig(capsys: pytest.CaptureFixture[str], served: Any, *argv: str) -> tuple[int, str, str]:
    return run(capsys, "triggers", *argv, "--endpoint", served.url)


NIGHTLY = ["-n", "nightly", "-t", "scheduled", "--rule-type", "recurring"]


# --------------------------------------------------------------------------- unhappy paths


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["-t", "SCHEDULED", "--rule-type", "ONE_TIME"], ["needs a name"]),
        (["-n", "nightly", "--rule-type", "ONE_TIME"], ["needs a type"]),
        (["-n", "nightly", "-t", "SCHEDULED"], ["rule type"]),
        ([*NIGHTLY, "--interval", "DAY"], ["RECURRING rule needs interval and time"]),
        ([*NIGHTLY, "--interval", "WEEK", "--time", "02:00"], ["day_of_week"]),
        ([*NIGHTLY, "--interval", "MONTH", "--time", "02:00", "--date-of-month", "32"], ["'32'"]),
        ([*NIGHTLY, "--interval", "WEEK", "--day-of-week", "MON"], ["MONDAY", "'MON'"]),
        ([*NIGHTLY, "--interval", "fortnight"], ["HOUR, DAY, WEEK, MONTH"]),
        (["-n", "once", "-t", "SCHEDULED", "--rule-type", "one_time"], ["execution_date"]),
    ],
)
def test_bad_create_arguments_exit_2_before_any_request(
    capsys: pytest.CaptureFixture[str], idle: Any, argv: list[str], words: list[str]
) -> None:
    code, out, err = trig(capsys, idle, "create", *argv)
    assert (code, out) == (2, "")
    assert_usage_error(err, "triggers create", *words)
    assert idle.app.requests == []


@pytest.mark.parametrize(
    ("argv", "command"),
    [(["get"], "triggers get TRIGGER_ID"), (["list", "-n", ""], "triggers list")],
)
def test_bad_arguments_exit_2(
    capsys: pytest.CaptureFixture[str], idle: Any, argv: list[str], command: str
) -> None:
    code, out, err = trig(capsys, idle, *argv)
    assert (code, out) == (2, "")
    assert_usage_error(err, command)


@pytest.mark.parametrize("argv", [["get", "notrig"], ["delete", "notrig"]])
def test_unknown_trigger_exits_1(
    capsys: pytest.CaptureFixture[str], served: Any, argv: list[str]
) -> None:
    code, out, err = trig(capsys, served, *argv, "-o", "json")
    assert (code, out) == (1, "")
    assert_error(err, "404", "notrig")


# --------------------------------------------------------------------------- happy paths


def test_create_weekly_from_options_then_get_list_delete(
    capsys: pytest.CaptureFixture[str], served: Any
) -> None:
    code, out, err = trig(
        capsys,
        served,
        "create",
        *NIGHTLY,
        "--interval",
        "week",
        "--time",
        "02:00",
        "--day-of-week",
        "monday,Friday",
        "-o",
        "json",
    )
    assert (code, err) == (0, "")
    created = json.loads(out)
    assert created["trigger_rule"]["day_of_week"] == ["MONDAY", "FRIDAY"]
    trigger_id = created["trigger_id"]
    code, out, _ = trig(capsys, served, "get", trigger_id)
    assert "RECURRING" in out and out.splitlines()[1].split() == ["NAME", "nightly"]
    code, out, _ = trig(capsys, served, "list", "-n", "nightly")
    lines = out.splitlines()
    assert lines[1].split()[:5] == [trigger_id, "nightly", "SCHEDULED", "RECURRING", "WEEK"]
    assert "MON,FRI at 02:00" in lines[1]
    assert trig(capsys, served, "delete", trigger_id) == (0, f"deleted trigger {trigger_id}\n", "")
    assert trigger_id not in served.app.triggers


def test_create_from_json_with_options_replacing_rule_fields(
    capsys: pytest.CaptureFixture[str], served: Any, tmp_path: Path
) -> None:
    body = {
        "name": "monthly",
        "type": "SCHEDULED",
        "triggerRule": {
            "type": "RECURRING",
            "interval": "MONTH",
            "time": "01:00",
            "dateOfMonth": "1",
        },
    }
    path = tmp_path / "trigger.json"
    path.write_text(json.dumps(body))
    code, out, err = trig(capsys, served, "create", "--json", str(path), "--date-of-month", "-1")
    assert (code, err) == (0, "")
    trigger_id = out.splitlines()[0].split()[-1]
    assert served.app.triggers[trigger_id]["triggerRule"]["dateOfMonth"] == "-1"
