"""Serving the emulator on a real socket with uvicorn (imported only when serving).

`run_emulator` runs it in a background thread for the length of a ``with`` block
(tests, benchmarks); `serve_forever` runs it in the calling thread until SIGINT or
SIGTERM (the command line). Both bind the socket themselves, so the port is known before
uvicorn starts, and both configure uvicorn so that the app's own ``Date`` header is the
only one and nothing is logged below warnings.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from types import FrameType
from typing import TYPE_CHECKING, Any

import attrs

from .._credentials import Credentials
from ._app import EmulatorApp
from ._seed import make_jobs

if TYPE_CHECKING:
    import uvicorn

__all__ = ["RunningEmulator", "run_emulator", "serve_forever"]

# How long a stopping server waits for requests still in flight (e.g. a latency fault).
_GRACE_SECONDS = 1
_START_TIMEOUT = 10.0
# uvicorn logs this at ERROR level whenever an app leaves a response unfinished, which
# is exactly what drop and truncation faults do on purpose; it also logs the traceback
# of a request cancelled by the shutdown, and (at ERROR) that it cancelled it once the
# grace period was over. All three are silenced in emulator threads only.
_UNFINISHED = "ASGI callable returned without completing response."
_CANCELLED_ON_SHUTDOWN = "Cancel %s running task(s), timeout graceful shutdown exceeded"


class _QuietFaults(logging.Filter):
    """Drops uvicorn's complaints about deliberately broken responses (emulator threads)."""

    def __init__(self) -> None:
        super().__init__()
        self.threads: set[int] = set()
        self._lock = threading.Lock()
        self._installed = False

    def filter(self, record: logging.LogRecord) -> bool:
        if record.thread not in self.threads:
            return True
        if record.msg in (_UNFINISHED, _CANCELLED_ON_SHUTDOWN):
            return False
        # A latency fault cancelled by the shutdown: its connection is closed on purpose.
        return not (record.exc_info and isinstance(record.exc_info[1], asyncio.CancelledError))

    def add(self, thread: int) -> None:
        with self._lock:
            self.threads.add(thread)
            if not self._installed:
                logging.getLogger("uvicorn.error").addFilter(self)
                self._installed = True

    def discard(self, thread: int) -> None:
        with self._lock:
            self.threads.discard(thread)


_QUIET = _QuietFaults()


@attrs.frozen
class RunningEmulator:
    """An emulator being served: where it is, and what to sign requests with.

    ``url`` is the base URL (``http://127.0.0.1:PORT``), ``app`` the served
    `EmulatorApp` (inspect ``app.requests``, change ``app.jobs`` or
    ``app.faults`` while it runs), ``credentials`` the app's first key pair (the default
    pair unless the app was given others).

    Attributes:
        url: The base URL, `http://HOST:PORT`.
        app: The served `EmulatorApp`.
        credentials: The app's first key pair, as `Credentials`.
        host: The address bound.
        port: The port bound.
    """

    url: str
    app: EmulatorApp
    credentials: Credentials
    host: str
    port: int


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio turns Nagle's algorithm off only on accepted sockets
    # whose protocol says TCP. With it on, the body of a small response, written after its
    # headers, waits for the client's delayed ACK: about 40 ms per request.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((host, port))
        sock.listen(128)
    except BaseException:
        sock.close()
        raise
    return sock


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _make_server(app: EmulatorApp) -> uvicorn.Server:
    try:
        import uvicorn
    except ImportError as exc:  # pragma: no cover - uvicorn is installed for the tests
        raise ImportError(
            "serving the emulator needs uvicorn: pip install 'dataflow-async[emulator]'"
        ) from exc
    config = uvicorn.Config(
        app,
        interface="asgi3",
        http="h11",
        loop="asyncio",
        lifespan="off",
        log_level="warning",
        log_config=None,  # leave the process's logging configuration alone
        access_log=False,
        date_header=False,  # the app sends its own (skewed) Date
        server_header=False,
        proxy_headers=False,
        timeout_graceful_shutdown=_GRACE_SECONDS,
    )
    return uvicorn.Server(config)


async def _serve(server: uvicorn.Server, sock: socket.socket, on_ready: Callable[[], None]) -> None:
    """Serve until ``server.should_exit``; call ``on_ready`` once it accepts connections."""
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started and not task.done():  # noqa: ASYNC110 - uvicorn has only a flag
        await asyncio.sleep(0.005)
    if server.started:
        try:
            on_ready()
        except BaseException:
            server.should_exit = True
            await task
            raise
    await task


def _first_credentials(app: EmulatorApp) -> Credentials:
    access_key, secret_key = next(iter(app.credentials.items()))
    return Credentials(access_key, secret_key, source="emulator")


