"""Jobs: the job object, its execution settings and its nodes."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

from ._enums import ExecutionStatus, JobNodeType, JobStatus, JobType
from ._fields import wire

__all__ = ["Job", "JobCondition", "JobNode", "JobPage"]


# Not slotted, as `Job`: filled directly by the generated hook (most executions carry one).
@attrs.frozen(slots=False)
class JobCondition:
    """A job's execution settings (``jobCondition``; ``runCondition`` in older revisions).

    Every field is optional: in a request, ``None`` fields are not sent (the service
    keeps or defaults them); in a response, they are what the server sent.
    ``num_worker`` is 2-10 and ``timeout`` (minutes one run may take) 1-1440 in requests.
    ``parameters`` (a string map) applies to ``SCRIPT`` jobs. ``console_log_path`` is
    only ever sent by the service.

    Attributes:
        worker_type: The worker's type (the service's code for a server size).
        num_worker: How many workers a run uses (2-10 in requests).
        timeout: Minutes one run may take (1-1440 in requests).
        nrn: The NAVER Cloud resource name of the role the run uses.
        script_path: The script a `SCRIPT` job runs.
        log_path: Where the run's logs are written.
        parameters: A string map passed to a `SCRIPT` job.
        console_log_path: Where the console log is (sent by the service only).
    """

    worker_type: str | None = None
    num_worker: int | None = None
    timeout: int | None = None
    nrn: str | None = None
    script_path: str | None = None
    log_path: str | None = None
    parameters: Mapping[str, str] | None = None
    console_log_path: str | None = None


@attrs.frozen
class JobNode:
    """One node of a visual (ETL) job: a source, a transform or a target.

    ``properties`` holds the node's type-specific fields (``bucketName``,
    ``fieldList``, ...) exactly as they are sent, keyed by their JSON names; they are
    sent back as they are.

    Attributes:
        id: The node's id, unique in the job.
        name: The node's name.
        type: A `JobNodeType`, or the string the server sent.
        parent_node_ids: The ids of the nodes it reads from.
        properties: The node's type-specific fields, keyed by their JSON names.
    """

    id: int | str
    name: str
    type: JobNodeType | str
    parent_node_ids: tuple[int | str, ...] = ()
    properties: Mapping[str, Any] = wire(rest=True, factory=dict)


# Not slotted: a frozen slotted class sets each field through object.__setattr__,
# a frozen dict class writes its __dict__ directly, about 40 % faster to build, and
# building jobs is most of the cost of a walk.
@attrs.frozen(slots=False)
class Job:
    """One Data Flow job.

    Enum-typed fields hold the enum member for known values and the plain string for
    values this version of the library does not know. Dates are timezone-aware and
    keep the offset the server sent (a date without one is read as KST, UTC+9). A job
    that never ran has ``None`` for the ``last_execution_*`` fields.
    ``max_concurrent_runs`` exists only in newer revisions of the API.

    ``job_condition``, ``nodes`` and ``description`` are filled by
    ``client.jobs.get()`` (and by create and update); list results leave them ``None``.
    ``resource_id`` equals ``job_id`` where the server does not send it, and
    ``disabled`` (the caller may not view the job) is ``False`` where it is not sent.

    Attributes:
        job_id: The job's id.
        name: The job's name.
        type: A `JobType`, or the string the server sent.
        status: A `JobStatus`, or the string the server sent.
        created_date: When it was created.
        updated_date: When it last changed.
        resource_id: Its resource id (its `job_id` when not sent).
        disabled: Whether the caller may not view the job.
        last_execution_status: The status of its last run; `None` if it never ran.
        last_execution_date: When it last ran; `None` if it never ran.
        max_concurrent_runs: How many runs may go at once (newer revisions).
        description: Its description (detail only).
        job_condition: Its execution settings, a `JobCondition` (detail only).
        nodes: Its nodes, `JobNode`s of a `VISUAL` job (detail only).
    """

    job_id: str
    name: str
    type: JobType | str
    status: JobStatus | str
    created_date: datetime
    updated_date: datetime
    resource_id: str = attrs.field(default=attrs.Factory(lambda self: self.job_id, takes_self=True))
    disabled: bool = False
    last_execution_status: ExecutionStatus | str | None = None
    last_execution_date: datetime | None = None
    max_concurrent_runs: int | None = None
    description: str | None = None
    job_condition: JobCondition | None = wire(
        "jobCondition", aliases=("runCondition",), default=None
    )
    nodes: tuple[JobNode, ...] | None = None


@attrs.frozen(slots=True)
class JobPage:
    """One page of ``GET /api/v1/jobs``.

    ``count`` is what the server sent: the number of jobs in this page per the
    documentation, or the total number of matching jobs per some servers.

    Attributes:
        jobs: The jobs of this page, in the server's order.
        count: The `count` the server sent.
        page: The page number, 0-based.
        limit: The page size asked for.
    """

    jobs: tuple[Job, ...]
    count: int
    page: int
    limit: int

    def __len__(self) -> int:
        return len(self.jobs)

    @property
    def items(self) -> tuple[Job, ...]:
        """The jobs, under the name every page type uses (see `Page`)."""
        return self.jobs
