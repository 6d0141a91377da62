"""Walking ``GET /api/v1/jobs`` page by page, with stop rules that cannot loop."""

from __future__ import annotations

import asyncio
import functools
from collections import deque
from collections.abc import AsyncGenerator, Callable, Coroutine, Iterator, Sequence
from contextlib import aclosing
from typing import Any, Generic, Self, TypeVar

import attrs

from ._errors import PaginationError
from ._lifecycle import AsyncClosing
from ._models import Job, JobPage

__all__ = ["AsyncPager", "WalkStats", "walk_jobs", "walk_pages"]

T = TypeVar("T")

FinishPage = Callable[[], JobPage]
FetchPage = Callable[[int, int, Callable[[], None] | None], Coroutine[Any, Any, FinishPage]]
"""``fetch(page, limit, on_sent)``: one request for one page; ``on_sent`` is called
once the request's bytes have been sent. It gives a ``finish()`` that decodes and
structures the page: called by the consumer when it reaches that page, so that pages
requested ahead do not compete with it for the CPU."""

DEDUPE_WINDOW_PAGES = 2
"""How many previous pages' job ids ``iter_jobs`` remembers to drop repeats."""
MAX_DROPPED_IDS = 1000
"""How many dropped job ids :class:`WalkStats` keeps (the count goes on)."""

_SPARE_ITERATIONS = 16
"""Loop iterations a request sent ahead may take to leave once the current page is
ready: a new request needs about 4 with an idle pooled connection, 12 with a new one
(benchmarks/bench_jobs.py measures it)."""

# A page that holds exactly the jobs of a page already seen is "stale": a server that
# ignores ``page`` (or cycles) sends nothing but stale pages, while jobs created during
# a walk can make one page repeat now and then. This many stale pages in a row end
# the walk with PaginationError.
MAX_STALE_PAGES = 3


@attrs.define
class WalkStats:
    """What one walk has done so far: pages received, items yielded, repeats dropped.

    ``dropped_job_ids`` keeps the first ``MAX_DROPPED_IDS`` ids that ``iter_jobs``
    dropped as repeats (jobs seen on an earlier page, shifted by jobs created
    during the walk).
    """

    pages: int = 0
    jobs: int = 0
    duplicates_dropped: int = 0
    dropped_job_ids: list[str] = attrs.Factory(list)


class AsyncPager(AsyncClosing, Generic[T]):
    """An async iterator over pages or jobs that can be closed early.

    Use it in ``async for``; ``aclose()`` (or ``async with``, or
    ``contextlib.aclosing``) releases it at once when the loop stops early.
    ``stats`` counts what the walk has done.

    It draws batches (a page's jobs, or a page) from an async generator and hands
    out their items one by one, so that an item costs no trip through the generator.
    """

    __slots__ = ("_batches", "_items", "stats")

    def __init__(self, batches: AsyncGenerator[Sequence[T], None], stats: WalkStats) -> None:
        self._batches = batches
        self._items: Iterator[T] = iter(())
        self.stats = stats

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> T:
        for item in self._items:
            return item
        while True:
            self._items = iter(await self._batches.__anext__())
            for item in self._items:
                return item

    async def aclose(self) -> None:
        """Stop the walk; no request is left in flight."""
        self._items = iter(())
        await self._batches.aclose()


def is_last_page(page: JobPage, limit: int, count_is_total: bool) -> bool:
    """Whether no page can follow ``page``: empty, short, or the total reached."""
    size = len(page.jobs)
    if size == 0 or size < limit:
        return True
    return count_is_total and (page.page + 1) * limit >= page.count


class _PagesAhead:
    """Requests pages ahead of the one being consumed.

    Each request sent ahead is awaited until its bytes have left (or it finished),
    so that a consumer busy with the current page does not hold it back.
    """

    def __init__(self, fetch: FetchPage, page_size: int) -> None:
        self.fetch = fetch
        self.page_size = page_size
        self.pending: deque[tuple[int, asyncio.Task[FinishPage]]] = deque()

    async def get(self, number: int, last: int | None, depth: int) -> JobPage:
        """Page ``number``, with requests out for the ``depth`` pages after it (none past
        ``last``)."""
        send_ahead = depth > 0
        if not (self.pending and self.pending[0][0] == number):
            if not send_ahead:
                return (await self.fetch(number, self.page_size, None))()
            task = asyncio.create_task(self.fetch(number, self.page_size, None))
            self.pending.appendleft((number, task))
        current = self.pending[0][1]
        if send_ahead:
            stop = number + depth if last is None else min(number + depth, last)
            await self._send_ahead(number, stop, current)
        finish = await current
        self.pending.popleft()
        return finish()

    async def _send_ahead(self, number: int, stop: int, current: asyncio.Task[FinishPage]) -> None:
        """Request the pages after ``number`` up to ``stop``; return once they are all
        sent, or soon after the current page is ready (requests waiting for a free
        connection in a small pool would otherwise hold it back)."""
        start = self.pending[-1][0] + 1 if self.pending else number + 1
        loop = asyncio.get_running_loop()
        unsent: set[asyncio.Future[Any]] = set()
        for ahead in range(start, stop + 1):
            signal: asyncio.Future[None] = loop.create_future()
            on_sent = functools.partial(_settle, signal)
            task = asyncio.create_task(self.fetch(ahead, self.page_size, on_sent))
            task.add_done_callback(functools.partial(_settle_after, signal))
            self.pending.append((ahead, task))
            unsent.add(signal)
        spare = _SPARE_ITERATIONS
        while unsent and spare:
            if current.done():
                # The current page is ready: give the new requests a few loop
                # iterations to leave, not the time a free connection may take.
                spare -= 1
                await asyncio.sleep(0)
                unsent = {signal for signal in unsent if not signal.done()}
            else:
                done, _ = await asyncio.wait(
                    {*unsent, current}, return_when=asyncio.FIRST_COMPLETED
                )
                unsent -= done

    async def aclose(self) -> None:
        """Cancel what is still in flight and wait until it has stopped."""
        tasks = [task for _, task in self.pending]
        self.pending.clear()
        for task in tasks:
            # A task already being cancelled (the one the consumer awaited when it was
            # cancelled) is cleaning up its connection: a second cancel would cut that
            # short and leave the connection checked out.
            if not task.cancelling():
                task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)


