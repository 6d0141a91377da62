"""The parser class every command uses, the value checks options share, and the option
sets that command groups reuse (output, connection).

Values are checked while parsing, so that every bad value is reported the same way
(see ``_errors``) before anything is sent. Choices (formats, statuses, colour modes)
are matched whatever their case.
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
import textwrap
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, NoReturn, TypeAlias, TypeVar

import httpx

from .._client import DEFAULT_BASE_URL, ENDPOINT_ENV_VAR
from ._errors import ExitCode
from ._table import display_width

__all__ = [
    "CliParser",
    "Subcommands",
    "add_connection_options",
    "add_output_options",
    "choice",
    "endpoint",
    "integer",
    "seconds",
]

E = TypeVar("E")

if TYPE_CHECKING:
    Subcommands: TypeAlias = argparse._SubParsersAction["CliParser"]
    """What ``add_subparsers`` returns: where a command group adds its parser."""
else:
    Subcommands = argparse._SubParsersAction


class HelpFormatter(argparse.HelpFormatter):
    """argparse's formatter, except that descriptions and epilogs keep their lines
    (examples, tables) and every line too long for the terminal is wrapped, keeping
    its indentation (and the second column of a two-column line)."""

    def _format_usage(
        self,
        usage: str | None,
        actions: Iterable[argparse.Action],
        groups: Iterable[argparse._MutuallyExclusiveGroup],
        prefix: str | None,
    ) -> str:
        text = super()._format_usage(usage, actions, groups, prefix)
        if all(len(line) <= self._width for line in text.splitlines()):
            return text
        # argparse aligns wrapped usage under the program's name, which a long name (a
        # command's) pushes past a narrow terminal; wrap under a short indent instead.
        lines: list[str] = []
        for word in re.findall(r"\[[^\]]*\]|\S+", " ".join(text.split())):
            if lines and len(lines[-1]) + 1 + len(word) <= self._width:
                lines[-1] += " " + word
            else:
                lines.append(("    " if lines else "") + word)
        return "\n".join(lines) + "\n\n"

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        lines: list[str] = []
        for block in _blocks(text):
            if all(len(indent) + display_width(line) <= width for line in block):
                lines.extend(indent + line if line.strip() else "" for line in block)
            elif block[0][:1].isspace():  # an indented line: an example, a table row
                lines.extend(_wrap_row(block, width, indent))
            else:  # a paragraph of prose: refill it
                lines.extend(
                    textwrap.wrap(
                        " ".join(block),
                        width,
                        initial_indent=indent,
                        subsequent_indent=indent,
                        break_on_hyphens=False,
                    )
                )
        return "\n".join(lines)


def _blocks(text: str) -> list[list[str]]:
    """Paragraphs (unindented lines that follow each other), indented rows with their
    continuation lines (indented to the row's second column), and blank lines."""
    blocks: list[list[str]] = []
    for line in text.splitlines():
        last = blocks[-1] if blocks else None
        if last is not None and line.strip() and _continues(last, line):
            last.append(line)
        else:
            blocks.append([line])
    return blocks


def _continues(block: list[str], line: str) -> bool:
    first = block[0]
    if not first.strip() or (first.endswith(":") and not first[:1].isspace()):
        return False
    if not first[:1].isspace():  # prose goes on with more prose
        return not line[:1].isspace() and not line.endswith(":")
    hang = _hang(first)
    return hang is not None and len(line) - len(line.lstrip()) == hang


def _hang(line: str) -> int | None:
    """Where the second column of an indented two-column line starts."""
    column = re.match(r"\s+\S+(?: \S+)*\s{2,}(?=\S)", line)
    return len(column.group(0)) if column else None


def _wrap_row(block: list[str], width: int, indent: str) -> list[str]:
    """An indented row and its continuation lines, wrapped under its second column."""
    first = block[0]
    lead = first[: len(first) - len(first.lstrip())]
    hang = _hang(first)
    under = " " * hang if hang is not None and hang < width // 2 else lead + "  "
    return textwrap.wrap(
        " ".join(line.strip() for line in block),
        width,
        initial_indent=indent + lead,
        subsequent_indent=indent + under,
        break_on_hyphens=False,
    )


class CliParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` with the command line's conventions: no abbreviated long
    options, wrapped help, and usage errors told as ``usage:``, ``error:``, ``hint:``
    lines (exit code 2)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)
        self.set_defaults(cli_parser=self)

    def short_usage(self) -> str:
        """``dataflow-async jobs list [options]``: the command and its arguments."""
        words = [self.prog]
        for action in self._actions:
            if not action.option_strings:
                words.append(str(action.metavar or action.dest.upper()))
                if isinstance(action, argparse._SubParsersAction):
                    words.append("...")
        return " ".join([*words, "[options]"])

    def fail(self, message: str, hint: str | None = None) -> NoReturn:
        """Report a usage error on stderr and exit with code 2."""
        stream = sys.stderr
        stream.write(f"usage: {self.short_usage()}\n")
        stream.write(f"error: {' '.join(message.split())}\n")
        hint = hint or f"'{self.prog} --help' explains every option"
        stream.write(f"hint: {hint}\n")
        stream.flush()
        raise SystemExit(ExitCode.USAGE)

    def error(self, message: str) -> NoReturn:
        self.fail(message)

    def fail_unknown(self, extras: Sequence[str]) -> NoReturn:
        """Report arguments no option took: ``--statu``, a stray word."""
        first = next((word for word in extras if word.startswith("-")), extras[0])
        if not first.startswith("-"):
            self.fail(f"unexpected argument {first!r}")
        name = first.split("=", 1)[0]
        options = [o for a in self._actions for o in a.option_strings if o.startswith("--")]
        close = difflib.get_close_matches(name, options, n=1)
        self.fail(f"unknown option {name!r}", f"did you mean {close[0]}?" if close else None)


def _shown(value: str) -> str:
    return repr(value)


def choice(values: Iterable[E], *, label: Callable[[E], str] = str) -> Callable[[str], E]:
    """An option type accepting one of ``values`` by label, in any case."""
    by_name = {label(v).casefold(): v for v in values}
    names = ", ".join(label(v) for v in by_name.values())

    def convert(text: str) -> E:
        found = by_name.get(text.strip().casefold())
        if found is None:
            raise argparse.ArgumentTypeError(f"must be one of {names}, got {_shown(text)}")
        return found

    convert.__name__ = "choice"
    return convert


def integer(minimum: int, maximum: int | None = None) -> Callable[[str], int]:
    """An option type for a whole number from ``minimum`` to ``maximum``."""

    def convert(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < minimum or (maximum is not None and value > maximum):
            span = f"from {minimum} to {maximum}" if maximum is not None else f"{minimum} or more"
            raise argparse.ArgumentTypeError(f"must be a whole number {span}, got {_shown(text)}")
        return value

    convert.__name__ = "integer"
    return convert


def seconds(text: str) -> float:
    """An option type for a positive, finite number of seconds."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a number of seconds above 0, got {text!r}")
    return value


def endpoint(text: str) -> str:
    """An option type for an ``http://`` or ``https://`` URL."""
    problem = endpoint_problem(text)
    if problem:
        raise argparse.ArgumentTypeError(problem)
    return text


def endpoint_problem(url: str) -> str | None:
    """Why ``url`` cannot be an endpoint, or ``None``."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        parsed = None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.host:
        return f"must be an http:// or https:// URL, got {url!r}"
    return None


def add_output_options(parser: CliParser, formats: Sequence[str], *, table: bool = True) -> None:
    """``-o/--format``, and for tables ``--no-headers``, ``--color`` and ``--no-color``."""
    names = ", ".join(formats)
    parser.add_argument(
        "-o",
        "--format",
        metavar="FORMAT",
        type=choice(formats),
        default=formats[0],
        help=f"output format, any case: {names} (default %(default)s"
        + ("; see 'output formats' below), e.g. -o jsonl" if table else "), e.g. -o json"),
    )
    if not table:
        return
    parser.add_argument(
        "--no-headers",
        action="store_true",
        help="leave out the table's header line and total, and the CSV header row",
    )
    parser.add_argument(
        "--color",
        metavar="WHEN",
        type=choice(("auto", "always", "never")),
        default="auto",
        help="colour the table: 'auto' (the default) when stdout is a terminal and "
        "NO_COLOR is not set, 'always' (even into a pipe or file), or 'never'; see "
        "'terminal output' below, e.g. --color never",
    )
    parser.add_argument(
        "--no-color",
        dest="color",
        action="store_const",
        const="never",
        help="the same as --color never",
    )


def add_connection_options(parser: CliParser, *, timeout_flag: str = "--timeout") -> None:
    """``--endpoint``, ``--profile``, ``--timeout``, ``--max-retries``. A command whose
    ``--timeout`` bounds something else (``--wait``) names the answer's timeout
    ``timeout_flag`` instead (``--request-timeout``)."""
    parser.add_argument(
        "--endpoint",
        metavar="URL",
        type=endpoint,
        help=f"API base URL (default: ${ENDPOINT_ENV_VAR}, else {DEFAULT_BASE_URL}), "
        "e.g. --endpoint http://127.0.0.1:8080 for a local emulator",
    )
    parser.add_argument(
        "--profile",
        metavar="NAME",
        help="read the key pair from this profile of ~/.ncloud/configure instead of the "
        "environment (default: environment, then $NCLOUD_PROFILE or DEFAULT), "
        "e.g. --profile staging",
    )
    parser.add_argument(
        timeout_flag,
        dest="timeout",
        metavar="SECONDS",
        type=seconds,
        help="how long to wait for each answer (default: 30 s, 10 s to connect), "
        f"e.g. {timeout_flag} 5",
    )
    parser.add_argument(
        "--max-retries",
        metavar="N",
        type=integer(0),
        help="retries of a failed request (connection errors, 429, 5xx; default 2), "
        "e.g. --max-retries 0",
    )
