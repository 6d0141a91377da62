"""Run a Data Flow job every interval with APScheduler 4's ``AsyncScheduler``.

The same as ``run_interval_aps3.py`` on APScheduler 4 (a pre-release: ``pip install
'apscheduler==4.0.0a6'``; it cannot be installed next to APScheduler 3). Each tick
runs the job through ``client.executions.run`` and logs how the run ended. The task
allows one running job at a time (``max_running_jobs=1``) and the schedule coalesces
ticks missed meanwhile into the latest one.

On SIGINT or SIGTERM the scheduler stops: APScheduler 4 cancels the job in flight, so
the run being waited for is abandoned: it goes on on the server, or with
``--cancel-on-shutdown`` it is cancelled there first. Then the client is closed::

    python docs/examples/run_interval_aps4.py JOB_ID --interval 3600 --timeout 3000

against the API (credentials from ``NCLOUD_ACCESS_KEY_ID`` / ``NCLOUD_SECRET_ACCESS_KEY``
or ``~/.ncloud/configure``), or against ``dataflow-async emulator``
(``DATAFLOW_ASYNC_ENDPOINT=http://127.0.0.1:8080``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Callable

from apscheduler import AsyncScheduler, CoalescePolicy  # type: ignore[import-untyped]
from apscheduler.triggers.interval import IntervalTrigger  # type: ignore[import-untyped]

from dataflow_async import (
    AmbiguousWriteError,
    ConcurrencyLimitError,
    DataFlowClient,
    DataFlowError,
    ExecutionCanceledError,
    ExecutionFailedError,
    MissingCredentialsError,
    PollPolicy,
    WaitTimeoutError,
)

log = logging.getLogger("run_interval")


async def run_once(
    client: DataFlowClient,
    job_id: str,
    *,
    timeout: float | None,
    poll: PollPolicy | None,
    cancel_on_abandon: bool,
) -> str:
    """Run the job once and say how it ended. Raises only ``CancelledError``."""
    try:
        done = await client.executions.run(
            job_id, timeout=timeout, poll=poll, cancel_on_abandon=cancel_on_abandon
        )
    except ExecutionFailedError as exc:
        return f"{exc.execution.execution_id} FAILED"
    except ExecutionCanceledError as exc:
        return f"{exc.execution.execution_id} CANCELED"
    except WaitTimeoutError as exc:
        last = exc.execution
        return f"{last.execution_id if last else 'no run'} still going after {timeout:g} s"
    except ConcurrencyLimitError:
        return "skipped: the job still runs as many executions as it may"
    except AmbiguousWriteError as exc:
        return f"not known whether it started: {exc}"
    except DataFlowError as exc:
        return f"error: {exc}"
    return f"{done.execution_id} COMPLETED"


class IntervalRun:
    """The scheduled task: one run per tick, each outcome logged and kept."""

    def __init__(
        self,
        client: DataFlowClient,
        job_id: str,
        *,
        timeout: float | None = None,
        poll: PollPolicy | None = None,
        cancel_on_shutdown: bool = False,
        report: Callable[[str], object] = log.info,
    ) -> None:
        self.client = client
        self.job_id = job_id
        self.timeout = timeout
        self.poll = poll
        self.cancel_on_shutdown = cancel_on_shutdown
        self.report = report
        self.outcomes: list[str] = []

    async def tick(self) -> None:
        """One run; cancelled by the scheduler's stop, it says so and lets go."""
        try:
            outcome = await run_once(
                self.client,
                self.job_id,
                timeout=self.timeout,
                poll=self.poll,
                cancel_on_abandon=self.cancel_on_shutdown,
            )
        except asyncio.CancelledError:
            action = "cancelled it" if self.cancel_on_shutdown else "left it running"
            self._log(f"stopped waiting on shutdown ({action})")
            raise
        self._log(outcome)

    def _log(self, outcome: str) -> None:
        self.outcomes.append(outcome)
        self.report(f"job {self.job_id}: {outcome}")


async def main(
    client: DataFlowClient,
    job_id: str,
    stop: asyncio.Event,
    *,
    interval: float,
    timeout: float | None = None,
    poll: PollPolicy | None = None,
    cancel_on_shutdown: bool = False,
    report: Callable[[str], object] = log.info,
) -> IntervalRun:
    """Run the job every ``interval`` seconds (the first now) until ``stop`` is set."""
    runs = IntervalRun(
        client,
        job_id,
        timeout=timeout,
        poll=poll,
        cancel_on_shutdown=cancel_on_shutdown,
        report=report,
    )
    async with AsyncScheduler() as scheduler:
        await scheduler.configure_task("dataflow-run", func=runs.tick, max_running_jobs=1)
        await scheduler.add_schedule(
            "dataflow-run",
            IntervalTrigger(seconds=interval),
            id="dataflow-run",
            coalesce=CoalescePolicy.latest,
        )
        await scheduler.start_in_background()
        await stop.wait()
        await scheduler.stop()  # cancels the tick in flight
        await scheduler.wait_until_stopped()
    return runs


async def _run_from_environment(args: argparse.Namespace) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # Windows: Ctrl-C cancels main()
            loop.add_signal_handler(signum, stop.set)
    poll = PollPolicy(initial=args.poll, maximum=max(args.poll, 30.0))
    async with DataFlowClient() as client:
        runs = await main(
            client,
            args.job_id,
            stop,
            interval=args.interval,
            timeout=args.timeout,
            poll=poll,
            cancel_on_shutdown=args.cancel_on_shutdown,
        )
    log.info("stopped after %d runs", len(runs.outcomes))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Run a Data Flow job every interval.")
    parser.add_argument("job_id", metavar="JOB_ID")
    parser.add_argument("-i", "--interval", type=float, default=3600.0, help="seconds")
    parser.add_argument("--timeout", type=float, help="seconds to wait for each run")
    parser.add_argument("--poll", type=float, default=5.0, help="first poll after (seconds)")
    parser.add_argument(
        "--cancel-on-shutdown", action="store_true", help="cancel the run being waited for"
    )
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    for chatty in ("apscheduler", "httpx"):  # not a line per tick, nor per request
        logging.getLogger(chatty).setLevel(logging.WARNING)
    try:
        asyncio.run(_run_from_environment(parser.parse_args()))
    except MissingCredentialsError as exc:
        sys.exit(str(exc))
