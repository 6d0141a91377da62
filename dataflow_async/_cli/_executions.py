"""``dataflow-async executions ...``: start (and wait for), list, show and cancel the
executions of a job."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from .. import JobExecution, WaitTimeoutError
from ._common import (
    add_list_parser,
    add_object_parser,
    library_checks,
    run_done,
    run_list,
    run_object,
)
from ._errors import ExitCode, Failure, UsageError, print_failure
from ._jobs_edit import parameter
from ._options import CliParser, Subcommands
from ._output import write_object
from ._program import PROG
from ._session import check_endpoint, make_client
from ._terminal import clean_line, ensure_utf8, interrupts_held, wants_progress
from ._views import EXECUTION_VIEW
from ._waiting import ObservedExecutions, WaitLine, add_wait_options, exit_code, poll_policy

__all__ = ["register"]

EXIT_CODES_TEXT = """\
exit codes with --wait (for cron, systemd timers and shell scripts):
  0    the execution ended COMPLETED
  5    it ended FAILED
  6    it ended CANCELED
  7    --timeout passed first; it goes on on the server
  130  interrupted (Ctrl+C); with --cancel-on-interrupt it was cancelled first
  1-4  as every command: API error, bad usage, credentials, connection
"""

_START_EPILOG = f"""\
Without --wait, prints the execution just started (usually READY). With --wait, waits
until it ends and prints it then; on a terminal a line on stderr shows its status and
the time spent. The start is never repeated: if its answer is lost, the job's recent
executions are searched for it, and if that cannot settle it the command exits 4
naming the executions it found.

On these commands --timeout bounds the whole wait; --request-timeout bounds each
answer.

{EXIT_CODES_TEXT}
examples:
  {PROG} executions start job000000001
  {PROG} executions start job000000001 --wait --timeout 3600 -p date=2026-01-31
  {PROG} executions start job000000001 --wait --cancel-on-interrupt -o json
