"""Signature v2: the spec's vectors, the exact bytes signed, both httpx flows."""

from __future__ import annotations

import base64
import hashlib
import hmac

import httpx
import pytest

from dataflow_async import Credentials, NcpSignatureAuth, sign_v2

from .conftest import ACCESS_KEY, SECRET_KEY

TS = "1700000000000"


@pytest.mark.parametrize(
    ("method", "uri", "expected"),
    [
        ("GET", "/api/v1/jobs?page=0&limit=1000", "Kz+VJDyZHRqj8R13iw5LpKfGzclnEvjFDMepJvMRwNI="),
        ("GET", "/api/v1/jobs", "7yNRSoEPEWGwoslCYD09D2R5GaNRgpqRmaXZDASqjXw="),
        (
            "POST",
            "/api/v1/workflows/3tfNLP123456/executions",
            "r2YXOOjvJKvRgP7LqGQMINV6aJNUsaY/O8y6UXRyutI=",
        ),
    ],
)
def test_spec_vectors(method: str, uri: str, expected: str) -> None:
    assert sign_v2(SECRET_KEY, method, uri, TS, ACCESS_KEY) == expected
    assert sign_v2(SECRET_KEY, method.lower(), uri.encode(), TS, ACCESS_KEY) == expected


def test_known_mistakes_give_other_signatures() -> None:
    good = sign_v2(SECRET_KEY, "GET", "/api/v1/jobs", TS, ACCESS_KEY)
    assert sign_v2(SECRET_KEY, "GET", "/api/v1/jobs?", TS, ACCESS_KEY) != good
    assert sign_v2(SECRET_KEY, "GET", "/jobs", TS, ACCESS_KEY) != good


def fixed_auth(clock_value: float = 1_700_000_000.0, **kw: float) -> NcpSignatureAuth:
    return NcpSignatureAuth(Credentials(ACCESS_KEY, SECRET_KEY), clock=lambda: clock_value, **kw)


def signed(request: httpx.Request, auth: NcpSignatureAuth) -> httpx.Request:
    flow = auth.sync_auth_flow(request)
    out = next(flow)
    with pytest.raises(StopIteration):
        flow.send(httpx.Response(200))
    return out


def test_headers_match_vector_for_the_bytes_sent() -> None:
    request = httpx.Request("GET", "https://h.test/api/v1/jobs", params={"page": 0, "limit": 1000})
    out = signed(request, fixed_auth())
    assert out.headers["x-ncp-apigw-timestamp"] == TS
    assert out.headers["x-ncp-iam-access-key"] == ACCESS_KEY
    assert out.headers["x-ncp-apigw-signature-v2"] == "Kz+VJDyZHRqj8R13iw5LpKfGzclnEvjFDMepJvMRwNI="
    assert "x-ncp-apigw-signature-v1" not in out.headers


def test_signing_again_replaces_the_signature_headers() -> None:
    """A retry signs the same request again: one of each header, the newest values."""
    request = httpx.Request("GET", "https://h.test/api/v1/jobs", headers={"X-Other": "1"})
    signed(request, fixed_auth(1_600_000_000.0))
    out = signed(request, fixed_auth())
    names = [name.lower() for name, _ in out.headers.raw]
    assert names.count(b"x-ncp-apigw-timestamp") == 1
    assert names.count(b"x-ncp-apigw-signature-v2") == 1
    assert names.count(b"x-ncp-iam-access-key") == 1
    assert out.headers["x-ncp-apigw-timestamp"] == TS
    assert out.headers["x-ncp-apigw-signature-v2"] == "7yNRSoEPEWGwoslCYD09D2R5GaNRgpqRmaXZDASqjXw="
    assert out.headers["x-other"] == "1"


def test_signature_headers_set_by_the_caller_are_replaced() -> None:
    """Headers of the same names set beforehand (any case) are not sent alongside."""
    request = httpx.Request(
        "GET",
        "https://h.test/api/v1/jobs",
        headers={"X-NCP-APIGW-TIMESTAMP": "1", "x-ncp-apigw-signature-v2": "forged", "A": "b"},
    )
    out = signed(request, fixed_auth())
    assert out.headers.get_list("x-ncp-apigw-timestamp") == [TS]
    assert out.headers.get_list("x-ncp-apigw-signature-v2") == [
        "7yNRSoEPEWGwoslCYD09D2R5GaNRgpqRmaXZDASqjXw="
    ]
    assert out.headers["a"] == "b"


