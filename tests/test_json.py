"""JSON decoding: orjson when installed, the standard library otherwise."""

from __future__ import annotations

import importlib
import json
import sys

import pytest


def test_orjson_is_used_when_installed() -> None:
    orjson = pytest.importorskip("orjson")
    from dataflow_async import _json

    assert _json.loads is orjson.loads
    assert _json.loads(b'{"a": [1, "\\u58f2"]}') == {"a": [1, "売"]}


def test_standard_library_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    import dataflow_async._json as module

    monkeypatch.setitem(sys.modules, "orjson", None)  # import orjson now fails
    try:
        fallback = importlib.reload(module)
        assert fallback.loads is json.loads
        assert fallback.loads(b'{"list": []}') == {"list": []}
        with pytest.raises(fallback.JSONDecodeError):
            fallback.loads(b"{not json")
    finally:
        monkeypatch.undo()
        importlib.reload(module)
