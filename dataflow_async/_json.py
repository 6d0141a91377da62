"""JSON decoding: orjson when installed (the ``fast`` extra), else the standard library."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

__all__ = ["JSONDecodeError", "loads"]

loads: Callable[[bytes | str], Any]
try:
    import orjson
except ImportError:
    loads = json.loads
    JSONDecodeError: tuple[type[Exception], ...] = (ValueError,)
else:
    loads = orjson.loads
    JSONDecodeError = (orjson.JSONDecodeError, ValueError)