"""


def register(commands: Subcommands) -> None:
    """Add ``executions`` and its actions to the command line."""
    group = commands.add_parser(
        "executions",
        help="start, list, show and cancel the executions (runs) of a job",
        description="Work with the executions of a job.",
        epilog=f"examples:\n  {PROG} executions start JOB_ID --wait\n"
        f"  {PROG} executions list JOB_ID",
    )
    actions = group.add_subparsers(dest="action", metavar="ACTION", parser_class=CliParser)
    _register_start(actions)
    listing = add_list_parser(
        actions,
        "list",
        help="list a job's executions",
        description="List the executions of a job (GET /api/v1/jobs/{jobId}/executions).",
        epilog=f"Formats and failures as 'jobs list'.\n\nexample:\n  {PROG} executions list "
        "job000000001 -o jsonl",
    )
    listing.add_argument("job_id", metavar="JOB_ID", help="the job's id (see 'jobs list')")
    listing.set_defaults(handler=cmd_list)
    get = add_object_parser(
        actions,
        "get",
        help="show one execution",
        description="Show one execution of a job.",
        epilog=f"example:\n  {PROG} executions get job000000001 EXECUTION_ID -o json",
    )
    get.add_argument("job_id", metavar="JOB_ID", help="the job's id (see 'jobs list')")
    get.add_argument(
        "execution_id", metavar="EXECUTION_ID", help="the execution's id (see 'executions list')"
    )
    get.set_defaults(handler=cmd_get)
    cancel = add_object_parser(
        actions,
        "cancel",
        help="cancel an execution",
        description="Ask the service to cancel an execution; it then moves to CANCELED.",
        epilog="Prints 'cancel requested: execution ID of job ID' (-o json: "
        '{"job_id": ..., "execution_id": ..., "cancel_requested": true}).\n\n'
        f"example:\n  {PROG} executions cancel job000000001 EXECUTION_ID",
    )
    cancel.add_argument("job_id", metavar="JOB_ID", help="the job's id (see 'jobs list')")
    cancel.add_argument(
        "execution_id", metavar="EXECUTION_ID", help="the execution's id (see 'executions list')"
    )
    cancel.set_defaults(handler=cmd_cancel)


def _register_start(actions: Subcommands) -> None:
    start = add_object_parser(
        actions,
        "start",
        help="start an execution of a job, and with --wait wait for its end",
        description="Start an execution of a job (POST /api/v1/jobs/{jobId}/executions).",
        epilog=_START_EPILOG,
        timeout_flag="--request-timeout",
    )
    start.add_argument("job_id", metavar="JOB_ID", help="the job's id (see 'jobs list')")
    start.add_argument(
        "-p",
        "--param",
        metavar="KEY=VALUE",
        type=parameter,
        action="append",
        help="a parameter of this run (repeatable), e.g. -p date=2026-01-31",
    )
    add_wait_options(start, "execution")
    start.add_argument(
        "--cancel-on-interrupt",
        action="store_true",
        help="with --wait: on Ctrl+C (or SIGINT), cancel the execution before exiting",
    )
    start.add_argument(
        "--wait-for-slot",
        action="store_true",
        help="with --wait: if the job already runs its maximum of executions "
        "(max_concurrent_runs), wait for one to end instead of failing",
    )
    start.add_argument(
        "--no-progress", action="store_true", help="with --wait: no status line on stderr"
    )
    start.set_defaults(handler=cmd_start)


def cmd_list(args: argparse.Namespace) -> int:
    """``executions list JOB_ID``."""
    return run_list(
        args,
        EXECUTION_VIEW,
        lambda client: client.executions.iter(
            args.job_id, page_size=args.page_size, max_items=args.max_items
        ),
    )


def cmd_get(args: argparse.Namespace) -> int:
    """``executions get JOB_ID EXECUTION_ID``."""
    return run_object(
        args, EXECUTION_VIEW, lambda client: client.executions.get(args.job_id, args.execution_id)
    )


def cmd_cancel(args: argparse.Namespace) -> int:
    """``executions cancel JOB_ID EXECUTION_ID``."""
    return run_done(
        args,
        lambda client: client.executions.cancel(args.job_id, args.execution_id),
        text=f"cancel requested: execution {args.execution_id} of job {args.job_id}",
        record={
            "job_id": args.job_id,
            "execution_id": args.execution_id,
            "cancel_requested": True,
        },
    )


def check_wait_options(args: argparse.Namespace, extra: tuple[str, ...] = ()) -> None:
    """The options that mean something only with ``--wait``."""
    if args.wait:
        return
    for name, given in (("--timeout", args.wait_timeout is not None), *extra_flags(args, extra)):
        if given:
            raise UsageError(f"argument {name}: only with --wait")


def extra_flags(args: argparse.Namespace, names: tuple[str, ...]) -> list[tuple[str, bool]]:
    return [(name, bool(getattr(args, name[2:].replace("-", "_")))) for name in names]


def cmd_start(args: argparse.Namespace) -> int:
    """``executions start JOB_ID [--wait ...]``."""
    check_wait_options(args, ("--cancel-on-interrupt", "--wait-for-slot"))
    params = dict(args.param) if args.param else None
    if not args.wait:
        return run_object(
            args,
            EXECUTION_VIEW,
            lambda client: client.executions.start(args.job_id, parameters=params),
        )
    check_endpoint(args)
    ensure_utf8(sys.stdout)
    line = WaitLine(
        sys.stderr,
        enabled=not args.no_progress and wants_progress(sys.stderr, os.environ),
        label=f"job {args.job_id}",
    )
    seen: list[JobExecution] = []

    def on_seen(execution: JobExecution) -> None:
        seen[:] = [execution]
        line.seen(execution.status)

    async def run() -> JobExecution:
        async with make_client(args) as client:
            executions = ObservedExecutions(client._requester, on_seen)
            with library_checks():
                return await executions.run(
                    args.job_id,
                    parameters=params,
                    timeout=args.wait_timeout,
                    poll=poll_policy(args, line),
                    raise_on_failure=False,
                    cancel_on_abandon=args.cancel_on_interrupt,
                    wait_for_slot=args.wait_for_slot,
                )

    try:
        finished = asyncio.run(run())
    except WaitTimeoutError as exc:
        line.clear()
        last = exc.execution if isinstance(exc.execution, JobExecution) else None
        if last is not None:
            with interrupts_held():
                write_object(sys.stdout, last, EXECUTION_VIEW, args.format)
        raise
    except KeyboardInterrupt:
        line.clear()
        clean_line(sys.stderr, os.environ)
        _interrupted(args, seen[0] if seen else None)
        raise
    finally:
        line.clear()
    with interrupts_held():
        write_object(sys.stdout, finished, EXECUTION_VIEW, args.format)
    return exit_code(finished.status)


def _interrupted(args: argparse.Namespace, execution: JobExecution | None) -> None:
    """Say what became of the run after Ctrl+C."""
    if execution is None:
        print_failure(
            Failure(
                f"interrupted while starting an execution of job {args.job_id}; it may "
                "have started",
                ExitCode.INTERRUPTED,
                f"'{PROG} executions list {args.job_id}' shows the job's executions",
            )
        )
    elif args.cancel_on_interrupt:
        print_failure(
            Failure(
                f"interrupted: asked the service to cancel execution "
                f"{execution.execution_id} of job {execution.job_id}",
                ExitCode.INTERRUPTED,
            )
        )
    else:
        print_failure(
            Failure(
                f"interrupted: execution {execution.execution_id} of job {execution.job_id} "
                "goes on on the server",
                ExitCode.INTERRUPTED,
                f"'{PROG} executions cancel {execution.job_id} {execution.execution_id}' "
                "cancels it",
            )
        )
