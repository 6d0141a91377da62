"""Dashboard statistics over job executions."""

from __future__ import annotations

from datetime import datetime

import attrs

from ._fields import wire

__all__ = ["ExecutionBucket", "ExecutionResult", "ExecutionTimePoint"]


@attrs.frozen
class ExecutionResult:
    """How many executions ran in a period, and how many completed or failed.

    Attributes:
        total: Executions in the period.
        completed: Those that completed.
        failed: Those that failed.
    """

    total: int = wire("totalCount")
    completed: int = wire("completedCount")
    failed: int = wire("failedCount")


@attrs.frozen
class ExecutionBucket:
    """The number of executions in one bucket (a day) of a period.

    Attributes:
        total: Executions in the bucket.
        start_date: The bucket's start.
        end_date: The bucket's end.
    """

    total: int = wire("totalCount")
    start_date: datetime = wire()
    end_date: datetime = wire()


@attrs.frozen
class ExecutionTimePoint:
    """The number of executions started at one point in time (``time`` is sent in epoch
    milliseconds and read as an aware UTC datetime).

    Attributes:
        time: The point in time, an aware UTC datetime.
        value: Executions started then.
    """

    time: datetime = wire(format="epoch_ms")
    value: int = wire()