@contextlib.contextmanager
def run_emulator(
    app: EmulatorApp | None = None,
    *,
    jobs: int | Sequence[Mapping[str, Any]] | None = None,
    seed: int = 0,
    host: str = "127.0.0.1",
    port: int = 0,
    **app_kwargs: Any,
) -> Iterator[RunningEmulator]:
    """Serve an emulator on ``host``:``port`` for the length of a ``with`` block.

    For end-to-end tests and benchmarks that need a real socket (real connection
    handling, real broken connections), in two lines:

    ```python
    with run_emulator(jobs=2000) as emu:
        auth = NcpSignatureAuth(emu.credentials)
        async with httpx.AsyncClient(auth=auth, base_url=emu.url) as client: ...
    ```

    uvicorn runs in a daemon thread with its own event loop, so this works from sync and
    async tests alike. On exit the server stops (requests still in flight get one
    second), and the thread and socket are gone.

    Args:
        app: The app to serve; without it, one is built from ``jobs`` and ``app_kwargs``.
        jobs: A number of jobs made by `make_jobs` with ``seed``, or the jobs themselves.
        seed: The seed of the generated jobs.
        host: The address to bind.
        port: The port to bind; ``0`` picks a free one.
        **app_kwargs: Any `EmulatorApp` option, when ``app`` is not given.

    Yields:
        The `RunningEmulator`: its ``url``, ``app`` and ``credentials``.

    Raises:
        TypeError: Both ``app`` and options to build one were given.
        RuntimeError: The server failed while serving (chained to that failure), on
            leaving the block. An exception raised by the block itself propagates
            unchanged, with the server's failure added as a note.
    """
    app = _app_to_serve(app, jobs, seed, app_kwargs)
    credentials = _first_credentials(app)
    sock = _bind(host, port)
    try:
        bound_port: int = sock.getsockname()[1]
        with _served_in_thread(_make_server(app), sock, bound_port):
            yield RunningEmulator(
                url=_url(host, bound_port),
                app=app,
                credentials=credentials,
                host=host,
                port=bound_port,
            )
    finally:
        sock.close()


def _app_to_serve(
    app: EmulatorApp | None,
    jobs: int | Sequence[Mapping[str, Any]] | None,
    seed: int,
    app_kwargs: Mapping[str, Any],
) -> EmulatorApp:
    """``app``, or one built from ``jobs`` and the options; ``TypeError`` for both."""
    if app is None:
        job_list = make_jobs(jobs, seed=seed) if isinstance(jobs, int) else jobs
        return EmulatorApp(job_list, **app_kwargs)
    if jobs is not None or app_kwargs:
        raise TypeError("pass either an app or the options to build one (jobs, ...), not both")
    return app


@contextlib.contextmanager
def _served_in_thread(server: uvicorn.Server, sock: socket.socket, port: int) -> Iterator[None]:
    """Serve on ``sock`` from a daemon thread for the length of the block, then stop.

    The block's own error wins; a failure of the server is only noted on it. Without
    one, a failure of the server is raised as `RuntimeError` on leaving.
    """
    started = threading.Event()
    errors: list[BaseException] = []

    def run() -> None:
        ident = threading.get_ident()
        _QUIET.add(ident)
        try:
            asyncio.run(_serve(server, sock, started.set))
        except BaseException as exc:
            errors.append(exc)
        finally:
            _QUIET.discard(ident)
            started.set()

    thread = threading.Thread(target=run, name=f"dataflow-emulator:{port}", daemon=True)
    thread.start()
    try:
        started.wait(_START_TIMEOUT)
        if errors:
            raise RuntimeError("the emulator failed to start") from errors[0]
        if not server.started:
            raise RuntimeError(f"the emulator did not start within {_START_TIMEOUT:g} s")
    except BaseException:
        _stop(server, thread)
        raise
    try:
        yield
    except BaseException as exc:
        _stop(server, thread)
        if errors:
            exc.add_note(f"the emulator's server thread also failed: {errors[0]!r}")
        raise
    _stop(server, thread)
    if errors:
        raise RuntimeError("the emulator stopped with an error while serving") from errors[0]


def _stop(server: uvicorn.Server, thread: threading.Thread) -> None:
    server.should_exit = True
    thread.join(_START_TIMEOUT)
    if thread.is_alive():  # pragma: no cover - only if uvicorn hangs
        server.force_exit = True
        thread.join()


def serve_forever(
    app: EmulatorApp,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    ready: Callable[[str], None] | None = None,
) -> None:
    """Serve ``app`` in the calling thread until SIGINT (Ctrl-C) or SIGTERM.

    A blocking server that stops cleanly (the command line serves with it). Once it
    accepts connections, ``ready`` (if given) receives the base URL, e.g. to print it
    (``port=0`` picks a free port). On SIGINT or SIGTERM, requests in flight get one
    second to finish, and the function returns normally (no ``KeyboardInterrupt``).
    Signals are only caught when called from the main thread.

    Args:
        app: The emulator to serve.
        host: The address to bind.
        port: The port to bind; `0` picks a free one.
        ready: Called once with the base URL when the server accepts connections.

    Raises:
        OSError: The address cannot be bound.
        ImportError: uvicorn is not installed (`pip install 'dataflow-async[emulator]'`).
    """
    sock = _bind(host, port)  # closes its socket itself if binding fails
    try:
        url = _url(host, sock.getsockname()[1])
        server = _make_server(app)  # ImportError without uvicorn: the socket still closes

        def stop(signum: int, frame: FrameType | None) -> None:
            server.should_exit = True

        # uvicorn catches the signals while it serves and, once stopped, re-raises them to
        # the handlers it found: these, so that the re-raised signal only ends the serving.
        previous: dict[signal.Signals, Any] = {}
        if threading.current_thread() is threading.main_thread():
            for caught in (signal.SIGINT, signal.SIGTERM):
                previous[caught] = signal.signal(caught, stop)
        ident = threading.get_ident()
        _QUIET.add(ident)
        try:
            asyncio.run(_serve(server, sock, lambda: ready(url) if ready is not None else None))
        finally:
            _QUIET.discard(ident)
            for caught, handler in previous.items():
                signal.signal(caught, handler)
    finally:
        sock.close()
