"""A loopback server that answers each request with a seeded pick of hostile behaviours.

Used by ``tests/hostile_run.py``. It serves a job list, job details, executions and
deletes, and for each request draws one of ``KINDS`` (``normal`` most often): redirects
to another origin, trickled and endless bodies, a gzip bomb, oversized bodies, pages
that ignore ``page`` or are silently capped under a lying total, absurd ``Retry-After``
and ``Date`` headers, deep or malformed JSON, escape sequences in fields, 5xx and
connection resets. A draw prefers the kinds not served yet, so every kind comes early.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import random
import socket
import struct
from collections import Counter
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.hostile import RawServer, response_head

ABSURD_DATE = "Thu, 01 Jan 10000000000 00:00:00 GMT"
BOMB_DECODED = 32 * 1024 * 1024
BOMB = gzip.compress(b"\0" * BOMB_DECODED, compresslevel=9)
ESCAPES = "\x1b]0;owned\x07\x1b[2J\x1b[31mERROR: fake\x1b[0m"
EVERY_ROUTE = (
    "redirect",
    "slowloris",
    "endless-chunked",
    "gzip-bomb",
    "oversized",
    "absurd-retry-after",
    "absurd-date-401",
    "throttle",
    "deep-json",
    "bad-json",
    "escapes",
    "5xx",
    "reset",
)
LISTS_ONLY = ("ignores-page", "silent-cap")
KINDS = ("normal", *EVERY_ROUTE, *LISTS_ONLY)
POST_KINDS = ("reset", "5xx", "slowloris", "throttle", "absurd-retry-after", "redirect", "bad-json")
"""Drawn for POST requests, twice as often as the rest: the ones a write may be repeated on."""
REFUSED = frozenset({"throttle"})
"""Kinds that a gateway answers before the service sees the request (HTTP 429)."""


class MixServer(RawServer):
    """Serves ``jobs`` jobs; each request draws a kind, ``normal`` with ``1 - rate``.

    ``faults`` counts the kinds drawn; ``posts`` lists, per POST path, the kind each
    attempt received. ``other_origin`` is where redirects point.
    """

    def __init__(
        self, *, seed: int, rate: float, jobs: int, other_origin: str, oversize: int
    ) -> None:
        super().__init__(self._answer)
        self.rng = random.Random(seed)
        self.rate = rate
        self.jobs = [_job(i) for i in range(jobs)]
        self.other_origin = other_origin
        self.oversize = oversize
        self.faults: Counter[str] = Counter()
        self.posts: dict[str, list[str]] = {}

    def _draw(self, method: bytes, listing: bool) -> str:
        if method == b"POST":
            return self._pick(POST_KINDS) if self.rng.random() < 2 * self.rate else "normal"
        if self.rng.random() >= self.rate:
            return "normal"
        return self._pick(EVERY_ROUTE + LISTS_ONLY if listing else EVERY_ROUTE)

    def _pick(self, kinds: tuple[str, ...]) -> str:
        # Kinds not served yet first: with requests arriving in a varying order, a plain
        # draw left one of 15 kinds unserved in about one short run in twelve.
        fresh = [kind for kind in kinds if kind not in self.faults]
        return self.rng.choice(fresh or kinds)

    async def _answer(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: bytes
    ) -> None:
        method, target = head.split(b" ", 2)[:2]
        url = urlsplit(target.decode("ascii"))
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        listing = method == b"GET" and url.path.endswith(("/jobs", "/executions"))
        kind = self._draw(method, listing)
        self.faults[kind] += 1
        if method == b"POST":
            self.posts.setdefault(url.path, []).append(kind)
        if kind in _BODIES:
            status, body = _BODIES[kind](self, method.decode(), url.path, query)
            _send(writer, status, body)
        else:
            await _STREAMS[kind](self, writer, url.path)

    def body_for(self, method: str, path: str, query: dict[str, str]) -> Any:
        """The well-formed answer to ``method path``."""
        if method == "DELETE":
            return True
        job_id = path.split("/")[4] if path.count("/") >= 4 else "J0"
        if path.endswith("/executions"):
            run = {"jobExecutionId": f"R{job_id[1:]}", "jobId": job_id, "status": "READY"}
            return run if method == "POST" else _page([run], query, 1)
        if path.endswith("/jobs"):
            page, limit = int(query.get("page", 0)), int(query.get("limit", 1000))
            return _page(self.jobs[page * limit : (page + 1) * limit], query, len(self.jobs))
        return _job(int(job_id[1:]) if job_id[1:].isdigit() else 0)


def _job(i: int, name: str | None = None) -> dict[str, Any]:
    return {
        "jobId": f"J{i:011d}",
        "name": name if name is not None else f"job-{i}",
        "type": "DATAFLOW",
        "status": "RUNNABLE",
        "createdDate": "2025-03-19T15:03:42+09:00",
        "updatedDate": "2025-03-20T13:07:34+09:00",
    }


def _page(items: list[dict[str, Any]], query: dict[str, str], count: int) -> dict[str, Any]:
    page, limit = int(query.get("page", 0)), int(query.get("limit", 1000))
    return {"list": items, "count": count, "page": page, "limit": limit}


def _send(writer: asyncio.StreamWriter, status: str, body: bytes, *headers: str) -> None:
    length = f"Content-Length: {len(body)}"
    writer.write(response_head(status, "Content-Type: application/json", length, *headers) + body)


def _json(value: Any) -> bytes:
    return json.dumps(value, allow_nan=True).encode()


def _normal(s: MixServer, method: str, path: str, query: dict[str, str]) -> tuple[str, bytes]:
    return "200 OK", _json(s.body_for(method, path, query))


def _ignores_page(s: MixServer, method: str, path: str, q: dict[str, str]) -> tuple[str, bytes]:
    if not path.endswith("/jobs"):
        return _normal(s, method, path, q)
    limit = int(q.get("limit", 1000))
    return "200 OK", _json(_page(s.rng.sample(s.jobs, min(limit, len(s.jobs))), q, len(s.jobs)))


def _silent_cap(s: MixServer, method: str, path: str, q: dict[str, str]) -> tuple[str, bytes]:
    body = s.body_for(method, path, q)
    body["list"] = body["list"][:7]
    body["count"] = len(s.jobs) + 500  # a total the walk can never reach
    return "200 OK", _json(body)


def _deep(s: MixServer, method: str, path: str, q: dict[str, str]) -> tuple[str, bytes]:
    return "200 OK", b"[" * 100_000 + b"]" * 100_000


def _bad_json(s: MixServer, method: str, path: str, q: dict[str, str]) -> tuple[str, bytes]:
    good = json.dumps(s.body_for(method, path, q))
    variants = (
        b"\xef\xbb\xbf" + good.encode(),
        good.encode("utf-16"),
        good.replace('"page"', '"nan": NaN, "page"', 1).encode(),
        good.replace("}", ', "x": "\\ud800"}', 1).encode(),
        good.encode()[: len(good) // 2],
    )
    return "200 OK", s.rng.choice(variants)


def _escapes(s: MixServer, method: str, path: str, q: dict[str, str]) -> tuple[str, bytes]:
    body = s.body_for(method, path, q)
    items = body.get("list", [body]) if isinstance(body, dict) else []
    for item in items:
        item["name"] = ESCAPES
    if not isinstance(body, dict):
        return "400 Bad Request", _json({"error": {"errorCode": "100", "message": ESCAPES}})
    return "200 OK", _json(body)


def _server_error(s: MixServer, method: str, path: str, q: dict[str, str]) -> tuple[str, bytes]:
    status = s.rng.choice(
        ["500 Internal Server Error", "502 Bad Gateway", "503 Unavailable", "504 Timeout"]
    )
    if s.rng.random() < 0.5:
        return status, b"<html><body>\x1b[2J upstream down</body></html>"
    return status, _json({"error": {"errorCode": "500", "message": "down"}})


_BODIES = {
    "normal": _normal,
    "ignores-page": _ignores_page,
    "silent-cap": _silent_cap,
    "deep-json": _deep,
    "bad-json": _bad_json,
    "escapes": _escapes,
    "5xx": _server_error,
}


async def _redirect(s: MixServer, writer: asyncio.StreamWriter, path: str) -> None:
    status = s.rng.choice(["301 Moved", "302 Found", "307 Temporary Redirect", "308 Permanent"])
    writer.write(response_head(status, f"Location: {s.other_origin}{path}", "Content-Length: 0"))


async def _slowloris(s: MixServer, writer: asyncio.StreamWriter, path: str) -> None:
    writer.write(response_head("200 OK", "Content-Length: 100000"))
    for _ in range(100_000):
        writer.write(b" ")
        await writer.drain()
        await asyncio.sleep(0.05)


async def _endless(s: MixServer, writer: asyncio.StreamWriter, path: str) -> None:
    writer.write(response_head("200 OK", "Transfer-Encoding: chunked"))
    chunk = b"[" * 65536
    for _ in range(100_000):  # 6.5 GB: far past any cap, still a bounded loop
        writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        await writer.drain()


async def _bomb(s: MixServer, writer: asyncio.StreamWriter, path: str) -> None:
    _send(writer, "200 OK", BOMB, "Content-Encoding: gzip")


async def _oversized(s: MixServer, writer: asyncio.StreamWriter, path: str) -> None:
    if s.rng.random() < 0.5:
        writer.write(response_head("200 OK", "Content-Length: 200000000"))
        await asyncio.sleep(3600)  # declares 200 MB and sends nothing
    _send(writer, "200 OK", b"[" + b" " * s.oversize + b"]")


async def _absurd_retry_after(s: MixServer, writer: asyncio.StreamWriter, path: str) -> None:
    retry_after = s.rng.choice([ABSURD_DATE, "99999999999999999999999", "-5", "nan"])
    _send(
        writer,
        "503 Service Unavailable",
        _json({"error": {"errorCode": "500", "message": "busy"}}),
        f"Retry-After: {retry_after}",
        f"Date: {ABSURD_DATE}",
    )


async def _absurd_date_401(s: MixServer, writer: asyncio.StreamWriter, path: str) -> None:
    body = _json({"error": {"errorCode": "200", "message": "Authentication Failed"}})
    _send(writer, "401 Unauthorized", body, f"Date: {ABSURD_DATE}")


async def _throttle(s: MixServer, writer: asyncio.StreamWriter, path: str) -> None:
    retry_after = s.rng.choice([ABSURD_DATE, "0", "1e309"])
    body = _json({"error": {"errorCode": "420", "message": "Too many requests"}})
    _send(writer, "429 Too Many Requests", body, f"Retry-After: {retry_after}")


async def _reset(s: MixServer, writer: asyncio.StreamWriter, path: str) -> None:
    if s.rng.random() < 0.5:  # part of a response first
        writer.write(response_head("200 OK", "Content-Length: 1000") + b'{"list": [')
        await writer.drain()
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()  # an RST, not a clean close
    raise ConnectionResetError("reset on purpose")


_STREAMS = {
    "redirect": _redirect,
    "slowloris": _slowloris,
    "endless-chunked": _endless,
    "gzip-bomb": _bomb,
    "oversized": _oversized,
    "absurd-retry-after": _absurd_retry_after,
    "absurd-date-401": _absurd_date_401,
    "throttle": _throttle,
    "reset": _reset,
}
