"""Walking a paged listing page by page, with stop rules that cannot loop.

One machinery for every list operation: it knows pages only by ``.items``, ``.count``,
``.page`` and ``.limit``, and items only through a ``key`` (their id).
"""

from __future__ import annotations

import operator
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Awaitable,
    Callable,
    Hashable,
    Sequence,
)
from contextlib import aclosing
from typing import Any, Generic, Protocol, TypeVar

import attrs

from ._errors import PaginationError
from ._lifecycle import AsyncClosing
from ._pages_ahead import FetchPage, FinishPage, LimitedFetch, PagesAhead
from ._seen import SeenKeys

__all__ = [
    "MAX_PREFETCH",
    "AsyncPager",
    "FetchPage",
    "FinishPage",
    "Kept",
    "LimitedFetch",
    "PageLike",
    "WalkStats",
    "hand_out",
    "job_key",
    "walk_items",
    "walk_jobs",
    "walk_pages",
]

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)

MAX_DROPPED_IDS = 1000
"""How many dropped ids `WalkStats` keeps (the count goes on)."""

MAX_PREFETCH = 64
"""The largest ``prefetch`` accepted. httpcore offers each freed connection to every
queued request (a cost of queued x connections): prefetch=1500 blocked the event loop
for 29 s. Measured on loopback against the emulator, a walk that sends N requests at
once (a one-page listing, prefetch=N) stalled the loop at worst 0.29 s for N=16 and
0.20 s for N=64 (the noise of a busy 2-core machine), 3.1 s for N=256, and hit
connect timeouts for N=1024. 64 pages ahead hide 50 ms of latency for pages that take
under 1 ms to decode, more than any walk needs."""

# A page most of whose items the walk has already seen is "stale": a server that
# ignores ``page`` (or cycles, or returns a random subset) sends nothing else, while
# items created during a walk only shift a few items per page. This many stale pages
# in a row end the walk with PaginationError.
MAX_STALE_PAGES = 3
STALE_SHARE = 0.5
"""A page is stale when more than this share of its items were seen before."""


class PageLike(Protocol[T_co]):
    """What the paginator needs of a page: its items, and what the server said."""

    @property
    def items(self) -> Sequence[T_co]: ...
    @property
    def count(self) -> int: ...
    @property
    def page(self) -> int: ...
    @property
    def limit(self) -> int: ...


P = TypeVar("P", bound=PageLike[Any])


@attrs.define
class WalkStats:
    """What one walk has done so far: pages received, items yielded, repeats dropped.

    ``jobs`` (also readable as ``items``) counts the items yielded. ``dropped_job_ids``
    keeps the ids of the first 1000 items dropped as repeats (items seen earlier in the
    walk, shifted by items created meanwhile); ``duplicates_dropped`` counts them all.
    """

    pages: int = 0
    jobs: int = 0
    duplicates_dropped: int = 0
    dropped_job_ids: list[Hashable] = attrs.Factory(list)

    @property
    def items(self) -> int:
        """The items yielded so far (the same number as ``jobs``)."""
        return self.jobs


async def hand_out(batches: AsyncGenerator[Sequence[T], None]) -> AsyncGenerator[T, None]:
    """The items of every batch, in order; the batches are closed at the end."""
    try:
        async for batch in batches:
            for item in batch:
                yield item
    finally:
        await batches.aclose()


class AsyncPager(AsyncClosing, Generic[T]):
    """An async iterator over pages or items that can be closed early.

    Use it in ``async for``; ``aclose()`` (or ``async with``, or
    ``contextlib.aclosing``) releases it at once when the loop stops early.
    ``stats`` counts what the walk has done.

    It draws batches (a page's items, or a page) from an async generator and hands
    out their items from an async generator of its own, which ``async for`` iterates
    directly: a step of a generator runs in C, where an ``async def __anext__`` made a
    coroutine for every item (76 against 109 ns an item handed out, alone; over whole
    walks of 100,000 jobs the difference was within the noise of 32 walks each).
    """

    __slots__ = ("_items", "stats")

    def __init__(
        self,
        batches: AsyncGenerator[Sequence[Any], None],
        stats: WalkStats,
        items: Callable[[AsyncGenerator[Sequence[Any], None]], AsyncGenerator[T, None]] = hand_out,
    ) -> None:
        # ``items(batches)`` hands the items out (and closes ``batches`` at its end). It
        # does not refer to the pager: a pager dropped mid-walk is freed (and its walk
        # closed) at once, without waiting for the cycle collector.
        self._items = items(batches)
        self.stats = stats

    def __aiter__(self) -> AsyncIterator[T]:
        return self._items

    def __anext__(self) -> Awaitable[T]:
        return self._items.__anext__()

    async def aclose(self) -> None:
        """Stop the walk; no request is left in flight."""
        # The generator closes the batches; one never started had none in flight.
        await self._items.aclose()


