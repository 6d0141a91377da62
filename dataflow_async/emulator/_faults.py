"""Faults the emulator can inject, and the plan that decides which request gets which.

A fault is plain frozen data; the app (``_app.py``) turns it into bytes on the wire. A
`FaultPlan` is consulted once per request that passed authentication (faults never
mask an authentication failure, so auth tests stay exact) and answers with a fault or
``None`` (serve normally). Plans are deterministic: a script plays back in order, and the
random mix draws from its own seeded generator, so the same sequence of requests always
meets the same faults.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections import Counter, deque
from collections.abc import Iterable, Sequence
from random import Random
from typing import ClassVar, TypeAlias

import attrs

__all__ = [
    "DropConnection",
    "Fault",
    "FaultPlan",
    "Latency",
    "LostResponse",
    "MalformedBody",
    "ServerFailure",
    "Throttle",
    "TruncatedBody",
]

#: Gateway error codes of a 429, with their messages.
THROTTLE_MESSAGES = {"400": "Quota Exceeded", "410": "Throttle Limited", "420": "Rate Limited"}
#: Gateway error codes of a 5xx, with their messages.
FAILURE_MESSAGES = {"500": "Endpoint Error", "510": "Endpoint Timeout", "900": "Unexpected Error"}
# The code the gateway pairs with each 5xx status; 502 comes as an HTML page instead.
_FAILURE_CODES = {500: "900", 503: "500", 504: "510"}


def _check_throttle_code(instance: Throttle, attribute: attrs.Attribute[str], value: str) -> None:
    if value not in THROTTLE_MESSAGES:
        raise ValueError(f"error_code must be one of {sorted(THROTTLE_MESSAGES)}, not {value!r}")


def _check_retry_after(
    instance: Throttle,
    attribute: attrs.Attribute[float | dt.datetime | str | None],
    value: float | dt.datetime | str | None,
) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float | dt.datetime | str | None):
        raise TypeError(
            f"retry_after must be seconds, a datetime, a str or None, not {type(value).__name__}"
        )
    if isinstance(value, int | float) and not value >= 0:
        raise ValueError(f"retry_after must be >= 0, not {value!r}")


@attrs.frozen
class Throttle:
    """Answer 429 with the gateway's throttling body, as NCP does when a quota is hit.

    ``error_code`` is ``"400"`` (Quota Exceeded), ``"410"`` (Throttle Limited) or ``"420"``
    (Rate Limited). ``retry_after`` adds a ``Retry-After`` header: a number of seconds
    (an int, or a float with no fractional part, is sent as an integer: ``2`` and ``2.0``
    both as ``2``; any other float as ``str()`` writes it, e.g. ``1.5``, which is not
    standard but is seen in the wild), a `datetime.datetime` (sent as an HTTP-date;
    a naive one is taken as UTC) or a str sent verbatim (to test parsing of odd values).
    ``retry_after_ms`` adds a ``retry-after-ms`` header (milliseconds, written the same
    way as a number of seconds).

    Attributes:
        error_code: `"400"`, `"410"` or `"420"` (the default).
        retry_after: The `Retry-After` header to send; `None`: none.
        retry_after_ms: The `retry-after-ms` header to send; `None`: none.
    """

    name: ClassVar[str] = "throttle"

    error_code: str = attrs.field(default="420", validator=_check_throttle_code)
    retry_after: float | dt.datetime | str | None = attrs.field(
        default=None, validator=_check_retry_after
    )
    retry_after_ms: float | None = attrs.field(
        default=None, kw_only=True, validator=attrs.validators.optional(attrs.validators.ge(0))
    )

    @property
    def message(self) -> str:
        """The gateway's message for ``error_code``."""
        return THROTTLE_MESSAGES[self.error_code]


def _default_failure_code(instance: ServerFailure) -> str | None:
    return _FAILURE_CODES.get(instance.status)


def _check_failure_status(
    instance: ServerFailure, attribute: attrs.Attribute[int], value: int
) -> None:
    if not 500 <= value <= 599:
        raise ValueError(f"status must be a 5xx status, not {value!r}")


def _check_failure_code(
    instance: ServerFailure, attribute: attrs.Attribute[str | None], value: str | None
) -> None:
    if value is not None and value not in FAILURE_MESSAGES:
        raise ValueError(
            f"error_code must be one of {sorted(FAILURE_MESSAGES)} or None, not {value!r}"
        )


@attrs.frozen
class ServerFailure:
    """Answer a 5xx, as the gateway does when the service behind it fails.

    With an ``error_code`` the body is the gateway's JSON error: 503/``"500"`` Endpoint
    Error, 504/``"510"`` Endpoint Timeout, 500/``"900"`` Unexpected Error (the default code
    follows the status). With ``error_code=None`` (the default for 502 and any other 5xx)
    the body is a plain HTML error page, as a load balancer sends: clients must not assume
    an error body is JSON.

    Attributes:
        status: The 5xx status (503 by default).
        error_code: The gateway's error code; `None`: an HTML error page.
    """

    name: ClassVar[str] = "server-failure"

    status: int = attrs.field(default=503, validator=_check_failure_status)
    error_code: str | None = attrs.field(
        default=attrs.Factory(_default_failure_code, takes_self=True),
        validator=_check_failure_code,
    )

    @property
    def message(self) -> str | None:
        """The gateway's message for ``error_code`` (``None`` for an HTML page)."""
        return None if self.error_code is None else FAILURE_MESSAGES[self.error_code]


