"""What goes on the wire: responses, error bodies, query strings and dates.

Shared by the ASGI core (``_app.py``) and every route module (``_routes/``). Route
handlers signal a failure by raising `ApiError` with the response to send.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from email.utils import format_datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote_to_bytes

import attrs

try:
    import orjson
except ImportError:  # pragma: no cover - orjson is installed in the test environment

    def dumps(value: Any) -> bytes:
        """Compact JSON bytes."""
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")

else:

    def dumps(value: Any) -> bytes:
        """Compact JSON bytes."""
        return orjson.dumps(value)


INT32_MAX = 2**31 - 1
DIGITS = re.compile(r"[0-9]+")
# Digit strings are length-checked before int(): past 4,300 digits int() raises instead
# of parsing. page and limit fit in 10 digits (an int32).
_MAX_PARAM_DIGITS = len(str(INT32_MAX))
#: Korea Standard Time, the zone every date of the API is written in.
KST = dt.timezone(dt.timedelta(hours=9))


@attrs.frozen
class Response:
    """A complete response: status, body bytes, content type and extra headers."""

    status: int
    body: bytes
    content_type: str = "application/json"
    headers: tuple[tuple[bytes, bytes], ...] = ()


class ApiError(Exception):
    """Raised by a route handler: send ``response`` instead of a success."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


def ok(value: Any, status: int = 200) -> Response:
    """A JSON success response."""
    return Response(status, dumps(value))


def gateway_error(status: int, code: str, message: str, details: str) -> Response:
    """The API gateway's error body (authentication, routing, quotas, 5xx)."""
    body = {"error": {"errorCode": code, "message": message, "details": details}}
    return Response(status, dumps(body))


def service_error(
    status: int, error_type: str, detail: str, headers: tuple[tuple[bytes, bytes], ...] = ()
) -> Response:
    """The Data Flow service's error, in both documented shapes at once.

    ``errorType``/``detail`` is what the service is reported to send, ``error{...}`` the
    documented shape; carrying both lets a client that reads either one work.
    """
    body = {
        "errorType": error_type,
        "detail": detail,
        "error": {"errorCode": error_type, "message": detail, "details": detail},
    }
    return Response(status, dumps(body), headers=headers)


def bad_parameter(detail: str) -> ApiError:
    """400 ``bad-parameter``: a value in the query or body is wrong."""
    return ApiError(service_error(400, "bad-parameter", detail))


def bad_state(detail: str) -> ApiError:
    """400 ``bad-state``: the target's state forbids the action."""
    return ApiError(service_error(400, "bad-state", detail))


def not_found(what: str, ident: str) -> ApiError:
    """404 for an id that names nothing."""
    return ApiError(service_error(404, "NOT_FOUND", f"{what} not found: {ident!r}"))


def no_route(method: str, raw_path: bytes) -> Response:
    """The gateway's 404 for a method and path it has no route for."""
    shown = raw_path.decode("ascii", "backslashreplace")
    return gateway_error(404, "300", "Not Found Exception", f"no route for {method} {shown}")


def method_not_allowed(method: str, allowed: str) -> ApiError:
    """405 naming the method the route takes instead (``Allow`` header)."""
    detail = f"{method} is not allowed here; use {allowed}"
    headers = ((b"allow", allowed.encode("ascii")),)
    return ApiError(service_error(405, "METHOD_NOT_ALLOWED", detail, headers))


def html_error(status: int) -> Response:
    """A load balancer's plain HTML error page."""
    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    title = f"{status} {phrase}"
    body = (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
        f"<center><h1>{title}</h1></center>\r\n</body>\r\n</html>\r\n"
    )
    return Response(status, body.encode("ascii"), content_type="text/html")


def retry_after(value: float | dt.datetime | str) -> bytes:
    """A ``Retry-After`` value: seconds, an HTTP-date, or a string sent verbatim."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return format_datetime(value.astimezone(dt.UTC), usegmt=True).encode("ascii")
    if isinstance(value, str):
        return value.encode("latin-1")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).encode("ascii")


def parse_query(query: bytes) -> dict[str, str]:
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
            raise bad_parameter("the query string is not valid percent-encoded UTF-8") from None
        if key in params:
            raise bad_parameter(f"query parameter {key!r} is given more than once")
        params[key] = value
    return params


def int_param(params: Mapping[str, str], name: str, default: int, minimum: int) -> int:
    """An integer query parameter in ``minimum``..int32 max, or 400 naming it."""
    text = params.get(name)
    if text is None:
        return default
    if (
        len(text) > _MAX_PARAM_DIGITS
        or not DIGITS.fullmatch(text)
        or not minimum <= int(text) <= INT32_MAX
    ):
        shown = repr(text) if len(text) <= 40 else f"{text[:20]!r}... ({len(text)} characters)"
        raise bad_parameter(f"{name} must be an integer from {minimum} to {INT32_MAX}, not {shown}")
    return int(text)


def kst(epoch: float) -> str:
    """Epoch seconds as the API writes dates: ``2026-10-05T02:00:41+09:00``."""
    return dt.datetime.fromtimestamp(int(epoch), KST).isoformat()


def kst_or_none(epoch: float | None) -> str | None:
    """`kst`, passing ``None`` through."""
    return None if epoch is None else kst(epoch)


def parse_date(text: object) -> float | None:
    """Epoch seconds of an ISO 8601 date (no offset means KST), or ``None`` if unreadable."""
    if not isinstance(text, str) or len(text) > 40:
        return None
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=KST)
    return when.timestamp()
