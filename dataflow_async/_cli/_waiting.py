"""``--wait``: run an execution (or a workflow) to its end, showing its status and the
time it has taken on a terminal, and exit with a code a scheduler can act on.

The wait is the library's (``client.executions.run`` / ``client.workflows.run``): the
command only watches what it polls. The progress line is redrawn once a second while
the poll sleeps (``PollPolicy.sleep``), so the elapsed time moves between polls that
are up to ``--poll-max`` seconds apart.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Callable
from typing import Any, TextIO

from .. import ExecutionStatus, JobExecution, PollPolicy
from ..resources import Executions
from ._errors import ExitCode
from ._options import CliParser, seconds

__all__ = [
    "ObservedExecutions",
    "WaitLine",
    "add_wait_options",
    "exit_code",
    "poll_policy",
]

EXIT_CODES = {
    ExecutionStatus.COMPLETED: ExitCode.OK,
    ExecutionStatus.FAILED: ExitCode.FAILED,
    ExecutionStatus.CANCELED: ExitCode.CANCELED,
}


def exit_code(status: Any) -> int:
    """0 for ``COMPLETED``, 5 for ``FAILED``, 6 for ``CANCELED``; 1 for a status the
    command does not know (the server's own word for an end)."""
    return EXIT_CODES.get(status, ExitCode.ERROR)


def add_wait_options(parser: CliParser, what: str) -> None:
    """``--wait``, ``--timeout`` (the whole wait), ``--poll-interval``, ``--poll-max``."""
    parser.add_argument(
        "-w",
        "--wait",
        action="store_true",
        help=f"wait until the {what} ends; exit 0 COMPLETED, 5 FAILED, 6 CANCELED, "
        "7 timed out (see 'exit codes' below)",
    )
    parser.add_argument(
        "--timeout",
        dest="wait_timeout",
        metavar="SECONDS",
        type=seconds,
        help=f"with --wait: give up waiting after this long (exit 7; the {what} goes on), "
        "e.g. --timeout 3600",
    )
    parser.add_argument(
        "--poll-interval",
        metavar="SECONDS",
        type=seconds,
        default=1.0,
        help="with --wait: the first wait between polls (default %(default)s s; it grows "
        "by half each poll while the status stays the same), e.g. --poll-interval 5",
    )
    parser.add_argument(
        "--poll-max",
        metavar="SECONDS",
        type=seconds,
        default=30.0,
        help="with --wait: the longest wait between polls (default %(default)s s), "
        "e.g. --poll-max 60",
    )


class WaitLine:
    """``RUNNING  1m 05s`` on a terminal's stderr: the last status seen and the time
    since the start, rewritten in place. Disabled, it writes nothing."""

    def __init__(
        self,
        stream: TextIO,
        *,
        enabled: bool,
        label: str,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream
        self.enabled = enabled
        self.label = label
        self.clock = clock
        self.started = clock()
        self.status = "STARTING"
        self._width = 0

    def seen(self, status: Any) -> None:
        self.status = str(status)
        self.draw()

    def draw(self) -> None:
        if not self.enabled:
            return
        from ._sanitize import terminal_text

        elapsed = int(self.clock() - self.started)
        minutes, secs = divmod(elapsed, 60)
        spent = f"{minutes}m {secs:02d}s" if minutes else f"{secs}s"
        text = terminal_text(f"{self.label}  {self.status}  {spent}")
        pad = " " * max(0, self._width - len(text))
        self.stream.write(f"\r{text}{pad}")
        self.stream.flush()
        self._width = len(text)

    def clear(self) -> None:
        if self.enabled and self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()
            self._width = 0


def poll_policy(args: argparse.Namespace, line: WaitLine) -> PollPolicy:
    """The poll policy of ``--poll-interval``/``--poll-max``, whose sleeps redraw
    ``line`` every second."""

    async def sleep(delay: float) -> None:
        end = time.monotonic() + delay
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return
            await asyncio.sleep(min(1.0, left))
            line.draw()

    return PollPolicy(
        initial=args.poll_interval, maximum=max(args.poll_max, args.poll_interval), sleep=sleep
    )


class ObservedExecutions(Executions):
    """``client.executions`` that tells ``on_seen`` each state of an execution it
    starts or reads, so that the command knows the execution's id and status while
    ``run`` waits."""

    def __init__(self, requester: Any, on_seen: Callable[[JobExecution], None]) -> None:
        super().__init__(requester)
        self._on_seen = on_seen

    async def start(self, job_id: str, **kwargs: Any) -> JobExecution:
        execution = await super().start(job_id, **kwargs)
        self._on_seen(execution)
        return execution

    async def get(self, job_id: str, execution_id: str, **kwargs: Any) -> JobExecution:
        execution = await super().get(job_id, execution_id, **kwargs)
        self._on_seen(execution)
        return execution
