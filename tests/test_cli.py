"""The ``dataflow-async`` command line, driven through ``main([...])`` and the console script.

CLI tests are plain functions: ``main`` runs its own event loop with ``asyncio.run``.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from dataflow_async import (
    APITimeoutError,
    DataFlowError,
    Job,
    MissingCredentialsError,
    PaginationError,
    PermissionDeniedError,
    ServerError,
    __version__,
)
from dataflow_async import _cli as cli
from dataflow_async import _cli_output as output
from dataflow_async.emulator import (
    FaultPlan,
    Latency,
    MalformedBody,
    ServerFailure,
    Throttle,
    make_jobs,
    run_emulator,
)

BIN = Path(sys.executable).parent
SCRIPT = BIN / "dataflow-async"

# A name with what breaks naive CSV and tables: a comma, a quote, Korean, a newline.
ODD_NAME = '매출, "집계"\n데이터'
LONG_NAME = "로그 수집 작업 " + "x" * 80


def _jobs() -> list[dict[str, Any]]:
    jobs = make_jobs(45, seed=7)
    jobs[3]["name"] = ODD_NAME
    jobs[4]["name"] = LONG_NAME
    return jobs


def in_served_order(emulator: Any) -> list[dict[str, Any]]:
    """The emulator's jobs in the order it serves them: newest first, then by id."""
    return sorted(
        emulator.app.jobs,
        key=lambda job: (-datetime.fromisoformat(job["createdDate"]).timestamp(), job["jobId"]),
    )


