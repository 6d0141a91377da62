"""A periodic check of Data Flow jobs run by APScheduler 3's ``AsyncIOScheduler``.

One ``DataFlowClient`` is shared by every run (one connection pool, one retry budget).
The check is an interval job with ``max_instances=1`` (a slow check is never run twice
at once) and ``coalesce=True`` (runs missed meanwhile collapse into one). Each run lists
the jobs and prints those whose status or last execution status changed since the last
run. A run that fails with a ``DataFlowError`` is logged, and the next ones go on; when
the failure is an HTTP error response that asked for a wait (``Retry-After`` or
``retry-after-ms``: a quota, or a throttle or a 5xx that outlasted the client's
retries), the runs due meanwhile are skipped until that wait has passed, but never for
more than ``--max-wait`` seconds (15 minutes by default: a longer wait is cut to that,
and the cut is logged). On SIGINT or SIGTERM the scheduler stops starting runs, lets the
run in flight finish, and shuts down; then the client is closed.

Needs APScheduler 3 (``pip install 'apscheduler>=3.10,<4'``, or the ``examples`` extra).
Run it against the API (credentials from ``NCLOUD_ACCESS_KEY_ID`` /
``NCLOUD_SECRET_ACCESS_KEY`` or ``~/.ncloud/configure``)::

    python docs/examples/apscheduler_job.py --interval 60

or against ``dataflow-async emulator`` running in another terminal::

    DATAFLOW_ASYNC_ENDPOINT=http://127.0.0.1:8080 python docs/examples/apscheduler_job.py -i 5
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import logging
import signal
import sys
import time
from collections.abc import Callable

from apscheduler.schedulers.asyncio import AsyncIOScheduler  # type: ignore[import-untyped]

from dataflow_async import (
    APIStatusError,
    DataFlowClient,
    DataFlowError,
    Job,
    JobStatus,
    MissingCredentialsError,
)

log = logging.getLogger("apscheduler_job")

# The longest pause in the runs that a Retry-After can impose. The client itself waits
# for a Retry-After only up to RetryPolicy.max_retry_after (60 s by default) and raises
# at once on a longer one; the check then skips runs instead, but not for as long as
# any header says: one odd value (a day, 1e9) would stop the checks without a word.
MAX_WAIT = 15 * 60.0


class StatusCheck:
    """The scheduled job: one listing per run, compared with the previous run's."""

    def __init__(
        self,
        client: DataFlowClient,
        *,
        status: JobStatus | str | None = None,
        name: str | None = None,
        report: Callable[[str], object] = print,
        max_wait: float = MAX_WAIT,
    ) -> None:
        self.client = client
        self.status = status
        self.name = name
        self.report = report
        self.max_wait = max_wait
        self.runs = 0
        self.failures = 0
        self._jobs: dict[str, Job] | None = None
        self._not_before = 0.0  # time.monotonic() before which runs are skipped
        self._running = asyncio.Lock()

    async def run(self) -> None:
        """One check. Pass this bound method to ``add_job``: APScheduler runs it on the
        event loop because it is a coroutine function (an object with an async
        ``__call__`` would be sent to a thread pool instead)."""
        if time.monotonic() < self._not_before:
            return
        async with self._running:
            self.runs += 1
            try:
                jobs = {
                    job.job_id: job
                    async for job in self.client.iter_jobs(status=self.status, name=self.name)
                }
            except DataFlowError as exc:
                self.failures += 1
                # Any HTTP error (a quota, a throttle, a 503) may say how long to wait.
                if isinstance(exc, APIStatusError) and exc.retry_after is not None:
                    wait = exc.retry_after
                    if wait > self.max_wait:
                        log.warning(
                            "asked to wait %g s; waiting max_wait, %g s", wait, self.max_wait
                        )
                        wait = self.max_wait
                    self._not_before = time.monotonic() + wait
                log.warning("check failed: %s", exc)
                return
            if self._jobs is None:
                log.info("watching %d jobs", len(jobs))
            else:
                for line in _changes(self._jobs, jobs):
                    self.report(line)
            self._jobs = jobs

    async def wait_idle(self) -> None:
        """Return once no run is in flight."""
        async with self._running:
            pass


def _changes(before: dict[str, Job], after: dict[str, Job]) -> list[str]:
    lines = []
    for job_id, job in after.items():
        old = before.get(job_id)
        if old is None:
            lines.append(f"{job.name} ({job_id}): new, {job.status}")
            continue
        if old.status != job.status:
            lines.append(f"{job.name} ({job_id}): status {old.status} -> {job.status}")
        if old.last_execution_status != job.last_execution_status:
            lines.append(
                f"{job.name} ({job_id}): last execution "
                f"{old.last_execution_status} -> {job.last_execution_status}"
            )
    lines += [
        f"{old.name} ({job_id}): gone" for job_id, old in before.items() if job_id not in after
    ]
    return lines


async def main(
    client: DataFlowClient,
    stop: asyncio.Event,
    *,
    interval: float = 60.0,
    status: JobStatus | str | None = None,
    name: str | None = None,
    report: Callable[[str], object] = print,
    max_wait: float = MAX_WAIT,
) -> StatusCheck:
    """Run the check every ``interval`` seconds (the first one now) until ``stop`` is set."""
    check = StatusCheck(client, status=status, name=name, report=report, max_wait=max_wait)
    scheduler = AsyncIOScheduler(timezone=dt.UTC)
    scheduler.add_job(
        check.run,
        "interval",
        seconds=interval,
        max_instances=1,
        coalesce=True,
        next_run_time=dt.datetime.now(dt.UTC),
    )
    scheduler.start()
    try:
        await stop.wait()
    finally:
        # APScheduler 3's shutdown() cancels runs in flight without waiting for them
        # (and logs each as an error), so drain first: no new runs, then let the
        # current one finish. A run handed to the loop just before pause() starts
        # during the sleep(0), and then holds the lock.
        scheduler.pause()
        await asyncio.sleep(0)
        await check.wait_idle()
        scheduler.shutdown(wait=False)
        await asyncio.sleep(0)  # AsyncIOScheduler shuts down on the next loop iteration
    return check


async def _run_from_environment(args: argparse.Namespace) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # Windows: Ctrl-C cancels main()
            loop.add_signal_handler(signum, stop.set)
    async with DataFlowClient() as client:
        check = await main(
            client, stop, interval=args.interval, status=args.status, max_wait=args.max_wait
        )
    log.info("stopped after %d runs (%d failed)", check.runs, check.failures)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Check Data Flow jobs on a schedule.")
    parser.add_argument("-i", "--interval", type=float, default=60.0, help="seconds between runs")
    parser.add_argument("--status", type=str.upper, choices=list(JobStatus), help="only these")
    parser.add_argument(
        "--max-wait", type=float, default=MAX_WAIT, help="longest wait a Retry-After can impose"
    )
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    for chatty in ("apscheduler", "httpx"):  # not a line per run, nor per request
        logging.getLogger(chatty).setLevel(logging.WARNING)
    try:
        asyncio.run(_run_from_environment(parser.parse_args()))
    except MissingCredentialsError as exc:
        sys.exit(str(exc))
