"""Servers written to misbehave: redirects, slow and endless bodies, bombs, huge bodies."""

from __future__ import annotations

import asyncio
import gzip
import tracemalloc

import httpx
import pytest

from dataflow_async import (
    APITimeoutError,
    Credentials,
    DataFlowClient,
    NcpSignatureAuth,
    ResponseTooLargeError,
    RetryPolicy,
    UnexpectedResponseError,
)
from tests.conftest import FakeSleep, job_json, page_json
from tests.hostile import RawServer, response_head

NO_RETRY = RetryPolicy(max_retries=0)
JOBS_BODY = httpx.Response(200, json=page_json([])).content


async def ok(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: bytes) -> None:
    writer.write(
        response_head(
            "200 OK", "Content-Type: application/json", f"Content-Length: {len(JOBS_BODY)}"
        )
        + JOBS_BODY
    )


def redirect_to(url: str, status: str = "302 Found"):  # type: ignore[no-untyped-def]
    async def respond(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: bytes
    ) -> None:
        writer.write(response_head(status, f"Location: {url}", "Content-Length: 0"))

    return respond


# Redirects -------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["301 Moved Permanently", "302 Found", "307 Temporary Redirect"])
async def test_client_never_follows_a_redirect_even_with_a_following_http_client(
    credentials: Credentials, status: str
) -> None:
    async with RawServer(ok) as elsewhere:
        target = elsewhere.url + "/api/v1/jobs"
        async with RawServer(redirect_to(target, status)) as origin:
            http = httpx.AsyncClient(follow_redirects=True)
            async with (
                http,
                DataFlowClient(credentials, base_url=origin.url, http_client=http) as client,
            ):
                with pytest.raises(UnexpectedResponseError, match="redirect") as info:
                    await client.list_jobs()
    assert target in str(info.value)
    assert str(info.value.response.status_code) in status  # type: ignore[union-attr]
    assert elsewhere.heads == []
    assert len(origin.heads) == 1


async def test_signature_auth_alone_keeps_its_headers_off_another_origin(
    credentials: Credentials,
) -> None:
    async with RawServer(ok) as elsewhere:
        origin = RawServer(redirect_to(elsewhere.url + "/steal"))
        auth = NcpSignatureAuth(credentials)
        async with origin, httpx.AsyncClient(auth=auth, follow_redirects=True) as http:
            with pytest.raises(UnexpectedResponseError, match="another origin"):
                await http.get(origin.url + "/api/v1/jobs")
    assert elsewhere.heads == []  # not one header byte reached the other origin


async def test_signature_auth_alone_in_a_sync_client_keeps_its_headers_off_another_origin(
    credentials: Credentials,
) -> None:
    def fetch(url: str) -> None:
        with httpx.Client(auth=NcpSignatureAuth(credentials), follow_redirects=True) as http:
            http.get(url)

    async with RawServer(ok) as elsewhere:
        origin = RawServer(redirect_to(elsewhere.url + "/steal"))
        async with origin:
            with pytest.raises(UnexpectedResponseError, match="another origin"):
                await asyncio.to_thread(fetch, origin.url + "/api/v1/jobs")
    assert elsewhere.heads == []


async def test_signature_auth_alone_follows_a_same_origin_redirect(
    credentials: Credentials,
) -> None:
    async def respond(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: bytes
    ) -> None:
        if head.startswith(b"GET /old"):
            await redirect_to("/new")(reader, writer, head)
        else:
            await ok(reader, writer, head)

    async with RawServer(respond) as origin:
        tracer_calls: list[str] = []

        async def trace(event: str, info: object) -> None:
            tracer_calls.append(event)

        auth = NcpSignatureAuth(credentials)
        async with httpx.AsyncClient(auth=auth, follow_redirects=True) as http:
            response = await http.get(origin.url + "/old", extensions={"trace": trace})
    assert response.status_code == 200
    assert [h.split(b" ")[1] for h in origin.heads] == [b"/old", b"/new"]
    assert any(e.endswith("send_request_headers.started") for e in tracer_calls)  # still called


# Time ------------------------------------------------------------------------------


def slow_body(step: float):  # type: ignore[no-untyped-def]
    async def respond(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: bytes
    ) -> None:
        writer.write(response_head("200 OK", "Content-Length: 100000"))
        for _ in range(100000):
            writer.write(b" ")
            await writer.drain()
            await asyncio.sleep(step)

    return respond


