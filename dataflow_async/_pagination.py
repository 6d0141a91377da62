"""Walking ``GET /api/v1/jobs`` page by page, with stop rules that cannot loop."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable
from types import TracebackType
from typing import Generic, Self, TypeVar

from ._errors import PaginationError
from ._models import Job, JobPage

__all__ = ["AsyncPager", "walk_jobs", "walk_pages"]

T = TypeVar("T")

FetchPage = Callable[[int, int], Awaitable[JobPage]]
"""``fetch(page, limit)``: one request for one page."""

# A page that holds exactly the jobs of a page already seen is "stale": a server that
# ignores ``page`` (or cycles) sends nothing but stale pages, while jobs created during
# a walk can make one page repeat now and then. This many stale pages in a row end
# the walk with PaginationError.
MAX_STALE_PAGES = 3


class AsyncPager(Generic[T]):
    """An async iterator over pages or jobs that can be closed early.

    Use it in ``async for``; ``aclose()`` (or ``async with``, or
    ``contextlib.aclosing``) releases it at once when the loop stops early.
    """

    __slots__ = ("_agen",)

    def __init__(self, agen: AsyncGenerator[T, None]) -> None:
        self._agen = agen

    def __aiter__(self) -> Self:
        return self

    def __anext__(self) -> Awaitable[T]:
        return self._agen.__anext__()

    async def aclose(self) -> None:
        """Stop the walk; no request is left in flight."""
        await self._agen.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


def is_last_page(page: JobPage, limit: int, count_is_total: bool) -> bool:
    """Whether no page can follow ``page``: empty, short, or the total reached."""
    size = len(page.jobs)
    if size == 0 or size < limit:
        return True
    return count_is_total and (page.page + 1) * limit >= page.count


async def walk_pages(
    fetch: FetchPage, *, page_size: int, start_page: int = 0
) -> AsyncGenerator[JobPage, None]:
    """Yield non-empty pages from ``start_page`` until the last one."""
    number = start_page
    seen: set[int] = set()
    stale = 0
    count_is_total = False
    while True:
        page = await fetch(number, page_size)
        if not page.jobs:
            return
        # The server may cap the page size; its own ``limit`` then tells what a full page is.
        limit = page.limit if 0 < page.limit < page_size else page_size
        count_is_total = count_is_total or page.count > len(page.jobs)
        fingerprint = hash(tuple(job.job_id for job in page.jobs))
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
            yield page
        if is_last_page(page, limit, count_is_total):
            return
        number += 1


async def walk_jobs(
    fetch: FetchPage, *, page_size: int, max_items: int | None
) -> AsyncGenerator[Job, None]:
    """Yield jobs across pages, stopping exactly at ``max_items``."""
    if max_items is not None:
        if max_items == 0:
            return
        # Ask for no more than will be used: with a smaller page the first is enough.
        page_size = min(page_size, max_items)
    left = max_items
    async for page in walk_pages(fetch, page_size=page_size):
        jobs = page.jobs
        if left is not None:
            if len(jobs) >= left:
                for job in jobs[:left]:
                    yield job
                return
            left -= len(jobs)
        for job in jobs:
            yield job
