"""Writers, the shared sanitising rule, tables fitted to a width, single objects."""

from __future__ import annotations

import io
import itertools
import json
from typing import Any

import pytest

from dataflow_async._cli import _jobs, _output, _sanitize, _table
from dataflow_async._converter import structure_jobs
from dataflow_async.emulator import make_jobs

from ..conftest import job_json

VIEW = _jobs.JOB_VIEW
COLUMNS = _jobs.JOB_COLUMNS


class CountingStream(io.StringIO):
    flushes = 0

    def flush(self) -> None:
        self.flushes += 1
        super().flush()


@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv"])
def test_machine_formats_flush_each_item(fmt: str) -> None:
    jobs = structure_jobs(make_jobs(4))
    stream = CountingStream()
    out = _output.WRITERS[fmt](stream, VIEW, _output.WriterOptions())
    for n, job in enumerate(jobs, 1):
        out.write(job)
        assert stream.flushes == n
        assert jobs[n - 1].job_id in stream.getvalue()


def test_an_aborted_json_array_is_valid_json() -> None:
    jobs = structure_jobs(make_jobs(3))
    for count in range(4):
        stream = io.StringIO()
        writer = _output.JsonArrayWriter(stream, VIEW, _output.WriterOptions())
        for job in jobs[:count]:
            writer.write(job)
        writer.abort()
        assert [r["job_id"] for r in json.loads(stream.getvalue())] == [
            j.job_id for j in jobs[:count]
        ]


def test_an_aborted_table_writes_nothing() -> None:
    stream = io.StringIO()
    writer = _output.TableWriter(stream, VIEW, _output.WriterOptions())
    writer.write(structure_jobs(make_jobs(1))[0])
    writer.abort()
    assert stream.getvalue() == ""


def test_a_lone_surrogate_in_a_name_is_escaped_not_fatal() -> None:
    # The standard library's JSON decoder (used without orjson) lets "\ud83d" through.
    from dataflow_async._cli._terminal import ensure_utf8

    (job,) = structure_jobs([job_json(1, name="report \ud83d")])
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="ascii")
    ensure_utf8(stream)
    _output.JsonLinesWriter(stream, VIEW, _output.WriterOptions()).write(job)
    line = raw.getvalue().decode("utf-8")
    assert json.loads(line)["name"] == "report \ud83d"


# --------------------------------------------------------------------------- sanitising


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("plain", "plain"),
        ("매출 집계", "매출 집계"),
        ("a\u3000b\u00a0c", "a\u3000b\u00a0c"),  # spaces of other scripts are text
        ("\x1b]0;t\x07", "?]0;t?"),
        ("\x9b2J", "?2J"),
        ("\u202eabc\u2066", "?abc?"),
        ("a\u2028b\u2029c\x85d", "a?b?c?d"),
        ("\ud83d", "?"),
        ("tab\there", "tab?here"),
        ("\U000e0041tag", "?tag"),
        ("\ue000", "\ue000"),  # private use: shown
    ],
)
def test_terminal_text(text: str, shown: str) -> None:
    assert _sanitize.terminal_text(text) == shown


@pytest.mark.parametrize(
    ("text", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@x", "'@x"),
        ("\tx", "'\tx"),
        ("a=b", "a=b"),
        ("line\nbreak", "line\nbreak"),
        ("\x1b[2J", "?[2J"),
        ("\r=x", "?=x"),
    ],
)
def test_csv_text(text: str, cell: str) -> None:
    assert _sanitize.csv_text(text) == cell


@pytest.mark.parametrize(
    "value",
    [
        {"a": "\x1b\x7f\x85\u202e\u2028\ud800\U000e0001 ok"},
        {"nested": ["\u2066", {"k\x9b": 1}], "n": None},
    ],
)
def test_json_safe_escapes_and_keeps_the_value(value: Any) -> None:
    for indent in (None, 2):
        text = _sanitize.json_safe(json.dumps(value, ensure_ascii=False, indent=indent))
        assert all(not _sanitize.is_unsafe(c) or c == "\n" for c in text)
        assert json.loads(text) == value


def test_one_line_cuts_and_flattens() -> None:
    assert _sanitize.one_line("a\n\n b\r\n\tc") == "a b c"
    cut = _sanitize.one_line("x" * 2000, limit=100)
    assert len(cut) == 100
    assert cut.endswith("…")


# --------------------------------------------------------------------------- tables


