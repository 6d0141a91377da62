"""The generated fast hooks against the cattrs-generated reference, on every model.

For each model, many bodies are generated from its field definitions (random valid
values, then each field missing, null, of every wrong JSON type, an unknown enum value,
an alias key, naive and malformed dates, extra keys, a bad nested value). The fast
converter, the reference one and the reference with detailed validation must accept
and reject the same bodies and build equal objects, down to the type of every value.
"""

from __future__ import annotations

import enum
import linecache
import random
import re
import typing
from collections.abc import Iterator, Mapping
from datetime import datetime
from types import NoneType, UnionType
from typing import Any

import attrs
import pytest

from dataflow_async import types as models
from dataflow_async._codegen import make_fast_many
from dataflow_async._converter import _detailed, make_converter, make_fast_converter
from dataflow_async._wire import explain, wire_name
from dataflow_async.types._fields import wire


@attrs.frozen
class Everything:
    """What the generator supports and no model uses yet (slotted: built by __init__)."""

    when: datetime = wire(format="epoch_ms")
    kind: models.JobStatus | str = wire("kindOfThing", aliases=("oldKind", "olderKind"))
    tags: tuple[models.JobStatus | str, ...] = ()
    ident: str = attrs.field(default=attrs.Factory(lambda self: f"id-{self.kind}", takes_self=True))
    extra: Mapping[str, Any] = wire(rest=True, factory=dict)
    inner: models.JobCondition | None = None
    count: int = attrs.field(default=0, kw_only=True, validator=attrs.validators.ge(0))


@attrs.frozen(slots=False)
class EverythingDict:
    """The same as a dict class (built without its __init__), with a plain factory."""

    when: datetime = wire(format="epoch_ms")
    kind: models.JobStatus | str = wire("kindOfThing", aliases=("oldKind", "olderKind"))
    tags: tuple[models.JobStatus | str, ...] = attrs.field(factory=tuple)
    ident: str = attrs.field(default=attrs.Factory(lambda self: f"id-{self.kind}", takes_self=True))
    extra: Mapping[str, Any] = wire(rest=True, factory=dict)
    inner: models.JobCondition | None = None


@attrs.frozen(slots=False)
class Checked:
    """A dict class whose __init__ does more than store (a validator): it is called."""

    count: int = attrs.field(validator=attrs.validators.ge(0))
    name: str = "x"


MODELS = [
    cls
    for name in models.__all__
    if attrs.has(cls := getattr(models, name)) and cls not in (models.Page, models.JobPage)
]
MODELS += [Everything, EverythingDict, Checked]
WRONG: list[Any] = [None, 0, 7, 1.5, "", "x", True, False, [], [1], {}, {"a": 1}]
DATES = [
    "2025-03-19T15:03:42+09:00",
    "2025-03-20T05:00:00Z",
    "2025-03-20T05:00:00",
    "2023-10-20T13:45:15.000",
    "2025-03-20",
]
BAD_DATES = ["yesterday", "2025-13-01T00:00:00", "", "2025-03-20T05:00:00+25:00"]
FAST = make_fast_converter()
REFERENCE = make_converter()


def _args(type_: Any) -> tuple[Any, ...]:
    if isinstance(type_, UnionType) or typing.get_origin(type_) is typing.Union:
        return typing.get_args(type_)
    return ()


