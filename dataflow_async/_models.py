"""Typed, immutable views of what the Data Flow API returns."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import attrs

__all__ = ["ExecutionStatus", "Job", "JobPage", "JobStatus", "JobType"]


class JobStatus(StrEnum):
    """A job's state. Holds the values of every known revision of the API.

    A value the library does not know yet reaches you as a plain ``str``.
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
    """A job's kind: ``DATAFLOW`` in the first revision, ``VISUAL``/``SCRIPT`` later."""

    DATAFLOW = "DATAFLOW"
    VISUAL = "VISUAL"
    SCRIPT = "SCRIPT"


class ExecutionStatus(StrEnum):
    """The state of a job's last execution."""

    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELED = "CANCELED"
    READY = "READY"
    RUNNING = "RUNNING"


# Not slotted: a frozen slotted class sets each field through object.__setattr__,
# a frozen dict class writes its __dict__ directly, about 40 % faster to build, and
# building jobs is most of the cost of a walk.
@attrs.frozen(slots=False)
class Job:
    """One Data Flow job.

    Enum-typed fields hold the enum member for known values and the plain string
    for values this version of the library does not know. Dates are timezone-aware
    and keep the offset the server sent. A job that never ran has ``None`` for the
    ``last_execution_*`` fields. ``max_concurrent_runs`` exists only in newer
    revisions of the API (``None`` otherwise).
    """

    job_id: str
    name: str
    type: JobType | str
    status: JobStatus | str
    created_date: datetime
    updated_date: datetime
    resource_id: str
    disabled: bool
    last_execution_status: ExecutionStatus | str | None = None
    last_execution_date: datetime | None = None
    max_concurrent_runs: int | None = None


@attrs.frozen(slots=True)
class JobPage:
    """One page of ``GET /api/v1/jobs``.

    ``count`` is what the server sent: the number of jobs in this page per the
    documentation, or the total number of matching jobs per some servers.
    """

    jobs: tuple[Job, ...]
    count: int
    page: int
    limit: int

    def __len__(self) -> int:
        return len(self.jobs)

    @property
    def items(self) -> tuple[Job, ...]:
        """The jobs, under the name every page type uses (see :class:`Page`)."""
        return self.jobs
