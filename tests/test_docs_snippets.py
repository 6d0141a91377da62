"""Every fenced Python block of README.md and docs/*.md runs as written, or says it cannot.

Programs run each in its own Python process, all at once, each against its own emulator
served as ``dataflow-async emulator`` serves it (1,000 jobs, seed 0), with the environment that
command prints (``DATAFLOW_ASYNC_ENDPOINT``, ``NCLOUD_ACCESS_KEY_ID``,
``NCLOUD_SECRET_ACCESS_KEY``), ``HOME`` in an empty directory, and every proxy pointed at a
closed loopback port, so that a block that calls the public API fails instead of leaving this
machine. See tests/docs/blocks.py for the kinds of block and the fragment marker.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from dataflow_async.emulator import RunningEmulator, run_emulator
from tests.docs.blocks import (
    EXCERPT_OF,
    INCLUDE,
    ROOT,
    Block,
    compile_fragment,
    is_excerpt,
    program_problems,
    python_blocks,
)

DOCS = ROOT / "docs"
BLOCKS = python_blocks()
PROGRAMS = [b for b in BLOCKS if b.kind == "program"]
FRAGMENTS = [b for b in BLOCKS if b.kind == "fragment"]
# Seconds one program may take; the slowest today takes about 2 s on 2 busy cores.
PROGRAM_TIMEOUT = 60


@dataclass
class Launched:
    process: subprocess.Popen[str]
    emulator: RunningEmulator


def program_environment(emulator: RunningEmulator, home: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("NCLOUD_", "DATAFLOW_ASYNC_")) and "PROXY" not in key.upper()
    }
    closed = "http://127.0.0.1:9"  # the discard port: nothing listens there
    env.update(
        HOME=str(home),
        DATAFLOW_ASYNC_ENDPOINT=emulator.url,
        NCLOUD_ACCESS_KEY_ID=emulator.credentials.access_key,
        NCLOUD_SECRET_ACCESS_KEY=emulator.credentials.secret_key,
        HTTP_PROXY=closed,
        HTTPS_PROXY=closed,
        ALL_PROXY=closed,
        NO_PROXY="127.0.0.1,localhost",
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


@pytest.fixture(scope="module")
def launched(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Launched]]:
    """Start every selected program at once (2 cores run them in about the time of a few)."""
    selected = {
        item.callspec.params["block"].id  # type: ignore[attr-defined]
        for item in request.session.items
        if getattr(item, "originalname", None) == "test_program_runs_as_written"
    }
    with contextlib.ExitStack() as stack:
        running = {}
        for block in PROGRAMS:
            if block.id not in selected:
                continue
            home = tmp_path_factory.mktemp("home")
            (home / "snippet.py").write_text(block.code)
            emulator = stack.enter_context(run_emulator(jobs=1000, seed=0))
            process = subprocess.Popen(
                [sys.executable, "-W", "error", "-X", "dev", "snippet.py"],
                cwd=home,
                env=program_environment(emulator, home),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            stack.callback(process.kill)
            running[block.id] = Launched(process, emulator)
        yield running


def test_programs_reach_the_emulator_and_nothing_beyond_loopback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The caller's own keys, profile and proxy are not handed to the programs."""
    monkeypatch.setenv("NCLOUD_PROFILE", "production")
    monkeypatch.setenv("NCLOUD_SECRET_KEY", "a-real-secret")
    monkeypatch.setenv("https_proxy", "http://proxy.example:3128")
    code = (
        "import httpx\n"
        "try:\n"
        "    httpx.get('https://dataflow.apigw.ntruss.com/api/v1/jobs', timeout=10)\n"
        "except httpx.HTTPError as exc:\n"
        "    print(type(exc).__name__)\n"
    )
    with run_emulator(jobs=1) as emulator:
        env = program_environment(emulator, tmp_path)
        result = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=30
        )
    assert result.stdout.strip() in {"ConnectError", "ProxyError"}, result
    assert not {"NCLOUD_PROFILE", "NCLOUD_SECRET_KEY", "https_proxy"} & set(env)
    assert env["NCLOUD_ACCESS_KEY_ID"] == emulator.credentials.access_key
    assert env["DATAFLOW_ASYNC_ENDPOINT"] == emulator.url and env["HOME"] == str(tmp_path)


