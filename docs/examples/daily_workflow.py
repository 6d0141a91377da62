"""Run a Data Flow workflow every day at a set time, and cancel it on shutdown.

Each day at ``--at`` (in ``--tz``) the workflow is run through
``client.workflows.run``: executed, its job executions found, and waited for, for at
most ``--timeout`` seconds (past it the run goes on on the server, and the next day's
run starts as planned). How each run ended is logged, with every job's status.

On SIGINT or SIGTERM while a run is being waited for, its executions that have not
finished are cancelled on the server (``cancel_on_abandon=True``: shielded, a few
seconds at most) before the program exits; between runs it just exits::

    python docs/examples/daily_workflow.py WORKFLOW_ID --at 02:00 --tz Asia/Seoul --timeout 14400

against the API (credentials from ``NCLOUD_ACCESS_KEY_ID`` / ``NCLOUD_SECRET_ACCESS_KEY``
or ``~/.ncloud/configure``), or against ``dataflow-async emulator``
(``DATAFLOW_ASYNC_ENDPOINT=http://127.0.0.1:8080``); ``--now`` runs once at once too.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import logging
import signal
import sys
import zoneinfo
from collections.abc import Awaitable, Callable

from dataflow_async import (
    DataFlowClient,
    DataFlowError,
    MissingCredentialsError,
    PollPolicy,
    WaitTimeoutError,
)

log = logging.getLogger("daily_workflow")


def next_run(now: dt.datetime, at: dt.time) -> dt.datetime:
    """The first time of day ``at`` after ``now`` (``now``'s time zone)."""
    today = dt.datetime.combine(now.date(), at, tzinfo=now.tzinfo)
    return today if today > now else today + dt.timedelta(days=1)


async def run_workflow(
    client: DataFlowClient, workflow_id: str, *, timeout: float | None, poll: PollPolicy | None
) -> str:
    """Run the workflow once and say how it ended. Raises only ``CancelledError``."""
    try:
        run = await client.workflows.run(
            workflow_id, timeout=timeout, poll=poll, cancel_on_abandon=True
        )
    except WaitTimeoutError as exc:
        return f"still running after {timeout:g} s: {exc}"
    except DataFlowError as exc:
        return f"error: {exc}"
    names = sorted((e.job_name or e.job_id, str(e.status)) for e in run.executions)
    jobs = ", ".join(f"{name} {status}" for name, status in names)
    return f"{run.status} ({jobs})"


async def main(
    client: DataFlowClient,
    workflow_id: str,
    *,
    at: dt.time,
    tz: dt.tzinfo,
    timeout: float | None = None,
    poll: PollPolicy | None = None,
    now: Callable[[], float] | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    run_now: bool = False,
    days: int | None = None,
    report: Callable[[str], object] = log.info,
) -> None:
    """Run the workflow each day at ``at`` (``days`` times, or until cancelled).

    ``now`` (epoch seconds) and ``sleep`` are the clock, injectable for tests.
    """
    clock = now or (lambda: dt.datetime.now(dt.UTC).timestamp())
    if run_now:
        outcome = await run_workflow(client, workflow_id, timeout=timeout, poll=poll)
        report(f"workflow {workflow_id} now: {outcome}")
    done = 0
    while days is None or done < days:
        current = dt.datetime.fromtimestamp(clock(), tz)
        start = next_run(current, at)
        await sleep((start - current).total_seconds())
        outcome = await run_workflow(client, workflow_id, timeout=timeout, poll=poll)
        report(f"workflow {workflow_id} on {start:%Y-%m-%d %H:%M}: {outcome}")
        done += 1


async def _run_from_environment(args: argparse.Namespace) -> None:
    task = asyncio.current_task()
    assert task is not None
    # SIGINT already cancels the main task (asyncio.run); SIGTERM does the same here.
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    poll = PollPolicy(initial=args.poll, maximum=max(args.poll, 30.0))
    async with DataFlowClient() as client:
        try:
            await main(
                client,
                args.workflow_id,
                at=args.at,
                tz=zoneinfo.ZoneInfo(args.tz),
                timeout=args.timeout,
                poll=poll,
                run_now=args.now,
            )
        except asyncio.CancelledError:
            log.info("stopped; a run in progress was cancelled on the server")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Run a Data Flow workflow every day.")
    parser.add_argument("workflow_id", metavar="WORKFLOW_ID")
    parser.add_argument("--at", type=dt.time.fromisoformat, default=dt.time(2, 0), help="HH:MM")
    parser.add_argument("--tz", default="Asia/Seoul", help="time zone of --at")
    parser.add_argument("--timeout", type=float, help="seconds to wait for each run")
    parser.add_argument("--poll", type=float, default=5.0, help="first poll after (seconds)")
    parser.add_argument("--now", action="store_true", help="also run once at once")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        asyncio.run(_run_from_environment(parser.parse_args()))
    except MissingCredentialsError as exc:
        sys.exit(str(exc))
