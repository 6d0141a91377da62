"""``dataflow-async jobs ...``: the jobs command group (``list`` here; ``get``, ``create``
and ``delete`` in ``_jobs_edit``)."""

from __future__ import annotations

import argparse
import asyncio
from datetime import datetime
from typing import Any

from .. import Job, JobStatus
from ._common import list_output, walk_into
from ._errors import ExitCode, UsageError
from ._jobs_edit import register_actions
from ._options import (
    CliParser,
    Subcommands,
    add_connection_options,
    add_output_options,
    choice,
    integer,
)
from ._output import LIST_FORMATS, ListWriter, View, table_view
from ._program import PROG
from ._session import check_endpoint, make_client
from ._table import BLUE, CYAN, DIM, GREEN, RED, YELLOW, Column
from ._terminal import (
    Progress,
    interrupts_held,
)

__all__ = ["JOB_VIEW", "job_status", "register"]

STATUS_NAMES = ", ".join(s.value for s in JobStatus)
job_status = choice(JobStatus, label=lambda status: status.value)
"""The ``--status`` option type: a job status, any case."""


def _text(value: Any) -> str:
    return "-" if value is None else str(value)


def _short_date(value: datetime | None) -> str:
    return "-" if value is None else value.isoformat(sep=" ", timespec="minutes")


STATUS_STYLES = {
    "RUNNING": GREEN,
    "RUNNABLE": BLUE,
    "READY": BLUE,
    "STOPPED": YELLOW,
    "DELETED": DIM,
    "UNKNOWN": DIM,
}
LAST_RUN_STYLES = {
    "COMPLETED": GREEN,
    "FAILED": RED,
    "CANCELED": YELLOW,
    "RUNNING": CYAN,
    "READY": BLUE,
}
NAME_WIDTH = 40
"""Names wider than this many terminal columns are cut, ending in "…"."""

JOB_COLUMNS: tuple[Column[Job], ...] = (
    Column("JOB ID", lambda job: job.job_id),
    Column("NAME", lambda job: job.name, max_width=NAME_WIDTH, min_width=16),
    Column("TYPE", lambda job: _text(job.type), drop=2),
    Column("STATUS", lambda job: _text(job.status), styles=STATUS_STYLES),
    Column(
        "LAST RUN", lambda job: _text(job.last_execution_status), styles=LAST_RUN_STYLES, drop=3
    ),
    Column("LAST RUN AT", lambda job: _short_date(job.last_execution_date), drop=1),
    Column("UPDATED", lambda job: _short_date(job.updated_date), drop=0),
)
"""The table's columns. To fit a narrow terminal NAME is cut down to 16 cells, then
UPDATED, LAST RUN AT, TYPE and LAST RUN are dropped in that order."""

JOB_VIEW: View[Job] = table_view("job", Job, JOB_COLUMNS)

_LIST_EPILOG = f"""\
output formats (any case):
  table   aligned columns and a total (the default; read by people)
  json    one JSON array, written job by job
  jsonl   one JSON object per line, flushed as each job arrives
  csv     a header row, then one row per job
Machine formats use the library's field names ({", ".join(JOB_VIEW.fields)}); dates
are ISO 8601 with their offset, a missing value is null (JSON) or an empty cell (CSV).

if the walk fails midway:
The jobs received so far stay on stdout, well-formed: json closes its array (the
output is one valid JSON array, [] if none came), jsonl and csv end after the last
whole line; the table is not printed. The error goes to stderr and the exit status is
not 0. A failure before the walk starts (options, credentials) prints nothing on stdout.

what the server sends is shown safely:
Control characters, escape sequences and bidirectional overrides in names or error
messages are shown as '?' in the table, in CSV cells and on stderr; JSON escapes them
as \\uXXXX (the decoded value is unchanged). A CSV cell starting with = + - @ or a
tab gets a leading ' so that spreadsheets do not run it as a formula.

terminal output:
  width     on a terminal the table fits its width ($COLUMNS, else the terminal's):
            NAME is cut, then UPDATED, LAST RUN AT, TYPE and LAST RUN are left out.
            Into a pipe or file the table is whole.
  progress  while the walk runs, one self-rewriting line on stderr, such as
            "… 12,000 jobs, 12 pages", redrawn up to 10 times a second and erased
            before the table is printed. Shown only for the table, only when stderr
            is a terminal and TERM is not 'dumb'; --no-progress hides it.
  colour    the STATUS and LAST RUN columns of the table (RUNNING green, STOPPED yellow,
            a FAILED last run red, ...). --color auto, the default, colours only when
            stdout is a terminal, NO_COLOR is unset or empty and TERM is not 'dumb';
            a non-empty FORCE_COLOR colours even into a pipe. --color always / never
            (or --no-color) override all of these. JSON, JSON Lines and CSV are never
            coloured.

examples:
  {PROG} jobs list
  {PROG} jobs list -s running -n nightly
  {PROG} jobs list --color always | less -R
  NO_COLOR=1 {PROG} jobs list
  {PROG} jobs list --max-items 20 -o json
  {PROG} jobs list -o csv > jobs.csv
  {PROG} jobs list --profile staging --endpoint https://dataflow.apigw.ntruss.com
  {PROG} jobs list --endpoint http://127.0.0.1:8080     # against `{PROG} emulator`
"""


