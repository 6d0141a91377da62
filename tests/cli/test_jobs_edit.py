"""``jobs get``, ``jobs create`` and ``jobs delete`` against the emulator."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from .conftest import assert_error, assert_usage_error, run


def jobs(capsys: pytest.CaptureFixture[str], served: Any, *argv: str) -> tuple[int, str, str]:
    return run(capsys, "jobs", *argv, "--endpoint", served.url)


# --------------------------------------------------------------------------- unhappy paths


@pytest.mark.parametrize(
    ("argv", "command", "words"),
    [
        (["get"], "jobs get JOB_ID", ["JOB_ID"]),
        (["create", "--type", "SCRIPT"], "jobs create", ["needs a name", "--name"]),
        (["create", "-n", "etl-job", "-t", "batch"], "jobs create", ["DATAFLOW", "'batch'"]),
        (["create", "-n", "etl-job", "--num-worker", "0"], "jobs create", ["--num-worker"]),
        (["create", "-n", "etl-job", "--num-worker", "1"], "jobs create", ["num_worker"]),
        (["create", "-n", "x"], "jobs create", ["name must be"]),
        (["create", "-n", "etl-job", "--timeout-minute", "3"], "jobs create", ["did you mean"]),
        (["create", "-n", "etl-job", "-p", "=v"], "jobs create", ["KEY=VALUE"]),
        (["delete"], "jobs delete JOB_ID", ["JOB_ID"]),
        (["get", "J", "-o", "csv"], "jobs get JOB_ID", ["table, json"]),
    ],
)
def test_bad_arguments_exit_2_before_any_request(
    capsys: pytest.CaptureFixture[str],
    idle: Any,
    argv: list[str],
    command: str,
    words: list[str],
) -> None:
    code, out, err = jobs(capsys, idle, *argv)
    assert (code, out) == (2, "")
    assert_usage_error(err, command, *words)
    assert idle.app.requests == []


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("not json", ["is not JSON"]),
        ("[1, 2]", ["one JSON object"]),
        ('{"name": "etl-job", "colour": "red"}', ["unknown key 'colour'"]),
        ('{"name": "etl-job", "jobCondition": {"numWorkers": 2}}', ["unknown key"]),
    ],
)
def test_bad_json_bodies_exit_2(
    capsys: pytest.CaptureFixture[str],
    idle: Any,
    tmp_path: Path,
    body: str,
    words: list[str],
) -> None:
    path = tmp_path / "job.json"
    path.write_text(body)
    code, out, err = jobs(capsys, idle, "create", "--json", str(path))
    assert (code, out) == (2, "")
    assert_usage_error(err, "jobs create", *words)
    assert idle.app.requests == []


def test_a_missing_json_file_exits_2(
    capsys: pytest.CaptureFixture[str], idle: Any, tmp_path: Path
) -> None:
    code, out, err = jobs(capsys, idle, "create", "--json", str(tmp_path / "none.json"))
    assert (code, out) == (2, "")
    assert_usage_error(err, "jobs create", "cannot read")


@pytest.mark.parametrize("argv", [["get", "nojob"], ["delete", "nojob"]])
@pytest.mark.parametrize("fmt", ["table", "json"])
def test_unknown_job_exits_1_with_nothing_on_stdout(
    capsys: pytest.CaptureFixture[str], served: Any, argv: list[str], fmt: str
) -> None:
    code, out, err = jobs(capsys, served, *argv, "-o", fmt)
    assert (code, out) == (1, "")
    assert_error(err, "404", "nojob")


# --------------------------------------------------------------------------- happy paths


def test_get_shows_every_field_as_key_value_lines_or_json(
    capsys: pytest.CaptureFixture[str], served: Any
) -> None:
    job = served.app.jobs[0]
    code, out, err = jobs(capsys, served, "get", job["jobId"])
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].split() == ["JOB", "ID", job["jobId"]]
    # The nested settings: a line of their own, then their fields indented under it.
    at = lines.index("JOB CONDITION")
    assert lines[at + 1].split() == ["NUM", "WORKER", "2"]
    assert lines[at + 1].startswith("  NUM WORKER  ")
    assert "WORKER TYPE" not in out  # fields without a value are left out
    code, out, _ = jobs(capsys, served, "get", job["jobId"], "-o", "json")
    record = json.loads(out)
    assert record["job_id"] == job["jobId"]
    assert record["job_condition"]["num_worker"] == 2  # the emulator's stored settings
    assert set(record) >= {"job_condition", "nodes", "description", "status"}


def test_create_from_options(capsys: pytest.CaptureFixture[str], served: Any) -> None:
    before = len(served.app.jobs)
    code, out, err = jobs(
        capsys,
        served,
        "create",
        "-n",
        "nightly-etl",
        "-t",
        "script",
        "--max-concurrent-runs",
        "2",
        "--num-worker",
        "3",
        "--timeout-minutes",
        "45",
        "-p",
        "day=monday",
        "-p",
        "mode=a=b",
        "-o",
        "json",
    )
    assert (code, err) == (0, "")
    record = json.loads(out)
    assert (record["name"], record["type"], record["max_concurrent_runs"]) == (
        "nightly-etl",
        "SCRIPT",
        2,
    )
    assert len(served.app.jobs) == before + 1
    code, out, _ = jobs(capsys, served, "get", record["job_id"], "-o", "json")
    condition = json.loads(out)["job_condition"]
    assert (condition["num_worker"], condition["timeout"]) == (3, 45)
    assert condition["parameters"] == {"day": "monday", "mode": "a=b"}


def test_create_from_json_on_stdin_with_options_replacing_fields(
    capsys: pytest.CaptureFixture[str], served: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = {"name": "from-json", "type": "SCRIPT", "jobCondition": {"numWorker": 2}}
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(body)))
    code, out, err = jobs(capsys, served, "create", "--json", "-", "-n", "renamed", "--nrn", "r")
    assert (code, err) == (0, "")
    assert out.splitlines()[1].split() == ["NAME", "renamed"]
    assert served.app.jobs[-1]["name"] == "renamed"
    job_id = out.splitlines()[0].split()[-1]
    code, out, _ = jobs(capsys, served, "get", job_id, "-o", "json")
    condition = json.loads(out)["job_condition"]
    assert (condition["num_worker"], condition["nrn"]) == (2, "r")


def test_delete_confirms_in_text_or_json(capsys: pytest.CaptureFixture[str], served: Any) -> None:
    first, second = served.app.jobs[0]["jobId"], served.app.jobs[1]["jobId"]
    assert jobs(capsys, served, "delete", first) == (0, f"deleted job {first}\n", "")
    code, out, _ = jobs(capsys, served, "delete", second, "-o", "JSON")
    assert (code, json.loads(out)) == (0, {"job_id": second, "deleted": True})
    remaining = {job["jobId"] for job in served.app.jobs}
    assert first not in remaining and second not in remaining
