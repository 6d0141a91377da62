"""Many executions through ``executions.run`` under faults, in virtual time, with figures.

Each job is run once through ``client.executions.run`` while the emulator injects a
seeded mix of faults on starts and polls (lost responses included) and a seeded
canceller cancels some executions on the server. Every execution the emulator holds
must be the one ``run`` returned or raised for its job: none started twice, none lost.
A second phase cancels the waiting tasks at seeded random points. Used by
``tests/test_sched_run.py``, and runnable on its own to print the figures::

    .venv/bin/python -m tests.sched_run [--executions 200] [--rate 0.1] [--seed 7] [--loopback]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import random
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from typing import Any

import attrs
import httpx

from dataflow_async import (
    AmbiguousWriteError,
    DataFlowClient,
    DataFlowError,
    ExecutionError,
    NcpSignatureAuth,
    PollPolicy,
)
from dataflow_async.emulator import (
    JOBS_PATH,
    DropConnection,
    EmulatorApp,
    Fault,
    FaultPlan,
    LostResponse,
    ManualClock,
    ServerFailure,
    Throttle,
    TruncatedBody,
    run_emulator,
)

from .virtual import (
    CREDENTIALS,
    IN_PROCESS_URL,
    checked_out,
    poll_policy,
    settle,
    virtual_client,
)

# On starts (POST .../executions) and polls and listings (GET .../executions[/id]);
# cancels are left alone, so that a cancel on abandon is seen to land.
FAULTED_PATHS = r"/executions(/[^/]+)?$"
FAULT_MIX: tuple[Fault, ...] = (
    LostResponse(),  # the write is made, the answer lost
    LostResponse(504),  # the write is made, the gateway answers 504
    ServerFailure(503),  # nothing made
    DropConnection(),  # nothing made
    Throttle("420"),  # nothing made; retried, even for a start
    TruncatedBody(),
)
STARTS = r"/executions"
ACTIVE = ("READY", "RUNNING")
MAX_ATTEMPTS = 10  # starts per job: each retry follows a start proven not to have happened


@attrs.frozen
class RunFigures:
    """What one run did. ``outcomes`` counts how each ``run()`` ended; ``refused_starts``
    were throttled by the gateway (provably not made, so retried by the client);
    ``lost_starts`` made the execution and lost the answer; ``reconciled`` ambiguous
    starts were found by reconciliation; ``not_started`` were found not to have
    happened, and were started again."""

    executions: int
    requests: int
    starts_sent: int
    faults: dict[str, int]
    refused_starts: int
    lost_starts: int
    reconciled: int
    not_started: int
    outcomes: dict[str, int]
    virtual_hours: float
    seconds: float


@attrs.define
class Tally:
    """What the callers of ``run()`` saw, per job."""

    seen: dict[str, list[str]] = attrs.Factory(dict)  # job id -> execution ids returned/raised
    outcomes: Counter[str] = attrs.Factory(Counter)
    not_started: int = 0
    errors: list[str] = attrs.Factory(list)


class _Reconciled(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.found = 0

    def emit(self, record: logging.LogRecord) -> None:
        if "was ambiguous; found its execution" in record.getMessage():
            self.found += 1


@contextlib.contextmanager
def counting_reconciliations() -> Iterator[_Reconciled]:
    handler = _Reconciled()
    log = logging.getLogger("dataflow_async")
    level = log.level
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        log.removeHandler(handler)
        log.setLevel(level)


async def run_until_known(
    client: DataFlowClient, job_id: str, poll: PollPolicy, tally: Tally, **options: bool
) -> None:
    """Run ``job_id`` once; start again only after a start proven not to have happened."""
    for _ in range(MAX_ATTEMPTS):
        try:
            done = await client.executions.run(job_id, poll=poll, **options)
        except ExecutionError as exc:
            tally.seen.setdefault(job_id, []).append(exc.execution.execution_id)
            tally.outcomes[str(exc.execution.status)] += 1
        except AmbiguousWriteError as exc:
            if exc.candidates:
                tally.seen.setdefault(job_id, []).extend(exc.candidates)
                tally.outcomes["ambiguous"] += 1
                return
            tally.not_started += 1  # reconciliation found nothing: starting again is safe
            continue
        except DataFlowError as exc:
            tally.outcomes[type(exc).__name__] += 1
            tally.errors.append(f"{job_id}: {exc!r}")
        else:
            tally.seen.setdefault(job_id, []).append(done.execution_id)
            tally.outcomes[str(done.status)] += 1
        return
    tally.outcomes["gave up"] += 1


async def canceller(
    app: EmulatorApp, clock: ManualClock, http: httpx.AsyncClient, stop: asyncio.Event, seed: int
) -> int:
    """Every 10 virtual minutes, cancel each active execution with a 5 % chance, as someone
    else would on the server: through ``http``, not the client under test. Returns how many."""
    rng = random.Random(seed)
    next_round = clock() + 600
    cancelled = 0
    while not stop.is_set():
        await asyncio.sleep(0)
        if clock() < next_round:
            continue
        next_round = clock() + 600
        for run in app.executions.list():
            if run["status"] in ACTIVE and rng.random() < 0.05:
                path = f"{JOBS_PATH}/{run['jobId']}/executions/{run['jobExecutionId']}/cancel"
                cancelled += (await http.post(path)).status_code == 200
    return cancelled


def check_accounted(app: EmulatorApp, job_ids: list[str], tally: Tally) -> None:
    """Every execution of the emulator is the one its job's caller saw, exactly once."""
    stored = {j: [r["jobExecutionId"] for r in app.executions.list(j)] for j in job_ids}
    problems = [
        f"{job_id}: emulator {stored[job_id]}, run() {tally.seen.get(job_id, [])}"
        for job_id in job_ids
        if len(stored[job_id]) != 1 or sorted(stored[job_id]) != sorted(tally.seen.get(job_id, []))
    ]
    if problems:
        raise AssertionError(
            "executions not accounted for exactly once:\n" + "\n".join(problems + tally.errors)
        )