def wide_jobs() -> list[Any]:
    records = make_jobs(20, seed=5)
    records[0]["name"] = "로그 수집 작업 " + "x" * 80
    records[1]["name"] = "결제 집계"
    return structure_jobs(records)


@pytest.mark.parametrize("width", [200, 118, 100, 90, 80, 70, 60, 50, 40])
def test_table_fits_the_width_keeping_id_name_and_status(width: int) -> None:
    jobs = wide_jobs()
    lines = _table.render_table(jobs, COLUMNS, width=width).splitlines()
    assert all(_table.display_width(line) <= width for line in lines), width
    header = lines[0]
    for kept in ("JOB ID", "NAME", "STATUS"):
        assert kept in header
    for line, job in zip(lines[1:], jobs, strict=True):
        assert line.startswith(job.job_id + "  ")
        status_at = header.index("STATUS")
        assert after_columns(line, status_at).startswith(str(job.status))


def after_columns(line: str, columns: int) -> str:
    used = 0
    for index, char in enumerate(line):
        if used >= columns:
            return line[index:]
        used += _table.display_width(char)
    return ""


def test_columns_go_in_order_as_the_width_shrinks() -> None:
    jobs = wide_jobs()
    seen = []
    for width in range(140, 30, -1):
        header = _table.render_table(jobs, COLUMNS, width=width).splitlines()[0]
        shown = tuple(c.header for c in COLUMNS if f"{c.header}  " in header + "  ")
        if not seen or seen[-1] != shown:
            seen.append(shown)
    dropped = [next(iter(set(a) - set(b))) for a, b in itertools.pairwise(seen)]
    assert dropped == ["UPDATED", "LAST RUN AT", "TYPE", "LAST RUN"]


def test_name_is_cut_before_any_column_is_dropped() -> None:
    jobs = wide_jobs()
    whole = _table.render_table(jobs, COLUMNS).splitlines()
    full = max(_table.display_width(line) for line in whole)
    fitted = _table.render_table(jobs, COLUMNS, width=full - 10).splitlines()
    assert fitted[0].split() == whole[0].split()  # the same columns
    assert "…" in fitted[1]


def test_unlimited_width_is_the_whole_table() -> None:
    jobs = wide_jobs()
    assert _table.render_table(jobs, COLUMNS, width=None) == _table.render_table(
        jobs, COLUMNS, width=10_000
    )


def test_write_object_as_json_and_as_key_value_lines() -> None:
    (job,) = structure_jobs([job_json(1, name="매출\x1b[2J")])
    stream = io.StringIO()
    _output.write_object(stream, job, VIEW, "json")
    record = json.loads(stream.getvalue())
    assert record["name"] == "매출\x1b[2J"
    assert "\x1b" not in stream.getvalue()
    stream = io.StringIO()
    _output.write_object(stream, job, VIEW, "table")
    lines = stream.getvalue().splitlines()
    assert lines[0] == "JOB ID                 job000000001"
    assert "NAME                   매출?[2J" in lines
    assert "MAX CONCURRENT RUNS    -" in lines
    assert len(lines) == len(VIEW.fields)


def test_a_table_exactly_as_wide_as_the_terminal_keeps_every_column() -> None:
    jobs = wide_jobs()
    whole = _table.render_table(jobs, COLUMNS)
    full = max(_table.display_width(line) for line in whole.splitlines())
    assert _table.render_table(jobs, COLUMNS, width=full) == whole
    assert _table.render_table(jobs, COLUMNS, width=full - 1) != whole


def test_pairs_expand_a_nested_model_and_keep_user_maps_as_json() -> None:
    from dataflow_async import JobCondition, JobExecution
    from dataflow_async._cli._views import EXECUTION_VIEW

    execution = JobExecution(
        execution_id="e1",
        job_id="j1",
        status="READY",
        job_condition=JobCondition(num_worker=2, parameters={"run_day": "mon"}),
        parsed_parameters={"my_key": "\x1b[2Jv"},
    )
    pairs = EXECUTION_VIEW.pairs(execution)
    at = pairs.index(("JOB CONDITION", ""))
    assert pairs[at + 1 : at + 3] == [
        ("  NUM WORKER", "2"),
        ("  PARAMETERS", '{"run_day":"mon"}'),  # the user's keys, as given
    ]
    assert ("PARSED PARAMETERS", '{"my_key":"\\u001b[2Jv"}') in pairs
    text = _table.render_pairs(pairs)
    assert "\x1b" not in text
    assert "PARSED PARAMETERS" in text
