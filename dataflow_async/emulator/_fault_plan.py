"""The plan that decides which request gets which fault.

A `FaultPlan` is consulted once per request that passed authentication (faults never
mask an authentication failure, so auth tests stay exact) and answers with a fault or
``None`` (serve normally). Plans are deterministic: a script plays back in order, and the
random mix draws from its own seeded generator, so the same sequence of requests always
meets the same faults.
"""

from __future__ import annotations

import re
import threading
from collections import Counter, deque
from collections.abc import Iterable, Sequence
from random import Random

from ._faults import (
    DropConnection,
    Fault,
    Latency,
    LostResponse,
    MalformedBody,
    ServerFailure,
    Throttle,
    TruncatedBody,
)

__all__ = ["FaultPlan"]

_FAULT_TYPES = (
    Throttle,
    ServerFailure,
    Latency,
    DropConnection,
    TruncatedBody,
    MalformedBody,
    LostResponse,
)


def _check_fault(value: object, *, allow_none: bool) -> None:
    if value is None and allow_none:
        return
    if not isinstance(value, _FAULT_TYPES):
        raise TypeError(f"not a fault: {value!r}")


class FaultPlan:
    """Decides, request by request, which fault (if any) the emulator injects.

    Tests get failures at exact points ("the third page is throttled"), and
    benchmarks a reproducible mix. A plan first plays ``script`` in order (``None``
    in it means "serve this one normally"); after the script, each request gets a fault
    with probability ``rate``, the fault chosen from ``faults``, both drawn from a
    generator seeded with ``seed``. The same sequence of requests therefore meets the same
    faults. ``injected`` counts the faults handed out, by fault name (``"throttle"``,
    ``"latency"``, ...). Thread-safe: the served app and the test may share it.

    Args:
        script: Faults for the next requests in order; `None` in it serves that one normally.
        seed: The seed of the random draws.
        rate: The probability, from 0 to 1, that a request after the script gets a fault.
        faults: The faults to draw from when `rate` is above 0.
        methods: Only requests with these methods are subject to the plan.
        path: Only requests whose path matches this regular expression are.

    Raises:
        TypeError: A step or a fault is not a fault, or `methods` is a string.
        ValueError: `rate` is outside [0, 1], or above 0 with no faults.
    """

    def __init__(
        self,
        script: Iterable[Fault | None] = (),
        *,
        seed: int = 0,
        rate: float = 0.0,
        faults: Sequence[Fault] = (),
        methods: Iterable[str] | None = None,
        path: str | None = None,
    ) -> None:
        steps = tuple(script)
        for step in steps:
            _check_fault(step, allow_none=True)
        choices = tuple(faults)
        for fault in choices:
            _check_fault(fault, allow_none=False)
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"rate must be in [0, 1], not {rate!r}")
        if rate > 0 and not choices:
            raise ValueError("a rate above 0 needs at least one fault to choose from")
        if isinstance(methods, str):
            raise TypeError("methods must be a collection of method names, not a str")
        self._methods = None if methods is None else frozenset(m.upper() for m in methods)
        self._path = None if path is None else re.compile(path)
        self._steps = steps
        self._seed = seed
        self._rate = rate
        self._faults = choices
        self._lock = threading.Lock()
        self._script: deque[Fault | None] = deque(steps)
        self._rng = Random(seed)
        self.injected: Counter[str] = Counter()

    @classmethod
    def script(
        cls,
        *faults: Fault | None,
        methods: Iterable[str] | None = None,
        path: str | None = None,
    ) -> FaultPlan:
        """A plan that gives the next requests these faults in order, then serves normally.

        ``FaultPlan.script(Throttle(), None, DropConnection())``: the first request is
        throttled, the second served, the third dropped, all later ones served.
        ``methods`` and ``path`` restrict the plan (see the class).

        Args:
            *faults: A `Fault` for each request in turn, or `None` to serve that one normally.
            methods: Only requests with these methods are subject to the plan.
            path: Only requests whose path matches this regular expression are.

        Returns:
            The `FaultPlan`.
        """
        return cls(faults, methods=methods, path=path)

    @classmethod
    def random(
        cls,
        seed: int,
        rate: float,
        faults: Sequence[Fault],
        *,
        methods: Iterable[str] | None = None,
        path: str | None = None,
    ) -> FaultPlan:
        """A plan that faults each request with probability ``rate``, seeded by ``seed``.

        The fault is chosen uniformly from ``faults`` (repeat one to weight it).
        ``methods`` and ``path`` restrict the plan (see the class).

        Args:
            seed: The seed of the plan's random draws.
            rate: The probability that a request gets a fault, from 0 to 1.
            faults: The faults to choose from.
            methods: Only requests with these methods are subject to the plan.
            path: Only requests whose path matches this regular expression are.

        Returns:
            The `FaultPlan`.
        """
        return cls(seed=seed, rate=rate, faults=faults, methods=methods, path=path)

    @property
    def remaining(self) -> int:
        """How many scripted steps are still to be played."""
        return len(self._script)

    def applies_to(self, method: str, path: str) -> bool:
        """Whether requests with this method and path are subject to the plan.

        Args:
            method: The request's method.
            path: The request's path.
        """
        if self._methods is not None and method.upper() not in self._methods:
            return False
        return self._path is None or self._path.search(path) is not None

    def next_fault(self, method: str | None = None, path: str | None = None) -> Fault | None:
        """Decide the fault for the next request (``None``: serve it normally).

        With ``method`` and ``path``, a request outside the plan's filters gets ``None``
        without using up a step of the script or a random draw.

        Args:
            method: The request's method, to apply the plan's filters.
            path: The request's path, to apply the plan's filters.

        Returns:
            The `Fault` to inject, or `None`.
        """
        if method is not None and path is not None and not self.applies_to(method, path):
            return None
        with self._lock:
            fault: Fault | None
            if self._script:
                fault = self._script.popleft()
            elif self._rate > 0 and self._rng.random() < self._rate:
                fault = self._rng.choice(self._faults)
            else:
                fault = None
            if fault is not None:
                self.injected[fault.name] += 1
            return fault

    def reset(self) -> None:
        """Rewind: replay the script from the start, reseed, and zero ``injected``."""
        with self._lock:
            self._script = deque(self._steps)
            self._rng = Random(self._seed)
            self.injected.clear()

    def __repr__(self) -> str:
        return (
            f"FaultPlan(script={list(self._steps)!r}, seed={self._seed!r}, rate={self._rate!r}, "
            f"faults={list(self._faults)!r}"
            + ("" if self._methods is None else f", methods={sorted(self._methods)!r}")
            + ("" if self._path is None else f", path={self._path.pattern!r}")
            + ")"
        )
