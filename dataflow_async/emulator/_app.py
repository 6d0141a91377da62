"""The emulator itself: a raw ASGI 3 application serving ``GET /api/v1/jobs``.

It behaves like the NCP API gateway in front of the Data Flow service: every request is
authenticated first (signature v2, recomputed from the request target exactly as
received), then an optional fault is injected (see ``_faults.py``), then the request is
routed, its parameters validated, and a page of jobs served. No web framework: the app
needs only the standard library, attrs and (optionally) orjson.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hmac
import json
import re
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, MutableMapping
from email.utils import format_datetime, formatdate
from typing import TYPE_CHECKING, Any, Literal, SupportsIndex, TypeAlias
from urllib.parse import unquote_to_bytes

import attrs

from .._auth import ACCESS_KEY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign_v2
from ._faults import (
    DropConnection,
    Fault,
    FaultPlan,
    Latency,
    MalformedBody,
    ServerFailure,
    Throttle,
    TruncatedBody,
)

if TYPE_CHECKING:
    import httpx

__all__ = [
    "DEFAULT_ACCESS_KEY",
    "DEFAULT_SECRET_KEY",
    "JOBS_PATH",
    "JOB_STATUSES",
    "EmulatorApp",
    "JobList",
    "RequestRecord",
]

#: Access key the emulator accepts when no ``credentials`` are given.
DEFAULT_ACCESS_KEY = "EMULATORACCESSKEY"
#: Secret key paired with :data:`DEFAULT_ACCESS_KEY`.
DEFAULT_SECRET_KEY = "EMULATORSECRETKEY"
#: The one route the emulator serves.
JOBS_PATH = "/api/v1/jobs"
#: Values the ``status`` query parameter accepts (both revisions of the API).
JOB_STATUSES = (
    "RUNNABLE",
    "RUNNING",
    "DELETED",
    "UNKNOWN",
    "DRAFT",
    "STOPPED",
    "EDITING",
    "READY",
)

Scope: TypeAlias = MutableMapping[str, Any]
Message: TypeAlias = MutableMapping[str, Any]
Receive: TypeAlias = Callable[[], Awaitable[Message]]
Send: TypeAlias = Callable[[Message], Awaitable[None]]
CountMode: TypeAlias = Literal["page", "total"]

_DEFAULT_LIMIT = 1000
_INT32_MAX = 2**31 - 1
_DIGITS = re.compile(r"[0-9]+")
# Digit strings are length-checked before int(): past 4,300 digits int() raises instead
# of parsing. page and limit fit in 10 digits (an int32); epoch milliseconds take 13.
_MAX_PARAM_DIGITS = len(str(_INT32_MAX))
_MAX_TIMESTAMP_DIGITS = 15
# Lists up to this size are re-sorted on every request, so that a job dict edited in
# place is always seen; larger ones are cached until the list changes (or touch()).
_ALWAYS_FRESH = 2_000
_JOBS_PATH_BYTES = JOBS_PATH.encode("ascii")
_TIMESTAMP = TIMESTAMP_HEADER.encode("ascii")
_ACCESS_KEY = ACCESS_KEY_HEADER.encode("ascii")
_SIGNATURE = SIGNATURE_HEADER.encode("ascii")

try:
    import orjson
except ImportError:  # pragma: no cover - orjson is installed in the test environment

    def _dumps(value: Any) -> bytes:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")

else:

    def _dumps(value: Any) -> bytes:
        return orjson.dumps(value)


@attrs.frozen
class RequestRecord:
    """One request as the emulator saw it, kept in ``EmulatorApp.requests`` for assertions.

    ``target`` is the request target exactly as received (path plus ``?query``, still
    percent-encoded). ``status`` is the status the emulator answered with (for a dropped
    or truncated response, the status of the response it started). It is ``None`` for a
    request whose :class:`Latency` wait was cancelled (by an in-process read timeout, or
    by a server shutting down): the record is made when the wait is cancelled; the
    emulator then starts a 503 response head and leaves it unfinished, only so that the
    connection is closed (the client sees it break, not an error page), and that 503 is
    not recorded. ``fault`` names the injected fault (``"throttle"``, ...) or is ``None``.
    ``timestamp`` and ``access_key`` are the signature headers as sent (``None`` when
    missing); ``received_at`` is the emulator's (skewed) clock when the request arrived,
    in epoch seconds.
    """

    method: str
    target: str
    status: int | None
    fault: str | None
    timestamp: str | None
    access_key: str | None
    received_at: float = 0.0


class JobList(list[dict[str, Any]]):
    """The emulator's job list: a plain ``list`` that counts its own changes.

    Why: the app caches the sorted view of big lists, and must notice churn between
    pages. Every change made through the list (append, remove, ``del``, slice assignment,
    sort, ...) bumps :attr:`version`. A job dict edited in place is seen at once in lists
    of up to 2,000 jobs; for bigger ones call :meth:`touch` after such an edit.
    """

    version: int = 0

    def touch(self) -> None:
        """Mark the list as changed (after editing a job dict in place)."""
        self.version += 1

    def append(self, job: dict[str, Any], /) -> None:
        """Add a job at the end (the served order is by creation date anyway)."""
        super().append(job)
        self.version += 1

    def extend(self, jobs: Iterable[dict[str, Any]], /) -> None:
        """Add several jobs."""
        super().extend(jobs)
        self.version += 1

    def insert(self, index: SupportsIndex, job: dict[str, Any], /) -> None:
        """Insert a job at ``index``."""
        super().insert(index, job)
        self.version += 1

    def remove(self, job: dict[str, Any], /) -> None:
        """Remove the first job equal to ``job``."""
        super().remove(job)
        self.version += 1

    def pop(self, index: SupportsIndex = -1, /) -> dict[str, Any]:
        """Remove and return the job at ``index``."""
        job = super().pop(index)
        self.version += 1
        return job

    def clear(self) -> None:
        """Remove every job."""
        super().clear()
        self.version += 1

    def sort(self, *args: Any, **kwargs: Any) -> None:
        """Sort in place (the served order does not depend on the list's order)."""
        super().sort(*args, **kwargs)
        self.version += 1

    def reverse(self) -> None:
        """Reverse in place."""
        super().reverse()
        self.version += 1

    def __setitem__(self, index: Any, value: Any) -> None:
        super().__setitem__(index, value)
        self.version += 1

    def __delitem__(self, index: Any) -> None:
        super().__delitem__(index)
        self.version += 1

    def __iadd__(self, jobs: Iterable[dict[str, Any]]) -> JobList:  # type: ignore[override,misc]
        super().__iadd__(jobs)
        self.version += 1
        return self

    def __imul__(self, times: SupportsIndex) -> JobList:
        super().__imul__(times)
        self.version += 1
        return self


@attrs.frozen
class _Response:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: tuple[tuple[bytes, bytes], ...] = ()


class _BadParameter(Exception):
    pass


def _gateway_error(status: int, code: str, message: str, details: str) -> _Response:
    body = {"error": {"errorCode": code, "message": message, "details": details}}
    return _Response(status, _dumps(body))


def _bad_parameter(detail: str) -> _Response:
    return _Response(400, _dumps({"errorType": "bad-parameter", "detail": detail}))


def _html_error(status: int) -> _Response:
    from http import HTTPStatus

    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    title = f"{status} {phrase}"
    body = (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
        f"<center><h1>{title}</h1></center>\r\n</body>\r\n</html>\r\n"
    )
    return _Response(status, body.encode("ascii"), content_type="text/html")


def _retry_after(value: float | dt.datetime | str) -> bytes:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return format_datetime(value.astimezone(dt.UTC), usegmt=True).encode("ascii")
    if isinstance(value, str):
        return value.encode("latin-1")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).encode("ascii")


