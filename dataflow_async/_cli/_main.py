"""``main``: parse, run the command, and turn every expected failure into its exit code."""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Callable, Sequence

from .. import DataFlowError
from ._errors import ExitCode, UsageError, describe_error, print_failure
from ._options import CliParser
from ._parser import build_parser
from ._terminal import clean_line

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``dataflow-async`` with ``argv`` (default ``sys.argv[1:]``); return the exit
    code (the console script calls ``sys.exit(main())``)."""
    parser = build_parser()
    try:
        args, extras = parser.parse_known_args(argv)
        target: CliParser = args.cli_parser
        if extras:
            target.fail_unknown(extras)
    except SystemExit as exc:  # --help, --version, or a usage error already reported
        return ExitCode.OK if exc.code is None else int(exc.code)
    handler: Callable[..., int] | None = getattr(args, "handler", None)
    if handler is None:  # a command (or group) without its action: show what there is
        target.print_help(sys.stderr)
        return ExitCode.USAGE
    try:
        return handler(args)
    except UsageError as exc:
        try:
            target.fail(str(exc))
        except SystemExit as usage:
            return int(usage.code or ExitCode.USAGE)
    except KeyboardInterrupt:
        clean_line(sys.stderr, os.environ)
        return ExitCode.INTERRUPTED
    except BrokenPipeError:
        _detach_stdout()
        return ExitCode.BROKEN_PIPE
    except DataFlowError as exc:
        return print_failure(describe_error(exc))


def _detach_stdout() -> None:
    """After a broken pipe, point stdout at /dev/null so that the interpreter's final
    flush does not complain ("Exception ignored ... BrokenPipeError")."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, ValueError, io.UnsupportedOperation):
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)
