"""The Requester: write methods, what is retried, per-call options, typed failures."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest

from dataflow_async import (
    AmbiguousWriteError,
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    Credentials,
    DataFlowError,
    NcpSignatureAuth,
    NotFoundError,
    RateLimitError,
    RequestNotSentError,
    RetryPolicy,
    ServerError,
)
from dataflow_async._requester import Requester
from tests.conftest import ACCESS_KEY, FakeSleep
from tests.hostile import RawServer, closed_port

Step = httpx.Response | Exception


def scripted(steps: list[Step], seen: list[httpx.Request]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        step = steps.pop(0) if steps else httpx.Response(200, json={})
        if isinstance(step, Exception):
            raise step
        return step

    return httpx.MockTransport(handler)


MakeRequester = Callable[..., Requester]


@pytest.fixture
def seen() -> list[httpx.Request]:
    return []


@pytest.fixture
def make(
    credentials: Credentials, fake_sleep: FakeSleep, seen: list[httpx.Request]
) -> MakeRequester:
    def build(*steps: Step, base_url: str = "http://api.test", **policy: object) -> Requester:
        http = httpx.AsyncClient(transport=scripted(list(steps), seen))
        return Requester(
            http,
            base_url=base_url,
            auth=NcpSignatureAuth(credentials),
            timeout=httpx.Timeout(5.0),
            retry=RetryPolicy(sleep=fake_sleep, **policy),  # type: ignore[arg-type]
        )

    return build


def status(code: int, **headers: str) -> httpx.Response:
    return httpx.Response(code, json={"error": {"message": f"status {code}"}}, headers=headers)


# POST: never repeated unless it provably never arrived ------------------------------


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ReadTimeout("slow"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        status(502),
        status(503),
        status(504),
    ],
    ids=["read-timeout", "reset", "502", "503", "504"],
)
async def test_post_that_may_have_arrived_is_not_retried(
    make: MakeRequester, seen: list[httpx.Request], fake_sleep: FakeSleep, failure: Step
) -> None:
    requester = make(failure)
    with pytest.raises(AmbiguousWriteError, match="may or may not have happened") as info:
        await requester.request("POST", "/api/v1/jobs", json={"name": "x"})
    assert len(seen) == 1
    assert fake_sleep.calls == []
    assert isinstance(info.value, APIConnectionError)
    assert (info.value.method, info.value.path) == ("POST", "/api/v1/jobs")
    assert isinstance(info.value.cause, DataFlowError)


async def test_post_retried_after_a_gateway_429(
    make: MakeRequester, seen: list[httpx.Request]
) -> None:
    requester = make(status(429, **{"Retry-After": "1"}), httpx.Response(201, json={"id": "a"}))
    response = await requester.request("POST", "/api/v1/jobs", json={"name": "x"})
    assert response.status_code == 201
    assert len(seen) == 2
    assert seen[0].content == seen[1].content == b'{"name":"x"}'


async def test_post_retried_after_clock_skew_repaired(
    make: MakeRequester, seen: list[httpx.Request]
) -> None:
    skewed = httpx.Response(
        401,
        json={"error": {"errorCode": "200", "message": "Authentication Failed"}},
        headers={"Date": "Sat, 01 Jan 2000 00:00:00 GMT"},
    )
    requester = make(skewed, httpx.Response(201, json={}))
    response = await requester.request("POST", "/api/v1/jobs", json={})
    assert response.status_code == 201
    assert len(seen) == 2


async def test_post_retried_when_the_connection_was_refused(
    credentials: Credentials, fake_sleep: FakeSleep
) -> None:
    port = await closed_port()
    async with httpx.AsyncClient() as http:
        requester = Requester(
            http,
            base_url=f"http://127.0.0.1:{port}",
            auth=NcpSignatureAuth(credentials),
            timeout=httpx.Timeout(2.0),
            retry=RetryPolicy(sleep=fake_sleep, max_retries=2),
        )
        with pytest.raises(APIConnectionError) as info:
            await requester.request("POST", "/api/v1/jobs", json={})
    assert type(info.value) is APIConnectionError  # never written: not ambiguous
    assert len(fake_sleep.calls) == 2


async def test_post_reset_after_writing_over_a_socket_is_ambiguous(
    credentials: Credentials, fake_sleep: FakeSleep
) -> None:
    async def hang_up(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: bytes
    ) -> None:
        writer.close()

    async with RawServer(hang_up) as server, httpx.AsyncClient() as http:
        requester = Requester(
            http,
            base_url=server.url,
            auth=NcpSignatureAuth(credentials),
            timeout=httpx.Timeout(2.0),
            retry=RetryPolicy(sleep=fake_sleep),
        )
        with pytest.raises(AmbiguousWriteError):
            await requester.request("POST", "/api/v1/jobs", json={"a": 1})
    assert len(server.heads) == 1
    assert fake_sleep.calls == []


async def test_post_error_status_that_is_not_retryable_raises_itself(make: MakeRequester) -> None:
    requester = make(status(400))
    with pytest.raises(DataFlowError) as info:
        await requester.request("POST", "/api/v1/jobs", json={})
    assert not isinstance(info.value, AmbiguousWriteError)


# Idempotent methods ----------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE"])
async def test_idempotent_methods_are_retried(
    make: MakeRequester, seen: list[httpx.Request], method: str
) -> None:
    requester = make(httpx.ReadTimeout("slow"), status(503), httpx.Response(200, json={}))
    response = await requester.request(method, "/api/v1/jobs/a", json={"x": 1})
    assert response.status_code == 200
    assert [r.method for r in seen] == [method] * 3


async def test_delete_that_may_have_worked_then_404_returns_the_404(
    make: MakeRequester, seen: list[httpx.Request]
) -> None:
    requester = make(httpx.ReadTimeout("slow"), status(404))
    response = await requester.request("DELETE", "/api/v1/jobs/a")
    assert response.status_code == 404
    assert len(seen) == 2


async def test_delete_404_on_the_first_attempt_is_not_found(make: MakeRequester) -> None:
    requester = make(status(404))
    with pytest.raises(NotFoundError):
        await requester.request("DELETE", "/api/v1/jobs/a")


async def test_delete_404_after_a_refused_429_is_not_found(make: MakeRequester) -> None:
    requester = make(status(429), status(404))
    with pytest.raises(NotFoundError):
        await requester.request("DELETE", "/api/v1/jobs/a")


# retry=False -----------------------------------------------------------------------


@pytest.mark.parametrize("failure", [status(503), httpx.ConnectError("refused"), status(429)])
async def test_retry_false_raises_at_once_and_spends_no_budget(
    make: MakeRequester, seen: list[httpx.Request], fake_sleep: FakeSleep, failure: Step
) -> None:
    requester = make(failure)
    tokens = requester.budget.tokens
    with pytest.raises((ServerError, APIConnectionError, RateLimitError)):
        await requester.get("/api/v1/jobs", {"page": 3}, retry=False)
    assert len(seen) == 1
    assert fake_sleep.calls == []
    assert requester.budget.tokens == tokens


# Per-call options and bad input ------------------------------------------------------


async def test_per_call_timeout_and_extra_headers(
    make: MakeRequester, seen: list[httpx.Request]
) -> None:
    requester = make()
    await requester.request(
        "PUT", "/api/v1/jobs/a", json=[1], timeout=0.5, extra_headers={"X-Trace": "t1"}
    )
    (request,) = seen
    assert request.headers["x-trace"] == "t1"
    assert request.headers["content-type"] == "application/json"
    assert request.extensions["timeout"]["read"] == 0.5
    assert "x-ncp-apigw-signature-v2" in request.headers


@pytest.mark.parametrize("bad", [0, -1, float("nan"), True, "5"])
async def test_bad_per_call_timeout_is_refused_before_sending(
    make: MakeRequester, seen: list[httpx.Request], bad: object
) -> None:
    with pytest.raises(ValueError, match="timeout"):
        await make().request("GET", "/x", timeout=bad)  # type: ignore[arg-type]
    assert seen == []


@pytest.mark.parametrize("bad", ["get", "HEAD", "OPTIONS", ""])
async def test_unknown_method_is_refused(
    make: MakeRequester, seen: list[httpx.Request], bad: str
) -> None:
    with pytest.raises(ValueError, match="method"):
        await make().request(bad, "/x")
    assert seen == []


async def test_a_header_h11_refuses_is_not_sent_not_retried_and_not_quoted(
    credentials: Credentials, fake_sleep: FakeSleep
) -> None:
    secret_value = ACCESS_KEY + "\x00tail"
    async with RawServer(lambda r, w, h: asyncio.sleep(0)) as server, httpx.AsyncClient() as http:
        requester = Requester(
            http,
            base_url=server.url,
            auth=NcpSignatureAuth(credentials),
            timeout=httpx.Timeout(2.0),
            retry=RetryPolicy(sleep=fake_sleep),
        )
        with pytest.raises(RequestNotSentError, match="X-Bad") as info:
            await requester.request("GET", "/x", extra_headers={"X-Bad": secret_value})
    assert ACCESS_KEY not in str(info.value)
    assert info.value.__cause__ is None and info.value.__suppress_context__
    assert fake_sleep.calls == []
    assert server.heads == []


# Messages --------------------------------------------------------------------------


async def test_connect_and_read_timeouts_read_differently(make: MakeRequester) -> None:
    with pytest.raises(APITimeoutError) as connect:
        await make(httpx.ConnectTimeout("x"), max_retries=0).get("/x")
    with pytest.raises(APITimeoutError) as read:
        await make(httpx.ReadTimeout("x"), max_retries=0).get("/x")
    assert "connecting (no connection" in str(connect.value)
    assert "after connecting" not in str(connect.value)
    assert "after connecting" in str(read.value)


async def test_a_non_json_error_page_is_summarised(make: MakeRequester) -> None:
    html = (
        "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
        "<center><h1>502 Bad Gateway</h1></center>\r\n" + "<hr>" * 400 + "</body></html>\r\n"
    )
    page = httpx.Response(502, text=html, headers={"Content-Type": "text/html; charset=utf-8"})
    with pytest.raises(ServerError) as info:
        await make(page, max_retries=0).get("/x")
    text = str(info.value)
    assert "HTTP 502" in text
    assert "text/html" in text
    assert "502 Bad Gateway" in text
    assert "\\r" not in text and "\r" not in text and "<" not in text
    assert len(text) < 300


async def test_a_date_past_year_9999_in_a_401_is_a_typed_error(make: MakeRequester) -> None:
    huge = "Thu, 01 Jan 10000000000 00:00:00 GMT"
    answer = httpx.Response(
        401,
        json={"error": {"errorCode": "200", "message": "Authentication Failed"}},
        headers={"Date": huge, "Retry-After": huge},
    )
    with pytest.raises(AuthenticationError):
        await make(answer).get("/x")


# The total time of an attempt --------------------------------------------------------


QUERIES = [
    {"page": 3, "limit": 1000},
    {"name": "daily etl/ü", "tag": "a&b=c", "empty": "", "plus": "1+1", "pct": "100%~"},
    {"disabled": True, "page": 0},  # httpx writes true, not True
]


@pytest.mark.parametrize("params", QUERIES, ids=["numbers", "text to escape", "a boolean"])
async def test_a_query_goes_out_as_httpx_encodes_params(
    make: MakeRequester, seen: list[httpx.Request], params: dict[str, str | int]
) -> None:
    await make().get("/api/v1/jobs", params=params)
    expected = httpx.Request("GET", "http://api.test/api/v1/jobs", params=params).url
    assert seen[0].url.raw_path == expected.raw_path
    assert dict(seen[0].url.params) == dict(httpx.QueryParams(params))


async def test_a_client_s_own_params_are_merged_as_httpx_merges_them(
    credentials: Credentials, seen: list[httpx.Request]
) -> None:
    transport = scripted([], seen)
    http = httpx.AsyncClient(transport=transport, params={"lang": "ko", "page": "9"})
    requester = Requester(
        http,
        base_url="http://api.test",
        auth=NcpSignatureAuth(credentials),
        timeout=httpx.Timeout(5.0),
        retry=RetryPolicy(max_retries=0),
    )
    async with http:
        await requester.get("/api/v1/jobs", params={"page": 2, "limit": 10})
    # The request's own value wins over the client's, as with httpx.AsyncClient.get.
    assert seen[0].url.raw_path == b"/api/v1/jobs?lang=ko&page=2&limit=10"
