"""The emulator's state: jobs, their settings, executions, workflows and triggers.

One re-entrant lock guards it all. The server runs the app in its own thread while a
test changes state from another, so every route handler runs under `Store.lock`,
and so does every helper a test calls (``app.executions.plan(...)``, ...). The job list
itself (``app.jobs``) stays a plain list the test may edit freely, as before.
"""

from __future__ import annotations

import string
import threading
from collections.abc import Callable
from random import Random
from typing import Any

from ._joblist import JobList, SortedView
from ._lifecycle import ACTIVE, Executions, ExecutionStore

__all__ = ["Store"]

_ID_ALPHABET = string.ascii_letters + string.digits
# Below this size the job index is rebuilt on every look-up, so that a job dict whose
# jobId is edited in place is found at once (as getJobs sees in-place edits of small lists).
_ALWAYS_FRESH = 2_000


class Store:
    """Everything the emulator remembers, behind one lock."""

    def __init__(self, jobs: Callable[[], JobList], now: Callable[[], float], seed: int) -> None:
        self.lock = threading.RLock()
        self.jobs = jobs
        self._now = now
        self._rng = Random(seed)
        #: The sorted, filtered view getJobs serves (cached for big lists).
        self.view = SortedView()
        self._index: tuple[JobList, int, dict[str, dict[str, Any]]] | None = None
        #: Per-job settings not shown in lists: ``description``, ``nodes``, ``condition``.
        self.details: dict[str, dict[str, Any]] = {}
        self.workflows: dict[str, dict[str, Any]] = {}
        self.triggers: dict[str, dict[str, Any]] = {}
        #: The executions as the routes use them; ``executions`` is the public view.
        self.runs = ExecutionStore()
        self.executions = Executions(self.lock, now, self.new_id, self.runs)

    def new_id(self) -> str:
        """A fresh 12-character alphanumeric id, unused by any resource."""
        with self.lock:
            while True:
                ident = "".join(self._rng.choices(_ID_ALPHABET, k=12))
                if not self._taken(ident):
                    return ident

    def _taken(self, ident: str) -> bool:
        return (
            ident in self.workflows
            or ident in self.triggers
            or self.runs.find(ident) is not None
            or self.job(ident) is not None
        )

    def job(self, job_id: str) -> dict[str, Any] | None:
        """The job dict of ``app.jobs`` with this ``jobId``, or ``None``."""
        jobs = self.jobs()
        version = jobs.version
        cached = self._index
        if (
            cached is None
            or cached[0] is not jobs
            or cached[1] != version
            or len(jobs) <= _ALWAYS_FRESH
        ):
            index: dict[str, dict[str, Any]] = {}
            for job in jobs:
                ident = job.get("jobId")
                if isinstance(ident, str):
                    index.setdefault(ident, job)
            self._index = cached = (jobs, version, index)
        return cached[2].get(job_id)

    def job_details(self, job_id: str, g2: bool) -> dict[str, Any]:
        """A job's settings, made up once (with the documented defaults) if it has none."""
        details = self.details.get(job_id)
        if details is None:
            suffix = job_id[:4].lower()
            condition: dict[str, Any] = {
                "numWorker": 2,
                "timeout": 360,
                "nrn": f"nrn:PUB:IAM::1000000:Role/{job_id}",
                "scriptPath": f"dataflow-1000000-{suffix}/scripts/",
                "logPath": f"dataflow-1000000-{suffix}/sparkHistoryLogs/",
            }
            if not g2:
                condition = {"workerType": "DEFAULT", **condition}
            details = {"description": "", "nodes": [], "condition": condition}
            self.details[job_id] = details
        return details

    def active_runs(self, job_id: str, now: float) -> int:
        """How many executions of a job are READY or RUNNING at ``now``."""
        return sum(1 for run in self.runs.of_job(job_id) if run.status(now) in ACTIVE)

    def job_list_item(self, job: dict[str, Any], now: float) -> dict[str, Any]:
        """A job as lists show it: its newest execution mirrored into ``lastExecution*``."""
        job_id = job.get("jobId")
        if not isinstance(job_id, str):
            return job
        runs = self.runs.of_job(job_id)
        if not runs:
            return job
        newest = runs[0]
        return {
            **job,
            "lastExecutionStatus": newest.status(now),
            "lastExecutionDate": newest.render(now)["createdDate"],
        }
