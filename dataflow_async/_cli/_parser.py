"""The ``dataflow-async`` parser: global options, then one command group per module.

A command group is a module with ``register(commands)``, which adds its parser (and its
actions' parsers, created by ``CliParser``) and sets ``handler`` on each action: a
function of the parsed arguments returning the exit code. A new group is a module listed
in ``GROUPS``, reusing ``add_output_options`` / ``add_connection_options``, the writers
of ``_output`` and the runners of ``_common``.
"""

from __future__ import annotations

from types import ModuleType

from .. import __version__
from . import _demo, _emulator, _executions, _jobs, _stats, _triggers, _workflows
from ._options import CliParser
from ._program import PROG

__all__ = ["GROUPS", "build_parser"]

GROUPS: tuple[ModuleType, ...] = (
    _jobs,
    _executions,
    _workflows,
    _triggers,
    _stats,
    _emulator,
    _demo,
)
"""The command groups, in the order ``--help`` lists them."""

_EPILOG = f"""\
examples:
  {PROG} demo
  {PROG} jobs list --status RUNNING
  {PROG} jobs list -o jsonl | jq .name
  {PROG} executions start JOB_ID --wait --timeout 3600
  {PROG} emulator --port 8080

Run without a command, {PROG} prints this help on stderr and exits with 2.

credentials come from NCLOUD_ACCESS_KEY_ID / NCLOUD_SECRET_ACCESS_KEY, else from
~/.ncloud/configure (profile DEFAULT, $NCLOUD_PROFILE or --profile).

on a terminal, 'jobs list' shows its progress on stderr, colours the table's statuses
and fits the table to the terminal's width; NO_COLOR=1 turns colour off, FORCE_COLOR=1
on (see 'jobs list --help').

exit codes: 0 ok, 1 API or response error, 2 bad usage (nothing sent), 3 credentials
missing or rejected, 4 endpoint unreachable or timed out; with --wait 5 the run FAILED, 6
it was CANCELED, 7 --timeout passed first; 130 interrupted (Ctrl+C), 141 output closed
early (as by `| head`).
"""


def build_parser() -> CliParser:
    """The ``dataflow-async`` argument parser, with every command."""
    parser = CliParser(
        prog=PROG,
        description="Command line for the NAVER Cloud Platform Data Flow API.",
        epilog=_EPILOG,
    )
    parser.add_argument(
        "-V",
        "--version",
        action="version",
        version=f"{PROG} {__version__}",
        help="print the version and exit",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=CliParser)
    for group in GROUPS:
        group.register(commands)
    return parser
