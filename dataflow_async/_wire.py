"""Generic structuring and unstructuring of every model, driven by its attrs fields.

The reference converter here is built from the field definitions alone: camelCase wire
names (or the ``wire`` metadata), accepted aliases, a field that collects the other keys,
open enums, aware dates, strict JSON types. Adding a field to a model needs no change here.
"""

from __future__ import annotations

import functools
import typing
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta, timezone
from enum import StrEnum
from types import NoneType, UnionType
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.errors import (
    AttributeValidationNote,
    ClassValidationError,
    IterableValidationError,
    IterableValidationNote,
)
from cattrs.gen import make_dict_structure_fn, override
from cattrs.v import format_exception

from .types._fields import ALIASES, FORMAT, REST, WIRE

__all__ = [
    "KST",
    "camel",
    "explain",
    "json_name",
    "make_reference_converter",
    "unstructure",
    "wire_name",
]

T = TypeVar("T")
# The API documents its dates as ISO 8601 in UTC+9; a date sent without an offset is
# read in that zone rather than left naive.
KST = timezone(timedelta(hours=9), "KST")


def camel(name: str) -> str:
    """``created_date`` -> ``createdDate``."""
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def wire_name(field: attrs.Attribute[Any]) -> str:
    """The JSON key of a model field."""
    name = field.metadata.get(WIRE)
    return name if isinstance(name, str) else camel(field.name)


_JSON_NAMES = {
    dict: "an object",
    list: "an array",
    str: "a string",
    int: "an integer",
    float: "a number",
    bool: "a boolean",
    NoneType: "null",
}


def json_name(value: Any) -> str:
    """The JSON type of a decoded value, in words: ``"a string"``, ``"null"``."""
    return _JSON_NAMES.get(type(value), f"a {type(value).__name__}")


def _strict(kind: type) -> Callable[[Any, Any], Any]:
    expected = _JSON_NAMES[kind]

    def structure(value: Any, _: Any) -> Any:
        if type(value) is not kind:
            raise TypeError(f"expected {expected}, got {json_name(value)}")
        return value

    return structure


def _number(value: Any, _: Any) -> float:
    if type(value) is not int and type(value) is not float:
        raise TypeError(f"expected a number, got {json_name(value)}")
    return float(value)


def _int_or_str(value: Any, _: Any) -> int | str:
    if type(value) is not int and type(value) is not str:
        raise TypeError(f"expected an integer or a string, got {json_name(value)}")
    result: int | str = value
    return result


def parse_datetime(value: Any, _: Any = None) -> datetime:
    """An ISO 8601 string as an aware datetime (no offset: KST)."""
    if type(value) is not str:
        raise TypeError(f"expected an ISO 8601 date string, got {json_name(value)}")
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is not None:
        return parsed
    return datetime.combine(parsed.date(), parsed.time(), KST)  # 6x replace() on 3.11


