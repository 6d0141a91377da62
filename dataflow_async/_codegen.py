"""Fast structuring hooks, generated as Python source from each model's attrs fields.

For every model, `make_fast_hook` writes one function that reads each JSON key once,
checks its type inline, converts it (enum members by a dict lookup that never raises,
dates by ``datetime.fromisoformat``, nested models by their own generated hook) and
calls the class with positional arguments; attrs and cattrs build their ``__init__`` and
hooks the same way. The rules are those of the reference converter in ``_wire``: the
wire name of a field (``wire`` metadata or camelCase), accepted ``aliases``, a ``rest``
field collecting the other keys, ``format="epoch_ms"``, open enums (``Enum | str``),
strict JSON types, defaults and factories. A model gains a field by declaring it; nothing
here changes.

A generated hook only says *that* a value does not fit (any exception); the caller then
asks the reference converter *where*, with detailed validation.
"""

from __future__ import annotations

import itertools
import linecache
import typing
from collections.abc import Callable, Mapping
from datetime import datetime
from enum import StrEnum
from types import NoneType
from typing import Any

import attrs

from ._wire import KST, _is_tuple_of, _union_args, parse_epoch_ms, wire_name
from .types._fields import ALIASES, FORMAT, REST

__all__ = ["make_fast_hook", "make_fast_many"]

GetHook = Callable[[Any], Callable[..., Any]]
_MISSING = object()
_SCALARS = {str: "str", bool: "bool", int: "int"}
_counter = itertools.count()


class _Source:
    """The lines of one generated function and the names it needs."""

    def __init__(self, get_hook: GetHook) -> None:
        self.get_hook = get_hook
        self.lines: list[str] = []
        self.names: dict[str, Any] = {
            "_type": type,
            "str": str,
            "bool": bool,
            "int": int,
            "float": float,
            "dict": dict,
            "list": list,
            "tuple": tuple,
            "object": object,
            "_parse": datetime.fromisoformat,
            "_combine": datetime.combine,
            "_kst": KST,
            "_epoch_ms": parse_epoch_ms,
            "_MISSING": _MISSING,
            "_NOTHING": attrs.NOTHING,
        }

    def bind(self, value: Any) -> str:
        name = f"_n{len(self.names)}"
        self.names[name] = value
        return name

    def emit(self, indent: int, *lines: str) -> None:
        self.lines.extend("    " * indent + line for line in lines)

    def convert(self, indent: int, var: str, type_: Any, fmt: Any = None) -> None:
        """Lines that check ``var`` against ``type_`` and replace it by its value."""
        args = _union_args(type_)
        if args and NoneType in args:
            rest = tuple(a for a in args if a is not NoneType)
            inner = rest[0] if len(rest) == 1 else typing.Union[rest]  # noqa: UP007
            self.emit(indent, f"if {var} is not None:")
            self.convert(indent + 1, var, inner, fmt)
            return
        bad = f"raise TypeError({var!r})"
        enums = [a for a in args if isinstance(a, type) and issubclass(a, StrEnum)]
        if type_ in _SCALARS:
            self.emit(indent, f"if _type({var}) is not {_SCALARS[type_]}: {bad}")
        elif type_ is float:
            self.emit(indent, f"if _type({var}) is not float:")
            self.emit(indent + 1, f"if _type({var}) is not int: {bad}", f"{var} = float({var})")
        elif type_ is datetime and fmt == "epoch_ms":
            self.emit(indent, f"{var} = _epoch_ms({var})")
        elif type_ is datetime:
            self.emit(
                indent,
                f"{var} = _parse({var})",
                # combine(), not replace(tzinfo=...): 0.12 us against 0.7 on Python 3.11
                # and 3.12, a naive date at a time (0.1 and 0.15 on 3.13).
                f"if {var}.tzinfo is None: {var} = _combine({var}.date(), {var}.time(), _kst)",
            )
        elif len(enums) == 1 and set(args) == {enums[0], str}:
            members = self.bind({m.value: m for m in enums[0]})
            self.emit(
                indent, f"if _type({var}) is not str: {bad}", f"{var} = {members}.get({var}, {var})"
            )
        elif set(args) == {int, str}:
            self.emit(indent, f"if _type({var}) is not int and _type({var}) is not str: {bad}")
        elif attrs.has(type_):
            self.emit(indent, f"{var} = {self.bind(self.get_hook(type_))}({var})")
        elif _is_tuple_of(type_):
            item = self.bind(_value_function(typing.get_args(type_)[0], self.get_hook))
            self.emit(
                indent,
                f"if _type({var}) is not list: {bad}",
                f"{var} = tuple([{item}(x) for x in {var}])",
            )
        elif typing.get_origin(type_) in (Mapping, dict):
            self.emit(indent, f"if _type({var}) is not dict: {bad}", f"{var} = dict({var})")
        else:  # anything else: the converter's own hook
            hook, target = self.bind(self.get_hook(type_)), self.bind(type_)
            self.emit(indent, f"{var} = {hook}({var}, {target})")