def new_app(
    seed: int, running: tuple[float, float] = (60, 3600)
) -> tuple[EmulatorApp, ManualClock]:
    clock = ManualClock()
    app = EmulatorApp([], clock=clock, seed=seed)
    # A quarter fail; READY up to 30 s, then RUNNING (from 1 minute to 1 hour by default).
    app.executions.plan_random(seed=seed, failure_rate=0.25, ready=(0, 30), running=running)
    return app, clock


async def make_jobs_of(client: DataFlowClient, count: int, prefix: str) -> list[str]:
    return [
        (await client.jobs.create(name=f"{prefix}_{n:03d}", type="SCRIPT")).job_id
        for n in range(count)
    ]


async def run_many(
    *, executions: int, rate: float, seed: int, loopback: bool = False, concurrency: int = 20
) -> RunFigures:
    """Run ``executions`` jobs once each under faults; check the accounting; the figures."""
    app, clock = new_app(seed)
    if loopback:
        # Over a socket the clock moves while a request is in flight, by every other
        # waiter's sleep: with 20 waiters a request could arrive signed more than the
        # gateway's 5 minutes ago (in virtual time). Four keep the jumps under a minute.
        with run_emulator(app, host="127.0.0.1") as emu:
            return await _run_many(app, clock, executions, rate, seed, emu.url, min(4, concurrency))
    return await _run_many(app, clock, executions, rate, seed, None, concurrency)


async def _run_many(
    app: EmulatorApp,
    clock: ManualClock,
    executions: int,
    rate: float,
    seed: int,
    url: str | None,
    concurrency: int,
) -> RunFigures:
    started_at = clock()
    wall = time.perf_counter()
    tally = Tally()
    async with virtual_client(app, clock, url=url) as client, other_party(app, clock, url) as http:
        job_ids = await make_jobs_of(client, executions, "run")
        app.faults = FaultPlan.random(seed=seed, rate=rate, faults=FAULT_MIX, path=FAULTED_PATHS)
        app.reset()
        slots = asyncio.Semaphore(concurrency)

        async def one(job_id: str, n: int) -> None:
            async with slots:
                await run_until_known(client, job_id, poll_policy(clock, seed=n), tally)

        stop = asyncio.Event()
        with counting_reconciliations() as reconciled:
            cancels = asyncio.create_task(canceller(app, clock, http, stop, seed))
            async with asyncio.TaskGroup() as group:
                for n, job_id in enumerate(job_ids):
                    group.create_task(one(job_id, n))
            stop.set()
            await cancels
        check_accounted(app, job_ids, tally)
        assert not checked_out(client) and asyncio.all_tasks() == {asyncio.current_task()}
    starts = [r for r in app.requests if r.method == "POST" and r.target.endswith(STARTS)]
    return RunFigures(
        executions=len(app.executions),
        requests=len(app.requests),
        starts_sent=len(starts),
        faults=dict(app.faults.injected),  # type: ignore[union-attr]
        refused_starts=sum(r.fault == "throttle" for r in starts),
        lost_starts=sum(r.fault == "lost-response" for r in starts),
        reconciled=reconciled.found,
        not_started=tally.not_started,
        outcomes=dict(tally.outcomes),
        virtual_hours=(clock() - started_at) / 3600,
        seconds=time.perf_counter() - wall,
    )


@contextlib.asynccontextmanager
async def other_party(
    app: EmulatorApp, clock: ManualClock, url: str | None
) -> AsyncIterator[httpx.AsyncClient]:
    """A plain signed HTTP client of the emulator: someone else acting on the server."""
    auth = NcpSignatureAuth(CREDENTIALS, clock=clock)
    if url is None:
        http = httpx.AsyncClient(transport=app.transport(), base_url=IN_PROCESS_URL, auth=auth)
    else:
        http = httpx.AsyncClient(base_url=url, auth=auth)
    async with http:
        yield http


