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
from datetime import datetime, timezone
from typing import Any, TypeVar

import cattrs

from ._errors import UnexpectedResponseError
from ._wire import KST, make_reference_converter, unstructure
from .types import ExecutionStatus, Job, JobStatus, JobType, Page

__all__ = [
    "make_converter",
    "paused_gc",
    "structure",
    "structure_jobs",
    "structure_page",
    "unstructure",
]

T = TypeVar("T")


def make_converter(*, detailed_validation: bool = False) -> cattrs.Converter:
    """The reference converter for every model (see `make_reference_converter`)."""
    return make_reference_converter(detailed_validation=detailed_validation)


_REFERENCE_JOB: Callable[[Any, Any], Job] = make_reference_converter().get_structure_hook(Job)


def _fast_job_hook() -> Callable[..., Job]:
    """The ``Job`` hook of the fast converter: same results as the generated one.

    Its names are bound as defaults (local lookups on the hot path). Dates are not
    type-checked here: ``datetime.fromisoformat`` rejects anything but a string. A job
    with detail fields (``getJob``) goes to the reference hook.
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
        detail: Callable[[Any, Any], Job] = _REFERENCE_JOB,
    ) -> Job:
        if "nodes" in o or "jobCondition" in o or "runCondition" in o or "description" in o:
            return detail(o, make)
        job_id = o["jobId"]
        name = o["name"]
        type_ = o["type"]
        status = o["status"]
        resource_id = o.get("resourceId", job_id)
        disabled = o.get("disabled", False)
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


_REFERENCE = make_reference_converter()


def structure(cls: type[T], data: Any, *, where: str) -> T:
    """Structure one JSON value into ``cls``; `UnexpectedResponseError` naming the place
    if it does not fit."""
    try:
        return (_FAST if cls is Job else _REFERENCE).structure(data, cls)
    except Exception:
        pass
    try:
        _detailed().structure(data, cls)
    except Exception as exc:
        messages = cattrs.transform_error(exc, path="$")
        raise UnexpectedResponseError(
            f"{where} sent a {cls.__name__} that does not fit: {'; '.join(messages[:5])}"
        ) from None
    raise UnexpectedResponseError(f"{where} sent a {cls.__name__} that does not fit")


def structure_page(item_cls: type[T], body: Any, *, page: int, limit: int, where: str) -> Page[T]:
    """Structure a list response ``{"list": [...], "count", "page", "limit"}``."""
    if not isinstance(body, dict) or not isinstance(body.get("list"), list):
        raise UnexpectedResponseError(
            f"{where} answered {_shape(body)}, not an object with a 'list'"
        )
    items = body["list"]
    hook = (_FAST if item_cls is Job else _REFERENCE).get_structure_hook(item_cls)
    try:
        structured = tuple([hook(item, item_cls) for item in items])
    except Exception:
        structured = _explain_items(item_cls, items, where)
    return Page(
        items=structured,
        count=_int_or(body.get("count"), len(structured)),
        page=_int_or(body.get("page"), page),
        limit=_int_or(body.get("limit"), limit),
    )


def _explain_items(item_cls: type[T], items: list[Any], where: str) -> tuple[T, ...]:
    detailed = _detailed()
    for index, item in enumerate(items):
        try:
            detailed.structure(item, item_cls)
        except Exception as exc:
            messages = cattrs.transform_error(exc, path=f"$.list[{index}]")
            raise UnexpectedResponseError(
                f"{where} sent an item that does not fit: {'; '.join(messages[:5])}"
            ) from None
    raise UnexpectedResponseError(f"{where} sent a list that could not be read")


def _shape(body: Any) -> str:
    if isinstance(body, dict):
        keys = ", ".join(repr(k) for k in sorted(map(str, body))[:8])
        return f"an object with the keys {keys}" if keys else "an empty object"
    return f"a JSON {type(body).__name__}"


def _int_or(value: Any, default: int) -> int:
    return value if type(value) is int else default