async def slow_headers(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: bytes
) -> None:
    writer.write(b"HTTP/1.1 200 OK\r\n")
    for _ in range(100000):
        writer.write(b"X")
        await writer.drain()
        await asyncio.sleep(0.02)


@pytest.mark.parametrize("respond", [slow_body(0.02), slow_headers], ids=["body", "headers"])
async def test_a_trickling_server_cannot_hold_an_attempt_past_twice_the_timeout(
    credentials: Credentials, respond: object
) -> None:
    async with RawServer(respond) as server:  # type: ignore[arg-type]
        client = DataFlowClient(credentials, base_url=server.url, timeout=0.15, retry=NO_RETRY)
        async with client, asyncio.timeout(5):
            with pytest.raises(APITimeoutError, match="after connecting") as info:
                await client.list_jobs()
    assert "0.3 s in total" in str(info.value)


async def test_a_trickling_server_is_retried_each_attempt_bounded(
    credentials: Credentials, fake_sleep: FakeSleep
) -> None:
    async with RawServer(slow_body(0.02)) as server:
        policy = RetryPolicy(max_retries=2, sleep=fake_sleep)
        client = DataFlowClient(credentials, base_url=server.url, timeout=0.1, retry=policy)
        async with client, asyncio.timeout(5):
            with pytest.raises(APITimeoutError):
                await client.list_jobs()
    assert len(server.heads) == 3
    assert len(fake_sleep.calls) == 2


async def test_a_silent_server_times_out_after_connecting(credentials: Credentials) -> None:
    async def silent(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: bytes
    ) -> None:
        await asyncio.sleep(60)

    async with RawServer(silent) as server:
        client = DataFlowClient(credentials, base_url=server.url, timeout=0.1, retry=NO_RETRY)
        async with client, asyncio.timeout(5):
            with pytest.raises(APITimeoutError, match="after connecting: the server sent nothing"):
                await client.list_jobs()


# Size ------------------------------------------------------------------------------


async def endless_chunks(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: bytes
) -> None:
    writer.write(response_head("200 OK", "Transfer-Encoding: chunked"))
    chunk = b"[" * 65536
    for _ in range(100000):
        writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        await writer.drain()


def fixed_body(body: bytes, *headers: str):  # type: ignore[no-untyped-def]
    async def respond(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: bytes
    ) -> None:
        writer.write(response_head("200 OK", f"Content-Length: {len(body)}", *headers) + body)

    return respond


BOMB = gzip.compress(b"\0" * (64 * 1024 * 1024), compresslevel=9)


@pytest.mark.parametrize(
    "respond",
    [endless_chunks, fixed_body(BOMB, "Content-Encoding: gzip"), fixed_body(b" " * 3_000_000)],
    ids=["endless-chunked", "gzip-bomb", "long-body"],
)
async def test_a_body_past_the_cap_stops_with_a_typed_error_and_bounded_memory(
    credentials: Credentials, respond: object
) -> None:
    cap = 1024 * 1024
    async with RawServer(respond) as server:  # type: ignore[arg-type]
        client = DataFlowClient(
            credentials, base_url=server.url, retry=NO_RETRY, max_response_bytes=cap
        )
        async with client, asyncio.timeout(10):
            tracemalloc.start()
            try:
                with pytest.raises(ResponseTooLargeError, match="max_response_bytes") as info:
                    await client.list_jobs()
                _, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
    assert info.value.limit == cap
    assert peak < 8 * cap  # the bomb alone would decode to 64 MiB


async def test_a_declared_200_mb_body_is_refused_before_reading(credentials: Credentials) -> None:
    async def huge(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: bytes) -> None:
        writer.write(response_head("200 OK", "Content-Length: 200000000"))
        await asyncio.sleep(60)  # never sends the body

    async with RawServer(huge) as server:
        client = DataFlowClient(credentials, base_url=server.url, retry=NO_RETRY)
        async with client, asyncio.timeout(5):
            with pytest.raises(ResponseTooLargeError, match="declares 200000000 bytes"):
                await client.list_jobs()


class _Chunks(httpx.AsyncByteStream):
    async def __aiter__(self):  # type: ignore[no-untyped-def]
        yield JOBS_BODY


@pytest.mark.parametrize("declared", ["\u00b2".encode("latin-1"), b"9" * 5000])
async def test_a_content_length_int_cannot_read_is_no_crash(
    credentials: Credentials, declared: bytes
) -> None:
    # h11 refuses such a header itself; a transport of another kind hands it on.
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers=[(b"Content-Length", declared)], stream=_Chunks())

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    client = DataFlowClient(
        credentials, base_url="http://127.0.0.1:9", http_client=http, retry=NO_RETRY
    )
    async with http, client:
        assert (await client.list_jobs()).jobs == ()


