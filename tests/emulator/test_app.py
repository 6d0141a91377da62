"""The emulator's ``GET /api/v1/jobs``: authentication, routing, parameters, paging.

Unhappy paths first. Most tests call the app in process (``app.transport()``); the ones
that prove the signature is recomputed from the raw request line also go over a real
loopback socket (``run_emulator``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import random
from collections.abc import AsyncIterator, Iterator
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import pytest

from dataflow_async import Credentials, NcpSignatureAuth, sign_v2
from dataflow_async.emulator import (
    DEFAULT_ACCESS_KEY,
    DEFAULT_SECRET_KEY,
    JOB_STATUSES,
    JOBS_PATH,
    EmulatorApp,
    FaultPlan,
    JobList,
    RequestRecord,
    RunningEmulator,
    Throttle,
    make_jobs,
    run_emulator,
)

NOW = 1_700_000_000.0  # Tue, 14 Nov 2023 22:13:20 GMT
CREDS = Credentials(DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY)
BASE = "http://emulator.test"


def fixed_clock() -> float:
    return NOW


def in_process(app: EmulatorApp, **auth_options: Any) -> httpx.AsyncClient:
    """A client signing with the default pair, calling ``app`` in process."""
    auth = NcpSignatureAuth(CREDS, **auth_options)
    return httpx.AsyncClient(transport=app.transport(), base_url=BASE, auth=auth)


def unsigned(app: EmulatorApp) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=app.transport(), base_url=BASE)


def raw_signature(secret: str, message: str) -> str:
    """HMAC-SHA256 of an arbitrary string to sign (for signing it wrongly on purpose)."""
    digest = hmac.new(secret.encode(), message.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def headers_for(
    uri: str,
    *,
    method: str = "GET",
    timestamp: str | None = None,
    access_key: str = DEFAULT_ACCESS_KEY,
    secret: str = DEFAULT_SECRET_KEY,
) -> dict[str, str]:
    """The three gateway headers for a request signed over ``method uri`` (case kept)."""
    ts = timestamp if timestamp is not None else str(int(NOW * 1000))
    return {
        "x-ncp-apigw-timestamp": ts,
        "x-ncp-iam-access-key": access_key,
        "x-ncp-apigw-signature-v2": raw_signature(secret, f"{method} {uri}\n{ts}\n{access_key}"),
    }


def assert_auth_failed(response: httpx.Response, *, mentions: str) -> None:
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/json"
    error = response.json()["error"]
    assert error["errorCode"] == "200"
    assert error["message"] == "Authentication Failed"
    assert mentions.lower() in error["details"].lower()


def job(job_id: str, created: str, name: str = "job", **extra: Any) -> dict[str, Any]:
    return {
        "jobId": job_id,
        "name": name,
        "type": "DATAFLOW",
        "status": "RUNNABLE",
        "createdDate": created,
        "updatedDate": created,
        "resourceId": job_id,
        "disabled": False,
        **extra,
    }


@pytest.fixture
def app() -> EmulatorApp:
    return EmulatorApp(make_jobs(30, seed=7), clock=fixed_clock)


@pytest.fixture(scope="module")
def served() -> Iterator[RunningEmulator]:
    with run_emulator(jobs=0) as emu:
        yield emu


@pytest.fixture
def emu(served: RunningEmulator) -> RunningEmulator:
    """The module's socket emulator, restored to a clean state for each test."""
    served.app.jobs = make_jobs(30, seed=7)
    served.app.faults = FaultPlan()
    served.app.clock_skew = 0.0
    served.app.count_mode = "page"
    served.app.reset()
    return served


@pytest.fixture
async def socket_client(emu: RunningEmulator) -> AsyncIterator[httpx.AsyncClient]:
    auth = NcpSignatureAuth(emu.credentials)
    async with httpx.AsyncClient(auth=auth, base_url=emu.url) as client:
        yield client


# --- authentication: every rejection is the gateway's 401 / errorCode 200 -------------


@pytest.mark.parametrize(
    "header", ["x-ncp-apigw-timestamp", "x-ncp-iam-access-key", "x-ncp-apigw-signature-v2"]
)
async def test_missing_signature_header_is_rejected(app: EmulatorApp, header: str) -> None:
    headers = headers_for(JOBS_PATH)
    del headers[header]
    async with unsigned(app) as client:
        response = await client.get(JOBS_PATH, headers=headers)
    assert_auth_failed(response, mentions=header)
    assert app.requests[-1].status == 401


async def test_request_without_any_header_is_rejected(app: EmulatorApp) -> None:
    async with unsigned(app) as client:
        response = await client.get(JOBS_PATH)
    assert_auth_failed(response, mentions="missing header")
    record = app.requests[-1]
    assert (record.timestamp, record.access_key) == (None, None)


