"""One attempt's clock: pool wait, connect, then a bounded total for the exchange."""

from __future__ import annotations

import asyncio

import httpx

from dataflow_async._attempt import AttemptClock


class _FakeTimer:
    def __init__(self) -> None:
        self.moved_to: list[float | None] = []

    def expired(self) -> bool:
        return False

    def reschedule(self, when: float | None) -> None:
        self.moved_to.append(when)


async def test_waiting_for_a_pooled_connection_does_not_count_in_the_exchange_total() -> None:
    loop = asyncio.get_running_loop()
    clock = AttemptClock(httpx.Timeout(3.0, connect=1.0, pool=50.0), None)
    start = clock.start()
    assert start is not None and start - loop.time() > 50 + 1 + 6 - 1  # pool + connect + total
    timer = _FakeTimer()
    clock.timer = timer  # type: ignore[assignment]
    clock.mark_written()
    (when,) = timer.moved_to
    assert when is not None and 5 < when - loop.time() <= 6  # 2 x the longest of connect/read/write
    assert "after connecting" in clock.reason() and "6 s in total" in clock.reason()


async def test_the_deadline_caps_the_exchange_total() -> None:
    loop = asyncio.get_running_loop()
    clock = AttemptClock(httpx.Timeout(30.0), 2.0)
    start = clock.start()
    assert start is not None and start - loop.time() <= 2.0
    timer = _FakeTimer()
    clock.timer = timer  # type: ignore[assignment]
    clock.mark_written()
    assert timer.moved_to[0] is not None and timer.moved_to[0] - loop.time() <= 2.0
    assert "deadline" in clock.reason()


async def test_no_timeout_means_no_total() -> None:
    clock = AttemptClock(httpx.Timeout(None), None)
    assert clock.start() is None
    timer = _FakeTimer()
    clock.timer = timer  # type: ignore[assignment]
    clock.mark_written()
    assert timer.moved_to == []