async def test_a_body_exactly_at_the_cap_is_accepted(credentials: Credentials) -> None:
    body = JOBS_BODY + b" " * 100
    gz = gzip.compress(body)
    async with RawServer(fixed_body(gz, "Content-Encoding: gzip")) as gz_server:
        client = DataFlowClient(
            credentials, base_url=gz_server.url, retry=NO_RETRY, max_response_bytes=len(body)
        )
        async with client:
            page = await client.list_jobs()
    assert page.jobs == ()
    async with RawServer(fixed_body(gz, "Content-Encoding: gzip")) as gz_server:
        client = DataFlowClient(
            credentials, base_url=gz_server.url, retry=NO_RETRY, max_response_bytes=len(body) - 1
        )
        async with client:
            with pytest.raises(ResponseTooLargeError):
                await client.list_jobs()


def chunked_body(body: bytes, pieces: int):  # type: ignore[no-untyped-def]
    """Respond with ``body`` in ``pieces`` chunks of the chunked encoding, each written
    on its own after a pause (so the client reads them apart), no Content-Length."""

    async def respond(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: bytes
    ) -> None:
        writer.write(response_head("200 OK", "Transfer-Encoding: chunked"))
        size = -(-len(body) // pieces)
        for at in range(0, len(body), size):
            piece = body[at : at + size]
            writer.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            await writer.drain()
            await asyncio.sleep(0.01)
        writer.write(b"0\r\n\r\n")

    return respond


async def test_a_plain_body_in_chunks_is_read_whole_up_to_the_cap(
    credentials: Credentials,
) -> None:
    jobs = [job_json(i) for i in range(1000)]  # about 330 KB
    body = httpx.Response(200, json=page_json(jobs)).content
    for cap, fits in ((len(body), True), (len(body) - 1, False)):
        async with RawServer(chunked_body(body, 5)) as server:
            client = DataFlowClient(
                credentials, base_url=server.url, retry=NO_RETRY, max_response_bytes=cap
            )
            async with client, asyncio.timeout(10):
                if fits:
                    got = (await client.list_jobs(limit=1000)).jobs
                    assert [job.job_id for job in got] == [job["jobId"] for job in jobs]
                else:
                    with pytest.raises(ResponseTooLargeError, match="is longer"):
                        await client.list_jobs()


async def test_an_error_body_past_the_cap_is_bounded_too(credentials: Credentials) -> None:
    async def big_503(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: bytes
    ) -> None:
        writer.write(response_head("503 Service Unavailable", "Transfer-Encoding: chunked"))
        for _ in range(1000):
            writer.write(b"10000\r\n" + b"x" * 0x10000 + b"\r\n")
            await writer.drain()

    async with RawServer(big_503) as server:
        client = DataFlowClient(
            credentials, base_url=server.url, retry=NO_RETRY, max_response_bytes=100_000
        )
        async with client, asyncio.timeout(5):
            with pytest.raises(ResponseTooLargeError):
                await client.list_jobs()


# Nothing left checked out ------------------------------------------------------------


@pytest.mark.parametrize("failure", ["too-large", "trickle", "redirect"])
async def test_a_one_connection_pool_still_serves_after_each_hostile_answer(
    credentials: Credentials, failure: str
) -> None:
    bad = {
        "too-large": endless_chunks,
        "trickle": slow_body(0.02),
        "redirect": redirect_to("http://127.0.0.1:9/x"),
    }[failure]
    answers = [bad, ok]

    async def respond(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: bytes
    ) -> None:
        await answers.pop(0)(reader, writer, head)

    async with RawServer(respond) as server:
        http = httpx.AsyncClient(limits=httpx.Limits(max_connections=1), timeout=0.15)
        client = DataFlowClient(
            credentials,
            base_url=server.url,
            http_client=http,
            retry=NO_RETRY,
            max_response_bytes=100_000,
        )
        async with http, client, asyncio.timeout(5):
            with pytest.raises((ResponseTooLargeError, APITimeoutError, UnexpectedResponseError)):
                await client.list_jobs()
            pool = http._transport._pool  # type: ignore[attr-defined]
            assert pool._requests == []
            page = await client.list_jobs()
    assert page.jobs == ()
