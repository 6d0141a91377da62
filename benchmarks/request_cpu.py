"""The client CPU of one small GET, one layer of the stack added at a time.

Run: ``.venv/bin/python benchmarks/request_cpu.py [--requests N] [--rounds N]``. Against
the emulator in a separate process, each variant sends ``N`` GETs of a one-job page on one
connection, one after another, and the CPU time of this process is divided by ``N``
(waiting for the server costs no CPU); variants alternate over the rounds, and the minimum
and the median are shown:

- h11 alone over an asyncio stream (the HTTP/1.1 parser every layer above uses);
- httpcore's connection pool on the library's network backend;
- ``http_client.send``: httpx's client and transport over that pool (the library signs);
- ``client.jobs.list(limit=1)``: the whole library (retries, timeouts, the cancel-safe
  send, decoding and structuring the page).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import urlsplit

import h11
import httpcore
from bench_jobs import ACCESS_KEY, SECRET_KEY, emulator, manual_headers

from dataflow_async import Credentials, DataFlowClient
from dataflow_async._network import AsyncioBackend

PATH = "/api/v1/jobs?limit=1"
Variant = Callable[[str, int], Coroutine[Any, Any, None]]


async def with_h11(url: str, n: int) -> None:
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    connection = h11.Connection(h11.CLIENT)
    for _ in range(n):
        headers = [("host", parts.netloc), *manual_headers(PATH.encode()).items()]
        request = h11.Request(method="GET", target=PATH, headers=headers)
        writer.write(connection.send(request) + connection.send(h11.EndOfMessage()))
        while not isinstance(event := connection.next_event(), h11.EndOfMessage):
            if event is h11.NEED_DATA:
                connection.receive_data(await reader.read(65536))
        connection.start_next_cycle()
    writer.close()
    await writer.wait_closed()


async def with_httpcore(url: str, n: int) -> None:
    async with httpcore.AsyncConnectionPool(network_backend=AsyncioBackend()) as pool:
        for _ in range(n):
            headers = list(manual_headers(PATH.encode()).items())
            await pool.request("GET", url + PATH, headers=headers)


async def with_httpx(url: str, n: int) -> None:
    async with DataFlowClient(Credentials(ACCESS_KEY, SECRET_KEY), base_url=url) as client:
        http, auth = client.http_client, client._requester.auth
        for _ in range(n):
            await http.send(http.build_request("GET", url + PATH), auth=auth)


async def with_library(url: str, n: int) -> None:
    async with DataFlowClient(Credentials(ACCESS_KEY, SECRET_KEY), base_url=url) as client:
        for _ in range(n):
            await client.jobs.list(limit=1)


VARIANTS: dict[str, Variant] = {
    "h11 over an asyncio stream": with_h11,
    "+ httpcore's pool": with_httpcore,
    "+ httpx (http_client.send)": with_httpx,
    "+ the library (jobs.list)": with_library,
}


def cpu_per_request(run: Variant, url: str, n: int) -> float:
    asyncio.run(run(url, 20))  # warm up: imports, generated hooks, caches
    started = time.process_time()
    asyncio.run(run(url, n))
    return (time.process_time() - started) / n


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    found: dict[str, list[float]] = {name: [] for name in VARIANTS}
    with emulator(10) as url:
        for round_ in range(args.rounds):
            names = list(VARIANTS)
            shift = round_ % len(names)
            for name in names[shift:] + names[:shift]:
                found[name].append(cpu_per_request(VARIANTS[name], url, args.requests))
    print(f"client CPU per small GET ({args.requests} GETs, {args.rounds} rounds)")
    print(f"  {'stack':30} {'min':>9} {'median':>9}")
    for name, values in found.items():
        low, middle = min(values) * 1e6, statistics.median(values) * 1e6
        print(f"  {name:30} {low:7.0f}us {middle:7.0f}us")


if __name__ == "__main__":
    main()
