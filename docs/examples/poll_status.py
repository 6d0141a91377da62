"""Watch Data Flow jobs from an asyncio loop and report what changes between polls.

Every ``--interval`` seconds the jobs matching a filter are listed with
``client.iter_jobs(...)`` and compared with the previous listing: a job that starts or
finishes running, changes status, appears, disappears, or whose last execution changes
status is printed. A poll that fails with a ``DataFlowError`` (a quota, or a throttle,
a 5xx or a network error that outlasted the client's own retries) is logged, and the
watch goes on: the next poll comes ``--interval`` seconds later, or, when the failure
is an HTTP error response that asked for a wait (``Retry-After`` or ``retry-after-ms``,
on a 429 or a 5xx alike), after that wait if it is longer, but never more than
``--max-wait`` seconds (15 minutes by default: a longer wait is cut to that, and the
cut is logged). SIGINT (Ctrl-C) or SIGTERM stops it cleanly: the poll in flight is
cancelled, and the client's connections are closed.

Run it against the API (credentials from ``NCLOUD_ACCESS_KEY_ID`` /
``NCLOUD_SECRET_ACCESS_KEY`` or ``~/.ncloud/configure``)::

    python docs/examples/poll_status.py --status RUNNING --interval 30

or against the emulator (``dataflow-async emulator`` in another terminal, whose
``export`` lines set the key pair)::

    DATAFLOW_ASYNC_ENDPOINT=http://127.0.0.1:8080 python docs/examples/poll_status.py -i 5
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from dataflow_async import (
    APIStatusError,
    DataFlowClient,
    DataFlowError,
    Job,
    JobStatus,
    MissingCredentialsError,
)

log = logging.getLogger("poll_status")

# The longest wait between two polls that a Retry-After can impose. The client itself
# waits for a Retry-After only up to RetryPolicy.max_retry_after (60 s by default) and
# raises at once on a longer one; this watcher then waits between polls instead, but
# not for as long as any header says: one odd value (a day, 1e9) would stop the watch.
MAX_WAIT = 15 * 60.0


@dataclass(frozen=True)
class Change:
    """One field of one job that differs between two polls.

    ``field`` is ``"status"`` or ``"last_execution_status"``; for ``"status"``, ``None``
    means "not in the listing" (a new job has ``old=None``, a vanished one ``new=None``).
    """

    job_id: str
    name: str
    field: str
    old: str | None
    new: str | None

    def __str__(self) -> str:
        if self.field == "status" and self.new == JobStatus.RUNNING:
            what = "started running"
        elif self.field == "status" and self.old == JobStatus.RUNNING:
            what = f"finished running (now {self.new or 'not listed'})"
        elif self.field == "status":
            what = f"status {self.old or 'not listed'} -> {self.new or 'not listed'}"
        else:
            what = f"last execution {self.old or 'none'} -> {self.new or 'none'}"
        return f"{self.name} ({self.job_id}): {what}"


def diff(before: Mapping[str, Job], after: Mapping[str, Job]) -> list[Change]:
    """What changed from one listing (job id -> job) to the next."""
    changes: list[Change] = []
    for job_id, job in after.items():
        old = before.get(job_id)
        if old is None or old.status != job.status:
            old_status = None if old is None else old.status
            changes.append(Change(job_id, job.name, "status", old_status, job.status))
        if old is not None and old.last_execution_status != job.last_execution_status:
            changes.append(
                Change(
                    job_id,
                    job.name,
                    "last_execution_status",
                    old.last_execution_status,
                    job.last_execution_status,
                )
            )
    for job_id, old in before.items():
        if job_id not in after:
            changes.append(Change(job_id, old.name, "status", old.status, None))
    return changes


async def poll(
    client: DataFlowClient,
    *,
    interval: float,
    status: JobStatus | str | None,
    name: str | None,
    report: Callable[[Change], object],
    max_wait: float = MAX_WAIT,
) -> None:
    """List the jobs, report what changed, wait ``interval`` seconds; until cancelled.

    After a failed poll whose error carries a ``retry_after``, the wait is that long
    instead when it is longer, but ``max_wait`` at most.
    """
    previous: dict[str, Job] | None = None
    while True:
        delay = interval
        try:
            current = {job.job_id: job async for job in client.iter_jobs(status=status, name=name)}
        except DataFlowError as exc:
            # The client has already retried what is worth retrying (throttles, 5xx,
            # connection errors); what reaches here fails this poll, not the watch.
            # Any HTTP error (a quota, a throttle, a 503) may say how long to wait.
            if isinstance(exc, APIStatusError) and exc.retry_after is not None:
                wait = exc.retry_after
                if wait > max_wait:
                    log.warning("asked to wait %g s; waiting max_wait, %g s", wait, max_wait)
                    wait = max_wait
                delay = max(interval, wait)
            log.warning("poll failed, next in %g s: %s", delay, exc)
        else:
            if previous is None:
                log.info("watching %d jobs", len(current))
            else:
                for change in diff(previous, current):
                    report(change)
            previous = current
        await asyncio.sleep(delay)


async def main(
    client: DataFlowClient,
    stop: asyncio.Event,
    *,
    interval: float = 30.0,
    status: JobStatus | str | None = None,
    name: str | None = None,
    report: Callable[[Change], object] = print,
    max_wait: float = MAX_WAIT,
) -> None:
    """Poll until ``stop`` is set; cancelling this coroutine stops the poller too.

    More pollers (one per filter, say) can join the same task group; they all stop
    together. An unexpected error in one (anything but a ``DataFlowError``: a bad
    ``status``, a ``report`` that raises) cancels the others, and comes out of this
    coroutine wrapped in an ``ExceptionGroup``, as from any ``TaskGroup``: catch it
    with ``except* ValueError``, say (a plain ``except ValueError`` misses it).
    """
    async with asyncio.TaskGroup() as tasks:
        poller = tasks.create_task(
            poll(
                client,
                interval=interval,
                status=status,
                name=name,
                report=report,
                max_wait=max_wait,
            )
        )
        await stop.wait()
        poller.cancel()  # the group waits until the poll in flight has let go of its connection


async def _run_from_environment(args: argparse.Namespace) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        # Not on Windows, where Ctrl-C cancels main() instead: the same clean-up happens.
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    # Endpoint: $DATAFLOW_ASYNC_ENDPOINT, else the public API.
    async with DataFlowClient() as client:
        await main(
            client,
            stop,
            interval=args.interval,
            status=args.status,
            name=args.name,
            max_wait=args.max_wait,
        )
    log.info("stopped")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Report changes of Data Flow jobs.")
    parser.add_argument("-i", "--interval", type=float, default=30.0, help="seconds between polls")
    parser.add_argument("--status", type=str.upper, choices=list(JobStatus), help="only these")
    parser.add_argument("--name", help="only jobs whose name contains this")
    parser.add_argument(
        "--max-wait", type=float, default=MAX_WAIT, help="longest wait a Retry-After can impose"
    )
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # not a line per request
    try:
        asyncio.run(_run_from_environment(parser.parse_args()))
    except MissingCredentialsError as exc:
        sys.exit(str(exc))
