"""The benchmarks run (tiny sizes); their figures are not checked here."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest

BENCHMARKS = Path(__file__).parent.parent / "benchmarks"


def run(script: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_bench_runs_every_case_quickly() -> None:
    out = run("bench_jobs.py", "--quick")
    for expected in (
        "signing one request:",
        "2,000 jobs, pages of 1000",
        "2,000 jobs, dates without offset",
        "2,000 job executions",
        "50 ms per page",
        "peak memory walking 2,000 jobs",
    ):
        assert expected in out, out
    for variant in ("raw dicts", "naive typed", "iter_jobs(prefetch=4)"):
        assert variant in out
    assert "x naive" in out and "per item" in out and "median" in out


def test_walk_profile_runs() -> None:
    out = run("profile_walk.py", "--jobs", "1000", "--rounds", "1", "--requests", "5")
    assert "structure, GC paused" in out and "GET via cancel-safe send" in out


def test_the_request_cpu_stack_runs_every_layer() -> None:
    out = run("request_cpu.py", "--requests", "5", "--rounds", "1")
    rows = [line for line in out.splitlines() if line.rstrip().endswith("us")]
    assert [row.split("  ")[1].strip() for row in rows] == [
        "h11 over an asyncio stream",
        "+ httpcore's pool",
        "+ httpx (http_client.send)",
        "+ the library (jobs.list)",
    ]


def test_the_revision_comparison_runs_and_checks_each_walk() -> None:
    out = run("ab_walks.py", "HEAD", ".", "--rounds", "1", "--walks", "2", "--jobs", "1500")
    assert "walks of 1,500 jobs" in out and "median CPU, b against a:" in out
    rows = [line.split() for line in out.splitlines() if line.lstrip().startswith(("HEAD", ". "))]
    assert [row[0] for row in rows] == ["HEAD", "."]
    assert all(row[-1] == "1" for row in rows)  # the first walk of each process is left out


def test_the_revision_comparison_refuses_an_unknown_revision() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "ab_walks.py"), "no-such-revision", ".", "--jobs", "10"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0 and "no-such-revision" in done.stderr


async def test_the_walk_check_finds_what_a_walk_left() -> None:
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import bench_jobs
    finally:
        sys.path.remove(str(BENCHMARKS))

    class Connection:
        def __init__(self, idle: bool) -> None:
            self.idle = idle

        def is_idle(self) -> bool:
            return self.idle

        def is_closed(self) -> bool:
            return False

    pool = types.SimpleNamespace(connections=[Connection(True)], _requests=[])
    client: Any = types.SimpleNamespace(
        http_client=types.SimpleNamespace(_transport=types.SimpleNamespace(_pool=pool))
    )
    bench_jobs.check_nothing_left(client)  # an idle connection is fine
    pool.connections.append(Connection(False))
    with pytest.raises(RuntimeError, match="left after the walk"):
        bench_jobs.check_nothing_left(client)
    pool.connections.pop()
    task = asyncio.ensure_future(asyncio.sleep(1))
    try:
        with pytest.raises(RuntimeError, match="left after the walk"):
            bench_jobs.check_nothing_left(client)
    finally:
        task.cancel()