def _fault_response(fault: Throttle | ServerFailure) -> _Response:
    if isinstance(fault, Throttle):
        headers: list[tuple[bytes, bytes]] = []
        if fault.retry_after is not None:
            headers.append((b"retry-after", _retry_after(fault.retry_after)))
        if fault.retry_after_ms is not None:
            headers.append((b"retry-after-ms", _retry_after(fault.retry_after_ms)))
        error = _gateway_error(429, fault.error_code, fault.message, "Too many requests.")
        return attrs.evolve(error, headers=tuple(headers))
    if fault.error_code is None:
        return _html_error(fault.status)
    return _gateway_error(
        fault.status, fault.error_code, fault.message or "", "The endpoint failed to respond."
    )


def _order_key(job: Mapping[str, Any]) -> tuple[int, float, str]:
    """Newest ``createdDate`` first, then ``jobId``; undated jobs last."""
    job_id = job.get("jobId")
    job_id = job_id if isinstance(job_id, str) else ""
    created = job.get("createdDate")
    if isinstance(created, str):
        try:
            when = dt.datetime.fromisoformat(created)
        except ValueError:
            pass
        else:
            if when.tzinfo is None:
                when = when.replace(tzinfo=dt.UTC)
            return (0, -when.timestamp(), job_id)
    return (1, 0.0, job_id)


