"""Deterministic triggers, workflows and execution history for the emulator.

They complete what `make_jobs` starts: triggers of every rule type, workflows that
fan one trigger out to a few jobs, and finished executions spread over past days (so
that statistics and execution lists have something to show).
"""

from __future__ import annotations

from collections.abc import Sequence
from random import Random
from typing import TYPE_CHECKING, Any

from ._wire import kst

if TYPE_CHECKING:
    from ._app import EmulatorApp

__all__ = ["make_triggers", "make_workflows", "seed_history"]

# 2026-09-30T09:00:00+09:00, before the newest job of make_jobs.
_BASE = 1_790_726_400.0
_RULES: tuple[tuple[str, dict[str, Any]], ...] = (
    ("NONE", {"type": "NONE"}),
    ("SCHEDULED", {"type": "RECURRING", "interval": "DAY", "time": "02:00"}),
    ("SCHEDULED", {"type": "RECURRING", "interval": "HOUR", "time": "15"}),
    (
        "SCHEDULED",
        {"type": "RECURRING", "interval": "WEEK", "time": "06:30", "dayOfWeek": ["MONDAY"]},
    ),
    ("SCHEDULED", {"type": "RECURRING", "interval": "MONTH", "time": "03:00", "dateOfMonth": "-1"}),
    ("SCHEDULED", {"type": "ONE_TIME", "executionDate": "2026-11-01T03:00:00"}),
    ("EVENT", {"type": "NONE"}),
)
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def _ids(rng: Random, n: int, prefix: str) -> list[str]:
    return [prefix + "".join(rng.choices(_ALPHABET, k=12 - len(prefix))) for _ in range(n)]


def make_triggers(n: int, *, seed: int = 0) -> list[dict[str, Any]]:
    """Return ``n`` trigger objects cycling through every type and rule shape.

    The first is a manual (``NONE``) trigger, so a workflow started by it can be
    executed; the others are ``SCHEDULED`` (daily, hourly, weekly, monthly, one-time)
    and ``EVENT``. Ids start with ``T``; the same ``seed`` gives the same triggers.

    Args:
        n: How many triggers.
        seed: The seed; the same seed gives the same triggers.

    Returns:
        A list of trigger dicts in the API's camelCase shape.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"n must be an int >= 0, not {n!r}")
    rng = Random(seed)
    triggers = []
    for i, trigger_id in enumerate(_ids(rng, n, "T")):
        kind, rule = _RULES[i % len(_RULES)]
        created = kst(_BASE - 3600 * i)
        triggers.append(
            {
                "triggerId": trigger_id,
                "name": f"trigger_{i:03d}",
                "type": kind,
                "triggerRule": dict(rule),
                "createdDate": created,
                "updatedDate": created,
            }
        )
    return triggers


def make_workflows(
    jobs: Sequence[dict[str, Any]],
    triggers: Sequence[dict[str, Any]],
    n: int,
    *,
    seed: int = 0,
) -> list[dict[str, Any]]:
    """Return ``n`` workflows, each one trigger (cycling through ``triggers``) and 1-3 jobs.

    Workflow ``i`` starts with ``triggers[i % len(triggers)]``; its JOB nodes name jobs
    drawn from ``jobs`` with ``seed``. Ids start with ``W``.

    Args:
        jobs: The jobs the workflows' JOB nodes may name.
        triggers: The triggers the workflows start with, in turn.
        n: How many workflows.
        seed: The seed of the draws.

    Returns:
        A list of workflow dicts in the API's camelCase shape.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"n must be an int >= 0, not {n!r}")
    if n and (not jobs or not triggers):
        raise ValueError("workflows need at least one job and one trigger")
    rng = Random(seed)
    workflows = []
    for i, workflow_id in enumerate(_ids(rng, n, "W")):
        trigger = triggers[i % len(triggers)]
        start = {
            "id": trigger["triggerId"],
            "name": trigger["name"],
            "type": "TRIGGER",
            "parentNodeIds": [],
            "triggerRule": trigger["triggerRule"]["type"],
        }
        chosen = rng.sample(list(jobs), k=min(len(jobs), 1 + i % 3))
        nodes = [start] + [
            {
                "id": job["jobId"],
                "name": job["name"],
                "type": "JOB",
                "parentNodeIds": [trigger["triggerId"]],
                "jobCondition": {"numWorker": 2, "timeout": 360},
            }
            for job in chosen
        ]
        created = kst(_BASE - 7200 * i)
        workflows.append(
            {
                "workflowId": workflow_id,
                "name": f"workflow_{i:03d}",
                "nodes": nodes,
                "isTemp": False,
                "createdDate": created,
                "updatedDate": created,
                "lastExecutionDate": None,
            }
        )
    return workflows


def seed_history(
    app: EmulatorApp,
    job_ids: Sequence[str] | None = None,
    *,
    per_job: int = 4,
    days: int = 7,
    seed: int = 0,
) -> list[str]:
    """Add finished executions over the ``days`` before the app's clock; return their ids.

    ``job_ids`` default to the first five jobs of ``app.jobs``. About one run in five
    FAILED and one in ten CANCELED; the rest COMPLETED. For statistics and lists.

    Args:
        app: The emulator to add the executions to.
        job_ids: The jobs to add executions of; `None`: the first five of `app.jobs`.
        per_job: Executions per job.
        days: How many days back the executions start, spread over that period.
        seed: The seed of the draws.

    Returns:
        The ids of the executions added.
    """
    if per_job < 0 or days < 1:
        raise ValueError("per_job must be >= 0 and days >= 1")
    rng = Random(seed)
    now = app.now()
    with app.lock:
        chosen = job_ids if job_ids is not None else [job["jobId"] for job in app.jobs[:5]]
        names = {job.get("jobId"): job.get("name") for job in app.jobs}
        added = []
        for job_id in chosen:
            for _ in range(per_job):
                created = now - rng.uniform(3600, days * 86_400)
                running = rng.uniform(60, 1800)
                draw = rng.random()
                added.append(
                    app.executions.add(
                        job_id,
                        job_name=str(names.get(job_id) or ""),
                        created=created,
                        outcome="FAILED" if draw < 0.2 else "COMPLETED",
                        ready=rng.uniform(1, 30),
                        running=running,
                        canceled_at=created + running / 2 if 0.2 <= draw < 0.3 else None,
                    )
                )
    return added