def _snake(record: dict[str, Any]) -> dict[str, Any]:
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
    out: dict[str, Any] = dict.fromkeys(output.JOB_FIELDS)
    for key, value in record.items():
        out[names[key]] = value
    return out


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No NCLOUD_* variables and an empty HOME: no real credentials can leak in. No
    NO_COLOR / FORCE_COLOR either (CI services set the latter): tables stay plain."""
    for name in list(os.environ):
        if name.startswith(("NCLOUD_", "DATAFLOW_ASYNC_")) or name in ("NO_COLOR", "FORCE_COLOR"):
            monkeypatch.delenv(name)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    return home


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """An emulator of its own for each test (a request the client gave up on may still
    land after the test), with its key pair in the environment."""
    with run_emulator(jobs=_jobs()) as emulator:
        monkeypatch.setenv("NCLOUD_ACCESS_KEY_ID", emulator.credentials.access_key)
        monkeypatch.setenv("NCLOUD_SECRET_ACCESS_KEY", emulator.credentials.secret_key)
        yield emulator


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def list_jobs(capsys: pytest.CaptureFixture[str], served: Any, *argv: str) -> tuple[int, str, str]:
    return run(capsys, "jobs", "list", "--endpoint", served.url, *argv)


def assert_one_line_error(err: str, *words: str) -> None:
    assert err.startswith("error: ")
    assert err.count("\n") == 1, err
    assert "Traceback" not in err
    for word in words:
        assert word in err


def free_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --------------------------------------------------------------------------- unhappy paths


def test_bad_status_exits_2_naming_valid_values_before_any_request(
    capsys: pytest.CaptureFixture[str], served: Any
) -> None:
    code, out, err = list_jobs(capsys, served, "--status", "SLEEPING")
    assert code == 2
    assert out == ""
    assert_one_line_error(err, "SLEEPING", "RUNNABLE", "RUNNING", "STOPPED", "EDITING")
    assert served.app.requests == []


def test_bad_status_is_reported_before_missing_credentials(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = run(capsys, "jobs", "list", "--status", "nope")
    assert code == 2
    assert_one_line_error(err, "--status")


@pytest.mark.parametrize(
    ("option", "value"),
    [("--max-items", "-1"), ("--page-size", "0"), ("--timeout", "0"), ("--max-retries", "-2")],
)
def test_bad_numbers_exit_2_before_any_request(
    capsys: pytest.CaptureFixture[str], served: Any, option: str, value: str
) -> None:
    code, out, err = list_jobs(capsys, served, option, value)
    assert code == 2
    assert out == ""
    assert_one_line_error(err, option, value)
    assert served.app.requests == []


def test_bad_endpoint_exits_2(capsys: pytest.CaptureFixture[str], served: Any) -> None:
    code, _, err = run(capsys, "jobs", "list", "--endpoint", "ftp://example.com")
    assert code == 2
    assert_one_line_error(err, "--endpoint", "ftp://example.com")


def test_unknown_format_is_an_argparse_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "jobs", "list", "--format", "xml")
    assert code == 2
    assert out == ""
    assert "invalid choice: 'xml'" in err
    assert "Traceback" not in err


def test_no_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys)
    assert code == 2
    assert "usage:" in err


def test_missing_credentials_exit_3_with_one_line(
    capsys: pytest.CaptureFixture[str], served: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NCLOUD_ACCESS_KEY_ID")
    monkeypatch.delenv("NCLOUD_SECRET_ACCESS_KEY")
    code, out, err = list_jobs(capsys, served)
    assert code == 3
    assert out == ""
    assert_one_line_error(err, "NCLOUD_ACCESS_KEY_ID", "configure")
    assert served.app.requests == []


def test_half_a_key_pair_exits_3(
    capsys: pytest.CaptureFixture[str], served: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NCLOUD_SECRET_ACCESS_KEY")
    code, _, err = list_jobs(capsys, served)
    assert code == 3
    assert_one_line_error(err, "NCLOUD_SECRET_ACCESS_KEY")


def test_unknown_profile_exits_3(
    capsys: pytest.CaptureFixture[str], served: Any, clean_environment: Path
) -> None:
    config = clean_environment / ".ncloud" / "configure"
    config.parent.mkdir()
    config.write_text("[DEFAULT]\nncloud_access_key_id = a\nncloud_secret_access_key = b\n")
    code, _, err = list_jobs(capsys, served, "--profile", "staging")
    assert code == 3
    assert_one_line_error(err, "'staging'", "DEFAULT")


def test_wrong_secret_exits_3_without_printing_a_secret(
    capsys: pytest.CaptureFixture[str], served: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NCLOUD_SECRET_ACCESS_KEY", "WRONGSECRETVALUE")
    code, out, err = list_jobs(capsys, served)
    assert code == 3
    assert out == ""
    assert_one_line_error(err, "401")
    assert "WRONGSECRETVALUE" not in err
    assert served.credentials.secret_key not in err
    assert len(served.app.requests) == 1  # sent, rejected, not retried


def test_unreachable_endpoint_exits_4(capsys: pytest.CaptureFixture[str], served: Any) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    code, out, err = run(capsys, "jobs", "list", "--endpoint", url, "--max-retries", "0")
    assert code == 4
    assert out == ""
    assert_one_line_error(err, url)


def test_server_error_exits_1(capsys: pytest.CaptureFixture[str], served: Any) -> None:
    with run_emulator(jobs=3, faults=FaultPlan.script(ServerFailure(500))) as failing:
        code, out, err = run(
            capsys, "jobs", "list", "--endpoint", failing.url, "--max-retries", "0"
        )
    assert code == 1
    assert out == ""
    assert_one_line_error(err, "500")


def test_malformed_response_exits_1(capsys: pytest.CaptureFixture[str], served: Any) -> None:
    with run_emulator(jobs=3, faults=FaultPlan.script(MalformedBody())) as broken:
        code, _, err = run(capsys, "jobs", "list", "--endpoint", broken.url, "--format", "json")
    assert code == 1
    assert_one_line_error(err, "not JSON")


def test_timeout_exits_4(capsys: pytest.CaptureFixture[str], served: Any) -> None:
    served.app.faults = FaultPlan.script(Latency(2.0))
    code, out, err = list_jobs(capsys, served, "--timeout", "0.2", "--max-retries", "0")
    assert code == 4
    assert out == ""
    assert_one_line_error(err, "timed out")


def test_throttled_exits_1(capsys: pytest.CaptureFixture[str], served: Any) -> None:
    served.app.faults = FaultPlan.script(Throttle("420"))
    code, _, err = list_jobs(capsys, served, "--max-retries", "0")
    assert code == 1
    assert_one_line_error(err, "429", "Rate Limited")


def test_retries_recover_from_a_server_error(
    capsys: pytest.CaptureFixture[str], served: Any
) -> None:
    served.app.faults = FaultPlan.script(ServerFailure(503))
    code, out, err = list_jobs(capsys, served, "--format", "jsonl")
    assert (code, err) == (0, "")
    assert len(out.splitlines()) == 45


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (MissingCredentialsError("no keys"), 3),
        (PermissionDeniedError(401, "210", "Permission Denied", None), 3),
        (PermissionDeniedError(403, None, "Forbidden", None), 3),
        (APITimeoutError("request timed out"), 4),
        (ServerError(503, "500", "Endpoint Error", "line one\nline two"), 1),
        (PaginationError("the server repeats pages"), 1),
    ],
)
def test_every_expected_error_is_one_line_and_a_code(error: Exception, code: int) -> None:
    assert isinstance(error, DataFlowError)
    message, exit_code = cli.describe_error(error)
    assert exit_code == code
    assert "\n" not in message
    assert str(error).split()[0] in message


def test_keyboard_interrupt_exits_130_quietly(
    capsys: pytest.CaptureFixture[str], served: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Interrupting(output.JsonLinesWriter):
        def write(self, job: Job) -> None:
            raise KeyboardInterrupt

    monkeypatch.setitem(output.WRITERS, "jsonl", Interrupting)
    code, out, err = list_jobs(capsys, served, "--format", "jsonl")
    assert code == 130
    assert (out, err) == ("", "")


def test_broken_pipe_in_process_exits_quietly(
    capsys: pytest.CaptureFixture[str], served: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Closed(output.JsonLinesWriter):
        def write(self, job: Job) -> None:
            raise BrokenPipeError

    monkeypatch.setitem(output.WRITERS, "jsonl", Closed)
    code, _, err = list_jobs(capsys, served, "--format", "jsonl")
    assert code == 141
    assert err == ""


# --------------------------------------------------------------------------- formats


def test_name_filter_is_sent_to_the_server(capsys: pytest.CaptureFixture[str], served: Any) -> None:
    code, out, _ = list_jobs(capsys, served, "--format", "jsonl", "--name", "매출")
    assert code == 0
    names = [json.loads(line)["name"] for line in out.splitlines()]
    assert names
    assert all("매출" in name for name in names)
    assert "name=%EB%A7%A4%EC%B6%9C" in served.app.requests[0].target


def test_jsonl_is_every_job_in_order_as_snake_case_records(
    capsys: pytest.CaptureFixture[str], served: Any
) -> None:
    code, out, err = list_jobs(capsys, served, "--format", "jsonl", "--page-size", "10")
    assert (code, err) == (0, "")
    records = [json.loads(line) for line in out.splitlines()]
    assert records == [_snake(job) for job in in_served_order(served)]
    assert len(records) == 45
    assert all("limit=10" in request.target for request in served.app.requests)


def test_json_is_one_array_equal_to_jsonl(capsys: pytest.CaptureFixture[str], served: Any) -> None:
    _, lines, _ = list_jobs(capsys, served, "--format", "jsonl")
    code, out, err = list_jobs(capsys, served, "--format", "json", "--page-size", "7")
    assert (code, err) == (0, "")
    assert json.loads(out) == [json.loads(line) for line in lines.splitlines()]


def test_json_with_no_jobs_is_an_empty_array(
    capsys: pytest.CaptureFixture[str], served: Any
) -> None:
    code, out, _ = list_jobs(capsys, served, "--format", "json", "--max-items", "0")
    assert code == 0
    assert json.loads(out) == []
    assert served.app.requests == []  # nothing to fetch


def test_json_with_an_empty_server_is_an_empty_array(
    capsys: pytest.CaptureFixture[str], served: Any
) -> None:
    with run_emulator(jobs=0, credentials=_pair(served)) as empty:
        code, out, _ = run(capsys, "jobs", "list", "--endpoint", empty.url, "--format", "json")
        assert len(empty.app.requests) == 1
    assert code == 0
    assert json.loads(out) == []


def _pair(emulator: Any) -> dict[str, str]:
    return {emulator.credentials.access_key: emulator.credentials.secret_key}


def test_csv_has_a_header_and_empty_cells_for_null(
    capsys: pytest.CaptureFixture[str], served: Any
) -> None:
    code, out, err = list_jobs(capsys, served, "--format", "csv")
    assert (code, err) == (0, "")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert tuple(rows[0]) == output.JOB_FIELDS
    expected = [_snake(job) for job in in_served_order(served)]
    assert [row["job_id"] for row in rows] == [job["job_id"] for job in expected]
    assert ODD_NAME in [row["name"] for row in rows]
    for row, job in zip(rows, expected, strict=True):
        for field, value in job.items():
            if value is None:
                assert row[field] == ""
            elif isinstance(value, bool):
                assert row[field] == str(value).lower()
            else:
                assert row[field] == str(value)


def test_csv_with_no_jobs_is_the_header(capsys: pytest.CaptureFixture[str], served: Any) -> None:
    code, out, _ = list_jobs(capsys, served, "--format", "csv", "--max-items", "0")
    assert code == 0
    assert out == ",".join(output.JOB_FIELDS) + "\n"


def test_table_has_the_columns_rows_and_a_total(
    capsys: pytest.CaptureFixture[str], served: Any
) -> None:
    code, out, err = list_jobs(capsys, served)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].split("  ")[0] == "JOB ID"
    for header in output.TABLE_HEADERS:
        assert header in lines[0]
    assert len(lines) == 1 + 45 + 1
    assert lines[-1] == "45 jobs"
    first = in_served_order(served)[0]
    assert lines[1].startswith(first["jobId"])
    assert first["status"] in lines[1]
    # Control characters are not let through; long names are cut with an ellipsis.
    odd = next(line for line in lines if "집계" in line)
    assert '매출, "집계"?데이터' in odd
    long = next(line for line in lines if "xxx" in line)
    assert "…" in long
    assert "x" * 80 not in long
    # Columns line up on screen, wide (Korean) characters counting double.
    type_column = lines[0].index("TYPE")
    for line, job in zip(lines[1:-1], in_served_order(served), strict=True):
        assert _after_columns(line, type_column).startswith(job["type"] + " ")


def _after_columns(line: str, columns: int) -> str:
    """What of ``line`` is shown from terminal column ``columns`` on."""
    used = 0
    for index, char in enumerate(line):
        if used >= columns:
            return line[index:]
        used += output.display_width(char)
    return ""


def test_table_with_no_jobs(capsys: pytest.CaptureFixture[str], served: Any) -> None:
    code, out, _ = list_jobs(capsys, served, "--max-items", "0")
    assert code == 0
    assert out == "No jobs found.\n"


def test_max_items_stops_early(capsys: pytest.CaptureFixture[str], served: Any) -> None:
    code, out, _ = list_jobs(capsys, served, "--format", "jsonl", "--max-items", "12")
    assert code == 0
    ids = [json.loads(line)["job_id"] for line in out.splitlines()]
    assert ids == [job["jobId"] for job in in_served_order(served)[:12]]
    # No more is asked for than will be shown.
    assert served.app.requests[0].target.endswith("limit=12")


def test_max_items_table_says_it_was_limited(
    capsys: pytest.CaptureFixture[str], served: Any
) -> None:
    _, out, _ = list_jobs(capsys, served, "--max-items", "3")
    assert out.splitlines()[-1].startswith("3 jobs (--max-items reached")


@pytest.mark.parametrize("status", ["RUNNING", "runnable"])
def test_status_filter_matches_the_server(
    capsys: pytest.CaptureFixture[str], served: Any, status: str
) -> None:
    code, out, _ = list_jobs(capsys, served, "--format", "jsonl", "--status", status)
    assert code == 0
    got = [json.loads(line)["job_id"] for line in out.splitlines()]
    want = [job["jobId"] for job in in_served_order(served) if job["status"] == status.upper()]
    assert got == want
    assert want


def test_profile_is_read_from_the_configure_file(
    capsys: pytest.CaptureFixture[str],
    served: Any,
    monkeypatch: pytest.MonkeyPatch,
    clean_environment: Path,
) -> None:
    config = clean_environment / ".ncloud" / "configure"
    config.parent.mkdir()
    access, secret = served.credentials.access_key, served.credentials.secret_key
    config.write_text(
        "[DEFAULT]\nncloud_access_key_id = nope\nncloud_secret_access_key = nope\n"
        f"[emu]\nncloud_access_key_id = {access}\nncloud_secret_access_key = {secret}\n"
    )
    monkeypatch.setenv("NCLOUD_SECRET_ACCESS_KEY", "ignored-since-a-profile-is-named")
    code, out, _ = list_jobs(capsys, served, "--profile", "emu", "--format", "jsonl")
    assert code == 0
    assert len(out.splitlines()) == 45


# --------------------------------------------------------------------------- writers


class CountingStream(io.StringIO):
    flushes = 0

    def flush(self) -> None:
        self.flushes += 1
        super().flush()


@pytest.mark.parametrize(
    "writer", [output.JsonLinesWriter, output.JsonArrayWriter, output.CsvWriter]
)
def test_machine_formats_flush_each_job(writer: Any, capsys: pytest.CaptureFixture[str]) -> None:
    from dataflow_async._converter import structure_jobs

    jobs = structure_jobs(make_jobs(4))
    stream = CountingStream()
    out = writer(stream)
    for n, job in enumerate(jobs, 1):
        out.write(job)
        assert stream.flushes == n
        assert jobs[n - 1].job_id in stream.getvalue()


# --------------------------------------------------------------------------- demo, version


def test_demo_reports_what_the_emulator_holds(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import dataflow_async.emulator as emulator_module

    started: list[Any] = []
    real = emulator_module.run_emulator

    @contextlib.contextmanager
    def recording(*args: Any, **kwargs: Any) -> Iterator[Any]:
        with real(*args, **kwargs) as running:
            started.append(running)
            yield running

    monkeypatch.setattr(emulator_module, "run_emulator", recording)
    code, out, err = run(capsys, "demo", "--jobs", "1200", "--page-size", "250")
    assert (code, err) == (0, "")
    (emulator,) = started
    held = Counter(job["status"] for job in emulator.app.jobs)
    counts = {name: int(n.replace(",", "")) for name, n in _section(out, "Jobs per status:")}
    assert counts.pop("total") == 1200
    assert counts == dict(held)
    assert "fetched       1,200 jobs in 5 pages of up to 250" in out
    running = held["RUNNING"]
    assert f"filtered      {running:,} jobs with status RUNNING" in out
    assert f"… and {running - 15:,} more" in out
    assert emulator.url in out
    assert "refused, as it must be: HTTP 401" in out
    verified = sum(1 for request in emulator.app.requests if request.status == 200)
    assert f"signatures    {verified:,} signed requests verified" in out
    assert verified >= 5 + 1


def _section(out: str, title: str) -> list[tuple[str, str]]:
    lines = out.splitlines()
    start = lines.index(title) + 2  # the title, then a blank line
    rows = []
    for line in lines[start:]:
        if not line.startswith("  "):
            break
        name, count = line.split()
        rows.append((name, count))
    return rows


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--version")
    assert code == 0
    assert out == f"dataflow-async {__version__}\n"


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["jobs", "--help"],
        ["jobs", "list", "--help"],
        ["emulator", "--help"],
        ["demo", "--help"],
    ],
)
def test_help_has_examples(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    code, out, _ = run(capsys, *argv)
    assert code == 0
    assert "example" in out


def _parsers(parser: Any) -> Iterator[Any]:
    """``parser`` and all its subcommands' parsers."""
    import argparse

    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from _parsers(sub)