async def test_unknown_access_key_is_rejected(app: EmulatorApp) -> None:
    headers = headers_for(JOBS_PATH, access_key="SOMEONEELSE", secret="THEIRSECRET")
    async with unsigned(app) as client:
        response = await client.get(JOBS_PATH, headers=headers)
    assert_auth_failed(response, mentions="unknown access key")


async def test_wrong_secret_is_rejected(app: EmulatorApp) -> None:
    headers = headers_for(JOBS_PATH, secret="NOTTHESECRET")
    async with unsigned(app) as client:
        response = await client.get(JOBS_PATH, headers=headers)
    assert_auth_failed(response, mentions="does not match")


@pytest.mark.parametrize("offset", [-301.0, 301.0, -3600.0, 86_400.0])
async def test_timestamp_beyond_five_minutes_is_rejected(app: EmulatorApp, offset: float) -> None:
    async with in_process(app, clock=lambda: NOW + offset) as client:
        response = await client.get(JOBS_PATH)
    assert_auth_failed(response, mentions="from the server's clock")


@pytest.mark.parametrize("offset", [-299.0, 0.0, 299.0])
async def test_timestamp_within_five_minutes_is_accepted(app: EmulatorApp, offset: float) -> None:
    async with in_process(app, clock=lambda: NOW + offset) as client:
        response = await client.get(JOBS_PATH)
    assert response.status_code == 200


async def test_max_skew_is_configurable() -> None:
    app = EmulatorApp(clock=fixed_clock, max_skew=10)
    async with in_process(app, clock=lambda: NOW - 11) as client:
        assert (await client.get(JOBS_PATH)).status_code == 401
    async with in_process(app, clock=lambda: NOW - 9) as client:
        assert (await client.get(JOBS_PATH)).status_code == 200