def _name_matches(value: object, name: str) -> bool:
    return isinstance(value, str) and name in value


def _parse_query(query: bytes) -> dict[str, str]:
    """Decode ``a=1&b=x+y`` (``+`` is a space, ``%XX`` a byte of UTF-8) into a dict."""
    params: dict[str, str] = {}
    for part in query.split(b"&"):
        if not part:
            continue
        raw_key, _, raw_value = part.partition(b"=")
        try:
            key = unquote_to_bytes(raw_key.replace(b"+", b" ")).decode("utf-8")
            value = unquote_to_bytes(raw_value.replace(b"+", b" ")).decode("utf-8")
        except UnicodeDecodeError:
            raise _BadParameter("the query string is not valid percent-encoded UTF-8") from None
        if key in params:
            raise _BadParameter(f"query parameter {key!r} is given more than once")
        params[key] = value
    return params


def _int_param(params: Mapping[str, str], name: str, default: int, minimum: int) -> int:
    text = params.get(name)
    if text is None:
        return default
    if (
        len(text) > _MAX_PARAM_DIGITS
        or not _DIGITS.fullmatch(text)
        or not minimum <= int(text) <= _INT32_MAX
    ):
        shown = repr(text) if len(text) <= 40 else f"{text[:20]!r}... ({len(text)} characters)"
        raise _BadParameter(
            f"{name} must be an integer from {minimum} to {_INT32_MAX}, not {shown}"
        )
    return int(text)


def _header(headers: Iterable[tuple[bytes, bytes]], name: bytes) -> str | None:
    for key, value in headers:
        if key.lower() == name:
            return value.decode("latin-1")
    return None


