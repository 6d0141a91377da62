"""make_jobs: realistic, varied, deterministic, fast."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
import textwrap
from collections import Counter

import pytest

from dataflow_async.emulator import make_jobs

DATE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+09:00")
ID = re.compile(r"[A-Za-z0-9]{12}")


RACE = textwrap.dedent(
    """
    import importlib, sys, threading
    from dataflow_async.emulator import _seed

    sys.setswitchinterval(1e-6)  # switch threads as often as possible
    failures = []
    for _ in range(5):
        importlib.reload(_seed)  # fresh module state, as in a new process
        barrier = threading.Barrier(4)

        def start():
            barrier.wait()
            try:
                assert len(_seed.make_jobs(50)) == 50
            except BaseException as exc:
                failures.append(repr(exc))

        threads = [threading.Thread(target=start) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    print(failures)
    """
)


def test_first_calls_from_several_threads_at_once() -> None:
    # Threads starting emulators at the same time all make jobs on a fresh module: none
    # may see the shared look-up table half built (it used to raise IndexError).
    result = subprocess.run(
        [sys.executable, "-c", RACE], capture_output=True, text=True, timeout=120, check=True
    )
    assert result.stdout.strip() == "[]", result.stdout
    assert result.stderr == ""


def test_same_seed_same_jobs_other_seed_other_jobs() -> None:
    assert make_jobs(300, seed=1) == make_jobs(300, seed=1)
    assert make_jobs(300, seed=1) != make_jobs(300, seed=2)
    assert make_jobs(300) == make_jobs(300, seed=0)


def test_edge_sizes_and_validation() -> None:
    assert make_jobs(0) == []
    assert len(make_jobs(1)) == 1
    with pytest.raises(ValueError, match=">= 0"):
        make_jobs(-1)
    with pytest.raises(TypeError):
        make_jobs(True)
    with pytest.raises(TypeError):
        make_jobs(2.0)  # type: ignore[arg-type]


def test_ids_are_unique_alphanumeric_and_the_resource_id() -> None:
    jobs = make_jobs(50_000, seed=3)
    ids = [j["jobId"] for j in jobs]
    assert len(set(ids)) == len(ids)
    assert all(ID.fullmatch(i) for i in ids)
    assert all(j["resourceId"] == j["jobId"] for j in jobs)


def test_fields_have_the_api_shapes() -> None:
    for job in make_jobs(2000, seed=4):
        assert isinstance(job["name"], str) and job["name"]
        assert isinstance(job["disabled"], bool)
        assert DATE.fullmatch(job["createdDate"])
        assert DATE.fullmatch(job["updatedDate"])
        created = dt.datetime.fromisoformat(job["createdDate"])
        assert dt.datetime.fromisoformat(job["updatedDate"]) >= created
        if job.get("lastExecutionDate") is not None:
            assert DATE.fullmatch(job["lastExecutionDate"])
            assert dt.datetime.fromisoformat(job["lastExecutionDate"]) >= created
            assert job["lastExecutionStatus"] is not None
        if "maxConcurrentRuns" in job:
            assert type(job["maxConcurrentRuns"]) is int
            assert 1 <= job["maxConcurrentRuns"] <= 8
        assert json.loads(json.dumps(job)) == job


def test_last_execution_lies_between_creation_and_update_and_is_its_own_date() -> None:
    ran = [job for job in make_jobs(2000, seed=4) if job.get("lastExecutionDate") is not None]
    assert ran
    for job in ran:
        executed = dt.datetime.fromisoformat(job["lastExecutionDate"])
        assert executed <= dt.datetime.fromisoformat(job["updatedDate"])
    assert any(job["lastExecutionDate"] != job["updatedDate"] for job in ran)


def test_newest_first_with_some_equal_creation_dates() -> None:
    created = [j["createdDate"] for j in make_jobs(5000, seed=5)]
    assert created == sorted(created, reverse=True)
    assert len(set(created)) < len(created)  # ties exist, for the jobId tie-break


def test_a_dozen_jobs_already_show_every_variant() -> None:
    jobs = make_jobs(21, seed=9)
    assert {j["type"] for j in jobs} == {"DATAFLOW", "VISUAL", "SCRIPT"}
    assert {j["status"] for j in jobs} == {
        "RUNNABLE",
        "RUNNING",
        "DELETED",
        "DRAFT",
        "EDITING",
        "STOPPED",
        "READY",
    }
    executions = {j["lastExecutionStatus"] for j in jobs if "lastExecutionStatus" in j}
    assert executions == {"COMPLETED", "FAILED", "CANCELED", "READY", "RUNNING", None}
    never_absent = [j for j in jobs if "lastExecutionStatus" not in j]
    never_null = [
        j for j in jobs if "lastExecutionStatus" in j and j["lastExecutionStatus"] is None
    ]
    assert never_absent and all("lastExecutionDate" not in j for j in never_absent)
    assert never_null and all(j["lastExecutionDate"] is None for j in never_null)
    assert {j["disabled"] for j in jobs} == {True, False}
    assert any("maxConcurrentRuns" in j for j in jobs)
    assert any("maxConcurrentRuns" not in j for j in jobs)


@pytest.mark.parametrize("char", [" ", "&", "=", "/", "+", "%"])
def test_names_contain_characters_that_need_encoding(char: str) -> None:
    assert any(char in j["name"] for j in make_jobs(30))


def test_names_contain_japanese_and_korean() -> None:
    names = [j["name"] for j in make_jobs(30)]
    assert any(re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", n) for n in names)
    assert any(re.search(r"[\uac00-\ud7a3]", n) for n in names)


def test_large_lists_mix_everything() -> None:
    jobs = make_jobs(20_000, seed=6)
    types = Counter(j["type"] for j in jobs)
    assert types["DATAFLOW"] > types["VISUAL"] > types["SCRIPT"] > 0
    statuses = Counter(j["status"] for j in jobs)
    assert statuses.most_common(1)[0][0] == "RUNNABLE"
    assert len(statuses) == 7
    assert 0.01 < sum(j["disabled"] for j in jobs) / len(jobs) < 0.08
    assert 0.15 < sum("maxConcurrentRuns" in j for j in jobs) / len(jobs) < 0.35
    never = [j for j in jobs if j.get("lastExecutionStatus") is None]
    assert 0.1 < len(never) / len(jobs) < 0.25


def test_a_quarter_of_a_million_have_distinct_ids() -> None:
    # How fast they are made is measured by `make bench`, not asserted here.
    jobs = make_jobs(250_000, seed=123_456_789)
    assert len(jobs) == 250_000
    assert len({job["jobId"] for job in jobs}) == 250_000
