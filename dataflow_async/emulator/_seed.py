"""Realistic, deterministic job data for the emulator (and for anyone's tests).

The jobs look like what ``GET /api/v1/jobs`` returns: camelCase keys, ISO 8601 dates with
the ``+09:00`` offset, both revisions of the job model mixed together, jobs that never ran
(with the execution fields absent or ``null``), and names full of characters that must be
percent-encoded in a query string. Generation works column by column (random bytes
drawn in bulk, 256-entry look-up tables, date strings assembled from parts built once),
so a million jobs take about two seconds.
"""

from __future__ import annotations

import base64
import datetime as dt
import gc
import threading
from itertools import accumulate
from operator import sub
from random import Random
from typing import Any, TypeVar

__all__ = ["make_jobs"]

_T = TypeVar("_T")

_DAY = 86_400
# The newest job's creation time, in seconds since 1970-01-01T00:00:00+09:00 (so that
# day and second of day format directly as +09:00 local time): 2026-09-30T18:00:00+09:00.
_NEWEST_LOCAL = (dt.date(2026, 9, 30) - dt.date(1970, 1, 1)).days * _DAY + 18 * 3600
_SHOWCASE = 21  # the first jobs of any list, which cycle through every variant

# Names: plain ones, and ones with every character that a careless client mis-encodes.
_NAME_STEMS: tuple[str, ...] = (
    "job",
    "daily-etl",
    "user_events",
    "nightly batch",
    "sales report",
    "orders&returns",
    "key=value sync",
    "logs/2026",
    "c++ build",
    "100% coverage",
    "a+b=c & d/e",
    "売上集計",
    "クリックログ 日次",
    "データ移行 & 検証",
    "매출 집계",
    "로그 수집 작업",
    "결제/환불 동기화",
    "ジョブ+テスト%",
)


def _table(weights: dict[_T, int]) -> tuple[_T, ...]:
    """A 256-entry look-up table, so that one random byte draws a weighted value."""
    if sum(weights.values()) != 256:  # pragma: no cover - guards the constants below
        raise AssertionError("weights must add up to 256")
    return tuple(value for value, weight in weights.items() for _ in range(weight))


_TYPES = _table({"DATAFLOW": 128, "VISUAL": 80, "SCRIPT": 48})
_STATUSES = _table(
    {
        "RUNNABLE": 150,
        "RUNNING": 20,
        "DELETED": 8,
        "DRAFT": 20,
        "EDITING": 16,
        "STOPPED": 22,
        "READY": 20,
    }
)
# None means "never ran": such a job gets no execution fields, or null ones.
_EXECUTIONS = _table(
    {"COMPLETED": 140, "FAILED": 30, "CANCELED": 14, "READY": 12, "RUNNING": 20, None: 40}
)
_STEM_TABLE = _table({stem: 86 if i == 0 else 10 for i, stem in enumerate(_NAME_STEMS)})

# The first 21 jobs cycle through these (21 is a multiple of 3 and 7).
_SHOWCASE_TYPES = ("DATAFLOW", "VISUAL", "SCRIPT")
_SHOWCASE_STATUSES = ("RUNNABLE", "RUNNING", "DELETED", "DRAFT", "EDITING", "STOPPED", "READY")
_SHOWCASE_EXECUTIONS = ("COMPLETED", None, "FAILED", "CANCELED", None, "READY", "RUNNING")
_SHOWCASE_NULLS = (False, False, False, False, True, False, False)
_SHOWCASE_DISABLED = (False, False, False, False, False, True, False)
_SHOWCASE_CONCURRENCY = (False, True, False)

# Every second of a day as "HH:MM:SS+09:00": built on first use (about 50 ms), under a
# lock, and published only once complete, so that threads starting emulators at the same
# time never index a half-built table.
_TIME_OF_DAY: tuple[str, ...] = ()
_TIME_OF_DAY_LOCK = threading.Lock()


def _time_of_day() -> tuple[str, ...]:
    global _TIME_OF_DAY
    table = _TIME_OF_DAY
    if not table:
        with _TIME_OF_DAY_LOCK:
            table = _TIME_OF_DAY
            if not table:
                table = tuple(
                    f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}+09:00" for s in range(_DAY)
                )
                _TIME_OF_DAY = table
    return table


