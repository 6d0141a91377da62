"""Serving the emulator on loopback: run_emulator, serve_forever, clean shutdown."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time

import httpx
import pytest

from dataflow_async import Credentials, NcpSignatureAuth
from dataflow_async.emulator import (
    DEFAULT_ACCESS_KEY,
    DEFAULT_SECRET_KEY,
    JOBS_PATH,
    EmulatorApp,
    FaultPlan,
    Latency,
    RunningEmulator,
    _server,
    make_jobs,
    run_emulator,
    serve_forever,
)


def emulator_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("dataflow-emulator")]


def refuses_connections(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return False
    except OSError:
        return True


def test_two_lines_to_a_served_emulator() -> None:
    with run_emulator(jobs=2000) as emu:
        auth = NcpSignatureAuth(emu.credentials)
        with httpx.Client(auth=auth, base_url=emu.url) as client:
            body = client.get(JOBS_PATH, params={"page": 1}).json()
    assert isinstance(emu, RunningEmulator)
    assert emu.url == f"http://127.0.0.1:{emu.port}"
    assert emu.host == "127.0.0.1"
    assert emu.port > 0
    assert emu.credentials == Credentials(DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY)
    assert (body["page"], body["limit"], len(body["list"])) == (1, 1000, 1000)
    assert len(emu.app.jobs) == 2000
    assert emu.app.requests[0].target == f"{JOBS_PATH}?page=1"


async def test_usable_inside_an_async_test() -> None:
    with run_emulator(jobs=make_jobs(3, seed=8), count_mode="total") as emu:
        auth = NcpSignatureAuth(emu.credentials)
        async with httpx.AsyncClient(auth=auth, base_url=emu.url) as client:
            results = await asyncio.gather(
                *(client.get(JOBS_PATH, params={"limit": 1, "page": p}) for p in range(3))
            )
    assert [r.json()["count"] for r in results] == [3, 3, 3]
    served = {r.json()["list"][0]["jobId"] for r in results}
    assert served == {j["jobId"] for j in make_jobs(3, seed=8)}


def test_seed_selects_the_jobs() -> None:
    with run_emulator(jobs=5, seed=77) as emu:
        assert list(emu.app.jobs) == make_jobs(5, seed=77)
    with run_emulator() as emu:
        assert list(emu.app.jobs) == []


def test_serves_a_given_app_with_its_first_key_pair() -> None:
    app = EmulatorApp(credentials={"OTHERACCESSKEY": "OTHERSECRETKEY"})
    with run_emulator(app) as emu:
        assert emu.app is app
        assert emu.credentials == Credentials("OTHERACCESSKEY", "OTHERSECRETKEY")
        with httpx.Client(auth=NcpSignatureAuth(emu.credentials), base_url=emu.url) as client:
            assert client.get(JOBS_PATH).status_code == 200


def test_app_and_app_options_are_exclusive() -> None:
    with pytest.raises(TypeError), run_emulator(EmulatorApp(), jobs=3):
        pass
    with pytest.raises(TypeError), run_emulator(EmulatorApp(), count_mode="total"):
        pass


def test_explicit_port() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with run_emulator(port=port) as emu:
        assert emu.port == port
        assert emu.url.endswith(f":{port}")


def test_port_in_use_fails_cleanly() -> None:
    with run_emulator() as emu, pytest.raises(OSError, match="in use"), run_emulator(port=emu.port):
        pass
    assert emulator_threads() == []


def test_clean_shutdown_leaves_no_thread_or_socket() -> None:
    before = threading.active_count()
    with run_emulator(jobs=10) as emu:
        with httpx.Client(auth=NcpSignatureAuth(emu.credentials), base_url=emu.url) as client:
            assert client.get(JOBS_PATH).status_code == 200
            assert len(emulator_threads()) == 1
        port = emu.port
    assert emulator_threads() == []
    assert threading.active_count() == before
    assert refuses_connections(port)


def test_shutdown_with_an_idle_keep_alive_connection() -> None:
    client = httpx.Client()
    try:
        with run_emulator(jobs=3) as emu:
            auth = NcpSignatureAuth(emu.credentials)
            assert client.get(f"{emu.url}{JOBS_PATH}", auth=auth).status_code == 200
        # The server closed the pooled connection; the client notices on next use.
        with pytest.raises(httpx.TransportError):
            client.get(f"{emu.url}{JOBS_PATH}", auth=auth)
    finally:
        client.close()
    assert emulator_threads() == []


def test_shutdown_while_a_request_is_in_flight(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    errors: list[BaseException] = []
    with run_emulator(faults=FaultPlan.script(Latency(30))) as emu:

        def slow_request() -> None:
            auth = NcpSignatureAuth(emu.credentials)
            with httpx.Client(auth=auth, base_url=emu.url, timeout=10) as client:
                try:
                    client.get(JOBS_PATH)
                except httpx.HTTPError as exc:
                    errors.append(exc)

        requester = threading.Thread(target=slow_request)
        requester.start()
        deadline = time.monotonic() + 5
        while emu.app.faults.remaining and time.monotonic() < deadline:
            time.sleep(0.01)
        started = time.monotonic()
    stopped_in = time.monotonic() - started
    requester.join(5)
    assert stopped_in < 3  # one second of grace, not thirty
    assert not requester.is_alive()
    assert len(errors) == 1
    assert isinstance(errors[0], httpx.TransportError)
    assert emulator_threads() == []
    # The cancelled request is recorded unanswered, and the shutdown is silent: uvicorn's
    # "Cancel 1 running task(s), timeout graceful shutdown exceeded" (ERROR) is dropped.
    assert emu.app.requests[-1].status is None
    assert emu.app.requests[-1].fault == "latency"
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert capsys.readouterr().err == ""


class _CrashAfterStartup:
    """Makes the next served uvicorn fail in its main loop once ``crash`` is set."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.crash = threading.Event()
        make_server = _server._make_server

        def crashing(app: EmulatorApp) -> object:
            server = make_server(app)
            on_tick = server.on_tick

            async def tick(counter: int) -> bool:
                if self.crash.is_set():
                    raise RuntimeError("boom")
                return await on_tick(counter)

            server.on_tick = tick  # type: ignore[method-assign]
            return server

        monkeypatch.setattr(_server, "_make_server", crashing)

    def now(self) -> None:
        """Crash the server, and wait until its thread is gone."""
        self.crash.set()
        deadline = time.monotonic() + 10
        while emulator_threads() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert emulator_threads() == []