def test_every_option_is_explained_with_an_example() -> None:
    checked = 0
    for parser in _parsers(cli.build_parser()):
        for action in parser._actions:
            if action.option_strings and action.dest != "help":
                assert action.help and "e.g." in action.help, (parser.prog, action.dest)
                checked += 1
    assert checked >= 20


def test_top_level_help_mentions_terminal_output(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "--help")
    assert "NO_COLOR" in out
    assert "progress" in out


def test_emulator_on_a_taken_port_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, out, err = run(capsys, "emulator", "--port", str(port), "--jobs", "1")
    assert code == 1
    assert out == ""
    assert_one_line_error(err, f"127.0.0.1:{port}")


@pytest.mark.parametrize(
    ("argv", "word"),
    [
        (["emulator", "--port", "70000"], "--port"),
        (["emulator", "--jobs", "-1"], "--jobs"),
        (["emulator", "--secret-key", " spaced "], "--secret-key"),
        (["demo", "--status", "asleep"], "--status"),
        (["demo", "--page-size", "0"], "--page-size"),
    ],
)
def test_emulator_and_demo_check_their_options(
    capsys: pytest.CaptureFixture[str], argv: list[str], word: str
) -> None:
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert_one_line_error(err, word)


def test_emulator_without_uvicorn_says_what_to_install(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli, "_has_uvicorn", lambda: False)
    code, _, err = run(capsys, "emulator", "--port", "0")
    assert code == 1
    assert_one_line_error(err, "pip install 'dataflow-async[emulator]'")


