"""Argument checks shared by the resources: every bad argument is a ``ValueError`` (or a
``TypeError`` for a value of the wrong kind) raised before anything is sent."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any, TypeVar
from urllib.parse import quote

import attrs
import httpx

from .._pagination import check_prefetch
from .._wire import camel
from ..types import DayOfWeek, JobCondition, TriggerInterval, TriggerRule, TriggerRuleType

__all__ = [
    "check_flag",
    "check_job_condition",
    "check_name",
    "check_options",
    "check_page",
    "check_positive",
    "check_sequence",
    "check_trigger_rule",
    "check_walk",
    "enum_value",
    "optional_text",
    "path_id",
    "to_model",
]

M = TypeVar("M")

NAME_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{2,99}")
"""Job, workflow and trigger names: 3-100 of letters, digits, ``_`` and ``-``, starting
with a letter or ``_`` (older revisions of the API allowed only 20: a longer name may be
refused by such a server)."""
NUM_WORKER_RANGE = (2, 10)
TIMEOUT_RANGE = (1, 1440)


def path_id(kind: str, value: Any) -> str:
    """An id checked and percent-encoded for a path segment."""
    if not isinstance(value, str):
        raise TypeError(f"{kind} must be a str, not {type(value).__name__}")
    if not value or not value.strip():
        raise ValueError(f"{kind} must not be empty")
    if "/" in value or "?" in value:
        raise ValueError(f"{kind} must not contain '/' or '?', got {value!r}")
    if value in (".", ".."):  # httpx resolves them as dot segments: another path
        raise ValueError(f"{kind} must not be '.' or '..', got {value!r}")
    return quote(value, safe="")


def check_name(value: Any, field: str = "name") -> str:
    """A resource name as the API accepts it."""
    if not isinstance(value, str):
        raise TypeError(f"{field} must be a str, not {type(value).__name__}")
    if NAME_PATTERN.fullmatch(value) is None:
        raise ValueError(
            f"{field} must be 3-100 characters of letters, digits, '_' and '-', starting "
            f"with a letter or '_', got {value!r}"
        )
    return value


def enum_value(enum: type[StrEnum], value: Any, field: str, *, closed: bool = False) -> str:
    """The wire string of an enum argument: a known value in any case is sent upper-case;
    an unknown one is sent as given, or refused when the API's list is ``closed``."""
    if not isinstance(value, str):
        raise TypeError(f"{field} must be a {enum.__name__} or a str, not {type(value).__name__}")
    if isinstance(value, enum):
        return value.value
    upper = value.strip().upper()
    if upper in enum.__members__ and enum[upper].value == upper:
        return upper
    if closed or not value.strip():
        valid = ", ".join(m.value for m in enum)
        raise ValueError(f"{field} must be one of {valid} (any case), got {value!r}")
    return value


