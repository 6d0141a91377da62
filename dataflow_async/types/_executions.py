"""Job executions: one run of a job."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

from ._enums import FINISHED_STATUSES, ExecutionStatus, ExecutionType
from ._fields import wire
from ._jobs import JobCondition

__all__ = ["JobExecution"]


@attrs.frozen(slots=False)
class JobExecution:
    """One execution (run) of a job, as started by a call, a trigger or a workflow.

    ``status`` moves ``READY`` (waiting) -> ``RUNNING`` -> ``COMPLETED``, ``FAILED`` or
    ``CANCELED``; `is_finished` tells whether it has stopped. ``waiting_time`` and
    ``running_time`` are in minutes, as the service counts them. ``type`` says whether
    the run was started on its own (``JOB``) or by a workflow (``WORKFLOW``), then with
    ``trigger_id`` and ``trigger_name`` set. Fields the server does not send are ``None``.

    Attributes:
        execution_id: The execution's id (`jobExecutionId` on the wire).
        job_id: The job it runs.
        status: An `ExecutionStatus`, or the string the server sent.
        job_condition: The settings it runs with, a `JobCondition`.
        created_date: When it was created.
        start_date: When it started running.
        end_date: When it finished.
        job_name: The job's name.
        trigger_id: The trigger that started it, for a run of a workflow.
        trigger_name: That trigger's name.
        type: An `ExecutionType` (`JOB` or `WORKFLOW`), or the string the server sent.
        waiting_time: Minutes it waited.
        running_time: Minutes it ran.
        executor_num: How many workers ran it.
        parsed_parameters: The parameters it ran with, as the service read them.
    """

    execution_id: str = wire("jobExecutionId")
    job_id: str = wire()
    status: ExecutionStatus | str = wire()
    job_condition: JobCondition | None = wire(
        "jobCondition", aliases=("runCondition",), default=None
    )
    created_date: datetime | None = None
    start_date: datetime | None = None
    end_date: datetime | None = None
    job_name: str | None = None
    trigger_id: str | None = None
    trigger_name: str | None = None
    type: ExecutionType | str | None = None
    waiting_time: float | None = None
    running_time: float | None = None
    executor_num: int | None = None
    parsed_parameters: Mapping[str, Any] | None = None

    @property
    def is_finished(self) -> bool:
        """Whether the execution has stopped: ``COMPLETED``, ``FAILED`` or ``CANCELED``."""
        return self.status in FINISHED_STATUSES
