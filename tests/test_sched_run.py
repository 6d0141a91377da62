"""The acceptance run of run-and-await: many executions under faults, each accounted for
exactly once, and waiters cancelled at random points leaving nothing behind."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from .sched_run import cancel_at_random_points, figure_lines, run_many

PAGE = Path(__file__).resolve().parent.parent / "docs" / "scheduling.md"


async def test_200_executions_under_faults_are_each_accounted_for_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    # run_many itself checks the emulator's store against what run() returned or raised.
    figures = await run_many(executions=200, rate=0.1, seed=7)
    assert figures.executions == 200
    outcomes = figures.outcomes
    assert set(outcomes) == {"COMPLETED", "FAILED", "CANCELED"}, outcomes
    assert sum(outcomes.values()) == 200 and min(outcomes.values()) >= 10
    assert figures.lost_starts > 0 and figures.reconciled >= figures.lost_starts
    assert figures.not_started > 0  # starts that provably made nothing, started again
    assert figures.starts_sent == 200 + figures.not_started + figures.refused_starts
    assert {"lost-response", "server-failure", "drop-connection"} <= set(figures.faults)
    assert [r.getMessage() for r in caplog.records] == []
    # The page quotes this run (seeded, in process: the same every time but for the time).
    quoted = PAGE.read_text()
    for line in figure_lines(figures):
        if not line.lstrip().startswith("seconds:"):
            assert line in quoted, line


async def test_a_run_over_loopback_accounts_for_each_execution(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    figures = await run_many(executions=20, rate=0.1, seed=3, loopback=True)
    assert figures.executions == 20 and sum(figures.outcomes.values()) == 20
    assert figures.faults
    assert [r.getMessage() for r in caplog.records] == []


async def test_waiters_cancelled_at_random_points_leave_nothing_behind(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    # cancel_at_random_points checks: no task, no connection checked out, nothing started
    # twice, and each cancelled run CANCELED or left running as cancel_on_abandon says.
    figures = await cancel_at_random_points(tasks=60, rate=0.1, seed=7)
    assert figures.cancelled >= 50
    assert figures.left_running > 10 and figures.cancelled_on_abandon > 10
    assert [r.getMessage() for r in caplog.records] == []
