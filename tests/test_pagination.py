"""The generic paginator: any page type, any item keyed by its id, bounded memory."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Sequence

import attrs
import httpx
import pytest

from dataflow_async import Credentials, DataFlowClient, PaginationError, WalkStats
from dataflow_async._pagination import (
    AsyncPager,
    LimitedFetch,
    walk_items,
    walk_pages,
)
from dataflow_async._seen import SeenKeys
from dataflow_async.resources._base import pool_size

from .conftest import ACCESS_KEY, SECRET_KEY


@attrs.frozen
class Thing:
    thing_id: str


@attrs.frozen
class ThingPage:
    items: tuple[Thing, ...]
    count: int
    page: int
    limit: int


def thing_key(thing: Thing) -> str:
    return thing.thing_id


class Things:
    """A synthetic listing of things: ``serve(page, limit)`` gives the ids of a page."""

    def __init__(self, serve: Callable[[int, int], Sequence[str]], total: int | None = None):
        self.serve = serve
        self.total = total
        self.asked: list[tuple[int, int, bool]] = []
        self.in_flight = 0
        self.max_in_flight = 0

    async def __call__(
        self,
        page: int,
        limit: int,
        on_sent: Callable[[], None] | None,
        /,
        *,
        speculative: bool = False,
    ) -> Callable[[], ThingPage]:
        self.asked.append((page, limit, speculative))
        assert len(self.asked) < 500, "the walk does not stop"
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if on_sent is not None:
                on_sent()
            await asyncio.sleep(0)
        finally:
            self.in_flight -= 1
        items = tuple(Thing(i) for i in self.serve(page, limit))
        count = len(items) if self.total is None else self.total
        return functools.partial(ThingPage, items, count, page, limit)


def listing(n: int) -> Callable[[int, int], Sequence[str]]:
    ids = [f"t{i}" for i in range(n)]
    return lambda page, limit: ids[page * limit : (page + 1) * limit]


async def drain_items(fetch: Things, **kwargs: object) -> tuple[list[str], WalkStats]:
    stats = WalkStats()
    walk = walk_items(fetch, key=thing_key, stats=stats, **kwargs)  # type: ignore[arg-type]
    pager: AsyncPager[Thing] = AsyncPager(walk, stats)
    return [thing.thing_id async for thing in pager], stats


@pytest.mark.parametrize("prefetch", [0, 1, 5])
async def test_walk_items_is_generic_over_the_item_type(prefetch: int) -> None:
    things = Things(listing(95))
    ids, stats = await drain_items(things, page_size=10, max_items=None, prefetch=prefetch)
    assert ids == [f"t{i}" for i in range(95)]
    assert stats.items == stats.jobs == 95 and stats.pages == 10


async def test_walk_items_max_items_and_start_page() -> None:
    ids, stats = await drain_items(Things(listing(95)), page_size=10, max_items=13, start_page=2)
    assert ids == [f"t{i}" for i in range(20, 33)]
    assert stats.items == 13


async def test_walk_pages_is_generic_and_skips_pages_with_nothing_new() -> None:
    ids = [f"t{i}" for i in range(30)]
    things = Things(lambda page, limit: ids[:10] if page == 1 else ids[page * 10 : page * 10 + 10])
    stats = WalkStats()
    pages = AsyncPager(walk_pages(things, page_size=10, stats=stats, key=thing_key), stats)
    assert [page.page async for page in pages] == [0, 2]
    assert stats.pages == 4


async def test_dedupe_off_yields_repeats_but_still_detects_loops() -> None:
    things = Things(lambda page, limit: [f"t{i}" for i in range(10)])
    stats = WalkStats()
    walk = walk_items(
        things, key=thing_key, page_size=10, max_items=None, dedupe=False, stats=stats
    )
    seen: list[str] = []
    with pytest.raises(PaginationError):
        async for batch in walk:
            seen.extend(thing.thing_id for thing in batch)
    assert len(seen) == 30  # repeats yielded, until the third stale page in a row
    assert stats.duplicates_dropped == 0


async def test_stale_count_resets_on_a_page_of_mostly_new_items() -> None:
    def alternating(page: int, limit: int) -> list[str]:
        if page % 2:  # every other page repeats page 0 entirely
            return [f"t{i}" for i in range(10)]
        return [f"t{i}" for i in range(page * 10, page * 10 + 10)] if page < 20 else []

    ids, stats = await drain_items(Things(alternating), page_size=10, max_items=None, prefetch=0)
    assert len(ids) == len(set(ids)) == 100
    assert stats.duplicates_dropped == 100  # the 10 odd pages, never 3 in a row
    assert stats.dropped_job_ids[:11] == [f"t{i}" for i in range(10)] + ["t0"]


async def test_speculative_flag_only_while_the_end_is_unknown() -> None:
    unknown = Things(listing(25))
    await drain_items(unknown, page_size=10, max_items=None, prefetch=3)
    assert {page for page, _, speculative in unknown.asked if speculative} >= {3}
    assert not any(speculative for page, _, speculative in unknown.asked if page == 0)
    known = Things(listing(25), total=25)  # page 0 tells the end: page 2
    await drain_items(known, page_size=10, max_items=None, prefetch=1)
    assert sorted(known.asked) == [(0, 10, False), (1, 10, False), (2, 10, False)]


async def test_limited_fetch_bounds_requests_in_flight() -> None:
    things = Things(listing(200))
    ids, _ = await drain_items(LimitedFetch(things, 3), page_size=10, max_items=None, prefetch=20)
    assert len(ids) == 200
    assert things.max_in_flight == 3  # the page consumed and 2 ahead


async def test_pool_size_read_from_httpx_transport() -> None:
    credentials = Credentials(ACCESS_KEY, SECRET_KEY)
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=3)) as http:
        client = DataFlowClient(credentials, base_url="http://127.0.0.1:9", http_client=http)
        assert pool_size(client._requester) == 3
        assert isinstance(client.jobs._base._fetcher("/x", {}, print, {}), LimitedFetch)
    mock = httpx.AsyncClient(transport=httpx.MockTransport(lambda r: httpx.Response(200)))
    async with mock:
        client = DataFlowClient(credentials, base_url="http://127.0.0.1:9", http_client=mock)
        assert pool_size(client._requester) is None


# -- the memory of the whole walk ------------------------------------------------


def test_seen_keys_finds_repeats_within_and_across_batches() -> None:
    seen = SeenKeys()
    assert seen.add(["a", "b", "c"]) is None
    assert seen.add(["d", "a", "d", "e"]) == [1, 2]
    assert len(seen) == 5


def test_seen_keys_repeats_within_a_page_of_new_keys() -> None:
    seen = SeenKeys()
    assert seen.add(["a"]) is None
    assert seen.add(["x", "y", "x", "z", "y", "x"]) == [2, 4, 5]
    assert len(seen) == 4
    assert seen.add(["z"]) == [0]


def test_seen_keys_keeps_every_key_through_growth() -> None:
    seen = SeenKeys()
    keys = [f"job{i:09d}" for i in range(150_000)]  # past the set, into the tables
    for start in range(0, len(keys), 1000):
        assert seen.add(keys[start : start + 1000]) is None
    assert len(seen) == 150_000
    assert seen.add(keys[::997]) == list(range(len(keys[::997])))
    assert seen.add(["job-new"]) is None


def test_seen_keys_cost_per_key() -> None:
    seen = SeenKeys()
    for start in range(0, 300_000, 1000):
        assert seen.add([f"job{i:09d}" for i in range(start, start + 1000)]) is None
    # 8-byte slots, kept between 1/2 and 3/4 full once past 1 MiB.
    assert seen.nbytes <= 16 * len(seen) + 2**20
