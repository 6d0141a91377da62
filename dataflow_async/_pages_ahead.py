"""Requesting pages ahead of the one being consumed (prefetch)."""

from __future__ import annotations

import asyncio
import functools
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, Generic, Protocol, TypeVar

__all__ = ["FetchPage", "FinishPage", "LimitedFetch", "PagesAhead"]

P = TypeVar("P")
P_co = TypeVar("P_co", covariant=True)

FinishPage = Callable[[], P_co]
"""Decodes and structures a page that has arrived."""

_SPARE_ITERATIONS = 16
"""Loop iterations a request sent ahead may take to leave once the current page is
ready: a new request needs about 4 with an idle pooled connection, 12 with a new one.
Fewer cost the latency case and saved no CPU measurably (20,000 jobs at 50 ms a page,
prefetch=4, best of 5 interleaved rounds: 381 ms with 16, 416 with 4, 438 with 1, 532
with 0; 100,000 jobs without latency: 481 to 551 ms of CPU for every value, noise)."""


class FetchPage(Protocol[P_co]):
    """``fetch(page, limit, on_sent, speculative=False)``: one request for one page.

    ``on_sent`` is called once the request's bytes have been sent. It gives a
    ``finish()`` that decodes and structures the page: called by the consumer when it
    reaches that page, so that pages requested ahead do not compete with it for the
    CPU. ``speculative`` marks a page requested ahead that may lie past the end: it is
    sent once, without retries, so that it spends none of the client's retry budget
    (the walk asks again, normally, if it turns out to need that page).
    """

    def __call__(
        self,
        page: int,
        limit: int,
        on_sent: Callable[[], None] | None,
        /,
        *,
        speculative: bool = False,
    ) -> Awaitable[FinishPage[P_co]]: ...


class LimitedFetch(Generic[P]):
    """A fetch function of which at most ``max_in_flight`` requests may be out at once
    (the connection pool's size: more would only queue in the pool)."""

    __slots__ = ("fetch", "max_in_flight")

    def __init__(self, fetch: FetchPage[P], max_in_flight: int) -> None:
        self.fetch = fetch
        self.max_in_flight = max_in_flight

    def __call__(
        self,
        page: int,
        limit: int,
        on_sent: Callable[[], None] | None,
        /,
        *,
        speculative: bool = False,
    ) -> Awaitable[FinishPage[P]]:
        return self.fetch(page, limit, on_sent, speculative=speculative)


class PagesAhead(Generic[P]):
    """Requests pages ahead of the one being consumed.

    Each request sent ahead is awaited until its bytes have left (or it finished),
    so that a consumer busy with the current page does not hold it back.
    """

    def __init__(self, fetch: FetchPage[P], page_size: int) -> None:
        self.fetch = fetch
        self.page_size = page_size
        # (page number, its request, whether it was sent speculatively)
        self.pending: deque[tuple[int, asyncio.Task[FinishPage[P]], bool]] = deque()

    async def get(self, number: int, last: int | None, depth: int) -> P:
        """Page ``number``, with requests out for the ``depth`` pages after it (none past
        ``last``; those are speculative while ``last`` is unknown)."""
        send_ahead = depth > 0
        if not (self.pending and self.pending[0][0] == number):
            if not send_ahead:
                return (await self.fetch(number, self.page_size, None))()
            task = asyncio.create_task(_call(self.fetch(number, self.page_size, None)))
            self.pending.appendleft((number, task, False))
        current = self.pending[0][1]
        if send_ahead:
            stop = number + depth if last is None else min(number + depth, last)
            await self._send_ahead(number, stop, last is None, current)
        _, task, speculative = self.pending[0]
        try:
            finish = await task
        except Exception:
            if not speculative:
                raise
            # Sent once without retries; now that the page is needed, ask for it again
            # under the retry policy.
            self.pending.popleft()
            return (await self.fetch(number, self.page_size, None))()
        self.pending.popleft()
        return finish()

    async def restart(self, page_size: int) -> None:
        """Drop what was requested ahead; ask for pages of ``page_size`` from now on."""
        await self.aclose()
        self.page_size = page_size

    async def _send_ahead(
        self, number: int, stop: int, speculative: bool, current: asyncio.Task[Any]
    ) -> None:
        """Request the pages after ``number`` up to ``stop``; return once they are all
        sent, or soon after the current page is ready (requests waiting for a free
        connection in a small pool would otherwise hold it back)."""
        start = self.pending[-1][0] + 1 if self.pending else number + 1
        loop = asyncio.get_running_loop()
        unsent: set[asyncio.Future[Any]] = set()
        for ahead in range(start, stop + 1):
            signal: asyncio.Future[None] = loop.create_future()
            on_sent = functools.partial(_settle, signal)
            request = self.fetch(ahead, self.page_size, on_sent, speculative=speculative)
            task = asyncio.create_task(_call(request))
            task.add_done_callback(functools.partial(_settle_after, signal))
            self.pending.append((ahead, task, speculative))
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
        tasks = [task for _, task, _ in self.pending]
        self.pending.clear()
        for task in tasks:
            # A task already being cancelled (the one the consumer awaited when it was
            # cancelled) is cleaning up its connection: a second cancel would cut that
            # short and leave the connection checked out.
            if not task.cancelling():
                task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)


async def _call(request: Awaitable[FinishPage[P]]) -> FinishPage[P]:
    return await request


def _settle(signal: asyncio.Future[None]) -> None:
    if not signal.done():
        signal.set_result(None)


def _settle_after(signal: asyncio.Future[None], _task: object) -> None:
    _settle(signal)