def parse_epoch_ms(value: Any, _: Any = None) -> datetime:
    """Milliseconds since the Unix epoch as an aware UTC datetime."""
    if type(value) is not int:
        raise TypeError(f"expected epoch milliseconds (an integer), got {json_name(value)}")
    try:
        return datetime.fromtimestamp(value / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise ValueError(f"epoch milliseconds out of range: {value}") from None


def _enum_or_str(enum: type[StrEnum]) -> Callable[[Any, Any], Any]:
    members: dict[str, StrEnum] = {m.value: m for m in enum}

    def structure(value: Any, _: Any) -> Any:
        if type(value) is not str:
            raise TypeError(f"expected a string ({enum.__name__}), got {json_name(value)}")
        return members.get(value, value)

    return structure


def _union_args(type_: Any) -> tuple[Any, ...]:
    if isinstance(type_, UnionType) or typing.get_origin(type_) is typing.Union:
        return typing.get_args(type_)
    return ()


def _union_hook(type_: Any, converter: cattrs.Converter) -> Callable[[Any, Any], Any]:
    """Hooks for the unions the models use: ``X | None``, ``Enum | str``, ``int | str``."""
    args = [a for a in _union_args(type_) if a is not NoneType]
    optional = len(args) < len(_union_args(type_))
    enums = [a for a in args if isinstance(a, type) and issubclass(a, StrEnum)]
    if enums and set(args) == {enums[0], str}:
        inner = _enum_or_str(enums[0])
    elif set(args) == {int, str}:
        inner = _int_or_str
    elif len(args) == 1:
        inner = converter.get_structure_hook(args[0])
    else:  # pragma: no cover - a model with a union the converter does not know
        raise TypeError(f"no structure hook for {type_!r}")
    if not optional:
        return inner
    target = args[0] if len(args) == 1 else None

    def structure(value: Any, _: Any) -> Any:
        return None if value is None else inner(value, target)

    return structure


_MAPPINGS: tuple[Any, ...] = (Mapping, dict)


def _is_tuple_of(type_: Any) -> bool:
    args = typing.get_args(type_)
    return typing.get_origin(type_) is tuple and len(args) == 2 and args[1] is Ellipsis


def _tuple_hook(type_: Any, converter: cattrs.Converter, detailed: bool) -> Any:
    """``tuple[X, ...]`` from a JSON array only (cattrs' own hook takes any iterable,
    a string as a tuple of characters); with detailed validation, each bad item is
    reported at its index."""
    item_type = typing.get_args(type_)[0]
    item = converter.get_structure_hook(item_type)

    def structure(value: Any, _: Any) -> tuple[Any, ...]:
        if type(value) is not list:
            raise TypeError(f"expected an array, got {json_name(value)}")
        if not detailed:
            return tuple([item(v, item_type) for v in value])
        made, errors = [], []
        for index, v in enumerate(value):
            try:
                made.append(item(v, item_type))
            except Exception as exc:
                exc.__notes__ = [
                    *getattr(exc, "__notes__", []),
                    IterableValidationNote(f"Structuring item @ index {index}", index, item_type),
                ]
                errors.append(exc)
        if errors:
            raise IterableValidationError(f"While structuring {type_!r}", errors, type_)
        return tuple(made)

    return structure


def _mapping_hook(value: Any, _: Any) -> dict[str, Any]:
    if type(value) is not dict:
        raise TypeError(f"expected an object, got {json_name(value)}")
    return dict(value)


def _model_hook(cls: type[Any], converter: cattrs.Converter, detailed: bool) -> Any:
    fields = attrs.fields(cls)
    renames = {f.name: override(rename=wire_name(f)) for f in fields if not f.metadata.get(REST)}
    for f in fields:
        if f.metadata.get(FORMAT) == "epoch_ms":
            renames[f.name] = override(rename=wire_name(f), struct_hook=parse_epoch_ms)
    rest = next((f for f in fields if f.metadata.get(REST)), None)
    if rest is not None:
        renames[rest.name] = override(omit=True)
    base = make_dict_structure_fn(
        cls,
        converter,
        _cattrs_detailed_validation=detailed,
        **renames,  # type: ignore[arg-type]
    )
    aliases = [(wire_name(f), f.metadata[ALIASES]) for f in fields if f.metadata.get(ALIASES)]
    known = {wire_name(f) for f in fields} | {a for _, names in aliases for a in names}

    keys = {f.name: wire_name(f) for f in fields}

    def structure(value: Any, type_: Any) -> Any:
        if type(value) is not dict:
            raise TypeError(f"expected an object, got {json_name(value)}")
        sent = keys
        for primary, names in aliases:
            if primary not in value:
                for alias in names:
                    if alias in value:
                        value = {**value, primary: value[alias]}
                        sent = _with_alias(sent, primary, alias)
                        break
        try:
            made = base(value, type_)
        except ClassValidationError as exc:
            _name_wire_keys(exc, sent)
            raise
        if rest is not None:
            extra = {k: v for k, v in value.items() if k not in known}
            object.__setattr__(made, rest.name, extra)
        return made

    return structure


def _with_alias(keys: dict[str, str], primary: str, alias: str) -> dict[str, str]:
    return {name: alias if key == primary else key for name, key in keys.items()}


def _name_wire_keys(exc: ClassValidationError, keys: dict[str, str]) -> None:
    """Make the notes of a detailed error name the JSON keys (``createdDate``, or the
    alias the body used) instead of the fields (``created_date``)."""
    for sub in exc.exceptions:
        notes = getattr(sub, "__notes__", [])
        for i, note in enumerate(notes):
            if isinstance(note, AttributeValidationNote) and note.name in keys:
                key = keys[note.name]
                notes[i] = AttributeValidationNote(f"Structuring key {key}", key, note.type)


def _describe(exc: BaseException, type_: Any) -> str:
    if isinstance(exc, KeyError):
        return "required key missing"
    if isinstance(exc, TypeError | ValueError) and exc.args and isinstance(exc.args[0], str):
        return exc.args[0]
    return format_exception(exc, type_)  # pragma: no cover - other errors


def explain(exc: BaseException, path: str = "$") -> list[str]:
    """What a detailed-validation error says, one line per bad value, each with the JSON
    path of the value (wire names: ``$.list[0].createdDate``)."""
    return cattrs.transform_error(exc, path=path, format_exception=_describe)


def make_reference_converter(*, detailed_validation: bool = False) -> cattrs.Converter:
    """A converter for every model, generated by cattrs from the field definitions.

    Strings, booleans and integers must already have their JSON type (no silent
    coercion of ``"false"`` to ``True``); enum fields accept unknown strings; unknown
    JSON fields are ignored; dates without an offset are KST.
    """
    converter = cattrs.Converter(detailed_validation=detailed_validation)
    for kind in (str, bool, int):
        converter.register_structure_hook(kind, _strict(kind))
    converter.register_structure_hook(float, _number)
    converter.register_structure_hook(datetime, parse_datetime)
    converter.register_structure_hook_factory(
        lambda t: bool(_union_args(t)), lambda t: _union_hook(t, converter)
    )
    converter.register_structure_hook_factory(
        lambda t: typing.get_origin(t) in _MAPPINGS, lambda t: _mapping_hook
    )
    converter.register_structure_hook_factory(
        _is_tuple_of, lambda t: _tuple_hook(t, converter, detailed_validation)
    )
    converter.register_structure_hook_factory(
        attrs.has, lambda cls: _model_hook(cls, converter, detailed_validation)
    )
    return converter


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, str | bool | int | float):
        return value.value if isinstance(value, StrEnum) else value
    if isinstance(value, datetime):
        return value.isoformat()
    if attrs.has(type(value)):
        return unstructure(value)
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    raise TypeError(f"cannot send a {type(value).__name__}")


def unstructure(model: Any) -> dict[str, Any]:
    """A model as the JSON object the API expects: camelCase keys, ``None`` fields left
    out, enums as their strings, dates in ISO 8601, a field of other keys merged in."""
    body: dict[str, Any] = {}
    kind: Any = type(model)
    for field in _fields(kind):
        value = getattr(model, field.name)
        if field.metadata.get(REST):
            body.update({k: v for k, v in value.items() if k not in body})
        elif value is not None:
            if field.metadata.get(FORMAT) == "epoch_ms":
                body[wire_name(field)] = int(value.timestamp() * 1000)
            else:
                body[wire_name(field)] = _plain(value)
    return body


@functools.cache
def _fields(cls: Any) -> tuple[attrs.Attribute[Any], ...]:
    # The field of other keys goes last: named fields win over a stray key of the same name.
    fields = attrs.fields(cls)
    return tuple(sorted(fields, key=lambda f: bool(f.metadata.get(REST))))
