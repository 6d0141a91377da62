"""Items structured as they are reached: bad items from a misbehaving server, the order of
what is handed out, the bound on what is structured ahead, repeats told apart as sent."""

from __future__ import annotations

import asyncio
import gc
import json
import weakref
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

import dataflow_async._structured as structured
from dataflow_async import Credentials, DataFlowClient, UnexpectedResponseError
from dataflow_async._structured import STRUCTURE_AHEAD, raw_key
from dataflow_async.types import Job, JobExecution

from .conftest import ACCESS_KEY, SECRET_KEY, job_json
from .hostile import RawServer, response_head
from .virtual import checked_out

Serve = Callable[[int, int], list[Any]]


def paged(serve: Serve) -> Any:
    """A raw server answering ``GET ...?page=P&limit=L`` with ``serve(P, L)`` as the
    page's list (``count`` = its length), whatever the items are."""

    async def respond(reader: Any, writer: asyncio.StreamWriter, head: bytes) -> None:
        target = head.split(b" ", 2)[1].decode()
        query = parse_qs(urlsplit(target).query)
        page, limit = int(query["page"][0]), int(query["limit"][0])
        items = serve(page, limit)
        body = json.dumps({"list": items, "count": len(items), "page": page, "limit": limit})
        data = body.encode()
        writer.write(response_head("200 OK", f"Content-Length: {len(data)}") + data)

    return respond


def listing(n: int, bad: dict[int, Any] | None = None) -> Serve:
    """``n`` jobs in all, the job at each position of ``bad`` replaced by its value."""
    bad = bad or {}

    def serve(page: int, limit: int) -> list[Any]:
        start = page * limit
        return [bad.get(i, job_json(i)) for i in range(start, min(start + limit, n))]

    return serve


async def walk(serve: Serve, **kwargs: Any) -> tuple[list[str], BaseException | None, Any]:
    """The ids handed out by ``iter_jobs(**kwargs)`` against ``serve``, and the error
    that ended the walk; checks nothing is left running or checked out."""
    async with RawServer(paged(serve)) as server:
        creds = Credentials(ACCESS_KEY, SECRET_KEY)
        async with DataFlowClient(creds, base_url=server.url) as client:
            pager = client.iter_jobs(**kwargs)
            ids: list[str] = []
            error: BaseException | None = None
            try:
                async for job in pager:
                    ids.append(job.job_id)
            except Exception as exc:
                error = exc
            # Nothing left running but the server's own handlers; nothing checked out.
            others = asyncio.all_tasks() - {asyncio.current_task(), *server._tasks}
            assert others == set()
            assert [c for c in checked_out(client) if "NEW" not in c] == []
            return ids, error, pager


@pytest.mark.parametrize("prefetch", [0, 1, 4])
@pytest.mark.parametrize("position", [0, 1, STRUCTURE_AHEAD - 1, STRUCTURE_AHEAD, 299])
async def test_bad_item_ends_the_walk_after_every_item_before_it(
    prefetch: int, position: int
) -> None:
    # On the second page (of 400), so that a page before it went through whole.
    bad = job_json(400 + position, createdDate="yesterday")
    ids, error, pager = await walk(
        listing(1200, {400 + position: bad}), page_size=400, prefetch=prefetch
    )
    assert ids == [f"job{i:09d}" for i in range(400 + position)]
    assert pager.stats.jobs == pager.stats.items == len(ids)
    assert isinstance(error, UnexpectedResponseError)
    assert f"$.list[{position}].createdDate" in str(error)
    assert "GET /api/v1/jobs sent a Job that does not fit" in str(error)


async def test_the_walk_stays_ended_after_a_bad_item() -> None:
    async with RawServer(paged(listing(10, {3: "not a job"}))) as server:
        creds = Credentials(ACCESS_KEY, SECRET_KEY)
        async with DataFlowClient(creds, base_url=server.url) as client:
            pager = client.iter_jobs(page_size=5)
            seen = [(await pager.__anext__()).job_id for _ in range(3)]
            with pytest.raises(UnexpectedResponseError, match=r"\$\.list\[3\]"):
                await pager.__anext__()
            with pytest.raises(StopAsyncIteration):
                await pager.__anext__()
            assert seen == ["job000000000", "job000000001", "job000000002"]
            assert len(server.heads) == 1


async def test_bad_item_after_dropped_repeats_is_named_by_its_place_in_the_page() -> None:
    # Page 1 repeats two jobs of page 0 at its front (jobs created meanwhile shifted it);
    # its item at position 4 does not fit.
    def serve(page: int, limit: int) -> list[Any]:
        if page == 0:
            return [job_json(i) for i in range(5)]
        return [job_json(3), job_json(4), job_json(5), job_json(6), {"jobId": "x"}]

    ids, error, pager = await walk(serve, page_size=5)
    assert ids == [f"job{i:09d}" for i in range(7)]
    assert pager.stats.duplicates_dropped == 2 and pager.stats.jobs == 7
    assert isinstance(error, UnexpectedResponseError)
    assert "$.list[4]" in str(error)


async def test_bad_item_within_max_items_after_repeats_keeps_its_place() -> None:
    def serve(page: int, limit: int) -> list[Any]:
        if page == 0:
            return [job_json(i) for i in range(4)]
        return [job_json(2), job_json(3), job_json(4), {"jobId": 5}, job_json(6)]

    ids, error, _ = await walk(serve, page_size=4, max_items=6)
    assert ids == [f"job{i:09d}" for i in range(5)]
    assert isinstance(error, UnexpectedResponseError)
    assert "$.list[3].jobId" in str(error)


