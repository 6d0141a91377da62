"""Walking listings: typed iterators against hand-written baselines, in one run.

The emulator serves from a separate process (client and server do not share a core).
Every case runs its variants in interleaved rounds (the order rotating each round), so
that a noisy machine slows every variant alike, and reports the minimum and the median of
each, the ratios of the minimums to the baselines, and the cost per item:

- jobs: raw (httpx + manual signing + json.loads + dicts), naive (the same loop with a
  default cattrs.Converter and a frozen attrs class with the same keys), iter_jobs
  (prefetch 1, 0 and 4)
- jobs in memory: decoding and structuring the same pages without HTTP (json.loads +
  dicts / + default cattrs / the library's decoder and structure_page): per-item cost;
  the same with dates without offset (``2023-10-20T13:45:15.000``, as the first API docs
  show them), which the library reads as KST
- job executions (100,000 of one job): ``client.executions.iter(job_id)`` against its raw
  and naive loops over HTTP, and the same decoding and structuring in memory
- 50 ms of latency per page: raw sequential against iter_jobs (prefetch 1, 0, 4)
- peak memory walking 10,000 and 1,000,000 jobs (each in a fresh process)
- signing one request

After each walk of the library, a check finds no connection checked out and no task left.

Run: ``make bench`` or ``.venv/bin/python benchmarks/bench_jobs.py [--rounds N] [--quick]``.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import statistics
import subprocess
import sys
import time
import timeit
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import attrs
import cattrs
import httpx
from _bench_data import encode_pages, make_executions, without_offsets

import dataflow_async.emulator as emulator_api
from dataflow_async import Credentials, DataFlowClient, NcpSignatureAuth
from dataflow_async._converter import paused_gc, structure_page
from dataflow_async._json import loads
from dataflow_async.types import Job, JobExecution

ACCESS_KEY = "BENCHACCESSKEY"
SECRET_KEY = "BENCHSECRETKEY"
PAGE = 1000
RAW, NAIVE_NAME = "raw dicts (baseline)", "naive typed (cattrs default)"

SERVER = f"""
import sys
from dataflow_async.emulator import EmulatorApp, FaultPlan, Latency, make_jobs, serve_forever
jobs, latency = int(sys.argv[1]), float(sys.argv[2])
faults = FaultPlan(rate=1.0, faults=[Latency(latency)]) if latency else None
keys = {{{ACCESS_KEY!r}: {SECRET_KEY!r}}}
app = EmulatorApp(make_jobs(jobs, seed=1), credentials=keys, faults=faults)
serve_forever(app, port=0, ready=lambda url: print(url, flush=True))
"""


@contextmanager
def emulator(jobs: int, latency: float = 0.0, script: str = SERVER) -> Iterator[str]:
    """Serve ``jobs`` jobs (or what ``script`` serves) from a separate process; yields
    its URL."""
    proc = subprocess.Popen(
        [sys.executable, "-c", script, str(jobs), str(latency)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL if script is not SERVER else None,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        if not url.startswith("http"):
            raise RuntimeError("the emulator did not start")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


# -- rounds and reports -------------------------------------------------------

Variant = tuple[str, Callable[[], int]]


Times = dict[str, tuple[list[float], list[float]]]


def run_rounds(chosen: list[Variant], expected: int, rounds: int) -> Times:
    """Wall and CPU seconds (this process) per run of each variant, interleaved, the
    order rotating every round."""
    times: Times = {name: ([], []) for name, _ in chosen}
    for round_ in range(rounds):
        shift = round_ % len(chosen)
        for name, run in chosen[shift:] + chosen[:shift]:
            wall, cpu = time.perf_counter(), time.process_time()
            seen = run()
            times[name][0].append(time.perf_counter() - wall)
            times[name][1].append(time.process_time() - cpu)
            if seen != expected:
                raise RuntimeError(f"{name} saw {seen} items, expected {expected}")
    return times


def report(title: str, times: Times, items: int, baselines: list[str]) -> None:
    """Minimum and median wall time, the client process's minimum CPU time (steadier on a
    busy machine), per-item cost and the ratios of the minimums (wall / CPU)."""
    rounds = len(next(iter(times.values()))[0])
    print(f"\n{title} ({rounds} interleaved rounds; ratios of the minimums, wall/cpu)")
    heads = "".join(f" {'x ' + b.split()[0]:>11}" for b in baselines)
    print(f"  {'variant':30} {'min':>9} {'median':>9} {'cpu min':>9} {'per item':>9}{heads}")
    wall = {name: min(values[0]) for name, values in times.items()}
    cpu = {name: min(values[1]) for name, values in times.items()}
    for name, (walls, _) in times.items():
        ratios = "".join(
            f" {wall[name] / wall[b]:>5.2f}/{cpu[name] / cpu[b]:<5.2f}" for b in baselines
        )
        print(
            f"  {name:30} {wall[name] * 1e3:>7.1f}ms {statistics.median(walls) * 1e3:>7.1f}ms"
            f" {cpu[name] * 1e3:>7.1f}ms {wall[name] / items * 1e9:>7.0f}ns{ratios}"
        )


# -- jobs over HTTP -----------------------------------------------------------


def manual_headers(raw_path: bytes) -> dict[str, str]:
    timestamp = str(int(time.time() * 1000))
    message = b"GET " + raw_path + b"\n" + timestamp.encode() + b"\n" + ACCESS_KEY.encode()
    digest = hmac.new(SECRET_KEY.encode(), message, hashlib.sha256).digest()
    return {
        "x-ncp-apigw-timestamp": timestamp,
        "x-ncp-iam-access-key": ACCESS_KEY,
        "x-ncp-apigw-signature-v2": base64.b64encode(digest).decode(),
    }


@attrs.frozen
class NaiveJob:
    jobId: str
    name: str
    type: str
    status: str
    createdDate: datetime
    updatedDate: datetime
    resourceId: str
    disabled: bool
    lastExecutionStatus: str | None = None
    lastExecutionDate: datetime | None = None
    maxConcurrentRuns: int | None = None


@attrs.frozen
class NaiveCondition:
    workerType: str | None = None
    numWorker: int | None = None
    timeout: int | None = None
    nrn: str | None = None
    scriptPath: str | None = None
    logPath: str | None = None


@attrs.frozen
class NaiveExecution:
    jobExecutionId: str
    jobId: str
    status: str
    jobCondition: NaiveCondition | None = None
    createdDate: datetime | None = None
    startDate: datetime | None = None
    endDate: datetime | None = None
    jobName: str | None = None
    triggerId: str | None = None
    triggerName: str | None = None
    type: str | None = None
    waitingTime: float | None = None
    runningTime: float | None = None
    executorNum: int | None = None
    parsedParameters: dict[str, Any] | None = None


NAIVE = cattrs.Converter()
NAIVE.register_structure_hook(datetime, lambda value, _: datetime.fromisoformat(value))


async def walk_raw(url: str, path: str, typed: type[Any] | None) -> int:
    seen = 0
    async with httpx.AsyncClient() as http:
        page = 0
        while True:
            request = http.build_request("GET", url + path, params={"page": page, "limit": PAGE})
            request.headers.update(manual_headers(request.url.raw_path))
            response = await http.send(request)
            response.raise_for_status()
            items = json.loads(response.content)["list"]
            for item in items:
                seen += (NAIVE.structure(item, typed) if typed else item) is not None
            if len(items) < PAGE:
                return seen
            page += 1


async def walk_client(url: str, prefetch: int | None) -> int:
    seen = 0
    async with DataFlowClient(Credentials(ACCESS_KEY, SECRET_KEY), base_url=url) as client:
        jobs = client.iter_jobs() if prefetch is None else client.iter_jobs(prefetch=prefetch)
        async for job in jobs:
            seen += job.job_id is not None
        check_nothing_left(client)
    return seen


def check_nothing_left(client: DataFlowClient) -> None:
    """After a walk: no connection checked out of the pool, no request queued in it, no
    task left running. ``RuntimeError`` otherwise (the benchmark stops)."""
    pool = client.http_client._transport._pool  # type: ignore[attr-defined]
    held = [c for c in pool.connections if not (c.is_idle() or c.is_closed())]
    tasks = asyncio.all_tasks() - {asyncio.current_task()}
    if held or pool._requests or tasks:
        raise RuntimeError(f"left after the walk: {held} {pool._requests} {tasks}")


def job_variants(url: str, prefetches: tuple[int, ...], naive: bool = True) -> list[Variant]:
    path = "/api/v1/jobs"
    found: list[Variant] = [(RAW, lambda: asyncio.run(walk_raw(url, path, None)))]
    if naive:
        found.append((NAIVE_NAME, lambda: asyncio.run(walk_raw(url, path, NaiveJob))))
    found.append(("iter_jobs (defaults)", lambda: asyncio.run(walk_client(url, None))))
    for n in prefetches:
        found.append((f"iter_jobs(prefetch={n})", lambda n=n: asyncio.run(walk_client(url, n))))
    return found


# -- job executions -----------------------------------------------------------


def structure_offline(pages: list[bytes], how: str, model: type[Any], naive: type[Any]) -> int:
    """Decode and structure every page in memory, as a walk does once the bytes arrive:
    ``raw`` (json.loads, dicts), ``naive`` (json.loads, default cattrs) or ``library``
    (the client's decoder and structure_page, the GC paused per page as the client does)."""
    seen = 0
    for number, raw in enumerate(pages):
        if how == "library":
            with paused_gc():
                body = loads(raw)
                page = structure_page(model, body, page=number, limit=PAGE, where="GET")
            seen += len(page.items)
        else:
            for item in json.loads(raw)["list"]:
                seen += (NAIVE.structure(item, naive) if how == "naive" else item) is not None
    return seen


def in_memory_variants(pages: list[bytes], model: type[Any], naive: type[Any]) -> list[Variant]:
    return [
        (RAW, lambda: structure_offline(pages, "raw", model, naive)),
        (NAIVE_NAME, lambda: structure_offline(pages, "naive", model, naive)),
        (
            f"structure_page({model.__name__})",
            lambda: structure_offline(pages, "library", model, naive),
        ),
    ]


EXECUTIONS_SERVER = f"""
import sys
from random import Random
from dataflow_async.emulator import EmulatorApp, make_jobs, serve_forever
from dataflow_async.emulator._lifecycle import Execution, ExecutionStore
n = int(sys.argv[1])
jobs = make_jobs(1, seed=1)
job = jobs[0]
app = EmulatorApp(jobs, credentials={{{ACCESS_KEY!r}: {SECRET_KEY!r}}})
rng = Random(1)
for i in range(n):
    app.executions.add(
        job["jobId"],
        job_name=job["name"],
        created=1_780_000_000.0 - 60 * i,
        outcome="FAILED" if i % 5 == 0 else "COMPLETED",
        ready=rng.choice([0.0, 30.0, 75.0]),
        running=rng.uniform(60.0, 3600.0),
        condition={{"workerType": "DEFAULT", "numWorker": 2, "timeout": 360}} if i % 4 else None,
        parameters={{"day": str(i % 28)}} if i % 3 == 0 else None,
    )
# Every execution above has ended, so its rendering never changes. The emulator sorts a
# job's executions and renders them anew for each request (about 0.1 s per page at
# 100,000): cached here, so that the server costs about what it costs for jobs.
ordered = {{}}
of_job = ExecutionStore.of_job
ExecutionStore.of_job = lambda self, job_id: ordered.get(job_id) or ordered.setdefault(
    job_id, of_job(self, job_id)
)
rendered = {{}}
render = Execution.render
Execution.render = lambda self, now: rendered.get(self.execution_id) or rendered.setdefault(
    self.execution_id, render(self, now)
)
serve_forever(app, port=0, ready=lambda url: print(url, flush=True))
"""


async def walk_executions(url: str, job_id: str) -> int:
    seen = 0
    async with DataFlowClient(Credentials(ACCESS_KEY, SECRET_KEY), base_url=url) as client:
        async for execution in client.executions.iter(job_id):
            seen += execution.execution_id is not None
        check_nothing_left(client)
    return seen


def execution_variants(url: str, job_id: str) -> list[Variant]:
    """``client.executions.iter`` against its raw and naive loops, over HTTP."""
    path = f"/api/v1/jobs/{job_id}/executions"
    return [
        (RAW, lambda: asyncio.run(walk_raw(url, path, None))),
        (NAIVE_NAME, lambda: asyncio.run(walk_raw(url, path, NaiveExecution))),
        ("executions.iter", lambda: asyncio.run(walk_executions(url, job_id))),
    ]


# -- memory -------------------------------------------------------------------

MEMORY_PROBE = f"""
import asyncio, sys, tracemalloc
from dataflow_async import Credentials, DataFlowClient
async def main(url):
    n = 0
    async with DataFlowClient(Credentials({ACCESS_KEY!r}, {SECRET_KEY!r}), base_url=url) as client:
        async for job in client.iter_jobs():
            n += 1
    return n
tracemalloc.start()
n = asyncio.run(main(sys.argv[1]))
print(n, tracemalloc.get_traced_memory()[1])
"""


def peak_memory(jobs: int) -> tuple[int, float]:
    """(jobs seen, peak MiB allocated by Python during the walk) in a fresh process."""
    with emulator(jobs) as url:
        out = subprocess.run(
            [sys.executable, "-c", MEMORY_PROBE, url], capture_output=True, text=True, check=True
        ).stdout.split()
    seen, peak = (int(x) for x in out)
    return seen, peak / 2**20


# -- signing ------------------------------------------------------------------


def signing_cost(number: int) -> float:
    """Microseconds to sign one request (best of 5 runs of ``number``)."""
    auth = NcpSignatureAuth(Credentials(ACCESS_KEY, SECRET_KEY))
    request = httpx.Request(
        "GET", "https://dataflow.apigw.ntruss.com/api/v1/jobs", params={"page": 3, "limit": 1000}
    )
    best = min(timeit.repeat(lambda: auth.sign(request), number=number, repeat=5))
    return best / number * 1e6


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one round (smoke run)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default 5)")
    args = parser.parse_args(argv)
    jobs, slow_jobs, small, big, rounds = 100_000, 20_000, 10_000, 1_000_000, args.rounds
    if args.quick:
        jobs, slow_jobs, small, big, rounds = 2_000, 1_000, 1_000, 2_000, 1

    print(f"python {sys.version.split()[0]}, httpx {httpx.__version__}, json: {loads.__module__}")
    print(f"signing one request: {signing_cost(200 if args.quick else 20_000):.2f} us")

    with emulator(jobs) as url:
        times = run_rounds(job_variants(url, (0, 4)), jobs, rounds)
    report(f"{jobs:,} jobs, pages of {PAGE}", times, jobs, [RAW, NAIVE_NAME])

    pages = encode_pages(emulator_api.make_jobs(jobs, seed=1), PAGE)
    chosen = in_memory_variants(pages, Job, NaiveJob)
    title = f"{jobs:,} jobs, pages of {PAGE}, decoded and structured in memory"
    report(title, run_rounds(chosen, jobs, rounds), jobs, [RAW, NAIVE_NAME])

    pages = encode_pages(without_offsets(emulator_api.make_jobs(jobs, seed=1)), PAGE)
    chosen = in_memory_variants(pages, Job, NaiveJob)
    title = f"{jobs:,} jobs, dates without offset, decoded and structured in memory"
    report(title, run_rounds(chosen, jobs, rounds), jobs, [RAW, NAIVE_NAME])

    job_id = emulator_api.make_jobs(1, seed=1)[0]["jobId"]
    with emulator(jobs, script=EXECUTIONS_SERVER) as url:
        times = run_rounds(execution_variants(url, job_id), jobs, rounds)
    report(f"{jobs:,} job executions of one job, pages of {PAGE}", times, jobs, [RAW, NAIVE_NAME])

    pages = encode_pages(make_executions(jobs), PAGE)
    chosen = in_memory_variants(pages, JobExecution, NaiveExecution)
    title = f"{jobs:,} job executions, pages of {PAGE}, decoded and structured in memory"
    report(title, run_rounds(chosen, jobs, rounds), jobs, [RAW, NAIVE_NAME])

    with emulator(slow_jobs, latency=0.05) as url:
        chosen = job_variants(url, (0, 4), naive=False)
        times = run_rounds(chosen, slow_jobs, rounds)
    report(f"{slow_jobs:,} jobs, 50 ms per page", times, slow_jobs, [RAW])

    small_seen, small_peak = peak_memory(small)
    big_seen, big_peak = peak_memory(big)
    print(f"\npeak memory walking {small_seen:,} jobs: {small_peak:.1f} MiB (tracemalloc)")
    print(f"peak memory walking {big_seen:,} jobs: {big_peak:.1f} MiB", end=" ")
    print(f"(+{big_peak - small_peak:.1f} MiB)")


if __name__ == "__main__":
    main()
