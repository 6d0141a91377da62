"""The TLS context shared by the httpx clients the library makes."""

from __future__ import annotations

import ssl
from pathlib import Path

import certifi
import httpx
import pytest

from dataflow_async import Credentials, DataFlowClient
from dataflow_async._tls import shared_ssl_context


def pool_context(client: DataFlowClient) -> ssl.SSLContext:
    context: ssl.SSLContext = client.http_client._transport._pool._ssl_context  # type: ignore[attr-defined]
    return context


async def test_clients_share_one_verifying_context(credentials: Credentials) -> None:
    async with (
        DataFlowClient(credentials, base_url="https://a.example.test") as one,
        DataFlowClient(credentials, base_url="https://b.example.test") as two,
    ):
        assert pool_context(one) is pool_context(two) is shared_ssl_context()
        context = pool_context(one)
        assert context.verify_mode == ssl.CERT_REQUIRED
        assert context.check_hostname
        assert context.cert_store_stats()["x509_ca"] > 0


async def test_a_given_http_client_keeps_its_own_context(credentials: Credentials) -> None:
    own = httpx.create_ssl_context()
    async with httpx.AsyncClient(verify=own) as http:
        client = DataFlowClient(credentials, http_client=http, base_url="https://a.example.test")
        assert pool_context(client) is own


@pytest.mark.parametrize("variable", ["SSL_CERT_FILE", "SSL_CERT_DIR"])
def test_the_ca_variables_httpx_reads_give_a_context_of_their_own(
    monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    default = shared_ssl_context()
    where = certifi.where()
    monkeypatch.setenv(variable, where if variable == "SSL_CERT_FILE" else str(Path(where).parent))
    chosen = shared_ssl_context()
    assert chosen is not default
    assert chosen is shared_ssl_context()
    monkeypatch.delenv(variable)
    assert shared_ssl_context() is default
