"""The documentation's code that claims to run, runs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).parent.parent / "docs"

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
    for block in fenced_blocks("testing.md", "python") + fenced_blocks("testing.md", "toml"):
        files[block.splitlines()[0].lstrip("# ").strip()] = block
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