def _compile(
    source: _Source, name: str, params: str, lines: list[str] | None = None
) -> Callable[..., Any]:
    # The names the body uses are closure variables of a maker function: a cell lookup
    # per use. (Keyword defaults cost a dict lookup per name on every call: 200 ns a
    # job with 23 names; globals cost a little more per use than cells.)
    names = ", ".join(source.names)
    lines = source.lines if lines is None else lines
    body = "".join(f"    {line}\n" for line in [f"def {name}({params}):", *lines])
    text = f"def make({names}):\n{body}    return {name}\n"
    filename = f"<dataflow_async generated {name} {next(_counter)}>"
    # Registered like attrs does, so a traceback through the hook shows its source.
    linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
    namespace: dict[str, Any] = {}
    exec(compile(text, filename, "exec"), namespace)
    function: Callable[..., Any] = namespace["make"](**source.names)
    return function


def _value_function(type_: Any, get_hook: GetHook) -> Callable[[Any], Any]:
    """A one-argument function converting a value of ``type_`` (items of a tuple)."""
    if attrs.has(type_):
        hook: Callable[[Any], Any] = get_hook(type_)
        return hook
    source = _Source(get_hook)
    source.convert(1, "v", type_)
    source.emit(1, "return v")
    return _compile(source, "convert", "v")


def make_fast_hook(cls: type[Any], get_hook: GetHook) -> Callable[..., Any]:
    """The generated structure hook of the attrs class ``cls``.

    ``get_hook(type)`` gives the hook of a nested model (or of a type this generator does
    not inline). The hook takes ``(data)`` or ``(data, cls)``, as cattrs calls it.
    """
    return _compile(_model_source(cls, get_hook), "structure", "o, _=None")


def make_fast_many(cls: type[Any], get_hook: GetHook) -> Callable[[Any], list[Any]]:
    """A generated function structuring each item of a list of JSON values into a
    ``cls``, the loop inside: no call per item (1,500 against 1,560 ns a job in groups of
    128, Python 3.11). Any exception: an item does not fit (which one, the hook says)."""
    source = _model_source(cls, get_hook)
    *body, last = source.lines
    if not last.startswith("    return "):  # pragma: no cover - every model ends so
        raise AssertionError(last)
    lines = ["    made = []", "    keep = made.append", "    for o in items:"]
    lines += [f"    {line}" for line in body]
    lines += [f"        keep({last.removeprefix('    return ')})", "    return made"]
    return _compile(source, "structure_many", "items", lines)


