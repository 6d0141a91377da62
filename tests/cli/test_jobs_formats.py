"""``dataflow-async jobs list`` against the emulator: the output formats and filters."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from dataflow_async._cli import _output
from dataflow_async._cli._table import display_width
from dataflow_async.emulator import (
    run_emulator,
)

from .conftest import (
    LONG_NAME,
    ODD_NAME,
    list_jobs,
    run,
)
from .test_jobs import FIELDS, HEADERS, in_served_order, snake

# --------------------------------------------------------------------------- formats


def test_name_filter_is_sent_to_the_server(capsys: pytest.CaptureFixture[str], served: Any) -> None:
    code, out, _ = list_jobs(capsys, served, "-o", "jsonl", "-n", "매출")
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
    assert records == [snake(job) for job in in_served_order(served)]
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
    pair = {served.credentials.access_key: served.credentials.secret_key}
    with run_emulator(jobs=0, credentials=pair) as empty:
        code, out, _ = run(capsys, "jobs", "list", "--endpoint", empty.url, "--format", "json")
        assert len(empty.app.requests) == 1
    assert code == 0
    assert json.loads(out) == []


def test_csv_has_a_header_and_empty_cells_for_null(
    capsys: pytest.CaptureFixture[str], served: Any
) -> None:
    code, out, err = list_jobs(capsys, served, "--format", "csv")
    assert (code, err) == (0, "")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert tuple(rows[0]) == FIELDS
    expected = [snake(job) for job in in_served_order(served)]
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
    assert out == ",".join(FIELDS) + "\n"


def test_csv_without_headers(capsys: pytest.CaptureFixture[str], served: Any) -> None:
    _, whole, _ = list_jobs(capsys, served, "-o", "csv")
    code, out, _ = list_jobs(capsys, served, "-o", "CSV", "--no-headers")
    assert code == 0
    assert out == whole.split("\n", 1)[1]


def test_table_has_the_columns_rows_and_a_total(
    capsys: pytest.CaptureFixture[str], served: Any
) -> None:
    code, out, err = list_jobs(capsys, served)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].split("  ")[0] == "JOB ID"
    for header in HEADERS:
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
    assert LONG_NAME not in long
    # Columns line up on screen, wide (Korean) characters counting double.
    type_column = lines[0].index("TYPE")
    for line, job in zip(lines[1:-1], in_served_order(served), strict=True):
        assert after_columns(line, type_column).startswith(job["type"] + " ")


def after_columns(line: str, columns: int) -> str:
    """What of ``line`` is shown from terminal column ``columns`` on."""
    used = 0
    for index, char in enumerate(line):
        if used >= columns:
            return line[index:]
        used += display_width(char)
    return ""


def test_table_without_headers_is_the_rows_alone(
    capsys: pytest.CaptureFixture[str], served: Any
) -> None:
    _, whole, _ = list_jobs(capsys, served)
    code, out, _ = list_jobs(capsys, served, "--no-headers")
    assert code == 0
    rows = out.splitlines()
    assert len(rows) == 45
    assert not any("JOB ID" in row or row.endswith("jobs") for row in rows)
    assert rows[0].split()[0] == whole.splitlines()[1].split()[0]


def test_table_with_no_jobs(capsys: pytest.CaptureFixture[str], served: Any) -> None:
    code, out, _ = list_jobs(capsys, served, "--max-items", "0")
    assert code == 0
    assert out == "No jobs found.\n"
    assert list_jobs(capsys, served, "--max-items", "0", "--no-headers")[:2] == (0, "")


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


@pytest.mark.parametrize(
    "argv", [["--status", "RUNNING"], ["-s", "runnable"], ["--status=Stopped"], ["-sRUNNING"]]
)
def test_status_filter_matches_the_server_in_any_case(
    capsys: pytest.CaptureFixture[str], served: Any, argv: list[str]
) -> None:
    code, out, _ = list_jobs(capsys, served, "-o", "jsonl", *argv)
    assert code == 0
    status = argv[-1].split("=")[-1].removeprefix("-s").upper()
    got = [json.loads(line)["job_id"] for line in out.splitlines()]
    want = [job["jobId"] for job in in_served_order(served) if job["status"] == status]
    assert got == want
    assert want
    assert f"status={status}" in served.app.requests[0].target


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


def test_keyboard_interrupt_exits_130_closing_the_json_array(
    capsys: pytest.CaptureFixture[str], served: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Interrupting(_output.JsonArrayWriter[Any]):
        def write(self, item: Any) -> None:
            if self.started:
                raise KeyboardInterrupt
            super().write(item)

    monkeypatch.setitem(_output.WRITERS, "json", Interrupting)
    code, out, err = list_jobs(capsys, served, "--format", "json")
    assert code == 130
    assert err == ""  # not a terminal: nothing to clean
    assert len(json.loads(out)) == 1


def test_broken_pipe_in_process_exits_quietly(
    capsys: pytest.CaptureFixture[str], served: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Closed(_output.JsonLinesWriter[Any]):
        def write(self, item: Any) -> None:
            raise BrokenPipeError

    monkeypatch.setitem(_output.WRITERS, "jsonl", Closed)
    code, _, err = list_jobs(capsys, served, "--format", "jsonl")
    assert code == 141
    assert err == ""
