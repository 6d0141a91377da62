"""Error responses become typed errors carrying the server's words, never a secret."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from dataflow_async import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    DataFlowClient,
    DataFlowError,
    NotFoundError,
    PermissionDeniedError,
    QuotaExceededError,
    RateLimitError,
    ServerError,
    UnexpectedResponseError,
)

from .conftest import ACCESS_KEY, SECRET_KEY, FakeAPI

MakeClient = Callable[..., DataFlowClient]


def gateway(
    status: int, code: str, message: str, details: str | None = None, **kw: Any
) -> httpx.Response:
    error: dict[str, Any] = {"errorCode": code, "message": message}
    if details is not None:
        error["details"] = details
    return httpx.Response(status, json={"error": error}, **kw)


@pytest.mark.parametrize(
    ("response", "kind", "code"),
    [
        (gateway(400, "100", "Bad Request Exception"), BadRequestError, "100"),
        (
            gateway(401, "200", "Authentication Failed", "Invalid authentication information."),
            AuthenticationError,
            "200",
        ),
        (gateway(401, "210", "Permission Denied"), PermissionDeniedError, "210"),
        (
            httpx.Response(403, json={"errorType": "FORBIDDEN", "detail": "no"}),
            PermissionDeniedError,
            "FORBIDDEN",
        ),
        (gateway(404, "300", "Not Found Exception"), NotFoundError, "300"),
        (
            httpx.Response(404, json={"errorType": "NOT_FOUND", "detail": "job not found"}),
            NotFoundError,
            "NOT_FOUND",
        ),
        (gateway(413, "430", "Request Entity Too Large"), APIStatusError, "430"),
        (gateway(429, "400", "Quota Exceeded"), QuotaExceededError, "400"),
        (
            httpx.Response(
                400, json={"errorType": "bad-parameter", "detail": "limit must be >= 1"}
            ),
            BadRequestError,
            "bad-parameter",
        ),
    ],
)
async def test_error_mapping_no_retry(
    make_client: MakeClient,
    fake_api: FakeAPI,
    response: httpx.Response,
    kind: type[APIStatusError],
    code: str,
) -> None:
    fake_api.script = [response]
    async with make_client() as client:
        with pytest.raises(kind) as info:
            await client.list_jobs()
    error = info.value
    assert type(error) is kind
    assert error.error_code == code
    assert error.status_code == response.status_code
    assert error.response is not None and error.response.status_code == response.status_code
    assert len(fake_api.requests) == 1  # not retried


async def test_message_and_details_in_str(make_client: MakeClient, fake_api: FakeAPI) -> None:
    fake_api.script = [
        gateway(401, "200", "Authentication Failed", "Invalid authentication information.")
    ]
    async with make_client() as client:
        with pytest.raises(AuthenticationError) as info:
            await client.list_jobs()
    text = str(info.value)
    assert "Authentication Failed" in text and "Invalid authentication information." in text
    assert "401" in text and "200" in text
    for secret in (
        SECRET_KEY,
        ACCESS_KEY,
        fake_api.requests[0].headers["x-ncp-apigw-signature-v2"],
    ):
        assert secret not in text and secret not in repr(info.value)


async def test_service_shape_detail(make_client: MakeClient, fake_api: FakeAPI) -> None:
    fake_api.script = [
        httpx.Response(404, json={"errorType": "NOT_FOUND", "detail": "job not found"})
    ]
    async with make_client() as client:
        with pytest.raises(NotFoundError, match="job not found") as info:
            await client.list_jobs()
    assert info.value.body == {"errorType": "NOT_FOUND", "detail": "job not found"}


async def test_non_json_error_body_keeps_excerpt(
    make_client: MakeClient, fake_api: FakeAPI
) -> None:
    fake_api.script = [httpx.Response(418, text="<html>teapot</html>" + "x" * 500)]
    async with make_client() as client:
        with pytest.raises(APIStatusError) as info:
            await client.list_jobs()
    assert type(info.value) is APIStatusError
    assert info.value.details is not None and "teapot" in info.value.details
    assert len(str(info.value)) < 400


async def test_5xx_exhausts_retries_as_server_error(
    make_client: MakeClient, fake_api: FakeAPI
) -> None:
    fake_api.script = [gateway(503, "500", "Endpoint Error")] * 3
    async with make_client() as client:
        with pytest.raises(ServerError, match="Endpoint Error"):
            await client.list_jobs()
    assert len(fake_api.requests) == 3


@pytest.mark.parametrize(
    ("body", "match"),
    [
        (b"<html>proxy</html>", "not JSON"),
        (b'{"list": [1', "not JSON"),
        (b"[]", "an array where an object with a 'list' array was expected"),
        (b'{"jobs": []}', r"without the expected 'list' array \(its keys: 'jobs'\)"),
        (b'{"list": {"a": 1}}', "whose 'list' is an object, not an array"),
        (b'{"list": [{"jobId": 1}]}', r"\$\.list\[0\]"),
    ],
)
async def test_unexpected_bodies(
    make_client: MakeClient, fake_api: FakeAPI, body: bytes, match: str
) -> None:
    fake_api.script = [httpx.Response(200, content=body)]
    async with make_client() as client:
        with pytest.raises(UnexpectedResponseError, match=match):
            await client.list_jobs()
    assert len(fake_api.requests) == 1


async def test_connection_and_timeout_errors(make_client: MakeClient, fake_api: FakeAPI) -> None:
    fake_api.script = [httpx.ConnectError("refused")] * 3
    async with make_client() as client:
        with pytest.raises(APIConnectionError, match="ConnectError") as info:
            await client.list_jobs()
        assert not isinstance(info.value, APITimeoutError)
        fake_api.script = [httpx.ReadTimeout("slow")] * 3
        with pytest.raises(APITimeoutError):
            await client.list_jobs()


def test_hierarchy() -> None:
    assert issubclass(QuotaExceededError, RateLimitError)
    assert issubclass(APITimeoutError, APIConnectionError)
    for kind in (APIConnectionError, UnexpectedResponseError, APIStatusError):
        assert issubclass(kind, DataFlowError)


async def test_undecodable_body_is_a_connection_error_and_retried(
    make_client: MakeClient, fake_api: FakeAPI
) -> None:
    def broken(_: httpx.Request) -> httpx.Response:
        body = httpx.ByteStream(b"not gzip at all")
        return httpx.Response(200, headers={"Content-Encoding": "gzip"}, stream=body)

    fake_api.script = [broken, broken, broken]
    async with make_client() as client:
        with pytest.raises(APIConnectionError, match="DecodingError"):
            await client.list_jobs()
    assert len(fake_api.requests) == 3  # retried like a broken connection