def _model_source(cls: type[Any], get_hook: GetHook) -> _Source:
    """The body of ``cls``'s structure hook: it reads ``o`` and ends with one ``return``."""
    attrs.resolve_types(cls)
    source = _Source(get_hook)
    source.emit(1, "if _type(o) is not dict: raise TypeError('o')")
    fields = [f for f in attrs.fields(cls) if f.init]
    known = frozenset(
        {wire_name(f) for f in attrs.fields(cls)}
        | {a for f in attrs.fields(cls) for a in f.metadata.get(ALIASES, ())}
    )
    for index, field in enumerate(fields):
        _field_lines(source, field, f"v{index}", known)
    make = source.bind(cls)
    if _plain_init(cls):
        _fill_dict(source, make, fields)
    else:
        positional = [f"v{i}" for i, f in enumerate(fields) if not f.kw_only]
        keywords = [f"{f.alias}=v{i}" for i, f in enumerate(fields) if f.kw_only]
        source.emit(1, f"return {make}({', '.join(positional + keywords)})")
    return source


def _plain_init(cls: type[Any]) -> bool:
    """Whether the attrs ``__init__`` of ``cls`` only stores its arguments in ``__dict__``
    (no slots, validators, converters, hooks or cached hash: nothing else in its code)."""
    fields = attrs.fields(cls)
    code = getattr(cls.__init__, "__code__", None)
    if code is None or "__slots__" in cls.__dict__ or not all(f.init for f in fields):
        return False
    allowed = {"_cached_setattr_get", "__dict__", "NOTHING"}
    allowed |= {f"__attr_factory_{f.name}" for f in fields}
    constants = {None} | {f.name for f in fields}
    return set(code.co_names) <= allowed and set(code.co_consts) <= constants


def _fill_dict(source: _Source, make: str, fields: list[attrs.Attribute[Any]]) -> None:
    """Build the instance without its ``__init__``: what that ``__init__`` does, minus
    a call with every field as an argument (about 130 ns a job, a quarter of a job's
    structuring, measured on Python 3.11)."""
    source.emit(1, f"inst = object.__new__({make})", "d = inst.__dict__")
    for index, field in enumerate(fields):
        var = f"v{index}"
        default: Any = field.default
        if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
            factory = source.bind(default.factory)
            made = f"{factory}(inst)" if default.takes_self else f"{factory}()"
            source.emit(1, f"d[{field.name!r}] = {made} if {var} is _NOTHING else {var}")
        else:
            source.emit(1, f"d[{field.name!r}] = {var}")
    source.emit(1, "return inst")


def _field_lines(source: _Source, field: attrs.Attribute[Any], var: str, known: Any) -> None:
    if field.metadata.get(REST):
        names = source.bind(known)
        source.emit(1, f"{var} = {{k: x for k, x in o.items() if k not in {names}}}")
        return
    keys = (wire_name(field), *field.metadata.get(ALIASES, ()))
    fmt = field.metadata.get(FORMAT)
    default = field.default
    if default is attrs.NOTHING and len(keys) == 1:
        source.emit(1, f"{var} = o[{keys[0]!r}]")
        source.convert(1, var, field.type, fmt)
        return
    if default is None and len(keys) == 1 and NoneType in _union_args(field.type):
        source.emit(1, f"{var} = o.get({keys[0]!r})")
        source.convert(1, var, field.type, fmt)
        return
    source.emit(1, f"{var} = o.get({keys[0]!r}, _MISSING)")
    for alias in keys[1:]:
        source.emit(1, f"if {var} is _MISSING: {var} = o.get({alias!r}, _MISSING)")
    source.emit(1, f"if {var} is _MISSING:")
    if default is attrs.NOTHING:
        source.emit(2, f"raise KeyError({keys[0]!r})")
    elif isinstance(default, attrs.Factory):  # type: ignore[arg-type]
        source.emit(2, f"{var} = _NOTHING")  # attrs' __init__ runs the factory
    else:
        source.emit(2, f"{var} = {source.bind(default)}")
    source.emit(1, "else:")
    before = len(source.lines)
    source.convert(2, var, field.type, fmt)
    if len(source.lines) == before:  # pragma: no cover - every type emits a check
        source.emit(2, "pass")
