"""The cattrs converter that turns API JSON into the frozen models.

Built once. The fast converter skips cattrs' detailed validation; when a body does
not fit, the same data is structured again with detailed validation, only to say
precisely where it went wrong.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from enum import StrEnum
from typing import Any, TypeVar

import cattrs
from cattrs.gen import make_dict_structure_fn, override

from ._models import ExecutionStatus, Job, JobStatus, JobType

__all__ = ["make_converter", "structure_jobs"]

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


_FAST = make_converter()
_structure_job = _FAST.get_structure_hook(Job)


def structure_jobs(items: list[Any]) -> tuple[Job, ...]:
    """Structure a list of job dicts; raise ``ValueError`` saying where one does not fit."""
    try:
        return tuple([_structure_job(item, Job) for item in items])
    except Exception:
        pass
    # Slow path, only for bodies that do not fit: find and name the first bad item.
    detailed = make_converter(detailed_validation=True)
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise ValueError(f"$.list[{index}] is a {type(item).__name__}, not an object")
        try:
            detailed.structure(item, Job)
        except Exception as exc:
            messages = cattrs.transform_error(exc, path=f"$.list[{index}]")
            raise ValueError("; ".join(messages[:5])) from None
    raise ValueError("the job list could not be read")  # pragma: no cover - defensive
