"""What the NCP API gateway does before the service sees a request.

Signature v2 is checked on every route exactly as the gateway does it (method and the
request target as received, path plus query; bodies are not signed), and gateway-made
answers (throttling, 5xx, oversized bodies) are built here.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Mapping

import attrs

from .._auth import ACCESS_KEY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign_v2
from ._faults import LostResponse, ServerFailure, Throttle
from ._wire import DIGITS, Response, gateway_error, html_error, retry_after

__all__ = ["authenticate", "fault_response", "header", "too_large"]

_MAX_TIMESTAMP_DIGITS = 15  # epoch milliseconds take 13
TIMESTAMP = TIMESTAMP_HEADER.encode("ascii")
ACCESS_KEY = ACCESS_KEY_HEADER.encode("ascii")
SIGNATURE = SIGNATURE_HEADER.encode("ascii")
_FAILURE_CODES = {500: "900", 503: "500", 504: "510"}
_FAILURE_MESSAGES = {"500": "Endpoint Error", "510": "Endpoint Timeout", "900": "Unexpected Error"}


def header(headers: Iterable[tuple[bytes, bytes]], name: bytes) -> str | None:
    """The first header called ``name`` (lower-case bytes), decoded as latin-1."""
    for key, value in headers:
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def authenticate(
    credentials: Mapping[str, str],
    method: str,
    target: bytes,
    headers: list[tuple[bytes, bytes]],
    now: float,
    max_skew: float,
) -> str | None:
    """Check the signature headers like the gateway; return why they fail, or None."""
    values: dict[bytes, str] = {}
    for name in (TIMESTAMP, ACCESS_KEY, SIGNATURE):
        value = header(headers, name)
        if value is None:
            return f"missing header {name.decode()}"
        values[name] = value
    timestamp, access_key, signature = values[TIMESTAMP], values[ACCESS_KEY], values[SIGNATURE]
    secret = credentials.get(access_key)
    if secret is None:
        return "unknown access key"
    if len(timestamp) > _MAX_TIMESTAMP_DIGITS or not DIGITS.fullmatch(timestamp):
        return f"{TIMESTAMP_HEADER} must be epoch milliseconds as an integer"
    offset = int(timestamp) / 1000 - now
    if abs(offset) > max_skew:
        return (
            f"{TIMESTAMP_HEADER} is {offset:+.0f} s from the server's clock "
            f"(at most {max_skew:g} s allowed)"
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


def _server_failure(status: int, error_code: str | None, message: str | None) -> Response:
    if error_code is None:
        return html_error(status)
    return gateway_error(status, error_code, message or "", "The endpoint failed to respond.")


def fault_response(fault: Throttle | ServerFailure | LostResponse) -> Response:
    """The gateway's answer for a throttling or 5xx fault."""
    if isinstance(fault, Throttle):
        headers: list[tuple[bytes, bytes]] = []
        if fault.retry_after is not None:
            headers.append((b"retry-after", retry_after(fault.retry_after)))
        if fault.retry_after_ms is not None:
            headers.append((b"retry-after-ms", retry_after(fault.retry_after_ms)))
        error = gateway_error(429, fault.error_code, fault.message, "Too many requests.")
        return attrs.evolve(error, headers=tuple(headers))
    if isinstance(fault, LostResponse):
        status = fault.status or 504
        code = _FAILURE_CODES.get(status)
        return _server_failure(status, code, None if code is None else _FAILURE_MESSAGES[code])
    return _server_failure(fault.status, fault.error_code, fault.message)


def too_large(limit: int) -> Response:
    """The gateway's 413 for a request body over ``limit`` bytes."""
    return gateway_error(
        413, "430", "Request Entity Too Large", f"the request body is over {limit} bytes"
    )
