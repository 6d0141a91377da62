"""JSON decoding: orjson when installed, the standard library otherwise, both to one rule."""

from __future__ import annotations

import importlib.util
import random
import sys
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from dataflow_async import DataFlowClient, UnexpectedResponseError, _json
from dataflow_async._json import MAX_DEPTH, JSONDecodeError

from .conftest import FakeAPI

Decoder = Callable[[bytes | str], Any]
REJECT = object()  # expected outcome: JSONDecodeError


def _decoders() -> Iterator[Any]:
    yield pytest.param(_json.loads_stdlib, id="stdlib")
    yield pytest.param(
        _json.loads_orjson,
        id="orjson",
        marks=pytest.mark.skipif(_json.loads_orjson is None, reason="orjson not installed"),
    )


class Nested:
    """Expected: a chain of one-element arrays/objects this deep around an empty array.

    Compared without recursion: == and repr on 1024 levels overflow CPython 3.11's stack.
    """

    def __init__(self, depth: int) -> None:
        self.depth = depth

    def matches(self, value: Any) -> bool:
        for _ in range(self.depth - 1):
            if isinstance(value, dict) and list(value) == ["k"]:
                value = value["k"]
            elif isinstance(value, list) and len(value) == 1:
                value = value[0]
            else:
                return False
        return isinstance(value, list) and not value


def nest(depth: int, inner: bytes = b"") -> bytes:
    return b"[" * depth + inner + b"]" * depth


def nest_objects(depth: int) -> bytes:
    return b'{"k":' * (depth - 1) + b"[]" + b"}" * (depth - 1)


CASES: list[tuple[str, bytes | str, Any]] = [
    # accepted
    ("object", b'{"a": [1, "\\u58f2", null, true, 1.5]}', {"a": [1, "売", None, True, 1.5]}),
    ("top-level scalar", b'"a"', "a"),
    ("str input", '{"name": "売上"}', {"name": "売上"}),
    ("surrounding whitespace", b" \t\r\n{} \n", {}),
    ("utf-8 bom", b"\xef\xbb\xbf{}", {}),
    ("utf-8 bom on str", "\ufeff[1]", [1]),
    ("escaped surrogate pair", b'"\\ud83d\\ude00"', "\U0001f600"),
    ("raw astral char", '"\U0001f600"'.encode(), "\U0001f600"),
    ("escaped backslash before u", b'"\\\\ud800"', "\\ud800"),
    ("escaped nul", b'"\\u0000"', "\x00"),
    ("raw DEL", b'"\x7f"', "\x7f"),
    ("duplicate keys: last wins", b'{"a": 1, "a": 2}', {"a": 2}),
    ("largest u64", b"18446744073709551615", 2**64 - 1),
    ("smallest i64", b"-9223372036854775808", -(2**63)),
    ("u64 + 1 reads as a float", b"18446744073709551616", 1.8446744073709552e19),
    ("i64 - 1 reads as a float", b"[-9223372036854775809]", [-9.223372036854776e18]),
    ("30-digit integer", b'{"n": 123456789012345678901234567890}', {"n": 1.2345678901234568e29}),
    ("308-digit integer", b"9" * 308, float("9" * 308)),
    ("19 digits in a string", b'"12345678901234567890123"', "12345678901234567890123"),
    ("long fraction", b"0.12345678901234567890123", 0.12345678901234567890123),
    ("long mantissa float", b"123456789012345678901234.5", 1.2345678901234568e23),
    ("long digits then exponent", b"12345678901234567890e0", 1.2345678901234567e19),
    ("underflow to zero", b"1e-400", 0.0),
    ("largest double", b"1.7976931348623157e308", 1.7976931348623157e308),
    ("negative zero", b"-0", 0),
    ("depth 1024", nest(MAX_DEPTH), Nested(MAX_DEPTH)),
    ("object depth 1024", nest_objects(MAX_DEPTH), Nested(MAX_DEPTH)),
    ("brackets in strings", b'[["[[[[", "]]"]]', [["[[[[", "]]"]]),
    # rejected
    ("empty", b"", REJECT),
    ("whitespace only", b"  \n", REJECT),
    ("two boms", b"\xef\xbb\xbf\xef\xbb\xbf{}", REJECT),
    ("utf-16-le with bom", "{}".encode("utf-16"), REJECT),
    ("utf-16-le without bom", "{}".encode("utf-16-le"), REJECT),
    ("utf-16-be", "[1]".encode("utf-16-be"), REJECT),
    ("utf-32", "[1]".encode("utf-32"), REJECT),
    ("latin-1 byte", b'"caf\xe9"', REJECT),
    ("overlong utf-8", b'"\xc0\xaf"', REJECT),
    ("above U+10FFFF", b'"\xf4\x90\x80\x80"', REJECT),
    ("NaN", b"NaN", REJECT),
    ("Infinity", b"[Infinity]", REJECT),
    ("-Infinity", b'{"a": -Infinity}', REJECT),
    ("float overflow", b"1e400", REJECT),
    ("float overflow just above max", b"1.7976931348623159e308", REJECT),
    ("escaped lone high surrogate", b'"\\ud800"', REJECT),
    ("escaped lone low surrogate", b'["ok", "\\udc00"]', REJECT),
    ("escaped high then letter", b'"\\ud800\\u0041"', REJECT),
    ("lone surrogate in a key", b'{"\\uDBFF": 1}', REJECT),
    ("raw surrogate bytes", b'"\xed\xa0\x80"', REJECT),
    ("str with a raw lone surrogate", '"\ud800"', REJECT),
    ("depth 1025", nest(MAX_DEPTH + 1), REJECT),
    ("object depth 1025", nest_objects(MAX_DEPTH + 1), REJECT),
    ("depth 100000", nest(100_000), REJECT),
    ("depth 100000 unclosed", b"[" * 100_000, REJECT),
    ("integer overflowing a float", b"9" * 309, REJECT),
    ("5000-digit integer", b"9" * 5000, REJECT),
    ("trailing data", b"{} x", REJECT),
    ("two documents", b"{}{}", REJECT),
    ("trailing nul", b"{}\x00", REJECT),
    ("form feed is not whitespace", b"\x0c{}", REJECT),
    ("nbsp is not whitespace", b"\xc2\xa0{}", REJECT),
    ("raw control char in string", b'"a\x01b"', REJECT),
    ("raw tab in string", b'"a\tb"', REJECT),
    ("trailing comma", b"[1,]", REJECT),
    ("leading zero", b"01", REJECT),
    ("bad escape", b'"\\x41"', REJECT),
    ("short unicode escape", b'"\\u12"', REJECT),
    ("single quotes", b"{'a': 1}", REJECT),
    ("bare word", b"tru", REJECT),
]


