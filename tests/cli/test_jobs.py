"""``dataflow-async jobs list`` against the emulator: bad input, failures, formats."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from dataflow_async._cli import _jobs
from dataflow_async.emulator import (
    FaultPlan,
    Latency,
    MalformedBody,
    ServerFailure,
    Throttle,
    run_emulator,
)

from .conftest import (
    assert_error,
    assert_usage_error,
    free_port,
    list_jobs,
    run,
)

FIELDS = _jobs.JOB_VIEW.fields
HEADERS = tuple(column.header for column in _jobs.JOB_COLUMNS)


def in_served_order(emulator: Any) -> list[dict[str, Any]]:
    """The emulator's jobs in the order it serves them: newest first, then by id."""
    return sorted(
        emulator.app.jobs,
        key=lambda job: (-datetime.fromisoformat(job["createdDate"]).timestamp(), job["jobId"]),
    )


def snake(record: dict[str, Any]) -> dict[str, Any]:
    """The API's camelCase job as the CLI's snake_case record (absent fields as null)."""
    names = {
        "jobId": "job_id",
        "name": "name",
        "type": "type",
        "status": "status",
        "createdDate": "created_date",
        "updatedDate": "updated_date",
        "resourceId": "resource_id",
        "disabled": "disabled",
        "lastExecutionStatus": "last_execution_status",
        "lastExecutionDate": "last_execution_date",
        "maxConcurrentRuns": "max_concurrent_runs",
    }
    out: dict[str, Any] = dict.fromkeys(FIELDS)
    for key, value in record.items():
        out[names[key]] = value
    return out


# --------------------------------------------------------------------------- unhappy paths


def test_bad_status_exits_2_naming_valid_values_before_any_request(
    capsys: pytest.CaptureFixture[str], served: Any
) -> None:
    code, out, err = list_jobs(capsys, served, "--status", "SLEEPING")
    assert code == 2
    assert out == ""
    assert_usage_error(err, "jobs list", "SLEEPING", "RUNNABLE", "RUNNING", "STOPPED", "EDITING")
    assert served.app.requests == []


def test_bad_status_is_reported_before_missing_credentials(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = run(capsys, "jobs", "list", "--status", "nope")
    assert code == 2
    assert_usage_error(err, "jobs list", "--status")


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--max-items", "-1"),
        ("--page-size", "0"),
        ("--page-size", "ten"),
        ("--timeout", "0"),
        ("--timeout", "nan"),
        ("--timeout", "inf"),
        ("--max-retries", "-2"),
        ("--endpoint", "ftp://example.com"),
    ],
)
def test_bad_values_exit_2_before_any_request(
    capsys: pytest.CaptureFixture[str], option: str, value: str
) -> None:
    # Nothing listens there: had a request been sent, the exit code would be 4.
    url = f"http://127.0.0.1:{free_port()}"
    code, out, err = run(capsys, "jobs", "list", "--endpoint", url, option, value)
    assert code == 2
    assert out == ""
    assert_usage_error(err, "jobs list", option, value)


def test_empty_name_exits_2(capsys: pytest.CaptureFixture[str], served: Any) -> None:
    code, _, err = list_jobs(capsys, served, "--name", "")
    assert code == 2
    assert_usage_error(err, "jobs list", "--name")
    assert served.app.requests == []


