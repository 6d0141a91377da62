"""Where the time of a walk goes: per-page costs of each layer, measured apart.

Run: ``.venv/bin/python benchmarks/profile_walk.py [--jobs N] [--rounds N]``. Starts the
emulator in a separate process (see bench_jobs.py) and prints, per page of 1,000 jobs,
the minimum over interleaved rounds of:

- whole walks: the raw loop, iter_jobs as shipped, with the GC off
- decoding a page (orjson, json) and structuring it whole, as `iter_job_pages` does
  (GC paused or not)
- the paginator alone (a fetch that returns a ready page: tasks, prefetch, de-duplication,
  the per-item async iterator), for prefetch 0, 1 and 4
- sending one small GET through the client's cancel-safe path (a task, a shield, the
  trace hook, the pool check) against ``http_client.send`` directly, and through an httpx
  client of its own (httpx's default network backend, anyio)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).parent))
import bench_jobs as bench

from dataflow_async import Credentials, DataFlowClient
from dataflow_async._cancel_safe import send as cancel_safe_send
from dataflow_async._converter import paused_gc, structure_jobs
from dataflow_async._json import loads
from dataflow_async._pagination import WalkStats, walk_jobs
from dataflow_async.types import JobPage


def best(run: Callable[[], Any], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


async def walk(url: str, *, gc_off: bool = False) -> int:
    if gc_off:
        gc.disable()
    try:
        return await bench.walk_client(url, None)
    finally:
        gc.enable()


async def pages_of(url: str, n: int) -> list[bytes]:
    async with httpx.AsyncClient() as http:
        found = []
        for page in range(n // bench.PAGE):
            request = http.build_request(
                "GET", f"{url}/api/v1/jobs", params={"page": page, "limit": bench.PAGE}
            )
            request.headers.update(bench.manual_headers(request.url.raw_path))
            found.append((await http.send(request)).content)
        return found


async def paginate(pages: list[JobPage], prefetch: int) -> int:
    async def fetch(
        number: int, limit: int, on_sent: Any, /, *, speculative: bool = False
    ) -> Callable[[], JobPage]:
        if on_sent is not None:
            on_sent()
        page = pages[number] if number < len(pages) else JobPage((), 0, number, limit)
        return lambda: page

    stats = WalkStats()
    seen = 0
    batches = walk_jobs(fetch, page_size=bench.PAGE, max_items=None, prefetch=prefetch, stats=stats)
    from dataflow_async._pagination import AsyncPager

    async for _job in AsyncPager(batches, stats):
        seen += 1
    return seen


async def requests(url: str, n: int, safe: bool, anyio: bool = False) -> None:
    async with DataFlowClient(
        Credentials(bench.ACCESS_KEY, bench.SECRET_KEY),
        base_url=url,
        http_client=httpx.AsyncClient() if anyio else None,
    ) as client:
        http = client.http_client
        pool = http._transport._pool  # type: ignore[attr-defined]
        for _ in range(n):
            request = http.build_request("GET", f"{url}/api/v1/jobs", params={"limit": 1})
            if safe:
                await cancel_safe_send(
                    http,
                    request,
                    auth=client._requester.auth,
                    pool=pool,
                    max_bytes=client.max_response_bytes,
                )
            else:
                await http.send(request, auth=client._requester.auth)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=200, help="small GETs per round")
    args = parser.parse_args()
    n, rounds = args.jobs, args.rounds
    per_page = bench.PAGE / n * 1e3  # seconds per walk -> ms per page
    with bench.emulator(n) as url:
        walks = {
            "raw loop": lambda: asyncio.run(bench.walk_raw(url, "/api/v1/jobs", None)),
            "iter_jobs as shipped": lambda: asyncio.run(walk(url)),
            "iter_jobs, GC off": lambda: asyncio.run(walk(url, gc_off=True)),
        }
        times: dict[str, list[float]] = {k: [] for k in walks}
        for _ in range(rounds):
            for name, run in walks.items():
                times[name].append(best(run, 1))
        print(f"whole walks of {n:,} jobs (ms per page of {bench.PAGE}, min of {rounds})")
        for name, values in times.items():
            print(f"  {name:32} {min(values) * per_page:7.3f}")
        raw_pages = asyncio.run(pages_of(url, n))
        small = args.requests
        safe = best(lambda: asyncio.run(requests(url, small, True)), rounds) / small
        plain = best(lambda: asyncio.run(requests(url, small, False)), rounds) / small
        anyio = best(lambda: asyncio.run(requests(url, small, False, True)), rounds) / small
    bodies = [loads(p) for p in raw_pages]
    print("per page:")
    count = len(raw_pages)
    show = "  {:32} {:7.3f}".format
    print(show("orjson decode", best(lambda: [loads(p) for p in raw_pages], rounds) / count * 1e3))
    print(
        show("json decode", best(lambda: [json.loads(p) for p in raw_pages], rounds) / count * 1e3)
    )

    def structure_all(pause: bool) -> None:
        kept = []
        for body in bodies:
            with paused_gc() if pause else contextlib.nullcontext():
                kept.append(structure_jobs(body["list"]))

    for pause in (True, False):
        cost = best(lambda pause=pause: structure_all(pause), rounds) / count  # type: ignore[misc]
        print(show(f"structure, GC {'paused' if pause else 'on'}", cost * 1e3))
    prepared = [
        JobPage(structure_jobs(b["list"]), b["count"], b["page"], b["limit"]) for b in bodies
    ]
    for prefetch in (0, 1, 4):
        run = lambda prefetch=prefetch: asyncio.run(paginate(prepared, prefetch))  # noqa: E731
        print(show(f"paginator, prefetch={prefetch}", best(run, rounds) / count * 1e3))
    print(f"  {'GET via cancel-safe send':32} {safe * 1e3:7.3f}")
    print(f"  {'GET via http_client.send':32} {plain * 1e3:7.3f}")
    print(f"  {'the same, httpx default backend':32} {anyio * 1e3:7.3f}")


if __name__ == "__main__":
    main()