async def test_bad_item_past_max_items_is_never_reached() -> None:
    ids, error, _ = await walk(listing(10, {7: None}), page_size=10, max_items=7)
    assert error is None
    assert ids == [f"job{i:09d}" for i in range(7)]


@pytest.mark.parametrize("item", [None, "job", 7, [], {}, {"jobId": None}, {"jobId": 12}])
async def test_items_without_a_string_id_are_never_taken_for_repeats(item: Any) -> None:
    # Two alike bad items in a row: the first must fail, not be kept while the second
    # is dropped as its repeat (nor both dropped).
    ids, error, pager = await walk(listing(6, {2: item, 3: item}), page_size=6)
    assert ids == ["job000000000", "job000000001"]
    assert isinstance(error, UnexpectedResponseError)
    assert "$.list[2]" in str(error)
    assert pager.stats.duplicates_dropped == 0


def test_raw_key_reads_the_wire_name() -> None:
    assert raw_key(Job, "job_id")({"jobId": "a", "job_id": "b"}) == "a"
    key = raw_key(JobExecution, "execution_id")
    assert key({"jobExecutionId": "e1", "executionId": "e2"}) == "e1"
    assert key({"executionId": "e2"}) != key({"executionId": "e2"})


async def test_structures_at_most_a_group_ahead_of_the_consumer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made = 0
    real = structured.items_hook

    def counting(cls: type[Any]) -> Callable[[Any], Any]:
        many = real(cls)

        def count(items: Any) -> Any:
            nonlocal made
            made += len(items)
            return many(items)

        return count

    monkeypatch.setattr(structured, "items_hook", counting)
    async with RawServer(paged(listing(1000))) as server:
        creds = Credentials(ACCESS_KEY, SECRET_KEY)
        async with DataFlowClient(creds, base_url=server.url) as client:
            consumed = 0
            async for _job in client.iter_jobs(page_size=1000):
                consumed += 1
                assert consumed <= made <= consumed - 1 + STRUCTURE_AHEAD
                # Whole groups, never more: the next one starts only when needed.
                assert made == min(1000, -(-consumed // STRUCTURE_AHEAD) * STRUCTURE_AHEAD)
            assert consumed == made == 1000


async def test_executions_walk_names_a_bad_execution(make_client: Any, fake_api: Any) -> None:
    good = {"jobExecutionId": "e1", "jobId": "j1", "status": "RUNNING"}
    body = {"list": [good, {**good, "jobExecutionId": "e2", "status": 3}], "count": 2}
    fake_api.script = [httpx.Response(200, json=body)]
    client = make_client()
    seen: list[str] = []
    with pytest.raises(UnexpectedResponseError, match=r"JobExecution .*\$\.list\[1\]\.status"):
        async for execution in client.executions.iter("j1"):
            seen.append(execution.execution_id)
    assert seen == ["e1"]


@pytest.mark.parametrize("prefetch", [0, 1, 4])
async def test_responses_are_freed_without_the_cyclic_collector(
    monkeypatch: pytest.MonkeyPatch, prefetch: int
) -> None:
    """Each page's response (and its body) is freed as soon as it is decoded: nothing
    ties it into a reference cycle, so a long walk never waits for the cyclic collector
    (walking 1,000,000 jobs peaked at 45 MiB when it did, 19.5 MiB now)."""
    made: list[weakref.ref[httpx.Response]] = []
    init = httpx.Response.__init__

    def recording(self: httpx.Response, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        made.append(weakref.ref(self))

    monkeypatch.setattr(httpx.Response, "__init__", recording)
    async with RawServer(paged(listing(2500))) as server:
        creds = Credentials(ACCESS_KEY, SECRET_KEY)
        async with DataFlowClient(creds, base_url=server.url) as client:
            gc.disable()
            try:
                seen = [
                    job.job_id async for job in client.iter_jobs(page_size=500, prefetch=prefetch)
                ]
                for _ in range(3):  # callbacks the loop has yet to run may hold the last
                    await asyncio.sleep(0)
                alive = [ref() for ref in made if ref() is not None]
            finally:
                gc.enable()
    assert len(seen) == 2500 and len(made) >= 6
    # Only pages requested ahead past the end (page 5, empty, ends the walk) and cancelled
    # then may wait for the collector: a cancelled task's traceback is a cycle of its own.
    assert [str(r.request.url) for r in alive if int(r.request.url.params["page"]) <= 5] == []
    assert len(alive) <= prefetch


async def test_a_group_that_fails_once_but_fits_item_by_item_is_handed_out_whole(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A hook that fails once (say, out of memory) and then works: the retry item by item
    # finds no misfit, so every item comes and the walk goes on.
    real = structured.items_hook
    failures = [MemoryError("once")]

    def flaky(cls: type[Any]) -> Callable[[Any], Any]:
        many = real(cls)

        def once(items: Any) -> Any:
            if failures:
                raise failures.pop()
            return many(items)

        return once

    monkeypatch.setattr(structured, "items_hook", flaky)
    ids, error, pager = await walk(listing(300), page_size=200)
    assert error is None and failures == []
    assert ids == [f"job{i:09d}" for i in range(300)] and pager.stats.jobs == 300


async def test_async_for_and_anext_share_one_walk() -> None:
    async with RawServer(paged(listing(7))) as server:
        creds = Credentials(ACCESS_KEY, SECRET_KEY)
        async with DataFlowClient(creds, base_url=server.url) as client:
            pager = client.iter_jobs(page_size=3)
            first = (await anext(pager)).job_id
            rest = []
            async for job in pager:
                rest.append(job.job_id)
                if len(rest) == 2:
                    break
            after = [job.job_id async for job in pager]
            with pytest.raises(StopAsyncIteration):
                await anext(pager)
    assert [first, *rest, *after] == [f"job{i:09d}" for i in range(7)]
