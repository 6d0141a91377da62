"""``client.triggers``: list, read, create and delete triggers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from .._converter import structure, unstructure
from .._pagination import AsyncPager
from ..types import Page, Trigger, TriggerRule, TriggerType
from ._base import DEFAULT_PAGE_SIZE, Requester, Resource, decode, expect_done, options
from ._validate import check_name, check_page, check_trigger_rule, enum_value, path_id

__all__ = ["TRIGGERS_PATH", "Triggers"]

TRIGGERS_PATH = "/api/v1/triggers"


class Triggers:
    """The trigger operations, as ``client.triggers``. The API has no update of a
    trigger: delete it and create another.

    Every method takes ``timeout`` and ``extra_headers`` keyword arguments for that call.
    """

    def __init__(self, requester: Requester) -> None:
        self._base = Resource(requester)

    async def list(
        self,
        *,
        name: str | None = None,
        page: int = 0,
        limit: int = DEFAULT_PAGE_SIZE,
        timeout: float | httpx.Timeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Page[Trigger]:
        """One page of triggers, filtered by ``name``.

        Args:
            name: Only triggers whose name contains this (case-sensitive).
            page: The page to fetch, 0-based.
            limit: The page size, at least 1.
            timeout: Seconds, or an `httpx.Timeout`, for this call; `None` uses the client's.
            extra_headers: Headers added to this call's request.

        Returns:
            A `Page` of `Trigger`s.

        Raises:
            ValueError: An argument is invalid (`TypeError` for a wrong type); nothing is sent.
        """
        check_page(page, limit)
        opts = options(timeout, extra_headers)
        return await self._base._list_page(
            TRIGGERS_PATH, _filters(name), Trigger, opts, page, limit
        )

    def iter(
        self,
        *,
        name: str | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        max_items: int | None = None,
        prefetch: int = 1,
        timeout: float | httpx.Timeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> AsyncPager[Trigger]:
        """Every matching trigger, page after page, each trigger id once.

        Args:
            name: Only triggers whose name contains this (case-sensitive).
            page_size: Items per request, at least 1.
            max_items: Stop after this many items; `None`: all of them.
            prefetch: Pages requested ahead of the one being consumed; `0`: one request after
                another.
            timeout: Seconds, or an `httpx.Timeout`, for this call; `None` uses the client's.
            extra_headers: Headers added to this call's request.

        Returns:
            An `AsyncPager` of `Trigger`s.

        Raises:
            ValueError: An argument is invalid (`TypeError` for a wrong type); nothing is sent.
        """
        opts = options(timeout, extra_headers)
        return self._base._list_pager(
            TRIGGERS_PATH,
            _filters(name),
            Trigger,
            "trigger_id",
            opts,
            page_size=page_size,
            max_items=max_items,
            prefetch=prefetch,
        )

    async def get(
        self,
        trigger_id: str,
        *,
        timeout: float | httpx.Timeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Trigger:
        """One trigger.

        Args:
            trigger_id: The trigger's id.
            timeout: Seconds, or an `httpx.Timeout`, for this call; `None` uses the client's.
            extra_headers: Headers added to this call's request.

        Returns:
            The `Trigger`.

        Raises:
            NotFoundError: No trigger has this id.
            ValueError: An argument is invalid (`TypeError` for a wrong type); nothing is sent.
        """
        path = f"{TRIGGERS_PATH}/{path_id('trigger_id', trigger_id)}"
        response = await self._base._send("GET", path, options(timeout, extra_headers))
        return structure(Trigger, decode(response, f"GET {path}"), where=f"GET {path}")

    async def create(
        self,
        *,
        name: str,
        type: TriggerType | str,
        rule: TriggerRule | Mapping[str, Any],
        timeout: float | httpx.Timeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Trigger:
        """Create a trigger and return it as the service answers (200 or 201).

        ``rule`` is a `TriggerRule` or a mapping of its fields and must carry what its
        type requires: ``interval`` and ``time`` for ``RECURRING`` (plus ``day_of_week``
        for ``WEEK``, ``date_of_month`` for ``MONTH``), ``execution_date`` for
        ``ONE_TIME``; otherwise ``ValueError`` before anything is sent.

        Args:
            name: The trigger's name.
            type: A `TriggerType`, or its name.
            rule: A `TriggerRule`, or a mapping of its fields.
            timeout: Seconds, or an `httpx.Timeout`, for this call; `None` uses the client's.
            extra_headers: Headers added to this call's request.

        Returns:
            The `Trigger` as the service answers.

        Raises:
            BadRequestError: The service refused the definition.
            ValueError: An argument is invalid (`TypeError` for a wrong type); nothing is sent.
        """
        body = {
            "name": check_name(name),
            "type": enum_value(TriggerType, type, "type"),
            "triggerRule": unstructure(check_trigger_rule(rule)),
        }
        opts = options(timeout, extra_headers)
        response = await self._base._send("POST", TRIGGERS_PATH, opts, json=body)
        where = f"POST {TRIGGERS_PATH}"
        return structure(Trigger, decode(response, where), where=where)

    async def delete(
        self,
        trigger_id: str,
        *,
        timeout: float | httpx.Timeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> None:
        """Delete a trigger (answered ``true``, an empty body or 204).

        Args:
            trigger_id: The trigger's id.
            timeout: Seconds, or an `httpx.Timeout`, for this call; `None` uses the client's.
            extra_headers: Headers added to this call's request.

        Raises:
            NotFoundError: No trigger has this id.
            ValueError: An argument is invalid (`TypeError` for a wrong type); nothing is sent.
        """
        path = f"{TRIGGERS_PATH}/{path_id('trigger_id', trigger_id)}"
        response = await self._base._send("DELETE", path, options(timeout, extra_headers))
        expect_done(response, f"DELETE {path}")


def _filters(name: Any) -> dict[str, str | int]:
    if name is None:
        return {}
    if not isinstance(name, str) or not name:
        raise ValueError(f"name must be a non-empty str or None, got {name!r}")
    return {"name": name}
