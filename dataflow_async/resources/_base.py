"""What every resource shares: the requester it sends through, decoding, the answers of
deletes and cancels, and paging generic over the item type."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar

import httpx

from .._converter import RawPage, paused_gc, raw_page, structure_page
from .._errors import UnexpectedResponseError
from .._json import JSONDecodeError, loads
from .._pagination import AsyncPager, FetchPage, LimitedFetch, WalkStats, walk_items
from .._status import excerpt
from .._structured import StructuredPager, raw_key
from ..types import Page
from ._validate import check_options, check_walk

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "Options",
    "Requester",
    "Resource",
    "decode",
    "expect_done",
    "walk_items",
]

T = TypeVar("T")
P = TypeVar("P")

DEFAULT_PAGE_SIZE = 1000

Options = dict[str, Any]
"""Per-call ``timeout`` and ``extra_headers``, as passed to the requester."""


class Requester(Protocol):
    """What a resource needs from the client's requester."""

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        json: Any = None,
        timeout: float | httpx.Timeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
        on_sent: Callable[[], None] | None = None,
        retry: bool = True,
    ) -> httpx.Response: ...

    async def get(
        self,
        path: str,
        params: Mapping[str, str | int],
        *,
        on_sent: Callable[[], None] | None = None,
    ) -> httpx.Response: ...


def options(timeout: Any, extra_headers: Any) -> Options:
    """The per-call options, checked."""
    check_options(timeout, extra_headers)
    return {"timeout": timeout, "extra_headers": extra_headers}


def decode(response: httpx.Response, where: str) -> Any:
    """The JSON body of a successful response; `UnexpectedResponseError` if it is not JSON."""
    try:
        return loads(response.content)
    except JSONDecodeError:
        raise UnexpectedResponseError(
            f"{where} answered a body that is not JSON: {excerpt(response.content)}",
            response=response,
        ) from None


def expect_done(response: httpx.Response, where: str) -> None:
    """Accept the answers a delete or a cancel may get: ``true``, an empty body, 204, or
    the 404 of a retry that found the resource already gone."""
    if response.status_code in (204, 404) or not response.content.strip():
        return
    try:
        body = loads(response.content)
    except JSONDecodeError:
        body = None
    if body is not True:
        raise UnexpectedResponseError(
            f"{where} answered {excerpt(response.content)}, not true", response=response
        )


class Resource:
    """A group of operations sent through one client's requester."""

    def __init__(self, requester: Requester) -> None:
        self._requester = requester

    async def _send(
        self,
        method: str,
        path: str,
        opts: Options,
        *,
        params: Mapping[str, str | int] | None = None,
        json: Any = None,
    ) -> httpx.Response:
        return await self._requester.request(method, path, params=params, json=json, **opts)

    def _fetcher(
        self,
        path: str,
        params: Mapping[str, str | int],
        finish: Callable[[httpx.Response, int, int], P],
        opts: Options,
    ) -> FetchPage[P]:
        """``fetch(page, limit, on_sent, speculative=)`` for the paginator: one GET of
        ``path``. A speculative page (requested ahead of an unknown end) is not retried
        and spends nothing of the retry budget."""
        requester = self._requester

        async def fetch(
            number: int,
            limit: int,
            on_sent: Callable[[], None] | None,
            /,
            *,
            speculative: bool = False,
        ) -> Callable[[], P]:
            query = {**params, "page": number, "limit": limit}
            response = await requester.request(
                "GET", path, params=query, on_sent=on_sent, retry=not speculative, **opts
            )
            return functools.partial(finish, response, number, limit)

        # More requests than the pool has connections would only queue in the pool,
        # where each freed connection is offered to every queued request.
        pool = pool_size(requester)
        return fetch if pool is None else LimitedFetch(fetch, pool)

    def _list_pager(
        self,
        path: str,
        params: Mapping[str, str | int],
        item_cls: type[T],
        key_field: str,
        opts: Options,
        *,
        page_size: int,
        max_items: int | None,
        prefetch: int,
        dedupe: bool = True,
        start_page: int = 0,
    ) -> AsyncPager[T]:
        """Every item of a list operation, page after page (checked now, sent later);
        items are told apart by their ``key_field``."""
        check_walk(page_size, max_items, prefetch, start_page, dedupe=dedupe)
        where = "GET " + path
        return item_pager(
            self._fetcher(path, params, functools.partial(finish_raw_page, where), opts),
            item_cls,
            key_field,
            where,
            page_size=page_size,
            max_items=max_items,
            dedupe=dedupe,
            prefetch=prefetch,
            start_page=start_page,
        )

    async def _list_page(
        self,
        path: str,
        params: Mapping[str, str | int],
        item_cls: type[T],
        opts: Options,
        page: int,
        limit: int,
    ) -> Page[T]:
        response = await self._send(
            "GET", path, opts, params={**params, "page": page, "limit": limit}
        )
        return _finish_page(item_cls, f"GET {path}", response, page, limit)


def item_pager(
    fetch: FetchPage[RawPage],
    item_cls: type[T],
    key_field: str,
    where: str,
    *,
    page_size: int,
    max_items: int | None,
    dedupe: bool,
    prefetch: int,
    start_page: int,
) -> AsyncPager[T]:
    """The pager of a walk over items of ``item_cls``, told apart by ``key_field``, its
    arguments already checked (`check_walk`). Items are structured as they are reached
    (see `StructuredPager`)."""
    stats = WalkStats()
    walk = walk_items(
        fetch,
        key=raw_key(item_cls, key_field),
        page_size=page_size,
        max_items=max_items,
        dedupe=dedupe,
        prefetch=prefetch,
        start_page=start_page,
        stats=stats,
    )
    return StructuredPager(walk, stats, item_cls, where)


def finish_raw_page(where: str, response: httpx.Response, page: int, limit: int) -> RawPage:
    """Decode a list response into its raw items and numbers (see `raw_page`)."""
    return raw_page(decode(response, where), page=page, limit=limit, where=where)


def _finish_page(
    item_cls: type[T], where: str, response: httpx.Response, page: int, limit: int
) -> Page[T]:
    with paused_gc():
        body = decode(response, where)
        return structure_page(item_cls, body, page=page, limit=limit, where=where)


def pool_size(requester: Any) -> int | None:
    """The connection pool's ``max_connections`` when httpx's own transport is in use."""
    pool = getattr(getattr(requester, "_httpx_transport", None), "_pool", None)
    size = getattr(pool, "_max_connections", None)
    return size if type(size) is int and size > 0 else None