@pytest.mark.parametrize("block", PROGRAMS, ids=lambda block: block.id)
def test_program_runs_as_written(block: Block, launched: dict[str, Launched]) -> None:
    """A complete block runs in a fresh process, exits 0 and cleanly, and prints if it says so.

    A block that cannot run alone must start with a ``# fragment: ...`` line instead.
    """
    process = launched[block.id].process
    try:
        stdout, stderr = process.communicate(timeout=PROGRAM_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        stdout, stderr = process.communicate()
        pytest.fail(f"{block.id} still ran after {PROGRAM_TIMEOUT} s\n{stdout}\n{stderr}")
    problems = program_problems(block, process.returncode, stdout, stderr)
    shown = f"{block.id}:\n{block.code}\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
    assert not problems, f"{block.id}: {'; '.join(problems)}\n{shown}"


@pytest.mark.parametrize("block", FRAGMENTS, ids=lambda block: block.id)
def test_fragment_says_what_it_needs_and_compiles(block: Block) -> None:
    assert block.needs, f"{block.id}: say what the fragment needs after '# fragment:'"
    compile_fragment(block)
    for example in EXCERPT_OF.findall(block.needs):
        source = (ROOT / example).read_text()
        code = block.code.split("\n", 1)[1]
        assert is_excerpt(code, source), f"{block.id} is no longer an excerpt of {example}"


def test_every_python_block_is_a_known_kind() -> None:
    """Test files only in the testing guide (whose test runs them); includes of examples only."""
    assert len(BLOCKS) >= 20 and PROGRAMS and FRAGMENTS
    for block in BLOCKS:
        if block.kind == "test-file":
            assert block.page == "docs/testing.md", block.id
        elif block.kind == "include":
            match = INCLUDE.fullmatch(block.code.strip())
            assert match is not None
            path = match["path"]
            assert EXCERPT_OF.fullmatch(path) and (ROOT / path).is_file(), block.id


# Not from the guide: checks that its fixtures give every test the emulator as it started,
# whatever the test before changed. The first test changes everything, the second looks.
ISOLATION_TESTS = """
import pytest


def test_changes_everything(emulator):
    app = emulator.app
    app.clock_skew = 900
    app.count_mode = "total"
    app.jobs[0]["status"] = "EDITED IN PLACE"
    app.jobs[1] = {**app.jobs[1], "status": "REPLACED"}
    del app.jobs[2:]
    app.faults = [None, None]
    app.faults.next_fault()


@pytest.mark.asyncio
async def test_finds_the_emulator_as_it_started(client, emulator):
    app = emulator.app
    assert app.clock_skew == 0.0 and app.count_mode == "page"
    assert app.requests == [] and app.faults.remaining == 0
    assert len(app.jobs) == 500
    assert "EDITED IN PLACE" not in {job["status"] for job in app.jobs}
    assert "REPLACED" not in {job["status"] for job in app.jobs}
    assert len(await client.list_jobs(limit=1000)) == 500
"""


def fenced_blocks(page: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", (DOCS / page).read_text(), flags=re.S)


@pytest.mark.parametrize("mode", ["strict", "auto"])
def test_testing_guide_runs_as_a_test_suite(tmp_path: Path, mode: str) -> None:
    """The guide's files, as a reader copies them, pass in pytest-asyncio's default (strict)
    mode, configured only as the guide says, and in auto mode; warnings are errors."""
    files = {}
    guide = [b for b in python_blocks([DOCS / "testing.md"]) if b.kind == "test-file"]
    for code in [b.code for b in guide] + fenced_blocks("testing.md", "toml"):
        files[code.splitlines()[0].lstrip("# ").strip()] = code
    assert set(files) == {"pyproject.toml", "conftest.py", "test_my_scheduler.py"}
    assert "asyncio_mode" not in files["pyproject.toml"]  # strict, pytest-asyncio's default
    for name, code in files.items():
        (tmp_path / name).write_text(code)
    (tmp_path / "test_isolation.py").write_text(ISOLATION_TESTS)
    mode_option = [] if mode == "strict" else ["-o", "asyncio_mode=auto"]
    result = subprocess.run(
        [
            *(sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-W", "error"),
            *mode_option,
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "3 passed" in result.stdout and not re.search(r"\d+ warnings?\b", output), output
    # pytest-asyncio's header line ("asyncio: mode=Mode.STRICT, ..." or "mode=strict").
    assert re.search(rf"^asyncio: mode=(Mode\.)?{mode}\b", result.stdout, re.M | re.I), output
