"""Dashboard statistics, computed from the stored executions at the time of the request.

An execution counts in a range when its ``createdDate`` falls in it (bounds inclusive).
Dates in the query are ``YYYY-MM-DDTHH:mm:ss`` (KST when no offset is given).
"""

from __future__ import annotations

import datetime as dt

from .._wire import KST, Response, bad_parameter, ok, parse_date
from ._common import Call

__all__ = ["execution_interval", "execution_result", "execution_times"]

_DAY = 86_400
# Two-hour points, as in the newer documentation's example.
_TIME_STEP = 7_200
# Longest range served, so that a typo in a year cannot ask for a million buckets.
_MAX_DAYS = 366


def _range(call: Call) -> tuple[float, float]:
    bounds = []
    for key in ("startDate", "endDate"):
        text = call.query.get(key)
        if text is None:
            raise bad_parameter(f"{key} is required (YYYY-MM-DDTHH:mm:ss)")
        when = parse_date(text)
        if when is None:
            raise bad_parameter(f"{key} must be a date-time like 2026-10-01T00:00:00, not {text!r}")
        bounds.append(when)
    start, end = bounds
    if end < start:
        raise bad_parameter("endDate must not be before startDate")
    if end - start > _MAX_DAYS * _DAY:
        raise bad_parameter(f"the range from startDate to endDate is over {_MAX_DAYS} days")
    return start, end


def _created_in(call: Call, start: float, end: float) -> list[float]:
    runs = call.store.runs.every()
    return [run.created for run in runs if start <= run.created <= end]


def execution_result(call: Call) -> Response:
    """GET /api/v1/stats/executions: total, completed and failed executions in the range."""
    start, end = _range(call)
    statuses = [
        run.status(call.now) for run in call.store.runs.every() if start <= run.created <= end
    ]
    return ok(
        {
            "totalCount": len(statuses),
            "completedCount": statuses.count("COMPLETED"),
            "failedCount": statuses.count("FAILED"),
        }
    )


def execution_interval(call: Call) -> Response:
    """GET /api/v1/stats/executions-interval: one bucket per calendar day (KST), zero-filled."""
    start, end = _range(call)
    first = dt.datetime.fromtimestamp(start, KST).date()
    last = dt.datetime.fromtimestamp(end, KST).date()
    created = _created_in(call, start, end)
    buckets = []
    day = first
    while day <= last:
        midnight = dt.datetime.combine(day, dt.time(), KST)
        low = midnight.timestamp()
        count = sum(1 for when in created if low <= when < low + _DAY)
        buckets.append(
            {
                "totalCount": count,
                "startDate": (midnight + dt.timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%S"),
                "endDate": (midnight + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S"),
            }
        )
        day += dt.timedelta(days=1)
    return ok({"result": buckets})


def execution_times(call: Call) -> Response:
    """GET /api/v1/stats/execution-times (and executions-times): runs per two hours.

    ``time`` is the start of each two-hour bucket (KST-aligned) in epoch milliseconds.
    """
    start, end = _range(call)
    created = _created_in(call, start, end)
    midnight = dt.datetime.fromtimestamp(start, KST).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    low = midnight.timestamp() + (start - midnight.timestamp()) // _TIME_STEP * _TIME_STEP
    points = []
    while low <= end:
        count = sum(1 for when in created if low <= when < low + _TIME_STEP)
        points.append({"time": int(low * 1000), "value": count})
        low += _TIME_STEP
    return ok({"result": points})