@attrs.frozen
class CancelFigures:
    """What cancelling waiters at random points left on the server, by how each was asked."""

    tasks: int
    cancelled: int  # tasks that ended cancelled (the others finished first)
    left_running: int  # cancel_on_abandon=False: executions left READY or RUNNING
    cancelled_on_abandon: int  # cancel_on_abandon=True: executions CANCELED by the cancel
    never_started: int  # cancelled before their start arrived


async def cancel_at_random_points(*, tasks: int, rate: float, seed: int) -> CancelFigures:
    """Start ``tasks`` runs (half with ``cancel_on_abandon``), cancel each at a seeded
    random point; check what is left on the server and in the process."""
    app, clock = new_app(seed, running=(2 * 3600, 6 * 3600))  # most are cancelled running
    rng = random.Random(seed)
    async with virtual_client(app, clock) as client:
        job_ids = await make_jobs_of(client, tasks, "cancel")
        app.faults = FaultPlan.random(seed=seed, rate=rate, faults=FAULT_MIX, path=FAULTED_PATHS)
        abandon = {job_id: rng.random() < 0.5 for job_id in job_ids}
        waiters = {
            job_id: asyncio.create_task(
                client.executions.run(
                    job_id,
                    poll=poll_policy(clock, seed=n),
                    cancel_on_abandon=abandon[job_id],
                    raise_on_failure=False,
                )
            )
            for n, job_id in enumerate(job_ids)
        }
        await cancel_when_due(clock, waiters, rng)
        await asyncio.wait(waiters.values())
        await settle()
        assert not checked_out(client) and asyncio.all_tasks() == {asyncio.current_task()}
        figures = _check_cancelled(app, waiters, abandon)
    return figures


async def cancel_when_due(
    clock: ManualClock, waiters: dict[str, asyncio.Task[Any]], rng: random.Random
) -> None:
    """Cancel each waiter at a seeded point: a third within their first loop steps (the
    start or its reconciliation in flight), the others at a random virtual time in the
    first hour (waiting, polling, retrying a poll)."""
    start = clock()
    due = {
        job_id: (rng.randrange(30), float("inf"))
        if rng.random() < 1 / 3
        else (-1, rng.uniform(0, 7200))
        for job_id in waiters
    }
    for step in range(1_000_000):
        if all(task.done() for task in waiters.values()):
            return
        for job_id, (at_step, at_time) in due.items():
            if step == at_step or clock() - start >= at_time:
                waiters[job_id].cancel()
        await asyncio.sleep(0)


def _check_cancelled(
    app: EmulatorApp, waiters: dict[str, asyncio.Task[Any]], abandon: dict[str, bool]
) -> CancelFigures:
    counts: Counter[str] = Counter()
    for job_id, task in waiters.items():
        runs = app.executions.list(job_id)
        assert len(runs) <= 1, f"{job_id} started {len(runs)} times"
        if not task.cancelled():
            task.exception()  # retrieved: a fault may have ended it first
            continue
        counts["cancelled"] += 1
        if not runs:
            counts["never_started"] += 1
            continue
        status = runs[0]["status"]
        if abandon[job_id]:
            assert status not in ACTIVE, f"{job_id}: cancel_on_abandon left it {status}"
            counts["cancelled_on_abandon"] += status == "CANCELED"
        else:
            assert status != "CANCELED", f"{job_id}: cancelled without cancel_on_abandon"
            counts["left_running"] += status in ACTIVE
    return CancelFigures(
        tasks=len(waiters),
        cancelled=counts["cancelled"],
        left_running=counts["left_running"],
        cancelled_on_abandon=counts["cancelled_on_abandon"],
        never_started=counts["never_started"],
    )


def figure_lines(figures: RunFigures) -> list[str]:
    """The figures as the command prints them (and docs/scheduling.md quotes them)."""
    return [
        f"{field:>14}: {round(value, 1) if isinstance(value, float) else value}"
        for field, value in attrs.asdict(figures).items()
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description="Run many executions under injected faults.")
    parser.add_argument("--executions", type=int, default=200)
    parser.add_argument("--rate", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--loopback", action="store_true", help="over a socket, not in process")
    args = parser.parse_args()
    figures = asyncio.run(
        run_many(executions=args.executions, rate=args.rate, seed=args.seed, loopback=args.loopback)
    )
    print("\n".join(figure_lines(figures)))
    cancelled = asyncio.run(cancel_at_random_points(tasks=60, rate=args.rate, seed=args.seed))
    print(f"{'cancelling':>14}: {attrs.asdict(cancelled)}")


if __name__ == "__main__":
    main()
