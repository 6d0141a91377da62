"""A clock tests move by hand, for the emulator and the client alike."""

from __future__ import annotations

import asyncio
import threading

__all__ = ["ManualClock"]


class ManualClock:
    """Epoch seconds that change only when told to: call it to read, `advance` to move.

    Pass the same instance as the emulator's ``clock`` and as the client's signing clock,
    so that signatures stay fresh while the test jumps hours ahead and executions move
    from READY to RUNNING to COMPLETED without waiting. Thread-safe.

    Args:
        start: The time to start at, in epoch seconds.
    """

    def __init__(self, start: float = 1_790_000_000.0) -> None:
        self._now = float(start)
        self._lock = threading.Lock()

    def __call__(self) -> float:
        """The current time, in epoch seconds."""
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> float:
        """Move forward by ``seconds`` (not backwards); return the new time.

        Args:
            seconds: How far to move, >= 0.

        Returns:
            The new time, in epoch seconds.

        Raises:
            ValueError: `seconds` is negative.
        """
        if not seconds >= 0:
            raise ValueError(f"seconds must be >= 0, not {seconds!r}")
        with self._lock:
            self._now += seconds
            return self._now

    async def sleep(self, seconds: float) -> None:
        """An ``asyncio.sleep`` stand-in: advances the clock, then lets other tasks run.

        Args:
            seconds: How far to move the clock; a negative value moves it by 0.
        """
        self.advance(max(0.0, seconds))
        await asyncio.sleep(0)

    def __repr__(self) -> str:
        return f"ManualClock({self():.3f})"
