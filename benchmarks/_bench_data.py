"""Data for the benchmarks: job executions as the API sends them, list pages as bytes."""

from __future__ import annotations

import json
from random import Random
from typing import Any

_STATUSES = ["COMPLETED", "COMPLETED", "COMPLETED", "FAILED", "CANCELED", "RUNNING", "READY"]


def make_executions(n: int, job_id: str = "benchJob0001", seed: int = 1) -> list[dict[str, Any]]:
    """``n`` job executions as the API sends them (some run by a workflow, some not yet
    finished, a quarter with their settings)."""
    rng = Random(seed)
    made = []
    for i in range(n):
        status = rng.choice(_STATUSES)
        item: dict[str, Any] = {
            "jobExecutionId": f"x{i:011d}",
            "jobId": job_id,
            "jobName": "nightly-etl",
            "status": status,
            "type": "WORKFLOW" if i % 3 == 0 else "JOB",
            "createdDate": f"2026-09-{1 + i % 28:02d}T0{i % 10}:00:00+09:00",
            "startDate": f"2026-09-{1 + i % 28:02d}T0{i % 10}:01:00+09:00",
            "endDate": None if status in ("RUNNING", "READY") else "2026-09-30T10:00:00+09:00",
            "waitingTime": rng.choice([0, 0.5, 1.25]),
            "runningTime": rng.randint(0, 600) / 10,
            "executorNum": 2,
        }
        if i % 3 == 0:
            item |= {"triggerId": "T63391JxQHNj", "triggerName": "every-night"}
        if i % 4 == 0:
            item["jobCondition"] = {"workerType": "DEFAULT", "numWorker": 2, "timeout": 360}
        made.append(item)
    return made


def without_offsets(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``items`` with every date as the first API docs show a job's: milliseconds and no
    offset (``2023-10-20T13:45:15.000``, read as KST)."""
    return [
        {
            k: v[:19] + ".000" if k.endswith("Date") and type(v) is str else v
            for k, v in item.items()
        }
        for item in items
    ]


def encode_pages(items: list[dict[str, Any]], size: int) -> list[bytes]:
    """List responses of ``size`` items, as compact JSON bytes."""
    n = len(items)
    return [
        json.dumps(
            {"list": items[i : i + size], "count": n, "page": i // size, "limit": size},
            separators=(",", ":"),
        ).encode()
        for i in range(0, n, size)
    ]
