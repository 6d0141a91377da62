"""Fault injection: each fault over a real socket and in process, and the fault plans."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import time
from collections.abc import AsyncIterator, Iterator
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import pytest

from dataflow_async import Credentials, NcpSignatureAuth
from dataflow_async.emulator import (
    DEFAULT_ACCESS_KEY,
    DEFAULT_SECRET_KEY,
    JOBS_PATH,
    DropConnection,
    EmulatorApp,
    Fault,
    FaultPlan,
    Latency,
    MalformedBody,
    RunningEmulator,
    ServerFailure,
    Throttle,
    TruncatedBody,
    make_jobs,
    run_emulator,
)

CREDS = Credentials(DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY)
PARAMS = {"limit": 20}


@pytest.fixture(scope="module")
def served() -> Iterator[RunningEmulator]:
    with run_emulator(jobs=40, seed=5) as emu:
        yield emu


@pytest.fixture
def emu(served: RunningEmulator) -> RunningEmulator:
    served.app.faults = FaultPlan()
    served.app.reset()
    return served


@pytest.fixture
async def socket_client(emu: RunningEmulator) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(auth=NcpSignatureAuth(emu.credentials), base_url=emu.url) as c:
        yield c


@pytest.fixture
def app() -> EmulatorApp:
    return EmulatorApp(make_jobs(40, seed=5))


@pytest.fixture
async def local_client(app: EmulatorApp) -> AsyncIterator[httpx.AsyncClient]:
    transport = app.transport()
    async with httpx.AsyncClient(
        transport=transport, base_url="http://emulator.test", auth=NcpSignatureAuth(CREDS)
    ) as client:
        yield client


def full_body(jobs: int = 40, seed: int = 5) -> bytes:
    """The normal body for PARAMS, to compare truncated and malformed ones against."""
    served = sorted(make_jobs(jobs, seed=seed), key=lambda j: j["jobId"])
    served.sort(key=lambda j: j["createdDate"], reverse=True)
    body = {"list": served[:20], "count": 20, "page": 0, "limit": 20}
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


# Both modes are run by every test below through this pair of fixtures.


@pytest.fixture(params=["socket", "in-process"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def target(
    mode: str, request: pytest.FixtureRequest
) -> AsyncIterator[tuple[EmulatorApp, httpx.AsyncClient]]:
    """(app, client) for the mode: the module's socket emulator or an in-process app."""
    if mode == "socket":
        emu: RunningEmulator = request.getfixturevalue("emu")
        async with httpx.AsyncClient(
            auth=NcpSignatureAuth(emu.credentials), base_url=emu.url
        ) as client:
            yield emu.app, client
    else:
        app = EmulatorApp(make_jobs(40, seed=5))
        async with httpx.AsyncClient(
            transport=app.transport(), base_url="http://emulator.test", auth=NcpSignatureAuth(CREDS)
        ) as client:
            yield app, client


# --- throttling ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "message"),
    [("400", "Quota Exceeded"), ("410", "Throttle Limited"), ("420", "Rate Limited")],
)
async def test_throttle_is_the_gateways_429(
    target: tuple[EmulatorApp, httpx.AsyncClient], code: str, message: str
) -> None:
    app, client = target
    app.faults = FaultPlan.script(Throttle(code))
    response = await client.get(JOBS_PATH, params=PARAMS)
    assert response.status_code == 429
    assert response.json() == {
        "error": {"errorCode": code, "message": message, "details": "Too many requests."}
    }
    assert "retry-after" not in response.headers
    assert "date" in response.headers
    assert app.requests[-1].fault == "throttle"
    assert (await client.get(JOBS_PATH, params=PARAMS)).status_code == 200