def test_a_server_crash_after_startup_is_raised_on_exit(monkeypatch: pytest.MonkeyPatch) -> None:
    crash = _CrashAfterStartup(monkeypatch)
    with pytest.raises(RuntimeError, match="emulator stopped") as caught, run_emulator() as emu:
        crash.now()
        port = emu.port
    assert isinstance(caught.value.__cause__, RuntimeError)
    assert str(caught.value.__cause__) == "boom"
    assert refuses_connections(port)


def test_a_server_crash_does_not_mask_the_with_blocks_own_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    crash = _CrashAfterStartup(monkeypatch)
    with pytest.raises(KeyError, match="the test's own") as caught, run_emulator():
        crash.now()
        raise KeyError("the test's own")
    assert caught.value.__cause__ is None
    assert any("boom" in note for note in getattr(caught.value, "__notes__", []))


def test_serve_forever_closes_its_socket_when_uvicorn_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bound: list[socket.socket] = []
    bind = _server._bind

    def recording_bind(host: str, port: int) -> socket.socket:
        bound.append(bind(host, port))
        return bound[-1]

    def no_uvicorn(app: EmulatorApp) -> object:
        raise ImportError("serving the emulator needs uvicorn")

    monkeypatch.setattr(_server, "_bind", recording_bind)
    monkeypatch.setattr(_server, "_make_server", no_uvicorn)
    try:
        with pytest.raises(ImportError, match="needs uvicorn"):
            serve_forever(EmulatorApp())
        assert len(bound) == 1
        assert bound[0].fileno() == -1  # closed, not left to the garbage collector
    finally:
        for sock in bound:
            sock.close()


def test_importing_the_emulator_does_not_need_uvicorn() -> None:
    code = textwrap.dedent(
        """
        import sys
        sys.modules["uvicorn"] = None  # as if it were not installed
        import dataflow_async.emulator as emulator
        app = emulator.EmulatorApp(emulator.make_jobs(3))
        assert len(app.jobs) == 3
        try:
            with emulator.run_emulator(app):
                pass
        except ImportError as exc:
            print("ImportError:", exc)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert "ImportError: serving the emulator needs uvicorn" in result.stdout


SERVE = textwrap.dedent(
    """
    from dataflow_async.emulator import EmulatorApp, make_jobs, serve_forever
    serve_forever(EmulatorApp(make_jobs(4)), ready=lambda url: print(url, flush=True))
    print("returned", flush=True)
    """
)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_serve_forever_until_a_signal(signum: signal.Signals) -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", SERVE],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "error"},
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        credentials = Credentials(DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY)
        with httpx.Client(auth=NcpSignatureAuth(credentials), base_url=url) as client:
            assert client.get(JOBS_PATH).json()["count"] == 4
        process.send_signal(signum)
        out, err = process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    assert out.strip() == "returned"
    assert "Traceback" not in err


def test_listening_socket_turns_nagle_off() -> None:
    # With Nagle's algorithm on, a small body written after its headers waits for the
    # client's delayed ACK (about 40 ms a request); asyncio only turns it off on accepted
    # sockets whose protocol says TCP.
    import socket

    from dataflow_async.emulator._server import _bind

    sock = _bind("127.0.0.1", 0)
    try:
        assert sock.proto == socket.IPPROTO_TCP
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
    finally:
        sock.close()