def sample(type_: Any, rng: random.Random, fmt: Any = None, depth: int = 0) -> Any:
    """A valid JSON value for ``type_``."""
    args = _args(type_)
    if NoneType in args:
        if rng.random() < 0.3:
            return None
        rest = tuple(a for a in args if a is not NoneType)
        return sample(rest[0] if len(rest) == 1 else typing.Union[rest], rng, fmt, depth)  # noqa: UP007
    enums = [a for a in args if isinstance(a, type) and issubclass(a, enum.Enum)]
    if enums:
        return rng.choice([*(m.value for m in enums[0]), "A_NEWER_VALUE"])
    if set(args) == {int, str}:
        return rng.choice([1, 0, "n1", ""])
    if type_ is datetime:
        return rng.choice([0, 1742400000000, 2**40]) if fmt == "epoch_ms" else rng.choice(DATES)
    simple = {str: ["", "x", "job-1", "\u00fc"], bool: [True, False], int: [0, -1, 7, 2**40]}
    if type_ in simple:
        return rng.choice(simple[type_])
    if type_ is float:
        return rng.choice([0, 1.5, 3, -2.25])
    if attrs.has(type_):
        return body(type_, rng, depth + 1)
    if typing.get_origin(type_) is tuple:
        return [
            sample(typing.get_args(type_)[0], rng, None, depth) for _ in range(rng.randint(0, 2))
        ]
    if typing.get_origin(type_) in (Mapping, dict):
        return rng.choice([{}, {"k": "v"}, {"n": 1, "nested": {"a": [1]}}])
    raise AssertionError(f"no sample for {type_!r}")  # a new type: teach the test


def body(cls: type[Any], rng: random.Random, depth: int = 0) -> dict[str, Any]:
    """A valid JSON object for the model ``cls``: required keys always, others often."""
    made: dict[str, Any] = {}
    for field in attrs.fields(attrs.resolve_types(cls)):
        if field.metadata.get("rest"):
            if rng.random() < 0.5:
                made["someExtraKey"] = rng.choice([1, "x", None, {"a": 1}])
            continue
        if field.default is attrs.NOTHING or rng.random() < 0.7:
            made[wire_name(field)] = sample(field.type, rng, field.metadata.get("format"), depth)
    return made


def variants(cls: type[Any], base: dict[str, Any], rng: random.Random) -> Iterator[Any]:
    """``base`` and its mutations: every field missing, null, wrong, and more."""
    yield base
    yield {**base, "unknownKey": 1, "list": [], "": None}
    yield {**base, "oldKind": "RUNNING", "olderKind": 3}  # an alias key of another model
    yield from (None, [], "x", 3, [base])
    for field in attrs.fields(cls):
        key = wire_name(field)
        without = {k: v for k, v in base.items() if k != key}
        yield without
        for wrong in WRONG:
            yield {**base, key: wrong}
        for alias in field.metadata.get("aliases", ()):
            yield {**without, alias: base.get(key)}
            yield {**without, alias: rng.choice(WRONG)}
            yield {**base, alias: rng.choice(WRONG)}  # the primary key wins
            yield {**without, alias: rng.choice(WRONG), field.metadata["aliases"][-1]: 1}
        type_ = field.type
        if datetime in (type_, *_args(type_)):
            for date in (*DATES, *BAD_DATES, -1, 10**20, True):
                yield {**base, key: date}
        if any(isinstance(a, type) and issubclass(a, enum.Enum) for a in _args(type_)):
            yield {**base, key: "SOMETHING_NEW"}
            yield {**base, key: "running"}
        nested = [a for a in (type_, *_args(type_), *_inner(type_)) if attrs.has(a)]
        for model in nested:
            inner = body(model, rng, 1)
            for bad in list(variants(model, inner, rng))[:: max(1, rng.randint(3, 9))]:
                is_tuple = typing.get_origin(type_) is tuple or any(
                    typing.get_origin(a) is tuple for a in _args(type_)
                )
                yield {**base, key: [inner, bad] if is_tuple else bad}


def _inner(type_: Any) -> tuple[Any, ...]:
    found: list[Any] = []
    for t in (type_, *_args(type_)):
        if typing.get_origin(t) is tuple:
            found.append(typing.get_args(t)[0])
    return tuple(found)


