"""``dataflow-async stats ...``: the dashboard's execution statistics for a period."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta, timezone
from typing import TypeVar

from .. import DataFlowClient
from ._common import add_object_parser, library_checks, list_writer, run_object
from ._errors import ExitCode
from ._options import CliParser, Subcommands, add_connection_options, add_output_options
from ._output import LIST_FORMATS, View
from ._program import PROG
from ._session import check_endpoint, make_client
from ._terminal import ensure_utf8, interrupts_held
from ._views import BUCKET_VIEW, RESULT_VIEW, TIME_POINT_VIEW

__all__ = ["moment", "register"]

T = TypeVar("T")
KST = timezone(timedelta(hours=9))
DEFAULT_DAYS = 7


def moment(text: str) -> datetime:
    """The ``--start``/``--end`` type: an ISO 8601 date or date and time; without an
    offset it is Korea time (KST), as the API counts."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be a date or date and time (ISO 8601, e.g. 2026-11-01 or "
            f"2026-11-01T09:00), got {text!r}"
        ) from None
    return value if value.tzinfo is not None else value.replace(tzinfo=KST)


_PERIOD = f"""\
The period is --start to --end (default: the last {DEFAULT_DAYS} days up to now), dates or
dates and times in ISO 8601; without an offset they are Korea time (KST, +09:00), as
the API counts."""


def register(commands: Subcommands) -> None:
    """Add ``stats`` and its actions to the command line."""
    group = commands.add_parser(
        "stats",
        help="execution statistics of a period: result, interval, times",
        description="The dashboard's execution statistics.",
        epilog=f"examples:\n  {PROG} stats result\n  {PROG} stats interval --start 2026-11-01",
    )
    actions = group.add_subparsers(dest="action", metavar="ACTION", parser_class=CliParser)
    result = add_object_parser(
        actions,
        "result",
        help="how many executions ran, completed and failed",
        description="How many executions ran in the period, completed and failed.",
        epilog=f"{_PERIOD}\n\nexample:\n  {PROG} stats result --start 2026-11-01 --end "
        "2026-11-30 -o json",
    )
    _add_period(result)
    result.set_defaults(handler=cmd_result)
    for name, help, handler in (
        ("interval", "executions per day of the period", cmd_interval),
        ("times", "executions started at each point in time of the period", cmd_times),
    ):
        parser: CliParser = actions.add_parser(
            name,
            help=help,
            description=help[0].upper() + help[1:] + ".",
            epilog=f"{_PERIOD}\n\nexample:\n  {PROG} stats {name} --start 2026-11-01 -o csv",
        )
        add_output_options(parser, LIST_FORMATS)
        add_connection_options(parser)
        _add_period(parser)
        parser.set_defaults(handler=handler)


def _add_period(parser: CliParser) -> None:
    parser.add_argument(
        "--start",
        metavar="WHEN",
        type=moment,
        help=f"the period's start (default {DEFAULT_DAYS} days before --end), "
        "e.g. --start 2026-11-01",
    )
    parser.add_argument(
        "--end",
        metavar="WHEN",
        type=moment,
        help="the period's end (default now), e.g. --end 2026-11-30T18:00",
    )


def period(args: argparse.Namespace) -> tuple[datetime, datetime]:
    """``--start`` and ``--end`` with their defaults."""
    end: datetime = args.end or datetime.now(KST)
    start: datetime = args.start or end - timedelta(days=DEFAULT_DAYS)
    return start, end


def cmd_result(args: argparse.Namespace) -> int:
    """``stats result``."""
    start, end = period(args)
    return run_object(args, RESULT_VIEW, lambda client: client.stats.execution_result(start, end))


def cmd_interval(args: argparse.Namespace) -> int:
    """``stats interval``."""
    start, end = period(args)
    return _run_series(
        args, BUCKET_VIEW, lambda client: client.stats.execution_interval(start, end)
    )


def cmd_times(args: argparse.Namespace) -> int:
    """``stats times``."""
    start, end = period(args)
    return _run_series(
        args, TIME_POINT_VIEW, lambda client: client.stats.execution_times(start, end)
    )


def _run_series(
    args: argparse.Namespace,
    view: View[T],
    call: Callable[[DataFlowClient], Awaitable[Sequence[T]]],
) -> int:
    """One call answering a whole list, written in a list format."""
    check_endpoint(args)
    ensure_utf8(sys.stdout)

    async def fetch() -> Sequence[T]:
        async with make_client(args) as client:
            with library_checks():
                return await call(client)

    items = asyncio.run(fetch())
    writer = list_writer(args, view)
    with interrupts_held():
        for item in items:
            writer.write(item)
        writer.finish(len(items), limited=False)
    return ExitCode.OK
