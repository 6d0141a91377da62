"""The emulator's job list, and the order the service serves jobs in."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any, SupportsIndex

__all__ = ["JobList", "SortedView", "order_key"]


class JobList(list[dict[str, Any]]):
    """The emulator's job list: a plain ``list`` that counts its own changes.

    The app caches the sorted view of big lists, and notices churn between pages through the
    list's count of changes. Every change made through the list (append, remove, ``del``,
    slice assignment, sort, ...) bumps `version`. A job dict edited in place is seen
    at once in lists of up to 2,000 jobs; for bigger ones call `touch` after such an
    edit.
    """

    version: int = 0

    def touch(self) -> None:
        """Mark the list as changed (after editing a job dict in place)."""
        self.version += 1

    def append(self, job: dict[str, Any], /) -> None:
        """Add a job at the end (the served order is by creation date anyway)."""
        super().append(job)
        self.version += 1

    def extend(self, jobs: Iterable[dict[str, Any]], /) -> None:
        """Add several jobs."""
        super().extend(jobs)
        self.version += 1

    def insert(self, index: SupportsIndex, job: dict[str, Any], /) -> None:
        """Insert a job at ``index``."""
        super().insert(index, job)
        self.version += 1

    def remove(self, job: dict[str, Any], /) -> None:
        """Remove the first job equal to ``job``."""
        super().remove(job)
        self.version += 1

    def pop(self, index: SupportsIndex = -1, /) -> dict[str, Any]:
        """Remove and return the job at ``index``."""
        job = super().pop(index)
        self.version += 1
        return job

    def clear(self) -> None:
        """Remove every job."""
        super().clear()
        self.version += 1

    def sort(self, *args: Any, **kwargs: Any) -> None:
        """Sort in place (the served order does not depend on the list's order)."""
        super().sort(*args, **kwargs)
        self.version += 1

    def reverse(self) -> None:
        """Reverse in place."""
        super().reverse()
        self.version += 1

    def __setitem__(self, index: Any, value: Any) -> None:
        super().__setitem__(index, value)
        self.version += 1

    def __delitem__(self, index: Any) -> None:
        super().__delitem__(index)
        self.version += 1

    def __iadd__(self, jobs: Iterable[dict[str, Any]]) -> JobList:  # type: ignore[override,misc]
        super().__iadd__(jobs)
        self.version += 1
        return self

    def __imul__(self, times: SupportsIndex) -> JobList:
        super().__imul__(times)
        self.version += 1
        return self


def order_key(job: Mapping[str, Any]) -> tuple[int, float, str]:
    """Newest ``createdDate`` first, then ``jobId``; undated jobs last."""
    job_id = job.get("jobId")
    job_id = job_id if isinstance(job_id, str) else ""
    created = job.get("createdDate")
    if isinstance(created, str):
        try:
            when = dt.datetime.fromisoformat(created)
        except ValueError:
            pass
        else:
            if when.tzinfo is None:
                when = when.replace(tzinfo=dt.UTC)
            return (0, -when.timestamp(), job_id)
    return (1, 0.0, job_id)


def _name_matches(value: object, name: str) -> bool:
    return isinstance(value, str) and name in value


class SortedView:
    """The jobs of a `JobList` in served order, filtered, cached for big lists.

    Lists up to 2,000 jobs are re-sorted on every request, so that a job dict edited in
    place is always seen; larger ones are cached until the list changes (or ``touch()``).
    """

    always_fresh = 2_000

    def __init__(self) -> None:
        self._sorted: tuple[JobList, int, list[dict[str, Any]]] | None = None
        self._views: dict[tuple[str | None, str | None], list[dict[str, Any]]] = {}

    def forget(self) -> None:
        """Drop the cache (the app's job list was replaced)."""
        self._sorted = None

    def matching(self, jobs: JobList, name: str | None, status: str | None) -> list[dict[str, Any]]:
        """The jobs matching the filters, newest first."""
        version = jobs.version  # read before copying: a concurrent change shows next time
        cached = self._sorted
        if (
            cached is None
            or cached[0] is not jobs
            or cached[1] != version
            or len(jobs) <= self.always_fresh
        ):
            ordered = sorted(jobs, key=order_key)
            self._sorted = cached = (jobs, version, ordered)
            self._views = {}
        if name is None and status is None:
            return cached[2]
        key = (name, status)
        view = self._views.get(key)
        if view is None:
            view = [
                job
                for job in cached[2]
                if (status is None or job.get("status") == status)
                and (name is None or _name_matches(job.get("name"), name))
            ]
            if len(self._views) >= 32:
                self._views.clear()
            self._views[key] = view
        return view
