"""Shared fixtures of the command-line tests: a clean environment, an emulator with its
key pair in the environment, ``run`` (``main`` in process), and hostile servers.

CLI tests are plain functions: ``main`` runs its own event loop with ``asyncio.run``.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from dataflow_async import _cli as cli
from dataflow_async.emulator import make_jobs, run_emulator

BIN = Path(sys.executable).parent
SCRIPT = BIN / "dataflow-async"

# A name with what breaks naive CSV and tables: a comma, a quote, Korean, a newline.
ODD_NAME = '매출, "집계"\n데이터'
LONG_NAME = "로그 수집 작업 " + "x" * 80


def cli_jobs() -> list[dict[str, Any]]:
    jobs = make_jobs(45, seed=7)
    jobs[3]["name"] = ODD_NAME
    jobs[4]["name"] = LONG_NAME
    return jobs


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No NCLOUD_* variables and an empty HOME: no real credentials can leak in. No
    NO_COLOR / FORCE_COLOR / COLUMNS either (CI services set some): tables stay plain
    and whole."""
    for name in list(os.environ):
        if name.startswith(("NCLOUD_", "DATAFLOW_ASYNC_")) or name in (
            "NO_COLOR",
            "FORCE_COLOR",
            "COLUMNS",
        ):
            monkeypatch.delenv(name)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    return home


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """An emulator of its own for each test (a request the client gave up on may still
    land after the test), with its key pair in the environment."""
    with run_emulator(jobs=cli_jobs()) as emulator:
        monkeypatch.setenv("NCLOUD_ACCESS_KEY_ID", emulator.credentials.access_key)
        monkeypatch.setenv("NCLOUD_SECRET_ACCESS_KEY", emulator.credentials.secret_key)
        yield emulator


@pytest.fixture(scope="module")
def shared_emulator() -> Iterator[Any]:
    """Stopped after each test module: later modules check that no emulator is left."""
    with run_emulator(jobs=make_jobs(1)) as emulator:
        yield emulator


@pytest.fixture
def idle(shared_emulator: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """One emulator shared by the tests that must send nothing (usage errors): they
    assert that its request log, cleared first, stays empty. Starting one per test
    cost 0.2 s each."""
    shared_emulator.app.reset()
    monkeypatch.setenv("NCLOUD_ACCESS_KEY_ID", shared_emulator.credentials.access_key)
    monkeypatch.setenv("NCLOUD_SECRET_ACCESS_KEY", shared_emulator.credentials.secret_key)
    return shared_emulator


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def list_jobs(capsys: pytest.CaptureFixture[str], served: Any, *argv: str) -> tuple[int, str, str]:
    return run(capsys, "jobs", "list", "--endpoint", served.url, *argv)


def assert_error(err: str, *words: str, hint: bool | None = None) -> None:
    """``err`` is an ``error:`` line, and a ``hint:`` line when ``hint`` (either way when
    ``None``), holding ``words``."""
    lines = err.splitlines()
    assert err.endswith("\n")
    assert lines[0].startswith("error: "), err
    assert len(lines) in ((2,) if hint else (1,) if hint is False else (1, 2)), err
    if len(lines) == 2:
        assert lines[1].startswith("hint: ")
    assert "Traceback" not in err
    for word in words:
        assert word in err


def assert_usage_error(err: str, command: str, *words: str) -> None:
    """``err`` is the three lines of a usage error of ``command``."""
    lines = err.splitlines()
    assert len(lines) == 3, err
    assert lines[0] == f"usage: dataflow-async {command} [options]".replace("  ", " ")
    assert lines[1].startswith("error: ")
    assert lines[2].startswith("hint: ")
    for word in words:
        assert word in lines[1] or word in lines[2], (word, err)


def free_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def environment(**extra: str) -> dict[str, str]:
    """The process environment without credentials, plus ``extra``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("NCLOUD_") and k not in ("NO_COLOR", "FORCE_COLOR", "COLUMNS")
    }
    env.update(extra)
    return env


Answer = Callable[[str], tuple[int, dict[str, str], bytes]]


class HostileServer:
    """A loopback HTTP server written to misbehave: ``answer(path)`` gives the status,
    headers and body of every request, GET, POST or DELETE (no signature is checked;
    ``methods`` records each request's method)."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.paths: list[str] = []
        self.methods: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:  # a POST's body, read so that the connection stays in step
                    self.rfile.read(length)
                server.paths.append(self.path)
                server.methods.append(self.command)
                status, headers, body = server.answer(self.path)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_POST = do_DELETE = do_GET

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        # A short poll: shutdown() waits for serve_forever's next poll (0.5 s by default).
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def __enter__(self) -> HostileServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=10)


def json_answer(status: int, body: Any) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": "application/json"}, json.dumps(body).encode()


@pytest.fixture
def hostile(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Answer], HostileServer]]:
    """Start a ``HostileServer`` (stopped after the test), with a key pair set."""
    monkeypatch.setenv("NCLOUD_ACCESS_KEY_ID", "HOSTILEACCESSKEY")
    monkeypatch.setenv("NCLOUD_SECRET_ACCESS_KEY", "HOSTILESECRETKEY")
    started: list[HostileServer] = []

    def start(answer: Answer) -> HostileServer:
        server = HostileServer(answer).__enter__()
        started.append(server)
        return server

    yield start
    for server in started:
        server.__exit__(None, None, None)
