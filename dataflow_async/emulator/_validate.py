"""Request-body validation as the API documents it: 400 ``bad-parameter`` naming the field.

Field names in messages are the wire's camelCase names, with a path for nested values
(``jobCondition.numWorker``, ``nodes[1].parentNodeIds``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from ._wire import bad_parameter, parse_date

__all__ = [
    "JOB_STATUSES",
    "NAME_RULE",
    "check_bool",
    "check_enum",
    "check_int",
    "check_name",
    "check_object",
    "check_string",
    "etl_nodes",
    "job_condition",
    "string_map",
    "trigger_rule",
]

#: Values the ``status`` query parameter of getJobs accepts (both revisions of the API).
JOB_STATUSES = (
    "RUNNABLE",
    "RUNNING",
    "DELETED",
    "UNKNOWN",
    "DRAFT",
    "STOPPED",
    "EDITING",
    "READY",
)
NAME_RULE = "3-100 characters of letters, digits, '_' and '-', starting with a letter or '_'"
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{2,99}")
_DAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
_MINUTE = re.compile(r"[0-5][0-9]")
_TIME_OF_DAY = re.compile(r"(?:[01][0-9]|2[0-3]):[0-5][0-9]")


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def check_object(value: object, field: str) -> dict[str, Any]:
    """A JSON object, or 400."""
    if not isinstance(value, dict):
        raise bad_parameter(f"{field} must be a JSON object, not {_shown(value)}")
    return value


def check_string(value: object, field: str) -> str:
    """A non-empty string, or 400."""
    if not isinstance(value, str) or not value:
        raise bad_parameter(f"{field} must be a non-empty string, not {_shown(value)}")
    return value


def check_name(value: object, field: str = "name") -> str:
    """A resource name (3-100 of ``[A-Za-z0-9_-]``, first a letter or ``_``), or 400."""
    if value is None:
        raise bad_parameter(f"{field} is required")
    if not isinstance(value, str) or not _NAME.fullmatch(value):
        raise bad_parameter(f"{field} must be {NAME_RULE}, not {_shown(value)}")
    return value


def check_enum(value: object, field: str, allowed: Iterable[str]) -> str:
    """One of ``allowed``, or 400 listing them."""
    choices = tuple(allowed)
    if value is None:
        raise bad_parameter(f"{field} is required (one of {', '.join(choices)})")
    if not isinstance(value, str) or value not in choices:
        raise bad_parameter(f"{field} must be one of {', '.join(choices)}, not {_shown(value)}")
    return value


def check_int(value: object, field: str, low: int, high: int) -> int:
    """An integer (not a bool, not a float) in ``low``..``high``, or 400."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise bad_parameter(f"{field} must be an integer from {low} to {high}, not {_shown(value)}")
    return value


def check_bool(value: object, field: str) -> bool:
    """``true`` or ``false``, or 400."""
    if not isinstance(value, bool):
        raise bad_parameter(f"{field} must be true or false, not {_shown(value)}")
    return value


def string_map(value: object, field: str) -> dict[str, str]:
    """An object of string values (execution parameters), or 400."""
    mapping = check_object(value, field)
    for key, item in mapping.items():
        if not isinstance(item, str):
            raise bad_parameter(f"{field}.{key} must be a string, not {_shown(item)}")
    return dict(mapping)


def job_condition(value: object, field: str, *, g2: bool, require_paths: bool) -> dict[str, Any]:
    """A ``jobCondition`` object, checked field by field; returns the known fields only.

    ``require_paths``: ``nrn``, ``scriptPath`` and ``logPath`` are required (the older
    revision's rule for runs and workflow nodes).
    """
    given = check_object(value, field)
    condition: dict[str, Any] = {}
    if "workerType" in given:
        condition["workerType"] = check_string(given["workerType"], f"{field}.workerType")
    if "numWorker" in given:
        condition["numWorker"] = check_int(given["numWorker"], f"{field}.numWorker", 2, 10)
    if "timeout" in given:
        low = 1 if g2 else 0
        condition["timeout"] = check_int(given["timeout"], f"{field}.timeout", low, 1440)
    for key in ("nrn", "scriptPath", "logPath"):
        if key in given:
            condition[key] = check_string(given[key], f"{field}.{key}")
        elif require_paths:
            raise bad_parameter(f"{field}.{key} is required")
    if "parameters" in given:
        condition["parameters"] = string_map(given["parameters"], f"{field}.parameters")
    return condition


