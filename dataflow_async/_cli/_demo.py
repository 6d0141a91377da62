"""``dataflow-async demo``: the real client against a throwaway emulator, and a report."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import attrs

from .. import AuthenticationError, Credentials, DataFlowClient, Job, JobStatus, __version__
from ._demo_run import READY_SECONDS, RUNNING_SECONDS, JobLife, live_a_job, render_life
from ._emulator import require_uvicorn
from ._errors import ExitCode
from ._jobs import JOB_COLUMNS, job_status
from ._options import Subcommands, integer
from ._program import PROG, invocation
from ._sanitize import one_line
from ._table import render_table
from ._terminal import ensure_utf8, plural, terminal_width

if TYPE_CHECKING:
    from ..emulator import RequestRecord, RunningEmulator

__all__ = ["DEMO_ROWS", "DemoReport", "register", "render_demo"]

DEMO_ROWS = 15
"""Rows of the demo's table; the rest are counted."""

_EPILOG = f"""\
Nothing leaves this machine: the emulator listens on a free loopback port for the
duration of the demo and every request is signed and checked over real HTTP.

examples:
  {PROG} demo
  {PROG} demo --jobs 20000 --status STOPPED --page-size 1000
"""


def register(commands: Subcommands) -> None:
    """Add ``demo`` to the command line."""
    demo = commands.add_parser(
        "demo",
        help="start an emulator, walk its jobs, run a job to its end, print a report",
        description="Start the emulator on a free loopback port, list all its jobs with the "
        "real client (signed requests, several pages), create a job, run it and wait for "
        "it, list its executions, delete it, and print what happened.",
        epilog=_EPILOG,
    )
    demo.add_argument(
        "--jobs",
        type=integer(0),
        default=3000,
        help="jobs the emulator holds (default %(default)s), e.g. --jobs 20000",
    )
    demo.add_argument(
        "-s",
        "--status",
        metavar="STATUS",
        type=job_status,
        default=JobStatus.RUNNING,
        help="status whose jobs are tabled (default RUNNING; any case), e.g. -s STOPPED",
    )
    demo.add_argument(
        "--page-size",
        metavar="N",
        type=integer(1),
        default=500,
        help="jobs per request (default %(default)s), e.g. --page-size 1000",
    )
    demo.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seed of the generated jobs (default %(default)s), e.g. --seed 7",
    )
    demo.set_defaults(handler=cmd_demo)


@attrs.frozen
class DemoReport:
    """What the demo's walks fetched and how long they took."""

    jobs: tuple[Job, ...]
    pages: int
    seconds: float
    status: JobStatus
    matching: tuple[Job, ...]
    matching_pages: int
    rejected: str | None
    """How the emulator answered a request signed with a wrong secret (``None``: it
    accepted it, which it must not)."""
    life: JobLife | None = None
    """A job created, run, waited for, listed and deleted (``None``: not done)."""


def cmd_demo(args: argparse.Namespace) -> int:
    """Run the demo and print its report."""
    require_uvicorn()
    from .. import emulator as emulator_module

    ensure_utf8(sys.stdout)
    started = time.perf_counter()
    with emulator_module.run_emulator(jobs=args.jobs, seed=args.seed) as emulator:
        startup = time.perf_counter() - started
        emulator.app.executions.plan(None, ready=READY_SECONDS, running=RUNNING_SECONDS)
        report = asyncio.run(_demo_walk(emulator, args.status, args.page_size))
        requests = list(emulator.app.requests)
        text = render_demo(
            emulator.url,
            report,
            requests,
            args.page_size,
            startup,
            width=terminal_width(sys.stdout, os.environ),
            command=invocation(),
        )
        print(text, flush=True)
    return ExitCode.OK if report.rejected is not None else ExitCode.ERROR


async def _demo_walk(emulator: RunningEmulator, status: JobStatus, page_size: int) -> DemoReport:
    """Walk every job, then the jobs of ``status``, then try a wrongly signed request."""
    started = time.perf_counter()
    jobs: list[Job] = []
    matching: list[Job] = []
    pages = matching_pages = 0
    async with DataFlowClient(emulator.credentials, base_url=emulator.url) as client:
        async for page in client.iter_job_pages(page_size=page_size):
            pages += 1
            jobs.extend(page.jobs)
        async for page in client.iter_job_pages(status=status, page_size=page_size):
            matching_pages += 1
            matching.extend(page.jobs)
        seconds = time.perf_counter() - started
        life = await live_a_job(client)
    return DemoReport(
        jobs=tuple(jobs),
        pages=pages,
        seconds=seconds,
        status=status,
        matching=tuple(matching),
        matching_pages=matching_pages,
        rejected=await _try_wrong_secret(emulator),
        life=life,
    )


async def _try_wrong_secret(emulator: RunningEmulator) -> str | None:
    """Send one request signed with a wrong secret; how it was refused (``None``: it was
    not)."""
    wrong = Credentials(emulator.credentials.access_key, "not-the-secret-key")
    async with DataFlowClient(wrong, base_url=emulator.url, max_retries=0) as client:
        try:
            await client.list_jobs(limit=1)
        except AuthenticationError as exc:
            return one_line(f"HTTP {exc.status_code} {exc.message}")
    return None


def render_demo(
    url: str,
    report: DemoReport,
    requests: Sequence[RequestRecord],
    page_size: int,
    startup: float,
    *,
    width: int | None = None,
    command: str = PROG,
) -> str:
    """The demo's printout; ``command`` is how to run this program from a shell."""
    verified = sum(1 for record in requests if record.status == 200)
    refused = (
        f"refused, as it must be: {report.rejected}"
        if report.rejected is not None
        else "ACCEPTED: the emulator did not check the signature!"
    )
    lines = [
        f"{PROG} {__version__} demo: the real client against a local emulator, over HTTP",
        "",
        f"  emulator      {url} (loopback only, up in {startup:.2f} s)",
        f"  fetched       {plural(len(report.jobs), 'job')} in "
        f"{plural(report.pages, 'page')} of up to {page_size:,}",
        f"  filtered      {plural(len(report.matching), 'job')} with status {report.status} "
        f"in {plural(report.matching_pages, 'page')} (filtered by the server)",
        f"  signatures    {plural(verified, 'signed request')} verified by the emulator "
        "(API Gateway signature v2)",
        f"  wrong secret  {refused}",
        f"  elapsed       {report.seconds:.2f} s for both walks",
        "",
        f"Jobs with status {report.status}:",
        "",
        *_demo_table(report.matching, width),
        "",
        "Jobs per status:",
        "",
        *_status_counts(report.jobs),
        "",
        *([*render_life(report.life, width, command), ""] if report.life is not None else []),
        "Next, serve it on a fixed port (it prints how to use it):",
        "",
        f"  {command} emulator",
    ]
    return "\n".join(lines)


def _demo_table(jobs: Sequence[Job], width: int | None) -> list[str]:
    if not jobs:
        return ["  (none)"]
    lines = render_table(jobs[:DEMO_ROWS], JOB_COLUMNS, width=width).splitlines()
    if len(jobs) > DEMO_ROWS:
        lines.append(f"… and {len(jobs) - DEMO_ROWS:,} more")
    return lines


def _status_counts(jobs: Iterable[Job]) -> list[str]:
    """``  STATUS  count`` lines, most frequent first, then the total."""
    counts = Counter(str(job.status) for job in jobs)
    width = max((len(name) for name in counts), default=5)
    rows = [f"  {name:<{width}}  {count:>7,}" for name, count in counts.most_common()]
    return [*rows, f"  {'total':<{width}}  {counts.total():>7,}"]
