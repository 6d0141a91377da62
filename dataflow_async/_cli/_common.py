"""What every API command does the same way: walk a list into a writer, write one
object, confirm a delete or cancel, read a ``--json`` body, and turn the library's
argument checks into usage errors.

A list command fails the way ``jobs list`` does (what came so far stays well-formed);
a single-object command writes nothing on stdout unless it succeeded, so ``-o json``
prints either one valid JSON object or nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

from .. import AsyncPager, DataFlowClient
from ._errors import ExitCode, UsageError
from ._options import CliParser, Subcommands, add_connection_options, add_output_options, integer
from ._output import (
    LIST_FORMATS,
    OBJECT_FORMATS,
    WRITERS,
    ListWriter,
    View,
    WriterOptions,
    write_object,
)
from ._sanitize import json_safe, one_line
from ._session import check_endpoint, make_client
from ._terminal import (
    Progress,
    ensure_utf8,
    interrupts_held,
    terminal_width,
    wants_color,
    wants_progress,
)

__all__ = [
    "add_list_parser",
    "add_object_parser",
    "library_checks",
    "read_json_body",
    "run_done",
    "run_list",
    "run_object",
]

T = TypeVar("T")


@contextlib.contextmanager
def library_checks() -> Iterator[None]:
    """The library's own argument checks (``ValueError``, ``TypeError``, raised before
    anything is sent) as usage errors: exit 2, the one error style."""
    try:
        yield
    except (ValueError, TypeError) as exc:
        raise UsageError(str(exc)) from None


def add_list_parser(
    actions: Subcommands, name: str, *, help: str, description: str, epilog: str
) -> CliParser:
    """An action listing a resource: ``--max-items``, ``--page-size``, the list formats,
    ``--no-progress`` and the connection options (the caller adds its own first)."""
    parser: CliParser = actions.add_parser(name, help=help, description=description, epilog=epilog)
    parser.add_argument(
        "--max-items",
        metavar="K",
        type=integer(0),
        help="stop after K items (fetching no more pages than needed), e.g. --max-items 50",
    )
    parser.add_argument(
        "--page-size",
        metavar="N",
        type=integer(1),
        default=100,
        help="items asked for per request (default %(default)s), e.g. --page-size 500",
    )
    add_output_options(parser, LIST_FORMATS)
    parser.add_argument(
        "--no-progress",
        action="store_true",
        help="hide the progress line a table listing draws on a terminal's stderr",
    )
    add_connection_options(parser)
    return parser


def add_object_parser(
    actions: Subcommands,
    name: str,
    *,
    help: str,
    description: str,
    epilog: str,
    timeout_flag: str = "--timeout",
) -> CliParser:
    """An action answering one object: ``-o table|json`` and the connection options."""
    parser: CliParser = actions.add_parser(name, help=help, description=description, epilog=epilog)
    add_output_options(parser, OBJECT_FORMATS, table=False)
    add_connection_options(parser, timeout_flag=timeout_flag)
    return parser


def list_writer(args: argparse.Namespace, view: View[T]) -> ListWriter[T]:
    """The writer of the chosen list format on stdout: colour and width for a table on a
    terminal, headers unless ``--no-headers``."""
    table = args.format == "table"
    options = WriterOptions(
        color=table and wants_color(args.color, sys.stdout, os.environ),
        width=terminal_width(sys.stdout, os.environ) if table else None,
        headers=not args.no_headers,
    )
    return WRITERS[args.format](sys.stdout, view, options)


def list_output(args: argparse.Namespace, view: View[T]) -> tuple[ListWriter[T], Progress]:
    """The writer of the chosen list format on stdout (made UTF-8), and the progress line
    on stderr (shown for a table, unless ``--no-progress`` or stderr is no terminal)."""
    ensure_utf8(sys.stdout)
    table = args.format == "table"
    writer = list_writer(args, view)
    progress = Progress(
        sys.stderr,
        enabled=table and not args.no_progress and wants_progress(sys.stderr, os.environ),
        noun=view.noun,
    )
    if progress.enabled:
        ensure_utf8(sys.stderr)  # the progress line uses an ellipsis
    return writer, progress


def run_list(
    args: argparse.Namespace, view: View[T], open_pager: Callable[[DataFlowClient], AsyncPager[T]]
) -> int:
    """Walk ``open_pager(client)`` into the chosen list format, as ``jobs list`` does."""
    check_endpoint(args)
    writer, progress = list_output(args, view)
    hold = args.format != "table"

    async def walk() -> int:
        async with make_client(args) as client:
            with library_checks():
                pager = open_pager(client)
            return await walk_into(pager, writer, progress, hold=hold)

    total = asyncio.run(walk())
    with interrupts_held(hold):
        writer.finish(total, limited=args.max_items is not None and total == args.max_items)
    return ExitCode.OK


async def walk_into(
    pager: AsyncPager[T], writer: ListWriter[T], progress: Progress, *, hold: bool
) -> int:
    """Walk ``pager`` into ``writer``, showing ``progress``; return how many items there
    were. However the walk ends, the progress line is erased; if it fails, ``writer`` is
    aborted (what it wrote stays well-formed). With ``hold``, Ctrl-C waits for each
    write to end (see ``interrupts_held``)."""
    total = 0
    stats = pager.stats
    try:
        async with pager:
            async for item in pager:
                progress.update(stats.items, stats.pages)
                with interrupts_held(hold):
                    writer.write(item)
                total += 1
    except BrokenPipeError:
        raise
    except BaseException:
        progress.clear()
        with interrupts_held(hold):
            writer.abort()
        raise
    finally:
        progress.clear()
    return total


def run_object(
    args: argparse.Namespace,
    view: View[T],
    call: Callable[[DataFlowClient], Awaitable[T]],
) -> int:
    """Make one call and write the object it answers (nothing on stdout if it fails)."""
    check_endpoint(args)
    ensure_utf8(sys.stdout)

    async def fetch() -> T:
        async with make_client(args) as client:
            with library_checks():
                return await call(client)

    item = asyncio.run(fetch())
    with interrupts_held():
        write_object(sys.stdout, item, view, args.format)
    return ExitCode.OK


def run_done(
    args: argparse.Namespace,
    call: Callable[[DataFlowClient], Awaitable[None]],
    *,
    text: str,
    record: dict[str, Any],
) -> int:
    """Make a call that answers nothing (a delete, a cancel) and confirm it: ``text`` on
    one line (``-o table``), or ``record`` as one JSON object (``-o json``)."""
    check_endpoint(args)
    ensure_utf8(sys.stdout)

    async def send() -> None:
        async with make_client(args) as client:
            with library_checks():
                await call(client)

    asyncio.run(send())
    with interrupts_held():
        if args.format == "json":
            sys.stdout.write(json_safe(json.dumps(record, ensure_ascii=False)) + "\n")
        else:
            sys.stdout.write(one_line(text) + "\n")
        sys.stdout.flush()
    return ExitCode.OK


def read_json_body(source: str | None) -> dict[str, Any]:
    """The object of ``--json FILE`` (``-``: stdin), or ``{}`` without one; a file that
    cannot be read or is not one JSON object is a usage error."""
    if source is None:
        return {}
    try:
        if source == "-":
            text = sys.stdin.read()
        else:
            with open(source, encoding="utf-8") as file:
                text = file.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"argument --json: cannot read {source!r}: {exc}") from None
    try:
        body = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"argument --json: {source!r} is not JSON: {exc}") from None
    if not isinstance(body, dict):
        raise UsageError(f"argument --json: {source!r} must hold one JSON object")
    return body
