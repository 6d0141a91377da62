"""Proof under a hostile mix: every kind of misbehaviour at once, with cancellations."""

from __future__ import annotations

from tests.hostile_mix import KINDS
from tests.hostile_run import MixSize, run_mix

SIZE = MixSize()
PEAK_LIMIT = 32 * 1024 * 1024
"""Every task in flight at once holding a full ``max_response_bytes`` body would be
120 x 256 KiB = 30 MiB; one gzip bomb alone decodes to 32 MiB, one endless body to 6.5 GB."""


async def test_a_hostile_mix_leaves_only_results_typed_errors_and_nothing_behind() -> None:
    fig = await run_mix(9, SIZE, overall=60.0)
    assert fig.escaped == []  # nothing but results, cancellations and DataFlowError
    assert set(fig.faults) == set(KINDS)  # every kind was served at least once
    assert fig.outcomes["result"] > 0 and fig.outcomes["cancelled"] > 0
    assert len(fig.outcomes) >= 6  # results, cancellations and several error types
    assert fig.other_origin_heads == 0  # no redirect was followed, so no header went there
    assert fig.repeated_posts == []  # no POST sent again once it may have arrived
    assert fig.checked_out == []  # no connection or pool slot held for nobody
    assert fig.tasks_left == 0
    assert fig.peak_bytes < PEAK_LIMIT
