"""What the awaiting calls (``run``, ``wait``, ``watch``) share: the poll policy and the
service's clock."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from .._polling import PollPolicy

__all__ = ["check_poll", "server_clock"]


def server_clock(requester: Any) -> Callable[[], float]:
    """The service's time as the client knows it (epoch seconds): the signer's clock with
    its correction for skew, else the local clock."""
    signer = getattr(requester, "signer", None)
    if signer is None:
        return time.time
    return lambda: float(signer.clock() + signer.clock_offset)


def check_poll(poll: PollPolicy | None) -> PollPolicy:
    """``poll``, or the default `PollPolicy` for ``None``; ``TypeError`` for anything else."""
    if poll is None:
        return PollPolicy()
    if not isinstance(poll, PollPolicy):
        raise TypeError(f"poll must be a PollPolicy, got {type(poll).__name__}")
    return poll
