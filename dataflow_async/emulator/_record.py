"""What the emulator keeps of each request it saw, for assertions."""

from __future__ import annotations

import attrs

__all__ = ["RequestRecord"]


@attrs.frozen
class RequestRecord:
    """One request as the emulator saw it, kept in ``EmulatorApp.requests`` for assertions.

    ``target`` is the request target exactly as received (path plus ``?query``, still
    percent-encoded). ``status`` is the status the emulator answered with (for a dropped
    or truncated response, the status of the response it started). It is ``None`` for a
    request whose `Latency` wait was cancelled (by an in-process read timeout, or
    by a server shutting down): the record is made when the wait is cancelled; the
    emulator then starts a 503 response head and leaves it unfinished, only so that the
    connection is closed (the client sees it break, not an error page), and that 503 is
    not recorded. ``fault`` names the injected fault (``"throttle"``, ...) or is ``None``.
    ``timestamp`` and ``access_key`` are the signature headers as sent (``None`` when
    missing); ``received_at`` is the emulator's (skewed) clock when the request arrived,
    in epoch seconds.

    Attributes:
        method: The request's method.
        target: The request target as received.
        status: The status answered; `None` for a cancelled `Latency` wait.
        fault: The name of the injected fault, or `None`.
        timestamp: The `x-ncp-apigw-timestamp` header, or `None`.
        access_key: The `x-ncp-iam-access-key` header, or `None`.
        received_at: The emulator's clock when the request arrived, in epoch seconds.
    """

    method: str
    target: str
    status: int | None
    fault: str | None
    timestamp: str | None
    access_key: str | None
    received_at: float = 0.0
