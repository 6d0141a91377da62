"""How executions, workflows, triggers and statistics look in tables (jobs: ``_jobs``).

Machine formats (JSON, JSON Lines, CSV) carry every field of the library's model under
its name; the table shows the columns below.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .. import (
    ExecutionBucket,
    ExecutionResult,
    ExecutionTimePoint,
    JobExecution,
    Trigger,
    Workflow,
)
from ._output import View, table_view
from ._table import BLUE, CYAN, GREEN, RED, YELLOW, Column

__all__ = [
    "BUCKET_VIEW",
    "EXECUTION_STYLES",
    "EXECUTION_VIEW",
    "RESULT_VIEW",
    "TIME_POINT_VIEW",
    "TRIGGER_VIEW",
    "WORKFLOW_VIEW",
    "short_date",
    "text",
]

NAME_WIDTH = 40


def text(value: Any) -> str:
    """A cell: ``-`` for a missing value."""
    return "-" if value is None else str(value)


def short_date(value: datetime | None) -> str:
    """A date to the minute, ``-`` when missing."""
    return "-" if value is None else value.isoformat(sep=" ", timespec="minutes")


def _seconds_date(value: datetime | None) -> str:
    return "-" if value is None else value.isoformat(sep=" ", timespec="seconds")


def _minutes(value: float | None) -> str:
    return "-" if value is None else f"{value:g} min"


EXECUTION_STYLES = {
    "COMPLETED": GREEN,
    "FAILED": RED,
    "CANCELED": YELLOW,
    "RUNNING": CYAN,
    "READY": BLUE,
}

EXECUTION_VIEW: View[JobExecution] = table_view(
    "execution",
    JobExecution,
    (
        Column("EXECUTION ID", lambda e: e.execution_id),
        Column("JOB ID", lambda e: e.job_id, drop=2),
        Column("STATUS", lambda e: text(e.status), styles=EXECUTION_STYLES),
        Column("TYPE", lambda e: text(e.type), drop=1),
        Column("CREATED", lambda e: _seconds_date(e.created_date), drop=3),
        Column("ENDED", lambda e: _seconds_date(e.end_date), drop=0),
        Column("RUNNING", lambda e: _minutes(e.running_time), drop=4),
    ),
)

WORKFLOW_VIEW: View[Workflow] = table_view(
    "workflow",
    Workflow,
    (
        Column("WORKFLOW ID", lambda w: w.workflow_id),
        Column("NAME", lambda w: w.name, max_width=NAME_WIDTH, min_width=16),
        Column("NODES", lambda w: str(len(w.nodes)), drop=2),
        Column("START", lambda w: text(w.trigger_rule_type), drop=1),
        Column("LAST RUN AT", lambda w: short_date(w.last_execution_date), drop=0),
    ),
)


def _rule(trigger: Trigger) -> str:
    rule = trigger.trigger_rule
    parts = [str(rule.type)]
    if rule.interval is not None:
        parts.append(str(rule.interval))
    if rule.day_of_week:
        parts.append(",".join(str(day)[:3] for day in rule.day_of_week))
    if rule.date_of_month:
        parts.append(f"day {rule.date_of_month}")
    if rule.time:
        parts.append(f"at {rule.time}")
    if rule.execution_date:
        parts.append(f"on {rule.execution_date}")
    return " ".join(parts)


TRIGGER_VIEW: View[Trigger] = table_view(
    "trigger",
    Trigger,
    (
        Column("TRIGGER ID", lambda t: t.trigger_id),
        Column("NAME", lambda t: t.name, max_width=NAME_WIDTH, min_width=16),
        Column("TYPE", lambda t: text(t.type), drop=1),
        Column("RULE", _rule, max_width=40, min_width=12),
        Column("UPDATED", lambda t: short_date(t.updated_date), drop=0),
    ),
)

RESULT_VIEW: View[ExecutionResult] = table_view(
    "result",
    ExecutionResult,
    (
        Column("TOTAL", lambda r: f"{r.total:,}"),
        Column("COMPLETED", lambda r: f"{r.completed:,}"),
        Column("FAILED", lambda r: f"{r.failed:,}"),
    ),
)

BUCKET_VIEW: View[ExecutionBucket] = table_view(
    "period",
    ExecutionBucket,
    (
        Column("START", lambda b: _seconds_date(b.start_date)),
        Column("END", lambda b: _seconds_date(b.end_date)),
        Column("EXECUTIONS", lambda b: f"{b.total:,}"),
    ),
)

TIME_POINT_VIEW: View[ExecutionTimePoint] = table_view(
    "point",
    ExecutionTimePoint,
    (
        Column("TIME", lambda p: _seconds_date(p.time)),
        Column("EXECUTIONS", lambda p: f"{p.value:,}"),
    ),
)