@pytest.mark.parametrize(
    ("retry_after", "header"),
    [
        (3, "3"),
        (0, "0"),
        (2.0, "2"),
        (1.5, "1.5"),
        ("soon", "soon"),
        (dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.UTC), "Wed, 02 Jan 2030 03:04:05 GMT"),
        (
            dt.datetime(2030, 1, 2, 12, 4, 5, tzinfo=dt.timezone(dt.timedelta(hours=9))),
            "Wed, 02 Jan 2030 03:04:05 GMT",
        ),
        (dt.datetime(2030, 1, 2, 3, 4, 5), "Wed, 02 Jan 2030 03:04:05 GMT"),  # naive: UTC
    ],
)
async def test_throttle_retry_after(
    target: tuple[EmulatorApp, httpx.AsyncClient], retry_after: Any, header: str
) -> None:
    app, client = target
    app.faults = FaultPlan.script(Throttle(retry_after=retry_after))
    response = await client.get(JOBS_PATH)
    assert response.status_code == 429
    assert response.headers["retry-after"] == header
    assert "retry-after-ms" not in response.headers
    if isinstance(retry_after, dt.datetime):
        assert parsedate_to_datetime(header).tzinfo is not None


async def test_throttle_retry_after_ms(local_client: httpx.AsyncClient, app: EmulatorApp) -> None:
    app.faults = FaultPlan.script(
        Throttle("410", retry_after_ms=250),
        Throttle(retry_after=1, retry_after_ms=1500.5),
        Throttle(retry_after=2.0, retry_after_ms=250.0),  # integral floats: as integers
    )
    first = await local_client.get(JOBS_PATH)
    second = await local_client.get(JOBS_PATH)
    third = await local_client.get(JOBS_PATH)
    assert first.headers["retry-after-ms"] == "250"
    assert "retry-after" not in first.headers
    assert (second.headers["retry-after"], second.headers["retry-after-ms"]) == ("1", "1500.5")
    assert (third.headers["retry-after"], third.headers["retry-after-ms"]) == ("2", "250")


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"error_code": "429"}, ValueError),
        ({"error_code": 420}, ValueError),
        ({"retry_after": -1}, ValueError),
        ({"retry_after": True}, TypeError),
        ({"retry_after": [1]}, TypeError),
        ({"retry_after_ms": -5}, ValueError),
    ],
)
def test_throttle_validates(kwargs: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        Throttle(**kwargs)


# --- server failures -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "code", "message"),
    [
        (503, "500", "Endpoint Error"),
        (504, "510", "Endpoint Timeout"),
        (500, "900", "Unexpected Error"),
    ],
)
async def test_server_failure_is_the_gateways_error(
    target: tuple[EmulatorApp, httpx.AsyncClient], status: int, code: str, message: str
) -> None:
    app, client = target
    app.faults = FaultPlan.script(ServerFailure(status))  # the code follows the status
    response = await client.get(JOBS_PATH)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    error = response.json()["error"]
    assert (error["errorCode"], error["message"]) == (code, message)
    assert app.requests[-1].status == status
    assert app.requests[-1].fault == "server-failure"


async def test_bad_gateway_is_an_html_page(target: tuple[EmulatorApp, httpx.AsyncClient]) -> None:
    app, client = target
    app.faults = FaultPlan.script(ServerFailure(502), ServerFailure(503, None))
    response = await client.get(JOBS_PATH)
    assert response.status_code == 502
    assert response.headers["content-type"] == "text/html"
    assert "502 Bad Gateway" in response.text
    with pytest.raises(json.JSONDecodeError):
        response.json()
    other = await client.get(JOBS_PATH)
    assert other.status_code == 503
    assert "503 Service Unavailable" in other.text


def test_server_failure_defaults_and_validation() -> None:
    assert ServerFailure() == ServerFailure(503, "500")
    assert ServerFailure(504).error_code == "510"
    assert ServerFailure(500).message == "Unexpected Error"
    assert ServerFailure(502).error_code is None
    assert ServerFailure(599).message is None
    with pytest.raises(ValueError, match="5xx"):
        ServerFailure(404)
    with pytest.raises(ValueError, match="error_code"):
        ServerFailure(503, "123")


