"""Two revisions of the library side by side: CPU and wall time of whole walks.

A change worth a few per cent of a walk is smaller than what one machine drifts by over
a minute, and a process that has walked before walks differently (its heap, its caches).
So each walk runs in a fresh process, the two revisions alternate (``A B``, then
``B A``), and each process walks ``--walks`` times and reports all but its first (which
imports and warms up). The emulator serves 100,000 jobs from a process of its own.

Run: ``.venv/bin/python benchmarks/ab_walks.py REV_A REV_B [--rounds N] [--walks N]``.
A revision is anything ``git archive`` takes (``HEAD``, ``HEAD~2``, a commit), or
``.`` for the working tree; the figures are the minimum and the median of each.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_jobs import ACCESS_KEY, SECRET_KEY, emulator

ROOT = Path(__file__).resolve().parent.parent

CHILD = f"""
import asyncio, json, sys, time
sys.path.insert(0, sys.argv[1])
import dataflow_async
from dataflow_async import Credentials, DataFlowClient
assert dataflow_async.__file__.startswith(sys.argv[1]), dataflow_async.__file__

async def walk(url):
    seen = 0
    credentials = Credentials({ACCESS_KEY!r}, {SECRET_KEY!r})
    async with DataFlowClient(credentials, base_url=url) as client:
        async for job in client.iter_jobs():
            seen += job.job_id is not None
    return seen

times = []
for _ in range(int(sys.argv[3])):
    wall, cpu = time.perf_counter(), time.process_time()
    seen = asyncio.run(walk(sys.argv[2]))
    times.append((time.perf_counter() - wall, time.process_time() - cpu, seen))
print(json.dumps(times[1:]))
"""


def checkout(revision: str, into: Path) -> Path:
    """The directory holding ``revision``'s package (the working tree for ``.``)."""
    if revision == ".":
        return ROOT
    into.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", revision, "dataflow_async"],
        capture_output=True,
        check=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def walks(where: Path, url: str, count: int, jobs: int) -> list[tuple[float, float]]:
    """(wall, cpu) seconds of each walk after the first, in a fresh process."""
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(where), url, str(count)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = json.loads(out)
    if any(seen != jobs for _, _, seen in found):
        raise RuntimeError(f"a walk of {where} saw the wrong number of jobs: {found}")
    return [(wall, cpu) for wall, cpu, _ in found]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("a", help="a revision, or . for the working tree")
    parser.add_argument("b", help="the other one")
    parser.add_argument("--rounds", type=int, default=10, help="processes of each (10)")
    parser.add_argument("--walks", type=int, default=3, help="walks per process (3)")
    parser.add_argument("--jobs", type=int, default=100_000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        found = {
            name: checkout(rev, Path(scratch) / name)
            for name, rev in (("a", args.a), ("b", args.b))
        }
        times: dict[str, list[tuple[float, float]]] = {"a": [], "b": []}
        with emulator(args.jobs) as url:
            for round_ in range(args.rounds):
                for name in ("a", "b") if round_ % 2 == 0 else ("b", "a"):
                    times[name] += walks(found[name], url, args.walks, args.jobs)
    print(f"walks of {args.jobs:,} jobs, each revision in {args.rounds} fresh processes")
    print(f"  {'revision':24} {'cpu min':>9} {'cpu median':>11} {'wall min':>9} {'walks':>6}")
    for name, rev in (("a", args.a), ("b", args.b)):
        cpu = [c * 1e3 for _, c in times[name]]
        wall = [w * 1e3 for w, _ in times[name]]
        print(
            f"  {rev[:24]:24} {min(cpu):7.1f}ms {statistics.median(cpu):9.1f}ms"
            f" {min(wall):7.1f}ms {len(cpu):>6}"
        )
    a, b = (statistics.median(c for _, c in times[n]) for n in ("a", "b"))
    print(f"  median CPU, b against a: {b / a:.3f}")


if __name__ == "__main__":
    main()
