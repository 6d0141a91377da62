"""The documentation's code that claims to run, runs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

DOCS = Path(__file__).parent.parent / "docs"


def python_blocks(page: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", (DOCS / page).read_text(), flags=re.S)


def test_testing_guide_runs_as_a_test_suite(tmp_path: Path) -> None:
    blocks = {b.splitlines()[0].lstrip("# ").strip(): b for b in python_blocks("testing.md")}
    assert set(blocks) == {"conftest.py", "test_my_scheduler.py"}
    for name, code in blocks.items():
        (tmp_path / name).write_text(code)
    (tmp_path / "pytest.ini").write_text(
        "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
