"""Reading a response into the library's terms: typed status errors, JSON, safe headers."""

from __future__ import annotations

import re
import time
from typing import Any

import httpx

from ._errors import (
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    PermissionDeniedError,
    QuotaExceededError,
    RateLimitError,
    ServerError,
    UnexpectedResponseError,
)
from ._json import JSONDecodeError, loads
from ._retry import parse_retry_after

__all__ = [
    "decode_json",
    "excerpt",
    "redirect_error",
    "refused",
    "safe_headers",
    "status_error",
    "summary",
    "timeout_message",
]

_EXCERPT = 200
_SUMMARY = 120
_SPACE = re.compile(r"\s+")
_TAG = re.compile(r"<[^>]{0,200}>")
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
LOGGED_HEADERS = frozenset(
    {"content-type", "content-length", "date", "retry-after", "retry-after-ms", "x-request-id"}
)
"""Response headers that may appear in debug logs; no other header value is logged."""


def excerpt(content: bytes) -> str:
    """A short, printable start of a body, for error messages."""
    text = content[:_EXCERPT].decode("utf-8", "replace")
    return repr(text) + ("..." if len(content) > _EXCERPT else "")


def summary(response: httpx.Response) -> str:
    """A non-JSON error body in one short line: content type and a cleaned excerpt.

    Markup tags, control characters and runs of white space (CRLFs included) are
    collapsed, so that an HTML error page from a proxy reads as its text.
    """
    kind = response.headers.get("content-type", "no content type").split(";")[0].strip()
    text = response.content[: _EXCERPT * 8].decode("utf-8", "replace")
    text = _SPACE.sub(" ", _UNPRINTABLE.sub(" ", _TAG.sub(" ", text))).strip()
    cut = len(text) > _SUMMARY or len(response.content) > _EXCERPT * 8
    text = text[:_SUMMARY] + ("..." if cut else "")
    return f"{_UNPRINTABLE.sub('?', kind)[:60]} body: {text}" if text else f"empty {kind} body"


def status_error(response: httpx.Response, *, now: float | None = None) -> APIStatusError:
    """Build the typed error for an error response, reading both body shapes.

    Gateway: ``{"error": {"errorCode", "message", "details"}}``;
    service: ``{"errorType", "detail"}`` (sometimes with ``message``). Any other body
    is summarised in ``details`` (content type and a short cleaned excerpt).
    """
    status = response.status_code
    body: Any = None
    error_code: str | None = None
    message = response.reason_phrase or f"HTTP {status}"
    details: str | None = None
    try:
        body = loads(response.content) if response.content else None
    except JSONDecodeError:
        details = summary(response)
    if isinstance(body, dict):
        inner = body.get("error")
        if isinstance(inner, dict):
            error_code = _text(inner.get("errorCode"))
            message = _text(inner.get("message")) or message
            details = _text(inner.get("details"))
        elif "errorType" in body or "detail" in body:
            error_code = _text(body.get("errorType"))
            message = _text(body.get("message")) or _text(body.get("detail")) or message
            details = _text(body.get("detail"))
    try:
        retry_after = parse_retry_after(response.headers, time.time() if now is None else now)
    except (OverflowError, ValueError, TypeError):  # a date past year 9999
        retry_after = None
    kind = _kind(status, error_code)
    return kind(status, error_code, message, details, response, body=body, retry_after=retry_after)


def _kind(status: int, error_code: str | None) -> type[APIStatusError]:
    if status == 400:
        return BadRequestError
    if status == 401:
        return PermissionDeniedError if error_code == "210" else AuthenticationError
    if status == 403:
        return PermissionDeniedError
    if status == 404:
        return NotFoundError
    if status == 429:
        return QuotaExceededError if error_code == "400" else RateLimitError
    if status >= 500:
        return ServerError
    return APIStatusError


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def decode_json(response: httpx.Response) -> Any:
    """The JSON body of a successful response; ``UnexpectedResponseError`` if it is not JSON."""
    try:
        return loads(response.content)
    except JSONDecodeError:
        request = response.request
        raise UnexpectedResponseError(
            f"response to {request.method} {request.url.path} is not JSON: "
            f"{excerpt(response.content)}",
            response=response,
        ) from None


def safe_headers(headers: httpx.Headers) -> dict[str, str]:
    """Only the headers on the allowlist: nothing that could carry a key or signature."""
    return {name: value for name, value in headers.items() if name in LOGGED_HEADERS}


def redirect_error(response: httpx.Response) -> UnexpectedResponseError:
    request = response.request
    location = printable(response.headers.get("location", "(no Location)"))[:300]
    return UnexpectedResponseError(
        f"{request.method} {request.url.path} was answered with a redirect "
        f"(HTTP {response.status_code}) to {location}; redirects are not followed, so that "
        "signed requests never go anywhere but base_url",
        response=response,
    )


def refused(request: httpx.Request) -> str:
    """What httpx refused to write, naming headers but never their values."""
    bad = [
        name.decode("ascii", "replace")
        for name, value in request.headers.raw
        if any((byte < 0x20 and byte != 0x09) or byte == 0x7F for byte in value)
    ]
    which = f"the value of {', '.join(bad)}" if bad else "the request"
    return (
        f"{request.method} {request.url.path} was not sent: {which} has a character HTTP "
        "forbids (a control character); check the credentials and headers"
    )


def timeout_message(exc: httpx.TimeoutException, limit: httpx.Timeout) -> str:
    if isinstance(exc, httpx.ConnectTimeout):
        return f"timed out connecting (no connection within {limit.connect} s)"
    if isinstance(exc, httpx.PoolTimeout):
        return f"timed out waiting {limit.pool} s for a free connection in the pool"
    if isinstance(exc, httpx.WriteTimeout):
        return f"timed out after connecting, while sending the request ({limit.write} s)"
    return f"timed out after connecting: the server sent nothing for {limit.read} s"


def printable(text: str) -> str:
    return "".join(c if c.isprintable() else "?" for c in text)