@pytest.mark.parametrize("timestamp", ["abc", "1.7e12", "-1700000000000", " 1700000000000", ""])
async def test_non_integer_timestamp_is_rejected(app: EmulatorApp, timestamp: str) -> None:
    headers = headers_for(JOBS_PATH, timestamp=timestamp)
    async with unsigned(app) as client:
        response = await client.get(JOBS_PATH, headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["errorCode"] == "200"


@pytest.mark.parametrize("digits", [16, 4_301, 10_000])
async def test_overlong_timestamp_is_rejected_not_crashed(app: EmulatorApp, digits: int) -> None:
    # Past 4,300 digits int() refuses to parse; only a known access key is needed to get
    # that far, so the length is bounded first.
    headers = headers_for(JOBS_PATH, timestamp="1" * digits)
    async with unsigned(app) as client:
        response = await client.get(JOBS_PATH, headers=headers)
    assert_auth_failed(response, mentions="epoch milliseconds")
    assert app.requests[-1].status == 401


async def test_socket_overlong_timestamp_is_a_401_without_a_traceback(
    emu: RunningEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    headers = headers_for(JOBS_PATH, timestamp="9" * 5_000)
    async with httpx.AsyncClient(base_url=emu.url) as client:
        response = await client.get(JOBS_PATH, headers=headers)
    assert_auth_failed(response, mentions="epoch milliseconds")
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


async def test_timestamp_in_seconds_instead_of_milliseconds_is_rejected(app: EmulatorApp) -> None:
    headers = headers_for(JOBS_PATH, timestamp=str(int(NOW)))
    async with unsigned(app) as client:
        response = await client.get(JOBS_PATH, headers=headers)
    assert_auth_failed(response, mentions="from the server's clock")


async def test_clock_skew_makes_a_correct_client_fail(app: EmulatorApp) -> None:
    app.clock_skew = 600.0  # the gateway is ten minutes ahead of the client
    async with in_process(app, clock=fixed_clock) as client:
        response = await client.get(JOBS_PATH)
    assert_auth_failed(response, mentions="from the server's clock")
    # A client correcting its clock by the same offset gets through.
    async with in_process(app, clock=fixed_clock, clock_offset=600.0) as client:
        assert (await client.get(JOBS_PATH)).status_code == 200


async def test_signature_over_a_different_query_is_rejected(app: EmulatorApp) -> None:
    headers = headers_for(f"{JOBS_PATH}?page=0&limit=10")
    async with unsigned(app) as client:
        response = await client.get(f"{JOBS_PATH}?page=1&limit=10", headers=headers)
    assert_auth_failed(response, mentions="does not match")


async def test_signature_with_parameters_reordered_is_rejected(app: EmulatorApp) -> None:
    headers = headers_for(f"{JOBS_PATH}?limit=10&page=0")
    async with unsigned(app) as client:
        response = await client.get(f"{JOBS_PATH}?page=0&limit=10", headers=headers)
    assert_auth_failed(response, mentions="does not match")


async def test_signature_with_a_trailing_question_mark_is_rejected(app: EmulatorApp) -> None:
    headers = headers_for(f"{JOBS_PATH}?")
    async with unsigned(app) as client:
        response = await client.get(JOBS_PATH, headers=headers)
    assert_auth_failed(response, mentions="does not match")


async def test_signature_without_the_query_is_rejected(app: EmulatorApp) -> None:
    headers = headers_for(JOBS_PATH)
    async with unsigned(app) as client:
        response = await client.get(f"{JOBS_PATH}?limit=5", headers=headers)
    assert_auth_failed(response, mentions="does not match")


async def test_signature_over_a_lower_case_method_is_rejected(app: EmulatorApp) -> None:
    headers = headers_for(JOBS_PATH, method="get")
    async with unsigned(app) as client:
        response = await client.get(JOBS_PATH, headers=headers)
    assert_auth_failed(response, mentions="does not match")
    # The same request signed over "GET" passes: only the case was wrong.
    async with unsigned(app) as client:
        assert (await client.get(JOBS_PATH, headers=headers_for(JOBS_PATH))).status_code == 200


async def test_signature_over_the_unencoded_query_is_rejected(app: EmulatorApp) -> None:
    headers = headers_for(f"{JOBS_PATH}?name=a b&c")
    async with unsigned(app) as client:
        response = await client.get(JOBS_PATH, params={"name": "a b&c"}, headers=headers)
    assert app.requests[-1].target == f"{JOBS_PATH}?name=a+b%26c"
    assert_auth_failed(response, mentions="does not match")


async def test_signature_relative_to_a_base_path_is_rejected(app: EmulatorApp) -> None:
    headers = headers_for("/jobs")
    async with unsigned(app) as client:
        response = await client.get(JOBS_PATH, headers=headers)
    assert_auth_failed(response, mentions="does not match")


async def test_rejection_never_reveals_the_expected_signature(app: EmulatorApp) -> None:
    ts = str(int(NOW * 1000))
    expected = sign_v2(DEFAULT_SECRET_KEY, "GET", JOBS_PATH, ts, DEFAULT_ACCESS_KEY)
    headers = headers_for(JOBS_PATH, timestamp=ts, secret="WRONG")
    async with unsigned(app) as client:
        response = await client.get(JOBS_PATH, headers=headers)
    assert response.status_code == 401
    assert expected not in response.text
    assert DEFAULT_SECRET_KEY not in response.text


async def test_custom_credentials_replace_the_default_pair() -> None:
    app = EmulatorApp(credentials={"MYACCESSKEY": "MYSECRETKEY"}, clock=fixed_clock)
    async with in_process(app, clock=fixed_clock) as client:
        assert_auth_failed(await client.get(JOBS_PATH), mentions="unknown access key")
    auth = NcpSignatureAuth(Credentials("MYACCESSKEY", "MYSECRETKEY"), clock=fixed_clock)
    async with httpx.AsyncClient(transport=app.transport(), base_url=BASE, auth=auth) as client:
        assert (await client.get(JOBS_PATH)).status_code == 200


async def test_authentication_comes_before_routing_and_validation(app: EmulatorApp) -> None:
    async with unsigned(app) as client:
        for target in ["/nowhere", f"{JOBS_PATH}?limit=0", f"{JOBS_PATH}?status=nope"]:
            assert_auth_failed(await client.get(target), mentions="missing header")


async def test_authentication_failures_are_never_faulted(app: EmulatorApp) -> None:
    app.faults = FaultPlan.script(Throttle())
    async with unsigned(app) as client:
        response = await client.get(JOBS_PATH)
    assert_auth_failed(response, mentions="missing header")
    assert app.faults.remaining == 1  # the scripted fault is still waiting
    assert app.requests[-1].fault is None
    async with in_process(app, clock=fixed_clock) as client:
        assert (await client.get(JOBS_PATH)).status_code == 429


async def test_non_ascii_request_target_is_rejected_not_crashed() -> None:
    app = EmulatorApp(clock=fixed_clock)
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/api/v1/jobs",
        "raw_path": b"/api/v1/jobs",
        "query_string": "name=日本".encode(),
        "headers": [(k.encode(), v.encode()) for k, v in headers_for("/x").items()],
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        sent.append(message)

    await app(scope, receive, send)
    assert sent[0]["status"] == 401
    assert b"not ASCII" in sent[1]["body"]


# --- auth over a real socket: the signature is recomputed from the raw request line ------


async def test_socket_rejects_signature_over_unencoded_query(emu: RunningEmulator) -> None:
    async with httpx.AsyncClient(base_url=emu.url) as client:
        ts = str(int(emu.app.now() * 1000))
        headers = headers_for(f"{JOBS_PATH}?name=売上 集計", timestamp=ts)
        response = await client.get(JOBS_PATH, params={"name": "売上 集計"}, headers=headers)
    assert_auth_failed(response, mentions="does not match")
    assert emu.app.requests[-1].target == f"{JOBS_PATH}?name=%E5%A3%B2%E4%B8%8A+%E9%9B%86%E8%A8%88"


async def test_socket_empty_query_is_dropped_by_the_signer(emu: RunningEmulator) -> None:
    # httpx would keep "?" in the request line; the signer drops the empty query before
    # signing, so the request line and the signed string agree and the emulator accepts.
    auth = NcpSignatureAuth(emu.credentials)
    async with httpx.AsyncClient(auth=auth, base_url=emu.url) as client:
        response = await client.get(f"{JOBS_PATH}?")
    assert response.status_code == 200
    assert emu.app.requests[-1].target == JOBS_PATH


async def test_socket_rejects_stale_timestamp(emu: RunningEmulator) -> None:
    auth = NcpSignatureAuth(emu.credentials, clock_offset=-400.0)
    async with httpx.AsyncClient(auth=auth, base_url=emu.url) as client:
        response = await client.get(JOBS_PATH)
    assert_auth_failed(response, mentions="from the server's clock")


async def test_socket_clock_skew_makes_a_correct_client_fail(emu: RunningEmulator) -> None:
    emu.app.clock_skew = -900.0
    auth = NcpSignatureAuth(emu.credentials)
    async with httpx.AsyncClient(auth=auth, base_url=emu.url) as client:
        assert_auth_failed(await client.get(JOBS_PATH), mentions="from the server's clock")


# --- routing -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/job"),
        ("GET", "/api/v1/jobs/"),
        ("GET", "/api/v2/jobs"),
        ("GET", "/"),
        ("PATCH", JOBS_PATH),
        ("DELETE", JOBS_PATH),
        ("PUT", JOBS_PATH),
        ("GET", "/api/v1/jobs/verify"),
        ("POST", "/api/v1/jobs/abc"),
        ("DELETE", "/api/v1/stats/executions"),
        ("GET", "/api/v1/stats/execution_times"),
        ("GET", "/api/v1/triggers/abc/executions"),
    ],
)
async def test_unknown_route_is_the_gateways_404(app: EmulatorApp, method: str, path: str) -> None:
    async with in_process(app, clock=fixed_clock) as client:
        response = await client.request(method, path)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    error = response.json()["error"]
    assert error["errorCode"] == "300"
    assert error["message"] == "Not Found Exception"
    assert path in error["details"]
    assert app.requests[-1] == RequestRecord(
        method=method,
        target=path,
        status=404,
        fault=None,
        timestamp=str(int(NOW * 1000)),
        access_key=DEFAULT_ACCESS_KEY,
        received_at=NOW,
    )


