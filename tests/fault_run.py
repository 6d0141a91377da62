"""A long walk under a seeded mix of injected faults, with its figures.

Used by ``tests/test_fault_run.py``, and runnable on its own to print the figures::

    .venv/bin/python -m tests.fault_run [--jobs 50000] [--rate 0.2] [--seed 11]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import time
from collections import Counter

import attrs

from dataflow_async import DataFlowClient, RetryPolicy
from dataflow_async.emulator import (
    DropConnection,
    Fault,
    FaultPlan,
    Latency,
    RunningEmulator,
    ServerFailure,
    Throttle,
    TruncatedBody,
    make_jobs,
    run_emulator,
)

FAULT_MIX: tuple[Fault, ...] = (
    Throttle("420"),  # no Retry-After: backoff
    Throttle("410", retry_after=0),  # Retry-After in seconds
    Throttle("420", retry_after_ms=5),  # retry-after-ms
    ServerFailure(503),
    ServerFailure(500),
    ServerFailure(502),
    DropConnection(),
    TruncatedBody(),
    Latency(0.02),
)

# Fast backoff keeps the run short; the budget is sized for a 20 % fault rate, which the
# default budget (10 tokens, 0.1 back per success) would rightly treat as an outage.
POLICY = RetryPolicy(max_retries=8, initial_backoff=0.002, max_backoff=0.02, budget_tokens=1000)


@attrs.frozen
class FaultRunFigures:
    """What one walk under faults did."""

    jobs: int
    pages: int
    requests: int
    retries: int
    faults: dict[str, int]
    seconds: float
    in_order: bool


class _RetryCounter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.retries = 0

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith("retrying"):
            self.retries += 1


async def walk_under_faults(
    emu: RunningEmulator, *, rate: float, seed: int, page_size: int, prefetch: int
) -> tuple[list[str], FaultRunFigures]:
    """Walk every job of ``emu`` while it injects the mix; return the ids and figures."""
    # The whole job list in one page below is far past a real page's size.
    async with DataFlowClient(
        emu.credentials, base_url=emu.url, retry=POLICY, max_response_bytes=2**30
    ) as client:
        emu.app.faults = None
        expected = [job.job_id for job in (await client.list_jobs(limit=10**7)).jobs]
        plan = FaultPlan.random(seed=seed, rate=rate, faults=FAULT_MIX)
        emu.app.faults = plan
        emu.app.reset()
        counter = _RetryCounter()
        logger = logging.getLogger("dataflow_async")
        logger.addHandler(counter)
        level = logger.level
        logger.setLevel(logging.INFO)
        started = time.perf_counter()
        try:
            pager = client.iter_jobs(page_size=page_size, prefetch=prefetch)
            ids = [job.job_id async for job in pager]
        finally:
            logger.removeHandler(counter)
            logger.setLevel(level)
        seconds = time.perf_counter() - started
    figures = FaultRunFigures(
        jobs=len(ids),
        pages=pager.stats.pages,
        requests=len(emu.app.requests),
        retries=counter.retries,
        faults=dict(Counter(plan.injected)),
        seconds=seconds,
        in_order=ids == expected,
    )
    return ids, figures


def main() -> None:
    parser = argparse.ArgumentParser(description="Walk a large listing under injected faults.")
    parser.add_argument("--jobs", type=int, default=50_000)
    parser.add_argument("--rate", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--page-size", type=int, default=250)
    args = parser.parse_args()
    with run_emulator(jobs=make_jobs(args.jobs, seed=args.seed)) as emu:
        for prefetch in (0, 3):
            _, fig = asyncio.run(
                walk_under_faults(
                    emu, rate=args.rate, seed=args.seed, page_size=args.page_size, prefetch=prefetch
                )
            )
            faults = ", ".join(f"{k} {v}" for k, v in sorted(fig.faults.items()))
            print(
                f"prefetch={prefetch}: {fig.jobs:,} jobs in {fig.pages} pages, in order: "
                f"{fig.in_order}; {fig.requests} requests, {fig.retries} retries; "
                f"faults injected: {sum(fig.faults.values())} ({faults}); {fig.seconds:.2f} s"
            )


if __name__ == "__main__":
    main()
