"""What ``dataflow-async`` writes: job records, the four output formats, the table with
its colours, and the progress line."""

from __future__ import annotations

import csv
import io
import json
import time
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from enum import Enum
from typing import Any, Protocol, TextIO

import attrs

from ._models import Job

__all__ = [
    "WRITERS",
    "JobWriter",
    "Progress",
    "TableWriter",
    "display_width",
    "ensure_utf8",
    "job_record",
    "plural",
    "render_table",
    "wants_color",
    "wants_progress",
]


def ensure_utf8(stream: TextIO) -> None:
    """Make ``stream`` write UTF-8 whatever the locale says, so names come out intact.

    A character UTF-8 cannot encode (a lone surrogate, which a lenient JSON decoder lets
    through) is written as a backslash escape instead of ending the command.
    """
    if isinstance(stream, io.TextIOWrapper):
        stream.reconfigure(encoding="utf-8", errors="backslashreplace")


# --------------------------------------------------------------------------- terminal


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


def wants_color(choice: str, stream: TextIO, environ: Mapping[str, str]) -> bool:
    """Whether to colour what goes to ``stream``, for ``--color`` ``choice``.

    ``always`` and ``never`` decide alone. ``auto``: not when ``NO_COLOR`` is set and
    non-empty (https://no-color.org), else yes when ``FORCE_COLOR`` is, else only on a
    terminal whose ``TERM`` is not ``dumb``.
    """
    if choice != "auto":
        return choice == "always"
    if environ.get("NO_COLOR"):
        return False
    if environ.get("FORCE_COLOR"):
        return True
    return environ.get("TERM") != "dumb" and _is_terminal(stream)


def wants_progress(stream: TextIO, environ: Mapping[str, str]) -> bool:
    """Whether a progress line may be drawn on ``stream``: only on a terminal, and not
    when ``TERM=dumb`` asks for plain output."""
    return environ.get("TERM") != "dumb" and _is_terminal(stream)


class Progress:
    """One self-rewriting line, "… 12,000 jobs, 12 pages", on ``stream``.

    ``update`` redraws it, no more often than every ``interval`` seconds of ``clock``
    (the first call draws at once) and only when the text changed; ``clear`` erases
    it, so that what is printed next starts on a clean line. Disabled, it writes
    nothing at all.
    """

    def __init__(
        self,
        stream: TextIO,
        *,
        enabled: bool,
        clock: Callable[[], float] = time.monotonic,
        interval: float = 0.1,
    ) -> None:
        self.stream = stream
        self.enabled = enabled
        self.clock = clock
        self.interval = interval
        self._shown = ""
        self._drawn_at: float | None = None

    def update(self, jobs: int, pages: int) -> None:
        """Show these counts, unless the line was drawn less than ``interval`` ago."""
        if not self.enabled:
            return
        now = self.clock()
        if self._drawn_at is not None and now - self._drawn_at < self.interval:
            return
        text = f"… {plural(jobs, 'job')}, {plural(pages, 'page')}"
        if text == self._shown:
            return
        # Pad with spaces over what a longer previous text left on the line.
        pad = " " * max(0, display_width(self._shown) - display_width(text))
        self.stream.write(f"\r{text}{pad}")
        self.stream.flush()
        self._shown = text
        self._drawn_at = now

    def clear(self) -> None:
        """Erase the line (if one is shown) and put the cursor back at its start."""
        if not self._shown:
            return
        self.stream.write("\r" + " " * display_width(self._shown) + "\r")
        self.stream.flush()
        self._shown = ""
        self._drawn_at = None


# --------------------------------------------------------------------------- output


def job_record(job: Job) -> dict[str, Any]:
    """``job`` as plain data: snake_case keys, enum values as strings, ISO 8601 dates."""
    return {field.name: _plain(getattr(job, field.name)) for field in attrs.fields(Job)}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


JOB_FIELDS: tuple[str, ...] = tuple(field.name for field in attrs.fields(Job))


class JobWriter(Protocol):
    """Writes jobs as they arrive; ``finish`` is called only when the walk succeeded."""

    def write(self, job: Job) -> None: ...

    def finish(self, total: int, *, limited: bool) -> None: ...


class JsonLinesWriter:
    """One JSON object per line, flushed at once."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, job: Job) -> None:
        self.stream.write(json.dumps(job_record(job), ensure_ascii=False) + "\n")
        self.stream.flush()

    def finish(self, total: int, *, limited: bool) -> None:
        self.stream.flush()


class JsonArrayWriter:
    """One JSON array, written element by element. Nothing is written before the first
    job (or the end), so a walk that fails at once leaves stdout empty."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.started = False

    def write(self, job: Job) -> None:
        self.stream.write(",\n  " if self.started else "[\n  ")
        self.started = True
        self.stream.write(json.dumps(job_record(job), ensure_ascii=False))
        self.stream.flush()

    def finish(self, total: int, *, limited: bool) -> None:
        self.stream.write("\n]\n" if self.started else "[]\n")
        self.stream.flush()