@pytest.fixture(params=list(_decoders()))
def decode(request: pytest.FixtureRequest) -> Decoder:
    return request.param  # type: ignore[no-any-return]


@pytest.mark.parametrize(("body", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_decoders_accept_and_reject_the_same_bodies(
    decode: Decoder, body: bytes | str, expected: Any
) -> None:
    if expected is REJECT:
        with pytest.raises(JSONDecodeError) as info:
            decode(body)
        error = info.value
        assert error.__cause__ is None and error.__context__ is None
        assert len(str(error)) < 200  # a reason, never the body
    elif isinstance(expected, Nested):
        assert expected.matches(decode(body))
    else:
        value = decode(body)
        assert value == expected
        assert repr(value) == repr(expected)  # same types too (int stays int)


@pytest.mark.skipif(_json.loads_orjson is None, reason="orjson not installed")
def test_long_integers_read_the_same_in_both() -> None:
    loads_orjson = _json.loads_orjson
    assert loads_orjson is not None
    rng = random.Random(20261130)
    for _ in range(300):
        digits = rng.randint(19, 308)
        literal = (
            rng.choice(["", "-"])
            + str(rng.randint(1, 9))
            + "".join(rng.choice("0123456789") for _ in range(digits - 1))
        )
        body = f"[{literal}]".encode()
        assert repr(_json.loads_stdlib(body)) == repr(loads_orjson(body)), literal


def test_orjson_is_used_when_installed() -> None:
    pytest.importorskip("orjson")
    assert _json.BACKEND == "orjson"
    assert _json.loads is _json.loads_orjson


def test_stdlib_reaches_max_depth_from_a_deep_stack() -> None:
    """The stdlib decoder accepts MAX_DEPTH even when called with half the stack used."""

    def recurse(levels: int) -> Any:
        return _json.loads_stdlib(nest(MAX_DEPTH)) if levels == 0 else recurse(levels - 1)

    limit = sys.getrecursionlimit()
    assert Nested(MAX_DEPTH).matches(recurse(limit // 2))
    assert sys.getrecursionlimit() == limit  # restored


def test_depth_check_on_pages_with_many_brackets() -> None:
    page = b'{"list": [' + b",".join([b'{"a": [1, {"b": "]]]"}]}'] * 2000) + b"]}"
    value = _json.loads_stdlib(page)
    assert value["list"][1999] == {"a": [1, {"b": "]]]"}]}
    assert not _json.nested_deeper(value, 5)  # page, list, job, array, object
    assert _json.nested_deeper(value, 4)
    assert not _json.nested_deeper("scalar", 0)


@pytest.mark.parametrize("depth", [MAX_DEPTH, MAX_DEPTH + 1])
def test_many_deep_nests_side_by_side(decode: Decoder, depth: int) -> None:
    body = b"[" + b",".join([nest(depth - 1)] * 200) + b"]"
    if depth > MAX_DEPTH:
        with pytest.raises(JSONDecodeError):
            decode(body)
    else:
        assert len(decode(body)) == 200


def test_standard_library_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    # A separate copy of the module: reloading the real one would give it a new
    # JSONDecodeError class that the modules importing the old one would not catch.
    spec = importlib.util.spec_from_file_location("_json_without_orjson", _json.__file__)
    assert spec is not None and spec.loader is not None
    fallback = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "orjson", None)  # import orjson now fails
    spec.loader.exec_module(fallback)
    assert fallback.BACKEND == "stdlib" and fallback.loads_orjson is None
    assert fallback.loads is fallback.loads_stdlib
    assert fallback.loads(b'{"list": []}') == {"list": []}
    with pytest.raises(fallback.JSONDecodeError):
        fallback.loads(b"{not json")


@pytest.mark.parametrize(
    "body",
    [nest(100_000), b"[" * 100_000, b"\xef\xbb\xbf" + "{}".encode("utf-16"), b'{"list": [NaN]}'],
    ids=["deep", "deep-unclosed", "utf-16", "nan"],
)
async def test_hostile_bodies_are_typed_errors_through_the_client(
    make_client: Callable[..., DataFlowClient], fake_api: FakeAPI, body: bytes
) -> None:
    fake_api.script = [httpx.Response(200, content=body)]
    async with make_client() as client:
        with pytest.raises(UnexpectedResponseError, match="not JSON"):
            await client.list_jobs()
