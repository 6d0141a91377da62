"""Walking job listings: typed iter_jobs against hand-written baselines.

Starts the emulator in a separate process (so client and server do not share a
core) and prints medians of interleaved rounds, with ratios to the baselines:

- raw:    httpx + manual signing + json.loads + dicts, sequential pages
- naive:  the same loop, each dict structured by a default cattrs.Converter into a
          frozen attrs class (what a user would write with the same libraries)
- iter_jobs with default settings (prefetch=1), with prefetch=0 and prefetch=4
- the same under 50 ms of latency per page
- peak memory of walking 10,000 and 1,000,000 jobs (each in its own process)
- the cost of signing one request

Run: ``make bench`` or ``.venv/bin/python benchmarks/bench_jobs.py [--quick]``.
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
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

import attrs
import cattrs
import httpx

from dataflow_async import Credentials, DataFlowClient, NcpSignatureAuth

ACCESS_KEY = "BENCHACCESSKEY"
SECRET_KEY = "BENCHSECRETKEY"
PAGE = 1000

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
def emulator(jobs: int, latency: float = 0.0) -> Iterator[str]:
    """Serve ``jobs`` jobs from a separate process; yields its URL."""
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(jobs), str(latency)],
        stdout=subprocess.PIPE,
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


# -- the baselines ------------------------------------------------------------


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


NAIVE = cattrs.Converter()
NAIVE.register_structure_hook(datetime, lambda value, _: datetime.fromisoformat(value))


async def walk_raw(url: str, typed: bool) -> int:
    seen = 0
    async with httpx.AsyncClient() as http:
        page = 0
        while True:
            request = http.build_request(
                "GET", f"{url}/api/v1/jobs", params={"page": page, "limit": PAGE}
            )
            request.headers.update(manual_headers(request.url.raw_path))
            response = await http.send(request)
            response.raise_for_status()
            items = json.loads(response.content)["list"]
            for item in items:
                job_id = NAIVE.structure(item, NaiveJob).jobId if typed else item["jobId"]
                seen += job_id is not None
            if len(items) < PAGE:
                return seen
            page += 1


async def walk_client(url: str, prefetch: int | None) -> int:
    seen = 0
    credentials = Credentials(ACCESS_KEY, SECRET_KEY)
    async with DataFlowClient(credentials, base_url=url) as client:
        jobs = client.iter_jobs() if prefetch is None else client.iter_jobs(prefetch=prefetch)
        async for job in jobs:
            seen += job.job_id is not None
    return seen


Variant = tuple[str, Callable[[str], Awaitable[int]]]


def variants(with_prefetch: tuple[int, ...]) -> list[Variant]:
    found: list[Variant] = [
        ("raw dicts (baseline)", lambda url: walk_raw(url, typed=False)),
        ("naive typed (cattrs default)", lambda url: walk_raw(url, typed=True)),
        ("iter_jobs (defaults)", lambda url: walk_client(url, None)),
    ]
    for n in with_prefetch:
        found.append((f"iter_jobs(prefetch={n})", lambda url, n=n: walk_client(url, n)))
    return found


def run_rounds(url: str, expected: int, chosen: list[Variant], rounds: int) -> dict[str, float]:
    times: dict[str, list[float]] = {name: [] for name, _ in chosen}
    for _ in range(rounds):
        for name, walk in chosen:  # interleaved, so drift hits every variant alike
            started = time.perf_counter()
            seen = asyncio.run(walk(url))
            times[name].append(time.perf_counter() - started)
            if seen != expected:
                raise RuntimeError(f"{name} saw {seen} jobs, expected {expected}")
    return {name: statistics.median(values) for name, values in times.items()}


def report(title: str, medians: dict[str, float], baselines: tuple[str, ...]) -> None:
    print(f"\n{title}")
    header = f"  {'variant':34} {'median':>10}" + "".join(
        f" {'x ' + b.split()[0]:>10}" for b in baselines
    )
    print(header)
    for name, value in medians.items():
        ratios = "".join(f" {value / medians[b]:>10.2f}" for b in baselines)
        print(f"  {name:34} {value * 1000:>8.1f}ms{ratios}")


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


# -- how long a request task takes to leave ----------------------------------


async def iterations_until_sent(url: str, warm: bool) -> int:
    """Event-loop iterations a new request task needs before its bytes are written."""
    sent = asyncio.Event()

    async def trace(event: str, info: object) -> None:
        if event.endswith("send_request_body.complete"):
            sent.set()

    async with httpx.AsyncClient() as http:
        if warm:  # an idle keep-alive connection is waiting in the pool
            await http.get(f"{url}/api/v1/jobs")
        request = http.build_request("GET", f"{url}/api/v1/jobs", extensions={"trace": trace})
        request.headers.update(manual_headers(request.url.raw_path))
        task = asyncio.create_task(http.send(request))
        iterations = 0
        while not sent.is_set():
            await asyncio.sleep(0)
            iterations += 1
        await task
    return iterations


# -- signing ------------------------------------------------------------------


def signing_cost() -> float:
    auth = NcpSignatureAuth(Credentials(ACCESS_KEY, SECRET_KEY))
    request = httpx.Request(
        "GET", "https://dataflow.apigw.ntruss.com/api/v1/jobs", params={"page": 3, "limit": 1000}
    )
    number = 20000
    best = min(timeit.repeat(lambda: auth.sign(request), number=number, repeat=5))
    return best / number * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer jobs and rounds (smoke run)")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    jobs, slow_jobs, big = (100_000, 20_000, 1_000_000)
    rounds = args.rounds
    if args.quick:
        jobs, slow_jobs, big, rounds = 10_000, 2_000, 50_000, 1

    print(f"python {sys.version.split()[0]}, httpx {httpx.__version__}")
    print(f"signing one request: {signing_cost():.2f} us")

    with emulator(jobs) as url:
        cold = asyncio.run(iterations_until_sent(url, warm=False))
        warm = asyncio.run(iterations_until_sent(url, warm=True))
        print(
            f"loop iterations before a new request task's bytes leave: {warm} "
            f"(idle connection in the pool), {cold} (new connection)"
        )
        medians = run_rounds(url, jobs, variants((0, 4)), rounds)
    report(
        f"{jobs:,} jobs, pages of {PAGE}, no added latency (median of {rounds})",
        medians,
        ("raw dicts (baseline)", "naive typed (cattrs default)"),
    )

    with emulator(slow_jobs, latency=0.05) as url:
        chosen = [v for v in variants((0, 4)) if not v[0].startswith("naive")]
        medians = run_rounds(url, slow_jobs, chosen, max(1, rounds // 2))
    report(f"{slow_jobs:,} jobs, 50 ms per page", medians, ("raw dicts (baseline)",))

    small_seen, small = peak_memory(10_000)
    big_seen, large = peak_memory(big)
    print(f"\npeak memory walking {small_seen:,} jobs: {small:.1f} MiB (tracemalloc)")
    print(f"peak memory walking {big_seen:,} jobs: {large:.1f} MiB (+{large - small:.1f} MiB)")


if __name__ == "__main__":
    main()
