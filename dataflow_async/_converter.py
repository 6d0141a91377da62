"""The cattrs converters that turn API JSON into the frozen models.

Both are built once. :func:`make_converter` gives the reference converter, whose
``Job`` hook cattrs generates from per-type hooks. The fast converter used on every
page replaces that one hook by a tuned equivalent (checks inlined, enum lookups by
dict, one call per job); the tests hold the two to the same results. When a body
does not fit, it is structured again by the reference converter with detailed
validation, only to say precisely where it went wrong.
"""

from __future__ import annotations

import contextlib
import functools
import gc
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from enum import StrEnum
from typing import Any, TypeVar

import cattrs
from cattrs.gen import make_dict_structure_fn, override

from ._models import ExecutionStatus, Job, JobStatus, JobType

__all__ = ["make_converter", "paused_gc", "structure_jobs"]

E = TypeVar("E", bound=StrEnum)
# The API documents its dates as ISO 8601 in UTC+9; a date sent without an offset is
# read in that zone rather than left naive.
KST = timezone(timedelta(hours=9), "KST")


def _enum_or_str(enum: type[E]) -> Callable[[Any, Any], E | str]:
    members: dict[str, E] = {m.value: m for m in enum}

    def structure(value: Any, _: Any) -> E | str:
        if type(value) is not str:
            raise TypeError(f"expected a string for {enum.__name__}, got {type(value).__name__}")
        return members.get(value, value)

    return structure


def _optional(hook: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    def structure(value: Any, type_: Any) -> Any:
        return None if value is None else hook(value, type_)

    return structure


def _datetime(value: Any, _: Any) -> datetime:
    if type(value) is not str:
        raise TypeError(f"expected an ISO 8601 string, got {type(value).__name__}")
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=KST)


def _strict(kind: type) -> Callable[[Any, Any], Any]:
    def structure(value: Any, _: Any) -> Any:
        if type(value) is not kind:
            raise TypeError(f"expected {kind.__name__}, got {type(value).__name__}")
        return value

    return structure


def make_converter(*, detailed_validation: bool = False) -> cattrs.Converter:
    """A converter that structures camelCase job JSON into :class:`Job`.

    Strings, booleans and integers must already have their JSON type (no silent
    coercion of ``"false"`` to ``True``); enum fields accept unknown strings; unknown
    JSON fields are ignored.
    """
    converter = cattrs.Converter(detailed_validation=detailed_validation)
    converter.register_structure_hook(str, _strict(str))
    converter.register_structure_hook(bool, _strict(bool))
    converter.register_structure_hook(int, _strict(int))
    converter.register_structure_hook(datetime, _datetime)
    converter.register_structure_hook(datetime | None, _optional(_datetime))
    converter.register_structure_hook(int | None, _optional(_strict(int)))
    converter.register_structure_hook(JobStatus | str, _enum_or_str(JobStatus))
    converter.register_structure_hook(JobType | str, _enum_or_str(JobType))
    converter.register_structure_hook(
        ExecutionStatus | str | None, _optional(_enum_or_str(ExecutionStatus))
    )
    renames: dict[str, Any] = {
        field.name: override(rename=_camel(field.name)) for field in Job.__attrs_attrs__
    }
    converter.register_structure_hook(
        Job,
        make_dict_structure_fn(
            Job, converter, _cattrs_detailed_validation=detailed_validation, **renames
        ),
    )
    return converter


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def _fast_job_hook() -> Callable[..., Job]:
    """The ``Job`` hook of the fast converter: same results as the generated one.

    Its names are bound as defaults (local lookups on the hot path). Dates are not
    type-checked here: ``datetime.fromisoformat`` rejects anything but a string.
    """
    types: dict[str, JobType] = {m.value: m for m in JobType}
    statuses: dict[str, JobStatus] = {m.value: m for m in JobStatus}
    executions: dict[str, ExecutionStatus] = {m.value: m for m in ExecutionStatus}

    def structure_job(
        o: Any,
        _: Any = None,
        *,
        str: type = str,
        bool: type = bool,
        int: type = int,
        type: Callable[[object], type] = type,
        parse: Callable[[str], datetime] = datetime.fromisoformat,
        make: type[Job] = Job,
        kst: timezone = KST,
    ) -> Job:
        job_id = o["jobId"]
        name = o["name"]
        type_ = o["type"]
        status = o["status"]
        resource_id = o["resourceId"]
        disabled = o["disabled"]
        if (
            type(job_id) is not str
            or type(name) is not str
            or type(type_) is not str
            or type(status) is not str
            or type(resource_id) is not str
            or type(disabled) is not bool
        ):
            raise TypeError("a required field has the wrong JSON type")
        created = parse(o["createdDate"])
        if created.tzinfo is None:
            created = created.replace(tzinfo=kst)
        updated = parse(o["updatedDate"])
        if updated.tzinfo is None:
            updated = updated.replace(tzinfo=kst)
        last_status = o.get("lastExecutionStatus")
        if last_status is not None:
            if type(last_status) is not str:
                raise TypeError("lastExecutionStatus is not a string")
            last_status = executions.get(last_status, last_status)
        last_date = o.get("lastExecutionDate")
        if last_date is not None:
            last_date = parse(last_date)
            if last_date.tzinfo is None:
                last_date = last_date.replace(tzinfo=kst)
        max_runs = o.get("maxConcurrentRuns")
        if max_runs is not None and type(max_runs) is not int:
            raise TypeError("maxConcurrentRuns is not an integer")
        return make(
            job_id,
            name,
            types.get(type_, type_),
            statuses.get(status, status),
            created,
            updated,
            resource_id,
            disabled,
            last_status,
            last_date,
            max_runs,
        )

    return structure_job


_structure_job = _fast_job_hook()
_FAST = make_converter()
_FAST.register_structure_hook(Job, _structure_job)


@functools.cache
def _detailed() -> cattrs.Converter:
    return make_converter(detailed_validation=True)


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector (when it is on) for a page's decoding and
    structuring.

    Every object made there stays alive until the page is consumed, so a collection
    in between could free nothing, and the collections that a thousand new objects a
    page trigger cost about a sixth of a walk. The pause is synchronous (no ``await``
    inside), a few milliseconds.
    """
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def structure_jobs(items: list[Any]) -> tuple[Job, ...]:
    """Structure a list of job dicts; raise ``ValueError`` saying where one does not fit."""
    try:
        return tuple(map(_structure_job, items))
    except Exception:
        pass
    # Slow path, only for bodies that do not fit: find and name the first bad item.
    detailed = _detailed()
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise ValueError(f"$.list[{index}] is a {type(item).__name__}, not an object")
        try:
            detailed.structure(item, Job)
        except Exception as exc:
            messages = cattrs.transform_error(exc, path=f"$.list[{index}]")
            raise ValueError("; ".join(messages[:5])) from None
    raise ValueError("the job list could not be read")  # pragma: no cover - defensive