def test_no_query_signs_no_question_mark() -> None:
    out = signed(httpx.Request("GET", "https://h.test/api/v1/jobs"), fixed_auth())
    assert out.headers["x-ncp-apigw-signature-v2"] == "7yNRSoEPEWGwoslCYD09D2R5GaNRgpqRmaXZDASqjXw="


def test_lowercase_method_is_signed_uppercase() -> None:
    out = signed(
        httpx.Request("post", "https://h.test/api/v1/workflows/3tfNLP123456/executions"),
        fixed_auth(),
    )
    assert out.headers["x-ncp-apigw-signature-v2"] == "r2YXOOjvJKvRgP7LqGQMINV6aJNUsaY/O8y6UXRyutI="


@pytest.mark.parametrize("name", ["a b", "a&b=c", "x/y+z", "100%", "ジョブ 一", "~!*'()"])
def test_query_is_signed_encoded_as_sent(name: str) -> None:
    request = httpx.Request("GET", "https://h.test/api/v1/jobs", params={"name": name, "page": 0})
    out = signed(request, fixed_auth())
    target = request.url.raw_path
    assert b" " not in target and target.isascii()
    manual = base64.b64encode(
        hmac.new(
            SECRET_KEY.encode(),
            b"GET " + target + b"\n" + TS.encode() + b"\n" + ACCESS_KEY.encode(),
            hashlib.sha256,
        ).digest()
    ).decode()
    assert out.headers["x-ncp-apigw-signature-v2"] == manual


def test_path_from_host_root_even_with_base_url_prefix() -> None:
    client = httpx.Client(base_url="https://h.test/prefix/")
    request = client.build_request("GET", "api/v1/jobs")
    client.close()
    out = signed(request, fixed_auth())
    expected = sign_v2(SECRET_KEY, "GET", "/prefix/api/v1/jobs", TS, ACCESS_KEY)
    assert out.headers["x-ncp-apigw-signature-v2"] == expected


def test_clock_offset_shifts_timestamp() -> None:
    out = signed(httpx.Request("GET", "https://h.test/x"), fixed_auth(clock_offset=-120.5))
    assert out.headers["x-ncp-apigw-timestamp"] == str(1_700_000_000_000 - 120_500)


def test_rejects_non_credentials() -> None:
    with pytest.raises(TypeError, match="Credentials"):
        NcpSignatureAuth(("ak", "sk"))  # type: ignore[arg-type]


def test_repr_hides_keys() -> None:
    text = repr(fixed_auth())
    assert SECRET_KEY not in text and ACCESS_KEY not in text


def test_sync_client_signs_every_send() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["x-ncp-apigw-timestamp"])
        expected = sign_v2(SECRET_KEY, request.method, request.url.raw_path, seen[-1], ACCESS_KEY)
        assert request.headers["x-ncp-apigw-signature-v2"] == expected
        return httpx.Response(200)

    ticks = iter([1.0, 2.0])
    auth = NcpSignatureAuth(Credentials(ACCESS_KEY, SECRET_KEY), clock=lambda: next(ticks))
    with httpx.Client(transport=httpx.MockTransport(handler), auth=auth) as client:
        client.get("https://h.test/api/v1/jobs", params={"name": "a b"})
        client.get("https://h.test/api/v1/jobs")
    assert seen == ["1000", "2000"]


async def test_async_client_signs() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        ts = request.headers["x-ncp-apigw-timestamp"]
        ok = request.headers["x-ncp-apigw-signature-v2"] == sign_v2(
            SECRET_KEY, "GET", request.url.raw_path, ts, ACCESS_KEY
        )
        return httpx.Response(200 if ok else 401)

    auth = NcpSignatureAuth(Credentials(ACCESS_KEY, SECRET_KEY))
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler), auth=auth) as client:
        response = await client.get("https://h.test/api/v1/jobs", params={"status": "RUNNING"})
    assert response.status_code == 200


def test_empty_query_is_dropped_before_signing() -> None:
    out = signed(httpx.Request("GET", "https://h.test/api/v1/jobs?"), fixed_auth())
    assert out.url.raw_path == b"/api/v1/jobs"
    assert out.headers["x-ncp-apigw-signature-v2"] == "7yNRSoEPEWGwoslCYD09D2R5GaNRgpqRmaXZDASqjXw="