@attrs.frozen
class Latency:
    """Wait ``seconds`` before serving the request normally (a slow gateway or service).

    Use it to exercise client timeouts and concurrency limits. Over a socket the server
    sleeps in its own loop; in process (``EmulatorApp.transport()``) the sleep runs on the
    caller's event loop, and the transport enforces the request's read timeout.

    Attributes:
        seconds: How long to wait, >= 0.
    """

    name: ClassVar[str] = "latency"

    seconds: float = attrs.field(validator=attrs.validators.ge(0))


@attrs.frozen
class DropConnection:
    """Close the connection without a complete response.

    Over a socket the status line and headers (with the Content-Length of the real body)
    are sent, then the connection is closed with no body: the best a uvicorn-served ASGI
    app can do, and what a proxy dying mid-response looks like. An httpx client sees
    `httpx.RemoteProtocolError` when it reads the body (``client.get`` raises it).
    """

    name: ClassVar[str] = "drop-connection"


def _check_fraction(
    instance: TruncatedBody, attribute: attrs.Attribute[float], value: float
) -> None:
    if not 0.0 <= value < 1.0:
        raise ValueError(f"fraction must be in [0, 1), not {value!r}")


@attrs.frozen
class TruncatedBody:
    """Declare the full Content-Length, send ``fraction`` of the body, close the connection.

    An httpx client sees `httpx.RemoteProtocolError` ("peer closed connection
    without sending complete message body") while reading the body.

    Attributes:
        fraction: The part of the body sent, in [0, 1).
    """

    name: ClassVar[str] = "truncated-body"

    fraction: float = attrs.field(default=0.5, validator=_check_fraction)


@attrs.frozen
class MalformedBody:
    """Answer 200 with a correct Content-Length and a body that is not JSON.

    ``body`` is sent as is; by default it is the first half of the real JSON body (a
    prefix of a JSON object never parses). ``content_type`` is still JSON by default,
    because that is the lie a broken upstream tells.

    Attributes:
        body: The bytes to send; `None`: the first half of the real body.
        content_type: The `Content-Type` header.
    """

    name: ClassVar[str] = "malformed-body"

    body: bytes | None = None
    content_type: str = "application/json"


def _check_lost_status(
    instance: LostResponse, attribute: attrs.Attribute[int | None], value: int | None
) -> None:
    if value is not None and not 500 <= value <= 599:
        raise ValueError(f"status must be a 5xx status or None, not {value!r}")


@attrs.frozen
class LostResponse:
    """Serve the request (a write takes effect), then lose the answer on the way back.

    A client that writes (starts an execution, creates a job) and sees the call fail
    cannot tell whether the write happened; this fault makes it happen, so that a client's
    reconciliation ("did my start arrive?") can be tested. With ``status=None`` the
    connection breaks after the response head, like `DropConnection`
    (`httpx.RemoteProtocolError` on reading the body). With a 5xx ``status`` the
    gateway answers that error instead (503/504 with its JSON body, other 5xx as an
    HTML page), e.g. 504 Endpoint Timeout for a service that was merely slow.

    The other faults on a write: `Throttle`, `ServerFailure` and
    `DropConnection` stop the request before the service sees it (nothing is
    written); `Latency`, `TruncatedBody` and `MalformedBody` let
    it through (the write happens).

    Attributes:
        status: A 5xx status to answer instead; `None`: break the connection.
    """

    name: ClassVar[str] = "lost-response"

    status: int | None = attrs.field(default=None, validator=_check_lost_status)


#: Any fault the emulator can inject.
Fault: TypeAlias = (
    Throttle
    | ServerFailure
    | Latency
    | DropConnection
    | TruncatedBody
    | MalformedBody
    | LostResponse
)
_FAULT_TYPES = (
    Throttle,
    ServerFailure,
    Latency,
    DropConnection,
    TruncatedBody,
    MalformedBody,
    LostResponse,
)


def _check_fault(value: object, *, allow_none: bool) -> None:
    if value is None and allow_none:
        return
    if not isinstance(value, _FAULT_TYPES):
        raise TypeError(f"not a fault: {value!r}")