async def test_socket_unknown_route_is_404(socket_client: httpx.AsyncClient) -> None:
    response = await socket_client.get("/api/v1/workflow")
    assert response.status_code == 404
    assert response.json()["error"]["errorCode"] == "300"


# --- parameters ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "mentions"),
    [
        ("status=BOGUS", "status"),
        ("status=running", "status"),
        ("status=", "status"),
        ("page=-1", "page"),
        ("page=abc", "page"),
        ("page=1.5", "page"),
        ("page=", "page"),
        ("page=%EF%BC%91", "page"),  # a full-width digit one
        ("page=2147483648", "page"),
        ("limit=0", "limit"),
        ("limit=-5", "limit"),
        ("limit=ten", "limit"),
        ("limit=1e3", "limit"),
        ("limit=+5", "limit"),
        ("limit=2147483648", "limit"),
        ("page=0&page=1", "more than once"),
        ("limit=5&limit=5", "more than once"),
        ("name=a&name=b", "more than once"),
        ("name=%FF", "utf-8"),
    ],
)
async def test_bad_parameter_is_400(app: EmulatorApp, query: str, mentions: str) -> None:
    async with in_process(app, clock=fixed_clock) as client:
        response = await client.get(f"{JOBS_PATH}?{query}")
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body.keys() == {"errorType", "detail", "error"}
    assert body["errorType"] == "bad-parameter"
    assert mentions.lower() in body["detail"].lower()
    assert body["error"] == {
        "errorCode": "bad-parameter",
        "message": body["detail"],
        "details": body["detail"],
    }


@pytest.mark.parametrize(
    "query",
    [
        "page=" + "1" * 4_301,
        "limit=" + "9" * 4_301,
        "page=" + "0" * 10_000,
        "limit=" + "0" * 10 + "1",  # 11 digits, even with a small value
    ],
)
async def test_overlong_page_or_limit_is_400_not_crashed(app: EmulatorApp, query: str) -> None:
    async with in_process(app, clock=fixed_clock) as client:
        response = await client.get(f"{JOBS_PATH}?{query}")
    assert response.status_code == 400
    body = response.json()
    assert body["errorType"] == "bad-parameter"
    assert query.partition("=")[0] in body["detail"]
    assert len(body["detail"]) < 200  # the value is shown cut short