def check_positive(value: Any, field: str, *, minimum: int = 1) -> int:
    """An int of at least ``minimum`` (booleans are not numbers here)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{field} must be an int >= {minimum}, got {value!r}")
    return value


def check_flag(value: Any, field: str) -> bool:
    """A bool argument (``TypeError`` for anything else, 0 and 1 included)."""
    if not isinstance(value, bool):
        raise TypeError(f"{field} must be a bool, got {value!r}")
    return value


def optional_text(value: Any, field: str) -> str | None:
    """``None``, or a non-empty str (a query filter)."""
    if value is not None and (not isinstance(value, str) or not value):
        raise ValueError(f"{field} must be a non-empty str or None, got {value!r}")
    return value


def check_sequence(value: Any, field: str, of: str) -> None:
    """A sequence of items, not a str, bytes or mapping (which are sequences or iterable)."""
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Sequence):
        raise TypeError(f"{field} must be a sequence of {of}")


def check_page(page: Any, limit: Any) -> None:
    check_positive(page, "page", minimum=0)
    check_positive(limit, "limit", minimum=1)


def check_walk(
    page_size: Any, max_items: Any, prefetch: Any, start_page: Any = 0, *, dedupe: Any = True
) -> None:
    """The arguments of a walk over pages or items (``dedupe`` of a walk over items)."""
    check_positive(page_size, "page_size", minimum=1)
    check_prefetch(prefetch)
    check_positive(start_page, "start_page", minimum=0)
    if max_items is not None:
        check_positive(max_items, "max_items", minimum=0)
    if not isinstance(dedupe, bool):
        raise ValueError(f"dedupe must be a bool, got {dedupe!r}")


def check_options(timeout: Any, extra_headers: Any) -> None:
    """The per-call options: ``timeout`` in seconds (> 0) or an ``httpx.Timeout``, and
    ``extra_headers`` a mapping of str to str."""
    number = isinstance(timeout, int | float) and not isinstance(timeout, bool)
    given = timeout is not None and not isinstance(timeout, httpx.Timeout)
    if given and not (number and timeout > 0):
        raise ValueError(
            f"timeout must be a number of seconds > 0 or an httpx.Timeout, got {timeout!r}"
        )
    if extra_headers is None:
        return
    if not isinstance(extra_headers, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in extra_headers.items()
    ):
        raise TypeError("extra_headers must be a mapping of str to str")


def to_model(cls: type[M], value: Any, field: str) -> M:
    """A model given as itself or as a mapping (snake_case or camelCase keys)."""
    if isinstance(value, cls):
        return value
    if not isinstance(value, Mapping):
        raise TypeError(
            f"{field} must be a {cls.__name__} or a mapping, not {type(value).__name__}"
        )
    names = {}
    for attribute in attrs.fields(cls):  # type: ignore[arg-type]
        names[attribute.name] = attribute.name
        names[camel(attribute.name)] = attribute.name
    kwargs: dict[str, Any] = {}
    for key, item in value.items():
        if key not in names:
            raise ValueError(f"{field} has an unknown key {key!r}")
        kwargs[names[key]] = item
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise ValueError(f"{field}: {exc}") from None


def check_job_condition(value: Any, field: str = "job_condition") -> JobCondition:
    """Execution settings, checked: ``num_worker`` 2-10, ``timeout`` 1-1440 minutes,
    ``parameters`` a string map."""
    condition = to_model(JobCondition, value, field)
    _check_range(condition.num_worker, f"{field}.num_worker", NUM_WORKER_RANGE)
    _check_range(condition.timeout, f"{field}.timeout", TIMEOUT_RANGE)
    if condition.parameters is not None:
        check_parameters(condition.parameters, f"{field}.parameters")
    for name in ("worker_type", "nrn", "script_path", "log_path"):
        item = getattr(condition, name)
        if item is not None and not isinstance(item, str):
            raise TypeError(f"{field}.{name} must be a str, not {type(item).__name__}")
    return condition


def check_parameters(value: Any, field: str = "parameters") -> Mapping[str, str]:
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise TypeError(f"{field} must be a mapping of str to str")
    return value


def _check_range(value: Any, field: str, bounds: tuple[int, int]) -> None:
    if value is None:
        return
    low, high = bounds
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{field} must be an int from {low} to {high}, got {value!r}")


def check_trigger_rule(value: Any) -> TriggerRule:
    """A trigger rule carrying what its type requires (the API's table of required fields)."""
    rule = to_model(TriggerRule, value, "rule")
    kind = enum_value(TriggerRuleType, rule.type, "rule.type")
    if kind == TriggerRuleType.RECURRING:
        if rule.interval is None or not rule.time:
            raise ValueError("a RECURRING rule needs interval and time")
        interval = enum_value(TriggerInterval, rule.interval, "rule.interval")
        if interval == TriggerInterval.WEEK and not rule.day_of_week:
            raise ValueError("a WEEK rule needs day_of_week (at least one day)")
        date = rule.date_of_month
        if interval == TriggerInterval.MONTH:
            date = _check_date_of_month(date)
        rule = attrs.evolve(rule, interval=interval, date_of_month=date)
    elif kind == TriggerRuleType.ONE_TIME and not rule.execution_date:
        raise ValueError("a ONE_TIME rule needs execution_date")
    if rule.day_of_week is not None:
        days = tuple(_day(day) for day in rule.day_of_week)
        rule = attrs.evolve(rule, day_of_week=days)
    return attrs.evolve(rule, type=kind)


def _day(value: Any) -> str:
    return enum_value(DayOfWeek, value, "rule.day_of_week", closed=True)


def _check_date_of_month(value: Any) -> str:
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(text, str) or text.strip() not in {"-1", *map(str, range(1, 32))}:
        raise ValueError(f"a MONTH rule needs date_of_month '1'-'31' or '-1', got {value!r}")
    return text.strip()