class EmulatorApp:
    """A local, faithful stand-in for ``GET /api/v1/jobs`` behind the NCP API gateway.

    Why: so that clients can be tested (and benchmarked) without the real service,
    including its authentication, validation, paging and failure modes. It is a raw
    ASGI 3 app: serve it with :func:`run_emulator` / :func:`serve_forever`, or call it in
    process through :meth:`transport`.

    ``jobs`` seed :attr:`jobs` (served as given, unknown fields included).
    ``credentials`` maps access keys to secret keys (default: :data:`DEFAULT_ACCESS_KEY`
    -> :data:`DEFAULT_SECRET_KEY`). ``faults`` is a :class:`FaultPlan` (or a sequence of
    faults, taken as a script). ``clock`` returns epoch seconds; ``clock_skew`` seconds are
    added to it (to emulate a client whose clock is off). ``count_mode`` chooses what
    ``count`` means: ``"page"`` (the items in this page, as documented) or ``"total"``
    (all matching jobs). ``max_skew`` is how far (seconds) a request timestamp may be from
    the emulator's clock.

    Order of checks, as the gateway does it: authentication (401), then the fault plan
    (faults apply only to authenticated requests, so they never mask an auth test), then
    routing (404), then parameters (400).
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
        self.requests: list[RequestRecord] = []
        self._sorted: tuple[JobList, int, list[dict[str, Any]]] | None = None
        self._views: dict[tuple[str | None, str | None], list[dict[str, Any]]] = {}
        self._jobs = JobList()
        self.jobs = jobs or ()

    @property
    def jobs(self) -> JobList:
        """The jobs served, in any order (a :class:`JobList`; change it freely)."""
        return self._jobs

    @jobs.setter
    def jobs(self, jobs: Iterable[Mapping[str, Any]]) -> None:
        self._jobs = JobList(job if type(job) is dict else dict(job) for job in jobs)
        self._sorted = None

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
        """Forget recorded requests and rewind the fault plan (see :meth:`FaultPlan.reset`)."""
        self.requests.clear()
        self._faults.reset()

    def transport(self) -> httpx.AsyncBaseTransport:
        """An httpx transport that calls this app in process (no socket).

        Why: fast unit tests with the same failures a socket client sees. Dropped and
        truncated responses raise :class:`httpx.RemoteProtocolError` with the message
        httpx gives over a socket, when the body is read; latency sleeps on the caller's
        event loop, and the request's read timeout is enforced (:class:`httpx.ReadTimeout`).
        """
        from ._transport import InProcessTransport

        return InProcessTransport(self)

    # ASGI

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one ASGI connection scope (``http``; ``lifespan`` is acknowledged)."""
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http":
            await self._http(scope, send)
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

    async def _http(self, scope: Scope, send: Send) -> None:
        now = arrived = self.now()
        method: str = scope["method"]
        raw_path: bytes = scope.get("raw_path") or scope["path"].encode("utf-8")
        query: bytes = scope.get("query_string", b"")
        target = raw_path + b"?" + query if query else raw_path
        headers: list[tuple[bytes, bytes]] = scope["headers"]
        timestamp = _header(headers, _TIMESTAMP)
        access_key = _header(headers, _ACCESS_KEY)

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

        failure = self._authenticate(method, target, headers, now)
        if failure is not None:
            response = _gateway_error(401, "200", "Authentication Failed", failure)
            record(response.status, None)
            await self._send(send, response, now)
            return

        fault = self._faults.next_fault()
        if isinstance(fault, Latency):
            try:
                await asyncio.sleep(fault.seconds)
            except asyncio.CancelledError:
                # Cancelled while waiting: by a client's timeout (in process) or by a server
                # shutting down. A response started and never finished makes the server
                # close the connection, so the client sees it break (not a 500 page).
                record(None, fault)
                gone = _gateway_error(503, "500", "Endpoint Error", "The server went away.")
                await self._send(send, gone, self.now(), sent=0)
                raise
            now = self.now()
        if isinstance(fault, Throttle | ServerFailure):
            response = _fault_response(fault)
        else:
            response = self._route(method, raw_path, query)
        if isinstance(fault, MalformedBody):
            body = response.body[: len(response.body) // 2] if fault.body is None else fault.body
            response = _Response(200, body, content_type=fault.content_type)
        record(response.status, fault)
        if isinstance(fault, DropConnection):
            await self._send(send, response, now, sent=0)
        elif isinstance(fault, TruncatedBody):
            await self._send(send, response, now, sent=int(len(response.body) * fault.fraction))
        else:
            await self._send(send, response, now)

    def _authenticate(
        self, method: str, target: bytes, headers: list[tuple[bytes, bytes]], now: float
    ) -> str | None:
        """Check the signature headers like the gateway; return why they fail, or None."""
        values: dict[bytes, str] = {}
        for name in (_TIMESTAMP, _ACCESS_KEY, _SIGNATURE):
            value = _header(headers, name)
            if value is None:
                return f"missing header {name.decode()}"
            values[name] = value
        timestamp, access_key, signature = (
            values[_TIMESTAMP],
            values[_ACCESS_KEY],
            values[_SIGNATURE],
        )
        secret = self.credentials.get(access_key)
        if secret is None:
            return "unknown access key"
        if len(timestamp) > _MAX_TIMESTAMP_DIGITS or not _DIGITS.fullmatch(timestamp):
            return f"{TIMESTAMP_HEADER} must be epoch milliseconds as an integer"
        offset = int(timestamp) / 1000 - now
        if abs(offset) > self.max_skew:
            return (
                f"{TIMESTAMP_HEADER} is {offset:+.0f} s from the server's clock "
                f"(at most {self.max_skew:g} s allowed)"
            )
        if not target.isascii():
            return "the request target is not ASCII (percent-encode it, then sign it)"
        expected = sign_v2(secret, method, target, timestamp, access_key)
        if not hmac.compare_digest(expected.encode("ascii"), signature.encode("latin-1")):
            return (
                f"{SIGNATURE_HEADER} does not match; the signed string must be "
                f"'{method.upper()} {target.decode('ascii')}' + LF + timestamp + LF + access key"
            )
        return None

    def _route(self, method: str, raw_path: bytes, query: bytes) -> _Response:
        if method != "GET" or raw_path != _JOBS_PATH_BYTES:
            shown = raw_path.decode("ascii", "backslashreplace")
            return _gateway_error(
                404, "300", "Not Found Exception", f"no route for {method} {shown}"
            )
        try:
            return self._list_jobs(_parse_query(query))
        except _BadParameter as exc:
            return _bad_parameter(str(exc))

    def _list_jobs(self, params: Mapping[str, str]) -> _Response:
        name = params.get("name") or None
        status = params.get("status")
        if status is not None and status not in JOB_STATUSES:
            raise _BadParameter(f"status must be one of {', '.join(JOB_STATUSES)}, not {status!r}")
        page = _int_param(params, "page", 0, 0)
        limit = _int_param(params, "limit", _DEFAULT_LIMIT, 1)
        matching = self._view(name, status)
        start = page * limit
        items = matching[start : start + limit]
        count = len(matching) if self.count_mode == "total" else len(items)
        body = {"list": items, "count": count, "page": page, "limit": limit}
        return _Response(200, _dumps(body))

    def _view(self, name: str | None, status: str | None) -> list[dict[str, Any]]:
        """The jobs matching the filters, in served order (cached for big lists)."""
        jobs = self._jobs
        version = jobs.version  # read before copying: a concurrent change shows next time
        cached = self._sorted
        if (
            cached is None
            or cached[0] is not jobs
            or cached[1] != version
            or len(jobs) <= _ALWAYS_FRESH
        ):
            ordered = sorted(jobs, key=_order_key)
            self._sorted = cached = (jobs, version, ordered)
            self._views = {}
        if name is None and status is None:
            return cached[2]
        key = (name, status)
        view = self._views.get(key)
        if view is None:
            view = [
                job
                for job in cached[2]
                if (status is None or job.get("status") == status)
                and (name is None or _name_matches(job.get("name"), name))
            ]
            if len(self._views) >= 32:
                self._views.clear()
            self._views[key] = view
        return view

    @staticmethod
    async def _send(
        send: Send, response: _Response, now: float, *, sent: int | None = None
    ) -> None:
        """Send ``response``; with ``sent``, only that many body bytes and no end."""
        headers = [
            (b"content-type", response.content_type.encode("latin-1")),
            (b"content-length", str(len(response.body)).encode("ascii")),
            (b"date", formatdate(now, usegmt=True).encode("ascii")),
            *response.headers,
        ]
        await send({"type": "http.response.start", "status": response.status, "headers": headers})
        if sent is None:
            await send({"type": "http.response.body", "body": response.body, "more_body": False})
        elif sent:
            await send(
                {"type": "http.response.body", "body": response.body[:sent], "more_body": True}
            )
        # An unfinished response: the server closes the connection when the app returns.
