"""The emulator itself: a raw ASGI 3 application serving the whole Data Flow API.

It behaves like the NCP API gateway in front of the Data Flow service: every request is
authenticated first (signature v2, recomputed from the request target exactly as
received), then an optional fault is injected (see ``_faults.py``), then the request is
routed (``_routes/``) and served from the store (``_store.py``) under its lock. No web
framework: the app needs only the standard library, attrs and (optionally) orjson.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from ._asgi import (
    MAX_BODY_BYTES,
    Receive,
    Scope,
    Send,
    json_body,
    read_body,
    send_response,
)
from ._fault_plan import FaultPlan
from ._faults import (
    DropConnection,
    Fault,
    Latency,
    LostResponse,
    MalformedBody,
    ServerFailure,
    Throttle,
    TruncatedBody,
)
from ._gateway import ACCESS_KEY, TIMESTAMP, authenticate, fault_response, header, too_large
from ._joblist import JobList
from ._lifecycle import Executions
from ._record import RequestRecord
from ._routes import NO_BODY, Call, resolve
from ._routes._common import CountMode
from ._store import Store
from ._validate import JOB_STATUSES
from ._wire import ApiError, Response, gateway_error, no_route, parse_query

if TYPE_CHECKING:
    import httpx

__all__ = [
    "DEFAULT_ACCESS_KEY",
    "DEFAULT_SECRET_KEY",
    "JOBS_PATH",
    "JOB_STATUSES",
    "ApiVersion",
    "EmulatorApp",
    "JobList",
    "RequestRecord",
]

#: Access key the emulator accepts when no ``credentials`` are given.
DEFAULT_ACCESS_KEY = "EMULATORACCESSKEY"
#: Secret key paired with `DEFAULT_ACCESS_KEY`.
DEFAULT_SECRET_KEY = "EMULATORSECRETKEY"
#: The path of getJobs (the first route the emulator served).
JOBS_PATH = "/api/v1/jobs"

#: Which revision of the API the emulator speaks: ``"G1"`` (2025) or ``"G2"`` (2026).
ApiVersion: TypeAlias = Literal["G1", "G2"]

_WRITES = ("POST", "PUT", "PATCH", "DELETE")
# Methods whose body is read as JSON; a DELETE's body, if any, is ignored.
_WITH_BODY = ("POST", "PUT", "PATCH")


class EmulatorApp:
    """A local, stateful stand-in for the whole Data Flow API behind the NCP API gateway.

    It serves all 25 operations (jobs, executions, workflows, triggers, statistics) from
    one store, so that clients can be tested (and benchmarked) without the real service,
    including its authentication, validation, paging, lifecycles and failure modes. It is
    a raw ASGI 3 app: serve it with `run_emulator` / `serve_forever`, or call it in
    process through `transport()`.

    Args:
        jobs: seed `jobs` (served by getJobs as given, unknown fields included).
        credentials: access key -> secret key (default: `DEFAULT_ACCESS_KEY` ->
            `DEFAULT_SECRET_KEY`).
        faults: a `FaultPlan` (or a sequence of faults, taken as a script).
        clock: epoch seconds; it also drives every execution's progress, so a test that
            injects it controls time.
        clock_skew: seconds added to the clock (to emulate a client whose clock is off).
        count_mode: what ``count`` means in every list: ``"page"`` (the items in this
            page, as documented) or ``"total"`` (all matching items).
        max_skew: how far (seconds) a request timestamp may be from the emulator's clock.
        api_version: ``"G2"`` (the 2026 revision: jobs ``VISUAL``/``SCRIPT`` and ``READY``
            with ``jobCondition``; updateJob is PATCH, PUT answers 405) or ``"G1"`` (the
            2025 revision: ``DATAFLOW``/``RUNNABLE`` with ``runCondition``; updateJob is
            PUT, PATCH answers 405).
        triggers: seed `triggers` (trigger objects of the API, with ``triggerId``).
        workflows: seed `workflows` (workflow objects of the API, with ``workflowId``).
        seed: seeds the ids the emulator makes up.

    Order of checks, as the gateway does it: authentication (401), then the fault plan
    (faults apply only to authenticated requests, so they never mask an auth test), then
    routing (404), then the body size (413), then parameters and bodies (400).
    """

    def __init__(
        self,
        jobs: Iterable[Mapping[str, Any]] | None = None,
        *,
        credentials: Mapping[str, str] | None = None,
        faults: FaultPlan | Iterable[Fault | None] | None = None,
        clock: Callable[[], float] = time.time,
        clock_skew: float = 0.0,
        count_mode: CountMode = "page",
        max_skew: float = 300.0,
        api_version: ApiVersion = "G2",
        triggers: Iterable[Mapping[str, Any]] = (),
        workflows: Iterable[Mapping[str, Any]] = (),
        seed: int = 0,
    ) -> None:
        if count_mode not in ("page", "total"):
            raise ValueError(f"count_mode must be 'page' or 'total', not {count_mode!r}")
        if not max_skew >= 0:
            raise ValueError(f"max_skew must be >= 0, not {max_skew!r}")
        pairs = (
            {DEFAULT_ACCESS_KEY: DEFAULT_SECRET_KEY} if credentials is None else dict(credentials)
        )
        if not pairs:
            raise ValueError("credentials must hold at least one access key")
        self.credentials: dict[str, str] = pairs
        self.faults = faults
        self.clock = clock
        self.clock_skew = clock_skew
        self.count_mode: CountMode = count_mode
        self.max_skew = max_skew
        self.api_version = api_version
        self.requests: list[RequestRecord] = []
        self._jobs = JobList()
        self._store = Store(lambda: self._jobs, self.now, seed)
        self.jobs = jobs or ()
        for trigger in triggers:
            self._store.triggers[str(trigger["triggerId"])] = dict(trigger)
        for workflow in workflows:
            self._store.workflows[str(workflow["workflowId"])] = dict(workflow)

    @property
    def api_version(self) -> ApiVersion:
        """The revision of the API served, ``"G1"`` or ``"G2"`` (settable)."""
        return self._api_version

    @api_version.setter
    def api_version(self, value: ApiVersion) -> None:
        if value not in ("G1", "G2"):
            raise ValueError(f"api_version must be 'G1' or 'G2', not {value!r}")
        self._api_version: ApiVersion = value

    @property
    def jobs(self) -> JobList:
        """The jobs served, in any order (a `JobList`; change it freely)."""
        return self._jobs

    @jobs.setter
    def jobs(self, jobs: Iterable[Mapping[str, Any]]) -> None:
        self._jobs = JobList(job if type(job) is dict else dict(job) for job in jobs)
        self._store.view.forget()

    @property
    def executions(self) -> Executions:
        """The job executions: plans for new ones (`Executions.plan`), history, lookups."""
        return self._store.executions

    @property
    def workflows(self) -> dict[str, dict[str, Any]]:
        """The stored workflows by id (change them under `lock`)."""
        return self._store.workflows

    @property
    def triggers(self) -> dict[str, dict[str, Any]]:
        """The stored triggers by id (change them under `lock`)."""
        return self._store.triggers

    @property
    def lock(self) -> Any:
        """The re-entrant lock every request is served under (hold it to change state)."""
        return self._store.lock

    @property
    def faults(self) -> FaultPlan:
        """The fault plan consulted for every authenticated request (replaceable)."""
        return self._faults

    @faults.setter
    def faults(self, faults: FaultPlan | Iterable[Fault | None] | None) -> None:
        if faults is None:
            faults = FaultPlan()
        elif not isinstance(faults, FaultPlan):
            faults = FaultPlan(faults)
        self._faults = faults

    def now(self) -> float:
        """The emulator's clock: ``clock() + clock_skew``, in epoch seconds."""
        return self.clock() + self.clock_skew

    def reset(self) -> None:
        """Forget recorded requests and rewind the fault plan (see `FaultPlan.reset`)."""
        self.requests.clear()
        self._faults.reset()

    def reset_state(self) -> None:
        """Forget executions, plans, workflows, triggers and saved job settings.

        The jobs themselves stay (assign ``app.jobs`` to replace them); so do the recorded
        requests and the fault plan (see `reset`). For a served emulator shared by tests.
        """
        with self._store.lock:
            self._store.runs.clear()
            self._store.runs.plans.clear()
            self._store.workflows.clear()
            self._store.triggers.clear()
            self._store.details.clear()

    def transport(self) -> httpx.AsyncBaseTransport:
        """An httpx transport that calls this app in process (no socket).

        Dropped and truncated responses raise `httpx.RemoteProtocolError` with the
        message httpx gives over a socket, when the body is read; latency sleeps on the
        caller's event loop, and the request's read timeout is enforced
        (`httpx.ReadTimeout`).
        """
        from ._transport import InProcessTransport

        return InProcessTransport(self)

    # ASGI

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one ASGI connection scope (``http``; ``lifespan`` is acknowledged)."""
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http":
            await self._http(scope, receive, send)
        else:
            raise RuntimeError(f"the emulator serves HTTP only, not {scope['type']!r}")

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        now = arrived = self.now()
        method: str = scope["method"]
        raw_path: bytes = scope.get("raw_path") or scope["path"].encode("utf-8")
        query: bytes = scope.get("query_string", b"")
        target = raw_path + b"?" + query if query else raw_path
        headers: list[tuple[bytes, bytes]] = scope["headers"]
        body = await read_body(receive)
        timestamp = header(headers, TIMESTAMP)
        access_key = header(headers, ACCESS_KEY)

        def record(status: int | None, fault: Fault | None) -> None:
            self.requests.append(
                RequestRecord(
                    method=method,
                    target=target.decode("ascii", "backslashreplace"),
                    status=status,
                    fault=None if fault is None else fault.name,
                    timestamp=timestamp,
                    access_key=access_key,
                    received_at=arrived,
                )
            )

        failure = authenticate(self.credentials, method, target, headers, now, self.max_skew)
        if failure is not None:
            response = gateway_error(401, "200", "Authentication Failed", failure)
            record(response.status, None)
            await send_response(send, response, now)
            return

        path_text = raw_path.decode("ascii", "backslashreplace")
        fault = self._faults.next_fault(method, path_text)
        if isinstance(fault, Latency):
            try:
                await asyncio.sleep(fault.seconds)
            except asyncio.CancelledError:
                # Cancelled while waiting: by a client's timeout (in process) or by a server
                # shutting down. A response started and never finished makes the server
                # close the connection, so the client sees it break (not a 500 page).
                record(None, fault)
                gone = gateway_error(503, "500", "Endpoint Error", "The server went away.")
                await send_response(send, gone, self.now(), sent=0)
                raise
            now = self.now()
        response = self._respond(fault, method, raw_path, query, body, headers, now)
        record(response.status, fault)
        await _send_as_faulted(send, response, fault, now)

    def _respond(
        self,
        fault: Fault | None,
        method: str,
        raw_path: bytes,
        query: bytes,
        body: bytes | None,
        headers: list[tuple[bytes, bytes]],
        now: float,
    ) -> Response:
        """The response for a request, given the fault drawn for it."""
        if isinstance(fault, Throttle | ServerFailure):
            return fault_response(fault)  # the gateway refused: the service saw nothing
        if isinstance(fault, DropConnection) and method in _WRITES:
            # The connection breaks before the service sees the write: nothing is written.
            # A response head must still be started for the server to close the connection.
            return gateway_error(503, "500", "Endpoint Error", "The connection was lost.")
        response = self._route(method, raw_path, query, body, headers, now)
        if isinstance(fault, LostResponse) and fault.status is not None:
            return fault_response(fault)
        if isinstance(fault, MalformedBody):
            broken = response.body[: len(response.body) // 2] if fault.body is None else fault.body
            return Response(200, broken, content_type=fault.content_type)
        return response

    def _route(
        self,
        method: str,
        raw_path: bytes,
        query: bytes,
        body: bytes | None,
        headers: list[tuple[bytes, bytes]],
        now: float,
    ) -> Response:
        found = resolve(method, raw_path)
        if found is None:
            return no_route(method, raw_path)
        if body is None:
            return too_large(MAX_BODY_BYTES)
        handler, params = found
        try:
            call = Call(
                method=method,
                params=params,
                query=parse_query(query),
                body=json_body(body) if method in _WITH_BODY else NO_BODY,
                store=self._store,
                now=now,
                g2=self._api_version == "G2",
                count_mode=self.count_mode,
                headers=tuple(headers),
            )
            with self._store.lock:
                return handler(call)
        except ApiError as exc:
            return exc.response


async def _send_as_faulted(send: Send, response: Response, fault: Fault | None, now: float) -> None:
    """Send ``response`` whole, or break it off as a dropped or truncated one."""
    if isinstance(fault, DropConnection) or (
        isinstance(fault, LostResponse) and fault.status is None
    ):
        await send_response(send, response, now, sent=0)
    elif isinstance(fault, TruncatedBody):
        await send_response(send, response, now, sent=int(len(response.body) * fault.fraction))
    else:
        await send_response(send, response, now)
