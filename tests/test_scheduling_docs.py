"""docs/scheduling.md: its complete examples run as written, and it embeds every
scheduling recipe (the others are fragments, marked as such)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "scheduling.md"
RECIPES = {"run_interval_aps3.py", "run_interval_aps4.py", "run_batch.py", "daily_workflow.py"}


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", PAGE.read_text(), flags=re.S)


def complete_blocks() -> list[str]:
    return [block for block in python_blocks() if not block.startswith(("# fragment:", "--8<--"))]


def test_the_page_embeds_every_scheduling_recipe_and_marks_its_fragments() -> None:
    embedded = {b.split('"')[1] for b in python_blocks() if b.startswith("--8<--")}
    assert embedded == {f"docs/examples/{name}" for name in RECIPES}
    assert all((ROOT / path).is_file() for path in embedded)
    assert len(complete_blocks()) == 3
    assert "scheduling.md" in (ROOT / "mkdocs.yml").read_text()


@pytest.mark.parametrize("index", range(3))
def test_each_complete_example_runs_as_written(index: int, tmp_path: Path) -> None:
    block = complete_blocks()[index]
    script = tmp_path / "example.py"
    script.write_text(block)
    done = subprocess.run(
        [sys.executable, "-W", "error", str(script)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    expected = {
        0: ["COMPLETED"],
        1: ["READY", "RUNNING", "FAILED", "FAILED"],
        2: ["COMPLETED 240.0"],
    }[index]
    lines = done.stdout.splitlines()
    assert [line.split(" ")[0] if index == 0 else line for line in lines] == expected, lines