# --------------------------------------------------------------------------- subprocess


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NCLOUD_")}
    env.update(extra)
    return env


def test_console_script_version() -> None:
    result = subprocess.run(
        [str(SCRIPT), "--version"], capture_output=True, text=True, check=False, env=_env()
    )
    assert (result.returncode, result.stdout) == (0, f"dataflow-async {__version__}\n")


def test_python_dash_m() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "dataflow_async", "jobs", "list", "--status", "x"],
        capture_output=True,
        text=True,
        check=False,
        env=_env(),
    )
    assert result.returncode == 2
    assert result.stderr.startswith("error: --status")


def test_console_script_lists_jobs_in_utf8_whatever_the_locale(served: Any) -> None:
    env = _env(
        NCLOUD_ACCESS_KEY_ID=served.credentials.access_key,
        NCLOUD_SECRET_ACCESS_KEY=served.credentials.secret_key,
        PYTHONIOENCODING="latin-1",
    )
    result = subprocess.run(
        [str(SCRIPT), "jobs", "list", "--endpoint", served.url, "--format", "jsonl"],
        capture_output=True,
        check=False,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.decode("utf-8").splitlines()
    assert [json.loads(line) for line in lines] == [_snake(job) for job in in_served_order(served)]
    assert json.dumps(ODD_NAME, ensure_ascii=False).encode() in result.stdout


def test_console_script_into_a_closed_pipe_exits_quietly() -> None:
    with run_emulator(jobs=5000) as big:
        env = _env(
            NCLOUD_ACCESS_KEY_ID=big.credentials.access_key,
            NCLOUD_SECRET_ACCESS_KEY=big.credentials.secret_key,
        )
        process = subprocess.Popen(
            [str(SCRIPT), "jobs", "list", "--endpoint", big.url, "--format", "jsonl"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        assert process.stdout is not None and process.stderr is not None
        first = process.stdout.readline()
        process.stdout.close()  # as `| head -1` does
        stderr = process.stderr.read()
        process.stderr.close()
        code = process.wait(timeout=30)
    assert json.loads(first)["job_id"]
    assert stderr == b""
    assert code == 141


def test_emulator_command_serves_until_ctrl_c(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    process = subprocess.Popen(
        [
            str(SCRIPT),
            *("emulator", "--port", "0", "--jobs", "30", "--count-mode", "total"),
            *("--access-key", "LOCALKEY", "--secret-key", "LOCALSECRET"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    )
    assert process.stdout is not None and process.stderr is not None
    try:
        shown = []
        for line in process.stdout:
            shown.append(line)
            if line.startswith("Press Ctrl+C"):
                break
        text = "".join(shown)
        match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", text)
        assert match, text
        url = match.group(1)
        assert "export NCLOUD_ACCESS_KEY_ID=LOCALKEY\n" in text
        assert "export NCLOUD_SECRET_ACCESS_KEY=LOCALSECRET\n" in text
        assert f"export DATAFLOW_ASYNC_ENDPOINT={url}\n" in text
        assert "  dataflow-async jobs list\n" in text
        assert "not a real secret" in text
        # Follow the printed instructions as they are.
        monkeypatch.setenv("NCLOUD_ACCESS_KEY_ID", "LOCALKEY")
        monkeypatch.setenv("NCLOUD_SECRET_ACCESS_KEY", "LOCALSECRET")
        monkeypatch.setenv("DATAFLOW_ASYNC_ENDPOINT", url)
        code, out, _ = run(capsys, "jobs", "list", "--format", "jsonl")
        assert code == 0
        assert len(out.splitlines()) == 30
    finally:
        process.send_signal(signal.SIGINT)
        rest, stderr = process.communicate(timeout=30)
    assert process.returncode == 0
    assert stderr == ""
    assert rest.endswith("Emulator stopped.\n")


def test_a_lone_surrogate_in_a_name_is_escaped_not_fatal() -> None:
    # The standard library's JSON decoder (used without orjson) lets "\ud83d" through.
    import io

    from dataflow_async._converter import structure_jobs

    from .conftest import job_json

    (job,) = structure_jobs([job_json(1, name="report \ud83d")])
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="ascii")
    output.ensure_utf8(stream)
    output.JsonLinesWriter(stream).write(job)
    line = raw.getvalue().decode("utf-8")
    assert json.loads(line)["name"] == "report \ud83d"
