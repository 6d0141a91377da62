"""DataFlowClient: argument checks before sending, paging stop rules, lifecycle."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from dataflow_async import (
    Credentials,
    DataFlowClient,
    JobStatus,
    MissingCredentialsError,
    NcpSignatureAuth,
    PaginationError,
)
from dataflow_async._pagination import MAX_STALE_PAGES

from .conftest import SECRET_KEY, FakeAPI, job_json, page_json

MakeClient = Callable[..., DataFlowClient]


async def test_a_known_status_is_accepted_in_any_case_and_sent_as_the_api_spells_it(
    make_client: MakeClient, fake_api: FakeAPI
) -> None:
    async with make_client() as client:
        await client.list_jobs(status="running")
        async for _ in client.iter_jobs(status="Ready"):
            pass
    assert [r.url.params["status"] for r in fake_api.requests] == ["RUNNING", "READY"]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"status": "runnin"},
        {"status": "FINISHED"},
        {"status": 3},
        {"name": ""},
        {"name": 5},
        {"page": -1},
        {"page": "1"},
        {"page": True},
        {"limit": 0},
        {"limit": -5},
        {"limit": 1.5},
    ],
)
async def test_list_jobs_rejects_bad_arguments_before_sending(
    make_client: MakeClient, fake_api: FakeAPI, kwargs: dict[str, Any]
) -> None:
    async with make_client() as client:
        with pytest.raises(ValueError, match=next(iter(kwargs))):
            await client.list_jobs(**kwargs)
    assert fake_api.requests == []


@pytest.mark.parametrize(
    ("method", "kwargs"),
    [
        ("iter_jobs", {"status": "nope"}),
        ("iter_jobs", {"page_size": 0}),
        ("iter_jobs", {"max_items": -1}),
        ("iter_jobs", {"max_items": 2.0}),
        ("iter_job_pages", {"start_page": -1}),
        ("iter_job_pages", {"page_size": None}),
        ("iter_job_pages", {"status": ""}),
        ("iter_job_pages", {"prefetch": -1}),
        ("iter_jobs", {"prefetch": 1.0}),
        ("iter_jobs", {"dedupe": 1}),
    ],
)
async def test_iterators_reject_bad_arguments_at_call(
    make_client: MakeClient, fake_api: FakeAPI, method: str, kwargs: dict[str, Any]
) -> None:
    async with make_client() as client:
        with pytest.raises(ValueError, match=next(iter(kwargs))):
            getattr(client, method)(**kwargs)  # raised at the call, not at the first step
    assert fake_api.requests == []


async def test_status_error_names_valid_values(make_client: MakeClient) -> None:
    async with make_client() as client:
        with pytest.raises(ValueError, match="RUNNABLE, RUNNING, DELETED, UNKNOWN") as info:
            client.iter_jobs(status="finished")
    assert "READY" in str(info.value)


@pytest.mark.parametrize("status", [JobStatus.RUNNING, "RUNNING"])
async def test_filters_are_sent(make_client: MakeClient, fake_api: FakeAPI, status: Any) -> None:
    async with make_client() as client:
        await client.list_jobs(name="a b&c", status=status, page=2, limit=7)
    params = fake_api.requests[0].url.params
    assert dict(params) == {"name": "a b&c", "status": "RUNNING", "page": "2", "limit": "7"}
    assert fake_api.requests[0].url.path == "/api/v1/jobs"


async def test_iter_jobs_walks_every_page_once(make_client: MakeClient, fake_api: FakeAPI) -> None:
    async with make_client() as client:
        ids = [job.job_id async for job in client.iter_jobs(page_size=10, prefetch=0)]
    assert ids == [j["jobId"] for j in fake_api.jobs]
    assert [r.url.params["page"] for r in fake_api.requests] == ["0", "1", "2"]  # 10, 10, 5: short


async def test_exact_multiple_needs_one_empty_page(
    make_client: MakeClient, fake_api: FakeAPI
) -> None:
    fake_api.jobs = fake_api.jobs[:20]
    async with make_client() as client:
        pages = [page async for page in client.iter_job_pages(page_size=10, prefetch=0)]
    assert [len(p) for p in pages] == [10, 10]
    assert len(fake_api.requests) == 3  # count is per page: only an empty page can end it


async def test_count_as_total_ends_without_extra_request(
    make_client: MakeClient, fake_api: FakeAPI
) -> None:
    fake_api.jobs = fake_api.jobs[:20]
    fake_api.count_is_total = True
    async with make_client() as client:
        pages = [page async for page in client.iter_job_pages(page_size=10)]
    assert [p.count for p in pages] == [20, 20]
    assert len(fake_api.requests) == 2


async def test_lying_count_never_loops_or_truncates(
    make_client: MakeClient, fake_api: FakeAPI
) -> None:
    def lying(request: httpx.Request) -> httpx.Response:
        response = fake_api.serve_jobs(request)
        body = response.json()
        body["count"] = 10**9
        return httpx.Response(200, json=body)

    fake_api.script = [lying] * 10
    async with make_client() as client:
        ids = []
        with pytest.raises(PaginationError, match="999999975 are missing"):
            async for job in client.iter_jobs(page_size=10):
                ids.append(job.job_id)
    assert len(ids) == 25  # every job it had; the short page did not end the walk quietly


async def test_server_capping_limit_does_not_cut_the_walk(
    make_client: MakeClient, fake_api: FakeAPI
) -> None:
    def capped(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        chunk = fake_api.jobs[page * 10 : (page + 1) * 10]
        return httpx.Response(200, json=page_json(chunk, page, 10))

    fake_api.script = [capped] * 10
    async with make_client() as client:
        ids = [job.job_id async for job in client.iter_jobs(page_size=1000)]
    assert len(ids) == 25 and len(set(ids)) == 25


async def test_server_ignoring_page_raises_instead_of_looping(
    make_client: MakeClient, fake_api: FakeAPI
) -> None:
    same = httpx.Response(200, json=page_json([job_json(i) for i in range(10)], 0, 10))
    fake_api.script = [lambda _r: same] * 50
    async with make_client() as client:
        seen = []
        with pytest.raises(PaginationError, match="ignore the page parameter"):
            async for job in client.iter_jobs(page_size=10, prefetch=0):
                seen.append(job.job_id)
    assert len(seen) == 10  # the repeats were never yielded
    assert len(fake_api.requests) == 1 + MAX_STALE_PAGES


async def test_cycling_server_raises(make_client: MakeClient, fake_api: FakeAPI) -> None:
    a = page_json([job_json(i) for i in range(10)], 0, 10)
    b = page_json([job_json(i) for i in range(10, 20)], 1, 10)
    fake_api.script = [lambda _r, body=body: httpx.Response(200, json=body) for body in [a, b] * 20]
    async with make_client() as client:
        with pytest.raises(PaginationError):
            await _drain(client.iter_jobs(page_size=10))


async def _drain(iterator: Any) -> list[Any]:
    return [item async for item in iterator]


@pytest.mark.parametrize(
    ("max_items", "requests"), [(0, 0), (1, 1), (10, 1), (11, 2), (25, 3), (99, 3)]
)
async def test_max_items_stops_exactly(
    make_client: MakeClient, fake_api: FakeAPI, max_items: int, requests: int
) -> None:
    async with make_client() as client:
        jobs = await _drain(client.iter_jobs(page_size=10, max_items=max_items, prefetch=0))
    assert [j.job_id for j in jobs] == [j["jobId"] for j in fake_api.jobs[:max_items]]
    assert len(fake_api.requests) == requests


async def test_small_max_items_asks_for_a_small_page(
    make_client: MakeClient, fake_api: FakeAPI
) -> None:
    async with make_client() as client:
        await _drain(client.iter_jobs(max_items=3))
    assert fake_api.requests[0].url.params["limit"] == "3"


async def test_start_page(make_client: MakeClient, fake_api: FakeAPI) -> None:
    async with make_client() as client:
        pages = await _drain(client.iter_job_pages(page_size=10, start_page=1))
    assert [p.page for p in pages] == [1, 2]


async def test_empty_listing(make_client: MakeClient, fake_api: FakeAPI) -> None:
    fake_api.jobs = []
    async with make_client() as client:
        assert await _drain(client.iter_jobs()) == []
        page = await client.list_jobs()
    assert page.jobs == () and page.count == 0


async def test_missing_count_page_limit_fall_back(
    make_client: MakeClient, fake_api: FakeAPI
) -> None:
    fake_api.script = [httpx.Response(200, json={"list": [job_json(1)]})]
    async with make_client() as client:
        page = await client.list_jobs(page=3, limit=50)
    assert (page.count, page.page, page.limit) == (1, 3, 50)


async def test_aclose_and_aclosing_stop_the_walk(
    make_client: MakeClient, fake_api: FakeAPI
) -> None:
    async with make_client() as client:
        async with contextlib.aclosing(client.iter_jobs(page_size=10)) as jobs:
            async for _job in jobs:
                break
        pager = client.iter_jobs(page_size=10)
        await anext(pager)
        await pager.aclose()
        with pytest.raises(StopAsyncIteration):
            await anext(pager)
        async with client.iter_job_pages(page_size=10) as pages:
            await anext(pages)
    assert len(fake_api.requests) == 3


async def test_cancelling_the_consumer(make_client: MakeClient, fake_api: FakeAPI) -> None:
    started = asyncio.Event()

    async def slow(request: httpx.Request) -> httpx.Response:
        started.set()
        await asyncio.sleep(10)
        raise AssertionError("not reached")

    class SlowTransport(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            return await slow(request)

    async with httpx.AsyncClient(transport=SlowTransport()) as http:
        client = DataFlowClient(Credentials("a", "b"), base_url="https://h.test", http_client=http)
        pager = client.iter_jobs()

        async def consume() -> None:
            async for _ in pager:
                pass

        task = asyncio.create_task(consume())
        await started.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await pager.aclose()


async def test_owned_http_client_is_closed(credentials: Credentials) -> None:
    async with DataFlowClient(credentials) as client:
        http = client.http_client
        assert not http.is_closed
    assert http.is_closed


async def test_given_http_client_is_left_open(credentials: Credentials) -> None:
    async with httpx.AsyncClient() as http:
        async with DataFlowClient(credentials, http_client=http) as client:
            assert client.http_client is http
        assert not http.is_closed


async def test_given_client_auth_is_used_without_resolving(
    fake_api: FakeAPI, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _no_credentials_anywhere(monkeypatch, tmp_path)
    auth = NcpSignatureAuth(Credentials("ACCESSKEYEXAMPLE", SECRET_KEY))
    async with httpx.AsyncClient(
        transport=httpx.MockTransport(fake_api), auth=auth, base_url="https://h.test/"
    ) as http:
        client = DataFlowClient(http_client=http)
        page = await client.list_jobs(limit=2)
    assert len(page.jobs) == 2
    assert str(fake_api.requests[0].url).startswith("https://h.test/api/v1/jobs?")


def _no_credentials_anywhere(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    for name in list(os.environ):
        if name.startswith("NCLOUD_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(home))


def test_no_credentials_anywhere(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _no_credentials_anywhere(monkeypatch, tmp_path)
    with pytest.raises(MissingCredentialsError, match=r"NCLOUD_ACCESS_KEY_ID.*configure"):
        DataFlowClient()


async def test_credentials_from_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _no_credentials_anywhere(monkeypatch, tmp_path)
    monkeypatch.setenv("NCLOUD_ACCESS_KEY", "env-ak")
    monkeypatch.setenv("NCLOUD_SECRET_KEY", "env-sk")
    async with DataFlowClient() as client:
        assert client.credentials is not None and client.credentials.access_key == "env-ak"


async def test_profile_argument(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _no_credentials_anywhere(monkeypatch, tmp_path)
    (tmp_path / ".ncloud").mkdir()
    (tmp_path / ".ncloud" / "configure").write_text(
        "[p1]\nncloud_access_key_id=p1-ak\nncloud_secret_access_key=p1-sk\n"
    )
    async with DataFlowClient(profile="p1") as client:
        assert client.credentials is not None and client.credentials.access_key == "p1-ak"
    with pytest.raises(ValueError, match="not both"):
        DataFlowClient(Credentials("a", "b"), profile="p1")


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"base_url": "dataflow.apigw.ntruss.com"}, ValueError),
        ({"base_url": "ftp://h.test"}, ValueError),
        ({"base_url": "https://h.test/?x=1"}, ValueError),
        ({"timeout": 0}, ValueError),
        ({"timeout": -1.0}, ValueError),
        ({"timeout": "30"}, ValueError),
        ({"http_client": httpx.Client()}, TypeError),
    ],
)
def test_bad_constructor_arguments(
    credentials: Credentials, kwargs: dict[str, Any], error: type[Exception]
) -> None:
    with pytest.raises(error):
        DataFlowClient(credentials, **kwargs)
    for value in kwargs.values():
        if isinstance(value, httpx.Client):
            value.close()


def test_credentials_type_checked() -> None:
    with pytest.raises(TypeError, match="Credentials"):
        DataFlowClient({"access_key": "a"})  # type: ignore[arg-type]


async def test_repr_has_no_secret(credentials: Credentials) -> None:
    async with DataFlowClient(credentials, base_url="https://h.test/prefix/") as client:
        text = repr(client)
        assert client.base_url == "https://h.test/prefix"
    assert SECRET_KEY not in text and credentials.access_key not in text


async def test_endpoint_from_environment(
    credentials: Credentials, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATAFLOW_ASYNC_ENDPOINT", "http://127.0.0.1:8080/")
    async with DataFlowClient(credentials) as client:
        assert client.base_url == "http://127.0.0.1:8080"
    async with DataFlowClient(credentials, base_url="https://other.test") as client:
        assert client.base_url == "https://other.test"  # an explicit base_url wins
    monkeypatch.setenv("DATAFLOW_ASYNC_ENDPOINT", "not a url")
    with pytest.raises(ValueError, match="base_url"):
        DataFlowClient(credentials)
    with pytest.raises(ValueError, match="base_url"):
        DataFlowClient(credentials, base_url="")  # given, even empty: never replaced


async def test_iter_jobs_resumes_from_a_page(make_client: MakeClient, fake_api: FakeAPI) -> None:
    async with make_client() as client:
        ids = [job.job_id async for job in client.iter_jobs(page_size=10, start_page=1)]
        with pytest.raises(ValueError, match="start_page"):
            client.iter_jobs(start_page=-1)
    assert ids == [j["jobId"] for j in fake_api.jobs[10:]]
    assert fake_api.requests[0].url.params["page"] == "1"


async def test_requests_ask_for_json_without_touching_a_given_client(
    make_client: MakeClient, fake_api: FakeAPI
) -> None:
    async with make_client() as client:
        await client.list_jobs()
        assert client.http_client.headers["accept"] == "*/*"  # the given client is unchanged
    assert fake_api.requests[0].headers["accept"] == "application/json"


async def test_profile_wins_over_a_given_clients_auth(
    fake_api: FakeAPI, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _no_credentials_anywhere(monkeypatch, tmp_path)
    (tmp_path / ".ncloud").mkdir()
    (tmp_path / ".ncloud" / "configure").write_text(
        f"[p1]\nncloud_access_key_id=ACCESSKEYEXAMPLE\nncloud_secret_access_key={SECRET_KEY}\n"
    )
    wrong = NcpSignatureAuth(Credentials("ACCESSKEYEXAMPLE", "WRONG-SECRET"))
    async with httpx.AsyncClient(transport=httpx.MockTransport(fake_api), auth=wrong) as http:
        client = DataFlowClient(http_client=http, profile="p1", base_url="https://h.test")
        page = await client.list_jobs(limit=1)  # FakeAPI checks the signature
    assert client.credentials is not None and client.credentials.source.endswith("[p1]")
    assert len(page.jobs) == 1


async def test_default_endpoint(credentials: Credentials, monkeypatch: pytest.MonkeyPatch) -> None:
    from dataflow_async import DEFAULT_BASE_URL

    monkeypatch.delenv("DATAFLOW_ASYNC_ENDPOINT", raising=False)
    async with DataFlowClient(credentials) as client:
        assert client.base_url == DEFAULT_BASE_URL == "https://dataflow.apigw.ntruss.com"
