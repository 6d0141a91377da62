"""The models, under their former module name (see `dataflow_async.types`)."""

from .types import ExecutionStatus, Job, JobPage, JobStatus, JobType

__all__ = ["ExecutionStatus", "Job", "JobPage", "JobStatus", "JobType"]