def register(commands: Subcommands) -> None:
    """Add ``jobs`` and its actions to the command line."""
    jobs = commands.add_parser(
        "jobs",
        help="work with Data Flow jobs: list, get, create, delete",
        description="Work with Data Flow jobs.",
        epilog=f"examples:\n  {PROG} jobs list --status RUNNING\n  {PROG} jobs get JOB_ID",
    )
    actions = jobs.add_subparsers(dest="action", metavar="ACTION", parser_class=CliParser)
    listing = actions.add_parser(
        "list",
        help="list jobs, walking every page",
        description="List jobs (GET /api/v1/jobs), page after page, with signed requests.",
        epilog=_LIST_EPILOG,
    )
    _add_list_options(listing)
    add_output_options(listing, LIST_FORMATS)
    listing.add_argument(
        "--no-progress",
        action="store_true",
        help="hide the progress line that a table listing draws on stderr when stderr "
        "is a terminal (see 'terminal output' below)",
    )
    add_connection_options(listing)
    listing.set_defaults(handler=cmd_list)
    register_actions(actions)


def _add_list_options(listing: CliParser) -> None:
    listing.add_argument(
        "-s",
        "--status",
        metavar="STATUS",
        type=job_status,
        help=f"only jobs in this state, one of {STATUS_NAMES} (any case), e.g. -s RUNNING",
    )
    listing.add_argument(
        "-n",
        "--name",
        metavar="NAME",
        help="only jobs matching this name filter, e.g. -n daily-etl",
    )
    listing.add_argument(
        "--max-items",
        metavar="K",
        type=integer(0),
        help="stop after K jobs (fetching no more pages than needed), e.g. --max-items 50",
    )
    listing.add_argument(
        "--page-size",
        metavar="N",
        type=integer(1),
        default=1000,
        help="jobs asked for per request (the API's 'limit'; default %(default)s), "
        "e.g. --page-size 200",
    )


def cmd_list(args: argparse.Namespace) -> int:
    """``jobs list``: walk the jobs into the chosen format."""
    if args.name is not None and not args.name:
        raise UsageError("argument -n/--name: must not be empty")
    check_endpoint(args)
    writer, progress = list_output(args, JOB_VIEW)
    table = args.format == "table"
    total = asyncio.run(_walk(args, writer, progress, hold=not table))
    with interrupts_held(not table):
        writer.finish(total, limited=args.max_items is not None and total == args.max_items)
    return ExitCode.OK


async def _walk(
    args: argparse.Namespace, writer: ListWriter[Job], progress: Progress, *, hold: bool
) -> int:
    """Walk the jobs into ``writer`` (see `walk_into`); return how many there were."""
    async with make_client(args) as client:
        try:
            jobs = client.iter_jobs(
                status=args.status,
                name=args.name,
                page_size=args.page_size,
                max_items=args.max_items,
            )
        except ValueError as exc:  # the library's own argument checks, before any request
            raise UsageError(str(exc)) from None
        return await walk_into(jobs, writer, progress, hold=hold)
