"""Fixtures of the emulator's route tests: a manual clock, an app on it, a signed client."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from dataflow_async.emulator import EmulatorApp, ManualClock

from .kit import START, connect, new_app


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def app(clock: ManualClock) -> EmulatorApp:
    return new_app(clock)


@pytest.fixture
async def client(app: EmulatorApp, clock: ManualClock) -> AsyncIterator[httpx.AsyncClient]:
    async with connect(app, clock) as client:
        yield client