def deep(value: Any) -> Any:
    """A value with the type of every part spelled out (``JobStatus.RUNNING == "RUNNING"``
    and ``1 == 1.0``, but not here)."""
    if attrs.has(type(value)):
        fields = attrs.fields(type(value))
        return (type(value), tuple((f.name, deep(getattr(value, f.name))) for f in fields))
    if isinstance(value, tuple | list):
        return (type(value), tuple(deep(v) for v in value))
    if isinstance(value, dict):
        return (dict, tuple(sorted((k, deep(v)) for k, v in value.items())))
    if isinstance(value, datetime):
        return (datetime, value.isoformat(), value.tzname(), value.fold)
    return (type(value), value)


def outcome(converter: Any, cls: type[Any], data: Any) -> Any:
    try:
        return deep(converter.structure(data, cls))
    except Exception:
        return "rejected"


@pytest.mark.parametrize("cls", MODELS, ids=lambda c: c.__name__)
def test_fast_and_reference_agree_on_generated_bodies(cls: type[Any]) -> None:
    rng = random.Random(cls.__name__)
    tried = accepted = 0
    for _ in range(25):
        for data in variants(cls, body(cls, rng), rng):
            fast = outcome(FAST, cls, data)
            assert fast == outcome(REFERENCE, cls, data), data
            assert fast == outcome(_detailed(), cls, data), data
            tried += 1
            accepted += fast != "rejected"
    assert tried > 500 and 0.1 < accepted / tried < 0.95  # both kinds were exercised


@pytest.mark.parametrize("cls", MODELS, ids=lambda c: c.__name__)
def test_rejections_name_wire_keys(cls: type[Any]) -> None:
    """Every path in a detailed error is made of keys the body sent (or the model's wire
    names for missing ones), never of snake_case field names."""
    rng = random.Random(cls.__name__ + "paths")
    wire = {wire_name(f) for m in MODELS for f in attrs.fields(m)}
    wire |= {a for m in MODELS for f in attrs.fields(m) for a in f.metadata.get("aliases", ())}
    snake = {f.name for m in MODELS for f in attrs.fields(m) if "_" in f.name}
    for data in variants(cls, body(cls, rng), rng):
        try:
            _detailed().structure(data, cls)
        except Exception as exc:
            messages = explain(exc, "$")
            assert messages
            for message in messages:
                keys = re.findall(r"\.([A-Za-z_]+)", message.rsplit(" @ ", 1)[1])
                assert set(keys) <= wire and not set(keys) & snake, message


@pytest.mark.parametrize("cls", MODELS, ids=lambda c: c.__name__)
def test_the_looped_function_agrees_with_the_hook_item_by_item(cls: type[Any]) -> None:
    many = make_fast_many(cls, FAST.get_structure_hook)
    rng = random.Random(cls.__name__ + "many")
    fits, misfits = [], []
    for _ in range(10):
        for data in variants(cls, body(cls, rng), rng):
            (misfits if outcome(FAST, cls, data) == "rejected" else fits).append(data)
    assert len(fits) > 20 and misfits
    made = many(fits)
    assert type(made) is list
    assert [deep(x) for x in made] == [outcome(FAST, cls, data) for data in fits]
    assert many([]) == []
    for misfit in misfits[:: max(1, len(misfits) // 40)]:
        with pytest.raises(Exception):  # noqa: B017, PT011 - any exception: it does not fit
            many([*fits[:3], misfit, *fits[3:6]])


def test_every_model_has_a_generated_hook() -> None:
    for cls in MODELS:
        hook = FAST.get_structure_hook(cls)
        assert hook.__code__.co_filename.startswith("<dataflow_async generated")
        assert hook is not REFERENCE.get_structure_hook(cls)


@pytest.mark.parametrize("cls", [models.Job, models.JobExecution, models.JobCondition])
def test_the_models_of_every_walk_are_filled_without_their_init(cls: type[Any]) -> None:
    # Frozen dict classes whose __init__ only stores: the generated hook writes their
    # __dict__ directly (a slotted JobCondition cost 190 ns more per execution).
    from dataflow_async._codegen import _plain_init

    assert _plain_init(cls)
    source = "".join(linecache.getlines(FAST.get_structure_hook(cls).__code__.co_filename))
    assert "object.__new__" in source and "__dict__" in source
