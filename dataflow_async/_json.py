"""JSON decoding: orjson when installed (the ``fast`` extra), else the standard library.

Both decoders accept and reject exactly the same bodies, and give equal values for what
they accept, so that installing orjson changes speed only. A body is accepted when it is
RFC 8259 JSON and:

- it is UTF-8 (UTF-16 and UTF-32 bodies, invalid UTF-8 and raw surrogate bytes are
  rejected); one leading UTF-8 byte order mark is ignored, as RFC 8259 allows;
- it nests arrays and objects at most ``MAX_DEPTH`` (1024) levels deep, orjson's own
  limit;
- its strings hold no lone surrogate, escaped (``"\\ud800"``) or raw;
- it has no ``NaN``, ``Infinity`` or ``-Infinity`` literal, and no number that overflows
  a float (``1e400``, or an integer of 309 digits).

An integer from ``-2**63`` to ``2**64 - 1`` is read as an ``int``; a larger one as the
nearest ``float`` (orjson's rule, which the standard library is made to follow: an exact
int from one decoder and a float from the other would make the two disagree, and checking
for long integers in every page would cost orjson about a third of its time).

Duplicate object keys are accepted by both and the last value wins. Whitespace around the
value is allowed; anything else after it, and an empty body, are rejected. Every rejection
raises this module's ``JSONDecodeError``, chained to nothing, whatever the decoder.
"""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import Callable
from typing import Any, NoReturn

__all__ = ["BACKEND", "MAX_DEPTH", "JSONDecodeError", "loads"]

MAX_DEPTH = 1024
_BOM = b"\xef\xbb\xbf"
_INT_MIN, _INT_MAX = -(2**63), 2**64 - 1
_CONTAINERS = (dict, list)  # a tuple: `dict | list` is built anew at each use
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


class JSONDecodeError(ValueError):
    """A body that is not JSON as this library accepts it (see the module docstring)."""


def _reject(reason: str) -> NoReturn:
    raise JSONDecodeError(reason)


def _as_bytes(data: bytes | str) -> bytes:
    """UTF-8 bytes without a leading byte order mark."""
    if isinstance(data, str):
        try:
            encoded: bytes | None = data.encode("utf-8")
        except UnicodeEncodeError:
            encoded = None
        if encoded is None:  # raised here, so that nothing chains the text
            _reject("text holds a lone surrogate")
        data = encoded
    return data[3:] if data.startswith(_BOM) else data


def nested_deeper(value: Any, limit: int) -> bool:
    """Whether arrays and objects in a decoded document nest deeper than ``limit``."""
    # A walk of the decoded value, not a scan of the text: the walk is linear in the
    # values decoded, while counting brackets outside strings in the text cost 2 ms on a
    # 294 kB page and, by removing innermost pairs level by level, 20 s on 5 MB of
    # 1024-deep nests.
    level = [value] if isinstance(value, _CONTAINERS) else []
    for _ in range(limit):  # one level of containers per pass, no per-item tuples
        if not level:
            return False
        level = [
            child
            for item in level
            for child in (item.values() if isinstance(item, dict) else item)
            if isinstance(child, _CONTAINERS)
        ]
    return bool(level)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        _reject("number too large for a float")
    return value


def _int_or_float(text: str) -> int | float:
    """An int in the 64-bit range (at most 20 characters), else the nearest float."""
    if len(text) <= 20:
        value = int(text)
        if _INT_MIN <= value <= _INT_MAX:
            return value
    return _finite_float(text)  # never int(): 4,300 digits and more raise ValueError


def _no_constant(text: str) -> NoReturn:
    _reject(f"{text} is not JSON")


_STDLIB = json.JSONDecoder(
    parse_float=_finite_float, parse_int=_int_or_float, parse_constant=_no_constant
)


def _has_lone_surrogate(value: Any) -> bool:
    """Whether any string (key or value) in a decoded document holds a surrogate."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if not item.isascii() and not _encodable(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _stdlib_decode_deep(text: str) -> Any:
    """Decode a document nested within ``MAX_DEPTH`` that overflowed the stack."""
    # Measured: the C scanner of CPython 3.11 raises RecursionError at about 995 levels
    # (the recursion limit, less the caller's frames); 3.12 at about 1497 and 3.13 at
    # about 9998. On 3.11 a raised limit lets it reach MAX_DEPTH (deeper documents are
    # then rejected by nested_deeper); the scanner holds the GIL throughout, so no other
    # thread runs under the raised limit.
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(previous + MAX_DEPTH + 100)
    try:
        return _STDLIB.decode(text)
    except RecursionError:
        error = "nested too deeply for the stack left to decode it"
    except json.JSONDecodeError as exc:
        error = f"{exc.msg} (char {exc.pos})"
    finally:
        sys.setrecursionlimit(previous)
    _reject(error)


def loads_stdlib(data: bytes | str) -> Any:
    """Decode with the standard library, to the rules in the module docstring."""
    raw = _as_bytes(data)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        error: str | None = f"not UTF-8 (byte {exc.start})"
    else:
        error = None
    if error is not None:
        _reject(error)  # outside the except block: the body stays out of the chain
    overflowed = False
    try:
        value = _STDLIB.decode(text)
    except json.JSONDecodeError as exc:
        error = f"{exc.msg} (char {exc.pos})"
    except RecursionError:
        overflowed = True
    if error is not None:
        _reject(error)
    if overflowed:  # outside the except block, so that nothing chains
        value = _stdlib_decode_deep(text)
    # Fewer brackets than MAX_DEPTH (most pages) cannot nest deeper than it.
    if raw.count(b"[") + raw.count(b"{") > MAX_DEPTH and nested_deeper(value, MAX_DEPTH):
        _reject(f"nested deeper than {MAX_DEPTH} levels")
    if _SURROGATE_ESCAPE.search(text) and _has_lone_surrogate(value):
        _reject("string holds a lone surrogate")
    return value


def _orjson_loads() -> Callable[[bytes | str], Any] | None:
    try:
        import orjson
    except ImportError:
        return None
    orjson_decode = orjson.loads
    orjson_error = orjson.JSONDecodeError

    def loads_orjson(data: bytes | str) -> Any:
        """Decode with orjson, to the rules in the module docstring."""
        raw = _as_bytes(data)
        try:
            return orjson_decode(raw)
        except orjson_error as exc:
            error = f"{exc.msg} (char {exc.pos})"
        _reject(error)  # outside the except block: exc.doc (the body) is not chained

    return loads_orjson


loads_orjson = _orjson_loads()
loads: Callable[[bytes | str], Any] = loads_stdlib if loads_orjson is None else loads_orjson
BACKEND = "stdlib" if loads_orjson is None else "orjson"
