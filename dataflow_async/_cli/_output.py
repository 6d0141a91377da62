"""The output formats every command shares.

A list (``jobs list``, later ``executions list``, ...) is written as it arrives in one
of ``LIST_FORMATS``; a single object in one of ``OBJECT_FORMATS``. What a resource
looks like in each format is its ``View``: the record of machine formats (the model's
snake_case fields, enum values as strings, ISO 8601 dates) and the columns of the table.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from enum import Enum
from typing import Any, Generic, Protocol, TextIO, TypeVar

import attrs

from ._sanitize import csv_text, json_safe
from ._table import Column, render_pairs, render_table
from ._terminal import plural

__all__ = [
    "LIST_FORMATS",
    "OBJECT_FORMATS",
    "WRITERS",
    "CsvWriter",
    "JsonArrayWriter",
    "JsonLinesWriter",
    "ListWriter",
    "TableWriter",
    "View",
    "WriterOptions",
    "model_record",
    "write_object",
]

T = TypeVar("T")
T_contra = TypeVar("T_contra", contravariant=True)

LIST_FORMATS = ("table", "json", "jsonl", "csv")
OBJECT_FORMATS = ("table", "json")


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if attrs.has(type(value)):
        return model_record(value)
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    return value


def model_record(obj: Any) -> dict[str, Any]:
    """An attrs model as plain data: its field names, enum values as strings, ISO 8601
    dates; nested models (a job's ``job_condition``, a workflow's nodes) likewise."""
    return {field.name: _plain(getattr(obj, field.name)) for field in attrs.fields(type(obj))}


@attrs.frozen
class View(Generic[T]):
    """How one kind of object is written: ``noun`` ("job"), the ``fields`` of its
    record (the CSV header), and the table's ``columns``."""

    noun: str
    fields: tuple[str, ...]
    columns: tuple[Column[T], ...]
    record: Callable[[T], dict[str, Any]] = model_record

    def pairs(self, item: T) -> list[tuple[str, str]]:
        """The key/value lines of ``item``: ``JOB ID  job000000001``, ... A nested
        model (a job's ``job_condition``) is its own line, then its fields that have a
        value on lines indented under it; a list or a map of the user's own keys (run
        parameters) is compact JSON on its line."""
        lines: list[tuple[str, str]] = []
        for name, value in self.record(item).items():
            key = name.replace("_", " ").upper()
            if isinstance(value, dict) and value and attrs.has(type(getattr(item, name, None))):
                lines.append((key, ""))
                lines.extend(
                    (f"  {sub.replace('_', ' ').upper()}", _cell(inner))
                    for sub, inner in value.items()
                    if inner is not None
                )
            else:
                lines.append((key, "-" if value is None else _cell(value)))
        return lines


@attrs.frozen
class WriterOptions:
    """Choices that only the table (``color``, ``width``) or table and CSV
    (``headers``) use."""

    color: bool = False
    width: int | None = None
    headers: bool = True
    limit_hint: str = "--max-items reached; there may be more"


class ListWriter(Protocol[T_contra]):
    """Writes items as they arrive. ``finish`` is called when the walk succeeded,
    ``abort`` when it failed or was interrupted (to leave the output well-formed)."""

    def write(self, item: T_contra) -> None: ...

    def finish(self, total: int, *, limited: bool) -> None: ...

    def abort(self) -> None: ...


def _dumps(record: dict[str, Any]) -> str:
    return json_safe(json.dumps(record, ensure_ascii=False))


class JsonLinesWriter(Generic[T]):
    """One JSON object per line, flushed at once."""

    def __init__(self, stream: TextIO, view: View[T], options: WriterOptions) -> None:
        self.stream = stream
        self.view = view

    def write(self, item: T) -> None:
        self.stream.write(_dumps(self.view.record(item)) + "\n")
        self.stream.flush()

    def finish(self, total: int, *, limited: bool) -> None:
        self.stream.flush()

    def abort(self) -> None:
        self.stream.flush()


class JsonArrayWriter(Generic[T]):
    """One JSON array, written element by element. Nothing is written before the first
    item, so a command that fails before its walk starts leaves stdout empty; once the
    walk started, ``abort`` closes the array: what came so far is valid JSON."""

    def __init__(self, stream: TextIO, view: View[T], options: WriterOptions) -> None:
        self.stream = stream
        self.view = view
        self.started = False

    def write(self, item: T) -> None:
        self.stream.write(",\n  " if self.started else "[\n  ")
        self.started = True
        self.stream.write(_dumps(self.view.record(item)))
        self.stream.flush()

    def finish(self, total: int, *, limited: bool) -> None:
        self.stream.write("\n]\n" if self.started else "[]\n")
        self.stream.flush()

    def abort(self) -> None:
        self.finish(0, limited=False)


class CsvWriter(Generic[T]):
    """A header row (unless ``headers`` is off), then a row per item; ``None`` is an
    empty cell, booleans ``true``/``false``; cells pass through ``csv_text``. The header
    is written with the first item (or at the end)."""

    def __init__(self, stream: TextIO, view: View[T], options: WriterOptions) -> None:
        self.stream = stream
        self.view = view
        self.csv = csv.writer(stream, lineterminator="\n")
        self.started = not options.headers

    def _start(self) -> None:
        if not self.started:
            self.csv.writerow(self.view.fields)
            self.started = True

    def write(self, item: T) -> None:
        self._start()
        self.csv.writerow([csv_text(_cell(v)) for v in self.view.record(item).values()])
        self.stream.flush()

    def finish(self, total: int, *, limited: bool) -> None:
        self._start()
        self.stream.flush()

    def abort(self) -> None:
        self.stream.flush()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):  # a nested model or list: its compact JSON
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


class TableWriter(Generic[T]):
    """A table for people, sized to its rows and the terminal, then the total. Without
    headers, neither the header line nor the total is written."""

    def __init__(self, stream: TextIO, view: View[T], options: WriterOptions) -> None:
        self.stream = stream
        self.view = view
        self.options = options
        self.items: list[T] = []

    def write(self, item: T) -> None:
        self.items.append(item)

    def finish(self, total: int, *, limited: bool) -> None:
        options = self.options
        if not self.items:
            if options.headers:
                self.stream.write(f"No {self.view.noun}s found.\n")
        else:
            self.stream.write(
                render_table(
                    self.items,
                    self.view.columns,
                    width=options.width,
                    color=options.color,
                    headers=options.headers,
                )
            )
            if options.headers:
                more = f" ({options.limit_hint})" if limited else ""
                self.stream.write(f"{plural(total, self.view.noun)}{more}\n")
        self.stream.flush()

    def abort(self) -> None:
        """Nothing: a table is written only whole."""


WRITERS: dict[str, Callable[[TextIO, View[Any], WriterOptions], ListWriter[Any]]] = {
    "table": TableWriter,
    "json": JsonArrayWriter,
    "jsonl": JsonLinesWriter,
    "csv": CsvWriter,
}


def write_object(stream: TextIO, item: T, view: View[T], fmt: str) -> None:
    """Write one object: a JSON object, or (``table``) its key/value lines."""
    if fmt == "json":
        stream.write(json_safe(json.dumps(view.record(item), ensure_ascii=False, indent=2)) + "\n")
    else:
        stream.write(render_pairs(view.pairs(item)))
    stream.flush()


def table_view(noun: str, model: type[T], columns: Sequence[Column[T]]) -> View[T]:
    """The view of an attrs ``model`` whose records are its fields."""
    fields = tuple(field.name for field in attrs.fields(model))  # type: ignore[arg-type]
    return View(noun=noun, fields=fields, columns=tuple(columns))
