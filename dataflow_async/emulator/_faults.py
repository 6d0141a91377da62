"""Faults the emulator can inject.

A fault is plain frozen data; the app (``_app.py``) turns it into bytes on the wire, when
the `FaultPlan` (``_fault_plan.py``) hands it to a request.
"""

from __future__ import annotations

import datetime as dt
from typing import ClassVar, TypeAlias

import attrs

__all__ = [
    "DropConnection",
    "Fault",
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
