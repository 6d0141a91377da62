"""Job executions and how they progress: READY -> RUNNING -> COMPLETED / FAILED.

Nothing runs in the background. An execution stores when it was created, how long it
waits and runs, and how it ends; its status is computed whenever it is read, from the
emulator's clock. A test that injects the clock therefore moves every execution forward
by moving the clock, in virtual time.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from random import Random
from typing import Any, Literal, TypeAlias

import attrs

from ._wire import kst, kst_or_none

__all__ = [
    "ACTIVE",
    "TERMINAL",
    "Execution",
    "ExecutionPlan",
    "ExecutionStore",
    "Executions",
    "RandomPlan",
]

#: Statuses of an execution that still counts against ``maxConcurrentRuns``.
ACTIVE = ("READY", "RUNNING")
#: Statuses an execution never leaves.
TERMINAL = ("COMPLETED", "FAILED", "CANCELED")
Outcome: TypeAlias = Literal["COMPLETED", "FAILED"]


def _check_outcome(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if value not in ("COMPLETED", "FAILED"):
        raise ValueError(f"outcome must be 'COMPLETED' or 'FAILED', not {value!r}")


def _check_range(
    instance: object, attribute: attrs.Attribute[tuple[float, float]], value: tuple[float, float]
) -> None:
    low, high = value
    if not 0 <= low <= high:
        raise ValueError(f"{attribute.name} must be (low, high) with 0 <= low <= high")


@attrs.frozen
class ExecutionPlan:
    """How new executions of a job behave: seconds waiting, seconds running, outcome."""

    outcome: Outcome = attrs.field(default="COMPLETED", validator=_check_outcome)
    ready: float = attrs.field(default=1.0, validator=attrs.validators.ge(0))
    running: float = attrs.field(default=30.0, validator=attrs.validators.ge(0))

    def draw(self) -> tuple[Outcome, float, float]:
        """The outcome and durations of the next execution."""
        return self.outcome, self.ready, self.running


@attrs.define
class RandomPlan:
    """A seeded mix: each execution fails with ``failure_rate``, durations drawn uniformly."""

    seed: int = 0
    failure_rate: float = attrs.field(
        default=0.2, validator=[attrs.validators.ge(0), attrs.validators.le(1)]
    )
    ready: tuple[float, float] = attrs.field(default=(0.0, 5.0), validator=_check_range)
    running: tuple[float, float] = attrs.field(default=(5.0, 120.0), validator=_check_range)
    _rng: Random = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        self._rng = Random(self.seed)

    def draw(self) -> tuple[Outcome, float, float]:
        """The outcome and durations of the next execution (the lock is held by the caller)."""
        rng = self._rng
        outcome: Outcome = "FAILED" if rng.random() < self.failure_rate else "COMPLETED"
        return outcome, rng.uniform(*self.ready), rng.uniform(*self.running)


@attrs.define
class Execution:
    """One job execution as stored; `render` gives what the API returns at a time."""

    execution_id: str
    job_id: str
    job_name: str
    created: float
    ready: float
    running: float
    outcome: Outcome
    condition: dict[str, Any]
    parameters: dict[str, str]
    kind: str = "JOB"
    trigger_id: str | None = None
    trigger_name: str | None = None
    workflow_id: str | None = None
    canceled_at: float | None = None

    def times(self, now: float) -> tuple[str, float | None, float | None]:
        """Status, start and end (epoch seconds, ``None`` if not reached) at ``now``."""
        start = self.created + self.ready
        running = self.running
        outcome: str = self.outcome
        timeout = self.condition.get("timeout")
        if isinstance(timeout, int) and timeout > 0 and running > timeout * 60:
            running, outcome = float(timeout * 60), "FAILED"
        end = start + running
        canceled = self.canceled_at
        if canceled is not None and canceled < end and canceled <= now:
            return "CANCELED", (start if start <= canceled else None), canceled
        if now < start:
            return "READY", None, None
        if now < end:
            return "RUNNING", start, None
        return outcome, start, end

    def status(self, now: float) -> str:
        """The status at ``now``."""
        return self.times(now)[0]

    def render(self, now: float) -> dict[str, Any]:
        """The execution object of the API, as it reads at ``now``."""
        status, start, end = self.times(now)
        condition = dict(self.condition)
        log_path = condition.get("logPath")
        if isinstance(log_path, str):
            condition["consoleLogPath"] = f"{log_path.rstrip('/')}/{self.execution_id}/"
        waited = (start if start is not None else (end if end is not None else now)) - self.created
        ran = 0.0 if start is None else (end if end is not None else now) - start
        body: dict[str, Any] = {
            "jobExecutionId": self.execution_id,
            "jobId": self.job_id,
            "jobName": self.job_name,
            "type": self.kind,
            "status": status,
            "jobCondition": condition,
            "waitingTime": int(waited // 60),
            "runningTime": int(ran // 60),
            "executorNum": condition.get("numWorker", 2),
            "parsedParameters": dict(self.parameters),
            "createdDate": kst(self.created),
            "startDate": kst_or_none(start),
            "endDate": kst_or_none(end),
        }
        if self.trigger_id is not None:
            body["triggerId"] = self.trigger_id
            body["triggerName"] = self.trigger_name
        return body


Plan: TypeAlias = ExecutionPlan | RandomPlan


class ExecutionStore:
    """The stored executions and the plans for new ones (callers hold the store's lock)."""

    def __init__(self) -> None:
        self.plans: dict[str | None, Plan] = {}
        self._runs: dict[str, Execution] = {}
        self._by_job: dict[str, list[Execution]] = {}

    def draw(self, job_id: str) -> tuple[Outcome, float, float]:
        """Outcome and durations for a new execution of ``job_id``."""
        plan = self.plans.get(job_id) or self.plans.get(None) or ExecutionPlan()
        return plan.draw()

    def store(self, execution: Execution) -> None:
        """Keep a new execution."""
        self._runs[execution.execution_id] = execution
        self._by_job.setdefault(execution.job_id, []).append(execution)

    def has_any(self) -> bool:
        """Whether any execution is stored."""
        return bool(self._runs)

    def find(self, execution_id: str) -> Execution | None:
        """The stored execution with this id."""
        return self._runs.get(execution_id)

    def of_job(self, job_id: str) -> list[Execution]:
        """A job's executions, newest first."""
        runs = self._by_job.get(job_id)
        if not runs:
            return []
        return sorted(runs, key=lambda run: (-run.created, run.execution_id))

    def every(self) -> list[Execution]:
        """Every execution, newest first."""
        return sorted(self._runs.values(), key=lambda run: (-run.created, run.execution_id))

    def clear(self) -> None:
        """Forget every execution."""
        self._runs.clear()
        self._by_job.clear()

    def __len__(self) -> int:
        return len(self._runs)


class Executions:
    """Controls and inspects the emulator's job executions (``app.executions``).

    Plans decide how new executions behave: per job (``plan(job_id, ...)``) or for every
    job (``plan(None, ...)``, the default plan being 1 s READY then 30 s RUNNING, then
    COMPLETED). Every method is thread-safe (the served app and the test share it).
    """

    def __init__(
        self,
        lock: threading.RLock,
        now: Callable[[], float],
        new_id: Callable[[], str],
        runs: ExecutionStore,
    ) -> None:
        self._lock = lock
        self._now = now
        self._new_id = new_id
        self._store = runs

    def plan(
        self,
        job_id: str | None = None,
        *,
        outcome: Outcome = "COMPLETED",
        ready: float = 1.0,
        running: float = 30.0,
    ) -> None:
        """Make new executions of ``job_id`` (of every job: ``None``) wait, run, then end so.

        ``ready`` is the seconds spent READY, ``running`` the seconds RUNNING, ``outcome``
        ``"COMPLETED"`` or ``"FAILED"``. A job's ``jobCondition.timeout`` (minutes) still
        applies: an execution running longer ends FAILED at the timeout.

        Args:
            job_id: The job the plan is for; `None`: every job without a plan of its own.
            outcome: `"COMPLETED"` or `"FAILED"`.
            ready: Seconds an execution spends READY.
            running: Seconds an execution spends RUNNING.

        Raises:
            ValueError: An outcome or a duration is invalid.
        """
        with self._lock:
            self._store.plans[job_id] = ExecutionPlan(outcome, ready, running)

    def plan_random(
        self,
        job_id: str | None = None,
        *,
        seed: int = 0,
        failure_rate: float = 0.2,
        ready: tuple[float, float] = (0.0, 5.0),
        running: tuple[float, float] = (5.0, 120.0),
    ) -> None:
        """A seeded random mix for new executions: FAILED with ``failure_rate``, durations
        (seconds) drawn uniformly from the ``(low, high)`` ranges.

        Args:
            job_id: The job the plan is for; `None`: every job without a plan of its own.
            seed: The seed of the draws.
            failure_rate: The probability that an execution ends FAILED, from 0 to 1.
            ready: The `(low, high)` seconds an execution spends READY.
            running: The `(low, high)` seconds an execution spends RUNNING.

        Raises:
            ValueError: A rate or a range is invalid.
        """
        with self._lock:
            self._store.plans[job_id] = RandomPlan(seed, failure_rate, ready, running)

    def clear_plans(self) -> None:
        """Back to the default plan for every job."""
        with self._lock:
            self._store.plans.clear()

    def add(
        self,
        job_id: str,
        *,
        job_name: str = "",
        created: float | None = None,
        outcome: Outcome = "COMPLETED",
        ready: float = 1.0,
        running: float = 30.0,
        canceled_at: float | None = None,
        condition: Mapping[str, Any] | None = None,
        parameters: Mapping[str, str] | None = None,
    ) -> str:
        """Record an execution directly (history for stats and lists); return its id.

        ``created`` is epoch seconds (default: now). No check is made that the job exists
        or has a free slot: this is seeding, not starting.

        Args:
            job_id: The job the execution belongs to.
            job_name: The job's name, as the execution reports it.
            created: When it was created, in epoch seconds; `None`: now.
            outcome: `"COMPLETED"` or `"FAILED"`.
            ready: Seconds it spends READY.
            running: Seconds it spends RUNNING.
            canceled_at: When it was cancelled, in epoch seconds; `None`: never.
            condition: Its `jobCondition`, in the API's shape.
            parameters: Its parameters.

        Returns:
            The new execution's id.
        """
        if outcome not in ("COMPLETED", "FAILED"):
            raise ValueError(f"outcome must be 'COMPLETED' or 'FAILED', not {outcome!r}")
        with self._lock:
            execution = Execution(
                execution_id=self._new_id(),
                job_id=job_id,
                job_name=job_name,
                created=self._now() if created is None else created,
                ready=ready,
                running=running,
                outcome=outcome,
                condition=dict(condition or {"numWorker": 2, "timeout": 360}),
                parameters=dict(parameters or {}),
                canceled_at=canceled_at,
            )
            self._store.store(execution)
            return execution.execution_id

    def get(self, execution_id: str) -> dict[str, Any] | None:
        """The execution object as the API would return it now, or ``None``.

        Args:
            execution_id: The execution's id.
        """
        with self._lock:
            run = self._store.find(execution_id)
            return None if run is None else run.render(self._now())

    def status(self, execution_id: str) -> str:
        """The status of an execution now (``KeyError`` for an unknown id).

        Args:
            execution_id: The execution's id.

        Raises:
            KeyError: No execution has this id.
        """
        with self._lock:
            run = self._store.find(execution_id)
            if run is None:
                raise KeyError(execution_id)
            return run.status(self._now())

    def list(self, job_id: str | None = None) -> list[dict[str, Any]]:
        """Execution objects now (of one job, or all), newest first.

        Args:
            job_id: The job whose executions to list; `None`: every job's.
        """
        with self._lock:
            runs = self._store.every() if job_id is None else self._store.of_job(job_id)
            now = self._now()
            return [run.render(now) for run in runs]

    def clear(self) -> None:
        """Forget every execution (plans are kept)."""
        with self._lock:
            self._store.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._store)