def check_prefetch(prefetch: int) -> None:
    """``ValueError`` unless ``0 <= prefetch <= MAX_PREFETCH``."""
    if isinstance(prefetch, bool) or not isinstance(prefetch, int) or prefetch < 0:
        raise ValueError(f"prefetch must be an int >= 0, got {prefetch!r}")
    if prefetch > MAX_PREFETCH:
        raise ValueError(
            f"prefetch must be at most {MAX_PREFETCH} (pages requested ahead), got {prefetch}"
        )


@attrs.define
class _Walk(Generic[P]):
    """The state of one walk: where it is, what it knows of the end, what it saw."""

    pages: PagesAhead[P]
    stats: WalkStats
    number: int
    limit: int
    start_page: int
    key: Callable[[Any], Hashable] | None
    need: int | None
    depth_cap: int
    seen: SeenKeys = attrs.Factory(SeenKeys)
    last: int | None = None
    stale: int = 0
    resized: bool = False

    def ahead(self, prefetch: int) -> tuple[int | None, int]:
        """The last page that may be requested, and how many pages to request ahead."""
        # Until a full first page shows there are more, one request of the prefetch
        # depth goes to the first page itself: prefetch=1 costs a small listing nothing.
        depth = min(prefetch if self.number > self.start_page else prefetch - 1, self.depth_cap)
        last = self.last
        if self.need is not None:  # ask ahead for no more pages than max_items can use
            enough = self.start_page + -(-self.need // self.limit) - 1
            last = enough if last is None else min(last, enough)
            if self.number > last:
                depth = 0
        return last, depth

    def repeats(self, page: P) -> list[int] | None:
        """The positions in ``page`` of items seen earlier in the walk (``None``: none);
        counts stale pages."""
        items = page.items
        if self.key is None:
            return None
        many = getattr(self.key, "many", None)  # reads a page's keys at once
        repeats = self.seen.add(many(items) if many else map(self.key, items))
        if repeats is None:
            self.stale = 0
        elif len(repeats) > STALE_SHARE * len(items):
            self.stale += 1
            if self.stale >= MAX_STALE_PAGES:
                raise PaginationError(
                    f"the server sent {self.stale} pages in a row that mostly repeat items "
                    f"this walk already had (page {self.number}: {len(repeats)} of "
                    f"{len(items)}); it seems to ignore the page parameter"
                )
        else:
            self.stale = 0
        return repeats

    async def follow(self, page: P) -> bool:
        """Whether another page follows ``page``; adapts to a server's page size."""
        size = len(page.items)
        # The server may cap the page size; its ``limit`` then tells what a full page is.
        if 0 < page.limit < self.limit:
            self.limit = page.limit
        count_is_total = page.count > size
        if count_is_total:
            last = max(-(-page.count // self.limit) - 1, self.number)
            self.last = last if self.last is None else min(self.last, last)
        if size >= self.limit:
            return not (count_is_total and (self.number + 1) * self.limit >= page.count)
        reached = self.number * self.limit + size
        if not count_is_total or reached >= page.count:
            return False  # empty, or short: the last page
        if self.number == 0 and size and not self.resized:
            # A first page shorter than asked for while more exist: the server caps the
            # page size without saying so. Its pages are ``size`` long; page 1 of that
            # size starts right after this one.
            self.resized = True
            self.limit = size
            self.last = None
            await self.pages.restart(size)
            return True
        raise PaginationError(
            f"page {self.number} ended the listing with {size} items of {self.limit}, but "
            f"the server counts {page.count} in all: {page.count - reached} are missing"
        )


async def _walk(
    fetch: FetchPage[P],
    page_size: int,
    start_page: int,
    stats: WalkStats,
    prefetch: int,
    key: Callable[[Any], Hashable] | None,
    need: int | None = None,
) -> AsyncGenerator[tuple[P, list[int] | None], None]:
    """Yield each non-empty page with the positions of its items seen earlier in the
    walk, until the last page."""
    check_prefetch(prefetch)
    cap = max(fetch.max_in_flight - 1, 0) if isinstance(fetch, LimitedFetch) else MAX_PREFETCH
    walk = _Walk(
        PagesAhead(fetch, page_size), stats, start_page, page_size, start_page, key, need, cap
    )
    try:
        while True:
            last, depth = walk.ahead(prefetch)
            page = await walk.pages.get(walk.number, last, depth)
            stats.pages += 1
            if page.items:
                yield page, walk.repeats(page)
            if not await walk.follow(page):
                return
            walk.number += 1
    finally:
        await walk.pages.aclose()


async def walk_pages(
    fetch: FetchPage[P],
    *,
    page_size: int,
    start_page: int = 0,
    prefetch: int = 1,
    stats: WalkStats,
    key: Callable[[Any], Hashable] | None = None,
) -> AsyncGenerator[tuple[P], None]:
    """Yield non-empty pages from ``start_page`` until the last one, each alone in a batch.

    With ``key`` (an item's id), a page with nothing new is skipped and pages that
    mostly repeat earlier ones end the walk with `PaginationError`.
    """
    async with aclosing(_walk(fetch, page_size, start_page, stats, prefetch, key)) as pages:
        async for page, repeats in pages:
            if repeats is None or len(repeats) < len(page.items):
                yield (page,)


async def walk_items(
    fetch: FetchPage[PageLike[T]],
    *,
    key: Callable[[T], Hashable],
    page_size: int,
    max_items: int | None,
    dedupe: bool = True,
    prefetch: int = 1,
    start_page: int = 0,
    stats: WalkStats,
) -> AsyncGenerator[Sequence[T], None]:
    """Yield the items of each page, each ``key`` at most once over the whole walk
    (``dedupe``), stopping exactly at ``max_items``."""
    if max_items is not None:
        if max_items == 0:
            return
        # Ask for no more than will be used: with a smaller page the first is enough.
        page_size = min(page_size, max_items)
    left = max_items
    walk = _walk(fetch, page_size, start_page, stats, prefetch, key, max_items)
    async with aclosing(walk) as pages:
        async for page, repeats in pages:
            items: Sequence[T] = page.items
            if repeats is not None and dedupe:
                items = _drop(items, repeats, key, stats)
            if left is not None:
                if len(items) >= left:
                    stats.jobs += left
                    yield _head(items, left)
                    return
                left -= len(items)
            stats.jobs += len(items)
            yield items


class Kept(list[T]):
    """The items of a page that were kept, with their ``positions`` in the page."""

    __slots__ = ("positions",)

    def __init__(self, items: list[T], positions: list[int]) -> None:
        super().__init__(items)
        self.positions = positions


def _drop(
    items: Sequence[T], repeats: list[int], key: Callable[[T], Hashable], stats: WalkStats
) -> Kept[T]:
    """``items`` without those at ``repeats``, which are counted in ``stats``."""
    stats.duplicates_dropped += len(repeats)
    room = MAX_DROPPED_IDS - len(stats.dropped_job_ids)
    stats.dropped_job_ids.extend(key(items[position]) for position in repeats[:room])
    dropped = set(repeats)
    positions = [position for position in range(len(items)) if position not in dropped]
    return Kept([items[position] for position in positions], positions)


def _head(items: Sequence[T], n: int) -> Sequence[T]:
    """The first ``n`` of ``items``, keeping their positions in the page."""
    if isinstance(items, Kept):
        return Kept(items[:n], items.positions[:n])
    return items[:n]


def walk_jobs(
    fetch: FetchPage[PageLike[T]],
    *,
    page_size: int,
    max_items: int | None,
    dedupe: bool = True,
    prefetch: int = 1,
    start_page: int = 0,
    stats: WalkStats,
) -> AsyncGenerator[Sequence[T], None]:
    """`walk_items` keyed on ``job_id``."""
    return walk_items(
        fetch,
        key=job_key,
        page_size=page_size,
        max_items=max_items,
        dedupe=dedupe,
        prefetch=prefetch,
        start_page=start_page,
        stats=stats,
    )


job_key: Callable[[Any], Hashable] = operator.attrgetter("job_id")
"""A job's id: the key jobs are told apart by."""
