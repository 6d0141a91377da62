"""NCP API Gateway signature v2, as an ``httpx.Auth`` usable in any httpx client."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable, Generator

import httpx

from ._credentials import Credentials

__all__ = ["NcpSignatureAuth", "sign_v2"]

TIMESTAMP_HEADER = "x-ncp-apigw-timestamp"
ACCESS_KEY_HEADER = "x-ncp-iam-access-key"
SIGNATURE_HEADER = "x-ncp-apigw-signature-v2"


def sign_v2(secret_key: str, method: str, uri: bytes | str, timestamp: str, access_key: str) -> str:
    """Return the base64 signature v2 of one request line.

    ``uri`` is the path from the host root plus ``?query`` when there is one, exactly
    as it goes on the wire (already percent-encoded). ``method`` is upper-cased here,
    since the gateway only accepts the upper-case form.
    """
    if isinstance(uri, bytes):
        uri = uri.decode("ascii")
    message = f"{method.upper()} {uri}\n{timestamp}\n{access_key}"
    digest = hmac.new(secret_key.encode(), message.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


class NcpSignatureAuth(httpx.Auth):
    """Signs every request sent through an httpx client (sync or async).

    Each send is signed anew with a fresh timestamp, so retries and redirects carry
    a valid signature. ``clock`` returns seconds since the epoch (``time.time`` by
    default); ``clock_offset`` (seconds) is added to it, to correct a local clock
    that is known to be off from the gateway's.
    """

    requires_request_body = False
    requires_response_body = False

    def __init__(
        self,
        credentials: Credentials,
        *,
        clock: Callable[[], float] = time.time,
        clock_offset: float = 0.0,
    ) -> None:
        if not isinstance(credentials, Credentials):
            raise TypeError(
                f"credentials must be a Credentials instance, not {type(credentials).__name__}"
            )
        self.credentials = credentials
        self.clock = clock
        self.clock_offset = clock_offset
        self._access_key = credentials.access_key
        self._key = credentials.secret_key.encode()

    def __repr__(self) -> str:
        return f"NcpSignatureAuth(access_key={self.credentials.masked_access_key!r})"

    def timestamp(self) -> str:
        """The timestamp the next request will be signed with, in epoch milliseconds."""
        return str(int((self.clock() + self.clock_offset) * 1000))

    def sign(self, request: httpx.Request) -> None:
        """Set the three signature headers on ``request``, in place.

        An empty query (a URL ending in ``?``) is dropped from the request first, so
        that what is signed and what is sent agree on having no ``?``.
        """
        target = request.url.raw_path
        if target.endswith(b"?"):
            request.url = request.url.copy_with(query=None)
            target = request.url.raw_path
        timestamp = self.timestamp()
        message = b"%s %s\n%s\n%s" % (
            request.method.upper().encode("ascii"),
            target,
            timestamp.encode("ascii"),
            self._access_key.encode(),
        )
        digest = hmac.new(self._key, message, hashlib.sha256).digest()
        headers = request.headers
        headers[TIMESTAMP_HEADER] = timestamp
        headers[ACCESS_KEY_HEADER] = self._access_key
        headers[SIGNATURE_HEADER] = base64.b64encode(digest).decode("ascii")

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Sign the request and send it (serves both the sync and the async flow)."""
        self.sign(request)
        yield request