def _dates(times: list[int]) -> list[str]:
    """Format local seconds (see ``_NEWEST_LOCAL``) as ``2025-03-20T14:00:09+09:00``."""
    if not times:
        return []
    tod = _time_of_day()
    first = min(times) // _DAY
    epoch = dt.date(1970, 1, 1)
    days = [
        (epoch + dt.timedelta(days=day)).isoformat() + "T"
        for day in range(first, max(times) // _DAY + 1)
    ]
    return [days[t // _DAY - first] + tod[t % _DAY] for t in times]


def _job_ids(rng: Random, n: int) -> list[str]:
    """``n`` distinct 12-character alphanumeric ids (72 random bits each)."""
    raw = base64.b64encode(rng.randbytes(9 * n), altchars=b"xZ").decode("ascii")
    ids = [raw[i : i + 12] for i in range(0, 12 * n, 12)]
    seen: set[str] = set()
    for i, job_id in enumerate(ids):
        while job_id in seen:  # astronomically rare, but uniqueness is promised
            job_id = base64.b64encode(rng.randbytes(9), altchars=b"xZ").decode("ascii")
        ids[i] = job_id
        seen.add(job_id)
    return ids


def _column(rng: Random, n: int, table: tuple[_T, ...], showcase: tuple[_T, ...]) -> list[_T]:
    """``n`` draws from a 256-entry weighted table; the first ones cycle through ``showcase``."""
    head = min(n, _SHOWCASE)
    return [showcase[i % len(showcase)] for i in range(head)] + [
        table[b] for b in rng.randbytes(n - head)
    ]


def _flags(rng: Random, n: int, one_in: int, showcase: tuple[bool, ...]) -> list[bool]:
    """``n`` booleans, true about once in ``one_in`` (a power of two <= 256)."""
    head = min(n, _SHOWCASE)
    mask = one_in - 1
    return [showcase[i % len(showcase)] for i in range(head)] + [
        b & mask == 0 for b in rng.randbytes(n - head)
    ]


def make_jobs(n: int, *, seed: int = 0) -> list[dict[str, Any]]:
    """Return ``n`` realistic jobs as the API's JSON objects, newest first.

    The jobs exercise everything a client must cope with, reproducibly: for a given ``seed``
    the result is always the same. Every job has a unique 12-character alphanumeric
    ``jobId`` (``resourceId`` is the same value), ``createdDate`` never increases along the
    list (ties happen and are broken by the emulator on ``jobId``), and the first 21 jobs
    between them show every ``type``, ``status`` and execution state, including never-run
    jobs both without the execution fields and with them set to ``null``, disabled jobs, and
    the newer ``maxConcurrentRuns`` field (about a quarter of all jobs carry it).

    Args:
        n: How many jobs, >= 0.
        seed: The seed; the same seed gives the same jobs.

    Returns:
        A list of job dicts in the API's camelCase shape.
    """
    if not isinstance(n, int) or isinstance(n, bool):
        raise TypeError(f"n must be an int, not {type(n).__name__}")
    if n < 0:
        raise ValueError("n must be >= 0")
    # A million dicts would trigger many useless cyclic collections; none can be garbage.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _make_jobs(n, Random(seed))
    finally:
        if collecting:
            gc.enable()


def _date_columns(rng: Random, n: int) -> tuple[list[str], list[str], list[str]]:
    """Created, updated and last-execution dates of ``n`` jobs, newest first."""
    # Creation times step back by 0..255 s (2 min on average; 0 makes equal dates).
    # Times count seconds in the +09:00 frame, so day and second format directly.
    created = list(accumulate(rng.randbytes(n), sub, initial=_NEWEST_LOCAL))[1:]
    updated = [
        min(_NEWEST_LOCAL, c + (a << 8 | b) * 8)
        for c, a, b in zip(created, rng.randbytes(n), rng.randbytes(n), strict=True)
    ]
    executed = [
        max(c, u - (b & 63)) for c, u, b in zip(created, updated, rng.randbytes(n), strict=True)
    ]
    return _dates(created), _dates(updated), _dates(executed)


def _make_jobs(n: int, rng: Random) -> list[dict[str, Any]]:
    ids = _job_ids(rng, n)
    types = _column(rng, n, _TYPES, _SHOWCASE_TYPES)
    statuses = _column(rng, n, _STATUSES, _SHOWCASE_STATUSES)
    executions = _column(rng, n, _EXECUTIONS, _SHOWCASE_EXECUTIONS)
    stems = _column(rng, n, _STEM_TABLE, _NAME_STEMS)
    nulls = _flags(rng, n, 2, _SHOWCASE_NULLS)
    disabled = _flags(rng, n, 32, _SHOWCASE_DISABLED)
    concurrency = _flags(rng, n, 4, _SHOWCASE_CONCURRENCY)
    runs = rng.randbytes(n)
    created_s, updated_s, executed_s = _date_columns(rng, n)
    spaced = rng.randbytes(n)
    jobs: list[dict[str, Any]] = []
    append = jobs.append
    for i, job_id in enumerate(ids):
        name = f"{stems[i]} {i:06d}" if spaced[i] & 1 else f"{stems[i]}{i % 1000:03d}"
        job = _job_record(
            job_id,
            name,
            (types[i], statuses[i], executions[i]),
            (created_s[i], updated_s[i], executed_s[i]),
            nulls[i],
            disabled[i],
        )
        if concurrency[i]:
            job["maxConcurrentRuns"] = 1 + (runs[i] & 7)
        append(job)
    return jobs


def _job_record(
    job_id: str,
    name: str,
    kinds: tuple[str, str, str | None],
    dates: tuple[str, str, str],
    with_nulls: bool,
    disabled: bool,
) -> dict[str, Any]:
    """One job as listed: ``kinds`` are its type, status and last execution's status
    (``None``: never ran, said with nulls when ``with_nulls``, else by absent fields);
    ``dates`` its created, updated and last execution dates."""
    kind, status, execution = kinds
    created, updated, executed = dates
    if execution is not None:
        return {
            "jobId": job_id,
            "name": name,
            "type": kind,
            "status": status,
            "lastExecutionStatus": execution,
            "createdDate": created,
            "updatedDate": updated,
            "lastExecutionDate": executed,
            "resourceId": job_id,
            "disabled": disabled,
        }
    if with_nulls:
        # Never ran, and says so with nulls.
        return {
            "jobId": job_id,
            "name": name,
            "type": kind,
            "status": status,
            "lastExecutionStatus": None,
            "createdDate": created,
            "updatedDate": updated,
            "lastExecutionDate": None,
            "resourceId": job_id,
            "disabled": disabled,
        }
    # Never ran, and the execution fields are simply absent.
    return {
        "jobId": job_id,
        "name": name,
        "type": kind,
        "status": status,
        "createdDate": created,
        "updatedDate": updated,
        "resourceId": job_id,
        "disabled": disabled,
    }
