"""Requests the library signs go straight to the transport, with what httpx's send gives."""

from __future__ import annotations

import asyncio
import datetime
import logging
from typing import Any

import httpx
import pytest

from dataflow_async import (
    APIConnectionError,
    Credentials,
    DataFlowClient,
    NcpSignatureAuth,
    RetryPolicy,
    ServerError,
)
from dataflow_async import _direct as direct
from dataflow_async._direct import direct_signer, send_directly
from tests.conftest import page_json
from tests.hostile import RawServer, response_head

NO_RETRY = RetryPolicy(max_retries=0)
BASE = "https://dataflow.example.test"


def answering(*responses: httpx.Response, seen: list[httpx.Request] | None = None) -> Any:
    queue = list(responses)

    def handler(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        return queue.pop(0) if queue else httpx.Response(200, json=page_json([]))

    return httpx.MockTransport(handler)


async def refuse_send(*args: object, **kwargs: object) -> httpx.Response:
    raise AssertionError("sent through http_client.send")


async def test_the_library_s_own_client_sends_directly(
    credentials: Credentials, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[httpx.Request] = []
    async with httpx.AsyncClient(transport=answering(seen=seen)) as http:
        monkeypatch.setattr(http, "send", refuse_send)
        client = DataFlowClient(credentials, base_url=BASE, http_client=http, retry=NO_RETRY)
        assert (await client.list_jobs(status="RUNNING")).jobs == ()
    signed = seen[0].headers
    assert signed["x-ncp-iam-access-key"] == credentials.access_key
    assert signed["x-ncp-apigw-signature-v2"] and signed["x-ncp-apigw-timestamp"]
    assert seen[0].url.params["status"] == "RUNNING"
    assert seen[0].extensions["timeout"]  # the client's timeouts still apply


async def test_the_response_gets_what_send_gives_it(
    credentials: Credentials, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    body = "überlastet".encode()

    async def overloaded(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: bytes
    ) -> None:
        writer.write(
            response_head(
                "503 Service Unavailable",
                f"Content-Length: {len(body)}",
                "Content-Type: text/plain",
                "Set-Cookie: lb=7; Path=/",
            )
            + body
        )

    async with RawServer(overloaded) as server:
        client = DataFlowClient(credentials, base_url=server.url, retry=NO_RETRY)
        monkeypatch.setattr(client.http_client, "send", refuse_send)
        async with client:
            with caplog.at_level(logging.INFO, logger="httpx"), pytest.raises(ServerError) as info:
                await client.list_jobs()
            assert client.http_client.cookies.get("lb") == "7"
    response = info.value.response
    assert response is not None
    assert response.request.url.path == "/api/v1/jobs"
    assert isinstance(response.elapsed, datetime.timedelta)  # set when it was closed
    assert response.text == "überlastet"
    lines = [r.getMessage() for r in caplog.records if r.name == "httpx"]
    assert lines == [f'HTTP Request: GET {response.request.url} "HTTP/1.1 503 Service Unavailable"']


async def test_a_transport_error_names_its_request(credentials: Credentials) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused")  # no request attached, as a transport may

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        request = http.build_request("GET", BASE + "/api/v1/jobs")
        with pytest.raises(httpx.ConnectError) as info:
            await send_directly(http, request, NcpSignatureAuth(credentials))
        assert info.value.request is request
        client = DataFlowClient(credentials, base_url=BASE, http_client=http, retry=NO_RETRY)
        with pytest.raises(APIConnectionError):
            await client.list_jobs()


class Recording(httpx.AsyncClient):
    sent = 0

    async def send(self, *args: Any, **kwargs: Any) -> httpx.Response:
        Recording.sent += 1
        return await super().send(*args, **kwargs)


def hooked(hooks: list[str]) -> httpx.AsyncClient:
    async def on_request(request: httpx.Request) -> None:
        hooks.append("request")

    async def on_response(response: httpx.Response) -> None:
        hooks.append("response")

    return httpx.AsyncClient(
        transport=answering(), event_hooks={"request": [on_request], "response": [on_response]}
    )


async def test_event_hooks_a_subclass_and_mounts_go_through_send(
    credentials: Credentials,
) -> None:
    hooks: list[str] = []
    async with hooked(hooks) as http:
        client = DataFlowClient(credentials, base_url=BASE, http_client=http, retry=NO_RETRY)
        await client.list_jobs()
    assert hooks == ["request", "response"]

    Recording.sent = 0
    async with Recording(transport=answering()) as http:
        client = DataFlowClient(credentials, base_url=BASE, http_client=http, retry=NO_RETRY)
        await client.list_jobs()
    assert Recording.sent == 1

    via_mount: list[httpx.Request] = []
    mounts = {"https://dataflow.example.test": answering(seen=via_mount)}
    async with httpx.AsyncClient(transport=answering(), mounts=mounts) as http:
        client = DataFlowClient(credentials, base_url=BASE, http_client=http, retry=NO_RETRY)
        await client.list_jobs()
    assert [r.url.path for r in via_mount] == ["/api/v1/jobs"]


async def test_only_the_library_s_signer_on_an_open_plain_client_qualifies(
    credentials: Credentials,
) -> None:
    auth = NcpSignatureAuth(credentials)
    async with httpx.AsyncClient(transport=answering()) as http:
        assert direct_signer(http, auth) is auth
        assert direct_signer(http, httpx.USE_CLIENT_DEFAULT) is None
        assert direct_signer(http, httpx.BasicAuth("a", "b")) is None
    assert direct_signer(http, auth) is None  # closed: send says so
    async with hooked([]) as http:
        assert direct_signer(http, auth) is None
        http.event_hooks = {"response": http.event_hooks["response"]}
        assert direct_signer(http, auth) is None  # a response hook alone
    async with Recording() as http:
        assert direct_signer(http, auth) is None


async def test_a_client_that_signs_itself_goes_through_send(credentials: Credentials) -> None:
    seen: list[httpx.Request] = []
    auth = NcpSignatureAuth(credentials)
    async with httpx.AsyncClient(transport=answering(seen=seen), auth=auth) as http:
        client = DataFlowClient(http_client=http, base_url=BASE, retry=NO_RETRY)
        await client.list_jobs()
    assert seen[0].headers["x-ncp-iam-access-key"] == credentials.access_key


async def test_the_client_s_default_encoding_reads_the_response(credentials: Credentials) -> None:
    failing = httpx.Response(500, content="été".encode("latin-1"))
    transport = answering(failing)
    async with httpx.AsyncClient(transport=transport, default_encoding="latin-1") as http:
        client = DataFlowClient(credentials, base_url=BASE, http_client=http, retry=NO_RETRY)
        with pytest.raises(ServerError) as info:
            await client.list_jobs()
    assert info.value.response is not None and info.value.response.text == "été"


async def test_another_httpx_layout_goes_through_send(
    credentials: Credentials, monkeypatch: pytest.MonkeyPatch
) -> None:
    auth = NcpSignatureAuth(credentials)
    async with httpx.AsyncClient(transport=answering()) as http:
        assert direct_signer(http, auth) is auth
        monkeypatch.setattr(direct, "BoundAsyncStream", None)
        assert direct_signer(http, auth) is None
        monkeypatch.undo()
        for name in ("_transport", "_mounts", "_default_encoding"):
            kept = vars(http).pop(name)
            assert direct_signer(http, auth) is None, name
            vars(http)[name] = kept
        assert direct_signer(http, auth) is auth
