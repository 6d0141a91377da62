"""Many concurrent walks and calls against a server mixing every hostile behaviour.

Used by ``tests/test_hostile_run.py``, and runnable on its own to print the figures::

    .venv/bin/python -m tests.hostile_run [--seed 9] [--walks 200] [--calls 800]

Each outcome must be a result, a cancellation (some tasks are cancelled at seeded random
moments) or a `DataFlowError` subclass; nothing may be left checked out or running, no
header may reach the origin that redirects point to, and no POST may reach the server
again after an attempt it did not refuse.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
import tracemalloc
from collections import Counter
from typing import Any

import attrs

from dataflow_async import Credentials, DataFlowClient, DataFlowError, RetryPolicy
from tests.hostile import RawServer
from tests.hostile_mix import REFUSED, MixServer

# Fast backoff keeps the run short; the budget is the default one (10 tokens, 0.1 back
# per success), which under this many faults rightly stops most retries.
POLICY = RetryPolicy(max_retries=3, initial_backoff=0.005, max_backoff=0.05)
CREDENTIALS = Credentials("ACCESSKEYEXAMPLE", "SECRETKEYEXAMPLE")


@attrs.frozen
class MixFigures:
    """What one run under the hostile mix did, and what it left behind."""

    requests: int
    faults: dict[str, int]
    outcomes: dict[str, int]
    escaped: list[str]
    peak_bytes: int
    seconds: float
    other_origin_heads: int
    repeated_posts: list[str]
    checked_out: list[str]
    tasks_left: int


@attrs.frozen
class MixSize:
    """How big a run is: tasks, jobs served and the client's limits."""

    walks: int = 30
    calls: int = 90
    jobs: int = 120
    rate: float = 0.35
    cancel_rate: float = 0.15
    timeout: float = 0.5
    max_response_bytes: int = 256 * 1024


def _operations(client: DataFlowClient, rng: random.Random, size: MixSize, n: int) -> Any:
    job_id = f"J{rng.randrange(size.jobs):011d}"
    if n < size.walks:
        pager = client.iter_jobs(page_size=rng.choice([10, 25, 40]), prefetch=rng.choice([0, 1, 4]))

        async def walk() -> int:
            return len([job async for job in pager])

        return walk()
    op = rng.choice(["get", "start", "runs", "delete"])
    if op == "get":
        return client.jobs.get(job_id)
    if op == "start":  # a job id of its own, so that the server can tell calls apart
        return client.executions.start(f"S{n:011d}")
    if op == "runs":
        return client.executions.list(job_id)
    return client.jobs.delete(job_id)


def _outcome(result: Any) -> str:
    if isinstance(result, asyncio.CancelledError):
        return "cancelled"
    if isinstance(result, DataFlowError):
        return type(result).__name__
    if isinstance(result, BaseException):
        return f"ESCAPED {type(result).__name__}: {result}"
    return "result"


async def _cancel_later(task: asyncio.Task[Any], delay: float) -> None:
    await asyncio.sleep(delay)
    task.cancel()


def _repeated_posts(posts: dict[str, list[str]]) -> list[str]:
    """POST paths received again after an attempt that was not refused at the gateway."""
    return [path for path, kinds in posts.items() if any(k not in REFUSED for k in kinds[:-1])]


def _checked_out(client: DataFlowClient) -> list[str]:
    pool = client.http_client._transport._pool  # type: ignore[attr-defined]
    states = [repr(c).split(", ")[2] for c in pool.connections]
    return [f"{len(pool._requests)} waiting"] * bool(pool._requests) + [
        s for s in states if s == "ACTIVE"
    ]


async def run_mix(seed: int, size: MixSize, *, overall: float = 60.0) -> MixFigures:
    """Run ``size.walks + size.calls`` tasks against a `MixServer` seeded with ``seed``."""
    rng = random.Random(seed)
    tracemalloc.start()
    started = time.perf_counter()
    async with RawServer(_nothing) as other:
        server = MixServer(
            seed=seed,
            rate=size.rate,
            jobs=size.jobs,
            other_origin=other.url,
            oversize=4 * size.max_response_bytes,
        )
        async with server:
            client = DataFlowClient(
                CREDENTIALS,
                base_url=server.url,
                timeout=size.timeout,
                retry=POLICY,
                max_response_bytes=size.max_response_bytes,
            )
            async with client:
                tasks = [
                    asyncio.create_task(_operations(client, rng, size, n))
                    for n in range(size.walks + size.calls)
                ]
                cancellers = [
                    asyncio.create_task(_cancel_later(task, rng.uniform(0, 1.0)))
                    for task in tasks
                    if rng.random() < size.cancel_rate
                ]
                async with asyncio.timeout(overall):
                    results = await asyncio.gather(*tasks, return_exceptions=True)
                    await asyncio.gather(*cancellers)
                checked_out = _checked_out(client)
        seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    outcomes = Counter(_outcome(r) for r in results)
    return MixFigures(
        requests=len(server.heads),
        faults=dict(server.faults),
        outcomes=dict(outcomes),
        escaped=[o for o in outcomes if o.startswith("ESCAPED")],
        peak_bytes=peak,
        seconds=seconds,
        other_origin_heads=len(other.heads),
        repeated_posts=_repeated_posts(server.posts),
        checked_out=checked_out,
        tasks_left=len(asyncio.all_tasks() - {asyncio.current_task()}),
    )


async def _nothing(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: bytes) -> None:
    writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")


def _show(fig: MixFigures, command: str) -> None:
    def listing(counts: dict[str, int]) -> str:
        return ", ".join(f"{k} {v}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1]))

    print(f"command: {command}")
    print(f"requests served: {fig.requests}; faults by kind: {listing(fig.faults)}")
    print(f"outcomes: {listing(fig.outcomes)}")
    print(
        f"peak traced memory: {fig.peak_bytes / 2**20:.1f} MiB; wall time: {fig.seconds:.1f} s; "
        f"headers at the other origin: {fig.other_origin_heads}; repeated POSTs: "
        f"{len(fig.repeated_posts)}; checked out at the end: {len(fig.checked_out)}; "
        f"tasks left: {fig.tasks_left}; escaped: {fig.escaped or 0}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Walks and calls under a hostile mix.")
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--walks", type=int, default=150)
    parser.add_argument("--calls", type=int, default=450)
    parser.add_argument("--jobs", type=int, default=600)
    parser.add_argument("--rate", type=float, default=0.35)
    parser.add_argument("--timeout", type=float, default=2.0)
    args = parser.parse_args(argv)
    size = MixSize(
        walks=args.walks, calls=args.calls, jobs=args.jobs, rate=args.rate, timeout=args.timeout
    )
    fig = asyncio.run(run_mix(args.seed, size, overall=300))
    command = (
        f"python -m tests.hostile_run --seed {args.seed} --walks {args.walks} "
        f"--calls {args.calls} --jobs {args.jobs} --rate {args.rate} --timeout {args.timeout}"
    )
    _show(fig, command)


if __name__ == "__main__":
    main()