async def test_socket_overlong_page_is_400_without_a_traceback(
    socket_client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    response = await socket_client.get(JOBS_PATH, params={"page": "7" * 5_000})
    assert response.status_code == 400
    assert response.json()["errorType"] == "bad-parameter"
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


async def test_socket_bad_parameter_is_400(socket_client: httpx.AsyncClient) -> None:
    response = await socket_client.get(JOBS_PATH, params={"limit": 0})
    assert response.status_code == 400
    assert response.json()["errorType"] == "bad-parameter"


@pytest.mark.parametrize("status", JOB_STATUSES)
async def test_every_documented_status_is_accepted(status: str) -> None:
    jobs = [job(f"id{i:010d}", "2025-03-20T14:00:09+09:00") for i in range(3)]
    jobs[1]["status"] = status
    app = EmulatorApp(jobs, clock=fixed_clock)
    async with in_process(app, clock=fixed_clock) as client:
        response = await client.get(JOBS_PATH, params={"status": status})
    assert response.status_code == 200
    served = response.json()["list"]
    expected = [j for j in jobs if j["status"] == status]
    assert served == sorted(expected, key=lambda j: j["jobId"])


async def test_unknown_parameters_are_ignored(app: EmulatorApp) -> None:
    async with in_process(app, clock=fixed_clock) as client:
        response = await client.get(JOBS_PATH, params={"sort": "name", "limit": 3})
    assert response.status_code == 200
    assert len(response.json()["list"]) == 3


async def test_defaults_are_page_zero_and_limit_1000() -> None:
    app = EmulatorApp(make_jobs(1205, seed=1), clock=fixed_clock)
    async with in_process(app, clock=fixed_clock) as client:
        body = (await client.get(JOBS_PATH)).json()
    assert (body["page"], body["limit"], body["count"], len(body["list"])) == (0, 1000, 1000, 1000)


# --- the response --------------------------------------------------------------------------


async def test_body_is_compact_json_with_the_documented_keys(app: EmulatorApp) -> None:
    async with in_process(app, clock=fixed_clock) as client:
        response = await client.get(JOBS_PATH, params={"limit": 2})
    assert response.headers["content-type"] == "application/json"
    assert int(response.headers["content-length"]) == len(response.content)
    body = response.json()
    assert list(body) == ["list", "count", "page", "limit"]
    compact = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    assert response.content == compact


async def test_jobs_are_served_as_given_with_unknown_fields() -> None:
    odd = job(
        "ABCDEFGHIJKL",
        "2025-03-20T14:00:09+09:00",
        type="SOMETHING_NEW",
        status="READY",
        futureField={"nested": [1, 2, 3]},
        lastExecutionStatus=None,
    )
    app = EmulatorApp([odd], clock=fixed_clock)
    async with in_process(app, clock=fixed_clock) as client:
        served = (await client.get(JOBS_PATH)).json()["list"]
    assert served == [odd]


@pytest.mark.parametrize("status", [200, 400, 401, 404])
async def test_every_response_carries_the_servers_date(status: int) -> None:
    app = EmulatorApp(clock=fixed_clock, clock_skew=90.0)
    target = {200: JOBS_PATH, 400: f"{JOBS_PATH}?page=x", 404: "/nope", 401: JOBS_PATH}[status]
    offset = -1000.0 if status == 401 else 90.0
    async with in_process(app, clock=lambda: NOW + offset) as client:
        response = await client.get(target)
    assert response.status_code == status
    assert response.headers.get_list("date") == ["Tue, 14 Nov 2023 22:14:50 GMT"]
    assert parsedate_to_datetime(response.headers["date"]).timestamp() == NOW + 90


async def test_socket_date_header_is_the_apps_only_date(emu: RunningEmulator) -> None:
    emu.app.clock_skew = 3600.0
    auth = NcpSignatureAuth(emu.credentials, clock_offset=3600.0)
    async with httpx.AsyncClient(auth=auth, base_url=emu.url) as client:
        response = await client.get(JOBS_PATH)
    assert response.status_code == 200
    assert len(response.headers.get_list("date")) == 1
    assert "server" not in response.headers
    served = parsedate_to_datetime(response.headers["date"]).timestamp()
    assert abs(served - emu.app.now()) < 5
    assert served - emu.app.clock() > 3500


# --- filters -----------------------------------------------------------------------------

TRICKY_NAMES = [
    "daily etl",
    "orders&returns",
    "key=value",
    "logs/2026/03",
    "c++ build",
    "100% done",
    "a+b=c & d/e%20f",
    "売上集計 日次",
    "매출 집계",
    "plain",
    "Plain upper",
]


def tricky_jobs() -> list[dict[str, Any]]:
    return [
        job(f"job{i:09d}", f"2025-03-{10 + i:02d}T08:00:00+09:00", name)
        for i, name in enumerate(TRICKY_NAMES)
    ]


NEEDLES = [" ", "&", "=", "/", "+", "%", "%20", "売上", "집계", "a+b=c & d/e%20f", "plain", "Plain"]


def expected_names(needle: str) -> list[str]:
    matching = [j for j in tricky_jobs() if needle in j["name"]]
    return [j["name"] for j in sorted(matching, key=lambda j: j["createdDate"], reverse=True)]


@pytest.mark.parametrize("needle", NEEDLES)
async def test_name_filter_in_process(needle: str) -> None:
    app = EmulatorApp(tricky_jobs(), clock=fixed_clock)
    async with in_process(app, clock=fixed_clock) as client:
        response = await client.get(JOBS_PATH, params={"name": needle})
    assert response.status_code == 200
    assert [j["name"] for j in response.json()["list"]] == expected_names(needle)


async def test_name_filter_over_a_socket_signed_by_ncp_signature_auth(
    emu: RunningEmulator, socket_client: httpx.AsyncClient
) -> None:
    emu.app.jobs = tricky_jobs()
    for needle in NEEDLES:
        response = await socket_client.get(JOBS_PATH, params={"name": needle, "limit": 50})
        assert response.status_code == 200, (needle, response.text)
        assert [j["name"] for j in response.json()["list"]] == expected_names(needle), needle
    targets = [record.target for record in emu.app.requests]
    # What was signed and checked is the encoded line: no raw special character in it.
    assert all(target.isascii() and " " not in target for target in targets)
    assert f"{JOBS_PATH}?name=%26&limit=50" in targets
    assert f"{JOBS_PATH}?name=%2B&limit=50" in targets
    assert f"{JOBS_PATH}?name=%25&limit=50" in targets


async def test_name_filter_is_case_sensitive_substring(app: EmulatorApp) -> None:
    app.jobs = tricky_jobs()
    async with in_process(app, clock=fixed_clock) as client:
        lower = (await client.get(JOBS_PATH, params={"name": "lain"})).json()["list"]
        upper = (await client.get(JOBS_PATH, params={"name": "PLAIN"})).json()["list"]
    assert sorted(j["name"] for j in lower) == ["Plain upper", "plain"]
    assert upper == []


async def test_empty_name_filter_matches_everything(app: EmulatorApp) -> None:
    async with in_process(app, clock=fixed_clock) as client:
        body = (await client.get(JOBS_PATH, params={"name": ""})).json()
    assert body["count"] == len(app.jobs)


async def test_status_filter_combines_with_name(app: EmulatorApp) -> None:
    app.jobs = make_jobs(400, seed=3)
    async with in_process(app, clock=fixed_clock) as client:
        body = (
            await client.get(JOBS_PATH, params={"status": "RUNNING", "name": "job", "limit": 500})
        ).json()
    expected = {j["jobId"] for j in app.jobs if j["status"] == "RUNNING" and "job" in j["name"]}
    assert expected  # the seed gives some
    assert {j["jobId"] for j in body["list"]} == expected


async def test_jobs_without_a_string_name_never_match_a_name_filter() -> None:
    jobs = [job("A00000000000", "2025-01-01T00:00:00+09:00", name="x")]
    jobs.append({"jobId": "B00000000000", "name": None, "createdDate": "2025-01-01T00:00:00Z"})
    jobs.append({"jobId": "C00000000000", "name": 42, "createdDate": "2025-01-01T00:00:00Z"})
    app = EmulatorApp(jobs, clock=fixed_clock)
    async with in_process(app, clock=fixed_clock) as client:
        served = (await client.get(JOBS_PATH, params={"name": "x"})).json()["list"]
    assert [j["jobId"] for j in served] == ["A00000000000"]


# --- ordering, paging, counts, churn -------------------------------------------------------


async def test_order_is_newest_first_then_job_id() -> None:
    jobs = [
        job("BBBBBBBBBBBB", "2025-03-20T14:00:09+09:00"),
        job("AAAAAAAAAAAA", "2025-03-20T14:00:09+09:00"),  # tie: jobId decides
        job("CCCCCCCCCCCC", "2025-03-20T05:00:10Z"),  # = 14:00:10+09:00, newest
        job("DDDDDDDDDDDD", "2024-12-31T23:59:59+09:00"),
        {"jobId": "EEEEEEEEEEEE", "name": "undated"},  # no createdDate: last
    ]
    shuffled = jobs[:]
    random.Random(5).shuffle(shuffled)
    app = EmulatorApp(shuffled, clock=fixed_clock)
    async with in_process(app, clock=fixed_clock) as client:
        served = (await client.get(JOBS_PATH)).json()["list"]
    assert [j["jobId"][0] for j in served] == ["C", "A", "B", "D", "E"]


async def test_pages_are_zero_based_with_a_short_last_page_then_empty() -> None:
    jobs = make_jobs(25, seed=11)
    random.Random(1).shuffle(jobs)
    app = EmulatorApp(jobs, clock=fixed_clock)
    pages: list[dict[str, Any]] = []
    async with in_process(app, clock=fixed_clock) as client:
        for page in range(4):
            response = await client.get(JOBS_PATH, params={"page": page, "limit": 10})
            pages.append(response.json())
    assert [len(p["list"]) for p in pages] == [10, 10, 5, 0]
    assert [p["count"] for p in pages] == [10, 10, 5, 0]
    assert [(p["page"], p["limit"]) for p in pages] == [(0, 10), (1, 10), (2, 10), (3, 10)]
    walked = [j["jobId"] for p in pages for j in p["list"]]
    newest_first = sorted(make_jobs(25, seed=11), key=lambda j: j["jobId"])
    newest_first.sort(key=lambda j: j["createdDate"], reverse=True)
    assert walked == [j["jobId"] for j in newest_first]


async def test_page_far_past_the_end_is_empty(app: EmulatorApp) -> None:
    async with in_process(app, clock=fixed_clock) as client:
        body = (await client.get(JOBS_PATH, params={"page": 2_000_000, "limit": 1000})).json()
    assert body == {"list": [], "count": 0, "page": 2_000_000, "limit": 1000}


@pytest.mark.parametrize(("mode", "counts"), [("page", [10, 10, 5, 0]), ("total", [25] * 4)])
async def test_count_modes(mode: Any, counts: list[int]) -> None:
    app = EmulatorApp(make_jobs(25), clock=fixed_clock, count_mode=mode)
    async with in_process(app, clock=fixed_clock) as client:
        got = [
            (await client.get(JOBS_PATH, params={"page": p, "limit": 10})).json()["count"]
            for p in range(4)
        ]
    assert got == counts


async def test_total_count_counts_only_matching_jobs() -> None:
    jobs = make_jobs(300, seed=2)
    app = EmulatorApp(jobs, clock=fixed_clock, count_mode="total")
    async with in_process(app, clock=fixed_clock) as client:
        body = (await client.get(JOBS_PATH, params={"status": "DRAFT", "limit": 1})).json()
    assert body["count"] == sum(j["status"] == "DRAFT" for j in jobs)
    assert len(body["list"]) == 1


async def test_socket_count_mode_total(
    emu: RunningEmulator, socket_client: httpx.AsyncClient
) -> None:
    emu.app.count_mode = "total"
    body = (await socket_client.get(JOBS_PATH, params={"limit": 7})).json()
    assert (body["count"], len(body["list"])) == (30, 7)


async def test_churn_between_pages_shifts_later_pages(app: EmulatorApp) -> None:
    async with in_process(app, clock=fixed_clock) as client:
        first = (await client.get(JOBS_PATH, params={"page": 0, "limit": 10})).json()["list"]
        before = (await client.get(JOBS_PATH, params={"page": 1, "limit": 10})).json()["list"]
        # The newest job is deleted: everything moves up by one.
        app.jobs.remove(next(j for j in app.jobs if j["jobId"] == first[0]["jobId"]))
        after = (await client.get(JOBS_PATH, params={"page": 1, "limit": 10})).json()["list"]
        # A brand-new job appears at the top: everything moves down by one.
        app.jobs.append(job("NEWNEWNEWNEW", "2030-01-01T00:00:00+09:00"))
        again = (await client.get(JOBS_PATH, params={"page": 1, "limit": 10})).json()["list"]
    assert after[:9] == before[1:]
    assert after[9] not in before
    assert again == before


async def test_socket_churn_is_seen_between_pages(
    emu: RunningEmulator, socket_client: httpx.AsyncClient
) -> None:
    page0 = (await socket_client.get(JOBS_PATH, params={"limit": 5})).json()["list"]
    del emu.app.jobs[:]
    emu.app.jobs.extend(make_jobs(3, seed=99))
    page0_again = (await socket_client.get(JOBS_PATH, params={"limit": 5})).json()["list"]
    assert len(page0) == 5
    assert [j["jobId"] for j in page0_again] == [j["jobId"] for j in make_jobs(3, seed=99)]


async def test_in_place_edits_are_seen_in_small_lists(app: EmulatorApp) -> None:
    async with in_process(app, clock=fixed_clock) as client:
        assert (await client.get(JOBS_PATH, params={"status": "UNKNOWN"})).json()["list"] == []
        app.jobs[3]["status"] = "UNKNOWN"
        served = (await client.get(JOBS_PATH, params={"status": "UNKNOWN"})).json()["list"]
    assert [j["jobId"] for j in served] == [app.jobs[3]["jobId"]]


async def test_big_lists_are_cached_until_changed_or_touched() -> None:
    app = EmulatorApp(make_jobs(2_500, seed=4), clock=fixed_clock)
    async with in_process(app, clock=fixed_clock) as client:
        params = {"status": "UNKNOWN"}
        assert (await client.get(JOBS_PATH, params=params)).json()["list"] == []
        app.jobs[100]["status"] = "UNKNOWN"
        app.jobs.touch()
        served = (await client.get(JOBS_PATH, params=params)).json()["list"]
        assert [j["jobId"] for j in served] == [app.jobs[100]["jobId"]]
        app.jobs.pop(100)  # a change through the list needs no touch
        assert (await client.get(JOBS_PATH, params=params)).json()["list"] == []
        app.jobs = [job("ONLYONEJOB00", "2025-01-01T00:00:00+09:00")]  # a new list
        assert (await client.get(JOBS_PATH)).json()["count"] == 1


async def test_big_lists_miss_untouched_in_place_edits_but_see_replaced_dicts() -> None:
    # As docs/emulator.md says: above 2,000 jobs an in-place edit needs touch(), while
    # replacing the dict through the list is seen at once.
    app = EmulatorApp(make_jobs(2_001, seed=4), clock=fixed_clock)
    params = {"status": "UNKNOWN"}
    async with in_process(app, clock=fixed_clock) as client:
        assert (await client.get(JOBS_PATH, params=params)).json()["list"] == []
        app.jobs[7]["status"] = "UNKNOWN"  # in place, no touch(): the cached view is stale
        assert (await client.get(JOBS_PATH, params=params)).json()["list"] == []
        app.jobs[8] = {**app.jobs[8], "status": "UNKNOWN"}  # replaced: seen at once
        served = (await client.get(JOBS_PATH, params=params)).json()["list"]
    assert {j["jobId"] for j in served} == {app.jobs[7]["jobId"], app.jobs[8]["jobId"]}


@pytest.mark.parametrize(
    "change",
    [
        lambda jobs: jobs.append({}),
        lambda jobs: jobs.extend([{}]),
        lambda jobs: jobs.insert(0, {}),
        lambda jobs: jobs.remove(jobs[0]),
        lambda jobs: jobs.pop(),
        lambda jobs: jobs.clear(),
        lambda jobs: jobs.sort(key=lambda j: j.get("jobId", "")),
        lambda jobs: jobs.reverse(),
        lambda jobs: jobs.__setitem__(0, {}),
        lambda jobs: jobs.__setitem__(slice(0, 1), []),
        lambda jobs: jobs.__delitem__(0),
        lambda jobs: jobs.__iadd__([{}]),
        lambda jobs: jobs.__imul__(2),
        lambda jobs: jobs.touch(),
    ],
)
def test_job_list_counts_every_change(change: Any) -> None:
    jobs = JobList([{"jobId": "a"}, {"jobId": "b"}])
    before = jobs.version
    change(jobs)
    assert jobs.version > before
    assert isinstance(jobs, list)


def test_jobs_are_copied_into_a_job_list() -> None:
    seed = [job("AAAAAAAAAAAA", "2025-01-01T00:00:00+09:00")]
    app = EmulatorApp(seed)
    assert isinstance(app.jobs, JobList)
    assert app.jobs == seed
    seed.clear()
    assert len(app.jobs) == 1  # the app's list is its own
    app.jobs = ()
    assert isinstance(app.jobs, JobList)
    assert app.jobs == []


# --- the app object ------------------------------------------------------------------------


async def test_reset_forgets_requests_and_rewinds_the_plan(app: EmulatorApp) -> None:
    app.faults = FaultPlan.script(Throttle())
    async with in_process(app, clock=fixed_clock) as client:
        assert (await client.get(JOBS_PATH)).status_code == 429
        assert (await client.get(JOBS_PATH)).status_code == 200
        assert len(app.requests) == 2
        app.reset()
        assert app.requests == []
        assert app.faults.injected == {}
        assert (await client.get(JOBS_PATH)).status_code == 429


async def test_faults_given_as_a_sequence_are_a_script() -> None:
    app = EmulatorApp(clock=fixed_clock, faults=[None, Throttle("410")])
    async with in_process(app, clock=fixed_clock) as client:
        statuses = [(await client.get(JOBS_PATH)).status_code for _ in range(3)]
    assert statuses == [200, 429, 200]


@pytest.mark.parametrize(
    "kwargs",
    [{"count_mode": "all"}, {"credentials": {}}, {"max_skew": -1.0}],
)
def test_invalid_options_are_refused(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        EmulatorApp(**kwargs)


def test_default_credentials_are_the_module_constants() -> None:
    assert EmulatorApp().credentials == {DEFAULT_ACCESS_KEY: DEFAULT_SECRET_KEY}
    assert EmulatorApp().now() == pytest.approx(EmulatorApp().clock(), abs=1)


async def test_lifespan_is_acknowledged() -> None:
    app = EmulatorApp()
    incoming = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent: list[Any] = []

    async def receive() -> dict[str, Any]:
        return incoming.pop(0)

    async def send(message: Any) -> None:
        sent.append(message["type"])

    await app({"type": "lifespan"}, receive, send)
    assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]


async def test_websocket_scope_is_refused() -> None:
    async def receive() -> dict[str, Any]:
        raise AssertionError

    async def send(message: Any) -> None:
        raise AssertionError

    with pytest.raises(RuntimeError, match="HTTP only"):
        await EmulatorApp()({"type": "websocket"}, receive, send)
