"""The API's enumerations: one list of values per enum, used by the client, the emulator
and the command line alike.

Each is a ``StrEnum`` (a member equals its string). Fields typed ``SomeEnum | str`` hold
the member for a known value and the plain string for a value this version of the
library does not know yet, so a newer revision of the API never breaks a walk.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "DayOfWeek",
    "ExecutionStatus",
    "ExecutionType",
    "JobNodeType",
    "JobStatus",
    "JobType",
    "TriggerInterval",
    "TriggerRuleType",
    "TriggerType",
    "WorkflowNodeType",
]


class JobStatus(StrEnum):
    """A job's state, with the values of every known revision of the API.

    ``RUNNABLE`` (older revisions) and ``READY`` (newer ones) both mean the job can run.
    """

    RUNNABLE = "RUNNABLE"
    RUNNING = "RUNNING"
    DELETED = "DELETED"
    UNKNOWN = "UNKNOWN"
    DRAFT = "DRAFT"
    STOPPED = "STOPPED"
    EDITING = "EDITING"
    READY = "READY"


class JobType(StrEnum):
    """A job's kind: ``DATAFLOW`` in older revisions, ``VISUAL`` or ``SCRIPT`` in newer ones."""

    DATAFLOW = "DATAFLOW"
    VISUAL = "VISUAL"
    SCRIPT = "SCRIPT"


class ExecutionStatus(StrEnum):
    """The state of a job execution: ``READY`` (waiting), ``RUNNING``, then one of the
    finished states ``COMPLETED``, ``FAILED`` or ``CANCELED``."""

    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELED = "CANCELED"
    READY = "READY"
    RUNNING = "RUNNING"


FINISHED_STATUSES = frozenset(
    {ExecutionStatus.COMPLETED, ExecutionStatus.FAILED, ExecutionStatus.CANCELED}
)
"""The execution statuses after which nothing changes."""


class ExecutionType(StrEnum):
    """How an execution was started: by itself (``JOB``) or by a workflow (``WORKFLOW``)."""

    JOB = "JOB"
    WORKFLOW = "WORKFLOW"


class JobNodeType(StrEnum):
    """The kind of a node in a visual (ETL) job: a source, a transform or a target."""

    SOURCE_CATALOG = "SOURCE_CATALOG"
    SOURCE_CDB_MYSQL = "SOURCE_CDB_MYSQL"
    SOURCE_CDB_POSTGRESQL = "SOURCE_CDB_POSTGRESQL"
    SOURCE_OBS = "SOURCE_OBS"
    TRANSFORM_DEFINE = "TRANSFORM_DEFINE"
    TRANSFORM_SELECT = "TRANSFORM_SELECT"
    TRANSFORM_JOIN = "TRANSFORM_JOIN"
    TRANSFORM_FILTER = "TRANSFORM_FILTER"
    TRANSFORM_UNION = "TRANSFORM_UNION"
    TRANSFORM_AGGREGATE = "TRANSFORM_AGGREGATE"
    TRANSFORM_RENAME = "TRANSFORM_RENAME"
    TRANSFORM_DROP_DUPLICATION = "TRANSFORM_DROP_DUPLICATION"
    TRANSFORM_FILL_MISSING_VALUES = "TRANSFORM_FILL_MISSING_VALUES"
    TRANSFORM_SQL = "TRANSFORM_SQL"
    TRANSFORM_DROP_NULL = "TRANSFORM_DROP_NULL"
    TRANSFORM_SPLIT_FIELD = "TRANSFORM_SPLIT_FIELD"
    TARGET_CDB_MYSQL = "TARGET_CDB_MYSQL"
    TARGET_CDB_POSTGRESQL = "TARGET_CDB_POSTGRESQL"
    TARGET_OBS = "TARGET_OBS"
    TARGET_CATALOG = "TARGET_CATALOG"


class WorkflowNodeType(StrEnum):
    """A workflow node: its start ``TRIGGER`` or one of its ``JOB`` s."""

    TRIGGER = "TRIGGER"
    JOB = "JOB"


class TriggerType(StrEnum):
    """A trigger's kind: ``SCHEDULED`` (a cycle or a date), ``EVENT``, or ``NONE`` (manual)."""

    SCHEDULED = "SCHEDULED"
    EVENT = "EVENT"
    NONE = "NONE"


class TriggerRuleType(StrEnum):
    """A trigger rule: ``RECURRING`` (a cycle), ``ONE_TIME`` (a date) or ``NONE``."""

    RECURRING = "RECURRING"
    ONE_TIME = "ONE_TIME"
    NONE = "NONE"


class TriggerInterval(StrEnum):
    """The cycle of a ``RECURRING`` rule."""

    HOUR = "HOUR"
    DAY = "DAY"
    WEEK = "WEEK"
    MONTH = "MONTH"


class DayOfWeek(StrEnum):
    """A day of a ``WEEK`` rule."""

    MONDAY = "MONDAY"
    TUESDAY = "TUESDAY"
    WEDNESDAY = "WEDNESDAY"
    THURSDAY = "THURSDAY"
    FRIDAY = "FRIDAY"
    SATURDAY = "SATURDAY"
    SUNDAY = "SUNDAY"
