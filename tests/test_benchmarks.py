"""The benchmarks run (tiny sizes); their figures are not checked here."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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
