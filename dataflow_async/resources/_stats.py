"""``client.stats``: the dashboard's statistics over job executions."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypeVar

import httpx

from .._converter import structure
from .._errors import NotFoundError, UnexpectedResponseError
from .._wire import KST
from ..types import ExecutionBucket, ExecutionResult, ExecutionTimePoint
from ._base import Options, Requester, Resource, decode, options

__all__ = ["STATS_PATH", "Stats", "stats_date"]

T = TypeVar("T")

STATS_PATH = "/api/v1/stats"
TIMES_PATHS = (f"{STATS_PATH}/execution-times", f"{STATS_PATH}/executions-times")
"""The two spellings of getExecutionTimes' path in the API's documents, tried in order."""
DATE_FORMAT = "%Y-%m-%dT%H:%M:%S"


class Stats:
    """The dashboard statistics, as ``client.stats``: counts of the executions of every
    job of the account between ``start`` and ``end``.

    ``start`` and ``end`` are datetimes (an aware one is converted to KST, a naive one is
    read as KST) or strings sent as they are; they go out as ``YYYY-MM-DDTHH:mm:ss``.
    Every method takes ``timeout`` and ``extra_headers`` keyword arguments for that call.
    """

    def __init__(self, requester: Requester) -> None:
        self._base = Resource(requester)
        self._times_path = TIMES_PATHS[0]
        self._times_path_known = False

    async def execution_result(
        self,
        start: datetime | str,
        end: datetime | str,
        *,
        timeout: float | httpx.Timeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> ExecutionResult:
        """How many executions ran in the period, completed and failed.

        Args:
            start: The start of the period: a `datetime` (read as KST when naive) or a string
                sent as it is (`YYYY-MM-DDTHH:mm:ss`).
            end: The end of the period, the same way.
            timeout: Seconds, or an `httpx.Timeout`, for this call; `None` uses the client's.
            extra_headers: Headers added to this call's request.

        Returns:
            An `ExecutionResult`.

        Raises:
            ValueError: An argument is invalid (`TypeError` for a wrong type); nothing is sent.
        """
        path = f"{STATS_PATH}/executions"
        body = await self._get(path, start, end, options(timeout, extra_headers))
        return structure(ExecutionResult, body, where=f"GET {path}")

    async def execution_interval(
        self,
        start: datetime | str,
        end: datetime | str,
        *,
        timeout: float | httpx.Timeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> tuple[ExecutionBucket, ...]:
        """The number of executions per day of the period, in date order.

        Args:
            start: The start of the period: a `datetime` (read as KST when naive) or a string
                sent as it is (`YYYY-MM-DDTHH:mm:ss`).
            end: The end of the period, the same way.
            timeout: Seconds, or an `httpx.Timeout`, for this call; `None` uses the client's.
            extra_headers: Headers added to this call's request.

        Returns:
            One `ExecutionBucket` per day, in date order.

        Raises:
            ValueError: An argument is invalid (`TypeError` for a wrong type); nothing is sent.
        """
        path = f"{STATS_PATH}/executions-interval"
        body = await self._get(path, start, end, options(timeout, extra_headers))
        return _results(ExecutionBucket, body, f"GET {path}")

    async def execution_times(
        self,
        start: datetime | str,
        end: datetime | str,
        *,
        timeout: float | httpx.Timeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> tuple[ExecutionTimePoint, ...]:
        """The number of executions started at each point in time of the period.

        The path is spelled ``execution-times`` or ``executions-times`` depending on the
        revision of the API: the first is tried, on 404 the second, once; the spelling
        that answered is used by this client from then on.

        Args:
            start: The start of the period: a `datetime` (read as KST when naive) or a string
                sent as it is (`YYYY-MM-DDTHH:mm:ss`).
            end: The end of the period, the same way.
            timeout: Seconds, or an `httpx.Timeout`, for this call; `None` uses the client's.
            extra_headers: Headers added to this call's request.

        Returns:
            One `ExecutionTimePoint` per point in time.

        Raises:
            ValueError: An argument is invalid (`TypeError` for a wrong type); nothing is sent.
        """
        opts = options(timeout, extra_headers)
        query = _period(start, end)
        try:
            body = await self._get_query(self._times_path, query, opts)
        except NotFoundError:
            if self._times_path_known:
                raise
            body = await self._get_query(TIMES_PATHS[1], query, opts)
            self._times_path = TIMES_PATHS[1]
        self._times_path_known = True
        return _results(ExecutionTimePoint, body, f"GET {self._times_path}")

    async def _get(self, path: str, start: Any, end: Any, opts: Options) -> Any:
        return await self._get_query(path, _period(start, end), opts)

    async def _get_query(self, path: str, query: dict[str, str | int], opts: Options) -> Any:
        response = await self._base._send("GET", path, opts, params=query)
        return decode(response, f"GET {path}")


def stats_date(value: Any, field: str) -> str:
    """A period bound as the API expects it: ``YYYY-MM-DDTHH:mm:ss`` in KST."""
    if isinstance(value, datetime):
        moment = value.replace(tzinfo=KST) if value.tzinfo is None else value.astimezone(KST)
        return moment.strftime(DATE_FORMAT)
    if isinstance(value, str):
        if not value.strip():
            raise ValueError(f"{field} must not be empty")
        return value
    raise TypeError(f"{field} must be a datetime or a str, not {type(value).__name__}")


def _period(start: Any, end: Any) -> dict[str, str | int]:
    start_text = stats_date(start, "start")
    end_text = stats_date(end, "end")
    if isinstance(start, datetime) and isinstance(end, datetime) and start_text > end_text:
        raise ValueError(f"start ({start_text}) is after end ({end_text})")
    return {"startDate": start_text, "endDate": end_text}


def _results(cls: type[T], body: Any, where: str) -> tuple[T, ...]:
    """The items of ``{"result": [...]}`` (a bare list is accepted too)."""
    items = body.get("result") if isinstance(body, dict) else body
    if not isinstance(items, list):
        raise UnexpectedResponseError(f"{where} answered no 'result' list")
    return tuple(structure(cls, item, where=where) for item in items)
