"""How each expected failure is told: message, exit code, hint."""

from __future__ import annotations

import httpx
import pytest

from dataflow_async import (
    APIConnectionError,
    APITimeoutError,
    DataFlowError,
    MissingCredentialsError,
    PaginationError,
    PermissionDeniedError,
    ServerError,
)
from dataflow_async._cli import describe_error

REQUEST = httpx.Request("GET", "http://127.0.0.1:9/api/v1/jobs")


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (MissingCredentialsError("no keys"), 3),
        (PermissionDeniedError(401, "210", "Permission Denied", None), 3),
        (PermissionDeniedError(403, None, "Forbidden", None), 3),
        (APITimeoutError("request timed out"), 4),
        (APIConnectionError("connection failed"), 4),
        (ServerError(503, "500", "Endpoint Error", "line one\nline two"), 1),
        (PaginationError("the server repeats pages"), 1),
        (DataFlowError("x" * 5000), 1),
    ],
)
def test_every_expected_error_is_one_line_and_a_code(error: DataFlowError, code: int) -> None:
    failure = describe_error(error)
    assert failure.code == code
    assert "\n" not in failure.message
    assert str(error).split()[0][:20] in failure.message
    assert len(failure.message) <= 1000


def cause(error: DataFlowError, exc: BaseException) -> DataFlowError:
    error.__cause__ = exc
    return error


@pytest.mark.parametrize(
    ("error", "words", "absent"),
    [
        # By the httpx exception that caused it...
        (
            cause(APITimeoutError("timed out", request=REQUEST), httpx.ReadTimeout("read")),
            "http://127.0.0.1:9 timed out after connecting",
            "cannot reach",
        ),
        (
            cause(APITimeoutError("timed out", request=REQUEST), httpx.WriteTimeout("w")),
            "timed out after connecting",
            "cannot reach",
        ),
        (
            cause(APITimeoutError("timed out", request=REQUEST), httpx.ConnectTimeout("c")),
            "cannot reach http://127.0.0.1:9: timed out connecting",
            "after connecting",
        ),
        (
            cause(APITimeoutError("timed out", request=REQUEST), httpx.PoolTimeout("p")),
            "waiting for a connection",
            "cannot reach",
        ),
        # ... or by the httpx class the message names.
        (
            APITimeoutError("request timed out (ReadTimeout)", request=REQUEST),
            "timed out after connecting",
            "cannot reach",
        ),
        (
            APITimeoutError("request timed out (ConnectTimeout)", request=REQUEST),
            "cannot reach",
            "after connecting",
        ),
        (
            APIConnectionError("connection failed (ConnectError: refused)", request=REQUEST),
            "cannot reach http://127.0.0.1:9",
            "lost",
        ),
        (
            APIConnectionError("connection failed (RemoteProtocolError: gone)", request=REQUEST),
            "lost the connection to http://127.0.0.1:9",
            "cannot reach",
        ),
        (APITimeoutError("the call's deadline ran out"), "did not answer in time", "reach"),
    ],
)
def test_connection_failures_say_where_they_failed(
    error: DataFlowError, words: str, absent: str
) -> None:
    failure = describe_error(error)
    assert failure.code == 4
    assert words in failure.message
    assert absent not in failure.message


def test_a_python_call_in_the_credentials_message_is_replaced() -> None:
    error = MissingCredentialsError("no NCP credentials found: pass Credentials(a, b), set ...")
    failure = describe_error(error)
    assert failure.code == 3
    assert "Credentials(" not in failure.message + (failure.hint or "")
    assert failure.hint is not None
    for words in ("NCLOUD_ACCESS_KEY_ID", "NCLOUD_SECRET_ACCESS_KEY", ".ncloud/configure"):
        assert words in failure.hint


def test_other_credentials_messages_are_kept() -> None:
    failure = describe_error(MissingCredentialsError("profile 'x' not in /h/.ncloud/configure"))
    assert failure.message == "profile 'x' not in /h/.ncloud/configure"
