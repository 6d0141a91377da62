"""Exit codes, and how every failure is told: one style for the whole command line.

A usage error (exit 2, nothing sent) prints three lines on stderr::

    usage: dataflow-async jobs list [options]
    error: argument -s/--status: must be one of RUNNABLE, ..., got 'bogus'
    hint: 'dataflow-async jobs list --help' explains every option

Any other expected failure prints ``error: ...`` and, where there is advice, a
``hint: ...`` line; never a traceback, never a secret. Every line goes through
``one_line``, so what a server put in an error message cannot reach the terminal raw.
"""

from __future__ import annotations

import re
import sys
from enum import IntEnum
from typing import TextIO

import attrs
import httpx

from .. import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    ConcurrencyLimitError,
    DataFlowError,
    MissingCredentialsError,
    PermissionDeniedError,
    WaitTimeoutError,
)
from .._credentials import default_config_path
from ._sanitize import one_line

__all__ = ["ExitCode", "Failure", "UsageError", "describe_error", "print_failure"]


class ExitCode(IntEnum):
    """What ``dataflow-async`` exits with."""

    OK = 0
    ERROR = 1
    """The API answered with an error, or something it sent could not be used."""
    USAGE = 2
    """A bad option or argument; nothing was sent."""
    CREDENTIALS = 3
    """No credentials, or the API rejected them (authentication or permission)."""
    CONNECTION = 4
    """The endpoint could not be reached, or did not answer in time."""
    FAILED = 5
    """``--wait``: the execution (or a workflow run's execution) ended ``FAILED``."""
    CANCELED = 6
    """``--wait``: the execution ended ``CANCELED``."""
    WAIT_TIMEOUT = 7
    """``--wait --timeout``: still not finished when the time was up (it goes on)."""
    INTERRUPTED = 130
    """Ctrl+C (128 + SIGINT)."""
    BROKEN_PIPE = 141
    """The reader of stdout went away, as in ``| head`` (128 + SIGPIPE)."""


class UsageError(Exception):
    """A bad option value found after parsing (exit code 2, nothing sent)."""


@attrs.frozen
class Failure:
    """How an expected failure is told: its message, exit code and optional hint."""

    message: str
    code: ExitCode
    hint: str | None = None


def print_failure(failure: Failure, stream: TextIO | None = None) -> int:
    """Print ``error: ...`` (and ``hint: ...``) on ``stream`` (stderr); return the code."""
    out = sys.stderr if stream is None else stream
    out.write(f"error: {one_line(failure.message)}\n")
    if failure.hint:
        out.write(f"hint: {one_line(failure.hint)}\n")
    out.flush()
    return failure.code


def credentials_help() -> str:
    """Where the command line looks for a key pair, for messages."""
    return (
        "set NCLOUD_ACCESS_KEY_ID and NCLOUD_SECRET_ACCESS_KEY, or write "
        f"ncloud_access_key_id and ncloud_secret_access_key to {default_config_path()} "
        "(profile DEFAULT, else $NCLOUD_PROFILE or --profile NAME)"
    )


def describe_error(exc: DataFlowError) -> Failure:
    """The message, exit code and hint for an expected failure. The message is one line
    of safe text whatever the server sent."""
    failure = _explain(exc)
    hint = None if failure.hint is None else one_line(failure.hint)
    return Failure(one_line(failure.message), failure.code, hint)


def _explain(exc: DataFlowError) -> Failure:
    if isinstance(exc, MissingCredentialsError):
        # What the library found (or not) is the error; what to do about it on a command
        # line (the environment, the file, --profile) is the hint.
        message = str(exc).split(": set ", 1)[0]
        if "Credentials(" in message or "Credentials." in message:
            message = "no credentials found"
        return Failure(message, ExitCode.CREDENTIALS, credentials_help())
    if isinstance(exc, AuthenticationError):
        return Failure(
            str(exc),
            ExitCode.CREDENTIALS,
            "check the access key and secret key, and that this machine's clock is right",
        )
    if isinstance(exc, PermissionDeniedError):
        return Failure(str(exc), ExitCode.CREDENTIALS, "this key may not use Data Flow")
    if isinstance(exc, ConcurrencyLimitError):
        return Failure(
            str(exc),
            ExitCode.ERROR,
            "'executions start JOB_ID --wait --wait-for-slot' waits for a run to end first",
        )
    if isinstance(exc, WaitTimeoutError):
        return Failure(str(exc), ExitCode.WAIT_TIMEOUT)
    if isinstance(exc, APITimeoutError):
        return _timeout(exc)
    if isinstance(exc, APIConnectionError):
        where = _where(exc)
        if _phase(exc) == "connect":
            return Failure(f"cannot reach {where}: {exc}", ExitCode.CONNECTION)
        return Failure(f"lost the connection to {where}: {exc}", ExitCode.CONNECTION)
    return Failure(str(exc), ExitCode.ERROR)


def _timeout(exc: APITimeoutError) -> Failure:
    where = _where(exc)
    phase = _phase(exc)
    if phase == "connect":
        return Failure(f"cannot reach {where}: timed out connecting ({exc})", ExitCode.CONNECTION)
    if phase == "pool":
        return Failure(
            f"timed out waiting for a connection to {where} ({exc})", ExitCode.CONNECTION
        )
    hint = "--timeout SECONDS waits longer for each answer"
    if phase in ("read", "write"):
        return Failure(
            f"{where} timed out after connecting: no answer in time ({exc})",
            ExitCode.CONNECTION,
            hint,
        )
    return Failure(f"{where} did not answer in time: {exc}", ExitCode.CONNECTION, hint)


_PHASES = (
    (httpx.ConnectTimeout, "connect"),
    (httpx.ConnectError, "connect"),
    (httpx.PoolTimeout, "pool"),
    (httpx.ReadTimeout, "read"),
    (httpx.WriteTimeout, "write"),
)
_PHASE_WORDS = re.compile(r"\b(Connect|Pool|Read|Write)(?:Timeout|Error)\b")


def _phase(exc: BaseException) -> str | None:
    """Where a connection failed: ``connect``, ``pool``, ``read``, ``write`` or ``None``
    (unknown). From the httpx exception that caused it, else from the httpx class name
    the message quotes."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        for kind, phase in _PHASES:
            if isinstance(cause, kind):
                return phase
        cause = cause.__cause__ or cause.__context__
    text = str(exc)
    if "timed out after connecting" in text:
        return "read"
    if "timed out connecting" in text:
        return "connect"
    match = _PHASE_WORDS.search(text)
    return match.group(1).lower() if match else None


def _where(exc: APIConnectionError) -> str:
    request = exc.request
    if request is None:
        return "the endpoint"
    url = request.url
    return f"{url.scheme}://{url.netloc.decode('ascii', 'replace')}"
