"""Tables for people: columns measured in terminal cells (wide CJK characters count
two), fitted to the terminal's width, optionally coloured, and key/value blocks for a
single object. Every cell goes through ``terminal_text`` first."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Generic, TypeVar

import attrs

from ._sanitize import terminal_text

__all__ = ["Column", "display_width", "fit_columns", "render_pairs", "render_table", "truncate"]

T = TypeVar("T")

GAP = "  "
"""Between two columns."""

# SGR parameters of the ANSI escape codes used by coloured tables.
BOLD, DIM, RED, GREEN, YELLOW, BLUE, CYAN = "1", "2", "31", "32", "33", "34", "36"
RESET = "\x1b[0m"


@attrs.frozen
class Column(Generic[T]):
    """One column of a table of ``T``.

    ``cell`` gives the plain text (sanitised when rendered); ``styles`` the SGR code of
    known cell values when coloured. ``max_width`` cuts longer cells ("…");
    ``min_width`` makes the column flexible: cut down to that many cells to fit the
    terminal before any column is dropped. Columns with a ``drop`` rank are dropped to
    fit, lowest rank first; the others always show.
    """

    header: str
    cell: Callable[[T], str]
    styles: Mapping[str, str] = attrs.field(factory=dict)
    max_width: int | None = None
    min_width: int | None = None
    drop: int | None = None


def display_width(text: str) -> int:
    """Terminal columns ``text`` takes: wide (CJK) characters count 2, combining ones 0."""
    if text.isascii():
        return len(text)
    return sum(_char_width(c) for c in text)


def _char_width(char: str) -> int:
    if unicodedata.combining(char):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def truncate(text: str, width: int) -> str:
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


def fit_columns(
    columns: Sequence[Column[T]], natural: Sequence[int], width: int | None
) -> tuple[list[int], list[int]]:
    """Which columns to show (their indexes) and how wide, to fit ``width`` cells.

    First the flexible columns are narrowed (never below their ``min_width``); when
    that is not enough, the lowest-ranked droppable column goes and the rest get their
    natural widths again. A table that cannot fit even then is shown at its narrowest.
    """
    ranked = sorted((c.drop, i) for i, c in enumerate(columns) if c.drop is not None)
    shown = list(range(len(columns)))
    while True:
        widths = list(natural)
        excess = _total(widths, shown) - width if width is not None else 0
        for i in shown:
            floor = columns[i].min_width
            if excess > 0 and floor is not None and widths[i] > floor:
                give = min(excess, widths[i] - floor)
                widths[i] -= give
                excess -= give
        if excess <= 0 or not ranked:
            return shown, widths
        shown.remove(ranked.pop(0)[1])


def _total(widths: Sequence[int], shown: Sequence[int]) -> int:
    return sum(widths[i] for i in shown) + len(GAP) * max(0, len(shown) - 1)


def render_table(
    items: Iterable[T],
    columns: Sequence[Column[T]],
    *,
    width: int | None = None,
    color: bool = False,
    headers: bool = True,
) -> str:
    """The table of ``items``: a header line (unless ``headers`` is false), then a line
    per item, fitted to ``width`` terminal cells (``None``: no limit).

    With ``color`` the header is bold and cells with a known value coloured. Widths are
    measured on the plain text and the escape codes wrap each cell inside its padding,
    so the columns line up on screen either way.
    """
    rows = [
        [_cut(terminal_text(column.cell(item)), column.max_width) for column in columns]
        for item in items
    ]
    natural = [
        max([display_width(column.header) if headers else 0, *(display_width(r[i]) for r in rows)])
        for i, column in enumerate(columns)
    ]
    shown, widths = fit_columns(columns, natural, width)
    lines = []
    if headers:
        names = [truncate(columns[i].header, widths[i]) for i in shown]
        header = _line(names, [widths[i] for i in shown], None)
        lines.append(_paint(header, BOLD) if color else header)
    styles = [columns[i].styles if color else None for i in shown]
    for row in rows:
        cells = [truncate(row[i], widths[i]) for i in shown]
        lines.append(_line(cells, [widths[i] for i in shown], styles))
    return "".join(line + "\n" for line in lines)


def _cut(text: str, width: int | None) -> str:
    return text if width is None else truncate(text, width)


def _line(
    cells: Sequence[str], widths: Sequence[int], styles: Sequence[Mapping[str, str] | None] | None
) -> str:
    padded = []
    for i, (cell, width) in enumerate(zip(cells, widths, strict=True)):
        known = styles[i] if styles is not None else None
        style = known.get(cell) if known else None
        shown = cell if style is None else _paint(cell, style)
        padded.append(shown + " " * (width - display_width(cell)))
    return GAP.join(padded).rstrip()


def _paint(text: str, style: str) -> str:
    """``text`` between the escape code of SGR ``style`` and a reset."""
    return f"\x1b[{style}m{text}{RESET}"


def render_pairs(pairs: Sequence[tuple[str, str]]) -> str:
    """A key/value block: one ``KEY  value`` line per pair, keys aligned."""
    keys = [terminal_text(key) for key, _ in pairs]
    width = max((display_width(key) for key in keys), default=0)
    return "".join(
        f"{key}{' ' * (width - display_width(key))}{GAP}{terminal_text(value)}".rstrip() + "\n"
        for key, (_, value) in zip(keys, pairs, strict=True)
    )
