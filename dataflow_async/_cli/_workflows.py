"""``dataflow-async workflows ...``: list and show workflows, execute one (and wait for
its end), list the executions its runs started."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from .. import DataFlowError, WorkflowRun, WorkflowRunAccepted
from ._common import (
    add_list_parser,
    add_object_parser,
    library_checks,
    run_list,
    run_object,
)
from ._errors import ExitCode, Failure, UsageError, print_failure
from ._options import CliParser, Subcommands
from ._output import View, table_view, write_object
from ._program import PROG
from ._session import check_endpoint, make_client
from ._table import render_pairs, render_table
from ._terminal import clean_line, ensure_utf8, interrupts_held, plural, wants_progress
from ._views import EXECUTION_VIEW, WORKFLOW_VIEW
from ._waiting import WaitLine, add_wait_options, exit_code, poll_policy

__all__ = ["register"]

ACCEPTED_VIEW: View[WorkflowRunAccepted] = table_view("run", WorkflowRunAccepted, ())
RUN_VIEW: View[WorkflowRun] = table_view("run", WorkflowRun, ())

_EXECUTE_EPILOG = f"""\
Without --wait, prints what the service answered (the run is ACCEPTED: it carries no
execution id). With --wait, finds the job executions the run started and waits until
all of them ended, then prints the run and its executions; the run is FAILED if one
failed, else CANCELED if one was cancelled, else COMPLETED.

On this command --timeout bounds the whole wait; --request-timeout bounds each answer.

exit codes with --wait:
  0    every execution of the run ended COMPLETED
  5    one ended FAILED
  6    one ended CANCELED (and none FAILED)
  7    --timeout passed first; the run goes on on the server
  130  interrupted (Ctrl+C); the run goes on on the server
  1-4  as every command: API error, bad usage, credentials, connection

examples:
  {PROG} workflows execute WORKFLOW_ID
  {PROG} workflows execute WORKFLOW_ID --wait --timeout 7200
"""


def register(commands: Subcommands) -> None:
    """Add ``workflows`` and its actions to the command line."""
    group = commands.add_parser(
        "workflows",
        help="list and show workflows, execute one, list its runs' executions",
        description="Work with workflows.",
        epilog=f"examples:\n  {PROG} workflows list\n  {PROG} workflows execute ID --wait",
    )
    actions = group.add_subparsers(dest="action", metavar="ACTION", parser_class=CliParser)
    listing = add_list_parser(
        actions,
        "list",
        help="list workflows",
        description="List workflows (GET /api/v1/workflows), page after page.",
        epilog=f"Formats and failures as 'jobs list'.\n\nexample:\n  {PROG} workflows list -o json",
    )
    listing.set_defaults(handler=cmd_list)
    get = add_object_parser(
        actions,
        "get",
        help="show one workflow with its nodes",
        description="Show one workflow (GET /api/v1/workflows/{workflowId}).",
        epilog=f"example:\n  {PROG} workflows get WORKFLOW_ID -o json",
    )
    get.add_argument(
        "workflow_id", metavar="WORKFLOW_ID", help="the workflow's id (see 'workflows list')"
    )
    get.set_defaults(handler=cmd_get)
    execute = add_object_parser(
        actions,
        "execute",
        help="run a workflow, and with --wait wait for its end",
        description="Run a workflow (POST /api/v1/workflows/{workflowId}/executions).",
        epilog=_EXECUTE_EPILOG,
        timeout_flag="--request-timeout",
    )
    execute.add_argument(
        "workflow_id", metavar="WORKFLOW_ID", help="the workflow's id (see 'workflows list')"
    )
    add_wait_options(execute, "run")
    execute.add_argument(
        "--no-progress", action="store_true", help="with --wait: no status line on stderr"
    )
    execute.set_defaults(handler=cmd_execute)
    runs = add_list_parser(
        actions,
        "executions",
        help="list the job executions a workflow's runs started",
        description="List the job executions started by runs of a workflow.",
        epilog=f"Formats and failures as 'jobs list'.\n\nexample:\n  {PROG} workflows "
        "executions WORKFLOW_ID -o csv",
    )
    runs.add_argument(
        "workflow_id", metavar="WORKFLOW_ID", help="the workflow's id (see 'workflows list')"
    )
    runs.set_defaults(handler=cmd_executions)


def cmd_list(args: argparse.Namespace) -> int:
    """``workflows list``."""
    return run_list(
        args,
        WORKFLOW_VIEW,
        lambda client: client.workflows.iter(page_size=args.page_size, max_items=args.max_items),
    )


def cmd_get(args: argparse.Namespace) -> int:
    """``workflows get WORKFLOW_ID``."""
    return run_object(args, WORKFLOW_VIEW, lambda client: client.workflows.get(args.workflow_id))


def cmd_executions(args: argparse.Namespace) -> int:
    """``workflows executions WORKFLOW_ID``."""
    return run_list(
        args,
        EXECUTION_VIEW,
        lambda client: client.workflows.iter_executions(
            args.workflow_id, page_size=args.page_size, max_items=args.max_items
        ),
    )


def cmd_execute(args: argparse.Namespace) -> int:
    """``workflows execute WORKFLOW_ID [--wait ...]``."""
    if not args.wait:
        if args.wait_timeout is not None:
            raise UsageError("argument --timeout: only with --wait")
        return run_object(
            args, ACCEPTED_VIEW, lambda client: client.workflows.execute(args.workflow_id)
        )
    check_endpoint(args)
    ensure_utf8(sys.stdout)
    line = WaitLine(
        sys.stderr,
        enabled=not args.no_progress and wants_progress(sys.stderr, os.environ),
        label=f"workflow {args.workflow_id}",
    )
    line.seen("RUNNING")

    async def run() -> WorkflowRun:
        async with make_client(args) as client:
            with library_checks():
                return await client.workflows.run(
                    args.workflow_id, timeout=args.wait_timeout, poll=poll_policy(args, line)
                )

    try:
        finished = asyncio.run(run())
    except BaseExceptionGroup as group:  # the waits of the run's executions, together
        raise _first_error(group) from None
    except KeyboardInterrupt:
        line.clear()
        clean_line(sys.stderr, os.environ)
        print_failure(
            Failure(
                f"interrupted: the run of workflow {args.workflow_id} goes on on the server",
                ExitCode.INTERRUPTED,
                f"'{PROG} workflows executions {args.workflow_id}' shows its executions",
            )
        )
        raise
    finally:
        line.clear()
    with interrupts_held():
        _write_run(finished, args.format)
    return exit_code(finished.status)


def _first_error(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """The error to report of several raised together: a `DataFlowError` if any."""
    errors = group.exceptions
    for error in errors:
        if isinstance(error, BaseExceptionGroup):
            error = _first_error(error)
        if isinstance(error, DataFlowError):
            return error
    return errors[0]


def _write_run(run: WorkflowRun, fmt: str) -> None:
    if fmt == "json":
        write_object(sys.stdout, run, RUN_VIEW, "json")
        return
    pairs = [
        ("WORKFLOW ID", run.workflow_id),
        ("TRIGGER ID", "-" if run.trigger_id is None else run.trigger_id),
        ("STATUS", str(run.status)),
        ("EXECUTIONS", plural(len(run.executions), "execution")),
    ]
    sys.stdout.write(render_pairs(pairs))
    if run.executions:
        sys.stdout.write("\n" + render_table(list(run.executions), EXECUTION_VIEW.columns))
    sys.stdout.flush()