class FaultPlan:
    """Decides, request by request, which fault (if any) the emulator injects.

    Tests get failures at exact points ("the third page is throttled"), and
    benchmarks a reproducible mix. A plan first plays ``script`` in order (``None``
    in it means "serve this one normally"); after the script, each request gets a fault
    with probability ``rate``, the fault chosen from ``faults``, both drawn from a
    generator seeded with ``seed``. The same sequence of requests therefore meets the same
    faults. ``injected`` counts the faults handed out, by fault name (``"throttle"``,
    ``"latency"``, ...). Thread-safe: the served app and the test may share it.

    Args:
        script: Faults for the next requests in order; `None` in it serves that one normally.
        seed: The seed of the random draws.
        rate: The probability, from 0 to 1, that a request after the script gets a fault.
        faults: The faults to draw from when `rate` is above 0.
        methods: Only requests with these methods are subject to the plan.
        path: Only requests whose path matches this regular expression are.

    Raises:
        TypeError: A step or a fault is not a fault, or `methods` is a string.
        ValueError: `rate` is outside [0, 1], or above 0 with no faults.
    """

    def __init__(
        self,
        script: Iterable[Fault | None] = (),
        *,
        seed: int = 0,
        rate: float = 0.0,
        faults: Sequence[Fault] = (),
        methods: Iterable[str] | None = None,
        path: str | None = None,
    ) -> None:
        steps = tuple(script)
        for step in steps:
            _check_fault(step, allow_none=True)
        choices = tuple(faults)
        for fault in choices:
            _check_fault(fault, allow_none=False)
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"rate must be in [0, 1], not {rate!r}")
        if rate > 0 and not choices:
            raise ValueError("a rate above 0 needs at least one fault to choose from")
        if isinstance(methods, str):
            raise TypeError("methods must be a collection of method names, not a str")
        self._methods = None if methods is None else frozenset(m.upper() for m in methods)
        self._path = None if path is None else re.compile(path)
        self._steps = steps
        self._seed = seed
        self._rate = rate
        self._faults = choices
        self._lock = threading.Lock()
        self._script: deque[Fault | None] = deque(steps)
        self._rng = Random(seed)
        self.injected: Counter[str] = Counter()

    @classmethod
    def script(
        cls,
        *faults: Fault | None,
        methods: Iterable[str] | None = None,
        path: str | None = None,
    ) -> FaultPlan:
        """A plan that gives the next requests these faults in order, then serves normally.

        ``FaultPlan.script(Throttle(), None, DropConnection())``: the first request is
        throttled, the second served, the third dropped, all later ones served.
        ``methods`` and ``path`` restrict the plan (see the class).

        Args:
            *faults: A `Fault` for each request in turn, or `None` to serve that one normally.
            methods: Only requests with these methods are subject to the plan.
            path: Only requests whose path matches this regular expression are.

        Returns:
            The `FaultPlan`.
        """
        return cls(faults, methods=methods, path=path)

    @classmethod
    def random(
        cls,
        seed: int,
        rate: float,
        faults: Sequence[Fault],
        *,
        methods: Iterable[str] | None = None,
        path: str | None = None,
    ) -> FaultPlan:
        """A plan that faults each request with probability ``rate``, seeded by ``seed``.

        The fault is chosen uniformly from ``faults`` (repeat one to weight it).
        ``methods`` and ``path`` restrict the plan (see the class).

        Args:
            seed: The seed of the plan's random draws.
            rate: The probability that a request gets a fault, from 0 to 1.
            faults: The faults to choose from.
            methods: Only requests with these methods are subject to the plan.
            path: Only requests whose path matches this regular expression are.

        Returns:
            The `FaultPlan`.
        """
        return cls(seed=seed, rate=rate, faults=faults, methods=methods, path=path)

    @property
    def remaining(self) -> int:
        """How many scripted steps are still to be played."""
        return len(self._script)

    def applies_to(self, method: str, path: str) -> bool:
        """Whether requests with this method and path are subject to the plan.

        Args:
            method: The request's method.
            path: The request's path.
        """
        if self._methods is not None and method.upper() not in self._methods:
            return False
        return self._path is None or self._path.search(path) is not None

    def next_fault(self, method: str | None = None, path: str | None = None) -> Fault | None:
        """Decide the fault for the next request (``None``: serve it normally).

        With ``method`` and ``path``, a request outside the plan's filters gets ``None``
        without using up a step of the script or a random draw.

        Args:
            method: The request's method, to apply the plan's filters.
            path: The request's path, to apply the plan's filters.

        Returns:
            The `Fault` to inject, or `None`.
        """
        if method is not None and path is not None and not self.applies_to(method, path):
            return None
        with self._lock:
            fault: Fault | None
            if self._script:
                fault = self._script.popleft()
            elif self._rate > 0 and self._rng.random() < self._rate:
                fault = self._rng.choice(self._faults)
            else:
                fault = None
            if fault is not None:
                self.injected[fault.name] += 1
            return fault

    def reset(self) -> None:
        """Rewind: replay the script from the start, reseed, and zero ``injected``."""
        with self._lock:
            self._script = deque(self._steps)
            self._rng = Random(self._seed)
            self.injected.clear()

    def __repr__(self) -> str:
        return (
            f"FaultPlan(script={list(self._steps)!r}, seed={self._seed!r}, rate={self._rate!r}, "
            f"faults={list(self._faults)!r}"
            + ("" if self._methods is None else f", methods={sorted(self._methods)!r}")
            + ("" if self._path is None else f", path={self._path.pattern!r}")
            + ")"
        )