def etl_nodes(value: object, field: str = "nodes") -> list[dict[str, Any]]:
    """ETL job nodes: ``id`` (integer), ``name``, ``type``, ``parentNodeIds`` of known ids."""
    if not isinstance(value, list):
        raise bad_parameter(f"{field} must be a JSON array, not {_shown(value)}")
    ids: set[int] = set()
    for i, raw in enumerate(value):
        where = f"{field}[{i}]"
        node = check_object(raw, where)
        ident = node.get("id")
        if isinstance(ident, bool) or not isinstance(ident, int):
            raise bad_parameter(f"{where}.id must be an integer, not {_shown(ident)}")
        if ident in ids:
            raise bad_parameter(f"{where}.id {ident} is used by another node")
        ids.add(ident)
        check_string(node.get("name"), f"{where}.name")
        check_string(node.get("type"), f"{where}.type")
    for i, node in enumerate(value):
        parents = node.get("parentNodeIds", [])
        where = f"{field}[{i}].parentNodeIds"
        if not isinstance(parents, list):
            raise bad_parameter(f"{where} must be a JSON array, not {_shown(parents)}")
        for parent in parents:
            if parent not in ids or parent == node["id"] or isinstance(parent, bool):
                raise bad_parameter(f"{where} names no other node of {field}: {_shown(parent)}")
    return [dict(node) for node in value]


def trigger_rule(value: object, trigger_type: str) -> dict[str, Any]:
    """A ``triggerRule``, checked against the matrix of required fields per rule type.

    Fields that do not apply to the rule are dropped (the service omits them).
    """
    rule = check_object(value, "triggerRule")
    kind = check_enum(rule.get("type"), "triggerRule.type", ("RECURRING", "ONE_TIME", "NONE"))
    expected = {"SCHEDULED": ("RECURRING", "ONE_TIME"), "NONE": ("NONE",), "EVENT": ("NONE",)}
    if kind not in expected[trigger_type]:
        raise bad_parameter(
            f"triggerRule.type {kind} does not go with type {trigger_type} "
            f"(expected {' or '.join(expected[trigger_type])})"
        )
    if kind == "NONE":
        return {"type": "NONE"}
    if kind == "ONE_TIME":
        when = rule.get("executionDate")
        if parse_date(when) is None:
            raise bad_parameter(
                "triggerRule.executionDate is required for ONE_TIME: an ISO 8601 date-time, "
                f"not {_shown(when)}"
            )
        return {"type": kind, "executionDate": when}
    return _recurring(rule)


def _recurring(rule: dict[str, Any]) -> dict[str, Any]:
    interval = check_enum(
        rule.get("interval"), "triggerRule.interval", ("HOUR", "DAY", "WEEK", "MONTH")
    )
    time = rule.get("time")
    pattern, shape = (_MINUTE, "'mm' (00-59)") if interval == "HOUR" else (_TIME_OF_DAY, "'HH:mm'")
    if not isinstance(time, str) or not pattern.fullmatch(time):
        raise bad_parameter(f"triggerRule.time must be {shape} for {interval}, not {_shown(time)}")
    checked: dict[str, Any] = {"type": "RECURRING", "interval": interval, "time": time}
    if interval == "WEEK":
        days = rule.get("dayOfWeek")
        if (
            not isinstance(days, list)
            or not days
            or any(day not in _DAYS for day in days)
            or len(set(days)) != len(days)
        ):
            raise bad_parameter(
                "triggerRule.dayOfWeek must list one or more distinct days "
                f"({', '.join(_DAYS)}), not {_shown(days)}"
            )
        checked["dayOfWeek"] = list(days)
    elif interval == "MONTH":
        date = rule.get("dateOfMonth")
        if date not in [str(d) for d in range(1, 32)] + ["-1"]:
            raise bad_parameter(
                f"triggerRule.dateOfMonth must be '1' to '31' or '-1', not {_shown(date)}"
            )
        checked["dateOfMonth"] = date
    return checked