class CsvWriter:
    """A header row, then a row per job; ``None`` is an empty cell, booleans
    ``true``/``false``. The header is written with the first job (or at the end)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.csv = csv.writer(stream, lineterminator="\n")
        self.started = False

    def _start(self) -> None:
        if not self.started:
            self.csv.writerow(JOB_FIELDS)
            self.started = True

    def write(self, job: Job) -> None:
        self._start()
        self.csv.writerow([_cell(value) for value in job_record(job).values()])
        self.stream.flush()

    def finish(self, total: int, *, limited: bool) -> None:
        self._start()
        self.stream.flush()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class TableWriter:
    """A fixed-width table for people, sized to its rows, then the total; with
    ``color``, statuses are coloured with ANSI escape codes."""

    def __init__(self, stream: TextIO, *, color: bool = False) -> None:
        self.stream = stream
        self.color = color
        self.jobs: list[Job] = []

    def write(self, job: Job) -> None:
        self.jobs.append(job)

    def finish(self, total: int, *, limited: bool) -> None:
        if not self.jobs:
            self.stream.write("No jobs found.\n")
        else:
            self.stream.write(render_table(self.jobs, color=self.color))
            more = " (--max-items reached; there may be more)" if limited else ""
            self.stream.write(f"{plural(total, 'job')}{more}\n")
        self.stream.flush()


WRITERS: dict[str, Callable[[TextIO], JobWriter]] = {
    "table": TableWriter,
    "json": JsonArrayWriter,
    "jsonl": JsonLinesWriter,
    "csv": CsvWriter,
}

TABLE_HEADERS = ("JOB ID", "NAME", "TYPE", "STATUS", "LAST RUN", "LAST RUN AT", "UPDATED")
NAME_WIDTH = 40
"""Names wider than this many terminal columns are cut, ending in "…"."""

# SGR parameters of the ANSI escape codes used by the coloured table.
BOLD, DIM, RED, GREEN, YELLOW, BLUE, CYAN = "1", "2", "31", "32", "33", "34", "36"
RESET = "\x1b[0m"

STATUS_COLUMN, LAST_RUN_COLUMN = 3, 4
CELL_STYLES: dict[int, dict[str, str]] = {
    STATUS_COLUMN: {
        "RUNNING": GREEN,
        "RUNNABLE": BLUE,
        "READY": BLUE,
        "STOPPED": YELLOW,
        "DELETED": DIM,
        "UNKNOWN": DIM,
    },
    LAST_RUN_COLUMN: {
        "COMPLETED": GREEN,
        "FAILED": RED,
        "CANCELED": YELLOW,
        "RUNNING": CYAN,
        "READY": BLUE,
    },
}
"""The SGR code of each known value of the coloured columns; other values stay plain."""


def table_row(job: Job) -> tuple[str, ...]:
    """The table cells of ``job``."""
    return (
        _printable(job.job_id),
        _printable(job.name),
        _text(job.type),
        _text(job.status),
        _text(job.last_execution_status),
        _short_date(job.last_execution_date),
        _short_date(job.updated_date),
    )


def render_table(jobs: Iterable[Job], *, name_width: int = NAME_WIDTH, color: bool = False) -> str:
    """The table for ``jobs``: a header line and one line per job.

    With ``color`` the header is bold and the STATUS and LAST RUN cells are coloured
    (see ``CELL_STYLES``). Widths are measured on the plain text and the escape codes
    wrap each cell inside its padding, so the columns line up on screen either way.
    """
    rows = [
        tuple(_truncate(cell, name_width) if i == 1 else cell for i, cell in enumerate(row))
        for row in map(table_row, jobs)
    ]
    widths = [
        max([display_width(header), *(display_width(row[i]) for row in rows)])
        for i, header in enumerate(TABLE_HEADERS)
    ]
    header = _table_line(TABLE_HEADERS, widths)
    lines = [
        _paint(header, BOLD) if color else header,
        *(_table_line(row, widths, color=color) for row in rows),
    ]
    return "\n".join(lines) + "\n"


def _table_line(cells: Sequence[str], widths: Sequence[int], *, color: bool = False) -> str:
    padded = (
        _style_cell(i, cell, color) + " " * (width - display_width(cell))
        for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
    )
    return "  ".join(padded).rstrip()


def _style_cell(column: int, cell: str, color: bool) -> str:
    if not color or column not in CELL_STYLES:
        return cell
    style = CELL_STYLES[column].get(cell)
    return cell if style is None else _paint(cell, style)


def _paint(text: str, style: str) -> str:
    """``text`` between the escape code of SGR ``style`` and a reset."""
    return f"\x1b[{style}m{text}{RESET}"


def _text(value: str | None) -> str:
    return "-" if value is None else _printable(str(value))


def _short_date(value: datetime | None) -> str:
    return "-" if value is None else value.isoformat(sep=" ", timespec="minutes")


def _printable(text: str) -> str:
    """``text`` with control characters (newlines, escape sequences) shown as "?"."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else "?" for c in text)


def display_width(text: str) -> int:
    """Terminal columns ``text`` takes: wide (CJK) characters count 2, combining ones 0."""
    if text.isascii():
        return len(text)
    return sum(_char_width(c) for c in text)


def _char_width(char: str) -> int:
    if unicodedata.combining(char):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def _truncate(text: str, width: int) -> str:
    """``text`` cut to ``width`` terminal columns, ending in "…" when cut."""
    if display_width(text) <= width:
        return text
    kept: list[str] = []
    used = 0
    for char in text:
        used += _char_width(char)
        if used > width - 1:
            break
        kept.append(char)
    return "".join(kept) + "…"


def plural(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"
