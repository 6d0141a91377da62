"""``stats result|interval|times`` against the emulator."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from dataflow_async._cli import _stats
from dataflow_async.emulator import make_jobs, run_emulator

from .conftest import assert_usage_error, run


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    with run_emulator(jobs=make_jobs(2)) as emulator:
        job = emulator.app.jobs[0]["jobId"]
        emulator.app.executions.add(job, outcome="COMPLETED", ready=0, running=1, created=0)
        monkeypatch.setenv("NCLOUD_ACCESS_KEY_ID", emulator.credentials.access_key)
        monkeypatch.setenv("NCLOUD_SECRET_ACCESS_KEY", emulator.credentials.secret_key)
        yield emulator


def stats(capsys: pytest.CaptureFixture[str], served: Any, *argv: str) -> tuple[int, str, str]:
    return run(capsys, "stats", *argv, "--endpoint", served.url)


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["result", "--start", "yesterday"], ["--start", "ISO 8601", "'yesterday'"]),
        (["result", "--start", "2026-12-01", "--end", "2026-11-01"], ["is after end"]),
        (["interval", "--end", "2026-13-01"], ["--end"]),
        (["times", "-o", "yaml"], ["'yaml'"]),
    ],
)
def test_bad_periods_exit_2_before_any_request(
    capsys: pytest.CaptureFixture[str], idle: Any, argv: list[str], words: list[str]
) -> None:
    code, out, err = stats(capsys, idle, *argv)
    assert (code, out) == (2, "")
    assert_usage_error(err, f"stats {argv[0]}", *words)
    assert idle.app.requests == []


def test_naive_times_are_korea_time() -> None:
    assert _stats.moment("2026-11-01").isoformat() == "2026-11-01T00:00:00+09:00"
    assert _stats.moment("2026-11-01T09:00+00:00").utcoffset().total_seconds() == 0  # type: ignore[union-attr]


def test_result_interval_and_times(capsys: pytest.CaptureFixture[str], served: Any) -> None:
    start = datetime.fromtimestamp(0).strftime("%Y-%m-%d")
    period = ("--start", "1969-12-31", "--end", "1970-01-02")
    assert start
    code, out, err = stats(capsys, served, "result", *period, "-o", "json")
    assert (code, err) == (0, "")
    assert json.loads(out) == {"total": 1, "completed": 1, "failed": 0}
    code, out, _ = stats(capsys, served, "result", *period)
    assert out.splitlines()[0].split() == ["TOTAL", "1"]
    code, out, _ = stats(capsys, served, "interval", *period, "-o", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert sum(int(row["total"]) for row in rows) == 1
    code, out, _ = stats(capsys, served, "times", *period, "-o", "jsonl")
    points = [json.loads(line) for line in out.splitlines()]
    assert sum(point["value"] for point in points) == 1
    code, out, _ = stats(capsys, served, "interval", *period)
    assert out.splitlines()[0].split() == ["START", "END", "EXECUTIONS"]


def test_the_default_period_is_the_last_seven_days() -> None:
    import argparse

    end = _stats.moment("2026-11-30T12:00")
    start, until = _stats.period(argparse.Namespace(start=None, end=end))
    assert (start.isoformat(), until) == ("2026-11-23T12:00:00+09:00", end)
    start, until = _stats.period(argparse.Namespace(start=None, end=None))
    assert until - start == (end - _stats.moment("2026-11-23T12:00"))
    assert until.utcoffset() == _stats.KST.utcoffset(None)