def test_bad_endpoint_variable_exits_2(
    capsys: pytest.CaptureFixture[str], served: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATAFLOW_ASYNC_ENDPOINT", "not a url")
    code, _, err = run(capsys, "jobs", "list")
    assert code == 2
    assert_usage_error(err, "jobs list", "$DATAFLOW_ASYNC_ENDPOINT", "not a url")


def test_missing_credentials_name_the_variables_and_the_file(
    capsys: pytest.CaptureFixture[str],
    served: Any,
    monkeypatch: pytest.MonkeyPatch,
    clean_environment: Path,
) -> None:
    monkeypatch.delenv("NCLOUD_ACCESS_KEY_ID")
    monkeypatch.delenv("NCLOUD_SECRET_ACCESS_KEY")
    code, out, err = list_jobs(capsys, served)
    assert code == 3
    assert out == ""
    assert_error(
        err,
        "NCLOUD_ACCESS_KEY_ID",
        "NCLOUD_SECRET_ACCESS_KEY",
        str(clean_environment / ".ncloud" / "configure"),
        "--profile",
        hint=True,
    )
    assert "Credentials(" not in err  # no Python call on a command line
    assert served.app.requests == []


def test_half_a_key_pair_exits_3(
    capsys: pytest.CaptureFixture[str], served: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NCLOUD_SECRET_ACCESS_KEY")
    code, _, err = list_jobs(capsys, served)
    assert code == 3
    assert_error(err, "NCLOUD_SECRET_ACCESS_KEY")


def test_unknown_profile_exits_3(
    capsys: pytest.CaptureFixture[str], served: Any, clean_environment: Path
) -> None:
    config = clean_environment / ".ncloud" / "configure"
    config.parent.mkdir()
    config.write_text("[DEFAULT]\nncloud_access_key_id = a\nncloud_secret_access_key = b\n")
    code, _, err = list_jobs(capsys, served, "--profile", "staging")
    assert code == 3
    assert_error(err, "'staging'", "DEFAULT")


def test_wrong_secret_exits_3_without_printing_a_secret(
    capsys: pytest.CaptureFixture[str], served: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NCLOUD_SECRET_ACCESS_KEY", "WRONGSECRETVALUE")
    code, out, err = list_jobs(capsys, served)
    assert code == 3
    assert out == ""
    assert_error(err, "401", "clock", hint=True)
    assert "WRONGSECRETVALUE" not in err
    assert served.credentials.secret_key not in err
    assert len(served.app.requests) == 1  # sent, rejected, not retried


def test_unreachable_endpoint_exits_4(capsys: pytest.CaptureFixture[str], served: Any) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    code, out, err = run(capsys, "jobs", "list", "--endpoint", url, "--max-retries", "0")
    assert code == 4
    assert out == ""
    assert_error(err, f"cannot reach {url}")


def test_server_error_exits_1(capsys: pytest.CaptureFixture[str], served: Any) -> None:
    with run_emulator(jobs=3, faults=FaultPlan.script(ServerFailure(500))) as failing:
        code, out, err = run(
            capsys, "jobs", "list", "--endpoint", failing.url, "--max-retries", "0"
        )
    assert code == 1
    assert out == ""
    assert_error(err, "500", hint=False)


def test_malformed_response_exits_1(capsys: pytest.CaptureFixture[str], served: Any) -> None:
    with run_emulator(jobs=3, faults=FaultPlan.script(MalformedBody())) as broken:
        code, out, err = run(capsys, "jobs", "list", "--endpoint", broken.url, "-o", "json")
    assert code == 1
    assert_error(err, "not JSON")
    assert json.loads(out) == []  # the walk began: stdout is valid JSON


def test_slow_answer_is_a_timeout_after_connecting(
    capsys: pytest.CaptureFixture[str], served: Any
) -> None:
    served.app.faults = FaultPlan.script(Latency(0.5))
    code, out, err = list_jobs(capsys, served, "--timeout", "0.1", "--max-retries", "0")
    assert code == 4
    assert out == ""
    assert_error(err, "timed out after connecting", "--timeout", hint=True)
    assert "cannot reach" not in err


def test_throttled_exits_1(capsys: pytest.CaptureFixture[str], served: Any) -> None:
    served.app.faults = FaultPlan.script(Throttle("420"))
    code, _, err = list_jobs(capsys, served, "--max-retries", "0")
    assert code == 1
    assert_error(err, "429", "Rate Limited")


def test_retries_recover_from_a_server_error(
    capsys: pytest.CaptureFixture[str], served: Any
) -> None:
    served.app.faults = FaultPlan.script(ServerFailure(503))
    code, out, err = list_jobs(capsys, served, "--format", "jsonl")
    assert (code, err) == (0, "")
    assert len(out.splitlines()) == 45


@pytest.mark.parametrize("fmt", ["json", "JSON", "Json"])
def test_json_failing_midway_is_valid_json_of_the_jobs_so_far(
    capsys: pytest.CaptureFixture[str], served: Any, fmt: str
) -> None:
    served.app.faults = FaultPlan.script(None, ServerFailure(500))
    code, out, err = list_jobs(capsys, served, "-o", fmt, "--page-size", "10", "--max-retries", "0")
    assert code == 1
    assert_error(err, "500")
    got = json.loads(out)
    assert [job["job_id"] for job in got] == [j["jobId"] for j in in_served_order(served)[:10]]


@pytest.mark.parametrize(("fmt", "lines"), [("jsonl", 10), ("csv", 11)])
def test_line_formats_failing_midway_end_after_a_whole_line(
    capsys: pytest.CaptureFixture[str], served: Any, fmt: str, lines: int
) -> None:
    served.app.faults = FaultPlan.script(None, ServerFailure(500))
    code, out, _ = list_jobs(capsys, served, "-o", fmt, "--page-size", "10", "--max-retries", "0")
    assert code == 1
    assert out.endswith("\n")
    if fmt == "jsonl":
        assert len([json.loads(line) for line in out.splitlines()]) == lines
    else:
        assert len(list(csv.reader(io.StringIO(out)))) == lines
