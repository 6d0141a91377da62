"""The models of the Data Flow API: frozen attrs classes, snake_case fields.

Every model is importable from ``dataflow_async`` as well.
"""

from ._enums import (
    FINISHED_STATUSES,
    DayOfWeek,
    ExecutionStatus,
    ExecutionType,
    JobNodeType,
    JobStatus,
    JobType,
    TriggerInterval,
    TriggerRuleType,
    TriggerType,
    WorkflowNodeType,
)
from ._executions import JobExecution
from ._jobs import Job, JobCondition, JobNode, JobPage
from ._page import Page
from ._stats import ExecutionBucket, ExecutionResult, ExecutionTimePoint
from ._triggers import Trigger, TriggerRule
from ._workflows import Workflow, WorkflowNode, WorkflowRun, WorkflowRunAccepted

__all__ = [
    "FINISHED_STATUSES",
    "DayOfWeek",
    "ExecutionBucket",
    "ExecutionResult",
    "ExecutionStatus",
    "ExecutionTimePoint",
    "ExecutionType",
    "Job",
    "JobCondition",
    "JobExecution",
    "JobNode",
    "JobNodeType",
    "JobPage",
    "JobStatus",
    "JobType",
    "Page",
    "Trigger",
    "TriggerInterval",
    "TriggerRule",
    "TriggerRuleType",
    "TriggerType",
    "Workflow",
    "WorkflowNode",
    "WorkflowNodeType",
    "WorkflowRun",
    "WorkflowRunAccepted",
]