# --- latency -------------------------------------------------------------------------------


class SteppingClock:
    """A fake clock: each reading is ``step`` seconds after the one before."""

    def __init__(self, start: float, step: float) -> None:
        self.readings = 0
        self._start = start
        self._step = step

    def __call__(self) -> float:
        now = self._start + self._step * self.readings
        self.readings += 1
        return now


async def test_latency_delays_then_serves(
    target: tuple[EmulatorApp, httpx.AsyncClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    app, client = target
    # The app reads its clock once on arrival (and checks the signature against that
    # reading), then once more when it answers after the delay: 100 s later on this clock.
    arrival = float(int(time.time()))
    clock = SteppingClock(arrival, 100.0)
    monkeypatch.setattr(app, "clock", clock)
    app.faults = FaultPlan.script(Latency(0.3))
    started = time.monotonic()
    response = await client.get(JOBS_PATH, params=PARAMS)
    assert time.monotonic() - started >= 0.29
    assert response.status_code == 200
    assert len(response.json()["list"]) == 20
    assert app.requests[-1].fault == "latency"
    assert clock.readings == 2
    assert app.requests[-1].received_at == arrival  # when it came in, not when answered
    served_at = parsedate_to_datetime(response.headers["date"]).timestamp()
    assert served_at == arrival + 100  # the Date is when it was answered


async def test_latency_beyond_the_read_timeout_is_a_read_timeout(
    target: tuple[EmulatorApp, httpx.AsyncClient],
) -> None:
    app, client = target
    app.faults = FaultPlan.script(Latency(1.0))
    started = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        await client.get(JOBS_PATH, timeout=httpx.Timeout(5.0, read=0.2))
    assert time.monotonic() - started < 0.9
    assert (await client.get(JOBS_PATH)).status_code == 200
    # Over a socket the server still finishes the slow request (into a closed
    # connection); in process it is cancelled with the caller. Either way it is recorded.
    deadline = time.monotonic() + 3
    while len(app.requests) < 2 and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.02)
    assert sorted(str(r.fault) for r in app.requests) == ["None", "latency"]


async def test_in_process_timeout_records_an_unanswered_request(
    local_client: httpx.AsyncClient, app: EmulatorApp
) -> None:
    app.faults = FaultPlan.script(Latency(5.0))
    with pytest.raises(httpx.ReadTimeout):
        await local_client.get(JOBS_PATH, timeout=httpx.Timeout(1.0, read=0.05))
    assert app.requests[-1].status is None
    assert app.requests[-1].fault == "latency"


def test_latency_validates() -> None:
    with pytest.raises(ValueError, match="seconds"):
        Latency(-0.1)


# --- broken connections: the same exception, with the same message, both ways -------------


async def test_dropped_connection_is_a_remote_protocol_error(
    target: tuple[EmulatorApp, httpx.AsyncClient],
) -> None:
    app, client = target
    app.faults = FaultPlan.script(DropConnection())
    with pytest.raises(httpx.RemoteProtocolError) as caught:
        await client.get(JOBS_PATH, params=PARAMS)
    assert isinstance(caught.value, httpx.TransportError)
    expected = len(full_body())
    assert str(caught.value) == (
        "peer closed connection without sending complete message body "
        f"(received 0 bytes, expected {expected})"
    )
    assert app.requests[-1].fault == "drop-connection"
    # The next request (on a fresh connection) is served normally.
    response = await client.get(JOBS_PATH, params=PARAMS)
    assert response.content == full_body()


async def test_truncated_body_is_a_remote_protocol_error(
    target: tuple[EmulatorApp, httpx.AsyncClient],
) -> None:
    app, client = target
    app.faults = FaultPlan.script(TruncatedBody(), TruncatedBody(0.25))
    expected = len(full_body())
    for sent in (expected // 2, int(expected * 0.25)):
        with pytest.raises(httpx.RemoteProtocolError) as caught:
            await client.get(JOBS_PATH, params=PARAMS)
        assert str(caught.value) == (
            "peer closed connection without sending complete message body "
            f"(received {sent} bytes, expected {expected})"
        )
    assert [r.fault for r in app.requests] == ["truncated-body", "truncated-body"]
    assert (await client.get(JOBS_PATH, params=PARAMS)).status_code == 200


async def test_truncated_stream_shows_headers_then_fails_on_read(
    target: tuple[EmulatorApp, httpx.AsyncClient],
) -> None:
    app, client = target
    app.faults = FaultPlan.script(TruncatedBody())
    received = b""
    async with client.stream("GET", JOBS_PATH, params=PARAMS) as response:
        assert response.status_code == 200
        assert int(response.headers["content-length"]) == len(full_body())
        with pytest.raises(httpx.RemoteProtocolError):
            async for chunk in response.aiter_raw():
                received += chunk
    assert received == full_body()[: len(full_body()) // 2]


async def test_dropped_stream_shows_headers_then_fails_on_read(
    target: tuple[EmulatorApp, httpx.AsyncClient],
) -> None:
    app, client = target
    app.faults = FaultPlan.script(DropConnection())
    async with client.stream("GET", JOBS_PATH, params=PARAMS) as response:
        assert response.status_code == 200
        with pytest.raises(httpx.RemoteProtocolError):
            await response.aread()


def test_truncated_body_validates() -> None:
    for fraction in (-0.1, 1.0, 2.0):
        with pytest.raises(ValueError, match="fraction"):
            TruncatedBody(fraction)


# --- malformed bodies ----------------------------------------------------------------------


async def test_malformed_body_is_200_with_a_correct_length(
    target: tuple[EmulatorApp, httpx.AsyncClient],
) -> None:
    app, client = target
    app.faults = FaultPlan.script(MalformedBody())
    response = await client.get(JOBS_PATH, params=PARAMS)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert int(response.headers["content-length"]) == len(response.content)
    assert response.content == full_body()[: len(full_body()) // 2]
    with pytest.raises(json.JSONDecodeError):
        response.json()
    assert app.requests[-1].fault == "malformed-body"


async def test_malformed_body_can_be_anything(
    local_client: httpx.AsyncClient, app: EmulatorApp
) -> None:
    app.faults = FaultPlan.script(MalformedBody(b"<html>maintenance</html>", "text/html"))
    response = await local_client.get(JOBS_PATH)
    assert (response.status_code, response.content) == (200, b"<html>maintenance</html>")
    assert response.headers["content-type"] == "text/html"


# --- plans ---------------------------------------------------------------------------------


async def test_script_plays_in_order_then_serves_normally(
    target: tuple[EmulatorApp, httpx.AsyncClient],
) -> None:
    app, client = target
    plan = FaultPlan.script(Throttle(), None, ServerFailure(504), None, Throttle("400"))
    app.faults = plan
    statuses = [(await client.get(JOBS_PATH)).status_code for _ in range(7)]
    assert statuses == [429, 200, 504, 200, 429, 200, 200]
    assert [r.fault for r in app.requests] == [
        "throttle",
        None,
        "server-failure",
        None,
        "throttle",
        None,
        None,
    ]
    assert plan.injected == {"throttle": 2, "server-failure": 1}
    assert plan.remaining == 0


def test_script_decisions_and_reset() -> None:
    plan = FaultPlan.script(DropConnection(), None, Latency(0.1))
    assert plan.remaining == 3
    drawn = [plan.next_fault() for _ in range(5)]
    assert drawn == [DropConnection(), None, Latency(0.1), None, None]
    assert plan.injected == {"drop-connection": 1, "latency": 1}
    plan.reset()
    assert plan.injected == {}
    assert [plan.next_fault() for _ in range(3)] == drawn[:3]


MIX: list[Fault] = [Throttle(), ServerFailure(), DropConnection(), TruncatedBody(), MalformedBody()]


def test_random_mix_is_deterministic_per_seed() -> None:
    def draw(seed: int) -> list[Fault | None]:
        plan = FaultPlan.random(seed, 0.3, MIX)
        return [plan.next_fault() for _ in range(500)]

    assert draw(42) == draw(42)
    assert draw(42) != draw(43)
    faults = [f for f in draw(42) if f is not None]
    assert 100 <= len(faults) <= 200  # about 30 % of 500
    assert {type(f) for f in faults} == {type(f) for f in MIX}


def test_random_mix_rate_extremes_and_reset() -> None:
    never = FaultPlan.random(1, 0.0, MIX)
    assert [never.next_fault() for _ in range(100)] == [None] * 100
    always = FaultPlan.random(1, 1.0, [Throttle("410")])
    assert [always.next_fault() for _ in range(10)] == [Throttle("410")] * 10
    assert always.injected == {"throttle": 10}
    plan = FaultPlan.random(9, 0.5, MIX)
    first = [plan.next_fault() for _ in range(50)]
    plan.reset()
    assert [plan.next_fault() for _ in range(50)] == first


def test_script_then_random_mix() -> None:
    plan = FaultPlan([Throttle()], seed=3, rate=1.0, faults=[MalformedBody()])
    assert [plan.next_fault() for _ in range(3)] == [Throttle(), MalformedBody(), MalformedBody()]


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"rate": 1.5, "faults": MIX}, ValueError),
        ({"rate": -0.1, "faults": MIX}, ValueError),
        ({"rate": 0.5}, ValueError),
        ({"script": ["throttle"]}, TypeError),
        ({"faults": [None]}, TypeError),
    ],
)
def test_plan_validates(kwargs: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        FaultPlan(**kwargs)


def test_plan_repr_names_its_parts() -> None:
    text = repr(FaultPlan.random(7, 0.25, [Throttle()]))
    assert "seed=7" in text
    assert "rate=0.25" in text
    assert "Throttle" in text


async def test_random_mix_over_a_socket_matches_what_the_client_sees(
    emu: RunningEmulator, socket_client: httpx.AsyncClient
) -> None:
    emu.app.faults = FaultPlan.random(2024, 0.5, MIX)
    outcomes: list[str] = []
    for _ in range(40):
        try:
            response = await socket_client.get(JOBS_PATH, params=PARAMS)
        except httpx.RemoteProtocolError:
            outcomes.append("broken")
            continue
        try:
            response.json()
        except json.JSONDecodeError:
            outcomes.append("not-json")
        else:
            outcomes.append(str(response.status_code))
    seen = {
        None: "200",
        "throttle": "429",
        "server-failure": "503",
        "drop-connection": "broken",
        "truncated-body": "broken",
        "malformed-body": "not-json",
    }
    assert outcomes == [seen[record.fault] for record in emu.app.requests]
    # The same seed over the same request sequence meets the same faults.
    replay = FaultPlan.random(2024, 0.5, MIX)
    expected = [replay.next_fault() for _ in range(40)]
    assert [r.fault for r in emu.app.requests] == [None if f is None else f.name for f in expected]
    assert sum(emu.app.faults.injected.values()) == sum(f is not None for f in expected)


async def test_same_seed_same_faults_in_process() -> None:
    async def run() -> list[str | None]:
        app = EmulatorApp(make_jobs(5), faults=FaultPlan.random(11, 0.4, MIX))
        transport = app.transport()
        auth = NcpSignatureAuth(CREDS)
        async with httpx.AsyncClient(transport=transport, base_url="http://e", auth=auth) as c:
            for _ in range(30):
                with contextlib.suppress(httpx.RemoteProtocolError):
                    await c.get(JOBS_PATH)
        return [r.fault for r in app.requests]

    first = await run()
    assert first == await run()
    assert any(first) and not all(first)