def _settle(signal: asyncio.Future[None]) -> None:
    if not signal.done():
        signal.set_result(None)


def _settle_after(signal: asyncio.Future[None], _task: object) -> None:
    _settle(signal)


def _last_page(page: JobPage, limit: int) -> int:
    """The last page number when ``page.count`` is the total number of jobs."""
    return max(-(-page.count // limit) - 1, page.page)


async def _walk(
    fetch: FetchPage,
    page_size: int,
    start_page: int,
    stats: WalkStats,
    prefetch: int,
    max_pages: int | None = None,
) -> AsyncGenerator[tuple[JobPage, frozenset[str]], None]:
    """Yield each new non-empty page with the set of its job ids, until the last page."""
    pages = _PagesAhead(fetch, page_size)
    number = start_page
    last = None if max_pages is None else start_page + max_pages - 1
    seen: set[int] = set()
    stale = 0
    count_is_total = False
    try:
        while True:
            # Until a full first page shows there are more, one request of the prefetch
            # depth goes to the first page itself: prefetch=1 costs a small listing nothing.
            depth = prefetch if number > start_page else prefetch - 1
            page = await pages.get(number, last, depth)
            stats.pages += 1
            if not page.jobs:
                return
            # The server may cap the page size; its ``limit`` then tells what a full page is.
            limit = page.limit if 0 < page.limit < page_size else page_size
            if page.count > len(page.jobs):
                count_is_total = True
                last = (
                    _last_page(page, limit) if last is None else min(last, _last_page(page, limit))
                )
            ids = frozenset([job.job_id for job in page.jobs])
            fingerprint = hash(ids)
            if fingerprint in seen:
                stale += 1
                if stale >= MAX_STALE_PAGES:
                    raise PaginationError(
                        f"the server sent {stale} pages in a row that repeat earlier pages "
                        f"(last asked for page {number}); it seems to ignore the page parameter"
                    )
            else:
                stale = 0
                seen.add(fingerprint)
                yield page, ids
            if is_last_page(page, limit, count_is_total):
                return
            number += 1
    finally:
        await pages.aclose()


async def walk_pages(
    fetch: FetchPage,
    *,
    page_size: int,
    start_page: int = 0,
    prefetch: int = 1,
    stats: WalkStats,
) -> AsyncGenerator[tuple[JobPage], None]:
    """Yield non-empty pages from ``start_page`` until the last one, each alone in a batch."""
    async with aclosing(_walk(fetch, page_size, start_page, stats, prefetch)) as pages:
        async for page, _ids in pages:
            yield (page,)


async def walk_jobs(
    fetch: FetchPage,
    *,
    page_size: int,
    max_items: int | None,
    dedupe: bool = True,
    prefetch: int = 1,
    start_page: int = 0,
    stats: WalkStats,
) -> AsyncGenerator[Sequence[Job], None]:
    """Yield the jobs of each page, each job id at most once (``dedupe``), stopping
    exactly at ``max_items``."""
    if max_items is not None:
        if max_items == 0:
            return
        # Ask for no more than will be used: with a smaller page the first is enough.
        page_size = min(page_size, max_items)
    max_pages = None if max_items is None else -(-max_items // page_size)
    left = max_items
    recent: deque[frozenset[str]] = deque(maxlen=DEDUPE_WINDOW_PAGES)
    walk = _walk(fetch, page_size, start_page, stats, prefetch, max_pages)
    async with aclosing(walk) as pages:
        async for page, ids in pages:
            jobs: tuple[Job, ...] | list[Job] = page.jobs
            if dedupe:
                if len(ids) != len(jobs) or any(not ids.isdisjoint(r) for r in recent):
                    jobs = _drop_repeats(jobs, recent, stats)
                recent.append(ids)
            if left is not None:
                if len(jobs) >= left:
                    stats.jobs += left
                    yield jobs[:left]
                    return
                left -= len(jobs)
            stats.jobs += len(jobs)
            yield jobs


def _drop_repeats(
    jobs: tuple[Job, ...] | list[Job], recent: deque[frozenset[str]], stats: WalkStats
) -> list[Job]:
    kept: list[Job] = []
    here: set[str] = set()
    for job in jobs:
        job_id = job.job_id
        if job_id in here or any(job_id in r for r in recent):
            stats.duplicates_dropped += 1
            if len(stats.dropped_job_ids) < MAX_DROPPED_IDS:
                stats.dropped_job_ids.append(job_id)
            continue
        here.add(job_id)
        kept.append(job)
    return kept
